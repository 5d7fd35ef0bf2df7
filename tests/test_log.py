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
