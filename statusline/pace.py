"""Pace to a rate limit: when, at the recent pace, a subscriber's window fills up.

Claude Code sends Pro/Max subscribers `rate_limits.five_hour` and `.seven_day` (used % and
`resets_at`). One render sees one point; the pace needs several, so every render that sees a
window's percentage move appends a sample (time, window, resets_at, used %) to
`<cache>/limits.samples` (owner-only; appended with one write, no rename; trimmed to the last
SAMPLE_WINDOW_S when it grows past MAX_BYTES). The pace is the slope over the samples of the
current series (same `resets_at`) within the last PACE_WINDOW_S, from at least two of them.
"""

from __future__ import annotations

from statusline import fs

# The pace is measured over this much recent time; a window that resets starts a new series.
PACE_WINDOW_S = 30 * 60
MAX_BYTES = 64 * 1024
SAMPLE_WINDOW_S = 2 * 3600


def _path(cache: str) -> str:
    return fs.join(cache, "limits.samples")


def read_samples(cache: str) -> list[tuple[float, str, float, float]]:
    """(time, window, resets_at, used %) of every well-formed sample, oldest first."""
    try:
        with open(_path(cache), "rb") as fh:
            data = fh.read(MAX_BYTES * 2)
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


def time_to_full(
    samples: list[tuple[float, str, float, float]], window: str, resets_at: float, now_s: float
) -> float | None:
    """Seconds until the window reaches 100 % at the recent pace; None without a rising pace."""
    series = [
        (t, p) for t, w, r, p in samples if w == window and r == resets_at and t >= now_s - PACE_WINDOW_S
    ]
    if len(series) < 2:
        return None
    (t0, p0), (t1, p1) = series[0], series[-1]
    if t1 <= t0 or p1 <= p0 or p1 >= 100:  # not rising, or already full: no time to tell
        return None
    rate = (p1 - p0) / (t1 - t0)
    return max(0.0, (100.0 - p1) / rate)
