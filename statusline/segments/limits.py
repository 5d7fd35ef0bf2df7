"""Segments of what is allowed: a subscriber's 5-hour and 7-day windows and their pace, a
gateway's spend limit, the 5-hour block, tokens per minute against an allowance.

Each is a small pure function of the Context (see segments/__init__.py).
"""

from __future__ import annotations

from statusline.payload import is_number, within
from statusline.segments import age, money, used_style
from statusline.timeutil import days_from_civil

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context
    from statusline.segments import Spans


FIVE_HOURS_S = 5 * 3600


# A gateway spend limit turns yellow from here, red at 100 % (it can pass 100 %).
SPEND_WARN_PCT = 80


def window_used(ctx: Context, window: str, label: str) -> tuple[str, str, float | None] | None:
    """A subscriber window's `5h 62%` and its style (from the whole percentage shown), with the
    percentage; `5h ?%` for a reading no window gives (negative, NaN, absurd) or one taken before
    the window reset (its `resets_at` is past: what is used now is unknown); None without one."""
    pct, resets = ctx.rate_window(window)
    if resets is not None and resets <= ctx.now_s:
        return f"{label} ?%", "muted", None
    if pct is None:
        given = is_number(ctx.get("rate_limits", window, "used_percentage"))
        return (f"{label} ?%", "muted", None) if given else None
    shown = int(pct + 0.5)
    style = used_style(shown)
    return f"{label} {shown}%", style, pct


def clock(at_s: float, now_s: float) -> str:
    """Local `15:40` today, `Thu 15:40` within the week, `Dec 2 15:40` (same weekday) beyond."""
    import time as time_module

    at, now = time_module.localtime(at_s), time_module.localtime(now_s)
    hm = time_module.strftime("%H:%M", at)
    days = days_from_civil(at.tm_year, at.tm_mon, at.tm_mday) - days_from_civil(
        now.tm_year, now.tm_mon, now.tm_mday
    )
    if days == 0:
        return hm
    if 0 < days < 7:
        return time_module.strftime("%a ", at) + hm
    return f"{time_module.strftime('%b', at)} {at.tm_mday} {hm}"


# How far ahead a window's reset can plausibly be (its length and a little clock skew).
WINDOW_S = {"five_hour": FIVE_HOURS_S + 60, "seven_day": 7 * 86400 + 60}


def limits(ctx: Context) -> Spans | None:
    """Pro/Max: each window's used %, and when the recent pace fills it before it resets, the
    local time it will (`5h 62% → full 15:40 · 7d 41%`); else the 5-hour reset (`↻17:00`)."""
    import time as time_module

    from statusline.pace import time_to_full

    spans: Spans = []
    for window, label in (("five_hour", "5h"), ("seven_day", "7d")):
        found = window_used(ctx, window, label)
        if found is None:
            continue
        figure, style, pct = found
        _, resets = ctx.rate_window(window)
        # A reset that is past, or further than the window allows, is no time to show or race.
        if resets is None or not 0 < resets - ctx.now_s <= WINDOW_S[window]:
            resets = None
        ttf = None
        if resets is not None and pct is not None:
            ttf = time_to_full(ctx.limit_samples, window, resets, ctx.now_s, pct)
        if ttf is not None and resets is not None and ctx.now_s + ttf < resets:
            figure += f" → full {clock(ctx.now_s + ttf, ctx.now_s)}"
            style = "ctx.alert" if ttf < 1800 else "ctx.warn" if ttf < 7200 else style
        elif resets is not None and window == "five_hour":
            figure += f" ↻{time_module.strftime('%H:%M', time_module.localtime(resets))}"
        if spans:
            spans.append((" · ", "muted"))
        spans.append((figure, style))
    return spans or None


SPEND_PERIODS = {"daily": "day", "weekly": "wk", "monthly": "mo"}


# A gateway's meter can pass 100 %; ten times over, or a billion dollars, is a broken payload.
MAX_SPEND_PCT = 1000.0


MAX_SPEND_USD = 1e9


