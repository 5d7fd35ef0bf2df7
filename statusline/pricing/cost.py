"""Dollars from token sums: apply the price period in force, tiers, fast mode, multipliers."""

from __future__ import annotations

from statusline.index.lines import CLS_FAST, CLS_LOGGED_COST, CLS_PROMPT_MASK, PROMPT_GT_200K, PROMPT_LE_100K
from statusline.pricing.resolve import resolve
from statusline.timeutil import QUARTER_HOUR_MS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    Bucket = tuple[int, str, int, list[float]]  # (quarter-hour, model, cls, vec)


def period_at(periods: list[tuple[object, ...]], ts_ms: int) -> tuple[object, ...]:
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


def bucket_cost(period: tuple[object, ...], cls: int, vec: list[float]) -> float:
    """USD for one bucket's token sums under one price period."""
    rates = period[1:6]
    tier = period[6]
    if tier is not None and tier_applies(tier[0], cls):  # type: ignore[index]
        rates = tier[1:6]  # type: ignore[index]
    r_in, r_out, r_5m, r_1h, r_read = rates
    usd = (
        vec[1] * r_in + vec[2] * r_out + vec[3] * r_5m + vec[4] * r_1h + vec[5] * r_read  # type: ignore[operator]
    ) / 1_000_000
    if cls & CLS_FAST:
        usd *= period[7]  # type: ignore[operator]
    return usd  # type: ignore[no-any-return]


class Priced:
    """The cost of a set of buckets, and the model ids it could not price."""

    __slots__ = ("messages", "unknown", "usd")

    def __init__(self) -> None:
        self.usd = 0.0
        self.unknown: set[str] = set()
        self.messages = 0


def price_buckets(buckets: Iterable[Bucket], models: dict[str, list[tuple[object, ...]]]) -> Priced:
    """Sum the cost of token buckets; logged `costUSD` is taken as is (ccusage's auto mode)."""
    result = Priced()
    resolved: dict[str, tuple[str | None, float]] = {}
    for qh, model, cls, vec in buckets:
        result.messages += int(vec[0])
        if cls & CLS_LOGGED_COST:
            result.usd += vec[6]
            continue
        hit = resolved.get(model)
        if hit is None:
            hit = resolved[model] = resolve(model, models)  # type: ignore[arg-type]
        key, multiplier = hit
        if key is None:
            if vec[1] or vec[2] or vec[3] or vec[4] or vec[5]:
                result.unknown.add(model or "(no model)")
            continue
        period = period_at(models[key], qh * QUARTER_HOUR_MS)
        result.usd += bucket_cost(period, cls, vec) * multiplier
    return result
