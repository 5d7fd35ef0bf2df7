"""The exact way of merging: hour files loaded with their pending deltas folded in, and written
back with their id indexes (update.Dedup's deduplication over whole hour files).

Scans, their merge and the background refresh merge this way, and a render only when it cannot
book its new lines (book.py imports this module then). Split from update.py, which every render
imports, so that a render that books, the usual case, does not load this code.
"""

from __future__ import annotations

import time

from statusline import fs
from statusline.index.newlines import read_group
from statusline.index.readback import (
    IDS_MAGIC,
    collapse,
    copy_sums,
    day_totals,
    hour_of,
    id_key,
    read_delta,
    remember_delta,
)
from statusline.index.store import CorruptIndex, Store, atomic_write
from statusline.index.update import Dedup, finish_group, merge_read, start_group

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

# An hour file written within this many hours of now gets an id index (readback.ids_hit): renders
# book into the hours of lines being written now, and a cold build need not index every hour.
IDS_HOURS = 48


class Batch(Dedup):
    """Changes made under one lock: the hour files it loaded, changed and writes."""

    __slots__ = ()

    def load(self, hour: int) -> dict[str, dict[object, object]] | None:
        """An hour not loaded yet: its file, with its pending delta folded in (see _fold)."""
        rel = self.hour_rel(hour)
        shard: dict[str, dict[object, object]] | None
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


def ids_bytes(keys: Iterable[object], sig: tuple[int, int, int]) -> bytes:
    """An hour file's id index (read by readback.ids_hit): header (magic, the file's signature,
    count), then sorted keys."""
    hashed = sorted({id_key(k) for k in keys})
    head = b"".join(n.to_bytes(8, "little") for n in (*sig, len(hashed)))
    return IDS_MAGIC + head + b"".join(hashed)


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
