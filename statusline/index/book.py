"""A render's read of its own session: new lines booked into their hours' deltas, or merged exactly.

The exact way (exact.Batch) loads the hour files the new lines touch, every session's dedup
keys of those hours, and writes them back: on a busy day hundreds of KB, on every refresh of
every window, so a render's cost grew with what other sessions wrote. A render books instead
when it can show that none of its new messages can be in those hour files: each hour's id index
(`<HH>.ids`, readback.ids_hit) is binary-searched for the new message ids, and the hours'
pending deltas (`<HH>.new`, readback.read_delta) are read. The new records are then deduplicated
against the deltas alone, which is all the index holds of those ids, and appended to the delta
of their hour: the same records in the same order as the exact way would merge them, so the
writer that folds the delta into the hour file later (exact.Batch.load) makes the same file.

The exact way is also taken when a delta has grown long (FOLD_AT): every reader replays it.
The exact way is taken whenever booking cannot be shown to be exact: a new message id that may
be in an hour file (or two ids sharing a key), an hour file with no id index or one of another
file, a delta its hour file no longer carries (folded by a writer killed before it removed the
delta, or a file an older costline rewrote), one message's copies in two hours, or a copy in the
delta of another hour. The exact way folds the deltas of the hours it loads.
"""

from __future__ import annotations

from statusline import fs
from statusline.index.lines import parse_lean
from statusline.index.newlines import read_group
from statusline.index.readback import (
    DELTA_MAGIC,
    Booked,
    Delta,
    frame,
    hour_rel,
    id_key,
    ids_hit,
    read_delta,
    remember_delta,
    replay,
)
from statusline.index.store import Store, atomic_write, write_all
from statusline.index.update import Dedup, commit_groups, finish_group, merge_read, start_group
from statusline.timeutil import HOUR_MS

# A delta is replayed by every render that reads it (a few µs a record), so it is kept short: a
# render folds it (goes the exact way) once it holds more than FOLD_AT records, or one record per
# FOLD_BYTES of its hour file (the exact way loads and writes that file: worth it less often).
FOLD_AT = 32
FOLD_BYTES = 2048

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    # hour -> (its file's signature or None, its pending delta if any)
    Plan = dict[int, tuple[object, Delta | None]]


def read_session(store: Store, name: str, group: dict[str, object], files: list[str], budget: int) -> bool:
    """Read a session's new lines (up to `budget` bytes) into the index, booked when that is
    exact, else merged the exact way; write the group's state last. Returns whether more is left.
    The caller holds the writers' lock."""
    reads, _, more = read_group(group, files, parse_lean, budget, whole_long_lines=False)
    records = [rec for read in reads for rec in read.records]
    plan = plan_booking(store, records) if records else {}  # no records: no hour to load or book
    batch: Dedup
    if plan is None:
        from statusline.index.exact import Batch  # the exact way: a render books, usually

        batch = Batch(store)
    else:
        batch = Booking(store, plan)
    start_group(batch, group)
    for read in reads:
        merge_read(batch, group, read)
    finish_group(batch, group, more)
    commit_groups(store, batch, {name: group}, summaries=False, all_session_sums=True, append=True)
    return more


def plan_booking(store: Store, records: list[tuple[object, ...]]) -> Plan | None:
    """The hours the records touch (each record's hour and, for one with a message id, the two
    next to it) with their deltas, when booking them is exact; None when it may not be."""
    msg_hour: dict[object, int] = {}
    needed: set[int] = set()
    for rec in records:
        hour: int = rec[9] // HOUR_MS  # type: ignore[operator]
        needed.add(hour)
        if rec[0]:
            if msg_hour.setdefault(rec[0], hour) != hour:
                return None  # copies of one message in two hours
            needed.update((hour - 1, hour + 1))
    plan: Plan = {}
    for hour in sorted(needed):
        rel = hour_rel(hour)
        sig = store.signature(rel)
        delta = read_delta(store, rel)
        if delta is not None and delta.base != sig:
            return None  # a delta its file no longer carries: the exact way folds it
        longest = max(FOLD_AT, sig[1] // FOLD_BYTES if sig else 0)
        if delta is not None and len(delta.records) > longest:
            return None  # long enough to fold
        booked = delta.records if delta is not None else []
        for _, rec in booked:
            if rec[0] and msg_hour.get(rec[0], hour) != hour:
                return None  # a copy booked in the delta of another hour
        if sig is not None:
            keys = [id_key(msg) for msg, at in msg_hour.items() if -1 <= at - hour <= 1]
            if keys and ids_hit(store, rel, sig, keys) is not False:
                return None  # maybe in the hour file, or no id index of this file
        plan[hour] = (sig, delta)
    return plan


class Booking(Dedup):
    """A batch over the planned hours' deltas alone (none of its ids is in their files): the
    records merged are deduplicated as in any batch, and appended to their hours' deltas."""

    __slots__ = ("booked", "plan")

    def __init__(self, store: Store, plan: Plan) -> None:
        super().__init__(store)
        self.plan = plan
        self.booked: dict[int, Booked] = {}
        for hour, (_sig, delta) in plan.items():
            self.hours[hour] = delta.shard(store) if delta is not None else replay(store, hour, [])

    def add(self, rec: tuple[object, ...]) -> str:
        hour: int = rec[9] // HOUR_MS  # type: ignore[operator]
        if hour not in self.booked:  # its shard changes in place: what this process knew of the file goes
            self.booked[hour] = []
            remember_delta(self.store.path(f"{hour_rel(hour)}.new"), (0, 0, 0), None)
        self.booked[hour].append((self.origin, rec))
        return super().add(rec)

    def commit(self, summaries: bool = True) -> None:
        """Append each hour's records to its delta (no hour file is written)."""
        for hour, booked in sorted(self.booked.items()):
            sig, delta = self.plan[hour]
            shard = self.hours[hour]
            append_delta(self.store, hour_rel(hour), sig, delta, booked, shard)  # type: ignore[arg-type]
        self.booked.clear()
        self.dirty.clear()


def append_delta(
    store: Store, rel: str, sig: object, delta: Delta | None, booked: Booked, shard: dict[str, Any]
) -> None:
    """Append one render's records to an hour's delta (None: there is none yet, and it begins
    with the hour file's signature `sig`); `shard`: the delta's records replayed, these included."""
    path = store.path(f"{rel}.new")
    hour = booked[0][1][9] // HOUR_MS  # type: ignore[operator]
    if delta is None:
        folder = store.root
        for part in rel.split("/")[:-1]:
            folder = fs.join(folder, part)
            fs.make_private_folder(folder)
        data = DELTA_MAGIC + frame(("base", sig)) + frame(booked)
        written = atomic_write(path, data)
        records = list(booked)
    else:
        data = frame(booked)
        fd = fs.open_private(path, fs.O_WRONLY | fs.O_APPEND)
        try:
            fs.ftruncate(fd, delta.size)  # a torn append, if any, goes: its render saved no offsets
            write_all(fd, data)
            st = fs.fstat(fd)
        finally:
            fs.close(fd)
        written = (st.st_ino, st.st_size, st.st_mtime_ns)
        records = delta.records + booked
    remember_delta(path, written, Delta(sig, hour, records, written[1], shard))
