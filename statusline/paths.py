"""Where things live: Claude config dirs (honouring CLAUDE_CONFIG_DIR) and costline's cache dir."""

from __future__ import annotations

import os


def home_dir() -> str:
    home = os.environ.get("HOME") or os.path.expanduser("~")
    if home and home != "~":
        return home
    try:
        return os.getcwd()
    except OSError:
        return os.sep


def claude_config_dirs() -> list[str]:
    """Claude config dirs to scan, as ccusage finds them.

    `CLAUDE_CONFIG_DIR` (comma-separated) replaces the defaults; otherwise both
    `$XDG_CONFIG_HOME/claude` (default `~/.config/claude`) and `~/.claude`.
    """
    env = os.environ.get("CLAUDE_CONFIG_DIR", "").strip()
    if env:
        dirs = [os.path.expanduser(p.strip()) for p in env.split(",") if p.strip()]
    else:
        home = home_dir()
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        dirs = [os.path.join(xdg, "claude"), os.path.join(home, ".claude")]
    seen: list[str] = []
    for d in dirs:
        d = _absolute(d)
        if d not in seen:
            seen.append(d)
    return seen


def projects_dirs() -> list[str]:
    """The `projects/` folders of the config dirs that exist."""
    return [p for p in (os.path.join(d, "projects") for d in claude_config_dirs()) if os.path.isdir(p)]


def _absolute(path: str) -> str:
    """`os.path.abspath`, except that a vanished working directory leaves the path as it is."""
    try:
        return os.path.abspath(path)
    except OSError:
        return path


def cache_dir() -> str:
    """costline's private cache dir: `$COSTLINE_CACHE_DIR`, else `$XDG_CACHE_HOME/costline`."""
    explicit = os.environ.get("COSTLINE_CACHE_DIR")
    if explicit:
        return _absolute(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(home_dir(), ".cache")
    return os.path.join(_absolute(xdg), "costline")


def config_path() -> str:
    explicit = os.environ.get("COSTLINE_CONFIG")
    if explicit:
        return _absolute(explicit)
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home_dir(), ".config")
    return os.path.join(_absolute(xdg), "costline", "config.toml")


def config_signature(path: str) -> tuple[int, int, int] | None:
    """(inode, size, mtime) of the config file, None when there is none: the compile cache key."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)
