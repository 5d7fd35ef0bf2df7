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
    # At half your list prices (overrides), a list-price gap of $0.4 is $0.2 of yours.
    assert unlogged.observe(cache, "s", 0.9, 1.4, t + 6000, scale=0.5) == pytest.approx(0.2)


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
        # Found: the renders after the first saw the file's size already recorded (with the
        # offset short of it) as "nothing changed", compared, and booked message b as unlogged.
        shown = today_shown(path, 2 * COST)
        assert shown == pytest.approx(round(COST, 2))  # b waits for the background refresh
    run_costline(b"", "index", "refresh")
    shown = today_shown(path, 2 * COST)
    assert shown == pytest.approx(round(2 * COST, 2))
    daily = json.loads(run_costline(b"", "report", "daily", "--json").stdout)["daily"][-1]
    assert daily.get("unloggedCost", 0.0) == pytest.approx(0.0)


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


# -- your prices: overrides and fetched price changes ------------------------------------------
TEN_K = {"input_tokens": 10_000, "output_tokens": 10_000}
OPUS45_LIST = (10_000 * 5 + 10_000 * 25) / 1e6  # $0.30 per message at Claude Code's list price
HALF = '\n[pricing.overrides."claude-opus-4-5"]\ninput = 2.5\noutput = 12.5\n'


def shown(line: str, what: str) -> str:
    return re.search(r"(\$[0-9.?]+[^ ]*) " + what, line).group(1)


def test_overrides_are_not_turned_into_unlogged_spend(config_dir, tmp_path):
    """Half-price override, six messages, a render after each with Claude Code's list-price cost."""
    settings = tmp_path / "costline.toml"
    settings.write_text(settings.read_text() + HALF)
    path = None
    line = ""
    for n in range(1, 7):
        msg = assistant(
            msg_id=f"m{n}", request_id=f"r{n}", ts=now_iso(), usage=TEN_K, model="claude-opus-4-5"
        )
        path = write_transcript(config_dir, "p", "s1.jsonl", [msg], mode="a")
        body = payload(path, cost={"total_cost_usd": n * OPUS45_LIST})
        line = run_costline(body, env={"NO_COLOR": "1"}).stdout.decode()
        if n == 1:
            wait_for_refresh(tmp_path / "cache")
    assert shown(line, "today") == "$0.90"
    assert "$0.90 session (list $1.80)" in line  # the user's price first, Claude Code's labelled
    daily = json.loads(run_costline(b"", "report", "daily", "--json").stdout)["daily"][-1]
    assert daily["totalCost"] == pytest.approx(6 * OPUS45_LIST / 2)
    assert daily["unloggedCost"] == pytest.approx(0.0)
    # A request Claude Code made without logging it ($0.30 at list price) is $0.15 at the user's.
    line = run_costline(payload(path, cost={"total_cost_usd": 7 * OPUS45_LIST}), env={"NO_COLOR": "1"})
    assert shown(line.stdout.decode(), "today") == "$1.05"
    daily = json.loads(run_costline(b"", "report", "daily", "--json").stdout)["daily"][-1]
    assert daily["unloggedCost"] == pytest.approx(OPUS45_LIST / 2)


def render_at(path, now_s: float, cost: float):
    """One render's index and unlogged steps, in process, at a chosen time."""
    import os

    from statusline.context import Context
    from statusline.index.store import Store

    cache = os.environ["COSTLINE_CACHE_DIR"]
    os.makedirs(cache, exist_ok=True)
    Store(cache).mark_refresh_started(now_s)  # no background refresh from a test
    body = {"session_id": "s1", "transcript_path": str(path), "cost": {"total_cost_usd": cost}}
    ctx = Context(body, now_s, os.environ, cache)
    ctx.refresh_index()
    ctx.track_unlogged()
    return ctx


def test_a_fetched_price_change_mid_session_is_not_unlogged_spend(config_dir):
    """Claude Code priced each request when it made it; so must the comparison."""
    import os

    from statusline import price_table
    from statusline.timeutil import parse_iso_ms

    cache = os.environ["COSTLINE_CACHE_DIR"]
    t0 = parse_iso_ms("2026-11-20T10:00:00.000Z") / 1000
    old = (10_000 * 5 + 10_000 * 25) / 1e6
    new = (10_000 * 5 + 10_000 * 15) / 1e6  # output cut from $25 to $15 per MTok
    first = assistant(msg_id="a", request_id="ra", ts="2026-11-20T10:00:00.000Z", usage=TEN_K)
    path = write_transcript(config_dir, "p", "s1.jsonl", [first])
    render_at(path, t0 + 30, old)
    history = price_table.fetched_history(cache)
    period = (0, 5.0, 15.0, 6.25, 10.0, 0.5, None, 2.0, 1_000_000)
    price_table.record_fetch(history, {"claude-opus-4-8": period}, {}, int((t0 + 60) * 1000))
    price_table.save_history(cache, history)
    price_table.compile_table(cache)
    later = assistant(msg_id="b", request_id="rb", ts="2026-11-20T10:30:00.000Z", usage=TEN_K)
    write_transcript(config_dir, "p", "s1.jsonl", [later], mode="a")
    ctx = render_at(path, t0 + 1830, old + new)
    assert ctx.session_logged() == pytest.approx((old + new, old + new))
    assert unlogged.in_range(cache, int(t0 * 1000), int((t0 + 3600) * 1000)) == {}
    # A request that was never logged still shows, at the price in force when it was made.
    render_at(path, t0 + 1860, old + 2 * new)
    assert sum(unlogged.in_range(cache, int(t0 * 1000), int((t0 + 3600) * 1000)).values()) == pytest.approx(
        new
    )


