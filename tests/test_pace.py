"""The pace to a subscriber window's limit (statusline/pace.py) and how the limits segment shows it.

Times are fixed: T0 is 2026-11-25T10:00Z, a Wednesday; the zone is UTC unless a test says.
"""

from __future__ import annotations

import os

import pytest
from segment_helpers import limits_at

from statusline import pace
from statusline.context import Context
from statusline.segments import limits

T0 = 1_795_600_800.0


render = limits_at  # one render at `now`: its windows, its sample kept as the line keeps it


def shown(c: Context) -> str | None:
    spans = limits.limits(c)
    return None if spans is None else "".join(t for t, _ in spans)


@pytest.mark.parametrize(
    ("resets5", "expected"),
    [
        (T0 + 1800, ("5h 70% ↻10:30", "ctx.warn")),  # full at 10:42:30 would be after the reset
        (T0 + 3 * 3600, ("5h 70% → full 10:42", "ctx.warn")),  # within 2 hours: yellow
    ],
)
def test_a_burst_then_quiet_is_paced_over_the_idle_time_too(resets5, expected):
    # 50 % → 70 % in 20 s, then 28 minutes at 70 %: over the 1700 s observed, 20 points, so the
    # 30 points left take 30 × 1700 / 20 = 2550 s.
    render(T0 - 1700, 50.0, 5.0, resets5, T0 + 86400)
    render(T0 - 1680, 70.0, 5.0, resets5, T0 + 86400)
    c = render(T0, 70.0, 5.0, resets5, T0 + 86400)  # nothing moved: no sample, still an observation
    assert limits.limits(c) == [expected, (" · ", "muted"), ("7d 5%", "ctx.ok")]
    assert pace.time_to_full(c.limit_samples, "five_hour", resets5, T0, 70.0) == pytest.approx(2550.0)


def test_the_pace_counts_from_the_percentage_in_force_when_the_half_hour_began():
    # 50 % seen at 09:28:20, 90 % from 09:31:40: at 10:00 the last 30 minutes rose 40 points, so
    # the 10 left take 10 × 1800 / 40 = 450 s: full at 10:07:30, red.
    resets5 = T0 + 2 * 3600
    render(T0 - 1900, 50.0, 5.0, resets5, T0 + 86400)
    render(T0 - 1700, 90.0, 5.0, resets5, T0 + 86400)
    c = render(T0, 90.0, 5.0, resets5, T0 + 86400)
    assert limits.limits(c)[0] == ("5h 90% → full 10:07", "ctx.alert")
    assert pace.time_to_full(c.limit_samples, "five_hour", resets5, T0, 90.0) == pytest.approx(450.0)


def test_readings_seconds_apart_are_no_pace_yet():
    # 20 points in 20 s is a burst, not a pace: nothing until five minutes have been observed.
    render(T0 - 20, 50.0, 5.0, T0 + 3600, T0 + 86400)
    c = render(T0, 70.0, 5.0, T0 + 3600, T0 + 86400)
    assert shown(c) == "5h 70% ↻11:00 · 7d 5%"
    assert pace.time_to_full(c.limit_samples, "five_hour", T0 + 3600, T0, 70.0) is None


def test_a_fractional_resets_at_is_the_same_series():
    resets5 = T0 + 3600.5  # 11:00:00.5, kept to the second in limits.samples
    render(T0 - 600, 50.0, 5.0, resets5, T0 + 86400.25)
    c = render(T0, 60.0, 5.0, resets5, T0 + 86400.25)
    # 10 points in 600 s: the 40 left take 2400 s, full at 10:40, before the reset.
    assert shown(c) == "5h 60% → full 10:40 · 7d 5%"


@pytest.mark.parametrize(
    ("then", "expected"),
    [
        (50.0, "→ full Thu 10:30"),  # 1 point in 1800 s: the 49 left take 88,200 s
        # 0.15 points in 1800 s: 49 × 1800 / 0.15 = 588,000 s, next Wednesday 05:20: a weekday
        # alone would read as today's, so the date
        (50.85, "→ full Dec 2 05:20"),
    ],
)
def test_an_eta_on_another_day_says_which(then, expected):
    resets7 = T0 + 7 * 86400  # next Wednesday 10:00
    render(T0 - 1800, 10.0, then, T0 + 3600, resets7)
    c = render(T0, 10.0, 51.0, T0 + 3600, resets7)
    assert shown(c) == f"5h 10% ↻11:00 · 7d 51% {expected}"


@pytest.mark.parametrize(("zone", "expected"), [("UTC0", "10:30"), ("<-10>10", "Wed 00:30")])
def test_today_is_the_local_day(monkeypatch, zone, expected):
    import time

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    now = T0 - 1800  # 09:30Z: Wednesday in UTC, 23:30 on Tuesday ten hours west
    render(now - 1800, 70.0, 5.0, now + 2 * 3600, now + 86400)
    c = render(now, 80.0, 5.0, now + 2 * 3600, now + 86400)  # 20 points left at 10 per 1800 s: 3600 s
    assert limits.limits(c)[0] == (f"5h 80% → full {expected}", "ctx.warn")


