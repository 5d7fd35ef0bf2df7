"""Where the attribution's states are kept: in packs of many states, or each in its own file.

    <cache>/attrib/v<N>/
        <name>         one transcript's state (build.state_name), written when it is read on
        packs/<id>     the states a batch of first reads saved (a cold build's worker, a first
                       report's catalog): written whole once (temp file + rename), never changed

A file per state cost a first report a new file for each transcript (1,100 on the 1 GB bench
corpus: a file's creation costs this machine between 25 us and 1.4 ms); its packs are a few.
A state's own file overrides its pack entry: a transcript read on after its first read has its
state written to its own file, and the pack is left as it is. A name in two packs (two first
reads that raced) is taken from the later pack, by name.

A pack is MAGIC, the header's length (8 bytes, little endian), the header (a marshal dump: state
name → its offset (from the header's end) and length, and what the catalog keeps of it, catalog.py), then
each state's marshal dump, as its own file would hold it. The stat signature of a packed state
is its pack's (inode, size, mtime) and its offset: it changes whenever the state read under its
name may have (another pack, or a file of its own, takes over), as an own file's does.
"""

from __future__ import annotations

import marshal
import os
import time
from typing import Any

from statusline import fs
from statusline.index.store import atomic_write

MAGIC = b"\xffattpk1\n"
_PREAMBLE = len(MAGIC) + 8
FOLDER = "packs"
# States go to a new pack once those held back make this many bytes (the 1 GB bench corpus has
# 11 MB of states: a few packs).
PACK_BYTES = 4 << 20
Sig = tuple[int, ...]
Item = tuple[str, bytes, dict[str, Any]]  # a state's name, its marshal dump, its catalog entry
Header = dict[str, tuple[int, int, dict[str, Any]]]

# Headers read by this process, by pack path: (the pack's signature, its header). A pack never
# changes: a header is read again only when another file has its path.
_headers: dict[str, tuple[Sig, Header, int]] = {}  # ... and where its states start


def _sig(st: os.stat_result) -> Sig:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class Packs:
    """The packs of a states folder as they are now: which pack holds each name."""

    __slots__ = ("folder", "listed", "where")

    def __init__(self, folder: str) -> None:
        self.folder = folder
        # state name → (pack path, pack signature, offset, length, catalog entry)
        self.where: dict[str, tuple[str, Sig, int, int, dict[str, Any]]] = {}
        self.listed: list[tuple[str, Sig]] = []  # every pack's path and lstat, in name order
        try:
            names = sorted(n for n in os.listdir(os.path.join(folder, FOLDER)) if not n.endswith(".tmp"))
        except OSError:
            return
        for name in names:
            path = os.path.join(folder, FOLDER, name)
            try:
                self.listed.append((path, _sig(os.lstat(path))))
            except OSError:
                continue
            found = _header(path)
            if found is None:
                continue
            sig, header, base = found
            try:
                where = {
                    state: (path, sig, base + offset, length, dict(entry))
                    for state, (offset, length, entry) in header.items()
                }
            except (TypeError, ValueError):
                continue  # not a header costline wrote: ignored
            self.where.update(where)

    def sig(self, name: str) -> Sig | None:
        """The signature of the state packed under `name` (None: in no pack)."""
        found = self.where.get(name)
        return None if found is None else (*found[1], found[2])

    def entry(self, name: str) -> dict[str, Any] | None:
        """What the catalog keeps of the state packed under `name`, with its signature."""
        found = self.where.get(name)
        return None if found is None else {**found[4], "sig": (*found[1], found[2])}

    def read(self, name: str) -> tuple[bytes, Sig] | None:
        """The marshal dump packed under `name` and its signature; None when in no pack or the
        pack is not the one listed (removed or replaced since)."""
        found = self.where.get(name)
        if found is None:
            return None
        path, sig, offset, length, _entry = found
        try:
            fd, st = fs.open_private_read(path)
        except OSError:
            return None
        try:
            if _sig(st) != sig:
                return None
            data = fs.pread(fd, length, offset)
        except OSError:
            return None
        finally:
            fs.close(fd)
        return (data, (*sig, offset)) if len(data) == length else None


_current: dict[str, Packs] = {}


def current(folder: str) -> Packs:
    """The folder's packs as they are now: a listing and a stat of each pack, the headers this
    process read before reused."""
    known = _current.get(folder)
    if known is not None:
        try:
            names = sorted(n for n in os.listdir(os.path.join(folder, FOLDER)) if not n.endswith(".tmp"))
            listed = [(p, _sig(os.lstat(p))) for p in (os.path.join(folder, FOLDER, n) for n in names)]
        except OSError:
            listed = None
        if listed == known.listed:
            return known
    packs = _current[folder] = Packs(folder)
    return packs


def _header(path: str) -> tuple[Sig, Header, int] | None:
    """A pack's signature and header; None when it is not a pack costline wrote (ignored)."""
    try:
        cached = _headers.get(path)
        if cached is not None and cached[0] == _sig(os.lstat(path)):
            return cached
        fd, st = fs.open_private_read(path)
    except OSError:
        return None
    try:
        preamble = fs.pread(fd, _PREAMBLE, 0)
        if preamble[: len(MAGIC)] != MAGIC:
            return None
        size = int.from_bytes(preamble[len(MAGIC) :], "little")
        header = marshal.loads(fs.pread(fd, size, _PREAMBLE))
    except (OSError, EOFError, ValueError, TypeError):
        return None
    finally:
        fs.close(fd)
    base = _PREAMBLE + size
    try:
        end = base + sum(length for _offset, length, _entry in header.values())
    except (AttributeError, TypeError, ValueError):
        return None
    if end != st.st_size:  # not whole: never one costline wrote (they are renamed in whole)
        return None
    found = _headers[path] = (_sig(st), header, base)
    return found


def write(folder: str, items: list[Item]) -> dict[str, Sig]:
    """Pack the states (a name once) into a new pack; each one's signature, by name. OSError or
    ValueError when it cannot be written (then no pack is there)."""
    header: Header = {}
    offset = 0
    for name, data, entry in items:
        header[name] = (offset, len(data), entry)  # from the end of the header
        offset += len(data)
    head = marshal.dumps(header)
    blob = b"".join([MAGIC, len(head).to_bytes(8, "little"), head, *(data for _n, data, _e in items)])
    packs = os.path.join(folder, FOLDER)
    fs.make_private_folder(packs)  # never a link planted there
    path = os.path.join(packs, f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(3).hex()}")
    sig = atomic_write(path, blob)
    base = _PREAMBLE + len(head)
    _headers[path] = (sig, header, base)
    return {name: (*sig, base + at) for name, (at, _length, _entry) in header.items()}


def write_all(folder: str, items: list[Item]) -> dict[str, Sig]:
    """`write`, a new pack each PACK_BYTES; the signatures of the states written (a pack that
    cannot be written leaves its states out)."""
    sigs: dict[str, Sig] = {}
    batch: list[Item] = []
    size = 0
    for n, item in enumerate(items):
        batch.append(item)
        size += len(item[1])
        if size >= PACK_BYTES or n == len(items) - 1:
            try:
                sigs.update(write(folder, batch))
            except (OSError, ValueError):
                pass  # a cache that cannot be written: this report still has this run's figures
            batch, size = [], 0
    return sigs


def own_names(folder: str) -> list[str]:
    """The states with a file of their own (temp files and the packs' folder left out)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [n for n in names if n != FOLDER and not n.endswith(".tmp")]
