"""Session cost: Claude Code's own `cost.total_cost_usd`, else computed from the transcript."""

from __future__ import annotations

from statusline.segments.money import money

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context


def render(ctx: Context) -> list[tuple[str, str]] | None:
    found = ctx.session_cost()
    if found is None:
        return None
    usd, _source, priced = found
    unknown = bool(priced is not None and priced.unknown)
    return [(f"{money(usd, unknown)} session", "cost")]
