"""Incremental indexing: new transcript bytes in, hour files out (readback.py reads them back).

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
wins, then one that records `speed`, then the first seen. Keys are kept per UTC hour, and a new
line is checked against its own hour and the two next to it, so a render loads only the few
hours its new lines touch.
"""

from __future__ import annotations

import io
import time

from statusline import fs
from statusline.index import lines
from statusline.index.lines import Skip, file_session_id, records_from_line, records_in
from statusline.index.readback import (
    SessionSums,
    accumulate,
    collapse,
    copy_sums,
    day_totals,
    file_shard,
    hour_of,
    hour_rel,
    ids_bytes,
    others_of,
    read_delta,
    remember_delta,
    sums_of,
)
from statusline.index.store import CorruptIndex, Store, atomic_write
from statusline.timeutil import DAY_MS, HOUR_MS, QUARTER_HOUR_MS, utc_day_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from mmap import mmap
    from typing import Any

COUNTERS = ("lines", "entries", "garbage", "invalid", "synthetic", "duplicates", "unreadable")
# An hour file written within this many hours of now gets an id index (readback.ids_hit): renders
# book into the hours of lines being written now, and a cold build need not index every hour.
IDS_HOURS = 48


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


_day_names: dict[int, str] = {}


def day_of(ts: int) -> str:
    """`utc_day_name`, remembered: a scan asks it for every record."""
    number = ts // DAY_MS
    name = _day_names.get(number)
    if name is None:
        name = _day_names[number] = utc_day_name(ts)
    return name


def _subtract(agg: dict[tuple[object, ...], list[float]], key: tuple[object, ...], vec: list[float]) -> None:
    cur = agg.get(key)
    if cur is None:
        return
    cur[0] -= vec[0]  # unrolled, as in Batch._insert
    cur[1] -= vec[1]
    cur[2] -= vec[2]
    cur[3] -= vec[3]
    cur[4] -= vec[4]
    cur[5] -= vec[5]
    cur[6] -= vec[6]
    if cur[0] <= 0:
        del agg[key]


def _better(new: tuple[object, ...], old: tuple[object, ...]) -> bool:
    """Whether copy `new` replaces the kept copy `old` (ccusage's order of preference)."""
    new_total, new_speed, new_side = new[6], new[7], new[8]
    old_total, old_speed, old_side = old[3], old[4], old[5]
    if new_side != old_side:  # the main conversation's, a subagent's own, a progress line's
        return bool(new_side < old_side)  # type: ignore[operator]
    if new_total != old_total:
        return bool(new_total > old_total)  # type: ignore[operator]
    return bool(new_speed) and not old_speed


def _copy_of_another(entry: tuple[object, ...], session: object) -> bool:
    return entry[1][1] != session and session not in others_of(entry)  # type: ignore[index]


