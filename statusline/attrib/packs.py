"""Where the attribution's states are kept: in packs of many states, or each in its own file.

    <cache>/attrib/v<N>/
        <name>         one transcript's state (build.state_name), written when it is read on
        packs/<id>     the states a batch of first reads saved (a cold build's worker, a first
                       report's catalog): written whole once (temp file + rename), never changed

A file per state cost a first report a new file for each transcript (1,100 on the 1 GB bench
corpus: a file's creation costs this machine between 25 us and 1.4 ms); its packs are a few.
A state's own file overrides its pack entry: a transcript read on after its first read has its
state written to its own file, and the pack is left as it is (an own file that cannot be read
leaves the pack entry to stand in). A name in two packs (two first reads that raced) is taken
from the later pack, by name. Once there are more than MAX_PACKS, the small ones are merged.

A pack is MAGIC, the lengths of its index and of its entries (8 bytes each, little endian), the
index (a marshal dump: state name → its offset from the end of the entries, its length and its
stamp), the entries (a marshal dump: state name → what the catalog keeps of it, catalog.py, read
only when the catalog has no entry of its own for a state), then each state's marshal dump, as
its own file would hold it. A stamp is
drawn at random when a state is packed and kept when packs are merged: the signature of a
packed state is its stamp and length, so it changes whenever the state under its name may have
(packed again, or a file of its own written), never when packs are merged (the day summaries
that depend on it stay current).
"""

from __future__ import annotations

import marshal
import os
import time
from typing import Any

from statusline import fs
from statusline.index.store import atomic_write

MAGIC = b"\xffattpk2\n"
_PREAMBLE = len(MAGIC) + 16
FOLDER = "packs"
# States go to a new pack once those held back make this many bytes (the 1 GB bench corpus has
# 11 MB of states: a few packs).
PACK_BYTES = 4 << 20
# More packs than this (each report that finds new transcripts adds one or two), and the ones
# smaller than PACK_BYTES are merged.
MAX_PACKS = 16
Sig = tuple[int, ...]  # a packed state's: (stamp, length); a file's: (inode, size, mtime)
Item = tuple[str, bytes, dict[str, Any]]  # a state's name, its marshal dump, its catalog entry
Index = dict[str, tuple[int, int, int]]  # state name → offset from the states' start, length, stamp


def _sig(st: os.stat_result) -> Sig:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def is_packed(sig: Sig) -> bool:
    """Whether a state's signature is a packed state's (else its own file's)."""
    return len(sig) == 2


class _Pack:
    """One pack's index, read once per process, and its catalog entries, read when asked for."""

    __slots__ = ("_entries", "base", "index", "path", "sig", "span")

    def __init__(self, path: str, sig: Sig, index: Index, span: tuple[int, int]) -> None:
        self.path, self.sig, self.index, self.span = path, sig, index, span
        self.base = span[0] + span[1]  # where the states start
        self._entries: dict[str, dict[str, Any]] | None = None

    def entries(self) -> dict[str, dict[str, Any]]:
        """The catalog entries of its states, by name ({} when they cannot be read)."""
        if self._entries is None:
            data = self.read(*self.span)
            try:
                entries = marshal.loads(data) if data is not None else {}
            except (EOFError, ValueError, TypeError):
                entries = {}
            self._entries = entries if isinstance(entries, dict) else {}
        return self._entries

    def read(self, offset: int, length: int, fd: int = -1) -> bytes | None:
        """Bytes of the pack (`fd`: it, open and checked); None when the file is not this pack."""
        mine = fd < 0
        try:
            if mine:
                fd, st = fs.open_private_read(self.path)
                if _sig(st) != self.sig:
                    return None
            data = fs.pread(fd, length, offset)
        except OSError:
            return None
        finally:
            if mine and fd >= 0:
                fs.close(fd)
        return data if len(data) == length else None


# Packs read by this process, by path. A pack never changes: one is read again only when another
# file has its path.
_read_packs: dict[str, _Pack] = {}


class Packs:
    """The packs of a states folder as they are now: which pack holds each name."""

    __slots__ = ("folder", "listed", "where")

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.where: dict[str, tuple[_Pack, int, int, int]] = {}  # name → pack, offset, length, stamp
        self.listed: list[tuple[str, Sig]] = []  # every pack's path and lstat, in name order
        for path in _pack_paths(folder):
            try:
                self.listed.append((path, _sig(os.lstat(path))))
            except OSError:
                continue
            pack = _open(path)
            if pack is not None:
                base = pack.base
                self.where.update(
                    (n, (pack, base + at, length, stamp)) for n, (at, length, stamp) in pack.index.items()
                )

    def sig(self, name: str) -> Sig | None:
        """The signature of the state packed under `name` (None: in no pack)."""
        found = self.where.get(name)
        return None if found is None else (found[3], found[2])

    def entry(self, name: str) -> dict[str, Any] | None:
        """What the catalog keeps of the state packed under `name`, with its signature."""
        found = self.where.get(name)
        entry = None if found is None else found[0].entries().get(name)
        return None if entry is None or found is None else {**entry, "sig": (found[3], found[2])}

    def read(self, name: str) -> tuple[bytes, Sig] | None:
        """The marshal dump packed under `name` and its signature; None when in no pack or the
        pack is not the one listed (merged or replaced since)."""
        found = self.where.get(name)
        if found is None:
            return None
        pack, offset, length, stamp = found
        data = pack.read(offset, length)
        return None if data is None else (data, (stamp, length))


