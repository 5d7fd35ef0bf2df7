"""Turn one transcript line into usage records: parse it as JSON, then take what the cost needs.

A record is a tuple:

    (msg_id, request_id, session, model, cls, vec, total, has_speed, sidechain, ts_ms)

`vec` is [messages, input, output, cache_write_5m, cache_write_1h, cache_read, cost_usd];
`cls` packs what the price depends on besides the model (see CLS_*); `sidechain` says where the
copy was logged (MAIN_COPY, SIDECHAIN_COPY, PROGRESS_COPY). Lines that carry no usage
return an empty list; lines that carry usage but break a rule raise `Skip` with a reason, so the
caller can count them.
"""

from __future__ import annotations

from sys import intern as _intern

from statusline.payload import json_parser
from statusline.timeutil import parse_iso_ms

TYPE_CHECKING = False  # `typing` costs milliseconds on the render path
if TYPE_CHECKING:
    from collections.abc import Callable
    from mmap import mmap

# cls bits: the prompt-size class (for per-request tiers), fast mode, US-only inference, and
# whether the cost was logged (`costUSD`, old Claude Code) rather than computed from tokens.
PROMPT_LE_100K = 0
PROMPT_LE_200K = 1
PROMPT_GT_200K = 2
CLS_PROMPT_MASK = 3
CLS_FAST = 4
CLS_GEO_US = 8
CLS_LOGGED_COST = 16

# Where a copy of a response was logged, best first: dedup keeps the best (update._better). A
# subagent's own transcript carries its agent; the copy some Claude Code versions also put in
# the parent's `agent_progress` line does not, and may have been taken while the response was
# still streaming. (Entries written before these ranks hold False and True: the first two.)
MAIN_COPY = 0  # the conversation's own line
SIDECHAIN_COPY = 1  # a sidechain line: a subagent's own (`isSidechain: true`)
PROGRESS_COPY = 2  # a subagent's response copied into a `progress` line of its parent's

SYNTHETIC_MODEL = "<synthetic>"
BOM = b"\xef\xbb\xbf"
# A token count above this is not a count (and orjson turns integers past 64 bits into floats).
MAX_TOKENS = 1 << 50

# The longest line (bytes before its newline) any reader takes in. Longer ones are garbage on
# every path, skipped without being held in memory and counted once; shorter ones are read whole
# by every path that judges lines, whatever its byte budget (a render leaves a line longer than
# its budget to the scan: it never judges it). A usage line holds one response: its output (at
# most 128K tokens, about half a MiB) and the results of server tools run within it (a fetched
# document); a `progress` line also carries the subagent's conversation so far, which the API
# caps at 32 MB per request but the transcript can log twice (a tool result in the message and
# in `toolUseResult`). Twice the request cap keeps every such line; one line held and parsed then
# costs the background scan a few hundred MB once, and a render never holds one.
MAX_LINE_BYTES = 64 << 20
TOO_LONG = "not read: longer than MAX_LINE_BYTES"  # a garbage reason (see newlines._skip_counter)


class Skip(Exception):
    """A line that has usage but is not counted; the message names the reason."""


# -- parsing: one verdict for the render and the scan -------------------------------------------
# The render parses with the C scanner `json` uses (no import cost); the scan with orjson, falling
# back to that scanner whenever orjson refuses a line. orjson accepts a subset of what the
# strict scanner accepts (it refuses lone surrogate escapes, numbers past 64 bits or 1e308 and
# nesting past 1024), so both give the strict scanner's verdict and the same cost fields (orjson
# turns integers past 64 bits into floats: token counts that large are refused on both paths).
_scan_text = json_parser(strict=True)
# Deep nesting is valid JSON: the scanner recurses, so it gets room up to this depth.
_DEEP_LIMIT = 5000


