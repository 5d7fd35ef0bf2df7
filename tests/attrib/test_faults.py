"""The attribution under faults found by an adversarial review: deleted, rewritten and truncated
transcripts, transcripts outside the config dir, copies, several sidechains in one file, server
tools, hostile names, odd lines, late metadata; and the fast split against a plain one."""

from __future__ import annotations

import json
import os
import random
import subprocess

import pytest
from click.testing import CliRunner
from helpers import COSTLINE, payload, wait_for_refresh
from helpers import cost_rows as rows
from helpers import report_json as run

from statusline.attrib.context import Transcript
from statusline.attrib.layout import CONVERSATION, IN, OUT, READ, W1, W5, Context
from statusline.cli import cli

T = "2026-11-20T10:%02d:00.000Z"
BIG = "x" * 40000  # a 10,000-token tool result


def dump(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def asst(msg, ts, content=None, usage=None, session="s1", req="auto", side=False, **env) -> str:
    u = {
        "input_tokens": 10,
        "output_tokens": 100,
        "cache_creation_input_tokens": 1000,
        "cache_read_input_tokens": 0,
    }
    u.update(usage or {})
    m = {
        "role": "assistant",
        "model": "claude-opus-4-8",
        "content": content or [{"type": "text", "text": "hi"}],
    }
    m["usage"] = u
    if msg is not None:
        m["id"] = msg
    line = {"type": "assistant", "isSidechain": side, "sessionId": session, "timestamp": ts, "message": m}
    if req is not None:
        line["requestId"] = f"r{msg}" if req == "auto" else req
    line.update(env)
    return dump(line)


def usr(content, ts, session="s1", **env) -> str:
    message = {"role": "user", "content": content}
    return dump({"type": "user", "sessionId": session, "timestamp": ts, "message": message, **env})


def tool_use(call_id: str, name: str, inp: dict | None = None) -> dict:
    return {"type": "tool_use", "id": call_id, "name": name, "input": inp or {}}


def tool_result(call_id: str, content: object) -> dict:
    return {"type": "tool_result", "tool_use_id": call_id, "content": content}


def write(config, rel, lines, mode="w"):
    path = config / "projects" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode, encoding="utf-8") as fh:
        fh.write("".join(line + "\n" for line in lines))
    return path


def by_tool() -> dict[str, float]:
    return rows(run("by", "tool"))


def daily_total() -> float:
    return float(run("daily", "--no-refresh")["totals"]["totalCost"])


def read_session() -> list[str]:
    return [
        usr("go", T % 0),
        asst("m1", T % 1, content=[tool_use("t1", "Read")]),
        usr([tool_result("t1", BIG)], T % 2),
        asst("m2", T % 3, usage={"cache_creation_input_tokens": 20000}),
    ]


def test_a_deleted_transcript_keeps_its_splits(config_dir):
    # Claude Code deletes transcripts after cleanupPeriodDays (30 by default); the index keeps them.
    old = write(config_dir, "-w-app/old.jsonl", [usr("go", T % 0, session="old"), *read_session()[1:]])
    before = by_tool()
    old.unlink()
    write(config_dir, "-w-app/s1.jsonl", [usr("go", T % 0), asst("m9", T % 9)])
    after = by_tool()
    assert "unattributed" not in after and after["Read"] == pytest.approx(before["Read"])
    assert sum(after.values()) == pytest.approx(daily_total(), abs=1e-12)


def test_a_rewritten_transcript_keeps_the_splits_the_index_still_counts(config_dir):
    path = write(config_dir, "-w-app/s1.jsonl", [usr("go", T % 0), asst("m1", T % 1), asst("m2", T % 2)])
    by_tool()
    path.write_text(usr("hello", T % 5) + "\n" + asst("m3", T % 6) + "\n")
    assert "unattributed" not in by_tool()


@pytest.mark.parametrize("how", ["empty", "partial-line"])
def test_a_truncated_file_starts_an_empty_context(config_dir, how):
    path = write(config_dir, "-w-app/s1.jsonl", read_session())
    before = by_tool()["Read"]
    tmp = path.with_suffix(".new")
    tmp.write_text("" if how == "empty" else usr("hello", T % 5)[:20])
    os.replace(tmp, path)
    by_tool()
    path.write_text(
        usr("hello", T % 5) + "\n" + asst("m3", T % 6, usage={"cache_creation_input_tokens": 20000}) + "\n"
    )
    assert by_tool()["Read"] == pytest.approx(before)  # m3 is not charged the old file's result


