"""Reading the index back: hour files, day totals, a session's share, today's total.

Split from update.py (which writes) and the render's Context: every reader of an hour file goes
through `read_hour` here, so what an hour holds is read one way wherever it is read.

An hour file (`hours/<UTC day>/<HH>`) holds the hour's dedup keys and its token sums per
(quarter-hour, session, model, price class); a day summary (`days/<UTC day>`) keeps each hour's
sums without the session, with the stat signature of the hour file they came from, and is
trusted only while that signature matches.
"""

from __future__ import annotations

import marshal

from statusline import fs
from statusline.index.store import CorruptIndex, Store
from statusline.timeutil import HOUR_MS, QUARTER_HOUR_MS, days_from_civil, utc_day_name, utc_days_in

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from statusline.pricing import Bucket

SessionSums = dict[tuple[str, int], list[float]]  # (model, cls) -> token vector
Booked = list[tuple[int, tuple[object, ...]]]  # a delta's records: (origin, record), in order


def hour_rel(hour: int) -> str:
    """An hour file's path in the index, for an hour counted from the epoch."""
    day = utc_day_name(hour * HOUR_MS)
    return f"hours/{day}/{hour % 24:02d}"


def accumulate(table: dict[Any, list[float]], key: object, vec: list[float]) -> None:
    """Add a token vector into `table[key]`: sums, and first/last times when it carries them."""
    cur = table.get(key)
    if cur is None:
        table[key] = list(vec)
        return
    # Written out, not a loop over range(7): a render adds ~70 vectors, and the loop's own
    # bytecode was two thirds of this function's.
    cur[0] += vec[0]
    cur[1] += vec[1]
    cur[2] += vec[2]
    cur[3] += vec[3]
    cur[4] += vec[4]
    cur[5] += vec[5]
    cur[6] += vec[6]
    if len(vec) > 8:
        cur[7] = min(cur[7], vec[7])
        cur[8] = max(cur[8], vec[8])


def add_at(table: dict[Any, list[float]], key: object, vec: list[float], ts: float) -> None:
    """Add a message's token vector, met at `ts`, into `table[key]`: sums, first and last times
    (an hour file's `agg`; this runs for every message a build keeps, so it is written out)."""
    cur = table.get(key)
    if cur is None:
        table[key] = [*vec, ts, ts]
        return
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


# Sessions whose files hold a copy of a kept message: a kept entry is
# (request id, (qh, session, model, cls), vec, total, speed, sidechain, origin, others, time);
# `others` names the other sessions with a copy (entries written before it existed have none and
# count for their kept session only; the index format is unchanged).
# Each of them counts the message in its logged sums (session_logged_sums), which the unlogged
# ledger compares with that session's own running cost, whichever copy dedup kept: a fork indexed
# before its source must not make the source's own message look unlogged. Day totals and
# reports count it once, under the kept copy's session.
def others_of(entry: tuple[object, ...]) -> tuple[object, ...]:
    return entry[7] if len(entry) > 8 and isinstance(entry[7], tuple) else ()


def _file_sums(store: Store, rel: str) -> dict[tuple[object, ...], list[float]]:
    """The token sums of one hour file alone ({} when missing or unreadable)."""
    shard = file_shard(store, rel)
    agg = shard.get("agg") if shard is not None else None
    return agg if isinstance(agg, dict) else {}


def collapse(agg: dict[tuple[Any, ...], list[float]]) -> dict[tuple[object, ...], list[float]]:
    """An hour's sums without the session: per (quarter-hour, model, cls)."""
    tot: dict[tuple[object, ...], list[float]] = {}
    for (qh, _session, model, cls), vec in agg.items():
        accumulate(tot, (qh, model, cls), vec)
    return tot


