"""Every other machine's share, read from the sync folder and folded into this machine's cache.

    <cache>/sync/folded        state: each manifest seen (by stat signature), when each machine's
                               share last changed here, which day files each day was folded from
    <cache>/sync/fold/<day>    one UTC day: the other machines' buckets after dedup (the reports
                               and the line read these)
    <cache>/sync/fold-src/<day>  every machine's parsed day file of that day (the last whole one)
    <cache>/sync/line          what the render adds to today (see `line_doc`)
    <cache>/sync/forgotten     machine ids `costline sync forget` dropped from the view

Only days whose day files changed (by the manifests' sha256) are folded again. A response seen
on several machines (a synced ~/.claude, a session copied over) counts once: its key hash is
kept by this machine's copy, else by the machine with the smallest id. Days come from the
messages' own times, never from file times. A file that does not match its manifest's sha256
(still arriving, truncated) is not read: the day keeps that machine's last whole file.
"""

from __future__ import annotations

import datetime
import marshal
import os
import stat
import time
from dataclasses import dataclass, field

from statusline import fs
from statusline.index.store import atomic_write, day_names, read_marshal
from statusline.sync import fmt
from statusline.sync.machine import moved_from, valid_id
from statusline.sync.settings import Settings
from statusline.timeutil import DAY_MS, QUARTER_HOUR_MS, parse_iso_ms, utc_day_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.report import Pricer

Vec = list[float]  # messages, input, output, 5m writes, 1h writes, cache reads, logged cost, first, last
LINE_DAYS = (-1, 0, 1)  # UTC days around now the line carries: any zone's today lies within


def sync_dir(cache: str, *parts: str) -> str:
    return fs.join(cache, "sync", *parts)


@dataclass
class Machine:
    id: str
    name: str = ""
    written: str = ""  # the manifest's own time (the writer's clock)
    days: dict[str, str] = field(default_factory=dict)
    problem: str = ""  # why its share is not (wholly) read
    own: bool = False
    seen_s: float = 0.0  # when this machine's share last changed, by this machine's clock
    forgotten: bool = False


@dataclass
class Share:
    """One machine's day file, parsed and checked row by row (bad rows are skipped)."""

    sessions: list[tuple[str, str]] = field(default_factory=list)
    buckets: list[tuple[int, int, str, int, Vec]] = field(default_factory=list)
    keys: list[tuple[str, int, Vec]] = field(default_factory=list)
    unlogged: list[tuple[int, int, float]] = field(default_factory=list)

    def dump(self) -> tuple[object, ...]:
        return (self.sessions, self.buckets, self.keys, self.unlogged)


class Damaged(ValueError):
    """A number no machine of ours writes (not finite, past fmt.MAX_NUMBER, a negative unlogged
    amount): the whole file is refused, as a file that does not parse is."""


def _finite(value: object) -> float | None:
    """A number (None for any other value); Damaged when it is one but no count or cost."""
    num = fmt.number(value)
    if num is not None and not -fmt.MAX_NUMBER <= num <= fmt.MAX_NUMBER:  # inf, nan
        raise Damaged(num)
    return num


def _nums(row: list[object], start: int, count: int) -> Vec | None:
    out = []
    for value in row[start : start + count]:
        num = _finite(value)
        if num is None or num < 0:
            return None
        out.append(num)
    return out if len(out) == count else None


def _rows(doc: dict[str, object], key: str) -> list[list[object]]:
    rows = doc.get(key)
    return [r if isinstance(r, list) else [] for r in rows] if isinstance(rows, list) else []


def parse_day(doc: dict[str, object]) -> Share | None:
    """A day file's content; None when it is of a newer format, not a day file, or damaged."""
    version = doc.get("format")
    if type(version) is not int or version > fmt.FORMAT:
        return None
    try:
        return _parse_day(doc)
    except Damaged:
        return None


