"""The line's look: semantic styles to ANSI colours, themes, sanitising, display width, and
fitting the segments to the terminal. The only place with ANSI codes; no I/O.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` costs milliseconds on the render path
if TYPE_CHECKING:
    from collections.abc import Mapping

CLAUDE_CODE_INDENT = 2  # Claude Code indents the status line by two columns

# Claude Code dims text that follows a bare reset (`ESC[0m`), so every segment and separator sets
# its own colour and the only reset is at the very end. The palette uses the 16 standard colours,
# which terminal themes tune for their own background, so it reads on dark and light.
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


# What never reaches a terminal, as ranges of code points (unicodedata costs an import): all of
# Unicode's Cc (C0/C1 controls, so every escape sequence), Cf (bidi embeddings, overrides,
# isolates and marks, U+061C, zero-width and invisible characters, tags) and Zl/Zp (U+2028,
# U+2029), checked against unicodedata by tests/test_look.py. Kept: ZWNJ and ZWJ (U+200C/D),
# which only join or part their neighbours (Persian and Indic words, emoji sequences need them)
# and never move or hide other text. The HTML page replaces the same list (html/svg.py).
UNPRINTABLE = (
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x180E, 0x180E),
    (0x200B, 0x200B),
    (0x200E, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_drop: dict[int, None] = {}  # built on first need: most renders never need it (30 µs)


def sanitise(value: str, limit: int = 60) -> str:
    """Drop what a terminal would act on or show out of order (UNPRINTABLE) and cap the length;
    only a prefix is read, so a 20,000-character name costs what a short one does."""
    out = value[: limit * 8]
    if not out.isprintable():  # in C; false for every UNPRINTABLE character (and a few kept)
        if not _drop:
            _drop.update(dict.fromkeys(cp for first, last in UNPRINTABLE for cp in range(first, last + 1)))
        out = out.translate(_drop)
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


def truncate(value: str, width: int) -> str:
    if display_width(value) <= width:
        return value
    if width <= 1:
        return ELLIPSIS[:width]
    while value and display_width(value) > width - 1:
        value = value[:-1]
    return value + ELLIPSIS


def plain(spans: list[tuple[str, str]]) -> str:
    return "".join(t for t, _ in spans)


# Themes: "default" (16 colours, ` · `), "plain" (ASCII, no colour) and "powerline" (coloured
# blocks joined by the Nerd Font arrow U+E0B0; opt-in, it needs a patched font).
ASCII = str.maketrans({"·": "|", "−": "-", "…": "...", "≈": "~"})
POWERLINE_ARROW = "\ue0b0"
POWERLINE_BG = {
    "model": "44",
    "cost": "42",
    "cost.ok": "42",
    "cost.warn": "43",
    "cost.alert": "41",
    "ctx.ok": "42",
    "ctx.warn": "43",
    "ctx.alert": "41",
    "error": "41",
}


def _powerline(parts: list[tuple[list[tuple[str, str]], int]]) -> str:
    """Coloured blocks; each arrow takes the previous block's colour over the next block's."""
    out = []
    prev_bg = None
    for spans, _ in parts:
        bg = POWERLINE_BG.get(spans[0][1], "100")
        if prev_bg is not None:
            out.append(f"\x1b[{int(prev_bg) - 10};{bg}m{POWERLINE_ARROW}")
        out.append(f"\x1b[30;{bg}m " + "".join(t for t, _ in spans) + " ")
        prev_bg = bg
    if prev_bg is None:
        return ""
    return "".join(out) + f"\x1b[49;{int(prev_bg) - 10}m{POWERLINE_ARROW}\x1b[0m"


def compose(
    parts: list[tuple[list[tuple[str, str]], int]], color: bool, width: int | None, theme: str = "default"
) -> str:
    """Join segments (spans of (text, style), priority); drop the least important until it fits."""
    if theme == "plain":
        parts = [
            ([(t.translate(ASCII).encode("ascii", "replace").decode(), s) for t, s in spans], p)
            for spans, p in parts
        ]
        color = False
    parts = [p for p in parts if plain(p[0])]
    if width is not None:
        while len(parts) > 1 and display_width(SEPARATOR.join(plain(p[0]) for p in parts)) > width:
            weakest = min(range(len(parts)), key=lambda i: (parts[i][1], -i))
            parts.pop(weakest)
        if parts and display_width(plain(parts[0][0])) > width:
            parts = [([(truncate(plain(parts[0][0]), width), parts[0][0][0][1])], parts[0][1])]
    if not color:
        return (" | " if theme == "plain" else SEPARATOR).join(plain(p[0]) for p in parts)
    if theme == "powerline":
        return _powerline(parts)
    sep = f"\x1b[{PALETTE['muted']}m{SEPARATOR}"
    body = sep.join(
        "".join(f"\x1b[{PALETTE.get(style, '39')}m{txt}" for txt, style in spans) for spans, _ in parts
    )
    return body + "\x1b[0m" if body else body


def use_color(env: Mapping[str, str], flags: list[str]) -> bool:
    """Colour unless NO_COLOR is set (any value), `--no-color`, or COSTLINE_COLOR=never."""
    if "--no-color" in flags or env.get("NO_COLOR"):
        return False
    return env.get("COSTLINE_COLOR", "auto").lower() not in ("never", "0", "off", "no")


def available_width(env: Mapping[str, str], configured_padding: int = 0) -> int | None:
    """Columns the line may use: COLUMNS less Claude Code's indent and the configured padding."""
    try:
        columns = int(env.get("COLUMNS", ""))
    except ValueError:
        return None
    try:
        padding = max(0, int(env.get("COSTLINE_PADDING", str(configured_padding))))
    except ValueError:
        padding = configured_padding
    return max(columns - CLAUDE_CODE_INDENT - padding, 10) if columns > 0 else None
