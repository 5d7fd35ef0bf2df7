"""What only a scan's reads of a transcript do, never a render's (its reads are bounded by a
budget, never mapped, and parsed by lines.parse_lean): a file mapped instead of copied, a line
longer than the budget read on to its end, orjson's parser. Kept out of newlines.py and lines.py,
which every render imports, so a render loads less code.
"""

from __future__ import annotations

from sys import intern as _intern

from statusline.index import lines
from statusline.index.lines import parse_lean
from statusline.timeutil import parse_iso_ms

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


# Epoch milliseconds of each minute `YYYY-MM-DDTHH:MM:` met in a timestamp a full parse accepted
# in Claude Code's form (`2026-11-25T01:36:48.119Z`): such a timestamp is that minute's start
# plus its `SSmmm` digits read as one number (the full parse is linear in them).
_MINUTES: dict[str, int] = {}
_MINUTES_MAX = 1 << 20

_parser: list[Callable[[bytes], object]] = []


def _no_cost() -> object:
    """The 0.0 lines.records_of puts in a record without a logged cost, the very object: marshal
    writes an object met before as a reference to it, so records holding another 0.0 would make
    the hour files differ in their bytes (not in their values) from those records_of's make."""
    vec = lines._usage_record("", "", "", "", {"input_tokens": 0, "output_tokens": 0}, 0, None, 0)[5]
    return vec[6] if isinstance(vec, list) else 0.0


_NO_COST = _no_cost()


def scan_parser() -> Callable[[bytes], object]:
    """The scan's parser (fast_parser), one per process: records_in_fast knows it by identity
    and then calls orjson itself, the lean parser refereeing as in fast_parser."""
    if not _parser:
        _parser.append(fast_parser())
    return _parser[0]


