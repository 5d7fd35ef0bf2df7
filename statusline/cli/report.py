"""`costline report daily|weekly|monthly|session|blocks|by|html`: tables for people, `--json` for machines.

Column sets and JSON field names follow ccusage (`period`, `inputTokens`, `totalCost`,
`modelBreakdowns`, …) so its users feel at home. The index is brought up to date first.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import replace

import click

from statusline import report as rp
from statusline.cli import LazyGroup, emit_json
from statusline.cli.index import _loads, _Progress, hold_refresh_lock
from statusline.cli.tables import COMPACT, KEEP, NARROW, TEXT, Column, echo_fitted, table
from statusline.config import WEEKDAYS
from statusline.index.scan import scan
from statusline.index.store import Store
from statusline.look import sanitise
from statusline.paths import cache_dir
from statusline.price_table import load_table


def day_arg(value: str | None) -> str | None:
    if value is None:
        return None
    from datetime import date

    digits = value.replace("-", "")
    try:
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))  # a day the calendar has
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYYMMDD or YYYY-MM-DD)") from None
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


# `--this-machine` (any report): leave the other machines of the [sync] folder out.
_this_machine = [False]


def this_machine_option(f: Callable[..., None]) -> Callable[..., None]:
    def remember(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        _this_machine[0] = value
        return value

    return click.option(
        "--this-machine",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="Only this machine, not the others in the [sync] folder.",
    )(f)


# The transcripts the last refresh of this process found (cli/where.py catalog_now lists those).
walked: list[list[str]] = []


def prepare(refresh: bool, timezone: str | None, attribute: bool = False) -> tuple[Store, rp.Pricer, object]:
    """The index brought up to date (unless not `refresh`), its pricer and the zone. `attribute`:
    the report needs the attribution too, and the scan builds that of the transcripts it reads
    first from the same parse (index/scan.py cold_attribution)."""
    from statusline.index import scan as scanning

    store = Store(cache_dir())
    walked.clear()
    if refresh:
        fd = hold_refresh_lock(store.cache)  # refreshes never overlap
        try:
            if attribute:
                from statusline.attrib.build import ColdReader

                scanning.cold_attribution[:] = [ColdReader(store.cache)]
            progress = _Progress(quiet=False)
            walked[:] = [scan(store, _loads, progress=progress).walked]
            progress.finish()
            if attribute:  # what the scanning process read itself (the workers packed theirs)
                scanning.cold_attribution[0].flush()
        finally:
            scanning.cold_attribution.clear()
            os.close(fd)
    use_sync(store.cache, refresh)
    if timezone is None:
        configured = load_table(cache_dir()).get("timezone")
        timezone = configured if isinstance(configured, str) else None
    try:
        tz = rp.zone(timezone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--timezone") from None
    return store, rp.Pricer(load_table(cache_dir())), tz


def use_sync(cache: str, refresh: bool) -> None:
    """With [sync] on, reports cover every machine (published and folded first, when the index
    was refreshed), unless --this-machine; rows then carry their machines."""
    from statusline.sync.settings import load

    settings = load()
    if not settings.enabled:
        rp.use_machines(None)
        return
    others = None
    if not _this_machine[0]:
        from statusline.sync.fold import load_others

        if refresh:
            from statusline.sync.step import after_refresh

            after_refresh(cache)
        others = load_others(cache, settings.machine)
    rp.use_machines(rp.Machines(settings.machine, others))


def money(usd: float, unknown: set[str]) -> str:
    return f"${usd:,.2f}" + ("+?" if unknown else "")


def _cells(row: rp.Row) -> list[str]:
    return [f"{n:,}" for n in row.tokens] + [f"{sum(row.tokens):,}", money(row.cost, row.unknown)]


TOKEN_COLUMNS = [
    Column("Input"),
    Column("Output"),
    Column("Cache write", drop=COMPACT),
    Column("Cache read", drop=COMPACT),
    Column("Total tokens", drop=COMPACT),
    Column("Cost (USD)", short="Cost"),
]
UNLOGGED_COLUMN = Column("Unlogged (payload)", short="Unlogged")
# Cost plus unlogged: the figure the status line shows (--json's totalCostWithUnlogged).
WITH_UNLOGGED_COLUMN = Column("Total (USD)", short="Total")
UNLOGGED_COLUMNS = [UNLOGGED_COLUMN, WITH_UNLOGGED_COLUMN]


def _with_unlogged(row: rp.Row, unlogged: float) -> list[str]:
    """The Unlogged and Total cells of a row."""
    return [f"${unlogged:,.2f}", money(row.cost + unlogged, row.unknown)]


NO_USAGE = "no usage in this range"


def _period_report(
    kind: str,
    label: str,
    since: str | None,
    until: str | None,
    project: str | None,
    model: str | None,
    breakdown: bool,
    as_json: bool,
    timezone: str | None,
    refresh: bool,
    chart: int | None = None,
    week_start: int = 0,
) -> None:
    store, pricer, tz = prepare(refresh, timezone)
    rows = rp.grouped(store, pricer, kind, tz, project, model, week_start, since, until)  # type: ignore[arg-type]
    extra = unlogged_by_period(kind, tz, week_start, since, until) if not (project or model) else {}
    for key in extra:  # a period whose only spend went unlogged is still in the report
        rows.setdefault(key, rp.Row(key))
    keys = sorted(rows)
    selected = [rows[k] for k in keys]
    totals = rp.Row("Total")
    for row in selected:
        for m, v in row.models.items():
            per = totals.models.setdefault(m, [0, 0, 0, 0, 0.0])
            for i in range(5):
                per[i] += v[i]
        totals.tokens = [a + b for a, b in zip(totals.tokens, row.tokens, strict=True)]
        totals.cost += row.cost
        totals.unknown |= row.unknown
    if as_json:
        key = {"day": "daily", "week": "weekly"}.get(kind, "monthly")
        docs = []
        for r in selected:
            row_doc = r.as_json("period")
            row_doc["unloggedCost"] = extra.get(r.key, 0.0)
            row_doc["totalCostWithUnlogged"] = r.cost + extra.get(r.key, 0.0)
            docs.append(row_doc)
        unlogged_total = sum(extra.get(k, 0.0) for k in keys)
        doc = {
            key: docs,
            "totals": {
                **dict(zip(rp.TOKEN_FIELDS, totals.tokens, strict=True)),
                "totalTokens": sum(totals.tokens),
                "totalCost": totals.cost,
                "unloggedCost": unlogged_total,
                "totalCostWithUnlogged": totals.cost + unlogged_total,
            },
        }
        emit_json(doc)
        return
    if chart is not None:
        _chart(calendar_days(rows, chart, since, until, tz), extra)
        return
    if not selected:  # not an empty table with a $0.00 total
        echo_fitted(NO_USAGE)
        return
    table_rows = []
    show_extra = any(extra.get(k) for k in keys)  # a column only when there is something in it
    for row in selected:
        more = _with_unlogged(row, extra.get(row.key, 0.0)) if show_extra else []
        table_rows.append([row.key, *_cells(row), *more, ", ".join(_short(m) for m in sorted(row.models))])
        if breakdown:
            for m, v in sorted(row.models.items(), key=lambda kv: -kv[1][4]):
                sub = [f"{int(n):,}" for n in v[:4]]
                blank = ["", ""] if show_extra else []
                table_rows.append(
                    [f"  └ {_short(m)}", *sub, f"{int(sum(v[:4])):,}", f"${v[4]:,.2f}", *blank, ""]
                )
    total_extra = _with_unlogged(totals, sum(extra.get(k, 0.0) for k in keys)) if show_extra else []
    table_rows.append(["Total", *_cells(totals), *total_extra, ""])
    columns = [Column(label, TEXT, least=10), *TOKEN_COLUMNS, *(UNLOGGED_COLUMNS if show_extra else [])]
    table([*columns, Column("Models", TEXT, least=8)], table_rows)
    if totals.unknown:
        echo_fitted(f"+? no price for: {unpriced(totals.unknown)} (see costline pricing show)", err=True)


def unlogged_by_period(
    kind: str,
    tz: object,
    week_start: int = 0,
    since: str | None = None,
    until: str | None = None,
    session: str | None = None,
) -> dict[str, float]:
    """Spend Claude Code reported beyond the transcripts (index/unlogged.py), per day, week or
    month, of the local days since..until (inclusive; None: open); `session`: that one's only."""
    out: dict[str, float] = {}
    for at_ms, sess, usd in unlogged_items():
        day = rp.local_date(at_ms, tz)  # type: ignore[arg-type]
        if (since and day < since) or (until and day > until) or (session and sess != session):
            continue
        key = rp.period_of(day, kind, week_start)
        out[key] = out.get(key, 0.0) + usd
    return out


