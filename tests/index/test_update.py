"""Incremental reads, dedup, crash safety and repair of the index."""

from __future__ import annotations

import os

import pytest
from helpers import ONE, assistant, user, write_transcript
from hypothesis import given, settings
from hypothesis import strategies as st
from index_helpers import day, loads, priced, refresh, store

from statusline.index import upkeep
from statusline.index.exact import Batch, ingest_group
from statusline.index.update import commit_groups, group_of, load_group


def counters_of(path) -> dict:
    return store().read_group(group_of(str(path))[0])["counters"]


# -- dedup ---------------------------------------------------------------------------------
def test_streaming_copies_count_once(config_dir):
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(), assistant(), assistant()])
    assert priced().usd == pytest.approx(ONE)


def test_copy_with_most_tokens_wins_whatever_the_order(config_dir):
    small = assistant(usage={"output_tokens": 1})
    big = assistant(usage={"output_tokens": 1000})
    write_transcript(config_dir, "p", "s1.jsonl", [small, big, small])
    assert priced().usd == pytest.approx(10 * 5 / 1e6 + 1000 * 25 / 1e6)


def test_copies_across_files_and_config_dirs_count_once(config_dir, tmp_path, monkeypatch):
    other = tmp_path / "other-config"
    write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    write_transcript(other, "q", "s2.jsonl", [assistant(session="s2")])
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{config_dir},{other}")
    assert priced().usd == pytest.approx(ONE)


def test_subagent_copies_under_the_session_folder_count_once(config_dir):
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="a", request_id="ra")])
    write_transcript(
        config_dir,
        "p",
        "s1/subagents/agent-1.jsonl",
        [
            assistant(msg_id="a", request_id="ra", sidechain=True),
            assistant(msg_id="b", request_id="rb", sidechain=True),
        ],
    )
    assert priced().usd == pytest.approx(2 * ONE)


def test_sidechain_copy_loses_to_main_even_with_more_tokens(config_dir):
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [
            assistant(
                sidechain=True,
                request_id="r-side",
                usage={"output_tokens": 5000},
                ts="2026-11-20T10:00:00.000Z",
            ),
            assistant(ts="2026-11-20T10:00:01.000Z"),
        ],
    )
    assert priced().usd == pytest.approx(ONE)


def test_same_message_different_requests_both_count(config_dir):
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(request_id="r1"), assistant(request_id="r2")])
    assert priced().usd == pytest.approx(2 * ONE)


def test_without_request_id_copies_count_once_across_sessions(config_dir):
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(request_id=None), assistant(request_id=None)])
    write_transcript(config_dir, "p", "s2.jsonl", [assistant(request_id=None, session="s2")])
    assert priced().usd == pytest.approx(ONE)


@pytest.mark.parametrize("first", ["with", "without"])
def test_a_copy_without_a_request_id_matches_one_with_it_in_any_session(config_dir, first):
    """When either copy has no request id, the message id alone identifies the response (a
    gateway that sends none, a fork's progress copy): counted once, whichever is read first."""
    with_id = assistant(request_id="r1", usage={"output_tokens": 200})
    without = assistant(request_id=None, session="s2")
    lines = {"with": with_id, "without": without}
    write_transcript(config_dir, "p", "a.jsonl", [lines[first]])
    write_transcript(config_dir, "p", "b.jsonl", [lines["without" if first == "with" else "with"]])
    assert priced().usd == pytest.approx(10 * 5 / 1e6 + 200 * 25 / 1e6)  # the larger copy, once


def test_real_forked_session_replays_history_once(config_dir, monkeypatch):
    """Captured from Claude Code 2.1.197: `--continue --fork-session` copies the history into a new
    file with the original message ids and timestamps but the new session id (and, against the
    fake API, no request ids). Four responses were made in all; each costs $0.0283."""
    from pathlib import Path

    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(Path(__file__).resolve().parent.parent / "data" / "forked"))
    assert priced().usd == pytest.approx(4 * 0.0283)


def test_without_message_id_identical_lines_count_once_and_rereads_are_harmless(config_dir):
    path = write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [assistant(msg_id=None), assistant(msg_id=None), assistant(msg_id=None, usage={"output_tokens": 7})],
    )
    assert priced().usd == pytest.approx(ONE + (10 * 5 + 7 * 25) / 1e6)
    copy = path.with_suffix(".new")
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)  # a new inode: the file is read again from the start
    assert priced().usd == pytest.approx(ONE + (10 * 5 + 7 * 25) / 1e6)


