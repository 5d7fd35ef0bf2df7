from __future__ import annotations

import os

import pytest
from helpers import run_costline

from statusline.sync.machine import machine_id, state_dir, valid_id

CACHE = "/home/u/.cache/costline"


def test_made_once_and_kept_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLINE_STATE_DIR", str(tmp_path / "state"))
    first = machine_id(CACHE)
    assert valid_id(first) and machine_id(CACHE) == first
    assert os.stat(tmp_path / "state" / "machine-id").st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "state").st_mode & 0o777 == 0o700


def test_default_place_is_xdg_state(tmp_path, monkeypatch):
    monkeypatch.delenv("COSTLINE_STATE_DIR", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert state_dir() == str(tmp_path / "home" / ".local" / "state" / "costline")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "x"))
    assert state_dir() == str(tmp_path / "x" / "costline")


def test_a_damaged_id_is_made_anew(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLINE_STATE_DIR", str(tmp_path))
    (tmp_path / "machine-id").write_text("not an id\n")
    os.chmod(tmp_path / "machine-id", 0o600)
    made = machine_id(CACHE)
    assert valid_id(made) and (tmp_path / "machine-id").read_text().strip() == made


def test_a_second_set_of_config_dirs_publishes_under_an_id_of_its_own(tmp_path, monkeypatch):
    # Its cache folder (cache/sets/<key>) holds other figures: publishing them under the
    # machine's id would overwrite the first set's part of the sync folder, and back again.
    monkeypatch.setenv("COSTLINE_STATE_DIR", str(tmp_path))
    first = machine_id(CACHE)
    work = machine_id(f"{CACHE}/sets/0123456789abcdef")
    other = machine_id(f"{CACHE}/sets/fedcba9876543210")
    assert valid_id(work) and valid_id(other)
    assert len({first, work, other}) == 3
    assert machine_id(f"{CACHE}/sets/0123456789abcdef") == work  # the same, run after run


# -- two machines with one id (a copied state dir) ----------------------------------------------
def _own(result) -> str:  # type: ignore[no-untyped-def]
    (own,) = [m.id for m in result.machines if m.own]
    return str(own)


def _cloned(boxes):  # type: ignore[no-untyped-def]
    """laptop, having published; desktop, a copy of its state dir (a cloned VM, a restored home)."""
    import shutil

    from sync_helpers import line
    from test_fold import TS
    from test_line import now_ts

    laptop = boxes("laptop")
    laptop.log("-w-app", "l", [line("l1", TS, session="l"), line("l2", now_ts(5), session="l")])
    laptop.step()
    desktop = boxes("desktop")
    shutil.copytree(laptop.state, desktop.state)  # same machine-id, a cache of its own
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    return laptop, desktop, laptop.mid()


def _both_kept(laptop, desktop) -> None:  # type: ignore[no-untyped-def]
    from sync_helpers import ONE
    from test_fold import others_cost

    for box in (laptop, desktop, laptop, desktop):  # each publishes again and folds the other
        box.step()
    assert others_cost(laptop) == {"desktop": ONE}
    assert others_cost(desktop) == {"laptop": 2 * ONE}


@pytest.mark.parametrize("order", ["clone-then-write", "write-then-clone"])
def test_a_copied_state_dir_moves_one_to_a_new_id_and_both_shares_stay(boxes, order):
    from sync_helpers import line, render
    from test_line import now_ts

    laptop, desktop, first = _cloned(boxes)
    if order == "clone-then-write":  # the first writes after the copy: the copy sees a stamp not its own
        laptop.log("-w-app", "l", [line("l3", now_ts(4), session="l", tokens=0)])
        laptop.step()
        mover, stayer = desktop, laptop
    else:  # the copy writes first (its stamps are the first's): the first sees a stamp not its own
        desktop.step()
        mover, stayer = laptop, desktop
    result = mover.step()
    moved = _own(result)
    assert moved != first and result.moved == first
    again = stayer.step()
    assert _own(again) == first and again.moved == ""
    _both_kept(laptop, desktop)
    assert _own(mover.step()) == moved  # it stays moved, under its own name
    assert {m.name for m in mover.step().machines} == {"laptop", "desktop"}
    assert "(sync id moved)" in render(mover, "x")
    assert "(sync id moved)" not in render(stayer, "x")
    status = run_costline(b"", "sync", "status", env=mover.env()).stdout.decode()
    assert f"this one's id {first[:8]}" in status and f"moved to {moved[:8]}" in status


def test_a_purged_cache_or_an_older_costlines_manifest_is_no_other_machine(boxes):
    import json
    import shutil

    from sync_helpers import line
    from test_fold import TS

    laptop = boxes("laptop")
    laptop.log("-w-app", "l", [line("l1", TS, session="l")])
    laptop.step()
    first = laptop.mid()
    shutil.rmtree(laptop.cache)  # uninstall --purge, or a cleaned cache: the state dir stays
    assert _own(laptop.step()) == first
    manifest = laptop.manifest()
    del manifest["stamp"]  # as costline before stamps wrote it
    (laptop.share() / "machine.json").write_text(json.dumps(manifest))
    result = laptop.step()
    assert _own(result) == first and result.moved == ""
