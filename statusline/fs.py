"""The file and process calls of the render path, taken from `posix` (built in) instead of `os`.

The status line launcher starts Python without `site` (`-I -S`, see cli/launcher.py): then `os`
is not loaded at start, and importing it costs 1.3 ms of a 10 ms interpreter start (it pulls in
`_collections_abc`, `posixpath`, `stat`, `genericpath`). The render needs a dozen of its calls:
these are the same functions (posix's own) or small equivalents of os.path's, with its
semantics. In a process where `os` is loaded anyway (the CLI, tests), `environ` is os.environ
itself, so changes made through `os` are seen here.
"""

from __future__ import annotations

import sys

if sys.platform != "win32":
    import posix as _native
    from posix import (
        F_LOCK,
        F_TLOCK,
        O_APPEND,
        O_CREAT,
        O_EXCL,
        O_NOFOLLOW,
        O_NONBLOCK,
        O_RDONLY,
        O_RDWR,
        O_TRUNC,
        O_WRONLY,
        POSIX_SPAWN_OPEN,
        WNOHANG,
        chmod,
        close,
        fchmod,
        fstat,
        ftruncate,
        getcwd,
        geteuid,
        getpid,
        getuid,
        kill,
        link,
        listdir,
        lockf,
        lstat,
        mkdir,
        open,
        posix_spawn,
        pread,
        read,
        readlink,
        replace,
        stat,
        stat_result,
        symlink,
        unlink,
        urandom,
        utime,
        waitpid,
        write,
    )
    from posix import _exit as exit_now  # os._exit
else:  # Windows has fewer of these (no lockf, no posix_spawn): its fallbacks check with hasattr
    import os as _native
    from os import (
        O_APPEND,
        O_CREAT,
        O_EXCL,
        O_RDONLY,
        O_RDWR,
        O_TRUNC,
        O_WRONLY,
        chmod,
        close,
        fstat,
        ftruncate,
        getcwd,
        getpid,
        kill,
        link,
        listdir,
        lstat,
        mkdir,
        open,
        read,
        replace,
        stat,
        stat_result,
        unlink,
        urandom,
        utime,
        waitpid,
        write,
    )
    from os import _exit as exit_now

    O_NOFOLLOW = O_NONBLOCK = 0  # no symbolic links to follow by accident, no FIFOs to block on
    geteuid = getuid = None  # no owners to compare: the checks below are skipped
    readlink = symlink = None  # no ancestors to check either (and links need privileges)

    def fchmod(fd: int, mode: int) -> None:
        pass  # Windows keeps no Unix permission bits

    def pread(fd: int, n: int, offset: int) -> bytes:
        _native.lseek(fd, offset, 0)
        return read(fd, n)


__all__ = [
    "F_LOCK",
    "F_TLOCK",
    "O_APPEND",
    "O_CREAT",
    "O_EXCL",
    "O_NOFOLLOW",
    "O_NONBLOCK",
    "O_RDONLY",
    "O_RDWR",
    "O_TRUNC",
    "O_WRONLY",
    "POSIX_SPAWN_OPEN",
    "WNOHANG",
    "Refused",
    "abspath",
    "ancestor_problem",
    "basename",
    "chmod",
    "close",
    "create_new",
    "dirname",
    "environ",
    "exit_now",
    "expanduser",
    "fchmod",
    "fstat",
    "ftruncate",
    "getcwd",
    "geteuid",
    "getpid",
    "getsize",
    "getuid",
    "is_regular",
    "isdir",
    "isfile",
    "join",
    "kill",
    "link",
    "listdir",
    "lockf",
    "lstat",
    "make_private_folder",
    "makedirs",
    "mkdir",
    "open",
    "open_private",
    "posix_spawn",
    "pread",
    "private_folder",
    "read",
    "read_private",
    "read_private_stat",
    "readlink",
    "replace",
    "set_env",
    "stat",
    "stat_result",
    "symlink",
    "temp_name",
    "touch",
    "trust_problem",
    "unlink",
    "urandom",
    "utime",
    "waitpid",
    "write",
]

