"""The status line command: payload on stdin → one coloured line on stdout, always, exit 0.

Also the line's look: semantic styles to ANSI, sanitising, display width, fitting to COLUMNS.

This is the hot path Claude Code runs after every assistant message. It imports nothing that
costs milliseconds (no json, re, typing, dataclasses, datetime, click, orjson); errors are
logged to the cache dir and the user still gets a line.
"""

from __future__ import annotations

import os
import sys
import time

from statusline.paths import cache_dir
from statusline.payload import MAX_PAYLOAD_BYTES, parse_payload

CLAUDE_CODE_INDENT = 2  # Claude Code indents the status line by two columns
RENDER_FLAGS = frozenset({"--no-color", "--color"})

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


# Bidirectional overrides and isolates reorder what is shown: no place on a status line.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def sanitise(value: str, limit: int = 60) -> str:
    """Drop control characters (escape sequences cannot reach the terminal) and cap the length."""
    out = "".join(ch for ch in value if ch >= " " and not ("\x7f" <= ch <= "\x9f") and ch not in _BIDI)
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
            parts = [([(_truncate(plain(parts[0][0]), width), parts[0][0][0][1])], parts[0][1])]
    if not color:
        return (" | " if theme == "plain" else SEPARATOR).join(plain(p[0]) for p in parts)
    if theme == "powerline":
        return _powerline(parts)
    sep = f"\x1b[{PALETTE['muted']}m{SEPARATOR}"
    body = sep.join(
        "".join(f"\x1b[{PALETTE.get(style, '39')}m{txt}" for txt, style in spans) for spans, _ in parts
    )
    return body + "\x1b[0m" if body else body


def use_color(env: dict[str, str] | os._Environ[str], flags: list[str]) -> bool:
    """Colour unless NO_COLOR is set (any value), `--no-color`, or COSTLINE_COLOR=never."""
    if "--no-color" in flags or env.get("NO_COLOR"):
        return False
    return env.get("COSTLINE_COLOR", "auto").lower() not in ("never", "0", "off", "no")


def available_width(env: dict[str, str] | os._Environ[str], configured_padding: int = 0) -> int | None:
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


def build_line(raw: bytes, env: dict[str, str] | os._Environ[str], now_s: float, flags: list[str]) -> str:
    """Render one status line from raw payload bytes."""
    from statusline.context import Context
    from statusline.segments import run_segments

    cache = cache_dir()
    payload, problem = parse_payload(raw)
    if problem:
        from statusline import log  # only when there is something to log

        log.write(cache, problem)
    ctx = Context(payload, now_s, env, cache)
    zone = ctx.prices.get("timezone")
    if isinstance(zone, str) and zone:  # config `timezone`: the C library reads the zone files
        os.environ["TZ"] = zone
        time.tzset()
    try:
        ctx.refresh_index()
        ctx.track_unlogged()
        ctx.track_limits()
    except Exception as exc:
        if isinstance(exc, OSError):  # e.g. a cache dir that cannot be written: today is unknown
            ctx.index_error = exc
        from statusline import log

        log.exception(cache, "index refresh", exc)
    parts = [(spans, priority) for spans, priority, _ in run_segments(ctx)]
    if ctx.is_subscription and parts:
        for spans, _ in parts:
            if spans[0][1].startswith("cost"):
                spans.insert(0, ("API-eq ", "muted"))
                break
    if problem:
        parts.append(([(problem if parts else f"costline: {problem}", "error")], 5))
    theme = env.get("COSTLINE_THEME") or ctx.prices.get("theme")
    theme = theme if isinstance(theme, str) else "default"
    padding = ctx.prices.get("padding")
    color, width = use_color(env, flags), available_width(env, padding if isinstance(padding, int) else 0)
    line = compose(parts, color, width, theme) or "costline"
    second = ctx.prices.get("second_line")
    if isinstance(second, list) and second:  # Claude Code shows each output line as a row
        from statusline.segments import run_segments as run

        row = compose([(s, p) for s, p, _ in run(ctx, second)], color, width, theme)
        if row:
            line += "\n" + row
    return line


def main(flags: list[str] | None = None) -> int:
    """`costline`: render (no subcommand), else hand over to the click CLI.

    The render never raises and always prints exactly one line; the CLI (and click) is only
    imported when a subcommand is given.
    """
    flags = flags if flags is not None else sys.argv[1:]
    if not all(flag in RENDER_FLAGS for flag in flags):
        try:
            from statusline.cli import main as cli
        except Exception as exc:  # a broken install: still one line, not a traceback
            sys.stderr.write(f"costline: cannot start the command line: {type(exc).__name__}: {exc}\n")
            return 3
        return cli(flags)
    return render_main(flags, exit_now=True)


def render_main(flags: list[str], exit_now: bool = False) -> int:
    """Read the payload, print the line; never raises, exit 0, one line (two with line.second_line)."""
    try:
        stdin = sys.stdin.buffer if sys.stdin is not None else None
        if stdin is None or stdin.isatty():
            line = "costline: pipe a Claude Code status payload on stdin (try `costline --help`)"
        else:
            line = build_line(stdin.read(MAX_PAYLOAD_BYTES + 1), os.environ, time.time(), flags)
    except BaseException as exc:
        line = "costline: error (see costline.log)"
        try:
            from statusline import log

            log.exception(cache_dir(), "render", exc)
        except BaseException:
            pass
    # At most the two rows build_line made; nothing from outside can add one (texts are sanitised).
    rows = line.split("\n")[:2]
    data = ("\n".join(rows) + "\n").encode("utf-8", "replace")
    try:
        while data:
            data = data[os.write(1, data) :]
    except OSError:
        pass
    if exit_now:
        # Everything is written with os.write and closed: skip the interpreter's teardown of
        # ~40 modules, which costs about as much as the render's own work.
        os._exit(0)
    return 0
