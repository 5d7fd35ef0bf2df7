"""The README's Install and Quick start commands, verbatim, in a clean HOME and a copy of the checkout.

The commands are read from README.md (its indented and fenced code blocks), so a README change
that stops them working fails here. The PATH is the system's alone: nothing beyond what the
README tells the user to do. pip installs come from the machine's own index (pip config).

By default the Install section runs (one venv); COSTLINE_README_ALL=1 also runs Quick start,
whose `sh scripts/test.sh` runs the whole suite again inside the copy (by default there: only
this Install part, so it does not recurse).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
FULL = bool(os.environ.get("COSTLINE_README_ALL"))
MARK = "@@costline-readme-step-done"


def section(text: str, title: str) -> str:
    """The body of the `## <title>…` section, up to the next `## ` header."""
    start = next(i for i, line in enumerate(text.splitlines()) if line.startswith(f"## {title}"))
    lines = text.splitlines()[start + 1 :]
    end = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    return "\n".join(lines[:end])


def commands(body: str) -> list[str]:
    """Every line of the section's code blocks: indented by four spaces after a blank line, or
    fenced with ``` (not ```json or other data)."""
    out: list[str] = []
    fenced = indented = False
    previous = ""
    for line in body.splitlines():
        if line.startswith("```"):
            fenced = not fenced and line.strip() in ("```", "```sh", "```bash", "```shell")
            continue
        if fenced:
            out.append(line)
        elif line.startswith("    ") and (indented or not previous.strip()):
            indented = True
            out.append(line[4:])
        else:
            indented = False
        previous = line
    return [c for c in out if c.strip()]


def readme_commands() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(title, c) for title in ("Install", "Quick start") for c in commands(section(text, title))]


def test_the_readme_has_the_commands_this_test_expects():
    found = readme_commands()
    install = [c for t, c in found if t == "Install"]
    assert install[0].startswith("python3 -m venv ~/.local/share/costline && ")
    assert install[0].endswith("/costline install")
    assert any(c.startswith("costline doctor") for c in install)  # run by name
    assert any(c.startswith("sh scripts/demo.sh") for t, c in found if t == "Quick start")


def checkout_copy(dest: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "out"
    )
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def clean_env(home: Path, offline_config: Path) -> dict[str, str]:
    """A fresh user's environment: HOME, the system PATH, locale and the machine's pip settings;
    prices offline (tests never reach the internet)."""
    env = {
        k: v for k, v in os.environ.items() if k.startswith(("PIP_", "LANG", "LC_")) or k in ("TERM", "TZ")
    }
    env.update(HOME=str(home), PATH=SYSTEM_PATH, COSTLINE_CONFIG=str(offline_config), NO_COLOR="1")
    return env


@pytest.mark.skipif(not shutil.which("python3", path=SYSTEM_PATH), reason="no python3 on the system PATH")
def test_readme_install_and_quick_start_run_verbatim_in_a_clean_home(tmp_path):
    home = tmp_path / "fresh-home"  # not the suite's HOME, which has a Claude config dir
    home.mkdir()
    offline = tmp_path / "offline.toml"
    offline.write_text("[pricing]\noffline = true\n")
    checkout = checkout_copy(tmp_path / "costline")
    steps = [(t, c) for t, c in readme_commands() if FULL or t == "Install"]
    # One shell, as a user types them: what one command sets (PATH) holds for the next.
    script = "".join(f"{c}\necho '{MARK} {i}'\n" for i, (_, c) in enumerate(steps))
    proc = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=checkout,
        env=clean_env(home, offline),
        capture_output=True,
        text=True,
        timeout=1800 if FULL else 600,
        check=False,
    )
    done = sum(1 for line in proc.stdout.splitlines() if line.startswith(MARK))
    failed = steps[min(done, len(steps) - 1)][1]
    assert proc.returncode == 0 and done == len(steps), (
        f"README command failed: {failed}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    link = home / ".local" / "bin" / "costline"
    assert link.is_symlink()
    assert os.path.realpath(link) == str(home / ".local" / "share" / "costline" / "bin" / "costline")
    assert (home / ".claude" / "settings.json").exists()
    assert "✗" not in proc.stdout  # doctor: nothing failed on a machine with no logs yet
    if FULL:  # the demo's line: today includes the sample session (tests/test_demo.py)
        assert "$0.51 session · $1.37 today" in proc.stdout
