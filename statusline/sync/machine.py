"""This machine's id: 128 random bits in hex, made once and kept in the state dir
(`$COSTLINE_STATE_DIR`, else `$XDG_STATE_HOME/costline`, else `~/.local/state/costline`), so two
machines with the same name are never merged and a renamed machine stays itself."""

from __future__ import annotations

from statusline import fs
from statusline.index.store import atomic_write
from statusline.paths import _xdg_location


def state_dir() -> str | None:
    return _xdg_location("COSTLINE_STATE_DIR", "XDG_STATE_HOME", ".local/state", "costline")


def valid_id(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


def machine_id() -> str:
    """The id (made now if there is none yet); OSError when it can be neither read nor kept."""
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
