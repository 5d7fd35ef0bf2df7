"""What Claude Code spends without logging it, from the payload's running session cost.

Claude Code makes requests that never reach the transcript (measured: one turn, two requests,
one logged), so a log-only "today" undercounts what Claude Code itself reports. Each render sees
`cost.total_cost_usd` for its session. Per session we keep a baseline (payload cost, logged cost)
taken when costline first sees the session or when the payload cost drops below the previous
render's (a `/clear` or a restart starts a new run); from then on

    unlogged = (payload cost − baseline payload) − (logged cost − baseline logged)

and each time it grows, the growth is recorded at that render's quarter-hour. Today's figure adds
the growth recorded today. Spend before costline first saw a session is never guessed.

The figure is compared only when every line of the session's files is counted (context.py: no
bytes left to the background, no line still being written: Claude Code has priced a response
whose line is half written). Claude Code may also price a response before its line reaches the
file at all; the gap then shows as growth, and shrinks once the line is indexed. So the recorded
figure follows the gap down as well as up: when it falls by half a cent or more, the run's
latest recordings are lowered or removed (in their own day files, at the prices they were
recorded at) until the run's recorded total equals the gap again, never below zero and never
reaching into an earlier run. A run remembers its last MAX_BOOKED recordings for this.

Both costs are at list prices (Claude Code's payload is; the logged tokens are priced with the
table without your overrides), and the growth is recorded at yours: times `scale`, the session's
logged cost at your prices ÷ at list prices (context.py).

A new run is a payload cost below the previous render's. That needs the last payload seen, not
the one at the baseline or the last recording: a run that started at $0 and logged everything
it spent has recorded nothing since, and its /clear (back to $0) would look like no drop at
all, hiding the next run's unlogged spend behind the previous run's logged cost. Nothing about
the previous render can be inferred from the logged cost instead (a render may see the log ahead
of the payload while a response streams, which looks like a drop), so the state stores the last
payload, and is written whenever the payload moved: Claude Code's cost moves only when a
response ends, and the render after it writes that response's hour file anyway. A render that
finds the payload where it was and no growth (the usual one: Claude Code redraws on every
message, tool result and mode change) reads one small file and writes nothing.

Files: `<cache>/unlogged/s-<session>` (the session's run state: written at a new baseline, when
growth is recorded or taken back and when the payload moved) and `<cache>/unlogged/<UTC day>` (growth per
(quarter-hour, session, time in ms): the time places it in any zone's local day). Growth under
half a cent is not recorded (rounding noise).
"""

from __future__ import annotations

import marshal

from statusline import fs
from statusline.index.store import atomic_write, day_names, lock_file, read_marshal
from statusline.timeutil import QUARTER_HOUR_MS, utc_day_name, utc_days_in

MIN_GROWTH_USD = 0.005
# A run remembers this many of its latest recordings, to take them back if the log catches up.
MAX_BOOKED = 64


def _folder(cache: str) -> str:
    return fs.join(cache, "unlogged")


def _safe(session: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in session)[:120] or "_"


def observe(
    cache: str, session: str, payload_usd: float, logged_usd: float, now_ms: int, scale: float = 1.0
) -> float:
    """Fold one render's figures into the session's run; return the growth recorded now
    (negative: growth taken back, at your prices).

    `payload_usd` and `logged_usd` are both at list prices; growth is recorded times `scale`
    (your price of a list-price dollar, 1.0 without overrides).
    """
    folder = _folder(cache)
    state = read_marshal(fs.join(folder, "s-" + _safe(session)))
    if (
        state is not None
        and "pending" not in state  # a recording cut short by a crash: finish it under the lock
        and abs(payload_usd - float(state.get("payload", -1.0))) <= 1e-9  # type: ignore[arg-type]
    ):
        seen = float(state.get("seen", 0.0))  # type: ignore[arg-type]
        unlogged = (payload_usd - float(state["payload0"])) - (logged_usd - float(state["logged0"]))  # type: ignore[arg-type]
        change = unlogged - seen
        if change < MIN_GROWTH_USD and (change > -MIN_GROWTH_USD or not state.get("booked")):
            return 0.0  # the usual render: nothing new, no lock, no write
    fs.makedirs(folder, mode=0o700, exist_ok=True)
    fd = fs.open_private(fs.join(folder, "lock"), fs.O_RDWR)
    try:
        lock_file(fd, blocking=True)  # held for a few file operations at most
        return _observe(folder, session, payload_usd, logged_usd, now_ms, scale)
    finally:
        fs.close(fd)


