"""Bad files are skipped and counted, never fatal, and never change the totals of good ones."""

from __future__ import annotations

import os

import pytest
from helpers import assistant, write_transcript
from index_helpers import loads, priced, store

from statusline.index import lines, scanread
from statusline.index.exact import Batch, ingest_group
from statusline.index.update import group_of, load_group

ONE = 10 * 5 / 1e6 + 100 * 25 / 1e6


def counters_of(path) -> dict:
    return store().read_group(group_of(str(path))[0])["counters"]


def test_line_over_the_limit_is_skipped_without_holding_it(config_dir, monkeypatch):
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", 5000)
    monkeypatch.setattr(scanread, "SCAN_CHUNK", 1000)
    huge = '{"usage":{"pad":"' + "x" * 50_000 + '"}}'
    path = write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [assistant(msg_id="a", request_id="ra"), huge, assistant(msg_id="b", request_id="rb")],
    )
    st = store()
    st.ensure()
    name, session, project = group_of(str(path))
    group = load_group(st, name, session, project, 0)
    batch = Batch(st)
    while True:  # a small budget, as a render has: the long line is crossed in pieces
        _used, more = ingest_group(st, batch, group, [str(path)], loads, 2000)
        if not more:
            break
    batch.commit()
    st.write(f"groups/{name}", group)
    assert priced().usd == pytest.approx(2 * ONE)
    assert counters_of(path)["garbage"] == 1


def test_line_longer_than_the_budget_but_under_the_limit_is_read(config_dir):
    long_ok = assistant(msg_id="big", request_id="rbig").replace(
        '"text":"hi"', '"text":"' + "y" * 300_000 + '"'
    )
    write_transcript(config_dir, "p", "s1.jsonl", [long_ok, assistant(msg_id="b", request_id="rb")])
    st = store()
    st.ensure()
    path = config_dir / "projects" / "p" / "s1.jsonl"
    name, session, project = group_of(str(path))
    group = load_group(st, name, session, project, 0)
    batch = Batch(st)
    ingest_group(st, batch, group, [str(path)], loads, 1000)
    batch.commit()
    assert batch.counters["entries"] >= 1


def test_symlink_loop_directory_and_binary_garbage(config_dir):
    folder = config_dir / "projects" / "p"
    write_transcript(config_dir, "p", "good.jsonl", [assistant()])
    os.symlink(folder / "loop.jsonl", folder / "loop.jsonl")
    (folder / "dir.jsonl").mkdir()
    os.symlink(folder, folder / "self")  # a directory loop
    (folder / "binary.jsonl").write_bytes(os.urandom(20_000) + b'\n"usage":{\xff\n')
    assert priced().usd == pytest.approx(ONE)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file_is_counted(config_dir):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    good = write_transcript(
        config_dir, "p", "s2.jsonl", [assistant(msg_id="b", request_id="rb", session="s2")]
    )
    path.chmod(0)
    try:
        assert priced().usd == pytest.approx(ONE)
        assert counters_of(path)["unreadable"] == 1
    finally:
        path.chmod(0o600)
    assert good.exists()


def test_file_truncated_between_reads(config_dir):
    path = write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(msg_id=f"m{i}", request_id=f"r{i}") for i in range(5)]
    )
    assert priced().usd == pytest.approx(5 * ONE)
    with open(path, "r+b") as fh:
        fh.truncate(100)  # mid-line: what is left is garbage, what was read stays counted
    assert priced().usd == pytest.approx(5 * ONE)
