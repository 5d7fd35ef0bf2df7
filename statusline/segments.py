"""What the line shows: each segment is a small pure function of the Context.

A segment returns spans of (text, style name), or None to hide itself; it does no I/O and knows
no ANSI codes. SEGMENTS is the one registry: its order is the order on the line, and priority
decides what is dropped first when the line is too wide (lowest first). The segments share one
module because each module on the render path costs about 0.1 ms to import (README, architecture).
"""

from __future__ import annotations

from statusline import fs, timeutil
from statusline.look import display_width, sanitise
from statusline.payload import is_number, number, text, within
from statusline.pricing import normalise
from statusline.timeutil import days_from_civil

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from statusline.context import Context

    Spans = list[tuple[str, str]]
    # a live split (attrib/live.py): rows (name, usd, unknown), the rest folded, total, unknown
    Live = tuple[list[tuple[str, float, bool]], tuple[int, float, bool], float, bool]
    Render = Callable[[Context], "Spans | None"]

# Anthropic's published Claude Code figures: about $6 per developer per day on average, under
# $12 for 90% of users.
TYPICAL_DAY_USD = 6.0
HEAVY_DAY_USD = 12.0
# Context-used thresholds (ccusage's defaults).
CONTEXT_WARN_PCT = 50
CONTEXT_ALERT_PCT = 80
# Claude Code compacts automatically at 95% of the window: warn a little before.
COMPACT_SOON_PCT = 90
# The next turn's floor is highlighted from here unless `budget.next_turn_usd` says otherwise:
# about a 200K-token context read from the cache on Opus (0.5 $/MTok) is $0.10.
NEXT_TURN_USD = 0.25
# The longest prompt-cache TTL (1 hour) and a little clock skew; a later expiry is not shown.
MAX_CACHE_TTL_S = 3600 + 60
FIVE_HOURS_S = 5 * 3600
# A gateway spend limit turns yellow from here, red at 100 % (it can pass 100 %).
SPEND_WARN_PCT = 80
DEFAULT_CONTEXT_WINDOW = 200_000
# Other sessions' lines reach "today" through the background refresh (about once a minute while
# renders happen); past this age the figure says how old it is instead of passing as fresh.
STALE_AFTER_S = 180.0


def money(usd: float, unknown: bool = False, partial: bool = False) -> str:
    """`$7.82`, `$7.82+?` (a model without a price), `$7.82…` (still being computed)."""
    out = f"${usd:.2f}"
    if unknown:
        out += "+?"
    if partial:
        out += "…"
    return out


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


def age(seconds: float) -> str:
    """`4m`, `2h`, `3d`."""
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


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
    style = "ctx.ok" if shown < CONTEXT_WARN_PCT else "ctx.warn" if shown < CONTEXT_ALERT_PCT else "ctx.alert"
    if shown >= COMPACT_SOON_PCT:
        return [(f"ctx {shown}%", style), (" compact soon", "ctx.alert")]
    return [(f"ctx {shown}%", style)]


def lines(ctx: Context) -> Spans | None:
    """Lines added and removed this session (`+156 −23`), hidden while both are zero."""
    added = int(number(ctx.get("cost", "total_lines_added")) or 0)
    removed = int(number(ctx.get("cost", "total_lines_removed")) or 0)
    if added <= 0 and removed <= 0:
        return None
    return [(f"+{added}", "added"), (" ", "muted"), (f"−{removed}", "removed")]


def git(ctx: Context) -> Spans | None:
    """Git branch of the working directory (hidden outside a repository), `*` when dirty."""
    branch = ctx.git_branch()
    if not branch:
        return None
    spans = [(sanitise(branch, 40), "muted")]
    if ctx.config.get("git_dirty") and ctx.git_is_dirty():
        spans.append(("*", "cost.warn"))
    return spans


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
    style = "ctx.ok" if shown < CONTEXT_WARN_PCT else "ctx.warn" if shown < CONTEXT_ALERT_PCT else "ctx.alert"
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


PR_STATES = {"approved": ("✓", "ctx.ok"), "changes_requested": ("✗", "ctx.alert"), "pending": ("…", "muted")}


def pull_request(ctx: Context) -> Spans | None:
    """The branch's open pull request (`PR #123 ✓`) or GitLab merge request (`MR !45 draft`)."""
    number_ = ctx.get("pr", "number")
    if type(number_) is not int or number_ <= 0:
        return None
    label = f"MR !{number_}" if ctx.get("pr", "kind") == "mr" else f"PR #{number_}"
    state = text(ctx.get("pr", "review_state"))
    if state == "draft":
        return [(f"{label} draft", "muted")]
    mark, style = PR_STATES.get(state or "", ("", "muted"))
    return [(f"{label} {mark}".rstrip(), style)]


