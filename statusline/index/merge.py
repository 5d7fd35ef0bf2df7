"""The scan's merge: parsed reads, spooled by UTC hour, merged into the index window by window.

Split from scan.py along the line where the scan hands over: the scan finds files and has them
parsed (workers.py), and everything from a group's parsed read on, the spooling, the merge in
time order under the writers' lock, a cold build's merge split across two processes and the
group states written last, is here.
"""

from __future__ import annotations

import marshal
import os
import shutil

from statusline import fs
from statusline.index import upkeep
from statusline.index.exact import Batch
from statusline.index.newlines import FileRead
from statusline.index.readback import day_totals
from statusline.index.runs import merge_block, merge_run, message_id
from statusline.index.store import (
    Store,
    atomic_write,
    crash_point,
    day_names,
    lock_file,
    pack_of,
    write_all,
)
from statusline.index.update import end_group_pass, group_origin, load_group, merge_read
from statusline.timeutil import DAY_MS, HOUR_MS, utc_day_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

# Hours merged per batch: their hour files (every session's dedup keys) stay in memory until
# the batch is written.
HOURS_PER_BATCH = 2
WINDOW_MS = HOURS_PER_BATCH * HOUR_MS
# A split merge (see Merge._split_point): each side has at least this share of the records, and
# this many day boundaries nearest the middle are tried.
SPLIT_MIN_SHARE = 0.25
SPLIT_TRIES = 8
# Parsed records held in memory before they wait in temp files for their day to be merged.
SPILL_RECORDS = 10_000
# In a scan's spool folder: the file its scan holds locked while it runs (see Merge.__init__).
SPOOL_LOCK = "lock"

# What a group's read hands the merge: its reads' fields (records taken out, see scan._fields), the
# records of each UTC hour as one marshal block (in read order), and how many records there
# are. A block may instead be where a worker spooled it: (spool file, offset, size).
ReadFields = list[tuple["Any", ...]]
Block = bytes | tuple[str, int, int]
GroupRead = tuple[ReadFields, dict[int, Block], int]


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


def _first(item: tuple[int, bytes]) -> int:
    return item[0]


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


