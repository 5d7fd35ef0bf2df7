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
