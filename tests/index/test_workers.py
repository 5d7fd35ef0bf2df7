"""Forked workers parse for the scan: the same index as one process, whatever a worker does."""

from __future__ import annotations

import os
import random

import pytest
from helpers import assistant, write_transcript
from index_helpers import loads

import statusline.index.coldmerge as coldmerge
import statusline.index.merge as merge_module
import statusline.index.scan as scan_module
import statusline.index.spool as spool_module
from statusline.index import exact, upkeep
from statusline.index.scan import scan
from statusline.index.store import Store
from statusline.index.workers import balanced_shares


@pytest.mark.parametrize("seed", range(5))
def test_shares_hold_every_task_once_in_order_and_balanced(seed):
    rng = random.Random(seed)
    sizes = [rng.randrange(1, 1000) for _ in range(rng.randrange(1, 60))]
    workers = rng.randrange(1, 5)
    shares = balanced_shares(sizes, workers)
    assert sorted(i for share in shares for i in share) == list(range(len(sizes)))
    assert all(share == sorted(share) for share in shares)
    loads_ = [sum(sizes[i] for i in share) for share in shares]
    assert len(shares) == min(workers, len(sizes))
    assert max(loads_) - min(loads_) <= max(sizes)  # largest first to the least loaded


def _corpus(config_dir, seed: int = 3) -> None:
    """Sessions that replay each other's messages: equal copies (ties), better and worse ones."""
    rng = random.Random(seed)
    for n in range(10):
        lines = []
        for i in range(25):
            msg = f"m{rng.randrange(60)}"
            usage = {"input_tokens": rng.choice((10, 10, 2000)), "output_tokens": rng.choice((5, 5, 700))}
            ts = f"2026-11-{20 + i % 3}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00.000Z"
            lines.append(assistant(msg_id=msg, request_id=f"r{msg}", usage=usage, ts=ts, session=f"s{n}"))
        write_transcript(config_dir, f"p{n % 3}", f"s{n}.jsonl", lines)


def _index(root: str) -> dict[str, object]:
    """Every hour file's and day summary's content and every group's counters and offsets."""
    st = Store(root)
    out: dict[str, object] = {}
    for day in st.indexed_days():
        summary = st.read(f"days/{day}")
        out[day] = {k: v for k, v in summary.items() if k != "sig"}  # file signatures differ
        for hour in sorted(os.listdir(st.path("hours", day))):
            assert not hour.endswith(".new")  # a scan folds every delta renders booked
            # .ids are derived from the hour file (with its signature); a .tmp is what a killed
            # writer left, and every reader takes only two-digit names
            if not hour.endswith((".ids", ".tmp")):
                out[f"{day}/{hour}"] = st.read(f"hours/{day}/{hour}")
    for group in upkeep.groups(st):
        out[group["session"]] = (group["counters"], {p: s[3] for p, s in group["files"].items()})
    return out


def test_workers_build_the_index_one_process_builds(config_dir, tmp_path):
    _corpus(config_dir)
    scan(Store(str(tmp_path / "one")), loads, workers=1)
    for workers in (2, 3):
        scan(Store(str(tmp_path / f"w{workers}")), loads, workers=workers, parallel_min_bytes=0)
        assert _index(str(tmp_path / f"w{workers}")) == _index(str(tmp_path / "one"))


@pytest.mark.parametrize("how", ["exit", "raise"])
def test_a_worker_that_dies_loses_nothing(config_dir, tmp_path, monkeypatch, how):
    _corpus(config_dir)
    scan(Store(str(tmp_path / "one")), loads, workers=1)
    real = scan_module._read_group
    parent = os.getpid()
    calls = []

    def dying(task):
        calls.append(task[0])
        if os.getpid() != parent and len(calls) == 2:  # a worker's second group
            if how == "exit":
                os._exit(9)
            raise MemoryError
        return real(task)

    monkeypatch.setattr(scan_module, "_read_group", dying)
    st = Store(str(tmp_path / "two"))
    scan(st, loads, workers=2, parallel_min_bytes=0)
    assert _index(str(tmp_path / "two")) == _index(str(tmp_path / "one"))
    assert [name for name in os.listdir(st.root) if name.startswith("spool-")] == []