def dollars(usd: float) -> tuple[str, float]:
    """`$0.40`, `$42`, `$1,235` and the amount as printed: cents below $1,000 (a whole-dollar
    `$0/$1` would mislead), dropped when zero; whole dollars from $1,000 (off by 0.05 % at most)."""
    cents = round(usd * 100)
    if cents >= 100_000:
        whole = round(usd)
        return f"${whole:,}", float(whole)
    if cents % 100 == 0:
        return f"${cents // 100}", cents / 100
    return f"${cents / 100:.2f}", cents / 100


def spend(ctx: Context) -> Spans | None:
    """A gateway's spend limit: `spend $42/$100 wk` (its own meter), else `spend 42% wk`; the
    colour follows what is printed (`79.9` prints `80%`, so yellow), `spend ?%` for no reading."""
    limit = ctx.get("rate_limits", "spend_limit")
    if not isinstance(limit, dict):
        return None
    pct = within(limit.get("used_percentage"), 0.0, MAX_SPEND_PCT)
    used, cap = (
        within(limit.get("used_usd"), 0.0, MAX_SPEND_USD),
        within(limit.get("limit_usd"), 0.0, MAX_SPEND_USD),
    )
    period = SPEND_PERIODS.get(str(limit.get("period")))
    suffix = f" {period}" if period else ""
    meter = (dollars(used), dollars(cap)) if used is not None and cap is not None else None
    if meter is not None and meter[1][1] > 0:
        (used_text, used_shown), (cap_text, cap_shown) = meter
        figure, level = f"{used_text}/{cap_text}", used_shown / cap_shown * 100
    elif pct is not None:
        shown = int(pct + 0.5)
        figure, level = f"{shown}%", float(shown)
    elif any(is_number(limit.get(k)) for k in ("used_percentage", "used_usd", "limit_usd")):
        return [(f"spend ?%{suffix}", "muted")]
    else:
        return None
    style = "cost.ok" if level < SPEND_WARN_PCT else "cost.warn" if level < 100 else "cost.alert"
    return [(f"spend {figure}{suffix}", style)]


BLOCK_MS = 5 * 3_600_000


def block(ctx: Context) -> Spans | None:
    """The 5-hour window: Anthropic's own usage % and reset when the payload has it (Pro/Max),
    else the active block as ccusage infers it: cost, time left, $/h and projected cost."""
    official = window_used(ctx, "five_hour", "5h")
    if official is not None:
        figure, style, _ = official
        _, resets = ctx.rate_window("five_hour")
        # A reset that is past, or further than a 5-hour window allows, is not a time to show.
        plausible = resets is not None and 0 < resets - ctx.now_s <= FIVE_HOURS_S + 60
        left = f" {age(resets - ctx.now_s)} left" if plausible and resets else ""
        return [(f"{figure}{left}", style)]
    found = ctx.active_block()
    if found is None:
        return None
    usd, start_ms, first_ms, last_ms = found
    now_ms = ctx.now_s * 1000
    left_ms = max(0.0, start_ms + BLOCK_MS - now_ms)
    text_ = f"{money(usd)} block {age(left_ms / 1000 + 59)} left"
    minutes = (last_ms - first_ms) / 60000
    if minutes > 0:
        per_hour = usd / minutes * 60
        text_ += f" · {money(per_hour)}/h → {money(usd + per_hour * left_ms / 3_600_000)}"
    return [(text_, "cost")]


def throughput(ctx: Context) -> Spans | None:
    """Tokens per minute over the last half hour, against `budget.tpm` / `budget.team_size`."""
    tpm = ctx.tokens_per_minute()
    if tpm is None:
        return None
    allowance = ctx.config.get("tpm")
    shown = f"{tpm / 1000:.1f}k tpm" if tpm >= 1000 else f"{int(tpm)} tpm"
    if isinstance(allowance, float):
        share = tpm / allowance
        style = "ctx.ok" if share < 0.5 else "ctx.warn" if share < 0.8 else "ctx.alert"
        return [(f"{shown} ({int(100 * share + 0.5)}%)", style)]
    return [(shown, "muted")]
