"""Every test runs against a private HOME, Claude config dir and cache dir, in UTC unless it says."""

from __future__ import annotations

import os
import time

import pytest
from sync_helpers import boxes, folder  # noqa: F401 (fixtures: several machines, one sync folder)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    home = tmp_path / "home"
    config = home / ".claude"
    (config / "projects").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("COSTLINE_PLAN", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_BIN_HOME", raising=False)  # install links costline there
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    # Tests never reach the internet: prices are offline unless a test serves them on 127.0.0.1.
    settings = tmp_path / "costline.toml"
    settings.write_text("[pricing]\noffline = true\n")
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))
    yield config
    os.environ["TZ"] = "UTC0"
    time.tzset()


@pytest.fixture
def config_dir(isolated):
    return isolated
