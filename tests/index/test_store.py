"""Group states live in their own files or in packs: a group's own file is always its newest."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from helpers import ONE, assistant, write_transcript
from index_helpers import loads, priced, refresh, store

from statusline.index import upkeep
from statusline.index.exact import Batch, ingest_group
from statusline.index.store import PACKS, CorruptIndex, Store, pack_of
from statusline.index.update import commit_groups, group_of, load_group


def test_packs_spread_sessions_evenly():
    names = [f"-home-dev-src-p~{uuid.UUID(int=n * 7919 + 13, version=4)}" for n in range(10_000)]
    names += [f"-home-dev-src-p~{uuid.uuid5(uuid.NAMESPACE_URL, str(n))}" for n in range(10_000)]
    counts: dict[str, int] = {}
    for name in names:
        counts[pack_of(name)] = counts.get(pack_of(name), 0) + 1
    assert len(counts) == PACKS
    assert max(counts.values()) < 2.5 * len(names) / PACKS


def _sessions(config_dir, count: int) -> list:
    return [
        write_transcript(
            config_dir, "p", f"s{n}.jsonl", [assistant(msg_id=f"m{n}", request_id=f"r{n}", session=f"s{n}")]
        )
        for n in range(count)
    ]


def _append(path, msg_id: str, request_id: str, session: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(assistant(msg_id=msg_id, request_id=request_id, session=session) + "\n")


def _render_reads(path) -> None:
    """What a render does for its session: read it on and write its state (its own file)."""
    st = store()
    name, session, project = group_of(str(path))
    st.lock(blocking=True)
    try:
        group = load_group(st, name, session, project, 0)
        batch = Batch(st)
        ingest_group(st, batch, group, [str(path)], loads, 1 << 20)
        commit_groups(st, batch, {name: group}, summaries=False)
    finally:
        st.unlock()


def _with_own_file(config_dir, count: int) -> tuple[list, Store, str]:
    """Sessions indexed by a scan (into packs), then the first read on by a render (its own file)."""
    paths = _sessions(config_dir, count)
    st = refresh()
    _append(paths[0], "late", "rl", "s0")
    _render_reads(paths[0])
    return paths, st, group_of(str(paths[0]))[0]


def test_a_scan_writes_packs_and_every_group_is_found_once(config_dir):
    paths = _sessions(config_dir, 40)
    st = refresh()
    assert os.listdir(st.path("groups")) == []
    assert 0 < len(os.listdir(st.path("packs"))) <= 40
    for path in paths:
        group = st.read_group(group_of(str(path))[0])
        assert group is not None and group["counters"]["entries"] == 1
    assert sorted(g["session"] for g in upkeep.groups(st)) == sorted(f"s{n}" for n in range(40))


def test_a_renders_own_file_wins_and_later_scans_keep_writing_it(config_dir):
    paths, st, name = _with_own_file(config_dir, 5)
    assert os.listdir(st.path("groups")) == [name]
    assert st.read_group(name)["counters"]["entries"] == 2
    _append(paths[0], "later", "rl2", "s0")
    _append(paths[1], "other", "ro", "s1")
    refresh()
    assert os.listdir(st.path("groups")) == [name]  # s1 stays in its pack
    assert st.read_group(name)["counters"]["entries"] == 3
    assert st.read_group(group_of(str(paths[1]))[0])["counters"]["entries"] == 2
    assert sorted(g["counters"]["entries"] for g in upkeep.groups(st)) == [1, 1, 1, 2, 3]
    assert priced().usd == pytest.approx(8 * ONE)


def test_a_groups_signature_changes_when_its_pack_is_rewritten(config_dir):
    paths = _sessions(config_dir, 3)
    st = refresh()
    name = group_of(str(paths[0]))[0]
    before = st.group_signature(name)
    _append(paths[0], "late", "rl", "s0")
    os.utime(st.path(pack_of(name)), ns=(1, 1))  # the rewrite must show even within a tick
    refresh()
    assert st.group_signature(name) != before


def test_a_corrupt_pack_is_set_aside_and_its_sessions_read_again(config_dir):
    paths = _sessions(config_dir, 6)
    st = refresh()
    with open(st.path(pack_of(group_of(str(paths[0]))[0])), "wb") as fh:
        fh.write(b"\x00garbage")
    _append(paths[0], "late", "rl", "s0")
    refresh()
    assert os.listdir(st.path("corrupt"))
    assert priced().usd == pytest.approx(7 * ONE)  # everything read again: nothing lost or doubled
    assert sorted(g["counters"]["entries"] for g in upkeep.groups(Store(st.cache))) == [1] * 5 + [2]


def test_setting_a_file_aside_marks_the_index_unfinished_until_a_scan_reads_everything(config_dir):
    """Whatever the file held is missing until every log is read again: the index no longer says
    a full scan is complete (renders mark today `…`), and the next full scan says so again."""
    paths = _sessions(config_dir, 2)
    st = refresh()
    assert "full_scan_ms" in st.read_meta()
    hours = st.path("hours", st.indexed_days()[0])
    with open(os.path.join(hours, sorted(os.listdir(hours))[0]), "wb") as fh:
        fh.write(b"\x00garbage")
    with pytest.raises(CorruptIndex):
        st.read(f"hours/{st.indexed_days()[0]}/{sorted(os.listdir(hours))[0]}")
    meta = st.read_meta()
    assert "full_scan_ms" not in meta and meta["rescan_epoch"] == 1
    refresh()
    assert "full_scan_ms" in st.read_meta()
    assert priced().usd == pytest.approx(len(paths) * ONE)


def test_a_corrupt_own_file_does_not_bring_back_the_older_pack_entry(config_dir):
    paths = _sessions(config_dir, 2)
    st = refresh()
    _render_reads(paths[0])  # now it has its own file too (the pack entry stays, older)
    name = group_of(str(paths[0]))[0]
    with open(st.path("groups", name), "wb") as fh:
        fh.write(b"\x00garbage")
    with pytest.raises(CorruptIndex):
        st.read_group(name)


def test_a_corrupt_own_file_set_aside_in_a_scan_does_not_bring_back_the_pack_entry(config_dir):
    paths, st, name = _with_own_file(config_dir, 2)
    with open(st.path("groups", name), "wb") as fh:
        fh.write(b"\x00garbage")
    _append(paths[0], "later", "rl2", "s0")
    refresh()  # reads s0 again from the start: its three lines, counted once each
    assert Store(st.cache).read_group(name)["counters"]["entries"] == 3
    assert priced().usd == pytest.approx(4 * ONE)


# -- nothing in the cache dir is opened through a planted link ------------------------------------
def _planted(tmp_path, name: str):
    """A store whose `name` (relative to the cache dir) is a link to another file of the user's."""
    from statusline.index.store import Store

    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    cache = tmp_path / "planted"
    (cache / "index" / "v2").mkdir(parents=True, mode=0o700)
    (cache / name).symlink_to(victim)
    return Store(str(cache)), victim