def test_tie_prefers_the_copy_that_records_speed(config_dir):
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [
            assistant(ts="2026-11-20T23:50:00.000Z"),
            assistant(ts="2026-11-21T00:30:00.000Z", usage={"speed": "standard"}),
        ],
    )
    refresh()
    assert day("2026-11-20").usd == 0
    assert day("2026-11-21").usd == pytest.approx(ONE)


def test_tie_keeps_the_first_copy(config_dir):
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [
            assistant(ts="2026-11-20T23:50:00.000Z"),
            assistant(ts="2026-11-21T00:30:00.000Z"),
        ],
    )
    refresh()
    assert day("2026-11-20").usd == pytest.approx(ONE)
    assert day("2026-11-21").usd == 0


def test_winner_moves_the_message_to_its_own_day(config_dir):
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [
            assistant(ts="2026-11-20T23:59:00.000Z", usage={"output_tokens": 1}),
            assistant(ts="2026-11-21T00:01:00.000Z", usage={"output_tokens": 100}),
        ],
    )
    refresh()
    assert day("2026-11-20").usd == 0
    assert day("2026-11-21").usd == pytest.approx(ONE)


def test_resumed_session_replaying_history_counts_once(config_dir):
    history = [
        assistant(msg_id=f"m{i}", request_id=f"r{i}", ts=f"2026-11-20T10:0{i}:00.000Z") for i in range(5)
    ]
    write_transcript(config_dir, "p", "s1.jsonl", history)
    refresh()
    # A later session file replays the same lines (same ids and timestamps), then continues.
    write_transcript(
        config_dir, "p", "s2.jsonl", [*history, assistant(msg_id="new", request_id="rn", session="s2")]
    )
    assert priced().usd == pytest.approx(6 * ONE)


# -- incremental reads ---------------------------------------------------------------------
def test_appended_lines_are_read_once(config_dir):
    path = write_transcript(config_dir, "p", "s1.jsonl", [user(), assistant(msg_id="a", request_id="ra")])
    assert priced().usd == pytest.approx(ONE)
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="b", request_id="rb")], mode="a")
    assert priced().usd == pytest.approx(2 * ONE)
    group = store().read_group(group_of(str(path))[0])
    assert group["files"][str(path)][3] == path.stat().st_size
    assert group["counters"]["lines"] == 2 and group["counters"]["entries"] == 2  # lines with usage


def test_partial_last_line_waits_for_its_end(config_dir):
    full = assistant(msg_id="b", request_id="rb")
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="a", request_id="ra")])
    with open(path, "a") as fh:
        fh.write(full[:40])
    assert priced().usd == pytest.approx(ONE)
    with open(path, "a") as fh:
        fh.write(full[40:] + "\n")
    assert priced().usd == pytest.approx(2 * ONE)
    assert store().read_group(group_of(str(path))[0])["counters"]["garbage"] == 0


def test_complete_unterminated_last_line_counts_and_is_not_counted_again(config_dir):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="a", request_id="ra")])
    with open(path, "a") as fh:
        fh.write(assistant(msg_id="b", request_id="rb"))
    assert priced().usd == pytest.approx(2 * ONE)  # a whole JSON object: counted provisionally
    assert priced().usd == pytest.approx(2 * ONE)  # and not again on the next read
    with open(path, "a") as fh:
        fh.write("\n" + assistant(msg_id="c", request_id="rc") + "\n")
    assert priced().usd == pytest.approx(3 * ONE)
    counters = counters_of(path)
    assert (counters["lines"], counters["entries"], counters["duplicates"]) == (3, 3, 0)


def test_partial_line_quiet_for_long_is_never_final(config_dir):
    # Found: an unfinished last line quiet for 5 minutes was taken as garbage and lost later.
    full = assistant(msg_id="b", request_id="rb")
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="a", request_id="ra")])
    with open(path, "a") as fh:
        fh.write(full[:60])
    old = path.stat().st_mtime - 3600
    os.utime(path, (old, old))
    assert priced().usd == pytest.approx(ONE)
    assert counters_of(path)["garbage"] == 0
    with open(path, "a") as fh:
        fh.write(full[60:] + "\n")
    assert priced().usd == pytest.approx(2 * ONE)
    assert counters_of(path)["garbage"] == 0


