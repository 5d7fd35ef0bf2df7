"""A first report from nothing in zones whose local midnights cut UTC hours (+05:45, +13:45),
its stale days summed as runs in forked processes, equals the index and the attribution built
one after the other and summed in one process: the page (but for the clock) and the split
reports, to the byte. COSTLINE_COLD_EDGES=all: more seeds and zones, and every kill point of
a first page."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import payload, rounded, run_costline
from test_cold import KINDS, page
from test_random import build

HEAVY = os.environ.get("COSTLINE_COLD_EDGES") == "all"
SEEDS = (11, 12, 13) if HEAVY else (13,)
ZONES = (
    ("Asia/Kathmandu", "Pacific/Chatham", "America/Havana", "UTC")
    if HEAVY
    else ("Asia/Kathmandu", "Pacific/Chatham")
)


def run(*args: str) -> str:
    from statusline.cli import cli

    out = CliRunner().invoke(cli, ["report", *args])
    assert out.exit_code == 0, out.output
    return str(out.stdout)


def splits(zone: str) -> dict[str, object]:
    return {kind: json.loads(run("by", kind, "--json", "--no-refresh", "-z", zone)) for kind in KINDS}


def made_page(out: Path, zone: str) -> str:
    run("html", "-o", str(out), "-z", zone)
    return page(out)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("first", ["html", "agent"])
def test_a_first_report_in_a_zone_that_cuts_hours_equals_one_made_step_by_step(
    config_dir, tmp_path, monkeypatch, seed, zone, first
):
    from statusline.attrib import summing

    build(seed, config_dir)
    monkeypatch.setenv("COSTLINE_SCAN_WORKERS", "2")
    monkeypatch.setenv("COSTLINE_PARALLEL_MIN_BYTES", "0")
    monkeypatch.setattr(summing, "PARALLEL_DAYS", 10**6)  # one process sums every day
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(tmp_path / "steps"))
    run("daily", "--json", "-z", zone)
    expected = (made_page(tmp_path / "steps.html", zone), splits(zone))

    monkeypatch.setattr(summing, "PARALLEL_DAYS", 2)  # runs of days in forked processes
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(tmp_path / "cold"))
    if first == "agent":  # the first report is a split one: its rows equal those made step by step
        assert json.loads(run("by", "agent", "--json", "-z", zone)) == expected[1]["agent"]
    assert (made_page(tmp_path / "cold.html", zone), splits(zone)) == expected


@pytest.mark.parametrize("seed", SEEDS)
def test_a_first_page_equals_one_made_after_renders_indexed_each_session(
    config_dir, tmp_path, monkeypatch, seed
):
    """Step by step the other way: each session's render books its lines (the index made by
    renders, folded by the report's scan), then the page; against a first page from nothing."""
    corpus = build(seed, config_dir)
    monkeypatch.setenv("COSTLINE_SCAN_WORKERS", "2")
    monkeypatch.setenv("COSTLINE_PARALLEL_MIN_BYTES", "0")
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(tmp_path / "cold"))
    expected = (made_page(tmp_path / "cold.html", "UTC"), splits("UTC"))

    cache = tmp_path / "renders"
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(cache))
    cache.mkdir()
    for path in sorted(corpus.files):
        if path.parent.name == "subagents":
            continue
        (cache / "refresh.stamp").touch()  # no detached refresh: the renders alone index
        done = run_costline(payload(path, session=path.stem), env={"NO_COLOR": "1", "COLUMNS": "400"})
        assert done.returncode == 0 and done.stdout, done.stderr
    assert list((cache / "index" / "v2" / "hours").iterdir())  # the renders booked
    # The page to the byte; the split reports to a billionth of a dollar (the renders' bookings
    # add an hour's costs in another order than the scan: its last bits may differ).
    assert made_page(tmp_path / "renders.html", "UTC") == expected[0]
    assert rounded(splits("UTC")) == rounded(expected[1])


@pytest.mark.skipif(not HEAVY, reason="COSTLINE_COLD_EDGES=all")
@pytest.mark.parametrize("seed", SEEDS)
def test_a_first_page_killed_at_any_write_then_made_equals_one_made_step_by_step(
    config_dir, tmp_path, monkeypatch, seed
):
    build(seed, config_dir)
    monkeypatch.setenv("COSTLINE_SCAN_WORKERS", "2")
    monkeypatch.setenv("COSTLINE_PARALLEL_MIN_BYTES", "0")
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(tmp_path / "steps"))
    run("daily", "--json", "-z", "UTC")
    expected = (made_page(tmp_path / "steps.html", "UTC"), splits("UTC"))
    for n in range(1, 300):
        cache = tmp_path / f"kill-{n}"
        monkeypatch.setenv("COSTLINE_CACHE_DIR", str(cache))
        killed = run_costline(
            b"",
            "report",
            "html",
            "-o",
            str(tmp_path / "k.html"),
            "-z",
            "UTC",
            env={"COSTLINE_KILL_AT_WRITE": str(n)},
            timeout=120,
        )
        assert (made_page(tmp_path / f"kill-{n}.html", "UTC"), splits("UTC")) == expected, n
        if killed.returncode == 0:
            break
