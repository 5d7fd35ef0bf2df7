"""One session's money: `report by KIND --session ID` on hand-built sessions, hand-computed.

Session A: the main thread reads a 50,000-token result and carries it for ten turns (the case of
test_breakdown.py), then an Explore subagent (typed by its .meta.json) makes a Grep call and
answers. Session B, in the same project at the same times, must not leak into A's figures.
"""

from __future__ import annotations

import json

import pytest
from attrib_helpers import OUT, READ, W5, call, carried_turns, cost, say
from click.testing import CliRunner
from helpers import cost_rows as rows
from helpers import report_json, write_transcript

from statusline.cli import cli

A = "3f2a1111-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
B = "3f2b2222-bbbb-4bbb-8bbb-bbbbbbbbbbbb"

# The main thread: a1 and a2 bring the Read call and its result in, a3..a12 carry them.
MAIN = [
    cost(out=40, write=1000),
    cost(out=1, write=50_020, read=1000),
    *(cost(out=1, write=20, read=51_020 + 20 * (k - 3)) for k in range(3, 13)),
]
READ_COST = 40 * OUT + 50_001.5 * W5 + 10 * 50_001.5 * READ  # its call, then its result in writes, reads
# The subagent: e1's output is all its Grep call's; e2's prompt ends with that call (6
# characters, 1.5 tokens), which lies in its writes.
EXPLORE = [cost(out=100, write=2000), cost(out=50, write=10, read=2000)]
GREP_COST = 100 * OUT + 1.5 * W5


def of(session: str, lines: list[str]) -> list[str]:
    """Lines as Claude Code writes them for `session` (the index keys messages by sessionId)."""
    return [line.replace('"sessionId":"s1"', f'"sessionId":"{session}"') for line in lines]


def explore_lines() -> list[str]:
    lines = [
        call("e1", 13, "Grep", "g1", out=100, write=2000),
        say("e2", 14, "found", out=50, write=10, read=2000),
    ]
    return [line.replace('"isSidechain":false', '"isSidechain":true') for line in lines]


def build(config_dir, garbage: bool = False) -> None:
    main = carried_turns()
    if garbage:
        main[3:3] = ["not json at all", '{"type": "assistant", "message": {"usage": ', "\x00\x1b[31m"]
    write_transcript(config_dir, "-w-app", f"{A}.jsonl", of(A, main))
    write_transcript(config_dir, "-w-app", f"{A}/subagents/agent-abc.jsonl", of(A, explore_lines()))
    meta = config_dir / "projects" / "-w-app" / A / "subagents" / "agent-abc.meta.json"
    meta.write_text(json.dumps({"agentType": "Explore"}))
    other = [call("b1", 5, "Bash", "t9", out=4000, write=500), say("b2", 6, "ok", out=10, read=500)]
    write_transcript(config_dir, "-w-app", f"{B}.jsonl", of(B, other))


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