SEP = "/"
DEVNULL = "/dev/null"
_S_IFMT, _S_IFREG, _S_IFDIR, _S_IFLNK = 0o170000, 0o100000, 0o040000, 0o120000

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import MutableMapping

_own_environ: dict[str, str] | None = None


def environ() -> MutableMapping[str, str]:
    """The environment: os.environ when `os` is loaded, else a decoded copy of posix's."""
    os = sys.modules.get("os")
    if os is not None:
        return os.environ  # type: ignore[no-any-return]
    global _own_environ
    if _own_environ is None:
        # Decoded as os decodes it: with the file system encoding (not always UTF-8) and its
        # error handler, so paths from the environment name the same files.
        code, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
        _own_environ = {
            key.decode(code, errors): value.decode(code, errors)
            for key, value in _native.environ.items()  # bytes on POSIX
        }
    return _own_environ


def set_env(name: str, value: str) -> None:
    """Set a variable for this process and the C library (e.g. TZ before time.tzset())."""
    env = environ()
    env[name] = value  # os.environ also calls putenv
    if "os" not in sys.modules:
        code, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
        key, raw = name.encode(code, errors), value.encode(code, errors)
        _native.putenv(key, raw)
        _native.environ[key] = raw  # where os.environ is made from, if `os` is imported later


# -- os.path's calls, POSIX paths only ------------------------------------------------------------
def join(first: str, *rest: str) -> str:
    path = first
    for part in rest:
        if part.startswith(SEP):
            path = part
        elif not path or path.endswith(SEP):
            path += part
        else:
            path += SEP + part
    return path


def dirname(path: str) -> str:
    head = path[: path.rfind(SEP) + 1]
    if head and head != SEP * len(head):
        head = head.rstrip(SEP)
    return head


def basename(path: str) -> str:
    return path[path.rfind(SEP) + 1 :]


def normpath(path: str) -> str:
    if not path:
        return "."
    initial = 2 if path.startswith("//") and not path.startswith("///") else 1 if path.startswith(SEP) else 0
    parts: list[str] = []
    for part in path.split(SEP):
        if part in ("", "."):
            continue
        if part != ".." or (not initial and not parts) or (parts and parts[-1] == ".."):
            parts.append(part)
        elif parts:
            parts.pop()
    return SEP * initial + SEP.join(parts) or "."


def abspath(path: str) -> str:
    return normpath(path if path.startswith(SEP) else join(getcwd(), path))


def expanduser(path: str) -> str:
    """`~` and `~/…` from HOME (the only forms costline writes); anything else as os.path does."""
    if path != "~" and not path.startswith("~/"):
        if path.startswith("~"):
            import os.path

            return os.path.expanduser(path)
        return path
    home = environ().get("HOME")
    if home is None:
        import os.path

        return os.path.expanduser(path)
    return (home.rstrip(SEP) + path[1:]) or SEP


def is_regular(mode: int) -> bool:
    return mode & _S_IFMT == _S_IFREG


def isfile(path: str) -> bool:
    try:
        return is_regular(stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_folder(mode: int) -> bool:
    return mode & _S_IFMT == _S_IFDIR


def isdir(path: str) -> bool:
    try:
        return is_folder(stat(path).st_mode)
    except (OSError, ValueError):
        return False


def getsize(path: str) -> int:
    return stat(path).st_size


def makedirs(path: str, mode: int = 0o777, exist_ok: bool = False) -> None:
    """Create a folder and any missing parents, each with `mode` (os.makedirs gives parents
    0o777): a private folder's new parents, such as the cache root, are private too."""
    try:
        mkdir(path, mode)
    except FileNotFoundError:
        parent = dirname(path.rstrip(SEP))
        if not parent or parent == path:
            raise
        makedirs(parent, mode, exist_ok=True)
        try:
            mkdir(path, mode)
        except FileExistsError:
            if not (exist_ok and isdir(path)):
                raise
    except FileExistsError:
        if not (exist_ok and isdir(path)):
            raise


# -- files in costline's own folders, never through something another user planted ----------------
def temp_name(path: str) -> str:
    """`<path>.<16 random hex digits>.tmp`: a temp name nobody can guess and plant beforehand."""
    return f"{path}.{urandom(8).hex()}.tmp"


def create_new(path: str, mode: int = 0o600) -> int:
    """Create a file for writing that was not there: fails on anything found at `path`, a
    symbolic link included (O_EXCL|O_NOFOLLOW), so nothing else can be written through it."""
    return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode)


