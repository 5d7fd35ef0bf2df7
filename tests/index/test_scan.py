"""The full scan's own housekeeping: spill files and their folders."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers import assistant, report_json, write_transcript
from index_helpers import loads, store

import statusline.index.merge as merge_module
import statusline.index.scan as scan_module
import statusline.index.spool as spool_module
from statusline.index.scan import remove_stale_temp_files, scan


def _spool_folders(root: str) -> list[str]:
    return [name for name in os.listdir(root) if name.startswith("spool-")]


def test_a_scan_that_fails_while_parsing_leaves_no_spill_files(config_dir, monkeypatch):
    for n in range(3):
        lines = [assistant(msg_id=f"m{n}-{i}", request_id=f"r{n}-{i}", session=f"s{n}") for i in range(3)]
        write_transcript(config_dir, "p", f"s{n}.jsonl", lines)
    monkeypatch.setattr(spool_module, "SPILL_RECORDS", 1)  # every group's records are spilled
    real = scan_module._read_paths
    calls = []

    def failing(task, parse):
        calls.append(task[0])
        if len(calls) == 3:
            raise OSError("disk gone")
        return real(task, parse)

    monkeypatch.setattr(scan_module, "_read_paths", failing)
    st = store()
    with pytest.raises(OSError):
        scan(st, loads, workers=1)
    assert _spool_folders(st.root) == []


def test_a_killed_scans_spool_folder_is_swept_with_its_files(config_dir, tmp_path):
    st = store()
    st.ensure()
    folder = st.path("spool-999999")  # a scan killed while spilling
    os.makedirs(folder)
    spill = os.path.join(folder, "0.tmp")
    with open(spill, "wb") as fh:
        fh.write(b"x")
    os.utime(spill, (time.time() - 3600, time.time() - 3600))
    assert remove_stale_temp_files(st.cache, time.time()) == 1
    assert _spool_folders(st.root) == []


def test_a_running_scans_spilled_records_are_not_swept(tmp_path):
    import os
    import time

    from statusline.index.scan import remove_stale_temp_files

    live = tmp_path / f"spool-{os.getpid()}"  # this process is alive: its spills stay
    live.mkdir()
    (live / "0.tmp").write_bytes(b"x")
    dead = tmp_path / "spool-999999999"
    dead.mkdir()
    (dead / "0.tmp").write_bytes(b"x")
    assert remove_stale_temp_files(str(tmp_path), time.time() + 3600) == 1
    assert (live / "0.tmp").exists() and not dead.exists()


def test_a_spool_folder_lives_as_long_as_the_lock_its_scan_holds(config_dir):
    """A scan's spool folder has a random name, not its pid (pids are reused), and is kept by a
    sweep while the lock in it is held, however old, and removed once its holder is gone."""
    import subprocess
    import sys

    from statusline.index.merge import Merge
    from statusline.index.spool import SPOOL_LOCK

    st = store()
    st.ensure()
    first, second = Merge(st, 0), Merge(st, 0)
    assert first.folder != second.folder and str(os.getpid()) not in os.path.basename(first.folder)
    first.discard()
    second.discard()
    folder = st.path("spool-0123456789abcdef")  # another scan's, seen from here
    os.makedirs(folder)
    (Path(folder) / "0.tmp").write_bytes(b"x")
    hold = (
        "import os,sys; fd=os.open(sys.argv[1], os.O_RDWR|os.O_CREAT, 0o600); "
        "os.lockf(fd, os.F_LOCK, 0); print(1, flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, os.path.join(folder, SPOOL_LOCK)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline() == b"1\n"  # it holds the lock
        remove_stale_temp_files(st.cache, time.time() + 3600)
        assert _spool_folders(st.root) == ["spool-0123456789abcdef"]
    finally:
        holder.communicate(b"")  # it ends: the lock is free
    remove_stale_temp_files(st.cache, time.time())
    assert _spool_folders(st.root) == []


def test_a_scan_removes_older_index_formats(config_dir):
    import os

    from index_helpers import refresh

    cache = os.environ["COSTLINE_CACHE_DIR"]
    old = os.path.join(cache, "index", "v1", "hours")
    os.makedirs(old)
    refresh()
    assert not os.path.exists(os.path.join(cache, "index", "v1"))
    assert os.path.isdir(os.path.join(cache, "index", "v2"))


def test_a_killed_scans_later_half_tree_is_swept(config_dir):
    """The private tree the later half of a killed scan's split merge wrote is never moved in."""
    st = store()
    st.ensure()
    hour = os.path.join(st.path("spool-999999"), "later", "hours", "2026-11-20", "05")
    os.makedirs(os.path.dirname(hour))
    with open(hour, "wb") as fh:
        fh.write(b"x")
    remove_stale_temp_files(st.cache, time.time())
    assert _spool_folders(st.root) == []


OPUS = {"input_tokens": 1000, "output_tokens": 2000}  # Opus 4.8 at list price: $0.055


