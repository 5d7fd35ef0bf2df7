"""`costline report by` and `costline report html`: where the money went, as a table or a page.

Both take their messages and prices from the index (rows add up to `report daily`) and each
message's split by agent, tool and MCP server from the attribution (statusline/attrib/).
"""

from __future__ import annotations

import os
import time

import click

from statusline import report as rp
from statusline.cli import emit_json
from statusline.cli.report import (
    day_arg,
    money,
    prepare,
    this_machine_option,
    unlogged_by_period,
    unpriced,
    walked,
)
from statusline.cli.tables import CELL_CHARS, COMPACT, TEXT, Column, cut, echo_fitted, table
from statusline.index import upkeep
from statusline.index.store import Store
from statusline.look import sanitise
from statusline.paths import cache_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from statusline.attrib.breakdown import Breakdown
    from statusline.attrib.catalog import Catalog
    from statusline.attrib.summary import Summaries
    from statusline.projects import Projects

TOP_ROWS = 50  # as the HTML page: a year can hold thousands of projects or MCP servers
_BY_HEADER = {
    "agent": "Agent",
    "tool": "Tool",
    "mcp": "MCP server",
    "project": "Project",
    "model": "Model",
    "machine": "Machine",
}
_METHOD = {
    "agent": "exact: each agent's own requests",
    "tool": "estimate: a tool's calls by their characters, its results by the context they occupy"
    " (README: How cost is split by tool)",
    "mcp": "estimate: as `by tool`, tools grouped by MCP server (README: How cost is split by tool)",
    "project": "exact",
    "model": "exact",
    "machine": "exact: each machine's share of the [sync] folder, a response on several counted once",
}


def catalog_now(groups: list[dict[str, Any]] | None = None) -> Catalog:
    """The attribution states of every transcript, brought up to date (agent, tool, MCP splits):
    those under the config dirs, those the index holds from elsewhere (a render's payload can
    name a transcript under another config dir), and those since deleted; catalogued, not read.
    `groups`: the index's group states, when the caller has read them."""
    from statusline.attrib.catalog import refresh

    if walked:  # the scan of this process listed them (a transcript made since is not indexed)
        paths = set(walked[0])
    else:
        from statusline.index.scan import walk_transcripts
        from statusline.paths import projects_dirs

        paths = {path for path, _ in walk_transcripts(projects_dirs())}
    for group in upkeep.groups(Store(cache_dir())) if groups is None else groups:
        files = group.get("files")
        if isinstance(files, dict):
            paths.update(p for p in files if isinstance(p, str))
    return refresh(cache_dir(), sorted(paths))


class NearestChoice(click.Choice):  # type: ignore[type-arg]
    """A choice whose error names the nearest valid value (`tools`: did you mean 'tool'?)."""

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as exc:
            import difflib

            near = difflib.get_close_matches(str(value), [str(c) for c in self.choices], n=1)
            if not near:
                raise
            raise click.BadParameter(f"{exc.message} Did you mean '{near[0]}'?", ctx, param) from None


