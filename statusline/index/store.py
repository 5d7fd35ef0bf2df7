"""On-disk layout of the index: versioned, private, written atomically, locked for writers.

    <cache>/index/v2/
        meta                  {"format", "created_ms", "rescan_epoch", "full_scan_ms",
                              "generation", ...}
        lock                  flock()ed by whoever writes (renders try, never wait)
        groups/<group>        one session's files: offsets, inode, size; counters
        packs/<xx>            groups a scan wrote, up to 256 files of many groups each (a file
                              per group cost a cold build of 10,000 sessions two seconds);
                              a group with its own file under groups/ is read from there
        hours/<day>/<HH>      one UTC hour: dedup keys and token sums per bucket
        days/<day>            one UTC day: token sums per (quarter-hour, model, cls), derived
                              from the hour files and checked against their stat signatures
        scan                  the background scanner's cache of file stats (not authoritative)

Every file is a `marshal` dump (the fastest load Python has without imports), replaced with
temp-file + rename so a reader never sees half a file. A file that fails to load is moved to
`corrupt/` (kept, not deleted) and the index repairs itself from what remains (see update.py).
"""

from __future__ import annotations

import marshal

from statusline import fs

# Not bumped for the progress-copy rank (records stored before it keep ranking a progress copy as
# a main copy): a new format drops the old folder, and with it the history of transcripts Claude
# Code has since deleted, which no rebuild can bring back.
FORMAT = 2

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
# Renders start a background refresh at most this often (seconds), doubling after each failed
# refresh up to MAX_BACKOFF_S.
REFRESH_INTERVAL_S = 60.0
MAX_BACKOFF_S = 3600.0


def meta_int(meta: dict[str, object], key: str) -> int:
    """An integer field of the meta file (0 when missing or odd)."""
    value = meta.get(key)
    return value if type(value) is int else 0


def lock_file(fd: int, blocking: bool) -> bool:
    """Lock an open file (read-write) for this process; False when busy and not `blocking`.

    POSIX record locks through `fs.lockf`, which needs no extension module (`fcntl` is a shared
    library: loading it costs the render a third of a millisecond). Locks belong to the process:
    they are released when it exits or closes the file, and never pass to child processes.
    """
    lockf = getattr(fs, "lockf", None)
    if lockf is None:  # Windows
        try:
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except (ImportError, OSError):
            return False
        return True
    while True:
        try:
            lockf(fd, fs.F_LOCK if blocking else fs.F_TLOCK, 0)
            return True
        except InterruptedError:
            continue
        except OSError as exc:
            if not blocking:
                return False  # busy: a render's usual answer, so no import on its way
            import errno
            import time

            if exc.errno != errno.EDEADLK:  # the kernel guessed a deadlock: wait on
                return False
            time.sleep(0.005)


def day_names(folder: str) -> list[str]:
    """The `YYYY-MM-DD` entries of a folder, oldest first ([] when it does not exist)."""
    try:
        names = fs.listdir(folder)
    except OSError:
        return []
    return sorted(n for n in names if len(n) == 10 and n[4] == "-")


