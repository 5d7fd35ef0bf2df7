"""The full scan: find every transcript under every config dir and index what changed.

Run out of band (`costline index refresh`, started detached by renders on a schedule) or by
hand. It stats every file, so it is kept off the render path; a cache of the stats it saw last
time lets it skip unchanged files without opening their group state.
"""

from __future__ import annotations

import marshal
import os
import shutil
import time

from statusline.index.lines import fast_parser
from statusline.index.store import (
    FORMAT,
    CorruptIndex,
    Store,
    atomic_write,
    clear_progress,
    pack_of,
    write_all,
    write_progress,
)
from statusline.index.update import (
    Batch,
    FileRead,
    commit_groups,
    day_of,
    day_totals,
    end_group_pass,
    group_of,
    group_origin,
    ingest_group,
    load_group,
    merge_read,
    read_file,
)
from statusline.paths import projects_dirs
from statusline.timeutil import HOUR_MS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

# Bytes read per lock hold: renders get the lock between chunks (a longer line is read whole,
# up to lines.MAX_LINE_BYTES).
CHUNK_BYTES = 32 << 20


class FileStat:
    """What a scan keeps of a file's stat (a full stat_result is ten times the size)."""

    __slots__ = ("st_dev", "st_ino", "st_mtime_ns", "st_size")

    def __init__(self, st: os.stat_result) -> None:
        self.st_dev, self.st_ino, self.st_size, self.st_mtime_ns = (
            st.st_dev,
            st.st_ino,
            st.st_size,
            st.st_mtime_ns,
        )


def walk_transcripts(roots: list[str]) -> Iterator[tuple[str, FileStat]]:
    """Every `*.jsonl` below the roots (subagent folders included), with its stat, in path order.

    Symlinked folders are followed (a project folder may live elsewhere); each real folder is
    entered once, so a link back up the tree cannot loop, and each real file is listed once,
    under the first path that reaches it.
    """
    found: list[tuple[str, FileStat]] = []
    entered: set[tuple[int, int]] = set()
    stack = sorted(roots, reverse=True)
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in entered:
            continue
        entered.add((st.st_dev, st.st_ino))
        for entry in entries:
            try:
                if entry.is_dir():  # follows symlinks
                    stack.append(entry.path)
                elif entry.name.endswith(".jsonl") and entry.is_file():
                    found.append((entry.path, FileStat(entry.stat())))
            except OSError:
                continue
    found.sort(key=lambda item: item[0])
    listed: set[tuple[int, int]] = set()
    for path, file_stat in found:
        if (file_stat.st_dev, file_stat.st_ino) not in listed:
            listed.add((file_stat.st_dev, file_stat.st_ino))
            yield path, file_stat


class ScanReport:
    """What one scan did."""

    __slots__ = ("bytes_read", "bytes_total", "files", "files_read", "groups_read", "seconds")

    def __init__(self) -> None:
        self.files = 0
        self.bytes_total = 0
        self.files_read = 0
        self.bytes_read = 0
        self.groups_read = 0
        self.seconds = 0.0


# Hours merged per batch: their hour files (every session's dedup keys) stay in memory until
# the batch is written.
HOURS_PER_BATCH = 2
WINDOW_MS = HOURS_PER_BATCH * HOUR_MS
# A split merge (see _Merge._split_point): each side has at least this share of the records, and
# this many day boundaries nearest the middle are tried.
SPLIT_MIN_SHARE = 0.25
SPLIT_TRIES = 8
# Parsed records held in memory before they wait in temp files for their day to be merged.
SPILL_RECORDS = 10_000
# Below this many bytes to read, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 16 << 20
# A group with more than this to read is read by the scanning process itself, chunk by chunk.
# (A budget, not a line limit: lines.MAX_LINE_BYTES is the one limit on every path.)
WORKER_MAX_BYTES = 64 << 20

_worker_loads: Callable[[bytes], object] | None = None
# A worker reads every file into this one buffer (it grows to the largest file it reads).
_worker_buffer = bytearray()
Task = tuple[str, list[str], dict[str, list["Any"]]]  # group name, its files, their saved states


