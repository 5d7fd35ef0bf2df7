"""Prices: the bundled table, model-id resolution and the per-bucket cost arithmetic.

The table lists every Claude model that appears in Claude Code logs, in USD per million tokens,
from the reference notes (`pricing.md` §3: Anthropic's pricing pages and LiteLLM). A model maps
to a list of periods, oldest first; a period applies to messages at or after its `since`
(epoch ms, 0 = always):

    (since, input, output, cache_write_5m, cache_write_1h, cache_read, tier, fast, context_window)

`tier` is None or (threshold, input, output, cache_write_5m, cache_write_1h, cache_read): when a
request's prompt (input + cache writes + cache reads) exceeds the threshold, all of its tokens
are billed at these rates (Anthropic's per-request rule). `fast` multiplies a message whose
`usage.speed` is "fast".

Model ids are matched exactly after normalisation, never by substring, so `claude-opus-4` can
never be taken for `claude-opus-4-5`. Normalisation handles dated and undated ids, `-latest`
aliases, Bedrock (`anthropic.…-v1:0`, regional `us.`/`eu.`/`apac.`/`au.`/`jp.`/`us-gov.`/
`global.` profiles, ARNs), Vertex (`…@20250929`, `…@default`: whatever follows the `@`),
`anthropic/` and other gateway prefixes, a `[1m]` suffix and dots for dashes.
"""

from __future__ import annotations

import marshal

from statusline import __version__, fs
from statusline.index.lines import (
    CLS_FAST,
    CLS_GEO_US,
    CLS_LOGGED_COST,
    CLS_PROMPT_MASK,
    PROMPT_GT_200K,
    PROMPT_LE_100K,
)
from statusline.paths import config_path, file_signature
from statusline.timeutil import QUARTER_HOUR_MS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    Bucket = tuple[int, str, int, list[float]]  # (quarter-hour, model, cls, vec)
    Period = tuple[object, ...]
    Table = dict[str, list[Period]]


# 2026-03-13T00:00Z: 1M context GA without a premium; Claude Code 2.1.197 no longer applies the
# Sonnet 4/4.5 long-context tier, so the tier is kept for messages before this date only.
LONG_CONTEXT_GA_MS = 1773360000000
# 2026-10-07T00:00Z: Sonnet 5.5's cache read cut from $0.20 to $0.10 per MTok.
SONNET_55_CACHE_CUT_MS = 1791331200000

_SONNET4_TIER = (200_000, 6.0, 22.5, 7.5, 12.0, 0.6)
_HAIKU55_TIER = (100_000, 0.5, 2.5, 0.625, 1.0, 0.05)

SOURCE = f"bundled snapshot (pricing.md §3, 2026-11-25), costline {__version__}"
COMPILED_FORMAT = 2

