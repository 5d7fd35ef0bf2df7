from __future__ import annotations

from statusline.config import load_config
from statusline.sync.settings import expand, load


def test_off_unless_a_folder_is_given(monkeypatch):
    monkeypatch.delenv("COSTLINE_SYNC_DIR", raising=False)
    assert not load({}).enabled
    monkeypatch.setenv("COSTLINE_SYNC_DIR", "")
    assert not load({"dir": "~/Sync/costline"}).enabled  # the empty override switches it off


def test_config_then_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("COSTLINE_SYNC_DIR", raising=False)
    monkeypatch.delenv("COSTLINE_SYNC_MACHINE", raising=False)
    section = {"dir": "~/Sync/costline", "machine": "laptop", "share_names": False, "stale_minutes": 3}
    got = load(section)
    assert got.dir == str(tmp_path / "home" / "Sync" / "costline")
    assert (got.machine, got.share_names, got.stale_minutes) == ("laptop", False, 3)
    monkeypatch.setenv("COSTLINE_SYNC_DIR", "/elsewhere")
    monkeypatch.setenv("COSTLINE_SYNC_MACHINE", "desk")
    monkeypatch.setenv("COSTLINE_SYNC_STALE_MINUTES", "20")
    got = load(section)
    assert (got.dir, got.machine, got.stale_minutes) == ("/elsewhere", "desk", 20)


def test_default_name_is_the_host_name(monkeypatch):
    import os
    import socket

    monkeypatch.delenv("COSTLINE_SYNC_MACHINE", raising=False)
    assert load({"dir": "/s"}).machine == socket.gethostname().split(".")[0]  # the same name
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(("Linux", "box7.example.org", "", "", "")))
    assert load({"dir": "/s"}).machine == "box7"


def test_the_settings_do_not_import_socket():
    """socket cost every report 4 ms, sync on or off; the node name needs no import."""
    import subprocess
    import sys

    probe = "import sys; from statusline.sync.settings import load; load({}); print('socket' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True)
    assert out.stdout.decode().strip() == "False"


def test_a_relative_folder_is_no_folder():
    assert expand("Sync/costline") == ""
    assert expand("/a/../b") == "/b"


def test_config_file_section_is_checked(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[sync]\ndir = "~/S"\nmachine = 3\nstale_minutes = 0\nshare = true\nshare_names = false\n'
    )
    config = load_config(str(path))
    assert config.sync == {"dir": "~/S", "share_names": False}
    text = " ".join(config.warnings)
    assert "sync.machine must be str" in text and "stale_minutes must be 1-10080" in text
    assert "unknown key 'sync.share'" in text and ":5:" in text