# What a group's read hands the merge: its reads' fields (records taken out, see _fields), the
# records of each UTC hour as one marshal block (in read order), and how many records there
# are. A block may instead be where a worker spooled it: (spool file, offset, size).
ReadFields = list[tuple["Any", ...]]
Block = bytes | tuple[str, int, int]
GroupRead = tuple[ReadFields, dict[int, Block], int]


def _read_group(task: Task) -> tuple[ReadFields, dict[int, bytes], int]:
    """In a worker process: read and parse one group's new lines (nothing is written)."""
    global _worker_loads
    if _worker_loads is None:
        _worker_loads = fast_parser()
    return _by_hour(_read_paths(task, _worker_loads, _worker_buffer))


def _fields(reads: list[FileRead]) -> ReadFields:
    """What the merge needs of each read besides its records, in plain values."""
    return [(r.path, r.state, list(r.counters.items()), r.consumed, r.more, r.unreadable) for r in reads]


def _by_hour(reads: list[FileRead]) -> tuple[ReadFields, dict[int, bytes], int]:
    """The records as one marshal block per UTC hour. Packed where they were parsed, they reach
    the merging process as a few bytes objects, not as a hundred thousand tuples to unpickle
    and spool one by one: that process shares the cores with the workers."""
    hours: dict[int, list[tuple[object, ...]]] = {}
    count = 0
    for read in reads:
        for rec in read.records:
            hour = rec[9] // HOUR_MS  # type: ignore[operator]
            bucket = hours.get(hour)
            if bucket is None:
                bucket = hours[hour] = []
            bucket.append(rec)
        count += len(read.records)
        read.records = []
    return _fields(reads), {hour: marshal.dumps(recs) for hour, recs in hours.items()}, count


def _read_paths(
    task: tuple[str, list[str], dict[str, list[Any]]],
    loads: Callable[[bytes], object],
    into: bytearray | None = None,
) -> list[FileRead]:
    _name, paths, states = task
    return [read_file(p, states.get(p), WORKER_MAX_BYTES, loads, True, into) for p in paths]


def _saved_states(
    store: Store, name: str, epoch: int, packs: dict[str, object] | None = None
) -> dict[str, list[Any]]:
    """The file offsets a group's state holds (read-only; {} when absent or being re-read).
    `packs`: the packs read so far, by path."""
    packs = {} if packs is None else packs
    try:
        with open(store.path("groups", name), "rb") as fh:
            group: object = marshal.loads(fh.read())
    except FileNotFoundError:  # in its pack, if anywhere
        group = store.pack_entry(name, packs, peek=True)
    except (OSError, EOFError, ValueError, TypeError):
        group = None
    if not isinstance(group, dict) or group.get("epoch", 0) != epoch:
        return {}
    files: dict[str, list[Any]] | object = group.get("files")
    return files if isinstance(files, dict) else {}


def _worker_pool(workers: int) -> Any:
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method).Pool(workers)


def _position(state: list[Any] | None) -> tuple[int, int]:
    """Where a file's reads stand: its offset and the provisionally counted tail's length."""
    if not state:
        return (0, 0)
    return (int(state[3]), int(state[6]) if len(state) > 6 else 0)


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


