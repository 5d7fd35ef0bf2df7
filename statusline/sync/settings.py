"""The [sync] settings: config.toml's section, then the environment (COSTLINE_SYNC_*) over it."""

from __future__ import annotations

import os
from dataclasses import dataclass

from statusline import fs
from statusline.paths import home_dir

DEFAULT_STALE_MINUTES = 10


@dataclass(frozen=True)
class Settings:
    dir: str  # absolute, "~" expanded; "" = sync off
    machine: str  # display name
    share_names: bool
    stale_minutes: int

    @property
    def enabled(self) -> bool:
        return bool(self.dir)


def host_name() -> str:
    """This machine's name, its first label (`box7` of box7.example.org): the kernel's node
    name, which socket.gethostname() returns, without importing socket (4 ms of every report,
    sync on or off)."""
    try:
        name = os.uname().nodename
    except AttributeError:  # no uname (Windows)
        import socket

        name = socket.gethostname()
    name = name.split(".")[0].strip()
    return name or "this machine"


def expand(path: str) -> str:
    """`~` expanded against costline's idea of home; a relative path is not a folder (off)."""
    path = path.strip()
    if path == "~" or path.startswith("~/"):
        home = home_dir()
        if home is None:
            return ""
        path = home + path[1:]
    return fs.normpath(path) if path.startswith(fs.SEP) else ""


def load(section: dict[str, object] | None = None) -> Settings:
    """The settings in force (`section`: config.toml's [sync], read when not given)."""
    if section is None:
        from statusline.config import load_config

        section = load_config().sync
    env = fs.environ()
    folder = env["COSTLINE_SYNC_DIR"] if "COSTLINE_SYNC_DIR" in env else section.get("dir", "")
    name = env.get("COSTLINE_SYNC_MACHINE", "").strip() or section.get("machine") or host_name()
    stale = section.get("stale_minutes", DEFAULT_STALE_MINUTES)
    try:
        stale = int(env.get("COSTLINE_SYNC_STALE_MINUTES", "") or stale)  # type: ignore[call-overload]
    except ValueError:
        pass
    share = section.get("share_names", True)
    return Settings(
        dir=expand(folder) if isinstance(folder, str) else "",
        machine=str(name)[:64],
        share_names=share if isinstance(share, bool) else True,
        stale_minutes=max(1, stale) if isinstance(stale, int) else DEFAULT_STALE_MINUTES,
    )
