"""What sits in one transcript's context, and how each request's cost splits over it.

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

from statusline.index.lines import Skip, records_from_line

CONVERSATION = "conversation"
CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 1600  # Anthropic's cost of an image of about 1.15 megapixels, the usual cap
AGENT_TOOLS = ("Task", "Agent")  # the tool that starts a subagent (renamed Agent in 2.x)
TITLE_ORDER = ("custom-title", "ai-title", "summary", "prompt")  # what names a session, best first
PROMPT_CHARS = 80
# A request's tail of items longer than this is split by bisection rather than walked.
WALK_PER_BUCKET, WALK_ITEMS = 2, 8  # a first prompt as a session's name is cut to this

# Token kinds of a split, in the order of a usage vector's token fields.
IN, W5, W1, READ, OUT = range(5)
Split = dict[str, list[float]]  # bucket → fraction of each token kind (conversation implied)


def _chars(value: object) -> int:
    """Characters of a value as it would be sent: strings as they are, anything else as compact
    JSON (no recursion: a tool's input can nest deeper than Python recurses)."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += 2 + sum(len(str(k)) + 4 for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            total += 2 + len(item)
            stack.extend(item)
        elif item is not None:
            total += len(str(item))
    return total


def clean_name(name: object, fallback: str = "unnamed tool") -> str:
    """A name from a transcript, safe to store and print: lone surrogates become U+FFFD."""
    if not isinstance(name, str) or not name:
        return fallback
    if name.isascii():
        return name
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in name)


def _content_tokens(content: object) -> float:
    """Estimated tokens of a tool result's or user message's content."""
    if isinstance(content, str):
        return len(content) / CHARS_PER_TOKEN
    if not isinstance(content, list):
        return _chars(content) / CHARS_PER_TOKEN
    tokens = 0.0
    for block in content:
        if isinstance(block, dict) and block.get("type") == "image":
            tokens += IMAGE_TOKENS
        elif isinstance(block, dict) and block.get("type") == "text":
            tokens += _chars(block.get("text")) / CHARS_PER_TOKEN
        else:
            tokens += _chars(block) / CHARS_PER_TOKEN
    return tokens