def _parse_day(doc: dict[str, object]) -> Share:
    share = Share()
    for row in _rows(doc, "sessions"):
        if len(row) >= 2 and isinstance(row[0], str) and isinstance(row[1], str):
            share.sessions.append((row[0], row[1]))
    n_sessions = len(share.sessions)
    for row in _rows(doc, "buckets"):
        vec = _nums(row, 4, 9) if len(row) >= 13 else None
        qh, sidx, model, cls = (row + [None] * 4)[:4]
        if vec is None or type(qh) is not int or type(sidx) is not int or not 0 <= sidx < n_sessions:
            vec = None
        if vec is None or not isinstance(model, str) or type(cls) is not int:
            share.buckets.append((0, -1, "", 0, [0.0] * 9))  # keeps the indexes of the rows after it
            continue
        share.buckets.append((qh, sidx, model, cls, vec))  # type: ignore[arg-type]
    for row in _rows(doc, "keys"):
        if len(row) >= 10 and isinstance(row[0], str) and type(row[1]) is int:
            vec = _nums(row, 3, 7)
            if vec is not None and 0 <= row[1] < len(share.buckets):
                share.keys.append((row[0], row[1], vec))
    for row in _rows(doc, "unlogged"):
        if len(row) >= 3 and type(row[0]) is int and type(row[1]) is int:
            usd = _finite(row[2])
            if usd is not None and usd < 0:
                raise Damaged(usd)  # no machine logs a negative charge
            if usd is not None and 0 <= row[1] < n_sessions:
                share.unlogged.append((row[0], row[1], usd))
    return share


def _share_of(dumped: object) -> Share | None:
    if not (isinstance(dumped, tuple) and len(dumped) == 4):
        return None
    return Share(*dumped)


# -- the folder --------------------------------------------------------------------------------
def read_manifest(folder: str, mid: str) -> Machine:
    machine = Machine(mid)
    try:
        doc = fmt.decode(fmt.read_file(os.path.join(folder, fmt.MANIFEST)))
    except fmt.NotYours:
        machine.problem = "manifest not yours"
        return machine
    except OSError:
        machine.problem = "no manifest yet"
        return machine
    if doc is None:
        machine.problem = "manifest unreadable"
        return machine
    version = doc.get("format")
    name = doc.get("name")
    machine.name = name[:64] if isinstance(name, str) else ""
    written = doc.get("written")
    machine.written = written if isinstance(written, str) else ""
    if type(version) is not int or version > fmt.FORMAT:
        machine.problem = "newer costline"  # its files are not read: unknown content
        return machine
    if doc.get("id") != mid:
        machine.problem = "manifest of another machine"
        return machine
    days = doc.get("days")
    if isinstance(days, dict):
        machine.days = {d: sha for d, sha in days.items() if isinstance(sha, str) and valid_day(d)}
    return machine


def valid_day(name: str) -> bool:
    """A real date as YYYY-MM-DD: nothing else names a folder or file under <cache>/sync."""
    if len(name) != 10 or name[4] != "-" or name[7] != "-":
        return False
    digits = name[:4] + name[5:7] + name[8:]
    if not (digits.isascii() and digits.isdigit()):
        return False
    try:
        datetime.date(int(name[:4]), int(name[5:7]), int(name[8:]))
    except ValueError:
        return False
    return True


