"""Reports at their edges: a date range that cuts a month or week, gap blocks' milliseconds,
days whose only spend is unlogged, and model ids that are not valid Unicode."""

from __future__ import annotations

import json
import os
import re

import pytest
from helpers import ONE, assistant, run_costline, write_transcript

from statusline.index import unlogged
from statusline.timeutil import parse_iso_ms

TWO = 2 * ONE  # an assistant() line with twice the default usage
THREE = 3 * ONE


def report(*args: str) -> dict:
    zone = () if args[0] == "blocks" else ("-z", "UTC")  # blocks are in UTC and take no zone
    proc = run_costline(b"", "report", *args, "--json", *zone)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def line(n: int, ts: str, times: int = 1) -> str:
    usage = {"input_tokens": 10 * times, "output_tokens": 100 * times}
    return assistant(msg_id=f"m{n}", request_id=f"r{n}", ts=ts, usage=usage)


@pytest.fixture
def spread(config_dir):
    """ONE on Oct 28, TWO on Nov 5 (a Thursday), THREE on Nov 20 (a Friday)."""
    lines = [
        line(0, "2026-10-28T12:00:00.000Z"),
        line(1, "2026-11-05T12:00:00.000Z", 2),
        line(2, "2026-11-20T12:00:00.000Z", 3),
    ]
    write_transcript(config_dir, "p", "s1.jsonl", lines)
    return config_dir


def rows(doc: dict, key: str) -> dict[str, float]:
    return {r["period"]: r["totalCost"] for r in doc[key]}


def test_monthly_since_and_until_count_only_the_days_in_range(spread):
    since = report("monthly", "--since", "20261110")
    assert rows(since, "monthly") == {"2026-11": pytest.approx(THREE)}  # not Nov 5's TWO
    assert since["totals"]["totalCost"] == pytest.approx(THREE)
    until = report("monthly", "--until", "20261104")
    assert rows(until, "monthly") == {"2026-10": pytest.approx(ONE)}
    both = report("monthly", "--since", "20261029", "--until", "2026-11-19")
    assert rows(both, "monthly") == {"2026-11": pytest.approx(TWO)}
    assert both["monthly"][0]["inputTokens"] == 20


def test_weekly_since_and_until_count_only_the_days_in_range(spread):
    # Monday weeks: Nov 2 holds Thursday Nov 5; Nov 16 holds Friday Nov 20.
    since = report("weekly", "--since", "20261106")
    assert rows(since, "weekly") == {"2026-11-16": pytest.approx(THREE)}
    until = report("weekly", "--since", "20261103", "--until", "20261105")
    assert rows(until, "weekly") == {"2026-11-02": pytest.approx(TWO)}
    cut = report("weekly", "--since", "20261106", "--until", "20261119")
    assert cut["weekly"] == [] and cut["totals"]["totalCost"] == 0


def test_monthly_table_totals_only_the_days_in_range(spread):
    out = run_costline(b"", "report", "monthly", "--since", "20261110", "-z", "UTC").stdout.decode()
    total = next(row for row in out.splitlines() if row.startswith("Total"))
    assert total.split()[1:6] == ["30", "300", "0", "0", "330"]  # Nov 20's tokens, not Nov 5's


def test_unlogged_spend_in_a_cut_month_counts_only_its_days_in_range(spread, tmp_path):
    cache = os.environ["COSTLINE_CACHE_DIR"]
    at = parse_iso_ms
    unlogged.observe(cache, "s9", 0.0, 0.0, at("2026-11-02T09:00:00.000Z"))  # baseline
    unlogged.observe(cache, "s9", 0.25, 0.0, at("2026-11-02T10:00:00.000Z"))  # before the range
    unlogged.observe(cache, "s9", 0.75, 0.0, at("2026-11-21T10:00:00.000Z"))  # within it
    doc = report("monthly", "--since", "20261110")
    (row,) = doc["monthly"]
    assert row["unloggedCost"] == pytest.approx(0.5)
    assert doc["totals"]["unloggedCost"] == pytest.approx(0.5)
    assert doc["totals"]["totalCostWithUnlogged"] == pytest.approx(THREE + 0.5)


