"""Reports from the index: daily, monthly, per session and 5-hour blocks (CLI side only).

Every figure is priced from the same token buckets and price table as the status line, so a
report's day equals the status line's "today" to the cent. Buckets are UTC quarter-hours, which
map onto local days exactly in any zone whose midnight is on a quarter-hour (IANA, `--timezone`);
a quarter-hour that a local midnight cuts is split message by message (index/edges.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from statusline.index.lines import CLS_GEO_US
from statusline.index.readback import range_buckets, read_hour
from statusline.index.store import CorruptIndex, Store
from statusline.pricing import (
    US_ONLY_PREMIUM,
    US_ONLY_PREMIUM_MODELS,
    bucket_cost,
    family_stand_in,
    period_at,
    resolve,
)
from statusline.timeutil import HOUR_MS, QUARTER_HOUR_MS, civil_from_days, week_start_day

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from statusline.pricing import Table
    from statusline.projects import Projects
    from statusline.sync.fold import Others

BLOCK_MS = 5 * HOUR_MS
TOKEN_FIELDS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")


@dataclass
class Row:
    """One line of a report: tokens and cost, with a per-model breakdown."""

    key: str
    tokens: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    cost: float = 0.0
    models: dict[str, list[float]] = field(default_factory=dict)  # model → [in, out, cw, cr, cost]
    unknown: set[str] = field(default_factory=set)
    first_ms: int = 0
    last_ms: int = 0
    project: str = ""  # its name (projects.py)
    folder: str = ""  # the folder Claude Code keeps its transcripts in
    machines: dict[str, float] = field(default_factory=dict)  # [sync] on: machine name → cost

    def add(self, model: str, vec: list[float], usd: float | None) -> None:
        # Unrolled: a report adds thousands of buckets (a page, every session's).
        t0, t1, t2, t3 = int(vec[1]), int(vec[2]), int(vec[3] + vec[4]), int(vec[5])
        tokens = self.tokens
        tokens[0] += t0
        tokens[1] += t1
        tokens[2] += t2
        tokens[3] += t3
        per = self.models.get(model)
        if per is None:
            per = self.models[model] = [0, 0, 0, 0, 0.0]
        per[0] += t0
        per[1] += t1
        per[2] += t2
        per[3] += t3
        if usd is None:
            self.unknown.add(model)
        else:
            self.cost += usd
            per[4] += usd
        first, last = int(vec[7]), int(vec[8])
        if not self.first_ms or first < self.first_ms:
            self.first_ms = first
        if last > self.last_ms:
            self.last_ms = last

    def as_json(self, label: str) -> dict[str, object]:
        doc: dict[str, object] = {label: self.key}
        doc.update(zip(TOKEN_FIELDS, self.tokens, strict=True))
        doc["totalTokens"] = sum(self.tokens)
        doc["totalCost"] = self.cost
        doc["modelsUsed"] = sorted(self.models)
        doc["modelBreakdowns"] = [
            {"modelName": m, **dict(zip(TOKEN_FIELDS, map(int, v[:4]), strict=True)), "cost": v[4]}
            for m, v in sorted(self.models.items(), key=lambda kv: -kv[1][4])
        ]
        if self.unknown:
            doc["unpricedModels"] = sorted(self.unknown)
        if self.machines:
            doc["machines"] = dict(sorted(self.machines.items()))
        return doc


class Pricer:
    """Prices single buckets with the compiled table; remembers each model's resolution."""

    def __init__(self, compiled: dict[str, object]) -> None:
        self.models: Table = compiled["models"]  # type: ignore[assignment]
        self.aliases: dict[str, str] = compiled.get("aliases") or {}  # type: ignore[assignment]
        use_family = compiled.get("unknown_mode") == "family"
        self.families: dict[str, str] = compiled.get("families") if use_family else {}  # type: ignore[assignment]
        self._memo: dict[str, tuple[str | None, float]] = {}

    def _resolved(self, model: str) -> tuple[str | None, float]:
        hit = self._memo.get(model)
        if hit is None:
            hit = resolve(model, self.models, self.aliases)
            if hit[0] is None and self.families:
                stand_in = family_stand_in(model, self.families)
                hit = (stand_in, hit[1]) if stand_in else hit
            self._memo[model] = hit
        return hit

    def period_starts(self, model: str) -> tuple[int, ...]:
        """Where the model's price periods start (none when it has no price)."""
        key = self._resolved(model)[0]
        return tuple(int(p[0]) for p in self.models[key]) if key is not None else ()  # type: ignore[call-overload]

    def price_period(self, model: str, qh: int) -> int:
        """Which of the model's price periods is in force in a quarter-hour (its start; 0 when
        the model has one period, or no price)."""
        key = self._resolved(model)[0]
        periods = self.models[key] if key is not None else ()
        if len(periods) < 2:
            return 0
        start: int = period_at(periods, qh * QUARTER_HOUR_MS)[0]  # type: ignore[assignment]
        return start

    def usd(self, qh: int, model: str, cls: int, vec: list[float]) -> float | None:
        """Cost of one bucket; None when the model has no price."""
        from statusline.index.lines import CLS_LOGGED_COST

        if cls & CLS_LOGGED_COST:
            return float(vec[6])
        key, multiplier = self._resolved(model)
        if key is None:
            return None if any(vec[1:6]) else 0.0
        if cls & CLS_GEO_US and key in US_ONLY_PREMIUM_MODELS:
            multiplier *= US_ONLY_PREMIUM
        return bucket_cost(period_at(self.models[key], qh * QUARTER_HOUR_MS), cls, vec) * multiplier