def _stat_sig(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def machines_in(
    settings: Settings, own: str, known: dict[str, object], skipped: list[str] | None = None
) -> list[Machine]:
    """Every machine's manifest in the folder (OSError when it cannot be listed). `known`: the
    manifests read before, by their file's stat signature (updated): an unchanged one is not read.
    A machine's folder that is a link or another local user's is no machine (its name goes to
    `skipped`): in a folder others may add to (sticky), they could plant spend in it."""
    out = []
    for name in sorted(os.listdir(settings.dir)):
        if fmt.ignored(name) or not name.startswith(fmt.PREFIX) or not valid_id(name[len(fmt.PREFIX) :]):
            continue
        mid = name[len(fmt.PREFIX) :]
        folder = os.path.join(settings.dir, name)
        try:
            st = os.lstat(folder)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or not fmt.mine(st):
            if skipped is not None:
                skipped.append(name)
            continue
        sig = _stat_sig(os.path.join(folder, fmt.MANIFEST))
        cached = known.get(mid)
        if sig is not None and isinstance(cached, tuple) and cached[0] == sig:
            machine = Machine(mid, *cached[1])
        else:
            machine = read_manifest(folder, mid)
            known[mid] = (sig, (machine.name, machine.written, machine.days, machine.problem))
        machine.own = mid == own
        out.append(machine)
    return out


def forgotten(cache: str) -> set[str]:
    found = read_marshal(sync_dir(cache, "forgotten"))
    ids = found.get("ids") if found else None
    return {m for m in ids if isinstance(m, str)} if isinstance(ids, list) else set()


def set_forgotten(cache: str, ids: set[str]) -> None:
    fs.make_private_folder(sync_dir(cache))
    atomic_write(sync_dir(cache, "forgotten"), marshal.dumps({"ids": sorted(ids)}))


# -- one day -----------------------------------------------------------------------------------
def read_share(settings: Settings, mid: str, day: str, sha: str) -> Share | str:
    """A machine's day file when it is whole (its sha256 as the manifest says), else why not."""
    path = os.path.join(settings.dir, fmt.PREFIX + mid, fmt.DAYS, f"{day}.json")
    try:
        data = fmt.read_file(path)
    except fmt.NotYours:
        return "day file not yours"
    except OSError:
        return "day files arriving"
    if fmt.digest(data) != sha:
        return "day files arriving"  # half-arrived, or the manifest arrived first
    doc = fmt.decode(data)
    share = parse_day(doc) if doc is not None else None
    return share if share is not None else "day file unreadable"


def dedup(shares: dict[str, Share], own: str) -> dict[str, list[tuple[int, str, str, int, Vec]]]:
    """Each machine's buckets with the responses an earlier machine holds taken out: this
    machine first, then by id. (qh, session, model, cls, vec) per machine."""
    seen: set[str] = set()
    out: dict[str, list[tuple[int, str, str, int, Vec]]] = {}
    for mid in sorted(shares, key=lambda m: (m != own, m)):
        share = shares[mid]
        vecs = [list(b[4]) for b in share.buckets]
        mine: set[str] = set()
        for key, index, vec in share.keys:
            if key in seen:
                cur = vecs[index]
                for i in range(7):
                    cur[i] -= vec[i]
            else:
                mine.add(key)
        seen |= mine
        rows = []
        for (qh, sidx, model, cls, _vec), vec in zip(share.buckets, vecs, strict=True):
            if sidx >= 0 and vec[0] > 0.5:
                rows.append((qh, share.sessions[sidx][0], model, cls, [max(v, 0.0) for v in vec]))
        out[mid] = rows
    return out


def fold_day(
    cache: str, settings: Settings, own: str, day: str, wanted: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Fold one UTC day again: (the sha each machine's share was taken from, problems by machine)."""
    path = sync_dir(cache, "fold", day)
    src_path = sync_dir(cache, "fold-src", day)
    old = read_marshal(src_path) or {}
    src: dict[str, object] = old.get("src") if isinstance(old.get("src"), dict) else {}  # type: ignore[assignment]
    used: dict[str, str] = {}
    problems: dict[str, str] = {}
    shares: dict[str, Share] = {}
    for mid, sha in sorted(wanted.items()):
        prior = src.get(mid)
        share = None
        if isinstance(prior, tuple) and prior[0] == sha:
            share = _share_of(prior[1])
        if share is None:
            found = read_share(settings, mid, day, sha)
            if isinstance(found, Share):
                share = found
                src[mid] = (sha, share.dump())
            else:
                problems[mid] = found
                share = _share_of(prior[1]) if isinstance(prior, tuple) else None  # its last whole one
        if share is not None:
            shares[mid] = share
            used[mid] = src[mid][0]  # type: ignore[index]
    for mid in list(src):
        if mid not in wanted:
            del src[mid]
    rows = dedup(shares, own)
    out_buckets: list[tuple[object, ...]] = []
    out_unlogged: list[tuple[object, ...]] = []
    sessions: dict[str, dict[str, str]] = {}
    for mid, share in shares.items():
        if mid == own:
            continue
        out_buckets.extend((mid, *row) for row in rows[mid])
        out_unlogged.extend((mid, ms, share.sessions[sidx][0], usd) for ms, sidx, usd in share.unlogged)
        sessions[mid] = dict(share.sessions)
    # What the reports and the line read, apart from the parsed files kept for the next fold.
    doc = {"buckets": out_buckets, "unlogged": out_unlogged, "sessions": sessions}
    fs.make_private_folder(sync_dir(cache, "fold-src"))
    atomic_write(src_path, marshal.dumps({"src": src}))
    fs.make_private_folder(sync_dir(cache, "fold"))
    atomic_write(path, marshal.dumps(doc))
    return used, problems


# -- the whole fold ----------------------------------------------------------------------------
@dataclass
class Folded:
    machines: list[Machine]
    problem: str = ""  # the folder's own ("sync folder missing")
    days_folded: int = 0
    detail: str = ""  # where the folder's problem is (a folder not yours on the way to it)
    skipped: list[str] = field(default_factory=list)  # machine folders another user owns
    moved: str = ""  # the id this machine left lately: another machine had it too


MOVED_NOTICE_S = 86400.0  # how long the line, status and doctor say this machine's id moved


FOLD_VERSION = 2  # 2: day files with numbers no machine writes are refused (refold older caches)


def _forget_folded(cache: str) -> None:
    """The folded days go: what they came from may not be trusted (reports read them)."""
    for sub in ("fold", "fold-src"):
        for day in day_names(sync_dir(cache, sub)):
            try:
                os.unlink(sync_dir(cache, sub, day))
            except OSError:
                pass


def fold(
    cache: str, settings: Settings, own: str, now_s: float | None = None, publish_problem: str = ""
) -> Folded:
    """Read what changed in the folder into the cache and write the line."""
    now_s = time.time() if now_s is None else now_s
    state_path = sync_dir(cache, "folded")
    state = read_marshal(state_path) or {}
    untrusted = fmt.folder_problem(settings.dir)
    if state.get("setup") != [settings.dir, own, FOLD_VERSION] or untrusted is not None:
        state = {"setup": [settings.dir, own, FOLD_VERSION]}
        _forget_folded(cache)
    known: dict[str, object] = state.setdefault("manifests", {})  # type: ignore[assignment]
    seen: dict[str, list[object]] = state.setdefault("seen", {})  # type: ignore[assignment]
    done: dict[str, dict[str, str]] = state.setdefault("days", {})  # type: ignore[assignment]
    problems: dict[str, str] = state.setdefault("problems", {})  # type: ignore[assignment]
    result = Folded([])
    gone = forgotten(cache)
    try:
        if untrusted is not None:
            raise untrusted
        machines = machines_in(settings, own, known, result.skipped)
    except fmt.NotYours as exc:  # nothing in it is read, nothing kept from it
        result.problem, result.detail, machines = exc.line, str(exc), []
    except OSError:
        result.problem = "sync folder missing"
        machines = [
            Machine(mid, *entry[1]) for mid, entry in sorted(known.items()) if isinstance(entry, tuple)
        ]
        for machine in machines:
            machine.own = machine.id == own
    else:
        for mid in [m for m in known if m not in {x.id for x in machines}]:
            del known[mid]
        try:  # the reports match the other machines' hashed project names with it
            state["salt"] = fmt.read_salt(settings.dir) or ""
        except OSError:
            pass
    wanted: dict[str, dict[str, str]] = {}
    for machine in machines:
        machine.forgotten = machine.id in gone
        entry = seen.get(machine.id)
        if entry is None or entry[0] != machine.written:
            first = parse_iso_ms(machine.written) if entry is None else None
            when = min(now_s, first / 1000) if first is not None else now_s
            entry = seen[machine.id] = [machine.written, when]
        machine.seen_s = float(entry[1])  # type: ignore[arg-type]
        if machine.forgotten or (machine.problem and not machine.days):
            continue
        for day, sha in machine.days.items():
            wanted.setdefault(day, {})[machine.id] = sha
    if not result.problem:
        for day in sorted(set(wanted) | set(done)):
            want = wanted.get(day, {})
            if done.get(day) == want:
                continue
            used, day_problems = fold_day(cache, settings, own, day, want)
            result.days_folded += 1
            for mid in want:
                problems.pop(f"{mid} {day}", None)
            for mid, why in day_problems.items():
                problems[f"{mid} {day}"] = why
            if used or want:
                done[day] = used
            else:
                done.pop(day, None)
    for machine in machines:
        if not machine.problem:
            found = sorted(v for k, v in problems.items() if k.startswith(machine.id + " "))
            machine.problem = found[0] if found else ""
    result.machines = machines
    try:
        left = moved_from(own)
    except OSError:
        left = None
    if left is not None and now_s - left[1] < MOVED_NOTICE_S:
        result.moved = left[0]
    if publish_problem and not result.problem:
        result.problem = publish_problem
    fs.make_private_folder(sync_dir(cache))
    atomic_write(state_path, marshal.dumps(state))
    write_line(cache, settings, own, result, now_s)
    return result


def line_doc(
    cache: str, settings: Settings, own: str, result: Folded, now_s: float, pricer: Pricer
) -> dict[str, object]:
    """What the render needs, priced: {"stale_s", "problem", "machines": [[name, seen_s, {qh:
    usd}, [qh with spend this machine cannot price]]]} for the other machines, over the UTC days
    around now (the render picks its local today, and shows `+?` for an unpriced one in it)."""
    now_ms = int(now_s * 1000)
    per: dict[str, dict[int, float]] = {}
    gaps: dict[str, set[int]] = {}
    for delta in LINE_DAYS:
        folded = read_marshal(sync_dir(cache, "fold", utc_day_name(now_ms + delta * DAY_MS))) or {}
        for mid, qh, _session, model, cls, vec in folded.get("buckets") or ():  # type: ignore[attr-defined]
            usd = pricer.usd(qh, model, cls, vec)
            qhs = per.setdefault(mid, {})
            if usd is None:  # a model only the other machine knows: unknown here, never $0
                gaps.setdefault(mid, set()).add(qh)
            elif usd:
                qhs[qh] = qhs.get(qh, 0.0) + usd
        for mid, ms, _session, usd in folded.get("unlogged") or ():  # type: ignore[attr-defined]
            qhs = per.setdefault(mid, {})
            qhs[ms // QUARTER_HOUR_MS] = qhs.get(ms // QUARTER_HOUR_MS, 0.0) + usd
    rows = []
    for machine in result.machines:
        if machine.own or machine.forgotten or machine.id not in per:
            continue
        unpriced = sorted(gaps.get(machine.id, ()))
        rows.append([machine.name or machine.id[:8], machine.seen_s, per[machine.id], unpriced])
    return {
        "format": 1,
        "stale_s": settings.stale_minutes * 60.0,
        "problem": result.problem or ("sync id moved" if result.moved else ""),
        "machines": rows,
    }


def write_line(cache: str, settings: Settings, own: str, result: Folded, now_s: float) -> None:
    from statusline.price_table import load_table
    from statusline.report import Pricer

    doc = line_doc(cache, settings, own, result, now_s, Pricer(load_table(cache)))
    atomic_write(sync_dir(cache, "line"), marshal.dumps(doc))


def drop_line(cache: str) -> None:
    try:
        os.unlink(sync_dir(cache, "line"))
    except OSError:
        pass


# -- for the reports ---------------------------------------------------------------------------
@dataclass
class Others:
    """The other machines' deduplicated share of every folded day."""

    names: dict[str, str] = field(default_factory=dict)  # machine id → name
    buckets: list[tuple[str, int, str, str, int, Vec]] = field(
        default_factory=list
    )  # mid, qh, session, model, cls
    unlogged: list[tuple[str, int, str, float]] = field(default_factory=list)  # mid, ms, session, usd
    projects: dict[str, str] = field(default_factory=dict)  # session → project
    salt: str = ""  # the folder's: keys the project names published as hashes

    def name(self, mid: str) -> str:
        return self.names.get(mid) or mid[:8]


def load_others(cache: str, own_name: str = "", days: set[str] | None = None) -> Others:
    """Every folded day's other-machine share (or only that of the UTC `days`); machines named
    as they call themselves, with their id's start when two share a name (or one has this
    machine's)."""
    others = Others()
    state = read_marshal(sync_dir(cache, "folded")) or {}
    gone = forgotten(cache)
    salt = state.get("salt")
    others.salt = salt if isinstance(salt, str) else ""
    named: dict[str, str] = {}
    for mid, entry in (state.get("manifests") or {}).items():  # type: ignore[attr-defined]
        if isinstance(entry, tuple) and mid != (state.get("setup") or ["", ""])[1]:  # type: ignore[index]
            named[mid] = entry[1][0] or mid[:8]
    taken = [own_name, *named.values()]
    for mid, name in named.items():
        others.names[mid] = f"{name} ({mid[:8]})" if taken.count(name) > 1 else name
    for day in day_names(sync_dir(cache, "fold")):
        if days is not None and day not in days:
            continue
        folded = read_marshal(sync_dir(cache, "fold", day)) or {}
        for row in folded.get("buckets") or ():  # type: ignore[attr-defined]
            if row[0] not in gone:
                others.buckets.append(row)
        for row in folded.get("unlogged") or ():  # type: ignore[attr-defined]
            if row[0] not in gone:
                others.unlogged.append(row)
        for mid, sessions in (folded.get("sessions") or {}).items():  # type: ignore[attr-defined]
            if mid not in gone:
                for sid, project in sessions.items():
                    others.projects.setdefault(sid, project)
    return others
