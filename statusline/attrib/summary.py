"""Day summaries: what `report by` and `report html` show of one local day, kept between runs.

Without them every report re-walked the whole history: every message of every hour file joined
with its split from every attribution state. A summary holds one local day's token sums per
agent, tool and MCP bucket and per session (model and project rows are sums of those), each per
(model, class, price period), so a warm report reads sums sized by its answer. Costs are not
kept: they are priced when read, with the price table of the day, as the reports price buckets.

A day's summary is used only while everything it came from is as it was:
- the day's span in the zone (its first and last millisecond): another zone, or the system's
  zone changed, is another span;
- the stat signature of every hour file of the index that the span overlaps;
- the signature of every attribution state of each session whose messages it split, and, when
  a message was split from another session's copy or not found at all, of every state (any new
  or changed state might hold it);
- the start of each price period of each of its models (sums are per period).
Anything else is a miss and the day is summed again from the hour files and the states
(summing.py). The files (one per zone and month) carry a digest: a corrupt one is ignored, never
read as figures. What a report made of a selection of current summaries, priced, is kept too
(priced.py), so a warm report that asks again neither sums nor prices every session again.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from datetime import date, tzinfo
from typing import Any

from statusline import fs
from statusline.attrib.breakdown import (
    OTHER_MACHINES,
    OTHER_TOOLS,
    UNATTRIBUTED,
    Breakdown,
    Bucket,
    day_start_ms,
    mcp_server,
)
from statusline.attrib.catalog import Catalog, folder
from statusline.attrib.layout import CONVERSATION
from statusline.attrib.priced import Kept, Rates, add, add_timed, question
from statusline.attrib.summing import NOT_FOUND, Entry, Stale
from statusline.index.store import Store, atomic_write
from statusline.report import (
    BLOCK_MS,
    Block,
    Pricer,
    Row,
    block_sums,
    blocks,
    local_date,
    machines,
    other_dated,
)
from statusline.timeutil import DAY_MS, HOUR_MS, utc_day_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from statusline.projects import Projects

FORMAT = 4
MAGIC = b"costline-day-sums\x00"
SPLIT_KINDS = ("agent", "tool", "mcp")
SessionSum = tuple[str, float, int, int, str]  # (session, cost, first ms, last ms, top model)


def zone_key(tz: tzinfo | None) -> str:
    """A folder name for a zone (the system's: by $TZ, the span check does the rest)."""
    name = str(tz) if tz is not None else "local:" + os.environ.get("TZ", "")
    return "z" + hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _next_day(day: str) -> str:
    return date.fromordinal(date.fromisoformat(day).toordinal() + 1).isoformat()


def local_days(store: Store, tz: tzinfo | None) -> list[str]:
    """Every local day that an indexed UTC day overlaps, oldest first."""
    out: set[str] = set()
    for utc_day in store.indexed_days():
        try:
            start = date.fromisoformat(utc_day).toordinal() - date(1970, 1, 1).toordinal()
        except ValueError:
            continue
        out.add(local_date(start * DAY_MS, tz))
        out.add(local_date(start * DAY_MS + DAY_MS - 1, tz))
    return sorted(out)


class _Hours:
    """Signatures of the hour files and of their pending deltas (index/book.py: what renders
    booked since a file was written, which readback.read_hour adds), listed once per UTC day."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.days: dict[str, dict[str, tuple[int, int, int]]] = {}

    def listing(self, day: str) -> dict[str, tuple[int, int, int]]:
        """`HH` and `HH.new` → stat signature, for one UTC day."""
        sigs = self.days.get(day)
        if sigs is None:
            sigs = self.days[day] = {}
            folder = self.store.path("hours", day)
            try:
                names = fs.listdir(folder)
            except OSError:
                names = []
            for name in names:
                if name[:2].isdigit() and name[2:] in ("", ".new") and len(name) in (2, 6):
                    try:
                        sigs[name] = self.store.stat_signature(fs.join(folder, name))
                    except OSError:
                        pass
        return sigs

    def of_span(self, start_ms: int, end_ms: int) -> dict[str, tuple[int, int, int]]:
        """The signatures of the hours a span overlaps, by `hours/<day>/<HH>[.new]`."""
        out = {}
        for day in range(start_ms // DAY_MS, (end_ms - 1) // DAY_MS + 1):
            name = utc_day_name(day * DAY_MS)
            sigs = self.listing(name)
            if not sigs:
                continue
            first, last = max(start_ms // HOUR_MS, day * 24), min((end_ms - 1) // HOUR_MS, day * 24 + 23)
            for hour in range(first - day * 24, last - day * 24 + 1):
                for suffix in ("", ".new"):
                    sig = sigs.get(f"{hour:02d}{suffix}")
                    if sig is not None:
                        out[f"hours/{name}/{hour:02d}{suffix}"] = sig
        return out

    def fingerprint(self) -> bytes:
        """Of every hour file of the index: changes when any is added, removed or rewritten."""
        digest = hashlib.blake2b(digest_size=16)
        for day in self.store.indexed_days():
            digest.update(marshal.dumps((day, sorted(self.listing(day).items()))))
        return digest.digest()


def _encode(doc: dict[str, Any]) -> bytes:
    payload = marshal.dumps({"format": FORMAT, **doc})
    return MAGIC + hashlib.blake2b(payload, digest_size=16).digest() + payload


def _decode(data: bytes) -> dict[str, Any]:
    """What a summary file holds; {} for anything that is not one, intact."""
    head = len(MAGIC) + 16
    digest = hashlib.blake2b(data[head:], digest_size=16).digest()
    if data[: len(MAGIC)] != MAGIC or digest != data[len(MAGIC) : head]:
        return {}
    try:
        doc = marshal.loads(data[head:])
    except (EOFError, ValueError, TypeError):
        return {}
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else {}


# A day's sums, the bulk of its summary: a month file keeps them after every day's head (what
# says whether the day is current, and its per-model sums), read only when a report needs them
# (a warm report whose answer is kept, priced.py, does not).
PARTS = ("agent", "tool", "sessions")


def _encode_month(days: dict[str, Entry]) -> bytes:
    heads = marshal.dumps(
        {
            "format": FORMAT,
            "days": {d: {k: v for k, v in e.items() if k not in PARTS} for d, e in days.items()},
        }
    )
    sums = marshal.dumps({d: {k: e[k] for k in PARTS} for d, e in days.items()})
    payload = len(heads).to_bytes(8, "big") + heads + sums
    return MAGIC + hashlib.blake2b(payload, digest_size=16).digest() + payload


class _Day(dict):  # type: ignore[type-arg]
    """A day's summary read from a month file: its sums come from the file when first asked."""

    month: _Month
    name: str

    def __missing__(self, key: str) -> Any:
        if key not in PARTS:
            raise KeyError(key)
        self.update(self.month.sums()[self.name])
        return self[key]


class _Month:
    """The days of one month file, intact (its digest checked), each day's sums read when needed."""

    def __init__(self, data: bytes) -> None:
        self.days: dict[str, Entry] = {}
        self._raw = b""
        self._sums: dict[str, dict[str, Any]] | None = None
        head = len(MAGIC) + 16
        if (
            data[: len(MAGIC)] != MAGIC
            or hashlib.blake2b(data[head:], digest_size=16).digest() != data[len(MAGIC) : head]
        ):
            return
        size = int.from_bytes(data[head : head + 8], "big")
        try:
            doc = marshal.loads(data[head + 8 : head + 8 + size])
        except (EOFError, ValueError, TypeError):
            return
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("days"), dict):
            return
        self._raw = data[head + 8 + size :]
        for name, entry in doc["days"].items():
            if isinstance(entry, dict):
                day = self.days[name] = _Day(entry)
                day.month, day.name = self, name

    def sums(self) -> dict[str, dict[str, Any]]:
        if self._sums is None:
            self._sums = marshal.loads(self._raw)  # intact: the digest covered it
        return self._sums