def test_byte_order_mark_keeps_the_first_line(config_dir):
    path = config_dir / "projects" / "p" / "s1.jsonl"
    path.parent.mkdir(parents=True)
    body = assistant(msg_id="a", request_id="ra") + "\r\n" + assistant(msg_id="b", request_id="rb") + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    assert priced().usd == pytest.approx(2 * ONE)


def test_same_size_rewrite_in_place_is_read_again(config_dir):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m1", request_id="r1")])
    assert priced().usd == pytest.approx(ONE)
    size, ino = path.stat().st_size, path.stat().st_ino
    with open(path, "r+b") as fh:  # same inode, same size, other message
        fh.write((assistant(msg_id="m2", request_id="r2") + "\n").encode())
    assert path.stat().st_size == size and path.stat().st_ino == ino
    assert priced().usd == pytest.approx(2 * ONE)


def test_recreated_file_on_the_same_inode_is_read_from_the_start(config_dir):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m1", request_id="r1")])
    assert priced().usd == pytest.approx(ONE)
    ino = path.stat().st_ino
    write_transcript(  # truncated and rewritten, longer than what was read: same inode
        config_dir, "p", "s1.jsonl", [assistant(msg_id=f"n{i}", request_id=f"q{i}") for i in range(3)]
    )
    assert path.stat().st_ino == ino
    assert priced().usd == pytest.approx(4 * ONE)


def test_symlinked_project_folder_is_read_once(config_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere" / "proj"
    elsewhere.mkdir(parents=True)
    (elsewhere / "s1.jsonl").write_text(assistant(msg_id="m1", request_id="r1") + "\n")
    os.symlink(elsewhere, config_dir / "projects" / "linked")
    os.symlink(elsewhere, config_dir / "projects" / "linked-again")  # the same real files
    os.symlink(config_dir / "projects", elsewhere / "loop")  # and a way back up
    assert priced().usd == pytest.approx(ONE)
    from statusline.cli.doctor import check_config_dirs

    assert "1 transcripts" in check_config_dirs().detail


def test_truncated_file_is_reread_without_double_counting(config_dir):
    lines = [assistant(msg_id=f"m{i}", request_id=f"r{i}") for i in range(3)]
    write_transcript(config_dir, "p", "s1.jsonl", lines)
    assert priced().usd == pytest.approx(3 * ONE)
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m0", request_id="r0")])
    assert priced().usd == pytest.approx(3 * ONE)  # history is kept
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m9", request_id="r9")], mode="a")
    assert priced().usd == pytest.approx(4 * ONE)


def test_replaced_file_is_detected_by_inode(config_dir):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m1", request_id="r1")])
    assert priced().usd == pytest.approx(ONE)
    tmp = path.with_suffix(".new")
    tmp.write_text(assistant(msg_id="m2", request_id="r2") + "\n")
    os.replace(tmp, path)
    assert priced().usd == pytest.approx(2 * ONE)


def test_deleted_transcripts_keep_their_history(config_dir):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    assert priced().usd == pytest.approx(ONE)
    path.unlink()
    assert priced().usd == pytest.approx(ONE)


def test_garbage_lines_are_counted_not_fatal(config_dir):
    path = write_transcript(
        config_dir, "p", "s1.jsonl", ['{"usage":{ broken', "\x00\x01", assistant(), "not json"]
    )
    with open(path, "ab") as fh:
        fh.write(b'{"usage":{"x":"\xff\xfe"}}\n')
    assert priced().usd == pytest.approx(ONE)
    counters = store().read_group(group_of(str(path))[0])["counters"]
    assert counters["garbage"] == 2 and counters["entries"] == 1


def test_read_budget_bounds_one_pass(config_dir):
    lines = [assistant(msg_id=f"m{i}", request_id=f"r{i}") for i in range(50)]
    path = write_transcript(config_dir, "p", "s1.jsonl", lines)
    st = store()
    st.ensure()
    name, session, project = group_of(str(path))
    group = load_group(st, name, session, project, 0)
    batch = Batch(st)
    used, more = ingest_group(st, batch, group, [str(path)], loads, 2000)
    assert more and used < path.stat().st_size
    batch.commit()


# -- crash safety and repair ---------------------------------------------------------------
def test_crash_before_offsets_are_saved_loses_nothing_and_adds_nothing(config_dir):
    lines = [assistant(msg_id="a", request_id="ra"), assistant(msg_id="b", request_id="rb")]
    path = write_transcript(config_dir, "p", "s1.jsonl", lines)
    st = store()
    st.ensure()
    name, session, project = group_of(str(path))
    group = load_group(st, name, session, project, 0)
    batch = Batch(st)
    ingest_group(st, batch, group, [str(path)], loads, 1 << 20)
    batch.commit()  # hour and day files written; the process "dies" before the group is saved
    assert priced().usd == pytest.approx(2 * ONE)


def test_stale_day_summary_is_rebuilt_from_hour_files(config_dir):
    write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    st = refresh()
    st.write("days/2026-11-20", {"sig": {}, "hours": {}})  # a summary from before a crash
    assert day("2026-11-20").usd == pytest.approx(ONE)


def test_corrupt_hour_file_is_set_aside_and_rebuilt_from_logs(config_dir):
    write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    st = refresh()
    with open(st.path("hours/2026-11-20/10"), "wb") as fh:
        fh.write(b"garbage")
    priced()  # finds the damage, sets the file aside and asks for a full re-read
    assert os.listdir(st.path("corrupt"))
    assert priced().usd == pytest.approx(ONE)


def test_corrupt_group_file_rereads_its_logs_without_double_counting(config_dir):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    st = refresh()
    with open(st.path(f"groups/{group_of(str(path))[0]}"), "wb") as fh:
        fh.write(b"\x00")
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="b", request_id="rb")], mode="a")
    assert priced().usd == pytest.approx(2 * ONE)


