"""A subagent's response logged twice: in its own transcript (`subagents/agent-<id>.jsonl`) and,
as some Claude Code versions did, copied into an `agent_progress` line of its parent's. The
subagent file's copy is the one kept (it carries the agent), counted once, whichever file is
read first."""

from __future__ import annotations

import json
import os
import time

import pytest
from helpers import assistant, cost_rows, payload, report_json, user, write_transcript
from index_helpers import loads, store

from statusline.context import Context
from statusline.index import upkeep
from statusline.index.scan import scan

IN, OUT = 5 / 1e6, 25 / 1e6  # Opus 4.8, per token
MAIN = 10 * IN + 100 * OUT  # the parent's own response
SUB = 10 * IN + 300 * OUT  # the subagent's response as its own file logs it

# (subagent file's copy, progress copy's) times: the same, or an hour and a two-hour merge
# window apart (06:00 UTC starts both), either way round.
TIMES = {
    "same time": ("2026-11-20T05:59:59.700Z", "2026-11-20T05:59:59.700Z"),
    "subagent's copy first": ("2026-11-20T05:59:59.700Z", "2026-11-20T06:00:00.100Z"),
    "progress copy first": ("2026-11-20T06:00:00.100Z", "2026-11-20T05:59:59.700Z"),
}


def dump(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def subagent_line(ts: str) -> str:
    return assistant(
        msg_id="msg_sub",
        request_id="req_sub",
        ts=ts,
        sidechain=True,
        agentId="abc",
        usage={"output_tokens": 300},
    )


def progress_line(ts: str, output_tokens: int, with_request_id: bool, outer_request_id: str = "") -> str:
    """The parent's `agent_progress` line carrying the subagent's response as it stood then
    (`outer_request_id`: the parent's request, on the outer line)."""
    own = json.loads(
        assistant(msg_id="msg_sub", request_id="req_sub", ts=ts, usage={"output_tokens": output_tokens})
    )
    inner = {"type": "assistant", "timestamp": ts, "message": own["message"], "uuid": "u-sub"}
    if with_request_id:
        inner["requestId"] = "req_sub"
    data = {
        "message": inner,
        "normalizedMessages": [],
        "type": "agent_progress",
        "prompt": "find",
        "agentId": "abc",
    }
    outer = {
        "parentUuid": "p",
        "isSidechain": False,
        "userType": "external",
        "cwd": "/w",
        "sessionId": "s1",
        "version": "2.1.30",
        "type": "progress",
        "data": data,
        "toolUseID": "agent_msg_1",
        "parentToolUseID": "t1",
        "uuid": "u-progress",
        "timestamp": ts,
    }
    if outer_request_id:
        outer["requestId"] = outer_request_id
    return dump(outer)


def parent_call() -> str:
    """The parent's response that starts subagent `abc` (its result has not come back yet)."""
    line = json.loads(assistant(msg_id="msg_main", request_id="req_main", ts="2026-11-20T05:59:50.000Z"))
    call = {"type": "tool_use", "id": "t1", "name": "Task", "input": {"subagent_type": "Explore"}}
    line["message"]["content"] = [call]
    return dump(line)


def write_parent(config, progress: str | None) -> object:
    lines = [user("go", ts="2026-11-20T05:59:40.000Z"), parent_call()]
    return write_transcript(config, "-w-app", "s1.jsonl", lines + ([progress] if progress else []))


def write_subagent(config, ts: str) -> None:
    folder = config / "projects" / "-w-app" / "s1" / "subagents"
    write_transcript(
        config,
        "-w-app",
        "s1/subagents/agent-abc.jsonl",
        [user("find", ts="2026-11-20T05:59:51.000Z"), subagent_line(ts)],
    )
    (folder / "agent-abc.meta.json").write_text('{"agentType":"Explore"}')


def render(path) -> None:
    """One render of session s1, as Claude Code runs it (no background refresh)."""
    cache = os.environ["COSTLINE_CACHE_DIR"]
    now = time.time()
    st = store()
    st.ensure()
    if not st.read("meta"):
        st.write("meta", {"format": 2, "rescan_epoch": 0, "full_scan_ms": int(now * 1000)})
    st.mark_refresh_started(now)
    ctx = Context(json.loads(payload(path)), now, os.environ, cache)
    ctx.refresh_index()
    assert ctx.session_current


def read(path) -> None:
    scan(store(), loads, workers=1)


@pytest.mark.parametrize("with_request_id", [True, False], ids=["request id", "no request id"])
@pytest.mark.parametrize("progress_tokens", [100, 500], ids=["progress copy smaller", "progress copy larger"])
@pytest.mark.parametrize("times", list(TIMES))
@pytest.mark.parametrize(
    "how",
    [
        "cold scan",
        "scans, progress line first",
        "scans, subagent file first",
        "renders, progress line first",
        "renders, subagent file first",
    ],
)
def test_the_subagent_files_copy_is_kept(config_dir, how, times, progress_tokens, with_request_id):
    sub_ts, progress_ts = TIMES[times]
    progress = progress_line(progress_ts, progress_tokens, with_request_id)
    step = render if how.startswith("renders") else read
    if how == "cold scan":  # one group: the merge takes hours in order, then files in order
        write_parent(config_dir, progress)
        write_subagent(config_dir, sub_ts)
        scan(store(), loads, workers=1)
    elif how.endswith("progress line first"):
        path = write_parent(config_dir, progress)
        step(path)
        write_subagent(config_dir, sub_ts)
        step(path)
    else:
        path = write_parent(config_dir, None)
        write_subagent(config_dir, sub_ts)
        step(path)
        write_transcript(config_dir, "-w-app", "s1.jsonl", [progress], mode="a")
        step(path)
    daily = report_json("daily", "--no-refresh")
    assert daily["totals"]["totalCost"] == pytest.approx(MAIN + SUB)
    assert cost_rows(report_json("by", "agent", "--no-refresh")) == pytest.approx(
        {"main": MAIN, "Explore": SUB}
    )
    counters: dict[str, int] = {}
    for group in upkeep.groups(store()):
        for name, value in group["counters"].items():
            counters[name] = counters.get(name, 0) + value
    assert (counters["entries"], counters["duplicates"]) == (2, 1)


@pytest.mark.parametrize("outer_request_id", ["", "req_main"], ids=["no outer id", "outer id"])
def test_a_forks_progress_copy_without_a_request_id_is_not_counted_again(config_dir, outer_request_id):
    """`--fork-session` copies the parent's lines, its `agent_progress` line included, under the
    new session id; the subagent's own file stays with the original session. A progress copy
    without a request id matches the subagent's copy (which has one) only in the same session
    (update._match): in the fork it is a new message. The README: without a request id,
    `message.id` alone identifies a response. Found: the subagent's response counted twice."""
    sub_ts, progress_ts = TIMES["same time"]
    write_parent(config_dir, progress_line(progress_ts, 300, False, outer_request_id))
    write_subagent(config_dir, sub_ts)
    fork = [
        line.replace('"sessionId":"s1"', '"sessionId":"s2"')
        for line in (config_dir / "projects" / "-w-app" / "s1.jsonl").read_text().splitlines()
    ]
    assert all('"s1"' not in line for line in fork)
    write_transcript(config_dir, "-w-app", "s2.jsonl", fork)
    scan(store(), loads, workers=1)
    daily = report_json("daily", "--no-refresh")
    assert daily["totals"]["totalCost"] == pytest.approx(MAIN + SUB)
