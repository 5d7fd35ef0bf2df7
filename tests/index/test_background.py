"""statusline/index/background.py: the refresh a render starts runs costline's own code only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from helpers import assistant, payload, write_transcript


def installed_parent() -> str:
    """The folder the installed `statusline` is imported from (as the launcher is written)."""
    return subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import os, statusline; print(os.path.dirname(os.path.dirname(statusline.__file__)))",
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()


def refresh_done(cache: Path) -> bool:
    """The refresh has written the index and released bg.lock."""
    lock = cache / "bg.lock"
    if not ((cache / "index" / "v3" / "meta").exists() and lock.exists()):
        return False
    fd = os.open(lock, os.O_RDWR)
    try:
        os.lockf(fd, os.F_TLOCK, 0)
        os.lockf(fd, os.F_ULOCK, 0)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def test_refresh_ignores_pythonpath_and_the_working_directory(config_dir, tmp_path):
    """A project with a sitecustomize.py and a `statusline` package, and PYTHONPATH=":" (the
    working directory on the path): the background refresh must run neither."""
    project = tmp_path / "project"
    (project / "statusline").mkdir(parents=True)
    marker = tmp_path / "ran"
    plant = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    (project / "sitecustomize.py").write_text(plant)
    (project / "usercustomize.py").write_text(plant)
    (project / "statusline" / "__init__.py").write_text(plant)
    (project / "statusline" / "entry.py").write_text(plant + "def main(argv=None):\n    return 0\n")
    from statusline.cli.launcher import script

    launcher = tmp_path / "costline-statusline"
    launcher.write_text(script(sys.executable, installed_parent()))
    transcript = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    env = dict(os.environ, PYTHONPATH=":", NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-IS", str(launcher)],  # as Claude Code runs what install wrote
        input=payload(transcript),
        cwd=project,
        env=env,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0 and b"session" in proc.stdout, proc
    cache = Path(os.environ["COSTLINE_CACHE_DIR"])
    assert (cache / "refresh.stamp").exists()  # the render started the refresh
    deadline = time.monotonic() + 20
    while not marker.exists() and not refresh_done(cache):  # bounded: either outcome ends it
        assert time.monotonic() < deadline, "the background refresh did not finish"
        time.sleep(0.02)
    assert not marker.exists(), marker.read_text()
    assert (cache / "index" / "v3" / "meta").exists()  # costline's own refresh ran
