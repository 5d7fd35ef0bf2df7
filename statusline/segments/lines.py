"""Lines added and removed this session (`+156 −23`), hidden while both are zero."""

from __future__ import annotations

from statusline.payload import number

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context


def render(ctx: Context) -> list[tuple[str, str]] | None:
    added = int(number(ctx.get("cost", "total_lines_added")) or 0)
    removed = int(number(ctx.get("cost", "total_lines_removed")) or 0)
    if added <= 0 and removed <= 0:
        return None
    return [(f"+{added}", "added"), (" ", "muted"), (f"−{removed}", "removed")]
