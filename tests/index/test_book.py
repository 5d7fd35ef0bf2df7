"""A render books its new messages into its hour's delta (`<HH>.new`) when the hour's id index
(`<HH>.ids`) shows none of them can be in the hour file, and goes the exact way otherwise; the
next writer of the hour folds the delta in. Every figure is the one the exact way gives: checked
against hand-computed totals and against a cold build of the same logs."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from helpers import assistant, payload, run_costline, wait_for_refresh, write_transcript
from index_helpers import refresh

from statusline.index import exact, upkeep
from statusline.index.readback import read_hour, session_logged_sums
from statusline.index.scan import scan
from statusline.index.store import Store
from statusline.render import build_line
from statusline.timeutil import parse_iso_ms

NOW = parse_iso_ms("2026-11-20T15:30:00.000Z") / 1000
BIG = {"output_tokens": 100_000}
ONE = 10 * 5 / 1e6 + 100_000 * 25 / 1e6  # Opus 4.8, 10 in, 100,000 out: $2.50005
ENV = {"NO_COLOR": "1", "TZ": "UTC0"}
HOUR = "hours/2026-11-20/15"


@pytest.fixture(autouse=True)
def ids_for_every_hour(monkeypatch):
    """Id indexes are written for the hours near the wall clock; these tests' hours are in 2026-11."""
    monkeypatch.setattr(exact, "IDS_HOURS", 10**9)


def today(path: Path, session: str = "s1") -> float:
    line = build_line(payload(path, session=session), {**os.environ, **ENV}, NOW, [])
    found = re.search(r"\$([0-9.]+)\S* today", line)
    assert found, line
    return float(found.group(1))


def msg(name: str, minute: int, session: str = "s1", tokens: dict | None = None) -> str:
    return assistant(
        msg_id=name,
        request_id=f"r{name}",
        session=session,
        usage=tokens or BIG,
        ts=f"2026-11-20T15:{minute:02d}:00.000Z",
    )


def index_file(rel: str) -> Path:
    return Path(os.environ["COSTLINE_CACHE_DIR"]) / "index" / "v2" / rel


def cold_total(tmp_path: Path) -> float:
    """Today as a cold build of the same logs sums it, in a cache of its own."""
    from index_helpers import loads

    from statusline.index.readback import range_buckets
    from statusline.pricing import MODELS, price_buckets

    cold = Store(str(tmp_path / "cold"))
    scan(cold, loads)
    start = parse_iso_ms("2026-11-20T00:00:00.000Z")
    return round(price_buckets(range_buckets(cold, start, start + 86_400_000), MODELS).usd, 2)


def busy_hour(config_dir: Path) -> Path:
    """Another session's three messages in the current hour, indexed; this session's first line."""
    write_transcript(config_dir, "p", "s2.jsonl", [msg(f"b{i}", 5 + i, "s2") for i in range(3)])
    path = write_transcript(config_dir, "p", "s1.jsonl", [msg("a0", 1)])
    refresh()
    assert index_file(f"{HOUR}.ids").exists()
    return path


def test_a_render_books_new_messages_and_the_refresh_folds_them(config_dir, tmp_path):
    path = busy_hour(config_dir)
    before = os.stat(index_file(HOUR))
    write_transcript(config_dir, "p", "s1.jsonl", [msg("a1", 20), msg("a1", 20)], mode="a")  # streamed twice
    assert today(path) == round(5 * ONE, 2)
    after = os.stat(index_file(HOUR))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten
    assert index_file(f"{HOUR}.new").exists()
    write_transcript(config_dir, "p", "s1.jsonl", [msg("a2", 21)], mode="a")
    assert today(path) == round(6 * ONE, 2)  # appended to the same delta
    store = refresh()
    assert not index_file(f"{HOUR}.new").exists()
    shard = read_hour(store, HOUR)
    assert shard is not None and {"a1", "a2"} <= set(shard["keys"])
    assert today(path) == round(6 * ONE, 2) == cold_total(tmp_path)


def test_a_long_delta_is_folded_by_the_render(config_dir, tmp_path, monkeypatch):
    from statusline.index import book

    monkeypatch.setattr(book, "FOLD_AT", 2)
    monkeypatch.setattr(book, "FOLD_BYTES", 1 << 40)
    path = busy_hour(config_dir)
    for n in range(1, 4):
        write_transcript(config_dir, "p", "s1.jsonl", [msg(f"a{n}", 20 + n)], mode="a")
        assert today(path) == round((4 + n) * ONE, 2)
        assert index_file(f"{HOUR}.new").exists()
    before = os.stat(index_file(HOUR))
    write_transcript(config_dir, "p", "s1.jsonl", [msg("a4", 25)], mode="a")
    assert today(path) == round(8 * ONE, 2)
    assert not index_file(f"{HOUR}.new").exists()  # three booked: the fourth render folded them
    assert os.stat(index_file(HOUR)).st_ino != before.st_ino
    assert today(path) == round(8 * ONE, 2) == cold_total(tmp_path)