def read_marshal(path: str) -> dict[str, object] | None:
    """A marshal-dumped dict from `path`; None when missing, unreadable or not a dict."""
    try:
        value = marshal.loads(fs.read_private(path))
    except (OSError, EOFError, ValueError, TypeError):
        return None  # a file costline did not make (fs.read_private) is not read
    return value if isinstance(value, dict) else None


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data` to a file descriptor (a write may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[fs.write(fd, view) :]


# Crash testing: with COSTLINE_KILL_AT_WRITE=N the process SIGKILLs itself at its Nth write,
# after the temp file is written and before the rename (the worst moment to die).
_KILL_AT = int(fs.environ().get("COSTLINE_KILL_AT_WRITE", "0") or 0)
_writes = [0]


def crash_point() -> None:
    """A write done (its file whole, not yet in place): with COSTLINE_KILL_AT_WRITE=N, the Nth
    kills this process."""
    if not _KILL_AT:
        return
    _writes[0] += 1
    if _writes[0] == _KILL_AT:
        import signal

        fs.kill(fs.getpid(), signal.SIGKILL)


def atomic_write(path: str, data: bytes, mode: int = 0o600) -> tuple[int, int, int]:
    """Replace `path` with `data` via a temp file (private unless `mode` says otherwise, whatever
    the umask) and rename; return its stat signature."""
    tmp = fs.temp_name(path)  # a new file of an unguessable name: never one planted there
    try:
        fd = fs.create_new(tmp)
    except FileNotFoundError:
        fs.makedirs(fs.dirname(path), mode=0o700, exist_ok=True)
        fd = fs.create_new(tmp)
    try:
        try:
            write_all(fd, data)
            if mode != 0o600:
                fs.fchmod(fd, mode)  # before the rename: never there without it
        finally:
            fs.close(fd)
    except OSError:  # a full disk: leave no temp file behind
        try:
            fs.unlink(tmp)
        except OSError:
            pass
        raise
    crash_point()
    try:
        fs.replace(tmp, path)
    except OSError:
        try:
            fs.unlink(tmp)
        except OSError:
            pass
        raise
    return _sig(fs.stat(path))


# A group's state (`groups/<name>`) as a render writes it: appended to the file, not written
# anew. Replacing a file by rename costs a render more than everything else it writes (ext4
# starts writing the new file's data out when a rename replaces a file: 0.3-1 ms), and a render
# writes its session's state each time it reads new lines. So the file is the state a writer
# made whole (a marshal dump, temp file + rename: a scan's, or a render's when the file grew
# long), followed by the states renders appended since, each one a frame:
#   the state's marshal dump, then where the dump starts and its length (8 bytes each, little
#   endian), then STATE_MAGIC.
# The newest state is the last frame when the file ends in a whole one, else the first dump:
# an append cut short (its render killed mid-write, or a reader that came during the write)
# leaves the file ending elsewhere, and the first state is an older one, which only has lines
# read again (dedup recognises them, as after any render killed before it saved its offsets).
# A costline that does not know frames reads the first dump too (marshal ignores what follows).
STATE_MAGIC = b"\xffstate1\n"
STATE_TRAILER = 16 + len(STATE_MAGIC)
# A render rewrites the file whole (compacts it) once it would grow past this many times the
# state's size, or past STATE_MAX_BYTES: about one render in thirty pays for a rename.
STATE_GROWTH = 32
STATE_MAX_BYTES = 4 << 20


def read_state(path: str) -> tuple[object, fs.stat_result]:
    """The newest state in a group's file (see STATE_MAGIC) and the file's stat: FileNotFoundError,
    fs.Refused (not a file costline made), or EOFError/ValueError/TypeError when unreadable."""
    fd, st = fs.open_private_read(path)
    try:
        size = st.st_size
        if size > STATE_TRAILER:
            tail = fs.pread(fd, STATE_TRAILER, size - STATE_TRAILER)
            if tail[16:] == STATE_MAGIC:
                start = int.from_bytes(tail[:8], "little")
                length = int.from_bytes(tail[8:16], "little")
                if start > 0 and start + length + STATE_TRAILER == size:
                    try:
                        return marshal.loads(fs.pread(fd, length, start)), st
                    except (EOFError, ValueError, TypeError):
                        pass  # not a frame after all: the first state stands
        data = fs.pread(fd, size, 0)
    finally:
        fs.close(fd)
    return marshal.loads(data), st


def append_state(path: str, value: object) -> bool:
    """Write a group's state (`read_state`) by appending a frame to its file, or write the file
    whole (atomic_write) when it would grow too long; False when there is no file yet (the
    caller writes it, making its folder)."""
    data = marshal.dumps(value)  # type: ignore[arg-type]
    try:
        fd, st = fs.open_private_existing(path, fs.O_WRONLY | fs.O_APPEND)
    except FileNotFoundError:
        return False
    try:
        start = st.st_size
        frame = data + start.to_bytes(8, "little") + len(data).to_bytes(8, "little") + STATE_MAGIC
        if start == 0 or start + len(frame) > min(STATE_GROWTH * len(frame), STATE_MAX_BYTES):
            fs.close(fd)
            fd = -1
            atomic_write(path, data)
            return True
        if _KILL_AT:  # crash testing: die halfway through the append (the worst moment)
            _writes[0] += 1
            if _writes[0] == _KILL_AT:
                import signal

                write_all(fd, frame[: len(frame) // 2])
                fs.kill(fs.getpid(), signal.SIGKILL)
        write_all(fd, frame)
    finally:
        if fd >= 0:
            fs.close(fd)
    return True


# A scan tells renders how far it has come through `<root>/progress` (upkeep.write_progress).
def read_progress(store: Store) -> float | None:
    """The running scan's share done (0..1), None when no scan has reported."""
    try:
        done, total, _started = marshal.loads(fs.read_private(store.path("progress")))
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(done, int) or not isinstance(total, int) or total <= 0:
        return None
    return min(max(done / total, 0.0), 1.0)


class CorruptIndex(Exception):
    """An index file that cannot be read back; it has been set aside."""


def _sig(st: fs.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


PACKS = 256


def pack_of(name: str) -> str:
    """The pack a group's state goes to when it has no file of its own (`packs/<xx>`)."""
    tail = int.from_bytes(name.encode("utf-8", "surrogatepass")[-6:], "little")
    mixed = (tail * 2654435761) % (1 << 32)  # Knuth's multiplicative hash
    return f"packs/{mixed * PACKS >> 32:02x}"


class Store:
    """Paths and primitive reads and writes of one index directory."""

    __slots__ = ("_lock_fd", "cache", "fresh_hours", "lost", "root", "set_aside_groups")

    def __init__(self, cache: str) -> None:
        self.cache = cache
        self.root = fs.join(cache, "index", f"v{FORMAT}")
        self._lock_fd = -1
        # Hour files this process has just written: their signature and sums without the
        # session, so a reader in the same process need not read them back.
        self.fresh_hours: dict[str, tuple[tuple[int, int, int], dict[tuple[object, ...], list[float]]]] = {}
        # Groups whose own file this process set aside: their pack entry is older than what was
        # lost, so it is not read in their place (the epoch bump has every log read again).
        self.set_aside_groups: set[str] = set()
        # Whether this process set a file aside: what it held is not counted until the logs are
        # read again, so a figure made now is a lower bound (shown with `…`), never confident.
        self.lost = False

    # -- paths ----------------------------------------------------------------------------
    def path(self, *parts: str) -> str:
        return fs.join(self.root, *parts)

    def ensure(self) -> None:
        """Create the private directory tree (0700)."""
        for sub in ("groups", "packs", "hours", "days"):
            fs.make_private_folder(self.path(sub))
        for d in (self.cache, fs.join(self.cache, "index"), self.root):
            try:
                fs.chmod(d, 0o700)
            except OSError:
                pass

    # -- files ----------------------------------------------------------------------------
    def read(self, rel: str, kind: type = dict) -> object | None:
        """Load one file; None if missing; CorruptIndex (after setting it aside) if unreadable."""
        found = self.read_signed(rel, kind)
        return None if found is None else found[0]

    def read_signed(self, rel: str, kind: type = dict) -> tuple[Any, tuple[int, int, int]] | None:
        """`read`, with the stat signature of the very file it read (not one replaced since)."""
        path = self.path(rel)
        try:
            data, st = fs.read_private_stat(path)
        except FileNotFoundError:
            return None
        except fs.Refused:  # a link, FIFO, folder, hard link or another user's file planted there
            self.set_aside(rel)
            raise CorruptIndex(rel) from None
        try:
            value = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            value = None
        if type(value) is not kind:
            self.set_aside(rel)
            raise CorruptIndex(rel)
        return value, _sig(st)

    def read_group_state(self, name: str) -> dict[str, Any] | None:
        """A group's own file (its newest state, see read_state); None if missing; CorruptIndex
        (after setting it aside) if unreadable."""
        rel = f"groups/{name}"
        try:
            value, _ = read_state(self.path(rel))
        except FileNotFoundError:
            return None
        except fs.Refused:
            self.set_aside(rel)
            raise CorruptIndex(rel) from None
        except (EOFError, ValueError, TypeError):
            value = None
        if type(value) is not dict:
            self.set_aside(rel)
            raise CorruptIndex(rel)
        return value

    def append_group_state(self, name: str, value: dict[str, object]) -> None:
        """A render's write of its group's state: appended (see append_state), or written
        whole when the group has no file of its own yet."""
        if not append_state(self.path("groups", name), value):
            self.write(f"groups/{name}", value)

    def write(self, rel: str, value: object) -> tuple[int, int, int]:
        """Atomically replace one file (0600); return its stat signature. Its folders below the
        index root are made or entered only when they are this user's own (fs.Refused if not:
        `hours/<day>` planted as a link would take the write elsewhere): one lstat each."""
        folder = self.root
        for part in rel.split("/")[:-1]:
            folder = fs.join(folder, part)
            fs.make_private_folder(folder)
        return atomic_write(self.path(rel), marshal.dumps(value))  # type: ignore[arg-type]

    def set_aside(self, rel: str) -> None:
        """Move an unreadable file to `corrupt/` so nothing is lost and it is not read again."""
        self.lost = True
        try:
            fs.make_private_folder(self.path("corrupt"))
            target = self.path("corrupt", rel.replace("/", "_").replace(fs.SEP, "_"))
            fs.replace(self.path(rel), f"{target}.{fs.getpid()}")
        except OSError:
            pass
        # Whatever that file held must be re-derived from the logs: re-read them all, soon; until
        # then the index is not complete (renders mark today `…`).
        try:
            fs.unlink(fs.join(self.cache, "refresh.stamp"))
        except OSError:
            pass
        try:
            meta = self.read_meta()
            meta["rescan_epoch"] = meta_int(meta, "rescan_epoch") + 1
            meta.pop("full_scan_ms", None)
            self.write("meta", meta)
        except (OSError, CorruptIndex):
            pass

    def signature(self, rel: str) -> tuple[int, int, int] | None:
        try:
            return _sig(fs.stat(self.path(rel)))
        except OSError:
            return None

    @staticmethod
    def stat_signature(path: str) -> tuple[int, int, int]:
        """A file's stat signature (inode, size, mtime); OSError when it cannot be stat'ed."""
        return _sig(fs.stat(path))

    def indexed_days(self) -> list[str]:
        """UTC days that have hour files, oldest first."""
        return day_names(self.path("hours"))

    # -- groups -------------------------------------------------------------------------
    # A group's state is in its own file (renders write those) or, failing that, in its pack
    # (scans write those for groups without their own file). So a group's own file is always
    # its newest state: a pack entry is never written while the group has its own file.
    def read_group(self, name: str, packs: dict[str, object] | None = None) -> dict[str, Any] | None:
        """A group's state: its own file, else its pack entry; None if it has neither.
        CorruptIndex if its own file is unreadable (its pack entry is older: not a stand-in).
        `packs`: packs read so far, by path (a caller reading many groups reads each once)."""
        try:
            group = self.read_group_state(name)
        except CorruptIndex:
            self.set_aside_groups.add(name)
            raise
        if group is not None:
            return group
        if name in self.set_aside_groups:
            return None
        return self.pack_entry(name, packs)

    def pack_entry(
        self, name: str, packs: dict[str, object] | None = None, peek: bool = False
    ) -> dict[str, Any] | None:
        """A group's entry in its pack, or None. `packs`: see read_group. `peek`: read without
        the lock, so an unreadable pack is only "nothing there", not set aside."""
        rel = pack_of(name)
        if packs is not None and rel in packs:
            pack = packs[rel]
        else:
            if peek:
                pack = read_marshal(self.path(rel))
            else:
                try:
                    pack = self.read(rel)
                except CorruptIndex:
                    pack = None
            if packs is not None:
                packs[rel] = pack
        found = pack.get(name) if isinstance(pack, dict) else None
        return found if isinstance(found, dict) else None

    def group_signature(self, name: str) -> tuple[object, ...]:
        """Changes whenever the group's state may have: its own file's and its pack's stat."""
        return (self.signature(f"groups/{name}"), self.signature(pack_of(name)))

    # -- meta -----------------------------------------------------------------------------
    def read_meta(self) -> dict[str, object]:
        meta = self.read("meta")
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            return {"format": FORMAT, "rescan_epoch": 0}
        return meta

    # -- refresh schedule -----------------------------------------------------------------
    def failures(self, job: str) -> int:
        try:
            return int(fs.read_private(fs.join(self.cache, f"{job}.failures"), 16) or b"0")
        except (OSError, ValueError):
            return 0

    def refresh_due(self, now_s: float, interval_s: float = REFRESH_INTERVAL_S, job: str = "refresh") -> bool:
        """Whether a render should start the background `job` now (at most once per interval)."""
        try:
            last = fs.stat(fs.join(self.cache, f"{job}.stamp")).st_mtime
        except OSError:
            return True
        wait = min(interval_s * (2 ** min(self.failures(job), 12)), MAX_BACKOFF_S * 24)
        return now_s - last >= wait or now_s < last - 300  # a clock set back must not stall it

    def mark_refresh_started(self, now_s: float, job: str = "refresh") -> None:
        """Stamp the start of a job (callers hold the lock, so only one render does)."""
        fs.touch(fs.join(self.cache, f"{job}.stamp"), now_s)

    # -- locking --------------------------------------------------------------------------
    def lock(self, blocking: bool) -> bool:
        """Take the writers' lock; False when `blocking` is off and someone else holds it."""
        if self._lock_fd >= 0:
            return True
        fd = fs.open_private(self.path("lock"), fs.O_RDWR)
        if not lock_file(fd, blocking):
            fs.close(fd)
            return False
        self._lock_fd = fd
        return True

    def locked(self) -> bool:
        return self._lock_fd >= 0

    def unlock(self) -> None:
        if self._lock_fd >= 0:
            fs.close(self._lock_fd)  # closing releases the lock
            self._lock_fd = -1
