"""One line-length limit, one verdict: a usage line over it is garbage (and counted so) on every
path that reads it, and one under it counts on every path, whatever the path's byte budget."""

from __future__ import annotations

import json
import os
import time

import pytest
from helpers import assistant, payload, write_transcript
from index_helpers import loads, store

import statusline.attrib.build as attrib_build
import statusline.context as context_module
import statusline.index.merge as merge_module
import statusline.index.scan as scan_module
from statusline.index import lines, upkeep
from statusline.index.exact import Batch, ingest_group
from statusline.index.scan import scan
from statusline.index.update import commit_groups, group_of, load_group
from statusline.pricing import MODELS, price_buckets

ONE = 10 * 5 / 1e6 + 100 * 25 / 1e6  # one default assistant() line, Opus 4.8


def padded(msg_id: str, size: int, ts: str = "2026-11-20T10:00:00.000Z") -> str:
    """A valid usage line of exactly `size` bytes (before its newline)."""
    line = assistant(msg_id=msg_id, request_id=f"r{msg_id}", ts=ts)
    pad = size - len(line)
    assert pad > 0
    return line.replace('"text":"hi"', '"text":"hi' + "y" * pad + '"')


def totals() -> tuple[float, dict[str, int]]:
    """The index's total over all time, and its counters summed over every group."""
    st = store()
    from statusline.index.readback import range_buckets

    usd = price_buckets(range_buckets(st, 0, 1 << 50), MODELS).usd
    counters: dict[str, int] = {}
    for group in upkeep.groups(st):
        for name, value in group["counters"].items():
            counters[name] = counters.get(name, 0) + value
    return usd, {k: v for k, v in counters.items() if v}


def assert_totals(usd: float, counters: dict[str, int]) -> None:
    found_usd, found_counters = totals()
    assert (found_usd, found_counters) == (pytest.approx(usd), counters)


# Scaled down so the test stays fast: the limit, and budgets on both sides of it.
LIMIT = 50_000
UNDER, OVER = 40_000, 60_000  # a usage line under the limit, and one over it


@pytest.fixture
def corpus(config_dir, monkeypatch):
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", LIMIT)
    monkeypatch.setattr("statusline.index.scanread.SCAN_CHUNK", 4096)
    path = write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [
            assistant(msg_id="a", request_id="ra"),
            padded("under", UNDER),
            padded("over", OVER),
            assistant(msg_id="b", request_id="rb"),
        ],
    )
    other = write_transcript(
        config_dir, "p", "s2.jsonl", [assistant(msg_id="c", request_id="rc", session="s2")]
    )
    return path, other


# a, under and c count; over is garbage: four usage lines judged in s1, one in s2.
EXPECTED = (4 * ONE, {"lines": 5, "entries": 4, "garbage": 1})


def _render(path, budget: int, monkeypatch) -> None:
    """Renders of session s1, as Claude Code runs them, until they read no further."""
    monkeypatch.setattr(context_module, "RENDER_READ_BUDGET", budget)
    cache = os.environ["COSTLINE_CACHE_DIR"]
    now = time.time()
    st = store()
    st.ensure()
    st.write("meta", {"format": 2, "rescan_epoch": 0, "full_scan_ms": int(now * 1000)})
    st.mark_refresh_started(now)  # no background refresh: renders alone
    body = json.loads(payload(path))
    for _ in range(10):
        ctx = context_module.Context(body, now, os.environ, cache)
        ctx.refresh_index()
        if ctx.session_current:
            break


@pytest.mark.parametrize("worker_budget", [30_000, 1 << 20])
def test_a_cold_scan_in_one_process(corpus, monkeypatch, worker_budget):
    monkeypatch.setattr(scan_module, "WORKER_MAX_BYTES", worker_budget)
    scan(store(), loads, workers=1)
    assert_totals(*EXPECTED)


def test_a_scan_in_worker_processes(corpus, monkeypatch):
    monkeypatch.setattr(scan_module, "WORKER_MAX_BYTES", 1 << 20)  # the whole file in one read
    scan(store(), loads, workers=2, parallel_min_bytes=0)
    assert_totals(*EXPECTED)


