"""Where things live: Claude config dirs (honouring CLAUDE_CONFIG_DIR) and costline's cache dir."""

from __future__ import annotations

import sys

from statusline import fs

# Where costline keeps nothing: every path under it fails with ENOTDIR, for root too. It stands
# for a cache or config dir that cannot be used (none found, or refused: see cache_refusal).
NOWHERE = fs.DEVNULL


def _is_absolute(path: str) -> bool:
    if sys.platform == "win32" and path[1:3] in (":\\", ":/"):
        return True
    return path.startswith(fs.SEP) or (sys.platform == "win32" and path.startswith("\\\\"))


def _absolute_env(name: str) -> str | None:
    """A folder named by an environment variable, only when absolute: a relative one would be
    taken from the working directory (the XDG spec calls them invalid: ignored)."""
    value = fs.environ().get(name, "")
    return fs.normpath(value) if _is_absolute(value) else None


def home_dir() -> str | None:
    """HOME when it is absolute, else this uid's passwd entry; None when neither gives one (never
    the working directory)."""
    home = fs.environ().get("HOME", "")
    if _is_absolute(home):
        return home
    try:
        import pwd

        home = pwd.getpwuid(fs.getuid()).pw_dir
    except (ImportError, KeyError, TypeError):  # no passwd (Windows), or no entry for this uid
        return None
    return home if _is_absolute(home) else None


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
        xdg = _absolute_env("XDG_CONFIG_HOME") or (fs.join(home, ".config") if home else "")
        dirs = [fs.join(xdg, "claude") if xdg else "", fs.join(home, ".claude") if home else ""]
    seen: list[str] = []
    for d in dirs:
        if not _is_absolute(d):
            continue  # never a folder of the working directory's
        d = config_dir_of(fs.normpath(d))
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


def cache_path() -> str | None:
    """Where costline's cache dir is meant to be: `$COSTLINE_CACHE_DIR`, else
    `$XDG_CACHE_HOME/costline`, else `~/.cache/costline`; None without an absolute choice."""
    return _xdg_location("COSTLINE_CACHE_DIR", "XDG_CACHE_HOME", ".cache", "costline")


def _xdg_location(explicit_var: str, xdg_var: str, home_default: str, *below: str) -> str | None:
    """`$explicit_var`, else `$xdg_var/<below>`, else `~/<home_default>/<below>`: absolute
    values only, and None without a home (never a path of the working directory's)."""
    explicit = _absolute_env(explicit_var)
    if explicit:
        return explicit
    xdg = _absolute_env(xdg_var)
    if xdg is None:
        home = home_dir()
        if home is None:
            return None
        xdg = fs.join(home, home_default)
    return fs.join(xdg, *below)


# The folders costline makes in its cache dir: each must be a folder of this user's, as the
# cache dir itself (a link or another user's folder planted inside while it was open to others
# would take the writes elsewhere). Folders made on the way (`hours/<day>`, `spool-<pid>`) are
# made and entered through fs.make_private_folder, which checks them the same way.
CACHE_FOLDERS = (
    "index",
    "index/v2",
    "index/v2/groups",
    "index/v2/packs",
    "index/v2/hours",
    "index/v2/days",
    "index/v2/corrupt",
    "pricing",
    "unlogged",
    "git",
    "install",
    "install/backups",
    "attrib",
    "attrib/v3",
    "commands",
)
DAY_S = 86400.0
_S_IFMT, _S_IFLNK = 0o170000, 0o120000


def cache_refusal(path: str | None) -> str | None:
    """Why costline must not use this cache dir (a few words for the status line; `costline
    doctor` says more), None when it may. A missing cache dir is created first (0700), so what is
    checked is what will be used."""
    if path is None:
        return "no home dir"
    unsafe = fs.ancestor_problem(path)
    if unsafe:  # someone else could swap the dir between this check and the writes
        return f"cache dir in {unsafe}"
    try:
        try:
            link = fs.lstat(path)
        except FileNotFoundError:
            fs.makedirs(path, mode=0o700, exist_ok=True)
            link = fs.lstat(path)
        st = fs.stat(path)  # a link of the user's to a folder of the user's elsewhere is fine
    except OSError:
        return None  # cannot be made or looked at: its writes fail, and today shows `$?` for that
    problem = fs.trust_problem(st)
    if problem is None and link.st_mode & _S_IFMT == _S_IFLNK:
        problem = "not yours" if fs.trust_problem(link) == "not yours" else None  # links are 0777
    problem = problem or _folders_problem(path)
    return f"cache dir {problem}" if problem else None


