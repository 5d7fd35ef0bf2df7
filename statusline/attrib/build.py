"""Keep each transcript's attribution up to date: a state file per transcript, read on from where
the last read stopped, like the index's own groups but never on the render path.

It lives beside the index rather than in it: building it means parsing every line (tool
results are most of a log's bytes), which the cold index build and the status line never do.
The first `report by agent|tool|mcp` or `report html` reads everything once (in parallel);
later ones read only what was appended.
"""

from __future__ import annotations

import marshal
import os
from typing import Any

from statusline import fs
from statusline.attrib.context import Transcript
from statusline.index import lines
from statusline.index.lines import BOM, file_session_id
from statusline.index.newlines import FileRead, read_new_lines
from statusline.index.scanread import fast_parser
from statusline.index.store import atomic_write
from statusline.index.update import _fnv, group_of

FORMAT = 3
# A read's bytes at a time: memory stays bounded on a huge file. A budget, not a limit: a longer
# line is read whole up to lines.MAX_LINE_BYTES, as the index reads it.
CHUNK_BYTES = 32 << 20
PARALLEL_MIN_BYTES = 8 << 20  # below this, starting workers costs more than it saves

# Lines the attribution has no use for (snapshots, attachments, request blobs) are not parsed.
_WANTED = (b'"user"', b'"assistant"', b"compact_boundary", b"usage", b"\\u00", b"-title", b'"summary"')


def folder(cache: str) -> str:
    return os.path.join(cache, "attrib", f"v{FORMAT}")


def state_name(path: str) -> str:
    name, _session, _project = group_of(path)
    return f"{name[:120]}~{_fnv(path):016x}"


def _agent_of(path: str) -> tuple[str, str]:
    """(agent id, agent type from the `.meta.json` beside it) of a subagent transcript, else ("", "")."""
    parts = path.replace("\\", "/").split("/")
    if len(parts) < 2 or parts[-2] != "subagents":
        return "", ""
    stem = parts[-1].removesuffix(".jsonl")
    agent_id = stem.removeprefix("agent-")
    try:
        with open(path.removesuffix(".jsonl") + ".meta.json", "rb") as fh:
            meta = fast_parser()(fh.read(1 << 20))
    except (OSError, ValueError):
        return agent_id, ""
    kind = meta.get("agentType") if isinstance(meta, dict) else None
    return agent_id, kind if isinstance(kind, str) else ""


def load(cache: str, path: str) -> dict[str, Any] | None:
    """A transcript's saved state, with the stat signature of the file it came from under
    `sig` (not saved: catalog.py compares it); None when missing, unreadable or retired."""
    state = read_state(os.path.join(folder(cache), state_name(path)))
    if state is None or state.get("path") != path:
        return None
    if state.get("gone"):  # the transcript is back: read it again
        return None
    return state


def read_state(full: str) -> dict[str, Any] | None:
    """The state in one file of the folder, with `sig` as load gives it; None if not a state."""
    try:
        data, st = fs.read_private_stat(full)
        state = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None  # missing or unreadable: read the transcript again from the start
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        return None
    state["sig"] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return state


def _named(state: dict[str, Any]) -> bool:
    """Whether the state kept what names a session (summary lines, the first prompt)."""
    return bool(state["transcript"].get("named"))


def _unchanged(state: dict[str, Any] | None, st: os.stat_result) -> bool:
    """Read to its end, and not changed since (by inode, size and mtime)."""
    known = state["file"] if state else None
    return bool(known) and known[1:5] == [st.st_ino, st.st_size, st.st_size, st.st_mtime_ns]  # type: ignore[index]


def entry_of(state: dict[str, Any]) -> dict[str, Any]:
    """What the catalog keeps of a state: all but its rows and context (and the rows a last,
    unfinished line added, which the state file does not hold)."""
    transcript = state["transcript"]
    return {
        "path": state["path"],
        "session": state["session"],
        "agent_id": state.get("agent_id") or "",
        "agent_type": state.get("agent_type") or "",
        "spawned": dict(transcript.get("spawned") or {}),
        "titles": dict(transcript.get("titles") or {}),
        "file": state.get("file"),
        "named": bool(transcript.get("named")),
        "gone": bool(state.get("gone")),
        "sig": state.get("sig"),
        "tail": dict(state.get("tail_rows") or {}),
    }


