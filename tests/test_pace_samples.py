"""statusline/pace.py's samples file: appended and trimmed, never through a planted link."""

from __future__ import annotations

import os

import pytest

from statusline import pace

NOW = 1_800_000_000.0


def _cache(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    return cache, victim


def test_a_planted_samples_link_is_not_appended_to(tmp_path):
    cache, victim = _cache(tmp_path)
    (cache / "limits.samples").symlink_to(victim)
    pace.record(str(cache), NOW, {"five_hour": (NOW + 3600, 40.0)})
    assert victim.read_text() == "precious\n"


def test_a_planted_temp_name_is_not_truncated(tmp_path):
    """A trim writes a temp file then renames it: a link planted at the name it used to take
    (`limits.samples.<pid>.tmp`) is neither followed nor truncated, and the trim still happens."""
    cache, victim = _cache(tmp_path)
    old = "".join(f"{NOW - 20000 + i:.3f} five_hour {NOW + 3600:.0f} {i / 1000:.2f}\n" for i in range(3000))
    (cache / "limits.samples").write_text(old)
    assert len(old) > pace.MAX_BYTES
    (cache / f"limits.samples.{os.getpid()}.tmp").symlink_to(victim)
    samples = pace.record(str(cache), NOW, {"five_hour": (NOW + 3600, 40.0)})
    assert victim.read_text() == "precious\n"
    assert samples[-1] == (NOW, "five_hour", NOW + 3600, 40.0)
    kept = (cache / "limits.samples").read_text().splitlines()
    # All older than two hours; of them the series' highest (the first line reading 3.00) stays,
    # the percentage in force when any later half hour begins.
    top = next(line for line in old.splitlines() if line.endswith(" 3.00"))
    assert kept == [top, f"{NOW:.3f} five_hour {NOW + 3600:.0f} 40.00"]


def test_a_planted_hard_link_is_not_appended_to(tmp_path):
    """`limits.samples` planted as a hard link to the user's own file while the cache dir was
    open (then chmodded 0700, as doctor advises): the render appends a sample to that file."""
    cache, victim = _cache(tmp_path)
    os.link(victim, cache / "limits.samples")
    pace.record(str(cache), NOW, {"five_hour": (NOW + 3600, 40.0)})
    assert victim.read_text() == "precious\n"


def test_a_trim_keeps_the_percentage_in_force(tmp_path):
    """The 5-hour window has read 60 % since 07:00 (a sample three hours old), older lines have
    grown the file past 64 KB. At 09:55 it reads 61 % (appended, so the file is trimmed to the
    last two hours), at 10:00 70 %. By hand: 10 points since 09:30 (60 % then), so the 30 left
    take 30 × 1800 / 10 = 5400 s, after the reset at 11:00: no ETA. The trim dropped the 60 %,
    so the pace is counted from 61 % at 09:55: 9 points in 300 s, full in 1000 s (red)."""
    cache, _victim = _cache(tmp_path)
    resets = NOW + 3600
    old = "".join(f"{NOW - 30000 + i:.3f} five_hour {NOW - 20000:.0f} {i % 90:.2f}\n" for i in range(2000))
    (cache / "limits.samples").write_text(old + f"{NOW - 10800:.3f} five_hour {resets:.0f} 60.00\n")
    assert len(old) > pace.MAX_BYTES
    pace.record(str(cache), NOW - 300, {"five_hour": (resets, 61.0)})
    samples = pace.record(str(cache), NOW, {"five_hour": (resets, 70.0)})
    ttf = pace.time_to_full(samples, "five_hour", resets, NOW, 70.0)
    assert ttf is None or NOW + ttf >= resets, ttf


def test_a_planted_fifo_does_not_hang_the_render(config_dir, tmp_path):
    """read_samples opens the samples file with a plain open(): a FIFO planted there (while the
    cache dir was open) blocks until a writer comes, so the status line never answers."""
    import subprocess

    from helpers import payload, run_costline

    cache = tmp_path / "fifo-cache"
    cache.mkdir(mode=0o700)
    os.mkfifo(cache / "limits.samples")
    body = payload(None, rate_limits={"five_hour": {"used_percentage": 40, "resets_at": NOW + 3600}})
    try:
        proc = run_costline(body, env={"COSTLINE_CACHE_DIR": str(cache), "NO_COLOR": "1"}, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("the render hung on the FIFO")
    assert proc.returncode == 0 and proc.stdout.count(b"\n") == 1


def test_a_samples_file_past_the_read_cap_gives_its_newest_samples(tmp_path):
    """A file past 128 KB (a trim that could not write its temp file on a full disk or quota,
    so appends went on): read_samples reads its first 128 KB, the oldest samples. The newest
    reading is never seen, so every render appends again (the file only grows) and the pace is
    measured from samples hours old."""
    cache, _victim = _cache(tmp_path)
    resets = NOW + 3600
    old = "".join(f"{NOW - 9000 + i:.3f} five_hour {resets:.0f} {10 + i / 1000:.2f}\n" for i in range(4000))
    assert len(old) > 2 * pace.MAX_BYTES
    (cache / "limits.samples").write_text(old + f"{NOW - 60:.3f} five_hour {resets:.0f} 60.00\n")
    assert pace.read_samples(str(cache))[-1] == (NOW - 60, "five_hour", resets, 60.0)


def test_a_trim_keeps_each_live_series_highest_reading_at_the_half_hour(tmp_path):
    """Past 64 KB a trim keeps the last two hours and, per window and series not yet reset, the
    highest reading at or before 09:30 (now 10:00): the 5-hour window's 60 % (three hours old)
    and the 7-day window's 31 % (not the stale 20 % read after it, not the older 30 %). The expired
    series' lines older than two hours go; its line within them stays."""
    cache, _victim = _cache(tmp_path)
    r5, r7, gone = NOW + 3600, NOW + 3 * 86400, NOW - 20000
    filler = "".join(f"{NOW - 30000 + i:.3f} five_hour {gone:.0f} {i % 90:.2f}\n" for i in range(2000))
    kept = [
        f"{NOW - 10800:.3f} five_hour {r5:.0f} 60.00",
        f"{NOW - 9000:.3f} seven_day {r7:.0f} 31.00",
    ]
    lines = [
        f"{NOW - 50000:.3f} seven_day {r7:.0f} 30.00",
        kept[0],
        kept[1],
        f"{NOW - 8000:.3f} seven_day {r7:.0f} 20.00",  # written by an older version: stale
    ]
    recent = f"{NOW - 3000:.3f} five_hour {gone:.0f} 89.00"
    (cache / "limits.samples").write_text(filler + "".join(x + "\n" for x in lines) + recent + "\n")
    samples = pace.record(str(cache), NOW, {"five_hour": (r5, 70.0)})
    assert (cache / "limits.samples").read_text().splitlines() == [
        kept[0],
        kept[1],
        recent,
        f"{NOW:.3f} five_hour {r5:.0f} 70.00",
    ]
    # 60 % in force at 09:30: 10 points in 1800 s, the 30 left take 5400 s.
    assert pace.time_to_full(samples, "five_hour", r5, NOW, 70.0) == pytest.approx(5400.0)


# Every line is 42 bytes; READ_CAP (131,072) is 3120 lines and 32 bytes.
def _lines(n: int) -> list[str]:
    return [f"{NOW - 9000 + i:.3f} five_hour {NOW + 3600:.0f} {10 + i / 1000:.2f}\n" for i in range(n)]


@pytest.mark.parametrize(
    "tail",
    [
        "",  # the cap cuts a line 10 bytes in: `.000 five_hour …` would parse as a sample at 0 s
        "#" * 31 + "\n",  # 32 bytes: the cap falls on a line's start
    ],
)
def test_a_read_past_the_cap_starts_at_the_first_whole_line(tmp_path, tail):
    cache, _victim = _cache(tmp_path)
    lines = _lines(4000)
    assert {len(x) for x in lines} == {42} and len(tail) in (0, 32) and pace.READ_CAP == 3120 * 42 + 32
    (cache / "limits.samples").write_text("".join(lines) + tail)
    got = pace.read_samples(str(cache))
    assert len(got) == 3120
    assert got[0] == (NOW - 9000 + 880, "five_hour", NOW + 3600, 10.88)  # line 4000 - 3120


def test_a_line_without_its_newline_is_not_read(tmp_path):
    # An append in progress: `60.00` half written would read as 6 %.
    cache, _victim = _cache(tmp_path)
    whole = f"{NOW - 60:.3f} five_hour {NOW + 3600:.0f} 59.00\n"
    (cache / "limits.samples").write_text(whole + f"{NOW:.3f} five_hour {NOW + 3600:.0f} 6")
    assert pace.read_samples(str(cache)) == [(NOW - 60, "five_hour", NOW + 3600, 59.0)]


def test_a_samples_file_past_the_read_cap_is_not_appended_to_again(tmp_path):
    # Its newest reading is this render's: nothing moved, nothing written.
    cache, _victim = _cache(tmp_path)
    path = cache / "limits.samples"
    path.write_text("".join(_lines(4000)))
    size = path.stat().st_size
    assert size > pace.READ_CAP
    pace.record(str(cache), NOW, {"five_hour": (NOW + 3600, 13.999)})  # line 3999 reads 14.00
    assert path.stat().st_size == size
