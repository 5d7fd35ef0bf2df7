"""Incremental indexing: new transcript records in, deduplicated into hours (readback.py reads
the hour files back). The reads are newlines.py's; the exact way of merging, whole hour files
loaded and written, is exact.Batch's; a render's booking into deltas is book.py's.

Crash safety comes from ordering and idempotence rather than a journal: hour files (dedup keys
and sums together, so they always agree) are written first, day summaries next, and a group's
file offsets last. A crash before the offsets are saved only means those lines are read again,
and dedup recognises every one of them, so nothing is counted twice or lost. Nothing derived is
kept as a running total beside the hour files: a session's logged sums (which the unlogged
ledger compares with Claude Code's cost) are read back from the hour files its lines touched
(`session_logged_sums`), so no crash point can leave the two disagreeing. They include the
messages whose kept copy is another session's (a fork indexed before its source): each kept
entry names the other sessions that hold a copy (see `others_of`); a re-read finds its session
already named, so that too is idempotent.

Dedup follows ccusage 20.0.24 (see README) with one difference: copies of one response share
`message.id` and `requestId`, and when either copy has no request id `message.id` alone, in any
session (ccusage then matches only two copies without one, or a sidechain copy); a sidechain
copy loses to the main conversation's, and a subagent's response copied into its parent's
`progress` line loses to both (lines.PROGRESS_COPY); otherwise the copy with the most tokens
wins, then one that records `speed`, then the earliest, then by model, prompt class and logged
cost, so that the copy kept does not depend on the order files are read in (ccusage keeps the
first it reads; copies equal in all of these, a fork's replay of a line, keep the first seen).
Keys are kept per UTC hour, and a new
line is checked against its own hour and the two next to it, so a render loads only the few
hours its new lines touch.
"""

from __future__ import annotations

from statusline.index.lines import file_session_id
from statusline.index.readback import (
    SessionSums,
    accumulate,
    add_at,
    copy_sums,
    file_shard,
    hour_rel,
    others_of,
    sums_of,
)
from statusline.index.store import CorruptIndex, Store
from statusline.timeutil import HOUR_MS, QUARTER_HOUR_MS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from statusline.index.newlines import FileRead

COUNTERS = ("lines", "entries", "garbage", "invalid", "synthetic", "duplicates", "unreadable")


def group_of(path: str) -> tuple[str, str, str]:
    """(group file name, session id, project folder) for a transcript path."""
    parts = path.replace("\\", "/").split("/")
    session = file_session_id("/".join(parts))
    if len(parts) >= 4 and parts[-2] == "subagents":
        project = parts[-4]
    else:
        project = parts[-2] if len(parts) >= 2 else ""
    name = f"{_safe(project)}~{_safe(session)}"
    if len(name) > 180:
        name = f"{name[:160]}~{_fnv(name):016x}"
    return name, session, project


def _safe(text: str) -> str:
    """The text with every character but letters, digits and `-_.` made `_`."""
    rest = text.replace("-", "").replace("_", "").replace(".", "")
    if not rest or rest.isalnum():  # the usual case (a scan asks for every file), in C
        return text
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def _fnv(text: str) -> int:
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8", "surrogatepass"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _subtract(agg: dict[tuple[object, ...], list[float]], key: tuple[object, ...], vec: list[float]) -> None:
    cur = agg.get(key)
    if cur is None:
        return
    cur[0] -= vec[0]  # unrolled, as in Dedup._insert
    cur[1] -= vec[1]
    cur[2] -= vec[2]
    cur[3] -= vec[3]
    cur[4] -= vec[4]
    cur[5] -= vec[5]
    cur[6] -= vec[6]
    if cur[0] <= 0:
        del agg[key]


def _better(new: tuple[object, ...], old: tuple[object, ...]) -> bool:
    """Whether copy `new` (a record) replaces the kept copy `old` (an hour file's entry)."""
    key: tuple[object, ...] = old[1]  # type: ignore[assignment]
    return preferred(new, old[3], old[4], old[5], old[-1], key[2], key[3], old[2])


def better_record(new: tuple[object, ...], old: tuple[object, ...]) -> bool:
    """_better between two records (a worker's streaming copies, runs.py)."""
    return preferred(new, old[6], old[7], old[8], old[9], old[3], old[4], old[5])


