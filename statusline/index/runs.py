"""A response's streaming copies, folded where a scan parses them and merged as one by one.

Claude Code logs a response several times while it streams (the same message id and request
id, partial then final usage), each copy on the line after the last. The scan's merge
deduplicates every record against the hour files it builds (update.Dedup.add): for a message
met nowhere else, that is an insert, then per later copy a match, and, when the copy is
better, a subtraction and another insert. A scan's worker finds these runs in each group's hour
of records (adjacent records with one message id, request id and session) and hands a run over
as one item; the merge then inserts the copy dedup keeps, and does what the copies kept on the
way would have left: a bucket that outlived one of them keeps its time among its first/last
times. When an hour dedup looks in already holds the message id, the copies are merged one by
one, as before. Either way the hour files, the counters and the touched hours are the ones
merging the records one by one gives (tests/index/test_runs.py checks it on seeded streams).
"""

from __future__ import annotations

from statusline.index.exact import Batch
from statusline.index.readback import add_at
from statusline.index.update import better_record
from statusline.timeutil import HOUR_MS, QUARTER_HOUR_MS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Record = tuple["Any", ...]
# A run: its copies in line order, the index of the copy dedup keeps, and the indices of the
# copies it kept before that one (each better than the one before it, none better than the last).
Run = tuple[tuple[Record, ...], int, tuple[int, ...]]


def message_id(item: Record | Run) -> object:
    """The message id of an item of a folded hour (a record has ten fields, a run three)."""
    return item[0][0][0] if len(item) == 3 else item[0]


def fold_runs(records: list[Record]) -> list[Record | Run]:
    """One group's records of one hour (in line order), each run of two or more adjacent copies
    of a response as one Run."""
    out: list[Record | Run] = []
    append = out.append
    run: list[Record] = []
    prev: Record = (None, None, None)  # no record's message id is None
    for rec in records:
        if rec[0] == prev[0] and rec[1] == prev[1] and rec[2] == prev[2]:
            if not run:
                out.pop()
                run.append(prev)
            run.append(rec)
        else:
            if run:
                append(_run(tuple(run)))
                run = []
            append(rec)
        prev = rec
    if run:
        append(_run(tuple(run)))
    return out


def _run(run: tuple[Record, ...]) -> Run:
    """The run with the copy dedup keeps: each copy is compared with the one kept so far
    (update.better_record, the merge's rule)."""
    kept, passed = 0, []
    for i in range(1, len(run)):
        old = run[kept]
        if better_record(run[i], old):
            passed.append(kept)
            kept = i
    return run, kept, tuple(passed)


def merge_run(batch: Batch, run: Run) -> int:
    """Merge a run's copies into the batch as adding them one by one would; return how many
    counted as entries (the others are duplicates)."""
    found, kept, passed = run
    rec = found[kept]
    msg_id = rec[0]
    hour: int = rec[9] // HOUR_MS
    hours = batch.hours
    # The hours Batch.add looks in, loaded as it loads them.
    own = hours[hour] if hour in hours else batch.hour(hour, create=False)
    for h in (hour, hour - 1, hour + 1):
        shard = own if h == hour else hours[h] if h in hours else batch.hour(h, create=False)
        if shard is not None and shard["keys"].get(msg_id):  # met before: one by one
            return sum(batch.add(copy) == "entries" for copy in found)
    # Met nowhere: the first copy is an entry, each later one matches the copy kept so far.
    batch.added += len(found)
    batch.counters["entries"] += 1
    batch.counters["duplicates"] += len(found) - 1
    if batch.reread is not None:
        batch.reread.add(msg_id)
    if own is None:
        own = batch.hour(hour, create=True)
        assert own is not None
    agg: dict[tuple[Any, ...], list[Any]] = own["agg"]  # type: ignore[assignment]
    for i in passed:
        # Inserted, then subtracted when a better copy came: a bucket that held other messages
        # meanwhile is left with the same sums (the cost added and taken back, as then) and
        # the copy's time among its first/last times; one that held none was created and removed.
        old = found[i]
        ts = old[9]
        key = (ts // QUARTER_HOUR_MS, old[2], old[3], old[4])
        cur = agg.get(key)
        if cur is not None:
            cost = old[5][6]
            cur[6] += cost
            cur[6] -= cost
            if ts < cur[7]:
                cur[7] = ts
            if ts > cur[8]:
                cur[8] = ts
            if cur[0] <= 0:  # (never so in a file this code wrote)
                del agg[key]
    batch._insert(rec, hour, (), own)
    return 1


def merge_block(batch: Batch, items: list[Record | Run]) -> tuple[int, int] | None:
    """Merge one group's folded records of one hour (a block) as merge_run and Batch.add would
    one by one, when none of its messages is met: no message id twice in the block, nor in the
    hours Batch.add looks in (the hour and the two next to it), nor a re-read pass (a cold
    build's usual block). Then each item is an insert, done here without the lookups per item:
    return how many counted as entries and how many records there were. None, with nothing done
    (but those hours loaded, as the first item would), when a message is met: the caller merges
    the items one by one."""
    if batch.reread is not None or not items:
        return None
    first = items[0]
    hour: int = (first[0][first[1]] if len(first) == 3 else first)[9] // HOUR_MS
    ids = [item[0][0][0] if len(item) == 3 else item[0] for item in items]
    met = set(ids)
    if len(met) != len(ids) or not all(ids):
        return None
    hours = batch.hours
    own = hours[hour] if hour in hours else batch.hour(hour, create=False)
    for h in (hour - 1, hour + 1):  # loaded in Batch.add's order
        shard = hours[h] if h in hours else batch.hour(h, create=False)
        if shard is not None and not shard["keys"].keys().isdisjoint(met):
            return None
    if own is None:
        own = batch.hour(hour, create=True)
        assert own is not None
    elif not own["keys"].keys().isdisjoint(met):
        return None
    keys: dict[object, object] = own["keys"]
    agg: dict[tuple[Any, ...], list[Any]] = own["agg"]  # type: ignore[assignment]
    origin = batch.origin
    copies = 0
    for item in items:
        if len(item) == 3:  # a run: as merge_run does for a message met nowhere
            found, kept, passed = item
            copies += len(found) - 1
            for i in passed:
                old = found[i]
                ts = old[9]
                cur = agg.get((ts // QUARTER_HOUR_MS, old[2], old[3], old[4]))
                if cur is not None:
                    cost = old[5][6]
                    cur[6] += cost
                    cur[6] -= cost
                    if ts < cur[7]:
                        cur[7] = ts
                    if ts > cur[8]:
                        cur[8] = ts
                    if cur[0] <= 0:  # (never so in a file this code wrote)
                        del agg[(ts // QUARTER_HOUR_MS, old[2], old[3], old[4])]
            rec = found[kept]
        else:
            rec = item
        # As Dedup._insert with no other session holding a copy.
        msg_id, req, session, model, cls, vec, total, speed, side, ts = rec
        key = (ts // QUARTER_HOUR_MS, session, model, cls)
        keys[msg_id] = [(req, key, vec, total, speed, side, origin, (), ts)]
        add_at(agg, key, vec, ts)
    batch.added += len(items) + copies
    counters = batch.counters
    counters["entries"] += len(items)
    counters["duplicates"] += copies
    batch.dirty.add(hour)
    batch.touched.add(hour)
    return len(items), len(items) + copies