def repo(ctx: Context) -> Spans | None:
    """The repository, `owner/name`, from the payload's `workspace.repo`."""
    owner, name = text(ctx.get("workspace", "repo", "owner")), text(ctx.get("workspace", "repo", "name"))
    if not name:
        return None
    return [(sanitise(f"{owner}/{name}" if owner else name, 40), "muted")]


def worktree(ctx: Context) -> Spans | None:
    """The linked worktree this session runs in (`--worktree`, or a cwd inside one)."""
    name = text(ctx.get("worktree", "name")) or text(ctx.get("workspace", "git_worktree"))
    return [(f"wt {sanitise(name, 24)}", "muted")] if name else None


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


def directory(ctx: Context) -> Spans | None:
    """Working directory: basename (default), fish-style (`~/s/app`) or full (`line.dir_style`)."""

    where = text(ctx.get("workspace", "current_dir")) or text(ctx.get("cwd"))
    if not where:
        return None
    style = ctx.config.get("dir_style", "basename")
    home = fs.environ().get("HOME", "")
    shown = "~" + where[len(home) :] if home and (where == home or where.startswith(home + "/")) else where
    if style == "basename":
        shown = fs.basename(where.rstrip("/")) or where
    elif style == "fish":
        parts = shown.split("/")
        shown = "/".join([p[:1] if p and not p.startswith(".") else p[:2] for p in parts[:-1]] + parts[-1:])
    return [(sanitise(shown, 40), "muted")]


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


CACHE_MISS_CAUSES = {
    "system_prompt_changed": "system prompt changed",
    "tools_changed": "tools changed",
    "model_changed": "model changed",
    "messages_rewritten": "messages rewritten",
    "ttl_expired_5m": "5m TTL expired",
    "ttl_expired_1h": "1h TTL expired",
    "likely_server_side": "server side",
    "unknown": "cause unknown",
}


# Ten times the largest context window: a token count past it is a broken payload, not a count.
MAX_TOKENS = 10_000_000


def token_count(ctx: Context, *path: str) -> float | None:
    """A token count from the payload, 0 to MAX_TOKENS; None when absent or not a count."""
    return within(ctx.get(*path), 0.0, MAX_TOKENS)


def cache_warmth(ctx: Context) -> tuple[bool | None, float | None]:
    """One verdict on the prompt cache, for `cache` and `next`: (warm, seconds left).

    Claude Code's `warm` decides, except that an expiry already past means it went cold since
    the payload. Warm with no usable expiry (null, a string, one no TTL allows) is warm without
    a countdown (seconds None). Without `warm`, the payload's expiry or the log's tells; an
    expiry no TTL allows is then no verdict (None, None), as is no expiry at all.
    """
    warm = ctx.get("prompt_cache", "warm")
    said = warm if warm is True or warm is False else None
    if said is False:
        return False, None
    expires = number(ctx.get("prompt_cache", "expires_at"))
    if said is None and expires is None:
        expires = ctx.cache_expiry_from_log()  # older Claude Code: last response + its write's TTL
    if expires is None:
        return said, None
    remaining = expires - ctx.now_s
    if remaining <= 0:
        return False, None
    if remaining > MAX_CACHE_TTL_S:
        return said, None
    return True, remaining


def cache(ctx: Context) -> Spans | None:
    """Prompt cache: warm with its countdown and what letting it go cold would cost
    (`cache 3:12 · $0.12 if cold`), or cold with the likely cause (payload `prompt_cache`, else
    the log)."""
    if ctx.get("prompt_cache", "caching_observed") is False:
        return None  # the provider reports no cache tokens: that is not "cold"
    warm, remaining = cache_warmth(ctx)
    if warm is None:
        return None
    if not warm:
        causes = ctx.get("prompt_cache", "last_miss_cause", "causes")
        cause = CACHE_MISS_CAUSES.get(causes[0]) if isinstance(causes, list) and causes else None
        return [(f"cache cold: {cause}" if cause else "cache cold", "muted")]
    if remaining is None:
        spans: Spans = [("cache warm", "ctx.ok")]
    else:
        countdown = f"{int(remaining // 60)}:{int(remaining % 60):02d}"
        spans = [(f"cache {countdown}", "ctx.ok" if remaining > 60 else "ctx.warn")]
    cold = cold_cost(ctx)
    if cold is not None:
        spans.append((f" · {cold} if cold", "muted"))
    return spans