def _observe(
    folder: str, session: str, payload_usd: float, logged_usd: float, now_ms: int, scale: float
) -> float:
    state_path = fs.join(folder, "s-" + _safe(session))
    state = read_marshal(state_path)
    if state is not None and "pending" in state:
        _finish(folder, state_path, state)
    fresh = state is None or payload_usd < float(state.get("payload", 0.0)) - 1e-9  # type: ignore[arg-type]
    if fresh or state is None:  # first sight, or a new run
        state = {"payload0": payload_usd, "logged0": logged_usd, "seen": 0.0}
    unlogged = (payload_usd - float(state["payload0"])) - (logged_usd - float(state["logged0"]))  # type: ignore[arg-type]
    seen = float(state["seen"])  # type: ignore[arg-type]
    # This run's latest recordings: (UTC day, day-file key, USD at your prices, at list prices).
    booked: list[tuple[str, tuple[int, str, int], float, float]] = state.setdefault("booked", [])  # type: ignore[assignment]
    moved = abs(payload_usd - float(state.get("payload", -1.0))) > 1e-9  # type: ignore[arg-type]
    # The stored payload is always the last one seen: it is written whenever it moved, so any
    # drop below the previous render's payload marks a new run (/clear, a restart).
    state["payload"] = payload_usd
    # Crash safety: the state says which day-file entries are about to be set (or removed) before
    # the day files get them, and each is set, never added to, so a recording cut short is
    # finished exactly once by the next render (see observe), never lost and never counted twice.
    change: list[tuple[str, tuple[int, str, int], float | None]] = []
    recorded = 0.0
    if unlogged - seen >= MIN_GROWTH_USD:
        growth = unlogged - seen
        day, key = utc_day_name(now_ms), (now_ms // QUARTER_HOUR_MS, session, now_ms)  # any zone's day
        recorded = growth * scale
        booked.append((day, key, recorded, growth))
        del booked[:-MAX_BOOKED]
        change.append((day, key, recorded))
        state["seen"] = unlogged
    elif unlogged - seen <= -MIN_GROWTH_USD and booked:
        # Growth the log now accounts for (Claude Code priced a response before its line was
        # written): undo the latest recordings first, each at the price it was recorded at.
        left = seen - max(unlogged, 0.0)
        while booked and left > 1e-12:
            day, key, yours, at_list = booked.pop()
            take = min(left, at_list)
            left -= take
            seen -= take
            kept = at_list - take
            if kept > 1e-12:
                booked.append((day, key, yours * kept / at_list, kept))
            recorded -= yours - (yours * kept / at_list if kept > 1e-12 else 0.0)
            change.append((day, key, booked[-1][2] if kept > 1e-12 else None))
        state["seen"] = seen
    if not (change or moved or fresh):
        return 0.0  # nothing new: no write on the render path
    if change:
        state["pending"] = change
    atomic_write(state_path, marshal.dumps(state))
    if change:
        _finish(folder, state_path, state)
    return recorded


def _finish(folder: str, state_path: str, state: dict[str, object]) -> None:
    """Set (or remove) the pending entries in their day files, then mark them done."""
    pending = state.pop("pending")
    if isinstance(pending, tuple):  # a recording from before take-backs: one entry
        pending = [pending]
    by_day: dict[str, list[tuple[object, object]]] = {}
    for item in pending if isinstance(pending, list) else []:
        if isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], str):
            by_day.setdefault(item[0], []).append((item[1], item[2]))
    for name, entries in by_day.items():
        day_path = fs.join(folder, _safe(name))
        day: dict[object, object] = read_marshal(day_path) or {}  # type: ignore[assignment]
        for key, usd in entries:
            if usd is None:
                day.pop(key, None)
            else:
                day[key] = usd
        atomic_write(day_path, marshal.dumps(day))
    atomic_write(state_path, marshal.dumps(state))


def in_range(cache: str, start_ms: int, end_ms: int) -> dict[tuple[int, str], float]:
    """Recorded growth per (time in ms, session) within [start_ms, end_ms).

    Growth recorded before entries carried their time counts at the start of its quarter-hour.
    """
    out: dict[tuple[int, str], float] = {}
    folder = _folder(cache)
    for name in utc_days_in(start_ms, end_ms, lambda: day_names(folder)):
        for key, usd in (read_marshal(fs.join(folder, name)) or {}).items():
            if not isinstance(key, tuple) or len(key) < 2:
                continue
            at = int(key[2]) if len(key) > 2 else int(key[0]) * QUARTER_HOUR_MS
            if start_ms <= at < end_ms:
                out[(at, key[1])] = out.get((at, key[1]), 0.0) + float(usd)
    return out
