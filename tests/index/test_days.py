"""Which messages are 'today': local calendar days built from UTC quarter-hours, by hand."""

from __future__ import annotations

import time

import pytest
from helpers import assistant, write_transcript
from index_helpers import refresh

from statusline.index.readback import range_buckets
from statusline.pricing import MODELS, price_buckets
from statusline.timeutil import local_day_bounds_ms, parse_iso_ms

ONE = 10 * 5 / 1e6 + 100 * 25 / 1e6


def today_cost(now_iso: str) -> float:
    start, end, _ = local_day_bounds_ms(parse_iso_ms(now_iso) / 1000)
    return price_buckets(range_buckets(refresh(), start, end), MODELS).usd


@pytest.mark.parametrize(
    ("tz", "now", "inside", "outside"),
    [
        # New York, winter: the local day is 05:00Z..05:00Z next day.
        (
            "EST5EDT,M3.2.0,M11.1.0",
            "2026-11-25T03:00:00.000Z",
            ["2026-11-24T05:00:00.000Z", "2026-11-25T04:59:59.999Z"],
            ["2026-11-24T04:59:59.999Z", "2026-11-25T05:00:00.000Z"],
        ),
        # Kolkata, +05:30: the day starts at 18:30Z the day before.
        (
            "IST-5:30",
            "2026-11-24T19:00:00.000Z",
            ["2026-11-24T18:30:00.000Z", "2026-11-25T18:29:59.999Z"],
            ["2026-11-24T18:29:59.999Z", "2026-11-25T18:30:00.000Z"],
        ),
        # Chatham Islands, +13:45 in summer: a quarter-hour offset.
        (
            "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
            "2026-11-25T00:00:00.000Z",
            ["2026-11-24T10:15:00.000Z", "2026-11-25T10:14:59.999Z"],
            ["2026-11-24T10:14:59.999Z", "2026-11-25T10:15:00.000Z"],
        ),
    ],
)
def test_local_midnight_boundaries(config_dir, monkeypatch, tz, now, inside, outside):
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    lines = [assistant(msg_id=f"m{i}", request_id=f"r{i}", ts=ts) for i, ts in enumerate(inside + outside)]
    write_transcript(config_dir, "p", "s1.jsonl", lines)
    assert today_cost(now) == pytest.approx(len(inside) * ONE)


def test_dst_day_has_25_hours_of_messages(config_dir, monkeypatch):
    monkeypatch.setenv("TZ", "EST5EDT,M3.2.0,M11.1.0")
    time.tzset()
    # 2026-11-01 in New York runs from 04:00Z to 05:00Z next day.
    inside = ["2026-11-01T04:00:00.000Z", "2026-11-02T04:59:00.000Z"]
    outside = ["2026-11-01T03:59:00.000Z", "2026-11-02T05:00:00.000Z"]
    lines = [assistant(msg_id=f"m{i}", request_id=f"r{i}", ts=ts) for i, ts in enumerate(inside + outside)]
    write_transcript(config_dir, "p", "s1.jsonl", lines)
    assert today_cost("2026-11-01T17:00:00.000Z") == pytest.approx(2 * ONE)
