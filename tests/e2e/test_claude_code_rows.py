"""Opt-in: three rows, two of your commands and this session's split under the real Claude Code.

Claude Code 2.1.332 (the shared e2e tool's default) runs `costline install`'s launcher every
second (`--refresh-interval 1`) against the fake API, in a tmux server of its own. What its status
bar shows: three rows; a quick command's text within a few refreshes with its OSC 52 clipboard
write removed (neither in the pane nor in tmux's buffers, which `set-clipboard on` would fill);
a hanging command as `slow ?` once its timeout killed it, the quick one counting on meanwhile;
`agents` and `tools` once a background refresh has split the session. Needs COSTLINE_E2E=1, tmux,
and Claude Code (COSTLINE_CLAUDE, or npm installs it into COSTLINE_E2E_DIR/2.1.332).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
from fake_api import FakeApi
from helpers import COSTLINE
from test_install_e2e import claude_binary, wait_for

pytestmark = pytest.mark.skipif(
    not os.environ.get("COSTLINE_E2E") or not shutil.which("tmux"),
    reason="opt-in: COSTLINE_E2E=1 with tmux and a Claude Code CLI",
)
VERSION = "2.1.332"
CONFIG = """[pricing]
offline = true

[line]
rows = [["model", "session", "today", "context"], ["cmd:quick", "cmd:slow", "git"], ["agents", "tools"]]

[tools]
min_pct = 1

[commands.quick]
run = "echo x >> count; printf 'n=%s\\\\033]52;c;aGk=\\\\007\\\\n' $(wc -l < count)"
every = 1

[commands.slow]
run = "sleep 60"
every = 30
timeout = 12
"""


def test_three_rows_two_commands_and_the_sessions_split_in_the_real_status_bar(tmp_path):
    claude = claude_binary(tmp_path, VERSION)
    home, project = tmp_path / "home", tmp_path / "proj"
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    project.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True)
    notes = project / "notes.txt"
    notes.write_text("".join(f"line {i}: {'words ' * 12}\n" for i in range(400)))  # ~36 KB to Read
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
    config = home / ".config" / "costline" / "config.toml"
    config.parent.mkdir(parents=True, mode=0o700)
    config.write_text(CONFIG)
    config.chmod(0o600)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CLAUDE_CONFIG_DIR", "COSTLINE_CACHE_DIR", "COSTLINE_CONFIG", "TMUX")
    }
    env.update(HOME=str(home), TMUX_TMPDIR=str(tmp_path))  # a tmux server of this test's own
    subprocess.run([COSTLINE, "install", "--refresh-interval", "1"], env=env, check=True, capture_output=True)
    api = FakeApi(tool_call=("READ-NOTES", "Read", {"file_path": str(notes)}))
    run_env = {
        "ANTHROPIC_API_KEY": "sk-ant-dummy",
        "ANTHROPIC_BASE_URL": api.url,
        "ANTHROPIC_MODEL": "claude-opus-4-8",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "TERM": "xterm-256color",
    }
    session = "rows"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, env=env, check=False).stdout

    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "40", "-c", str(project), claude],
        check=True,
        env={**env, **run_env},
    )
    tmux("set-option", "-g", "set-clipboard", "on")  # an OSC 52 that reached it would fill a buffer

    def rows() -> list[str]:
        lines = tmux("capture-pane", "-p", "-t", session).splitlines()
        first = next((i for i, line in enumerate(lines) if " session · " in line), None)
        return [] if first is None else [line.strip() for line in lines[first : first + 3]]

    def count() -> int:
        found = re.search(r"\bn=(\d+)", " ".join(rows()))
        return int(found.group(1)) if found else 0

    try:
        assert wait_for(lambda: count() > 0, 60), rows()  # the quick command, within a few refreshes
        first = count()
        assert "slow ?" not in rows()[1]
        # The slow command hangs in its runner until its timeout: the quick one counts on meanwhile.
        assert wait_for(lambda: count() >= first + 2, 10), rows()
        assert wait_for(lambda: "slow ?" in rows()[1], 40), rows()
        tmux("send-keys", "-t", session, "-l", "READ-NOTES please")
        assert wait_for(lambda: "READ-NOTES" in tmux("capture-pane", "-p", "-t", session), 10)
        tmux("send-keys", "-t", session, "Enter")
        assert wait_for(
            lambda: len(api.requests) >= 2 and "fake API" in tmux("capture-pane", "-p", "-t", session), 60
        ), (api.requests, tmux("capture-pane", "-p", "-t", session))
        # Made by the background refresh, at most once a minute: both after the next one.
        assert wait_for(lambda: len(rows()) == 3 and "main $" in rows()[2] and "Read ~" in rows()[2], 150), (
            rows()
        )
        shown = rows()
        raw = tmux("capture-pane", "-p", "-e", "-t", session)
        print("\n".join(shown))
        assert "]52" not in raw and "aGk=" not in raw  # the escape sequence never reached the terminal
        assert "hi" not in tmux("list-buffers", "-F", "#{buffer_sample}").split()
        assert shown[0].startswith("Opus 4.8 · $") and re.search(r"\bn=\d+ · slow \? · main$", shown[1]), (
            shown
        )
        assert re.fullmatch(r"main \$\d+\.\d\d · Read ~\d+%", shown[2]), shown
    finally:
        tmux("kill-server")
        api.close()