class Batch:
    """Changes made under one lock: the hour files it loaded, changed and writes."""

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
        if hour in self.hours:
            shard = self.hours[hour]
        else:
            rel = self.hour_rel(hour)
            try:
                shard = self.store.read(rel)  # type: ignore[assignment]
            except CorruptIndex:
                shard = None
            if shard is not None and not (
                isinstance(shard.get("keys"), dict) and isinstance(shard.get("agg"), dict)
            ):
                self.store.set_aside(rel)
                shard = None
            self.hours[hour] = shard
            if shard is not None and "copies" not in shard:  # written before copies were summed
                shard["copies"] = copy_sums(shard)  # type: ignore[assignment]
            delta = read_delta(self.store, rel)
            if delta is not None:
                shard = self._fold(hour, shard, delta.records)
        if shard is not None and "copies" not in shard:  # written before copies were summed
            shard["copies"] = copy_sums(shard)  # type: ignore[assignment]
        if shard is None and create:
            shard = {"keys": {}, "agg": {}, "copies": {}}
            self.hours[hour] = shard
        return shard

    def _fold(
        self,
        hour: int,
        shard: dict[str, dict[object, object]] | None,
        records: list[tuple[int, tuple[object, ...]]],
    ) -> dict[str, dict[object, object]] | None:
        """Fold an hour's pending delta into the hour just loaded: its records merged again, in
        the order renders booked them, whatever the file holds now (a delta its file already
        holds, from a writer killed before it removed the delta, is recognised copy by copy).
        The hour is then written, and the delta removed (commit)."""
        self.folded.add(hour)
        if not records:
            return shard
        if shard is None:
            shard = self.hours[hour] = {"keys": {}, "agg": {}, "copies": {}}
        kept = (self.origin, self.reread, self.touched, dict(self.counters), self.added)
        self.reread, self.touched = None, set()
        try:
            for origin, rec in records:
                self.origin = origin
                self.add(rec)
        finally:
            self.origin, self.reread, self.touched, self.counters, self.added = kept
        self.dirty.add(hour)
        return shard

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
        agg = shard["agg"]
        cur: list[float] | None = agg.get(key)  # type: ignore[assignment]
        if cur is None:  # sums and first/last times (this runs for every message a build keeps)
            agg[key] = [*vec, ts, ts]
        else:  # unrolled: a loop over seven items costs twice as much here
            cur[0] += vec[0]
            cur[1] += vec[1]
            cur[2] += vec[2]
            cur[3] += vec[3]
            cur[4] += vec[4]
            cur[5] += vec[5]
            cur[6] += vec[6]
            if ts < cur[7]:
                cur[7] = ts
            if ts > cur[8]:
                cur[8] = ts
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

    def commit(self, summaries: bool = True) -> None:
        """Write changed hour files; then, unless a render (`summaries` off), their day summaries.

        A render leaves the day summary as it is: readers sum a changed hour from its file (or,
        in the process that wrote it, from memory), and the next reader that has to read it
        from disk writes the summary back. So a render writes two files, not three.
        """
        days: set[str] = set()
        store = self.store
        fresh = store.fresh_hours
        recent = int(time.time()) // 3600 - IDS_HOURS
        for hour in sorted(self.dirty | self.folded):
            shard = self.hours.get(hour)
            rel = self.hour_rel(hour)
            if shard is not None and hour in self.dirty:
                # The id index goes first: never one naming a file it does not index.
                _remove(store.path(f"{rel}.ids"))
                sig = self.written[hour] = store.write(rel, shard)
                if hour >= recent:  # where renders book: the hours of lines being written now
                    atomic_write(store.path(f"{rel}.ids"), ids_bytes(shard["keys"], sig))
                fresh[rel] = (sig, collapse(shard["agg"]))  # type: ignore[arg-type]
                days.add(rel.split("/")[1])
            if hour in self.folded:  # in the file now (or nothing to fold): readers skip it anyway
                _remove(store.path(f"{rel}.new"))
                remember_delta(store.path(f"{rel}.new"), (0, 0, 0), None)
        self.folded.clear()
        if summaries:
            for day in sorted(days):
                day_totals(self.store, day, rewrite=True)
        self.dirty.clear()


def _remove(path: str) -> None:
    try:
        fs.unlink(path)
    except FileNotFoundError:
        pass


def fold_pending(store: Store) -> int:
    """Fold every hour's pending delta into its hour file (the background refresh does, under the
    writers' lock, so deltas stay a minute's bookings); return how many hours were folded."""
    batch = Batch(store)
    for day in store.indexed_days():
        try:
            names = fs.listdir(store.path("hours", day))
        except OSError:
            continue
        for name in names:
            if len(name) == 6 and name.endswith(".new") and name[:2].isdigit():
                batch.hour(hour_of(f"hours/{day}/{name[:2]}"), create=False)
    folded = len(batch.folded)
    batch.commit(summaries=True)
    return folded


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


_SCAN_CHUNK = 1 << 20


