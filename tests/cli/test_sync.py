"""`costline sync status|now|forget` (the installed command, as a user runs it)."""

from __future__ import annotations

import json
import os
import subprocess

from helpers import COSTLINE
from sync_helpers import line

TS = "2026-11-20T10:00:00.000Z"


def run(box, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **box.env(), "COLUMNS": "200", **env}
    return subprocess.run([COSTLINE, *args], capture_output=True, text=True, env=full, check=False)


def test_status_lists_every_machine(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    laptop.step()
    out = run(laptop, "sync", "status")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["Machine", "Id", "Last", "write", "Lag"]
    assert lines[2].startswith("laptop (this one)") and laptop.mid()[:8] in lines[2]
    assert lines[3].startswith("desktop") and desktop.mid()[:8] in lines[3]
    doc = json.loads(run(laptop, "sync", "status", "--json").stdout)
    assert doc["enabled"] and doc["problem"] == ""
    assert [(m["name"], m["own"], m["days"]) for m in doc["machines"]] == [
        ("laptop", True, 0),
        ("desktop", False, 1),
    ]
    assert doc["machines"][1]["id"] == desktop.mid()


def test_status_when_off(boxes):
    laptop = boxes("laptop")
    out = run(laptop, "sync", "status", COSTLINE_SYNC_DIR="")
    assert out.returncode == 0 and "sync is off" in out.stdout
    assert (
        json.loads(run(laptop, "sync", "status", "--json", COSTLINE_SYNC_DIR="").stdout)["enabled"] is False
    )


def test_now_publishes_and_folds(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    laptop.log("-w-app", "l", [line("l1", TS, session="l")])
    out = run(laptop, "sync", "now")
    assert out.returncode == 0, out.stderr
    assert "1 other machines" in out.stdout
    assert "2026-11-20" in laptop.manifest()["days"]


def test_now_fails_in_one_line_when_the_folder_is_missing(boxes, tmp_path):
    laptop = boxes("laptop")
    out = run(laptop, "sync", "now", COSTLINE_SYNC_DIR=str(tmp_path / "nowhere" / "costline"))
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "sync folder missing" in out.stderr
    out = run(laptop, "sync", "now", COSTLINE_SYNC_DIR="")
    assert out.returncode == 1 and "sync is off" in out.stderr


def test_forget_drops_a_machine_and_its_folder(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    laptop.step()
    out = run(laptop, "sync", "forget", "desktop")
    assert out.returncode == 0, out.stderr
    assert not desktop.folder.joinpath("m-" + desktop.mid()).exists()
    doc = json.loads(run(laptop, "sync", "status", "--json").stdout)
    assert [m["name"] for m in doc["machines"]] == ["laptop"]
    out = run(laptop, "sync", "forget", "laptop")
    assert out.returncode == 1 and "is this machine" in out.stderr


def test_forget_asks_for_the_id_when_names_repeat(boxes):
    laptop, one, two = boxes("laptop"), boxes("twin1"), boxes("twin2")
    one.name = two.name = "twin"
    for box in (one, two, laptop):
        box.step()
    out = run(laptop, "sync", "forget", "twin")
    assert out.returncode == 1 and "give the id" in out.stderr
    out = run(laptop, "sync", "forget", two.mid()[:8])
    assert out.returncode == 0 and one.folder.joinpath("m-" + one.mid()).exists()