def test_a_copy_of_a_message_in_the_hour_file_goes_the_exact_way(config_dir, tmp_path):
    path = busy_hour(config_dir)
    before = os.stat(index_file(HOUR))
    # A fork's copy of s2's b1 (same ids), with more tokens: it replaces the kept copy.
    more = {"output_tokens": 200_000}
    write_transcript(config_dir, "p", "s1.jsonl", [msg("b1", 6, "s1", more)], mode="a")
    expected = 3 * ONE + 10 * 5 / 1e6 + 200_000 * 25 / 1e6
    assert today(path) == round(expected, 2)
    assert not index_file(f"{HOUR}.new").exists()
    assert os.stat(index_file(HOUR)).st_ino != before.st_ino  # merged into the hour file
    assert today(path) == round(expected, 2) == cold_total(tmp_path)


def test_a_stale_or_corrupt_id_index_sends_the_render_the_exact_way(config_dir, tmp_path):
    path = busy_hour(config_dir)
    ids = index_file(f"{HOUR}.ids")
    good = ids.read_bytes()
    ids.write_bytes(good[:20] + bytes([good[20] ^ 1]) + good[21:])  # another file's signature
    write_transcript(config_dir, "p", "s1.jsonl", [msg("a1", 20)], mode="a")
    assert today(path) == round(5 * ONE, 2)
    assert not index_file(f"{HOUR}.new").exists()  # exact: the hour file was written ...
    assert ids.read_bytes() != good  # ... with a new id index
    ids.write_bytes(b"\x00garbage")
    write_transcript(config_dir, "p", "s1.jsonl", [msg("a2", 21)], mode="a")
    assert today(path) == round(6 * ONE, 2) == cold_total(tmp_path)
    assert not index_file(f"{HOUR}.new").exists()


def test_two_renders_booking_one_message_count_it_once(config_dir, tmp_path):
    path = busy_hour(config_dir)
    fork = write_transcript(config_dir, "p", "s3.jsonl", [msg("f1", 22, "s3")])
    write_transcript(config_dir, "p", "s1.jsonl", [msg("f1", 22, "s1")], mode="a")  # the same response
    assert today(path) == round(5 * ONE, 2)
    assert today(fork, session="s3") == round(5 * ONE, 2)
    assert index_file(f"{HOUR}.new").exists()  # both booked: the second against the first's delta
    store = Store(os.environ["COSTLINE_CACHE_DIR"])
    for session in ("s1", "s3"):  # each session's logged sums hold it (the unlogged check needs it)
        group = store.read_group(f"p~{session}")
        assert group is not None
        sums = session_logged_sums(store, group)
        assert sum(vec[2] for vec in sums.values()) == 100_000 * (2 if session == "s1" else 1)  # output
    refresh()
    assert not index_file(f"{HOUR}.new").exists()
    assert today(path) == round(5 * ONE, 2) == cold_total(tmp_path)


def test_a_torn_or_corrupt_delta_loses_nothing(config_dir, tmp_path):
    path = busy_hour(config_dir)
    write_transcript(config_dir, "p", "s1.jsonl", [msg("a1", 20)], mode="a")
    assert today(path) == round(5 * ONE, 2)
    delta = index_file(f"{HOUR}.new")
    whole = delta.read_bytes()
    with open(delta, "ab") as fh:  # half an append: its render was killed before saving offsets
        fh.write(b"\x40\x00\x00\x00partial")
    assert today(path) == round(5 * ONE, 2)
    write_transcript(config_dir, "p", "s1.jsonl", [msg("a2", 21)], mode="a")
    assert today(path) == round(6 * ONE, 2)
    assert delta.read_bytes().startswith(whole) and b"partial" not in delta.read_bytes()
    store = Store(os.environ["COSTLINE_CACHE_DIR"])
    epoch = store.read_meta().get("rescan_epoch", 0)
    delta.write_bytes(b"costline new v1\ngarbage-garbage")
    today(path)  # set aside, and every log read again: nothing it held is lost
    assert store.read_meta().get("rescan_epoch", 0) == epoch + 1  # type: ignore[operator]
    refresh()
    assert today(path) == round(6 * ONE, 2) == cold_total(tmp_path)


