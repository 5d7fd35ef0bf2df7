"""Gather a report page's figures from the index, the attribution and the unlogged ledger.

Every figure is the one the text reports give for the same days: the daily bars are `report
daily`, the breakdowns `report by`, the blocks `report blocks`, the sessions `report session`.
"""

from __future__ import annotations

import itertools
import os
import time
from datetime import date, tzinfo
from typing import Any

from statusline import report as rp
from statusline.attrib.breakdown import day_start_ms
from statusline.attrib.summary import Summaries
from statusline.html.page import Bucket, PageData, SessionRow
from statusline.index.store import Store
from statusline.pricing import normalise
from statusline.segments.info import short_model_name
from statusline.timeutil import DAY_MS, projected

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.projects import Projects

AVERAGE_DAY_USD = 6.0  # Anthropic: Claude Code averages about $6 per developer per day
P90_DAY_USD = 12.0  # and stays under $12 on 90% of days
TOP_SESSIONS = 20
RANGE_DAYS = 365  # the default range's most days
NOTES = {
    "agent": "Exact: each agent's own requests.",
    "tool": "Estimate: a tool's calls by their characters, its results by the context they occupy"
    " until a compaction (see the README).",
    "mcp": "Estimate, as by tool; built-in tools are 'other tools'.",
    "machine": "Exact: each machine's share of the sync folder; a response seen on several counts once.",
}


def zone_name(tz: tzinfo | None) -> str:
    """An IANA name for the page's clock labels (the system's own when `tz` is None)."""
    if tz is not None:
        return str(tz)
    named = os.environ.get("TZ", "").lstrip(":")
    if "/" in named or named == "UTC":
        return named
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return "UTC"
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


def _days_between(first: str, last: str) -> list[str]:
    start = date.fromisoformat(first).toordinal()
    end = date.fromisoformat(last).toordinal()
    return [date.fromordinal(n).isoformat() for n in range(start, end + 1)]


