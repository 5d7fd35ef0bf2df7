"""The segment registry: name → (render function, priority). Order here is order on the line.

A segment is a pure function of the Context returning (text, style) or None to hide itself.
Priority decides what is dropped first when the line is too wide (lowest goes first).
"""

from __future__ import annotations

from statusline import log
from statusline.segments import context_pct, lines, model, session, today

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from statusline.context import Context

    Render = Callable[[Context], "list[tuple[str, str]] | None"]

SEGMENTS: dict[str, tuple[Render, int]] = {
    "model": (model.render, 30),
    "session": (session.render, 50),
    "today": (today.render, 40),
    "context": (context_pct.render, 20),
    "lines": (lines.render, 10),
}


def run_segments(ctx: Context) -> list[tuple[list[tuple[str, str]], int, str]]:
    """(spans, priority, name) of every visible segment; a failing one is hidden and logged."""
    out = []
    for name, (render, priority) in SEGMENTS.items():
        try:
            shown = render(ctx)
        except Exception as exc:
            log.exception(ctx.cache, f"segment {name}", exc)
            continue
        if shown is not None:
            out.append((shown, priority, name))
    return out
