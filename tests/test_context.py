"""The render's today equals `report daily` for that day, in every kind of time zone.

today = every logged message of the local day, deduplicated, at your prices + what Claude Code
charged that day without logging it, at your prices. The render (C library local time, UTC
quarter-hour buckets, a boundary quarter-hour split by message times) and the report
(`zoneinfo` or local time) compute it separately; these tests hold them to the same figure.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime

import pytest
from helpers import ONE, assistant, write_transcript
from index_helpers import refresh
from test_timeutil import zone_file

from statusline import report as rp
from statusline.cli.report import unlogged_by_period
from statusline.context import Context
from statusline.index import unlogged
from statusline.price_table import load_table
from statusline.timeutil import local_day_bounds_ms, parse_iso_ms


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def set_tz(monkeypatch, tz: str) -> None:
    monkeypatch.setenv("TZ", tz)
    time.tzset()


def log(config_dir, times_ms: list[int]) -> None:
    lines = [assistant(msg_id=f"m{i}", request_id=f"r{i}", ts=iso(t)) for i, t in enumerate(times_ms)]
    write_transcript(config_dir, "p", "s1.jsonl", lines)
    refresh()


def render_today(now_ms: int) -> tuple[str, float]:
    ctx = Context({}, now_ms / 1000, os.environ, os.environ["COSTLINE_CACHE_DIR"])
    return local_day_bounds_ms(now_ms / 1000)[2], ctx.today().usd + ctx.unlogged_today()


def report_daily(tz_name: str | None = None) -> dict[str, float]:
    cache = os.environ["COSTLINE_CACHE_DIR"]
    tz = rp.zone(tz_name)
    days = {
        k: r.cost for k, r in rp.grouped(rp.Store(cache), rp.Pricer(load_table(cache)), "day", tz).items()
    }
    for k, usd in unlogged_by_period("day", tz).items():
        days[k] = days.get(k, 0.0) + usd
    return days


@pytest.mark.parametrize("tz", ["CST5CDT,M3.2.0/0,M11.1.0/1", zone_file("America/Havana")])
def test_havana_first_hour_is_today_in_render_and_report(config_dir, monkeypatch, tz):
    """2026-11-01 starts at the first of two midnights (04:00Z); its first hour is today."""
    set_tz(monkeypatch, tz)
    at = parse_iso_ms
    log(
        config_dir,
        [at("2026-11-01T03:59:00.000Z"), at("2026-11-01T04:30:00.000Z"), at("2026-11-02T04:59:00.000Z")],
    )
    name, usd = render_today(at("2026-11-01T17:00:00.000Z"))
    assert name == "2026-11-01" and usd == pytest.approx(2 * ONE)
    assert report_daily()["2026-11-01"] == pytest.approx(2 * ONE)


@pytest.mark.parametrize(
    ("tz", "midnight", "report_zone"),
    [
        ("<+0520>-5:20", "2026-11-01T18:40:00.000Z", None),  # not a multiple of 15 minutes
        (zone_file("Asia/Kathmandu"), "2026-11-01T18:15:00.000Z", "Asia/Kathmandu"),
        (zone_file("Pacific/Chatham"), "2026-11-01T10:15:00.000Z", "Pacific/Chatham"),
        (zone_file("Australia/Lord_Howe"), "2026-10-03T13:30:00.000Z", "Australia/Lord_Howe"),
        (zone_file("Africa/Monrovia"), "1971-06-01T00:44:30.000Z", "Africa/Monrovia"),  # -0:44:30
    ],
)
def test_messages_a_minute_either_side_of_midnight(config_dir, monkeypatch, tz, midnight, report_zone):
    set_tz(monkeypatch, tz)
    m = parse_iso_ms(midnight)
    log(config_dir, [m - 60_000, m + 60_000, m + 61_000])
    cache = os.environ["COSTLINE_CACHE_DIR"]
    unlogged.observe(cache, "s1", 0.0, 0.0, m - 120_000)  # baseline, then growth either side
    unlogged.observe(cache, "s1", 0.5, 0.0, m - 30_000)
    unlogged.observe(cache, "s1", 0.75, 0.0, m + 30_000)
    before, after = render_today(m - 1000), render_today(m + 1000)
    assert before[1] == pytest.approx(ONE + 0.5) and after[1] == pytest.approx(2 * ONE + 0.25)
    days = report_daily(report_zone)
    assert (days[before[0]], days[after[0]]) == pytest.approx((before[1], after[1]))


ZONES = int(os.environ.get("COSTLINE_ZONE_SAMPLE", "40"))


def sample_zones() -> list[str]:
    from zoneinfo import available_timezones

    names = sorted(z for z in available_timezones() if os.path.isfile(os.path.join("/usr/share/zoneinfo", z)))
    return random.Random(11).sample(names, min(ZONES, len(names)))


@pytest.mark.parametrize("zone", sample_zones())
def test_render_today_equals_report_daily_in_any_zone(config_dir, monkeypatch, zone):
    """A message a minute before and after local midnight, on a random day from 1970 to 2037."""
    from zoneinfo import ZoneInfo

    set_tz(monkeypatch, zone_file(zone))
    rnd = random.Random(zone)
    day = datetime.fromtimestamp(rnd.randrange(0, 2_145_916_800), UTC)
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).timestamp() * 1000)
    log(config_dir, [midnight - 60_000, midnight + 60_000])
    days = report_daily(zone)
    for now in (midnight - 30_000, midnight + 30_000, midnight + 3_600_000):
        name, usd = render_today(now)
        assert usd == pytest.approx(days.get(name, 0.0)), (zone, name)
