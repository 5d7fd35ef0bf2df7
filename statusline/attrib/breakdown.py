"""Cost by agent, tool, MCP server, project or model over a range of local days.

The messages and their prices come from the index, exactly as `report daily` counts them (the
kept copy of each deduplicated message, priced per message), so the rows of every breakdown add
up to the daily report's total for the same days. Agent, tool and MCP splits are then looked up
per message in the attribution states (attrib/build.py); a message the states do not know (a
line appended between the two reads) goes to `unattributed`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from statusline.attrib.context import clean_name, session_title
from statusline.attrib.layout import CONVERSATION, IN, OUT, READ, W1, W5
from statusline.index.edges import Message, shard_messages
from statusline.index.exact import Batch
from statusline.index.readback import read_hour
from statusline.index.store import CorruptIndex, Store
from statusline.report import (
    Pricer,
    all_hours,
    local_date,
    machine_dated_buckets,
    machines,
    qh_date,
    session_projects,
)
from statusline.timeutil import DAY_MS, QUARTER_HOUR_MS, utc_day_name

KINDS = ("agent", "tool", "mcp", "project", "model")
MAIN_AGENT = "main"
UNTYPED_AGENT = "subagent"
OTHER_MACHINES = "(other machines)"  # [sync]: their messages' splits are not published
UNATTRIBUTED = "unattributed"
OTHER_TOOLS = "other tools"
_NO_END = 1 << 62


@dataclass
class Bucket:
    name: str
    cost: float = 0.0
    tokens: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])  # in, out, cw, cr
    messages: float = 0.0
    unknown: set[str] = field(default_factory=set)


@dataclass
class Breakdown:
    kind: str
    buckets: dict[str, Bucket] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(b.cost for b in self.buckets.values())

    def rows(self) -> list[Bucket]:
        """Most expensive first, whatever the kind: `conversation` or `other tools` is often the
        largest and must not sink to the end of a long table."""
        return sorted(self.buckets.values(), key=lambda b: (-b.cost, b.name))

    def add(self, name: str, model: str, usd: float | None, vec: list[float]) -> None:
        name = clean_name(name, "(none)")  # model ids and folders can hold lone surrogates too
        bucket = self.buckets.get(name)
        if bucket is None:
            bucket = self.buckets[name] = Bucket(name)
        if usd is None:
            bucket.unknown.add(clean_name(model))
        else:
            bucket.cost += usd
        bucket.messages += vec[0]
        bucket.tokens[0] += vec[1]
        bucket.tokens[1] += vec[2]
        bucket.tokens[2] += vec[3] + vec[4]
        bucket.tokens[3] += vec[5]


def mcp_server(tool: str) -> str | None:
    """The server of an MCP tool (`mcp__<server>__<tool>`), else None."""
    if not tool.startswith("mcp__"):
        return None
    server = tool[5:].split("__", 1)[0]
    return server or None


def _scaled(vec: list[float], fractions: list[float]) -> list[float]:
    """The part of a message's vector that a split's fractions give one bucket."""
    tokens = vec[1] + vec[2] + vec[3] + vec[4] + vec[5]
    parts = [
        vec[1] * fractions[IN],
        vec[2] * fractions[OUT],
        vec[3] * fractions[W5],
        vec[4] * fractions[W1],
        vec[5] * fractions[READ],
    ]
    share = sum(parts) / tokens if tokens else 0.0
    # A logged costUSD (old Claude Code) is split by the bucket's share of the tokens.
    return [0.0, *parts, vec[6] * share]


class Attribution:
    """Splits and agent labels of every message the attribution states know, by message key."""

    def __init__(self, states: list[dict[str, Any]]) -> None:
        # key → [(session, agent label, split, from a subagent's own transcript)]
        self.rows: dict[str, list[tuple[str, str, dict[str, list[float]], bool]]] = {}
        self.titles: dict[str, str] = {}  # session → its name (context.session_title)
        spawned: dict[str, dict[str, str]] = {}
        for state in states:
            if not state.get("agent_id"):
                spawned.setdefault(state["session"], {}).update(state["transcript"].get("spawned") or {})
                title = session_title(state["transcript"].get("titles") or {})
                if title:
                    self.titles[state["session"]] = title
        for state in states:
            session = state["session"]
            agent_id = state.get("agent_id") or ""
            types = spawned.get(session, {})
            if agent_id:
                label = state.get("agent_type") or types.get(agent_id) or UNTYPED_AGENT
            else:
                label = MAIN_AGENT
            for key, row in state["transcript"]["rows"].items():
                sidechain, split = row[0], row[1]
                if sidechain and not agent_id:  # an older sidechain line in the parent's file
                    inner = row[2] if len(row) > 2 else ""
                    who = types.get(inner) or UNTYPED_AGENT
                else:
                    who = label
                self.rows.setdefault(key, []).append((session, who, split, bool(agent_id)))

    def find(self, key: str, session: str) -> tuple[str, dict[str, list[float]]] | None:
        """(agent label, split) of the copy in `session`'s transcripts (a subagent's own file
        before a copy logged in its parent's), else of any copy."""
        rows = self.rows.get(key)
        if not rows:
            return None
        mine = [r for r in rows if r[0] == session] or rows
        best = next((r for r in mine if r[3]), mine[0])
        return best[1], best[2]


