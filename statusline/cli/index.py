"""`costline index …`: refresh, rebuild and inspect the transcript index."""

from __future__ import annotations

import os
import sys
import time

import click

from statusline import bundle, fs
from statusline.cli import emit_json
from statusline.index import upkeep
from statusline.index.readback import day_totals
from statusline.index.scan import scan
from statusline.index.scanread import scan_parser
from statusline.index.store import FORMAT, Store
from statusline.index.update import COUNTERS
from statusline.paths import cache_dir, claude_config_dirs

# orjson with the render's parser as referee: both paths give every line the same verdict.
_loads = scan_parser()


def _store() -> Store:
    return Store(cache_dir())


def progress_text(done: int, total: int, elapsed_s: float, width: int = 20) -> str:
    """`indexing [######--------------] 312 / 1,040 MB 30% ETA 7s`."""
    share = min(done / total, 1.0) if total else 1.0
    filled = int(share * width)
    eta = f" ETA {elapsed_s * (1 - share) / share:,.0f}s" if 0 < share < 1 else ""
    bar = "#" * filled + "-" * (width - filled)
    return f"indexing [{bar}] {done / 1e6:,.0f} / {total / 1e6:,.0f} MB {int(share * 100)}%{eta}"


class _Progress:
    """Progress on stderr, shown only once indexing has taken more than a second."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.quiet or now - self.started < 1.0 or now - self.last < 0.25 or not sys.stderr.isatty():
            return
        self.last = now
        self.shown = True
        click.echo("\r" + progress_text(done, total, now - self.started), err=True, nl=False)

    def finish(self) -> None:
        if self.shown:
            click.echo("", err=True)


def _trace(cache: str, event: str) -> None:
    """With COSTLINE_TRACE_REFRESH set, note each refresh's start and end (tests check overlaps)."""
    if os.environ.get("COSTLINE_TRACE_REFRESH"):
        fd = fs.open_private(os.path.join(cache, "refresh.trace"), os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, f"{event} {os.getpid()} {time.monotonic_ns()}\n".encode())
        finally:
            os.close(fd)


@click.group()
def index() -> None:
    """Refresh, rebuild and inspect the index of Claude Code transcripts."""


@index.command()
@click.option("--background", is_flag=True, help="Quiet; exit at once if a refresh is running.")
def refresh(background: bool) -> None:
    """Index transcript lines written since the last refresh.

    \b
    Example:
      costline index refresh
    """
    cache = cache_dir()
    fd = upkeep.try_job_lock(cache, "bg.lock") if background else hold_refresh_lock(cache)
    if fd is None:
        return
    if not background:  # renders need not start another refresh for a minute (a render's does this)
        _store().mark_refresh_started(time.time())
    progress = _Progress(quiet=background)
    _trace(cache, "start")
    try:
        report = scan(_store(), _loads, progress=progress)
        live_split(cache)  # under the same lock: one writer of the live files at a time
    except Exception as exc:
        background_fail(cache, exc)
        raise click.ClickException(f"refresh failed: {exc}") from None
    finally:
        progress.finish()
        _trace(cache, "end")
        os.close(fd)
    upkeep.record_refresh(_store(), ok=True)
    from statusline.sync.step import after_refresh

    after_refresh(cache)  # this machine's share out, the other machines' in (when sync is on)
    bundle.refresh()  # the render's modules in one file, current with the installed sources
    if not background:
        click.echo(
            f"indexed {report.bytes_read / 1e6:,.1f} MB from {report.files_read} of {report.files} files "
            f"in {report.seconds:.2f} s"
        )


def live_split(cache: str) -> None:
    """Active sessions' cost by agent and tool for the status line, when it shows them
    (attrib/live.py); a failure there is logged, never the refresh's."""
    from statusline.attrib import live
    from statusline.price_table import load_table

    try:
        compiled = load_table(cache)
        if live.wanted(compiled):
            live.refresh(_store(), compiled)
    except Exception as exc:
        from statusline import log

        log.exception(cache, "live split", exc)


def hold_refresh_lock(cache: str) -> int:
    """Take bg.lock, waiting for a running refresh to end (refreshes never overlap); its fd."""
    fd = upkeep.try_job_lock(cache, "bg.lock")
    if fd is None:
        # A refresh a render started is running: wait for it, then read what it left.
        click.echo("waiting for the refresh that is running…", err=True)
        fd = upkeep.try_job_lock(cache, "bg.lock", wait=True)
        if fd is None:
            raise click.ClickException("cannot take the refresh lock")
    return fd


def background_fail(cache: str, exc: Exception) -> None:
    from statusline import log

    log.exception(cache, "index refresh", exc)
    upkeep.record_refresh(_store(), ok=False)