def test_index_files_are_private(config_dir):
    write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    st = refresh()
    assert os.stat(st.root).st_mode & 0o777 == 0o700
    for folder, _dirs, files in os.walk(st.root):
        for name in files:
            assert os.stat(os.path.join(folder, name)).st_mode & 0o077 == 0, name


def test_rebuild_twice_gives_the_counters_of_one_cold_read(config_dir):
    # Found: a 2-line file showed lines 6, duplicates 5 after two rebuilds.
    from helpers import run_costline

    lines = [
        assistant(msg_id="a", request_id="ra", usage={"output_tokens": 5}),
        assistant(msg_id="a", request_id="ra"),
    ]
    path = write_transcript(config_dir, "p", "s1.jsonl", [*lines, assistant(msg_id="b", request_id="rb")])
    fork = write_transcript(
        config_dir, "p", "s2.jsonl", [assistant(msg_id="b", request_id="rb", session="s2")]
    )
    refresh()
    cold = (counters_of(path), counters_of(fork))
    assert (cold[0]["lines"], cold[0]["entries"], cold[0]["duplicates"]) == (3, 2, 1)
    for _ in range(2):
        assert run_costline(b"", "index", "rebuild").returncode == 0
        assert (counters_of(path), counters_of(fork)) == cold
    assert priced().usd == pytest.approx(2 * ONE)


def test_parallel_scan_equals_one_process(config_dir, tmp_path):
    """Worker processes parse, one writer merges: same buckets and counters as in process."""
    import random

    from statusline.index.scan import scan
    from statusline.index.store import Store

    rng = random.Random(7)
    for n in range(12):
        lines = []
        for i in range(30):
            msg = f"m{rng.randrange(200)}"  # shared ids across files: dedup across workers
            usage = {"input_tokens": rng.randrange(1, 5000), "output_tokens": rng.randrange(1, 900)}
            ts = f"2026-11-{20 + i % 3}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00.000Z"
            lines.append(assistant(msg_id=msg, request_id=f"r{msg}", usage=usage, ts=ts, session=f"s{n}"))
        write_transcript(config_dir, f"p{n % 3}", f"s{n}.jsonl", lines)
    results = []
    for name, workers in (("one", 1), ("two", 2)):
        st = Store(str(tmp_path / name))
        scan(st, loads, workers=workers, parallel_min_bytes=0)
        from statusline.index.readback import range_buckets

        buckets = sorted((qh, m, c, tuple(v[:7])) for qh, m, c, v in range_buckets(st, 0, 1 << 62))
        counters = sorted((g["session"], tuple(sorted(g["counters"].items()))) for g in upkeep.groups(st))
        results.append((buckets, counters))
    assert results[0] == results[1] and results[0][0]


