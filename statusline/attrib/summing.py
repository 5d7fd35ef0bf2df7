"""Making day summaries (summary.py keeps and reads them): a local day's messages from the hour
files of the index, each split as its attribution state says, summed per agent, tool and session.

A first report makes every day's; many days are shared between two forked processes, each a
run of consecutive days.
"""

from __future__ import annotations

import os
from datetime import tzinfo
from typing import Any

from statusline.attrib.breakdown import UNATTRIBUTED, Attribution
from statusline.attrib.catalog import Catalog
from statusline.attrib.layout import CONVERSATION, IN, OUT, READ, W1, W5
from statusline.attrib.priced import add as _add
from statusline.attrib.priced import add_timed as _add_timed
from statusline.index.edges import shard_messages
from statusline.index.readback import read_hour
from statusline.index.store import CorruptIndex, Store
from statusline.report import Pricer, local_date, qh_date
from statusline.timeutil import QUARTER_HOUR_MS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

NOT_FOUND = ""  # the tool sums' name for unattributed messages (no tool is named "")
Entry = dict[str, Any]
Stale = dict[str, tuple[tuple[int, int], dict[str, tuple[int, int, int]]]]  # day → (span, hour sigs)

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
# Each process sums this many runs of days, one after the other: it holds one run's messages and
# states at a time (a first report's process held all of its half's: 69 MB on the bench corpus).
SHARES_PER_PROCESS = 4
_shared: list[Any] = []  # what a forked summing process inherits (store, pricer, zone, catalog)


def make(
    store: Store,
    pricer: Pricer,
    tz: tzinfo | None,
    catalog: Catalog,
    stale: Stale,
    meanwhile: Callable[[], object] | None = None,
) -> dict[str, Entry]:
    """Summaries of the stale days, from the hour files and the states of their sessions; many
    days (a first report) are cut into runs of consecutive days of about equal bytes (of their
    hour files), summed by two forked processes one run after another.
    What a process fails to return is summed here. No cyclic garbage collection meanwhile (the
    processes inherit that): every message's split and sums are acyclic lists and tuples, and a
    first report's generational passes over them cost about a third of the summing.
    `meanwhile`: called once, in this process, while the forked processes sum (else first)."""
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        return _make(store, pricer, tz, catalog, stale, meanwhile)
    finally:
        if collecting:
            gc.enable()


def _make(
    store: Store,
    pricer: Pricer,
    tz: tzinfo | None,
    catalog: Catalog,
    stale: Stale,
    meanwhile: Callable[[], object] | None,
) -> dict[str, Entry]:
    workers = min(os.cpu_count() or 1, 2)
    if len(stale) < PARALLEL_DAYS or workers < 2 or not hasattr(os, "fork"):
        if meanwhile is not None:
            meanwhile()
        return _build_days(store, pricer, tz, catalog, stale)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    days = sorted(stale)
    sizes = [sum(sig[1] for sig in stale[day][1].values()) for day in days]
    shares = [
        {days[i]: stale[days[i]] for i in share}
        for share in runs_of_days(sizes, SHARES_PER_PROCESS * workers)
    ]
    _shared[:] = [store, pricer, tz, catalog, shares]
    out: dict[str, Entry] = {}
    failed: list[BaseException] = []  # what meanwhile raised, raised once the processes ended
    try:
        # Not multiprocessing.Pool: its map waits forever for the share of a process that died.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_run_share, n) for n in range(len(shares))]
            if meanwhile is not None:
                task, meanwhile = meanwhile, None
                try:
                    task()
                except BaseException as exc:
                    failed.append(exc)
            for future in futures:
                try:
                    out.update(future.result())
                except Exception:  # failed or died: its days are summed below
                    continue
    except Exception:  # no process could be started
        pass
    finally:
        _shared.clear()
    if failed:
        raise failed[0]
    if meanwhile is not None:  # not run yet: no process could be started
        meanwhile()
    missing = {day: stale[day] for day in days if day not in out}
    if missing:
        out.update(_build_days(store, pricer, tz, catalog, missing))
    return out


def runs_of_days(sizes: list[int], parts: int) -> list[list[int]]:
    """The days (indices, in date order) cut into at most `parts` runs of consecutive days of
    about equal bytes: a run ends where its running total comes nearest to its part of the
    whole. Consecutive, because a process loads the states of the sessions its days' messages
    belong to, and a session's messages are days apart at most: each process then holds about
    its part of the states, not all of them."""
    total = sum(sizes)
    out: list[list[int]] = []
    run: list[int] = []
    summed = 0
    for i, size in enumerate(sizes):
        run.append(i)
        summed += size
        if (
            len(out) < parts - 1
            and i + 1 < len(sizes)
            and summed + sizes[i + 1] / 2 >= total * (len(out) + 1) / parts
        ):
            out.append(run)
            run = []
    if run:
        out.append(run)
    return out


def _run_share(number: int) -> dict[str, Entry]:
    """In a forked process: the summaries of one share of the stale days (what make left in
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
    periods: dict[tuple[str, int], int] = {}  # (model, quarter-hour) → its price period
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
            known = periods.get((model, qh))
            period = (
                known
                if known is not None
                else periods.setdefault((model, qh), pricer.price_period(model, qh))
            )
            models.add(model)
            found = None
            if key:
                rows = mine.rows.get(key)
                if rows and len(rows) == 1 and rows[0][0] == session:  # the usual case, as find has it
                    found = rows[0][1], rows[0][2]
                    deps.add(session)
                elif rows and any(r[0] == session for r in rows):
                    found = mine.find(key, session)  # the copy in its own session: as the full lookup
                    deps.add(session)
                else:  # another session's copy, or none: every state may hold one
                    if everyone is None:
                        everyone = mine if wanted >= set(by_session) else catalog.attribution()[0]
                    found = everyone.find(key, session)
                    anywhere = True
            _split(sums, found, model, cls, period, [*vec[:7], qh])
        out[day] = {
            "id": os.urandom(12),  # another each time a day is summed (priced.py keys answers by it)
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
