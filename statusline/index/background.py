"""Start the out-of-band index refresh from a render, detached so it never holds up Claude Code.

Claude Code waits for the status command's stdout to close, so the child must not inherit it:
it gets /dev/null for stdin, stdout and stderr and a session of its own (setsid). At most one
refresh runs at a time (it holds `bg.lock`), and renders start one at most once per interval,
backing off while refreshes keep failing. A render only starts one while it holds the
index lock, so concurrent renders cannot start several.
"""

from __future__ import annotations

import os
import sys

REFRESH_INTERVAL_S = 60.0
MAX_BACKOFF_S = 3600.0


def _stamp_path(cache: str) -> str:
    return os.path.join(cache, "refresh.stamp")


def _failures(cache: str) -> int:
    try:
        with open(os.path.join(cache, "refresh.failures"), "rb") as fh:
            return int(fh.read(16) or b"0")
    except (OSError, ValueError):
        return 0


def is_due(cache: str, now_s: float, interval_s: float = REFRESH_INTERVAL_S) -> bool:
    """Whether a render should start a refresh now."""
    try:
        last = os.stat(_stamp_path(cache)).st_mtime
    except OSError:
        return True
    wait = min(interval_s * (2 ** min(_failures(cache), 12)), MAX_BACKOFF_S)
    return now_s - last >= wait or now_s < last - 300  # a clock set back must not stall refreshes


def record_outcome(cache: str, ok: bool) -> None:
    """Reset or bump the consecutive-failure count the backoff is based on."""
    path = os.path.join(cache, "refresh.failures")
    try:
        if ok:
            os.unlink(path)
        else:
            count = _failures(cache) + 1
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, str(count).encode())
            finally:
                os.close(fd)
    except OSError:
        pass


def touch_stamp(cache: str, now_s: float) -> None:
    """Record that a refresh was started; callers hold the index lock, so only one does."""
    path = _stamp_path(cache)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    os.utime(path, (now_s, now_s))


def refresh_command() -> list[str]:
    return [sys.executable, "-m", "statusline", "index", "refresh", "--background"]


def spawn(argv: list[str] | None = None) -> int:
    """Start `argv` (default: an index refresh) fully detached; return its pid."""
    argv = argv or refresh_command()
    env = dict(os.environ)
    if hasattr(os, "posix_spawn"):
        devnull = os.devnull
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, devnull, os.O_WRONLY, 0),
        ]
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)
        # Reap it if it ends while we are still here; otherwise init adopts it.
        try:
            os.waitpid(pid, os.WNOHANG)
        except OSError:
            pass
        return pid
    import subprocess  # Windows: no posix_spawn

    flags = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        creationflags=flags,
    )
    return proc.pid