_UID: list[int] = []  # this process's effective user id, asked once (a render checks ~40 owners)


def my_uid() -> int:
    """The effective user id whose files costline trusts (POSIX only: see geteuid above)."""
    if not _UID:
        _UID.append(geteuid())
    return _UID[0]


class Refused(PermissionError):
    """A file in costline's folders that is not one costline made: a symbolic link, a FIFO or
    device, another user's file, or a hard link (a second name of a file kept elsewhere)."""


def _private_problem(st: stat_result) -> str | None:
    if not is_regular(st.st_mode):
        return "not a regular file"
    if geteuid is not None and st.st_uid != my_uid():
        return "not yours"
    if st.st_nlink != 1 and geteuid is not None:  # Windows reports 1 or the real count: skipped
        return "hard-linked"
    return None


def _checked(fd: int, path: str) -> stat_result:
    """fstat of an open file, closing it and raising Refused unless it is a private file."""
    try:
        st = fstat(fd)
        problem = _private_problem(st)
        if problem:
            raise Refused(1, problem, path)  # EPERM
    except BaseException:
        close(fd)
        raise
    return st


def _open_nofollow(path: str, flags: int, mode: int = 0o600) -> int:
    try:
        return open(path, flags | O_NOFOLLOW | O_NONBLOCK, mode)
    except (FileNotFoundError, PermissionError):
        raise
    except OSError:  # a symbolic link gives ELOOP (EMLINK on BSD): say so the same way everywhere
        try:
            if lstat(path).st_mode & _S_IFMT == _S_IFLNK:
                raise Refused(1, "a symbolic link", path) from None
        except (FileNotFoundError, ValueError):
            pass
        raise


def open_private(path: str, flags: int) -> int:
    """Open (creating it 0600 if missing) a file to append to or lock: never through a symbolic
    link, never a FIFO or device, never another user's file or a hard link to any file (Refused
    for those: a link planted while the folder was open would take the writes elsewhere)."""
    fd = _open_nofollow(path, flags | O_CREAT)
    _checked(fd, path)
    return fd


def read_private(path: str, limit: int = -1, last: bool = False) -> bytes:
    """The bytes of a file costline made (its first `limit` bytes; `last`: its last ones):
    FileNotFoundError when missing, Refused for anything else found there (see open_private),
    without blocking on a FIFO. Costs what open() + read() cost: an open, an fstat, a read."""
    return read_private_stat(path, limit, last)[0]


def open_private_read(path: str) -> tuple[int, stat_result]:
    """An open file descriptor to read a file costline made, and its stat (Refused, as
    read_private, for a link, FIFO, folder, hard link or another user's file); the caller closes it."""
    fd = _open_nofollow(path, O_RDONLY)
    return fd, _checked(fd, path)  # (which closes it when it refuses it)


def open_private_existing(path: str, flags: int) -> tuple[int, stat_result]:
    """open_private for a file that is already there (FileNotFoundError if not: never created
    empty, which a reader would take for a broken file), with its stat; the caller closes it."""
    fd = _open_nofollow(path, flags)
    return fd, _checked(fd, path)


