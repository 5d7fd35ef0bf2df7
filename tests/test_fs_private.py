"""statusline/fs.py: files and folders of the cache dir are used only when costline made them."""

from __future__ import annotations

import os

import pytest

from statusline import fs

OTHER_UID = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")


def _victim(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    return cache, victim


def test_a_private_file_is_read_whole_or_up_to_a_limit(tmp_path):
    cache, _ = _victim(tmp_path)
    data = bytes(range(256)) * 5000
    (cache / "f").write_bytes(data)
    assert fs.read_private(str(cache / "f")) == data
    assert fs.read_private(str(cache / "f"), 16) == data[:16]
    body, st = fs.read_private_stat(str(cache / "f"))
    assert body == data and st.st_size == len(data)


def test_a_missing_file_is_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        fs.read_private(str(tmp_path / "none"))


@pytest.mark.parametrize("kind", ["symlink", "hard link", "fifo", "folder"])
def test_what_costline_did_not_make_is_refused(tmp_path, kind):
    cache, victim = _victim(tmp_path)
    path = cache / "planted"
    if kind == "symlink":
        path.symlink_to(victim)
    elif kind == "hard link":
        os.link(victim, path)
    elif kind == "fifo":
        os.mkfifo(path)  # opened without O_NONBLOCK, this would wait for a writer forever
    else:
        path.mkdir()
    with pytest.raises(fs.Refused):
        fs.read_private(str(path))
    with pytest.raises(OSError):
        fd = fs.open_private(str(path), fs.O_WRONLY | fs.O_APPEND)
        fs.close(fd)
    assert victim.read_bytes() == b"precious\n"


@needs_root
def test_another_users_file_is_refused(tmp_path):
    cache, _ = _victim(tmp_path)
    (cache / "theirs").write_bytes(b"x")
    os.chown(cache / "theirs", OTHER_UID, OTHER_UID)
    with pytest.raises(fs.Refused):
        fs.read_private(str(cache / "theirs"))


def test_a_folder_is_made_private_and_a_planted_link_refused(tmp_path):
    cache, _ = _victim(tmp_path)
    fs.make_private_folder(str(cache / "a" / "b"))
    assert (cache / "a" / "b").stat().st_mode & 0o777 == 0o700
    (cache / "link").symlink_to(tmp_path)
    with pytest.raises(fs.Refused, match="holds a link"):
        fs.make_private_folder(str(cache / "link"))
    (cache / "open").mkdir()
    (cache / "open").chmod(0o777)
    with pytest.raises(fs.Refused, match="writable by others"):
        fs.make_private_folder(str(cache / "open"))


def test_ancestors_others_may_write_are_named_sticky_ones_are_fine(tmp_path):
    shared = tmp_path / "shared"
    (shared / "me").mkdir(parents=True)
    shared.chmod(0o777)
    assert fs.ancestor_problem(str(shared / "me")) == f"{shared} writable by others"
    shared.chmod(0o1777)  # like /tmp: others may add entries, not replace the user's
    assert fs.ancestor_problem(str(shared / "me")) is None
    assert fs.ancestor_problem(str(shared / "me" / "not-yet" / "made")) is None


def test_ancestors_are_checked_through_links(tmp_path):
    """A link of the user's on the way to a folder in an open parent: the target's parents
    count, not the link's."""
    shared = tmp_path / "shared"
    (shared / "me").mkdir(parents=True)
    shared.chmod(0o777)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "cache").symlink_to("../shared/me")  # relative, as ln -s makes them
    said = f"{shared} writable by others"
    assert fs.ancestor_problem(str(tmp_path / "mine" / "cache" / "costline")) == said
    assert fs.ancestor_problem(str(tmp_path / "mine" / "cache")) == said


def test_the_last_bytes_of_a_private_file_can_be_read(tmp_path):
    cache, _ = _victim(tmp_path)
    (cache / "f").write_bytes(b"0123456789")
    assert fs.read_private(str(cache / "f"), 4, last=True) == b"6789"
    assert fs.read_private(str(cache / "f"), 40, last=True) == b"0123456789"
    assert fs.read_private(str(cache / "f"), 4) == b"0123"
