"""Incremental indexing and reading back: new transcript bytes in, token buckets out.

Crash safety comes from ordering and idempotence rather than a journal: hour files (dedup keys
and sums together, so they always agree) are written first, day summaries next, and a group's
file offsets last. A crash before the offsets are saved only means those lines are read again,
and dedup recognises every one of them, so nothing is counted twice or lost.

Dedup follows ccusage 20.0.24 (see README) with one difference: copies of one response share
`message.id` and `requestId`, and without a request id `message.id` alone (ccusage also requires
the same session, but a forked session replays history under its new session id); a sidechain
copy loses to the main conversation's; otherwise the copy with the most tokens wins, then one
that records `speed`, then the first seen. Keys are kept per UTC hour, and a new line is
checked against its own hour and the two next to it, so a render loads only the few hours its
new lines touch.
"""

from __future__ import annotations

import io
import os
import stat
import time

from statusline.index.lines import Skip, file_session_id, records_from_line
from statusline.index.store import CorruptIndex, Store
from statusline.timeutil import HOUR_MS, QUARTER_HOUR_MS, utc_day_name, utc_days_in

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from statusline.pricing import Bucket

# A final line without a newline is normally still being written; once the file has been quiet
# this long it is taken as complete.
STALE_TAIL_NS = 300 * 1_000_000_000
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
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def _fnv(text: str) -> int:
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8", "surrogatepass"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _add(
    agg: dict[tuple[object, ...], list[float]], key: tuple[object, ...], vec: list[float], ts: int
) -> None:
    cur = agg.get(key)
    if cur is None:
        agg[key] = [*vec, ts, ts]
        return
    for i in range(7):
        cur[i] += vec[i]
    if ts < cur[7]:
        cur[7] = ts
    if ts > cur[8]:
        cur[8] = ts


def _accumulate(table: dict[Any, list[float]], key: object, vec: list[float]) -> None:
    """Add a token vector into `table[key]`: sums, and first/last times when it carries them."""
    cur = table.get(key)
    if cur is None:
        table[key] = list(vec)
        return
    for i in range(7):
        cur[i] += vec[i]
    if len(vec) > 8:
        cur[7] = min(cur[7], vec[7])
        cur[8] = max(cur[8], vec[8])


def _subtract(agg: dict[tuple[object, ...], list[float]], key: tuple[object, ...], vec: list[float]) -> None:
    cur = agg.get(key)
    if cur is None:
        return
    for i in range(7):
        cur[i] -= vec[i]
    if cur[0] <= 0:
        del agg[key]


def _better(new: tuple[object, ...], old: tuple[object, ...]) -> bool:
    """Whether copy `new` replaces the kept copy `old` (ccusage's order of preference)."""
    new_total, new_speed, new_side = new[6], new[7], new[8]
    old_total, old_speed, old_side = old[3], old[4], old[5]
    if new_side != old_side:
        return not new_side
    if new_total != old_total:
        return bool(new_total > old_total)  # type: ignore[operator]
    return bool(new_speed) and not old_speed