def _map(fd: int, size: int) -> mmap:
    import mmap as module  # only in a scan's workers

    flags = module.MAP_SHARED | getattr(module, "MAP_POPULATE", 0)  # mapped at once, not page by page
    return module.mmap(fd, size, flags=flags, prot=module.PROT_READ)


def _long_line(fh: io.BufferedReader, start: bytes) -> tuple[bytes | None, int, bool]:
    """Finish a line that did not fit the budget: (the line, or None when it is longer than
    lines.MAX_LINE_BYTES, never held whole; its bytes, newline included; whether it ended)."""
    limit = lines.MAX_LINE_BYTES
    parts = [start]
    size = len(start)
    keep = True
    while True:
        chunk = fh.read(_SCAN_CHUNK)
        cut = chunk.find(b"\n")
        piece = chunk if cut < 0 else chunk[: cut + 1]
        size += len(piece)
        if keep:
            parts.append(piece)
            if size - (cut >= 0) > limit:  # its bytes before the newline
                keep, parts = False, []
        if cut >= 0 or not chunk:
            return (b"".join(parts) if keep else None), size, cut >= 0


# Bytes kept from the start of a file and from just before the read offset: if either differs
# on the next read, the file was rewritten (same size, or a new file on a reused inode) and is
# read again from the start; dedup keeps that from counting anything twice.
FINGERPRINT_BYTES = 64
# File state: [dev, inode, size, offset, mtime_ns, fingerprint, provisional tail length]
_DEV, _INO, _SIZE, _OFFSET, _MTIME, _PRINT, _TAIL = range(7)


def file_changed(state: list[Any] | None, st: fs.stat_result) -> bool:
    """Whether a file may hold bytes the index has not read (by inode, size and mtime)."""
    return (
        state is None
        or state[_INO] != st.st_ino
        or state[_SIZE] != st.st_size
        or state[_MTIME] != st.st_mtime_ns
    )


def _fingerprint(fh: io.BufferedReader, offset: int) -> bytes:
    fh.seek(0)
    head = fh.read(min(offset, FINGERPRINT_BYTES))
    back = min(offset, FINGERPRINT_BYTES)
    fh.seek(offset - back)
    return head + fh.read(back)


class NewLines:
    """What one read of a file found: complete lines, an unterminated tail, the new state."""

    __slots__ = ("consumed", "data", "end", "more", "skipped", "start", "state", "tail")

    def __init__(self, state: list[Any]) -> None:
        # Complete new lines are data[start:end]; start skips a provisionally counted tail that
        # has now ended (it was counted when it was read whole).
        self.data: bytes | bytearray | mmap = b""
        self.start = 0
        self.end = 0
        self.tail = b""  # the unterminated last line, if any (never final: re-read next time)
        self.state = state
        self.consumed = 0
        self.more = False
        self.skipped = 0


def _skip_counter(reason: str) -> str:
    if reason.startswith("not "):
        return "garbage"
    return "synthetic" if reason == "synthetic" else "invalid"