def day_totals(
    store: Store, day: str, rewrite: bool = False, deltas: bool = True
) -> dict[tuple[object, ...], list[float]]:
    """A UTC day's sums per (quarter-hour, model, cls), from its summary and its hour files, and
    (unless `deltas` is off) what renders booked since in the hours' deltas.

    The summary (`days/<day>`) keeps each hour's sums with the stat signature of the hour file
    they came from; an hour whose file has another signature is summed from that file (or from
    memory, in the process that just wrote it). When a file had to be read, or with `rewrite`,
    the summary is written back if the writers' lock is free. Signatures are taken before
    reading, so a summary can only be behind its files, and is then corrected, never trusted.
    """
    rel = f"days/{day}"
    try:
        summary = store.read(rel)
    except CorruptIndex:
        summary = None
    sigs, pending = day_listing(store, day)
    known_sigs: dict[str, object] = {}
    known: dict[str, dict[tuple[object, ...], list[float]]] = {}
    if (
        isinstance(summary, dict)
        and isinstance(summary.get("sig"), dict)
        and isinstance(summary.get("hours"), dict)
    ):
        known_sigs, known = summary["sig"], summary["hours"]
    parts: dict[str, dict[tuple[object, ...], list[float]]] = {}
    read_any = False
    for hh, sig in sigs.items():
        part = known.get(hh) if known_sigs.get(hh) == sig else None
        if part is None:
            part, was_read = hour_part(store, f"hours/{day}/{hh}", sig)
            read_any = read_any or was_read
        parts[hh] = part
    # Each part holds its own hour's quarter-hours, so the parts are joined, not added up (a
    # render reads a day of many sessions this way: hundreds of keys).
    tot: dict[tuple[object, ...], list[float]] = {}
    for hh in sorted(parts):
        tot.update(parts[hh])
    if len(tot) != sum(len(part) for part in parts.values()):  # not so: add them up after all
        tot = {}
        for hh in sorted(parts):
            for tkey, vec in parts[hh].items():
                accumulate(tot, tkey, vec)
    if (read_any or rewrite) and (known_sigs != sigs or set(known) != set(parts)):
        _write_summary(store, rel, {"sig": sigs, "hours": _float_times(parts)})
    for hh in sorted(pending) if deltas else ():  # never in the summary: it holds files' sums
        delta = delta_shard(store, f"hours/{day}/{hh}", sigs.get(hh))
        for tkey, vec in collapse(delta["agg"]).items() if delta is not None else ():
            if tkey in tot:
                tot[tkey] = list(tot[tkey])  # shared with the parts (and the summary): copied
            accumulate(tot, tkey, vec)
    return tot


def hour_part(store: Store, rel: str, sig: object) -> tuple[dict[tuple[object, ...], list[float]], bool]:
    """An hour's sums without the session, and whether its file had to be read: from memory in
    the process that just wrote it (while its signature is still `sig`), else from the file."""
    fresh = store.fresh_hours.get(rel)
    if fresh is not None and fresh[0] == sig:
        return fresh[1], False
    return collapse(_file_sums(store, rel)), True


def _float_times(parts: dict[str, dict[tuple[object, ...], list[float]]]) -> dict[str, object]:
    """The parts with each bucket's first and last time as floats (exact below 2**53): marshal
    reads floats faster than integers past 32 bits, and a render reads a summary every time."""
    out: dict[str, object] = {}
    for hh, part in parts.items():
        out[hh] = {k: [*v[:7], float(v[7]), float(v[8])] if len(v) > 8 else v for k, v in part.items()}
    return out


def _write_summary(store: Store, rel: str, summary: dict[str, object]) -> None:
    held = store.locked()
    if not held and not store.lock(blocking=False):
        return  # a writer is busy: it will bring the summary up to date
    try:
        store.write(rel, summary)
    except OSError:
        pass
    finally:
        if not held:
            store.unlock()


