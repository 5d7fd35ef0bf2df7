"""The bundled price table: every Claude model that appears in Claude Code logs.

Prices are USD per million tokens, from the reference notes (`pricing.md` §3: Anthropic's pricing
pages and LiteLLM). A model maps to a list of periods, oldest first; a period applies to messages
whose timestamp is at or after its `since` (epoch ms, 0 = always):

    (since, input, output, cache_write_5m, cache_write_1h, cache_read, tier, fast, context_window)

`tier` is None or (threshold, input, output, cache_write_5m, cache_write_1h, cache_read): when a
request's prompt (input + cache writes + cache reads) exceeds the threshold, all of its tokens are
billed at these rates (Anthropic's per-request long-context rule). `fast` multiplies a message
whose `usage.speed` is "fast". This module is data only: it is imported on the render path.
"""

# 2026-03-13T00:00Z: 1M context GA without a premium; Claude Code 2.1.197 no longer applies the
# Sonnet 4/4.5 long-context tier, so the tier is kept for messages before this date only.
LONG_CONTEXT_GA_MS = 1773360000000
# 2026-10-07T00:00Z: Sonnet 5.5's cache read cut from $0.20 to $0.10 per MTok.
SONNET_55_CACHE_CUT_MS = 1791331200000

_SONNET4_TIER = (200_000, 6.0, 22.5, 7.5, 12.0, 0.6)
_HAIKU55_TIER = (100_000, 0.5, 2.5, 0.625, 1.0, 0.05)

SOURCE = "bundled snapshot (pricing.md §3, 2026-11-25)"

MODELS = {
    "claude-fable-5-1": [(0, 10.0, 50.0, 12.5, 20.0, 0.25, None, 1.0, 1_000_000)],
    "claude-mythos-5-1": [(0, 10.0, 50.0, 12.5, 20.0, 0.25, None, 1.0, 1_000_000)],
    "claude-fable-5": [(0, 10.0, 50.0, 12.5, 20.0, 1.0, None, 1.0, 1_000_000)],
    "claude-mythos-5": [(0, 10.0, 50.0, 12.5, 20.0, 1.0, None, 1.0, 1_000_000)],
    "claude-mythos-preview": [(0, 10.0, 50.0, 12.5, 20.0, 1.0, None, 1.0, 1_000_000)],
    "claude-opus-5-5": [(0, 4.0, 20.0, 5.0, 8.0, 0.2, None, 2.0, 1_000_000)],
    "claude-opus-5": [(0, 5.0, 25.0, 6.25, 10.0, 0.5, None, 2.0, 1_000_000)],
    "claude-opus-4-8": [(0, 5.0, 25.0, 6.25, 10.0, 0.5, None, 2.0, 1_000_000)],
    "claude-opus-4-7": [(0, 5.0, 25.0, 6.25, 10.0, 0.5, None, 6.0, 1_000_000)],
    "claude-opus-4-6": [(0, 5.0, 25.0, 6.25, 10.0, 0.5, None, 6.0, 1_000_000)],
    "claude-opus-4-5": [(0, 5.0, 25.0, 6.25, 10.0, 0.5, None, 1.0, 200_000)],
    "claude-opus-4-1": [(0, 15.0, 75.0, 18.75, 30.0, 1.5, None, 1.0, 200_000)],
    "claude-opus-4": [(0, 15.0, 75.0, 18.75, 30.0, 1.5, None, 1.0, 200_000)],
    "claude-sonnet-5-5": [
        (0, 2.0, 10.0, 2.5, 4.0, 0.2, None, 1.0, 1_000_000),
        (SONNET_55_CACHE_CUT_MS, 2.0, 10.0, 2.5, 4.0, 0.1, None, 1.0, 1_000_000),
    ],
    "claude-sonnet-5": [(0, 2.0, 10.0, 2.5, 4.0, 0.2, None, 1.0, 1_000_000)],
    "claude-sonnet-4-6": [(0, 3.0, 15.0, 3.75, 6.0, 0.3, None, 1.0, 1_000_000)],
    "claude-sonnet-4-5": [
        (0, 3.0, 15.0, 3.75, 6.0, 0.3, _SONNET4_TIER, 1.0, 200_000),
        (LONG_CONTEXT_GA_MS, 3.0, 15.0, 3.75, 6.0, 0.3, None, 1.0, 200_000),
    ],
    "claude-sonnet-4": [
        (0, 3.0, 15.0, 3.75, 6.0, 0.3, _SONNET4_TIER, 1.0, 200_000),
        (LONG_CONTEXT_GA_MS, 3.0, 15.0, 3.75, 6.0, 0.3, None, 1.0, 200_000),
    ],
    "claude-3-7-sonnet": [(0, 3.0, 15.0, 3.75, 6.0, 0.3, None, 1.0, 200_000)],
    "claude-3-5-sonnet": [(0, 3.0, 15.0, 3.75, 6.0, 0.3, None, 1.0, 200_000)],
    "claude-3-sonnet": [(0, 3.0, 15.0, 3.75, 6.0, 0.3, None, 1.0, 200_000)],
    "claude-haiku-5-5": [(0, 0.1, 0.5, 0.125, 0.2, 0.01, _HAIKU55_TIER, 1.0, 1_000_000)],
    "claude-haiku-4-5": [(0, 1.0, 5.0, 1.25, 2.0, 0.1, None, 1.0, 200_000)],
    "claude-3-5-haiku": [(0, 0.8, 4.0, 1.0, 1.6, 0.08, None, 1.0, 200_000)],
    "claude-3-opus": [(0, 15.0, 75.0, 18.75, 30.0, 1.5, None, 1.0, 200_000)],
    "claude-3-haiku": [(0, 0.25, 1.25, 0.3, 0.5, 0.03, None, 1.0, 200_000)],
}

# Ids that name another model: `-latest` aliases (LiteLLM `alias_of`) and legacy spellings.
ALIASES = {
    "claude-sonnet-latest": "claude-sonnet-5-5",
    "claude-opus-latest": "claude-opus-5-5",
    "claude-haiku-latest": "claude-haiku-5-5",
    "claude-fable-latest": "claude-fable-5-1",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet",
    "claude-3-5-sonnet-latest": "claude-3-5-sonnet",
    "claude-3-5-haiku-latest": "claude-3-5-haiku",
    "claude-3-opus-latest": "claude-3-opus",
    "claude-opus-4-0": "claude-opus-4",
    "claude-sonnet-4-0": "claude-sonnet-4",
    "claude-4-opus": "claude-opus-4",
    "claude-4-sonnet": "claude-sonnet-4",
    "claude-4-1-opus": "claude-opus-4-1",
    "claude-4-5-sonnet": "claude-sonnet-4-5",
}

# Bedrock's geographic (regional) inference profiles cost 10% more than global ones for models
# from Sonnet 4.5 / Haiku 4.5 on (LiteLLM's `us.`/`eu.`… entries are 1.1×).
REGIONAL_PREMIUM = 1.1
REGIONAL_PREMIUM_MODELS = frozenset(
    {
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "claude-opus-4-5",
        "claude-opus-4-6",
        "claude-opus-4-7",
        "claude-opus-4-8",
        "claude-sonnet-4-6",
        "claude-opus-5",
        "claude-opus-5-5",
        "claude-sonnet-5",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
        "claude-fable-5",
        "claude-fable-5-1",
        "claude-mythos-5",
        "claude-mythos-5-1",
        "claude-mythos-preview",
    }
)