def test_a_delta_its_hour_file_no_longer_carries_is_folded_not_lost(config_dir, tmp_path):
    """An hour file rewritten without its delta (an older costline, or a writer killed after the
    file and before removing the delta): readers leave the delta out, the next writer folds it."""
    path = busy_hour(config_dir)
    write_transcript(config_dir, "p", "s1.jsonl", [msg("a1", 20)], mode="a")
    assert today(path) == round(5 * ONE, 2)
    store = Store(os.environ["COSTLINE_CACHE_DIR"])
    shard = store.read(HOUR)
    store.write(HOUR, shard)  # what an older costline's write does: the delta's signature is gone
    assert today(path) == round(4 * ONE, 2)  # that older costline's figure, until a refresh
    write_transcript(config_dir, "p", "s1.jsonl", [msg("a2", 21)], mode="a")
    assert today(path) == round(6 * ONE, 2)  # the exact way folded the delta first
    assert not index_file(f"{HOUR}.new").exists()
    assert today(path) == round(6 * ONE, 2) == cold_total(tmp_path)


def test_an_older_costline_reads_the_hour_files_it_knows(config_dir):
    """Downgrade: the index format is unchanged; an older costline reads the hour files (and
    skips the `.ids`/`.new` beside them, as it skips any name that is not an hour)."""
    path = busy_hour(config_dir)
    write_transcript(config_dir, "p", "s1.jsonl", [msg("a1", 20)], mode="a")
    today(path)
    store = Store(os.environ["COSTLINE_CACHE_DIR"])
    assert sorted(upkeep.hour_signatures(store, "2026-11-20")) == ["15"]
    assert store.read(HOUR) is not None


def test_a_render_killed_between_booking_and_saving_its_offsets(config_dir, tmp_path):
    """Killed after it appended to the delta and before it saved the group: the next render reads
    the same lines again and books them again, which the delta's dedup recognises."""
    cache = tmp_path / "cache"
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 30))
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="k0", request_id="q0", ts=stamp)])
    run_costline(payload(path))
    wait_for_refresh(cache)
    assert run_costline(b"", "index", "refresh").returncode == 0  # an id index for this hour
    hour = time.strftime("%Y-%m-%d/%H", time.gmtime(now - 30))
    delta = cache / "index" / "v2" / "hours" / f"{hour}.new"
    one = (10 * 5 + 100 * 25) / 1e6

    def append(n: int) -> None:
        line = assistant(msg_id=f"k{n}", request_id=f"q{n}", ts=stamp)
        write_transcript(config_dir, "p", "s1.jsonl", [line], mode="a")

    append(1)
    assert f"${2 * one:.2f} today" in run_costline(payload(path), env={"NO_COLOR": "1"}).stdout.decode()
    assert delta.exists()  # booked
    for n in (2, 3):
        append(n)
        size = delta.stat().st_size
        killed = run_costline(payload(path), env={"COSTLINE_KILL_AT_WRITE": "1"})  # at the group write
        assert killed.returncode == -9
        assert delta.stat().st_size > size  # it had appended
        line = run_costline(payload(path), env={"NO_COLOR": "1"}).stdout.decode()
        assert f"${(n + 1) * one:.2f} today" in line, line
    assert run_costline(b"", "index", "refresh").returncode == 0
    assert not delta.exists()
    assert f"${4 * one:.2f} today" in run_costline(payload(path), env={"NO_COLOR": "1"}).stdout.decode()


@pytest.mark.parametrize("whole", [True, False])
def test_an_id_index_answers_the_same_read_whole_or_a_key_at_a_time(tmp_path, monkeypatch, whole):
    import random

    from statusline.index import readback

    if not whole:
        monkeypatch.setattr(readback, "IDS_READ_WHOLE", 0)
    rng = random.Random(21)
    st = Store(str(tmp_path / "cache"))
    st.ensure()
    rel = "hours/2026-11-20/15"
    sig = (7, 1234, 99)
    ids = [f"msg_{rng.getrandbits(96):024x}" for _ in range(1000)]
    folder = Path(st.path("hours", "2026-11-20"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "15.ids").write_bytes(exact.ids_bytes(ids, sig))
    os.chmod(folder / "15.ids", 0o600)
    for known in ids[::97]:
        assert readback.ids_hit(st, rel, sig, [readback.id_key(known)]) is True
    others = [readback.id_key(f"msg_{rng.getrandbits(96):024x}") for _ in range(50)]
    assert readback.ids_hit(st, rel, sig, others) is False
    assert readback.ids_hit(st, rel, (7, 1234, 100), others) is None  # another file's index