class Summaries:
    """The summaries of some local days in one zone, current."""

    def __init__(
        self, days: dict[str, Entry], hours: _Hours, tz: tzinfo | None = None, kept: Kept | None = None
    ) -> None:
        self.days = days
        self.hours = hours
        # [sync] on: the other machines' buckets, dated in this zone (report.machine_dated_buckets)
        scope = machines()
        self.own = scope.own if scope is not None else ""
        self.others = list(other_dated(tz)) if scope is not None else []
        # What reports made of these summaries, priced (none kept with [sync] on: the other
        # machines' figures are not summaries)
        self.kept = kept if scope is None else None
        self._memo: dict[tuple[str, tuple[str, ...]], dict[Any, list[float]]] = {}
        self._blocks: dict[tuple[int, int, str], list[Block]] = {}

    def blocks(self, pricer: Pricer, now_ms: int, cache: str) -> list[Block]:
        """report.blocks, its sums kept (in `cache`'s summary folder) while no hour file of the
        index changes and the models' price periods start where they did, and its priced rows
        while the unit prices they were priced with hold (as priced.py keeps answers). Made
        once per question (a page asks while its days are summed, then again)."""
        key = (id(pricer), now_ms, cache)
        if key not in self._blocks:
            self._blocks[key] = self._made_blocks(pricer, now_ms, cache)
        return self._blocks[key]

    def _made_blocks(self, pricer: Pricer, now_ms: int, cache: str) -> list[Block]:
        path = os.path.join(folder(cache), "blocks")
        fingerprint = self.hours.fingerprint()
        try:
            kept: Any = _decode(fs.read_private(path))
        except OSError:
            kept = {}
        try:
            current = kept["hours"] == fingerprint and all(
                pricer.period_starts(model) == starts for model, starts in kept["periods"].items()
            )
        except (KeyError, TypeError, AttributeError):
            current = False
        rates = Rates(pricer)
        if current and not self.others:  # the other machines' blocks are not kept: summed anew
            sums = kept["blocks"]
            try:
                if rates.still(kept["priced"]["used"]):
                    return [_block(row, now_ms) for row in kept["priced"]["rows"]]
            except (KeyError, TypeError, ValueError, IndexError):
                pass  # not priced yet, or not what this version keeps: priced below
        else:
            sums = block_sums(self.hours.store, pricer)
        out = blocks(self.hours.store, pricer, now_ms, sums=sums)
        if self.others:
            return out
        for _start, _end, _gap, groups in sums:
            for key, (qh, _summed) in groups.items():
                rates.note(key, qh)
        models = {model for _s, _e, _g, groups in sums for model, _c, _p in groups}
        doc = {
            "hours": fingerprint,
            "periods": {model: pricer.period_starts(model) for model in sorted(models)},
            "blocks": sums,
            "priced": {"used": rates.used(), "rows": [_kept_block(block) for block in out]},
        }
        try:
            fs.make_private_folder(folder(cache))
            atomic_write(path, _encode(doc))
        except (OSError, ValueError):
            pass
        return out

    def _others_in(
        self, since: str | None, until: str | None
    ) -> list[tuple[str, str, int, str, str, int, list[float]]]:
        return [o for o in self.others if not ((since and o[1] < since) or (until and o[1] > until))]

    def _selected(self, since: str | None, until: str | None) -> tuple[str, ...]:
        return tuple(d for d in sorted(self.days) if not ((since and d < since) or (until and d > until)))

    def _question(self, selected: tuple[str, ...], *asked: object) -> bytes | None:
        """The key of a priced answer over the selected days (None: not kept)."""
        if self.kept is None:
            return None
        ids = [self.days[day].get("id") for day in selected]
        return question(asked, selected, ids) if all(isinstance(i, bytes) for i in ids) else None

    def _keep(self, key: bytes | None, selected: tuple[str, ...], rates: Rates, rows: Any) -> None:
        if key is not None and self.kept is not None:
            now: dict[str, bytes] = {day: entry.get("id", b"") for day, entry in self.days.items()}
            self.kept.put(key, rates, rows, {day: now[day] for day in selected}, now)

    def _summed(self, part: str, selected: tuple[str, ...]) -> dict[Any, list[float]]:
        """The selected days' sums of one part (`agent`, `tool` or `sessions`), added up over
        the days in day order, as a report adds them, once per selection: each kind's rows are
        made from these, not from every day's entries again."""
        memo = self._memo.get((part, selected))
        if memo is None:
            memo = self._memo[(part, selected)] = {}
            for day in selected:
                if part == "sessions":  # with their first and last times
                    for key, vec in self.days[day][part].items():
                        add_timed(memo, key, vec)
                else:
                    for key, vec in self.days[day][part].items():
                        add(memo, key, vec, 7)
        return memo

    def breakdowns(
        self,
        pricer: Pricer,
        kinds: tuple[str, ...],
        since: str | None = None,
        until: str | None = None,
        projects: Projects | None = None,
    ) -> dict[str, Breakdown]:
        """As breakdown.breakdowns (no project filter); `projects` names the project rows."""
        selected = self._selected(since, until)
        # Project rows depend on which folder each session is in and what names each folder.
        named = (sorted(projects.folder_of.items()), sorted(projects.names.items())) if projects else None
        key = self._question(selected, "breakdowns", kinds, named if "project" in kinds else None)
        rates = Rates(pricer)
        if key is not None and self.kept is not None:
            rows = self.kept.get(key, rates)
            if rows is not None:
                try:
                    return {kind: _breakdown(kind, rows[kind]) for kind in kinds}
                except (KeyError, TypeError, ValueError):
                    pass  # not what this version keeps: priced again below
        out = self._breakdowns(rates, kinds, selected, projects)
        self._keep(key, selected, rates, {kind: _kept_breakdown(out[kind]) for kind in kinds})
        for machine, _day, qh, session, model, cls, vec in self._others_in(since, until):
            usd = pricer.usd(qh, model, cls, vec)
            for kind in kinds:
                if kind in SPLIT_KINDS or kind == "agent":  # their splits are not published
                    name = OTHER_MACHINES
                elif kind == "machine":
                    name = machine
                else:
                    name = model if kind == "model" else _project_of(projects, session)
                out[kind].add(name, model, usd, vec)
        return out

    def _breakdowns(
        self, rates: Rates, kinds: tuple[str, ...], selected: tuple[str, ...], projects: Projects | None
    ) -> dict[str, Breakdown]:
        sums: dict[str, dict[tuple[str, str, int, int], list[float]]] = {}
        for kind in kinds:
            if kind == "agent":
                sums[kind] = self._summed("agent", selected)
                continue
            into: dict[tuple[str, str, int, int], list[float]] = {}
            sums[kind] = into
            if kind in SPLIT_KINDS:  # MCP rows are the tool rows by server
                row = _tool_row if kind == "tool" else _mcp_row
                names: dict[str, str] = {}
                for (tool, model, cls, period), vec in self._summed("tool", selected).items():
                    name = names.get(tool)
                    if name is None:
                        name = names[tool] = row(tool)
                    add(into, (name, model, cls, period), vec, 7)
                continue
            named: dict[str, str] = {}
            for (session, model, cls, period), vec in self._summed("sessions", selected).items():
                if kind == "machine":
                    name = self.own or "this machine"
                elif kind == "model":
                    name = model
                else:
                    project = named.get(session)
                    if project is None:
                        project = named[session] = _project_of(projects, session)
                    name = project
                add(into, (name, model, cls, period), vec, 7)
        out = {}
        for kind in kinds:
            result = out[kind] = Breakdown(kind)
            for (name, model, cls, period), vec in sums[kind].items():
                result.add(name, model, rates.usd(model, cls, period, vec), vec)
        return out

    def per_day(self, pricer: Pricer) -> dict[str, Row]:
        """As report.grouped(…, "day") over every day summarised."""
        rows: dict[str, Row] = {}
        rates = Rates(pricer)
        for day, entry in sorted(self.days.items()):
            if entry["day"]:
                row = rows[day] = Row(day)
                for (model, cls, period), vec in entry["day"].items():
                    row.add(model, vec, rates.usd(model, cls, period, vec))
                if self.own:
                    row.machines[self.own] = row.cost
        for machine, day, qh, _session, model, cls, vec in self.others:
            row = rows.setdefault(day, Row(day))
            usd = pricer.usd(qh, model, cls, vec)
            row.add(model, vec, usd)
            row.machines[machine] = row.machines.get(machine, 0.0) + (usd or 0.0)
        return dict(sorted(rows.items()))

    def sessions(self, pricer: Pricer) -> list[SessionSum]:
        """Every session over every day summarised, costliest first (then by id), as
        report.grouped(…, "session") prices it: (id, cost, first ms, last ms, the model it
        spent most on)."""
        selected = self._selected(None, None)
        key = self._question(selected, "sessions")
        rates = Rates(pricer)
        kept = self.kept.get(key, rates) if key is not None and self.kept is not None else None
        if isinstance(kept, list):
            return [tuple(row) for row in kept]
        rows: dict[str, Row] = {}
        for (session, model, cls, period), vec in self._summed("sessions", selected).items():
            row = rows.get(session)
            if row is None:
                row = rows[session] = Row(session)
            row.add(model, vec, rates.usd(model, cls, period, vec))
        self._keep(key, selected, rates, _costliest(rows))
        for _machine, _day, qh, session, model, cls, vec in self.others:
            row = rows.get(session)
            if row is None:
                row = rows[session] = Row(session)
            row.add(model, vec, pricer.usd(qh, model, cls, vec))
        return _costliest(rows)