def zone(name: str | None) -> tzinfo | None:
    """An IANA zone (None = the system's local time, honouring TZ)."""
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def local_date(ms: int, tz: tzinfo | None) -> str:
    """`YYYY-MM-DD` in `tz` (None: the system's zone): local_time's, without strftime (a report
    asks it twice for every quarter-hour it holds)."""
    return datetime.fromtimestamp(ms / 1000, tz).date().isoformat()


def local_time(ms: int, tz: tzinfo | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time in `tz` (None: the system's zone, honouring TZ)."""
    if tz is None:
        return datetime.fromtimestamp(ms / 1000).strftime(fmt)
    return datetime.fromtimestamp(ms / 1000, tz).strftime(fmt)


def all_hours(store: Store) -> list[str]:
    """Every hour of the index (with a file, or only a delta renders booked), as
    `hours/<day>/<HH>` paths, oldest first."""
    root = store.path("hours")
    out: list[str] = []
    for day in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        names = os.listdir(os.path.join(root, day))
        hours = {n[:2] for n in names if (len(n) == 2 or n[2:] == ".new") and n[:2].isdigit()}
        out.extend(f"hours/{day}/{hh}" for hh in sorted(hours))
    return out


@dataclass
class Machines:
    """With [sync] on, what the reports cover: this machine (by its name) and, unless
    `--this-machine`, the other machines' folded share (sync/fold.py)."""

    own: str
    others: Others | None = None


_machines: list[Machines | None] = [None]


def use_machines(machines: Machines | None) -> None:
    """Set what every report of this process covers (cli/report.py `prepare`)."""
    _machines[0] = machines


def machines() -> Machines | None:
    return _machines[0]


def session_projects(store: Store, groups: list[dict[str, Any]] | None = None) -> Projects:
    """Each session's project folder and name (projects.py); the other machines' sessions are
    named by the project they published. `groups`: the store's group states, if read already."""
    from statusline.projects import projects

    found = projects(store, groups)
    scope = machines()
    if scope is not None and scope.others is not None:
        from statusline.sync.publish import project_label

        salt = scope.others.salt
        local: dict[str, str] = {}  # a project as another machine publishes it → our folder of it
        for folder, name in sorted(found.names.items()):
            local.setdefault(name, folder)
            if salt and name:
                local.setdefault(project_label(name, False, salt), folder)
        for session, label in scope.others.projects.items():
            if session not in found.folder_of:
                mapped = local.get(label)
                if mapped is None:  # a project only other machines have
                    mapped = label
                    found.names.setdefault(label, label)
                found.folder_of[session] = mapped
    return found


def hour_sums(store: Store, rel: str) -> dict[tuple[object, ...], list[float]]:
    """The token sums of one hour, its pending delta included ({} when missing or unreadable)."""
    try:
        shard = read_hour(store, rel)
    except CorruptIndex:
        return {}
    return shard["agg"] if shard is not None else {}


def session_buckets_all(store: Store) -> list[tuple[int, str, str, int, list[float]]]:
    """(quarter-hour, session, model, cls, vec) of everything the index holds."""
    out = []
    for rel in all_hours(store):
        for (qh, session, model, cls), vec in hour_sums(store, rel).items():
            out.append((int(qh), str(session), str(model), int(cls), vec))  # type: ignore[call-overload]
    return out


def dated_buckets(
    store: Store, tz: tzinfo | None, sessions: bool = True
) -> Iterator[tuple[str, int, str, str, int, list[float]]]:
    """(local date, quarter-hour, session, model, cls, vec) of everything the index holds
    (`sessions` off: from the day summaries, with an empty session, as daily and monthly need),
    and with [sync] on the other machines' share too (see machine_dated_buckets)."""
    for _machine, *rest in machine_dated_buckets(store, tz, sessions):
        yield rest  # type: ignore[misc]


def machine_dated_buckets(
    store: Store, tz: tzinfo | None, sessions: bool = True
) -> Iterator[tuple[str, str, int, str, str, int, list[float]]]:
    """dated_buckets with the machine's name first ("" with [sync] off).

    Buckets are UTC quarter-hours; one that a local midnight cuts (zones off the quarter-hour)
    is given message by message from its hour file (index/edges.py); another machine's such
    quarter-hour is dated by its first message.
    """
    scope = machines()
    own = scope.own if scope is not None else ""
    if sessions:
        buckets: Iterable[tuple[int, str, str, int, list[float]]] = session_buckets_all(store)
    else:
        buckets = ((qh, "", model, cls, vec) for qh, model, cls, vec in range_buckets(store, 0, 1 << 62))
    dates: dict[int, str | None] = {}  # quarter-hour → its local date; None if a day starts inside
    split: set[int] = set()
    for qh, session, model, cls, vec in buckets:
        date = dates[qh] if qh in dates else dates.setdefault(qh, qh_date(qh, tz))
        if date is None:
            split.add(qh)
            continue
        yield own, date, qh, session, model, cls, vec
    if split:
        from statusline.index.edges import messages_in

        for qh in sorted(split):
            for ts, session, model, cls, vec in messages_in(store, qh):
                yield own, local_date(ts, tz), qh, session, model, cls, vec
    if scope is not None:
        for machine, date, qh, session, model, cls, vec in other_dated(tz):
            yield machine, date, qh, session if sessions else "", model, cls, vec


def other_dated(tz: tzinfo | None) -> Iterator[tuple[str, str, int, str, str, int, list[float]]]:
    """The other machines' buckets ([sync] on, not --this-machine) with their machine's name and
    local date (a quarter-hour a local midnight cuts: its first message's)."""
    scope = machines()
    others = scope.others if scope is not None else None
    if others is None:
        return
    dates: dict[int, str | None] = {}
    for mid, qh, session, model, cls, vec in others.buckets:
        date = dates[qh] if qh in dates else dates.setdefault(qh, qh_date(qh, tz))
        yield others.name(mid), date or local_date(int(vec[7]), tz), qh, session, model, cls, vec


def grouped(
    store: Store,
    pricer: Pricer,
    key_of: str,
    tz: tzinfo | None,
    project: str | None = None,
    model_filter: str | None = None,
    week_start: int = 0,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Row]:
    """Rows keyed by 'day', 'week' (its first day; `week_start` 0 = Monday … 6 = Sunday),
    'month' or 'session', of the local days since..until (inclusive; None: open). A range that
    cuts a week or month counts only its days within the range, as ccusage does."""
    rows: dict[str, Row] = {}
    sums: dict[tuple[str, str, str, int, int, str], tuple[int, list[float]]] = {}  # -> (a qh, sums)
    projects = session_projects(store) if (project or key_of == "session") else None
    scope = machines()
    several: dict[str, bool] = {}  # model → whether it has more than one price period
    for machine, date, qh, session, model, cls, vec in machine_dated_buckets(
        store, tz, key_of == "session" or bool(project)
    ):
        if project and projects and not projects.matches(session, project):
            continue
        if model_filter and model_filter not in model:
            continue
        if (since and date < since) or (until and date > until):
            continue
        key = (
            session
            if key_of == "session"
            else date
            if key_of == "day"
            else period_of(date, key_of, week_start)
        )
        # Buckets a price is linear over (one row, model, class and price period) are summed
        # first and priced once: a year holds hundreds of thousands of quarter-hour buckets.
        folder = projects.folder_of.get(session, "") if projects else ""
        if model not in several:
            several[model] = len(pricer.period_starts(model)) > 1
        group = (key, folder, model, cls, pricer.price_period(model, qh) if several[model] else 0, machine)
        add_bucket(sums, group, qh, vec)
    for (key, folder, model, cls, _period, machine), (qh, summed) in sums.items():
        row = rows.get(key)
        if row is None:
            name = projects.names.get(folder, folder) if projects else ""
            row = rows[key] = Row(key, project=name, folder=folder)
        usd = pricer.usd(qh, model, cls, summed)
        row.add(model, summed, usd)
        if scope is not None:
            row.machines[machine] = row.machines.get(machine, 0.0) + (usd or 0.0)
    return rows


def period_of(date: str, kind: str, week_start: int = 0) -> str:
    """The period a local `YYYY-MM-DD` date falls in: itself, its month, or its week's first day."""
    if kind == "month":
        return date[:7]
    if kind == "week":
        y, m, d = civil_from_days(week_start_day(int(date[:4]), int(date[5:7]), int(date[8:10]), week_start))
        return f"{y:04d}-{m:02d}-{d:02d}"
    return date


def qh_date(qh: int, tz: tzinfo | None) -> str | None:
    """The local date of a whole quarter-hour; None when a local day starts inside it."""
    first = local_date(qh * QUARTER_HOUR_MS, tz)
    return first if local_date(qh * QUARTER_HOUR_MS + QUARTER_HOUR_MS - 1, tz) == first else None


@dataclass
class Block:
    start_ms: int
    end_ms: int
    row: Row
    gap: bool = False
    active: bool = False


# A block as block_sums gives it: start, end, whether a gap, and its buckets summed per (model,
# class, price period) → (a quarter-hour of that period, [7 sums, first ms, last ms]).
BlockSums = tuple[int, int, bool, dict[tuple[str, int, int], tuple[int, list[float]]]]


def blocks(
    store: Store, pricer: Pricer, now_ms: int, length_ms: int = BLOCK_MS, sums: list[BlockSums] | None = None
) -> list[Block]:
    """ccusage's 5-hour blocks: start at the first entry's UTC hour; a new block after 5 h from
    its start or a 5 h gap since the previous entry; gaps become gap blocks. `sums`: what
    block_sums gave (kept by the caller), else it is called."""
    out: list[Block] = []
    for start, end, gap, groups in block_sums(store, pricer, length_ms) if sums is None else sums:
        block = Block(start, end, Row("gap" if gap else str(start)), gap=gap)
        for (model, cls, _period), (qh, summed) in groups.items():
            block.row.add(model, summed, pricer.usd(qh, model, cls, summed))
        if not gap:
            block.active = now_ms - block.row.last_ms < length_ms and now_ms < block.end_ms
        out.append(block)
    return out


def block_sums(store: Store, pricer: Pricer, length_ms: int = BLOCK_MS) -> list[BlockSums]:
    """The blocks' bounds and token sums. A block's buckets are summed per (model, class, price
    period) and priced once each, as grouped() does: a month holds tens of thousands of
    quarter-hour buckets."""
    per_qh: dict[int, list[Any]] = {}  # qh → [first ms, last ms, (model, cls, vec), …]
    scope = machines()
    others = (
        [(qh, m, c, v) for _mid, qh, _s, m, c, v in scope.others.buckets] if scope and scope.others else []
    )
    for qh, model, cls, vec in [*range_buckets(store, 0, 1 << 62), *others]:
        got = per_qh.get(qh)
        if got is None:
            per_qh[qh] = [int(vec[7]), int(vec[8]), (model, cls, vec)]
        else:
            got[0], got[1] = min(got[0], int(vec[7])), max(got[1], int(vec[8]))
            got.append((model, cls, vec))
    out: list[BlockSums] = []
    start = -1
    last_entry = 0
    sums: dict[tuple[str, int, int], tuple[int, list[float]]] = {}
    several: dict[str, bool] = {}  # model → whether it has more than one price period
    for qh in sorted(per_qh):
        first, last, *items = per_qh[qh]
        if start < 0 or first - start > length_ms or first - last_entry > length_ms:
            if start >= 0 and first - last_entry > length_ms:
                out.append((last_entry + length_ms, first, True, {}))
            start = first - first % HOUR_MS
            sums = {}
            out.append((start, start + length_ms, False, sums))
        for model, cls, vec in items:
            if model not in several:
                several[model] = len(pricer.period_starts(model)) > 1
            group = (model, cls, pricer.price_period(model, qh) if several[model] else 0)
            add_bucket(sums, group, qh, vec)
        last_entry = max(last_entry, last)
    return out


def add_bucket(sums: dict[Any, tuple[int, list[int | float]]], group: Any, qh: int, vec: Any) -> None:
    """Add a bucket's seven token counts to its group's sum, widening the group's first and
    last message times (vec[7], vec[8]); the group keeps the quarter-hour it was first seen in
    (the one it is priced at: buckets are grouped by price period)."""
    total = sums.get(group)
    if total is None:
        sums[group] = (qh, [*vec[:7], int(vec[7]), int(vec[8])])
        return
    summed = total[1]
    summed[0] += vec[0]  # unrolled: a loop over seven items costs twice as much here
    summed[1] += vec[1]
    summed[2] += vec[2]
    summed[3] += vec[3]
    summed[4] += vec[4]
    summed[5] += vec[5]
    summed[6] += vec[6]
    first, last = int(vec[7]), int(vec[8])
    if first < summed[7]:
        summed[7] = first
    if last > summed[8]:
        summed[8] = last


def burn(block: Block, now_ms: int) -> dict[str, float] | None:
    """Cost per hour, tokens per minute and the projected cost at the block's end."""
    minutes = (block.row.last_ms - block.row.first_ms) / 60000
    if minutes <= 0:
        return None
    per_hour = block.row.cost / minutes * 60
    remaining = max(0.0, (block.end_ms - now_ms) / 60000)
    io_tokens = block.row.tokens[0] + block.row.tokens[1]
    return {
        "costPerHour": per_hour,
        "tokensPerMinute": sum(block.row.tokens) / minutes,
        "tokensPerMinuteForIndicator": io_tokens / minutes,
        "projectedCost": round(block.row.cost + per_hour / 60 * remaining, 2),
        "remainingMinutes": remaining,
    }


def utc_iso(ms: int) -> str:
    """ISO 8601 in UTC to the millisecond, as ccusage prints block times (a gap block's start
    is a message's time + 5 h, its end the next message's time)."""
    seconds, millis = divmod(int(ms), 1000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}Z"
