"""Reports: the same numbers as the status line, ccusage-shaped JSON, blocks, chart."""

from __future__ import annotations

import json
import re
import time

import pytest
from helpers import ONE, assistant, payload, run_costline, wait_for_refresh, write_transcript


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def report(*args: str) -> dict:
    proc = run_costline(b"", "report", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def corpus(config_dir):
    write_transcript(
        config_dir,
        "-home-u-app",
        "s1.jsonl",
        [
            assistant(msg_id="a", request_id="ra", ts="2026-11-20T10:00:00.000Z"),
            assistant(msg_id="b", request_id="rb", ts="2026-11-20T23:30:00.000Z", model="claude-sonnet-4-6"),
        ],
    )
    write_transcript(
        config_dir,
        "-home-u-lib",
        "s2.jsonl",
        [
            assistant(msg_id="c", request_id="rc", session="s2", ts="2026-11-21T01:00:00.000Z"),
            assistant(msg_id="c", request_id="rc", session="s2", ts="2026-11-21T01:00:01.000Z"),
        ],
    )
    return config_dir


def test_daily_json_in_utc_and_another_zone(corpus):
    utc = report("daily", "-z", "UTC")
    assert [d["period"] for d in utc["daily"]] == ["2026-11-20", "2026-11-21"]
    sonnet = (10 * 3 + 100 * 15) / 1e6
    assert utc["daily"][0]["totalCost"] == pytest.approx(ONE + sonnet)
    assert utc["daily"][0]["modelsUsed"] == ["claude-opus-4-8", "claude-sonnet-4-6"]
    assert utc["totals"]["totalCost"] == pytest.approx(2 * ONE + sonnet)
    assert utc["totals"]["inputTokens"] == 30
    tokyo = report("daily", "-z", "Asia/Tokyo", "--no-refresh")  # +9: 23:30Z belongs to the 21st
    assert [d["period"] for d in tokyo["daily"]] == ["2026-11-20", "2026-11-21"]
    assert tokyo["daily"][1]["totalCost"] == pytest.approx(ONE + sonnet)


def test_filters(corpus):
    assert report("daily", "--since", "20261121")["totals"]["totalCost"] == pytest.approx(ONE)
    assert report("daily", "--until", "2026-11-20", "-z", "UTC")["daily"][0]["period"] == "2026-11-20"
    assert report("daily", "--project", "lib")["totals"]["totalCost"] == pytest.approx(ONE)
    assert report("daily", "--model", "sonnet")["totals"]["totalCost"] == pytest.approx(
        (10 * 3 + 100 * 15) / 1e6
    )
    assert [m["month"] if "month" in m else m["period"] for m in report("monthly")["monthly"]] == ["2026-11"]


def test_session_report(corpus):
    sessions = report("session")["sessions"]
    assert [s["sessionId"] for s in sessions] == ["s2", "s1"]
    assert sessions[0]["projectPath"] == "-home-u-lib" and sessions[0]["totalCost"] == pytest.approx(ONE)


def test_bad_arguments_are_one_line_errors(corpus):
    for args in (["daily", "--since", "yesterday"], ["daily", "-z", "Mars/Olympus"]):
        proc = run_costline(b"", "report", *args)
        assert proc.returncode == 2 and len(proc.stderr.decode().strip().splitlines()) == 1


def test_report_today_equals_the_status_line(config_dir, tmp_path):
    now = time.time()
    lines = [
        assistant(msg_id=f"m{i}", request_id=f"r{i}", ts=iso(now - 60 * i), usage={"output_tokens": 1000 * i})
        for i in range(1, 20)
    ]
    path = write_transcript(config_dir, "p", "s1.jsonl", lines)
    run_costline(payload(path))
    wait_for_refresh(tmp_path / "cache")
    line = run_costline(payload(path), env={"NO_COLOR": "1"}).stdout.decode()
    shown = re.search(r"\$([0-9.]+) today", line).group(1)
    today = time.strftime("%Y-%m-%d", time.localtime(now))
    days = {d["period"]: d["totalCost"] for d in report("daily")["daily"]}
    assert f"{days[today]:.2f}" == shown


def test_blocks(config_dir):
    now = time.time()
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [
            assistant(msg_id="old", request_id="r0", ts=iso(now - 20 * 3600)),
            assistant(msg_id="a", request_id="ra", ts=iso(now - 3600)),
            assistant(msg_id="b", request_id="rb", ts=iso(now - 600)),
        ],
    )
    found = report("blocks")["blocks"]
    assert [b["isGap"] for b in found] == [False, True, False]
    active = found[-1]
    assert active["isActive"] and active["totalCost"] == pytest.approx(2 * ONE)
    start = time.strptime(active["startTime"], "%Y-%m-%dT%H:%M:%S.000Z")
    assert start.tm_min == 0  # floored to the UTC hour
    rate = active["burnRate"]
    assert rate["costPerHour"] == pytest.approx(2 * ONE / 50 * 60, rel=0.02)
    human = run_costline(b"", "report", "blocks", "--active").stdout.decode()
    assert "active" in human and "left" in human


