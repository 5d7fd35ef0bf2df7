"""Figures equal what the reference tool ccusage 20.0.24 computes from the same logs.

The corpus comes from bench/corpus.py with a fixed seed and clock (models ccusage prices the same
way; streaming copies, subagent files and sidechain replays included). The expected daily totals
in tests/data were produced by running `ccusage daily --json --offline -z TZ` on that corpus.
Set COSTLINE_CCUSAGE=/path/to/ccusage to also compare against a live ccusage binary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from index_helpers import refresh

from statusline.index.readback import range_buckets
from statusline.pricing import MODELS, price_buckets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from corpus import generate  # noqa: E402

GOLDEN = json.loads((ROOT / "tests" / "data" / "ccusage-20.0.24-daily.json").read_text())
POSIX_TZ = {"UTC": "UTC0", "America/Los_Angeles": "PST8PDT,M3.2.0,M11.1.0", "Asia/Kolkata": "IST-5:30"}


def build_corpus(config: Path) -> None:
    g = GOLDEN["generator"]
    generate(
        str(config),
        g["files"],
        g["total_mb"],
        g["days"],
        seed=g["seed"],
        now=g["now"],
        models=[tuple(m) for m in g["models"]],
    )


def local_day_ms(date: str) -> tuple[int, int]:
    y, m, d = (int(x) for x in date.split("-"))
    start = time.mktime((y, m, d, 0, 0, 0, 0, 0, -1))
    end = time.mktime((y, m, d + 1, 0, 0, 0, 0, 0, -1))
    return int(start * 1000), int(end * 1000)


@pytest.mark.parametrize("zone", sorted(POSIX_TZ))
def test_daily_totals_match_ccusage_to_the_cent(config_dir, monkeypatch, zone):
    build_corpus(config_dir)
    store = refresh()
    monkeypatch.setenv("TZ", POSIX_TZ[zone])
    time.tzset()
    expected = GOLDEN["daily"][zone]
    assert len(expected) >= 9
    for date, usd in expected.items():
        start, end = local_day_ms(date)
        ours = price_buckets(range_buckets(store, start, end), MODELS)
        assert not ours.unknown
        assert f"{ours.usd:.2f}" == f"{usd:.2f}", (zone, date, ours.usd, usd)
        assert ours.usd == pytest.approx(usd, abs=1e-6)


@pytest.mark.skipif(not os.environ.get("COSTLINE_CCUSAGE"), reason="set COSTLINE_CCUSAGE to a ccusage binary")
def test_live_ccusage_agrees(config_dir):
    build_corpus(config_dir)
    store = refresh()
    out = subprocess.run(
        [os.environ["COSTLINE_CCUSAGE"], "daily", "--json", "--offline", "-z", "UTC"],
        capture_output=True,
        check=True,
        env=dict(os.environ, CLAUDE_CONFIG_DIR=str(config_dir)),
    )
    for day in json.loads(out.stdout)["daily"]:
        start, end = local_day_ms(day["period"])
        ours = price_buckets(range_buckets(store, start, end), MODELS)
        assert ours.usd == pytest.approx(day["totalCost"], abs=1e-6)
