"""Opt-in: costline under the real Claude Code CLI (fake Anthropic API on 127.0.0.1).

Run with COSTLINE_E2E=1 (needs node, npm, tmux and the shared e2e tool beside the repo; the first
run installs Claude Code from npm, ~250 MB, into COSTLINE_E2E_DIR or a temp dir). Not part of the
default run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import COSTLINE

TOOL = (
    Path(__file__).resolve().parents[3] / "shared" / "tools" / "claude-code-e2e" / "run-claude-statusline.sh"
)
REQUEST_COST = 0.0283  # the fake API's default usage on Opus 4.8, as Claude Code prices it

pytestmark = pytest.mark.skipif(
    not os.environ.get("COSTLINE_E2E")
    or not all(shutil.which(t) for t in ("node", "npm", "tmux"))
    or not TOOL.exists(),
    reason="opt-in: COSTLINE_E2E=1 with node, npm, tmux and shared/tools/claude-code-e2e",
)


def test_status_bar_shows_costline_with_claude_codes_own_session_cost(tmp_path):
    work = Path(os.environ.get("COSTLINE_E2E_DIR") or tmp_path / "cc")
    for old in (work / "home" / ".claude" / "projects",):
        shutil.rmtree(old, ignore_errors=True)
    env = dict(
        os.environ, STATUS_COMMAND=f"{COSTLINE} --no-color", COSTLINE_CACHE_DIR=str(tmp_path / "cache")
    )
    env.pop("CLAUDE_CONFIG_DIR", None)
    subprocess.run(
        ["bash", str(TOOL), str(work), "hello", "second prompt"],
        env=env,
        check=True,
        capture_output=True,
        timeout=900,
    )
    pane = (work / "out" / "pane-end.txt").read_text()
    payloads = sorted((work / "out").glob("payload-*.json"))
    last = json.loads(payloads[-1].read_text())
    own = last["cost"]["total_cost_usd"]
    status = next(line for line in pane.splitlines() if " session · " in line)
    assert f"${own:.2f} session" in status and "today" in status

    # The transcript lacks the requests Claude Code made but did not log; the fake API saw them all.
    requests = len((work / "out" / "mock-requests.log").read_text().splitlines())
    transcript = Path(last["transcript_path"])
    logged = {
        json.loads(x)["message"]["id"]
        for x in transcript.read_text().splitlines()
        if '"assistant"' in x and '"usage":{' in x
    }
    del last["cost"]
    cfg = dict(
        os.environ,
        CLAUDE_CONFIG_DIR=str(work / "home" / ".claude"),
        COSTLINE_CACHE_DIR=str(tmp_path / "c2"),
        NO_COLOR="1",
    )
    expected = round(own - (requests - len(logged)) * REQUEST_COST, 2)
    first = subprocess.run(
        [COSTLINE], input=json.dumps(last).encode(), capture_output=True, env=cfg, check=True
    ).stdout.decode()
    if transcript.stat().st_size > 128 * 1024:
        # Claude Code 2.1.332 writes 163 KB for two prompts: more than a first render reads, so
        # its figure is a floor and must say so.
        assert re.search(r"\$[0-9.]+… session", first), first
    subprocess.run([COSTLINE, "index", "refresh"], capture_output=True, env=cfg, check=True)
    out = subprocess.run(
        [COSTLINE], input=json.dumps(last).encode(), capture_output=True, env=cfg, check=True
    )
    computed = float(re.search(r"\$([0-9.]+) session", out.stdout.decode()).group(1))
    assert computed == pytest.approx(expected, abs=0.005)
