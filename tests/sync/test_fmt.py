from __future__ import annotations

import os

import pytest

from statusline.sync import fmt


@pytest.mark.parametrize(
    "name",
    [
        ".syncthing.2026-12-03.json.tmp",
        ".machine.json.3f2a.tmp",
        "~2026-12-03.json",
        "2026-12-03.sync-conflict-20261203-101500-ABCDEF.json",
        "2026-12-03 (conflicted copy 2026-12-03).json",
        "machine (laptop's conflicted copy).json",
        "2026-12-03.json.tmp",
    ],
)
def test_names_still_arriving_or_in_conflict_are_ignored(name):
    assert fmt.ignored(name)


@pytest.mark.parametrize("name", ["2026-12-03.json", "machine.json", "m-" + "a" * 32])
def test_our_names_are_read(name):
    assert not fmt.ignored(name)


def test_write_replaces_whole_files_owner_only(tmp_path):
    os.umask(0o022)
    path = tmp_path / "out" / "x.json"
    path.parent.mkdir()
    fmt.write(str(path), b"one")
    fmt.write(str(path), b"two")
    assert path.read_bytes() == b"two"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.listdir(path.parent) == ["x.json"]  # no temp file left


def test_make_folder_is_owner_only_all_the_way_down(tmp_path):
    os.umask(0o022)
    fmt.make_folder(str(tmp_path / "a" / "b" / "c"), str(tmp_path))
    for sub in ("a", "a/b", "a/b/c"):
        assert os.stat(tmp_path / sub).st_mode & 0o777 == 0o700


def test_decode_refuses_what_is_not_a_whole_object():
    assert fmt.decode(b'{"format": 1, "days": {') is None
    assert fmt.decode(b"[1]") is None
    assert fmt.decode(b"\xff") is None
    assert fmt.decode(b'{"format": 1}') == {"format": 1}


def test_read_file_never_follows_a_link(tmp_path):
    (tmp_path / "real").write_text("{}")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OSError):
        fmt.read_file(str(tmp_path / "link"))