def test_atomic_write_ignores_a_link_planted_at_its_temp_name(tmp_path):
    from statusline.index.store import atomic_write

    st, victim = _planted(tmp_path, f"index/v2/meta.{os.getpid()}.tmp")
    atomic_write(st.path("meta"), b"new")
    assert victim.read_text() == "precious\n"
    assert Path(st.path("meta")).read_bytes() == b"new"


def test_the_failure_count_is_not_written_through_a_link(tmp_path):
    st, victim = _planted(tmp_path, "refresh.failures")
    upkeep.record_refresh(st, ok=False)
    assert victim.read_text() == "precious\n"


def test_the_refresh_stamp_is_not_touched_through_a_link(tmp_path):
    st, victim = _planted(tmp_path, "refresh.stamp")
    os.utime(victim, (1_000_000, 1_000_000))
    try:
        st.mark_refresh_started(2_000_000.0)
    except OSError:
        pass  # refusing is fine; touching the other file is not
    assert victim.stat().st_mtime == 1_000_000


@pytest.mark.parametrize("name", ["index/v2/lock", "bg.lock"])
def test_locks_are_not_taken_through_a_link(tmp_path, name):
    """A lock file planted as a link to a file that does not exist yet: not created."""
    from statusline.index.upkeep import try_job_lock

    st, victim = _planted(tmp_path, name)
    victim.unlink()
    try:
        if name == "bg.lock":
            try_job_lock(st.cache, "bg.lock")
        else:
            st.lock(blocking=False)
    except OSError:
        pass
    assert not victim.exists()
