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

from statusline.index import upkeep
from statusline.index.exact import Batch, fold_pending, ingest_group
from statusline.index.merge import Merge
from statusline.index.newlines import FileRead, read_file
from statusline.index.runs import fold_runs
from statusline.index.scanread import records_in_fast, scan_parser
from statusline.index.spool import SPOOL_LOCK, GroupRead, ReadFields
from statusline.index.store import (
    FORMAT,
    CorruptIndex,
    Store,
    lock_file,
    read_state,
)
from statusline.index.update import commit_groups, group_of, load_group
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

    __slots__ = (
        "bytes_read",
        "bytes_total",
        "files",
        "files_read",
        "groups_read",
        "replaced",
        "seconds",
        "walked",
    )

    def __init__(self) -> None:
        # The index was made anew meanwhile (`rebuild --discard-history`): this scan stopped
        # writing, and left its files for the next scan to read.
        self.replaced = False
        self.files = 0
        self.bytes_total = 0
        self.files_read = 0
        self.bytes_read = 0
        self.groups_read = 0
        self.seconds = 0.0
        self.walked: list[str] = []  # every transcript found, in path order (the catalog's too)


# Below this many bytes to read, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 16 << 20
# A group with more than this to read is read by the scanning process itself, chunk by chunk.
# (A budget, not a line limit: lines.MAX_LINE_BYTES is the one limit on every path.)
WORKER_MAX_BYTES = 64 << 20

_worker_loads: Callable[[bytes], object] | None = None
# A worker reads every file into this one buffer (it grows to the largest file it reads).
_worker_buffer = bytearray()
Task = tuple[str, list[str], dict[str, list["Any"]]]  # group name, its files, their saved states


def _read_group(task: Task) -> tuple[ReadFields, dict[int, bytes], int]:
    """In a worker process: read and parse one group's new lines (nothing is written to the
    index)."""
    global _worker_loads
    if _worker_loads is None:
        _worker_loads = scan_parser()
    return _by_hour(_read_paths(task, _worker_loads, _worker_buffer))


def _worker_done() -> None:
    """In a worker process, once it has read its last group: save the attribution it holds."""
    if cold_attribution:
        cold_attribution[0].flush()


def _fields(reads: list[FileRead]) -> ReadFields:
    """What the merge needs of each read besides its records, in plain values."""
    return [(r.path, r.state, list(r.counters.items()), r.consumed, r.more, r.unreadable) for r in reads]


def _by_hour(reads: list[FileRead]) -> tuple[ReadFields, dict[int, bytes], int]:
    """The records as one marshal block per UTC hour, a response's streaming copies folded
    (runs.py). Packed where they were parsed, they reach the merging process as a few bytes
    objects, not as a hundred thousand tuples to unpickle and spool one by one: that process
    shares the cores with the workers."""
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
    return _fields(reads), {hour: marshal.dumps(fold_runs(recs)) for hour, recs in hours.items()}, count


# Set while a report that needs the attribution scans (cli/report.prepare): a file read from its
# start is also fed, line by line as it is parsed, to the attribution of a transcript that has
# none yet (attrib/build.py ColdReader, ColdRead), so a first report parses each line once. Each
# worker packs the states it made once it is done (_worker_done), the scanning process its own
# after the scan (cli/report.prepare).
cold_attribution: list[Any] = []


def _read_paths(
    task: tuple[str, list[str], dict[str, list[Any]]],
    loads: Callable[[bytes], object],
    into: bytearray | None = None,
) -> list[FileRead]:
    _name, paths, states = task
    # A worker (`into` given) maps the files it reads from the start (see read_new_lines).
    mapped = into is not None
    out = []
    for path in paths:
        state = states.get(path)
        cold = cold_attribution[0](path) if cold_attribution and state is None else None
        feed = cold and cold.feed
        read = read_file(path, state, WORKER_MAX_BYTES, loads, True, into, feed, mapped, records_in_fast)
        if cold is not None:
            cold.finish(read)
        out.append(read)
    return out


