"""Timestamps and local days, by hand, in zones with offsets, half hours and DST (POSIX TZ strings)."""

from __future__ import annotations

import time

import pytest

from statusline.timeutil import civil_from_days, local_day_bounds_ms, parse_iso_ms, utc_day_name

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
