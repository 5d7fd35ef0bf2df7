"""This machine's id: 128 random bits in hex, made once and kept in the state dir
(`$COSTLINE_STATE_DIR`, else `$XDG_STATE_HOME/costline`, else `~/.local/state/costline`), so two
machines with the same name are never merged and a renamed machine stays itself."""

from __future__ import annotations

from statusline import fs
from statusline.index.store import atomic_write
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
        return made
    key = fs.basename(cache)
    return f"{config_dirs_key([made, key])}{config_dirs_key([key, made + key])}"


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
