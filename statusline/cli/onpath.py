"""`costline` runnable by name after `costline install`: a link in the user's bin folder.

pipx and uv link a tool's console script into `~/.local/bin` (`$XDG_BIN_HOME` when set and
absolute); install does the same for the venv the README installs into. A file already there
that is not this install's is never replaced, and uninstall removes only a link that still
points at this install.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys

NAME = "costline"


def bin_dir() -> str | None:
    """`$XDG_BIN_HOME` when absolute (a relative one is invalid: ignored), else `~/.local/bin`."""
    from statusline.paths import home_dir

    xdg = os.environ.get("XDG_BIN_HOME", "")
    if os.path.isabs(xdg):
        return os.path.normpath(xdg)
    home = home_dir()
    return os.path.join(home, ".local", "bin") if home else None


def console_script() -> str | None:
    """This install's `costline` script (beside its Python), None when it has none."""
    if sys.platform == "win32" or not sys.executable:
        return None
    script = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), NAME)
    return script if os.path.isfile(script) and os.access(script, os.X_OK) else None


def tool_manager() -> str | None:
    """`pipx` or `uv` when this install is one of their tools (they make and remove its link)."""
    parts = os.path.abspath(sys.prefix).split(os.sep)
    if "pipx" in parts and "venvs" in parts:
        return "pipx"
    if "uv" in parts and "tools" in parts:
        return "uv"
    return None


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def is_our_link(path: str, script: str | None) -> bool:
    """Whether `path` is a link to this install's script (what install made)."""
    return script is not None and os.path.islink(path) and _same(path, script)


def on_path(folder: str) -> bool:
    """Whether `folder` is one of $PATH's entries."""
    entries = os.environ.get("PATH", "").split(os.pathsep)
    return any(e and os.path.abspath(os.path.expanduser(e)) == os.path.abspath(folder) for e in entries)


def path_hint(folder: str) -> list[str]:
    """How to put `folder` on PATH: one line for bash or zsh, one for fish (`~` kept readable)."""
    home = os.path.expanduser("~").rstrip("/")
    rest = folder[len(home) :] if folder.startswith(home + "/") else ""
    plain = not any(c in folder for c in '"$`\\')
    if rest and plain:
        bash = f'"$HOME{rest}:$PATH"'
    else:
        bash = f'"{folder}:$PATH"' if plain else shlex.quote(folder) + ':"$PATH"'
    fish = f"~{rest}" if rest and all(c.isalnum() or c in "._-/" for c in rest) else shlex.quote(folder)
    return [
        f"{folder} is not on your PATH; add it, then open a new shell:",
        f"  bash/zsh: export PATH={bash}   (in ~/.bashrc or ~/.zshrc)",
        f"  fish:     fish_add_path {fish}",
    ]


def _shadowed(script: str) -> list[str]:
    """A note when `costline` by name runs another install (one earlier on PATH)."""
    found = shutil.which(NAME)
    return [] if found is None or _same(found, script) else [f"note: costline on your PATH is {found}"]


def link(dry_run: bool) -> list[str]:
    """Link this install's script into the bin folder; the lines that say what happened."""
    script, folder = console_script(), bin_dir()
    if script is None or folder is None:
        return ["no costline script or bin folder to link: run costline by its full path"]
    target = os.path.join(folder, NAME)
    found = shutil.which(NAME)
    if not os.path.lexists(target) and found is not None and _same(found, script):
        return [f"costline is on your PATH already ({found})"]  # pipx's or uv's link, a venv's bin
    if os.path.lexists(target):
        if _same(target, script):
            said = f"{target} already runs this costline"
        else:
            where = os.readlink(target) if os.path.islink(target) else "another file"
            said = (
                f"{target} is already there ({where}): left alone; "
                f"remove it and run costline install again to link this one"
            )
    elif dry_run:
        said = f"would link {target} -> {script}"
    else:
        try:
            os.makedirs(folder, exist_ok=True)
            os.symlink(script, target)
        except OSError as exc:
            return [f"cannot link {target}: {exc.strerror or exc}; run costline by its full path {script}"]
        said = f"linked {target} -> {script}"
    return [said, *(_shadowed(script) if on_path(folder) else path_hint(folder))]


def unlink(dry_run: bool) -> str | None:
    """Remove the link install made, if it still points at this install; what was done."""
    folder = bin_dir()
    if folder is None:
        return None
    target = os.path.join(folder, NAME)
    if not is_our_link(target, console_script()) or tool_manager():  # pipx's or uv's own link
        return None
    if dry_run:
        return f"would remove {target}"
    try:
        os.unlink(target)
    except OSError as exc:
        return f"cannot remove {target}: {exc.strerror or exc}"
    return f"removed {target}"