def read_new_lines(
    path: str,
    state: list[Any] | None,
    budget: int,
    whole_long_lines: bool = True,
    into: bytearray | None = None,
    mapped: bool = False,
) -> NewLines:
    """Complete lines appended since `state`, and the unterminated tail.

    A different inode, a file shorter than the offset, or bytes before the offset that differ
    from the fingerprint mean the file was replaced or rewritten: it is read again from the
    start (dedup keeps that from counting anything twice). At most `budget` bytes are read; a
    line longer than the budget is read whole (or skipped past, beyond lines.MAX_LINE_BYTES) only when
    `whole_long_lines` is set, so a render's read is bounded in bytes, whatever the file holds.
    `into`: a buffer to read into, grown as needed, and used as `data` (valid until the next
    read into it): a scan reads a gigabyte, and fresh memory for each file costs the kernel
    more than the copy. `mapped`: a file read from its start within the budget is mapped
    instead, read-only (a scan's worker): its pages are used where they are, not copied (on this
    VM the copy cost about a third of a second per GB). A file cut shorter while it is mapped
    ends the process with SIGBUS when a page past its end is touched: a worker's groups are then
    read by the scanning process itself, which never maps.
    """
    st = fs.stat(path)
    if not fs.is_regular(st.st_mode):  # a FIFO or device would block the reader
        raise IsADirectoryError(path)
    offset = tail_seen = 0
    if (
        state is not None
        and len(state) > _TAIL
        and state[_DEV] == st.st_dev
        and state[_INO] == st.st_ino
        and st.st_size >= state[_OFFSET]
    ):
        offset, tail_seen = state[_OFFSET], state[_TAIL]
    out = NewLines([st.st_dev, st.st_ino, st.st_size, offset, st.st_mtime_ns, b"", 0])
    if offset == 0 and st.st_size == 0:
        return out
    with open(path, "rb") as fh:
        if offset:
            seen = _fingerprint(fh, offset)
            if seen != state[_PRINT]:  # type: ignore[index]
                offset = tail_seen = 0  # rewritten in place: read it all again
                out.state[_OFFSET] = 0
                fh.seek(0)
            out.state[_PRINT] = seen
        if st.st_size <= offset:
            out.state[_TAIL] = tail_seen
            return out
        want = min(st.st_size - offset, budget)
        data: bytes | bytearray | mmap
        if mapped and offset == 0 and want == st.st_size:
            data = _map(fh.fileno(), want)
            size = want
        elif into is None:
            data = fh.read(want)
            size = len(data)
        else:
            if len(into) < want:
                into.extend(bytes(want - len(into)))
            data = into
            size = fh.readinto(memoryview(into)[:want])
        at_eof = offset + size >= st.st_size
        end = data.rfind(b"\n", 0, size) + 1
        if end == 0 and not at_eof:
            if not whole_long_lines:  # leave it to the background scan
                out.consumed, out.more = size, True
                out.state[_TAIL] = tail_seen
                return out
            line, size, ended = _long_line(fh, bytes(data[:size]))
            at_eof = offset + size >= st.st_size
            if line is None and not ended:  # too long, and still being written: judged once whole
                out.consumed = size
                out.state[_TAIL] = tail_seen
                return out
            if line is None:
                out.skipped, out.consumed, out.more = 1, size, not at_eof
                out.state[_OFFSET] = offset + size
                out.state[_PRINT] = _fingerprint(fh, offset + size)
                return out
            data = line
            size = len(data)
            end = data.rfind(b"\n") + 1
        if end:
            out.state[_PRINT] = _fingerprint(fh, offset + end)
    out.data, out.end = data, end
    if tail_seen:
        first = data.find(b"\n", 0, end)
        if first >= 0 and len(data[:first].rstrip(b"\r")) == tail_seen:
            out.start = first + 1  # the provisionally counted tail, now complete
    if at_eof and end < size:
        out.tail = bytes(data[end:size])
        if not end and len(out.tail.rstrip(b"\r")) == tail_seen:
            out.tail = b""  # the same unfinished line as last time, already counted
            out.state[_TAIL] = tail_seen
    out.state[_OFFSET] = offset + end
    out.consumed = end if end else size
    out.more = not at_eof
    return out


class FileRead:
    """One file's new records, parsed (in a worker process during a scan), not yet merged."""

    __slots__ = ("consumed", "counters", "more", "path", "records", "state", "unreadable")

    def __init__(self, path: str) -> None:
        self.path = path
        self.records: list[tuple[object, ...]] = []
        self.counters = dict.fromkeys(("lines", "garbage", "invalid", "synthetic"), 0)
        self.state: list[Any] | None = None
        self.consumed = 0
        self.more = False
        self.unreadable = False


