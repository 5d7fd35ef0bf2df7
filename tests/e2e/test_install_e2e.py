"""Opt-in: `costline install` into a temporary HOME, then the real Claude Code CLI shows our line.

Needs COSTLINE_E2E=1, tmux, and a Claude Code CLI: COSTLINE_CLAUDE=/path/to/claude, or one npm
installs into COSTLINE_E2E_DIR (node and npm needed; ~250 MB). Not part of the default run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from fake_api import FakeApi
from helpers import COSTLINE

pytestmark = pytest.mark.skipif(
    not os.environ.get("COSTLINE_E2E") or not shutil.which("tmux"),
    reason="opt-in: COSTLINE_E2E=1 with tmux and a Claude Code CLI",
)
VERSION = "2.1.197"


def claude_binary(tmp_path: Path, version: str = VERSION) -> str:
    explicit = os.environ.get("COSTLINE_CLAUDE")
    if explicit:
        return explicit
    work = Path(os.environ.get("COSTLINE_E2E_DIR") or tmp_path / "npm")
    work = work if version == VERSION else work / version
    binary = work / "node_modules" / ".bin" / "claude"
    if not binary.exists():
        if not shutil.which("npm"):
            pytest.skip("npm is needed to install Claude Code")
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", f"@anthropic-ai/claude-code@{version}"],
            cwd=work,
            check=True,
            capture_output=True,
            timeout=900,
        )
    return str(binary)


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_install_then_claude_code_shows_costline(tmp_path):
    claude = claude_binary(tmp_path)
    home, project = tmp_path / "home", tmp_path / "proj"
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    project.mkdir()
    (home / ".claude.json").write_text(
        json.dumps(
            {
                "hasCompletedOnboarding": True,
                "lastOnboardingVersion": VERSION,
                "theme": "dark",
                "customApiKeyResponses": {"approved": ["sk-ant-dummy"], "rejected": []},
                "projects": {
                    str(project): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}
                },
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CLAUDE_CONFIG_DIR", "COSTLINE_CACHE_DIR")}
    env.update(HOME=str(home), NO_COLOR="1")
    assert (
        subprocess.run([COSTLINE, "install", "--refresh-interval", "0"], env=env, check=False).returncode == 0
    )
    api = FakeApi()
    session = f"costline-e2e-{os.getpid()}"
    run_env = " ".join(
        f"{k}={v}"
        for k, v in {
            "HOME": home,
            "ANTHROPIC_API_KEY": "sk-ant-dummy",
            "ANTHROPIC_BASE_URL": api.url,
            # The price below is Opus 4.8's; Claude Code 2.1.332 would otherwise pick Opus 5.5.
            "ANTHROPIC_MODEL": "claude-opus-4-8",
            "NO_COLOR": "1",
            "DISABLE_AUTOUPDATER": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "TERM": "xterm-256color",
            "COSTLINE_CONFIG": os.environ.get("COSTLINE_CONFIG", ""),
        }.items()
    )
    subprocess.run(
        [
            "tmux",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "160",
            "-y",
            "40",
            f"cd {project} && env {run_env} {claude}",
        ],
        check=True,
        env=env,
    )

    def pane() -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
        ).stdout

    try:
        assert wait_for(lambda: "today" in pane(), 60), pane()
        for prompt in ("hello", "second prompt"):
            before = len(api.requests)
            subprocess.run(["tmux", "send-keys", "-t", session, "-l", prompt], check=True)
            time.sleep(1)
            subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)
            assert wait_for(lambda b=before: len(api.requests) > b and "fake API" in pane(), 60), pane()
        assert wait_for(lambda: "$0.08 session" in pane() or "$0.06 session" in pane(), 30), pane()
        status = next(line for line in pane().splitlines() if " session · " in line)
        # Claude Code's own cost for its requests at the fake API's usage: $0.0283 each.
        assert f"${0.0283 * len(api.requests):.2f} session" in status, (status, api.requests)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
        api.close()
