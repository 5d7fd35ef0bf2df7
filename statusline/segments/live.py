"""This session's money by agent and by tool, as the background refresh split it
(attrib/live.py writes it; the render reads one small file through the Context).

Each is a small pure function of the Context (see segments/__init__.py).
"""

from __future__ import annotations

from statusline.look import display_width, sanitise
from statusline.payload import is_number
from statusline.segments import STALE_AFTER_S, age, money

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context
    from statusline.segments import Spans

    # rows (name, usd, unknown), the rest folded (count, usd, unknown), total, unknown
    Live = tuple[list[tuple[str, float, bool]], tuple[int, float, bool], float, bool]


# This session's split (agents, tools): names are cut to this many characters, and folded into
# `+N` until the segment fits LIVE_WIDTH columns.
LIVE_NAME_CHARS = 24


LIVE_WIDTH = 72


UNATTRIBUTED = "unattributed"  # attrib/breakdown.py: a message the split has not read yet


NOT_TOOLS = ("conversation", UNATTRIBUTED)  # tools rows that are no tool


def _live(ctx: Context, kind: str) -> Live | None:
    """(rows, (folded count, folded usd, folded unknown), total, unknown) of this session's
    `kind` split as the background refresh wrote it; None when there is none (yet) or it is
    not what the refresh writes."""
    part = ctx.live_split().get(kind)
    if not isinstance(part, dict):
        return None
    rows, rest, total, unknown = part.get("rows"), part.get("rest"), part.get("total"), part.get("unknown")
    if not (
        isinstance(rows, list) and isinstance(rest, tuple) and len(rest) == 3 and isinstance(total, float)
    ):
        return None
    kept = []
    for row in rows:
        if not (isinstance(row, tuple) and len(row) == 3 and isinstance(row[0], str) and is_number(row[1])):
            return None
        kept.append((row[0], float(row[1]), bool(row[2])))
    if not (isinstance(rest[0], int) and is_number(rest[1])):
        return None
    return kept, (rest[0], float(rest[1]), bool(rest[2])), total, bool(unknown)


def _live_items(ctx: Context, key: str, default: int) -> int:
    value = ctx.config.get(key)
    return value if isinstance(value, int) and value > 0 else default


def _behind(ctx: Context) -> Spans:
    """` (5m old)` when the session's logs changed and the split was not made again for a while."""
    behind = ctx.live_split().get("behind_s")
    return [(f" ({age(behind)} old)", "muted")] if is_number(behind) and behind > STALE_AFTER_S else []  # type: ignore[arg-type, operator]


def agents(ctx: Context) -> Spans | None:
    """This session's cost by agent, costliest first, the rest folded: `main $1.20 · Explore
    $0.40 · +2 $0.05` (`[agents] items` shown). Exact, as `report by agent --session`; made by
    the background refresh (attrib/live.py), so up to about a minute behind."""
    found = _live(ctx, "agent")
    if found is None:
        return None
    rows, rest, _total, _unknown = found
    items = _live_items(ctx, "agents_items", 3)
    while True:
        shown, folded = rows[:items], rows[items:]
        count = int(rest[0]) + len(folded)
        spans: Spans = []
        for name, usd, unknown in shown:
            label = "?" if name == UNATTRIBUTED else sanitise(name, LIVE_NAME_CHARS)
            spans += [(" · ", "muted")] if spans else []
            spans += [(label + " ", "muted"), (money(usd, unknown), "cost")]
        if count:
            usd = rest[1] + sum(r[1] for r in folded)
            unknown = bool(rest[2]) or any(r[2] for r in folded)
            spans += [
                (" · " if spans else "", "muted"),
                (f"+{count} ", "muted"),
                (money(usd, unknown), "cost"),
            ]
        if items <= 1 or display_width("".join(t for t, _ in spans)) <= LIVE_WIDTH:
            break
        items -= 1
    return (spans + _behind(ctx)) if spans else None


def tools(ctx: Context) -> Spans | None:
    """The tools taking the largest shares of this session's cost: `Read ~38% · Bash ~21%`
    (`[tools] items` shown, none under `[tools] min_pct`). An estimate (`~`), as `report by tool
    --session`: README, How cost is split by tool; `tools ?` when a model had no price."""
    found = _live(ctx, "tool")
    if found is None:
        return None
    rows, _rest, total, unknown = found
    if unknown:
        return [("tools ?", "muted")]  # shares of an unknown total: no figure rather than a wrong one
    if total <= 0:
        return None
    floor = ctx.config.get("tools_min_pct")
    floor = float(floor) if is_number(floor) else 5.0  # type: ignore[arg-type]
    shares = [(name, 100 * usd / total) for name, usd, _ in rows if name not in NOT_TOOLS]
    shown = [(name, pct) for name, pct in shares if pct >= floor and f"{pct:.0f}" != "0"]
    items = _live_items(ctx, "tools_items", 2)
    while True:
        spans: Spans = []
        for name, pct in shown[:items]:
            spans += [(" · ", "muted")] if spans else []
            spans += [(sanitise(name, LIVE_NAME_CHARS) + " ", "muted"), (f"~{pct:.0f}%", "cost")]
        if items <= 1 or display_width("".join(t for t, _ in spans)) <= LIVE_WIDTH:
            break
        items -= 1
    return (spans + _behind(ctx)) if spans else None