class Context:
    """One conversation's context (a transcript, or the sidechain lines of an old one)."""

    __slots__ = ("due", "ends", "items", "pending", "places", "tools", "totals")

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
        # Estimated tokens per bucket over all items: a request's read range is nearly all of
        # the context, so it is found from these less the short tail past it (see split).
        self.totals: dict[str, float] = {}
        # Where each item ends (ends[i]: the tokens of items[:i]) and, per bucket, its items'
        # indexes and running sums: a long tail is split by bisection, not walked (see split).
        self.ends: list[float] = [0.0]
        self.places: dict[str, tuple[list[int], list[float]]] = {}
        for n, (bucket, tokens) in enumerate(self.items):
            self.totals[bucket] = self.totals.get(bucket, 0.0) + tokens
            self.ends.append(self.ends[-1] + tokens)
            where = self.places.setdefault(bucket, ([], [0.0]))
            where[0].append(n)
            where[1].append(where[1][-1] + tokens)

    def saved(self) -> list[Any]:
        return [self.items, self.tools, self.pending]

    def add(self, bucket: str, tokens: float) -> None:
        if tokens <= 0:
            return
        items, ends = self.items, self.ends
        if items and items[-1][0] == bucket:
            items[-1][1] += tokens
            ends[-1] += tokens
            self.places[bucket][1][-1] += tokens
        else:
            items.append([bucket, tokens])
            ends.append(ends[-1] + tokens)
            where = self.places.get(bucket)
            if where is None:
                where = self.places[bucket] = ([], [0.0])
            where[0].append(len(items) - 1)
            where[1].append(where[1][-1] + tokens)
        totals = self.totals
        totals[bucket] = totals.get(bucket, 0.0) + tokens

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
        if self.pending is None:
            return
        if self.due:
            self.split_due()
        for bucket, chars in self.pending[3]:
            if bucket is not None:  # None: thinking, which later requests do not carry
                self.add(bucket, chars / CHARS_PER_TOKEN)
        self.pending = None

    def clear(self) -> None:
        self.settle()
        self.items = []
        self.totals = {}
        self.ends = [0.0]
        self.places = {}

    def split(self, usage: list[int], blocks: list[list[Any]]) -> Split:
        """Fractions per bucket of one request's token kinds (conversation left implied)."""
        tokens_in, w5, w1, read = usage[0], usage[1], usage[2], usage[3]
        write = w5 + w1
        prompt = tokens_in + write + read
        estimated = sum(self.totals.values())
        scale = prompt / estimated if estimated > prompt else 1.0
        # Layout: the unseen prefix (conversation's), then the items; the real counts cover it
        # in order: [0, read) read, [read, read + write) written, the rest uncached input. What
        # each bucket has before the write range is in the read range.
        ends = self.ends
        # The first item the write and input ranges reach, in the items' own tokens.
        write_from = ends[-1] - (write + tokens_in) / scale if scale else ends[-1]
        first = max(0, bisect_right(ends, write_from) - 1)
        if len(ends) - first > WALK_PER_BUCKET * len(self.totals) + WALK_ITEMS:
            out, past_read = self._bisected(tokens_in, write, scale)
        else:
            out, past_read = self._walked(first, tokens_in, write, read, prompt, scale)
        if read:
            for bucket, tokens in self.totals.items():
                if bucket == CONVERSATION:
                    continue
                in_read = tokens * scale - past_read.get(bucket, 0.0)
                if in_read > 1e-9:
                    fr = out.get(bucket)
                    if fr is None:
                        fr = out[bucket] = [0.0] * 5
                    share = in_read / read
                    fr[READ] = share if share < 1.0 else 1.0  # min(1.0, share), without the call
        chars: dict[str, int] = {}
        all_chars = 0
        for bucket, n in blocks:
            all_chars += n
            if bucket is not None and bucket != CONVERSATION:
                chars[bucket] = chars.get(bucket, 0) + n
        if all_chars:
            for bucket, n in chars.items():
                if n:
                    fr = out.get(bucket)
                    if fr is None:
                        fr = out[bucket] = [0.0] * 5
                    fr[OUT] = n / all_chars
        return out

    def _walked(
        self, first: int, tokens_in: int, write: int, read: int, prompt: int, scale: float
    ) -> tuple[Split, dict[str, float]]:
        """The write and input ranges' shares, walking back from the last item (a short tail)."""
        out: Split = {}
        past_read: dict[str, float] = {}
        end = float(prompt)
        written = read + write  # the write range is [read, written), the input [written, prompt)
        for bucket, size in reversed(self.items[first:]):
            if end <= read:
                break
            start = end - size * scale
            if bucket != CONVERSATION:
                fr = out.get(bucket)
                # min and max written out (called per item, the builtins cost more): equal
                # operands are equal numbers, whichever is taken
                after_read = start if start >= read else read
                overlap = (end if end <= written else written) - after_read
                if overlap > 0 and write:
                    if fr is None:
                        fr = out[bucket] = [0.0] * 5
                    share = overlap / write
                    fr[W5] += share
                    fr[W1] += share
                overlap = (end if end <= prompt else prompt) - (start if start >= written else written)
                if overlap > 0 and tokens_in:
                    if fr is None:
                        fr = out[bucket] = [0.0] * 5
                    fr[IN] += overlap / tokens_in
                past_read[bucket] = past_read.get(bucket, 0.0) + end - after_read
            end = start
        return out, past_read

    def _bisected(self, tokens_in: int, write: int, scale: float) -> tuple[Split, dict[str, float]]:
        """The same shares from each bucket's running sums: what a bucket has past a point of
        the items is its total less what its items before that point hold, found by bisection
        whatever the tail's length."""
        ends, items = self.ends, self.items
        cuts = []  # where the write range and the input range start, in the items' tokens
        for point in (ends[-1] - (write + tokens_in) / scale, ends[-1] - tokens_in / scale):
            point = max(point, 0.0)
            item = min(bisect_right(ends, point) - 1, len(items) - 1)
            cuts.append((item, point - ends[item]))
        out: Split = {}
        past_read: dict[str, float] = {}
        for bucket, (indexes, sums) in self.places.items():
            if bucket == CONVERSATION:
                continue
            past = []
            for item, into in cuts:
                before = sums[bisect_left(indexes, item)] + (into if items[item][0] == bucket else 0.0)
                past.append((sums[-1] - before) * scale)
            in_write, in_input = past[0] - past[1], past[1]
            if (in_write > 0 and write) or (in_input > 0 and tokens_in):
                fr = out[bucket] = [0.0] * 5
                if in_write > 0 and write:
                    fr[W5] = fr[W1] = in_write / write
                if in_input > 0 and tokens_in:
                    fr[IN] = in_input / tokens_in
            past_read[bucket] = past[0]
        return out, past_read