def read_private_stat(path: str, limit: int = -1, last: bool = False) -> tuple[bytes, stat_result]:
    """read_private, with the stat of the file read (whatever replaces it meanwhile)."""
    fd = _open_nofollow(path, O_RDONLY)
    st = _checked(fd, path)
    try:
        want = st.st_size + 1 if limit < 0 else limit  # one byte more: sees a file that grew
        if last and 0 <= limit < st.st_size:
            return pread(fd, limit, st.st_size - limit), st
        data = read(fd, want)
        if limit < 0 and len(data) == want:
            chunks = [data]
            while chunk := read(fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
    finally:
        close(fd)
    return data, st


def private_folder(path: str) -> str | None:
    """Why a folder inside costline's cache dir must not be used ("holds a link", "not yours",
    "writable by others", "not a folder"), None when it is one of this user's own or missing.
    One lstat: it is never followed, so a link planted in its place is seen."""
    try:
        st = lstat(path)
    except (FileNotFoundError, ValueError):
        return None
    kind = st.st_mode & _S_IFMT
    if kind == _S_IFLNK:
        return "holds a link"
    if kind != _S_IFDIR:
        return "holds a file in a folder's place"
    if geteuid is not None and st.st_uid != my_uid():
        return "not yours"
    return trust_problem(st)


def make_private_folder(path: str) -> None:
    """Make a folder of the cache dir (and missing parents, 0700) or find one; Refused when what
    is there is a link or not this user's private folder (see private_folder)."""
    problem = private_folder(path)
    if problem is None:
        makedirs(path, mode=0o700, exist_ok=True)
        problem = private_folder(path)  # made now, or by someone else meanwhile
    if problem:
        raise Refused(1, f"cache dir {problem}", path)


def touch(path: str, when_s: float) -> None:
    """Create `path` if missing (see open_private) and set its times to `when_s`."""
    fd = open_private(path, O_WRONLY)
    try:
        utime(fd if geteuid is not None else path, (when_s, when_s))  # the file opened, not a link
    finally:
        close(fd)


def trust_problem(st: stat_result, sticky_ok: bool = False) -> str | None:
    """Why a folder or file others may change must not be used ("not yours", "writable by
    others"), None when only this user (or root) can change it. `sticky_ok`: a folder where
    others may add entries but not replace this user's (like /tmp) is fine."""
    if geteuid is None:
        return None
    if st.st_uid not in (my_uid(), 0):
        return "not yours"
    if st.st_mode & 0o022 and not (sticky_ok and st.st_mode & 0o1000):
        return "writable by others"
    return None


def ancestor_problem(path: str) -> str | None:
    """Why a folder above `path` (absolute) lets others put something else in its place: a
    folder on the way (a link's target's included) that is not this user's or root's, or that
    others may write without the sticky bit. One lstat per component (4-5 for
    ~/.cache/costline); a missing component ends the walk (what is made below it is private)."""
    if geteuid is None or readlink is None:
        return None
    try:
        problem = trust_problem(lstat(SEP), sticky_ok=True)
    except OSError:
        return None
    if problem:
        return f"{SEP} {problem}"
    todo = [part for part in path.split(SEP) if part][::-1]  # components left, next one last
    done, hops = "", 0
    while todo:
        part = todo.pop()
        if part in (".", ".."):
            done = dirname(done).rstrip(SEP) if part == ".." else done
            continue
        here = done + SEP + part
        try:
            st = lstat(here)
        except (OSError, ValueError):
            return None
        if st.st_mode & _S_IFMT == _S_IFLNK:
            hops += 1
            if hops > 40:
                return None  # a loop: nothing can be made there, so nothing is written
            if todo and trust_problem(st) == "not yours":  # links are 0777: their owner counts
                return f"{here} not yours"
            target = readlink(here)
            todo.extend(p for p in target.split(SEP)[::-1] if p)
            done = "" if target.startswith(SEP) else done
            continue
        if todo:  # the cache dir itself is checked by its caller, stricter (no sticky bit)
            problem = trust_problem(st, sticky_ok=True)
            if problem:
                return f"{here} {problem}"
        done = here
    return None
