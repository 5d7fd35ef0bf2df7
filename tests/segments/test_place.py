"""Segments of where the session runs (statusline/segments/place.py): git, pr, repo, worktree, dir."""

from __future__ import annotations

import os

import pytest
from segment_helpers import (
    ctx,
    text,
    with_config,
)

from statusline.segments import info, place


def test_directory_styles(tmp_path, monkeypatch):
    body = {"workspace": {"current_dir": f"{os.environ['HOME']}/src/costline/app"}}
    assert text(place.directory(ctx(body))) == "app"
    with_config(tmp_path, monkeypatch, '[line]\ndir_style = "fish"')
    assert text(place.directory(ctx(body))) == "~/s/c/app"
    with_config(tmp_path, monkeypatch, '[line]\ndir_style = "full"')
    assert text(place.directory(ctx(body))) == "~/src/costline/app"


@pytest.mark.skipif(not __import__("shutil").which("git"), reason="needs git")
def test_git_dirty_marker_is_opt_in(tmp_path, monkeypatch):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    run = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)  # noqa: E731
    run("init", "-q", "-b", "main")
    (repo / "f.txt").write_text("one\n")
    run("add", "f.txt")
    run("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "init")
    body = {"workspace": {"current_dir": str(repo)}}
    assert text(place.git(ctx(body))) == "main"
    (repo / "f.txt").write_text("two\n")
    assert text(place.git(ctx(body))) == "main"  # no git process unless asked
    with_config(tmp_path, monkeypatch, "[line]\ngit_dirty = true")
    assert text(place.git(ctx(body))) == "main*"


@pytest.mark.parametrize(
    ("pr", "expected"),
    [
        ({"number": 123, "review_state": "approved"}, "PR #123 ✓"),
        ({"number": 45, "kind": "mr", "review_state": "changes_requested"}, "MR !45 ✗"),
        ({"number": 7, "review_state": "draft"}, "PR #7 draft"),
        ({"number": 7, "review_state": "pending"}, "PR #7 …"),
        ({"number": 7}, "PR #7"),
        ({"number": "7\x1b[2J"}, None),
        ({"number": True}, None),
    ],
)
def test_pull_request(pr, expected):
    assert text(place.pull_request(ctx({"pr": pr}))) == expected


def test_repo_worktree_session_name_and_agent_are_sanitised():
    body = {
        "workspace": {"repo": {"host": "github.com", "owner": "acme", "name": "app\x1b]8;;http://x\x07"}},
        "worktree": {"name": "feature\u202ex"},
        "session_name": "refactor\x07 day",
        "agent": {"name": "reviewer", "type": "code-review"},
    }
    c = ctx(body)
    assert text(place.repo(c)) == "acme/app]8;;http://x"  # ESC and BEL gone: inert text
    assert text(place.worktree(c)) == "wt featurex"
    assert text(info.session_name(c)) == "refactor day"
    assert text(info.agent(c)) == "agent reviewer (code-review)"
    assert place.repo(ctx({})) is None and place.worktree(ctx({})) is None
    assert text(place.worktree(ctx({"workspace": {"git_worktree": "wt-2"}}))) == "wt wt-2"
    assert text(info.agent(ctx({"agent": {"name": "x", "type": "x"}}))) == "agent x"
