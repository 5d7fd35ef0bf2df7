"""The files in the sync folder, format 1 (documented in the README, "Several machines").

    <dir>/m-<machine id>/machine.json       the manifest: {"format", "id", "name", "written",
                                            "costline", "days": {"YYYY-MM-DD": sha256 of the file}}
    <dir>/m-<machine id>/days/<UTC day>.json one UTC day of that machine's index
    <dir>/salt.json                         {"format", "salt"}: keys the project hashes

A day file holds (every list positional, to stay small):

    "sessions": [[session id, project (or "h:" + its hash keyed with the salt)], ...]
    "buckets":  [[quarter-hour, session index, model, price class, messages, input, output,
                  5m cache writes, 1h cache writes, cache reads, logged cost, first ms, last ms,
                  cost at the writer's prices or null], ...]
    "keys":     [[message key hash, bucket index, ms, messages, input, output, 5m writes,
                  1h writes, cache reads, logged cost], ...]
    "unlogged": [[ms, session index, usd], ...]

A quarter-hour is epoch ms // 900000 (UTC). Unknown fields are ignored; a format above FORMAT is
not read (the machine is marked "newer costline"). Every file is written under a temp name in its
own folder, fsynced and renamed, so a sync tool copies whole files; what it leaves half-arrived
is caught by the manifest's sha256.
"""

from __future__ import annotations

import hashlib
import json
import os

from statusline import fs

FORMAT = 1
MANIFEST = "machine.json"
DAYS = "days"
PREFIX = "m-"
MAX_FILE_BYTES = 64 << 20  # a day file past this is no file of ours
SALT = "salt.json"  # {"format": 1, "salt": 32 hex}: the key of the project hashes, one per folder
MAX_NUMBER = float(1 << 53)  # past this no count or cost of ours goes (and sums stay finite)


class NotYours(OSError):
    """A file, subfolder or the sync folder itself that someone else could have put there.
    `line`: what the status line says (`sync folder not yours`); str(): where and why."""

    def __init__(self, where: str, line: str = "sync folder not yours") -> None:
        super().__init__(where)
        self.line = line


def mine(st: os.stat_result) -> bool:
    """Owned by this user (or root). What a sync tool run by this user writes is this user's,
    whichever machine it came from; what another local user put there is not."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or st.st_uid in (geteuid(), 0)


def folder_problem(path: str) -> NotYours | None:
    """Why the sync folder must not be used: it, or a folder on the way to it, is not this
    user's (or root's), or others may write it without the sticky bit (they could put a machine
    in it, or replace one). None when it is fine or missing (what publish makes is private)."""
    found = fs.ancestor_problem(path)
    if found is None:
        try:
            problem = fs.trust_problem(os.stat(path), sticky_ok=True)
        except OSError:
            return None
        found = f"{path} {problem}" if problem else None
    if found is None:
        return None
    line = "sync folder not yours" if found.endswith("not yours") else "sync folder writable by others"
    return NotYours(found, line)


def ignored(name: str) -> bool:
    """A name a sync tool uses for a file still arriving or for a conflict copy, or a temp name."""
    low = name.lower()
    return (
        name.startswith((".", "~"))
        or low.endswith(".tmp")
        or ".sync-conflict-" in low
        or "conflicted copy" in low
        or "conflict copy" in low
    )


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode(doc: dict[str, object]) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode() + b"\n"


def read_file(path: str) -> bytes:
    """A file another machine (or a sync tool) wrote: never through a link, never a FIFO, never
    past MAX_FILE_BYTES (OSError for all three), never one another local user owns (NotYours)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not fs.is_regular(st.st_mode) or st.st_size > MAX_FILE_BYTES:
            raise OSError(f"{path}: not a file of costline's")
        if not mine(st):
            raise NotYours(f"{path} not yours")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _finite(text: str) -> float:
    value = float(text)
    if not -MAX_NUMBER <= value <= MAX_NUMBER:  # inf, 1e999, and NaN (no comparison holds)
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _whole(text: str) -> int:
    value = int(text)
    if not -MAX_NUMBER <= value <= MAX_NUMBER:
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _constant(text: str) -> float:
    raise ValueError(f"not a number: {text}")  # NaN, Infinity, -Infinity


def decode(data: bytes) -> dict[str, object] | None:
    """A JSON object, or None (truncated, not JSON, not an object, or a number that is not
    finite or is past ±MAX_NUMBER: a damaged file, never a figure)."""
    try:
        doc = json.loads(data, parse_float=_finite, parse_int=_whole, parse_constant=_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def write(path: str, data: bytes) -> None:
    """Replace `path` whole: a temp name in its folder (`.<name>.<random>.tmp`, which readers
    skip), written, fsynced, renamed; 0600 whatever the umask."""
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
    fd = fs.create_new(tmp)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # the rename itself, on disk
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def make_folder(path: str, below: str) -> None:
    """`path` and the folders between it and `below` (which must exist), each 0700."""
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    if parent != below:
        make_folder(parent, below)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    os.chmod(path, 0o700)  # whatever the umask


def number(value: object) -> float | None:
    return float(value) if type(value) in (int, float) else None  # type: ignore[arg-type]


def read_salt(folder: str) -> str | None:
    """The folder's salt; None when it has none yet, OSError when it cannot be read whole."""
    try:
        doc = decode(read_file(os.path.join(folder, SALT)))
    except FileNotFoundError:
        return None
    salt = doc.get("salt") if doc is not None else None
    if not (isinstance(salt, str) and len(salt) == 32 and all(c in "0123456789abcdef" for c in salt)):
        raise OSError(f"{folder}/{SALT}: no salt of costline's")
    return salt


def folder_salt(folder: str) -> str:
    """The salt every machine of the folder hashes project names with, made now when there is
    none. Never written over one another machine made meanwhile (a hard link fails if the name
    exists); two made at once on two machines before they synced: the sync tool keeps one, and
    each machine publishes again with it (the salt is part of its setup)."""
    found = read_salt(folder)
    if found is not None:
        return found
    path = os.path.join(folder, SALT)
    tmp = os.path.join(folder, f".{SALT}.{os.urandom(6).hex()}.tmp")
    write(tmp, encode({"format": FORMAT, "salt": fs.urandom(16).hex()}))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not os.path.lexists(path):
            os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    found = read_salt(folder)
    if found is None:
        raise OSError(f"{path}: not made")
    return found
