"""`costline config check`: what it says of the config file."""

from __future__ import annotations

from helpers import run_costline


def test_config_check_without_a_file_says_defaults_like_doctor(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "config.toml"
    monkeypatch.setenv("COSTLINE_CONFIG", str(missing))
    proc = run_costline(b"", "config", "check")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == f"{missing}: not present: defaults\n"


def test_config_check_of_a_good_file_says_ok(tmp_path, monkeypatch):
    good = tmp_path / "config.toml"
    good.write_text("[pricing]\noffline = true\n")
    monkeypatch.setenv("COSTLINE_CONFIG", str(good))
    assert run_costline(b"", "config", "check").stdout.decode() == f"{good}: ok\n"
