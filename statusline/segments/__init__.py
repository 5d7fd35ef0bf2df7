"""What the line shows: each segment is a small pure function of the Context.

A segment returns spans of (text, style name), or None to hide itself; it does no I/O and knows
no ANSI codes. SEGMENTS is the one registry (the order `config segments` lists them in); a
segment's priority decides what is dropped first when a row is too wide (lowest first). The
segments live in modules by job, each imported only when a line shows one of its segments (each
module on the render path costs its import; README, Architecture):

    spending.py     what was spent: session, today, week, month
    limits.py       what is allowed: subscriber windows, a gateway's spend limit, the 5-hour
                    block, tokens per minute against an allowance
    info.py         the session: model, context window used, lines changed, time, mode,
                    name, agent
    prompt.py       the prompt cache and what the next turn costs
    place.py        where it runs: git branch, pull request, repository, worktree, folder
    live.py         this session's money by agent and by tool (the background refresh's split)
    ../commands.py  your own commands (`cmd:NAME`)

This module holds the registry, the loop that runs the segments, and what several share."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from statusline.context import Context

    Spans = list[tuple[str, str]]
    Render = Callable[[Context], "Spans | None"]

# Other sessions' lines reach "today" through the background refresh (about once a minute while
# renders happen); past this age a figure says how old it is instead of passing as fresh.
STALE_AFTER_S = 180.0
# Used-percentage thresholds of the context window and the subscriber windows (ccusage's).
CONTEXT_WARN_PCT = 50
CONTEXT_ALERT_PCT = 80


def money(usd: float, unknown: bool = False, partial: bool = False) -> str:
    """`$7.82`, `$7.82+?` (a model without a price), `$7.82…` (still being computed)."""
    out = f"${usd:.2f}"
    if unknown:
        out += "+?"
    if partial:
        out += "…"
    return out


def age(seconds: float) -> str:
    """`4m`, `2h`, `3d`."""
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def used_style(shown: int) -> str:
    """The style of a used percentage as shown: green below 50, yellow below 80, red above."""
    return "ctx.ok" if shown < CONTEXT_WARN_PCT else "ctx.warn" if shown < CONTEXT_ALERT_PCT else "ctx.alert"


# name → (module, function, priority). Priority: lowest dropped first when the line is too wide
# (README: COLUMNS); the order here is no order on the line.
SEGMENTS: dict[str, tuple[str, str, int]] = {
    "model": ("info", "model", 30),
    "session": ("spending", "session", 50),
    "today": ("spending", "today", 40),
    "context": ("info", "context", 20),
    "lines": ("info", "lines", 10),
    "git": ("place", "git", 5),
    "limits": ("limits", "limits", 33),  # a subscriber's windows outlast the model's name
    "spend": ("limits", "spend", 32),  # as a gateway's spend limit does
    "time": ("info", "time_spent", 8),
    "mode": ("info", "mode", 6),
    "dir": ("place", "directory", 7),
    "block": ("limits", "block", 22),
    "cache": ("prompt", "cache", 9),
    "next": ("prompt", "next_turn", 11),
    "pr": ("place", "pull_request", 4),
    "repo": ("place", "repo", 3),
    "worktree": ("place", "worktree", 3),
    "session_name": ("info", "session_name", 3),
    "agent": ("info", "agent", 3),
    "month": ("spending", "month", 35),
    "week": ("spending", "week", 34),
    "throughput": ("limits", "throughput", 12),
    "agents": ("live", "agents", 2),
    "tools": ("live", "tools", 2),
}
ICONS = {
    "unicode": {
        "model": "◆",
        "session": "$",
        "today": "◷",
        "context": "◔",
        "lines": "±",
        "git": "⎇",
        "block": "⧗",
        "cache": "↻",
        "month": "▦",
        "limits": "▲",
        "time": "◴",
        "dir": "▸",
    },
    "emoji": {
        "model": "🤖",
        "session": "💰",
        "today": "📅",
        "context": "🧠",
        "lines": "✏️",
        "git": "🌿",
        "block": "⏳",
        "cache": "♻️",
        "month": "🗓️",
        "limits": "📊",
        "time": "⏱️",
        "dir": "📁",
    },
}
# Shown when the config does not choose: compact, what most people glance at.
DEFAULT_LINE = ("model", "session", "today", "limits", "spend", "context", "lines", "git")


def renderer(name: str) -> tuple[Render, int] | None:
    """The function and priority of a segment (its module imported now); None for no segment."""
    if name.startswith("cmd:"):  # your own command's kept output (commands.py)
        from statusline import commands

        return commands.renderer(name[4:]), commands.PRIORITY
    found = SEGMENTS.get(name)
    if found is None:
        return None
    import statusline

    module, function, priority = found
    return getattr(statusline.load_module(f"statusline.segments.{module}"), function), priority


def run_segments(
    ctx: Context, names: list[str] | tuple[str, ...] | None = None
) -> list[tuple[Spans, int, str]]:
    """(spans, priority, name) of every visible segment; a failing one is hidden and logged."""
    if names is None:
        chosen = ctx.config.get("segments")
        names = chosen if isinstance(chosen, list) else DEFAULT_LINE
    out = []
    for name in names:
        try:
            found = renderer(name)
            if found is None:
                continue
            render, priority = found
            shown = render(ctx)
        except Exception as exc:
            from statusline import log

            log.exception(ctx.cache, f"segment {name}", exc)
            continue
        if shown is not None:
            icon = ICONS.get(str(ctx.config.get("icons")), {}).get(name)
            if icon:
                shown.insert(0, (icon + " ", shown[0][1]))
            out.append((shown, priority, name))
    return out
