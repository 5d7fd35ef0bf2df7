"""`report by agent|tool|mcp|project|model` on hand-built transcripts, with hand-computed figures.

Opus 4.8 list prices per MTok: input $5, output $25, 5m write $6.25, 1h write $10, read $0.50.
Sizes are estimated at 4 characters per token, so a 200,000-character result is 50,000 tokens.
"""

from __future__ import annotations

import json

import pytest
from attrib_helpers import OUT, READ, W5, ask, call, carried_turns, cost, result, saved_states, say
from click.testing import CliRunner
from helpers import cost_rows as rows
from helpers import report_json, write_transcript

from statusline.cli import cli as main


def by(*args: str) -> dict:
    return report_json("by", *args)


def daily_total(*args: str) -> float:
    return float(report_json("daily", *args, "--no-refresh")["totals"]["totalCost"])


def test_a_carried_result_is_charged_to_its_tool_turn_by_turn(config_dir):
    write_transcript(config_dir, "-w-app", "s1.jsonl", carried_turns())
    doc = by("tool")
    read_cost = 40 * OUT  # a1: the call's output
    read_cost += (18 + 0.5 + 1.5 + 50_000 - 18 - 0.5) * W5  # a2: the call and result in its writes
    read_cost += 10 * (1.5 + 50_000) * READ  # a3..a12: both carried in the reads
    assert rows(doc)["Read"] == pytest.approx(read_cost, rel=1e-9)
    total = daily_total()
    assert doc["totals"]["totalCost"] == pytest.approx(total, abs=1e-9)
    assert sum(rows(doc).values()) == pytest.approx(total, abs=1e-9)
    assert set(rows(doc)) == {"Read", "conversation"}
    # Most of each later turn's input cost is the result's.
    turn_input = 20 * W5 + 51_020 * READ
    assert 50_001.5 * READ / turn_input > 0.9


def test_a_compaction_drops_the_result(config_dir):
    lines = carried_turns()[:4]  # up to a2
    lines.append(
        json.dumps({"type": "system", "subtype": "compact_boundary", "timestamp": "2026-11-20T10:03:00.000Z"})
    )
    lines.append(ask("summary of what happened", 4))
    lines.append(say("a5", 5, "ok", out=1, write=10, read=2000))
    write_transcript(config_dir, "-w-app", "s1.jsonl", lines)
    read_cost = 40 * OUT + 50_001.5 * W5  # nothing after the compaction
    assert rows(by("tool"))["Read"] == pytest.approx(read_cost, rel=1e-9)


def test_mcp_server_with_two_tools_and_a_built_in_one(config_dir):
    lines = [
        ask("go", 0),
        call("a1", 1, "mcp__github__create_issue", "t1", {"title": "abc"}, out=100, write=1000),
        result("t1", "y" * 4000, 1),  # 1,000 tokens
        call("a2", 2, "mcp__github__list_prs", "t2", out=100, write=1100, read=1000),
        result("t2", "z" * 8000, 2),  # 2,000 tokens
        call("a3", 3, "Bash", "t3", {"command": "ls"}, out=50, write=2100, read=2100),
        result("t3", "w" * 400, 3),
        say("a4", 4, "done", out=10, write=110, read=4200),
    ]
    write_transcript(config_dir, "-w-app", "s1.jsonl", lines)
    tools = rows(by("tool"))
    servers = rows(by("mcp"))
    assert set(tools) == {"mcp__github__create_issue", "mcp__github__list_prs", "Bash", "conversation"}
    assert set(servers) == {"github", "other tools", "conversation"}
    assert servers["github"] == pytest.approx(
        tools["mcp__github__create_issue"] + tools["mcp__github__list_prs"]
    )
    assert servers["other tools"] == pytest.approx(tools["Bash"])
    # create_issue's call: {"title": "abc"} = 2 + (5 + 4 + 3) = 14 chars + 25 = 39 chars, all of
    # a1's output; its result (1,000 tokens) and call (9.75 tokens) enter a2's writes.
    assert tools["mcp__github__create_issue"] > 100 * OUT + 1000 * W5
    total = daily_total()
    assert sum(tools.values()) == pytest.approx(total, abs=1e-9)
    assert sum(servers.values()) == pytest.approx(total, abs=1e-9)


