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

A pack is MAGIC, the header's length (8 bytes, little endian), the header (a marshal dump: state
name → its offset from the header's end, its length, its stamp and what the catalog keeps of
it, catalog.py), then each state's marshal dump, as its own file would hold it. A stamp is
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

MAGIC = b"\xffattpk1\n"
_PREAMBLE = len(MAGIC) + 8
FOLDER = "packs"
# States go to a new pack once those held back make this many bytes (the 1 GB bench corpus has
# 11 MB of states: a few packs).
PACK_BYTES = 4 << 20
# More packs than this (each report that finds new transcripts adds one or two), and the ones
# smaller than PACK_BYTES are merged.
MAX_PACKS = 16
Sig = tuple[int, ...]  # a packed state's: (stamp, length); a file's: (inode, size, mtime)
Item = tuple[str, bytes, dict[str, Any]]  # a state's name, its marshal dump, its catalog entry
Header = dict[str, tuple[int, int, int, dict[str, Any]]]
Place = tuple[str, Sig, int, int, int, dict[str, Any]]  # pack, its stat, offset, length, stamp, entry

# Headers read by this process, by pack path: (the pack's stat signature, its header, where its
# states start). A pack never changes: a header is read again only when another file has its path.
_headers: dict[str, tuple[Sig, Header, int]] = {}


def _sig(st: os.stat_result) -> Sig:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def is_packed(sig: Sig) -> bool:
    """Whether a state's signature is a packed state's (else its own file's)."""
    return len(sig) == 2


class Packs:
    """The packs of a states folder as they are now: which pack holds each name."""

    __slots__ = ("folder", "listed", "where")

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.where: dict[str, Place] = {}  # state name → where it is
        self.listed: list[tuple[str, Sig]] = []  # every pack's path and lstat, in name order
        for path in _pack_paths(folder):
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
                    state: (path, sig, base + offset, length, stamp, dict(entry))
                    for state, (offset, length, stamp, entry) in header.items()
                }
            except (TypeError, ValueError):
                continue  # not a header costline wrote: ignored
            self.where.update(where)

    def sig(self, name: str) -> Sig | None:
        """The signature of the state packed under `name` (None: in no pack)."""
        found = self.where.get(name)
        return None if found is None else (found[4], found[3])

    def entry(self, name: str) -> dict[str, Any] | None:
        """What the catalog keeps of the state packed under `name`, with its signature."""
        found = self.where.get(name)
        return None if found is None else {**found[5], "sig": (found[4], found[3])}

    def read(self, name: str) -> tuple[bytes, Sig] | None:
        """The marshal dump packed under `name` and its signature; None when in no pack or the
        pack is not the one listed (merged or replaced since)."""
        found = self.where.get(name)
        if found is None:
            return None
        data = _read(found)
        return None if data is None else (data, (found[4], found[3]))


def _read(place: Place, fd: int = -1) -> bytes | None:
    """A packed state's bytes (`fd`: its pack, open and checked); None when the pack is not the
    one listed."""
    path, sig, offset, length, _stamp, _entry = place
    mine = fd < 0
    try:
        if mine:
            fd, st = fs.open_private_read(path)
            if _sig(st) != sig:
                return None
        data = fs.pread(fd, length, offset)
    except OSError:
        return None
    finally:
        if mine and fd >= 0:
            fs.close(fd)
    return data if len(data) == length else None


def _pack_paths(folder: str) -> list[str]:
    try:
        names = os.listdir(os.path.join(folder, FOLDER))
    except OSError:
        return []
    return [os.path.join(folder, FOLDER, n) for n in sorted(names) if not n.endswith(".tmp")]


_current: dict[str, Packs] = {}


def current(folder: str) -> Packs:
    """The folder's packs as they are now: a listing and a stat of each pack, the headers this
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
        end = base + sum(length for _offset, length, _stamp, _entry in header.values())
    except (AttributeError, TypeError, ValueError):
        return None
    if end != st.st_size:  # not whole: never one costline wrote (they are renamed in whole)
        return None
    found = _headers[path] = (_sig(st), header, base)
    return found


def write(folder: str, items: list[Item], stamps: dict[str, int] | None = None) -> dict[str, Sig]:
    """Pack the states (a name once) into a new pack; each one's signature, by name. `stamps`:
    those to keep (a merge), by name; the others are drawn. OSError or ValueError when it cannot
    be written (then no pack is there)."""
    header: Header = {}
    offset = 0
    drawn = os.urandom(8 * len(items))
    for n, (name, data, entry) in enumerate(items):
        stamp = stamps.get(name) if stamps else None
        if stamp is None:
            stamp = int.from_bytes(drawn[8 * n : 8 * n + 8], "little")
        header[name] = (offset, len(data), stamp, entry)  # from the end of the header
        offset += len(data)
    head = marshal.dumps(header)
    blob = b"".join([MAGIC, len(head).to_bytes(8, "little"), head, *(data for _n, data, _e in items)])
    packs = os.path.join(folder, FOLDER)
    fs.make_private_folder(packs)  # never a link planted there
    path = os.path.join(packs, f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(3).hex()}")
    _headers[path] = (atomic_write(path, blob), header, _PREAMBLE + len(head))
    return {name: (stamp, length) for name, (_at, length, stamp, _entry) in header.items()}


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
    packs, then the old ones removed. Nothing is removed unless all were read and written."""
    packed = current(folder)
    small = {path: sig for path, sig in packed.listed if sig[1] < PACK_BYTES}
    if len(packed.listed) <= MAX_PACKS or len(small) < 2:
        return
    items: list[Item] = []
    stamps: dict[str, int] = {}
    for path, sig in small.items():
        try:
            fd, st = fs.open_private_read(path)
        except OSError:
            return
        try:
            if _sig(st) != sig:
                return
            for name, place in packed.where.items():
                if place[0] == path:
                    data = _read(place, fd)
                    if data is None:
                        return
                    items.append((name, data, place[5]))
                    stamps[name] = place[4]
        finally:
            fs.close(fd)
    if len(write_all(folder, items, stamps)) != len(items):
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
