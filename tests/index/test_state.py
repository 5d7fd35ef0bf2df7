"""A render appends its session's state to the group's file (a frame after the whole state a
writer made), instead of replacing the file: a rename that replaces a file cost a render more
than all its other writes. The newest state is the last whole frame; a torn one leaves the first
state, an older one, which only has lines read again."""

from __future__ import annotations

import marshal
import os
import re
import time

import pytest
from helpers import assistant, payload, run_costline, wait_for_refresh, write_transcript

from statusline.index.store import STATE_GROWTH, STATE_MAGIC, Store, append_state, atomic_write, read_state
from statusline.index.update import group_of

ONE = (10 * 5 + 100 * 25) / 1e6  # helpers.assistant's usage at Opus 4.8 prices


def state(n: int) -> dict[str, object]:
    return {"files": {"/logs/s1.jsonl": [0, 1, n * 100, n * 100, 0, b"x" * 64, 0]}, "n": n}


def test_appended_states_read_back_newest_first_dump_for_older_readers(tmp_path):
    path = str(tmp_path / "group")
    atomic_write(path, marshal.dumps(state(0)))
    for n in (1, 2, 3):
        append_state(path, state(n))
        assert read_state(path)[0] == state(n)
    data = (tmp_path / "group").read_bytes()
    assert data.endswith(STATE_MAGIC)
    assert marshal.loads(data) == state(0)  # a costline that knows no frames reads the first state


def test_a_torn_append_leaves_the_first_state_until_the_next_append(tmp_path):
    path = str(tmp_path / "group")
    atomic_write(path, marshal.dumps(state(0)))
    append_state(path, state(1))
    whole = (tmp_path / "group").read_bytes()
    append_state(path, state(2))
    torn = (tmp_path / "group").read_bytes()
    for cut in (len(whole) + 1, len(whole) + 20, len(torn) - len(STATE_MAGIC) - 1, len(torn) - 1):
        (tmp_path / "group").write_bytes(torn[:cut])  # killed (or read) mid-append
        assert read_state(path)[0] == state(0)  # older: its lines are read again, never skipped
    append_state(path, state(3))  # after the torn bytes: the frame says where it starts
    assert read_state(path)[0] == state(3)


def test_a_frame_whose_trailer_does_not_add_up_is_not_read(tmp_path):
    path = str(tmp_path / "group")
    atomic_write(path, marshal.dumps(state(0)))
    fake = marshal.dumps(state(9))
    for start in (0, 5, 10**6):
        body = (tmp_path / "group").read_bytes()[: len(marshal.dumps(state(0)))]
        trailer = start.to_bytes(8, "little") + len(fake).to_bytes(8, "little") + STATE_MAGIC
        (tmp_path / "group").write_bytes(body + fake + trailer)
        assert read_state(path)[0] == state(0)


def test_the_file_is_written_whole_again_before_it_grows_long(tmp_path):
    path = str(tmp_path / "group")
    atomic_write(path, marshal.dumps(state(0)))
    frame = len(marshal.dumps(state(1))) + 16 + len(STATE_MAGIC)
    inodes = set()
    for n in range(1, 3 * STATE_GROWTH):
        append_state(path, state(n))
        assert os.path.getsize(path) <= STATE_GROWTH * frame
        assert read_state(path)[0] == state(n)
        inodes.add(os.stat(path).st_ino)
    assert 2 <= len(inodes) <= 4  # rewritten (renamed) about once per STATE_GROWTH appends


def test_a_group_without_a_file_of_its_own_gets_one_written_whole(tmp_path):
    assert append_state(str(tmp_path / "group"), state(1)) is False  # nothing created
    assert not (tmp_path / "group").exists()
    st = Store(str(tmp_path / "cache"))
    st.append_group_state("p~s1", state(1))
    assert marshal.loads((tmp_path / "cache" / "index" / "v2" / "groups" / "p~s1").read_bytes()) == state(1)
    st.append_group_state("p~s1", state(2))
    assert st.read_group("p~s1") == state(2)


def _today_and_session(path) -> tuple[str, str]:
    line = run_costline(payload(path), env={"NO_COLOR": "1"}).stdout.decode()
    found = re.search(r"\$([0-9.]+)\S* today", line)
    assert found, line
    return found.group(1), line


def test_a_render_appends_its_state_and_one_killed_mid_append_loses_nothing(config_dir, tmp_path):
    cache = tmp_path / "cache"
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="a0", request_id="r0", ts=now)])
    run_costline(payload(path))
    wait_for_refresh(cache)
    assert run_costline(b"", "index", "refresh").returncode == 0
    name = group_of(str(path))[0]
    group_file = cache / "index" / "v2" / "groups" / name
    for n in range(1, 4):
        write_transcript(
            config_dir, "p", "s1.jsonl", [assistant(msg_id=f"a{n}", request_id=f"r{n}", ts=now)], mode="a"
        )
        before = group_file.stat() if group_file.exists() else None
        assert f"${(n + 1) * ONE:.2f}" == f"${_today_and_session(path)[0]}"
        after = group_file.stat()
        if before is not None:  # appended to, not replaced (a rename would give a new inode)
            assert (after.st_ino, after.st_size > before.st_size) == (before.st_ino, True)
        assert read_state(str(group_file))[0]["files"][str(path)][3] == path.stat().st_size
    for n in range(4, 7):  # killed halfway through appending its state (after booking)
        write_transcript(
            config_dir, "p", "s1.jsonl", [assistant(msg_id=f"a{n}", request_id=f"r{n}", ts=now)], mode="a"
        )
        killed = run_costline(payload(path), env={"COSTLINE_KILL_AT_WRITE": "1"})
        assert killed.returncode == -9
        assert not group_file.read_bytes().endswith(STATE_MAGIC)  # torn
        assert _today_and_session(path)[0] == f"{(n + 1) * ONE:.2f}"  # read again, counted once
    assert run_costline(b"", "index", "refresh").returncode == 0
    assert _today_and_session(path)[0] == f"{7 * ONE:.2f}"
    assert run_costline(b"", "index", "rebuild").returncode == 0
    assert _today_and_session(path)[0] == f"{7 * ONE:.2f}"


@pytest.mark.parametrize("planted", ["link", "fifo"])
def test_a_planted_file_is_never_appended_to(tmp_path, planted):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    path = tmp_path / "group"
    if planted == "link":
        path.symlink_to(victim)
    else:
        os.mkfifo(path)
    with pytest.raises(OSError):  # Refused for the link; a FIFO never opens (no reader, no wait)
        append_state(str(path), state(1))
    assert victim.read_bytes() == b"precious"