@click.command(name="by")
@click.argument("kind", type=NearestChoice(["agent", "tool", "mcp", "project", "model", "machine"]))
@this_machine_option
@click.option("--since", callback=lambda c, p, v: day_arg(v), help="First day (YYYYMMDD).")
@click.option("--until", callback=lambda c, p, v: day_arg(v), help="Last day (YYYYMMDD).")
@click.option("--project", default=None, help="Only sessions whose project folder contains this.")
@click.option("--session", "session_id", default=None, help="Only this session (its id or a unique prefix).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("-z", "--timezone", default=None, help="IANA time zone for days (default: local).")
@click.option("--no-refresh", "no_refresh", is_flag=True, help="Do not index new log lines first.")
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=TOP_ROWS,
    show_default=True,
    help="Rows shown; the rest are summed in one row (0: every row; --json has every row).",
)
def by(
    kind: str,
    since: str | None,
    until: str | None,
    project: str | None,
    session_id: str | None,
    as_json: bool,
    timezone: str | None,
    no_refresh: bool,
    top: int,
) -> None:
    """Where the money went: cost per agent, tool, MCP server, project, model or machine.

    Rows add up to `report daily`'s total for the same days. Agent, project and model rows are
    exact; tool and MCP rows are an estimate (see the README).

    With --session, one session's rows: what the status line's `agents` and `tools` segments
    show for it.

    \b
    Examples:
      costline report by tool --since 20261101
      costline report by mcp --json
      costline report by agent --session 3f2a
    """
    from statusline.attrib.breakdown import breakdown

    store, pricer, tz = prepare(not no_refresh, timezone, kind in ("agent", "tool", "mcp"))
    if session_id is not None:
        session_id, result = _one_session(store, pricer, kind, session_id, tz, since, until, project)
    elif kind in ("agent", "tool", "mcp") and not project:  # from the day summaries
        from statusline.attrib.summary import summaries

        found = summaries(store, pricer, tz, catalog_now(), since, until)  # type: ignore[arg-type]
        result = found.breakdowns(pricer, (kind,), since, until)[kind]
    else:
        attribution = catalog_now().attribution()[0] if kind in ("agent", "tool", "mcp") else None
        result = breakdown(store, pricer, kind, tz, since, until, project, attribution)  # type: ignore[arg-type]
    total = result.total
    unlogged = (
        sum(unlogged_by_period("day", tz, since=since, until=until, session=session_id).values())
        if not project
        else 0.0
    )
    rows = result.rows()
    unknown = set().union(*(b.unknown for b in rows)) if rows else set()
    if as_json:
        emit_json(
            {
                "by": kind,
                "method": _METHOD[kind],
                "rows": [
                    {
                        "name": b.name,
                        "cost": b.cost,
                        "share": b.cost / total if total else 0.0,
                        **dict(zip(rp.TOKEN_FIELDS, (round(t) for t in b.tokens), strict=True)),
                        **({"unpricedModels": sorted(b.unknown)} if b.unknown else {}),
                    }
                    for b in rows
                ],
                "totals": {
                    "totalCost": total,
                    "unloggedCost": unlogged,
                    "totalCostWithUnlogged": total + unlogged,
                },
            }
        )
        return
    note = f"plus ${unlogged:,.2f} that Claude Code charged without logging it (not attributable)"
    if not rows:
        echo_fitted(f"no logged usage in this range; {note[5:]}" if unlogged else "no usage in this range")
        return
    # Names are cut at 60 characters; a project's path in the middle, so its last folder stays.
    shown = [cut(sanitise(b.name, CELL_CHARS), 60, middle=kind == "project") for b in rows]
    table_rows = [
        _by_row(name, b.cost, b.unknown, b.tokens, total) for name, b in zip(shown, rows, strict=True)
    ]
    # Costliest first: past `top` rows, the cheaper tail is summed in one row.
    if top and len(rows) > top + 1:  # a row that sums one row would hide its name for nothing
        rest = rows[top:]
        cost = sum(b.cost for b in rest)
        tokens = [sum(b.tokens[i] for b in rest) for i in range(4)]
        rest_unknown = set().union(*(b.unknown for b in rest))
        table_rows[top:] = [_by_row(f"{len(rest):,} more", cost, rest_unknown, tokens, total)]
    sums = [sum(b.tokens[i] for b in rows) for i in range(4)]
    table_rows.append(["Total", money(total, unknown), "100.0%", *(f"{round(t):,}" for t in sums)])
    name = Column(_BY_HEADER[kind], TEXT, least=12, middle=kind == "project")
    caches = [Column(h, drop=COMPACT) for h in ("Cache write", "Cache read")]
    table(
        [
            name,
            Column("Cost (USD)", short="Cost"),
            Column("Share"),
            Column("Input"),
            Column("Output"),
            *caches,
        ],
        table_rows,
    )
    if unlogged:
        echo_fitted(note)
    echo_fitted(f"method: {_METHOD[kind]}")
    if unknown:
        echo_fitted(f"+? no price for: {unpriced(unknown)} (see costline pricing show)", err=True)


