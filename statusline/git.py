"""The working directory's git state, for the git segment: the branch read from `.git/HEAD`
(worktrees followed) without starting git, and, opt-in, whether tracked files changed.

The only segment input that reads files outside costline's own and may start a process; kept
apart so the segments stay pure functions of the Context (which asks here, lazily).
"""

from __future__ import annotations

from statusline import fs


def git_head(start: str) -> str | None:
    """The branch (or short commit) checked out at or above `start`, read from .git/HEAD.

    No `git` process is started; a linked worktree's `.git` file is followed to its gitdir.
    """

    folder = fs.abspath(start)
    for _ in range(40):
        dot_git = fs.join(folder, ".git")
        head_path = None
        if fs.isdir(dot_git):
            head_path = fs.join(dot_git, "HEAD")
        elif fs.isfile(dot_git):
            try:
                with open(dot_git, encoding="utf-8", errors="replace") as fh:
                    pointer = fh.read(4096).strip()
            except OSError:
                return None
            if pointer.startswith("gitdir:"):
                head_path = fs.join(folder, pointer[7:].strip(), "HEAD")
        if head_path:
            if not fs.isfile(head_path):
                return None
            try:
                with open(head_path, encoding="utf-8", errors="replace") as fh:
                    head = fh.read(4096).strip()
            except OSError:
                return None
            if head.startswith("ref:"):
                ref = head[4:].strip()
                return ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref
            return head[:7] or None
        parent = fs.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return None


GIT_DIRTY_TTL_S = 10.0
GIT_TIMEOUT_S = 0.25


def git_dirty(where: str, cache: str, now_s: float) -> bool | None:
    """Whether tracked files have changes (`line.git_dirty`, opt-in): `git status`, at most
    once per GIT_DIRTY_TTL_S per directory, with an argument list and a timeout."""
    import marshal

    key = "".join(c if c.isalnum() else "_" for c in fs.abspath(where))[-120:]
    memo = fs.join(cache, "git", key)
    last: bool | None = None  # the last known answer, used when git is slow or fails
    try:
        with open(memo, "rb") as fh:
            stamp, dirty = marshal.loads(fh.read())
        last = bool(dirty)
        if 0 <= now_s - stamp < GIT_DIRTY_TTL_S:
            return last
    except (OSError, EOFError, ValueError, TypeError):
        pass
    import subprocess

    try:
        proc = subprocess.run(
            ["git", "-C", where, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return last  # never a stall: the last known value (or nothing)
    if proc.returncode != 0:
        return last
    dirty = bool(proc.stdout.strip())
    try:
        from statusline.index.store import atomic_write

        atomic_write(memo, marshal.dumps((now_s, dirty)))
    except OSError:
        pass
    return dirty