MODELS: Table = {
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

# `inference_geo: "us"` (US-only inference) costs 1.1× on Opus 4.6 / Sonnet 4.6 and later models
# (Anthropic's data-residency page; Claude Code includes it in its own cost since 2.1.239).
US_ONLY_PREMIUM = 1.1
US_ONLY_PREMIUM_MODELS = frozenset(
    {
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

# Bedrock's geographic (regional) inference profiles cost 10% more than global ones for models
# from Sonnet 4.5 / Haiku 4.5 on (LiteLLM's `us.`/`eu.`… entries are 1.1×).
REGIONAL_PREMIUM = 1.1
REGIONAL_PREMIUM_MODELS = US_ONLY_PREMIUM_MODELS | {
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "claude-opus-4-5",
}


_REGIONS = ("us-gov", "us", "eu", "apac", "au", "jp", "ca", "global")
_FAMILIES = ("opus", "sonnet", "haiku", "fable", "mythos")


def _strip_date(name: str) -> str:
    """Drop a trailing `-YYYYMMDD`."""
    if len(name) > 9 and name[-9] == "-" and name[-8:].isdigit():
        return name[:-9]
    return name


def _strip_bedrock_version(name: str) -> str:
    """Drop Bedrock's `-v1:0` / `-v2` / `:0` version suffix."""
    colon = name.rfind(":")
    if colon > 0 and name[colon + 1 :].isdigit():
        name = name[:colon]
    dash = name.rfind("-v")
    if dash > 0 and name[dash + 2 :].isdigit():
        name = name[:dash]
    return name


def _reorder_legacy(name: str) -> str:
    """`claude-4-opus` / `claude-4-5-sonnet` → `claude-opus-4` / `claude-sonnet-4-5`."""
    parts = name.split("-")
    if len(parts) >= 3 and parts[0] == "claude" and parts[1].isdigit() and parts[1] >= "4":
        for i in range(2, len(parts)):
            if parts[i] in _FAMILIES:
                version = parts[1:i]
                if all(p.isdigit() and len(p) <= 2 for p in version):
                    return "-".join(["claude", parts[i], *version, *parts[i + 1 :]])
                break
    return name


def normalise(model_id: str, aliases: dict[str, str] | None = None) -> tuple[str, bool]:
    """Canonical spelling of `model_id` and whether it named a Bedrock regional profile."""
    name = model_id.strip().lower()
    if name.endswith("[1m]"):
        name = name[:-4]
    if name.startswith("arn:"):
        name = name.rsplit("/", 1)[-1]
    # Gateway prefixes: keep the last path component (`bedrock/us-east-1/…`, `vertex_ai/…`).
    name = name.rsplit("/", 1)[-1]
    regional = False
    head, sep, rest = name.partition(".")
    if sep and head in _REGIONS:
        regional = head != "global"
        name = rest
    if name.startswith("anthropic."):
        name = name[len("anthropic.") :]
    # Vertex ids are `model@version`, the version a date or `default`: the model alone sets the price.
    name = name.partition("@")[0]
    name = _strip_bedrock_version(name)
    name = name.replace(".", "-").replace("_", "-")
    name = _strip_date(name)
    name = _reorder_legacy(name)
    return (aliases or ALIASES).get(name, name), regional


def resolve(model_id: str, models: Table, aliases: dict[str, str] | None = None) -> tuple[str | None, float]:
    """Table key for `model_id` (None when unknown) and its price multiplier."""
    name, regional = normalise(model_id, aliases)
    if name not in models:
        return None, 1.0
    multiplier = REGIONAL_PREMIUM if regional and name in REGIONAL_PREMIUM_MODELS else 1.0
    return name, multiplier


def period_at(periods: list[Period], ts_ms: int) -> Period:
    """The price period in force at `ts_ms` (periods are sorted by their start)."""
    chosen = periods[0]
    for period in periods:
        if period[0] <= ts_ms:  # type: ignore[operator]
            chosen = period
        else:
            break
    return chosen


def tier_applies(threshold: int, cls: int) -> bool:
    """Whether a request of this prompt class exceeds a per-request tier threshold."""
    prompt = cls & CLS_PROMPT_MASK
    if threshold >= 200_000:
        return prompt == PROMPT_GT_200K
    return prompt != PROMPT_LE_100K


def period_rates(period: Period, cls: int) -> tuple[float, float, float, float, float]:
    """USD per MTok (input, output, 5m write, 1h write, read) for a request of this class: the
    per-request tier's rates when its prompt passes the threshold."""
    rates = period[1:6]
    tier = period[6]
    if tier is not None and tier_applies(tier[0], cls):  # type: ignore[index]
        rates = tier[1:6]  # type: ignore[index]
    return rates  # type: ignore[return-value]


def bucket_cost(period: Period, cls: int, vec: list[float]) -> float:
    """USD for one bucket's token sums under one price period."""
    r_in, r_out, r_5m, r_1h, r_read = period_rates(period, cls)
    usd = (vec[1] * r_in + vec[2] * r_out + vec[3] * r_5m + vec[4] * r_1h + vec[5] * r_read) / 1_000_000
    if cls & CLS_FAST:
        usd *= period[7]  # type: ignore[operator]
    return usd


class Priced:
    """The cost of a set of buckets, the ids it could not price, and those priced by family."""

    __slots__ = ("estimated", "messages", "unknown", "usd")

    def __init__(self) -> None:
        self.usd = 0.0
        self.unknown: set[str] = set()
        self.estimated: set[str] = set()
        self.messages = 0


def family_stand_in(model_id: str, families: dict[str, str]) -> str | None:
    """The newest known model of the id's family (`claude-opus-9` → newest Opus), if any."""
    name, _ = normalise(model_id)
    for word in name.split("-"):
        if word in families:
            return families[word]
    return None


def price_buckets(
    buckets: Iterable[Bucket],
    models: Table,
    aliases: dict[str, str] | None = None,
    families: dict[str, str] | None = None,
) -> Priced:
    """Sum the cost of token buckets; logged `costUSD` is taken as is (ccusage's auto mode).

    An id the table does not know is listed in `unknown` (the figure is then incomplete), or,
    when `families` is given (the user opted in), priced as its family's newest model.
    """
    result = Priced()
    resolved: dict[str, tuple[str | None, float]] = {}
    # Token sums per (price period, class, multiplier), priced once each at the end: a day of
    # many sessions has hundreds of buckets but a handful of distinct prices.
    sums: dict[tuple[int, int, float], list[object]] = {}
    for qh, model, cls, vec in buckets:
        result.messages += int(vec[0])
        if cls & CLS_LOGGED_COST:
            result.usd += vec[6]
            continue
        hit = resolved.get(model)
        if hit is None:
            hit = resolve(model, models, aliases)
            if hit[0] is None and families:
                stand_in = family_stand_in(model, families)
                if stand_in is not None:
                    hit = (stand_in, hit[1])
                    result.estimated.add(model)
            resolved[model] = hit
        key, multiplier = hit
        if key is None:
            if vec[1] or vec[2] or vec[3] or vec[4] or vec[5]:
                result.unknown.add(model or "(no model)")
            continue
        period = period_at(models[key], qh * QUARTER_HOUR_MS)
        if cls & CLS_GEO_US and key in US_ONLY_PREMIUM_MODELS:
            multiplier *= US_ONLY_PREMIUM
        group = (id(period), cls, multiplier)
        acc = sums.get(group)
        if acc is None:
            sums[group] = [period, 0, vec[1], vec[2], vec[3], vec[4], vec[5]]
        else:
            acc[2] += vec[1]  # type: ignore[operator]
            acc[3] += vec[2]  # type: ignore[operator]
            acc[4] += vec[3]  # type: ignore[operator]
            acc[5] += vec[4]  # type: ignore[operator]
            acc[6] += vec[5]  # type: ignore[operator]
    for (_, cls, multiplier), acc in sums.items():
        result.usd += bucket_cost(acc[0], cls, acc[1:]) * multiplier  # type: ignore[arg-type]
    return result


def load_compiled(cache: str) -> dict[str, object] | None:
    """The compiled price table (price_table.py), or None when it must be rebuilt."""
    try:
        data, st = fs.read_private_stat(fs.join(cache, "pricing", "table.bin"))  # the file read
        found = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if (
        not isinstance(found, dict)
        or found.get("format") != COMPILED_FORMAT
        or found.get("bundled") != SOURCE
    ):
        return None
    path = config_path()
    if found.get("config_path") != path or found.get("config_sig") != file_signature(path):
        return None
    if found.get("fetched_sig") != file_signature(fs.join(cache, "pricing", "fetched.bin")):
        return None  # a price download since: `pricing update` may not be the last to compile
    if not isinstance(found.get("models"), dict):
        return None
    found["table_sig"] = (st.st_ino, st.st_size, st.st_mtime_ns)  # in memory only: see today()
    return found
