"""statusline/index/background.py: the refresh a render starts runs costline's own code only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from helpers import assistant, installed_parent, payload, write_transcript


def refresh_done(cache: Path) -> bool:
    """The refresh has written the index and released bg.lock."""
    lock = cache / "bg.lock"
    if not ((cache / "index" / "v2" / "meta").exists() and lock.exists()):
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
    assert (cache / "index" / "v2" / "meta").exists()  # costline's own refresh ran


def test_a_refresh_that_cannot_be_started_leaves_today_and_the_limits_alone(config_dir, monkeypatch):
    """posix_spawn failing with EAGAIN (the user's process limit reached by a build): the render
    shows `$? today`, which the README keeps for a cache dir that cannot be written, and skips
    this render's unlogged and limits tracking, although the index itself was read and kept."""
    import errno

    from helpers import ONE
    from test_render import now_iso

    from statusline.index import background
    from statusline.render import build_line

    def no_process(argv=None):
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(background, "spawn", no_process)
    transcript = write_transcript(config_dir, "p", "s1.jsonl", [assistant(ts=now_iso(-5))])
    limits = {"five_hour": {"used_percentage": 40, "resets_at": time.time() + 3600}}
    line = build_line(payload(transcript, rate_limits=limits), os.environ, time.time(), ["--no-color"])
    assert f"${ONE:.2f}… today" in line, line  # `…`: no full scan has run yet (it could not start)
    assert (Path(os.environ["COSTLINE_CACHE_DIR"]) / "limits.samples").exists()