# -- agents: the main conversation and two subagent types ---------------------------------------
def test_agents_by_type_from_meta_and_from_the_parents_call(config_dir):
    main_lines = [
        ask("look around", 0),
        call("m1", 1, "Agent", "t1", {"subagent_type": "Explore", "prompt": "find"}, out=10, write=1000),
        result("t1", "found it", 2, toolUseResult={"agentId": "abc", "status": "completed"}),
        say("m2", 3, "ok", out=20, write=100, read=1000),
    ]
    write_transcript(config_dir, "-w-app", "s1.jsonl", main_lines)
    explore = [
        say("e1", 1, "searching", out=300, write=2000),
        say("e2", 2, "found", out=100, read=2000, write=50),
    ]
    write_transcript(
        config_dir,
        "-w-app",
        "s1/subagents/agent-abc.jsonl",
        [e.replace('"isSidechain":false', '"isSidechain":true') for e in explore],
    )
    plan = [say("p1", 4, "plan", out=500, write=3000)]
    write_transcript(config_dir, "-w-app", "s1/subagents/agent-def.jsonl", plan)
    (config_dir / "projects" / "-w-app" / "s1" / "subagents" / "agent-def.meta.json").write_text(
        json.dumps({"agentType": "Plan", "toolUseId": "t9", "spawnDepth": 1})
    )
    doc = by("agent")
    assert rows(doc) == pytest.approx(
        {
            "main": cost(out=10, write=1000) + cost(out=20, write=100, read=1000),
            "Explore": cost(out=300, write=2000) + cost(out=100, read=2000, write=50),
            "Plan": cost(out=500, write=3000),
        }
    )
    assert doc["method"].startswith("exact")
    assert sum(rows(doc).values()) == pytest.approx(daily_total(), abs=1e-12)


def test_project_and_model_rows_and_ranges_add_up_to_daily(config_dir):
    write_transcript(config_dir, "-w-app", "s1.jsonl", carried_turns())
    other = [say("b1", 5, "hi", session="s2", out=100, write=10), say("b2", 6, "hi", session="s2", out=10)]
    other[1] = other[1].replace("2026-11-20", "2026-11-21").replace("claude-opus-4-8", "claude-sonnet-4-6")
    write_transcript(config_dir, "-w-lib", "s2.jsonl", other)
    for kind in ("agent", "tool", "mcp", "project", "model"):
        for window in ([], ["--since", "20261121"], ["--until", "20261120"], ["--since", "20261122"]):
            doc = by(kind, *window)
            assert sum(rows(doc).values()) == pytest.approx(daily_total(*window), abs=1e-9), (kind, window)
            assert "unattributed" not in rows(doc)
    projects = rows(by("project"))
    assert set(projects) == {"/w/app", "/w/lib"}  # decoded: the lines' cwd (/w) names neither folder
    assert projects["/w/lib"] == pytest.approx(cost(out=100, write=10) + 10 * 15 / 1e6)
    assert set(rows(by("model"))) == {"claude-opus-4-8", "claude-sonnet-4-6"}


def test_streaming_lines_of_one_message_count_once_with_all_blocks(config_dir):
    # One response logged as two lines (a text block, then a tool call), the usage repeated.
    first = json.loads(say("a1", 1, "let me look", out=1, write=1000))
    second = json.loads(call("a1", 1, "Grep", "t1", {"pattern": "x" * 89}, out=100, write=1000))
    write_transcript(config_dir, "-w-app", "s1.jsonl", [ask("go", 0), json.dumps(first), json.dumps(second)])
    tools = rows(by("tool"))
    # Output: "let me look" (11 chars) vs the call {"pattern": "x"*89} = 2 + 7 + 4 + 89 = 102 + "Grep" 4.
    assert tools["Grep"] == pytest.approx(100 * OUT * 106 / 117)
    assert sum(tools.values()) == pytest.approx(daily_total(), abs=1e-12)


def test_table_escapes_names_for_the_terminal(config_dir):
    write_transcript(
        config_dir,
        "-w-app",
        "s1.jsonl",
        [ask("go", 0), call("a1", 1, "mcp__ev\x1b[31mil__x", "t1", out=40, write=1000)],
    )
    out = CliRunner().invoke(main, ["report", "by", "tool", "-z", "UTC"])
    assert out.exit_code == 0
    assert "\x1b" not in out.stdout
    assert "Total" in out.stdout and "method: estimate" in out.stdout


def test_appended_lines_are_read_on_and_a_rewrite_from_the_start(config_dir):
    lines = carried_turns()
    path = write_transcript(config_dir, "-w-app", "s1.jsonl", lines[:6])
    first = rows(by("tool"))
    write_transcript(config_dir, "-w-app", "s1.jsonl", lines[6:], mode="a")
    again = rows(by("tool"))
    path.unlink()
    write_transcript(config_dir, "-w-app", "s1.jsonl", lines)
    fresh = rows(by("tool"))
    assert again == pytest.approx(fresh)
    assert first["Read"] < again["Read"]


def test_the_saved_state_is_owner_only(config_dir, tmp_path):
    # Found: attrib/ was created 0755 (os.makedirs gives missing parents 0o777 & umask).
    write_transcript(config_dir, "-w-app", "s1.jsonl", carried_turns()[:4])
    by("tool")
    cache = tmp_path / "cache"
    found = [p for p in cache.rglob("*") if not (p.is_symlink() and p.name == "config-dirs")]  # a claim
    modes = {p.relative_to(cache).as_posix(): p.stat().st_mode & 0o777 for p in found}
    assert modes["attrib"] == 0o700
    assert {m for p, m in modes.items() if (cache / p).is_dir()} == {0o700}
    assert {m for p, m in modes.items() if (cache / p).is_file()} == {0o600}


