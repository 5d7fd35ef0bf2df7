"""Where things live: Claude config dirs (honouring CLAUDE_CONFIG_DIR) and costline's cache dir."""

from __future__ import annotations

from statusline import fs


def home_dir() -> str:
    home = fs.environ().get("HOME") or fs.expanduser("~")
    if home and home != "~":
        return home
    try:
        return fs.getcwd()
    except OSError:
        return fs.SEP


def claude_config_dirs() -> list[str]:
    """Claude config dirs to scan, as ccusage finds them.

    `CLAUDE_CONFIG_DIR` (comma-separated) replaces the defaults; otherwise both
    `$XDG_CONFIG_HOME/claude` (default `~/.config/claude`) and `~/.claude`.
    """
    env = fs.environ().get("CLAUDE_CONFIG_DIR", "").strip()
    if env:
        dirs = [fs.expanduser(p.strip()) for p in env.split(",") if p.strip()]
    else:
        home = home_dir()
        xdg = fs.environ().get("XDG_CONFIG_HOME") or fs.join(home, ".config")
        dirs = [fs.join(xdg, "claude"), fs.join(home, ".claude")]
    seen: list[str] = []
    for d in dirs:
        d = config_dir_of(_absolute(d))
        if d not in seen:
            seen.append(d)
    return seen


def projects_dirs() -> list[str]:
    """The `projects/` folders of the config dirs that exist."""
    return [p for p in (fs.join(d, "projects") for d in claude_config_dirs()) if fs.isdir(p)]


def config_dir_of(path: str) -> str:
    """The Claude config dir a CLAUDE_CONFIG_DIR entry names: the entry, or its parent when the
    entry is that dir's `projects` folder (given one level too deep; ccusage accepts it too). A
    config dir that happens to be called `projects` keeps its own `projects/`."""
    path = path.rstrip(fs.SEP) or path
    if fs.basename(path) == "projects" and fs.isdir(path) and not fs.isdir(fs.join(path, "projects")):
        return fs.dirname(path)
    return path


def _absolute(path: str) -> str:
    """`fs.abspath`, except that a vanished working directory leaves the path as it is."""
    try:
        return fs.abspath(path)
    except OSError:
        return path


def cache_dir() -> str:
    """costline's private cache dir: `$COSTLINE_CACHE_DIR`, else `$XDG_CACHE_HOME/costline`."""
    explicit = fs.environ().get("COSTLINE_CACHE_DIR")
    if explicit:
        return _absolute(explicit)
    xdg = fs.environ().get("XDG_CACHE_HOME") or fs.join(home_dir(), ".cache")
    return fs.join(_absolute(xdg), "costline")


def config_path() -> str:
    explicit = fs.environ().get("COSTLINE_CONFIG")
    if explicit:
        return _absolute(explicit)
    xdg = fs.environ().get("XDG_CONFIG_HOME") or fs.join(home_dir(), ".config")
    return fs.join(_absolute(xdg), "costline", "config.toml")


def file_signature(path: str) -> tuple[int, int, int] | None:
    """(inode, size, mtime) of a file, None when there is none: the config's is the compiled
    table's cache key, the compiled table's the cached today's."""
    try:
        st = fs.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)