def _pack_paths(folder: str) -> list[str]:
    try:
        names = os.listdir(os.path.join(folder, FOLDER))
    except OSError:
        return []
    return [os.path.join(folder, FOLDER, n) for n in sorted(names) if not n.endswith(".tmp")]


_current: dict[str, Packs] = {}


def current(folder: str) -> Packs:
    """The folder's packs as they are now: a listing and a stat of each pack, the packs this
    process read before reused."""
    known = _current.get(folder)
    if known is not None:
        try:
            listed = [(p, _sig(os.lstat(p))) for p in _pack_paths(folder)]
        except OSError:
            listed = None
        if listed == known.listed:
            return known
    packs = _current[folder] = Packs(folder)
    return packs


def _open(path: str) -> _Pack | None:
    """A pack's index; None when it is not a pack costline wrote (ignored)."""
    try:
        cached = _read_packs.get(path)
        if cached is not None and cached.sig == _sig(os.lstat(path)):
            return cached
        fd, st = fs.open_private_read(path)
    except OSError:
        return None
    try:
        preamble = fs.pread(fd, _PREAMBLE, 0)
        if len(preamble) != _PREAMBLE or preamble[: len(MAGIC)] != MAGIC:
            return None
        size = int.from_bytes(preamble[len(MAGIC) : len(MAGIC) + 8], "little")
        entries = int.from_bytes(preamble[len(MAGIC) + 8 :], "little")
        index = marshal.loads(fs.pread(fd, size, _PREAMBLE))
        states = sum(length for _offset, length, _stamp in index.values())
    except (OSError, EOFError, ValueError, TypeError, AttributeError):
        return None
    finally:
        fs.close(fd)
    if _PREAMBLE + size + entries + states != st.st_size:  # not whole: never one costline wrote
        return None
    pack = _read_packs[path] = _Pack(path, _sig(st), index, (_PREAMBLE + size, entries))
    return pack


def write(folder: str, items: list[Item], stamps: dict[str, int] | None = None) -> dict[str, Sig]:
    """Pack the states (a name once) into a new pack; each one's signature, by name. `stamps`:
    those to keep (a merge), by name; the others are drawn. OSError or ValueError when it cannot
    be written (then no pack is there)."""
    index: Index = {}
    offset = 0
    drawn = os.urandom(8 * len(items))
    for n, (name, data, _entry) in enumerate(items):
        stamp = stamps.get(name) if stamps else None
        if stamp is None:
            stamp = int.from_bytes(drawn[8 * n : 8 * n + 8], "little")
        index[name] = (offset, len(data), stamp)
        offset += len(data)
    head = marshal.dumps(index)
    entries = marshal.dumps({name: entry for name, _data, entry in items})
    sizes = len(head).to_bytes(8, "little") + len(entries).to_bytes(8, "little")
    blob = b"".join([MAGIC, sizes, head, entries, *(data for _n, data, _e in items)])
    packs = os.path.join(folder, FOLDER)
    fs.make_private_folder(packs)  # never a link planted there
    path = os.path.join(packs, f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(3).hex()}")
    sig = atomic_write(path, blob)
    _read_packs[path] = _Pack(path, sig, index, (_PREAMBLE + len(head), len(entries)))
    return {name: (stamp, length) for name, (_at, length, stamp) in index.items()}


def write_all(folder: str, items: list[Item], stamps: dict[str, int] | None = None) -> dict[str, Sig]:
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
                sigs.update(write(folder, batch, stamps))
            except (OSError, ValueError):
                pass  # a cache that cannot be written: this report still has this run's figures
            batch, size = [], 0
    return sigs


def merge(folder: str) -> None:
    """Once there are more than MAX_PACKS packs, merge those smaller than PACK_BYTES: the states
    read from them (each name's, from the pack it is read from) with their stamps, into new
    packs, then the old ones removed. Nothing is removed unless all were read and written. A
    pack one of whose states or entries cannot be read (damaged, or merged away by another
    process meanwhile) is left out, as it is: it never stops the others' merge."""
    packed = current(folder)
    small = {path for path, sig in packed.listed if sig[1] < PACK_BYTES}
    if len(packed.listed) <= MAX_PACKS or len(small) < 2:
        return
    held: dict[str, list[tuple[str, bytes, dict[str, Any], int]]] = {}
    for name, (pack, offset, length, stamp) in packed.where.items():
        if pack.path in small:
            data = pack.read(offset, length)
            entry = pack.entries().get(name)
            if data is None or entry is None:
                small.discard(pack.path)
                continue
            held.setdefault(pack.path, []).append((name, data, entry, stamp))
    items: list[Item] = []
    stamps: dict[str, int] = {}
    for path in small:
        for name, data, entry, stamp in held.get(path, ()):
            items.append((name, data, entry))
            stamps[name] = stamp
    if len(small) < 2 or len(write_all(folder, items, stamps)) != len(items):
        return
    for path in small:
        try:
            os.unlink(path)
        except OSError:
            pass


def own_names(folder: str) -> list[str]:
    """The states with a file of their own (temp files and the packs' folder left out)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [n for n in names if n != FOLDER and not n.endswith(".tmp")]