def test_html_since_counts_only_the_days_in_range(spread, tmp_path):
    page = tmp_path / "r.html"
    args = ("report", "html", "-o", str(page), "--since", "20261110", "--until", "20261130", "-z", "UTC")
    out = run_costline(b"", *args).stdout.decode()
    found = re.search(r"\$([0-9.]+); \$([0-9.]+) outside the range\)$", out.strip())
    assert found and found.groups() == (f"{THREE:.2f}", f"{ONE + TWO:.2f}")  # Oct 28 and Nov 5 are named


def test_gap_blocks_keep_their_messages_milliseconds(config_dir):
    """ccusage: a gap runs from the last message + 5 h to the next message, to the millisecond."""
    lines = [
        line(0, "2026-11-20T10:00:11.722Z"),
        line(1, "2026-11-20T10:20:05.031Z"),
        line(2, "2026-11-21T03:30:45.123Z"),
    ]
    write_transcript(config_dir, "p", "s1.jsonl", lines)
    first, gap, last = report("blocks")["blocks"]
    assert (first["startTime"], first["endTime"]) == ("2026-11-20T10:00:00.000Z", "2026-11-20T15:00:00.000Z")
    assert first["actualEndTime"] == "2026-11-20T10:20:05.031Z"
    assert gap["isGap"] and (gap["startTime"], gap["endTime"]) == (
        "2026-11-20T15:20:05.031Z",
        "2026-11-21T03:30:45.123Z",
    )
    assert gap["actualEndTime"] is None
    assert last["startTime"] == "2026-11-21T03:00:00.000Z"
    assert last["actualEndTime"] == "2026-11-21T03:30:45.123Z"


def test_a_day_whose_only_spend_is_unlogged_is_in_every_report(config_dir, tmp_path):
    """The line says $0.08 today, all of it unlogged: the reports have that day, and agree."""
    import time

    from helpers import payload, wait_for_refresh

    old = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 3 * 86400))
    path = write_transcript(config_dir, "p", "s1.jsonl", [line(0, old)])
    run_costline(payload(path, cost={"total_cost_usd": 1.0}))  # baseline: ONE logged, days ago
    wait_for_refresh(tmp_path / "cache")
    run_costline(payload(path, cost={"total_cost_usd": 1.0}))
    today = time.strftime("%Y-%m-%d", time.gmtime())
    shown = run_costline(payload(path, cost={"total_cost_usd": 1.08}), env={"NO_COLOR": "1"}).stdout
    if time.strftime("%Y-%m-%d", time.gmtime()) != today:
        pytest.skip("ran across midnight")
    assert "$0.08 today" in shown.decode()
    daily = report("daily")
    day = next(r for r in daily["daily"] if r["period"] == today)
    assert (day["totalCost"], day["unloggedCost"]) == (0, pytest.approx(0.08))
    assert day["totalCostWithUnlogged"] == pytest.approx(0.08)
    assert daily["totals"]["unloggedCost"] == pytest.approx(0.08)
    assert daily["totals"]["totalCostWithUnlogged"] == pytest.approx(ONE + 0.08)
    only_today = report("daily", "--since", today)
    assert [r["period"] for r in only_today["daily"]] == [today]
    assert only_today["totals"]["totalCostWithUnlogged"] == pytest.approx(0.08)
    for kind in ("weekly", "monthly"):
        doc = report(kind, "--since", today)
        assert [r["unloggedCost"] for r in doc[kind]] == [pytest.approx(0.08)], kind
    table = run_costline(b"", "report", "daily", "--since", today, "-z", "UTC").stdout.decode()
    assert re.search(rf"^{today} .*\$0\.08", table, re.M), table
    (session,) = report("session")["sessions"]
    assert session["unloggedCost"] == pytest.approx(0.08)
    assert session["totalCostWithUnlogged"] == pytest.approx(ONE + 0.08)
    by = report("by", "model", "--since", today)
    assert by["totals"]["unloggedCost"] == pytest.approx(0.08)
    text = run_costline(b"", "report", "by", "model", "--since", today, "-z", "UTC").stdout.decode()
    assert "$0.08" in text


