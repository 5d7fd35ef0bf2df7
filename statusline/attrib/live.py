"""This session's money, live: each recently active session's cost by agent and by tool, written
by the background refresh into one small file that the render reads.

The figures are session_breakdowns' (attrib/session.py), the code `report by agent|tool
--session ID` runs, so the `agents` and `tools` segments show what that report prints. Nothing
here runs on the render path: the render reads `<index>/live/<group>` (Context.live_split) and
formats it (segments.agents, segments.tools).

A file holds, per kind, the costliest rows (name, USD, whether a model had no price), the rest
summed, and the total; it is rewritten only when its figures change, and computed only when
the session's index group or the price table changed since.
"""

from __future__ import annotations

import time
from typing import Any

from statusline import fs
from statusline.attrib.breakdown import Breakdown
from statusline.attrib.session import LIVE_KINDS, session_breakdowns, session_groups
from statusline.index.store import CorruptIndex, Store, read_marshal
from statusline.index.update import group_of
from statusline.report import Machines, Pricer, use_machines
from statusline.timeutil import DAY_MS, HOUR_MS, utc_day_name

FORMAT = 1
FOLDER = "live"
# Sessions with a transcript changed this recently get a live file (the refresh that writes
# them runs at most once a minute, started by renders).
ACTIVE_S = 3600.0
KEPT_ROWS = 22  # per kind: up to 20 shown (config.LIVE_KEYS), besides conversation and unattributed
FORGET_S = 7 * 86400.0  # a live file not rewritten for this long is removed
# Sessions whose split one refresh computes at most: the first for a session reads its
# transcripts' attribution from the start (a second or so for 50 MB), later ones what was appended.
MOST_PER_REFRESH = 8
SEGMENTS = ("agents", "tools")  # the segments that read these files


def rel(group: str) -> str:
    """The live file of an index group (as the render names it: index.update.group_of)."""
    return f"{FOLDER}/{group}"


def wanted(compiled: dict[str, object]) -> bool:
    """Whether the configured line shows a segment that reads a live file (any row)."""
    for key in ("segments", "second_line", "rows"):
        value = compiled.get(key)
        stack: list[object] = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif item in SEGMENTS:
                return True
    return False


def summary(found: dict[str, Breakdown]) -> dict[str, Any]:
    """What the segments need of a session's breakdowns: per kind, the costliest rows, the
    rest summed, and the total (rows of `report by --session`, most expensive first)."""
    out: dict[str, Any] = {"format": FORMAT}
    for kind in LIVE_KINDS:
        rows = found[kind].rows()
        kept, rest = rows[:KEPT_ROWS], rows[KEPT_ROWS:]
        out[kind] = {
            "rows": [(b.name, b.cost, bool(b.unknown)) for b in kept],
            "rest": (len(rest), sum(b.cost for b in rest), any(b.unknown for b in rest)),
            "total": found[kind].total,
            "unknown": any(b.unknown for b in rows),
        }
    return out


def _other_machines(cache: str, groups: list[dict[str, Any]]) -> tuple[Machines, list[object]] | None:
    """With [sync] on, the other machines' share of the UTC days this session has messages on
    here, and the signature of what it was read from (their folded day files), as `report by
    --session` counts it (its `(other machines)` row); None with sync off. A day on which only
    another machine carried the session on is not read: the report counts it, the segment not."""
    from statusline.sync.fold import load_others, sync_dir
    from statusline.sync.settings import load

    settings = load()
    if not settings.enabled:
        return None
    days: set[str] = set()
    for group in groups:
        for hour in group.get("hours") or ():
            if isinstance(hour, int):
                days.update(utc_day_name(hour * HOUR_MS + shift) for shift in (-DAY_MS, 0, DAY_MS))
    signature: list[object] = [settings.machine]
    for day in sorted(days):
        try:
            st = fs.stat(sync_dir(cache, "fold", day))
        except OSError:
            continue
        signature.append((day, st.st_ino, st.st_size, st.st_mtime_ns))
    return Machines(settings.machine, load_others(cache, settings.machine, days)), signature


def _recent(store: Store, now_s: float) -> list[str]:
    """Index groups with a transcript changed in the last ACTIVE_S seconds, most recent first:
    from the file list of the scan that just ran, and the groups renders keep in files of their
    own (a render writes its session's whenever it reads new lines)."""
    latest: dict[str, float] = {}
    seen = read_marshal(store.path("scan"))
    files = seen.get("files") if seen is not None else None
    for path, sig in files.items() if isinstance(files, dict) else ():
        if isinstance(path, str) and isinstance(sig, tuple) and len(sig) == 3 and isinstance(sig[2], int):
            name = group_of(path)[0]
            latest[name] = max(latest.get(name, 0.0), sig[2] / 1e9)
    folder = store.path("groups")
    try:
        own = fs.listdir(folder)
    except OSError:
        own = []
    for name in own:
        try:
            if not name.endswith(".tmp"):
                latest[name] = max(latest.get(name, 0.0), fs.stat(fs.join(folder, name)).st_mtime)
        except OSError:
            continue
    recent = [(-when, name) for name, when in latest.items() if now_s - when <= ACTIVE_S]
    return [name for _, name in sorted(recent)]


def refresh(
    store: Store, compiled: dict[str, object], now_s: float | None = None, most: int = MOST_PER_REFRESH
) -> int:
    """Write the live file of every recently active session whose figures changed; the number
    written. Run by the background refresh after its scan, under its lock. At most `most`
    sessions are computed, the most recently active first (a history copied in an hour ago is all
    "recent"): the others wait for the next refresh."""
    now_s = time.time() if now_s is None else now_s
    pricer = Pricer(compiled)
    recent: dict[str, dict[str, Any]] = {}
    packs: dict[str, object] = {}  # each pack read once
    for name in _recent(store, now_s):
        try:
            group = store.read_group(name, packs)
        except CorruptIndex:
            continue
        if isinstance(group, dict) and isinstance(group.get("session"), str):
            recent[name] = group
    written = computed = 0
    for name, group in recent.items():
        session = group["session"]
        if session.startswith("agent-"):
            continue  # an old-style subagent file: counted with its parent's session
        groups = session_groups(store, session, list(recent.values()))
        mine = {id(g) for g in groups}
        signatures = sorted(str(store.group_signature(n)) for n, g in recent.items() if id(g) in mine)
        machines = _other_machines(store.cache, groups)
        key = [compiled.get("table_sig"), signatures, machines[1] if machines else None]
        old = read_marshal(store.path(rel(name)))
        if old is not None and old.get("key") == key and old.get("format") == FORMAT:
            continue  # nothing the figures depend on changed: not even computed
        if computed >= most:
            break
        computed += 1
        use_machines(machines[0] if machines else None)
        try:
            data = {**summary(session_breakdowns(store, pricer, session, groups=groups)), "key": key}
        finally:
            use_machines(None)
        if data != old:
            store.write(rel(name), data)
            written += 1
    _forget(store, now_s)
    return written


def _forget(store: Store, now_s: float) -> None:
    """Remove live files not rewritten for FORGET_S (sessions long over)."""
    folder = store.path(FOLDER)
    try:
        names = fs.listdir(folder)
    except OSError:
        return
    for name in names:
        path = fs.join(folder, name)
        try:
            if now_s - fs.stat(path).st_mtime > FORGET_S:
                fs.unlink(path)
        except OSError:
            continue