def test_a_transcript_under_another_config_dir_that_a_render_indexed(config_dir, tmp_path, monkeypatch):
    work = tmp_path / "home" / ".claude-work"
    path = work / "projects" / "-w-job" / "w1.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text(usr("go", T % 0, session="w1") + "\n" + asst("w1m", T % 1, session="w1") + "\n")
    write(config_dir, "-w-app/s1.jsonl", [usr("go", T % 0), asst("m1", T % 2)])
    env = dict(os.environ, CLAUDE_CONFIG_DIR=str(work))  # Claude Code's own: its line indexes w1
    proc = subprocess.run(
        [COSTLINE], input=payload(path, session="w1"), capture_output=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    wait_for_refresh(tmp_path / "cache")
    found = by_tool()  # from the user's shell, with the default config dir
    assert "unattributed" not in found
    assert sum(found.values()) == pytest.approx(daily_total(), abs=1e-12)


def parent_with_progress_copy(config_dir, kind: str) -> str:
    """A parent transcript that starts subagent `abc` of type `kind` and logs its one response as
    an older Claude Code did (a `progress` line); returns that response's own line."""
    sub = asst("sub1", T % 2, side=True, usage={"output_tokens": 300})
    data = {"type": "agent_progress", "agentId": "abc", "message": json.loads(sub)}
    prog = dump({"type": "progress", "sessionId": "s1", "timestamp": T % 2, "data": data})
    call = asst("m1", T % 1, content=[tool_use("t1", "Task", {"subagent_type": kind})])
    done = usr([tool_result("t1", "done")], T % 3, toolUseResult={"agentId": "abc"})
    write(config_dir, "-w-app/s1.jsonl", [usr("go", T % 0), call, prog, done])
    return sub


def test_a_subagents_own_file_wins_over_its_progress_copy(config_dir):
    sub = parent_with_progress_copy(config_dir, "Explore")
    write(config_dir, "-w-app/s1/subagents/agent-abc.jsonl", [usr("find", T % 1), sub])
    assert set(rows(run("by", "agent"))) == {"main", "Explore"}


def test_a_progress_line_alone_is_typed_by_the_parents_call(config_dir):
    parent_with_progress_copy(config_dir, "Plan")
    assert set(rows(run("by", "agent"))) == {"main", "Plan"}


def test_two_sidechain_conversations_in_one_file_have_their_own_contexts(config_dir):
    side = {"isSidechain": True}
    first = [
        usr("find a", T % 1, agentId="A", **side),
        asst("a1", T % 2, side=True, content=[tool_use("ta", "Read")], agentId="A"),
        usr([tool_result("ta", BIG)], T % 3, agentId="A", **side),
        asst("a2", T % 4, side=True, agentId="A", usage={"cache_creation_input_tokens": 11000}),
    ]
    second = [
        usr("find b", T % 5, agentId="B", **side),
        asst("b1", T % 6, side=True, agentId="B", usage={"cache_creation_input_tokens": 11000}),
    ]
    write(config_dir, "-w-app/s1.jsonl", [usr("go", T % 0), *first])
    only_first = by_tool()["Read"]
    write(config_dir, "-w-app/s1.jsonl", second, mode="a")
    assert by_tool()["Read"] == pytest.approx(only_first)


def test_a_server_tools_result_is_that_tools(config_dir):
    result = [{"type": "web_search_result", "url": "u", "title": "t", "encrypted_content": "e" * 40000}]
    blocks = [
        {"type": "server_tool_use", "id": "srv1", "name": "web_search", "input": {"query": "q"}},
        {"type": "web_search_tool_result", "tool_use_id": "srv1", "content": result},
        {"type": "text", "text": "found"},
    ]
    later = asst("m2", T % 3, usage={"cache_read_input_tokens": 11000, "cache_creation_input_tokens": 100})
    write(
        config_dir,
        "-w-app/s1.jsonl",
        [usr("go", T % 0), asst("m1", T % 1, content=blocks), usr("more", T % 2), later],
    )
    found = by_tool()
    # m2 reads the result: about 10,000 of its 11,000 cached tokens are web_search's.
    assert found["web_search"] > 10_000 * 0.5 / 1e6


@pytest.mark.parametrize("args", [["by", "tool", "--json"], ["by", "mcp", "--json"], ["by", "tool"]])
def test_a_lone_surrogate_in_a_tool_name(config_dir, args):
    line = asst("m1", T % 1, content=[tool_use("t1", "mcp__evil_PLACE__run")]).replace("PLACE", "\\ud800")
    write(config_dir, "-w-app/s1.jsonl", [usr("go", T % 0), line])
    out = CliRunner().invoke(cli, ["report", *args, "-z", "UTC"])
    assert out.exit_code == 0, out.exception


def odd(config_dir, line: str) -> None:
    write(config_dir, "-w-app/s1.jsonl", [usr("go", T % 0), line])
    found = by_tool()
    assert "unattributed" not in found and sum(found.values()) == pytest.approx(daily_total(), abs=1e-12)


def test_content_that_is_not_a_list(config_dir):
    line = json.loads(asst("m1", T % 1))
    line["message"]["content"] = 5
    odd(config_dir, dump(line))


def test_a_tool_input_nested_deeper_than_python_recurses(config_dir):
    line = asst("m1", T % 1, content=[tool_use("t1", "Write", {"a": "DEEP"})])
    odd(config_dir, line.replace('"DEEP"', '{"a":' * 1500 + "1" + "}" * 1500))


def test_a_usage_line_without_type_or_role(config_dir):
    line = json.loads(asst("m1", T % 1))
    del line["type"], line["message"]["role"]
    odd(config_dir, dump(line))


def test_a_meta_json_written_after_the_transcript(config_dir):
    write(config_dir, "-w-app/s1.jsonl", [usr("go", T % 0), asst("m1", T % 1)])
    write(
        config_dir, "-w-app/s1/subagents/agent-abc.jsonl", [usr("find", T % 2), asst("e1", T % 3, side=True)]
    )
    assert "subagent" in rows(run("by", "agent"))
    (config_dir / "projects/-w-app/s1/subagents/agent-abc.meta.json").write_text('{"agentType":"Explore"}')
    assert set(rows(run("by", "agent"))) == {"main", "Explore"}


def test_responses_without_an_id_do_not_merge():
    t = Transcript("s1")
    first = asst(None, T % 1, req=None, content=[{"type": "text", "text": "a" * 400}])
    second = asst(None, T % 2, req=None, content=[tool_use("t1", "Bash", {"c": "x" * 30})])
    for line in (usr("go", T % 0), first, second):
        t.feed(json.loads(line))
    split = next(row[1] for row in t.rows.values() if "Bash" in row[1])
    assert split["Bash"][OUT] == pytest.approx(1.0)  # its only block is the call


# -- the split walks back over the tail only; a plain one walks the whole layout -----------------
def plain_split(items: list[list], usage: list[int]) -> dict[str, list[float]]:
    tokens_in, w5, w1, read = usage[:4]
    write = w5 + w1
    prompt = tokens_in + write + read
    estimated = sum(t for _, t in items)
    scale = prompt / estimated if estimated > prompt else 1.0
    out: dict[str, list[float]] = {}
    pos = prompt - estimated * scale
    for bucket, size in items:
        start, pos = pos, pos + size * scale
        if bucket == CONVERSATION:
            continue
        for lo, hi, kinds, total in (
            (0, read, (READ,), read),
            (read, read + write, (W5, W1), write),
            (read + write, prompt, (IN,), tokens_in),
        ):
            overlap = min(pos, hi) - max(start, lo)
            if overlap > 0 and total:
                fr = out.setdefault(bucket, [0.0] * 5)
                for kind in kinds:
                    fr[kind] += overlap / total
    return out


def test_the_fast_split_equals_a_plain_one_on_random_contexts():
    rnd = random.Random(5)
    for _ in range(2000):
        ctx = Context()
        for _ in range(rnd.randrange(0, 40)):
            ctx.add(
                rnd.choice([CONVERSATION, "Read", "Bash", "mcp__x__y"]),
                rnd.choice([0.5, 3.0, 250.0, 12_000.0]),
            )
        usage = [
            rnd.randrange(0, 50),
            rnd.randrange(0, 30_000),
            rnd.randrange(0, 3_000),
            rnd.randrange(0, 200_000),
            1,
        ]
        fast = ctx.split(usage, [])
        plain = plain_split(ctx.items, usage)
        assert set(fast) <= set(plain) | set(fast)
        for bucket in set(fast) | set(plain):
            got = fast.get(bucket, [0.0] * 5)
            want = plain.get(bucket, [0.0] * 5)
            assert got == pytest.approx(want, abs=1e-9), (bucket, ctx.items, usage)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_long_tail_split_by_bisection_equals_the_walk(seed):
    # A context of hundreds of items whose read range is short (the bench corpus's random usage)
    # is split by each bucket's running sums; the walk back over every item is the reference.
    rnd = random.Random(seed)
    for _ in range(300):
        ctx = Context()
        buckets = [CONVERSATION, "Read", "Bash", "mcp__x__y", "Edit", "unnamed tool"]
        for _ in range(rnd.randrange(0, 400)):
            ctx.add(rnd.choice(buckets), rnd.choice([0.25, 1.0, 7.5, 250.0, 12_000.0]))
        if rnd.random() < 0.3:
            ctx = Context(ctx.saved())  # read back from a saved state
        usage = [rnd.randrange(0, 5000), rnd.randrange(0, 60_000), rnd.randrange(0, 9_000), 0, 1]
        usage[3] = rnd.choice([0, rnd.randrange(0, 400_000), rnd.randrange(0, 5_000)])
        tokens_in, write, read = usage[0], usage[1] + usage[2], usage[3]
        prompt = tokens_in + write + read
        estimated = sum(ctx.totals.values())
        scale = prompt / estimated if estimated > prompt else 1.0
        walked = ctx._walked(0, tokens_in, write, read, prompt, scale)
        bisected = ctx._bisected(tokens_in, write, scale) if scale else ({}, {})
        assert set(bisected[0]) == set(walked[0])
        for bucket, fractions in walked[0].items():
            assert bisected[0][bucket] == pytest.approx(fractions, rel=1e-9, abs=1e-12), bucket
        for bucket in set(walked[1]) | set(bisected[1]):
            assert bisected[1].get(bucket, 0.0) == pytest.approx(walked[1].get(bucket, 0.0), abs=1e-6)
        fast = ctx.split(usage, [])
        plain = plain_split(ctx.items, usage)
        for bucket in set(fast) | set(plain):
            assert fast.get(bucket, [0.0] * 5) == pytest.approx(plain.get(bucket, [0.0] * 5), abs=1e-9)


def test_a_sessions_name_is_its_rename_else_claude_codes():
    from statusline.attrib.breakdown import Attribution

    t = Transcript("s1")
    for line in (
        {"type": "ai-title", "aiTitle": "Old name", "sessionId": "s1"},
        {"type": "ai-title", "aiTitle": "Fix the parser", "sessionId": "s1"},
    ):
        t.feed(line)
    state = {"session": "s1", "agent_id": "", "agent_type": "", "transcript": t.saved()}
    assert Attribution([state]).titles == {"s1": "Fix the parser"}
    t.feed({"type": "custom-title", "customTitle": "parser \ud800 work", "sessionId": "s1"})
    state = {"session": "s1", "agent_id": "", "agent_type": "", "transcript": t.saved()}
    assert Attribution([state]).titles == {"s1": "parser \ufffd work"}


def test_a_session_without_a_name_is_named_by_its_summary_else_its_first_prompt():
    # Found (issue 19 item 8): on real history every session was "(untitled)": older Claude Code
    # writes no ai-title, only `summary` lines, and many sessions have neither.
    from statusline.attrib.breakdown import Attribution

    def named(*lines: dict) -> str:
        t = Transcript("s1")
        for line in lines:
            t.feed(line)
        state = {"session": "s1", "agent_id": "", "agent_type": "", "transcript": t.saved()}
        return Attribution([state]).titles.get("s1", "")

    def prompt(content: object, **envelope: object) -> dict:
        return {
            "type": "user",
            "sessionId": "s1",
            "message": {"role": "user", "content": content},
            **envelope,
        }

    meta = prompt("<command-name>/clear</command-name>", isMeta=True)
    command = prompt("<command-name>/model</command-name>")
    first = prompt([{"type": "text", "text": "  Fix the\nflaky login test " + "and more " * 20}])
    summary = {"type": "summary", "summary": "Login test repair", "leafUuid": "u1"}
    later = {"type": "summary", "summary": "Login test repaired", "leafUuid": "u2"}
    assert named(meta, command, first, prompt("second prompt")) == named(first)  # commands are no prompt
    assert named(first).startswith("Fix the flaky login test and more") and named(first).endswith("…")
    assert len(named(first)) == 80
    assert named(prompt([{"type": "tool_result", "tool_use_id": "t", "content": "x"}])) == ""
    assert named(first, summary, later) == "Login test repaired"
    ai = {"type": "ai-title", "aiTitle": "Fix the parser", "sessionId": "s1"}
    custom = {"type": "custom-title", "customTitle": "my name", "sessionId": "s1"}
    assert named(first, later, ai) == "Fix the parser"
    assert named(custom, first, later, ai) == "my name"