def cold_cost(ctx: Context) -> str | None:
    """`$0.12`: the recached tokens × (the write price at the cache's TTL − the read price), at
    the tier of the whole request they travel in; `$?` for counts that are not counts."""
    given = ctx.get("prompt_cache", "recache_tokens_if_cold")
    recache = token_count(ctx, "prompt_cache", "recache_tokens_if_cold")
    if recache is None:
        return "$?" if is_number(given) else None
    if not recache:
        return None
    total = ctx.get("context_window", "total_input_tokens")
    prompt = token_count(ctx, "context_window", "total_input_tokens")
    if prompt is None and is_number(total):
        return "$?"
    # The next request sends the whole context: at least the recached part.
    rates = ctx.token_rates(int(max(prompt or ctx.last_prompt_tokens() or 0, recache)))
    if rates is None:
        return None
    write = rates["write_1h"] if ctx.get("prompt_cache", "ttl") == "1h" else rates["write_5m"]
    return money(recache * (write - rates["read"]))


def next_turn(ctx: Context) -> Spans | None:
    """What the next request costs at least: it sends the whole context again, read from the
    cache while warm, written to it when cold (`next ≥ $0.08`); highlighted past
    `budget.next_turn_usd`, with `/compact?` when `line.compact_hint` is on and the context is
    past half full."""
    tokens = token_count(ctx, "context_window", "total_input_tokens")
    if tokens is None and is_number(ctx.get("context_window", "total_input_tokens")):
        return [("next $?", "muted")]  # a count that is no count: no dollar figure from it
    if not tokens:
        return None
    rates = ctx.token_rates(int(tokens))
    if rates is None:
        return None
    warm, _ = cache_warmth(ctx)
    if warm is not False:  # warm, or unknown: read (a floor)
        usd = tokens * rates["read"]
    else:
        usd = tokens * (rates["write_1h"] if ctx.get("prompt_cache", "ttl") == "1h" else rates["write_5m"])
    threshold = ctx.config.get("next_turn_budget")
    threshold = float(threshold) if isinstance(threshold, (int, float)) else NEXT_TURN_USD
    spans: Spans = [(f"next ≥ {money(usd)}", "cost.warn" if usd >= threshold else "muted")]
    pct = context_used_percent(ctx)
    if usd >= threshold and ctx.config.get("compact_hint") and pct is not None and pct >= 50:
        spans.append((" /compact?", "cost.warn"))
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


# This session's split (agents, tools): names are cut to this many characters, and folded into
# `+N` until the segment fits LIVE_WIDTH columns.
LIVE_NAME_CHARS = 24
LIVE_WIDTH = 72
UNATTRIBUTED = "unattributed"  # attrib/breakdown.py: a message the split has not read yet
NOT_TOOLS = ("conversation", UNATTRIBUTED)  # tools rows that are no tool


def _live(ctx: Context, kind: str) -> Live | None:
    """(rows, (folded count, folded usd, folded unknown), total, unknown) of this session's
    `kind` split as the background refresh wrote it; None when there is none (yet) or it is
    not what the refresh writes."""
    part = ctx.live_split().get(kind)
    if not isinstance(part, dict):
        return None
    rows, rest, total, unknown = part.get("rows"), part.get("rest"), part.get("total"), part.get("unknown")
    if not (
        isinstance(rows, list) and isinstance(rest, tuple) and len(rest) == 3 and isinstance(total, float)
    ):
        return None
    kept = []
    for row in rows:
        if not (isinstance(row, tuple) and len(row) == 3 and isinstance(row[0], str) and is_number(row[1])):
            return None
        kept.append((row[0], float(row[1]), bool(row[2])))
    if not (isinstance(rest[0], int) and is_number(rest[1])):
        return None
    return kept, (rest[0], float(rest[1]), bool(rest[2])), total, bool(unknown)


def _live_items(ctx: Context, key: str, default: int) -> int:
    value = ctx.config.get(key)
    return value if isinstance(value, int) and value > 0 else default


def _behind(ctx: Context) -> Spans:
    """` (5m old)` when the session's logs changed and the split was not made again for a while."""
    behind = ctx.live_split().get("behind_s")
    return [(f" ({age(behind)} old)", "muted")] if is_number(behind) and behind > STALE_AFTER_S else []  # type: ignore[arg-type, operator]