# -- text that is not valid Unicode: a lone surrogate escape in a line, undecodable folder bytes ---
SURROGATE_COMMANDS = [
    *(
        [*cmd, *fmt]
        for cmd in (
            ["report", "daily"],
            ["report", "daily", "--breakdown"],
            ["report", "weekly"],
            ["report", "monthly"],
            ["report", "session"],
            ["report", "blocks"],
            *(["report", "by", kind] for kind in ("model", "project", "agent", "tool", "mcp")),
            ["index", "status"],
        )
        for fmt in ([], ["--json"])
    ),
    ["report", "daily", "--chart"],
    ["doctor", "--json", "--no-timing"],
]


_PERIODS = ("report daily", "report weekly", "report monthly", "report session")
MODEL_IN_JSON = {f"{c} --json" for c in (*_PERIODS, "report blocks", "report by model")} | {
    "index status",
    "index status --json",
}
NAME_IN_TEXT = {*_PERIODS, *(f"report by {k}" for k in ("model", "project", "tool", "mcp"))}


@pytest.fixture
def broken_text(config_dir):
    """A model id and a tool name with a lone surrogate escape, in a folder named with a byte
    that is not UTF-8 (Python reads it as a lone surrogate too)."""
    model = line(0, "2026-11-20T10:00:00.000Z").replace('"claude-opus-4-8"', '"claude-\\udcff"')
    tool = json.loads(line(1, "2026-11-20T10:05:00.000Z"))
    tool["message"]["content"] = [{"type": "tool_use", "id": "t1", "name": "mcp__x__run", "input": {}}]
    tool = json.dumps(tool).replace("mcp__x__run", "mcp__x\\ud800__run")
    folder = os.path.join(os.fsencode(config_dir), b"projects", b"-home-\xff")
    os.makedirs(folder)
    with open(os.path.join(folder, b"s1.jsonl"), "w", encoding="utf-8") as fh:
        fh.write(model + "\n" + tool + "\n")
    assert run_costline(b"", "index", "refresh").returncode == 0
    return config_dir


@pytest.mark.parametrize("command", SURROGATE_COMMANDS, ids=" ".join)
def test_a_lone_surrogate_never_breaks_a_report(broken_text, command):
    proc = run_costline(b"", *command, *(["--no-refresh"] if command[0] == "report" else []))
    if command[0] != "doctor":  # doctor exits 1 when a check fails (this test installs nothing)
        assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("utf-8")  # valid UTF-8, never the raw byte or a surrogate
    proc.stderr.decode("utf-8")
    assert out.strip(), "no output"
    assert "\\udcff" not in out and "\\ud800" not in out
    if "--json" in command:
        json.loads(out)
    # The same U+FFFD in JSON and text (text tables shorten ids: `opus-4-8, \ufffd`).
    shown = " ".join(c for c in command if c not in ("--breakdown", "--no-timing"))
    if shown in MODEL_IN_JSON:
        assert "claude-\ufffd" in out
    elif shown in NAME_IN_TEXT:
        assert "\ufffd" in out


def test_a_lone_surrogate_is_replaced_in_the_html_page(broken_text, tmp_path):
    page = tmp_path / "r.html"
    args = ("-o", str(page), "--since", "20261101", "--until", "20261130", "--no-refresh")
    assert run_costline(b"", "report", "html", *args).returncode == 0
    assert "claude-\ufffd" in page.read_bytes().decode("utf-8")


def test_printable_replaces_only_lone_surrogates(monkeypatch):
    import io
    import sys

    from statusline.cli import _replace_unwritable, printable

    doc = {"claude-\udcff": ["a\ud800b", ("\ud83d\ude00", 1.5)], "ok": "é ─"}
    assert printable(doc) == {"claude-\ufffd": ["a\ufffdb", ["\U0001f600", 1.5]], "ok": "é ─"}
    # The CLI's streams: U+FFFD where their encoding has it, else "?".
    out, err = io.BytesIO(), io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, encoding="utf-8"))
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(err, encoding="ascii"))
    _replace_unwritable()
    for stream in (sys.stdout, sys.stderr):
        stream.write("x\udcff─")
        stream.flush()
    assert (out.getvalue(), err.getvalue()) == ("x\ufffd─".encode(), b"x??")


