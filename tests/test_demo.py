"""`sh scripts/demo.sh`'s line: today includes the sample session, and the demo keeps to itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def figures(line: str) -> tuple[float, float]:
    plain = re.sub(r"\x1b\[[0-9;]*m", "", line)
    session = re.search(r"\$(\d+\.\d\d) session", plain)
    today = re.search(r"\$(\d+\.\d\d) today", plain)
    assert session and today, plain
    return float(session[1]), float(today[1])


def test_the_demo_shows_today_at_least_the_session_and_writes_nothing_of_yours(tmp_path, config_dir):
    """Found: `$0.51 session · $0.00 today`, read from the user's own logs and cache."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp), NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "samples" / "demo.py")],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.decode()
    assert line == "Opus 4.6 · $0.51 session · $1.37 today · ctx 42% · +156 −23\n"
    session, today = figures(line)
    assert today >= session
    assert not Path(os.environ["COSTLINE_CACHE_DIR"]).exists()  # the user's cache: untouched
    assert list(temp.iterdir()) == []  # its own folder removed


def test_demo_sh_runs_the_demo():
    lines = (ROOT / "scripts" / "demo.sh").read_text().splitlines()
    assert lines[-1] == ".venv/bin/python samples/demo.py samples/payload-opus.json"
