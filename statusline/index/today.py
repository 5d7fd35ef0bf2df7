"""Today's total for the render: a cache of priced totals (`today`), plus the hours' pending deltas.

Split from readback.py (which reads hour files and day totals for everyone): this is the render's
own cache of them. It keeps the priced total of today's closed hour files with every one's
signature and the price table's, and the hour file now being written, priced, with its own
signature. A render's today otherwise reads and prices the day's summaries: over a history of
thousands of sessions, hundreds of buckets on every refresh; and the hour now being written is
the day's largest file. A part is used only while its files and the table are exactly those it
was made from; the writer of an hour file prices it from memory.

Which hour files and deltas a day has is known from its folder's listing and a stat of each hour
file (a dozen or more stats on a busy day), or, while the folder is unchanged, from the cache:
every hour file, id index and delta is created, replaced and removed by a rename or an unlink
in `hours/<day>/`, each of which changes the folder's mtime, and appends to a delta (whose
content is read anyway) change no name. A listing is kept with the folder's inode and mtime,
and only when the folder had not changed for DIR_SETTLED_S before it was listed: the mtime's
granularity is the kernel's clock tick, so two changes within one tick can leave it the same;
one that settled before the listing cannot be followed by an unseen one.
"""

from __future__ import annotations

import marshal

from statusline import fs
from statusline.index.readback import collapse, day_buckets, day_listing, delta_shard, hour_part, hour_rel
from statusline.index.store import Store
from statusline.timeutil import DAY_MS, HOUR_MS, QUARTER_HOUR_MS, days_from_civil, utc_days_in

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from statusline.pricing import Bucket, Priced

# A day folder's listing is kept only when the folder had not changed for this long before.
DIR_SETTLED_S = 1.0

# A day's listing: (hour file -> its signature, hours with a pending delta).
Listing = tuple[dict[str, tuple[int, int, int]], set[str]]


def today_total(
    store: Store,
    start: int,
    end: int,
    now_hour: int,
    table: object,
    price: Callable[[list[Bucket]], Priced],
    now_s: float | None = None,
) -> Priced:
    """Today ([start, end), whole hours) from the `today` cache plus the hours' pending deltas,
    priced on top (they hold what renders booked since a refresh: a few dozen messages).
    `now_s`: the render's clock, for DIR_SETTLED_S (None: day folders are listed every time)."""
    if table is None:
        return price(day_buckets(store, start, end))
    try:  # not store.read: an unreadable cache is just a miss, not a reason to re-index
        saved = marshal.loads(fs.read_private(store.path("today")))
    except (OSError, EOFError, ValueError, TypeError):
        saved = None
    if not isinstance(saved, dict):
        saved = {}
    known = saved.get("dirs")
    listings: dict[str, tuple[object, Listing]] = known if isinstance(known, dict) else {}
    now_rel = hour_rel(now_hour)
    hours: dict[str, object] = {}
    pending: list[str] = []
    dirs: dict[str, tuple[object, Listing]] = {}
    for day in utc_days_in(start, end, store.indexed_days):
        first = days_from_civil(int(day[:4]), int(day[5:7]), int(day[8:10])) * DAY_MS
        dir_sig, (sigs, deltas) = _listing(store, day, listings.get(day), now_s)
        if dir_sig is not None:
            dirs[day] = (dir_sig, (sigs, deltas))
        for hh, sig in sigs.items():
            if start <= first + int(hh) * HOUR_MS < end:
                hours[f"hours/{day}/{hh}"] = sig
        pending.extend(
            f"hours/{day}/{hh}" for hh in sorted(deltas) if start <= first + int(hh) * HOUR_MS < end
        )
    current = hours.pop(now_rel, None)
    key = [start, end, table, sorted(hours.items())]
    write = any(listings.get(day) != listed for day, listed in dirs.items())  # a new listing kept
    saved["dirs"] = dirs
    if saved.get("key") == key:
        total = _thawed(saved["priced"])
    else:
        buckets = day_buckets(store, start, end, deltas=False)
        total = price([b for b in buckets if b[0] * QUARTER_HOUR_MS // HOUR_MS != now_hour])
        saved["key"], saved["priced"] = key, _frozen(total)
        write = True
    first_qh, last_qh = start // QUARTER_HOUR_MS, (end - 1) // QUARTER_HOUR_MS
    if current is not None:
        fresh = store.fresh_hours.get(now_rel)
        now_key = [table, now_rel, current, start, end]
        if fresh is not None and fresh[0] == current:  # this process wrote it: priced from memory
            now = price([(qh, m, c, v) for (qh, m, c), v in fresh[1].items() if first_qh <= qh <= last_qh])  # type: ignore[misc,operator]
        elif saved.get("now_key") == now_key:
            now = _thawed(saved["now"])
        else:
            part, _ = hour_part(store, now_rel, current)
            now = price([(qh, m, c, v) for (qh, m, c), v in part.items() if first_qh <= qh <= last_qh])  # type: ignore[misc,operator]
            saved["now_key"], saved["now"] = now_key, _frozen(now)
            write = True
        _add(total, now)
    if write:
        try:
            store.write("today", saved)
        except OSError:
            pass  # a cache that cannot be written: this render still has its figure
    for rel in pending:
        delta = delta_shard(store, rel, current if rel == now_rel else hours.get(rel))
        if delta is not None:
            part = collapse(delta["agg"])
            _add(total, price([(qh, m, c, v) for (qh, m, c), v in part.items() if first_qh <= qh <= last_qh]))  # type: ignore[misc,operator]
    return total


def _listing(store: Store, day: str, known: object, now_s: float | None) -> tuple[object, Listing]:
    """A day folder's hour files and deltas: from `known` (the cached listing) while the folder
    is the one it was made from, else listed; with the folder's signature when the listing may
    be kept (the folder had settled), else None."""
    try:
        st = fs.stat(store.path("hours", day))
    except OSError:
        return None, day_listing(store, day)  # no folder (yet): nothing to list
    dir_sig = (st.st_ino, st.st_mtime_ns)
    if (
        isinstance(known, tuple)
        and len(known) == 2
        and known[0] == dir_sig
        and isinstance(known[1], tuple)
        and len(known[1]) == 2
        and isinstance(known[1][0], dict)
        and isinstance(known[1][1], set)
    ):
        return dir_sig, known[1]
    listing = day_listing(store, day)
    settled = now_s is not None and now_s - st.st_mtime >= DIR_SETTLED_S
    return (dir_sig if settled else None), listing


def _frozen(priced: Priced) -> tuple[object, ...]:
    return (priced.usd, sorted(priced.unknown), sorted(priced.estimated), priced.messages)


def _thawed(saved: object) -> Priced:
    from statusline.pricing import Priced

    usd: float
    unknown: list[str]
    estimated: list[str]
    messages: int
    usd, unknown, estimated, messages = saved  # type: ignore[misc]
    out = Priced()
    out.usd, out.messages = usd, messages
    out.unknown, out.estimated = set(unknown), set(estimated)
    return out


def _add(total: Priced, part: Priced) -> None:
    total.usd += part.usd
    total.unknown |= part.unknown
    total.estimated |= part.estimated
    total.messages += part.messages