def _days_corpus(config_dir, straddle: list[int]) -> None:
    """Six days of sessions; on each day in `straddle`, a message whose copies sit seconds either
    side of midnight UTC (so that boundary cannot split a merge)."""
    rng = random.Random(5)
    for n in range(12):
        lines = []
        for i in range(30):
            msg = f"m{rng.randrange(80)}"
            usage = {"input_tokens": rng.choice((10, 2000)), "output_tokens": rng.choice((5, 700))}
            ts = f"2026-11-{10 + i % 6:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00.000Z"
            lines.append(assistant(msg_id=msg, request_id=f"r{msg}", usage=usage, ts=ts, session=f"s{n}"))
        for day in straddle:
            for ts, tokens in (
                (f"2026-11-{day - 1:02d}T23:59:58.000Z", 5),
                (f"2026-11-{day:02d}T00:00:03.000Z", 9),
            ):
                usage = {"input_tokens": tokens, "output_tokens": tokens}
                lines.append(
                    assistant(msg_id=f"x{day}", request_id=f"rx{day}", usage=usage, ts=ts, session=f"s{n}")
                )
        write_transcript(config_dir, f"p{n % 3}", f"s{n}.jsonl", lines)


def _splits(monkeypatch) -> list[int]:
    """Record where merges split (their first later window's day of month)."""
    seen: list[int] = []
    real = coldmerge.merge_in_two

    def recording(merge, windows, split, tally):
        seen.append(int(merge_module.day_of(windows[split] * spool_module.WINDOW_MS)[-2:]))
        return real(merge, windows, split, tally)

    monkeypatch.setattr(coldmerge, "merge_in_two", recording)
    return seen


@pytest.mark.parametrize("straddle", [[], [13], [12, 14]])
def test_a_split_merge_builds_the_index_one_process_builds(config_dir, tmp_path, monkeypatch, straddle):
    _days_corpus(config_dir, straddle)
    scan(Store(str(tmp_path / "one")), loads, workers=1)
    splits = _splits(monkeypatch)
    scan(Store(str(tmp_path / "two")), loads, workers=2, parallel_min_bytes=0)
    assert _index(str(tmp_path / "two")) == _index(str(tmp_path / "one"))
    assert len(splits) == 1 and splits[0] not in straddle  # never where copies straddle midnight


def test_no_split_when_every_boundary_has_copies_across_it(config_dir, tmp_path, monkeypatch):
    _days_corpus(config_dir, [11, 12, 13, 14, 15])
    splits = _splits(monkeypatch)
    scan(Store(str(tmp_path / "two")), loads, workers=2, parallel_min_bytes=0)
    scan(Store(str(tmp_path / "one")), loads, workers=1)
    assert splits == [] and _index(str(tmp_path / "two")) == _index(str(tmp_path / "one"))


def test_no_split_on_an_index_that_has_hours(config_dir, tmp_path, monkeypatch):
    _days_corpus(config_dir, [])
    st = Store(str(tmp_path / "two"))
    scan(st, loads, workers=2, parallel_min_bytes=0)
    write_transcript(
        config_dir, "p9", "late.jsonl", [assistant(msg_id="late", ts="2026-11-12T05:00:00.000Z")]
    )
    for path in (config_dir / "projects").rglob("*.jsonl"):
        os.utime(path)  # every file looks changed: the scan reads them all again, dedup keeps it exact
    splits = _splits(monkeypatch)
    scan(st, loads, workers=2, parallel_min_bytes=0)
    assert splits == []


def test_a_cold_merge_looks_for_no_hour_file_and_builds_what_looking_builds(
    config_dir, tmp_path, monkeypatch
):
    """No hour file is on disk when a cold build merges: its batches look for none (the hours
    they need are carried in memory), and the index is the one batches that look build."""
    _days_corpus(config_dir, [13])
    looked: list[int] = []
    real = exact.Batch.load

    def looking(self, hour):
        looked.append(hour)
        return real(self, hour)

    monkeypatch.setattr(exact.Batch, "load", looking)
    scan(Store(str(tmp_path / "cold")), loads, workers=1)
    assert looked == []
    scan(Store(str(tmp_path / "split")), loads, workers=2, parallel_min_bytes=0)
    monkeypatch.setattr(merge_module, "ColdBatch", exact.Batch)
    scan(Store(str(tmp_path / "looking")), loads, workers=1)
    assert looked  # (the batch that looks did)
    assert _index(str(tmp_path / "cold")) == _index(str(tmp_path / "looking"))
    assert _index(str(tmp_path / "split")) == _index(str(tmp_path / "looking"))


