"""Reading a transcript's new lines: from a file's saved offset, checked by its fingerprint, to
the last complete line within a budget, parsed into usage records (no index access: safe in a
scan's worker process). Split from update.py (818 lines), which merges what is read here.
"""

from __future__ import annotations

from statusline import fs
from statusline.index.lines import Skip, file_session_id, records_from_line, records_in

TYPE_CHECKING = False
if TYPE_CHECKING:
    import io
    from collections.abc import Callable, Iterable
    from mmap import mmap
    from typing import Any

# Bytes kept from the start of a file and from just before the read offset: if either differs
# on the next read, the file was rewritten (same size, or a new file on a reused inode) and is
# read again from the start; dedup keeps that from counting anything twice.
FINGERPRINT_BYTES = 64
# File state: [dev, inode, size, offset, mtime_ns, fingerprint, provisional tail length]
_DEV, _INO, _SIZE, _OFFSET, _MTIME, _PRINT, _TAIL = range(7)


def file_changed(state: list[Any] | None, st: fs.stat_result) -> bool:
    """Whether a file may hold bytes the index has not read (by inode, size and mtime)."""
    return (
        state is None
        or state[_INO] != st.st_ino
        or state[_SIZE] != st.st_size
        or state[_MTIME] != st.st_mtime_ns
    )


def _fingerprint(fh: io.BufferedReader, offset: int) -> bytes:
    fh.seek(0)
    head = fh.read(min(offset, FINGERPRINT_BYTES))
    back = min(offset, FINGERPRINT_BYTES)
    fh.seek(offset - back)
    return head + fh.read(back)


class NewLines:
    """What one read of a file found: complete lines, an unterminated tail, the new state."""

    __slots__ = ("consumed", "data", "end", "more", "skipped", "start", "state", "tail")

    def __init__(self, state: list[Any]) -> None:
        # Complete new lines are data[start:end]; start skips a provisionally counted tail that
        # has now ended (it was counted when it was read whole).
        self.data: bytes | bytearray | mmap = b""
        self.start = 0
        self.end = 0
        self.tail = b""  # the unterminated last line, if any (never final: re-read next time)
        self.state = state
        self.consumed = 0
        self.more = False
        self.skipped = 0


def _skip_counter(reason: str) -> str:
    if reason.startswith("not "):
        return "garbage"
    return "synthetic" if reason == "synthetic" else "invalid"


def read_new_lines(
    path: str,
    state: list[Any] | None,
    budget: int,
    whole_long_lines: bool = True,
    into: bytearray | None = None,
    mapped: bool = False,
) -> NewLines:
    """Complete lines appended since `state`, and the unterminated tail.

    A different inode, a file shorter than the offset, or bytes before the offset that differ
    from the fingerprint mean the file was replaced or rewritten: it is read again from the
    start (dedup keeps that from counting anything twice). At most `budget` bytes are read; a
    line longer than the budget is read whole (or skipped past, beyond lines.MAX_LINE_BYTES) only when
    `whole_long_lines` is set, so a render's read is bounded in bytes, whatever the file holds.
    `into`: a buffer to read into, grown as needed, and used as `data` (valid until the next
    read into it): a scan reads a gigabyte, and fresh memory for each file costs the kernel
    more than the copy. `mapped`: a file read from its start within the budget is mapped
    instead, read-only (a scan's worker): its pages are used where they are, not copied (on this
    VM the copy cost about a third of a second per GB). A file cut shorter while it is mapped
    ends the process with SIGBUS when a page past its end is touched: a worker's groups are then
    read by the scanning process itself, which never maps.
    """
    st = fs.stat(path)
    if not fs.is_regular(st.st_mode):  # a FIFO or device would block the reader
        raise IsADirectoryError(path)
    offset = tail_seen = 0
    if (
        state is not None
        and len(state) > _TAIL
        and state[_DEV] == st.st_dev
        and state[_INO] == st.st_ino
        and st.st_size >= state[_OFFSET]
    ):
        offset, tail_seen = state[_OFFSET], state[_TAIL]
    out = NewLines([st.st_dev, st.st_ino, st.st_size, offset, st.st_mtime_ns, b"", 0])
    if offset == 0 and st.st_size == 0:
        return out
    with open(path, "rb") as fh:
        if offset:
            seen = _fingerprint(fh, offset)
            if seen != state[_PRINT]:  # type: ignore[index]
                offset = tail_seen = 0  # rewritten in place: read it all again
                out.state[_OFFSET] = 0
                fh.seek(0)
            out.state[_PRINT] = seen
        if st.st_size <= offset:
            out.state[_TAIL] = tail_seen
            return out
        want = min(st.st_size - offset, budget)
        data: bytes | bytearray | mmap
        if mapped and offset == 0 and want == st.st_size:
            from statusline.index.scanread import map_file  # a scan's worker only

            data = map_file(fh.fileno(), want)
            size = want
        elif into is None:
            data = fh.read(want)
            size = len(data)
        else:
            if len(into) < want:
                into.extend(bytes(want - len(into)))
            data = into
            size = fh.readinto(memoryview(into)[:want])
        at_eof = offset + size >= st.st_size
        end = data.rfind(b"\n", 0, size) + 1
        if end == 0 and not at_eof:
            if not whole_long_lines:  # leave it to the background scan
                out.consumed, out.more = size, True
                out.state[_TAIL] = tail_seen
                return out
            from statusline.index.scanread import long_line  # a scan only: a render's reads are bounded

            line, size, ended = long_line(fh, bytes(data[:size]))
            at_eof = offset + size >= st.st_size
            if line is None and not ended:  # too long, and still being written: judged once whole
                out.consumed = size
                out.state[_TAIL] = tail_seen
                return out
            if line is None:
                out.skipped, out.consumed, out.more = 1, size, not at_eof
                out.state[_OFFSET] = offset + size
                out.state[_PRINT] = _fingerprint(fh, offset + size)
                return out
            data = line
            size = len(data)
            end = data.rfind(b"\n") + 1
        if end:
            out.state[_PRINT] = _fingerprint(fh, offset + end)
    out.data, out.end = data, end
    if tail_seen:
        first = data.find(b"\n", 0, end)
        if first >= 0 and len(data[:first].rstrip(b"\r")) == tail_seen:
            out.start = first + 1  # the provisionally counted tail, now complete
    if at_eof and end < size:
        out.tail = bytes(data[end:size])
        if not end and len(out.tail.rstrip(b"\r")) == tail_seen:
            out.tail = b""  # the same unfinished line as last time, already counted
            out.state[_TAIL] = tail_seen
    out.state[_OFFSET] = offset + end
    out.consumed = end if end else size
    out.more = not at_eof
    return out