def _costliest(rows: dict[str, Row]) -> list[SessionSum]:
    out = []
    for row in sorted(rows.values(), key=lambda row: (-row.cost, row.key)):
        top_model = max(row.models, key=lambda m: row.models[m][4]) if row.models else ""
        out.append((row.key, row.cost, row.first_ms, row.last_ms, top_model))
    return out


def _kept_block(block: Block) -> tuple[Any, ...]:
    row = block.row
    return (
        block.start_ms,
        block.end_ms,
        block.gap,
        row.key,
        row.tokens,
        row.cost,
        row.models,
        sorted(row.unknown),
        row.first_ms,
        row.last_ms,
    )


def _block(kept: tuple[Any, ...], now_ms: int) -> Block:
    """A block as _kept_block keeps it; whether it is active is a matter of `now_ms`."""
    start, end, gap, key, tokens, cost, models, unknown, first, last = kept
    block = Block(start, end, Row(key, list(tokens), cost, models, set(unknown), first, last), gap=gap)
    if not gap:
        block.active = now_ms - last < BLOCK_MS and now_ms < end
    return block


def _project_of(projects: Projects | None, session: str) -> str:
    return (projects.name(session) if projects is not None else "") or "(unknown project)"


def _kept_breakdown(result: Breakdown) -> list[tuple[Any, ...]]:
    """A breakdown as Kept keeps it (marshal's types)."""
    return [(b.name, b.cost, b.tokens, b.messages, sorted(b.unknown)) for b in result.buckets.values()]


