"""The scan's merge: parsed reads, spooled by UTC hour (spool.py), merged into the index window by
window.

Split from scan.py along the line where the scan hands over: the scan finds files and has them
parsed (workers.py), and everything from a group's parsed read on, the merge in time order under
the writers' lock and the group states written last, is here; a cold build's merge split across
two processes is coldmerge.py's.
"""

from __future__ import annotations

import marshal

from statusline.index import upkeep
from statusline.index.coldmerge import ColdBatch, merge_cold, split_point
from statusline.index.exact import Batch
from statusline.index.newlines import FileRead
from statusline.index.readback import day_totals
from statusline.index.runs import merge_block, merge_run
from statusline.index.spool import HOURS_PER_BATCH, WINDOW_MS, GroupRead, ReadFields, Spool
from statusline.index.store import Store, pack_of
from statusline.index.update import end_group_pass, group_origin, load_group, merge_read
from statusline.timeutil import DAY_MS, utc_day_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

_day_names: dict[int, str] = {}


def day_of(ts: int) -> str:
    """`utc_day_name`, remembered: a scan asks it for every record."""
    number = ts // DAY_MS
    name = _day_names.get(number)
    if name is None:
        name = _day_names[number] = utc_day_name(ts)
    return name


def _position(state: list[Any] | None) -> tuple[int, int]:
    """Where a file's reads stand: its offset and the provisionally counted tail's length."""
    if not state:
        return (0, 0)
    return (int(state[3]), int(state[6]) if len(state) > 6 else 0)


def _mark_unfinished(store: Store) -> None:
    """Before a cold build merges: renders mark today `…` (and catch up sooner) until a scan
    completes, as on a first build, should this one be killed part way."""
    meta = store.read_meta()
    if meta.pop("full_scan_ms", None) is not None:
        store.write("meta", meta)


def _finish_day(store: Store, day: str) -> None:
    """Write a merged day's summary from the hours just written (in memory), then forget them."""
    if not day:
        return
    day_totals(store, day, rewrite=True)
    for rel in [r for r in store.fresh_hours if r.startswith(f"hours/{day}/")]:
        del store.fresh_hours[rel]  # a year of history must not stay in memory


def _pack(fields: ReadFields, began: dict[str, tuple[int, int]]) -> bytes:
    """A group's reads (their records already spooled) and where they began, as one bytes."""
    return marshal.dumps((fields, began))


def _unpack(packed: bytes) -> tuple[list[FileRead], dict[str, tuple[int, int]]]:
    fields, began = marshal.loads(packed)
    reads = []
    for path, state, counters, consumed, more, unreadable in fields:
        read = FileRead(path)
        read.state, read.counters, read.consumed = state, dict(counters), consumed
        read.more, read.unreadable = more, unreadable
        reads.append(read)
    return reads, began