def update_file(cache: str, path: str, state: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Bring one transcript's state up to date and save it; None if the file cannot be read."""
    state = state or load(cache, path)
    try:
        st = os.stat(path)
    except OSError:
        return state
    if state is not None and not _named(state):
        state = None  # read before summaries and first prompts were kept: read it again
    agent_id, agent_type = _agent_of(path)
    agent_type = agent_type or (state or {}).get("agent_type", "")
    if _unchanged(state, st):
        assert state is not None
        if agent_type != state.get("agent_type"):  # its .meta.json came after the transcript
            state["agent_type"] = agent_type
            _save(cache, path, state)
        return state
    session = file_session_id(path)
    transcript = Transcript(session, state["transcript"] if state else None)
    file_state, tail = (state["file"] if state else None), b""
    while True:
        try:
            new = read_new_lines(path, file_state, CHUNK_BYTES)
        except OSError:
            return state
        if file_state is not None and file_state[3] > 0 and new.state[3] == new.end:
            # Rewritten, truncated or replaced: read from the start into an empty context. The
            # splits already made stay: the index may still count those messages.
            fresh = Transcript(session)
            fresh.rows, fresh.spawned = transcript.rows, transcript.spawned
            transcript = fresh
        _feed(transcript, bytes(new.data), new.start, new.end)  # bytes already (read unbuffered)
        new.state[6] = 0  # an unfinished last line is saved only once it is finished
        file_state, tail = new.state, new.tail
        if not new.more:
            break
    saved = {
        "format": FORMAT,
        "path": path,
        "file": file_state,
        "session": session,
        "project": group_of(path)[2],
        "agent_id": agent_id,
        "agent_type": agent_type,
        "transcript": transcript.saved(),
    }
    _save(cache, path, saved)
    if tail.strip():
        # A last line without its newline yet: the index counts it once it is whole JSON, so this
        # report splits it too, without saving it (it is read again when it is finished).
        kept = transcript.rows
        transcript = Transcript(session, marshal.loads(marshal.dumps(saved["transcript"])))
        _feed(transcript, tail + b"\n", 0, len(tail) + 1)
        # What the file does not hold, for catalog.py: the rows the tail added or changed.
        saved["tail_rows"] = {k: v for k, v in transcript.rows.items() if kept.get(k) != v}
        saved["transcript"] = transcript.saved()
    return saved


class ColdRead:
    """The attribution of a transcript the index reads whole from its start (a cold build): fed
    the lines the index's reader parses, with the records it made of them, so a first report
    parses each line once. It is saved as update_file saves a first read, once the read is
    complete: a read that stopped short (too large for one, unreadable) is left to update_file."""

    __slots__ = ("cache", "made", "name", "path", "transcript")

    def __init__(self, cache: str, path: str, name: str, made: dict[str, dict[str, Any]]) -> None:
        self.cache, self.path, self.name, self.made = cache, path, name, made
        self.transcript = Transcript(file_session_id(path))

    def feed(self, obj: dict[str, object], records: list[tuple[object, ...]] | None) -> None:
        try:
            self.transcript.feed(obj, records)
        except (ValueError, TypeError, RecursionError):
            pass  # as _feed passes over such a line

    def finish(self, read: FileRead) -> None:
        """Save the state, if the read covered every complete line of the file."""
        if read.unreadable or read.more or read.state is None:
            return
        file_state = list(read.state)
        file_state[6] = 0  # an unfinished last line is saved only once it is finished
        agent_id, agent_type = _agent_of(self.path)
        state = {
            "format": FORMAT,
            "path": self.path,
            "file": file_state,
            "session": self.transcript.file_session,
            "project": group_of(self.path)[2],
            "agent_id": agent_id,
            "agent_type": agent_type,
            "transcript": self.transcript.saved(),
        }
        _save(self.cache, self.path, state, self.name)
        if state["sig"] is not None:
            self.made[self.name] = entry_of(state)


class ColdReader:
    """For the index's scan: a ColdRead of each transcript that has no state yet (any other is
    read on by update_file from where its state stopped). `made` gathers the catalog entry of
    each state they save, by name (catalog.refresh's `made`): a worker hands its own over with
    each group it reports (`take`), and the scanning process `keep`s them."""

    def __init__(self, cache: str) -> None:
        self.cache = cache
        try:
            self.known = set(os.listdir(folder(cache)))
        except OSError:
            self.known = set()
        self.made: dict[str, dict[str, Any]] = {}

    def __call__(self, path: str) -> ColdRead | None:
        name = state_name(path)
        return None if name in self.known else ColdRead(self.cache, path, name, self.made)

    def take(self) -> dict[str, dict[str, Any]]:
        """The entries made since the last take."""
        made = dict(self.made)
        self.made.clear()
        return made

    def keep(self, made: dict[str, dict[str, Any]]) -> None:
        self.made.update(made)


def _save(cache: str, path: str, state: dict[str, Any], name: str | None = None) -> None:
    """Write a state (`name`: its file's, when known); its file's signature goes in `sig` (None
    when it could not be written)."""
    state.pop("sig", None)
    try:
        fs.make_private_folder(folder(cache))  # never a link planted there
        sig = atomic_write(os.path.join(folder(cache), name or state_name(path)), marshal.dumps(state))
    except (OSError, ValueError):
        sig = None  # a cache that cannot be written: this report still has this run's figures
    state["sig"] = sig


def _wanted(line: bytes) -> bool:
    return any(word in line for word in _WANTED)


def _feed(transcript: Transcript, data: bytes, pos: int, end: int) -> None:
    """The complete lines data[pos:end] (each ends with a newline), in order."""
    loads = fast_parser()
    limit = lines.MAX_LINE_BYTES
    while pos < end:
        nl = data.find(b"\n", pos, end)
        line = data[pos:nl]
        pos = nl + 1
        if len(line) > limit:
            continue  # garbage to the index too
        if line[:3] == BOM:
            line = line[3:]
        if not (b'"assistant"' in line or b'"user"' in line or _wanted(line)):
            continue
        try:
            transcript.feed(loads(line))
        except (ValueError, TypeError, RecursionError):
            continue  # not JSON: the index counts it as garbage


def _slim(state: dict[str, Any]) -> dict[str, Any]:
    """What a report needs of a state (not the context, the bulk of it)."""
    transcript = state["transcript"]
    return {
        "path": state["path"],
        "session": state["session"],
        "agent_id": state["agent_id"],
        "agent_type": state["agent_type"],
        "transcript": {
            "rows": transcript["rows"],
            "spawned": transcript.get("spawned") or {},
            "titles": transcript.get("titles") or {},
        },
    }


def _update_task(task: tuple[str, str]) -> dict[str, Any] | None:
    state = update_file(*task)
    return None if state is None else _slim(state)


def update_all(cache: str, paths: list[str], workers: int | None = None) -> list[dict[str, Any]]:
    """Every transcript's state, brought up to date, then those of transcripts since deleted
    (kept: the index still counts their messages)."""
    from statusline.index.scan import _worker_pool, drop_old_formats

    drop_old_formats(os.path.dirname(folder(cache)), FORMAT)

    states: list[dict[str, Any]] = []
    tasks: list[tuple[str, str]] = []
    pending = 0
    for path in paths:
        state = load(cache, path)
        try:
            st = os.stat(path)
        except OSError:  # gone since the index read it: what was split stays
            if state is not None:
                states.append(_slim(state))
            continue
        fresh = state is not None and _named(state) and _unchanged(state, st)
        if fresh and state is not None and (state["agent_type"] or not state["agent_id"]):
            states.append(_slim(state))  # nothing to read (a subagent's late .meta.json aside)
            continue
        tasks.append((cache, path))
        pending += st.st_size - (state["file"][3] if state and state["file"] else 0)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if workers > 1 and pending >= PARALLEL_MIN_BYTES and len(tasks) > 1:
        with _worker_pool(workers) as pool:
            found = pool.map(_update_task, tasks, chunksize=max(1, len(tasks) // (workers * 8)))
    else:
        found = [_update_task(t) for t in tasks]
    states.extend(s for s in found if s is not None)
    return states + retired(cache, paths)


def retired(cache: str, present: list[str]) -> list[dict[str, Any]]:
    """States of transcripts no longer on disk (Claude Code deletes them after 30 days): their
    splits are kept, their context dropped; an unreadable one is removed."""
    wanted = {state_name(p) for p in present}
    try:
        names = os.listdir(folder(cache))
    except OSError:
        return []
    out = []
    for name in sorted(names):
        if name in wanted or name.endswith(".tmp"):
            continue
        full = os.path.join(folder(cache), name)
        try:
            state = marshal.loads(fs.read_private(full))
            if not isinstance(state, dict) or state.get("format") != FORMAT:
                raise ValueError("not a state")
            if not state.get("gone"):
                state = {**_slim(state), "format": FORMAT, "gone": True}
                atomic_write(full, marshal.dumps(state))
            out.append(state)
        except (OSError, EOFError, ValueError, TypeError, KeyError):
            try:
                os.unlink(full)
            except OSError:
                pass
    return out