def _saved_states(
    store: Store, name: str, epoch: int, packs: dict[str, object] | None = None
) -> dict[str, list[Any]]:
    """The file offsets a group's state holds (read-only; {} when absent or being re-read).
    `packs`: the packs read so far, by path."""
    packs = {} if packs is None else packs
    try:
        group, _ = read_state(store.path("groups", name))
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
    parallel_min_bytes: int | None = None,
) -> ScanReport:
    """Index every changed transcript; mark the index complete as of this scan's start.

    Files are parsed by worker processes (one per core) and merged by this one, oldest group
    first so that a batch's hours are mostly written once; a group too large for a worker is
    read here, chunk by chunk. Unless given, `workers` and `parallel_min_bytes` come from
    COSTLINE_SCAN_WORKERS and COSTLINE_PARALLEL_MIN_BYTES (for tests of small corpora), else
    the number of cores and PARALLEL_MIN_BYTES.
    """
    import gc

    workers = workers or _env_int("COSTLINE_SCAN_WORKERS", 0) or os.cpu_count() or 1
    if parallel_min_bytes is None:
        parallel_min_bytes = _env_int("COSTLINE_PARALLEL_MIN_BYTES", PARALLEL_MIN_BYTES)

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


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() else default


def _scan(
    store: Store,
    loads: Callable[[bytes], object],
    roots: list[str] | None,
    progress: Callable[[int, int], None] | None,
    workers: int,
    parallel_min_bytes: int,
    started: float,
    report: ScanReport,
) -> ScanReport:
    roots = projects_dirs() if roots is None else roots
    store.lock(blocking=True)
    try:
        # Checked again before each write: a scan never writes into an index that replaced the
        # one it began on (its offsets, its parse, belong to the old one).
        generation = upkeep.start_generation(store)
        meta = store.read_meta()
    finally:
        store.unlock()
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
    report.walked = [path for path, _ in found]
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
    can_fork = hasattr(os, "fork")  # not on Windows: one process there
    parallel = can_fork and workers > 1 and pending >= parallel_min_bytes and len(small) > 1
    merge = Merge(store, epoch, generation)
    done = 0
    try:
        packs: dict[str, object] = {}
        any_saved = upkeep.has_group_states(store)  # none on a first build: ten thousand lookups spared
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
                tasks, sizes, workers, merge.folder, _read_group, _worker_done
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
    report.replaced = merge.replaced
    for name in large:
        files = groups[name]
        session, project = owners[name]
        more = not report.replaced
        while more:
            store.lock(blocking=True)
            try:
                if upkeep.generation(store) != generation:
                    report.replaced = True
                    break
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
        if meta.get("generation") != generation:
            report.replaced = True  # nothing of this scan was written: the next one reads it
        else:
            # What renders booked since the last refresh goes into the hour files: deltas stay
            # a minute's bookings, and the hour files whole for the readers that load them.
            fold_pending(store)
            if int(meta.get("rescan_epoch", 0)) == epoch:  # type: ignore[call-overload]
                meta["full_scan_ms"] = int(started * 1000)
                store.write("scan", seen)
            meta.setdefault("created_ms", int(started * 1000))
            store.write("meta", meta)
    finally:
        store.unlock()
    upkeep.clear_progress(store)
    if report.bytes_read:
        # Only after reading: a scan that finds nothing new (each warm report's) would walk the
        # whole cache for nothing; a killed writer's files wait for the next scan that reads.
        remove_stale_temp_files(store.cache, started)
    report.seconds = time.time() - started
    return report


def _add_group(
    merge: Merge,
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
    upkeep.write_progress(store, done, total, started)


def _live_spool(folder: str, now_s: float, age_s: float) -> bool:
    """Whether `folder` is the spill folder of a scan that still runs: its lock is held (see
    Spool.__init__). The caller must hold no spool lock itself (a process's own lock is free to
    it, and closing the probe would release it)."""
    name = os.path.basename(folder)
    if not name.startswith("spool-"):
        return False
    suffix = name[6:]
    if suffix.isdigit() and len(suffix) <= 10:  # an older costline's `spool-<pid>`
        try:
            os.kill(int(suffix), 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True  # it exists (another user's process would be EPERM)
        return True
    try:
        fd = os.open(os.path.join(folder, SPOOL_LOCK), os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:  # a scan creating it this instant, or one killed before that
        try:
            return now_s - os.stat(folder).st_mtime < age_s
        except OSError:
            return False
    except OSError:
        return False
    try:
        return not lock_file(fd, blocking=False)
    finally:
        os.close(fd)


def remove_stale_temp_files(cache: str, now_s: float, age_s: float = 60.0) -> int:
    """Delete temp files a killed writer left behind (never read; renamed files are complete)."""
    removed = 0
    for folder, _dirs, names in os.walk(cache, topdown=False):
        if _live_spool(folder, now_s, age_s):
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
            shutil.rmtree(folder, ignore_errors=True)  # with its split merge's unused later half
    return removed
