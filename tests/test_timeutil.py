"""Timestamps and local days, by hand, in zones with offsets, half hours and DST (POSIX TZ strings)."""

from __future__ import annotations

import time

import pytest

from statusline.timeutil import (
    civil_from_days,
    local_day_bounds_ms,
    local_day_start_s,
    parse_iso_ms,
    utc_day_name,
)

H = 3_600_000


def set_tz(monkeypatch, tz: str) -> None:
    monkeypatch.setenv("TZ", tz)
    time.tzset()


def test_parse_iso_ms_by_hand():
    assert parse_iso_ms("1970-01-01T00:00:00.000Z") == 0
    assert parse_iso_ms("2026-11-25T01:36:48.119Z") == 1795570608119
    assert parse_iso_ms("2026-11-25T03:36:48.119+02:00") == 1795570608119
    assert parse_iso_ms("2026-11-24T20:06:48.119-05:30") == 1795570608119
    assert parse_iso_ms("2024-02-29T12:00:00Z") == 1709208000000


@pytest.mark.parametrize(
    "bad",
    [
        None,
        5,
        "",
        "2026-13-01T00:00:00Z",
        "2026-11-25T25:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-11-25T01:36:48",
        "2026-11-25T01:36:48.Z",
        "2026-11-25T01:36:48+2:00",
        "2026-11-25T01:36:48+24:00",
        "2026-11-25T01:36:48 Z",
        "２026-11-25T01:36:48Z",
    ],
)
def test_parse_iso_ms_rejects(bad):
    assert parse_iso_ms(bad) is None


@pytest.mark.parametrize(
    "good",
    [
        "2026-11-25T01:36:48.1Z",
        "2026-11-25T01:36:48.119999Z",
        "2026-11-25T03:36:48.119+0200",
        "2026-11-25T03:36:48.119+02",
        "2026-11-25 01:36:48.119Z",
        "2026-11-25t01:36:48.119z",
    ],
)
def test_parse_iso_ms_accepts_what_an_iso_reader_would(good):
    assert parse_iso_ms(good) // 1000 == 1795570608


def test_fraction_digits_are_cut_to_milliseconds():
    assert parse_iso_ms("2026-11-25T01:36:48.1Z") % 1000 == 100
    assert parse_iso_ms("2026-11-25T01:36:48.98765Z") % 1000 == 987
    assert parse_iso_ms("2026-11-25T01:36Z") == 1795570560000


def test_a_remembered_hour_gives_what_the_full_parse_gives():
    # The usual form is parsed once per hour, then read from the hour's start: every minute,
    # second (the leap second 60 too) and millisecond, and what the full parse refuses.
    import random

    from statusline import timeutil

    rng = random.Random(7)
    digits = "0123456789"
    for _ in range(20_000):
        mm = rng.choice([f"{rng.randrange(60):02d}", "60", "99", "6x", "\uff16" + "0"])
        ss = rng.choice([f"{rng.randrange(61):02d}", "61", "99", "0 "])
        frac = "".join(rng.choice(digits) for _ in range(3)) if rng.random() < 0.95 else "1a3"
        text = f"2026-11-{rng.choice(['24', '25'])}T{rng.choice(['00', '23'])}:{mm}:{ss}.{frac}Z"
        if rng.random() < 0.3:
            timeutil._HOURS.clear()
        assert parse_iso_ms(text) == timeutil._parse_iso_ms(text), text
    assert parse_iso_ms("2026-11-25T01:00:00.000Z") is not None
    assert parse_iso_ms("2026-11-25T01:36:60.500Z") == parse_iso_ms("2026-11-25T01:37:00.500Z")


def test_civil_round_trip():
    for days in range(-800, 30000, 37):
        y, m, d = civil_from_days(days)
        assert parse_iso_ms(f"{y:04d}-{m:02d}-{d:02d}T00:00:00Z") == days * 86_400_000
    assert utc_day_name(1795570608119) == "2026-11-25"


def test_local_day_in_new_york_winter(monkeypatch):
    set_tz(monkeypatch, "EST5EDT,M3.2.0,M11.1.0")
    now = parse_iso_ms("2026-11-25T03:00:00.000Z") / 1000  # 22:00 on the 24th in New York
    start, end, name = local_day_bounds_ms(now)
    assert name == "2026-11-24"
    assert start == parse_iso_ms("2026-11-24T05:00:00.000Z") and end - start == 24 * H


def test_local_day_in_kolkata_half_hour_offset(monkeypatch):
    set_tz(monkeypatch, "IST-5:30")
    now = parse_iso_ms("2026-11-24T19:00:00.000Z") / 1000  # 00:30 on the 25th in Kolkata
    start, end, name = local_day_bounds_ms(now)
    assert name == "2026-11-25"
    assert start == parse_iso_ms("2026-11-24T18:30:00.000Z") and end - start == 24 * H


def test_dst_days_are_23_and_25_hours(monkeypatch):
    set_tz(monkeypatch, "EST5EDT,M3.2.0,M11.1.0")
    spring = local_day_bounds_ms(parse_iso_ms("2026-03-08T17:00:00.000Z") / 1000)
    autumn = local_day_bounds_ms(parse_iso_ms("2026-11-01T17:00:00.000Z") / 1000)
    assert spring[2] == "2026-03-08" and spring[1] - spring[0] == 23 * H
    assert autumn[2] == "2026-11-01" and autumn[1] - autumn[0] == 25 * H