def _messages(
    store: Store, first_ms: int, last_ms: int, hours: Iterable[int] | None = None
) -> Iterator[Message]:
    """Every counted message of the hour files between two UTC times, a day either side (local
    days in any zone), with its dedup key; what no key accounts for comes back with key "".
    `hours`: only these hour files (a session's, from its index group)."""
    first_day = utc_day_name(max(first_ms - DAY_MS, 0))
    last_day = utc_day_name(last_ms + DAY_MS) if last_ms < _NO_END else None
    rels = all_hours(store) if hours is None else [Batch.hour_rel(h) for h in sorted(hours)]
    for rel in rels:
        day = rel.split("/")[1]
        if day < first_day or (last_day and day > last_day):
            continue
        try:
            yield from shard_messages(read_hour(store, rel))
        except CorruptIndex:
            continue


def breakdown(
    store: Store,
    pricer: Pricer,
    kind: str,
    tz: tzinfo | None,
    since: str | None = None,
    until: str | None = None,
    project: str | None = None,
    attribution: Attribution | None = None,
) -> Breakdown:
    """Cost per bucket of `kind` over the local days since..until (inclusive; None: open)."""
    return breakdowns(store, pricer, (kind,), tz, since, until, project, attribution)[kind]


def breakdowns(
    store: Store,
    pricer: Pricer,
    kinds: tuple[str, ...],
    tz: tzinfo | None,
    since: str | None = None,
    until: str | None = None,
    project: str | None = None,
    attribution: Attribution | None = None,
    session: str | None = None,
    hours: Iterable[int] | None = None,
) -> dict[str, Breakdown]:
    """Several kinds in one pass over the index (the HTML page shows all five).

    Token sums are gathered per (quarter-hour, model, class, bucket) and priced once each, as
    the daily report prices its buckets. `session`: only that session's messages (`hours`: the
    hour files its lines touched, so the others need not be read; attrib/session.py).
    """
    projects = session_projects(store)
    sums: dict[str, dict[tuple[int, str, int, str], list[float]]] = {kind: {} for kind in kinds}

    def add(kind: str, qh: int, model: str, cls: int, name: str, vec: list[float]) -> None:
        key = (qh, model, cls, name)
        got = sums[kind].get(key)
        if got is None:
            sums[kind][key] = list(vec)
        else:
            for i in range(7):
                got[i] += vec[i]

    def wanted(day: str, sess: str) -> bool:
        if (since and day < since) or (until and day > until) or (session and sess != session):
            return False
        return not project or projects.matches(sess, project)

    exact = [kind for kind in kinds if kind in ("model", "project", "machine")]
    scope = machines()
    here = scope.own if scope is not None else "this machine"
    if exact:
        for machine, day, qh, sess, model, cls, vec in machine_dated_buckets(store, tz):
            if wanted(day, sess):
                for kind in exact:
                    if kind == "machine":
                        name = machine or here
                    else:
                        name = model if kind == "model" else projects.name(sess) or "(unknown project)"
                    add(kind, qh, model, cls, name, vec)
    split_kinds = [kind for kind in kinds if kind not in ("model", "project", "machine")]
    if split_kinds:
        first_ms = day_start_ms(since, tz) if since else 0
        last_ms = day_start_ms(until, tz) + DAY_MS if until else _NO_END
        dates: dict[int, str | None] = {}
        for ts, key, sess, model, cls, vec in _messages(store, first_ms, last_ms, hours):
            if session and sess != session:
                continue  # before its date is worked out: most of an hour is other sessions'
            qh = ts // QUARTER_HOUR_MS
            whole = dates[qh] if qh in dates else dates.setdefault(qh, qh_date(qh, tz))
            if not wanted(whole or local_date(ts, tz), sess):
                continue
            found = attribution.find(key, sess) if (attribution and key) else None
            for kind in split_kinds:
                if found is None:
                    add(kind, qh, model, cls, UNATTRIBUTED, vec)
                elif kind == "agent":
                    add(kind, qh, model, cls, found[0], vec)
                else:
                    rest = list(vec)
                    for tool, fractions in found[1].items():
                        part = _scaled(vec, fractions)
                        for i in range(7):
                            rest[i] -= part[i]
                        name = (mcp_server(tool) or OTHER_TOOLS) if kind == "mcp" else tool
                        add(kind, qh, model, cls, name, part)
                    add(kind, qh, model, cls, CONVERSATION, rest)
        others = scope.others if scope is not None else None
        for _mid, qh, sess, model, cls, vec in others.buckets if others is not None else ():
            # Another machine publishes its buckets, not each message's split: one row of its own.
            whole = dates[qh] if qh in dates else dates.setdefault(qh, qh_date(qh, tz))
            if wanted(whole or local_date(int(vec[7]), tz), sess):
                for kind in split_kinds:
                    add(kind, qh, model, cls, OTHER_MACHINES, vec)
    out = {}
    for kind in kinds:
        result = out[kind] = Breakdown(kind)
        for (qh, model, cls, name), vec in sums[kind].items():
            result.add(name, model, pricer.usd(qh, model, cls, vec), vec)
    return out


def day_start_ms(day: str, tz: tzinfo | None) -> int:
    """When a local `YYYY-MM-DD` day starts (in `tz`, or the system's zone when None)."""
    from datetime import datetime

    y, m, d = int(day[:4]), int(day[5:7]), int(day[8:10])
    return int(datetime(y, m, d, tzinfo=tz).timestamp() * 1000)