def _copies(shard: dict[str, Any] | None) -> Iterable[tuple[object, tuple[Any, ...], list[float], int]]:
    """(other session, kept key, kept vec, time) per kept message other sessions hold copies of."""
    keys = shard.get("keys") if isinstance(shard, dict) else None
    for entries in keys.values() if isinstance(keys, dict) else ():
        for entry in entries:
            for sess in others_of(entry):
                yield sess, entry[1], entry[2], entry[-1]


def sums_of(shard: dict[str, Any] | None, session: object) -> SessionSums:
    """One hour's token sums of a session: its kept messages and its copies of others' kept ones."""
    mine: SessionSums = {}
    agg = shard.get("agg") if isinstance(shard, dict) else None
    for (_qh, sess, model, cls), vec in (agg if isinstance(agg, dict) else {}).items():
        if sess == session:
            accumulate(mine, (model, cls), vec[:7])
    copies = shard.get("copies") if isinstance(shard, dict) else None
    if not isinstance(copies, dict):
        copies = copy_sums(shard)
    for (sess, model, cls), vec in copies.items():
        if sess == session:
            accumulate(mine, (model, cls), vec[:7])
    return mine


def copy_sums(shard: dict[str, Any] | None) -> dict[tuple[object, ...], list[float]]:
    """Per (other session, model, cls): the sums of kept messages that session holds copies of.

    Kept in the hour file beside `agg` and changed with the entries' `others`, so a session's
    logged sums never need a walk over every key of an hour.
    """
    sums: dict[tuple[object, ...], list[float]] = {}
    for sess, key, vec, _ts in _copies(shard):
        accumulate(sums, (sess, key[2], key[3]), vec[:7])
    return sums


def file_shard(store: Store, rel: str) -> dict[str, Any] | None:
    """An hour file alone, without its delta (None when missing or unreadable)."""
    try:
        shard = store.read(rel)
    except CorruptIndex:
        return None
    return shard if isinstance(shard, dict) else None


def session_logged_sums(store: Store, group: dict[str, object]) -> SessionSums:
    """Token sums per (model, cls) of everything the index holds for the group's session.

    Read back from the hour files the session's lines touched, never kept as a running total:
    an hour file is the one place where a message is counted, so a writer killed between files
    cannot leave these sums and the index disagreeing. Each hour file's share is cached in the
    group with the file's signature and read again only when that file changed; an hour's
    pending delta (small) is added on top each time.
    """
    cache: dict[int, tuple[object, SessionSums]] = group.setdefault("hour_sums", {})  # type: ignore[assignment]
    session = group.get("session")
    out: SessionSums = {}
    for hour in group.get("hours", ()):  # type: ignore[attr-defined]
        rel = hour_rel(hour)
        sig = store.signature(rel)
        cached = cache.get(hour)
        if cached is None or cached[0] != sig:
            cached = cache[hour] = (sig, sums_of(file_shard(store, rel), session))
        for skey, vec in cached[1].items():
            accumulate(out, skey, vec)
        delta = delta_shard(store, rel, sig)
        for skey, vec in sums_of(delta, session).items() if delta is not None else ():
            accumulate(out, skey, vec)
    return out


def range_buckets(store: Store, start_ms: int, end_ms: int, deltas: bool = True) -> list[Bucket]:
    """Buckets whose quarter-hour lies in [start_ms, end_ms) (`deltas`: see day_totals)."""
    first_qh = start_ms // QUARTER_HOUR_MS
    last_qh = (end_ms - 1) // QUARTER_HOUR_MS
    out: list[Bucket] = []
    for day in utc_days_in(start_ms, end_ms, store.indexed_days):
        for (qh, model, cls), vec in day_totals(store, day, deltas=deltas).items():
            if first_qh <= qh <= last_qh:  # type: ignore[operator]
                out.append((qh, model, cls, vec))  # type: ignore[arg-type]
    return out