def parse_lean(line: bytes) -> object:
    """One JSON document from a transcript line, without importing `json` (the render's parser)."""
    text = str(line, "utf-8")  # bytes or a memoryview; UnicodeDecodeError is a ValueError
    try:
        return _scan_text(text)
    except RecursionError:
        pass
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, _DEEP_LIMIT + 100))
    try:
        return _scan_text(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    finally:
        sys.setrecursionlimit(old)


# Every spelling a `usage` key can have in a line: literally, or with a letter escaped; the
# escapes of u, s, a, g and e are all-digit (`\u0075`, `\u0073`, `\u0061`, `\u0067`, `\u0065`).


def might_carry_usage(line: bytes) -> bool:
    """A cheap superset test: every line with a `usage` key passes (escaped keys included)."""
    return b"usage" in line or b"\\u006" in line or b"\\u007" in line


def _count(value: object) -> int:
    """A token count: a non-negative integer (or an integral float such as 1000.0), not a bool."""
    if type(value) is int:
        if 0 <= value < MAX_TOKENS:
            return value
    elif type(value) is float and 0.0 <= value < MAX_TOKENS and value == int(value):
        return int(value)
    raise Skip("invalid token count")


def _optional_count(usage: dict[str, object], key: str) -> int:
    value = usage.get(key)
    if value is None:
        return 0
    if type(value) is int and 0 <= value < MAX_TOKENS:  # the usual case, without a call
        return value
    return _count(value)


def prompt_class(prompt_tokens: int) -> int:
    """Which side of the 100K and 200K per-request tier thresholds a prompt falls on."""
    if prompt_tokens > 200_000:
        return PROMPT_GT_200K
    if prompt_tokens > 100_000:
        return PROMPT_LE_200K
    return PROMPT_LE_100K


def _usage_record(
    msg_id: str,
    request_id: str,
    session: str,
    model: str,
    usage: dict[str, object],
    ts_ms: int,
    logged_cost: object,
    side: int,
) -> tuple[object, ...]:
    # Written for speed (a cold build makes hundreds of thousands): the usual value of each
    # field is checked inline, anything else goes through the checked path.
    get = usage.get
    tokens_in = get("input_tokens")
    if type(tokens_in) is not int or not 0 <= tokens_in < MAX_TOKENS:
        tokens_in = _count(tokens_in)
    tokens_out = get("output_tokens")
    if type(tokens_out) is not int or not 0 <= tokens_out < MAX_TOKENS:
        tokens_out = _count(tokens_out)
    cache_total = get("cache_creation_input_tokens")
    if type(cache_total) is not int or not 0 <= cache_total < MAX_TOKENS:
        cache_total = 0 if cache_total is None else _count(cache_total)
    cache_read = get("cache_read_input_tokens")
    if type(cache_read) is not int or not 0 <= cache_read < MAX_TOKENS:
        cache_read = 0 if cache_read is None else _count(cache_read)
    split = get("cache_creation")
    if type(split) is dict:
        write_5m = _optional_count(split, "ephemeral_5m_input_tokens")
        write_1h = _optional_count(split, "ephemeral_1h_input_tokens")
        # A write the split does not account for is billed as 5-minute, as Claude Code does.
        unsplit = cache_total - write_5m - write_1h
        if unsplit > 0:
            write_5m += unsplit
    else:
        write_5m, write_1h = cache_total, 0
    speed = get("speed")
    cls = prompt_class(tokens_in + write_5m + write_1h + cache_read)
    if speed is not None:
        if speed == "fast":
            cls |= CLS_FAST
        elif speed != "standard":
            raise Skip("unknown speed")
    if get("inference_geo") == "us":
        cls |= CLS_GEO_US
    cost = 0.0
    if logged_cost is not None:
        if not isinstance(logged_cost, (int, float)) or isinstance(logged_cost, bool):
            raise Skip("invalid costUSD")
        try:
            cost = float(logged_cost)
        except OverflowError:
            raise Skip("invalid costUSD") from None
        if cost != cost or not -1e9 < cost < 1e9:  # NaN, infinities, absurd
            raise Skip("invalid costUSD")
        cls |= CLS_LOGGED_COST
    vec = [1, tokens_in, tokens_out, write_5m, write_1h, cache_read, cost]
    total = tokens_in + tokens_out + write_5m + write_1h + cache_read
    if not msg_id:
        # No id to deduplicate by (ccusage would count every copy): a key made of what the line
        # says keeps a re-read of the same file from counting it again.
        msg_id = f"~{session}:{ts_ms}:{model}:{tokens_in}:{tokens_out}:{write_5m}:{write_1h}:{cache_read}"
    return (msg_id, request_id, session, model, cls, vec, total, speed is not None, side, ts_ms)


def _text(value: object, what: str) -> str:
    """An optional string field: missing, null or empty are all "not given"."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Skip(f"invalid {what}")
    return value


def usage_message(obj: object) -> tuple[dict[str, object], dict[str, object]] | None:
    """(envelope, message) of a parsed line whose message carries a usage object, else None."""
    if not isinstance(obj, dict):
        return None
    message = obj.get("message")
    if isinstance(message, dict) and isinstance(message.get("usage"), dict):
        return obj, message
    # Older Claude Code logged subagent turns as `progress` lines in the parent transcript.
    data = obj.get("data")
    inner = data.get("message") if isinstance(data, dict) else None
    if isinstance(inner, dict):
        message = inner.get("message")
        if isinstance(message, dict) and isinstance(message.get("usage"), dict):
            return inner, message
    return None


def records_from_line(
    line: bytes, loads: Callable[[bytes], object], file_session: str, candidate: bool = False
) -> list[tuple[object, ...]]:
    """Usage records of one transcript line (usually one; advisor iterations add more).

    The line is parsed as JSON first, so any valid serialisation (spacing, key order, escapes,
    CRLF, a byte-order mark) gives the same records. Only a field the cost depends on can make a
    line not count (timestamp, token counts, model, speed, costUSD); content never does, and an
    explicit null is read as "not given". `candidate`: the caller already ran the pre-filter.
    A line that is not JSON is garbage only if it might carry usage (`might_carry_usage`), so
    reading every line (`records_in`) and reading the pre-filtered ones give the same verdicts.
    """
    if len(line) > MAX_LINE_BYTES:
        raise Skip(TOO_LONG)
    if line[:3] == BOM:
        line = line[3:]
    if not candidate and not might_carry_usage(line):
        return []
    try:
        obj = loads(line)
    except (ValueError, TypeError, RecursionError):
        raise Skip("not JSON") from None
    if not isinstance(obj, dict):
        raise Skip("not a JSON object")
    return records_of(obj, file_session)


def records_in(
    data: bytes | bytearray | mmap,
    start: int,
    end: int,
    loads: Callable[[bytes], object],
    file_session: str,
    records: list[tuple[object, ...]],
    feed: Callable[[dict[str, object], list[tuple[object, ...]] | None], None] | None = None,
) -> tuple[int, dict[str, int]]:
    """Add the usage records of the complete lines in data[start:end] to `records`.

    Every line is parsed (a parse costs less than searching the line for a `usage` key, in both
    parsers); a line that does not parse is judged as `records_from_line` judges it, and so is
    one over MAX_LINE_BYTES. Returns the number of lines that carry usage or were skipped, and the
    skip reasons counted. `feed`: also given every parsed object with its records (None when
    refused), so that the attribution parses no line again (attrib/build.py, ColdRead).
    """
    view = memoryview(data)
    find = data.find
    judged = 0
    skips: dict[str, int] = {}
    limit = MAX_LINE_BYTES
    pos = start
    while pos < end:
        cut = find(b"\n", pos, end)
        if cut < 0:
            cut = end
        if cut - pos > limit:  # garbage whatever it holds, as a read of a smaller budget finds it
            pos = cut + 1
            judged += 1
            skips[TOO_LONG] = skips.get(TOO_LONG, 0) + 1
            continue
        line = view[pos:cut]
        pos = cut + 1
        try:
            obj = loads(line)  # type: ignore[arg-type]
        except (ValueError, TypeError, RecursionError):
            try:
                obj = _unparsed(bytes(line), loads)
            except Skip:
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
        if (type(message) is not dict or "usage" not in message) and "data" not in obj:
            # No usage where records_of looks (a prompt, a tool result, bookkeeping): a third
            # of a cold build's lines need no call.
            if feed is not None:
                feed(obj, [])
            continue
        try:
            found = records_of(obj, file_session)
        except Skip as why:
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


def _unparsed(line: bytes, loads: Callable[[bytes], object]) -> object:
    """A line the parser refused: parsed after its byte-order mark, or None when ignored (blank,
    or unable to carry usage); raises Skip("not JSON") for garbage that might have."""
    if line[:3] == BOM:
        try:
            return loads(line[3:])
        except (ValueError, TypeError, RecursionError):
            line = line[3:]
    if not might_carry_usage(line):
        return None
    raise Skip("not JSON")


def records_of(obj: dict[str, object], file_session: str) -> list[tuple[object, ...]]:
    """Usage records of one parsed line (a JSON object); [] if it carries no usage."""
    message: dict[str, object] = obj.get("message")  # type: ignore[assignment]
    found_usage = message.get("usage") if type(message) is dict else None
    if type(found_usage) is dict:
        envelope: dict[str, object] = obj
    else:
        found = usage_message(obj)
        if found is None:
            return []
        envelope, message = found
        found_usage = message["usage"]
    usage: dict[str, object] = found_usage  # type: ignore[assignment]
    ts_ms = parse_iso_ms(envelope.get("timestamp"))
    if ts_ms is None:
        raise Skip("invalid timestamp")
    # Strings as usual are taken as they are; anything else is checked (_text).
    model = message.get("model")
    if type(model) is not str:
        model = _text(model, "model")
    if model == SYNTHETIC_MODEL:
        raise Skip("synthetic")
    msg_id = message.get("id")
    if type(msg_id) is not str:
        msg_id = _text(msg_id, "message id")
    if envelope is obj:  # the usual case: one lookup each
        request_id, session, logged_cost = obj.get("requestId"), obj.get("sessionId"), obj.get("costUSD")
        side = SIDECHAIN_COPY if obj.get("isSidechain") is True else MAIN_COPY
    else:  # a progress line: the inner message's envelope first for the cost
        # Its own request id only: the outer line's is the parent's request, not this response's.
        request_id = envelope.get("requestId")
        session = obj.get("sessionId", envelope.get("sessionId"))
        logged_cost = obj.get("costUSD", envelope.get("costUSD"))
        side = PROGRESS_COPY
    if type(request_id) is not str:
        request_id = _text(request_id, "request id")
    if type(session) is not str:
        session = _text(session, "session id")
    # One object per distinct session and model: records hold them by the thousand.
    session, model = _intern(session or file_session), _intern(model)
    records = [_usage_record(msg_id, request_id, session, model, usage, ts_ms, logged_cost, side)]
    iterations = usage.get("iterations")
    if isinstance(iterations, list):
        for n, item in enumerate(iterations):
            if not isinstance(item, dict) or item.get("type") != "advisor_message":
                continue
            advisor_model = item.get("model")
            if not isinstance(advisor_model, str) or not advisor_model:
                continue
            nested = item.get("usage")
            item_usage: dict[str, object] = nested if isinstance(nested, dict) else item
            advisor_id = f"{msg_id}:advisor:{n}" if msg_id else ""
            try:
                records.append(
                    _usage_record(
                        advisor_id, request_id, session, advisor_model, item_usage, ts_ms, None, side
                    )
                )
            except Skip:
                continue  # a malformed advisor entry does not take the main record with it
    return records


def file_session_id(path: str) -> str:
    """The session a transcript file belongs to, from its path (as ccusage derives it)."""
    sep = "\\" if "\\" in path and "/" not in path else "/"
    parts = path.split(sep)
    name = parts[-1]
    stem = name[:-6] if name.endswith(".jsonl") else name
    if len(parts) >= 3 and parts[-2] == "subagents":
        return parts[-3]
    return stem
