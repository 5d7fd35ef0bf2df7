"""The full scan: find every transcript under every config dir and index what changed.

Run out of band (`costline index refresh`, started detached by renders on a schedule) or by
hand. It stats every file, so it is kept off the render path; a cache of the stats it saw last
time lets it skip unchanged files without opening their group state.
"""

from __future__ import annotations

import os
import time

from cachetools import LRUCache, cached

from statusline.index.store import CorruptIndex, Store
from statusline.index.update import Batch, commit_group, ingest_group, load_group
from statusline.index.update import group_of as _group_of
from statusline.paths import projects_dirs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# Bytes read per lock hold: renders get the lock between chunks.
CHUNK_BYTES = 32 << 20

# A scan asks for the group of every changed file more than once; the answer never changes.
group_of = cached(LRUCache(maxsize=65536))(_group_of)


def walk_transcripts(roots: list[str]) -> Iterator[tuple[str, os.stat_result]]:
    """Every `*.jsonl` below the roots (subagent folders included), with its stat, in path order.

    Symlinked folders are followed (a project folder may live elsewhere); each real folder is
    entered once, so a link back up the tree cannot loop, and each real file is listed once,
    under the first path that reaches it.
    """
    found: list[tuple[str, os.stat_result]] = []
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
                    found.append((entry.path, entry.stat()))
            except OSError:
                continue
    found.sort(key=lambda item: item[0])
    listed: set[tuple[int, int]] = set()
    for path, st in found:
        if (st.st_dev, st.st_ino) not in listed:
            listed.add((st.st_dev, st.st_ino))
            yield path, st


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


def scan(
    store: Store,
    loads: Callable[[bytes], object],
    roots: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScanReport:
    """Index every changed transcript; mark the index complete as of this scan's start."""
    started = time.time()
    report = ScanReport()
    store.ensure()
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
    groups: dict[str, list[tuple[str, os.stat_result]]] = {}
    for path, st in found:
        if seen_files.get(path) != (st.st_ino, st.st_size, st.st_mtime_ns):
            groups.setdefault(group_of(path)[0], []).append((path, st))
    pending = sum(st.st_size for files in groups.values() for _, st in files)
    for name, files in groups.items():
        _, session, project = group_of(files[0][0])
        more = True
        while more:
            store.lock(blocking=True)
            try:
                group = load_group(store, name, session, project, epoch)
                batch = Batch(store)
                used, more = ingest_group(store, batch, group, [p for p, _ in files], loads, CHUNK_BYTES)
                commit_group(store, batch, name, group)
            finally:
                store.unlock()
            report.bytes_read += used
            if progress is not None:
                progress(report.bytes_read, pending)
        report.groups_read += 1
        report.files_read += len(files)
        offsets: dict[str, list[int]] = group["files"]  # type: ignore[assignment]
        for path, st in files:
            state = offsets.get(path)
            if state is not None and state[3] >= st.st_size:  # fully read: skip it until it changes
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
    remove_stale_temp_files(store.cache, started)
    report.seconds = time.time() - started
    return report


def remove_stale_temp_files(cache: str, now_s: float, age_s: float = 60.0) -> int:
    """Delete temp files a killed writer left behind (never read; renamed files are complete)."""
    removed = 0
    for folder, _dirs, names in os.walk(cache):
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
    return removed