def test_copy_sums_kept_in_hour_files_equal_a_walk_over_their_keys(config_dir):
    """The per-session sums of copies are kept incrementally; a walk over the keys is the model."""
    import random

    from statusline.index.readback import copy_sums

    rng = random.Random(11)
    for n in range(6):  # sessions replaying each other's messages, with better and worse copies
        lines = []
        for _ in range(40):
            msg = f"m{rng.randrange(25)}"
            usage = {"input_tokens": rng.randrange(1, 50), "output_tokens": rng.randrange(1, 50)}
            ts = f"2026-11-20T10:{rng.randrange(60):02d}:00.000Z"
            lines.append(assistant(msg_id=msg, request_id=f"r{msg}", usage=usage, ts=ts, session=f"s{n}"))
        write_transcript(config_dir, "p", f"s{n}.jsonl", lines)
    st = refresh()
    shard = st.read("hours/2026-11-20/10")
    assert shard["copies"] and shard["copies"] == copy_sums(shard)


def test_a_scan_overtaken_by_another_writer_counts_nothing_twice(config_dir):
    """A render (or a second scan) reads a session on while a scan is between parse and merge."""
    from statusline.index.merge import Merge
    from statusline.index.scan import _by_hour, _read_paths, _saved_states, scan

    lines = [assistant(msg_id=f"m{i}", request_id=f"r{i}") for i in range(4)]
    path = write_transcript(config_dir, "p", "s1.jsonl", lines)
    st = store()
    st.ensure()
    name, session, project = group_of(str(path))
    saved = _saved_states(st, name, 0)
    merge = Merge(st, 0)
    merge.add(name, session, project, _by_hour(_read_paths((name, [str(path)], saved), loads)), saved)
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m9", request_id="r9")], mode="a")
    scan(st, loads)  # someone else indexes the file to its end first
    assert merge.commit() == [name]  # nothing merged twice; the caller reads on from there
    counters = counters_of(path)
    assert (counters["lines"], counters["entries"], counters["duplicates"]) == (5, 5, 0)
    assert priced().usd == pytest.approx(5 * ONE)


def test_a_scan_overtaken_by_a_render_that_counted_a_tail_counts_nothing_twice(config_dir):
    """A render counts an unterminated usage line provisionally (its offset stays put) while a
    scan is between parse and merge: the scan must not merge its own copy of that line."""
    from statusline.index.merge import Merge
    from statusline.index.scan import _by_hour, _read_paths, _saved_states

    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m0", request_id="r0")])
    refresh()
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(assistant(msg_id="m1", request_id="r1"))  # no newline yet
    st = store()
    name, session, project = group_of(str(path))
    saved = _saved_states(st, name, 0)
    merge = Merge(st, 0)
    merge.add(name, session, project, _by_hour(_read_paths((name, [str(path)], saved), loads)), saved)
    render = store()  # a render reads the session on, tail included
    render.lock(blocking=True)
    group = load_group(render, name, session, project, 0)
    batch = Batch(render)
    ingest_group(render, batch, group, [str(path)], loads, 1 << 20)
    commit_groups(render, batch, {name: group}, summaries=False)
    render.unlock()
    merge.commit()
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n")
    refresh()
    counters = counters_of(path)
    assert (counters["lines"], counters["entries"], counters["duplicates"]) == (2, 2, 0)
    assert priced().usd == pytest.approx(2 * ONE)


@pytest.mark.parametrize("kill_at", [2, 3, 4])
def test_a_scan_killed_before_saving_states_keeps_the_counters_of_one_read(config_dir, kill_at):
    from helpers import run_costline

    lines = [
        assistant(msg_id="a", request_id="ra", usage={"output_tokens": 5}),
        assistant(msg_id="a", request_id="ra"),
    ]
    path = write_transcript(config_dir, "p", "s1.jsonl", [*lines, assistant(msg_id="b", request_id="rb")])
    killed = run_costline(b"", "index", "refresh", env={"COSTLINE_KILL_AT_WRITE": str(kill_at)})
    assert killed.returncode in (0, -9)
    assert run_costline(b"", "index", "refresh").returncode == 0
    counters = counters_of(path)
    assert (counters["lines"], counters["entries"], counters["duplicates"]) == (3, 2, 1)
    assert priced().usd == pytest.approx(2 * ONE)


