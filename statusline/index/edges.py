"""Quarter-hours cut by a local day boundary: their messages, one by one, from the hour file.

Buckets are UTC quarter-hours, so a zone whose midnight is not on a quarter-hour (an offset like
+05:20, or local mean time before 1972) has one quarter-hour per boundary that belongs to two
days. Its messages are read from the hour file's dedup keys, which carry each message's time
(entries written before they did are placed by the first time of their bucket). Only such zones
ever import this module; nearly all zones' days are whole quarter-hours.
"""

from __future__ import annotations

from statusline.index.store import CorruptIndex, Store
from statusline.index.update import Batch
from statusline.timeutil import QUARTER_HOUR_MS


def messages_in(store: Store, qh: int) -> list[tuple[int, str, str, int, list[float]]]:
    """(ts_ms, session, model, cls, vec) of every message in one UTC quarter-hour."""
    try:
        shard = store.read(Batch.hour_rel(qh * QUARTER_HOUR_MS // 3_600_000))
    except CorruptIndex:
        return []
    keys = shard.get("keys") if isinstance(shard, dict) else None
    agg = shard.get("agg") if isinstance(shard, dict) else None
    if not isinstance(keys, dict) or not isinstance(agg, dict):
        return []
    out: list[tuple[int, str, str, int, list[float]]] = []
    timed: dict[object, list[float]] = {}
    for entries in keys.values():
        for entry in entries:
            key, vec, ts = entry[1], entry[2], entry[-1]
            # The time is the entry's last field; an entry without one is left to the rest below.
            if key[0] != qh or type(ts) is not int or not 0 <= ts - qh * QUARTER_HOUR_MS < QUARTER_HOUR_MS:
                continue
            out.append((ts, key[1], key[2], key[3], [*vec[:7], ts, ts]))
            done = timed.setdefault(key, [0.0] * 7)
            for i in range(7):
                done[i] += vec[i]
    for key, vec in agg.items():  # what no timed entry accounts for: at its bucket's first time
        if key[0] != qh:
            continue
        done = timed.get(key, [0.0] * 7)
        rest = [vec[i] - done[i] for i in range(7)]
        if rest[0] >= 0.5:
            first = int(vec[7])
            out.append((first, key[1], key[2], key[3], [*rest, first, first]))
    return out


def buckets_between(
    store: Store, qh: int, start_ms: int, end_ms: int
) -> list[tuple[int, str, int, list[float]]]:
    """Buckets (qh, model, cls, vec) of the messages of quarter-hour `qh` in [start_ms, end_ms)."""
    return [(qh, m, c, v) for ts, _s, m, c, v in messages_in(store, qh) if start_ms <= ts < end_ms]