def test_a_cold_build_writes_its_hours_in_place_and_moves_them_in_a_day_at_a_time(
    config_dir, tmp_path, monkeypatch
):
    """Its days are written to a private tree (no temp file renamed per hour file) and moved in
    a day folder at a time; the day summaries name the hour files' signatures as they are in the
    index; the index is the one a merge writing each file by rename builds."""
    from statusline import fs
    from statusline.index.readback import day_listing

    _days_corpus(config_dir, [13])
    renamed: list[str] = []
    real_replace, real_rename = fs.replace, os.rename

    def replace(src, dst):
        renamed.append(dst)
        return real_replace(src, dst)

    def rename(src, dst):
        renamed.append(dst)
        return real_rename(src, dst)

    monkeypatch.setattr(fs, "replace", replace)
    monkeypatch.setattr(os, "rename", rename)
    st = Store(str(tmp_path / "staged"))
    scan(st, loads, workers=1)
    days = st.indexed_days()
    assert len(days) == 6
    into_hours = [path for path in renamed if path.startswith(st.path("hours"))]
    assert sorted(into_hours) == [st.path("hours", day) for day in days]  # a rename a day
    for day in days:
        summary = st.read(f"days/{day}")
        assert summary["sig"] == day_listing(st, day)[0]  # trusted by readers as it is
    monkeypatch.setattr(coldmerge.Staged, "write", Store.write)  # each file by rename
    scan(Store(str(tmp_path / "renamed")), loads, workers=1)
    assert _index(str(tmp_path / "renamed")) == _index(str(tmp_path / "staged"))


@pytest.mark.parametrize("how", ["exit", "raise"])
def test_a_later_half_that_fails_is_merged_here(config_dir, tmp_path, monkeypatch, how):
    _days_corpus(config_dir, [13])
    scan(Store(str(tmp_path / "one")), loads, workers=1)
    real = merge_module.Merge.merge_windows
    parent = os.getpid()

    def failing(self, windows, tally):
        if os.getpid() != parent:
            real(self, windows[:2], tally)  # some of its hour files written, then it fails
            if how == "exit":
                os._exit(3)
            raise OSError("disk gone")
        return real(self, windows, tally)

    monkeypatch.setattr(merge_module.Merge, "merge_windows", failing)
    splits = _splits(monkeypatch)
    scan(Store(str(tmp_path / "two")), loads, workers=2, parallel_min_bytes=0)
    assert splits and _index(str(tmp_path / "two")) == _index(str(tmp_path / "one"))


def test_spills_are_counted_once_per_group_and_not_kept_open(config_dir, tmp_path, monkeypatch):
    """One process, sessions spanning many hours: a spill per SPILL_RECORDS records, not per hour."""
    rng = random.Random(2)
    total = 0
    for n in range(30):
        lines = [
            assistant(
                msg_id=f"m{n}-{i}",
                request_id=f"r{n}-{i}",
                session=f"s{n}",
                ts=f"2026-11-20T{i % 20:02d}:{rng.randrange(60):02d}:00.000Z",
            )
            for i in range(20)
        ]
        total += len(lines)
        write_transcript(config_dir, "p", f"s{n}.jsonl", lines)
    monkeypatch.setattr(spool_module, "SPILL_RECORDS", 50)
    spills = []
    real = merge_module.Merge._spill
    monkeypatch.setattr(merge_module.Merge, "_spill", lambda self: (spills.append(1), real(self))[1])
    fds_before = len(os.listdir("/proc/self/fd"))
    scan(Store(str(tmp_path / "one")), loads, workers=1)
    assert len(spills) <= total // 50 + 1
    assert len(os.listdir("/proc/self/fd")) == fds_before


@pytest.mark.parametrize("where", ["parse_in_workers", "merge_in_two"])
def test_no_fork_left_means_one_process_does_it(config_dir, tmp_path, monkeypatch, where):
    """fork() failing (no memory, no process slots) in the parse or the split merge: the
    scanning process does that part itself."""
    import sys

    _days_corpus(config_dir, [])
    scan(Store(str(tmp_path / "one")), loads, workers=1)
    real = os.fork
    refused = []

    def fork() -> int:
        if sys._getframe(1).f_code.co_name == where:
            refused.append(where)
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real()

    monkeypatch.setattr(os, "fork", fork)
    scan(Store(str(tmp_path / "two")), loads, workers=2, parallel_min_bytes=0)
    assert refused and _index(str(tmp_path / "two")) == _index(str(tmp_path / "one"))