def test_chart_fits_and_respects_no_color(corpus):
    args = ("report", "daily", "--chart", "7", "--until", "20261121")
    proc = run_costline(b"", *args, env={"NO_COLOR": "1", "COLUMNS": "50"})
    out = proc.stdout.decode()
    assert "\x1b" not in out and "█" in out and "7 days" in out
    assert all(len(line) <= 50 for line in out.splitlines())


def test_human_table_has_totals(corpus):
    out = run_costline(b"", "report", "daily", "--breakdown").stdout.decode()
    assert "Total" in out and "└ opus-4-8" in out and "Cost (USD)" in out


def test_configured_timezone_is_the_default(corpus, tmp_path, monkeypatch):
    settings = tmp_path / "tz.toml"
    settings.write_text('timezone = "Asia/Tokyo"\n[pricing]\noffline = true\n')
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))
    tokyo = report("daily")
    assert tokyo["daily"][1]["totalCost"] == pytest.approx(ONE + (10 * 3 + 100 * 15) / 1e6)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("monday", {"2026-11-16": 1, "2026-11-23": 2}),  # Sunday 22nd closes the week of the 16th
        ("sunday", {"2026-11-22": 3}),
        ("saturday", {"2026-11-21": 2, "2026-11-28": 1}),
    ],
)
def test_weekly_report_by_start_of_week(config_dir, start, expected):
    days = ("2026-11-22", "2026-11-23", "2026-11-28")  # Sunday, Monday, Saturday
    lines = [
        assistant(msg_id=f"m{i}", request_id=f"r{i}", ts=f"{d}T12:00:00.000Z") for i, d in enumerate(days)
    ]
    write_transcript(config_dir, "p", "s1.jsonl", lines)
    doc = report("weekly", "--start-of-week", start)
    assert {row["period"]: round(row["totalCost"] / ONE) for row in doc["weekly"]} == expected
    assert doc["totals"]["totalCost"] == pytest.approx(3 * ONE)
    # --since lists the week the date falls in, with only its days from that date on
    since = report("weekly", "--start-of-week", start, "--since", "20261123")
    week_of_23rd = max(k for k in expected if k <= "2026-11-23")
    assert [row["period"] for row in since["weekly"]] == [k for k in sorted(expected) if k >= week_of_23rd]
    assert since["totals"]["totalCost"] == pytest.approx(2 * ONE)  # the 23rd and the 28th


def test_blocks_show_anthropics_own_five_hour_window_when_seen(config_dir):
    now = time.time()
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(ts=iso(now - 600))])
    body = payload(None, rate_limits={"five_hour": {"used_percentage": 62.4, "resets_at": now + 7200}})
    run_costline(body)  # a render records the window it was shown
    doc = report("blocks")
    assert doc["officialFiveHour"]["usedPercentage"] == pytest.approx(62.4)
    table = run_costline(b"", "report", "blocks").stdout.decode()
    assert "Anthropic's own 5-hour window: 62% used" in table


@pytest.mark.parametrize("start", ["monday", "wednesday", "sunday"])
def test_weekly_report_equals_the_sum_of_its_days(config_dir, start):
    import random

    rng = random.Random(5)
    lines = [
        assistant(
            msg_id=f"m{i}",
            request_id=f"r{i}",
            ts=f"2026-11-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00.000Z",
            usage={"input_tokens": rng.randrange(1, 9000), "output_tokens": rng.randrange(1, 900)},
        )
        for i in range(60)
    ]
    write_transcript(config_dir, "p", "s1.jsonl", lines)
    from datetime import date, timedelta

    first = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday").index(start)
    by_week: dict[str, float] = {}
    for row in report("daily")["daily"]:
        day = date.fromisoformat(row["period"])
        week = (day - timedelta(days=(day.weekday() - first) % 7)).isoformat()
        by_week[week] = by_week.get(week, 0.0) + row["totalCost"]
    weekly = {row["period"]: row["totalCost"] for row in report("weekly", "--start-of-week", start)["weekly"]}
    assert weekly.keys() == by_week.keys()
    assert all(weekly[k] == pytest.approx(by_week[k], abs=1e-9) for k in weekly)


@pytest.mark.parametrize("day", ["20261345", "20260230", "2026-00-10", "0000-01-01"])
def test_a_day_the_calendar_does_not_have_is_a_one_line_error(day):
    for command in (["daily"], ["by", "tool"], ["html", "-o", "/dev/null"]):
        proc = run_costline(b"", "report", *command, "--since", day)
        assert proc.returncode == 2
        assert b"is not a date" in proc.stderr and proc.stderr.count(b"\n") <= 2


