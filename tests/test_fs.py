"""statusline/fs.py: the render's file calls, taken from `posix`, behave as os and os.path do."""

from __future__ import annotations

import os
import random

import pytest

from statusline import fs


@pytest.mark.parametrize("home", ["/", "", "/h", "/h/", "//h"])
@pytest.mark.parametrize("path", ["~", "~/x", "~/x/", "x", "/abs", "~user/x"])
def test_expanduser_as_os_path(monkeypatch, home, path):
    monkeypatch.setenv("HOME", home)
    if path.startswith("~user"):
        return  # needs the password database either way; fs hands it to os.path
    assert fs.expanduser(path) == os.path.expanduser(path)


def test_path_helpers_as_os_path_on_random_paths():
    rnd = random.Random(3)
    parts = ["", "/", "//", "a", "b.c", "..", ".", "~", "é", "x/"]
    for _ in range(5000):
        p = "".join(rnd.choice(parts) for _ in range(rnd.randrange(0, 6)))
        q = "".join(rnd.choice(parts) for _ in range(rnd.randrange(0, 4)))
        assert fs.dirname(p) == os.path.dirname(p), p
        assert fs.basename(p) == os.path.basename(p), p
        assert fs.normpath(p) == os.path.normpath(p), p
        assert fs.join(p, q) == os.path.join(p, q), (p, q)
        if p.startswith("/"):
            assert fs.abspath(p) == os.path.abspath(p), p


def test_makedirs_gives_every_new_folder_the_mode(tmp_path):
    # Unlike os.makedirs (parents 0o777): a new cache root was 0755. The XDG base directory
    # spec asks for 0700 on folders it creates, too.
    leaf = tmp_path / "a" / "b" / "c"
    old = os.umask(0)
    try:
        fs.makedirs(str(leaf), 0o700)
    finally:
        os.umask(old)
    assert [(p.stat().st_mode & 0o777) for p in (leaf, leaf.parent, tmp_path / "a")] == [0o700] * 3
    fs.makedirs(str(leaf), 0o700, exist_ok=True)
    with pytest.raises(FileExistsError):
        fs.makedirs(str(leaf), 0o700)


def test_isfile_and_isdir_as_os_path(tmp_path):
    (tmp_path / "f").write_text("x")
    (tmp_path / "broken").symlink_to(tmp_path / "missing")
    os.mkfifo(tmp_path / "fifo")
    for name in ("f", "broken", "fifo", "missing", ""):
        p = str(tmp_path / name)
        assert fs.isfile(p) == os.path.isfile(p) and fs.isdir(p) == os.path.isdir(p), name


def test_open_private_refuses_links_fifos_and_other_users_files(tmp_path):
    (tmp_path / "target").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    os.mkfifo(tmp_path / "fifo")  # opened for writing with no reader: refused at once, no hang
    for name in ("link", "dangling", "fifo"):
        with pytest.raises(OSError):
            fs.open_private(str(tmp_path / name), fs.O_WRONLY | fs.O_APPEND)
    assert not (tmp_path / "missing").exists() and (tmp_path / "target").read_text() == "x"
    fd = fs.open_private(str(tmp_path / "new"), fs.O_WRONLY | fs.O_APPEND)
    os.close(fd)
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o600
    if os.geteuid() == 0:  # only root can give a file to another user
        os.chown(tmp_path / "new", 65534, 65534)
        with pytest.raises(PermissionError):
            fs.open_private(str(tmp_path / "new"), fs.O_RDWR)


def test_create_new_takes_nothing_that_is_there(tmp_path):
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    for name in ("dangling", "file"):
        with pytest.raises(FileExistsError):
            fs.create_new(str(tmp_path / name))
    assert not (tmp_path / "missing").exists() and (tmp_path / "file").read_text() == "x"
    names = {fs.temp_name("/c/meta") for _ in range(100)}
    assert len(names) == 100 and all(n.startswith("/c/meta.") and n.endswith(".tmp") for n in names)
