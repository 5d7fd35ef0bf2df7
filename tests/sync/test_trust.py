"""Whose sync folder: another local user must not add spend to yours, nor read what you publish.

The folder is refused when it, or a folder on the way to it, is another user's or others may
write it without the sticky bit; in a folder of yours others may add to (sticky), a machine's
folder or file another user owns is skipped. Files a sync tool run by you wrote are yours.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import run_costline
from sync_helpers import ONE, line, render
from test_fold import DAY, TS, others_cost
from test_line import now_ts

OTHER_UID = 1002  # any uid other than ours
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving files to another user needs root")


def chown_all(path: Path, uid: int = OTHER_UID) -> None:
    os.chown(path, uid, uid)
    for sub in path.rglob("*"):
        os.chown(sub, uid, uid, follow_symlinks=False)


def doctor_sync(box) -> dict:  # type: ignore[no-untyped-def]
    proc = run_costline(b"", "doctor", "--json", "--no-timing", env=box.env())
    (check,) = [c for c in json.loads(proc.stdout)["checks"] if c["name"] == "sync"]
    return dict(check)


def planted(box, folder: Path, tokens: int = 1000) -> None:  # type: ignore[no-untyped-def]
    """`box` as another local user's machine: it publishes today's spend into `folder`."""
    box.folder = folder
    box.log("-w-app", "x", [line("x1", now_ts(5), session="x", tokens=tokens)])
    box.step()


@needs_root
def test_a_sync_folder_another_user_made_is_refused(boxes, tmp_path):
    pub = tmp_path / "pub"
    pub.mkdir()
    os.chmod(pub, 0o1777)  # like /tmp
    theirs = pub / "costline-sync"
    planted(boxes("intruder"), theirs, tokens=1_000_000)
    os.chmod(theirs, 0o777)
    chown_all(theirs)
    laptop = boxes("laptop")
    laptop.folder = theirs
    laptop.log("-w-app", "l", [line("l1", now_ts(5), session="l")])
    result = laptop.step()
    assert result.problem == "sync folder not yours"
    assert others_cost(laptop) == {}
    out = render(laptop, "l")
    assert "$0.03 today (sync folder not yours)" in out and out.count("sync folder") == 1
    assert sorted(p.name for p in theirs.iterdir()) == [f"m-{boxes('intruder').mid()}"]  # nothing written
    check = doctor_sync(laptop)
    assert not check["ok"] and "not yours" in check["detail"] and "chmod go-w" in check["fix"]


@needs_root
def test_a_machine_folder_another_user_owns_is_skipped(boxes):
    laptop = boxes("laptop")
    laptop.log("-w-app", "l", [line("l1", now_ts(5), session="l")])
    laptop.step()
    os.chmod(laptop.folder, 0o1777)  # a folder of ours others may add to: theirs is not read
    intruder = boxes("intruder")
    planted(intruder, laptop.folder, tokens=1_000_000)
    chown_all(intruder.share())
    result = laptop.step()
    assert result.problem == "" and result.skipped == [intruder.share().name]
    assert others_cost(laptop) == {}
    assert "$0.03 today" in render(laptop, "l") and "×2" not in render(laptop, "l")
    check = doctor_sync(laptop)
    assert not check["ok"] and "another user owns skipped" in check["detail"]
    status = run_costline(b"", "sync", "status", env=laptop.env()).stdout.decode()
    assert "1 machine folders another user owns skipped" in status


@needs_root
def test_a_day_file_another_user_owns_is_not_read(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    os.chown(desktop.share() / "days" / f"{DAY}.json", OTHER_UID, OTHER_UID)
    result = laptop.step()
    assert others_cost(laptop) == {}
    assert [m.problem for m in result.machines if m.name == "desktop"] == ["day file not yours"]


@needs_root
def test_this_machines_folder_planted_before_it_came_is_not_written(boxes):
    laptop = boxes("laptop")
    laptop.log("-w-app", "l", [line("l1", now_ts(5), session="l")])
    laptop.step()
    shutil.rmtree(laptop.share())
    mine = laptop.folder / f"m-{laptop.mid()}"
    (mine / "days").mkdir(parents=True)
    chown_all(mine)
    result = laptop.step()
    assert result.problem == "sync folder not yours"
    assert list((mine / "days").iterdir()) == []


def test_a_folder_others_may_write_is_refused_and_what_came_from_it_dropped(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", now_ts(5), session="d")])
    desktop.step()
    laptop.step()
    assert others_cost(laptop) == {"desktop": ONE}
    os.chmod(laptop.folder, 0o777)  # anyone may add or replace a machine
    result = laptop.step()
    assert result.problem == "sync folder writable by others"
    assert others_cost(laptop) == {}  # the reports drop it too
    out = render(laptop, "l")
    assert "$0.00 today (sync folder writable by others)" in out
    os.chmod(laptop.folder, 0o700)
    laptop.step()
    assert others_cost(laptop) == {"desktop": ONE}


def test_a_folder_above_others_may_write_is_refused(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", now_ts(5), session="d")])
    desktop.step()
    os.chmod(laptop.folder.parent, 0o777)  # someone could swap the whole folder
    result = laptop.step()
    assert result.problem == "sync folder writable by others"
    assert str(laptop.folder.parent) in result.detail
    assert others_cost(laptop) == {}


def test_a_sticky_folder_of_your_own_is_shared(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", now_ts(5), session="d")])
    desktop.step()
    os.chmod(laptop.folder, 0o1777)
    result = laptop.step()
    assert result.problem == "" and result.skipped == []
    assert others_cost(laptop) == {"desktop": ONE}
