"""report.py's helpers a report runs for every quarter-hour bucket: the same dates and sums as
their plain forms (strftime, a loop over the token counts, min and max)."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from statusline.report import add_bucket, local_date, qh_date
from statusline.timeutil import QUARTER_HOUR_MS

ZONES = ["UTC", "Australia/Lord_Howe", "America/St_Johns", "Asia/Kathmandu", "Europe/Berlin", "Pacific/Apia"]


@pytest.mark.parametrize("name", ZONES)
def test_local_dates_are_strftimes(name):
    tz = ZoneInfo(name)
    rng = random.Random(name)
    instants = [rng.randrange(0, 2_000_000_000_000) for _ in range(3000)]
    # Around the zone's transitions of 2026 too (every quarter-hour of two weeks in spring and autumn).
    for start in (datetime(2026, 3, 20, tzinfo=tz), datetime(2026, 9, 20, tzinfo=tz)):
        first = int(start.timestamp() * 1000)
        instants += [
            first + k * QUARTER_HOUR_MS + rng.choice([0, 1, QUARTER_HOUR_MS - 1]) for k in range(4000)
        ]
    for ms in instants:
        assert local_date(ms, tz) == datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%d")
    for qh in (ms // QUARTER_HOUR_MS for ms in instants):
        start, end = (
            datetime.fromtimestamp(t / 1000, tz).strftime("%Y-%m-%d")
            for t in (qh * QUARTER_HOUR_MS, (qh + 1) * QUARTER_HOUR_MS - 1)
        )
        assert qh_date(qh, tz) == (start if start == end else None)


def test_the_systems_zone_dates_as_strftime_does(monkeypatch):
    monkeypatch.setenv("TZ", "Australia/Lord_Howe")
    import time

    time.tzset()
    try:
        for ms in random.Random(1).sample(range(0, 2_000_000_000_000), 2000):
            assert local_date(ms, None) == datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_buckets_sums_are_added_as_a_loop_adds_them():
    rng = random.Random(3)
    sums: dict[object, tuple[int, list[float]]] = {}
    plain: dict[object, tuple[int, list[float]]] = {}
    for _ in range(5000):
        group = rng.randrange(20)
        qh = rng.randrange(1000)
        vec = [
            rng.choice([1, 2]),
            *(rng.randrange(10**6) for _ in range(5)),
            rng.choice([0.0, 0.1, 1e-9, 3.3]),
        ]
        vec += [float(rng.randrange(10**12)), float(rng.randrange(10**12))]
        add_bucket(sums, group, qh, vec)
        total = plain.get(group)
        if total is None:
            plain[group] = (qh, [*vec[:7], int(vec[7]), int(vec[8])])
        else:
            summed = total[1]
            for i in range(7):
                summed[i] += vec[i]
            summed[7], summed[8] = min(summed[7], int(vec[7])), max(summed[8], int(vec[8]))
    assert repr(sums) == repr(plain)  # the same floats, bit for bit, and the same types