def preferred(
    new: tuple[object, ...],
    total: object,
    speed: object,
    side: object,
    ts: object,
    model: object,
    cls: object,
    vec: object,
) -> bool:
    """Whether record `new` is preferred to a copy with these fields: ccusage's order (the main
    conversation's, a subagent's own, a progress line's; then most tokens; then one that records
    `speed`), then the earliest, then by model, prompt class and logged cost, so that which of
    two differing copies is kept never depends on which file was read first (ccusage keeps the
    first it reads). Copies equal in all of these (a fork's replay of a line) keep the first."""
    new_side = new[8]
    if new_side != side:
        return bool(new_side < side)  # type: ignore[operator]
    new_total = new[6]
    if new_total != total:
        return bool(new_total > total)  # type: ignore[operator]
    if bool(new[7]) != bool(speed):
        return bool(new[7])
    try:
        return (new[9], new[3], new[4], new[5][6]) < (ts, model, cls, vec[6])  # type: ignore[index]
    except (TypeError, IndexError):  # an entry of an older index without these: the first stays
        return False


def _copy_of_another(entry: tuple[object, ...], session: object) -> bool:
    return entry[1][1] != session and session not in others_of(entry)  # type: ignore[index]


class Dedup:
    """Records merged under one lock into the hours a batch holds, deduplicated (see the module's
    docstring). Which hours it holds is a subclass's: exact.Batch loads hour files (with their
    deltas), book.Booking is given the deltas of the hours it books into, readback.replay a
    delta's hour alone."""

    __slots__ = (
        "added",
        "counters",
        "dirty",
        "folded",
        "hours",
        "origin",
        "reread",
        "store",
        "touched",
        "written",
    )

    def __init__(self, store: Store) -> None:
        self.store = store
        self.hours: dict[int, dict[str, dict[object, object]] | None] = {}
        self.dirty: set[int] = set()
        self.folded: set[int] = set()  # hours whose pending delta this batch folded in
        self.counters = dict.fromkeys(COUNTERS, 0)
        # Hours holding a copy of a record read in this batch (inserted or matched): a session's
        # logged sums are read back from these, so a re-read after a crash still finds them.
        self.touched: set[int] = set()
        self.written: dict[int, tuple[int, int, int]] = {}  # hour -> signature after commit
        # Which group's files this batch reads (a small number stored with each kept copy), and,
        # while a group is read again from the start, the message ids met so far in that pass:
        # the first meeting with a copy this group itself stored is the same line, not a copy.
        self.origin = 0
        self.reread: set[object] | None = None
        self.added = 0  # records merged: a scan writes the batch out past a bound

    hour_rel = staticmethod(hour_rel)

    def hour(self, hour: int, create: bool) -> dict[str, dict[object, object]] | None:
        """An hour's keys and sums (`create`: made empty when it has none)."""
        shard = self.hours[hour] if hour in self.hours else self.load(hour)
        if shard is not None and "copies" not in shard:  # written before copies were summed
            shard["copies"] = copy_sums(shard)  # type: ignore[assignment]
        if shard is None and create:
            shard = {"keys": {}, "agg": {}, "copies": {}}
            self.hours[hour] = shard
        return shard

    def load(self, hour: int) -> dict[str, dict[object, object]] | None:
        """An hour the batch does not hold yet: nothing here (exact.Batch reads its file)."""
        return None

    def commit(self, summaries: bool = True) -> None:
        """Write what the batch changed (exact.Batch: hour files; book.Booking: deltas)."""
        raise NotImplementedError

    def _insert(
        self,
        rec: tuple[object, ...],
        hour: int,
        others: tuple[object, ...] = (),
        shard: dict[str, dict[object, object]] | None = None,
    ) -> None:
        msg_id, req, session, model, cls, _vec, total, speed, side, _ts = rec
        vec: list[float] = _vec  # type: ignore[assignment]
        ts: int = _ts  # type: ignore[assignment]
        key = (ts // QUARTER_HOUR_MS, session, model, cls)
        if shard is None:
            shard = self.hour(hour, create=True)
            assert shard is not None
        if msg_id:
            entry = (req, key, vec, total, speed, side, self.origin, others, ts)
            keys = shard["keys"]
            entries = keys.get(msg_id)
            if entries is None:
                keys[msg_id] = [entry]
            else:
                entries.append(entry)  # type: ignore[attr-defined]
        for other in others:
            accumulate(shard["copies"], (other, model, cls), vec)  # type: ignore[arg-type]
        add_at(shard["agg"], key, vec, ts)  # type: ignore[arg-type]
        self.dirty.add(hour)
        self.touched.add(hour)

    def add(self, rec: tuple[object, ...]) -> str:
        """Merge one usage record, deduplicating against what the index already holds.

        Returns the counter it counts toward: "entries" or "duplicates".
        """
        # Written for speed (a cold build merges hundreds of thousands): a new message, the
        # usual case, costs three dict lookups before it is inserted.
        self.added += 1
        msg_id = rec[0]
        hour: int = rec[9] // HOUR_MS  # type: ignore[operator]
        hours = self.hours
        own = hours[hour] if hour in hours else self.hour(hour, create=False)
        if msg_id:
            for h in (hour, hour - 1, hour + 1):
                shard = own if h == hour else hours[h] if h in hours else self.hour(h, create=False)
                if shard is None:
                    continue
                entries = shard["keys"].get(msg_id)
                if entries:
                    found = self._match(rec, h, shard, entries)  # type: ignore[arg-type]
                    if found:
                        return found
        self.counters["entries"] += 1
        if self.reread is not None:
            self.reread.add(msg_id)
        if own is None:
            own = self.hour(hour, create=True)
        self._insert(rec, hour, (), own)
        return "entries"

    def _match(
        self, rec: tuple[object, ...], h: int, shard: dict[str, dict[object, object]], entries: list[Any]
    ) -> str:
        """Deduplicate `rec` against an hour's kept copies of its message: the counter it counts
        toward, or "" when none of them is the same request."""
        msg_id, req, session, side = rec[0], rec[1], rec[2], rec[8]
        hour: int = rec[9] // HOUR_MS  # type: ignore[operator]
        old: tuple[object, ...]
        for i, old in enumerate(entries):
            old_req: object = old[0]
            old_key: tuple[int, str, str, int] = old[1]  # type: ignore[assignment]
            # Without a request id on either copy, the message id alone identifies the response
            # (in any session: a fork replays it under its own). A copy of another rank in the
            # same session matches whatever its request id (older indexes hold progress copies
            # that took their outer line's).
            same = not req or not old_req or req == old_req or (old_key[1] == session and side != old[5])
            if not same:
                continue
            self.touched.add(h)
            counted = "entries" if self._same_line_again(msg_id, old) else "duplicates"
            self.counters[counted] += 1
            if not _better(rec, old):
                if _copy_of_another(old, session):  # count it for this session too
                    entries[i] = (*old[:7], tuple(sorted({*others_of(old), session}, key=str)), old[-1])
                    accumulate(shard["copies"], (session, old_key[2], old_key[3]), old[2])  # type: ignore[arg-type]
                    self.dirty.add(h)
                return counted
            entries.pop(i)
            if not entries:
                del shard["keys"][msg_id]
            _subtract(shard["agg"], old_key, old[2])  # type: ignore[arg-type]
            for other in others_of(old):
                _subtract(shard["copies"], (other, old_key[2], old_key[3]), old[2])  # type: ignore[arg-type]
            self.dirty.add(h)
            was = others_of(old)
            if old_key[1] == session and not was:  # a later line of the same response, usually
                self._insert(rec, hour, (), shard if h == hour else None)
            else:
                self._insert(rec, hour, tuple(sorted({*was, old_key[1]} - {session}, key=str)))
            return counted
        return ""

    def _same_line_again(self, msg_id: object, old: tuple[object, ...]) -> bool:
        """Whether a match is this group's own line read again from the start (not a copy)."""
        if self.reread is None or msg_id in self.reread:
            return False
        self.reread.add(msg_id)
        return len(old) > 6 and old[6] == self.origin


def _new_group(session: str, project: str) -> dict[str, object]:
    return {
        "files": {},
        "epoch": 0,
        "hours": set(),
        "session": session,
        "project": project,
        "counters": dict.fromkeys(COUNTERS, 0),
    }


def load_group(
    store: Store,
    name: str,
    session: str,
    project: str,
    epoch: int,
    packs: dict[str, object] | None = None,
    saved: bool = True,
) -> dict[str, object]:
    """A group's state; offsets are forgotten when the index asked for a full re-read.
    `packs`: see Store.read_group. `saved` off: the caller knows no state is saved (a cold
    build's ten thousand sessions need not each look for one)."""
    group = None
    if saved:
        try:
            group = store.read_group(name, packs)
        except CorruptIndex:
            pass
    if not isinstance(group, dict) or not isinstance(group.get("files"), dict):
        group = _new_group(session, project)
        group["epoch"] = epoch
        # No state saved yet: copies this group itself left in hour files can only come from a
        # writer killed before it saved the state, so they are its own lines read again.
        group["rereading"] = True
    if group.get("epoch", 0) != epoch:  # every file is read again: so are the counters
        group["files"] = {}
        group["epoch"] = epoch
        group["counters"] = dict.fromkeys(COUNTERS, 0)
        group["rereading"] = True
    return group


def group_origin(group: dict[str, object]) -> int:
    """The small number a group's kept copies carry, to know its own lines when read again."""
    return _fnv(f"{group.get('project')}~{group.get('session')}") & 0xFFFFFFFF


def start_group(batch: Dedup, group: dict[str, object]) -> None:
    """Point a batch at the group whose reads it merges next."""
    batch.origin = group_origin(group)
    batch.reread = group.setdefault("reread_ids", set()) if group.get("rereading") else None  # type: ignore[assignment]


def merge_read(batch: Dedup | None, group: dict[str, object], read: FileRead) -> None:
    """Merge one file's counters and offset into the group, and its records into the batch
    (dedup) unless a scan merges them by day (`batch` None)."""
    counters: dict[str, int] = group["counters"]  # type: ignore[assignment]
    if read.unreadable:
        counters["unreadable"] = counters.get("unreadable", 0) + 1
        return
    for name, value in read.counters.items():
        if value:
            counters[name] = counters.get(name, 0) + value
    if batch is not None:
        for rec in read.records:
            counted = batch.add(rec)
            counters[counted] = counters.get(counted, 0) + 1
    group["files"][read.path] = read.state  # type: ignore[index]


def finish_group(batch: Dedup, group: dict[str, object], more: bool) -> None:
    """Record the hours the group's lines touched; end a re-read pass once nothing is left."""
    hours: set[int] = group["hours"]  # type: ignore[assignment]
    hours.update(batch.touched)
    batch.touched.clear()
    end_group_pass(group, more)


def end_group_pass(group: dict[str, object], more: bool) -> None:
    """A re-read of the group from the start is over once nothing is left to read."""
    if not more:
        group.pop("rereading", None)
        group.pop("reread_ids", None)


def commit_groups(
    store: Store,
    batch: Dedup,
    groups: dict[str, dict[str, object]],
    summaries: bool = True,
    all_session_sums: bool = False,
    append: bool = False,
) -> None:
    """Write what a batch read: hour files, day summaries, then the groups (offsets last).

    `all_session_sums` (a render): also cache the session's share of every other hour it
    touched whose cache is missing or stale, so the group written now carries them and the
    next render's unlogged check reads no hour file but the one it wrote. `append` (a render):
    each group's state is appended to its file (store.append_state), not written anew.
    """
    batch.commit(summaries)
    # Each written hour's sums per session, so every group caches its share with the signature.
    sessions = {group.get("session") for group in groups.values()}
    by_hour: dict[int, dict[object, SessionSums]] = {}
    for hour in batch.written:
        shard = batch.hours.get(hour)
        agg: dict[tuple[Any, ...], list[float]] = shard.get("agg", {}) if shard else {}  # type: ignore[assignment]
        per_session: dict[object, SessionSums] = {}
        for (_qh, sess, model, cls), vec in agg.items():
            if sess in sessions:
                accumulate(per_session.setdefault(sess, {}), (model, cls), vec[:7])
        copies: dict[tuple[Any, ...], list[float]] = shard.get("copies", {}) if shard else {}  # type: ignore[assignment]
        for (sess, model, cls), vec in copies.items():
            if sess in sessions:
                accumulate(per_session.setdefault(sess, {}), (model, cls), vec[:7])
        by_hour[hour] = per_session
    for name, group in groups.items():
        cache: dict[int, object] = group.setdefault("hour_sums", {})  # type: ignore[assignment]
        session = group.get("session")
        for hour in group.get("hours", ()):  # type: ignore[attr-defined]
            if hour in by_hour:
                cache[hour] = (batch.written[hour], by_hour[hour].get(session, {}))
            elif all_session_sums:
                rel = hour_rel(hour)
                sig = store.signature(rel)
                cached = cache.get(hour)
                if cached is None or cached[0] != sig:  # type: ignore[index]
                    cache[hour] = (sig, sums_of(file_shard(store, rel), session))
        if append:
            store.append_group_state(name, group)
        else:
            store.write(f"groups/{name}", group)
    batch.written.clear()
