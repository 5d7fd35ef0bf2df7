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
from statusline.timeutil import DAY_MS, HOUR_MS, QUARTER_HOUR_MS, days_from_civil, utc_day_name, utc_days_in

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from statusline.pricing import Bucket, Priced

SessionSums = dict[tuple[str, int], list[float]]  # (model, cls) -> token vector


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
    for i in range(7):
        cur[i] += vec[i]
    if len(vec) > 8:
        cur[7] = min(cur[7], vec[7])
        cur[8] = max(cur[8], vec[8])


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


def hour_sums(store: Store, rel: str) -> dict[tuple[object, ...], list[float]]:
    """The token sums of one hour file ({} when missing or unreadable)."""
    try:
        shard = store.read(rel)
    except CorruptIndex:
        return {}
    agg = shard.get("agg") if isinstance(shard, dict) else None
    return agg if isinstance(agg, dict) else {}


def collapse(agg: dict[tuple[Any, ...], list[float]]) -> dict[tuple[object, ...], list[float]]:
    """An hour's sums without the session: per (quarter-hour, model, cls)."""
    tot: dict[tuple[object, ...], list[float]] = {}
    for (qh, _session, model, cls), vec in agg.items():
        accumulate(tot, (qh, model, cls), vec)
    return tot


def day_totals(store: Store, day: str, rewrite: bool = False) -> dict[tuple[object, ...], list[float]]:
    """A UTC day's sums per (quarter-hour, model, cls), from its summary and its hour files.

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
    sigs = store.hour_signatures(day)
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
    return tot


def hour_part(store: Store, rel: str, sig: object) -> tuple[dict[tuple[object, ...], list[float]], bool]:
    """An hour's sums without the session, and whether its file had to be read: from memory in
    the process that just wrote it (while its signature is still `sig`), else from the file."""
    fresh = store.fresh_hours.get(rel)
    if fresh is not None and fresh[0] == sig:
        return fresh[1], False
    return collapse(hour_sums(store, rel)), True


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
    try:
        shard = store.read(rel)
    except CorruptIndex:
        return None
    return shard if isinstance(shard, dict) else None


def session_logged_sums(store: Store, group: dict[str, object]) -> SessionSums:
    """Token sums per (model, cls) of everything the index holds for the group's session.

    Read back from the hour files the session's lines touched, never kept as a running total:
    an hour file is the one place where a message is counted, so a writer killed between files
    cannot leave these sums and the index disagreeing. Each hour's share is cached in the group
    with the hour file's signature and read again only when that file changed.
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
    return out


def range_buckets(store: Store, start_ms: int, end_ms: int) -> list[Bucket]:
    """Buckets whose quarter-hour lies in [start_ms, end_ms)."""
    first_qh = start_ms // QUARTER_HOUR_MS
    last_qh = (end_ms - 1) // QUARTER_HOUR_MS
    out: list[Bucket] = []
    for day in utc_days_in(start_ms, end_ms, store.indexed_days):
        for (qh, model, cls), vec in day_totals(store, day).items():
            if first_qh <= qh <= last_qh:  # type: ignore[operator]
                out.append((qh, model, cls, vec))  # type: ignore[arg-type]
    return out


def session_buckets(store: Store, hours: set[int], session: str, copies: bool = False) -> list[Bucket]:
    """Every bucket of one session, from the hours its files touched (`copies`: also the kept
    messages of other sessions that this session's files hold a copy of, as in its logged sums)."""
    out: list[Bucket] = []
    for hour in sorted(hours):
        shard = file_shard(store, hour_rel(hour))
        agg = shard.get("agg") if shard is not None else None
        for (qh, sess, model, cls), vec in (agg if isinstance(agg, dict) else {}).items():
            if sess == session:
                out.append((qh, model, cls, vec))
        for sess, key, vec, ts in _copies(shard) if copies else ():
            if sess == session:
                out.append((key[0], key[2], key[3], [*vec[:7], ts, ts]))
    return out


def day_buckets(store: Store, start: int, end: int) -> list[Bucket]:
    """The buckets of [start, end): whole quarter-hours from the day files, and when a bound
    falls inside a quarter-hour (an offset like +05:20), that quarter-hour message by message."""
    if not (start % QUARTER_HOUR_MS or end % QUARTER_HOUR_MS):
        return range_buckets(store, start, end)  # nearly every zone: nothing more to read
    from statusline.index.edges import buckets_between

    first, last = -(-start // QUARTER_HOUR_MS), end // QUARTER_HOUR_MS  # whole ones: [first, last)
    out = range_buckets(store, first * QUARTER_HOUR_MS, last * QUARTER_HOUR_MS) if last > first else []
    for qh in {start // QUARTER_HOUR_MS, end // QUARTER_HOUR_MS}:
        if qh * QUARTER_HOUR_MS not in (start, end):
            out.extend(buckets_between(store, qh, start, end))
    return out


def today_total(
    store: Store,
    start: int,
    end: int,
    now_hour: int,
    table: object,
    price: Callable[[list[Bucket]], Priced],
) -> Priced:
    """Today ([start, end), whole hours) as the priced total of its closed hours, kept in `today`
    with every hour file's signature and the price table's (`table`), plus the hour now being
    written.

    A render's today otherwise reads and prices the day's summaries: over a history of
    thousands of sessions, hundreds of buckets on every refresh. The total is used only while
    every closed hour's file and the compiled table are exactly those it was made from.
    """
    from statusline.pricing import Priced

    now_rel = hour_rel(now_hour)
    hours: dict[str, object] = {}
    for day in utc_days_in(start, end, store.indexed_days):
        first = days_from_civil(int(day[:4]), int(day[5:7]), int(day[8:10])) * DAY_MS
        for hh, sig in store.hour_signatures(day).items():
            if start <= first + int(hh) * HOUR_MS < end:
                hours[f"hours/{day}/{hh}"] = sig
    current = hours.pop(now_rel, None)
    if table is None:
        return price(day_buckets(store, start, end))
    key = [start, end, table, sorted(hours.items())]
    try:  # not store.read: an unreadable cache is just a miss, not a reason to re-index
        saved = marshal.loads(fs.read_private(store.path("today")))
    except (OSError, EOFError, ValueError, TypeError):
        saved = None
    if isinstance(saved, dict) and saved.get("key") == key:
        usd, unknown, estimated, messages = saved["priced"]
        closed = Priced()
        closed.usd, closed.messages = usd, messages
        closed.unknown, closed.estimated = set(unknown), set(estimated)
    else:
        buckets = day_buckets(store, start, end)
        closed = price([b for b in buckets if b[0] * QUARTER_HOUR_MS // HOUR_MS != now_hour])
        priced = (closed.usd, sorted(closed.unknown), sorted(closed.estimated), closed.messages)
        try:
            store.write("today", {"key": key, "priced": priced})
        except OSError:
            pass  # a cache that cannot be written: this render still has its figure
    if current is None:
        return closed
    part, _ = hour_part(store, now_rel, current)
    first_qh, last_qh = start // QUARTER_HOUR_MS, (end - 1) // QUARTER_HOUR_MS
    now = price([(qh, m, c, v) for (qh, m, c), v in part.items() if first_qh <= qh <= last_qh])  # type: ignore[misc,operator]
    now.usd += closed.usd
    now.unknown |= closed.unknown
    now.estimated |= closed.estimated
    now.messages += closed.messages
    return now
