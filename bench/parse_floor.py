"""The parse floor: what reading and parsing every transcript line with orjson costs, and nothing else.

Usage: python bench/parse_floor.py ROOT [--workers N] [--records]
Walks ROOT/projects/**/*.jsonl, then, in N forked processes (default: the machine's cores), each
taking files from one shared queue, largest first (as a cold build's workers do), maps every file
read-only and hands each line to orjson.loads, dropping the result. No record is made, nothing
is written. With --records, each file goes through costline's own reader instead
(scanread.records_in_fast: the usage records of every line made exactly as a cold build makes
them, then dropped): no dedup, no index, no report. A cold `report daily` cannot be faster than
either on the same machine in the same minute: cold_bench.py times both in each round beside
costline and ccusage, so the cold target can be read against what the parse alone costs here.
Prints `lines N` (lines parsed), `bytes N` on stdout.
"""

from __future__ import annotations

import mmap
import os
import sys

import orjson


def transcripts(root: str) -> list[tuple[int, str]]:
    """(size, path) of every transcript under root/projects, largest first."""
    found = []
    for folder, _dirs, names in os.walk(os.path.join(root, "projects")):
        for name in names:
            if name.endswith(".jsonl"):
                path = os.path.join(folder, name)
                found.append((os.path.getsize(path), path))
    return sorted(found, reverse=True)


def mapped(path: str) -> mmap.mmap | None:
    """The file mapped read-only at once, as a cold build's workers map it (None when empty)."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if not size:
            return None
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        return mmap.mmap(fh.fileno(), size, flags=flags, prot=mmap.PROT_READ)


def parse_file(path: str) -> int:
    """Parse every line of one file (a line that does not parse is skipped); the lines read."""
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    data = mapped(path)
    if data is None:
        return 0
    size = len(data)
    view = memoryview(data)
    find = data.find
    pos = count = 0
    while pos < size:
        cut = find(b"\n", pos, size)
        if cut < 0:
            cut = size
        if cut > pos:
            try:
                loads(view[pos:cut])
            except decode_error:
                pass
            count += 1
        pos = cut + 1
    view.release()
    data.close()
    return count


def records_of_file(path: str) -> int:
    """Every line through costline's cold reader (records made and dropped); the records made."""
    from statusline.index.scanread import records_in_fast, scan_parser

    loads = scan_parser()
    data = mapped(path)
    if data is None:
        return 0
    size = len(data)
    records: list[tuple[object, ...]] = []
    records_in_fast(data, 0, size, loads, os.path.basename(path)[:-6], records)
    data.close()
    return len(records)


def main() -> None:
    args = sys.argv[1:]
    read = parse_file
    if "--records" in args:
        args.remove("--records")
        read = records_of_file
    workers = os.cpu_count() or 1
    if "--workers" in args:
        at = args.index("--workers")
        workers = int(args[at + 1])
        del args[at : at + 2]
    files = transcripts(args[0])
    queue_read, queue_write = os.pipe()
    order = b"".join(i.to_bytes(4, "little") for i in range(len(files)))
    if len(order) > 1 << 16:  # past a pipe's default size (Linux grows one to a MiB)
        import fcntl

        fcntl.fcntl(queue_write, fcntl.F_SETPIPE_SZ, len(order))
    os.write(queue_write, order)
    os.close(queue_write)
    results_read, results_write = os.pipe()
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            lines = 0
            while len(got := os.read(queue_read, 4)) == 4:
                lines += read(files[int.from_bytes(got, "little")][1])
            os.write(results_write, lines.to_bytes(8, "little"))
            os._exit(0)
        children.append(pid)
    os.close(results_write)
    total = 0
    while chunk := os.read(results_read, 8):
        total += int.from_bytes(chunk, "little")
    for pid in children:
        os.waitpid(pid, 0)
    what = "records" if read is records_of_file else "lines"
    print(f"{what} {total}\nbytes {sum(size for size, _ in files)}")


if __name__ == "__main__":
    main()
