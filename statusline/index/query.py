"""Read token buckets back out of the index: a time range (today) or one session."""

from __future__ import annotations

from statusline.index.store import CorruptIndex, Store
from statusline.index.update import summarise_day
from statusline.timeutil import DAY_MS, HOUR_MS, QUARTER_HOUR_MS, utc_day_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.pricing.cost import Bucket


def _day_totals(store: Store, day: str) -> dict[tuple[object, ...], list[float]]:
    try:
        summary = store.read(f"days/{day}")
    except CorruptIndex:
        summary = None
    sigs = store.hour_signatures(day)
    if isinstance(summary, dict) and summary.get("sig") == sigs and isinstance(summary.get("tot"), dict):
        return summary["tot"]  # type: ignore[no-any-return]
    if not sigs:
        return {}
    # Out of date (a writer died between files): rebuild, and save it if no writer is busy.
    summary = summarise_day(store, day)
    if store.lock(blocking=False):
        try:
            store.write(f"days/{day}", summary)
        except OSError:
            pass
        finally:
            store.unlock()
    return summary["tot"]  # type: ignore[return-value]


def range_buckets(store: Store, start_ms: int, end_ms: int) -> list[Bucket]:
    """Buckets whose quarter-hour lies in [start_ms, end_ms)."""
    first_qh = start_ms // QUARTER_HOUR_MS
    last_qh = (end_ms - 1) // QUARTER_HOUR_MS
    out: list[Bucket] = []
    day_ms = start_ms - start_ms % DAY_MS
    while day_ms < end_ms:
        for (qh, model, cls), vec in _day_totals(store, utc_day_name(day_ms)).items():
            if first_qh <= qh <= last_qh:  # type: ignore[operator]
                out.append((qh, model, cls, vec))  # type: ignore[arg-type]
        day_ms += DAY_MS
    return out


def session_buckets(store: Store, hours: set[int], session: str) -> list[Bucket]:
    """Every bucket of one session, from the hours its files touched."""
    out: list[Bucket] = []
    for hour in sorted(hours):
        rel = f"hours/{utc_day_name(hour * HOUR_MS)}/{hour % 24:02d}"
        try:
            shard = store.read(rel)
        except CorruptIndex:
            continue
        agg = shard.get("agg") if isinstance(shard, dict) else None
        if not isinstance(agg, dict):
            continue
        for (qh, sess, model, cls), vec in agg.items():
            if sess == session:
                out.append((qh, model, cls, vec))
    return out
