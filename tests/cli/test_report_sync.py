"""Reports across the machines of a [sync] folder: every report counts each machine once, a
shared session once, and `--this-machine` only this one. Prices by hand: Opus 4.8 at $5 / $25 per
MTok, so one `line()` (1,000 in, 1,000 out) is $0.03."""

from __future__ import annotations

import pytest
from helpers import report_json
from sync_helpers import line

DAY = "2026-11-20"


def two_machines(boxes):  # type: ignore[no-untyped-def]
    laptop, desktop = boxes("laptop"), boxes("desktop")
    laptop.log("-w-app", "l", [line("l1", f"{DAY}T10:00:00.000Z", session="l")])
    desktop.log(
        "-w-site",
        "d",
        [
            line("d1", f"{DAY}T11:00:00.000Z", session="d", cwd="/w/site"),
            line("d2", "2026-11-21T09:00:00.000Z", session="d", cwd="/w/site"),
        ],
    )
    for box in (laptop, desktop):  # present on both: counted once
        box.log("-w-app", "shared", [line("sh1", f"{DAY}T12:00:00.000Z", session="shared")])
    desktop.step()
    laptop.step()
    laptop.use()
    return laptop, desktop


def test_daily_counts_every_machine_and_rows_carry_them(boxes):
    two_machines(boxes)
    doc = report_json("daily")
    rows = {r["period"]: r for r in doc["daily"]}
    assert rows[DAY]["totalCost"] == pytest.approx(0.09)  # l1, sh1 (ours), d1
    assert rows[DAY]["machines"] == pytest.approx({"laptop": 0.06, "desktop": 0.03})
    assert rows["2026-11-21"]["machines"] == pytest.approx({"desktop": 0.03})
    assert doc["totals"]["totalCost"] == pytest.approx(0.12)
    assert report_json("monthly")["monthly"][0]["totalCost"] == pytest.approx(0.12)
    assert report_json("weekly")["weekly"][0]["totalCost"] == pytest.approx(0.12)


def test_this_machine_leaves_the_others_out(boxes):
    two_machines(boxes)
    doc = report_json("daily", "--this-machine")
    assert doc["totals"]["totalCost"] == pytest.approx(0.06)
    assert doc["daily"][0]["machines"] == pytest.approx({"laptop": 0.06})


def test_sessions_of_other_machines_with_their_projects(boxes):
    two_machines(boxes)
    sessions = {s["sessionId"]: s for s in report_json("session")["sessions"]}
    assert {k: round(v["totalCost"], 6) for k, v in sessions.items()} == {
        "l": 0.03,
        "d": 0.06,
        "shared": 0.03,
    }
    assert sessions["d"]["project"] == "/w/site" and sessions["d"]["machines"] == pytest.approx(
        {"desktop": 0.06}
    )
    only = report_json("session", "--project", "site")["sessions"]
    assert [s["sessionId"] for s in only] == ["d"]


def test_by_machine_project_model_and_the_estimates(boxes):
    two_machines(boxes)
    from helpers import cost_rows

    assert cost_rows(report_json("by", "machine")) == pytest.approx({"laptop": 0.06, "desktop": 0.06})
    assert cost_rows(report_json("by", "project")) == pytest.approx({"/w/app": 0.06, "/w/site": 0.06})
    assert cost_rows(report_json("by", "model")) == pytest.approx({"claude-opus-4-8": 0.12})
    tools = cost_rows(report_json("by", "tool"))
    assert tools["(other machines)"] == pytest.approx(0.06) and sum(tools.values()) == pytest.approx(0.12)


def test_blocks_include_every_machine(boxes):
    two_machines(boxes)
    found = [b for b in report_json("blocks")["blocks"] if not b["isGap"]]
    assert sum(b["totalCost"] if "totalCost" in b else b["costUSD"] for b in found) == pytest.approx(0.12)


def test_duplicate_names_stay_apart_in_by_machine(boxes):
    first, second = boxes("laptop"), boxes("twin")
    second.name = "laptop"
    second.log("-w-app", "t", [line("t1", f"{DAY}T10:00:00.000Z", session="t")])
    first.log("-w-app", "l", [line("l1", f"{DAY}T10:00:00.000Z", session="l")])
    second.step()
    first.step()
    first.use()
    from helpers import cost_rows

    rows = cost_rows(report_json("by", "machine"))
    assert rows == pytest.approx({"laptop": 0.03, f"laptop ({second.mid()[:8]})": 0.03})


def test_html_has_a_machine_section_with_names_escaped(boxes, tmp_path):
    laptop, desktop = boxes("laptop"), boxes("desk<b>top")
    desktop.log("-w-app", "d", [line("d1", f"{DAY}T10:00:00.000Z", session="d")])
    desktop.step()
    laptop.step()
    laptop.use()
    from click.testing import CliRunner

    from statusline.cli import cli

    out = tmp_path / "page.html"
    result = CliRunner().invoke(cli, ["report", "html", "-o", str(out), "-z", "UTC", "--until", "20261121"])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "By machine" in page and "desk&lt;b&gt;top" in page and "desk<b>top" not in page


@pytest.mark.parametrize("shared", ["true", "false"])
def test_one_project_on_two_machines_is_one_row_whether_names_are_shared_or_not(boxes, tmp_path, shared):
    from helpers import cost_rows

    (tmp_path / "costline.toml").write_text(f"[pricing]\noffline = true\n[sync]\nshare_names = {shared}\n")
    laptop, desktop = boxes("laptop"), boxes("desktop")
    laptop.log("-w-app", "l", [line("l1", f"{DAY}T10:00:00.000Z", session="l")])
    desktop.log("-w-app", "d", [line("d1", f"{DAY}T11:00:00.000Z", session="d")])
    desktop.log("-w-site", "e", [line("e1", f"{DAY}T11:00:00.000Z", session="e", cwd="/w/site")])
    desktop.step()
    laptop.step()
    laptop.use()
    rows = cost_rows(report_json("by", "project"))
    site = "/w/site" if shared == "true" else next(k for k in rows if k.startswith("h:"))
    assert rows == pytest.approx({"/w/app": 0.06, site: 0.03})  # a project only desktop has: its label
    sessions = {s["sessionId"]: s["project"] for s in report_json("session")["sessions"]}
    assert sessions == {"l": "/w/app", "d": "/w/app", "e": site}
