"""JSON without `json`, and tolerant access to Claude Code's status payload.

`loads` runs the C scanner that `json` itself uses, without importing `json` (which imports `re`,
several milliseconds on the render path). Payload fields may be missing, null or odd: accessors
return None rather than raise.
"""

from __future__ import annotations

from _json import make_scanner

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
_WS = " \t\n\r"


class _ScanContext:
    """The attributes `_json.make_scanner` reads from a `json.JSONDecoder`."""

    __slots__ = (
        "memo",
        "object_hook",
        "object_pairs_hook",
        "parse_constant",
        "parse_float",
        "parse_int",
        "strict",
    )

    def __init__(self, strict: bool) -> None:
        self.strict = strict  # strict: raw control characters in strings and NaN are refused
        self.object_hook = None
        self.object_pairs_hook = None
        self.parse_float = float
        self.parse_int = int
        # NaN / Infinity: the tolerant parser lets callers reject non-finite numbers.
        self.parse_constant = _no_constant if strict else float
        self.memo: dict[str, str] = {}


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def json_parser(strict: bool) -> Callable[[str], object]:
    """A parser of one JSON document (ValueError on anything else; RecursionError when deep)."""
    context = _ScanContext(strict)
    scan = make_scanner(context)  # type: ignore[arg-type]  # duck-typed like JSONDecoder
    memo = context.memo

    def parse(text: str) -> object:
        start = 0
        end = len(text)
        while start < end and text[start] in _WS:
            start += 1
        try:
            value, pos = scan(text, start)
        except (StopIteration, SystemError):
            # Deep inside a document the C scanner reports an error through json.decoder, which
            # the render never imports: it then fails with SystemError, which means "not JSON".
            raise ValueError("not JSON") from None
        finally:
            memo.clear()
        while pos < end and text[pos] in _WS:
            pos += 1
        if pos != end:
            raise ValueError("trailing data after JSON")
        return value

    return parse


_tolerant = json_parser(strict=False)


def loads(text: str) -> object:
    """Parse one JSON document, tolerantly (the payload); raise ValueError on anything else."""
    try:
        return _tolerant(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def parse_payload(raw: bytes) -> tuple[dict[str, object], str | None]:
    """The payload object, or {} and a short reason when it is not a JSON object."""
    if not raw.strip():
        return {}, "empty payload"
    if len(raw) > MAX_PAYLOAD_BYTES:
        return {}, "payload too large"
    try:
        value = loads(raw.decode("utf-8", "replace"))
    except ValueError:
        return {}, "payload is not JSON"
    if not isinstance(value, dict):
        return {}, "payload is not a JSON object"
    return value, None


def field(payload: dict[str, object], *path: str) -> object:
    """The value at a dotted path, or None if any step is missing or not an object."""
    cur: object = payload
    for key in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


def number(value: object) -> float | None:
    """A finite int/float (bools and NaN/inf rejected), else None."""
    if (type(value) is int or type(value) is float) and -1e300 < value < 1e300:
        return float(value)
    return None


def is_number(value: object) -> bool:
    """An int or float, whatever its value (bools are not numbers here)."""
    return type(value) is int or type(value) is float


def within(value: object, low: float, high: float) -> float | None:
    """A number from `low` to `high`, else None: a reading out of its range is not a figure."""
    found = number(value)
    return found if found is not None and low <= found <= high else None


def text(value: object) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None
