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
from collections.abc import Callable
from typing import Any

from statusline import fs
from statusline.attrib import packs
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


def load(cache: str, path: str, packed: packs.Packs | None = None) -> dict[str, Any] | None:
    """A transcript's saved state, with the stat signature it was read with under `sig` (not
    saved: catalog.py compares it); None when missing, unreadable or retired. `packed`: the
    folder's packs, when the caller has them."""
    state = read_state(cache, state_name(path), packed)
    if state is None or state.get("path") != path:
        return None
    if state.get("gone"):  # the transcript is back: read it again
        return None
    return state


def read_state(cache: str, name: str, packed: packs.Packs | None = None) -> dict[str, Any] | None:
    """The state saved under `name`, with `sig` as load gives it: its own file's, else (missing or
    unreadable) its pack entry's (packs.py); None if neither holds a state."""
    try:
        data, st = fs.read_private_stat(os.path.join(folder(cache), name))
        state = _state(data, (st.st_ino, st.st_size, st.st_mtime_ns))
    except OSError:
        state = None
    if state is None:
        found = (packed or packs.current(folder(cache))).read(name)
        if found is None and packed is not None:  # its pack merged away since it was listed?
            now = packs.current(folder(cache))
            found = now.read(name) if now is not packed else None
        state = None if found is None else _state(*found)
    return state


def _state(data: bytes, sig: packs.Sig) -> dict[str, Any] | None:
    try:
        state = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        return None
    state["sig"] = sig
    return state


def sig_of(cache: str, name: str, packed: packs.Packs, own: set[str] | None = None) -> packs.Sig | None:
    """The signature read_state would give the state saved under `name` (None: there is none),
    from a stat: its own file's, else its pack entry's. `own`: the names with a file of their
    own, as the folder was listed (most states have none: no failing stat for each)."""
    if own is not None and name not in own:
        return packed.sig(name)
    try:
        st = os.stat(os.path.join(folder(cache), name))
    except FileNotFoundError:
        return packed.sig(name)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def names(cache: str, packed: packs.Packs) -> set[str]:
    """The names of every saved state: with a file of their own or in a pack."""
    return {*packs.own_names(folder(cache)), *packed.where}


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