def _breakdown(kind: str, kept: list[tuple[Any, ...]]) -> Breakdown:
    result = Breakdown(kind)
    for name, cost, tokens, messages, unknown in kept:
        result.buckets[name] = Bucket(name, cost, list(tokens), messages, set(unknown))
    return result


def _tool_row(tool: str) -> str:
    return UNATTRIBUTED if tool == NOT_FOUND else tool


def _mcp_row(tool: str) -> str:
    if tool in (NOT_FOUND, CONVERSATION):
        return _tool_row(tool)
    return mcp_server(tool) or OTHER_TOOLS


def summaries(
    store: Store,
    pricer: Pricer,
    tz: tzinfo | None,
    catalog: Catalog,
    since: str | None = None,
    until: str | None = None,
    meanwhile: Callable[[Summaries], object] | None = None,
) -> Summaries:
    """The current summaries of the local days since..until (inclusive; None: open) that the
    index has hours of; stale or missing ones are made again and saved. `meanwhile`: given the
    summaries (their days not all there yet), in this process while other processes sum the
    stale days (page.py: what it needs of the index besides the summaries)."""
    days = [d for d in local_days(store, tz) if not ((since and d < since) or (until and d > until))]
    hours = _Hours(store)
    base = os.path.join(folder(catalog.cache), zone_key(tz))
    files: dict[str, dict[str, Entry]] = {}
    found: dict[str, Entry] = {}
    stale: Stale = {}
    for day in days:
        span = (day_start_ms(day, tz), day_start_ms(_next_day(day), tz))
        month = day[:7]
        if month not in files:
            try:
                files[month] = _Month(fs.read_private(os.path.join(base, month))).days
            except OSError:
                files[month] = {}
        entry = files[month].get(day)
        sigs = hours.of_span(*span)
        if isinstance(entry, dict) and _current(entry, span, sigs, catalog, pricer):
            found[day] = entry
        else:
            stale[day] = (span, sigs)
    out = Summaries(found, hours, tz, Kept(os.path.join(base, "priced")))
    task = None if meanwhile is None else lambda: meanwhile(out)
    if stale:
        from statusline.attrib.summing import make

        made = make(store, pricer, tz, catalog, stale, task)
        found.update(made)
        for month in sorted({day[:7] for day in made}):
            kept = {d: e for d, e in files[month].items() if d in found or d not in days}
            kept.update({d: e for d, e in made.items() if d[:7] == month})
            try:
                fs.make_private_folder(base)
                atomic_write(os.path.join(base, month), _encode_month(kept))
            except (OSError, ValueError):
                pass  # a cache that cannot be written: this report still has its figures
    elif task is not None:
        task()
    return out


def _current(
    entry: Entry,
    span: tuple[int, int],
    sigs: dict[str, tuple[int, int, int]],
    catalog: Catalog,
    pricer: Pricer,
) -> bool:
    try:
        if tuple(entry["span"]) != span or entry["hours"] != sigs:
            return False
        if entry["all"] is not None and entry["all"] != catalog.fingerprint():
            return False
        by_session = catalog.by_session()
        if any(by_session.get(session) != names for session, names in entry["deps"].items()):
            return False
        return all(pricer.period_starts(model) == starts for model, starts in entry["periods"].items())
    except (KeyError, TypeError, AttributeError, ValueError):
        return False
