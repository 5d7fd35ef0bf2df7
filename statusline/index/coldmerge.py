"""A cold build's merge: its days written to private trees, by two processes, then moved in.

With no hour file on disk yet (a first build, or one after `index rebuild`), the scan's merge
(merge.py) writes its days to private trees in the spool folder (Staged: files written in
place, their folders made once), the later days in a forked process while the scanning process
merges the earlier ones, and moves them into the index, a day folder at a time, when all is
merged. If the scanning process dies first, nothing of them reaches the index, and the next scan
reads every group again (their offsets are saved after the move).
"""

from __future__ import annotations

import marshal
import os
import shutil

from statusline import fs
from statusline.index.exact import Batch
from statusline.index.spool import WINDOW_MS
from statusline.index.store import Store, atomic_write, crash_point, day_names, write_all
from statusline.timeutil import utc_day_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.index.merge import Merge, Tally
    from statusline.index.spool import Spool

# A split merge (see split_point): each side has at least this share of the records, and this
# many day boundaries nearest the middle are tried.
SPLIT_MIN_SHARE = 0.25
SPLIT_TRIES = 8


def split_point(spool: Spool, windows: list[int]) -> int | None:
    """Where the windows can be merged in two independent runs, or None.

    A record looks for earlier copies in its own hour and the hour before (and, in an index
    that has hour files, the hour after). So on a cold build the windows from a day's first
    hour on merge exactly as they would after the earlier ones if no message id of that first
    hour is also in the hour before it. The split is at such a day boundary, the one nearest
    half the records (by spooled bytes); both sides write their own days.
    """
    weights = [spool.weight(window) for window in windows]
    total = sum(weights)
    before, candidates = 0, []
    for i, window in enumerate(windows):
        new_day = i and utc_day_name(window * WINDOW_MS) != utc_day_name(windows[i - 1] * WINDOW_MS)
        if new_day and SPLIT_MIN_SHARE * total <= before <= (1 - SPLIT_MIN_SHARE) * total:
            candidates.append((abs(2 * before - total), i))
        before += weights[i]
    for _, i in sorted(candidates)[:SPLIT_TRIES]:
        if spool.apart(windows[i]):
            return i
    return None


def merge_cold(merge: Merge, windows: list[int], split: int | None, tally: Tally) -> None:
    """Merge every window into private trees (from `split` on in a second process) and move
    them into the index."""
    index = merge.store
    earlier = os.path.join(merge.folder, "earlier")
    shutil.rmtree(earlier, ignore_errors=True)
    merge.store = Staged(index, earlier)
    try:
        if split is None:
            merge.merge_windows(windows, tally)
            later = None
        else:
            later = merge_in_two(merge, windows, split, tally)
    finally:
        merge.store = index
    move_in(index, earlier)
    if later is not None:
        move_in(index, later)


def merge_in_two(merge: Merge, windows: list[int], split: int, tally: Tally) -> str | None:
    """Merge windows[split:] in a forked process while this one merges the rest (into the tree
    its store is, Staged); return the tree the other wrote, None if it failed.

    Locks are not inherited: the forked process never writes to the index. It writes its days'
    hour files and summaries to a private tree, and this process, which holds the lock, moves
    them in once both halves are done. If this process dies first, nothing of the other's
    reaches the index (it stops at its next write). Should the other process fail, its tree is
    removed and its windows are merged here."""
    staged = os.path.join(merge.folder, "later")
    shutil.rmtree(staged, ignore_errors=True)  # only what this merge's later half writes
    read_end, write_end = os.pipe()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:  # no memory or processes left for it: one process merges it all
        os.close(read_end)
        os.close(write_end)
        merge.merge_windows(windows, tally)
        return None
    if pid == 0:  # the other process: merge the later days, send the tallies, exit
        code = 1
        try:
            os.close(read_end)
            merge.store = LaterHalf(merge.store, staged, parent)
            merge.merge_windows(windows[split:], tally)
            write_all(write_end, marshal.dumps(tally.counted()))
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        merge.merge_windows(windows[:split], tally)
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
    merge.cold = False  # the hour files just written here are there now: looked for again
    merge.merge_windows(windows[split:], tally)
    return None


def move_in(store: Store, staged: str) -> None:
    """Move a staged tree's hour files, then its day summaries, into the index (their stat
    signatures, which the summaries hold, survive a rename): a day folder the index does not
    have is moved whole."""
    for day in day_names(os.path.join(staged, "hours")):
        folder = os.path.join(staged, "hours", day)
        target = store.path("hours", day)
        if fs.private_folder(target) is None and not os.path.lexists(target):
            try:
                os.rename(folder, target)
                continue
            except OSError:  # made meanwhile: its files are moved one by one
                pass
        fs.make_private_folder(target)
        for name in sorted(os.listdir(folder)):
            os.replace(os.path.join(folder, name), store.path("hours", day, name))
    for day in day_names(os.path.join(staged, "days")):
        os.replace(os.path.join(staged, "days", day), store.path("days", day))
    shutil.rmtree(staged, ignore_errors=True)


class ColdBatch(Batch):
    """A cold build's batch: the merge found no day folder under the writers' lock, so no hour
    file nor delta is on disk but what this merge writes, and a window needs only the last hour
    of the window before, which it is handed in memory (Merge.merge_windows). So an hour it has
    not loaded is empty, not looked for: two failed opens an hour spared (a 1 GB build's 2,000)."""

    __slots__ = ()

    def load(self, hour: int) -> dict[str, dict[object, object]] | None:
        self.hours[hour] = None
        return None


class ScanGone(Exception):
    """The scan that forked the later half of its merge has died."""


class Staged(Store):
    """The index as a cold build's merge writes it: a private tree in the scan's spool folder,
    moved in when the merge is done (merge_cold). No one else reads or writes there, so a file
    is written in place, not as a temp file renamed (a rename cost about 40 µs of kernel time on
    this VM; a 1 GB build writes 700 hour files), and each folder is made once."""

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


class LaterHalf(Staged):
    """The tree the later half of a split merge writes (see merge_in_two), only while the
    scanning process lives."""

    __slots__ = ("parent", "writes")

    def __init__(self, store: Store, root: str, parent: int) -> None:
        super().__init__(store, root)
        self.parent, self.writes = parent, 0

    def write(self, rel: str, value: object) -> tuple[int, int, int]:
        self.writes += 1
        _pause_for_test(self.writes)
        if os.getppid() != self.parent:  # orphaned: whatever it would write is never used
            raise ScanGone
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
