"""A bounded error log in the cache dir: the render path writes problems here, never to the terminal."""

from __future__ import annotations

import time

from statusline import fs

MAX_LOG_BYTES = 256 * 1024


def log_path(cache: str) -> str:
    return fs.join(cache, "costline.log")


def write(cache: str, message: str) -> None:
    """Append one line; rotate to `costline.log.1` past MAX_LOG_BYTES. Never raises."""
    try:
        fs.makedirs(cache, mode=0o700, exist_ok=True)
        path = log_path(cache)
        try:
            if fs.stat(path).st_size > MAX_LOG_BYTES:
                fs.replace(path, path + ".1")
        except OSError:
            pass
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime())
        line = f"{stamp} pid={fs.getpid()} {message}".replace("\n", " | ")[:2000] + "\n"
        fd = fs.open_private(path, fs.O_WRONLY | fs.O_APPEND)
        try:
            fs.write(fd, line.encode("utf-8", "replace"))
        finally:
            fs.close(fd)
    except Exception:
        pass


def exception(cache: str, where: str, exc: BaseException) -> None:
    """Log an exception with the innermost frame, without importing `traceback`."""
    tb = exc.__traceback__
    frame = ""
    while tb is not None:
        frame = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    write(cache, f"{where}: {type(exc).__name__}: {exc} at {frame}")
