"""Fixtures for the tests that run real Syncthing: one pair per test session, a fresh folder per test.

Without a `syncthing` command these tests skip and say why, unless COSTLINE_REQUIRE_SYNCTHING=1
(CI sets it once it has installed Syncthing): then a missing Syncthing is a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from syncthing import Machine, Pair, SyncthingError

_folders = itertools.count(1)


def require_syncthing() -> None:
    if shutil.which("syncthing"):
        return
    why = "syncthing is not installed (Debian: apt-get install syncthing)"
    if os.environ.get("COSTLINE_REQUIRE_SYNCTHING") == "1":
        pytest.fail(f"{why}, and COSTLINE_REQUIRE_SYNCTHING=1 requires it", pytrace=False)
    pytest.skip(f"{why}; COSTLINE_REQUIRE_SYNCTHING=1 turns this skip into a failure")


@pytest.fixture(scope="session")
def syncthing_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two Syncthing instances on 127.0.0.1, connected, sharing one folder."""
    require_syncthing()
    pair = Pair(tmp_path_factory.mktemp("syncthing"))
    try:
        pair.start()
    except SyncthingError:  # a port taken between choosing it and Syncthing binding it: once more
        pair = Pair(tmp_path_factory.mktemp("syncthing"))
        pair.start()
    try:
        yield pair
    finally:
        pair.stop()


@pytest.fixture
def pair(syncthing_pair: Pair) -> Iterator[Pair]:
    """The session's pair, in sync and connected before and after each test."""
    syncthing_pair.wait_connected()
    yield syncthing_pair
    syncthing_pair.wait_connected()


@pytest.fixture
def shared(pair: Pair) -> tuple[Path, Path]:
    """A new, empty subfolder of the shared folder: (as alpha sees it, as beta sees it)."""
    name = f"t{next(_folders)}"
    (pair.a.folder / name).mkdir()
    pair.sync()
    assert (pair.b.folder / name).is_dir()
    return pair.a.folder / name, pair.b.folder / name


@pytest.fixture
def machines(tmp_path: Path, shared: tuple[Path, Path]) -> tuple[Machine, Machine]:
    """Two costline users, "laptop" on alpha's side and "desktop" on beta's, syncing through a fresh
    costline folder inside the shared folder."""
    a_dir, b_dir = shared
    return (
        Machine("laptop", tmp_path / "laptop", a_dir / "costline"),
        Machine("desktop", tmp_path / "desktop", b_dir / "costline"),
    )