def records_in_fast(
    data: bytes | bytearray | mmap,
    start: int,
    end: int,
    loads: Callable[[bytes], object],
    file_session: str,
    records: list[tuple[object, ...]],
    feed: Callable[[dict[str, object], list[tuple[object, ...]] | None], None] | None = None,
) -> tuple[int, dict[str, int]]:
    """lines.records_in with the same records, verdicts and counts, a cold build's usual line
    read in this loop: an assistant message with usage whose fields all have their usual types
    (strings, counts in range, a timestamp in Claude Code's form, no logged cost, no advisor
    iterations). Any other line goes through lines.records_of as before. A `feed` is given the
    same objects and records as lines.records_in gives it. (With another parser than
    scan_parser's, lines.records_in itself.)"""
    if not _parser or loads is not _parser[0]:
        return lines.records_in(data, start, end, loads, file_session, records, feed)
    import orjson

    orjson_loads, decode_error = orjson.loads, orjson.JSONDecodeError
    records_of, unparsed, might_carry_usage = lines.records_of, lines._unparsed, lines.might_carry_usage
    skip, limit, too_long, synthetic = lines.Skip, lines.MAX_LINE_BYTES, lines.TOO_LONG, lines.SYNTHETIC_MODEL
    max_tokens, sidechain, main = lines.MAX_TOKENS, lines.SIDECHAIN_COPY, lines.MAIN_COPY
    fast, geo_us = lines.CLS_FAST, lines.CLS_GEO_US
    minutes, no_cost = _MINUTES, _NO_COST
    append = records.append
    view = memoryview(data)
    find = data.find
    judged = 0
    skips: dict[str, int] = {}
    pos = start
    while pos < end:
        cut = find(b"\n", pos, end)
        if cut < 0:
            cut = end
        if cut - pos > limit:  # as lines.records_in
            pos = cut + 1
            judged += 1
            skips[too_long] = skips.get(too_long, 0) + 1
            continue
        line = view[pos:cut]
        pos = cut + 1
        try:
            try:
                obj = orjson_loads(line)
            except decode_error:
                obj = parse_lean(line)  # type: ignore[arg-type]
        except (ValueError, TypeError, RecursionError):
            try:
                obj = unparsed(bytes(line), loads)
            except skip:
                judged += 1
                skips["not JSON"] = skips.get("not JSON", 0) + 1
                continue
            if obj is None:
                continue
        if type(obj) is not dict:
            if might_carry_usage(bytes(line)):
                judged += 1
                skips["not a JSON object"] = skips.get("not a JSON object", 0) + 1
            continue
        message = obj.get("message")
        if type(message) is dict:
            usage = message.get("usage")
            if type(usage) is dict:
                # The usual line, read here; anything unusual breaks out to records_of.
                rec = None
                while True:
                    ts = obj.get("timestamp")
                    if type(ts) is not str or len(ts) != 24 or ts[19] != "." or ts[23] != "Z":
                        break
                    minute = minutes.get(ts[:17])
                    if minute is None:
                        ts_ms = parse_iso_ms(ts)
                        if ts_ms is None or not ts[17:19].isdigit() or not ts[20:23].isdigit():
                            break
                        if len(minutes) >= _MINUTES_MAX:
                            minutes.clear()
                        minute = minutes[ts[:17]] = ts_ms - int(ts[17:19]) * 1000 - int(ts[20:23])
                    rest = ts[17:19] + ts[20:23]  # SSmmm
                    if not rest.isdigit() or not rest.isascii() or rest >= "61":
                        break
                    model = message.get("model")
                    msg_id = message.get("id")
                    request_id = obj.get("requestId")
                    session = obj.get("sessionId")
                    if (
                        type(model) is not str
                        or model == synthetic
                        or type(msg_id) is not str
                        or not msg_id
                        or type(request_id) is not str
                        or type(session) is not str
                        or obj.get("costUSD") is not None
                    ):
                        break
                    get = usage.get
                    tokens_in = get("input_tokens")
                    tokens_out = get("output_tokens")
                    cache_total = get("cache_creation_input_tokens")
                    cache_read = get("cache_read_input_tokens")
                    if cache_total is None:
                        cache_total = 0
                    if cache_read is None:
                        cache_read = 0
                    if (
                        type(tokens_in) is not int
                        or not 0 <= tokens_in < max_tokens
                        or type(tokens_out) is not int
                        or not 0 <= tokens_out < max_tokens
                        or type(cache_total) is not int
                        or not 0 <= cache_total < max_tokens
                        or type(cache_read) is not int
                        or not 0 <= cache_read < max_tokens
                        or get("iterations") is not None
                    ):
                        break
                    split = get("cache_creation")
                    if type(split) is dict:
                        write_5m = split.get("ephemeral_5m_input_tokens")
                        write_1h = split.get("ephemeral_1h_input_tokens")
                        if write_5m is None:
                            write_5m = 0
                        if write_1h is None:
                            write_1h = 0
                        if (
                            type(write_5m) is not int
                            or not 0 <= write_5m < max_tokens
                            or type(write_1h) is not int
                            or not 0 <= write_1h < max_tokens
                        ):
                            break
                        unsplit = cache_total - write_5m - write_1h
                        if unsplit > 0:
                            write_5m += unsplit
                    else:
                        write_5m, write_1h = cache_total, 0
                    prompt = tokens_in + write_5m + write_1h + cache_read
                    cls = 2 if prompt > 200_000 else 1 if prompt > 100_000 else 0  # lines.prompt_class
                    speed = get("speed")
                    if speed is not None:
                        if speed == "fast":
                            cls |= fast
                        elif speed != "standard":
                            break
                    if get("inference_geo") == "us":
                        cls |= geo_us
                    rec = (
                        msg_id,
                        request_id,
                        _intern(session or file_session),
                        _intern(model),
                        cls,
                        [1, tokens_in, tokens_out, write_5m, write_1h, cache_read, no_cost],
                        prompt + tokens_out,
                        speed is not None,
                        sidechain if obj.get("isSidechain") is True else main,
                        minute + int(rest),
                    )
                    break
                if rec is not None:
                    judged += 1
                    append(rec)
                    if feed is not None:
                        feed(obj, [rec])
                    continue
        elif "data" not in obj:
            if feed is not None:  # no usage where records_of looks (as lines.records_in)
                feed(obj, [])
            continue
        if type(message) is dict and "usage" not in message and "data" not in obj:
            if feed is not None:
                feed(obj, [])
            continue
        try:
            found = records_of(obj, file_session)
        except skip as why:
            judged += 1
            skips[str(why)] = skips.get(str(why), 0) + 1
            if feed is not None:
                feed(obj, None)
            continue
        if feed is not None:
            feed(obj, found)
        if found:
            judged += 1
            records.extend(found)
    return judged, skips
