"""git.py: the branch from `.git/HEAD` and the opt-in dirty check, which must run nothing the
repository names (fsmonitor hook, clean/process filters, hooks) and take no index lock."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from statusline.git import git_dirty

needs_git = pytest.mark.skipif(not shutil.which("git"), reason="needs git")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def committed_repo(tmp_path: Path, names: tuple[str, ...]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for name in names:
        (repo / name).write_text(f"{name}\n")
    git(repo, "add", *names)
    git(repo, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "init")
    return repo


def marker_script(tmp_path: Path, name: str, then: str) -> Path:
    """An executable that leaves `<name>.ran` behind, then does `then`."""
    script = tmp_path / f"{name}.sh"
    script.write_text(f"#!/bin/sh\ntouch '{tmp_path / (name + '.ran')}'\n{then}\n")
    script.chmod(0o755)
    return script


@needs_git
def test_git_dirty_runs_nothing_the_repository_names_and_takes_no_lock(tmp_path):
    # Found: `git status` ran core.fsmonitor and the clean filter of a stat-dirty file, and
    # wrote the refreshed index (the optional lock).
    repo = committed_repo(tmp_path, ("a.txt", "b.txt", "c.txt", "d.txt"))
    fsmonitor = marker_script(tmp_path, "fsmonitor", "exit 1")
    clean = marker_script(tmp_path, "clean", "cat")
    process = marker_script(tmp_path, "process", "exit 1")
    dotted = marker_script(tmp_path, "dotted", "cat")
    hook = marker_script(tmp_path, "hook", "exit 0")
    git(repo, "config", "core.fsmonitor", str(fsmonitor))
    git(repo, "config", "filter.evil.clean", str(clean))
    git(repo, "config", "filter.evil.required", "true")
    git(repo, "config", "filter.long.process", str(process))
    git(repo, "config", "filter.a.b.clean", str(dotted))
    (repo / ".git" / "hooks" / "post-index-change").write_bytes(hook.read_bytes())
    (repo / ".git" / "hooks" / "post-index-change").chmod(0o755)
    (repo / ".gitattributes").write_text("a.txt filter=evil\nb.txt filter=long\nd.txt filter=a.b\n")
    later = time.time() + 100  # same content, new stat: git must look at the content
    for name in ("a.txt", "b.txt", "d.txt"):
        os.utime(repo / name, (later, later))
    index = repo / ".git" / "index"
    before = index.stat()

    dirty = git_dirty(str(repo), str(tmp_path / "cache"), 1000.0)

    assert sorted(p.name for p in tmp_path.glob("*.ran")) == []
    after = index.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert dirty is False
    (repo / "c.txt").write_text("changed\n")
    assert git_dirty(str(repo), str(tmp_path / "cache2"), 1000.0) is True
    assert sorted(p.name for p in tmp_path.glob("*.ran")) == []


@needs_git
def test_a_filter_name_git_cannot_be_told_to_ignore_gives_no_answer(tmp_path):
    # `-c` splits at the first "=": a driver named "x=y" could not be switched off, so git is
    # not asked at all (the segment shows the branch without a mark).
    repo = committed_repo(tmp_path, ("a.txt",))
    clean = marker_script(tmp_path, "clean", "cat")
    git(repo, "config", "filter.x=y.clean", str(clean))
    (repo / ".gitattributes").write_text("a.txt filter=x=y\n")
    (repo / "a.txt").write_text("changed\n")
    assert git_dirty(str(repo), str(tmp_path / "cache"), 1000.0) is None
    assert not (tmp_path / "clean.ran").exists()