class _Merge:
    """Parsed reads, spooled by UTC hour, then merged a window of hours at a time under the
    writers' lock.

    Merging in time order writes each hour file once per scan and keeps a window of records and
    hour files in memory. Records wait in the workers' spool files, or, when this process read
    them, in memory up to SPILL_RECORDS and then in private temp files. Within an hour, records
    keep the order of their groups' places in the scan, then of their lines (dedup keeps the
    first of equal copies). Group states (offsets, counters) are written after every hour and
    day is (offsets last).
    """

    def __init__(self, store: Store, epoch: int) -> None:
        self.store = store
        self.epoch = epoch
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
        self.folder = store.path(f"spool-{os.getpid()}")

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
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
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
            # Group states are loaded here only to learn three facts, and again one by one at the
            # end: ten thousand sessions' states need not all be in memory at once.
            count = max(self.groups, default=-1) + 1
            moved = [False] * count
            origins = [0] * count
            rereads: list[set[object] | None] = [None] * count
            packs: dict[str, object] = {}
            saved = store.has_group_states()
            # With no hour file yet, no copy of a group's own lines can be in one: no group is
            # re-read against the index (its copies are then just duplicates, as they are).
            cold = not store.indexed_days()
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
            tally = _Tally(count, moved, origins, rereads)
            windows = self.windows()
            split = self._split_point(windows) if parallel and cold else None
            if split is None:
                self._merge_windows(windows, tally)
            else:
                self._merge_in_two(windows, split, tally)
            entries, duplicates, hours = tally.entries, tally.duplicates, tally.hours
            more_to_read: list[tuple[int, str]] = []
            finished: list[tuple[str, dict[str, object]]] = []
            own = store.own_group_files()  # no one else writes while this holds the lock
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
            store.write_groups(finished, own)
            return [name for _, name in sorted(more_to_read)]
        finally:
            store.unlock()
            self.discard()

    def _merge_windows(self, windows: list[int], tally: _Tally) -> None:
        """Merge the records of these windows in order, writing hour files and day summaries."""
        store = self.store
        moved, origins, rereads = tally.moved, tally.origins, tally.rereads
        entries, duplicates, hours = tally.entries, tally.duplicates, tally.hours
        day = ""
        carried: dict[int, dict[str, dict[object, object]] | None] = {}
        for window in windows:
            window_day = day_of(window * WINDOW_MS)
            if window_day != day:
                _finish_day(store, day)
                day = window_day
            batch = Batch(store)
            batch.hours.update(carried)
            rereading: set[int] = set()
            add = batch.add
            for index, block in self._window(window):  # by hour, then arrival order
                if moved[index]:
                    continue
                batch.origin = origins[index]
                batch.reread = rereads[index]
                batch.touched = hours[index]
                added = 0
                recs = marshal.loads(block)
                for rec in recs:
                    if add(rec) == "entries":
                        added += 1
                entries[index] += added
                duplicates[index] += len(recs) - added
                if rereads[index] is not None:
                    rereading.add(index)
            batch.commit(summaries=False)  # the window's hour files, once each
            # The next window looks one hour back, into this one's last: it need not read the
            # file just written.
            last = (window + 1) * HOURS_PER_BATCH - 1
            carried = {last: batch.hours[last]} if last in batch.hours else {}
            # A re-read pass tells its own lines from their copies by the ids met so far;
            # copies are seconds apart, so a window's ids are forgotten after it (memory
            # would otherwise hold every message id of a cold build).
            for index in rereading:
                rereads[index].clear()  # type: ignore[union-attr]
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
            rec[0] for _, block in self._hour_blocks(first_hour - 1) for rec in marshal.loads(block)
        }
        return not any(
            rec[0] in ids_before for _, block in self._hour_blocks(first_hour) for rec in marshal.loads(block)
        )

    def _merge_in_two(self, windows: list[int], split: int, tally: _Tally) -> None:
        """Merge windows[split:] in a forked process while this one merges the rest; should the
        other process fail, what it wrote is removed and its windows are merged here."""
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no memory or processes left for it: one process merges it all
            os.close(read_end)
            os.close(write_end)
            self._merge_windows(windows, tally)
            return
        if pid == 0:  # the other process: merge the later days, send the tallies, exit
            code = 1
            try:
                os.close(read_end)
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
            return
        days = sorted({day_of(window * WINDOW_MS) for window in windows[split:]})
        for day in days:  # a cold build: nothing of these days was there before
            shutil.rmtree(self.store.path("hours", day), ignore_errors=True)
            try:
                os.unlink(self.store.path("days", day))
            except OSError:
                pass
        self._merge_windows(windows[split:], tally)

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
                    self.store.write_groups(finished, own)
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


class _Tally:
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


