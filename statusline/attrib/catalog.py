"""The attribution states by name: which transcript, session and agent each one is, what names its
session, and the signatures that say it is current, in one small file.

A warm report stats each transcript and each state file (and each pack, packs.py) and reads no
state at all: a state is read only when its transcript changed (build.py reads it on) or when a
day summary that its session's messages fall in has to be made again (summary.py). A catalog
entry is trusted only while its state has the signature the entry recorded (its own file's
stat, else its pack entry's stamp), so a state that another process rewrote is read
again, never taken from a stale entry. The entry of a state a first read packed comes from its
pack's header, with its signature: a first report reads no state back.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import shutil
from typing import Any

from statusline import fs
from statusline.attrib import build, packs
from statusline.attrib.breakdown import Attribution
from statusline.attrib.build import entry_of
from statusline.attrib.context import session_title
from statusline.index.store import atomic_write

FORMAT = 1
Sig = packs.Sig


def folder(cache: str) -> str:
    """The catalog's and the day summaries' folder (beside the states' `v<N>`)."""
    return os.path.join(cache, "attrib", f"sums-v{FORMAT}-{build.FORMAT}")


def drop_old_sums(cache: str) -> None:
    """Remove the `sums-v<N>-<M>` folders of other formats (an older costline's catalog and day
    summaries: nothing reads them, and a page's summaries are megabytes); links are left alone."""
    current = os.path.basename(folder(cache))
    parent = os.path.dirname(folder(cache))
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        version = name.removeprefix("sums-v").split("-")
        if name == current or not name.startswith("sums-v") or len(version) != 2:
            continue
        if not all(part.isdigit() and part.isascii() for part in version):
            continue
        old = os.path.join(parent, name)
        if os.path.isdir(old) and not os.path.islink(old):
            shutil.rmtree(old, ignore_errors=True)


def _path(cache: str) -> str:
    return os.path.join(folder(cache), "catalog")


def _unchanged(entry: dict[str, Any], st: os.stat_result) -> bool:
    known = entry["file"]
    return bool(known) and list(known[1:5]) == [st.st_ino, st.st_size, st.st_size, st.st_mtime_ns]


def _entry_task(task: tuple[str, str, str, bool]) -> tuple[dict[str, Any] | None, list[packs.Item]]:
    """A transcript's state brought up to date (a first read's held for a pack) and its entry."""
    cache, path, _name, first = task
    pack: list[packs.Item] | None = [] if first else None
    state = build.update_file(cache, path, pack=pack)
    return (None if state is None else entry_of(state)), pack or []


class Catalog:
    """Every state's entry, in the order the attribution takes them (present transcripts by
    path, then those since deleted)."""

    def __init__(self, cache: str, entries: dict[str, dict[str, Any]]) -> None:
        self.cache = cache
        self.entries = entries
        self._by_session: dict[str, dict[str, Sig | None]] | None = None
        self._fingerprint: str | None = None

    def by_session(self) -> dict[str, dict[str, Sig | None]]:
        """session → {state name: its file's signature}."""
        if self._by_session is None:
            self._by_session = {}
            for name, entry in self.entries.items():
                self._by_session.setdefault(entry["session"], {})[name] = entry["sig"]
        return self._by_session

    def fingerprint(self) -> str:
        """Changes whenever any state is added, removed or rewritten."""
        if self._fingerprint is None:
            digest = hashlib.blake2b(digest_size=16)
            for name, entry in sorted(self.entries.items()):
                digest.update(marshal.dumps((name, entry["sig"])))
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def titles(self) -> dict[str, str]:
        """session → its name, as Attribution.titles gives it."""
        out: dict[str, str] = {}
        for entry in self.entries.values():
            if not entry["agent_id"]:
                title = session_title(entry["titles"])
                if title:
                    out[entry["session"]] = title
        return out

    def states(self, sessions: set[str] | None = None) -> tuple[list[dict[str, Any]], dict[str, Sig | None]]:
        """The states of `sessions` (None: all), as a report takes them (build._slim, with what
        an unfinished last line added), and the signature of each file as it was read."""
        out: list[dict[str, Any]] = []
        sigs: dict[str, Sig | None] = {}
        packed = packs.current(build.folder(self.cache))
        for name, entry in self.entries.items():
            if sessions is not None and entry["session"] not in sessions:
                continue
            state = build.read_state(self.cache, name, packed)
            path = entry.get("path")
            if (
                (state is None or state["sig"] != entry["sig"])
                and isinstance(path, str)
                and not entry.get("gone")
            ):
                # Not the state the entry was made from: none (a pack damaged under a whole header,
                # or merged away since it was listed), or an older one standing in (its own file
                # cannot be read: its first read's pack entry), or a newer one (rewritten since).
                # Brought up to date from its transcript: its messages never left out of a split.
                state = build.update_file(self.cache, path, state)
            sigs[name] = state["sig"] if state is not None else None
            if state is None:
                continue
            try:
                slim = build._slim(state)
            except (KeyError, TypeError):
                continue
            if state["sig"] == entry["sig"]:  # the state the entry was made from
                slim["agent_type"] = entry["agent_type"]
                transcript = slim["transcript"]
                transcript["spawned"], transcript["titles"] = entry["spawned"], entry["titles"]
                if entry["tail"]:
                    transcript["rows"] = {**transcript["rows"], **entry["tail"]}
            out.append(slim)
        return out, sigs

    def attribution(self, sessions: set[str] | None = None) -> tuple[Attribution, dict[str, Sig | None]]:
        states, sigs = self.states(sessions)
        return Attribution(states), sigs


def _read(cache: str) -> dict[str, dict[str, Any]]:
    try:
        doc = marshal.loads(fs.read_private(_path(cache)))
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(doc, dict) or doc.get("format") != (FORMAT, build.FORMAT):
        return {}
    entries = doc.get("entries")
    return entries if isinstance(entries, dict) else {}


def _write(cache: str, entries: dict[str, dict[str, Any]]) -> None:
    try:
        fs.make_private_folder(folder(cache))
        atomic_write(_path(cache), marshal.dumps({"format": (FORMAT, build.FORMAT), "entries": entries}))
    except (OSError, ValueError):
        pass  # a cache that cannot be written: the next report reads the states again


def _known(entry: object, path: str | None, sig: Sig | None) -> bool:
    """Whether a catalog entry still describes the state file (of `path`, when given)."""
    return (
        isinstance(entry, dict)
        and sig is not None
        and entry.get("sig") == sig
        and (path is None or (entry.get("path") == path and not entry.get("gone")))
    )


def refresh(cache: str, paths: list[str], workers: int | None = None) -> Catalog:
    """Bring every transcript's state up to date (as build.update_all does: those read for the
    first time packed) and return the catalog of all states, those of transcripts since deleted
    included."""
    from statusline.index.scan import _worker_pool, drop_old_formats

    drop_old_formats(os.path.dirname(build.folder(cache)), build.FORMAT)
    drop_old_sums(cache)
    packs.merge(build.folder(cache))
    packed = packs.current(build.folder(cache))
    own = set(packs.own_names(build.folder(cache)))
    old = _read(cache)
    # A path's state name costs a hash of the path in Python: the catalog's are reused.
    names = {e.get("path"): name for name, e in old.items() if isinstance(e, dict) and not e.get("gone")}
    entries: dict[str, dict[str, Any]] = {}
    tasks: list[tuple[str, str, str, bool]] = []
    pending = 0
    for path in paths:
        name = names.get(path) or build.state_name(path)
        entry: dict[str, Any] | None = old.get(name)
        sig = build.sig_of(cache, name, packed, own)
        if not _known(entry, path, sig):
            entry = _entry(cache, path, name, sig, packed)
        try:
            st = os.stat(path)
        except OSError:  # gone since the index read it: what was split stays
            if entry is not None:
                entries[name] = entry
            continue
        assert entry is None or isinstance(entry, dict)
        fresh = entry is not None and entry["named"] and _unchanged(entry, st) and not entry["tail"]
        if fresh and entry is not None and (entry["agent_type"] or not build._agent_of(path)[1]):
            entries[name] = entry  # nothing to read (unless a subagent's .meta.json came late)
            continue
        entries[name] = {}  # its place in the order; filled in below
        tasks.append((cache, path, name, sig is None))
        pending += st.st_size - (entry["file"][3] if entry and entry["file"] else 0)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if workers > 1 and pending >= build.PARALLEL_MIN_BYTES and len(tasks) > 1:
        with _worker_pool(workers) as pool:
            found = pool.map(_entry_task, tasks, chunksize=max(1, len(tasks) // (workers * 8)))
    else:
        found = [_entry_task(t) for t in tasks]
    sigs = packs.write_all(build.folder(cache), [item for _entry, items in found for item in items])
    for (_cache, _path, name, first), (entry, _items) in zip(tasks, found, strict=True):
        if entry is None:
            del entries[name]
            continue
        if first:
            entry["sig"] = sigs.get(name)  # None: not written (read again next time)
        entries[name] = entry
    present = {names.get(p) or build.state_name(p) for p in paths}
    entries.update(_retired(cache, present, old, packs.current(build.folder(cache))))
    if entries != old:
        _write(cache, entries)
    return Catalog(cache, entries)


def _entry(cache: str, path: str, name: str, sig: Sig | None, packed: packs.Packs) -> dict[str, Any] | None:
    """The entry of the state saved under `name` with signature `sig`, as build.load finds it:
    from its pack's header (not read), or its own file (read); None if there is none."""
    if sig is None:
        return None
    if packs.is_packed(sig):
        entry = packed.entry(name)
        if entry is None or entry.get("sig") != sig or entry.get("path") != path or entry.get("gone"):
            return None
        return entry
    state = build.load(cache, path, packed)
    return entry_of(state) if state is not None else None


def _retired(
    cache: str, wanted: set[str], old: dict[str, dict[str, Any]], packed: packs.Packs
) -> dict[str, dict[str, Any]]:
    """Entries of the states of transcripts no longer on disk (build.retired's rules: their
    splits are kept, their context dropped; an unreadable one is removed)."""
    out = {}
    own = set(packs.own_names(build.folder(cache)))
    for name in sorted((own | packed.where.keys()) - wanted):
        entry = old.get(name)
        if (
            _known(entry, None, build.sig_of(cache, name, packed, own))
            and entry is not None
            and entry.get("gone")
        ):
            out[name] = entry
            continue
        try:
            state = build.read_state(cache, name, packed)
            if state is None:
                raise ValueError("not a state")
            out[name] = entry_of(state if state.get("gone") else build.save_gone(cache, name, state))
        except (OSError, ValueError, TypeError, KeyError):
            build.drop(cache, name)
    return out
