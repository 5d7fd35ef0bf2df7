"""The status line command: payload on stdin → one coloured line on stdout, always, exit 0.

This is the hot path Claude Code runs after every assistant message. It imports nothing that
costs milliseconds (no json, re, typing, dataclasses, datetime, click, orjson); errors are
logged to the cache dir and the user still gets a line.
"""

from __future__ import annotations

import os
import sys
import time

from statusline import log
from statusline.paths import cache_dir
from statusline.payload import MAX_PAYLOAD_BYTES, parse_payload
from statusline.style import compose

CLAUDE_CODE_INDENT = 2  # Claude Code indents the status line by two columns


def use_color(env: dict[str, str] | os._Environ[str], flags: list[str]) -> bool:
    """Colour unless NO_COLOR is set (any value), `--no-color`, or COSTLINE_COLOR=never."""
    if "--no-color" in flags or env.get("NO_COLOR"):
        return False
    return env.get("COSTLINE_COLOR", "auto").lower() not in ("never", "0", "off", "no")


def available_width(env: dict[str, str] | os._Environ[str]) -> int | None:
    """Columns the line may use: COLUMNS less Claude Code's indent and the configured padding."""
    try:
        columns = int(env.get("COLUMNS", ""))
    except ValueError:
        return None
    try:
        padding = max(0, int(env.get("COSTLINE_PADDING", "0")))
    except ValueError:
        padding = 0
    return max(columns - CLAUDE_CODE_INDENT - padding, 10) if columns > 0 else None


def build_line(raw: bytes, env: dict[str, str] | os._Environ[str], now_s: float, flags: list[str]) -> str:
    """Render one status line from raw payload bytes."""
    from statusline.context import Context
    from statusline.segments import run_segments

    cache = cache_dir()
    payload, problem = parse_payload(raw)
    if problem:
        log.write(cache, problem)
    ctx = Context(payload, now_s, env, cache)
    try:
        ctx.refresh_index()
    except Exception as exc:
        log.exception(cache, "index refresh", exc)
    parts = [(spans, priority) for spans, priority, _ in run_segments(ctx)]
    if ctx.is_subscription and parts:
        for spans, _ in parts:
            if spans[0][1].startswith("cost"):
                spans.insert(0, ("API-eq ", "muted"))
                break
    if problem:
        parts.append(([(problem if parts else f"costline: {problem}", "error")], 5))
    line = compose(parts, use_color(env, flags), available_width(env))
    return line or "costline"


def main(flags: list[str] | None = None) -> int:
    """Entry point of the render; never raises and always prints exactly one line."""
    flags = flags if flags is not None else sys.argv[1:]
    try:
        stdin = sys.stdin.buffer if sys.stdin is not None else None
        if stdin is None or stdin.isatty():
            line = "costline: pipe a Claude Code status payload on stdin (try `costline --help`)"
        else:
            line = build_line(stdin.read(MAX_PAYLOAD_BYTES + 1), os.environ, time.time(), flags)
    except BaseException as exc:
        log.exception(cache_dir(), "render", exc)
        line = "costline: error (see costline.log)"
    try:
        out = sys.stdout.buffer
        out.write((line.replace("\n", " ") + "\n").encode("utf-8", "replace"))
        out.flush()
    except (AttributeError, OSError, ValueError):
        try:
            sys.stdout = None  # type: ignore[assignment] - silence the interpreter's own flush error
        except Exception:
            pass
    return 0