def _count(v: object) -> int:
    """A token count as the usage holds it: a positive int or float (not a bool), else 0."""
    if type(v) is int:  # the usual case
        return v if v > 0 else 0
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else 0


def _usage_vector(usage: dict[str, Any]) -> list[int]:
    """[input, 5m write, 1h write, read, output] of a usage object (records validated it)."""
    get = usage.get
    total_write = _count(get("cache_creation_input_tokens"))
    split = get("cache_creation")
    if isinstance(split, dict):
        w5, w1 = (
            _count(split.get("ephemeral_5m_input_tokens")),
            _count(split.get("ephemeral_1h_input_tokens")),
        )
        w5 += max(0, total_write - w5 - w1)
    else:
        w5, w1 = total_write, 0
    return [
        _count(get("input_tokens")),
        w5,
        w1,
        _count(get("cache_read_input_tokens")),
        _count(get("output_tokens")),
    ]


def _output_blocks(content: object, ctx: Context, agent_calls: dict[str, str]) -> list[list[Any]]:
    """[[bucket or None, chars]] of an assistant message's content; tool calls are remembered,
    and the calls that start a subagent with the type they ask for."""
    if isinstance(content, str):
        return [[CONVERSATION, len(content)]]
    if type(content) is list and len(content) == 1:  # the usual line: one text block
        block = content[0]
        if type(block) is dict and block.get("type") == "text" and "tool_use_id" not in block:
            text = block.get("text")
            return [[CONVERSATION, len(text) if type(text) is str else _chars(text)]]
    out: list[list[Any]] = []
    if not isinstance(content, list):
        return out
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "tool_use" or kind == "server_tool_use":
            raw = block.get("name")
            name = clean_name(raw)
            call_id = block.get("id")
            if isinstance(call_id, str):
                ctx.tools[call_id] = name
                if kind == "tool_use" and raw in AGENT_TOOLS:
                    inp = block.get("input")
                    agent_kind = inp.get("subagent_type") if isinstance(inp, dict) else None
                    agent_calls[call_id] = clean_name(agent_kind, "general-purpose")
            out.append([name, _chars(block.get("input")) + len(name)])
            continue
        result_of = block.get("tool_use_id")
        if isinstance(result_of, str):  # a server tool's result (web search, web fetch)
            out.append([ctx.tools.get(result_of, "unnamed tool"), _chars(block.get("content"))])
        elif kind == "thinking":
            out.append([None, _chars(block.get("thinking"))])
        elif kind == "text":
            text = block.get("text")
            out.append([CONVERSATION, len(text) if type(text) is str else _chars(text)])
        else:
            out.append([CONVERSATION, _chars(block)])
    return out


def session_title(titles: dict[str, str]) -> str:
    """A session's name from what its transcript held (Transcript.titles), or ""."""
    return next((titles[kind] for kind in TITLE_ORDER if titles.get(kind)), "")


def _prompt(line: dict[str, Any]) -> str:
    """A prompt the user typed, on one line and cut to PROMPT_CHARS; "" for any other user line
    (a tool result, a slash command or its output, a meta or compaction line, a subagent's)."""
    if line.get("isMeta") or line.get("isCompactSummary") or line.get("isSidechain") is True:
        return ""
    message = line.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # the first text block's, unless it holds a tool result
        text, found = None, False
        for block in content:
            if isinstance(block, dict):
                kind = block.get("type")
                if kind == "tool_result":
                    return ""
                if kind == "text" and not found:
                    text, found = block.get("text"), True
        content = text
    if not isinstance(content, str):
        return ""
    text = clean_name(" ".join(content.split()), "")
    if not text or text.startswith(("<", "Caveat:")):  # <command-name>, <local-command-stdout>, …
        return ""
    return text if len(text) <= PROMPT_CHARS else text[: PROMPT_CHARS - 1] + "…"


