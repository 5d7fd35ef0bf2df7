"""`costline sync status|now|forget`: the machines sharing the [sync] folder."""

from __future__ import annotations

import os
import shutil
import time

import click

from statusline.cli import emit_json
from statusline.cli.tables import TEXT, Column, echo_fitted, table
from statusline.look import sanitise
from statusline.paths import cache_dir
from statusline.sync import fmt, view
from statusline.sync import fold as fl
from statusline.sync.machine import machine_id
from statusline.sync.settings import Settings, load

OFF = "sync is off: set [sync] dir in config.toml (or COSTLINE_SYNC_DIR)"


def _settings() -> Settings:
    settings = load()
    if not settings.enabled:
        raise click.ClickException(OFF)
    return settings


@click.group(name="sync")
def sync_group() -> None:
    """Every machine you code on, one figure: the [sync] folder's machines."""


@sync_group.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """The machines in the sync folder: name, id, last write, lag, problem.

    \b
    Example:
      costline sync status
    """
    settings = load()
    if not settings.enabled:
        if as_json:
            emit_json({"enabled": False, "machines": []})
            return
        click.echo(OFF)
        return
    now = time.time()
    cache = cache_dir()
    result = fl.fold(cache, settings, machine_id(cache), now)  # reads what changed; publishes nothing
    rows = view.rows(result, settings, now)
    if as_json:
        emit_json(
            {
                "enabled": True,
                "dir": settings.dir,
                "problem": result.problem,
                "detail": result.detail,
                "skipped": result.skipped,
                "movedFrom": result.moved,
                "machines": rows,
            }
        )
        return
    if result.problem:
        where = f" ({result.detail})" if result.detail else ""
        echo_fitted(sanitise(f"{settings.dir}: {result.problem}{where}", 1000))
    if result.skipped:
        echo_fitted(sanitise(view.skipped_text(result)))
    if result.moved:
        echo_fitted(view.moved_text(result, view.rows_own_id(rows)))
    columns = [
        Column("Machine", TEXT),
        Column("Id", TEXT),
        Column("Last write", TEXT),
        Column("Lag"),
        Column("Problem", TEXT),
    ]
    cells = [
        [
            sanitise(str(r["name"])) + (" (this one)" if r["own"] else ""),
            str(r["id"])[:8],
            str(r["written"]) or "-",
            "-" if r["own"] else view.lag_text(float(r["lagSeconds"])),  # type: ignore[arg-type]
            sanitise(str(r["problem"])),
        ]
        for r in rows
    ]
    table(columns, cells)


@sync_group.command()
def now() -> None:
    """Index, publish this machine's share and fold the others in, now.

    \b
    Example:
      costline sync now
    """
    settings = _settings()
    cache = cache_dir()
    _refresh_index(cache)
    from statusline.sync.step import run

    result = run(cache, settings)
    assert result is not None
    if result.problem:
        raise click.ClickException(f"{settings.dir}: {result.problem}")
    others = [m for m in result.machines if not m.own and not m.forgotten]
    click.echo(f"published to {settings.dir}; {len(others)} other machines, {result.days_folded} days folded")


def _refresh_index(cache: str) -> None:
    from statusline.cli.index import _loads, hold_refresh_lock
    from statusline.index.scan import scan
    from statusline.index.store import Store

    fd = hold_refresh_lock(cache)
    try:
        scan(Store(cache), _loads)
    finally:
        os.close(fd)


@sync_group.command()
@click.argument("machine")
def forget(machine: str) -> None:
    """Drop a machine from the view (and its folder, unless it is this one's).

    \b
    Example:
      costline sync forget old-laptop
    """
    settings = _settings()
    cache = cache_dir()
    own = machine_id(cache)
    result = fl.fold(cache, settings, own)
    found = [
        m
        for m in result.machines
        if m.id == machine.lower() or (len(machine) >= 4 and m.id.startswith(machine.lower()))
    ]
    if not found:
        found = [m for m in result.machines if m.name == machine]
    if not found:
        raise click.ClickException(
            f"no machine named {sanitise(machine)!r} in {settings.dir} (costline sync status)"
        )
    if len(found) > 1:
        ids = ", ".join(m.id[:8] for m in found)
        raise click.ClickException(
            f"{len(found)} machines are named {sanitise(machine)!r} ({ids}): give the id"
        )
    target = found[0]
    if target.own:
        raise click.ClickException(f"{sanitise(machine)!r} is this machine: it publishes its own share")
    fl.set_forgotten(cache, fl.forgotten(cache) | {target.id})
    shutil.rmtree(os.path.join(settings.dir, f"{fmt.PREFIX}{target.id}"), ignore_errors=True)
    fl.fold(cache, settings, own)
    click.echo(f"forgot {sanitise(target.name or target.id[:8])} ({target.id[:8]})")