def _folders_problem(path: str) -> str | None:
    """Why one of the folders costline makes in the cache folder `path` must not be used."""
    for sub in (*CACHE_FOLDERS, *_day_folders()):
        problem = fs.private_folder(fs.join(path, sub))
        if problem and problem != "holds a file in a folder's place":
            return problem  # (a stray file: making the folder fails, and today shows `$?`)
    return None


def _day_folders() -> list[str]:
    """The hour-file folders of the UTC days a local today can touch (yesterday to tomorrow):
    a render writes and reads there."""
    import time

    now = time.time()
    return [f"index/v2/hours/{time.strftime('%Y-%m-%d', time.gmtime(now + d))}" for d in (-DAY_S, 0, DAY_S)]


def cache_dir() -> str:
    """costline's cache folder for the Claude config dirs in use, or NOWHERE (see usable_cache)."""
    return usable_cache()[0]


def usable_cache() -> tuple[str, str | None]:
    """The cache folder for the Claude config dirs in use (see cache_for_config_dirs) and None,
    or NOWHERE and why it must not be used (cache_refusal: a few words for the status line)."""
    path = cache_path()
    refused = cache_refusal(path)
    if path is None or refused:
        return NOWHERE, refused
    try:
        own = cache_for_config_dirs(path)
    except fs.Refused as exc:  # a link or another user's folder where `sets/` goes
        return NOWHERE, str(exc.strerror)
    except OSError:  # no claim could be written nor a folder made: whose index is there is unknown
        return NOWHERE, None
    problem = None if own == path else _folders_problem(own)
    return (NOWHERE, f"cache dir {problem}") if problem else (own, None)


# Everything in a cache folder (the index, the attribution, the sums of today) is made from the
# transcripts of one set of config dirs: a status line or report under `CLAUDE_CONFIG_DIR=~/.work`
# must not count `~/.claude`'s sessions because both once shared the cache. The cache dir serves
# the first set that claims it (CLAIM names that set); any other set gets `sets/<key>` inside it.
CLAIM = "config-dirs"
SETS = "sets"


