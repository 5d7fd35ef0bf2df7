from __future__ import annotations

import os

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
