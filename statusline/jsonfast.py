"""Parse JSON with the C scanner that `json` uses, without importing `json` (and `re`)."""

from __future__ import annotations

from _json import make_scanner

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

    def __init__(self) -> None:
        self.strict = False
        self.object_hook = None
        self.object_pairs_hook = None
        self.parse_float = float
        self.parse_int = int
        self.parse_constant = float  # NaN / Infinity; callers reject non-finite numbers
        self.memo: dict[str, str] = {}


_CONTEXT = _ScanContext()
_scan = make_scanner(_CONTEXT)


def loads(text: str) -> object:
    """Parse one JSON document; raise ValueError on anything else."""
    start = 0
    end = len(text)
    while start < end and text[start] in _WS:
        start += 1
    try:
        value, pos = _scan(text, start)
    except StopIteration:
        raise ValueError("not JSON") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    finally:
        _CONTEXT.memo.clear()
    while pos < end and text[pos] in _WS:
        pos += 1
    if pos != end:
        raise ValueError("trailing data after JSON")
    return value
