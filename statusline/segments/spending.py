"""Segments of what was spent: this session, today, the week and the month to date.

Each is a small pure function of the Context (see segments/__init__.py).
"""

from __future__ import annotations

from statusline import timeutil
from statusline.payload import number
from statusline.segments import STALE_AFTER_S, age, money

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context
    from statusline.segments import Spans


# Anthropic's published Claude Code figures: about $6 per developer per day on average, under
# $12 for 90% of users.
TYPICAL_DAY_USD = 6.0


HEAVY_DAY_USD = 12.0


def session(ctx: Context) -> Spans | None:
    """Session cost: Claude Code's own `cost.total_cost_usd`, else computed from the transcript.

    `line.session_source = "computed"` always computes; `"both"` shows `$0.25 cc / $0.23 calc`.
    With price overrides Claude Code's list-price figure is shown at yours, the list price after
    it: `$0.45 session (list $0.90)`.
    """
    source = ctx.config.get("session_source", "payload")
    found = ctx.session_cost(force_computed=source != "payload")
    if found is None:
        return None
    usd, origin, priced = found
    # Computed from a transcript the index has not finished reading: a floor, and marked so.
    partial = origin == "computed" and not ctx.session_current
    figure = money(usd, bool(priced is not None and priced.unknown), partial)
    if source == "both":
        own = number(ctx.get("cost", "total_cost_usd"))
        mine = f"{money(own)} cc / " if own is not None else ""
        return [(f"{mine}{figure} calc session", "cost")]
    scale = ctx.list_to_yours() if origin == "payload" else 1.0
    if abs(scale - 1.0) > 1e-9:  # your overrides apply: Claude Code's figure is at list prices
        return [(f"{money(usd * scale)} session", "cost"), (f" (list {figure})", "muted")]
    return [(f"{figure} session", "cost")]


def today(ctx: Context) -> Spans | None:
    """Today's cost across all sessions and config dirs, local calendar day; `$?` if unknown."""
    if ctx.refused:  # a cache or config dir others could change: none of it is used
        return [(f"$? today ({ctx.refused})", "muted")]
    priced = ctx.today()
    usd = priced.usd + ctx.unlogged_today()
    if ctx.index_error is not None:  # the index could not be kept: no figure rather than a wrong one
        return [("$? today", "muted")]
    others = ctx.other_machines()  # [sync]: what the other machines spent today
    machines = 1 if usd > 0 else 0
    if others is not None:
        usd += others[0]
        machines += others[1]
    budget = ctx.config.get("daily_budget")
    warn_at, alert_at = (
        (float(budget) / 2, float(budget)) if isinstance(budget, float) else (TYPICAL_DAY_USD, HEAVY_DAY_USD)
    )
    style = "cost.ok" if usd < warn_at else "cost.warn" if usd < alert_at else "cost.alert"
    partial = ctx.index_partial or ctx.store.lost  # a file set aside: its spend is read again
    unknown = bool(priced.unknown) or (others is not None and others[4])
    spans = [(f"{money(usd, unknown, partial)} today", style)]
    if others is not None:
        if machines > 1:
            spans.append((f" ×{machines}", "muted"))
        if others[2]:
            spans.append((f" ({others[2]} stale)", "muted"))
        if others[3]:
            spans.append((f" ({others[3]})", "muted"))
    share = ctx.indexing_share() if ctx.index_partial else None
    if share is not None:  # the first build is running: say how far it has come
        spans.append((f" (indexing {int(share * 100)}%)", "muted"))
    elif not ctx.index_partial and ctx.index_age_s > STALE_AFTER_S:
        spans.append((f" ({age(ctx.index_age_s)} old)", "muted"))
    return spans


def month(ctx: Context) -> Spans | None:
    """Month-to-date cost and its projection to month end (`$84 mtd → $160`), against
    `budget.monthly_usd` when set (Anthropic quotes ~$100–200 per developer per month)."""
    import time as time_module

    from statusline.timeutil import local_day_start_s

    lt = time_module.localtime(ctx.now_s)
    start, nxt = local_day_start_s(lt.tm_year, lt.tm_mon, 1), local_day_start_s(lt.tm_year, lt.tm_mon + 1, 1)
    return _to_date(ctx, start, nxt, "mtd", ctx.config.get("monthly_budget"))


def week(ctx: Context) -> Spans | None:
    """Week-to-date cost and its projection to week end (`$42 wtd → $70`), against
    `budget.weekly_usd` when set; weeks start on `line.start_of_week` (Monday by default)."""
    import time as time_module

    from statusline.timeutil import civil_from_days, local_day_start_s, week_start_day

    lt = time_module.localtime(ctx.now_s)
    first_day = ctx.config.get("week_start")
    first = week_start_day(lt.tm_year, lt.tm_mon, lt.tm_mday, first_day if isinstance(first_day, int) else 0)
    (y, m, d), (ny, nm, nd) = civil_from_days(first), civil_from_days(first + 7)
    start, nxt = local_day_start_s(y, m, d), local_day_start_s(ny, nm, nd)
    return _to_date(ctx, start, nxt, "wtd", ctx.config.get("weekly_budget"))


def _to_date(ctx: Context, start: int, end: int, label: str, budget: object) -> Spans:
    """Cost since `start` and its straight-line projection to `end`, coloured against a budget."""
    usd = ctx.cost_since(start * 1000)
    projected = timeutil.projected(usd, start, end, ctx.now_s)  # as the report page's
    style = "cost.ok"
    if isinstance(budget, float):
        style = "cost.alert" if projected > budget else "cost.warn" if projected > 0.8 * budget else "cost.ok"
    return [(f"{money(usd)} {label} → {money(projected)}", style)]
