"""`costline doctor`: each check says what is wrong and where."""

from __future__ import annotations

import json

from helpers import run_costline
from test_render import unwritable_caches


def test_doctor_says_why_the_cache_is_not_writable(tmp_path):
    for cache in unwritable_caches(tmp_path):
        proc = run_costline(b"", "doctor", "--json", "--no-timing", env={"COSTLINE_CACHE_DIR": str(cache)})
        checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
        assert proc.returncode == 1
        assert not checks["cache"]["ok"] and str(cache) in checks["cache"]["detail"]
        assert (
            "Not a directory" in checks["cache"]["detail"] or "Permission denied" in checks["cache"]["detail"]
        )


def test_doctor_cache_check_passes_when_writable():
    proc = run_costline(b"", "doctor", "--json", "--no-timing")
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["cache"]["ok"]


def settings_checks() -> dict:
    proc = run_costline(b"", "doctor", "--json", "--no-timing")
    return {c["name"]: c for c in json.loads(proc.stdout)["checks"]}


def test_doctor_knows_the_launcher_install_wrote(config_dir):
    assert run_costline(b"", "install").returncode == 0
    check = settings_checks()["settings (user)"]
    assert check["ok"] and "costline-statusline" in check["detail"]
    assert "another costline install" not in check["detail"]


def test_doctor_says_when_the_status_line_command_is_gone(config_dir):
    (config_dir / "settings.json").write_text(
        json.dumps({"statusLine": {"type": "command", "command": "/nowhere/bin/costline-statusline"}})
    )
    check = settings_checks()["settings (user)"]
    assert not check["ok"] and "not there" in check["detail"] and check["fix"] == "costline install"
