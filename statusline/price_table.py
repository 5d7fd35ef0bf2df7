"""The price table in force: layers compiled into one file that the render path loads.

Layers, lowest to highest precedence:

1. the bundled snapshot (pricing.py), with its dated price changes;
2. fetched prices (`costline pricing update`, LiteLLM). A fetched table carries no dates, so a
   price it changes takes effect from that fetch on and earlier messages keep the price they had;
   a model new to costline is priced from the start of time;
3. known data bugs in LiteLLM (`pricing.md` §5.4), applied above the fetched layer so that a
   fetch cannot bring them back;
4. user overrides from the config file (negotiated or gateway rates), optionally from a date.

The compiled table lives in `<cache>/pricing/table.bin` (marshal) with the stat signatures of the
config file and the fetched history it was built from, taken before they were read; the render
recompiles only when one of them or costline's bundled table changed. Nothing here touches the
network.
"""

from __future__ import annotations

import marshal
import os

from statusline import pricing
from statusline.index.store import atomic_write, read_marshal
from statusline.paths import config_path, file_signature
from statusline.timeutil import QUARTER_HOUR_MS

FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
# Applied above the fetched layer, so a download cannot bring them back:
# - LiteLLM lists 1-hour cache writes at $6/MTok for two old models (official: $0.50 for Claude 3
#   Haiku, $30 for Claude 3 Opus);
# - LiteLLM still lists the >200K long-context tier for Sonnet 4 (legacy keys); Claude Code no
#   longer charges it, and costline keeps it for messages before 2026-03-13 only (pricing.py).
KNOWN_FIXES: dict[str, dict[str, object]] = {
    "claude-3-haiku": {"cache_write_1h": 0.5},
    "claude-3-opus": {"cache_write_1h": 30.0},
    "claude-sonnet-4": {"tier": None},
    "claude-sonnet-4-5": {"tier": None},
}
FAMILIES = ("opus", "sonnet", "haiku", "fable", "mythos")
# Reads of the inputs before a compile gives up storing its table (an editor saving in a loop).
COMPILE_ATTEMPTS = 3

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from statusline.config import Config
    from statusline.pricing import Period, Table


def pricing_dir(cache: str) -> str:
    return os.path.join(cache, "pricing")


def fetched_history(cache: str) -> dict[str, object]:
    """What `pricing update` has stored: periods per model, aliases, validators, times."""
    found = read_marshal(os.path.join(pricing_dir(cache), "fetched.bin"))
    if found is None or not isinstance(found.get("periods"), dict):
        return {"periods": {}, "aliases": {}, "etag": None, "last_modified": None, "fetched_ms": None}
    return found


def save_history(cache: str, history: dict[str, object]) -> None:
    atomic_write(os.path.join(pricing_dir(cache), "fetched.bin"), marshal.dumps(history))


def same_prices(a: Period, b: Period) -> bool:
    """Whether two periods bill the same (start date and context window aside)."""
    for x, y in zip(a[1:8], b[1:8], strict=True):
        if isinstance(x, float) and isinstance(y, float):
            if abs(x - y) > 1e-9 * max(1.0, abs(x)):
                return False
        elif isinstance(x, tuple) and isinstance(y, tuple):
            if len(x) != len(y) or any(abs(float(p) - float(q)) > 1e-9 for p, q in zip(x, y, strict=True)):
                return False
        elif x != y:
            return False
    return True


