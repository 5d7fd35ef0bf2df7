"""What the background refresh runs after indexing: publish this machine's share, fold the others.

Cheap when nothing changed: the index's hour files and the other machines' manifests are
compared by stat signature, so an idle minute reads a few stats and rewrites the small line.
"""

from __future__ import annotations

import errno

from statusline.index.upkeep import try_job_lock
from statusline.sync.fmt import NotYours
from statusline.sync.fold import Folded, drop_line, fold
from statusline.sync.machine import machine_id, move
from statusline.sync.publish import IdTaken, publish
from statusline.sync.settings import Settings, load


def publish_problem(exc: OSError) -> str:
    if isinstance(exc, NotYours):
        return exc.line
    if isinstance(exc, FileNotFoundError):
        return "sync folder missing"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "sync folder read-only"
    return "sync folder not writable"


def run(cache: str, settings: Settings | None = None, now_s: float | None = None) -> Folded | None:
    """Publish and fold (None when sync is off: the line file goes). OSError when the cache or
    the machine id cannot be kept; a sync folder that cannot be written is the result's problem."""
    settings = load() if settings is None else settings
    if not settings.enabled:
        drop_line(cache)
        return None
    own = machine_id(cache)
    fd = try_job_lock(cache, "sync.lock", wait=True)
    try:
        problem = ""
        try:
            try:
                publish(cache, settings, own, now_s)
            except IdTaken:  # a copy of this machine's state dir elsewhere: both shares stay
                own = move(own, now_s)
                publish(cache, settings, own, now_s)
        except OSError as exc:
            problem = publish_problem(exc)
        return fold(cache, settings, own, now_s, problem)
    finally:
        if fd is not None:
            import os

            os.close(fd)


def after_refresh(cache: str) -> None:
    """The background refresh's sync step: never fails the refresh (problems go to the log)."""
    try:
        run(cache)
    except Exception as exc:
        from statusline import log

        log.exception(cache, "sync", exc)
