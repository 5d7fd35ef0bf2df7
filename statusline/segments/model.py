"""Model: Claude Code's display name, compacted (`Opus 4.8 (1M context)` → `Opus 4.8`)."""

from __future__ import annotations

from statusline.payload import text
from statusline.pricing.resolve import normalise
from statusline.style import sanitise

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context


def short_name(display: str | None, model_id: str | None) -> str | None:
    """A compact label: the display name without a parenthetical, or one made from the id."""
    if display:
        cut = display.find(" (")
        return display[:cut] if cut > 0 else display
    if model_id:
        name, _ = normalise(model_id)
        words = name.split("-")
        if words and words[0] == "claude":
            words = words[1:]
        if words and not words[0].isdigit():
            return " ".join([words[0].capitalize(), ".".join(words[1:])]).strip()
        return name
    return None


def render(ctx: Context) -> list[tuple[str, str]] | None:
    label = short_name(text(ctx.get("model", "display_name")), text(ctx.get("model", "id")))
    return [(sanitise(label, 32), "model")] if label else None
