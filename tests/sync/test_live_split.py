"""The `agents` and `tools` segments with [sync] on: a session carried on on another machine
shows that machine's part as `report by agent|tool --session` does, one `(other machines)`
row (their splits are not published), to the cent."""

from __future__ import annotations

import marshal
import os
import time
from pathlib import Path

import pytest
from helpers import report_json
from sync_helpers import ONE, iso, line

from statusline.attrib.breakdown import OTHER_MACHINES
from statusline.cli.index import live_split


def _live(cache: Path) -> dict:
    (found,) = (cache / "index" / "v2" / "live").iterdir()
    return dict(marshal.loads(found.read_bytes()))


def _rows(kind: str) -> dict[str, float]:
    return {r["name"]: r["cost"] for r in report_json("by", kind, "--session", "sA", "--no-refresh")["rows"]}


def test_the_split_counts_the_other_machines_part_of_the_session(boxes):
    Path(os.environ["COSTLINE_CONFIG"]).write_text(
        '[pricing]\noffline = true\n\n[line]\nsegments = ["today", "agents", "tools"]\n'
    )
    now = time.time() * 1000
    b = boxes("b")
    b.log("-w-app", "sA", [line("b1", iso(now - 120_000), session="sA")])
    b.step()
    a = boxes("a")
    a.log(
        "-w-app",
        "sA",
        [line("a1", iso(now - 60_000), session="sA"), line("a2", iso(now - 30_000), session="sA")],
    )
    a.step()
    live_split(str(a.cache))
    saved = _live(a.cache)
    agents = {
        r["name"]: r["cost"] for r in report_json("by", "agent", "--session", "sA", "--no-refresh")["rows"]
    }
    assert agents == pytest.approx({"main": 2 * ONE, OTHER_MACHINES: ONE}, abs=1e-9)
    # The split left the other machine out: `main $0.06` where the report said $0.09.
    assert {n: c for n, c, _ in saved["agent"]["rows"]} == pytest.approx(agents, abs=1e-12)
    tools = {
        r["name"]: r["cost"] for r in report_json("by", "tool", "--session", "sA", "--no-refresh")["rows"]
    }
    assert {n: c for n, c, _ in saved["tool"]["rows"]} == pytest.approx(tools, abs=1e-12)
    # Another machine's new part of the session makes the split computed again.
    b.log("-w-app", "sA", [line("b2", iso(now - 10_000), session="sA")])
    b.step()
    a.step()
    live_split(str(a.cache))
    assert dict((n, c) for n, c, _ in _live(a.cache)["agent"]["rows"]) == pytest.approx(
        {"main": 2 * ONE, OTHER_MACHINES: 2 * ONE}, abs=1e-9
    )
