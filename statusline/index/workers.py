"""Parse groups in forked worker processes for a scan.

The workers take the groups from one queue, largest first, so they end within a group of each
other whatever else the machine runs (fixed shares, balanced by bytes, are the fallback where the
queue does not fit in a pipe). Each writes the records it parses to its own spool file, one
marshal block per group and UTC hour, and tells the scanning process through a pipe what it read
and where each block lies. The records never cross the pipe: the scanning process reads them
from the spool files when it merges, and spends its time waiting rather than unpickling (it
shares the cores with the workers). A group is reported once its blocks are written, so a worker
that dies loses nothing it reported; groups not reported (a worker died with them) are read by
the scanning process itself.
"""

from __future__ import annotations

import marshal
import os
import select
import signal

from statusline import fs
from statusline.index.store import write_all

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

_HEADER = 4  # bytes of the length before each message

# What a worker reports per group: the task's index, its reads' fields (see scan._pack), where
# each UTC hour's block lies in the spool file (offset, size), and how many records there are;
# then whatever else `read_group` returned for it (scan.py: the attribution states it saved).
Report = tuple["Any", ...]


def balanced_shares(sizes: list[int], workers: int) -> list[list[int]]:
    """Task indices per worker: largest first to the least loaded, then each share in order."""
    loads = [0] * workers
    shares: list[list[int]] = [[] for _ in range(workers)]
    for index in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        least = loads.index(min(loads))
        loads[least] += sizes[index]
        shares[least].append(index)
    return [sorted(share) for share in shares if share]


def parse_in_workers(
    tasks: list[Any],
    sizes: list[int],
    workers: int,
    folder: str,
    read_group: Callable[[Any], tuple[Any, ...]],
    done: Callable[[], object] | None = None,
) -> Iterator[tuple[str, Report]]:
    """Yield (spool file, report) per group as workers write them, in no particular order.

    Groups no worker reported are not yielded: the caller reads them itself. `read_group` runs
    in the workers and returns a group's read fields, one marshal block per UTC hour, and the
    count, then anything more to report with them (marshal-able). `done`: called in each worker
    once it has read its last group (before it exits).
    """
    fs.make_private_folder(folder)  # never through a link planted there
    scan = os.getpid()
    children: dict[int, tuple[int, str]] = {}  # pipe fd -> pid, spool file
    buffers: dict[int, bytes] = {}  # pipe fd -> bytes of an unfinished message (open pipes only)
    largest_first = sorted(range(len(tasks)), key=lambda i: -sizes[i])
    queue = _queue(largest_first) if workers > 1 and len(tasks) > 1 else None
    plans: list[list[int] | int] = []  # each worker's share, or the queue each takes from
    if queue is not None:
        plans.extend([queue] * min(workers, len(tasks)))
    else:
        plans.extend(balanced_shares(sizes, workers))
    try:
        for number, plan in enumerate(plans):
            spool = fs.temp_name(os.path.join(folder, f"worker-{number}"))  # see fs.create_new
            read_end, write_end = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # no memory or processes left: the other workers or the caller read it
                os.close(read_end)
                os.close(write_end)
                continue
            if pid == 0:  # the worker: never returns
                for fd in [read_end, *children]:  # earlier workers' pipes end with the scan alone
                    os.close(fd)
                _work(plan, tasks, spool, write_end, read_group, scan, done)
            os.close(write_end)
            children[read_end] = (pid, spool)
            buffers[read_end] = b""
        if queue is not None:
            os.close(queue)  # the workers hold it
            queue = None
        while buffers:
            ready, _, _ = select.select(list(buffers), [], [])
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:  # the worker ended (or died): what it did not confirm is not used
                    os.close(fd)
                    del buffers[fd]
                    continue
                data = buffers[fd] + chunk
                while len(data) >= _HEADER:
                    size = int.from_bytes(data[:_HEADER], "little")
                    if len(data) < _HEADER + size:
                        break
                    report = marshal.loads(data[_HEADER : _HEADER + size])
                    data = data[_HEADER + size :]
                    yield children[fd][1], report
                buffers[fd] = data
    finally:
        if queue is not None:
            os.close(queue)
        for fd in buffers:
            os.close(fd)
        for pid, _spool in children.values():
            try:
                os.kill(pid, signal.SIGKILL)  # stops a worker still running when the scan stops early
            except OSError:
                pass
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass


def _queue(order: list[int]) -> int | None:
    """A pipe holding every task index in `order` (4 bytes each), its write end closed: its read
    end, from which workers take one task at a time; None where a pipe cannot hold them all
    (F_SETPIPE_SZ grows a Linux pipe to a MiB: 262,144 tasks)."""
    read_end, write_end = os.pipe()
    data = b"".join(index.to_bytes(4, "little") for index in order)
    try:
        if len(data) > 1 << 16:  # a pipe's default size
            try:
                import fcntl

                fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, len(data))
            except (ImportError, AttributeError, OSError):
                pass
        os.set_blocking(write_end, False)
        try:
            write_all(write_end, data)
        except BlockingIOError:
            os.close(read_end)
            return None
    finally:
        os.close(write_end)
    return read_end


def _taken(queue: int) -> Iterator[int]:
    """Tasks taken from the queue until it is empty (a read of 4 bytes never splits a task: all
    were written before any read, in whole tasks)."""
    while len(got := os.read(queue, 4)) == 4:
        yield int.from_bytes(got, "little")


def _work(
    plan: list[int] | int,
    tasks: list[Any],
    spool: str,
    pipe: int,
    read_group: Callable[[Any], tuple[Any, ...]],
    scan: int,
    done: Callable[[], object] | None = None,
) -> None:
    """A worker's life: read its groups (its share, or taken from the queue `plan`), spool each
    one's blocks, then report it; exit.
    It stops as soon as it finds the scan (`scan`, its parent) gone: nothing it does after
    that could be used."""
    code = 1
    try:
        import gc

        gc.disable()  # records are acyclic tuples and lists: collection passes only cost time
        fd = fs.create_new(spool)
        offset = 0
        for index in plan if isinstance(plan, list) else _taken(plan):
            if os.getppid() != scan:
                break
            fields, blocks, count, *more = read_group(tasks[index])
            if os.getppid() != scan:
                break
            places: dict[int, tuple[int, int]] = {}
            for hour, block in blocks.items():
                places[hour] = (offset, len(block))
                offset += len(block)
            # Written before it is reported: a worker that dies later loses nothing reported.
            write_all(fd, b"".join(blocks.values()))
            _send(pipe, (index, fields, places, count, *more))
        else:
            if done is not None:
                done()
        os.close(fd)
        code = 0
    except BaseException:  # the scanning process reads this worker's other groups itself
        pass
    finally:
        os._exit(code)


def _send(pipe: int, report: Report) -> None:
    message = marshal.dumps(report)
    write_all(pipe, len(message).to_bytes(_HEADER, "little") + message)
