"""Project names for the reports and the page (CLI side only).

Claude Code keeps a project's transcripts in a folder named after the directory it ran in, every
character but an ASCII letter or digit made `-` (`/home/u/my-app` → `-home-u-my-app`), which
cannot be decoded back: a `-` may have been `/`, `-`, `.` or `_`. The transcripts' lines carry the
directory itself (`cwd`), so a project is named by the first `cwd` of its most recent
transcripts whose folder name it gives, `~` for the home directory; only a folder none of whose
transcripts says is named by decoding it (`-` as `/`).

Old Claude Code kept a subagent's transcript as `agent-<id>.jsonl` beside the session's own, its
lines carrying the parent session's id: that id is read from the file's first lines, so the
subagent's spend lands in the folder's project even when the parent's transcript is gone.

What the files said is remembered in the index folder (`projects`): a transcript Claude Code
deleted later (it keeps 30 days by default) still names its project.
"""

from __future__ import annotations

import json
import marshal
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

from statusline.index import upkeep
from statusline.index.store import Store, atomic_write, read_marshal

HEAD_BYTES = 256 << 10  # a transcript's first lines say its cwd and session; no more is read
LINE_BYTES = 64 << 10  # of a line, only its start is searched (the envelope comes before content)
FILES_PER_FOLDER = 8  # the most recent transcripts asked before a folder is decoded instead
NAME_LIMIT = 200  # Claude Code's longest folder name before it shortens one
_FIELD = re.compile(rb'"(cwd|sessionId)"\s*:\s*("(?:[^"\\]|\\.)*")')


def encode(path: str) -> str:
    """The folder name Claude Code gives a directory's transcripts."""
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in path)


def names_folder(cwd: str, folder: str) -> bool:
    """Whether Claude Code keeps a directory's transcripts in `folder`: past NAME_LIMIT
    characters it keeps that many and adds `-` and a hash of the path (whose function has
    changed between versions, so only the kept part is compared)."""
    name = encode(cwd)
    if name == folder:
        return True
    limit = NAME_LIMIT
    return len(name) > limit and len(folder) > limit + 1 and folder[: limit + 1] == name[:limit] + "-"


def home_relative(path: str) -> str:
    """`path` with the home directory as `~`."""
    home = os.path.expanduser("~").rstrip("/\\")
    if home and (path == home or path.startswith((home + "/", home + "\\"))):
        return "~" + path[len(home) :]
    return path


def decoded(folder: str) -> str:
    """A folder's name read back as a path, the best guess when no transcript says its cwd."""
    if len(folder) > 2 and folder[0].isalpha() and folder[1:3] == "--":  # C--Users-x: Windows
        return home_relative(folder[0] + ":\\" + folder[3:].replace("-", "\\"))
    return home_relative(folder.replace("-", "/")) if folder.startswith("-") else folder


def head_fields(path: str) -> tuple[list[str], str]:
    """(the cwds, in order, and the first session id) of a transcript's first lines."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not hang a report
    except OSError:
        return [], ""
    try:
        data = os.read(fd, HEAD_BYTES) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    except OSError:
        data = b""
    finally:
        os.close(fd)
    cwds: list[str] = []
    session = ""
    for line in data.split(b"\n"):
        seen: set[bytes] = set()
        for match in _FIELD.finditer(line, 0, LINE_BYTES):
            key = match.group(1)
            if key in seen:  # the envelope's own key comes first; later ones are content
                continue
            seen.add(key)
            try:
                value = json.loads(match.group(2))
            except ValueError:
                continue
            if not isinstance(value, str) or not value:
                continue
            if key == b"cwd":
                if value not in cwds:
                    cwds.append(value)
            elif not session:
                session = value
    return cwds, session


@dataclass
class Projects:
    """Each session's project folder and each folder's name."""

    folder_of: dict[str, str] = field(default_factory=dict)  # session id → folder
    names: dict[str, str] = field(default_factory=dict)  # folder → name

    def name(self, session: str) -> str:
        folder = self.folder_of.get(session, "")
        return self.names.get(folder, folder)

    def matches(self, session: str, text: str) -> bool:
        """`--project TEXT`: in the folder's name or in the project's path."""
        folder = self.folder_of.get(session, "")
        return text in folder or text in self.names.get(folder, "")


def projects(store: Store, groups: list[dict[str, Any]] | None = None) -> Projects:
    """Every indexed session's project, named as the module says (`groups`: the store's group
    states, when the caller has read them already)."""
    known = read_marshal(store.path("projects")) or {}
    cwds: dict[str, str] = dict(known.get("cwd") or {})  # type: ignore[call-overload]
    parents: dict[str, str] = dict(known.get("parent") or {})  # type: ignore[call-overload]
    # Folders none of whose newest transcripts said a cwd, with those transcripts (mtime, path):
    # not asked again until that list changes (each ask reads the heads of up to 8 files).
    silent: dict[str, list[tuple[int, str]]] = dict(known.get("silent") or {})  # type: ignore[call-overload]
    changed = False
    out = Projects()
    files: dict[str, list[tuple[int, str]]] = {}  # folder → (mtime, path) of its transcripts
    orphans: list[tuple[str, str]] = []  # (path, folder) of top-level agent-*.jsonl files
    for group in upkeep.groups(store) if groups is None else groups:
        folder, session = str(group.get("project", "")), str(group.get("session", ""))
        out.folder_of[session] = folder
        states = group.get("files")
        for path, state in states.items() if isinstance(states, dict) else ():
            if not isinstance(path, str):
                continue
            mtime = state[4] if isinstance(state, list) and len(state) > 4 else 0
            files.setdefault(folder, []).append((mtime if isinstance(mtime, int) else 0, path))
            if session.startswith("agent-") and "subagents" not in path.replace("\\", "/").split("/"):
                orphans.append((path, folder))
    for path, folder in orphans:
        parent = parents.get(path)
        if parent is None:
            parent = parents[path] = head_fields(path)[1]
            changed = True
        if parent:
            out.folder_of.setdefault(parent, folder)
    for folder, found in files.items():
        newest = sorted(found, reverse=True)[:FILES_PER_FOLDER]
        if folder not in cwds and silent.get(folder) != newest:
            for _mtime, path in newest:
                cwd = next((c for c in head_fields(path)[0] if names_folder(c, folder)), None)
                if cwd:
                    cwds[folder] = cwd
                    break
            if folder not in cwds:
                silent[folder] = newest
            changed = True
        out.names[folder] = home_relative(cwds[folder]) if folder in cwds else decoded(folder)
    if changed:
        try:
            silent = {folder: files for folder, files in silent.items() if folder not in cwds}
            atomic_write(
                store.path("projects"), marshal.dumps({"cwd": cwds, "parent": parents, "silent": silent})
            )
        except (OSError, ValueError):
            pass  # a cache that cannot be written: this report still has its names
    return out