@pytest.mark.parametrize("crash_at", [1, 2, 3])
def test_a_crash_between_writes_never_counts_growth_twice_or_loses_it(tmp_path, monkeypatch, crash_at):
    """Killed after any one of a recording's writes, the next render ends with the growth once."""
    cache = str(tmp_path)
    t = 1795600000000
    unlogged.observe(cache, "s", 1.0, 1.0, t)
    real, writes = unlogged.atomic_write, [0]

    def dying_write(path, data):
        writes[0] += 1
        if writes[0] > crash_at:
            raise SystemExit("killed")
        return real(path, data)

    monkeypatch.setattr(unlogged, "atomic_write", dying_write)
    with pytest.raises(SystemExit):
        unlogged.observe(cache, "s", 1.5, 1.2, t + 1000)
        raise SystemExit("finished")  # fewer writes than crash_at: nothing was cut short
    monkeypatch.setattr(unlogged, "atomic_write", real)
    unlogged.observe(cache, "s", 1.5, 1.2, t + 2000)  # the next render, same figures
    unlogged.observe(cache, "s", 1.5, 1.2, t + 3000)
    assert sum(unlogged.in_range(cache, t, t + 10_000).values()) == pytest.approx(0.3)


def test_a_clear_is_a_new_run_even_when_the_baseline_was_taken_at_zero(tmp_path):
    """The drop is measured against the last payload seen, not the one stored at the baseline."""
    cache = str(tmp_path)
    t = 1795600000000
    assert unlogged.observe(cache, "s", 0.0, 0.0, t) == 0.0  # the session starts at $0
    assert unlogged.observe(cache, "s", 0.055, 0.055, t + 1000) == 0.0  # all logged
    assert unlogged.observe(cache, "s", 0.0, 0.055, t + 2000) == 0.0  # /clear: back to $0
    # The next run: $0.055 logged and $0.10 never logged.
    assert unlogged.observe(cache, "s", 0.155, 0.11, t + 3000) == pytest.approx(0.10)


def test_a_render_that_finds_the_payload_unchanged_writes_nothing(tmp_path):
    cache = str(tmp_path)
    t = 1795600000000
    unlogged.observe(cache, "s", 0.0, 0.0, t)
    unlogged.observe(cache, "s", 0.055, 0.055, t + 1000)  # risen: remembered
    state = tmp_path / "unlogged" / "s-s"
    before = state.stat().st_mtime_ns, state.stat().st_ino
    for n in range(3):
        assert unlogged.observe(cache, "s", 0.055, 0.055, t + 2000 + n) == 0.0
    assert (state.stat().st_mtime_ns, state.stat().st_ino) == before


def test_growth_the_log_later_accounts_for_is_taken_back(tmp_path):
    """Claude Code may price a response before its line reaches the transcript."""
    cache = str(tmp_path)
    t = 1795600000000
    unlogged.observe(cache, "s", 1.0, 1.0, t)
    assert unlogged.observe(cache, "s", 1.1, 1.0, t + 1000) == pytest.approx(0.1)  # not logged yet
    assert unlogged.observe(cache, "s", 1.1, 1.1, t + 2000) == pytest.approx(-0.1)  # now it is
    assert sum(unlogged.in_range(cache, t, t + 10_000).values()) == pytest.approx(0.0)
    assert unlogged.observe(cache, "s", 1.4, 1.2, t + 3000) == pytest.approx(0.2)  # real, this time
    assert sum(unlogged.in_range(cache, t, t + 10_000).values()) == pytest.approx(0.2)


def test_taking_back_undoes_the_latest_recordings_first_at_their_own_prices(tmp_path):
    cache = str(tmp_path)
    t = 1795600000000
    unlogged.observe(cache, "s", 1.0, 1.0, t)
    assert unlogged.observe(cache, "s", 1.1, 1.0, t + 1000, scale=0.5) == pytest.approx(0.05)
    assert unlogged.observe(cache, "s", 1.3, 1.0, t + 2000) == pytest.approx(0.2)
    # The log catches up by $0.25 at list prices: all of the second, half of the first.
    assert unlogged.observe(cache, "s", 1.3, 1.25, t + 3000) == pytest.approx(-0.225)
    assert unlogged.in_range(cache, t, t + 10_000) == {(t + 1000, "s"): pytest.approx(0.025)}
    # Never more than the run recorded, and never what an earlier run recorded.
    assert unlogged.observe(cache, "s", 0.0, 1.25, t + 4000) == 0.0  # /clear
    assert unlogged.observe(cache, "s", 0.0, 1.5, t + 5000) == 0.0
    assert unlogged.in_range(cache, t, t + 10_000) == {(t + 1000, "s"): pytest.approx(0.025)}


