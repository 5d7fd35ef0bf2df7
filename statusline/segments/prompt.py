"""Segments of the prompt cache and what the next turn costs at least (it sends the whole
context again).

Each is a small pure function of the Context (see segments/__init__.py).
"""

from __future__ import annotations

from statusline.payload import is_number, number, within
from statusline.segments import money
from statusline.segments.info import context_used_percent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context
    from statusline.segments import Spans


# The next turn's floor is highlighted from here unless `budget.next_turn_usd` says otherwise:
# about a 200K-token context read from the cache on Opus (0.5 $/MTok) is $0.10.
NEXT_TURN_USD = 0.25
# The longest prompt-cache TTL (1 hour) and a little clock skew; a later expiry is not shown.
MAX_CACHE_TTL_S = 3600 + 60


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