def update_file(
    cache: str, path: str, state: dict[str, Any] | None = None, pack: list[packs.Item] | None = None
) -> dict[str, Any] | None:
    """Bring one transcript's state up to date and save it; None if the file cannot be read.
    `pack`: where a first read's state goes, to be packed by the caller (which then sets its
    `sig`), rather than into a file of its own (the caller knows there is no state yet)."""
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
    if pack is not None:
        saved["sig"] = None
        pack.append((state_name(path), marshal.dumps(saved), entry_of(saved)))
    else:
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
    complete, into its reader's next pack: a read that stopped short (too large for one,
    unreadable) is left to update_file."""

    __slots__ = ("feed", "name", "path", "reader", "transcript")

    def __init__(self, reader: ColdReader, path: str, name: str) -> None:
        self.reader, self.path, self.name = reader, path, name
        self.transcript = Transcript(file_session_id(path))
        # What the scan calls for each line: the transcript's own (it passes over a line it
        # cannot follow, as _feed does), not a call through this one.
        self.feed: Callable[[dict[str, object], list[tuple[object, ...]] | None], None] = self.transcript.feed

    def finish(self, read: FileRead) -> None:
        """Keep the state for the next pack, if the read covered every complete line of the file."""
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
        self.reader.keep(self.name, state)


class ColdReader:
    """For the index's scan: a ColdRead of each transcript that has no state yet (any other is
    read on by update_file from where its state stopped). The states they make are packed
    (packs.py) each packs.PACK_BYTES, and by `flush`, which each process that read with it calls
    once it is done (a scan's workers, then the scanning process): the catalog finds their
    entries in the packs' headers, and reads no state back."""

    def __init__(self, cache: str) -> None:
        self.cache = cache
        self.known = names(cache, packs.current(folder(cache)))
        self.held: list[packs.Item] = []
        self.size = 0
        self.pid = os.getpid()

    def __call__(self, path: str) -> ColdRead | None:
        name = state_name(path)
        return None if name in self.known else ColdRead(self, path, name)

    def keep(self, name: str, state: dict[str, Any]) -> None:
        if self.pid != os.getpid():  # a forked worker: what its parent held is the parent's to pack
            self.pid, self.held, self.size = os.getpid(), [], 0
        data = marshal.dumps(state)
        self.held.append((name, data, entry_of(state)))
        self.size += len(data)
        if self.size >= packs.PACK_BYTES:
            self.flush()

    def flush(self) -> None:
        """Pack the states held (a process killed before has them read again by the catalog)."""
        if self.pid == os.getpid() and self.held:
            packs.write_all(folder(self.cache), self.held)
        self.held, self.size = [], 0


# The states folders this process made or found to be its user's own (fs.make_private_folder):
# checked once, not before each state it writes.
_checked: set[str] = set()


def _save(cache: str, path: str, state: dict[str, Any]) -> None:
    """Write a state to its own file; its signature goes in `sig` (None when it could not be
    written)."""
    state.pop("sig", None)
    where = folder(cache)
    try:
        if where not in _checked:
            fs.make_private_folder(where)  # never a link planted there
            _checked.add(where)
        sig: packs.Sig | None = atomic_write(os.path.join(where, state_name(path)), marshal.dumps(state))
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


def _update_task(task: tuple[str, str, bool]) -> tuple[dict[str, Any] | None, list[packs.Item]]:
    cache, path, first = task
    pack: list[packs.Item] | None = [] if first else None
    state = update_file(cache, path, pack=pack)
    return (None if state is None else _slim(state)), pack or []


def update_all(cache: str, paths: list[str], workers: int | None = None) -> list[dict[str, Any]]:
    """Every transcript's state, brought up to date (those read for the first time packed),
    then those of transcripts since deleted (kept: the index still counts their messages)."""
    from statusline.index.scan import _worker_pool, drop_old_formats

    drop_old_formats(os.path.dirname(folder(cache)), FORMAT)
    packs.merge(folder(cache))
    packed = packs.current(folder(cache))
    states: list[dict[str, Any]] = []
    tasks: list[tuple[str, str, bool]] = []
    pending = 0
    for path in paths:
        state = load(cache, path, packed)
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
        first = state is None and sig_of(cache, state_name(path), packed) is None
        tasks.append((cache, path, first))
        pending += st.st_size - (state["file"][3] if state and state["file"] else 0)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if workers > 1 and pending >= PARALLEL_MIN_BYTES and len(tasks) > 1:
        with _worker_pool(workers) as pool:
            found = pool.map(_update_task, tasks, chunksize=max(1, len(tasks) // (workers * 8)))
    else:
        found = [_update_task(t) for t in tasks]
    packs.write_all(folder(cache), [item for _state, items in found for item in items])
    states.extend(s for s, _items in found if s is not None)
    return states + retired(cache, paths)


def retired(cache: str, present: list[str]) -> list[dict[str, Any]]:
    """States of transcripts no longer on disk (Claude Code deletes them after 30 days): their
    splits are kept, their context dropped (save_gone); an unreadable one is removed."""
    wanted = {state_name(p) for p in present}
    packed = packs.current(folder(cache))
    out = []
    for name in sorted(names(cache, packed) - wanted):
        try:
            state = read_state(cache, name, packed)
            if state is None:
                raise ValueError("not a state")
            out.append(state if state.get("gone") else save_gone(cache, name, state))
        except (OSError, ValueError, TypeError, KeyError):
            drop(cache, name)
    return out


def save_gone(cache: str, name: str, state: dict[str, Any]) -> dict[str, Any]:
    """The state of a transcript since deleted, saved to its own file: its splits, not its context
    (`sig`: its file's). KeyError or TypeError when it is not a state; OSError when it cannot
    be saved."""
    gone = {**_slim(state), "format": FORMAT, "gone": True}
    gone["sig"] = atomic_write(os.path.join(folder(cache), name), marshal.dumps(gone))
    return gone


def drop(cache: str, name: str) -> None:
    """Remove an unreadable state's own file (one in a pack stays there, unread)."""
    try:
        os.unlink(os.path.join(folder(cache), name))
    except OSError:
        pass