def unlogged_items() -> list[tuple[int, str, float]]:
    """(ms, session, usd) of all unlogged spend: this machine's, and with [sync] on the others'."""
    from statusline.index import unlogged

    found = [(at_ms, sess, usd) for (at_ms, sess), usd in unlogged.in_range(cache_dir(), 0, 1 << 62).items()]
    scope = rp.machines()
    if scope is not None and scope.others is not None:
        found.extend((at_ms, sess, usd) for _mid, at_ms, sess, usd in scope.others.unlogged)
    return found


def unpriced(models: set[str]) -> str:
    """Unpriced model ids for a one-line note, as the terminal may show them."""
    return ", ".join(sanitise(m, 60) for m in sorted(models))


def _short(model: str) -> str:
    return model.removeprefix("claude-")


def calendar_days(
    rows: dict[str, rp.Row], n: int, since: str | None, until: str | None, tz: object
) -> list[rp.Row]:
    """The last `n` calendar days to --until (default today), days without usage as $0 rows, none
    before --since; `n` 0: from the first day with usage."""
    from datetime import date, timedelta

    end = date.fromisoformat(until or rp.local_date(int(time.time() * 1000), tz))  # type: ignore[arg-type]
    first = end - timedelta(days=n - 1) if n else date.fromisoformat(min(rows, default=end.isoformat()))
    if since:
        first = max(first, date.fromisoformat(since))
    days = [(first + timedelta(days=i)).isoformat() for i in range((end - first).days + 1)]
    return [rows.get(day) or rp.Row(day) for day in days]