def _agent_id(env: dict[str, Any], outer: dict[str, Any]) -> str:
    """The subagent a sidechain line belongs to (its `agentId`, or a progress line's)."""
    for holder in (env, outer, outer.get("data")):
        if isinstance(holder, dict) and isinstance(holder.get("agentId"), str):
            return str(holder["agentId"])
    return ""


class Transcript:
    """The attribution of one transcript file, fed line by line (resumable from `saved`)."""

    def __init__(self, file_session: str, saved: dict[str, Any] | None = None) -> None:
        self.file_session = file_session
        saved = saved or {}
        self.main = Context(saved.get("main"))
        # Sidechain conversations logged inside this file (older Claude Code), one per agent.
        self.sides = {agent: Context(ctx) for agent, ctx in (saved.get("sides") or {}).items()}
        # message key → [sidechain, split, agent id]; key = message id + NUL + request id, as
        # the index deduplicates (read through `rows`: a pending message's split is made then)
        self._rows: dict[str, list[Any]] = saved.get("rows") or {}
        # subagent id → type, from this transcript's agent tool calls and their results
        self.spawned: dict[str, str] = saved.get("spawned") or {}
        self.agent_calls: dict[str, str] = saved.get("agent_calls") or {}
        # What can name the session, by line type: the latest `/rename` (custom-title), Claude
        # Code's name (ai-title), the latest `summary` line, the first prompt ("prompt").
        self.titles: dict[str, str] = saved.get("titles") or {}
        # Read since `summary` and the first prompt were kept (older states are read again).
        self.named = bool(saved.get("named")) or not saved

    @property
    def rows(self) -> dict[str, list[Any]]:
        """Every message's row, those of the messages still pending split as read so far."""
        self.main.split_due()
        for ctx in self.sides.values():
            ctx.split_due()
        return self._rows

    @rows.setter
    def rows(self, rows: dict[str, list[Any]]) -> None:
        self._rows = rows

    def saved(self) -> dict[str, Any]:
        rows = self.rows
        return {
            "main": self.main.saved(),
            "sides": {agent: ctx.saved() for agent, ctx in self.sides.items()},
            "rows": rows,
            "spawned": self.spawned,
            "agent_calls": self.agent_calls,
            "titles": self.titles,
            "named": self.named,
        }

    def feed(self, obj: object, records: list[tuple[object, ...]] | bool | None = False) -> None:
        """One parsed transcript line. `records`: its usage records as the index's reader made
        them (lines.records_of; None: it refused the line), when the caller has them already;
        False: made here."""
        if not isinstance(obj, dict):
            return
        kind = obj.get("type")
        if kind == "assistant" and obj.get("isSidechain") is not True:  # most lines: as _line takes it
            message = obj.get("message")
            if isinstance(message, dict):
                self._assistant(obj, obj, message, self.main, False, "", records)
            return
        if kind in ("custom-title", "ai-title"):
            title = obj.get("customTitle" if kind == "custom-title" else "aiTitle")
            if isinstance(title, str) and title.strip():
                self.titles[kind] = clean_name(title.strip(), "")
            return
        if kind == "summary":
            summary = obj.get("summary")
            if isinstance(summary, str) and summary.strip():
                self.titles["summary"] = clean_name(" ".join(summary.split()), "")
            return
        if kind == "user" and "prompt" not in self.titles:
            prompt = _prompt(obj)
            if prompt:
                self.titles["prompt"] = prompt
        if kind == "user" and obj.get("isSidechain") is not True:  # as _line takes it
            message = obj.get("message")
            if not isinstance(message, dict):
                return
            if message.get("role") == "assistant" or isinstance(message.get("usage"), dict):
                self._assistant(obj, obj, message, self.main, False, "", records)
            else:
                self.main.settle()
                self._user(obj, message, self.main)
            return
        if kind == "progress":  # older Claude Code: a subagent's line in the parent's
            data = obj.get("data")
            inner = data.get("message") if isinstance(data, dict) else None
            if isinstance(inner, dict):
                self._line(inner, obj, True, records)
            return
        self._line(obj, obj, obj.get("isSidechain") is True, records)

    def _context(self, sidechain: bool, agent: str) -> Context:
        if not sidechain:
            return self.main
        ctx = self.sides.get(agent)
        if ctx is None:
            ctx = self.sides[agent] = Context()
        return ctx

    def _line(
        self, env: dict[str, Any], outer: dict[str, Any], sidechain: bool, records: list[Any] | bool | None
    ) -> None:
        # The context is looked up only for a line that changes it: any other line, as the
        # lines build.py does not parse, leaves the state as it was.
        agent = _agent_id(env, outer) if sidechain else ""
        kind = env.get("type")
        message = env.get("message")
        if kind == "system" and env.get("subtype") == "compact_boundary":
            self._context(sidechain, agent).clear()
            return
        if not isinstance(message, dict):
            return
        role = message.get("role")
        # A line whose message has usage is a response, whatever else it says (the index counts it).
        if kind == "assistant" or role == "assistant" or isinstance(message.get("usage"), dict):
            ctx = self._context(sidechain, agent)
            self._assistant(env, outer, message, ctx, sidechain, agent, records)
        elif kind == "user" or role == "user":
            ctx = self._context(sidechain, agent)
            ctx.settle()
            self._user(env, message, ctx)

    def _assistant(
        self,
        env: dict[str, Any],
        outer: dict[str, Any],
        message: dict[str, Any],
        ctx: Context,
        side: bool,
        agent: str,
        records: list[Any] | bool | None = False,
    ) -> None:
        msg_id = message.get("id")
        request_id = env.get("requestId") if env is outer else env.get("requestId", outer.get("requestId"))
        pending = ctx.pending
        # Lines of one response share its id; a line without an id is a response of its own.
        if pending is None or msg_id is None or pending[0] != msg_id or pending[1] != request_id:
            ctx.settle()
            pending = ctx.pending = [msg_id, request_id, None, []]
        pending[3].extend(_output_blocks(message.get("content"), ctx, self.agent_calls))
        if not isinstance(message.get("usage"), dict):
            return
        if records is None:  # refused by the index's reader
            return
        if records is True or records is False:
            try:
                # The index's own reader gives the keys it deduplicates by (advisors included).
                records = records_from_line(b"usage", lambda _: outer, self.file_session, candidate=True)
            except Skip:
                return
        if env is outer and records:  # the record read this very usage, validated: its counts
            counts: list[int] = records[0][5]  # type: ignore[assignment]
            usage = [counts[1], counts[3], counts[4], counts[5], counts[2]]
        else:  # a subagent's turn in a progress line: the record read the outer line
            usage = _usage_vector(message["usage"])
        if pending[2] is None or sum(usage) > sum(pending[2]):  # the fullest copy, as the index keeps
            pending[2] = usage
        due, rows = ctx.due, self._rows
        for record in records:
            key = f"{record[0]}\x00{record[1]}"
            row = rows[key] = [side, None, agent]  # split when the message is complete
            due[key] = (row, pending[2], len(pending[3]))

    def _user(self, env: dict[str, Any], message: dict[str, Any], ctx: Context) -> None:
        content = message.get("content")
        if not isinstance(content, list):
            ctx.add(CONVERSATION, _content_tokens(content))
            return
        for block in content:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                call_id = block.get("tool_use_id")
                body = block.get("content")
                tokens = len(body) / CHARS_PER_TOKEN if type(body) is str else _content_tokens(body)
                if not isinstance(call_id, str):
                    ctx.add("unnamed tool", tokens)
                    continue
                ctx.add(ctx.tools.pop(call_id, "") or "unnamed tool", tokens)
                agent_kind = self.agent_calls.pop(call_id, "")
                result = env.get("toolUseResult") if agent_kind else None
                if isinstance(result, dict) and isinstance(result.get("agentId"), str):
                    self.spawned[result["agentId"]] = agent_kind
            else:
                ctx.add(CONVERSATION, _content_tokens([block]))
