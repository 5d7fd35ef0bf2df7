"""The status line command `costline install` writes: a tiny script that starts Python fast.

A console script (`bin/costline`) starts the interpreter with `site`, which scans site-packages
and imports `os`: about 2 ms of a 10 ms start, on every refresh. The launcher starts Python with
`-I -S` (isolated, no `site`), puts the folder that holds `statusline` on the path itself, and
renders; the render path needs nothing from `os` either (statusline/fs.py). The background
refresh a render starts is isolated the same way (index/background.py); commands typed by hand
(`costline report …`) run with `site` as usual.
"""

from __future__ import annotations

import os
import shlex
import sys

import statusline
from statusline.index.store import atomic_write

NAME = "costline-statusline"
SHEBANG_MAX = 127  # bytes of the whole `#!` line: Linux before 5.1 read no more than 128


def package_parent() -> str:
    """The folder `statusline` is imported from (site-packages, or a checkout)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(statusline.__file__)))


def script(python: str, parent: str) -> str:
    return (
        f"#!{python} -IS\n"
        "# costline's status line, written by `costline install`: Python without `site` (no scan\n"
        "# of site-packages, no `os`), costline from where it is installed. Rewritten by install.\n"
        "import sys\n"
        f"sys.path.append({parent!r})\n"
        "try:\n"
        "    from statusline.entry import main\n"
        "except Exception as exc:  # costline removed or broken: still one line, exit status 0\n"
        "    sys.stdout.write(f'costline cannot start ({type(exc).__name__}): run costline doctor\\n')\n"
        "    raise SystemExit(0) from None\n"
        "raise SystemExit(main())\n"
    )


def _folders() -> list[str]:
    """Where a launcher may go: beside this Python (a venv's bin), else the user's data dir;
    never a relative one (Claude Code would run it from each project's folder)."""
    from statusline.paths import _absolute_env, home_dir

    home = home_dir()
    data = _absolute_env("XDG_DATA_HOME") or (os.path.join(home, ".local", "share") if home else None)
    folders = [os.path.dirname(os.path.abspath(sys.executable))]
    return [*folders, os.path.join(data, "costline", "bin")] if data else folders


def plan() -> tuple[str, str, str] | None:
    """(launcher path, its text, the settings command), or None where it cannot be used."""
    if sys.platform == "win32" or not sys.executable:
        return None
    python = os.path.abspath(sys.executable)
    text = script(python, package_parent())
    for folder in _folders():
        path = os.path.join(folder, NAME)
        if (os.path.isdir(folder) and os.access(folder, os.W_OK)) or os.path.isfile(path):
            break
    else:
        path = os.path.join(_folders()[-1], NAME)
    shebang = os.fsencode(f"#!{python} -IS\n")
    if len(shebang) <= SHEBANG_MAX and not any(c.isspace() for c in python):
        command = shlex.quote(path)
    else:  # a `#!` line cannot hold this interpreter path: run it explicitly
        command = f"{shlex.quote(python)} -IS {shlex.quote(path)}"
    return path, text, command


def write(path: str, text: str) -> bool:
    """Write the launcher (0755) unless it is already there as is; False when it cannot be."""
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return True
    except (OSError, UnicodeDecodeError):
        pass
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, text.encode("utf-8"), mode=0o755)  # never half written or not executable
    except OSError:
        return False
    return True
