"""Start the out-of-band index refresh from a render, detached so it never holds up Claude Code.

Claude Code waits for the status command's stdout to close, so the child must not inherit it:
it gets /dev/null for stdin, stdout and stderr and a session of its own (setsid). At most one
refresh runs at a time (it holds `bg.lock`); when one is due is decided by `Store.refresh_due`.
Imported only when a refresh is actually started.
"""

from __future__ import annotations

import sys

from statusline import fs


# The render runs in Claude Code's working directory, the user's project, maybe with PYTHONPATH
# set: `-I` (no PYTHON* variables, no working directory on sys.path) and `-S` (no `site`, so no
# sitecustomize or .pth files) keep the project's code out, as the launcher does (cli/launcher.py).
# costline's own folder is put on sys.path explicitly; only when its dependencies are installed
# elsewhere is `site` run (under -I: the interpreter's site-packages only). The child then leaves
# the project folder for `/`, so nothing it does depends on where the render ran.
def _command(*args: str) -> list[str]:
    package = sys.modules["statusline"].__file__ or ""
    parent = fs.dirname(fs.dirname(fs.abspath(package)))
    code = (
        f"import sys; sys.path.append({parent!r}); sys.argv[0] = 'costline'\n"
        "try:\n    import click, orjson\nexcept ImportError:\n    import site; site.main()\n"
        "import os; os.chdir('/')\n"
        "from statusline.entry import main; raise SystemExit(main(sys.argv[1:]))"
    )
    return [sys.executable, "-I", "-S", "-c", code, *args]


def refresh_command() -> list[str]:
    return _command("index", "refresh", "--background")


def pricing_command() -> list[str]:
    return _command("pricing", "update", "--background")


def commands_command(key: str) -> list[str]:
    """The runner of your [commands.NAME] for one session's payload (runner.py)."""
    return _command("config", "run-commands", key)


def spawn(argv: list[str] | None = None) -> int:
    """Start `argv` (default: an index refresh) fully detached; return its pid."""
    argv = argv or refresh_command()
    env = dict(fs.environ())
    if hasattr(fs, "posix_spawn"):
        devnull = fs.DEVNULL
        actions = [
            (fs.POSIX_SPAWN_OPEN, 0, devnull, fs.O_RDONLY, 0),
            (fs.POSIX_SPAWN_OPEN, 1, devnull, fs.O_WRONLY, 0),
            (fs.POSIX_SPAWN_OPEN, 2, devnull, fs.O_WRONLY, 0),
        ]
        pid = fs.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)
        # Reap it if it ends while we are still here; otherwise init adopts it.
        try:
            fs.waitpid(pid, fs.WNOHANG)
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