def test_a_refresh_committing_during_a_discarding_rebuild_loses_no_history(config_dir, monkeypatch):
    """`index rebuild` takes no bg.lock, so a render's background refresh can run beside it. The
    refresh parses (its offsets from the old index), the rebuild sets the old index aside, and
    the refresh commits into the new, empty one while the rebuild is still reading: it saves its
    old offsets there, and the rebuild then reads every group on from them. Found: four of five
    responses were gone from the rebuilt index (only another rebuild brings them back)."""
    from click.testing import CliRunner
    from helpers import report_json

    import statusline.cli.index as cli_index

    path = write_transcript(
        config_dir,
        "p",
        "s0.jsonl",
        [assistant(msg_id=f"m{i}", request_id=f"r{i}", usage=OPUS, session="s0") for i in range(4)],
    )
    scan(store(), loads)  # a complete index of four responses
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(assistant(msg_id="m4", request_id="r4", usage=OPUS, session="s0") + "\n")
    real_commit, real_scan = merge_module.Merge.commit, cli_index.scan

    def refresh_commit(self, parallel=False):  # the refresh has parsed m4: now the rebuild starts
        out = []
        monkeypatch.setattr(merge_module.Merge, "commit", real_commit)  # the rebuild's own

        def rebuild_scan(st, parse, progress=None):  # the refresh commits while the rebuild reads
            out.append(real_commit(self, parallel))
            return real_scan(st, parse, progress=progress)

        monkeypatch.setattr(cli_index, "scan", rebuild_scan)
        done = CliRunner().invoke(cli_index.rebuild, ["--discard-history"])
        assert done.exit_code == 0, done.output
        return out[0]

    monkeypatch.setattr(merge_module.Merge, "commit", refresh_commit)
    scan(store(), loads)  # the background refresh
    scan(store(), loads)  # and the next one: nothing is left to read
    rows = report_json("daily")["daily"]
    assert sum(row["totalCost"] for row in rows) == pytest.approx(5 * 0.055)


def test_a_scan_whose_index_is_made_anew_before_it_ends_marks_nothing_complete(config_dir, monkeypatch):
    """The generation check before the final meta: a scan whose merge committed into the old
    index, which is then discarded, neither marks the new one complete (`full_scan_ms`) nor
    saves its stat cache there (the next scan would skip every file). The next scan reads all."""
    from statusline.index.store import FORMAT

    write_transcript(
        config_dir,
        "p",
        "s0.jsonl",
        [assistant(msg_id=f"m{i}", request_id=f"r{i}", usage=OPUS, session="s0") for i in range(3)],
    )
    real_commit = merge_module.Merge.commit

    def commit_then_discard(self, parallel=False):
        out = real_commit(self, parallel)
        st = self.store
        os.replace(st.root, f"{st.root}.discarded")  # what `rebuild --discard-history` does
        st.ensure()
        st.write("meta", {"format": FORMAT, "rescan_epoch": 0, "generation": "made anew"})
        return out

    monkeypatch.setattr(merge_module.Merge, "commit", commit_then_discard)
    st = store()
    assert scan(st, loads).replaced
    meta = st.read_meta()
    assert "full_scan_ms" not in meta and meta["generation"] == "made anew"
    assert st.read("scan") is None
    monkeypatch.setattr(merge_module.Merge, "commit", real_commit)
    assert not scan(store(), loads).replaced
    assert "full_scan_ms" in store().read_meta()
    rows = report_json("daily")["daily"]
    assert sum(row["totalCost"] for row in rows) == pytest.approx(3 * 0.055)


def test_a_rebuild_holds_the_refresh_lock_while_it_scans(config_dir, monkeypatch):
    """Refreshes never overlap: a rebuild holds bg.lock for its whole scan (checked from another
    process, as a render's background refresh would try it)."""
    import subprocess
    import sys

    from click.testing import CliRunner

    import statusline.cli.index as cli_index

    write_transcript(config_dir, "p", "s0.jsonl", [assistant(usage=OPUS, session="s0")])
    scan(store(), loads)
    lock = os.path.join(os.environ["COSTLINE_CACHE_DIR"], "bg.lock")
    probe = "import os,sys; fd=os.open(sys.argv[1], os.O_RDWR|os.O_CREAT, 0o600); os.lockf(fd, os.F_TLOCK, 0)"
    real_scan, free = cli_index.scan, []

    def watched(*args, **kwargs):
        free.append(subprocess.run([sys.executable, "-c", probe, lock], capture_output=True).returncode == 0)
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(cli_index, "scan", watched)
    for args in ([], ["--discard-history"]):
        done = CliRunner().invoke(cli_index.rebuild, args)
        assert done.exit_code == 0, done.output
    assert free == [False, False]


def test_a_scan_sweeps_a_killed_writers_files_only_when_it_read_something(config_dir):
    """Each warm report scans, and a scan that finds nothing new no longer walks the whole cache
    (a few to 13 ms); the next scan that reads does."""
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    st = store()
    scan(st, loads, workers=1)
    stale = os.path.join(st.root, "meta.0123456789abcdef.tmp")  # a writer killed before its rename
    with open(stale, "wb") as fh:
        fh.write(b"x")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    assert scan(st, loads, workers=1).bytes_read == 0
    assert os.path.exists(stale)
    write_transcript(config_dir, "p", path.name, [assistant(msg_id="m2", request_id="r2")], mode="a")
    assert scan(st, loads, workers=1).bytes_read > 0
    assert not os.path.exists(stale)
