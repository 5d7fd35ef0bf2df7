"""`costline pricing …`: refresh prices from LiteLLM and show where each price comes from."""

from __future__ import annotations

import os
import sys
import time

import click
import orjson
from cachetools import LRUCache, cached

from statusline import litellm, price_table, pricing
from statusline.config import load_config
from statusline.index import upkeep
from statusline.index.store import Store, atomic_write
from statusline.index.upkeep import try_job_lock
from statusline.paths import cache_dir

FIELD_LABELS = ("input", "output", "5m write", "1h write", "read")


@cached(LRUCache(maxsize=4096), key=lambda model_id, _table, _aliases: model_id)
def resolve_cached(model_id: str, table: pricing.Table, aliases: dict[str, str]) -> tuple[str | None, float]:
    """Model resolution, memoized: a long report resolves each id once."""
    return pricing.resolve(model_id, table, aliases)


def _money(rate: object) -> str:
    return f"${float(rate):g}"  # type: ignore[arg-type]


def _describe(period: pricing.Period) -> str:
    text = " / ".join(f"{label} {_money(r)}" for label, r in zip(FIELD_LABELS, period[1:6], strict=True))
    tier = period[6]
    if tier:
        text += f"; above {int(tier[0]) // 1000}K prompt: in {_money(tier[1])} out {_money(tier[2])}"  # type: ignore[index]
    if period[7] != 1.0:
        text += f"; fast ×{period[7]:g}"
    return text


def _day(ms: object) -> str:
    return "always" if not ms else time.strftime("%Y-%m-%d", time.gmtime(int(ms) / 1000))  # type: ignore[call-overload]


@click.group()
def pricing_group() -> None:
    """Refresh and inspect model prices (bundled → fetched → fixes → your overrides)."""


@pricing_group.command()
@click.option("--background", is_flag=True, help="Quiet; exit at once if an update is running.")
@click.option("--url", default=None, help="Download from this URL instead of the configured one.")
def update(background: bool, url: str | None) -> None:
    """Fetch LiteLLM's price file and store the Claude prices it has.

    A download that is not valid (HTML, truncated, no Claude entries, absurd prices) is
    rejected and the current table is kept. Prices that changed apply from now on.

    \b
    Example:
      costline pricing update
    """
    cache = cache_dir()
    config = load_config()
    if not background:
        for warning in config.warnings:
            click.echo(f"warning: {warning}", err=True)
    if config.pricing["offline"]:
        if background:
            return
        raise click.ClickException(
            "pricing is offline (pricing.offline = true in the config): nothing fetched"
        )
    fd = try_job_lock(cache, "pricing.lock")
    if fd is None:
        if background:
            return
        raise click.ClickException("another price update is running")
    store = Store(cache)
    try:
        history = price_table.fetched_history(cache)
        now_ms = int(time.time() * 1000)
        try:
            body, etag, modified = litellm.fetch(
                url or str(config.pricing["url"]),
                float(config.pricing["timeout_seconds"]),  # type: ignore[arg-type]
                int(config.pricing["max_bytes"]),  # type: ignore[call-overload]
                history.get("etag"),  # type: ignore[arg-type]
                history.get("last_modified"),  # type: ignore[arg-type]
            )
            prices, aliases = litellm.parse_claude_entries(body)
        except litellm.NotModified:
            history["fetched_ms"] = now_ms
            price_table.save_history(cache, history)
            price_table.compile_table(cache)
            upkeep.record_refresh(store, ok=True, job="pricing")
            _remember_error(cache, None)
            if not background:
                click.echo("prices unchanged (the server's copy is the one we have)")
            return
        except litellm.FetchError as exc:
            upkeep.record_refresh(store, ok=False, job="pricing")
            _remember_error(cache, str(exc))  # for doctor: a background fetch has no terminal
            raise click.ClickException(f"price update rejected: {exc}; keeping the current table") from None
        changes = price_table.record_fetch(history, prices, aliases, now_ms)
        history.update(etag=etag, last_modified=modified, fetched_ms=now_ms)
        price_table.save_history(cache, history)
        price_table.compile_table(cache)
        upkeep.record_refresh(store, ok=True, job="pricing")
        _remember_error(cache, None)
    finally:
        os.close(fd)
    if background:
        return
    for kind, model, old, new in changes:
        if kind == "added":
            click.echo(f"added    {model}: {_describe(new)}")
        else:
            assert old is not None
            click.echo(f"changed  {model} from {_day(new[0])}: {_describe(old)}  →  {_describe(new)}")
    click.echo(f"{len(prices)} Claude models checked, {len(changes)} changed or added")


