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
        try:  # one stat for both questions: most folders on the way up have no .git at all
            mode = fs.stat(dot_git).st_mode
        except (OSError, ValueError):
            mode = 0
        if fs.is_folder(mode):
            head_path = fs.join(dot_git, "HEAD")
        elif fs.is_regular(mode):
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

# `git status` would start what the repository's own config names: the core.fsmonitor hook,
# the clean or process filter of a file whose stat changed (`filter=<driver>` in attributes),
# the post-index-change hook when it writes the refreshed index. All are switched off, the
# index is not locked or written (as Claude Code asks of status lines) and submodules, which
# git would enter with their own config, are not looked into.
STATUS_OPTIONS = (
    "--no-optional-locks",
    "-c",
    "core.fsmonitor=",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.untrackedCache=false",
)
STATUS_ARGS = ("status", "--porcelain", "--untracked-files=no", "--ignore-submodules=all")
FILTER_KEYS = ("clean", "smudge", "process")


def filter_overrides(names: bytes) -> list[str] | None:
    """`-c` options that empty every filter driver named in `git config --name-only -z` output
    (filter.<driver>.<key>); None when a driver name could not be given to `-c`."""
    drivers = set()
    for name in names.decode("utf-8", "surrogateescape").split("\0"):
        if name.count(".") >= 2:
            drivers.add(name[len("filter.") : name.rindex(".")])
    options = []
    for driver in sorted(drivers):
        if "=" in driver or "\n" in driver:
            return None  # `-c` splits at the first "="
        options += [item for key in FILTER_KEYS for item in ("-c", f"filter.{driver}.{key}=")]
        options += ["-c", f"filter.{driver}.required=false"]
    return options


def git_dirty(where: str, cache: str, now_s: float, remember: bool = True) -> bool | None:
    """Whether tracked files have changes (`line.git_dirty`, opt-in): `git status` with nothing
    of the repository's run (see STATUS_OPTIONS), at most once per GIT_DIRTY_TTL_S per
    directory, with argument lists and a timeout. `remember`: keep the answer in the cache (a
    preview does not)."""
    import marshal

    key = "".join(c if c.isalnum() else "_" for c in fs.abspath(where))[-120:]
    memo = fs.join(cache, "git", key)
    last: bool | None = None  # the last known answer, used when git is slow or fails
    try:
        stamp, dirty = marshal.loads(fs.read_private(memo))
        last = bool(dirty)
        if 0 <= now_s - stamp < GIT_DIRTY_TTL_S:
            return last
    except (OSError, EOFError, ValueError, TypeError):
        pass
    import subprocess
    import time

    env = dict(fs.environ(), GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")
    deadline = time.monotonic() + GIT_TIMEOUT_S  # one budget for both processes

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["git", *STATUS_OPTIONS, "-C", where, *args],
            capture_output=True,
            timeout=max(0.01, deadline - time.monotonic()),
            check=False,
            stdin=subprocess.DEVNULL,
            env=env,
        )

    try:
        # Reading config runs nothing; a driver added between the two calls is a race only
        # someone who can already write this repository's .git/config could win.
        drivers = run("config", "-z", "--name-only", "--get-regexp", r"^filter\.")
        overrides = filter_overrides(drivers.stdout) if drivers.returncode in (0, 1) else None
        if overrides is None:
            return last
        proc = run(*overrides, *STATUS_ARGS)
    except (OSError, subprocess.SubprocessError):
        return last  # never a stall: the last known value (or nothing)
    if proc.returncode != 0:
        return last
    dirty = bool(proc.stdout.strip())
    if not remember:
        return dirty
    try:
        from statusline.index.store import atomic_write

        atomic_write(memo, marshal.dumps((now_s, dirty)))
    except OSError:
        pass
    return dirty