def _chart(rows: list[rp.Row], unlogged: dict[str, float]) -> None:
    """A horizontal bar per day (unlogged spend included, as the status line's today),
    scaled to the terminal width; colour unless NO_COLOR."""
    costs = [r.cost + unlogged.get(r.key, 0.0) for r in rows]
    if not any(costs):
        click.echo(
            f"no usage in the {len(rows)} days to {rows[-1].key}" if rows else "no usage in this range"
        )
        return
    width = shutil.get_terminal_size((80, 20)).columns
    label_w = max(len(r.key) for r in rows)
    money_w = max(len(money(c, r.unknown)) for r, c in zip(rows, costs, strict=True))
    bar_w = max(10, width - label_w - money_w - 4)
    top = max(costs) or 1.0
    color = not os.environ.get("NO_COLOR") and sys.stdout.isatty()
    eighths = " ▏▎▍▌▋▊▉█"
    for r, cost in zip(rows, costs, strict=True):
        cells = cost / top * bar_w
        full = int(cells)
        bar = "█" * full + (eighths[int((cells - full) * 8)] if full < bar_w else "")
        if color:
            bar = f"\x1b[36m{bar}\x1b[39m"
        click.echo(f"{r.key:<{label_w}} {money(cost, r.unknown):>{money_w}} {bar}")
    spark = "▁▂▃▄▅▆▇█"
    line = "".join(spark[min(7, int(c / top * 7.999))] for c in costs)
    total = sum(costs)
    average = money(total / len(rows), set())
    extra = sum(unlogged.get(r.key, 0.0) for r in rows)
    # The bars are the status line's today, which counts unlogged spend: say so where there is any.
    with_extra = f" (incl. {money(extra, set())} unlogged)" if extra else ""
    click.echo(f"{line}  {len(rows)} days, {money(total, set())} total{with_extra}, {average}/day average")