def test_a_planted_spool_link_is_not_truncated(config_dir, tmp_path):
    """`worker-0.tmp` planted as a link to another file: the workers' spools are their own."""
    from statusline.index.workers import parse_in_workers

    folder = tmp_path / "spool"
    folder.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    for n in range(3):
        (folder / f"worker-{n}.tmp").symlink_to(victim)

    def read_group(task):
        return [task], {0: b"block"}, 1

    reports = list(parse_in_workers([1, 2, 3], [1, 1, 1], 3, str(folder), read_group))
    assert sorted(r[0] for _, r in reports) == [0, 1, 2]
    assert victim.read_text() == "precious\n"


def test_a_worker_whose_scan_died_reads_no_further(tmp_path):
    """A worker outliving its scan (SIGKILL, OOM) stops before its next group: nothing it would
    read is ever merged, and it must not hold a core for a scan that is gone. Found: the first
    worker read on, its reports taken by the pipe the second worker had inherited."""
    import select
    import signal
    import time

    from statusline.index.workers import parse_in_workers

    read_log = tmp_path / "read"
    first_ends_r, first_ends_w = os.pipe()  # EOF once the scan and the first worker are gone

    def read_group(task):
        name = task[0]
        with open(read_log, "a", encoding="ascii") as fh:
            fh.write(f"{name}\n")
        if name in ("a", "b"):  # each worker's first group: the scan is killed meanwhile
            if name == "b":
                os.close(first_ends_w)  # the second worker does not hold it
            (tmp_path / f"{name}.ready").write_text("")
            with open(tmp_path / name, "rb") as fh:
                fh.read()
        return [], {}, 0

    for name in ("a", "b"):
        os.mkfifo(tmp_path / name)
    tasks, sizes = [("a",), ("b",), ("c",), ("d",)], [1, 1, 1, 1]  # shares: a, c and b, d
    pid = os.fork()
    if pid == 0:
        try:
            os.close(first_ends_r)
            list(parse_in_workers(tasks, sizes, 2, str(tmp_path / "spool"), read_group))
        finally:
            os._exit(0)
    os.close(first_ends_w)
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"{n}.ready").exists() for n in ("a", "b")):  # bounded poll
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    try:
        with open(tmp_path / "a", "wb"):
            pass  # the first worker goes on
        assert select.select([first_ends_r], [], [], 60)[0] and os.read(first_ends_r, 1) == b""
    finally:
        os.close(first_ends_r)
        with open(tmp_path / "b", "wb"):
            pass  # the second one too
    assert sorted(read_log.read_text().split()) == ["a", "b"]


def test_workers_take_groups_from_one_queue_so_a_slow_one_holds_back_no_other(tmp_path):
    """One worker stuck on a group (a huge session, or a core taken by other work): the other
    takes every other group meanwhile. With fixed shares half of them waited for the stuck one."""
    import signal

    from statusline.index.workers import parse_in_workers

    os.mkfifo(tmp_path / "a")

    def read_group(task):
        if task == "a":  # taken first: held until every other group is reported
            with open(tmp_path / "a", "rb") as fh:
                fh.read()
        return [task], {0: task.encode()}, 1

    tasks = ["a", "b", "c", "d", "e", "f"]
    sizes = [1] * 6  # fixed shares would give the stuck worker c and e too
    reports: list[tuple[str, str]] = []
    signal.signal(signal.SIGALRM, signal.default_int_handler)
    signal.alarm(120)  # a failure, not a hang, if the stuck worker holds any other group
    try:
        for spool, (index, _fields, _places, _count) in parse_in_workers(
            tasks, sizes, 2, str(tmp_path / "spool"), read_group
        ):
            reports.append((tasks[index], spool))
            if len(reports) == 5:
                with open(tmp_path / "a", "wb"):
                    pass  # let the stuck worker finish
    finally:
        signal.alarm(0)
    assert [name for name, _ in reports] == ["b", "c", "d", "e", "f", "a"]
    assert len({spool for name, spool in reports if name != "a"}) == 1  # one worker took them all


def test_a_queue_that_does_not_fit_a_pipe_falls_back_to_shares(tmp_path, monkeypatch):
    from statusline.index import workers

    def full(fd, data):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    fds_before = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(workers, "write_all", full)
    assert workers._queue([0, 1, 2]) is None
    assert len(os.listdir("/proc/self/fd")) == fds_before
    monkeypatch.undo()

    def read_group(task):
        return [task], {0: b"x"}, 1

    monkeypatch.setattr(workers, "_queue", lambda order: None)
    reports = list(workers.parse_in_workers([1, 2, 3, 4], [1, 2, 3, 4], 2, str(tmp_path / "s"), read_group))
    assert sorted(r[0] for _, r in reports) == [0, 1, 2, 3]