def drop_old_formats(folder: str, current: int) -> None:
    """Remove the `v1` … folders an older costline left beside the current format's."""
    for version in range(1, current):
        old = os.path.join(folder, f"v{version}")
        if os.path.isdir(old) and not os.path.islink(old):
            shutil.rmtree(old, ignore_errors=True)


def scan(
    store: Store,
    loads: Callable[[bytes], object],
    roots: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    parallel_min_bytes: int = PARALLEL_MIN_BYTES,
) -> ScanReport:
    """Index every changed transcript; mark the index complete as of this scan's start.

    Files are parsed by worker processes (one per core) and merged by this one, oldest group
    first so that a batch's hours are mostly written once; a group too large for a worker is
    read here, chunk by chunk.
    """
    import gc

    started = time.time()
    report = ScanReport()
    store.ensure()
    drop_old_formats(os.path.join(store.cache, "index"), FORMAT)
    collecting = gc.isenabled()
    gc.disable()  # millions of small acyclic tuples: generational passes would only cost time
    try:
        return _scan(store, loads, roots, progress, workers, parallel_min_bytes, started, report)
    finally:
        if collecting:
            gc.enable()


def _scan(
    store: Store,
    loads: Callable[[bytes], object],
    roots: list[str] | None,
    progress: Callable[[int, int], None] | None,
    workers: int | None,
    parallel_min_bytes: int,
    started: float,
    report: ScanReport,
) -> ScanReport:
    roots = projects_dirs() if roots is None else roots
    meta = store.read_meta()
    epoch = int(meta.get("rescan_epoch", 0))  # type: ignore[call-overload]
    try:
        seen = store.read("scan")
    except CorruptIndex:
        seen = None
    if not isinstance(seen, dict) or seen.get("epoch") != epoch:
        seen = {"epoch": epoch, "files": {}}
    seen_files: dict[str, tuple[int, int, int]] = seen["files"]
    found = list(walk_transcripts(roots))  # path order, as ccusage reads files
    report.files = len(found)
    report.bytes_total = sum(st.st_size for _, st in found)
    groups: dict[str, list[tuple[str, FileStat]]] = {}
    owners: dict[str, tuple[str, str]] = {}  # group name -> (session, project)
    for path, st in found:
        if seen_files.get(path) != (st.st_ino, st.st_size, st.st_mtime_ns):
            name, session, project = group_of(path)
            if name not in groups:
                groups[name] = []
                owners[name] = (session, project)
            groups[name].append((path, st))
    pending = sum(st.st_size for files in groups.values() for _, st in files)
    # Oldest activity first (then name): a batch then covers a stretch of time, not all of it.
    order = sorted(groups, key=lambda n: (max(st.st_mtime_ns for _, st in groups[n]), n))
    small = [n for n in order if sum(st.st_size for _, st in groups[n]) <= WORKER_MAX_BYTES]
    large = [n for n in order if sum(st.st_size for _, st in groups[n]) > WORKER_MAX_BYTES]
    workers = workers or os.cpu_count() or 1
    can_fork = hasattr(os, "fork")  # not on Windows: one process there
    parallel = can_fork and workers > 1 and pending >= parallel_min_bytes and len(small) > 1
    merge = _Merge(store, epoch)
    done = 0
    try:
        packs: dict[str, object] = {}
        any_saved = store.has_group_states()  # none on a first build: ten thousand lookups spared
        tasks = [
            (n, [p for p, _ in groups[n]], _saved_states(store, n, epoch, packs) if any_saved else {})
            for n in small
        ]
        packs.clear()
        unread = set(range(len(tasks)))
        if parallel:
            from statusline.index.workers import parse_in_workers

            sizes = [sum(st.st_size for _, st in groups[n]) for n in small]
            for spool, (index, fields, places, count) in parse_in_workers(
                tasks, sizes, workers, merge.folder, _read_group
            ):
                name, _paths, saved = tasks[index]
                blocks = {hour: (spool, *place) for hour, place in places.items()}
                done += _add_group(merge, owners, index, name, (fields, blocks, count), saved)  # type: ignore[arg-type]
                unread.discard(index)
                _report_progress(store, progress, done, pending, started)
        for index in sorted(unread):  # no workers, or what a worker that died did not report
            name, _paths, saved = tasks[index]
            read = _by_hour(_read_paths(tasks[index], loads))
            done += _add_group(merge, owners, index, name, read, saved)  # type: ignore[arg-type]
            _report_progress(store, progress, done, pending, started)
    except BaseException:
        merge.discard()  # spooled records that will not be merged
        raise
    large.extend(merge.commit(parallel))  # a file that grew while being read: finish it below
    for name in large:
        files = groups[name]
        session, project = owners[name]
        more = True
        while more:
            store.lock(blocking=True)
            try:
                group = load_group(store, name, session, project, epoch)
                batch = Batch(store)
                used, more = ingest_group(store, batch, group, [p for p, _ in files], loads, CHUNK_BYTES)
                commit_groups(store, batch, {name: group})
            finally:
                store.unlock()
            done += used
            _report_progress(store, progress, done, pending, started)
    report.bytes_read = done
    report.groups_read = len(groups)
    report.files_read = sum(len(files) for files in groups.values())
    read_to = merge.read_to  # where the merge left each file; the groups read here, from disk
    for name in large:
        for path, state in _saved_states(store, name, epoch).items():
            read_to[path] = int(state[3])
    for files in groups.values():
        for path, st in files:
            if read_to.get(path, -1) >= st.st_size:  # fully read: skip it until it changes
                seen_files[path] = (st.st_ino, st.st_size, st.st_mtime_ns)
    present = {path for path, _ in found}
    for path in list(seen_files):
        if path not in present:
            del seen_files[path]
    store.lock(blocking=True)
    try:
        meta = store.read_meta()
        if int(meta.get("rescan_epoch", 0)) == epoch:  # type: ignore[call-overload]
            meta["full_scan_ms"] = int(started * 1000)
            store.write("scan", seen)
        meta.setdefault("created_ms", int(started * 1000))
        store.write("meta", meta)
    finally:
        store.unlock()
    clear_progress(store)
    remove_stale_temp_files(store.cache, started)
    report.seconds = time.time() - started
    return report


