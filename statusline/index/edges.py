"""Quarter-hours cut by a local day boundary: their messages, one by one, from the hour file.

Buckets are UTC quarter-hours, so a zone whose midnight is not on a quarter-hour (an offset like
+05:20, or local mean time before 1972) has one quarter-hour per boundary that belongs to two
days. Its messages are read from the hour file's dedup keys, which carry each message's time
(entries written before they did are placed by the first time of their bucket). Only such zones
ever import this module; nearly all zones' days are whole quarter-hours.
"""

from __future__ import annotations

from statusline.index.readback import hour_rel, read_hour
from statusline.index.store import CorruptIndex
from statusline.timeutil import QUARTER_HOUR_MS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from statusline.index.store import Store


# (ts, key, session, model, cls, vec[:7]); key = message id NUL request id, as dedup keys them,
# or "" for what no timed key accounts for
Message = tuple[int, str, str, str, int, list[float]]


def shard_messages(shard: object) -> Iterator[Message]:
    """Every message of one hour file: its dedup keys, each at its own time, and per bucket what
    no timed key accounts for (entries written before keys carried a time), at the bucket's
    first time; together they add up to the hour's sums."""
    keys = shard.get("keys") if isinstance(shard, dict) else None
    agg = shard.get("agg") if isinstance(shard, dict) else None
    if not isinstance(keys, dict) or not isinstance(agg, dict):
        return
    timed: dict[object, list[float]] = {}
    for msg_id, entries in keys.items():
        for entry in entries:
            bucket, vec, ts = entry[1], entry[2], entry[-1]
            qh = bucket[0]
            if type(ts) is not int or not 0 <= ts - qh * QUARTER_HOUR_MS < QUARTER_HOUR_MS:
                continue  # left to the rest below
            yield ts, f"{msg_id}\x00{entry[0]}", bucket[1], bucket[2], bucket[3], list(vec[:7])
            done = timed.setdefault(bucket, [0.0] * 7)
            for i in range(7):
                done[i] += vec[i]
    for bucket, vec in agg.items():
        done = timed.get(bucket, [0.0] * 7)
        rest = [vec[i] - done[i] for i in range(7)]
        if rest[0] >= 0.5:
            yield int(vec[7]), "", bucket[1], bucket[2], bucket[3], rest


def messages_in(store: Store, qh: int) -> list[tuple[int, str, str, int, list[float]]]:
    """(ts_ms, session, model, cls, vec) of every message in one UTC quarter-hour."""
    try:
        shard = read_hour(store, hour_rel(qh * QUARTER_HOUR_MS // 3_600_000))
    except CorruptIndex:
        return []
    return [
        (ts, session, model, cls, [*vec, ts, ts])
        for ts, _key, session, model, cls, vec in shard_messages(shard)
        if ts // QUARTER_HOUR_MS == qh
    ]


def buckets_between(
    store: Store, qh: int, start_ms: int, end_ms: int
) -> list[tuple[int, str, int, list[float]]]:
    """Buckets (qh, model, cls, vec) of the messages of quarter-hour `qh` in [start_ms, end_ms)."""
    return [(qh, m, c, v) for ts, _s, m, c, v in messages_in(store, qh) if start_ms <= ts < end_ms]