class Merge(Spool):
    """Parsed reads, spooled by UTC hour, then merged a window of hours at a time under the
    writers' lock.

    Merging in time order writes each hour file once per scan and keeps a window of records and
    hour files in memory. Records wait in the workers' spool files, or, when this process read
    them, in memory up to spool.SPILL_RECORDS and then in private temp files. Within an hour,
    records keep the order of their groups' places in the scan, then of their lines (dedup keeps
    the first of equal copies). Group states (offsets, counters) are written after every hour and
    day is (offsets last).
    """

    def __init__(self, store: Store, epoch: int, generation: str | None = None) -> None:
        super().__init__(store)
        self.epoch = epoch
        # The generation of the index the reads were made against (None: not checked), and
        # whether commit found the index made anew since, and so wrote nothing.
        self.generation = generation
        self.replaced = False
        # Per group (by its place in the scan's order): name, session, project, and its reads
        # (without records) with where they began, packed (_pack): ten thousand sessions' read
        # states as objects cost 15 MB.
        self.groups: dict[int, tuple[str, str, str, bytes]] = {}
        # How far each file of a merged group is now read (for the scan's stat cache).
        self.read_to: dict[str, int] = {}
        # Set by commit: no hour file nor delta was on disk when the merge began (a cold build),
        # so the hours a batch has not loaded are not looked for (coldmerge.ColdBatch).
        self.cold = False

    def add(
        self,
        name: str,
        session: str,
        project: str,
        read: GroupRead,
        saved: dict[str, list[Any]],
        index: int | None = None,
    ) -> None:
        """Spool one group's reads; `saved`: the file states they started from; `index`: the
        group's place in the scan's order (groups may arrive out of it), else the next place."""
        index = len(self.groups) if index is None else index
        fields, blocks, count = read
        began = {path: _position(state) for path, state in saved.items()}
        self.groups[index] = (name, session, project, _pack(fields, began))
        self.add_blocks(index, blocks, count)

    def commit(self, parallel: bool = False) -> list[str]:
        """Merge everything under the lock; return groups with more to read than was read.

        `parallel`: on a cold build (no hour file yet), a forked process merges the later days
        while this one merges the earlier ones (see coldmerge.split_point)."""
        store = self.store
        store.lock(blocking=True)
        try:
            if self.generation is not None and upkeep.generation(store) != self.generation:
                self.replaced = True  # its offsets are the old index's: the next scan reads on
                return []
            # Group states are loaded here only to learn three facts, and again one by one at the
            # end: ten thousand sessions' states need not all be in memory at once.
            count = max(self.groups, default=-1) + 1
            moved = [False] * count
            origins = [0] * count
            rereads: list[set[object] | None] = [None] * count
            packs: dict[str, object] = {}
            saved = upkeep.has_group_states(store)
            # With no hour file yet, no copy of a group's own lines can be in one: no group is
            # re-read against the index (its copies are then just duplicates, as they are).
            cold = self.cold = not store.indexed_days()
            if cold:
                _mark_unfinished(store)
            for index, (name, session, project, packed) in self._in_pack_order(packs):
                group = load_group(store, name, session, project, self.epoch, packs, saved)
                # A group another writer (a render, a second scan) read further meanwhile: its
                # reads here would count those lines again; it is read on from where that stopped.
                # (With no state saved anywhere, none was: every read began and stands at 0.)
                if saved:
                    reads, began = _unpack(packed)
                    # (A tail counted provisionally moves the reads on without moving the offset.)
                    files: dict[str, list[Any]] = group["files"]  # type: ignore[assignment]
                    moved[index] = any(
                        _position(files.get(read.path)) != began.get(read.path, (0, 0))
                        for read in reads
                        if not read.unreadable
                    )
                origins[index] = group_origin(group)
                if group.get("rereading") and not cold:
                    rereads[index] = group.get("reread_ids") or set()  # type: ignore[call-overload]
            tally = Tally(count, moved, origins, rereads)
            windows = self.windows()
            if cold:
                merge_cold(self, windows, split_point(self, windows) if parallel else None, tally)
            else:
                self.merge_windows(windows, tally)
            entries, duplicates, hours = tally.entries, tally.duplicates, tally.hours
            more_to_read: list[tuple[int, str]] = []
            finished: list[tuple[str, dict[str, object]]] = []
            own = upkeep.own_group_files(store)  # no one else writes while this holds the lock
            for index, (name, session, project, packed) in self._in_pack_order(packs, finished, own):
                reads, _began = _unpack(packed)
                if moved[index]:
                    more_to_read.append((index, name))
                    continue
                group = load_group(store, name, session, project, self.epoch, packs, saved)
                if rereads[index] is not None:
                    group["rereading"], group["reread_ids"] = True, rereads[index]
                more = False
                for read in reads:
                    merge_read(None, group, read)
                    more = more or read.more
                for path, state in group["files"].items():  # type: ignore[attr-defined]
                    self.read_to[path] = int(state[3])
                counters: dict[str, int] = group["counters"]  # type: ignore[assignment]
                counters["entries"] = counters.get("entries", 0) + entries[index]
                counters["duplicates"] = counters.get("duplicates", 0) + duplicates[index]
                group["hours"].update(hours[index])  # type: ignore[attr-defined]
                end_group_pass(group, more)
                finished.append((name, group))
                if more:
                    more_to_read.append((index, name))
            upkeep.write_groups(store, finished, own)
            return [name for _, name in sorted(more_to_read)]
        finally:
            store.unlock()
            self.discard()

    def merge_windows(self, windows: list[int], tally: Tally) -> None:
        """Merge the records of these windows in order, writing hour files and day summaries."""
        store = self.store
        moved, origins, rereads = tally.moved, tally.origins, tally.rereads
        entries, duplicates, hours = tally.entries, tally.duplicates, tally.hours
        day = ""
        carried: dict[int, dict[str, dict[object, object]] | None] = {}
        older: dict[int, set[object]] = {}  # per re-read group: the ids met before this window
        for window in windows:
            window_day = day_of(window * WINDOW_MS)
            # The day before is summed once this window is written: its first hour's records
            # may still change the day before's last hour (a better copy replaces one there).
            finished, day = (day if window_day != day else ""), window_day
            batch = ColdBatch(store) if self.cold else Batch(store)
            batch.hours.update(carried)
            rereading: set[int] = set()
            add = batch.add
            for index, block in self.window(window):  # by hour, then arrival order
                if moved[index]:
                    continue
                batch.origin = origins[index]
                batch.reread = rereads[index]
                batch.touched = hours[index]
                items = marshal.loads(block)
                inserted = merge_block(batch, items)  # none of its messages met: inserted at once
                if inserted is not None:
                    added, count = inserted
                else:
                    added, count = 0, len(items)
                    for item in items:
                        if len(item) == 3:  # a run of streaming copies (runs.py)
                            added += merge_run(batch, item)
                            count += len(item[0]) - 1
                        elif add(item) == "entries":
                            added += 1
                entries[index] += added
                duplicates[index] += count - added
                if rereads[index] is not None:
                    rereading.add(index)
            batch.commit(summaries=False)  # the window's hour files, once each
            _finish_day(store, finished)
            # The next window looks one hour back, into this one's last: it need not read the
            # file just written.
            last = (window + 1) * HOURS_PER_BATCH - 1
            carried = {last: batch.hours[last]} if last in batch.hours else {}
            # A re-read pass tells its own lines from their copies by the ids met so far.
            # Copies are seconds apart and a record looks one hour back, so the next window
            # still needs this one's ids (a copy just past its edge is not the group's own line
            # met again), but not the ones before (memory would otherwise hold every id).
            for index in rereading | set(older):
                met: set[object] = rereads[index]  # type: ignore[assignment]
                met -= older.pop(index, set())
                if met:
                    older[index] = set(met)
        _finish_day(store, day)

    def _in_pack_order(
        self,
        packs: dict[str, object],
        finished: list[tuple[str, dict[str, object]]] | None = None,
        own: set[str] | None = None,
    ) -> Iterator[tuple[int, tuple[str, str, str, bytes]]]:
        """The groups, pack by pack: `packs` holds only the current pack (read once), and the
        states in `finished` are written when their pack is done (each pack written once)."""
        by_pack = sorted((pack_of(item[1][0]), item[0], item) for item in self.groups.items())
        current = ""
        for rel, _index, item in by_pack:
            if rel != current:
                if finished:
                    upkeep.write_groups(self.store, finished, own)
                    finished.clear()
                packs.clear()  # ten thousand sessions' states need not all be in memory
                current = rel
            yield item


class Tally:
    """Per group (by place): what a merge decided, and what it needs to know of each group."""

    def __init__(
        self, count: int, moved: list[bool], origins: list[int], rereads: list[set[object] | None]
    ) -> None:
        self.moved, self.origins, self.rereads = moved, origins, rereads
        self.entries, self.duplicates = [0] * count, [0] * count  # lists, not a dict each
        self.hours: list[set[int]] = [set() for _ in range(count)]

    def counted(self) -> tuple[list[int], list[int], list[list[int]]]:
        return self.entries, self.duplicates, [sorted(hours) for hours in self.hours]

    def add(self, counted: tuple[list[int], list[int], list[list[int]]]) -> None:
        """Add what the other process of a split merge counted."""
        entries, duplicates, hours = counted
        for index, n in enumerate(entries):
            self.entries[index] += n
        for index, n in enumerate(duplicates):
            self.duplicates[index] += n
        for index, touched in enumerate(hours):
            self.hours[index].update(touched)
