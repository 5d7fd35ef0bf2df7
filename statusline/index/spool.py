"""Parsed records waiting for the scan's merge, by UTC hour.

A group's read reaches the merge as one marshal block of records per UTC hour: kept in memory
(up to SPILL_RECORDS, then written to private temp files in the spool folder), or left where a
worker spooled it (its spool file, offset and size). The merge asks for them a window of hours
at a time, in the groups' order (merge.py).
"""

from __future__ import annotations

import marshal
import os
import shutil

from statusline import fs
from statusline.index.runs import message_id
from statusline.index.store import Store, atomic_write, lock_file
from statusline.timeutil import HOUR_MS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Hours merged per batch: their hour files (every session's dedup keys) stay in memory until
# the batch is written.
HOURS_PER_BATCH = 2
WINDOW_MS = HOURS_PER_BATCH * HOUR_MS
# Parsed records held in memory before they wait in temp files for their day to be merged.
SPILL_RECORDS = 10_000
# In a scan's spool folder: the file its scan holds locked while it runs (see Spool.__init__).
SPOOL_LOCK = "lock"

# What a group's read hands the merge: its reads' fields (records taken out, see scan._fields), the
# records of each UTC hour as one marshal block (in read order), and how many records there
# are. A block may instead be where a worker spooled it: (spool file, offset, size).
ReadFields = list[tuple["Any", ...]]
Block = bytes | tuple[str, int, int]
GroupRead = tuple[ReadFields, dict[int, Block], int]


def _first(item: tuple[int, bytes]) -> int:
    return item[0]


class Spool:
    """Records by UTC hour, each group's as one block an hour, read back a window at a time."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.spool: dict[int, list[tuple[int, bytes]]] = {}  # hour -> (group index, block)
        self.spooled = 0
        self.spills: dict[int, list[tuple[str, int, int]]] = {}  # hour -> (file, offset, size)
        # Blocks that workers spooled: hour -> (group index, spool file, offset, size).
        self.placed: dict[int, list[tuple[int, str, int, int]]] = {}
        self.open_files: dict[str, int] = {}
        self.spill_files = 0
        # A folder of its own, never one a killed scan left (a pid is reused, a random name is
        # not), locked while this scan runs: a sweep removes it only once that lock is free.
        self.folder = store.path(f"spool-{fs.urandom(8).hex()}")
        fs.mkdir(self.folder, 0o700)  # a new folder (never one found there)
        self._folder_lock = fs.open_private(os.path.join(self.folder, SPOOL_LOCK), fs.O_RDWR)
        lock_file(self._folder_lock, blocking=False)

    def add_blocks(self, index: int, blocks: dict[int, Block], count: int) -> None:
        """Hold one group's blocks (`index`: its place in the scan's order; `count`: its records)."""
        in_memory = False
        for hour, block in blocks.items():
            if type(block) is bytes:
                self.spool.setdefault(hour, []).append((index, block))
                in_memory = True
            else:  # where a worker spooled it
                self.placed.setdefault(hour, []).append((index, *block))
        if in_memory:
            self.spooled += count
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

    def hour_blocks(self, hour: int) -> list[tuple[int, bytes]]:
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

    def window(self, window: int) -> list[tuple[int, bytes]]:
        """(group index, block) of one window: hour by hour, then in the groups' order."""
        first = window * HOURS_PER_BATCH
        return [item for hour in range(first, first + HOURS_PER_BATCH) for item in self.hour_blocks(hour)]

    def _pread(self, path: str, offset: int, size: int) -> bytes:
        """A block of a worker's spool file (one per worker: they stay open till the end)."""
        fd = self.open_files.get(path)
        if fd is None:
            fd = self.open_files[path] = os.open(path, os.O_RDONLY)
        return os.pread(fd, size, offset)

    def weight(self, window: int) -> int:
        """Bytes of spooled records in a window (how long it takes to merge, roughly)."""
        total = 0
        for hour in range(window * HOURS_PER_BATCH, (window + 1) * HOURS_PER_BATCH):
            total += sum(size for _path, _offset, size in self.spills.get(hour, ()))
            total += sum(len(block) for _index, block in self.spool.get(hour, ()))
            total += sum(size for _index, _path, _offset, size in self.placed.get(hour, ()))
        return total

    def apart(self, window: int) -> bool:
        """Whether no message id of the window's first hour is in the hour before it."""
        first_hour = window * HOURS_PER_BATCH
        ids_before = {
            message_id(item) for _, block in self.hour_blocks(first_hour - 1) for item in marshal.loads(block)
        }
        return not any(
            message_id(item) in ids_before
            for _, block in self.hour_blocks(first_hour)
            for item in marshal.loads(block)
        )

    def discard(self) -> None:
        """Close and remove the spooled records."""
        for fd in self.open_files.values():
            os.close(fd)
        self.open_files.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._folder_lock >= 0:
            os.close(self._folder_lock)  # after the removal: a sweep never sees it unlocked
            self._folder_lock = -1