class Batch:
    """Changes made under one lock: hour files and the day-summary deltas they imply."""

    __slots__ = ("counters", "deltas", "dirty", "hours", "old_sigs", "sessions", "store", "touched")

    def __init__(self, store: Store) -> None:
        self.store = store
        self.hours: dict[int, dict[str, dict[object, object]] | None] = {}
        self.old_sigs: dict[int, tuple[int, int, int] | None] = {}
        self.dirty: set[int] = set()
        self.deltas: dict[str, dict[tuple[object, ...], list[float]]] = {}
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.touched: set[int] = set()
        # Per-session token sums added (or taken away by a better copy) in this batch.
        self.sessions: dict[str, dict[tuple[str, int], list[float]]] = {}

    @staticmethod
    def hour_rel(hour: int) -> str:
        day = utc_day_name(hour * HOUR_MS)
        return f"hours/{day}/{hour % 24:02d}"

    def hour(self, hour: int, create: bool) -> dict[str, dict[object, object]] | None:
        if hour in self.hours:
            shard = self.hours[hour]
        else:
            rel = self.hour_rel(hour)
            self.old_sigs[hour] = self.store.signature(rel)
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
        if shard is None and create:
            shard = {"keys": {}, "agg": {}}
            self.hours[hour] = shard
        return shard

    def _delta(self, ts: int, key: tuple[object, ...], vec: list[float], sign: int) -> None:
        day = utc_day_name(ts)
        delta = self.deltas.setdefault(day, {})
        qh, _session, model, cls = key
        tkey = (qh, model, cls)
        if sign > 0:
            _add(delta, tkey, vec, ts)
        else:
            cur = delta.get(tkey)
            if cur is None:
                delta[tkey] = [-v for v in vec] + [ts, ts]
            else:
                for i in range(7):
                    cur[i] -= vec[i]

    def _insert(self, rec: tuple[object, ...], hour: int) -> None:
        msg_id, req, session, model, cls, vec, total, speed, side, ts = rec
        key = (int(ts) // QUARTER_HOUR_MS, session, model, cls)  # type: ignore[call-overload]
        shard = self.hour(hour, create=True)
        assert shard is not None
        if msg_id:
            entries = shard["keys"].setdefault(msg_id, [])
            entries.append((req, key, vec, total, speed, side, ts))  # type: ignore[attr-defined]
        _add(shard["agg"], key, vec, ts)  # type: ignore[arg-type]
        self._delta(ts, key, vec, +1)  # type: ignore[arg-type]
        self._session_sum(session, model, cls, vec, +1)  # type: ignore[arg-type]
        self.dirty.add(hour)
        self.touched.add(hour)

    def _session_sum(self, session: str, model: str, cls: int, vec: list[float], sign: int) -> None:
        sums = self.sessions.setdefault(session, {})
        cur = sums.get((model, cls))
        if cur is None:
            sums[(model, cls)] = [sign * v for v in vec[:7]]
        else:
            for i in range(7):
                cur[i] += sign * vec[i]

    def add(self, rec: tuple[object, ...]) -> None:
        """Merge one usage record, deduplicating against what the index already holds."""
        msg_id, req, session, side = rec[0], rec[1], rec[2], rec[8]
        ts = int(rec[9])  # type: ignore[call-overload]
        hour = ts // HOUR_MS
        if msg_id:
            for h in (hour, hour - 1, hour + 1):
                shard = self.hour(h, create=False)
                if shard is None:
                    continue
                entries = shard["keys"].get(msg_id)
                if not entries:
                    continue
                old: tuple[object, ...]
                for i, old in enumerate(entries):  # type: ignore[arg-type]
                    old_req: object = old[0]
                    old_key: tuple[int, str, str, int] = old[1]
                    same = (
                        (req and req == old_req)
                        or (not req and not old_req)
                        or (old_key[1] == session and side != old[5])
                    )
                    if not same:
                        continue
                    self.counters["duplicates"] += 1
                    if not _better(rec, old):
                        return
                    entries.pop(i)  # type: ignore[attr-defined]
                    if not entries:
                        del shard["keys"][msg_id]
                    _subtract(shard["agg"], old_key, old[2])  # type: ignore[arg-type]
                    self._delta(old_key[0] * QUARTER_HOUR_MS, old_key, old[2], -1)
                    self._session_sum(old_key[1], old_key[2], old_key[3], old[2], -1)
                    self.dirty.add(h)
                    self._insert(rec, hour)
                    return
        self.counters["entries"] += 1
        self._insert(rec, hour)

    def commit(self) -> None:
        """Write changed hour files, then bring the affected day summaries up to date."""
        written: dict[str, dict[str, tuple[int, int, int] | None]] = {}
        for hour in sorted(self.dirty):
            shard = self.hours[hour]
            rel = self.hour_rel(hour)
            day, hh = rel.split("/")[1:]
            if shard is not None:
                self.store.write(rel, shard)
            written.setdefault(day, {})[hh] = self.old_sigs.get(hour)
        for day, old in written.items():
            update_day_summary(self.store, day, self.deltas.get(day, {}), old)
        self.dirty.clear()
        self.deltas.clear()


def hour_sums(store: Store, rel: str) -> dict[tuple[object, ...], list[float]]:
    """The token sums of one hour file ({} when missing or unreadable)."""
    try:
        shard = store.read(rel)
    except CorruptIndex:
        return {}
    agg = shard.get("agg") if isinstance(shard, dict) else None
    return agg if isinstance(agg, dict) else {}


def summarise_day(store: Store, day: str) -> dict[str, object]:
    """Rebuild a day summary from its hour files (the slow, always-right path)."""
    sigs = store.hour_signatures(day)
    tot: dict[tuple[object, ...], list[float]] = {}
    for hh in sorted(sigs):
        for (qh, _session, model, cls), vec in hour_sums(store, f"hours/{day}/{hh}").items():
            _accumulate(tot, (qh, model, cls), vec)
    # The signatures from before reading: if a writer changed an hour meanwhile, this summary
    # will not match and is rebuilt, never trusted.
    return {"sig": sigs, "tot": tot}


def update_day_summary(
    store: Store,
    day: str,
    delta: dict[tuple[object, ...], list[float]],
    old_sigs: dict[str, tuple[int, int, int] | None],
) -> None:
    """Apply a delta when the summary matches the hour files it was built from, else rebuild."""
    rel = f"days/{day}"
    try:
        summary = store.read(rel)
    except CorruptIndex:
        summary = None
    current = store.hour_signatures(day)
    ok = isinstance(summary, dict) and isinstance(summary.get("tot"), dict)
    if ok:
        recorded = summary["sig"]  # type: ignore[index]
        expected = {hh: sig for hh, sig in current.items() if hh not in old_sigs}
        for hh, sig in old_sigs.items():
            if sig is not None:
                expected[hh] = sig
        ok = recorded == expected
    if not ok:
        summary = summarise_day(store, day)
        store.write(rel, summary)
        store.fresh_days[day] = summary["tot"]  # type: ignore[assignment]
        return
    tot = summary["tot"]  # type: ignore[index]
    for tkey, vec in delta.items():
        if tkey not in tot and vec[0] <= 0:
            continue
        _accumulate(tot, tkey, vec)
        if tot[tkey][0] <= 0:
            del tot[tkey]
    summary["sig"] = current  # type: ignore[index]
    store.write(rel, summary)
    store.fresh_days[day] = tot


def _new_group(session: str, project: str) -> dict[str, object]:
    return {
        "files": {},
        "epoch": 0,
        "hours": set(),
        "session": session,
        "project": project,
        "counters": dict.fromkeys(COUNTERS, 0),
    }


def load_group(store: Store, name: str, session: str, project: str, epoch: int) -> dict[str, object]:
    """A group's state; offsets are forgotten when the index asked for a full re-read."""
    try:
        group = store.read(f"groups/{name}")
    except CorruptIndex:
        group = None
    if not isinstance(group, dict) or not isinstance(group.get("files"), dict):
        group = _new_group(session, project)
    if group.get("epoch", 0) != epoch:
        group["files"] = {}
        group["epoch"] = epoch
    return group


# A line longer than this is skipped (and counted) without being held in memory: real
# transcript lines are far smaller, and parsing one this size would stall whoever reads it.
MAX_LINE_BYTES = 32 << 20
_SCAN_CHUNK = 1 << 20


def _long_line(fh: io.BufferedReader, start: bytes, limit: int) -> tuple[bytes | None, int]:
    """Finish a line that did not fit the budget: (the line, or None if over `limit`; bytes)."""
    parts = [start]
    size = len(start)
    keep = True
    while True:
        chunk = fh.read(_SCAN_CHUNK)
        if not chunk:
            return (b"".join(parts) if keep else None), size
        cut = chunk.find(b"\n")
        piece = chunk if cut < 0 else chunk[: cut + 1]
        size += len(piece)
        if keep:
            parts.append(piece)
            if size > limit:
                keep, parts = False, []
        if cut >= 0:
            return (b"".join(parts) if keep else None), size


def read_new_lines(
    path: str, state: list[int] | None, budget: int
) -> tuple[list[bytes], list[int], int, bool, int]:
    """Complete lines appended since `state`.

    Returns (lines, new state, bytes consumed, more unread, lines skipped as too long).
    `state` is [dev, ino, size, offset, mtime_ns]. A different inode or a file shorter than the
    offset means the file was replaced or truncated: it is read again from the start (dedup
    keeps that from counting anything twice). At most `budget` bytes are read, except that one
    line longer than the budget is read whole (or skipped past, beyond MAX_LINE_BYTES).
    """
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block the reader
        raise IsADirectoryError(path)
    offset = 0
    if state is not None and state[0] == st.st_dev and state[1] == st.st_ino and st.st_size >= state[3]:
        offset = state[3]
    new_state = [st.st_dev, st.st_ino, st.st_size, offset, st.st_mtime_ns]
    if st.st_size <= offset:
        return [], new_state, 0, False, 0
    skipped = 0
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(min(st.st_size - offset, budget))
        at_eof = offset + len(data) >= st.st_size
        end = data.rfind(b"\n") + 1
        if end == 0 and not at_eof:
            line, size = _long_line(fh, data, MAX_LINE_BYTES)
            at_eof = offset + size >= st.st_size
            if line is None:
                skipped, data, end = 1, b"", 0
                new_state[3] = offset + size
                return [], new_state, size, not at_eof, skipped
            data = line
            end = data.rfind(b"\n") + 1
    if at_eof and end < len(data) and time.time_ns() - st.st_mtime_ns > STALE_TAIL_NS:
        end = len(data)  # an unterminated last line in a quiet file is complete
    new_state[3] = offset + end
    return data[:end].split(b"\n"), new_state, end, not at_eof, skipped


def ingest_group(
    store: Store,
    batch: Batch,
    group: dict[str, object],
    paths: Iterable[str],
    loads: Callable[[bytes], object],
    budget: int,
) -> tuple[int, bool]:
    """Read new lines of a group's files into `batch`; return (bytes read, more left)."""
    files: dict[str, list[int]] = group["files"]  # type: ignore[assignment]
    counters: dict[str, int] = group["counters"]  # type: ignore[assignment]
    consumed = 0
    more = False
    for path in paths:
        try:
            lines, state, used, remaining, too_long = read_new_lines(
                path, files.get(path), max(budget - consumed, 1)
            )
        except OSError:
            counters["unreadable"] = counters.get("unreadable", 0) + 1
            continue
        consumed += used
        if too_long:
            counters["lines"] = counters.get("lines", 0) + too_long
            counters["garbage"] = counters.get("garbage", 0) + too_long
        more = more or remaining
        file_session = file_session_id(path)
        before = dict(batch.counters)
        for line in lines:
            if not line.strip():
                continue
            counters["lines"] = counters.get("lines", 0) + 1
            try:
                records = records_from_line(line, loads, file_session)
            except Skip as why:
                reason = str(why)
                key = (
                    "garbage"
                    if reason.startswith("not ")
                    else "synthetic"
                    if reason == "synthetic"
                    else "invalid"
                )
                counters[key] = counters.get(key, 0) + 1
                continue
            for rec in records:
                batch.add(rec)
        for name in ("entries", "duplicates"):
            counters[name] = counters.get(name, 0) + batch.counters[name] - before[name]
        files[path] = state
        if consumed >= budget:
            more = True
            break
    hours: set[int] = group["hours"]  # type: ignore[assignment]
    hours.update(batch.touched)
    batch.touched.clear()
    # The session's running token sums, whoever indexes its files: the payload's cost is
    # compared with these to find what Claude Code spent without logging it (unlogged.py).
    own = batch.sessions.pop(str(group.get("session", "")), None)
    if own:
        sums: dict[tuple[str, int], list[float]] = group.setdefault("sums", {})  # type: ignore[assignment]
        for skey, vec in own.items():
            _accumulate(sums, skey, vec)
    return consumed, more


# -- reading ---------------------------------------------------------------------------------
def _day_totals(store: Store, day: str) -> dict[tuple[object, ...], list[float]]:
    fresh = store.fresh_days.get(day)
    if fresh is not None:
        return fresh  # written by this process a moment ago
    try:
        summary = store.read(f"days/{day}")
    except CorruptIndex:
        summary = None
    sigs = store.hour_signatures(day)
    if isinstance(summary, dict) and summary.get("sig") == sigs and isinstance(summary.get("tot"), dict):
        return summary["tot"]  # type: ignore[no-any-return]
    if not sigs:
        return {}
    # Out of date (a writer died between files): rebuild, and save it if no writer is busy.
    summary = summarise_day(store, day)
    if store.lock(blocking=False):
        try:
            store.write(f"days/{day}", summary)
        except OSError:
            pass
        finally:
            store.unlock()
    return summary["tot"]  # type: ignore[return-value]


def range_buckets(store: Store, start_ms: int, end_ms: int) -> list[Bucket]:
    """Buckets whose quarter-hour lies in [start_ms, end_ms)."""
    first_qh = start_ms // QUARTER_HOUR_MS
    last_qh = (end_ms - 1) // QUARTER_HOUR_MS
    out: list[Bucket] = []
    for day in utc_days_in(start_ms, end_ms, store.indexed_days):
        for (qh, model, cls), vec in _day_totals(store, day).items():
            if first_qh <= qh <= last_qh:  # type: ignore[operator]
                out.append((qh, model, cls, vec))  # type: ignore[arg-type]
    return out


def session_buckets(store: Store, hours: set[int], session: str) -> list[Bucket]:
    """Every bucket of one session, from the hours its files touched."""
    out: list[Bucket] = []
    for hour in sorted(hours):
        for (qh, sess, model, cls), vec in hour_sums(store, Batch.hour_rel(hour)).items():
            if sess == session:
                out.append((qh, model, cls, vec))  # type: ignore[arg-type]
    return out