def read_file(
    path: str,
    state: list[Any] | None,
    budget: int,
    loads: Callable[[bytes], object],
    whole_long_lines: bool,
    into: bytearray | None = None,
    feed: Callable[[dict[str, object], list[tuple[object, ...]] | None], None] | None = None,
    mapped: bool = False,
) -> FileRead:
    """Read and parse one file's new lines (no index access: safe in a worker process);
    `into`, `mapped`: see read_new_lines; `feed`: see lines.records_in (the complete lines
    only, not an unfinished last one)."""
    out = FileRead(path)
    try:
        found = read_new_lines(path, state, budget, whole_long_lines, into, mapped)
    except OSError:
        out.unreadable = True
        return out
    counters = out.counters
    out.consumed, out.more, out.state = found.consumed, found.more, found.state
    if found.skipped:
        counters["lines"] += found.skipped
        counters["garbage"] += found.skipped
    file_session = file_session_id(path)
    records = out.records
    data = found.data
    start, end = found.start, found.end
    judged, skips = records_in(data, start, end, loads, file_session, records, feed)
    counters["lines"] += judged  # lines that carry usage, counted or not
    for why, count in skips.items():
        counters[_skip_counter(why)] += count
    if found.tail:
        # A tail that is already a whole usage line counts now, provisionally (see _TAIL).
        try:
            tail_records = records_from_line(found.tail, loads, file_session)
        except Skip:
            tail_records = []  # still being written, or garbage: decided once it ends
        if tail_records:
            counters["lines"] += 1
            records.extend(tail_records)
            found.state[_TAIL] = len(found.tail.rstrip(b"\r"))
    return out


def group_origin(group: dict[str, object]) -> int:
    """The small number a group's kept copies carry, to know its own lines when read again."""
    return _fnv(f"{group.get('project')}~{group.get('session')}") & 0xFFFFFFFF


def start_group(batch: Batch, group: dict[str, object]) -> None:
    """Point a batch at the group whose reads it merges next."""
    batch.origin = group_origin(group)
    batch.reread = group.setdefault("reread_ids", set()) if group.get("rereading") else None  # type: ignore[assignment]


def merge_read(batch: Batch | None, group: dict[str, object], read: FileRead) -> None:
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


def finish_group(batch: Batch, group: dict[str, object], more: bool) -> None:
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


def ingest_group(
    store: Store,
    batch: Batch,
    group: dict[str, object],
    paths: Iterable[str],
    loads: Callable[[bytes], object],
    budget: int,
    whole_long_lines: bool = True,
) -> tuple[int, bool]:
    """Read new lines of a group's files into `batch`; return (bytes read, more left)."""
    reads, consumed, more = read_group(group, paths, loads, budget, whole_long_lines)
    start_group(batch, group)
    for read in reads:
        merge_read(batch, group, read)
    finish_group(batch, group, more)
    return consumed, more


def read_group(
    group: dict[str, object],
    paths: Iterable[str],
    loads: Callable[[bytes], object],
    budget: int,
    whole_long_lines: bool = True,
) -> tuple[list[FileRead], int, bool]:
    """Read and parse the new lines of a group's files, up to `budget` bytes, without touching
    the index or the group: (the reads, bytes read, more left)."""
    files: dict[str, list[Any]] = group["files"]  # type: ignore[assignment]
    consumed = 0
    more = False
    paths = list(paths)
    reads = []
    for n, path in enumerate(paths, 1):
        read = read_file(path, files.get(path), max(budget - consumed, 1), loads, whole_long_lines)
        reads.append(read)
        consumed += read.consumed
        more = more or read.more
        if consumed >= budget:
            # Files left unread are more; a read that used the budget on an unfinished last line
            # is not (a scan reading on for it would never stop).
            more = more or n < len(paths)
            break
    return reads, consumed, more


def commit_groups(
    store: Store,
    batch: Batch,
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
                rel = Batch.hour_rel(hour)
                sig = store.signature(rel)
                cached = cache.get(hour)
                if cached is None or cached[0] != sig:  # type: ignore[index]
                    cache[hour] = (sig, sums_of(file_shard(store, rel), session))
        if append:
            store.append_group_state(name, group)
        else:
            store.write(f"groups/{name}", group)
    batch.written.clear()