@pytest.mark.parametrize("kind", ["daily", "weekly", "monthly", "session"])
def test_a_range_with_no_usage_says_so(spread, kind):
    proc = run_costline(b"", "report", kind, "--since", "20261203", "-z", "UTC")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == "no usage in this range\n"
    doc = report(kind, "--since", "20261203")  # JSON unchanged: empty rows, zero totals
    assert doc["totals"]["totalCost"] == 0


def test_a_near_miss_of_a_kind_gets_the_nearest_name():
    proc = run_costline(b"", "report", "by", "tools")
    assert proc.returncode == 2
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and "Did you mean 'tool'?" in lines[0]


@pytest.fixture
def with_unlogged(spread):
    """`spread` plus $0.50 unlogged on Nov 21 (a day with no transcript) and $0.25 on Nov 20."""
    cache = os.environ["COSTLINE_CACHE_DIR"]
    at = parse_iso_ms
    unlogged.observe(cache, "s9", 0.0, 0.0, at("2026-11-20T09:00:00.000Z"))  # baseline
    unlogged.observe(cache, "s9", 0.25, 0.0, at("2026-11-20T10:00:00.000Z"))
    unlogged.observe(cache, "s9", 0.75, 0.0, at("2026-11-21T10:00:00.000Z"))
    return spread


def _table(*args: str, columns: str = "200") -> str:
    proc = run_costline(b"", "report", *args, "-z", "UTC", env={"COLUMNS": columns, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode()


@pytest.mark.parametrize("columns", ["200", "80"])
def test_period_tables_total_cost_and_unlogged_as_the_line_does(with_unlogged, columns):
    """One figure for the same thing: a Total column (cost + unlogged) whose last row is --json's
    totalCostWithUnlogged, kept in the compact layout too."""
    with_all = report("daily")["totals"]["totalCostWithUnlogged"]
    assert with_all == pytest.approx(ONE + TWO + THREE + 0.75)
    for kind in ("daily", "weekly", "monthly", "session"):
        out = _table(kind, columns=columns)
        head = out.splitlines()[0]
        assert "Total (USD)" in head if columns == "200" else "Total" in head.split(), (kind, out)
        assert all(len(r) <= int(columns) for r in out.splitlines()), out
        total = next(r for r in out.splitlines() if r.startswith("Total"))
        assert f"${with_all:,.2f}" in total.split(), (kind, out)
    day = next(r for r in _table("daily", columns=columns).splitlines() if r.startswith("2026-11-20"))
    assert f"${THREE + 0.25:,.2f}" in day.split()


def test_the_chart_says_its_bars_include_unlogged_spend(with_unlogged):
    out = _table("daily", "--chart", "3", "--until", "20261121")
    assert f"${THREE + 0.25:,.2f}" in out and "$0.75" in out
    assert "unlogged" in out.splitlines()[-1], out  # the summary names it


def test_html_total_is_report_dailys_total_with_unlogged(with_unlogged, tmp_path):
    page = tmp_path / "r.html"
    out = _table("html", "-o", str(page), "--since", "20261001", "--until", "20261130")
    with_all = report("daily")["totals"]["totalCostWithUnlogged"]
    assert f"${with_all:,.2f}" in out.split("(", 1)[1].split(",")[2], out  # wrote … (KB, range, $X …)
    cards = page.read_text()
    cards = cards[cards.index('id="totals"') :]
    first = cards[: cards.index("</div>")]
    assert f"${with_all:,.2f}" in first, first  # the headline card


def test_html_in_range_and_outside_add_up_to_report_dailys_total_with_unlogged(with_unlogged, tmp_path):
    """Nov 10–20 holds THREE + $0.25 unlogged; outside: ONE, TWO and Nov 21's $0.50 unlogged."""
    page = tmp_path / "r.html"
    out = _table("html", "-o", str(page), "--since", "20261110", "--until", "20261120").strip()
    assert out.endswith(
        f"${THREE + 0.25:,.2f} incl. $0.25 unlogged; ${ONE + TWO + 0.5:,.2f} outside the range)"
    ), out
    text = page.read_text()
    assert f"${ONE + TWO:,.2f} of transcript cost and $0.50 unlogged on 3 days outside" in text
