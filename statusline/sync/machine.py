"""This machine's id: 128 random bits in hex, made once and kept in the state dir
(`$COSTLINE_STATE_DIR`, else `$XDG_STATE_HOME/costline`, else `~/.local/state/costline`), so two
machines with the same name are never merged and a renamed machine stays itself.

A copied state dir (a cloned VM or container image, a home restored on a second machine) gives
two machines one id. Each manifest this machine writes carries a fresh stamp, the last few kept
in `written-<id>`; a manifest under its id with a stamp it never wrote is another machine's, and
this machine moves to a new id (`moved`: old id → [new id, when]), so both shares survive.
"""

from __future__ import annotations

import marshal
import time

from statusline import fs
from statusline.index.store import atomic_write, read_marshal
from statusline.paths import SETS, _xdg_location, config_dirs_key


def state_dir() -> str | None:
    return _xdg_location("COSTLINE_STATE_DIR", "XDG_STATE_HOME", ".local/state", "costline")


def valid_id(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


def machine_id(cache: str) -> str:
    """The id of this machine's part of the sync folder for the cache folder `cache` (made now if
    there is none yet); OSError when it can be neither read nor kept. A second set of Claude config
    dirs (a cache folder of its own, see paths.cache_for_config_dirs) publishes its own figures:
    under an id of its own, derived from the machine's, so neither overwrites the other's."""
    made = _machine_id()
    if fs.basename(fs.dirname(cache)) != SETS:
        return _moved_to(made)
    key = fs.basename(cache)
    return _moved_to(f"{config_dirs_key([made, key])}{config_dirs_key([key, made + key])}")


KEEP_STAMPS = 32  # a sync tool that brings back an older manifest of ours brings one of these


def _state_file(name: str) -> str:
    folder = state_dir()
    if folder is None:
        raise OSError("no home dir for the machine id")
    return fs.join(folder, name)


def moves() -> dict[str, list[object]]:
    """old id → [new id, when (epoch s)], for every id this machine (or the one its state dir was
    copied from) found another machine using."""
    found = read_marshal(_state_file("moved")) or {}
    return {k: v for k, v in found.items() if isinstance(v, list) and len(v) == 2 and valid_id(str(v[0]))}


def _moved_to(mid: str) -> str:
    known = moves()
    seen = {mid}
    while mid in known and str(known[mid][0]) not in seen:
        mid = str(known[mid][0])
        seen.add(mid)
    return mid


def move(old: str, now_s: float | None = None) -> str:
    """A new id for this machine in place of `old` (another machine writes under it)."""
    known = moves()
    new = fs.urandom(16).hex()
    known[old] = [new, time.time() if now_s is None else now_s]
    fs.make_private_folder(fs.dirname(_state_file("moved")))
    atomic_write(_state_file("moved"), marshal.dumps(known))
    return new


def moved_from(mid: str) -> tuple[str, float] | None:
    """(the id this machine left for `mid`, when), if it moved to `mid`."""
    for old, (new, when) in moves().items():
        if new == mid and isinstance(when, (int, float)):
            return old, float(when)
    return None


def stamps(mid: str) -> list[str]:
    """The stamps of the last manifests this machine wrote under `mid`, newest last."""
    found = (read_marshal(_state_file(f"written-{mid}")) or {}).get("stamps")
    return [s for s in found if isinstance(s, str)] if isinstance(found, list) else []


def new_stamp(mid: str) -> str:
    """A stamp for the manifest about to be written, kept first (a crash before the manifest is
    written leaves a stamp never seen, never one seen and not kept)."""
    stamp = fs.urandom(8).hex()
    path = _state_file(f"written-{mid}")
    fs.make_private_folder(fs.dirname(path))
    atomic_write(path, marshal.dumps({"stamps": [*stamps(mid), stamp][-KEEP_STAMPS:]}))
    return stamp


def _machine_id() -> str:
    folder = state_dir()
    if folder is None:
        raise OSError("no home dir for the machine id")
    path = fs.join(folder, "machine-id")
    try:
        found = fs.read_private(path, 64).decode("ascii", "replace").strip()
    except FileNotFoundError:
        found = ""
    if valid_id(found):
        return found
    fs.make_private_folder(folder)
    made = fs.urandom(16).hex()
    atomic_write(path, made.encode() + b"\n")
    return made