def record_fetch(
    history: dict[str, object],
    prices: dict[str, Period],
    aliases: dict[str, str],
    now_ms: int,
) -> list[tuple[str, str, Period | None, Period]]:
    """Fold a fresh download into the history; return (kind, model, old, new) for each change."""
    periods: dict[str, list[Period]] = history["periods"]  # type: ignore[assignment]
    changes: list[tuple[str, str, Period | None, Period]] = []
    # Undated keys win over dated ones for the same model (they are the same price in LiteLLM).
    for key in sorted(prices, key=lambda k: (pricing.normalise(k)[0] != k, k)):
        canon, _ = pricing.normalise(key)
        if canon in changes_seen(changes):
            continue
        new = _replace(prices[key], KNOWN_FIXES.get(canon, {}))
        known = periods.get(canon) or pricing.MODELS.get(canon)
        if not known:
            periods[canon] = [new]
            changes.append(("added", canon, None, new))
            continue
        current = known[-1]
        # LiteLLM leaves out what it does not know (e.g. a fast multiplier): keep ours then.
        fast = new[7] if new[7] != 1.0 else current[7]
        # Sums are kept per quarter-hour: the new price starts with the next one.
        since = -(-now_ms // QUARTER_HOUR_MS) * QUARTER_HOUR_MS
        merged = (since, *new[1:7], fast, current[8])
        if not same_prices(current, merged):
            periods.setdefault(canon, []).append(merged)
            changes.append(("changed", canon, current, merged))
        else:
            changes.append(("same", canon, current, merged))
    previous: dict[str, str] = history.get("aliases") or {}  # type: ignore[assignment]
    history["aliases"] = {
        **previous,
        **{a: pricing.normalise(t)[0] for a, t in aliases.items()},
    }
    return [c for c in changes if c[0] != "same"]


def changes_seen(changes: list[tuple[str, str, Period | None, Period]]) -> set[str]:
    return {c[1] for c in changes}


def _replace(period: Period, fields: Mapping[str, object]) -> Period:
    values = list(period)
    for i, name in enumerate(FIELDS, start=1):
        if name in fields:
            values[i] = fields[name]
    if "tier" in fields:
        values[6] = fields["tier"]
    return tuple(values)


def build(config: Config, history: dict[str, object]) -> dict[str, object]:
    """Compile the layers into the table the render loads, with where each price came from."""
    table: dict[str, list[Period]] = {k: list(v) for k, v in pricing.MODELS.items()}
    sources: dict[str, list[str]] = {k: ["bundled"] * len(v) for k, v in table.items()}
    for model, periods in history.get("periods", {}).items():  # type: ignore[attr-defined]
        rows = table.setdefault(model, [])
        srcs = sources.setdefault(model, [])
        for period in periods:
            rows.append(period)
            srcs.append("fetched")
        order = sorted(range(len(rows)), key=lambda i: rows[i][0])  # type: ignore[arg-type, return-value]
        table[model] = [rows[i] for i in order]
        sources[model] = [srcs[i] for i in order]
    for model, fix in KNOWN_FIXES.items():
        for i, period in enumerate(table.get(model, [])):
            if sources[model][i] == "fetched":
                table[model][i] = _replace(period, fix)
                sources[model][i] = "fetched+fix"
    aliases = {**pricing.ALIASES, **history.get("aliases", {})}  # type: ignore[dict-item]
    # Claude Code's own list prices as costline knows them (no overrides): its payload cost is
    # compared with the logged tokens at these prices to find what it never logged.
    listed: Table = {k: list(v) for k, v in table.items()}
    for model_id, fields in config.overrides.items():
        canon, _ = pricing.normalise(model_id)
        canon = aliases.get(canon, canon)
        since = int(fields.get("since", 0))
        rates = {k: v for k, v in fields.items() if k in FIELDS}
        rows = table.get(canon) or []
        if not rows:
            base_in = rates.get("input")
            if base_in is None or "output" not in rates:
                config.warnings.append(
                    f"{config.path}: override for unknown model {model_id} needs input and output"
                )
                continue
            derived = {
                "cache_write_5m": base_in * 1.25,
                "cache_write_1h": base_in * 2,
                "cache_read": base_in * 0.1,
            }
            table[canon] = [_replace((0, 0.0, 0.0, 0.0, 0.0, 0.0, None, 1.0, 200_000), {**derived, **rates})]
            sources[canon] = ["override"]
            listed[canon] = table[canon]  # no list price known: the user's is the best guess
            continue
        if since > 0 and all(p[0] != since for p in rows):
            in_force = pricing.period_at(rows, since)
            idx = next((i for i, p in enumerate(rows) if p[0] > since), len(rows))  # type: ignore[operator]
            rows.insert(idx, (since, *in_force[1:]))
            sources[canon].insert(idx, sources[canon][rows.index(in_force)])
        for i, period in enumerate(rows):
            if period[0] >= since:  # type: ignore[operator]
                rows[i] = _replace(period, rates)
                sources[canon][i] += "+override" if sources[canon][i] != "override" else ""
    return {
        "format": pricing.COMPILED_FORMAT,
        "bundled": pricing.SOURCE,
        "models": table,
        "list_models": listed if config.overrides else None,
        "sources": sources,
        "aliases": aliases,
        "families": newest_by_family(table),
        "fetched_ms": history.get("fetched_ms"),
        "offline": bool(config.pricing["offline"]),
        "max_age_s": float(config.pricing["max_age_hours"]) * 3600,  # type: ignore[arg-type]
        "unknown_mode": config.pricing["unknown_models"],
        "warnings": list(config.warnings),
        "timezone": config.timezone,
        "segments": config.segments,
        "session_source": config.session_source,
        "dir_style": config.dir_style,
        "theme": config.theme,
        "second_line": config.second_line,
        "rows": config.rows,
        # What the render needs of [commands.NAME]: when each is due and when it is stale.
        "commands": {name: (spec["every"], spec["timeout"]) for name, spec in config.commands.items()},
        "icons": config.icons,
        "model_effort": config.model_effort,
        "git_dirty": config.git_dirty,
        "padding": config.padding,
        "model_aliases": config.model_aliases,
        "daily_budget": config.daily_budget,
        "monthly_budget": config.monthly_budget,
        "next_turn_budget": config.next_turn_budget,
        "weekly_budget": config.weekly_budget,
        "week_start": config.week_start,
        "compact_hint": config.compact_hint,
        "tpm": config.tpm,
        "agents_items": config.agents_items,
        "tools_items": config.tools_items,
        "tools_min_pct": config.tools_min_pct,
    }


def _version_key(model: str, family: str) -> tuple[int, ...]:
    words = model.split("-")
    after = words[words.index(family) + 1 :] if family in words else []
    return tuple(int(w) for w in after if w.isdigit() and len(w) <= 2)


def newest_by_family(table: Table) -> dict[str, str]:
    """The newest model of each family, for pricing unknown ids when the user opts in."""
    newest: dict[str, str] = {}
    for family in FAMILIES:
        candidates = [m for m in table if family in m.split("-") and "preview" not in m]
        if candidates:
            newest[family] = max(candidates, key=lambda m: _version_key(m, family))
    return newest


def input_signatures(cache: str, path: str) -> tuple[object, object]:
    """The stat signatures of what a compile reads: the config file and the fetched history (the
    bundled table is costline's own code, recorded as `bundled`)."""
    return file_signature(path), file_signature(os.path.join(pricing_dir(cache), "fetched.bin"))


def compile_table(cache: str) -> dict[str, object]:
    """Read the config and fetched history, compile, store; return the compiled table.

    The inputs' signatures are taken before they are read and checked again after: a file saved
    meanwhile is read again, and a table whose inputs kept changing is used but not stored, so a
    stored table never carries older prices than its signatures claim.
    """
    from statusline.config import load_config

    path = config_path()
    for _ in range(COMPILE_ATTEMPTS):
        before = input_signatures(cache, path)
        compiled = build(load_config(path), fetched_history(cache))
        stable = input_signatures(cache, path) == before
        if stable:
            break
    compiled["config_sig"], compiled["fetched_sig"] = before
    compiled["config_path"] = path
    sig = None  # in memory only; None: nothing may be cached against it
    if stable:
        try:
            sig = atomic_write(os.path.join(pricing_dir(cache), "table.bin"), marshal.dumps(compiled))
        except OSError:
            pass  # a read-only cache still gets the right prices, just not saved
    compiled["table_sig"] = sig
    return compiled


def load_table(cache: str) -> dict[str, object]:
    """The compiled table, rebuilt when the config file or costline's own table changed."""
    return pricing.load_compiled(cache) or compile_table(cache)