def _add_group(
    merge: _Merge,
    owners: dict[str, tuple[str, str]],
    index: int,
    name: str,
    read: GroupRead,
    saved: dict[str, list[Any]],
) -> int:
    """Hand one group's read to the merge; return the bytes it consumed."""
    session, project = owners[name]
    merge.add(name, session, project, read, saved, index)
    return sum(int(fields[3]) for fields in read[0])


def _report_progress(
    store: Store, progress: Callable[[int, int], None] | None, done: int, total: int, started: float
) -> None:
    """Tell the caller, and renders (through a small file), how far the scan has come."""
    if progress is not None:
        progress(done, total)
    write_progress(store, done, total, started)


def _live_spool(folder: str) -> bool:
    """Whether `folder` is the spill folder of a scan whose process still runs."""
    name = os.path.basename(folder)
    if not name.startswith("spool-") or not name[6:].isdigit():
        return False
    try:
        os.kill(int(name[6:]), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists (another user's process would be EPERM)
    return True


def remove_stale_temp_files(cache: str, now_s: float, age_s: float = 60.0) -> int:
    """Delete temp files a killed writer left behind (never read; renamed files are complete)."""
    removed = 0
    for folder, _dirs, names in os.walk(cache, topdown=False):
        if _live_spool(folder):
            continue  # a running scan's spilled records (a long rebuild's can be minutes old)
        for name in names:
            if not name.endswith(".tmp"):
                continue
            path = os.path.join(folder, name)
            try:
                if now_s - os.stat(path).st_mtime > age_s:
                    os.unlink(path)
                    removed += 1
            except OSError:
                pass
        if os.path.basename(folder).startswith("spool-"):  # a killed scan's spill folder
            try:
                os.rmdir(folder)  # only once empty (a running scan recreates it to spill)
            except OSError:
                pass
    return removed