def _one_session(
    store: Store,
    pricer: rp.Pricer,
    kind: str,
    text: str,
    tz: object,
    since: str | None,
    until: str | None,
    project: str | None,
) -> tuple[str, Breakdown]:
    """(session id, its breakdown) (attrib/session.py), as the status line's segments show it."""
    from statusline.attrib.session import NoSuchSession, resolve_session, session_breakdowns

    try:
        session = resolve_session(store, text)
    except NoSuchSession as exc:
        raise click.ClickException(str(exc)) from None
    found = session_breakdowns(store, pricer, session, (kind,), tz, since, until, project)  # type: ignore[arg-type]
    return session, found[kind]


def _by_row(name: str, cost: float, unknown: set[str], tokens: list[float], total: float) -> list[str]:
    share = f"{cost / total:.1%}" if total else "–"
    return [name, money(cost, unknown), share, *(f"{round(t):,}" for t in tokens)]


@click.command()
@this_machine_option
@click.option("-o", "--output", default="costline-report.html", show_default=True, help="File to write.")
@click.option(
    "--since",
    callback=lambda c, p, v: day_arg(v),
    help="First day (default: the first day with usage, at most a year ago).",
)
@click.option("--until", callback=lambda c, p, v: day_arg(v), help="Last day (default: today).")
@click.option("--open", "open_it", is_flag=True, help="Open the file in the default browser.")
@click.option("-z", "--timezone", default=None, help="IANA time zone for days (default: local).")
@click.option("--no-refresh", "no_refresh", is_flag=True, help="Do not index new log lines first.")
def html(
    output: str, since: str | None, until: str | None, open_it: bool, timezone: str | None, no_refresh: bool
) -> None:
    """One self-contained HTML page: daily spend, month, blocks, breakdowns, top sessions.

    It needs no network and runs no script (a Content-Security-Policy forbids both).

    \b
    Example:
      costline report html -o ~/cost.html --open
    """
    from statusline.attrib.summary import summaries
    from statusline.config import load_config
    from statusline.html.data import collect
    from statusline.html.page import render

    store, pricer, tz = prepare(not no_refresh, timezone, True)
    now_ms = int(time.time() * 1000)
    until = until or rp.local_date(now_ms, tz)  # type: ignore[arg-type]
    if since and since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}")
    groups = list(upkeep.groups(store))  # read once: the catalog takes their paths, the page their projects
    catalog = catalog_now(groups)
    ahead: list[Projects] = []

    def meanwhile(sums: Summaries) -> None:
        """What the page needs of the index besides the summaries, while they are made."""
        ahead.append(rp.session_projects(store, groups))
        sums.blocks(pricer, now_ms, store.cache)  # kept by sums for collect

    found = summaries(store, pricer, tz, catalog, meanwhile=meanwhile)  # type: ignore[arg-type]  # every day: sessions are whole
    config = load_config()
    unlogged = unlogged_by_period("day", tz)
    budgets = (config.daily_budget, config.monthly_budget)
    titles = catalog.titles()
    known = (now_ms, groups, ahead[0])
    data = collect(store, pricer, tz, since, until, unlogged, found, titles, *budgets, *known)  # type: ignore[arg-type]
    page = render(data).encode("utf-8")
    try:
        with open(output, "wb") as fh:
            fh.write(page)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    outside = data.outside_total + data.outside_unlogged
    left_out = f"; ${outside:,.2f} outside the range" if data.outside_days else ""
    range_ = f"{data.first_day} – {data.last_day}"
    # The total `report daily` gives with unlogged spend (its totalCostWithUnlogged), as the page's headline.
    spent = data.total + data.unlogged_total
    with_extra = f" incl. ${data.unlogged_total:,.2f} unlogged" if data.unlogged_total else ""
    click.echo(f"wrote {output} ({len(page) / 1024:,.0f} KB, {range_}, ${spent:,.2f}{with_extra}{left_out})")
    if open_it:
        import webbrowser

        webbrowser.open("file://" + os.path.abspath(output))
