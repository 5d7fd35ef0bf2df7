"""Segments about the session and its context: model, context window used, lines changed, time,
mode, name and agent.

Each is a small pure function of the Context (see segments/__init__.py).
"""

from __future__ import annotations

from statusline.look import sanitise
from statusline.payload import number, text
from statusline.pricing import normalise
from statusline.segments import used_style

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context
    from statusline.segments import Spans


def short_model_name(display: str | None, model_id: str | None) -> str | None:
    """A compact label: the display name without a parenthetical, or one made from the id."""
    if display:
        cut = display.find(" (")
        return display[:cut] if cut > 0 else display
    if model_id:
        name, _ = normalise(model_id)
        words = name.split("-")
        if words and words[0] == "claude":
            words = words[1:]
        if words and not words[0].isdigit():
            return " ".join([words[0].capitalize(), ".".join(words[1:])]).strip()
        return name
    return None


def model(ctx: Context) -> Spans | None:
    """Model: Claude Code's display name, compacted (`Opus 4.8 (1M context)` → `Opus 4.8`)."""
    display, model_id = text(ctx.get("model", "display_name")), text(ctx.get("model", "id"))
    aliases = ctx.config.get("model_aliases")
    alias = (aliases.get(display or "") or aliases.get(model_id or "")) if isinstance(aliases, dict) else None
    label = alias if isinstance(alias, str) else short_model_name(display, model_id)
    if not label:
        return None
    spans = [(sanitise(label, 32), "model")]
    if ctx.config.get("model_effort"):
        effort = text(ctx.get("effort", "level"))
        thinking = ctx.get("thinking", "enabled") is True
        extra = " ".join(p for p in (sanitise(effort, 8) if effort else "", "✻" if thinking else "") if p)
        if extra:
            spans.append((" " + extra, "muted"))
    return spans


def lines(ctx: Context) -> Spans | None:
    """Lines added and removed this session (`+156 −23`), hidden while both are zero."""
    added = int(number(ctx.get("cost", "total_lines_added")) or 0)
    removed = int(number(ctx.get("cost", "total_lines_removed")) or 0)
    if added <= 0 and removed <= 0:
        return None
    return [(f"+{added}", "added"), (" ", "muted"), (f"−{removed}", "removed")]


def duration(ms: float) -> str:
    """`45s`, `12m`, `2h05m`."""
    seconds = int(ms // 1000)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def time_spent(ctx: Context) -> Spans | None:
    """Session duration and the share of it spent waiting for the API (`12m · api 31%`)."""
    total = number(ctx.get("cost", "total_duration_ms"))
    if not total or total <= 0:
        return None
    api = number(ctx.get("cost", "total_api_duration_ms")) or 0.0
    return [(f"{duration(total)} · api {int(100 * min(api, total) / total + 0.5)}%", "muted")]


def mode(ctx: Context) -> Spans | None:
    """Vim mode, agent name and a non-default output style, when Claude Code reports them."""
    parts = [
        text(ctx.get("vim", "mode")),
        text(ctx.get("agent", "name")),
        None
        if text(ctx.get("output_style", "name")) in (None, "default")
        else text(ctx.get("output_style", "name")),
    ]
    shown = [sanitise(p, 20) for p in parts if p]
    return [(" ".join(shown), "muted")] if shown else None


def session_name(ctx: Context) -> Spans | None:
    """The session's name, after `/rename`."""
    name = text(ctx.get("session_name"))
    return [(sanitise(name, 32), "muted")] if name else None


def agent(ctx: Context) -> Spans | None:
    """The agent the session was started with (`--agent`): its name, and its type when different."""
    name, kind = text(ctx.get("agent", "name")), text(ctx.get("agent", "type"))
    if not name and not kind:
        return None
    shown = name if not kind or kind == name or not name else f"{name} ({kind})"
    return [(f"agent {sanitise(shown or '', 32)}", "muted")]


# Claude Code compacts automatically at 95% of the window: warn a little before.
COMPACT_SOON_PCT = 90


DEFAULT_CONTEXT_WINDOW = 200_000


def context_used_percent(ctx: Context) -> float | None:
    """The payload's percentage, else its current usage, else the transcript's last usage."""
    pct = number(ctx.get("context_window", "used_percentage"))
    if pct is not None:
        return pct
    size = number(ctx.get("context_window", "context_window_size"))
    usage = ctx.get("context_window", "current_usage")
    if isinstance(usage, dict):
        tokens = sum(
            number(usage.get(k)) or 0
            for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
        return 100.0 * tokens / (size or DEFAULT_CONTEXT_WINDOW)
    last = ctx.last_prompt_tokens()
    if last is None:
        return None
    return 100.0 * last / (size or ctx.context_window_for_model() or DEFAULT_CONTEXT_WINDOW)


def context(ctx: Context) -> Spans | None:
    """Context window used, coloured at 50% and 80%."""
    pct = context_used_percent(ctx)
    if pct is None:
        return None
    shown = int(max(0.0, min(pct, 100.0)) + 0.5)
    style = used_style(shown)
    if shown >= COMPACT_SOON_PCT:
        return [(f"ctx {shown}%", style), (" compact soon", "ctx.alert")]
    return [(f"ctx {shown}%", style)]
