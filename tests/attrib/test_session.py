"""One session's money: `report by KIND --session ID` on hand-built sessions, hand-computed.

The sessions are attrib_helpers.build_sessions': A, a main thread carrying a Read result for ten
turns and an Explore subagent with a Grep call; B, beside it, with no subagent.
"""

from __future__ import annotations

import pytest
from attrib_helpers import EXPLORE, GREP_COST, MAIN, READ_COST, A, B, cost
from attrib_helpers import build_sessions as build
from click.testing import CliRunner
from helpers import cost_rows as rows
from helpers import report_json

from statusline.cli import cli


def by(kind: str, session: str, *more: str) -> dict:
    return report_json("by", kind, "--session", session, *more)


def test_agents_and_tools_of_one_session_to_the_cent(config_dir):
    build(config_dir)
    agents = by("agent", A)
    assert rows(agents) == pytest.approx({"main": sum(MAIN), "Explore": sum(EXPLORE)}, abs=1e-12)
    tools = rows(by("tool", A))
    assert set(tools) == {"Read", "Grep", "conversation"}
    assert tools["Read"] == pytest.approx(READ_COST, rel=1e-9)
    assert tools["Grep"] == pytest.approx(GREP_COST, rel=1e-9)
    total = sum(MAIN) + sum(EXPLORE)
    assert sum(tools.values()) == pytest.approx(total, abs=1e-12)
    assert agents["totals"]["totalCost"] == pytest.approx(total, abs=1e-12)
    # The same session's total in every kind, and as `report session` has it.
    assert by("model", A, "--no-refresh")["totals"]["totalCost"] == pytest.approx(total, abs=1e-12)
    assert rows(by("mcp", A, "--no-refresh")) == pytest.approx(
        {"other tools": READ_COST + GREP_COST, "conversation": tools["conversation"]}
    )
    sessions = report_json("session", "--no-refresh")["sessions"]
    assert next(s["totalCost"] for s in sessions if s["sessionId"] == A) == pytest.approx(total, abs=1e-12)
    # Session B alone: its own Bash call, none of A's tools.
    assert set(rows(by("tool", B, "--no-refresh"))) == {"Bash", "conversation"}


def test_a_unique_prefix_names_the_session(config_dir):
    build(config_dir)
    assert rows(by("agent", "3f2a")) == rows(by("agent", A, "--no-refresh"))


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("3f2", "ambiguous"),
        ("ffff", "no session 'ffff'"),
        ("", "no session ''"),
        ("\x1b]52;c;x\x07", "no session"),
    ],
)
def test_an_unknown_or_ambiguous_session_is_a_one_line_error(config_dir, given, says):
    build(config_dir)
    out = CliRunner().invoke(cli, ["report", "by", "agent", "--session", given, "-z", "UTC"])
    assert out.exit_code != 0
    assert says in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "\x1b" not in out.stderr and "\x07" not in out.stderr


def test_a_session_with_no_subagents_is_all_main(config_dir):
    build(config_dir)
    doc = by("agent", B)
    assert rows(doc) == pytest.approx({"main": cost(out=4000, write=500) + cost(out=10, read=500)}, abs=1e-12)


def test_garbage_lines_change_nothing(config_dir):
    build(config_dir)
    clean = {kind: rows(by(kind, A)) for kind in ("agent", "tool")}
    (config_dir / "projects" / "-w-app" / f"{A}.jsonl").unlink()
    build(config_dir, garbage=True)
    for kind in ("agent", "tool"):
        assert rows(by(kind, A)) == pytest.approx(clean[kind], abs=1e-12)


def test_the_sessions_add_up_to_the_whole_report(config_dir):
    # `report by` over all sessions reads day summaries (attrib/summary.py), `--session` reads the
    # session's own messages: the two ways must agree, row by row.
    build(config_dir)
    for kind in ("agent", "tool", "mcp", "model"):
        whole = rows(report_json("by", kind))
        parts: dict[str, float] = {}
        for session in (A, B):
            for name, usd in rows(by(kind, session, "--no-refresh")).items():
                parts[name] = parts.get(name, 0.0) + usd
        assert parts == pytest.approx(whole, abs=1e-12), kind
