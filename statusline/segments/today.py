"""Today's cost across all sessions and config dirs, local calendar day.

Coloured against Anthropic's published Claude Code figures: about $6 per developer per day on
average and under $12 for 90% of users.
"""

from __future__ import annotations

from statusline.segments.money import money

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context

TYPICAL_DAY_USD = 6.0
HEAVY_DAY_USD = 12.0


def render(ctx: Context) -> list[tuple[str, str]] | None:
    priced = ctx.today()
    usd = priced.usd
    style = "cost.ok" if usd < TYPICAL_DAY_USD else "cost.warn" if usd < HEAVY_DAY_USD else "cost.alert"
    return [(f"{money(usd, bool(priced.unknown), ctx.index_partial)} today", style)]
