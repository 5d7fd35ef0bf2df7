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
Anything else is a miss and the day is summed again from the hour files and the states. The
files (one per zone and month) carry a digest: a corrupt one is ignored, never read as figures.
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
    Attribution,
    Breakdown,
    day_start_ms,
    mcp_server,
)
from statusline.attrib.catalog import Catalog, folder
from statusline.attrib.context import CONVERSATION, IN, OUT, READ, W1, W5
from statusline.index.edges import shard_messages
from statusline.index.readback import hour_rel, read_hour
from statusline.index.store import CorruptIndex, Store, atomic_write
from statusline.report import (
    Block,
    Pricer,
    Row,
    block_sums,
    blocks,
    local_date,
    machines,
    other_dated,
    qh_date,
)
from statusline.timeutil import DAY_MS, HOUR_MS, QUARTER_HOUR_MS, utc_day_name

FORMAT = 3
MAGIC = b"costline-day-sums\x00"
SPLIT_KINDS = ("agent", "tool", "mcp")
NOT_FOUND = ""  # the tool sums' name for unattributed messages (no tool is named "")
Entry = dict[str, Any]
Stale = dict[str, tuple[tuple[int, int], dict[str, tuple[int, int, int]]]]  # day → (span, hour sigs)


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
        for hour in range(start_ms // HOUR_MS, (end_ms - 1) // HOUR_MS + 1):
            sigs = self.listing(utc_day_name(hour * HOUR_MS))
            rel = hour_rel(hour)
            for suffix in ("", ".new"):
                sig = sigs.get(f"{hour % 24:02d}{suffix}")
                if sig is not None:
                    out[rel + suffix] = sig
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


def _days_of(data: bytes) -> dict[str, Entry]:
    days = _decode(data).get("days")
    return days if isinstance(days, dict) else {}


class Summaries:
    """The summaries of some local days in one zone, current."""

    def __init__(self, days: dict[str, Entry], hours: _Hours, tz: tzinfo | None = None) -> None:
        self.days = days
        self.hours = hours
        # [sync] on: the other machines' buckets, dated in this zone (report.machine_dated_buckets)
        scope = machines()
        self.own = scope.own if scope is not None else ""
        self.others = list(other_dated(tz)) if scope is not None else []
        self._memo: dict[tuple[str, tuple[str, ...]], dict[Any, list[float]]] = {}

    def blocks(self, pricer: Pricer, now_ms: int, cache: str) -> list[Block]:
        """report.blocks, its sums kept (in `cache`'s summary folder) while no hour file of the
        index changes and the models' price periods start where they did."""
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
        if current and not self.others:  # the other machines' blocks are not kept: summed anew
            sums = kept["blocks"]
        else:
            sums = block_sums(self.hours.store, pricer)
            models = {model for _s, _e, _g, groups in sums for model, _c, _p in groups}
            periods = {model: pricer.period_starts(model) for model in sorted(models)}
            try:
                fs.make_private_folder(folder(cache))
                atomic_write(path, _encode({"hours": fingerprint, "periods": periods, "blocks": sums}))
            except (OSError, ValueError):
                pass
        return blocks(self.hours.store, pricer, now_ms, sums=sums)

    def _others_in(
        self, since: str | None, until: str | None
    ) -> list[tuple[str, str, int, str, str, int, list[float]]]:
        return [o for o in self.others if not ((since and o[1] < since) or (until and o[1] > until))]

    def _summed(self, part: str, since: str | None, until: str | None) -> dict[Any, list[float]]:
        """The selected days' sums of one part (`agent`, `tool` or `sessions`), added up over
        the days in day order, as a report adds them, once per selection: each kind's rows are
        made from these, not from every day's entries again."""
        selected = tuple(d for d in sorted(self.days) if not ((since and d < since) or (until and d > until)))
        memo = self._memo.get((part, selected))
        if memo is None:
            memo = self._memo[(part, selected)] = {}
            for day in selected:
                if part == "sessions":  # with their first and last times
                    for key, vec in self.days[day][part].items():
                        _add_timed(memo, key, vec)
                else:
                    for key, vec in self.days[day][part].items():
                        _add(memo, key, vec, 7)
        return memo

    def breakdowns(
        self,
        pricer: Pricer,
        kinds: tuple[str, ...],
        since: str | None = None,
        until: str | None = None,
        project_name: Any = None,
    ) -> dict[str, Breakdown]:
        """As breakdown.breakdowns (no project filter); `project_name(session)` names projects."""
        sums: dict[str, dict[tuple[str, str, int, int], list[float]]] = {}
        for kind in kinds:
            if kind == "agent":
                sums[kind] = self._summed("agent", since, until)
                continue
            into: dict[tuple[str, str, int, int], list[float]] = {}
            sums[kind] = into
            if kind in SPLIT_KINDS:  # MCP rows are the tool rows by server
                row = _tool_row if kind == "tool" else _mcp_row
                names: dict[str, str] = {}
                for (tool, model, cls, period), vec in self._summed("tool", since, until).items():
                    name = names.get(tool)
                    if name is None:
                        name = names[tool] = row(tool)
                    _add(into, (name, model, cls, period), vec, 7)
                continue
            projects: dict[str, str] = {}
            for (session, model, cls, period), vec in self._summed("sessions", since, until).items():
                if kind == "machine":
                    name = self.own or "this machine"
                elif kind == "model":
                    name = model
                else:
                    named = projects.get(session)
                    if named is None:
                        named = projects[session] = project_name(session) or "(unknown project)"
                    name = named
                _add(into, (name, model, cls, period), vec, 7)
        out = {}
        rates = Rates(pricer)
        for kind in kinds:
            result = out[kind] = Breakdown(kind)
            for (name, model, cls, period), vec in sums[kind].items():
                result.add(name, model, rates.usd(model, cls, period, vec), vec)
        for machine, _day, qh, session, model, cls, vec in self._others_in(since, until):
            usd = pricer.usd(qh, model, cls, vec)
            for kind in kinds:
                if kind in SPLIT_KINDS or kind == "agent":  # their splits are not published
                    name = OTHER_MACHINES
                elif kind == "machine":
                    name = machine
                else:
                    name = model if kind == "model" else project_name(session) or "(unknown project)"
                out[kind].add(name, model, usd, vec)
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

    def sessions(self, pricer: Pricer, folder_of: dict[str, str], names: dict[str, str]) -> dict[str, Row]:
        """As report.grouped(…, "session"): every session's row over every day summarised."""
        rows: dict[str, Row] = {}
        rates = Rates(pricer)
        for (session, model, cls, period), vec in self._summed("sessions", None, None).items():
            row = rows.get(session)
            if row is None:
                folder_name = folder_of.get(session, "")
                row = rows[session] = Row(
                    session, project=names.get(folder_name, folder_name), folder=folder_name
                )
            row.add(model, vec, rates.usd(model, cls, period, vec))
        for _machine, _day, qh, session, model, cls, vec in self.others:
            row = rows.get(session)
            if row is None:
                folder_name = folder_of.get(session, "")
                row = rows[session] = Row(
                    session, project=names.get(folder_name, folder_name), folder=folder_name
                )
            row.add(model, vec, pricer.usd(qh, model, cls, vec))
        return rows


class Rates:
    """Prices of summed buckets. A bucket's price is linear in its token sums for one model,
    class and price period (the reports sum buckets before pricing them on that ground), so
    each (model, class, period) is priced once per token kind through Pricer.usd and a bucket
    costs the dot product: thousands of session rows cost what a few hundred calls cost."""

    def __init__(self, pricer: Pricer) -> None:
        self.pricer = pricer
        self.memo: dict[tuple[str, int, int], list[float] | None] = {}

    def usd(self, model: str, cls: int, period: int, vec: list[float]) -> float | None:
        """Pricer.usd of the sums `vec` (its last field a quarter-hour of the period)."""
        key = (model, cls, period)
        if key not in self.memo:
            qh = int(vec[-1])
            unit = [self.pricer.usd(qh, model, cls, [float(i == k) for i in range(7)]) for k in range(7)]
            self.memo[key] = [u for u in unit if u is not None] if None not in unit else None
        r = self.memo[key]
        if r is None:
            return None if any(vec[1:6]) else 0.0
        return (
            vec[0] * r[0]
            + vec[1] * r[1]
            + vec[2] * r[2]
            + vec[3] * r[3]
            + vec[4] * r[4]
            + vec[5] * r[5]
            + vec[6] * r[6]
        )


def _tool_row(tool: str) -> str:
    return UNATTRIBUTED if tool == NOT_FOUND else tool


def _mcp_row(tool: str) -> str:
    if tool in (NOT_FOUND, CONVERSATION):
        return _tool_row(tool)
    return mcp_server(tool) or OTHER_TOOLS


def _add(sums: dict[Any, list[float]], key: object, vec: list[float], n: int) -> None:
    """Add the first `n` fields of `vec` into sums[key], whose last field is a quarter-hour of
    the price period (the first seen)."""
    got = sums.get(key)
    if got is None:
        sums[key] = [*vec[:n], vec[-1]]
    else:
        for i in range(n):
            got[i] += vec[i]


def _add_timed(sums: dict[Any, list[float]], key: object, vec: list[float]) -> None:
    """_add for [7 sums, first ms, last ms, quarter-hour]: the times are min and max."""
    got = sums.get(key)
    if got is None:
        sums[key] = list(vec)
    else:
        for i in range(7):
            got[i] += vec[i]
        got[7], got[8] = min(got[7], vec[7]), max(got[8], vec[8])


def summaries(
    store: Store,
    pricer: Pricer,
    tz: tzinfo | None,
    catalog: Catalog,
    since: str | None = None,
    until: str | None = None,
) -> Summaries:
    """The current summaries of the local days since..until (inclusive; None: open) that the
    index has hours of; stale or missing ones are made again and saved."""
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
                files[month] = _days_of(fs.read_private(os.path.join(base, month)))
            except OSError:
                files[month] = {}
        entry = files[month].get(day)
        sigs = hours.of_span(*span)
        if isinstance(entry, dict) and _current(entry, span, sigs, catalog, pricer):
            found[day] = entry
        else:
            stale[day] = (span, sigs)
    if stale:
        made = _build(store, pricer, tz, catalog, stale)
        found.update(made)
        for month in sorted({day[:7] for day in made}):
            kept = {d: e for d, e in files[month].items() if d in found or d not in days}
            kept.update({d: e for d, e in made.items() if d[:7] == month})
            try:
                fs.make_private_folder(base)
                atomic_write(os.path.join(base, month), _encode({"days": kept}))
            except (OSError, ValueError):
                pass  # a cache that cannot be written: this report still has its figures
    return Summaries(found, hours, tz)


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


Message = tuple[int, str, str, str, int, list[float]]


def _read_day(
    store: Store,
    pricer: Pricer,
    tz: tzinfo | None,
    day: str,
    rels: list[str],
    dates: dict[int, str | None],
) -> tuple[list[Message], dict[tuple[str, str, int, int], list[float]]]:
    """A local day's messages (for the splits) and its session sums, as report.dated_buckets
    and breakdown._messages date them: by whole quarter-hour, message by message in one a
    local midnight cuts."""
    messages: list[Message] = []
    sessions: dict[tuple[str, str, int, int], list[float]] = {}

    def date_of(qh: int) -> str | None:
        return dates[qh] if qh in dates else dates.setdefault(qh, qh_date(qh, tz))

    def add_session(qh: int, session: str, model: str, cls: int, vec: list[float]) -> None:
        _add_timed(sessions, (session, model, cls, pricer.price_period(model, qh)), [*vec[:9], qh])

    for rel in rels:
        try:
            shard = read_hour(store, rel)
        except CorruptIndex:
            continue
        if shard is None:
            continue
        mine = list(shard_messages(shard))
        cut: set[int] = set()
        for ts, key, session, model, cls, vec in mine:
            qh = ts // QUARTER_HOUR_MS
            whole = date_of(qh)
            if (whole or local_date(ts, tz)) == day:
                messages.append((ts, key, session, model, cls, vec))
        agg = shard.get("agg")
        for (qh, session, model, cls), vec in (agg if isinstance(agg, dict) else {}).items():
            whole = date_of(qh)
            if whole is None:
                cut.add(qh)
            elif whole == day:
                add_session(qh, session, model, cls, vec)
        for ts, _key, session, model, cls, vec in mine:
            qh = ts // QUARTER_HOUR_MS
            if qh in cut and local_date(ts, tz) == day:
                add_session(qh, session, model, cls, [*vec[:7], ts, ts])
    return messages, sessions


# At least this many stale days (a first report, a new zone) are summed in two processes.
PARALLEL_DAYS = 8
_shared: list[Any] = []  # what a forked summing process inherits (store, pricer, zone, catalog)


def _build(
    store: Store, pricer: Pricer, tz: tzinfo | None, catalog: Catalog, stale: Stale
) -> dict[str, Entry]:
    """Summaries of the stale days, from the hour files and the states of their sessions; many
    days (a first report) are shared between two forked processes, by their hour files' bytes.
    What a process fails to return is summed here."""
    workers = min(os.cpu_count() or 1, 2)
    if len(stale) < PARALLEL_DAYS or workers < 2 or not hasattr(os, "fork"):
        return _build_days(store, pricer, tz, catalog, stale)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from statusline.index.workers import balanced_shares

    days = sorted(stale)
    sizes = [sum(sig[1] for sig in stale[day][1].values()) for day in days]
    shares = [{days[i]: stale[days[i]] for i in share} for share in balanced_shares(sizes, workers)]
    _shared[:] = [store, pricer, tz, catalog, shares]
    out: dict[str, Entry] = {}
    try:
        # Not multiprocessing.Pool: its map waits forever for the share of a process that died.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for future in [pool.submit(_run_share, n) for n in range(len(shares))]:
                try:
                    out.update(future.result())
                except Exception:  # failed or died: its days are summed below
                    continue
    except Exception:  # no process could be started
        pass
    finally:
        _shared.clear()
    missing = {day: stale[day] for day in days if day not in out}
    if missing:
        out.update(_build_days(store, pricer, tz, catalog, missing))
    return out


def _run_share(number: int) -> dict[str, Entry]:
    """In a forked process: the summaries of one share of the stale days (what _build left in
    _shared before forking: nothing but the share's number crosses to the process)."""
    return _build_share(_shared[4][number])


def _build_share(share: Stale) -> dict[str, Entry]:
    store, pricer, tz, catalog, _shares = _shared
    return _build_days(store, pricer, tz, catalog, share)


def _build_days(
    store: Store, pricer: Pricer, tz: tzinfo | None, catalog: Catalog, stale: Stale
) -> dict[str, Entry]:
    """Summaries of the stale days, from the hour files and the states of their sessions."""
    dates: dict[int, str | None] = {}
    read = {
        day: _read_day(store, pricer, tz, day, sorted({r.removesuffix(".new") for r in sigs}), dates)
        for day, (_span, sigs) in stale.items()
    }
    wanted = {m[2] for messages, _s in read.values() for m in messages if m[1]}
    mine, state_sigs = catalog.attribution(wanted)
    everyone: Attribution | None = None
    by_session = catalog.by_session()
    out: dict[str, Entry] = {}
    for day, (messages, sessions) in read.items():
        sums: dict[str, dict[tuple[str, str, int, int], list[float]]] = {"agent": {}, "tool": {}}
        deps: set[str] = set()
        anywhere = False
        models = {key[1] for key in sessions}
        day_sums: dict[tuple[str, int, int], list[float]] = {}
        for (_session, model, cls, period), vec in sessions.items():
            _add_timed(day_sums, (model, cls, period), vec)
        for ts, key, session, model, cls, vec in messages:
            qh = ts // QUARTER_HOUR_MS
            period = pricer.price_period(model, qh)
            models.add(model)
            found = None
            if key:
                rows = mine.rows.get(key)
                if rows and any(r[0] == session for r in rows):
                    found = mine.find(key, session)  # the copy in its own session: as the full lookup
                    deps.add(session)
                else:  # another session's copy, or none: every state may hold one
                    if everyone is None:
                        everyone = mine if wanted >= set(by_session) else catalog.attribution()[0]
                    found = everyone.find(key, session)
                    anywhere = True
            _split(sums, found, model, cls, period, [*vec[:7], qh])
        out[day] = {
            "span": stale[day][0],
            "hours": stale[day][1],
            "deps": {s: {n: state_sigs.get(n) for n in by_session.get(s, {})} for s in sorted(deps)},
            "all": catalog.fingerprint() if anywhere else None,
            "periods": {model: pricer.period_starts(model) for model in sorted(models)},
            "agent": sums["agent"],
            "tool": sums["tool"],
            "sessions": sessions,
            "day": day_sums,
        }
    return out


def _split(
    sums: dict[str, dict[tuple[str, str, int, int], list[float]]],
    found: tuple[str, dict[str, list[float]]] | None,
    model: str,
    cls: int,
    period: int,
    vec: list[float],
) -> None:
    """One message into the agent and tool sums (breakdown.breakdowns' rules: each tool's part
    as breakdown._scaled gives it, conversation the rest), the arithmetic unrolled: a cold page
    splits every message of the history."""
    if found is None:
        _add(sums["agent"], (UNATTRIBUTED, model, cls, period), vec, 7)
        _add(sums["tool"], (NOT_FOUND, model, cls, period), vec, 7)
        return
    _add(sums["agent"], (found[0], model, cls, period), vec, 7)
    tool_sums = sums["tool"]
    count, v1, v2, v3, v4, v5, v6, qh = vec[0], vec[1], vec[2], vec[3], vec[4], vec[5], vec[6], vec[-1]
    tokens = v1 + v2 + v3 + v4 + v5
    r1, r2, r3, r4, r5, r6 = v1, v2, v3, v4, v5, v6
    for tool, f in found[1].items():
        p1, p2, p3, p4, p5 = v1 * f[IN], v2 * f[OUT], v3 * f[W5], v4 * f[W1], v5 * f[READ]
        p6 = v6 * ((p1 + p2 + p3 + p4 + p5) / tokens if tokens else 0.0)
        count -= 0.0  # as the rest's count was a float once a part was taken
        r1 -= p1
        r2 -= p2
        r3 -= p3
        r4 -= p4
        r5 -= p5
        r6 -= p6
        key = (tool, model, cls, period)
        got = tool_sums.get(key)
        if got is None:
            tool_sums[key] = [0.0, p1, p2, p3, p4, p5, p6, qh]
        else:
            got[1] += p1
            got[2] += p2
            got[3] += p3
            got[4] += p4
            got[5] += p5
            got[6] += p6
    _add(tool_sums, (CONVERSATION, model, cls, period), [count, r1, r2, r3, r4, r5, r6, qh], 7)