def _common(f: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(
        [
            click.option("--since", callback=lambda c, p, v: day_arg(v), help="First day (YYYYMMDD)."),
            click.option("--until", callback=lambda c, p, v: day_arg(v), help="Last day (YYYYMMDD)."),
            click.option("--project", default=None, help="Only sessions whose project folder contains this."),
            click.option("--model", default=None, help="Only models whose id contains this."),
            click.option("--breakdown", is_flag=True, help="One row per model under each period."),
            click.option(
                "--json", "as_json", is_flag=True, help="Machine-readable output (ccusage field names)."
            ),
            click.option("-z", "--timezone", default=None, help="IANA time zone for days (default: local)."),
            click.option(
                "--no-refresh", "no_refresh", is_flag=True, help="Do not index new log lines first."
            ),
        ]
    ):
        f = option(f)
    return this_machine_option(f)


@click.group(
    cls=LazyGroup, lazy={"by": ("statusline.cli.where", "by"), "html": ("statusline.cli.where", "html")}
)
def report() -> None:
    """Usage and cost reports: daily, weekly, monthly, per session, 5-hour blocks, where the money
    went (by agent, tool, MCP server, project, model) and one HTML page of it all."""


@report.command()
@_common
@click.option(
    "--chart",
    "chart",
    type=int,
    default=None,
    is_flag=False,
    flag_value=30,
    help="Bar chart of the last N calendar days to --until or today (default 30; 0: since the first"
    " day with usage) instead of a table.",
)
def daily(
    since: str | None,
    until: str | None,
    project: str | None,
    model: str | None,
    breakdown: bool,
    as_json: bool,
    timezone: str | None,
    no_refresh: bool,
    chart: int | None,
) -> None:
    """Cost per day (local days, or --timezone).

    \b
    Examples:
      costline report daily --since 20261101 --breakdown
      costline report daily --chart 14
    """
    _period_report(
        "day", "Date", since, until, project, model, breakdown, as_json, timezone, not no_refresh, chart
    )


@report.command()
@_common
@click.option(
    "--start-of-week",
    type=click.Choice(WEEKDAYS),
    default="monday",
    show_default=True,
    help="The day a week starts on.",
)
def weekly(
    since: str | None,
    until: str | None,
    project: str | None,
    model: str | None,
    breakdown: bool,
    as_json: bool,
    timezone: str | None,
    no_refresh: bool,
    start_of_week: str,
) -> None:
    """Cost per week, labelled by its first day.

    \b
    Example:
      costline report weekly --start-of-week sunday --json
    """
    _period_report(
        "week",
        "Week",
        since,
        until,
        project,
        model,
        breakdown,
        as_json,
        timezone,
        not no_refresh,
        week_start=WEEKDAYS.index(start_of_week),
    )


@report.command()
@_common
def monthly(
    since: str | None,
    until: str | None,
    project: str | None,
    model: str | None,
    breakdown: bool,
    as_json: bool,
    timezone: str | None,
    no_refresh: bool,
) -> None:
    """Cost per calendar month.

    \b
    Example:
      costline report monthly --json
    """
    _period_report(
        "month", "Month", since, until, project, model, breakdown, as_json, timezone, not no_refresh
    )


@report.command()
@_common
def session(
    since: str | None,
    until: str | None,
    project: str | None,
    model: str | None,
    breakdown: bool,
    as_json: bool,
    timezone: str | None,
    no_refresh: bool,
) -> None:
    """Cost per session, most recent first.

    \b
    Example:
      costline report session --project myapp
    """
    store, pricer, tz = prepare(not no_refresh, timezone)
    rows = rp.grouped(store, pricer, "session", tz, project=project, model_filter=model)  # type: ignore[arg-type]
    extra = {} if model else _add_unlogged_sessions(store, rows, project)
    chosen = []
    for row in sorted(rows.values(), key=lambda r: -r.last_ms):
        last_day = rp.local_date(row.last_ms, tz)  # type: ignore[arg-type]
        if (since and last_day < since) or (until and last_day > until):
            continue
        chosen.append(row)
    unlogged_total = sum(extra.get(r.key, 0.0) for r in chosen)
    if as_json:
        docs = []
        for row in chosen:
            doc = row.as_json("sessionId")
            doc["projectPath"] = row.folder  # as ccusage: the folder's name
            doc["project"] = row.project  # its path (README: project names)
            doc["lastActivity"] = rp.local_date(row.last_ms, tz)  # type: ignore[arg-type]
            doc["unloggedCost"] = extra.get(row.key, 0.0)
            doc["totalCostWithUnlogged"] = row.cost + extra.get(row.key, 0.0)
            docs.append(doc)
        cost = sum(r.cost for r in chosen)
        totals = {
            "totalCost": cost,
            "unloggedCost": unlogged_total,
            "totalCostWithUnlogged": cost + unlogged_total,
        }
        emit_json({"sessions": docs, "totals": totals})
        return
    if not chosen:
        echo_fitted(NO_USAGE)
        return
    show_extra = bool(unlogged_total)  # a column only when there is something in it
    table_rows = []
    for r in chosen:
        more = _with_unlogged(r, extra.get(r.key, 0.0)) if show_extra else []
        table_rows.append([r.key, r.project, *_cells(r), *more, rp.local_date(r.last_ms, tz)])  # type: ignore[arg-type]
    total_row = rp.Row("Total")
    for r in chosen:
        total_row.tokens = [a + b for a, b in zip(total_row.tokens, r.tokens, strict=True)]
        total_row.cost += r.cost
        total_row.unknown |= r.unknown
    total_extra = _with_unlogged(total_row, unlogged_total) if show_extra else []
    table_rows.append(["Total", "", *_cells(total_row), *total_extra, ""])
    columns = [
        Column("Session", TEXT, least=9),
        Column("Project", TEXT, least=12, middle=True, rank=1),
        # Input and output go before a session's name is cut short: its name and cost matter more.
        *(
            replace(c, drop=NARROW) if c.drop == KEEP and c.header != "Cost (USD)" else c
            for c in TOKEN_COLUMNS
        ),
        *(UNLOGGED_COLUMNS if show_extra else []),
        Column("Last activity", TEXT, short="Last used"),
    ]
    table(columns, table_rows)
    if total_row.unknown:
        echo_fitted(f"+? no price for: {unpriced(total_row.unknown)} (see costline pricing show)", err=True)


def _add_unlogged_sessions(store: Store, rows: dict[str, rp.Row], project: str | None) -> dict[str, float]:
    """Each session's unlogged spend (index/unlogged.py); a session whose only spend went
    unlogged gets a row, and a session's last activity counts its unlogged spend's time."""
    out: dict[str, float] = {}
    projects = None
    for at_ms, session, usd in unlogged_items():
        row = rows.get(session)
        if row is None:
            projects = rp.session_projects(store) if projects is None else projects
            if project and not projects.matches(session, project):
                continue
            row = rows[session] = rp.Row(session, project=projects.name(session))
            row.folder = projects.folder_of.get(session, "")
        row.last_ms = max(row.last_ms, at_ms)
        out[session] = out.get(session, 0.0) + usd
    return out


@report.command()
@this_machine_option
@click.option("--active", is_flag=True, help="Only the active block.")
@click.option("--since", callback=lambda c, p, v: day_arg(v), help="First day a block starts on (YYYYMMDD).")
@click.option("--until", callback=lambda c, p, v: day_arg(v), help="Last day a block starts on (YYYYMMDD).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("-z", "--timezone", default=None, help="IANA time zone for days (default: local).")
@click.option("--no-refresh", "no_refresh", is_flag=True, help="Do not index new log lines first.")
def blocks(
    active: bool, since: str | None, until: str | None, as_json: bool, timezone: str | None, no_refresh: bool
) -> None:
    """5-hour billing blocks, with the active block's time left, burn rate and projection.

    \b
    Examples:
      costline report blocks --active
      costline report blocks --since 20261101
    """
    if since and until and since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}")
    store, pricer, tz = prepare(not no_refresh, timezone)
    now_ms = int(time.time() * 1000)
    found = in_days(rp.blocks(store, pricer, now_ms), tz, since, until)
    if active:
        found = [b for b in found if b.active]
    official = _official_five_hour(now_ms / 1000)
    if as_json:
        docs = []
        for b in found:
            doc = {
                "startTime": rp.utc_iso(b.start_ms),
                "endTime": rp.utc_iso(b.end_ms),
                "actualEndTime": None if b.gap else rp.utc_iso(b.row.last_ms),
                "isActive": b.active,
                "isGap": b.gap,
                **{k: v for k, v in b.row.as_json("id").items() if k != "id"},
            }
            if b.active:
                doc["burnRate"] = rp.burn(b, now_ms)
            docs.append(doc)
        out: dict[str, object] = {"blocks": docs}
        if official is not None:
            out["officialFiveHour"] = {
                "usedPercentage": official[1],
                "resetsAt": rp.utc_iso(int(official[0] * 1000)),
                "seenAt": rp.utc_iso(int(official[2] * 1000)),
                "plausible": _plausible(official[0], official[2]),
            }
        emit_json(out)
        return
    if not found:
        click.echo("no usage in this range")
    else:
        _blocks_table(found, tz, now_ms)
    if official is not None:
        echo_fitted(_official_line(*official, now_ms / 1000))


def _plausible(resets: float, seen: float) -> bool:
    """Whether a 5-hour window seen at `seen` could reset at `resets` (its length and a minute)."""
    from statusline.segments.limits import WINDOW_S

    return resets - seen <= WINDOW_S["five_hour"]


def _official_line(resets: float, pct: float, seen: float, now_s: float) -> str:
    """The latest 5-hour window a payload showed, its times as the limits segment writes them
    (`15:40`, `Thu 15:40`, `Dec 2 15:40`); a reset further after the reading than a 5-hour
    window allows is marked rather than trusted (a made-up or broken payload)."""
    from statusline.segments.limits import clock

    line = (
        f"Anthropic's own 5-hour window: {pct:.0f}% used, resets {clock(resets, now_s)} "
        f"(seen {clock(seen, now_s)} in a status line payload)"
    )
    if not _plausible(resets, seen):
        ahead = span(int((resets - seen) * 1000))
        line += f"; implausible: a 5-hour window resets within 5 h, this one {ahead} later"
    return line


def in_days(found: list[rp.Block], tz: object, since: str | None, until: str | None) -> list[rp.Block]:
    """The blocks that start on the local days since..until (inclusive; None: open), with the gaps
    between them (none before the first or after the last)."""

    def wanted(block: rp.Block) -> bool:
        day = rp.local_date(block.start_ms, tz)  # type: ignore[arg-type]
        return not ((since and day < since) or (until and day > until))

    kept = [b for b in found if wanted(b)]
    while kept and kept[0].gap:
        kept.pop(0)
    while kept and kept[-1].gap:
        kept.pop()
    return kept


def _blocks_table(found: list[rp.Block], tz: object, now_ms: int) -> None:
    """A row per block; a gap is one muted line with the idle time between the two blocks' messages."""
    rows: list[list[str] | str] = []
    status_note = ""
    for n, b in enumerate(found):
        if b.gap:
            if 0 < n < len(found) - 1:
                rows.append(f"  · {span(found[n + 1].row.first_ms - found[n - 1].row.last_ms)} idle")
            continue
        status = ""
        if b.active:
            left = int(max(0, b.end_ms - now_ms) // 60000)
            status = f"active, {left // 60}h {left % 60}m left"
            rate = rp.burn(b, now_ms)
            if rate:
                status_note = (
                    f"active block: ${rate['costPerHour']:,.2f}/h, "
                    f"${rate['projectedCost']:,.2f} projected at its end"
                )
        start = rp.local_time(b.start_ms, tz)  # type: ignore[arg-type]
        rows.append([start, f"{sum(b.row.tokens):,}", money(b.row.cost, b.row.unknown), status])
    table(
        [
            Column("Block start", TEXT),
            Column("Tokens"),
            Column("Cost (USD)", short="Cost"),
            Column("Status", TEXT),
        ],
        rows,
    )
    if status_note:
        echo_fitted(status_note)


def span(ms: int) -> str:
    """A length of time for people: `9h 12m`, `1d 11h` past a day."""
    minutes = max(0, ms) // 60000
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        return f"{hours // 24}d {hours % 24}h"
    return f"{hours}h {minutes}m"


def _official_five_hour(now_s: float) -> tuple[float, float, float] | None:
    """(resets_at, used %, seen at) of the latest 5-hour window a payload showed, while current."""
    from statusline.pace import read_samples

    latest = [s for s in read_samples(cache_dir()) if s[1] == "five_hour" and s[2] > now_s]
    if not latest:
        return None
    seen, _window, resets, pct = latest[-1]
    return resets, pct, seen