@pytest.mark.parametrize("bad", [-10.0, 1e299, float("nan"), float("inf"), -float("inf"), 250.0])
def test_a_percentage_no_window_can_show_is_unknown(bad):
    c = render(T0, bad, 5.0, T0 + 3600, T0 + 86400)
    assert limits.limits(c) == [("5h ?% ↻11:00", "muted"), (" · ", "muted"), ("7d 5%", "ctx.ok")]
    assert limits.block(c) == [("5h ?% 1h left", "muted")]
    assert [s[1] for s in c.limit_samples] == ["seven_day"]  # an unknown reading is not a sample


def test_a_little_past_100_is_shown_as_given():
    # The request that crosses the limit completes: a window can read a little over 100 %.
    c = render(T0, 104.0, 5.0, T0 + 3600, T0 + 86400)
    assert shown(c) == "5h 104% ↻11:00 · 7d 5%"


@pytest.mark.parametrize(("pct", "label", "style"), [(49.4, "49%", "ctx.ok"), (49.6, "50%", "ctx.warn")])
def test_the_colour_follows_the_percentage_shown(pct, label, style):
    c = render(T0, pct, 5.0, T0 + 3600, T0 + 86400)
    assert limits.limits(c)[0] == (f"5h {label} ↻11:00", style)
    assert limits.block(c) == [(f"5h {label} 1h left", style)]


def test_a_stale_reading_from_an_idle_session_is_no_pace():
    """Two sessions in the same 5-hour window. The active one reads 78 % at 09:28:20 and 09:30:10
    and 80 % at 10:00; an idle one, whose last response was an hour ago, still sends 40 % on
    every refresh (Claude Code sends a session's window as of its last response). By hand the
    window rose 2 points in the half hour: the 20 left take 18,000 s, long after the reset at
    12:00, so no ETA. The idle session's 40 % at 09:29:50 is taken as the percentage in force
    at 09:30: 40 points in 1800 s, `→ full 10:15` in red."""
    resets5 = T0 + 2 * 3600
    render(T0 - 1900, 78.0, 5.0, resets5, T0 + 86400)  # active session
    render(T0 - 1810, 40.0, 5.0, resets5, T0 + 86400)  # idle session, stale
    render(T0 - 1790, 78.0, 5.0, resets5, T0 + 86400)  # active session
    c = render(T0, 80.0, 5.0, resets5, T0 + 86400)
    assert shown(c) == "5h 80% ↻12:00 · 7d 5%"


def test_the_idle_session_s_own_line_shows_its_reading_and_no_pace():
    """The same two sessions seen from the idle one: its payload reads 40 % while the series has
    read 70 %. Which reading is stale cannot be told from one payload (another account sharing
    the cache, or a drop without a new resets_at, read the same), so its line shows what it was
    sent and no ETA; the active session's line, reading the highest, shows the pace: 60 % in
    force at 09:30, 70 % now, so the 30 points left take 30 × 1800 / 10 = 5400 s, 11:30."""
    resets5 = T0 + 2 * 3600
    render(T0 - 1900, 60.0, 5.0, resets5, T0 + 86400)
    render(T0 - 600, 70.0, 5.0, resets5, T0 + 86400)
    idle = render(T0, 40.0, 5.0, resets5, T0 + 86400)
    assert shown(idle) == "5h 40% ↻12:00 · 7d 5%"
    assert pace.time_to_full(idle.limit_samples, "five_hour", resets5, T0, 40.0) is None
    active = render(T0, 70.0, 5.0, resets5, T0 + 86400)
    assert limits.limits(active)[0] == ("5h 70% → full 11:30", "ctx.warn")


def test_sessions_taking_turns_append_nothing_after_the_first_reading():
    # The active session at 78 %, the idle one at 40 %, taking turns for 50 renders each: the
    # file keeps the one 78 % line (it used to gain a line every render, and trim).
    resets5 = T0 + 2 * 3600
    render(T0 - 1900, 78.0, 5.0, resets5, T0 + 86400)
    for i in range(50):
        render(T0 - 1800 + 20 * i, 40.0, 5.0, resets5, T0 + 86400)
        render(T0 - 1790 + 20 * i, 78.0, 5.0, resets5, T0 + 86400)
    with open(os.path.join(os.environ["COSTLINE_CACHE_DIR"], "limits.samples")) as fh:
        lines = fh.read().splitlines()
    assert lines == [
        f"{T0 - 1900:.3f} five_hour {resets5:.0f} 78.00",
        f"{T0 - 1900:.3f} seven_day {T0 + 86400:.0f} 5.00",
    ]