def collect(
    store: Store,
    pricer: rp.Pricer,
    tz: tzinfo | None,
    since: str | None,
    until: str,
    unlogged_by_day: dict[str, float],
    sums: Summaries,
    titles: dict[str, str],
    daily_budget: float | None,
    monthly_budget: float | None,
    now_ms: int | None = None,
    groups: list[dict[str, Any]] | None = None,
    projects: Projects | None = None,
) -> PageData:
    """The page for the local days since..until (inclusive); since None: from the first day
    with usage, at most RANGE_DAYS before until (3 days of use are not a year of empty days).
    `groups`: the index's group states, if the caller has read them; `projects`: the sessions'
    projects (report.session_projects), if the caller has them."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    per_day = sums.per_day(pricer)
    if since is None:
        since = first_day(per_day, unlogged_by_day, until)
    # Spend outside the range is named, unlogged too, so the page and `report daily` reconcile.
    used = {d for d, r in per_day.items() if r.cost > 0} | {d for d, u in unlogged_by_day.items() if u > 0}
    outside = sorted(d for d in used if d < since or d > until)
    days = [
        (day, per_day[day].cost if day in per_day else 0.0, unlogged_by_day.get(day, 0.0))
        for day in _days_between(since, until)
    ]
    unknown: set[str] = set()
    for day, _cost, _unlogged in days:
        if day in per_day:
            unknown |= per_day[day].unknown
    if daily_budget:
        lines = [(f"${daily_budget:,.2f} daily budget", daily_budget)]
    else:
        lines = [("$6 average day", AVERAGE_DAY_USD), ("$12 90th-percentile day", P90_DAY_USD)]

    month, to_date, projection = month_figures(per_day, unlogged_by_day, tz, now_ms)

    first_ms = day_start_ms(since, tz)
    end_ms = day_start_ms(until, tz) + DAY_MS
    blocks = [
        (b.start_ms, b.end_ms, b.row.cost)
        for b in sums.blocks(pricer, now_ms, store.cache)
        if not b.gap and b.end_ms > first_ms and b.start_ms < end_ms
    ]

    breakdowns: dict[str, list[Bucket]] = {}
    kinds: tuple[str, ...] = ("model", "project", "agent", "tool", "mcp")
    if rp.machines() is not None:  # [sync] on: a machine breakdown after the others
        kinds = (*kinds, "machine")
    if projects is None:
        projects = rp.session_projects(store, groups)
    found = sums.breakdowns(pricer, kinds, since, until, projects)
    for kind, result in found.items():
        total = result.total
        breakdowns[kind] = [
            Bucket(b.name, b.cost, b.cost / total if total else 0.0, round(sum(b.tokens)))
            for b in result.rows()
        ]

    # The sessions whose last message falls in the range (its local day between since and
    # until), costliest first; only those shown are named (and dated: a local date costs).
    in_range = (row for row in sums.sessions(pricer) if since <= rp.local_date(row[3], tz) <= until)
    sessions = []
    for session, cost, first_ms, last_ms, top_model in itertools.islice(in_range, TOP_SESSIONS):
        folder = projects.folder_of.get(session, "")
        project = projects.names.get(folder, folder)
        title = titles.get(session, "")
        sessions.append(SessionRow(session, project, title, model_name(top_model), cost, first_ms, last_ms))

    return PageData(
        first_day=since,
        last_day=until,
        generated=time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(now_ms / 1000)),
        tz_name=zone_name(tz),
        days=days,
        reference_lines=lines,
        month=month,
        month_to_date=to_date,
        month_projection=projection,
        monthly_budget=monthly_budget,
        blocks=blocks,
        breakdowns=breakdowns,
        notes=NOTES,
        top_sessions=sessions,
        total=sum(cost for _d, cost, _u in days),
        unlogged_total=sum(u for _d, _c, u in days),
        unknown_models=sorted(unknown),
        outside_total=sum(per_day[d].cost for d in outside if d in per_day),
        outside_unlogged=sum(unlogged_by_day.get(d, 0.0) for d in outside),
        outside_days=outside,
    )


def month_figures(
    per_day: dict[str, rp.Row], unlogged_by_day: dict[str, float], tz: tzinfo | None, now_ms: int
) -> tuple[str, float, float]:
    """(this month, its spend so far with unlogged, its projection by month end), projected as
    the status line's `month` segment does (timeutil.projected: the elapsed share in seconds)."""
    today = rp.local_date(now_ms, tz)
    month = today[:7]
    to_date = sum(r.cost for key, r in per_day.items() if key.startswith(month) and key <= today)
    to_date += sum(usd for key, usd in unlogged_by_day.items() if key.startswith(month) and key <= today)
    year, mon = int(today[:4]), int(today[5:7])
    start = day_start_ms(f"{month}-01", tz) / 1000
    end = day_start_ms(f"{year + mon // 12:04d}-{mon % 12 + 1:02d}-01", tz) / 1000
    return month, to_date, projected(to_date, start, end, now_ms / 1000)


def model_name(model_id: str) -> str:
    """A Claude model as the status line names it (`claude-opus-4-6` → Opus 4.6); any other id
    as it is, not dressed up as a name it is not."""
    name, _ = normalise(model_id)
    return (short_model_name(None, model_id) or model_id) if name.startswith("claude-") else model_id


def first_day(per_day: dict[str, rp.Row], unlogged_by_day: dict[str, float], until: str) -> str:
    """The first day with usage up to `until`, but not more than RANGE_DAYS before it."""
    floor = date.fromordinal(date.fromisoformat(until).toordinal() - RANGE_DAYS + 1).isoformat()
    used = [d for d, r in per_day.items() if r.cost > 0 or sum(r.tokens) > 0]
    used += [d for d, usd in unlogged_by_day.items() if usd > 0]
    return max(floor, min((d for d in used if d <= until), default=until))