def zone_file(name: str) -> str:
    """TZ naming an IANA zone's file: the system's, else the `tzdata` package's.

    The package's files are "slim" (later years only in the footer rule), which glibc 2.36 gets
    wrong (Havana stays on daylight time after 2026-11-01); the system's files are "fat".
    """
    import os

    system = os.path.join("/usr/share/zoneinfo", name)
    if os.path.isfile(system):
        return ":" + system
    import tzdata

    return ":" + os.path.join(os.path.dirname(tzdata.__file__), "zoneinfo", *name.split("/"))


HAVANA = ["CST5CDT,M3.2.0/0,M11.1.0/1", zone_file("America/Havana")]


@pytest.mark.parametrize("tz", HAVANA)
@pytest.mark.parametrize(
    "now",
    [
        "2026-11-01T04:30:00.000Z",
        "2026-11-01T05:30:00.000Z",
        "2026-11-01T17:00:00.000Z",
        "2026-11-02T04:59:59.000Z",
    ],
)
def test_havana_day_with_two_midnights_starts_at_the_first(monkeypatch, tz, now):
    """2026-11-01: at 01:00 the clock goes back to 00:00; the day runs 04:00Z to 05:00Z next day."""
    set_tz(monkeypatch, tz)
    start, end, name = local_day_bounds_ms(parse_iso_ms(now) / 1000)
    assert name == "2026-11-01"
    assert (start, end) == (
        parse_iso_ms("2026-11-01T04:00:00.000Z"),
        parse_iso_ms("2026-11-02T05:00:00.000Z"),
    )


@pytest.mark.parametrize("tz", HAVANA)
@pytest.mark.parametrize(
    "now", ["2026-03-08T05:00:00.000Z", "2026-03-08T17:00:00.000Z", "2026-03-09T03:59:59.000Z"]
)
def test_havana_day_without_a_midnight_starts_at_one(monkeypatch, tz, now):
    """2026-03-08: 00:00 becomes 01:00, so the day starts at 01:00 CDT (05:00Z) and lasts 23 hours."""
    set_tz(monkeypatch, tz)
    start, end, name = local_day_bounds_ms(parse_iso_ms(now) / 1000)
    assert name == "2026-03-08"
    assert (start, end) == (
        parse_iso_ms("2026-03-08T05:00:00.000Z"),
        parse_iso_ms("2026-03-09T04:00:00.000Z"),
    )


@pytest.mark.parametrize(
    ("tz", "now", "start", "hours"),
    [
        ("<+0520>-5:20", "2026-11-01T18:41:00.000Z", "2026-11-01T18:40:00.000Z", 24),
        (zone_file("Asia/Kathmandu"), "2026-11-01T18:16:00.000Z", "2026-11-01T18:15:00.000Z", 24),
        (zone_file("Pacific/Chatham"), "2026-11-01T10:16:00.000Z", "2026-11-01T10:15:00.000Z", 24),
        # Lord Howe: +10:30, +11 in summer (30-minute DST from 02:00 on 2026-10-04).
        (zone_file("Australia/Lord_Howe"), "2026-10-04T12:00:00.000Z", "2026-10-03T13:30:00.000Z", 23.5),
        (zone_file("Africa/Monrovia"), "1971-06-01T12:00:00.000Z", "1971-06-01T00:44:30.000Z", 24),
    ],
)
def test_day_bounds_in_odd_offsets(monkeypatch, tz, now, start, hours):
    set_tz(monkeypatch, tz)
    s, e, _ = local_day_bounds_ms(parse_iso_ms(now) / 1000)
    assert s == parse_iso_ms(start) and e - s == hours * H


@pytest.mark.parametrize("tz", HAVANA)
def test_month_and_day_starts_by_date(monkeypatch, tz):
    set_tz(monkeypatch, tz)
    assert local_day_start_s(2026, 11, 1) * 1000 == parse_iso_ms("2026-11-01T04:00:00.000Z")
    assert local_day_start_s(2026, 3, 8) * 1000 == parse_iso_ms("2026-03-08T05:00:00.000Z")
    assert local_day_start_s(2026, 13, 1) * 1000 == parse_iso_ms("2027-01-01T05:00:00.000Z")


def test_remembered_minutes_give_the_full_parsers_answer():
    import random

    from statusline import timeutil

    rng = random.Random(3)
    digits = "0123456789"
    for _ in range(20_000):
        text = (
            f"2026-11-{rng.randrange(28, 31):02d}T{rng.randrange(22, 24):02d}:{rng.randrange(58, 60):02d}:"
            + rng.choice(["", "6", "x", "٣"])
            + "".join(rng.choice(digits[:7]) for _ in range(2))
            + "."
            + "".join(rng.choice(digits) for _ in range(3))
            + "Z"
        )
        assert timeutil.parse_iso_ms(text) == timeutil._parse_iso_ms(text), text


def test_projection_scales_spend_by_the_elapsed_fraction_of_the_period():
    from statusline.timeutil import projected

    start, end = 1_793_491_200, 1_793_491_200 + 30 * 86400  # 2026-11-01T00:00Z, a 30-day month
    # $0.30 in the first 4.5 days: 0.30 / 4.5 * 30 = $2.00 (not 0.30 / 5 days * 30 = $1.80).
    assert projected(0.30, start, end, start + 4.5 * 86400) == pytest.approx(2.00)
    # The first minutes count as an hour: $0.01 at 00:06 is not $72 by month end.
    assert projected(0.01, start, end, start + 360) == pytest.approx(0.01 * 720)
    assert projected(6.0, start, end, end + 5) == pytest.approx(6.0)  # a period already over: as is
