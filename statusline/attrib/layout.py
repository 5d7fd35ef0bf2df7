"""What sits in one conversation's context, and how each request's cost splits over it.

The estimate (the README's "How cost is split by tool"):
- The context is a list of items in the order they entered: the user's text, each assistant
  text and tool call, each tool result. An item belongs to a bucket: `conversation`, or the
  name of the tool whose call or result it is. Sizes are estimated at 4 characters per token
  (an image at 1,600 tokens); a thinking block is not carried into later requests.
- A request's prompt is laid out as what the transcript never shows (system prompt, tool
  definitions: `conversation`) followed by the items. Its real token counts cover that layout in
  order: cache reads first, then cache writes, then uncached input. Each item is charged the
  part of each range it overlaps, at that range's price. When the estimated items exceed the
  prompt, they are scaled down to fit it.
- The request's output is split over its own blocks by characters: text and thinking are
  `conversation`, a tool call's input is its tool's.
- A compaction (`compact_boundary`) empties the context; `/clear` starts a new transcript.

A message's split is kept as fractions per bucket of each token kind (input, 5m write, 1h write,
read, output); `conversation` takes whatever the other buckets do not, so a split always adds
up to the whole message.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

CONVERSATION = "conversation"
CHARS_PER_TOKEN = 4
# A request's tail of items longer than this is split by bisection rather than walked.
WALK_PER_BUCKET, WALK_ITEMS = 2, 8

# Token kinds of a split, in the order of a usage vector's token fields.
IN, W5, W1, READ, OUT = range(5)
Split = dict[str, list[float]]  # bucket → fraction of each token kind (conversation implied)


class Context:
    """One conversation's context (a transcript, or the sidechain lines of an old one)."""

    __slots__ = ("due", "ends", "items", "pending", "places", "tools")

    def __init__(self, saved: list[Any] | None = None) -> None:
        # items: [bucket, estimated tokens] in order, neighbours of one bucket merged.
        self.items: list[list[Any]] = []
        # tool call id → tool name, to name the results that come back.
        self.tools: dict[str, str] = {}
        # The message being written (Claude Code logs one line per content block):
        # [message id, request id, usage vector, output blocks [[bucket, chars]]].
        self.pending: list[Any] | None = None
        # Rows of the pending message still to be split: message key → [its row, the usage and
        # how many output blocks it had when its line was read]. A message is logged one line
        # per content block, each with its usage: it is split once, when it is complete (or the
        # read stops), not once per line. The context does not change meanwhile (settle does).
        self.due: dict[str, tuple[list[Any], list[int], int]] = {}
        if saved:
            self.items, self.tools, self.pending = saved[0], saved[1], saved[2]
        # Where each item ends (ends[i]: the tokens of items[:i]) and, per bucket, its items'
        # indexes and running sums: a long tail is split by bisection, not walked (see split).
        # A bucket's last running sum is its total: a request's read range is nearly all of the
        # context, so it is found from these less the short tail past it.
        # Every size is a multiple of a quarter token (characters / 4, images 1,600), far below
        # 2**50: each of these sums is exact, whatever the order its terms are added in.
        self.ends: list[float] = [0.0]
        self.places: dict[str, tuple[list[int], list[float]]] = {}
        for n, (bucket, tokens) in enumerate(self.items):
            self.ends.append(self.ends[-1] + tokens)
            where = self.places.setdefault(bucket, ([], [0.0]))
            where[0].append(n)
            where[1].append(where[1][-1] + tokens)

    def saved(self) -> list[Any]:
        return [self.items, self.tools, self.pending]

    @property
    def totals(self) -> dict[str, float]:
        """Estimated tokens per bucket over all items."""
        return {bucket: sums[-1] for bucket, (_indexes, sums) in self.places.items()}

    def add(self, bucket: str, tokens: float) -> None:
        if tokens <= 0:
            return
        items = self.items
        if items and items[-1][0] == bucket:
            items[-1][1] += tokens
            self.ends[-1] += tokens
            self.places[bucket][1][-1] += tokens
        else:
            ends = self.ends
            items.append([bucket, tokens])
            ends.append(ends[-1] + tokens)
            where = self.places.get(bucket)
            if where is None:
                where = self.places[bucket] = ([], [0.0])
            where[0].append(len(items) - 1)
            where[1].append(where[1][-1] + tokens)

    def split_due(self) -> None:
        """Split the pending message's rows read so far, each as its latest line gave it (the
        usage then kept and the blocks read until then)."""
        due = self.due
        if not due:
            return
        blocks: list[list[Any]] = self.pending[3] if self.pending is not None else []
        if len(due) == 1:  # the usual case: one record of one response
            for row, usage, count in due.values():
                row[1] = self.split(usage, blocks[:count])
            self.due = {}
            return
        made: dict[tuple[int, int], Split] = {}
        for row, usage, count in due.values():
            split = made.get((id(usage), count))
            if split is None:
                split = made[(id(usage), count)] = self.split(usage, blocks[:count])
            row[1] = split
        self.due = {}

    def settle(self) -> None:
        """The pending message is complete: its text and tool calls join the context."""
        pending = self.pending
        if pending is None:
            return
        blocks: list[list[Any]] = pending[3]
        due = self.due
        if len(due) == 1:  # the usual case, as split_due splits it
            for row, usage, count in due.values():
                row[1] = self.split(usage, blocks if count == len(blocks) else blocks[:count])
            self.due = {}
        elif due:
            self.split_due()
        # Each run of blocks of one bucket joins at once (thinking, which later requests do not
        # carry, is left out): exact sums, the same as block by block.
        run, chars = None, 0
        for bucket, n in blocks:
            if bucket == run:
                chars += n
            elif bucket is not None:
                if run is not None:
                    self.add(run, chars / CHARS_PER_TOKEN)
                run, chars = bucket, n
        if run is not None:
            self.add(run, chars / CHARS_PER_TOKEN)
        self.pending = None

    def clear(self) -> None:
        self.settle()
        self.items = []
        self.ends = [0.0]
        self.places = {}

    def split(self, usage: list[int], blocks: list[list[Any]]) -> Split:
        """Fractions per bucket of one request's token kinds (conversation left implied)."""
        # Counts as floats (exact: they are below 2**50), so the arithmetic below is float's own.
        tokens_in, write, read = 0.0 + usage[0], 0.0 + (usage[1] + usage[2]), 0.0 + usage[3]
        prompt = 0.0 + (usage[0] + usage[1] + usage[2] + usage[3])
        places, ends = self.places, self.ends
        estimated = ends[-1]  # the sum of the buckets' totals (exact sums: see __init__)
        scale = prompt / estimated if estimated > prompt else 1.0
        # Layout: the unseen prefix (conversation's), then the items; the real counts cover it
        # in order: [0, read) read, [read, read + write) written, the rest uncached input. What
        # each bucket has before the write range is in the read range.
        # The first item the write and input ranges reach, in the items' own tokens.
        write_from = estimated - (write + tokens_in) / scale if scale else estimated
        first = bisect_right(ends, write_from) - 1
        if first < 0:
            first = 0
        if len(ends) - first > WALK_PER_BUCKET * len(places) + WALK_ITEMS:
            out, past_read = self._bisected(tokens_in, write, scale)
        else:
            out, past_read = self._walked(first, tokens_in, write, read, prompt, scale)
        if read:
            for bucket, (_indexes, sums) in places.items():
                if bucket == CONVERSATION:
                    continue
                in_read = sums[-1] * scale - past_read.get(bucket, 0.0)
                if in_read > 1e-9:
                    fr = out.get(bucket)
                    if fr is None:
                        fr = out[bucket] = [0.0] * 5
                    share = in_read / read
                    fr[READ] = share if share < 1.0 else 1.0  # min(1.0, share), without the call
        chars: dict[str, int] | None = None
        all_chars = 0
        for bucket, n in blocks:
            all_chars += n
            if bucket is not None and bucket != CONVERSATION:
                if chars is None:
                    chars = {bucket: n}
                else:
                    chars[bucket] = chars.get(bucket, 0) + n
        if chars is not None and all_chars:
            for bucket, n in chars.items():
                if n:
                    fr = out.get(bucket)
                    if fr is None:
                        fr = out[bucket] = [0.0] * 5
                    fr[OUT] = n / all_chars
        return out

    def _walked(
        self, first: int, tokens_in: float, write: float, read: float, prompt: float, scale: float
    ) -> tuple[Split, dict[str, float]]:
        """The write and input ranges' shares, walking back from the last item (a short tail)."""
        out: Split = {}
        past_read: dict[str, float] = {}
        end = float(prompt)
        written = read + write  # the write range is [read, written), the input [written, prompt)
        conversation = CONVERSATION
        for bucket, size in reversed(self.items[first:]):
            if end <= read:
                break
            start = end - size * scale
            if bucket != conversation:
                # min and max written out (called per item, the builtins cost more): equal
                # operands are equal numbers, whichever is taken. The end never passes the
                # prompt's (it starts there, and sizes are positive).
                fr = None
                if start >= written:  # within the input range: nothing of it written or read
                    after_read = start
                    overlap = end - start
                else:
                    after_read = start if start >= read else read
                    overlap = (end if end <= written else written) - after_read
                    if overlap > 0.0 and write:
                        fr = out.get(bucket)
                        if fr is None:
                            fr = out[bucket] = [0.0] * 5
                        share = overlap / write
                        fr[1] += share  # W5
                        fr[2] += share  # W1
                    overlap = end - written
                if overlap > 0.0 and tokens_in:
                    if fr is None:
                        fr = out.get(bucket)
                        if fr is None:
                            fr = out[bucket] = [0.0] * 5
                    fr[0] += overlap / tokens_in  # IN
                past_read[bucket] = past_read.get(bucket, 0.0) + end - after_read
            end = start
        return out, past_read

    def _bisected(self, tokens_in: float, write: float, scale: float) -> tuple[Split, dict[str, float]]:
        """The same shares from each bucket's running sums: what a bucket has past a point of
        the items is its total less what its items before that point hold, found by bisection
        whatever the tail's length."""
        ends, items = self.ends, self.items
        if not items:
            return {}, {}
        # Where the write range and the input range start, in the items' tokens.
        write_item, write_into, write_bucket = _item_at(ends, items, ends[-1] - (write + tokens_in) / scale)
        input_item, input_into, input_bucket = _item_at(ends, items, ends[-1] - tokens_in / scale)
        out: Split = {}
        past_read: dict[str, float] = {}
        for bucket, (indexes, sums) in self.places.items():
            if bucket == CONVERSATION:
                continue
            total = sums[-1]
            before = sums[bisect_left(indexes, write_item)] + (write_into if write_bucket == bucket else 0.0)
            past_write = (total - before) * scale
            before = sums[bisect_left(indexes, input_item)] + (input_into if input_bucket == bucket else 0.0)
            in_input = (total - before) * scale
            in_write = past_write - in_input
            if (in_write > 0 and write) or (in_input > 0 and tokens_in):
                fr = out[bucket] = [0.0] * 5
                if in_write > 0 and write:
                    fr[W5] = fr[W1] = in_write / write
                if in_input > 0 and tokens_in:
                    fr[IN] = in_input / tokens_in
            past_read[bucket] = past_write
        return out, past_read


def _item_at(ends: list[float], items: list[list[Any]], point: float) -> tuple[int, float, str]:
    """The item a point of the items' tokens falls in (a point before the first is at the first,
    one past the last in the last), how far into it, and its bucket (max and min written out)."""
    if point < 0.0:
        point = 0.0
    item = bisect_right(ends, point) - 1
    last = len(items) - 1
    if item > last:
        item = last
    return item, point - ends[item], items[item][0]