@pytest.mark.parametrize("seed", range(8))
def test_a_read_into_a_reused_buffer_finds_what_a_plain_read_finds(tmp_path, seed):
    """Appends, unfinished tails, long lines, rewrites and truncations, read step by step both
    ways; the one buffer is reused across files and steps, so it holds stale bytes past a read."""
    import random

    from statusline.index.newlines import read_new_lines

    rng = random.Random(seed)
    buffer = bytearray()
    paths = [tmp_path / f"{n}.jsonl" for n in range(3)]
    for path in paths:
        path.write_bytes(b"")
    states: dict[object, dict[object, object]] = {False: {}, True: {}}
    for _ in range(60):
        path = rng.choice(paths)
        action = rng.random()
        piece = b"".join(
            rng.choice([b"x" * rng.randrange(1, 300), b"\r", b"\n", b"\xef\xbb\xbf", b"usage"])
            for _ in range(rng.randrange(1, 8))
        )
        if action < 0.6:
            with open(path, "ab") as fh:
                fh.write(piece)
        elif action < 0.7:
            path.write_bytes(piece)  # rewritten
        elif action < 0.75:
            path.write_bytes(path.read_bytes()[: rng.randrange(0, 1 + path.stat().st_size)])
        budget = rng.choice([7, 64, 500, 1 << 20])
        whole = rng.random() < 0.5
        seen = []
        for buffered in (False, True):
            found = read_new_lines(
                str(path), states[buffered].get(path), budget, whole, buffer if buffered else None
            )
            states[buffered][path] = found.state
            seen.append(
                (
                    bytes(found.data[found.start : found.end]),
                    found.tail,
                    found.state,
                    found.consumed,
                    found.more,
                )
            )
        assert seen[0] == seen[1]


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab9-_.~ /é\\\x00٣\u2028"), max_size=12) | st.text(max_size=12))
def test_safe_names_keep_letters_digits_and_dash_underscore_dot_only(text):
    from statusline.index.update import _safe

    assert _safe(text) == "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def test_a_cold_build_counts_copies_across_a_window_edge_as_duplicates(config_dir):
    """Streaming copies of one response either side of 12:00 UTC (where a scan's two-hour
    windows meet): one entry and one duplicate, as anywhere else in the day."""
    lines = [
        assistant(
            msg_id="m",
            request_id="r",
            ts="2026-11-20T11:59:59.000Z",
            usage={"input_tokens": 5, "output_tokens": 1},
        ),
        assistant(msg_id="m", request_id="r", ts="2026-11-20T12:00:01.000Z"),
    ]
    path = write_transcript(config_dir, "p", "s1.jsonl", lines)
    refresh()
    counters = counters_of(path)
    assert (counters["lines"], counters["entries"], counters["duplicates"]) == (2, 1, 1)
    assert priced().usd == pytest.approx(ONE)


@pytest.mark.parametrize(
    "before, after",
    [
        ("2026-11-20T05:59:59.700Z", "2026-11-20T06:00:00.100Z"),
        ("2026-11-20T23:59:59.700Z", "2026-11-21T00:00:00.100Z"),
    ],
)
def test_a_rebuild_counts_copies_across_a_window_edge_as_a_cold_read_does(config_dir, before, after):
    """Streaming copies either side of 06:00 UTC (where a scan's two-hour windows meet) or of
    midnight: one entry and one duplicate on a cold read and on every rebuild (a rebuild re-reads
    each group against its own copies in the hour files; the copy past the edge is not its own
    line)."""
    from helpers import run_costline

    lines = [
        assistant(msg_id="m", request_id="r", ts=before, usage={"input_tokens": 5, "output_tokens": 1}),
        assistant(msg_id="m", request_id="r", ts=after),
    ]
    path = write_transcript(config_dir, "p", "s1.jsonl", lines)
    refresh()
    cold = counters_of(path)
    assert (cold["lines"], cold["entries"], cold["duplicates"]) == (2, 1, 1)
    for _ in range(2):
        assert run_costline(b"", "index", "rebuild").returncode == 0
        assert counters_of(path) == cold
    assert priced().usd == pytest.approx(ONE)