def test_a_stale_line_already_in_the_file_is_not_the_start():
    # A file written before stale readings were refused: 78 % at 09:28:20, the idle session's
    # 40 % at 09:29:50, 78 % again at 09:30:10. In force at 09:30 is the highest by then, 78 %:
    # 2 points to 80 % in 1800 s, the 20 left take 18,000 s.
    resets5 = T0 + 2 * 3600
    samples = [(T0 - t, "five_hour", resets5, p) for t, p in ((1900, 78.0), (1810, 40.0), (1790, 78.0))]
    assert pace.time_to_full(samples, "five_hour", resets5, T0, 80.0) == pytest.approx(18_000.0)


def test_a_drop_without_a_new_resets_at_is_not_recorded_and_not_paced():
    """A payload reading below the series' highest with the same resets_at: stale or a drop the
    window did not announce. Neither is recorded; the series goes on from its highest: 70 % was
    in force at 09:40 when 74 % is read at 10:10, 4 points in 1800 s, the 26 left take 11,700 s,
    13:25, and the window resets at 12:00: the reset is shown."""
    resets5 = T0 + 2 * 3600
    render(T0 - 3600, 50.0, 5.0, resets5, T0 + 86400)
    render(T0 - 1200, 70.0, 5.0, resets5, T0 + 86400)
    dropped = render(T0, 20.0, 5.0, resets5, T0 + 86400)
    assert shown(dropped) == "5h 20% ↻12:00 · 7d 5%"
    assert [(s[0], s[3]) for s in dropped.limit_samples if s[1] == "five_hour"] == [
        (T0 - 3600, 50.0),
        (T0 - 1200, 70.0),
    ]
    c = render(T0 + 600, 74.0, 5.0, resets5, T0 + 86400)
    assert pace.time_to_full(c.limit_samples, "five_hour", resets5, T0 + 600, 74.0) == pytest.approx(11_700.0)
    assert shown(c) == "5h 74% ↻12:00 · 7d 5%"


def test_a_window_that_resets_starts_a_series_of_its_own():
    """The 5-hour window read 90 % until it reset at 09:50; the new one (resets 14:50) reads 2 %
    at 09:51 and 12 % at 10:00. The old series' 90 % is neither its start nor a highest that
    refuses its readings: 10 points in 540 s, the 88 left take 88 × 54 = 4752 s, 11:19, yellow.
    An idle session still sending the old window's 90 % shows `5h ?%` (a reading whose reset has
    passed is stale) and appends nothing."""
    old, new = T0 - 600, T0 - 600 + 5 * 3600
    render(T0 - 3000, 85.0, 5.0, old, T0 + 86400)
    render(T0 - 2400, 90.0, 5.0, old, T0 + 86400)
    render(T0 - 540, 2.0, 5.0, new, T0 + 86400)
    c = render(T0, 12.0, 5.0, new, T0 + 86400)
    assert limits.limits(c)[0] == ("5h 12% → full 11:19", "ctx.warn")
    assert pace.time_to_full(c.limit_samples, "five_hour", new, T0, 12.0) == pytest.approx(4752.0)
    idle = render(T0, 90.0, 5.0, old, T0 + 86400)
    assert shown(idle) == "5h ?% · 7d 5%"
    assert idle.limit_samples == c.limit_samples


def test_the_7_day_window_is_paced_beside_the_5_hour_one_across_its_reset():
    """One render paces both windows, each from its own series. 7-day (resets Saturday): 40 %
    since 08:00, 41 % at 09:41:40, 43 % at 10:00: 3 points since 09:30, the 57 left take
    57 × 600 = 34,200 s, 19:30. 5-hour: reset at 09:40 (95 % before), 1 % at 09:41:40 and 11 %
    at 10:00: 10 points in 1100 s, the 89 left take 9790 s, 12:43 (before its reset at 14:40)."""
    resets7, old5, new5 = T0 + 3 * 86400, T0 - 1200, T0 - 1200 + 5 * 3600
    render(T0 - 7200, 90.0, 40.0, old5, resets7)
    render(T0 - 1500, 95.0, 40.0, old5, resets7)
    render(T0 - 1100, 1.0, 41.0, new5, resets7)
    c = render(T0, 11.0, 43.0, new5, resets7)
    assert limits.limits(c) == [
        ("5h 11% → full 12:43", "ctx.ok"),
        (" · ", "muted"),
        ("7d 43% → full 19:30", "ctx.ok"),
    ]
    assert pace.time_to_full(c.limit_samples, "seven_day", resets7, T0, 43.0) == pytest.approx(34_200.0)
    assert pace.time_to_full(c.limit_samples, "five_hour", new5, T0, 11.0) == pytest.approx(9790.0)
