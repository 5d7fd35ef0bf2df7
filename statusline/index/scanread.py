"""What only a scan's reads of a transcript do, never a render's (its reads are bounded by a
budget, never mapped, and parsed by lines.parse_lean): a file mapped instead of copied, a line
longer than the budget read on to its end, orjson's parser. Kept out of newlines.py and lines.py,
which every render imports, so a render loads less code.
"""

from __future__ import annotations

from statusline.index import lines
from statusline.index.lines import parse_lean

TYPE_CHECKING = False
if TYPE_CHECKING:
    import io
    from collections.abc import Callable
    from mmap import mmap

SCAN_CHUNK = 1 << 20


def map_file(fd: int, size: int) -> mmap:
    import mmap as module  # only in a scan's workers

    flags = module.MAP_SHARED | getattr(module, "MAP_POPULATE", 0)  # mapped at once, not page by page
    return module.mmap(fd, size, flags=flags, prot=module.PROT_READ)


def long_line(fh: io.BufferedReader, start: bytes) -> tuple[bytes | None, int, bool]:
    """Finish a line that did not fit the budget: (the line, or None when it is longer than
    lines.MAX_LINE_BYTES, never held whole; its bytes, newline included; whether it ended)."""
    limit = lines.MAX_LINE_BYTES
    parts = [start]
    size = len(start)
    keep = True
    while True:
        chunk = fh.read(SCAN_CHUNK)
        cut = chunk.find(b"\n")
        piece = chunk if cut < 0 else chunk[: cut + 1]
        size += len(piece)
        if keep:
            parts.append(piece)
            if size - (cut >= 0) > limit:  # its bytes before the newline
                keep, parts = False, []
        if cut >= 0 or not chunk:
            return (b"".join(parts) if keep else None), size, cut >= 0


def fast_parser() -> Callable[[bytes], object]:
    """orjson's parser with the lean one as referee (imports orjson: never on the render path)."""
    import orjson

    orjson_loads = orjson.loads
    decode_error = orjson.JSONDecodeError

    def parse(line: bytes) -> object:
        try:
            return orjson_loads(line)
        except decode_error:
            return parse_lean(line)

    return parse