ERROR_FILE = "pricing.error"  # the last failed fetch's error, beside pricing.failures


def _remember_error(cache: str, error: str | None) -> None:
    """Keep the last fetch error (None: a fetch succeeded, forget it). Never raises."""
    path = os.path.join(cache, ERROR_FILE)
    try:
        if error is None:
            if os.path.lexists(path):
                os.unlink(path)
        else:
            atomic_write(path, error.encode("utf-8", "replace")[:500])
    except OSError:
        pass


@pricing_group.command()
@click.argument("model", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show(model: str | None, as_json: bool) -> None:
    """Show the price table in force, or one model's prices over time and their sources.

    \b
    Examples:
      costline pricing show
      costline pricing show us.anthropic.claude-sonnet-4-5-20250929-v1:0 --json
    """
    compiled = price_table.load_table(cache_dir())
    for warning in compiled.get("warnings", []):  # type: ignore[attr-defined]
        click.echo(f"warning: {warning}", err=True)
    table: pricing.Table = compiled["models"]  # type: ignore[assignment]
    sources: dict[str, list[str]] = compiled["sources"]  # type: ignore[assignment]
    aliases: dict[str, str] = compiled["aliases"]  # type: ignore[assignment]
    if model is None:
        rows = {
            key: {"since": _day(periods[-1][0]), "prices": list(periods[-1][1:6]), "source": sources[key][-1]}
            for key, periods in sorted(table.items())
        }
        if as_json:
            sys.stdout.buffer.write(
                orjson.dumps(
                    {"fetched_ms": compiled.get("fetched_ms"), "models": rows}, option=orjson.OPT_INDENT_2
                )
                + b"\n"
            )
            return
        fetched = compiled.get("fetched_ms")
        click.echo(
            f"prices per million tokens; last fetched: {_day(fetched) if fetched else 'never (bundled only)'}"
        )
        click.echo(f"{'model':24} {'input':>8} {'output':>8} {'5m':>8} {'1h':>8} {'read':>8}  source")
        for key, row in rows.items():
            p = row["prices"]
            click.echo(f"{key:24} " + " ".join(f"{float(x):>8g}" for x in p) + f"  {row['source']}")  # type: ignore[arg-type]
        return
    resolved, multiplier = resolve_cached(model, table, aliases)
    if resolved is None:
        families = compiled.get("families", {})
        stand_in = pricing.family_stand_in(model, families)  # type: ignore[arg-type]
        hint = f'; with unknown_models = "family" it would be priced as {stand_in}' if stand_in else ""
        raise click.ClickException(f"no price for {model!r}{hint}")
    periods = [
        {
            "since": _day(p[0]),
            "input": p[1],
            "output": p[2],
            "cache_write_5m": p[3],
            "cache_write_1h": p[4],
            "cache_read": p[5],
            "tier": list(p[6]) if p[6] else None,  # type: ignore[call-overload]
            "fast_multiplier": p[7],
            "context_window": p[8],
            "source": src,
        }
        for p, src in zip(table[resolved], sources[resolved], strict=True)
    ]
    if as_json:
        doc = {"model": model, "resolved": resolved, "multiplier": multiplier, "periods": periods}
        sys.stdout.buffer.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        return
    click.echo(f"{model} → {resolved}" + (f" (×{multiplier:g} regional)" if multiplier != 1.0 else ""))
    for p, src in zip(table[resolved], sources[resolved], strict=True):
        click.echo(f"  from {_day(p[0]):10}  {_describe(p)}  [{src}]")