def config_dirs_key(dirs: list[str]) -> str:
    """16 hex digits naming a set of config dirs, whatever their order (64-bit FNV-1a: no import
    on the render path)."""
    h = 0xCBF29CE484222325
    for b in "\0".join(sorted(dirs)).encode("utf-8", "surrogatepass"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def cache_for_config_dirs(cache: str) -> str:
    """The folder in the cache dir `cache` (usable, see cache_refusal) for the config dirs in
    use: `cache` itself when their set claimed it (or claims it now), else `cache/sets/<key>`.
    One readlink on each call; the claim is made once, atomically (see _write_claim)."""
    dirs = claude_config_dirs()
    key = config_dirs_key(dirs)
    claim = fs.join(cache, CLAIM)
    own = fs.join(cache, SETS, key)
    try:
        owner = _read_claim(claim)
    except FileNotFoundError:
        owner = "" if fs.isdir(own) else _claim(cache, claim, key, dirs)
    except OSError:  # unreadable: this set keeps to its own folder, always right
        owner = ""
    if owner.split("\n", 1)[0] == key:
        return cache
    if not fs.isdir(own):
        fs.make_private_folder(fs.join(cache, SETS))
        fs.make_private_folder(own)
        _write_claim(fs.join(own, CLAIM), _claim_text(key, dirs))  # for doctor: whose folder it is
    return own


def claimed_dirs(folder: str) -> list[str]:
    """The config dirs whose transcripts a cache folder is made from (its claim), [] unknown."""
    try:
        return [line for line in _read_claim(fs.join(folder, CLAIM)).split("\n")[1:] if line]
    except OSError:
        return []


def _claim_text(key: str, dirs: list[str]) -> str:
    """The key, then the dirs (shown by doctor) as long as they fit a link's target."""
    text = key
    for d in dirs:
        if len(text.encode("utf-8", "surrogateescape")) + len(d.encode("utf-8", "surrogateescape")) > 3000:
            break
        text = f"{text}\n{d}"
    return text


def _read_claim(path: str) -> str:
    if fs.readlink is not None:
        try:
            return fs.readlink(path)
        except OSError as exc:
            if exc.errno != 22:  # EINVAL: not a link (a file, as Windows makes them)
                raise
    return fs.read_private(path, 4096).decode("utf-8", "surrogateescape")


def _write_claim(path: str, text: str) -> None:
    """Make the claim `path` unless one is there (the first one stands): a symbolic link whose
    target is the text, made whole in one call, never followed (only read by readlink); on
    Windows a file linked in whole from a finished temp file."""
    try:
        if fs.symlink is not None:
            fs.symlink(text, path)
            return
        tmp = fs.temp_name(path)
        fd = fs.create_new(tmp)
        try:
            fs.write(fd, text.encode("utf-8", "surrogateescape"))
        finally:
            fs.close(fd)
        try:
            fs.link(tmp, path)
        finally:
            fs.unlink(tmp)
    except FileExistsError:
        pass


def _claim(cache: str, claim: str, key: str, dirs: list[str]) -> str:
    """Claim the cache dir for this set when it may be this set's: an index made before claims
    existed is claimed only by a set whose transcripts it holds, so a report run once under
    another `CLAUDE_CONFIG_DIR` cannot take over an index with years of history. Returns the
    claim that stands (this one, or one made meanwhile)."""
    if not _may_claim(cache, dirs):
        return ""
    _write_claim(claim, _claim_text(key, dirs))
    try:
        return _read_claim(claim)
    except OSError:
        return ""


def _may_claim(cache: str, dirs: list[str]) -> bool:
    import marshal

    try:
        seen = marshal.loads(fs.read_private(fs.join(cache, "index", "v2", "scan")))
        files = seen["files"]
    except FileNotFoundError:
        return True  # no scan yet: a new cache dir, or an index no scan finished
    except Exception:
        return True
    if not isinstance(files, dict) or not files:
        return True
    roots = tuple(fs.join(d, "projects") + fs.SEP for d in dirs)
    return any(isinstance(path, str) and path.startswith(roots) for path in files)


def config_location() -> str | None:
    """Where the config file is meant to be: `$COSTLINE_CONFIG`, else
    `$XDG_CONFIG_HOME/costline/config.toml`, else `~/.config/…`; None without an absolute choice."""
    return _xdg_location("COSTLINE_CONFIG", "XDG_CONFIG_HOME", ".config", "costline", "config.toml")


def config_refusal(path: str | None) -> str | None:
    """Why the config file must not be read: its folder or itself may be changed by others (a
    folder like /tmp, where others may add files but not replace this user's, is fine)."""
    if path is None:
        return None  # no config: the defaults
    for what, where, sticky_ok in (("dir", fs.dirname(path), True), ("file", path, False)):
        try:
            st = fs.stat(where)
        except OSError:
            return None  # not there (or not readable): nothing is read from it
        problem = fs.trust_problem(st, sticky_ok)
        if problem:
            return f"config {what} {problem}"
    return None


def config_path() -> str:
    """The config file to read: see config_location; under NOWHERE when there is none or it must
    not be read (config_refusal), so that reading it finds nothing."""
    path = config_location()
    if path is None or config_refusal(path):
        return fs.join(NOWHERE, "config.toml")
    return path


def file_signature(path: str) -> tuple[int, int, int] | None:
    """(inode, size, mtime) of a file, None when there is none: the config's is the compiled
    table's cache key, the compiled table's the cached today's."""
    try:
        st = fs.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)
