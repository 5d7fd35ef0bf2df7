"""A cold build's split merge: the later days' process never writes past the scan that forked it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import COSTLINE, assistant, payload, report_json, run_costline, write_transcript

from statusline.timeutil import DAY_MS

OPUS = {"input_tokens": 1000, "output_tokens": 2000}  # Opus 4.8 at list price: $0.055
BIG = {"input_tokens": 0, "output_tokens": 90_000}  # $2.25


def iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def _two_days(config_dir: Path, at_ms: int) -> list[Path]:
    """Three sessions, each with four messages yesterday and four at `at_ms`: a cold build with
    two workers splits its merge at midnight, the later process merging today's one window."""
    paths = []
    for n in range(3):
        lines = [
            assistant(
                msg_id=f"m{n}-{d}-{i}",
                request_id=f"r{n}-{d}-{i}",
                ts=iso(at_ms - d * DAY_MS),
                usage=OPUS,
                session=f"s{n}",
            )
            for d in (1, 0)
            for i in range(4)
        ]
        paths.append(write_transcript(config_dir, "p", f"s{n}.jsonl", lines))
    return paths


def _wait_for(path: Path, proc: subprocess.Popen[bytes]) -> None:
    """Bounded poll for the file a paused process writes."""
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[0].decode()  # it never split
        assert time.monotonic() < deadline, "the later half never paused"
        time.sleep(0.01)


def _render(path: Path, session: str) -> str:
    """One render, with no detached refresh to race with."""
    stamp = Path(os.environ["COSTLINE_CACHE_DIR"]) / "refresh.stamp"
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    done = run_costline(payload(path, session=session), env={"NO_COLOR": "1", "COLUMNS": "400"})
    assert done.returncode == 0
    return done.stdout.decode()


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_cold_builds_later_half_loses_no_response_a_render_booked(config_dir, tmp_path, how):
    """The scan dies while the process merging today waits to write today's hour file; a render
    books a new $2.25 response into that hour; then that process goes on. Found: it wrote the
    hour file it held in memory over the render's, and the response was gone for good."""
    now = int(time.time() * 1000) - 2000
    if time.gmtime(now / 1000).tm_mday != time.gmtime((now + 60_000) / 1000).tm_mday:
        pytest.skip("too close to midnight UTC")
    paths = _two_days(config_dir, now)
    fifo = tmp_path / "pause"
    os.mkfifo(fifo)
    env = dict(os.environ)
    env.update(COSTLINE_SPLIT_PAUSE=str(fifo), COSTLINE_SCAN_WORKERS="2", COSTLINE_PARALLEL_MIN_BYTES="0")
    scan = subprocess.Popen(
        [COSTLINE, "index", "refresh"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
    )
    _wait_for(Path(f"{fifo}.ready"), scan)
    scan.send_signal(how)
    assert scan.wait(30) == -how
    with open(paths[0], "a", encoding="utf-8") as fh:
        fh.write(assistant(msg_id="big", request_id="rbig", ts=iso(now), usage=BIG, session="s0") + "\n")
    assert " today" in _render(paths[0], "s0")  # takes the lock the scan held, books $2.25
    with open(fifo, "wb"):
        pass  # the later half goes on
    scan.communicate(timeout=60)  # its output pipe ends when the later half has exited too
    today = time.strftime("%Y-%m-%d", time.gmtime(now / 1000))
    rows = {row["period"]: row for row in report_json("daily")["daily"]}
    assert rows[today]["totalCost"] == pytest.approx(12 * 0.055 + 2.25)
    assert "$2.91 today" in _render(paths[0], "s0")


def test_the_scan_after_a_killed_split_merge_builds_what_a_clean_one_builds(config_dir, tmp_path):
    """Killed with its later half about to write: the next scan reads every group of that build
    again (none had its offsets saved) and the index is the one a clean build makes."""
    from index_helpers import loads
    from test_workers import _index

    from statusline.index.scan import scan
    from statusline.index.store import Store

    now = int(time.time() * 1000) - 2000
    _two_days(config_dir, now)
    scan(Store(str(tmp_path / "clean")), loads, workers=1)
    fifo = tmp_path / "pause"
    os.mkfifo(fifo)
    env = dict(os.environ)
    env.update(COSTLINE_SPLIT_PAUSE=str(fifo), COSTLINE_SCAN_WORKERS="2", COSTLINE_PARALLEL_MIN_BYTES="0")
    killed = subprocess.Popen(
        [COSTLINE, "index", "refresh"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
    )
    _wait_for(Path(f"{fifo}.ready"), killed)
    cache = os.environ["COSTLINE_CACHE_DIR"]
    # The earlier half merges beside the paused later one, into its own tree (moved in once both
    # are done): kill only once it has written its day (it failed about one run in three under
    # load when killed before, with nothing written yet).
    deadline = time.monotonic() + 60
    while not list(Path(Store(cache).root).glob("spool-*/earlier/days/*")):
        assert killed.poll() is None and time.monotonic() < deadline, "the earlier half never wrote"
        time.sleep(0.01)
    assert Store(cache).indexed_days() == []  # nothing moved in before both halves are done
    killed.kill()
    killed.wait(30)
    with open(fifo, "wb"):
        pass
    killed.communicate(timeout=60)
    assert run_costline(b"", "index", "refresh").returncode == 0
    assert _index(cache) == _index(str(tmp_path / "clean"))


def test_a_cold_build_killed_part_way_leaves_the_line_marked_unfinished(config_dir):
    """An index that was complete but empty (no transcripts yet) gets its first history; the
    build is killed after its first hour file: the line's today is marked `…`, not confident."""
    assert run_costline(b"", "index", "refresh").returncode == 0  # complete, and empty
    now = int(time.time() * 1000) - 2000
    if time.gmtime(now / 1000).tm_mday != time.gmtime((now + 60_000) / 1000).tm_mday:
        pytest.skip("too close to midnight UTC")
    paths = _two_days(config_dir, now)
    killed = run_costline(b"", "index", "refresh", env={"COSTLINE_KILL_AT_WRITE": "3"})
    assert killed.returncode == -9
    assert "$0.22… today" in _render(paths[0], "s0")  # s0's own four messages so far


def test_a_split_merge_moves_in_only_what_its_own_later_half_wrote(config_dir, tmp_path):
    """A killed build's later half leaves its tree in `spool-<pid>/later` (it stops at its next
    write, and the tree is swept only once no process has that pid). A scan that gets the same
    pid (pids wrap; a container's are few) splits its cold merge into the same folder and moves
    in every file there: here a day the killed build had staged, priced as if it were logged."""
    from index_helpers import loads
    from test_workers import _index

    from statusline.index.exact import Batch
    from statusline.index.lines import records_from_line
    from statusline.index.scan import scan
    from statusline.index.store import Store

    now = int(time.time() * 1000) - 2000
    _two_days(config_dir, now)
    scan(Store(str(tmp_path / "clean")), loads, workers=1)
    st = Store(os.environ["COSTLINE_CACHE_DIR"])
    st.ensure()
    leftover = Store(st.cache)
    leftover.root = st.path(f"spool-{os.getpid()}", "later")  # as this pid's killed build left it
    line = assistant(msg_id="old", request_id="rold", ts="2020-01-01T05:00:00.000Z", usage=BIG, session="s9")
    batch = Batch(leftover)
    for rec in records_from_line(line.encode(), loads, "s9"):
        batch.add(rec)
    batch.commit()
    scan(st, loads, workers=2, parallel_min_bytes=0)
    assert "2020-01-01" not in st.indexed_days()
    assert _index(st.cache) == _index(str(tmp_path / "clean"))