@pytest.mark.parametrize("crash_at", [1, 2, 3])
def test_a_crash_while_taking_back_never_takes_back_twice(tmp_path, monkeypatch, crash_at):
    cache = str(tmp_path)
    t = 1795600000000
    unlogged.observe(cache, "s", 1.0, 1.0, t)
    unlogged.observe(cache, "s", 1.3, 1.0, t + 1000)
    real, writes = unlogged.atomic_write, [0]

    def dying_write(path, data):
        writes[0] += 1
        if writes[0] > crash_at:
            raise SystemExit("killed")
        return real(path, data)

    monkeypatch.setattr(unlogged, "atomic_write", dying_write)
    with pytest.raises(SystemExit):
        unlogged.observe(cache, "s", 1.3, 1.1, t + 2000)
        raise SystemExit("finished")
    monkeypatch.setattr(unlogged, "atomic_write", real)
    unlogged.observe(cache, "s", 1.3, 1.1, t + 3000)
    unlogged.observe(cache, "s", 1.3, 1.1, t + 4000)
    assert sum(unlogged.in_range(cache, t, t + 10_000).values()) == pytest.approx(0.2)


def test_a_session_with_a_half_written_line_is_not_compared(config_dir):
    """Claude Code has priced the response whose line is still being written: wait for it."""
    import os

    cache = os.environ["COSTLINE_CACHE_DIR"]
    now = time.time()
    path = write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(msg_id="a", request_id="ra", ts=now_iso(), usage=BIG)]
    )
    agent = config_dir / "projects" / "p" / "s1" / "subagents" / "agent-1.jsonl"
    write_transcript(config_dir, "p", "s1/subagents/agent-1.jsonl", [])
    assert render_at(path, now, COST).session_current
    line = assistant(msg_id="b", request_id="rb", ts=now_iso(), usage=BIG, sidechain=True)
    with open(agent, "a") as fh:
        fh.write(line[:80])
    for n in range(2):  # the render that reads the half line, and one that finds it unchanged
        assert not render_at(path, now + 1 + n, 2 * COST).session_current
    with open(agent, "a") as fh:
        fh.write(line[80:])  # whole, its newline still to come: counted now
    assert render_at(path, now + 3, 2 * COST).session_current
    with open(agent, "a") as fh:
        fh.write("\n")
    assert render_at(path, now + 4, 2 * COST).session_current
    assert unlogged.in_range(cache, 0, 1 << 62) == {}


def _context(path, session: str, now_s: float, cost: float):
    import os

    from statusline.context import Context
    from statusline.index.store import Store

    cache = os.environ["COSTLINE_CACHE_DIR"]
    os.makedirs(cache, exist_ok=True)
    Store(cache).mark_refresh_started(now_s)
    body = {"session_id": session, "transcript_path": str(path), "cost": {"total_cost_usd": cost}}
    ctx = Context(body, now_s, os.environ, cache)
    ctx.refresh_index()
    return ctx


def test_a_message_counts_for_every_session_whose_files_hold_a_copy(config_dir):
    """The fork's copy is kept (indexed first); the source's own line still counts for it."""
    now = time.time()
    message = assistant(msg_id="a", request_id="ra", ts=now_iso(), usage=BIG, session="sa")
    source = write_transcript(config_dir, "p", "sa.jsonl", [message])
    fork = write_transcript(config_dir, "p", "sb.jsonl", [message.replace('"sa"', '"sb"')])
    assert _context(fork, "sb", now, 0.0).session_logged() == pytest.approx((COST, COST))
    ctx = _context(source, "sa", now, COST)
    assert ctx.session_logged() == pytest.approx((COST, COST))
    assert ctx.today().usd == pytest.approx(COST)  # counted once in the day
    # A later, bigger copy in the source wins; the fork still counts the message, at its new size.
    more = {"input_tokens": 1000, "output_tokens": 3000}
    bigger = assistant(msg_id="a", request_id="ra", ts=now_iso(), usage=more, session="sa")
    write_transcript(config_dir, "p", "sa.jsonl", [bigger], mode="a")
    cost = (1000 * 5 + 3000 * 25) / 1e6
    assert _context(source, "sa", now + 1, cost).session_logged() == pytest.approx((cost, cost))
    assert _context(fork, "sb", now + 1, 0.0).session_logged() == pytest.approx((cost, cost))
    # A rebuild, in whatever order it reads the files, leaves the same sums.
    run_costline(b"", "index", "rebuild")
    for path, session in ((source, "sa"), (fork, "sb")):
        ctx = _context(path, session, now + 2, cost)
        assert ctx.session_logged() == pytest.approx((cost, cost))
        assert ctx.today().usd == pytest.approx(cost)
