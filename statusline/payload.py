"""Tolerant access to Claude Code's status payload: any field may be missing, null or odd."""

from __future__ import annotations

from statusline import jsonfast

MAX_PAYLOAD_BYTES = 4 * 1024 * 1024


def parse_payload(raw: bytes) -> tuple[dict[str, object], str | None]:
    """The payload object, or {} and a short reason when it is not a JSON object."""
    if not raw.strip():
        return {}, "empty payload"
    if len(raw) > MAX_PAYLOAD_BYTES:
        return {}, "payload too large"
    try:
        value = jsonfast.loads(raw.decode("utf-8", "replace"))
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
    if (type(value) is int or type(value) is float) and -1e300 < value < 1e300:  # type: ignore[operator]
        return float(value)  # type: ignore[arg-type]
    return None


def text(value: object) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None
