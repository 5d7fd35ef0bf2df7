"""Context window used: the payload's percentage, else its current usage, else the transcript's."""

from __future__ import annotations

from statusline.payload import number

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context

WARN_PCT = 50
ALERT_PCT = 80
DEFAULT_WINDOW = 200_000


def used_percent(ctx: Context) -> float | None:
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
        return 100.0 * tokens / (size or DEFAULT_WINDOW)
    last = ctx.last_prompt_tokens()
    if last is None:
        return None
    return 100.0 * last / (size or ctx.context_window_for_model() or DEFAULT_WINDOW)


def render(ctx: Context) -> list[tuple[str, str]] | None:
    pct = used_percent(ctx)
    if pct is None:
        return None
    pct = max(0.0, min(pct, 100.0))
    shown = int(pct + 0.5)
    style = "ctx.ok" if shown < WARN_PCT else "ctx.warn" if shown < ALERT_PCT else "ctx.alert"
    return [(f"ctx {shown}%", style)]