def test_a_price_change_within_a_month_prices_each_side_at_its_own_rate(config_dir, tmp_path, monkeypatch):
    """Buckets are summed before pricing, but never across a price period's start."""
    lines = [
        assistant(msg_id=f"m{n}", request_id=f"r{n}", ts=f"2026-11-{day}T{hour:02d}:10:00.000Z")
        for n, (day, hour) in enumerate((("18", 3), ("19", 8), ("19", 23), ("19", 23), ("20", 0)))
    ]
    write_transcript(config_dir, "p", "s1.jsonl", lines)
    settings = tmp_path / "override.toml"
    settings.write_text(
        '[pricing]\noffline = true\n[pricing.overrides."claude-opus-4-8"]\n'
        'input = 7\noutput = 30\nsince = "2026-11-20"\n'
    )
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))
    (row,) = report("monthly", "-z", "UTC")["monthly"]
    # Four messages before the 20th at the list price (ONE each), one after at 10 × $7 + 100 × $30 per MTok.
    assert row["totalCost"] == pytest.approx(4 * ONE + (10 * 7 + 100 * 30) / 1e6, abs=1e-12)


def test_text_reports_print_no_control_or_format_character(config_dir):
    # Found: `report daily` printed model ids and `report session` project folders as they were.
    evil = "\x1b]0;owned\x07\u202e\u2028x"
    write_transcript(
        config_dir,
        f"-home-{evil}",
        "s1.jsonl",
        [assistant(ts="2026-11-20T10:00:00.000Z", model=f"claude-{evil}")],
    )
    for args in (["daily", "--breakdown"], ["session"], ["monthly"]):
        proc = run_costline(b"", "report", *args, "-z", "UTC")
        assert proc.returncode == 0, proc.stderr
        shown = (proc.stdout + proc.stderr).decode()
        assert "owned" in shown or args == ["monthly"], (args, shown)
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e\u2028]", shown), (args, shown)


def test_a_reports_refresh_never_runs_beside_another_refresh(config_dir, monkeypatch):
    """The README: refreshes never overlap (`index refresh` holds bg.lock). `report daily`
    scans without it, so on a first run it parses every transcript a second time beside the
    build a render started, and it can commit into an index `index rebuild --discard-history`
    has just replaced (see test_a_refresh_committing_during_a_discarding_rebuild_loses_no_history).
    Checked from another process: bg.lock is free while the report's scan runs."""
    import os
    import subprocess
    import sys

    from click.testing import CliRunner

    import statusline.cli.report as report_cli
    from statusline.cli import cli

    write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    real_scan, free = report_cli.scan, []
    os.makedirs(os.environ["COSTLINE_CACHE_DIR"], exist_ok=True)
    lock = os.path.join(os.environ["COSTLINE_CACHE_DIR"], "bg.lock")
    probe = "import os,sys; fd=os.open(sys.argv[1], os.O_RDWR|os.O_CREAT, 0o600); os.lockf(fd, os.F_TLOCK, 0)"

    def watched(*args, **kwargs):
        free.append(subprocess.run([sys.executable, "-c", probe, lock], capture_output=True).returncode == 0)
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(report_cli, "scan", watched)
    out = CliRunner().invoke(cli, ["report", "daily", "--json", "-z", "UTC"])
    assert out.exit_code == 0, out.output
    assert free == [False]  # another refresh could not start while this one ran


def test_chart_n_is_n_calendar_days(corpus):
    """Found: `--chart 7` was the last 7 days with usage, whatever their dates."""
    out = run_costline(b"", "report", "daily", "--chart", "4", "--until", "20261122", env={"NO_COLOR": "1"})
    lines = out.stdout.decode().splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [
        "2026-11-19",
        "2026-11-20",
        "2026-11-21",
        "2026-11-22",
    ]
    assert lines[0].split()[1] == "$0.00" and lines[3].split()[1] == "$0.00"
    sonnet = (10 * 3 + 100 * 15) / 1e6
    assert lines[-1].endswith(
        f"4 days, ${2 * ONE + sonnet:.2f} total, ${(2 * ONE + sonnet) / 4:.2f}/day average"
    )
    since = run_costline(b"", "report", "daily", "--chart", "4", "--since", "20261121", "--until", "20261122")
    assert [line.split()[0] for line in since.stdout.decode().splitlines()[:-1]] == [
        "2026-11-21",
        "2026-11-22",
    ]
    # The default ends today: the corpus's days are long past.
    today = run_costline(b"", "report", "daily", "--chart", "3").stdout.decode()
    assert today.startswith("no usage in the 3 days to ")
    every = run_costline(b"", "report", "daily", "--chart", "0", "--until", "20261121").stdout.decode()
    assert "2 days" in every.splitlines()[-1]