def test_a_long_table_shows_its_top_rows_and_sums_the_rest(config_dir):
    # Found: every one of 2,100 projects got its own row, names kept U+2028 and bidi overrides.
    for i in range(55):  # project i spends 2,000 × (i + 1) output tokens: $0.05 × (i + 1)
        name = f"-home-p{i:02d}" if i != 54 else "-home-\u202eevil\u2028x"
        write_transcript(
            config_dir, name, f"s{i}.jsonl", [say(f"m{i}", 1, session=f"s{i}", out=2000 * (i + 1))]
        )
    out = CliRunner().invoke(main, ["report", "by", "project", "-z", "UTC"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    body = lines[2 : lines.index(next(line for line in lines if line.startswith("Total")))]
    assert len(body) == 51  # the 50 costliest, then one row for the rest
    assert body[0].startswith("/home/evilx ") and "$2.75" in body[0]  # the folder decoded
    more = body[-1].split()
    assert more[:3] == ["5", "more", "$0.75"]  # p00..p04: $0.05 × (1 + 2 + 3 + 4 + 5)
    assert more[-3] == f"{2000 * 15:,}"
    assert "$77.00" in lines[lines.index(body[-1]) + 1]  # Total: $0.05 × (1 + … + 55)
    assert not any(ch in out.stdout for ch in "\u202e\u2028")
    every = CliRunner().invoke(main, ["report", "by", "project", "-z", "UTC", "--top", "0"])
    assert "more" not in every.stdout and len(every.stdout.splitlines()) == 2 + 55 + 1 + 1
    assert len(by("project")["rows"]) == 55  # JSON keeps every row


def test_the_costliest_row_comes_first_whatever_its_kind(config_dir):
    # Found (issue 19 item 2): `conversation`, 60 % of the money, was the last row, after every
    # tool, because catch-all rows were pinned last; with many tools it sank out of sight.
    lines = [
        ask("go", 0),
        call("a1", 1, "Read", "t1", out=400),  # each call's output is its tool's: $0.01
        result("t1", "ok", 1),
        call("a2", 2, "Bash", "t2", out=800),  # $0.02
        result("t2", "ok", 2),
        call("a3", 3, "Grep", "t3", out=1200),  # $0.03
        result("t3", "ok", 3),
        say("a4", 4, "done", out=10_000),  # text only: $0.25 of conversation
    ]
    write_transcript(config_dir, "-w-app", "s1.jsonl", lines)
    doc = by("tool")
    assert [r["name"] for r in doc["rows"]] == ["conversation", "Grep", "Bash", "Read"]
    assert [round(r["cost"], 6) for r in doc["rows"]] == [0.25, 0.03, 0.02, 0.01]
    out = CliRunner().invoke(main, ["report", "by", "tool", "-z", "UTC", "--top", "2", "--no-refresh"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    body = lines[2 : lines.index(next(line for line in lines if line.startswith("Total")))]
    # Strictly by cost, then only the tail is summed: the catch-all is not kept out of the fold.
    assert [row.split()[:3] for row in body] == [
        ["conversation", "$0.25", "80.6%"],
        ["Grep", "$0.03", "9.7%"],
        ["2", "more", "$0.03"],
    ]
    assert "$0.31" in lines[lines.index(body[-1]) + 1]


def test_states_read_before_sessions_were_named_are_read_again_and_kept_when_gone(config_dir):
    # A state saved before summary lines and first prompts were kept would leave its session
    # "(untitled)" until the transcript changed: it is read again once. A deleted transcript's
    # old state cannot be read again, so it is kept as it is (its splits still count).
    import marshal
    import os

    from statusline.attrib.breakdown import Attribution
    from statusline.attrib.build import update_all

    cache = os.environ["COSTLINE_CACHE_DIR"]
    kept = write_transcript(
        config_dir, "-w-app", "s1.jsonl", [ask("Name me by this prompt", 0), *carried_turns()[1:4]]
    )
    gone = write_transcript(config_dir, "-w-app", "s2.jsonl", [call("b1", 1, "Bash", "t9", out=40)])
    paths = [str(kept), str(gone)]
    assert rows(by("tool"))["Bash"] == pytest.approx(40 * OUT)  # indexed and split
    folder = os.path.join(cache, "attrib", "v3")
    for name, state in saved_states(cache).items():  # as an older costline saved them
        del state["transcript"]["named"]
        state["transcript"]["titles"] = {}
        with open(os.path.join(folder, name), "wb") as fh:  # its own file: read before its pack entry
            fh.write(marshal.dumps(state))
    gone.unlink()
    states = update_all(cache, paths, workers=1)
    assert Attribution(states).titles == {"s1": "Name me by this prompt"}
    assert {s["session"] for s in states} == {"s1", "s2"}
    assert rows(by("tool"))["Bash"] == pytest.approx(40 * OUT)  # the deleted transcript's split stays