def session_buckets(store: Store, hours: set[int], session: str, copies: bool = False) -> list[Bucket]:
    """Every bucket of one session, from the hours its files touched (`copies`: also the kept
    messages of other sessions that this session's files hold a copy of, as in its logged sums)."""
    out: list[Bucket] = []
    for hour in sorted(hours):
        try:
            shard = read_hour(store, hour_rel(hour))
        except CorruptIndex:
            shard = None
        agg = shard.get("agg") if shard is not None else None
        for (qh, sess, model, cls), vec in (agg if isinstance(agg, dict) else {}).items():
            if sess == session:
                out.append((qh, model, cls, vec))
        for sess, key, vec, ts in _copies(shard) if copies else ():
            if sess == session:
                out.append((key[0], key[2], key[3], [*vec[:7], ts, ts]))
    return out


def day_buckets(store: Store, start: int, end: int, deltas: bool = True) -> list[Bucket]:
    """The buckets of [start, end): whole quarter-hours from the day files, and when a bound
    falls inside a quarter-hour (an offset like +05:20), that quarter-hour message by message.
    `deltas` off: the hour files' alone (only for whole quarter-hours)."""
    if not (start % QUARTER_HOUR_MS or end % QUARTER_HOUR_MS):
        return range_buckets(store, start, end, deltas)  # nearly every zone: nothing more to read
    from statusline.index.edges import buckets_between

    first, last = -(-start // QUARTER_HOUR_MS), end // QUARTER_HOUR_MS  # whole ones: [first, last)
    out = range_buckets(store, first * QUARTER_HOUR_MS, last * QUARTER_HOUR_MS) if last > first else []
    for qh in {start // QUARTER_HOUR_MS, end // QUARTER_HOUR_MS}:
        if qh * QUARTER_HOUR_MS not in (start, end):
            out.extend(buckets_between(store, qh, start, end))
    return out


# -- an hour's id index and pending delta ---------------------------------------------------
# Beside an hour file, for the render's sake (see book.py):
#   <HH>.ids  the hour file's message ids, each as ID_BYTES fixed-width bytes (id_key), sorted,
#             after a header naming the hour file's stat signature: a render finds whether its
#             new messages may be in the hour with a binary search of a few 16-byte reads, not
#             a load of every session's keys. Used only while the signature matches.
#   <HH>.new  messages renders booked since the hour file was last written: the hour file's
#             signature when the delta began, then each render's records, appended. What an hour
#             holds is its file plus this delta (`read_hour`), while the delta's signature is
#             the file's; the next writer of the hour file folds it in (exact.Batch.load).
IDS_MAGIC = b"costline ids v1\n"
IDS_HEADER = len(IDS_MAGIC) + 32  # signature (inode, size, mtime) and count, 8 bytes each
ID_BYTES = 16
IDS_READ_WHOLE = 64 << 10  # an id index up to this size is read in one call
DELTA_MAGIC = b"costline new v1\n"


def id_key(msg_id: object) -> bytes:
    """A message id as ID_BYTES bytes: its last ones (message ids end in random characters). Two
    ids with one key only send a render the exact way (reading the hour file), never astray."""
    raw = str(msg_id).encode("utf-8", "surrogatepass")
    return raw[-ID_BYTES:] if len(raw) >= ID_BYTES else raw.rjust(ID_BYTES, b"\0")


def ids_hit(store: Store, rel: str, sig: object, keys: list[bytes]) -> bool | None:
    """Whether any of `keys` may be in the hour file whose signature is `sig` (True), surely is
    not (False), or None when its id index is missing, unreadable or another file's."""
    try:
        fd, st = fs.open_private_read(store.path(f"{rel}.ids"))
    except OSError:
        return None
    try:
        # A small index (a busy hour's thousand ids: 16 KB) is read whole, in one call; a large
        # one is searched a few 16-byte reads at a time.
        whole = fs.pread(fd, st.st_size, 0) if st.st_size <= IDS_READ_WHOLE else b""
        head = whole[:IDS_HEADER] if whole else fs.pread(fd, IDS_HEADER, 0)
        if len(head) != IDS_HEADER or not head.startswith(IDS_MAGIC):
            return None
        at = len(IDS_MAGIC)
        numbers = [int.from_bytes(head[at + 8 * i : at + 8 * i + 8], "little") for i in range(4)]
        if not isinstance(sig, tuple) or tuple(numbers[:3]) != sig:
            return None
        count = numbers[3]
        if st.st_size != IDS_HEADER + ID_BYTES * count or (whole and len(whole) != st.st_size):
            return None
        for key in keys:
            lo, hi = 0, count
            while lo < hi:
                mid = (lo + hi) // 2
                at = IDS_HEADER + ID_BYTES * mid
                found = whole[at : at + ID_BYTES] if whole else fs.pread(fd, ID_BYTES, at)
                if found < key:
                    lo = mid + 1
                elif found > key:
                    hi = mid
                else:
                    return True
        return False
    except OSError:
        return None
    finally:
        fs.close(fd)


class Delta:
    """An hour's pending delta as read: the hour file signature it applies to (`base`), its
    records as (origin, record), the length of its whole frames (`size`: a torn last append is
    cut there by the next one), and, once asked for, the records replayed (`shard`)."""

    __slots__ = ("_shard", "base", "hour", "records", "size")

    def __init__(
        self, base: object, hour: int, records: Booked, size: int, shard: dict[str, Any] | None = None
    ) -> None:
        self.base, self.hour, self.records, self.size = base, hour, records, size
        self._shard = shard

    def shard(self, store: Store) -> dict[str, Any]:
        if self._shard is None:
            self._shard = replay(store, self.hour, self.records)
        return self._shard


# The deltas this process read or appended to, by path: (the file's stat signature, the delta).
# A render reads its hour's delta to book, to price today and to sum its session: once.
_deltas: dict[str, tuple[tuple[int, int, int], Delta]] = {}


def remember_delta(path: str, sig: tuple[int, int, int], delta: Delta | None) -> None:
    """Note what a delta file of signature `sig` holds (None: forget it, it is gone)."""
    if delta is None:
        _deltas.pop(path, None)
    else:
        _deltas[path] = (sig, delta)


def frame(value: object) -> bytes:
    """One frame of a delta file: length (4 bytes, little-endian), then the marshal dump."""
    data = marshal.dumps(value)  # type: ignore[arg-type]
    return len(data).to_bytes(4, "little") + data


def read_delta(store: Store, rel: str) -> Delta | None:
    """An hour's pending delta; None when there is none, or when it is unreadable: then it is
    set aside (to `corrupt/`, and every log is read again, so nothing it held is lost)."""
    path = f"{rel}.new"
    full = store.path(path)
    try:
        known = _deltas.get(full)
        if known is not None and known[0] == store.stat_signature(full):
            return known[1]
        data, st = fs.read_private_stat(full)
    except FileNotFoundError:
        _deltas.pop(full, None)
        return None
    except OSError:  # a link, FIFO or another user's file planted there, or unreadable
        _deltas.pop(full, None)
        store.set_aside(path)
        return None
    hour = hour_of(rel)
    base: object = None
    records: list[tuple[int, tuple[object, ...]]] = []
    at = len(DELTA_MAGIC)
    ok = data.startswith(DELTA_MAGIC)
    first = True
    while ok and at + 4 <= len(data):
        size = int.from_bytes(data[at : at + 4], "little")
        if at + 4 + size > len(data):
            break  # a torn append (its render was killed before it saved its offsets)
        try:
            value = marshal.loads(data[at + 4 : at + 4 + size])
        except (EOFError, ValueError, TypeError):
            ok = False
            break
        if first:
            ok = type(value) is tuple and len(value) == 2 and value[0] == "base"
            base = value[1] if ok else None
            first = False
        else:
            ok = type(value) is list and all(_booked(item, hour) for item in value)
            if ok:
                records.extend(value)
        at += 4 + size
    if not ok or first:
        _deltas.pop(full, None)
        store.set_aside(path)
        return None
    delta = Delta(base, hour, records, at)
    _deltas[full] = ((st.st_ino, st.st_size, st.st_mtime_ns), delta)
    return delta


def _booked(item: object, hour: int) -> bool:
    """Whether a delta's item is (origin, record) as a render books it, in the delta's hour."""
    if type(item) is not tuple or len(item) != 2 or type(item[0]) is not int:
        return False
    rec = item[1]
    return (
        type(rec) is tuple
        and len(rec) == 10
        and type(rec[9]) is int
        and rec[9] // HOUR_MS == hour
        and type(rec[5]) is list
        and len(rec[5]) >= 7
    )


def hour_of(rel: str) -> int:
    """The hour (from the epoch) of `hours/<YYYY-MM-DD>/<HH>`."""
    day = rel[6:16]
    return days_from_civil(int(day[:4]), int(day[5:7]), int(day[8:10])) * 24 + int(rel[17:19])


def replay(store: Store, hour: int, records: Booked) -> dict[str, Any]:
    """A delta's records deduplicated among themselves, as the render that booked them did:
    the keys and sums they add to the hour (none of their ids is in the hour file, or in the
    hours next to it, or the render would have gone the exact way)."""
    from statusline.index.update import Dedup

    batch = Dedup(store)
    shard: dict[str, Any] = {"keys": {}, "agg": {}, "copies": {}}
    batch.hours.update({hour - 1: None, hour: shard, hour + 1: None})
    for origin, rec in records:
        batch.origin = origin
        batch.add(rec)
    return shard


def delta_shard(store: Store, rel: str, sig: object) -> dict[str, Any] | None:
    """What an hour's pending delta adds to its file of signature `sig`; None when nothing does
    (no delta, or one the file no longer carries: its writer folded it in)."""
    delta = read_delta(store, rel)
    if delta is None or delta.base != sig or not delta.records:
        return None
    return delta.shard(store)


def join(shard: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """An hour file's contents with its delta's (their message ids never overlap)."""
    shard["keys"].update(delta["keys"])
    for key, vec in delta["agg"].items():
        accumulate(shard["agg"], key, vec)
    copies = shard["copies"] if isinstance(shard.get("copies"), dict) else copy_sums(shard)
    for key, vec in delta["copies"].items():
        accumulate(copies, key, vec)
    shard["copies"] = copies
    return shard


def read_hour(store: Store, rel: str) -> dict[str, Any] | None:
    """What one hour holds: its file plus the delta renders booked since it was written. THE
    reader of hour files (sums, messages, keys): None when there is neither; CorruptIndex when
    the file cannot be read (it has been set aside)."""
    found = store.read_signed(rel)
    shard, sig = found if found is not None else (None, None)
    if shard is not None and not (isinstance(shard.get("keys"), dict) and isinstance(shard.get("agg"), dict)):
        shard, sig = None, store.signature(rel)
    delta = delta_shard(store, rel, sig)
    if delta is None:
        return shard
    return delta if shard is None else join(shard, delta)


def day_listing(store: Store, day: str) -> tuple[dict[str, tuple[int, int, int]], set[str]]:
    """A UTC day's hour files (their stat signatures) and the hours with a pending delta."""
    folder = store.path("hours", day)
    try:
        names = fs.listdir(folder)
    except OSError:
        return {}, set()
    sigs: dict[str, tuple[int, int, int]] = {}
    deltas: set[str] = set()
    for name in names:
        if len(name) == 2 and name.isdigit():
            try:
                sigs[name] = store.stat_signature(fs.join(folder, name))
            except OSError:
                pass
        elif len(name) == 6 and name.endswith(".new") and name[:2].isdigit():
            deltas.add(name[:2])
    return sigs, deltas