class Merge:
    """Parsed reads, spooled by UTC hour, then merged a window of hours at a time under the
    writers' lock.

    Merging in time order writes each hour file once per scan and keeps a window of records and
    hour files in memory. Records wait in the workers' spool files, or, when this process read
    them, in memory up to SPILL_RECORDS and then in private temp files. Within an hour, records
    keep the order of their groups' places in the scan, then of their lines (dedup keeps the
    first of equal copies). Group states (offsets, counters) are written after every hour and
    day is (offsets last).
    """

    def __init__(self, store: Store, epoch: int, generation: str | None = None) -> None:
        self.store = store
        self.epoch = epoch
        # The generation of the index the reads were made against (None: not checked), and
        # whether commit found the index made anew since, and so wrote nothing.
        self.generation = generation
        self.replaced = False
        # Per group (by its place in the scan's order): name, session, project, and its reads
        # (without records) with where they began, packed (_pack): ten thousand sessions' read
        # states as objects cost 15 MB.
        self.groups: dict[int, tuple[str, str, str, bytes]] = {}
        # Records by UTC hour, merged HOURS_PER_BATCH hours (a window) at a time.
        self.spool: dict[int, list[tuple[int, bytes]]] = {}  # hour -> (group index, block)
        self.spooled = 0
        self.spills: dict[int, list[tuple[str, int, int]]] = {}  # hour -> (file, offset, size)
        # Blocks that workers spooled: hour -> (group index, spool file, offset, size).
        self.placed: dict[int, list[tuple[int, str, int, int]]] = {}
        self.open_files: dict[str, int] = {}
        # How far each file of a merged group is now read (for the scan's stat cache).
        self.read_to: dict[str, int] = {}
        self.spill_files = 0
        # Set by commit: no hour file nor delta was on disk when the merge began (a cold build),
        # so the hours a batch has not loaded are not looked for (_ColdBatch).
        self.cold = False
        # A folder of its own, never one a killed scan left (a pid is reused, a random name is
        # not), locked while this scan runs: a sweep removes it only once that lock is free.
        self.folder = store.path(f"spool-{fs.urandom(8).hex()}")
        fs.mkdir(self.folder, 0o700)  # a new folder (never one found there)
        self._folder_lock = fs.open_private(os.path.join(self.folder, SPOOL_LOCK), fs.O_RDWR)
        lock_file(self._folder_lock, blocking=False)

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
        in_memory = False
        for hour, block in blocks.items():
            if type(block) is bytes:
                self.spool.setdefault(hour, []).append((index, block))
                in_memory = True
            else:  # where a worker spooled it
                self.placed.setdefault(hour, []).append((index, *block))
        if in_memory:
            self.spooled += count
        began = {path: _position(state) for path, state in saved.items()}
        self.groups[index] = (name, session, project, _pack(fields, began))
        if self.spooled >= SPILL_RECORDS:
            self._spill()

    def _spill(self) -> None:
        """Write the spool to one temp file, each hour's records as one marshal block."""
        fs.make_private_folder(self.folder)  # never through a link planted there
        path = os.path.join(self.folder, f"{self.spill_files}.tmp")
        self.spill_files += 1
        blocks, offset = [], 0
        for hour, items in self.spool.items():
            block = marshal.dumps(items)
            self.spills.setdefault(hour, []).append((path, offset, len(block)))
            blocks.append(block)
            offset += len(block)
        atomic_write(path, b"".join(blocks))
        self.spool, self.spooled = {}, 0

    def windows(self) -> list[int]:
        hours = set(self.spool) | set(self.spills) | set(self.placed)
        return sorted({hour // HOURS_PER_BATCH for hour in hours})

    def _hour_blocks(self, hour: int) -> list[tuple[int, bytes]]:
        """(group index, block) of one hour, in the order of the groups' places."""
        blocks: list[tuple[int, bytes]] = []
        for path, offset, size in self.spills.get(hour, ()):  # spills are many: opened per read
            fd = os.open(path, os.O_RDONLY)
            try:
                blocks.extend(marshal.loads(os.pread(fd, size, offset)))
            finally:
                os.close(fd)
        blocks.extend(self.spool.get(hour, ()))
        for index, path, offset, size in self.placed.get(hour, ()):
            blocks.append((index, self._pread(path, offset, size)))
        blocks.sort(key=_first)  # stable: a group has one block per hour
        return blocks

    def _window(self, window: int) -> list[tuple[int, bytes]]:
        """(group index, block) of one window: hour by hour, then in the groups' order."""
        first = window * HOURS_PER_BATCH
        return [item for hour in range(first, first + HOURS_PER_BATCH) for item in self._hour_blocks(hour)]

    def _pread(self, path: str, offset: int, size: int) -> bytes:
        """A block of a worker's spool file (one per worker: they stay open till the end)."""
        fd = self.open_files.get(path)
        if fd is None:
            fd = self.open_files[path] = os.open(path, os.O_RDONLY)
        return os.pread(fd, size, offset)

    def commit(self, parallel: bool = False) -> list[str]:
        """Merge everything under the lock; return groups with more to read than was read.

        `parallel`: on a cold build (no hour file yet), a forked process merges the later days
        while this one merges the earlier ones (see _split_point)."""
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
                self._merge_cold(windows, self._split_point(windows) if parallel else None, tally)
            else:
                self._merge_windows(windows, tally)
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

    def _merge_windows(self, windows: list[int], tally: Tally) -> None:
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
            batch = _ColdBatch(store) if self.cold else Batch(store)
            batch.hours.update(carried)
            rereading: set[int] = set()
            add = batch.add
            for index, block in self._window(window):  # by hour, then arrival order
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

    def _split_point(self, windows: list[int]) -> int | None:
        """Where the windows can be merged in two independent runs, or None.

        A record looks for earlier copies in its own hour and the hour before (and, in an index
        that has hour files, the hour after). So on a cold build the windows from a day's
        first hour on merge exactly as they would after the earlier ones if no message id of
        that first hour is also in the hour before it. The split is at such a day boundary,
        the one nearest half the records (by spooled bytes); both sides write their own days.
        """
        weights = [self._weight(window) for window in windows]
        total = sum(weights)
        before, candidates = 0, []
        for i, window in enumerate(windows):
            new_day = i and day_of(window * WINDOW_MS) != day_of(windows[i - 1] * WINDOW_MS)
            if new_day and SPLIT_MIN_SHARE * total <= before <= (1 - SPLIT_MIN_SHARE) * total:
                candidates.append((abs(2 * before - total), i))
            before += weights[i]
        for _, i in sorted(candidates)[:SPLIT_TRIES]:
            if self._apart(windows[i]):
                return i
        return None

    def _weight(self, window: int) -> int:
        """Bytes of spooled records in a window (how long it takes to merge, roughly)."""
        total = 0
        for hour in range(window * HOURS_PER_BATCH, (window + 1) * HOURS_PER_BATCH):
            total += sum(size for _path, _offset, size in self.spills.get(hour, ()))
            total += sum(len(block) for _index, block in self.spool.get(hour, ()))
            total += sum(size for _index, _path, _offset, size in self.placed.get(hour, ()))
        return total

    def _apart(self, window: int) -> bool:
        """Whether no message id of the window's first hour is in the hour before it."""
        first_hour = window * HOURS_PER_BATCH
        ids_before = {
            message_id(item)
            for _, block in self._hour_blocks(first_hour - 1)
            for item in marshal.loads(block)
        }
        return not any(
            message_id(item) in ids_before
            for _, block in self._hour_blocks(first_hour)
            for item in marshal.loads(block)
        )

    def _merge_cold(self, windows: list[int], split: int | None, tally: Tally) -> None:
        """A cold build's merge: its days are written to private trees in the spool folder
        (_Staged: files written in place, their folders made once), by two processes from
        `split` on (_merge_in_two), and moved into the index, a day folder at a time, when all
        is merged. If this process dies first, nothing of them reaches the index, and the next
        scan reads every group again (their offsets are saved after the move)."""
        index = self.store
        earlier = os.path.join(self.folder, "earlier")
        shutil.rmtree(earlier, ignore_errors=True)
        self.store = _Staged(index, earlier)
        try:
            if split is None:
                self._merge_windows(windows, tally)
                later = None
            else:
                later = self._merge_in_two(windows, split, tally)
        finally:
            self.store = index
        self._move_in(earlier)
        if later is not None:
            self._move_in(later)

    def _merge_in_two(self, windows: list[int], split: int, tally: Tally) -> str | None:
        """Merge windows[split:] in a forked process while this one merges the rest (into the
        tree its store is, _Staged); return the tree the other wrote, None if it failed.

        Locks are not inherited: the forked process never writes to the index. It writes its
        days' hour files and summaries to a private tree, and this process, which holds the
        lock, moves them in once both halves are done. If this process dies first, nothing of
        the other's reaches the index (it stops at its next write). Should the other process
        fail, its tree is removed and its windows are merged here."""
        staged = os.path.join(self.folder, "later")
        shutil.rmtree(staged, ignore_errors=True)  # only what this merge's later half writes
        read_end, write_end = os.pipe()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:  # no memory or processes left for it: one process merges it all
            os.close(read_end)
            os.close(write_end)
            self._merge_windows(windows, tally)
            return None
        if pid == 0:  # the other process: merge the later days, send the tallies, exit
            code = 1
            try:
                os.close(read_end)
                self.store = _LaterHalf(self.store, staged, parent)
                self._merge_windows(windows[split:], tally)
                write_all(write_end, marshal.dumps(tally.counted()))
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        try:
            self._merge_windows(windows[:split], tally)
            chunks = []
            while chunk := os.read(read_end, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(read_end)
            _, status = os.waitpid(pid, 0)
        if status == 0 and chunks:
            tally.add(marshal.loads(b"".join(chunks)))
            return staged
        shutil.rmtree(staged, ignore_errors=True)
        self.cold = False  # the hour files just written here are there now: looked for again
        self._merge_windows(windows[split:], tally)
        return None

    def _move_in(self, staged: str) -> None:
        """Move a staged tree's hour files, then its day summaries, into the index (their stat
        signatures, which the summaries hold, survive a rename): a day folder the index does not
        have is moved whole."""
        for day in day_names(os.path.join(staged, "hours")):
            folder = os.path.join(staged, "hours", day)
            target = self.store.path("hours", day)
            if fs.private_folder(target) is None and not os.path.lexists(target):
                try:
                    os.rename(folder, target)
                    continue
                except OSError:  # made meanwhile: its files are moved one by one
                    pass
            fs.make_private_folder(target)
            for name in sorted(os.listdir(folder)):
                os.replace(os.path.join(folder, name), self.store.path("hours", day, name))
        for day in day_names(os.path.join(staged, "days")):
            os.replace(os.path.join(staged, "days", day), self.store.path("days", day))
        shutil.rmtree(staged, ignore_errors=True)

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

    def discard(self) -> None:
        """Close and remove the spooled records."""
        for fd in self.open_files.values():
            os.close(fd)
        self.open_files.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._folder_lock >= 0:
            os.close(self._folder_lock)  # after the removal: a sweep never sees it unlocked
            self._folder_lock = -1


class _ColdBatch(Batch):
    """A cold build's batch: the merge found no day folder under the writers' lock, so no hour
    file nor delta is on disk but what this merge writes, and a window needs only the last hour
    of the window before, which it is handed in memory (_merge_windows). So an hour it has not
    loaded is empty, not looked for: two failed opens an hour spared (a 1 GB build's 2,000)."""

    __slots__ = ()

    def load(self, hour: int) -> dict[str, dict[object, object]] | None:
        self.hours[hour] = None
        return None


class _ScanGone(Exception):
    """The scan that forked the later half of its merge has died."""


class _Staged(Store):
    """The index as a cold build's merge writes it: a private tree in the scan's spool folder,
    moved in when the merge is done (Merge._merge_cold). No one else reads or writes there, so
    a file is written in place, not as a temp file renamed (a rename cost about 40 µs of kernel
    time on this VM; a 1 GB build writes 700 hour files), and each folder is made once."""

    __slots__ = ("made",)

    def __init__(self, store: Store, root: str) -> None:
        super().__init__(store.cache)
        self.root = root
        self.made: set[str] = set()

    def locked(self) -> bool:
        return True  # no one else writes here

    def write(self, rel: str, value: object) -> tuple[int, int, int]:
        path = self.path(rel)
        folder = fs.dirname(path)
        if folder not in self.made:
            fs.make_private_folder(folder)
            self.made.add(folder)
        data = marshal.dumps(value)  # type: ignore[arg-type]
        try:
            fd = fs.create_new(path)
        except FileExistsError:  # written before (an hour a later window changed again)
            return atomic_write(path, data)  # a new file: its signature is not the old one's
        try:
            write_all(fd, data)
            st = fs.fstat(fd)
        finally:
            fs.close(fd)
        crash_point()
        return (st.st_ino, st.st_size, st.st_mtime_ns)


class _LaterHalf(_Staged):
    """The tree the later half of a split merge writes (see Merge._merge_in_two), only while
    the scanning process lives."""

    __slots__ = ("parent", "writes")

    def __init__(self, store: Store, root: str, parent: int) -> None:
        super().__init__(store, root)
        self.parent, self.writes = parent, 0

    def write(self, rel: str, value: object) -> tuple[int, int, int]:
        self.writes += 1
        _pause_for_test(self.writes)
        if os.getppid() != self.parent:  # orphaned: whatever it would write is never used
            raise _ScanGone
        return super().write(rel, value)


def _pause_for_test(writes: int) -> None:
    """Tests: with COSTLINE_SPLIT_PAUSE=<fifo> the later half of a split merge stops before its
    Nth write (COSTLINE_SPLIT_PAUSE_AT, default 1), says so in `<fifo>.ready` (its pid), and
    goes on once the FIFO has been opened for writing and closed."""
    fifo = os.environ.get("COSTLINE_SPLIT_PAUSE")
    if not fifo or writes != int(os.environ.get("COSTLINE_SPLIT_PAUSE_AT") or 1):
        return
    with open(f"{fifo}.ready.tmp", "w", encoding="ascii") as fh:
        fh.write(str(os.getpid()))
    os.replace(f"{fifo}.ready.tmp", f"{fifo}.ready")
    with open(fifo, "rb") as fh:
        fh.read()


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
