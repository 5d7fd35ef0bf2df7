"""The index's upkeep: what scans, merges, the CLI and reports do with a Store, never a render.

Kept out of store.py so a render, which imports store.py on every run, does not load (unmarshal,
page in) code it never calls: listing and writing group states, a day's hour signatures, the
index's generation, a scan's progress, the refresh's failure count, a background job's lock.
"""

from __future__ import annotations

import time

from statusline import fs
from statusline.index.readback import day_listing
from statusline.index.store import CorruptIndex, Store, atomic_write, lock_file, pack_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


def try_job_lock(cache: str, name: str, wait: bool = False) -> int | None:
    """Hold `<cache>/<name>` so only one such job runs; None if another one holds it (`wait`:
    until it is done)."""
    fs.makedirs(cache, mode=0o700, exist_ok=True)
    fd = fs.open_private(fs.join(cache, name), fs.O_RDWR)
    if not lock_file(fd, blocking=wait):
        fs.close(fd)
        return None
    return fd


# A scan tells renders how far it has come through `<root>/progress` (store.read_progress), at
# most this often.
PROGRESS_EVERY_S = 0.5
_progress_written = [0.0]


def write_progress(store: Store, done: int, total: int, started_s: float) -> None:
    """Record a running scan's bytes done and to do (throttled; best effort)."""
    now = time.monotonic()
    if now - _progress_written[0] < PROGRESS_EVERY_S:
        return
    _progress_written[0] = now
    try:
        store.write("progress", (done, total, started_s))
    except OSError:
        pass


def clear_progress(store: Store) -> None:
    _progress_written[0] = 0.0
    try:
        fs.unlink(store.path("progress"))
    except OSError:
        pass


def new_generation() -> str:
    """A fresh id for an index made anew: a scan started on another one never writes into it."""
    return fs.urandom(8).hex()


def hour_signatures(store: Store, day: str) -> dict[str, tuple[int, int, int]]:
    """Stat signature of every hour file of a UTC day."""
    return day_listing(store, day)[0]


def write_groups(
    store: Store, groups: list[tuple[str, dict[str, object]]], own: set[str] | None = None
) -> None:
    """Write group states under the writers' lock: to a group's own file if it has one, else
    into its pack (each pack read and written once). `own`: the groups that have their own
    file, if the caller listed them."""
    packs: dict[str, dict[str, object]] = {}
    for name, group in groups:
        if name in own if own is not None else fs.isfile(store.path("groups", name)):
            store.write(f"groups/{name}", group)
        else:
            packs.setdefault(pack_of(name), {})[name] = group
    for rel, entries in sorted(packs.items()):
        try:
            pack = store.read(rel) or {}
        except CorruptIndex:
            pack = {}  # set aside, and every group will be read again (see Store.set_aside)
        pack.update(entries)  # type: ignore[attr-defined]
        store.write(rel, pack)


def own_group_files(store: Store) -> set[str]:
    """The groups that have their own file."""
    try:
        return {name for name in fs.listdir(store.path("groups")) if not name.endswith(".tmp")}
    except OSError:
        return set()


def has_group_states(store: Store) -> bool:
    """Whether any group state is saved (in its own file or a pack)."""
    for folder in ("groups", "packs"):
        try:
            if any(not name.endswith(".tmp") for name in fs.listdir(store.path(folder))):
                return True
        except OSError:
            pass
    return False


def groups(store: Store) -> Iterator[dict[str, Any]]:
    """Every readable group state (one per session), in name order."""
    own = own_group_files(store)
    packed: dict[str, dict[str, Any]] = {}
    try:
        pack_names = sorted(fs.listdir(store.path("packs")))
    except OSError:
        pack_names = []
    for pack_name in pack_names:
        if pack_name.endswith(".tmp"):
            continue
        try:
            pack = store.read(f"packs/{pack_name}")
        except CorruptIndex:
            continue
        for name, group in (pack or {}).items():  # type: ignore[attr-defined]
            if name not in own and isinstance(group, dict):
                packed[name] = group
    for name in sorted(own | set(packed)):
        if name in packed:
            yield packed[name]
            continue
        try:
            group = store.read_group_state(name)
        except CorruptIndex:
            continue
        if isinstance(group, dict):
            yield group


def generation(store: Store) -> str:
    """The index's generation id (see new_generation; "" when it has none)."""
    value = store.read_meta().get("generation")
    return value if isinstance(value, str) else ""


def start_generation(store: Store) -> str:
    """Under the writers' lock: the index's generation id, given one if it has none."""
    meta = store.read_meta()
    value = meta.get("generation")
    if not isinstance(value, str):
        meta["generation"] = value = new_generation()
        store.write("meta", meta)
    return value


def record_refresh(store: Store, ok: bool, job: str = "refresh") -> None:
    """Reset or bump the consecutive-failure count the backoff (Store.refresh_due) is based on."""
    path = fs.join(store.cache, f"{job}.failures")
    try:
        if ok:
            fs.unlink(path)
            return
        atomic_write(path, str(store.failures(job) + 1).encode())
    except OSError:
        pass
