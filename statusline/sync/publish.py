"""This machine's share of the sync folder, from the index's own hour files.

A day file is rebuilt only when the stat signatures of its hour files (or of its unlogged-spend
file) changed since it was last published, and written only when its bytes differ, so a machine
that is idle writes nothing but a heartbeat manifest every HEARTBEAT_S. History stays: a day the
index still holds is never withdrawn.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import time

from statusline import __version__, fs
from statusline.index.readback import day_listing, read_hour
from statusline.index.store import CorruptIndex, Store, atomic_write, day_names, read_marshal
from statusline.sync import fmt, machine
from statusline.sync.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.projects import Projects
    from statusline.report import Pricer

HEARTBEAT_S = 120.0  # an idle machine still rewrites its manifest this often: others see it alive


class IdTaken(Exception):
    """The manifest under this machine's id carries a stamp it never wrote: another machine
    (a copy of this one's state dir) publishes under it. Nothing was written."""


def key_hash(msg_id: object) -> str:
    """A message's dedup key as published: 64 bits of blake2b, nothing to read back from it."""
    return hashlib.blake2b(str(msg_id).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def project_label(name: str, share_names: bool, salt: str) -> str:
    """A project as published: its name, or with share_names off 12 hex digits of its blake2b
    hash keyed with the folder's salt (fmt.SALT): the same on every machine of the folder,
    nothing to guess a path from without the folder."""
    if share_names or not name:
        return name
    key = bytes.fromhex(salt)
    return "h:" + hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=6, key=key).hexdigest()


def share_folder(settings: Settings, mid: str) -> str:
    return os.path.join(settings.dir, fmt.PREFIX + mid)


def state_path(cache: str) -> str:
    return fs.join(cache, "sync", "published")


def _sig(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class Names:
    """Session → project label, read once (and only when a day is rebuilt)."""

    def __init__(self, store: Store, share_names: bool, salt: str = "") -> None:
        self.store = store
        self.share = share_names
        self.salt = salt
        self._projects: Projects | None = None

    def __call__(self, session: str) -> str:
        if self._projects is None:
            from statusline.projects import projects

            self._projects = projects(self.store)
        return project_label(self._projects.name(session), self.share, self.salt)


def day_doc(store: Store, day: str, names: Names, pricer: Pricer | None) -> dict[str, object]:
    """One UTC day of the index as a day file's content."""
    sessions: dict[str, int] = {}
    buckets: list[list[object]] = []
    where: dict[tuple[object, ...], int] = {}
    keys: list[list[object]] = []

    def session_index(session: object) -> int:
        sid = str(session)
        if sid not in sessions:
            sessions[sid] = len(sessions)
        return sessions[sid]

    sigs, pending = day_listing(store, day)
    for hh in sorted(set(sigs) | pending):  # an hour file plus what renders booked since
        try:
            shard = read_hour(store, f"hours/{day}/{hh}")
        except CorruptIndex:
            shard = None
        if shard is None:
            continue
        agg = shard.get("agg")
        for bkey, vec in sorted((agg if isinstance(agg, dict) else {}).items(), key=lambda kv: str(kv[0])):
            qh, session, model, cls = bkey
            if vec[0] <= 0:
                continue
            usd = pricer.usd(qh, model, cls, vec) if pricer is not None else None
            where[bkey] = len(buckets)
            buckets.append([qh, session_index(session), model, cls, *vec[:7], int(vec[7]), int(vec[8]), usd])
        entries = shard.get("keys")
        for msg_id, kept in sorted(
            (entries if isinstance(entries, dict) else {}).items(), key=lambda kv: str(kv[0])
        ):
            for entry in kept:
                index = where.get(entry[1])
                if index is not None:
                    keys.append([key_hash(msg_id), index, int(entry[-1]), *entry[2][:7]])
    unlogged: list[list[object]] = []
    for ukey, grown in sorted((read_marshal(fs.join(store.cache, "unlogged", day)) or {}).items(), key=str):
        if isinstance(ukey, tuple) and len(ukey) >= 2 and type(grown) in (int, float):
            at = int(ukey[2]) if len(ukey) > 2 else int(ukey[0]) * 900_000
            unlogged.append([at, session_index(ukey[1]), float(grown)])
    return {
        "format": fmt.FORMAT,
        "day": day,
        "sessions": [[sid, names(sid)] for sid in sessions],
        "buckets": buckets,
        "keys": keys,
        "unlogged": unlogged,
    }


def _day_signature(store: Store, day: str) -> object:
    """Changes whenever what the day holds may have: its hour files, the deltas renders booked
    into them (index/book.py), its unlogged spend."""
    sigs, pending = day_listing(store, day)
    booked = [(hh, _sig(store.path("hours", day, f"{hh}.new"))) for hh in sorted(pending)]
    return (sorted(sigs.items()), booked, _sig(fs.join(store.cache, "unlogged", day)))


def _stamp_of(path: str, mid: str) -> str:
    """The stamp of the manifest at `path` when it is one under `mid` ("" when it has none: an
    older costline's, or unreadable; NotYours when another user put it there)."""
    try:
        doc = fmt.decode(fmt.read_file(path))
    except fmt.NotYours:
        raise
    except OSError:
        return ""
    stamp = doc.get("stamp") if doc is not None and doc.get("id") == mid else None
    return stamp if isinstance(stamp, str) else ""


def publish(cache: str, settings: Settings, mid: str, now_s: float | None = None) -> int:
    """Bring this machine's share up to date; the number of day files written. OSError when the
    folder cannot be written (missing, read-only, unmounted: its parent is never made), NotYours
    when it, a folder on the way or this machine's subfolder is not this user's alone."""
    now_s = time.time() if now_s is None else now_s
    parent = os.path.dirname(settings.dir.rstrip("/")) or "/"
    if not os.path.isdir(parent):  # unmounted, say: nothing is made in its mount point's place
        raise FileNotFoundError(f"sync folder missing: {settings.dir}")
    mine = share_folder(settings, mid)
    days_dir = os.path.join(mine, fmt.DAYS)
    manifest_path = os.path.join(mine, fmt.MANIFEST)
    state = read_marshal(state_path(cache)) or {}
    setup = [settings.dir, mid, settings.share_names]
    before = state.get("setup")
    if not os.path.isdir(settings.dir) and isinstance(before, list) and before[:3] == setup:
        # Published there before, gone now: unmounted or not synced yet, never made anew here.
        raise FileNotFoundError(f"sync folder missing: {settings.dir}")
    untrusted = fmt.folder_problem(settings.dir)
    if untrusted is not None:
        raise untrusted  # another user could read what is written there, or change it
    fmt.make_folder(days_dir, parent)
    for folder in (mine, days_dir):  # made now by us, or planted before we came (sticky folder)
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode) or not fmt.mine(st):
            raise fmt.NotYours(f"{folder} not yours")
    if _sig(manifest_path) not in (None, state.get("manifest_sig")):  # not as we left it
        stamp = _stamp_of(manifest_path, mid)
        if stamp and stamp not in machine.stamps(mid):
            raise IdTaken(mid)
    salt = "" if settings.share_names else fmt.folder_salt(settings.dir)
    setup = [*setup, salt]  # a new salt (two made at once, one kept): every day again
    if state.get("setup") != setup or _sig(manifest_path) != state.get("manifest_sig"):
        state = {"setup": setup, "days": {}}  # another folder, or the share was lost: all again
    done: dict[str, list[object]] = state["days"]  # type: ignore[assignment]
    store = Store(cache)
    names = Names(store, settings.share_names, salt)
    pricer = None
    wanted = sorted(set(store.indexed_days()) | set(day_names(fs.join(cache, "unlogged"))))
    written = 0
    for day in wanted:
        sig = _day_signature(store, day)
        old = done.get(day)
        if old is not None and old[0] == sig:
            continue
        if pricer is None:
            from statusline.price_table import load_table
            from statusline.report import Pricer

            pricer = Pricer(load_table(cache))
        data = fmt.encode(day_doc(store, day, names, pricer))
        sha = fmt.digest(data)
        path = os.path.join(days_dir, f"{day}.json")
        if old is None or old[1] != sha or _sig(path) is None:
            fmt.write(path, data)
            written += 1
        done[day] = [sig, sha]
    due = now_s - float(state.get("manifest_s", 0.0)) >= HEARTBEAT_S  # type: ignore[arg-type]
    if written or due or state.get("name") != settings.machine:
        manifest = {
            "format": fmt.FORMAT,
            "id": mid,
            "name": settings.machine,
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_s)),
            "costline": __version__,
            "stamp": machine.new_stamp(mid),
            "days": {day: entry[1] for day, entry in sorted(done.items())},
        }
        fmt.write(manifest_path, fmt.encode(manifest))
        state["manifest_s"] = now_s
        state["name"] = settings.machine
    state["manifest_sig"] = _sig(manifest_path)
    fs.make_private_folder(fs.join(cache, "sync"))
    atomic_write(state_path(cache), marshal.dumps(state))
    return written
