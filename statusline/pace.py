"""Pace to a rate limit: when, at the recent pace, a subscriber's window fills up.

Claude Code sends Pro/Max subscribers `rate_limits.five_hour` and `.seven_day` (used % and
`resets_at`). One render sees one point; the pace needs several, so every render that sees a
window's percentage move appends a sample (time, window, resets_at, used %) to
`<cache>/limits.samples` (owner-only; appended with one write, no rename; trimmed to the last
SAMPLE_WINDOW_S when it grows past MAX_BYTES). The pace is the rise of the current series (same
`resets_at`) over the last PACE_WINDOW_S up to this render, idle time included (time_to_full).
"""

from __future__ import annotations

from statusline import fs

# The pace is measured over this much recent time; a window that resets starts a new series.
PACE_WINDOW_S = 30 * 60
MAX_BYTES = 64 * 1024
SAMPLE_WINDOW_S = 2 * 3600
# Less observed time than this is a burst, not a pace: no ETA yet.
MIN_SPAN_S = 5 * 60


def _path(cache: str) -> str:
    return fs.join(cache, "limits.samples")


def read_samples(cache: str) -> list[tuple[float, str, float, float]]:
    """(time, window, resets_at, used %) of every well-formed sample, oldest first."""
    try:
        data = fs.read_private(_path(cache), MAX_BYTES * 2)  # never a FIFO, link or other's file
    except OSError:
        return []
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


def record(
    cache: str, now_s: float, seen: dict[str, tuple[float, float]]
) -> list[tuple[float, str, float, float]]:
    """Append this render's (resets_at, used %) per window when it differs from the last one;
    return every sample, this render's included."""
    samples = read_samples(cache)
    last: dict[str, tuple[float, float]] = {}
    for _t, window, resets, pct in samples:
        last[window] = (resets, pct)
    new = [
        (now_s, window, float(f"{resets:.0f}"), float(f"{pct:.2f}"))
        for window, (resets, pct) in seen.items()
        if last.get(window) != (float(f"{resets:.0f}"), float(f"{pct:.2f}"))
    ]
    if not new:
        return samples  # the usual render: nothing moved, nothing written
    lines = [f"{t:.3f} {w} {r:.0f} {p:.2f}\n" for t, w, r, p in new]
    path = _path(cache)
    try:
        if fs.getsize(path) > MAX_BYTES:
            keep = [s for s in samples if s[0] > now_s - SAMPLE_WINDOW_S]
            text = "".join(f"{t:.3f} {w} {r:.0f} {p:.2f}\n" for t, w, r, p in keep)
            from statusline.index.store import atomic_write

            atomic_write(path, text.encode())
    except OSError:
        pass
    try:
        fd = fs.open_private(path, fs.O_WRONLY | fs.O_APPEND)
    except OSError:
        return samples + new
    try:
        fs.write(fd, "".join(lines).encode())
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
    start = now_s - PACE_WINDOW_S
    before: tuple[float, float] | None = None  # the last sample at or before `start`
    first: tuple[float, float] | None = None  # the first one after it
    for t, w, r, p in samples:
        # Positive tests, so that a NaN in a damaged file is skipped too.
        if not (w == window and _same_series(r, resets_at) and t <= now_s and 0 <= p <= 100):
            continue
        if t <= start:
            before = (t, p) if before is None or t >= before[0] else before
        elif first is None or t < first[0]:
            first = (t, p)
    t0, p0 = (start, before[1]) if before is not None else first or (now_s, pct_now)
    if now_s - t0 < MIN_SPAN_S or pct_now <= p0:
        return None  # seconds of readings are a burst, not a pace; or nothing rose
    return (100.0 - pct_now) * (now_s - t0) / (pct_now - p0)