@index.command()
@click.option(
    "--discard-history", is_flag=True, help="Start from an empty index (the old one is kept aside)."
)
def rebuild(discard_history: bool) -> None:
    """Re-read every transcript from the start.

    History of transcripts Claude Code has since deleted is kept unless --discard-history.

    \b
    Example:
      costline index rebuild
    """
    store = _store()
    store.ensure()
    fd = hold_refresh_lock(store.cache)  # no refresh runs beside it, from the old index's offsets
    try:
        store.lock(blocking=True)
        try:
            if discard_history:
                aside = f"{store.root}.discarded-{int(time.time())}"
                os.replace(store.root, aside)
                click.echo(f"previous index kept at {aside}", err=True)
                store.ensure()
                # A new generation (bg.lock's backstop): a scan begun on the old index writes
                # nothing into this one.
                meta: dict[str, object] = {"format": FORMAT, "rescan_epoch": 0}
                meta["generation"] = upkeep.new_generation()
            else:
                meta = store.read_meta()
                meta["rescan_epoch"] = int(meta.get("rescan_epoch", 0)) + 1  # type: ignore[call-overload]
                meta.pop("full_scan_ms", None)
            store.write("meta", meta)
        finally:
            store.unlock()
        progress = _Progress(quiet=False)
        report = scan(store, _loads, progress=progress)
        progress.finish()
    finally:
        os.close(fd)
    click.echo(
        f"rebuilt from {report.files} files, {report.bytes_read / 1e6:,.1f} MB in {report.seconds:.2f} s"
    )


def unknown_models(store: Store) -> set[str]:
    """Model ids in the index that the price table cannot price (their figures show `+?`)."""
    from statusline.index.lines import CLS_LOGGED_COST
    from statusline.price_table import load_table
    from statusline.pricing import resolve

    compiled = load_table(store.cache)
    models, aliases = compiled["models"], compiled.get("aliases")

    seen: set[str] = set()
    for day in store.indexed_days():
        for key, vec in day_totals(store, day).items():
            model, cls = str(key[1]), int(key[2])  # type: ignore[call-overload]
            if not cls & CLS_LOGGED_COST and any(vec[1:6]) and model not in seen:
                seen.add(model)
    return {m or "(no model)" for m in seen if resolve(m, models, aliases)[0] is None}  # type: ignore[arg-type]


def collect_status(store: Store) -> dict[str, object]:
    """Totals over every group state, for `index status`."""
    totals = dict.fromkeys(COUNTERS, 0)
    groups = files = size = 0
    hours: set[int] = set()
    for group in upkeep.groups(store):
        groups += 1
        for state in group.get("files", {}).values():
            files += 1
            size += int(state[3])
        for key, value in group.get("counters", {}).items():
            if key in totals:
                totals[key] += int(value)
        hours.update(group.get("hours", ()))
    meta = store.read_meta()
    full = meta.get("full_scan_ms")
    unknown = sorted(unknown_models(store))
    return {
        "index": store.root,
        "config_dirs": claude_config_dirs(),
        "sessions": groups,
        "files": files,
        "bytes": size,
        "hours": len(hours),
        **totals,
        "unknown_models": unknown,
        "last_full_scan_ms": full,
        "age_seconds": round(time.time() - int(full) / 1000, 1) if full else None,  # type: ignore[call-overload]
    }


@index.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """What the index holds: files, bytes, entries, duplicates, skipped lines, age.

    \b
    Example:
      costline index status --json
    """
    info = collect_status(_store())
    if as_json:
        emit_json(info)
        return
    age = info["age_seconds"]
    rows = [
        ("index", info["index"]),
        ("config dirs", ", ".join(info["config_dirs"])),  # type: ignore[arg-type]
        ("sessions", info["sessions"]),
        ("files", info["files"]),
        ("bytes read", f"{int(info['bytes']) / 1e6:,.1f} MB"),  # type: ignore[call-overload]
        ("entries", info["entries"]),
        ("duplicates skipped", info["duplicates"]),
        ("garbage lines", info["garbage"]),
        ("invalid lines", info["invalid"]),
        ("synthetic lines", info["synthetic"]),
        ("unreadable files", info["unreadable"]),
        ("unknown models", ", ".join(info["unknown_models"]) or "none"),  # type: ignore[arg-type]
        ("last full scan", "never" if age is None else f"{age:,.0f} s ago"),
    ]
    from statusline.cli.tables import echo_fitted

    for label, value in rows:  # a long value (a path, many models) goes on under its column
        echo_fitted(f"{label:>20}  {value}", indent=" " * 22)