def agents(ctx: Context) -> Spans | None:
    """This session's cost by agent, costliest first, the rest folded: `main $1.20 · Explore
    $0.40 · +2 $0.05` (`[agents] items` shown). Exact, as `report by agent --session`; made by
    the background refresh (attrib/live.py), so up to about a minute behind."""
    found = _live(ctx, "agent")
    if found is None:
        return None
    rows, rest, _total, _unknown = found
    items = _live_items(ctx, "agents_items", 3)
    while True:
        shown, folded = rows[:items], rows[items:]
        count = int(rest[0]) + len(folded)
        spans: Spans = []
        for name, usd, unknown in shown:
            label = "?" if name == UNATTRIBUTED else sanitise(name, LIVE_NAME_CHARS)
            spans += [(" · ", "muted")] if spans else []
            spans += [(label + " ", "muted"), (money(usd, unknown), "cost")]
        if count:
            usd = rest[1] + sum(r[1] for r in folded)
            unknown = bool(rest[2]) or any(r[2] for r in folded)
            spans += [
                (" · " if spans else "", "muted"),
                (f"+{count} ", "muted"),
                (money(usd, unknown), "cost"),
            ]
        if items <= 1 or display_width("".join(t for t, _ in spans)) <= LIVE_WIDTH:
            break
        items -= 1
    return (spans + _behind(ctx)) if spans else None


def tools(ctx: Context) -> Spans | None:
    """The tools taking the largest shares of this session's cost: `Read ~38% · Bash ~21%`
    (`[tools] items` shown, none under `[tools] min_pct`). An estimate (`~`), as `report by tool
    --session`: README, How cost is split by tool; `tools ?` when a model had no price."""
    found = _live(ctx, "tool")
    if found is None:
        return None
    rows, _rest, total, unknown = found
    if unknown:
        return [("tools ?", "muted")]  # shares of an unknown total: no figure rather than a wrong one
    if total <= 0:
        return None
    floor = ctx.config.get("tools_min_pct")
    floor = float(floor) if is_number(floor) else 5.0  # type: ignore[arg-type]
    shares = [(name, 100 * usd / total) for name, usd, _ in rows if name not in NOT_TOOLS]
    shown = [(name, pct) for name, pct in shares if pct >= floor and f"{pct:.0f}" != "0"]
    items = _live_items(ctx, "tools_items", 2)
    while True:
        spans: Spans = []
        for name, pct in shown[:items]:
            spans += [(" · ", "muted")] if spans else []
            spans += [(sanitise(name, LIVE_NAME_CHARS) + " ", "muted"), (f"~{pct:.0f}%", "cost")]
        if items <= 1 or display_width("".join(t for t, _ in spans)) <= LIVE_WIDTH:
            break
        items -= 1
    return (spans + _behind(ctx)) if spans else None


SEGMENTS: dict[str, tuple[Render, int]] = {
    "model": (model, 30),
    "session": (session, 50),
    "today": (today, 40),
    "context": (context, 20),
    "lines": (lines, 10),
    "git": (git, 5),
    "limits": (limits, 33),  # a subscriber's windows outlast the model's name (README: COLUMNS)
    "spend": (spend, 32),  # as a gateway's spend limit does
    "time": (time_spent, 8),
    "mode": (mode, 6),
    "dir": (directory, 7),
    "block": (block, 22),
    "cache": (cache, 9),
    "next": (next_turn, 11),
    "pr": (pull_request, 4),
    "repo": (repo, 3),
    "worktree": (worktree, 3),
    "session_name": (session_name, 3),
    "agent": (agent, 3),
    "month": (month, 35),
    "week": (week, 34),
    "throughput": (throughput, 12),
    "agents": (agents, 2),
    "tools": (tools, 2),
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


def run_segments(
    ctx: Context, names: list[str] | tuple[str, ...] | None = None
) -> list[tuple[Spans, int, str]]:
    """(spans, priority, name) of every visible segment; a failing one is hidden and logged."""
    if names is None:
        chosen = ctx.config.get("segments")
        names = chosen if isinstance(chosen, list) else DEFAULT_LINE
    out = []
    render: Render
    for name in names:
        if name.startswith("cmd:"):  # your own command's kept output (commands.py)
            from statusline import commands

            render, priority = commands.renderer(name[4:]), commands.PRIORITY
        elif name in SEGMENTS:
            render, priority = SEGMENTS[name]
        else:
            continue
        try:
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
