"""Spend Claude Code reports but the transcript never records, counted into today."""

from __future__ import annotations

import json
import re
import time

import pytest
from helpers import assistant, payload, run_costline, wait_for_refresh, write_transcript

from statusline.index import unlogged

BIG = {"input_tokens": 1000, "output_tokens": 2000}  # Opus 4.8: $0.055 per message
COST = (1000 * 5 + 2000 * 25) / 1e6


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 5))


def today_shown(path, cost: float) -> float:
    line = run_costline(payload(path, cost={"total_cost_usd": cost}), env={"NO_COLOR": "1"}).stdout.decode()
    return float(re.search(r"\$([0-9.]+)…? today", line).group(1))


def test_observe_by_hand(tmp_path):
    cache = str(tmp_path)
    t = 1795600000000
    assert unlogged.observe(cache, "s", 0.0, 0.0, t) == 0.0  # first sight: baseline
    assert unlogged.observe(cache, "s", 1.0, 1.0, t + 1000) == 0.0  # all logged
    assert unlogged.observe(cache, "s", 1.5, 1.2, t + 2000) == pytest.approx(0.3)
    assert unlogged.observe(cache, "s", 1.6, 1.3, t + 3000) == 0.0  # no new gap
    assert unlogged.observe(cache, "s", 0.2, 1.3, t + 4000) == 0.0  # /clear: a new run
    assert unlogged.observe(cache, "s", 0.5, 1.4, t + 5000) == pytest.approx(0.2)
    assert sum(unlogged.in_range(cache, t, t + 10_000).values()) == pytest.approx(0.5)


def test_today_includes_what_the_transcript_never_saw(config_dir, tmp_path):
    path = write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(msg_id="a", request_id="ra", ts=now_iso(), usage=BIG)]
    )
    run_costline(payload(path, cost={"total_cost_usd": COST}))  # first render: baseline
    wait_for_refresh(tmp_path / "cache")
    # A turn that made two requests and logged one: Claude Code's cost grows by two messages.
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [assistant(msg_id="b", request_id="rb", ts=now_iso(), usage=BIG)],
        mode="a",
    )
    shown = today_shown(path, 3 * COST)
    assert shown == pytest.approx(round(3 * COST, 2))
    daily = json.loads(run_costline(b"", "report", "daily", "--json").stdout)["daily"][-1]
    assert daily["totalCost"] == pytest.approx(2 * COST)
    assert daily["unloggedCost"] == pytest.approx(COST)
    assert daily["totalCostWithUnlogged"] == pytest.approx(3 * COST)


def test_no_unlogged_growth_while_the_index_lags(config_dir, tmp_path):
    """A render that could not index all new lines (budget) must not call them unlogged."""
    path = write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(msg_id="a", request_id="ra", ts=now_iso(), usage=BIG)]
    )
    run_costline(payload(path, cost={"total_cost_usd": COST}))
    wait_for_refresh(tmp_path / "cache")
    huge_user = json.dumps({"type": "user", "message": {"role": "user", "content": "x" * 1_500_000}})
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [huge_user, assistant(msg_id="b", request_id="rb", ts=now_iso(), usage=BIG)],
        mode="a",
    )
    for _ in range(4):
        shown = today_shown(path, 2 * COST)
    wait_for_refresh(tmp_path / "cache")
    shown = today_shown(path, 2 * COST)
    assert shown == pytest.approx(round(2 * COST, 2))


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4])
def test_a_render_killed_between_its_writes_books_no_phantom_unlogged(config_dir, tmp_path, kill_at):
    # Found: killed after the hour file and before the group file, the next render re-read the
    # lines as duplicates, never added them to the session's logged sums, and booked them as
    # unlogged ($0.20 today for $0.115 spent).
    first = {"input_tokens": 1000, "output_tokens": 600}  # Opus 4.8: $0.02
    second = {"input_tokens": 2000, "output_tokens": 3200}  # $0.09
    path = write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(msg_id="a", request_id="ra", ts=now_iso(), usage=first)]
    )
    run_costline(payload(path, cost={"total_cost_usd": 0.02}))
    wait_for_refresh(tmp_path / "cache")
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [assistant(msg_id="b", request_id="rb", ts=now_iso(), usage=second)],
        mode="a",
    )
    killed = run_costline(
        payload(path, cost={"total_cost_usd": 0.11}), env={"COSTLINE_KILL_AT_WRITE": str(kill_at)}
    )
    assert killed.returncode in (0, -9)
    assert today_shown(path, 0.11) == pytest.approx(0.11)
    daily = json.loads(run_costline(b"", "report", "daily", "--json").stdout)["daily"][-1]
    assert daily["totalCost"] == pytest.approx(0.11)
    assert daily.get("unloggedCost", 0.0) == pytest.approx(0.0)
