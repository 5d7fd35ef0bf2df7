"""Semantic styles to ANSI, sanitising, display width and fitting the line to the terminal.

Claude Code dims text that follows a bare reset (`ESC[0m`), so every segment and separator
sets its own colour and the only reset is at the very end. The palette uses the 16 standard
colours, which terminal themes tune for their own background, so it reads on dark and light.
"""

from __future__ import annotations

PALETTE = {
    "model": "36",  # cyan
    "cost": "32",
    "cost.ok": "32",  # green
    "cost.warn": "33",  # yellow
    "cost.alert": "31",  # red
    "muted": "90",  # bright black: separators, labels
    "ctx.ok": "32",
    "ctx.warn": "33",
    "ctx.alert": "31",
    "added": "32",
    "removed": "31",
    "error": "31",
}
SEPARATOR = " · "
ELLIPSIS = "…"


def sanitise(value: str, limit: int = 60) -> str:
    """Drop control characters (escape sequences cannot reach the terminal) and cap the length."""
    out = "".join(ch for ch in value if ch >= " " and not ("\x7f" <= ch <= "\x9f"))
    return out if len(out) <= limit else out[: limit - 1] + ELLIPSIS


def display_width(value: str) -> int:
    """Terminal columns of plain text: wide East Asian characters take two."""
    if value.isascii():
        return len(value)
    import unicodedata

    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in value
    )


def _truncate(value: str, width: int) -> str:
    if display_width(value) <= width:
        return value
    if width <= 1:
        return ELLIPSIS[:width]
    while value and display_width(value) > width - 1:
        value = value[:-1]
    return value + ELLIPSIS


def plain(spans: list[tuple[str, str]]) -> str:
    return "".join(t for t, _ in spans)


def compose(parts: list[tuple[list[tuple[str, str]], int]], color: bool, width: int | None) -> str:
    """Join segments (spans of (text, style), priority); drop the least important until it fits."""
    parts = [p for p in parts if plain(p[0])]
    if width is not None:
        while len(parts) > 1 and display_width(SEPARATOR.join(plain(p[0]) for p in parts)) > width:
            weakest = min(range(len(parts)), key=lambda i: (parts[i][1], -i))
            parts.pop(weakest)
        if parts and display_width(plain(parts[0][0])) > width:
            parts = [([(_truncate(plain(parts[0][0]), width), parts[0][0][0][1])], parts[0][1])]
    if not color:
        return SEPARATOR.join(plain(p[0]) for p in parts)
    sep = f"\x1b[{PALETTE['muted']}m{SEPARATOR}"
    body = sep.join(
        "".join(f"\x1b[{PALETTE.get(style, '39')}m{txt}" for txt, style in spans) for spans, _ in parts
    )
    return body + "\x1b[0m" if body else body
