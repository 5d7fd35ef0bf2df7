"""One session's money: its cost by agent, tool, MCP server or model, from `report by`'s own code.

`costline report by KIND --session ID` and the background refresh's live file (attrib/live.py),
which the status line's `agents` and `tools` segments read, both come from session_breakdowns,
so the line shows exactly what the report prints for the session. The session's index groups
say which transcripts are its own (the main one and its subagents') and which hour files its
lines touched: only those are read, never the whole history.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from statusline.attrib.breakdown import Attribution, Breakdown, breakdowns
from statusline.attrib.build import _slim, read_state, state_name, update_file
from statusline.index import upkeep
from statusline.index.store import Store
from statusline.look import sanitise
from statusline.report import Pricer

LIVE_KINDS = ("agent", "tool")


class NoSuchSession(LookupError):
    """A session id (or prefix) that names no session, or more than one; the message says which."""


def session_groups(
    store: Store, session: str, among: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The index groups that can hold one session's messages: its own (usually one; a session id
    seen under two project folders has two), and in its project folders the old-style
    `agent-<id>.jsonl` ones, whose lines carry their parent's session id. `among`: look only
    at these groups (default: every group of the index)."""
    groups = list(upkeep.groups(store)) if among is None else among
    mine = [g for g in groups if g.get("session") == session]
    folders = {g.get("project") for g in mine}
    old = [g for g in groups if str(g.get("session")).startswith("agent-") and g.get("project") in folders]
    return mine + old


def resolve_session(store: Store, text: str) -> str:
    """The session id `text` names: itself, or the one id it is a prefix of."""
    ids = {str(g.get("session")) for g in upkeep.groups(store) if g.get("session")}
    if text in ids:
        return text
    found = sorted(i for i in ids if text and i.startswith(text))
    shown = sanitise(text, 40)
    if not found:
        raise NoSuchSession(f"no session {shown!r} in the index (`costline report session` lists them)")
    if len(found) > 1:
        some = ", ".join(sanitise(i, 40) for i in found[:3])
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        raise NoSuchSession(f"session {shown!r} is ambiguous: {some}{more}; give more of its id")
    return found[0]


def _kept_state(cache: str, path: str) -> dict[str, Any] | None:
    """The saved state of a transcript since deleted (its splits are kept; build.retired)."""
    state = read_state(cache, state_name(path))
    ok = state is not None and state.get("path") == path and isinstance(state.get("transcript"), dict)
    return state if ok else None


def session_attribution(cache: str, groups: list[dict[str, Any]]) -> Attribution:
    """The attribution of the groups' transcripts, each read on from where it was left."""
    paths = sorted({p for g in groups if isinstance(g.get("files"), dict) for p in g["files"]})
    states = []
    for path in paths:
        if not isinstance(path, str):
            continue
        state = update_file(cache, path) or _kept_state(cache, path)
        if state is not None:
            states.append(_slim(state))
    return Attribution(states)


def session_breakdowns(
    store: Store,
    pricer: Pricer,
    session: str,
    kinds: tuple[str, ...] = LIVE_KINDS,
    tz: tzinfo | None = None,
    since: str | None = None,
    until: str | None = None,
    project: str | None = None,
    groups: list[dict[str, Any]] | None = None,
) -> dict[str, Breakdown]:
    """The session's cost per bucket of each kind: its kept messages, priced as `report by`
    prices them, split by its own transcripts' attribution. `groups`: the session's index
    groups, when the caller has them (else looked up); `since`/`until` (local days in `tz`)
    and `project` narrow it as they narrow `report by`."""
    groups = session_groups(store, session) if groups is None else groups
    hours: set[int] = set()
    for group in groups:
        touched = group.get("hours")
        if isinstance(touched, set):
            hours |= {h for h in touched if isinstance(h, int)}
    attribution = session_attribution(store.cache, groups)
    narrow = (tz, since, until, project)
    return breakdowns(store, pricer, kinds, *narrow, attribution, session=session, hours=hours)
