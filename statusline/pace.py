"""Pace to a rate limit: when, at the recent pace, a subscriber's window fills up.

Claude Code sends Pro/Max subscribers `rate_limits.five_hour` and `.seven_day` (used % and
`resets_at`). One render sees one point; the pace needs several, so every render that sees a
window's percentage pass the highest its series (same `resets_at`) has read appends a sample
(time, window, resets_at, used %) to `<cache>/limits.samples` (owner-only; appended with one
write, no rename; trimmed past MAX_BYTES, see _trimmed). The pace is the rise of the series over
the last PACE_WINDOW_S up to this render, idle time included (time_to_full).

Within a series the used % never falls, but a session's payload carries the window as of that
session's last response: an idle session keeps sending an old, lower reading. So a reading below
the series' highest is stale: it is neither recorded nor paced from.
"""

from __future__ import annotations

from statusline import fs

# The pace is measured over this much recent time; a window that resets starts a new series.
PACE_WINDOW_S = 30 * 60
MAX_BYTES = 64 * 1024
SAMPLE_WINDOW_S = 2 * 3600
# Less observed time than this is a burst, not a pace: no ETA yet.
MIN_SPAN_S = 5 * 60
# read_samples reads at most the newest this many bytes (a file past it is one a trim failed on).
READ_CAP = 2 * MAX_BYTES
# A stored percentage past this is a damaged line, not a reading (context.MAX_WINDOW_PCT).
MAX_PCT = 200.0


def _path(cache: str) -> str:
    return fs.join(cache, "limits.samples")


def read_samples(cache: str) -> list[tuple[float, str, float, float]]:
    """(time, window, resets_at, used %) of every well-formed sample in the newest READ_CAP
    bytes, in file order (oldest first)."""
    try:
        # Never a FIFO, a link or another's file (fs.read_private). One byte before the cap too:
        # if it ends a line, the first line read is whole.
        data, st = fs.read_private_stat(_path(cache), READ_CAP + 1, last=True)
        size = st.st_size
    except OSError:
        return []
    if size > READ_CAP:
        data = data[data.find(b"\n") + 1 :] if b"\n" in data else b""  # drop the cut line
    # A last line without its newline is an append in progress (`60.00` read as `6`): skip it.
    data = data[: data.rfind(b"\n") + 1]
    out = []
    for line in data.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) != 4 or parts[1] not in ("five_hour", "seven_day"):
            continue
        try:
            out.append((float(parts[0]), parts[1], float(parts[2]), float(parts[3])))
        except ValueError:
            continue
    return out


def _line(t: float, window: str, resets: float, pct: float) -> str:
    return f"{t:.3f} {window} {resets:.0f} {pct:.2f}\n"


def _series(
    samples: list[tuple[float, str, float, float]], window: str, resets_at: float, until: float
) -> list[tuple[float, float]]:
    """(time, used %) of a window's series (same resets_at) at or before `until`."""
    # Positive tests, so that a NaN in a damaged file is skipped too.
    return [
        (t, p)
        for t, w, r, p in samples
        if w == window and _same_series(r, resets_at) and t <= until and 0 <= p <= MAX_PCT
    ]


def _trimmed(
    samples: list[tuple[float, str, float, float]], now_s: float
) -> list[tuple[float, str, float, float]]:
    """What a trim keeps: the last SAMPLE_WINDOW_S, and per window and series not yet reset the
    highest reading at or before now - PACE_WINDOW_S. That one is the percentage in force when
    any later half hour begins (the readings after it are within the two hours), and with them
    the series' highest, which record and time_to_full compare readings against."""
    floor: dict[tuple[str, float], int] = {}
    for i, (t, w, r, p) in enumerate(samples):
        if t <= now_s - PACE_WINDOW_S and r >= now_s and 0 <= p <= MAX_PCT:
            j = floor.get((w, r))
            if j is None or p > samples[j][3]:  # the first time the highest was seen
                floor[(w, r)] = i
    keep = set(floor.values())
    return [s for i, s in enumerate(samples) if s[0] > now_s - SAMPLE_WINDOW_S or i in keep]


def record(
    cache: str, now_s: float, seen: dict[str, tuple[float, float]]
) -> list[tuple[float, str, float, float]]:
    """Append this render's (resets_at, used %) per window when it is above its series' highest
    so far (or starts a series); return every sample, this render's included."""
    samples = read_samples(cache)
    new = []
    for window, (resets, pct) in seen.items():
        stored = (now_s, window, float(f"{resets:.0f}"), float(f"{pct:.2f}"))
        top = max((p for _t, p in _series(samples, window, resets, float("inf"))), default=None)
        # Equal: nothing moved. Below: a stale reading from an idle session (see above); kept,
        # it would become the pace's start, and sessions taking turns would append every render.
        if top is None or stored[3] > top:
            new.append(stored)
    if not new:
        return samples  # the usual render: nothing moved, nothing written
    path = _path(cache)
    try:
        if fs.getsize(path) > MAX_BYTES:
            text = "".join(_line(*s) for s in _trimmed(samples, now_s))
            from statusline.index.store import atomic_write

            atomic_write(path, text.encode())
    except OSError:
        pass
    try:
        fd = fs.open_private(path, fs.O_WRONLY | fs.O_APPEND)
    except OSError:
        return samples + new
    try:
        fs.write(fd, "".join(_line(*s) for s in new).encode())
    finally:
        fs.close(fd)
    return samples + new


def _same_series(stored: float, resets_at: float) -> bool:
    """Whether a sample's resets_at (kept to the second) is the payload's (int or float seconds)."""
    return abs(stored - resets_at) <= 0.5


def time_to_full(
    samples: list[tuple[float, str, float, float]],
    window: str,
    resets_at: float,
    now_s: float,
    pct_now: float,
) -> float | None:
    """Seconds until the window reaches 100 % at the recent pace; None without a rising pace.

    Samples are change points: the percentage holds from one sample to the next, and this render
    sees `pct_now` at `now_s`. So the pace is the rise over the last PACE_WINDOW_S, idle time
    included, from the percentage in force when that span began (or from the series' first
    sample, when it began later) to now. Not a least-squares fit: samples fall only where the
    percentage moved, so a fit would weigh a burst by its many points and forget the quiet.
    """
    if pct_now >= 100:
        return None  # already full: no time to tell
    series = _series(samples, window, resets_at, now_s)
    if series and float(f"{pct_now:.2f}") < max(p for _t, p in series):
        # This payload reads below what the series has read: an idle session's stale reading,
        # another account sharing the cache, or a drop without a new resets_at. Which one is
        # unknown, and an ETA beside a percentage that does not give it reads as a wrong figure:
        # no pace here; the session that reads the highest shows it.
        return None
    start = now_s - PACE_WINDOW_S
    # The start is the percentage in force when the half hour began: the highest reading by then
    # (used % never falls, so a lower one seen later is stale); else the series' first reading.
    t0 = start if any(t <= start for t, _p in series) else min((t for t, _p in series), default=now_s)
    p0 = max((p for t, p in series if t <= t0), default=pct_now)
    if now_s - t0 < MIN_SPAN_S or pct_now <= p0:
        return None  # seconds of readings are a burst, not a pace; or nothing rose
    return (100.0 - pct_now) * (now_s - t0) / (pct_now - p0)
