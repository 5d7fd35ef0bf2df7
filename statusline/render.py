"""The status line command: payload on stdin → one coloured line on stdout, always, exit 0.

The line's look (styles, themes, width) lives in look.py; the entry point that also knows the
command line is entry.py.

This is the hot path Claude Code runs after every assistant message. It imports nothing that
costs milliseconds (no json, re, typing, dataclasses, datetime, click, orjson); errors are
logged to the cache dir and the user still gets a line.
"""

from __future__ import annotations

import gc
import sys
import time

from statusline import fs
from statusline.look import available_width, compose, use_color
from statusline.paths import NOWHERE, cache_dir, config_location, config_refusal, usable_cache
from statusline.payload import MAX_PAYLOAD_BYTES, parse_payload

# Claude Code shows each line of the output as a row; `line.rows` has at most this many (as
# config.MAX_ROWS, which the render does not import).
MAX_ROWS = 10

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def build_line(
    raw: bytes, env: Mapping[str, str], now_s: float, flags: list[str], record: bool = True
) -> str:
    """Render one status line from raw payload bytes. `record` off (a preview): the line is
    the same, but nothing of the payload is kept (see Context.record)."""
    from statusline.context import Context
    from statusline.segments import run_segments

    # A cache or config dir others could change is not used at all: today is `$?`, saying why.
    # (NOWHERE: nothing is read from or written to it.) Each set of config dirs has its own.
    cache, refused = usable_cache()
    refused = refused or config_refusal(config_location())
    payload, problem = parse_payload(raw)
    if problem and record:
        from statusline import log  # only when there is something to log

        log.write(cache, problem)
    ctx = Context(payload, now_s, env, cache)
    ctx.refused = refused
    ctx.record = record
    zone = ctx.config.get("timezone")
    if isinstance(zone, str) and zone:  # config `timezone`: the C library reads the zone files
        fs.set_env("TZ", zone)
        time.tzset()
    try:
        if cache != NOWHERE and record:
            ctx.refresh_index()
            ctx.track_unlogged()
            ctx.track_limits()
        elif cache != NOWHERE:
            ctx.index_state()
            ctx.track_limits()  # reads the samples only
    except Exception as exc:
        if isinstance(exc, fs.Refused) and str(exc.strerror).startswith("cache dir"):
            ctx.refused = ctx.refused or str(exc.strerror)  # a folder planted inside: say which
        elif isinstance(exc, OSError):  # e.g. a cache dir that cannot be written: today is unknown
            ctx.index_error = exc
        from statusline import log

        log.exception(cache, "index refresh", exc)
    names = row_names(ctx.config)
    rows = [run_segments(ctx, row) for row in names]
    commands = [n[4:] for row in names if row for n in row if n.startswith("cmd:")]
    if commands:  # your own commands: the runner is started when one is due (commands.py)
        from statusline.commands import start_runner

        try:
            start_runner(ctx, commands, raw)
        except OSError as exc:
            from statusline import log

            log.exception(cache, "commands runner not started", exc)
    if ctx.is_subscription:
        label_api_equivalent(rows)
    if problem:
        rows[0].append(([(problem if rows[0] else f"costline: {problem}", "error")], 5, "problem"))
    theme = env.get("COSTLINE_THEME") or ctx.config.get("theme")
    theme = theme if isinstance(theme, str) else "default"
    padding = ctx.config.get("padding")
    color, width = use_color(env, flags), available_width(env, padding if isinstance(padding, int) else 0)
    # Each row is fitted to the width on its own; a row with nothing to show is dropped.
    shown = [compose([(spans, priority) for spans, priority, _ in row], color, width, theme) for row in rows]
    return "\n".join(row for row in shown if row) or "costline"


def row_names(config: Mapping[str, object]) -> list[list[str] | None]:
    """The segment names of each row: `line.rows` when set, else `line.segments` (None: the
    default line) and `line.second_line` (Claude Code shows each output line as a row)."""
    rows = config.get("rows")
    if isinstance(rows, list) and rows:
        return [row for row in rows[:MAX_ROWS] if isinstance(row, list)]
    chosen = config.get("segments")
    second = config.get("second_line")
    out: list[list[str] | None] = [chosen if isinstance(chosen, list) else None]
    if isinstance(second, list) and second:
        out.append(second)
    return out


# Segments whose dollar figures are token counts at API prices: for a subscriber, API-equivalents
# (a gateway's `spend` is a bill, never one of them).
API_EQUIVALENT = frozenset({"session", "today", "block", "cache", "next", "week", "month", "agents"})


def label_api_equivalent(rows: list[list[tuple[list[tuple[str, str]], int, str]]]) -> None:
    """Say `API-eq` once, before the first dollar figure of the line (the second row's when the
    first has none): it covers every dollar figure shown (README, Pro/Max)."""
    for row in rows:
        for spans, _priority, name in row:
            if name in API_EQUIVALENT and any("$" in t for t, _ in spans):
                spans.insert(0, ("API-eq ", "muted"))
                return


def render_main(flags: list[str], exit_now: bool = False) -> int:
    """Read the payload, print the line; never raises, exit 0, one line (or the configured rows)."""
    # One short process, its memory bounded (a few MB), nothing of it in a cycle that matters:
    # the cyclic collector's passes over the render's objects only cost time.
    gc.disable()
    try:
        stdin = sys.stdin.buffer if sys.stdin is not None else None
        if stdin is None or stdin.isatty():
            line = "costline: pipe a Claude Code status payload on stdin (try `costline --help`)"
        else:
            line = build_line(stdin.read(MAX_PAYLOAD_BYTES + 1), fs.environ(), time.time(), flags)
    except BaseException as exc:
        line = "costline: error (see costline.log)"
        try:
            from statusline import log

            log.exception(cache_dir(), "render", exc)
        except BaseException:
            pass
    # At most the rows build_line made; nothing from outside can add one (texts are sanitised).
    rows = line.split("\n")[:MAX_ROWS]
    data = ("\n".join(rows) + "\n").encode("utf-8", "replace")
    try:
        while data:
            data = data[fs.write(1, data) :]
    except OSError:
        pass
    if exit_now:
        # Everything is written with fs.write and closed: skip the interpreter's teardown of
        # ~40 modules, which costs about as much as the render's own work.
        fs.exit_now(0)
    return 0