@pytest.mark.parametrize("chunk", [30_000, 1 << 20])
def test_the_chunked_read_of_a_group_a_render_moved_meanwhile(corpus, monkeypatch, chunk):
    path, _other = corpus
    monkeypatch.setattr(scan_module, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(scan_module, "WORKER_MAX_BYTES", 1 << 20)
    real_commit = merge_module.Merge.commit
    moved = []

    def render_first(self, parallel=False):
        # A render reads on in s1 between the scan's read and its merge.
        st = self.store
        assert st.lock(blocking=False)
        try:
            name, session, project = group_of(str(path))
            group = load_group(st, name, session, project, 0)
            batch = Batch(st)
            ingest_group(st, batch, group, [str(path)], lines.parse_lean, 1000, whole_long_lines=False)
            commit_groups(st, batch, {name: group}, summaries=False)
        finally:
            st.unlock()
        left = real_commit(self, parallel)
        moved.extend(left)
        return left

    monkeypatch.setattr(merge_module.Merge, "commit", render_first)
    scan(store(), loads, workers=1)
    assert moved == [group_of(str(path))[0]]  # s1 was read on chunk by chunk
    assert_totals(*EXPECTED)


@pytest.mark.parametrize("budget", [8000, 1 << 20])
def test_renders_then_a_scan(corpus, monkeypatch, budget):
    path, _other = corpus
    _render(path, budget, monkeypatch)
    scan(store(), loads, workers=1)
    assert_totals(*EXPECTED)


@pytest.mark.parametrize("chunk", [30_000, 1 << 20])
def test_the_attribution_splits_what_the_index_counts(corpus, monkeypatch, chunk):
    from helpers import cost_rows, report_json

    monkeypatch.setattr(attrib_build, "CHUNK_BYTES", chunk)
    found = cost_rows(report_json("by", "agent"))
    daily = float(report_json("daily", "--no-refresh")["totals"]["totalCost"])
    assert daily == pytest.approx(4 * ONE)
    assert found == pytest.approx({"main": 4 * ONE})  # nothing unattributed


def test_a_line_longer_than_a_scan_chunk_counts_on_every_path(config_dir, tmp_path):
    """Real sizes: a 40 MiB usage line (past the scan's 32 MiB chunk) counts whether a plain scan,
    the chunked read of a large group or the attribution reads it."""
    from helpers import cost_rows, report_json

    big = padded("big", 40 << 20)
    path = write_transcript(config_dir, "p", "s1.jsonl", [big, assistant(msg_id="b", request_id="rb")])
    del big
    scan(store(), loads, workers=1)  # the group fits a worker's read
    assert_totals(2 * ONE, {"lines": 2, "entries": 2})
    found = cost_rows(report_json("by", "agent"))
    assert found == pytest.approx({"main": 2 * ONE})
    # The same file read as a group too large for a worker is: in chunks, by the scan itself.
    from statusline.index.store import Store

    st = Store(str(tmp_path / "another-cache"))
    st.ensure()
    name, session, project = group_of(str(path))
    group = load_group(st, name, session, project, 0)
    batch = Batch(st)
    more = True
    while more:
        _used, more = ingest_group(st, batch, group, [str(path)], loads, scan_module.CHUNK_BYTES)
    assert {k: v for k, v in group["counters"].items() if v} == {"lines": 2, "entries": 2}


@pytest.mark.parametrize("worker_budget", [1000, 1 << 20])  # chunked by the scan, or one read
def test_a_line_over_the_limit_still_being_written_is_judged_once_it_ends(
    config_dir, monkeypatch, worker_budget
):
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", LIMIT)
    monkeypatch.setattr("statusline.index.scanread.SCAN_CHUNK", 4096)
    monkeypatch.setattr(scan_module, "WORKER_MAX_BYTES", worker_budget)
    monkeypatch.setattr(scan_module, "CHUNK_BYTES", 30_000)
    over = padded("over", OVER)
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="a", request_id="ra")])
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(over[:45_000])  # past a chunk and under the limit so far
    scan(store(), loads, workers=1)
    assert_totals(ONE, {"lines": 1, "entries": 1})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(over[45_000:55_000])  # past the limit, not ended yet
    scan(store(), loads, workers=1)
    assert_totals(ONE, {"lines": 1, "entries": 1})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(over[55_000:] + "\n" + assistant(msg_id="b", request_id="rb") + "\n")
    scan(store(), loads, workers=1)
    assert_totals(2 * ONE, {"lines": 3, "entries": 2, "garbage": 1})


def _write_padded(fh, msg_id: str, size: int) -> None:
    """padded(msg_id, size) and its newline, written in pieces (never a 64 MiB string)."""
    line = assistant(msg_id=msg_id, request_id=f"r{msg_id}")
    head, tail = line.split('"text":"hi"')
    fh.write(head.encode() + b'"text":"hi')
    pad = size - len(line)
    while pad > 0:
        piece = min(pad, 1 << 24)
        fh.write(b"y" * piece)
        pad -= piece
    fh.write(b'"' + tail.encode() + b"\n")


def test_a_line_at_the_limit_counts_and_one_byte_more_is_garbage(config_dir):
    """Real sizes, through the scan's chunked read (the group is past a worker's share) and the
    attribution's."""
    path = config_dir / "projects" / "p" / "s1.jsonl"
    path.parent.mkdir(parents=True)
    with open(path, "wb") as fh:
        _write_padded(fh, "exact", lines.MAX_LINE_BYTES)
        _write_padded(fh, "over", lines.MAX_LINE_BYTES + 1)
        fh.write(assistant(msg_id="b", request_id="rb").encode() + b"\n")
    assert path.stat().st_size > 2 * lines.MAX_LINE_BYTES
    scan(store(), loads, workers=1)
    assert_totals(2 * ONE, {"lines": 3, "entries": 2, "garbage": 1})
    from helpers import cost_rows, report_json

    assert cost_rows(report_json("by", "agent")) == pytest.approx({"main": 2 * ONE})