class FileRead:
    """One file's new records, parsed (in a worker process during a scan), not yet merged."""

    __slots__ = ("consumed", "counters", "more", "path", "records", "state", "unreadable")

    def __init__(self, path: str) -> None:
        self.path = path
        self.records: list[tuple[object, ...]] = []
        self.counters = dict.fromkeys(("lines", "garbage", "invalid", "synthetic"), 0)
        self.state: list[Any] | None = None
        self.consumed = 0
        self.more = False
        self.unreadable = False


def read_file(
    path: str,
    state: list[Any] | None,
    budget: int,
    loads: Callable[[bytes], object],
    whole_long_lines: bool,
    into: bytearray | None = None,
    feed: Callable[[dict[str, object], list[tuple[object, ...]] | None], None] | None = None,
    mapped: bool = False,
    extract: Callable[..., tuple[int, dict[str, int]]] = records_in,
) -> FileRead:
    """Read and parse one file's new lines (no index access: safe in a worker process);
    `into`, `mapped`: see read_new_lines; `feed`: see lines.records_in (the complete lines
    only, not an unfinished last one); `extract`: lines.records_in or a scan's equivalent
    (scanread.records_in_fast)."""
    out = FileRead(path)
    try:
        found = read_new_lines(path, state, budget, whole_long_lines, into, mapped)
    except OSError:
        out.unreadable = True
        return out
    counters = out.counters
    out.consumed, out.more, out.state = found.consumed, found.more, found.state
    if found.skipped:
        counters["lines"] += found.skipped
        counters["garbage"] += found.skipped
    file_session = file_session_id(path)
    records = out.records
    data = found.data
    start, end = found.start, found.end
    judged, skips = extract(data, start, end, loads, file_session, records, feed)
    counters["lines"] += judged  # lines that carry usage, counted or not
    for why, count in skips.items():
        counters[_skip_counter(why)] += count
    if found.tail:
        # A tail that is already a whole usage line counts now, provisionally (see _TAIL).
        try:
            tail_records = records_from_line(found.tail, loads, file_session)
        except Skip:
            tail_records = []  # still being written, or garbage: decided once it ends
        if tail_records:
            counters["lines"] += 1
            records.extend(tail_records)
            found.state[_TAIL] = len(found.tail.rstrip(b"\r"))
    return out


def read_group(
    group: dict[str, object],
    paths: Iterable[str],
    loads: Callable[[bytes], object],
    budget: int,
    whole_long_lines: bool = True,
) -> tuple[list[FileRead], int, bool]:
    """Read and parse the new lines of a group's files, up to `budget` bytes, without touching
    the index or the group: (the reads, bytes read, more left)."""
    files: dict[str, list[Any]] = group["files"]  # type: ignore[assignment]
    consumed = 0
    more = False
    paths = list(paths)
    reads = []
    for n, path in enumerate(paths, 1):
        read = read_file(path, files.get(path), max(budget - consumed, 1), loads, whole_long_lines)
        reads.append(read)
        consumed += read.consumed
        more = more or read.more
        if consumed >= budget:
            # Files left unread are more; a read that used the budget on an unfinished last line
            # is not (a scan reading on for it would never stop).
            more = more or n < len(paths)
            break
    return reads, consumed, more
