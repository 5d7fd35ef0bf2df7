"""Escaping and a few hand-written SVG charts for the HTML report (no charting library).

Every helper takes labels, tooltips and names raw and escapes them itself, so a caller never
passes markup and cannot forget to escape. Coordinates are rounded to 0.1 and colours come from
CSS classes, which keeps a year of bars small and lets the page's themes restyle every chart.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence

from statusline.look import UNPRINTABLE

WIDTH = 1000.0  # viewBox width of every chart; the page scales it to the column
LEFT = 56.0  # room for the y-axis labels; the daily bars and the block strip share it, so they line up
RIGHT = 12.0

# What the terminal never gets (look.UNPRINTABLE: controls, bidi and other format characters,
# line and paragraph separators) would be invisible, reorder a label or break a one-line one:
# tab/CR/LF/U+2028/U+2029 become a space, the rest U+FFFD, so a tampered name shows it was.
_CONTROLS: dict[int, str] = {c: "\ufffd" for first, last in UNPRINTABLE for c in range(first, last + 1)}
_CONTROLS.update({0x09: " ", 0x0A: " ", 0x0D: " ", 0x2028: " ", 0x2029: " "})
# Lone surrogates cannot be encoded as UTF-8; noncharacters are HTML parse errors.
_INVALID = re.compile(
    "[\ud800-\udfff\ufdd0-\ufdef"
    + "".join(chr(plane | 0xFFFE) + chr(plane | 0xFFFF) for plane in range(0, 0x110000, 0x10000))
    + "]"
)

Column = tuple[str, Sequence[float], str]  # (axis label or "", stacked values bottom-up, tooltip)


def clean(text: str) -> str:
    """Replace controls, format characters, lone surrogates and noncharacters so the text is
    printable, in order and valid UTF-8."""
    if not isinstance(text, str):
        text = str(text)
    return _INVALID.sub("\ufffd", text.translate(_CONTROLS))


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters: the start and the end, joined by an ellipsis (a path keeps
    its root and its last folder)."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def esc_text(text: str) -> str:
    """Escape raw text for HTML element content."""
    return html.escape(clean(text), quote=True)


def esc_attr(text: str) -> str:
    """Escape raw text for a quoted HTML attribute value."""
    return html.escape(clean(text), quote=True)


def esc_svg(text: str) -> str:
    """Escape raw text for inline SVG: <text>, <title> and attribute values."""
    # Inline SVG goes through the HTML parser, so HTML escaping is exact; `]]>` loses its `>`.
    return html.escape(clean(text), quote=True)


def finite(x: float) -> float:
    """x as a float, or 0.0 when it is NaN, infinite or not a number at all."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0


def num(x: float) -> str:
    """A coordinate rounded to 0.1, without a trailing `.0`."""
    s = f"{x:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """0 and round steps (1, 2, 2.5 or 5 × 10ⁿ) up to the first tick at or above top."""
    top = finite(top)
    if top <= 0:
        return [0.0]
    raw = top / count
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))
    n = max(1, math.ceil(top / step - 1e-9))
    return [i * step for i in range(n + 1)]


def _svg(height: float, label: str, body: list[str], cls: str = "chart") -> str:
    return (
        f'<svg class="{cls}" viewBox="0 0 {num(WIDTH)} {num(height)}" role="img" '
        f'aria-label="{esc_attr(label)}"><title>{esc_svg(label)}</title>{"".join(body)}</svg>'
    )


def _rect(cls: str, x: float, y: float, w: float, h: float, tip: str = "") -> str:
    x, y = round(x, 1), round(y, 1)
    # Width and height from rounded edges, so stacked parts neither gap nor overlap.
    w, h = round(x + w, 1) - x, round(y + h, 1) - y
    shape = f'<rect class="{cls}" x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}"'
    return f"{shape}><title>{esc_svg(tip)}</title></rect>" if tip else shape + "/>"


def _label(cls: str, x: float, y: float, text: str, anchor: str = "start") -> str:
    where = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return f'<text class="{cls}" x="{num(x)}" y="{num(y)}"{where}>{esc_svg(text)}</text>'


def _hline(cls: str, y: float, x1: float = LEFT, x2: float = WIDTH - RIGHT) -> str:
    return f'<line class="{cls}" x1="{num(x1)}" x2="{num(x2)}" y1="{num(y)}" y2="{num(y)}"/>'


def _vline(cls: str, x: float, y1: float, y2: float) -> str:
    return f'<line class="{cls}" x1="{num(x)}" x2="{num(x)}" y1="{num(y1)}" y2="{num(y2)}"/>'


def ref_lines(refs: Sequence[tuple[str, float]], y_of: Callable[[float], float], top: float) -> list[str]:
    """Dashed horizontal lines with their labels; a label that would overlap the one below moves left."""
    out: list[str] = []
    right: list[float] = []
    for text, value in sorted(refs, key=lambda r: finite(r[1])):
        v = finite(value)
        if v < 0:
            continue
        y = y_of(v)
        out.append(_hline("ref", y))
        ty = y - 4 if y - 4 >= top + 9 else y + 12
        if any(abs(ty - other) < 13 for other in right):
            out.append(_label("rl", LEFT + 4, ty, text))
        else:
            right.append(ty)
            out.append(_label("rl", WIDTH - RIGHT - 2, ty, text, "end"))
    return out


def bar_chart(
    columns: Sequence[Column],
    classes: Sequence[str],
    label: str,
    fmt: Callable[[float], str],
    refs: Sequence[tuple[str, float]] = (),
    height: float = 240.0,
) -> str:
    """Vertical bars, stacked bottom-up with one CSS class per series, y grid, and reference lines."""
    totals = [sum(max(0.0, finite(v)) for v in values) for _, values, _ in columns]
    ticks = nice_ticks(max([*totals, *(finite(v) for _, v in refs), 0.0]))
    scale = ticks[-1] or 1.0
    top, bottom = 18.0, height - 22.0

    def y_of(v: float) -> float:
        return bottom - (bottom - top) * v / scale

    out: list[str] = []
    for t in ticks:
        out.append(_hline("grid", y_of(t)))
        out.append(_label("ax", LEFT - 6, y_of(t) + 4, fmt(t), "end"))
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(columns))
    width = min(slot * 0.8, 48.0) if slot >= 2.5 else slot  # a gap when there is room; no slabs
    for i, (axis, values, tip) in enumerate(columns):
        x = LEFT + i * slot
        parts = [f"<g><title>{esc_svg(tip)}</title>", _rect("hit", x, top, slot, bottom - top)] if tip else []
        base = 0.0
        for value, cls in zip(values, classes, strict=False):
            v = max(0.0, finite(value))
            if v > 0:
                parts.append(
                    _rect(cls, x + (slot - width) / 2, y_of(base + v), width, y_of(base) - y_of(base + v))
                )
                base += v
        if tip:
            parts.append("</g>")
        out.extend(parts)
        if axis:
            out.append(_vline("tick", x, bottom, bottom + 4))
            anchor = "end" if x > WIDTH - RIGHT - 40 else "start"
            out.append(_label("ax", x + (2 if anchor == "start" else slot), height - 6, axis, anchor))
    out.append(_hline("axis", bottom))
    out.extend(ref_lines(refs, y_of, top))
    return _svg(height, label, out)


def strip_chart(
    spans: Sequence[tuple[float, float, float, str]],
    lo: float,
    hi: float,
    label: str,
    ticks: Sequence[tuple[float, str]] = (),
    height: float = 70.0,
) -> str:
    """A thin timeline over [lo, hi]: each (start, end, value, tooltip) span is a bar whose height
    and shade (classes k0…k5) grow with its value."""
    top, bottom = 4.0, height - 20.0
    k = (WIDTH - LEFT - RIGHT) / (hi - lo) if hi > lo else 0.0
    peak = max((finite(v) for _, _, v, _ in spans), default=0.0)
    out = [_hline("axis", bottom)]
    for start, end, value, tip in spans:
        x0 = LEFT + (finite(start) - lo) * k
        x1 = LEFT + (finite(end) - lo) * k
        if x1 < LEFT or x0 > WIDTH - RIGHT:
            continue
        x0, x1 = max(x0, LEFT), min(x1, WIDTH - RIGHT)
        share = max(0.0, finite(value)) / peak if peak > 0 else 0.0
        level = min(5, 1 + int(share * 5)) if share > 0 else 0
        h = max(1.5, (bottom - top) * share)
        out.append(_rect(f"k{level}", x0, bottom - h, max(0.6, x1 - x0), h, tip))
    for at, text in ticks:
        x = LEFT + (finite(at) - lo) * k
        if LEFT <= x <= WIDTH - RIGHT:
            out.append(_vline("tick", x, bottom, bottom + 4))
            anchor = "end" if x > WIDTH - RIGHT - 40 else "start"
            out.append(_label("ax", x + (2 if anchor == "start" else 0), height - 6, text, anchor))
    return _svg(height, label, out)


def gauge(
    bars: Sequence[tuple[float, str, str]],
    marks: Sequence[tuple[float, str, str]],
    label: str,
    height: float = 64.0,
) -> str:
    """One horizontal track from zero: (value, class, tooltip) bars, drawn longest first so the
    shorter stay visible, and (value, class, label) marks such as a budget."""
    pad = 4.0
    peak = max([finite(v) for v, _, _ in bars] + [finite(v) for v, _, _ in marks] + [0.0])
    scale = peak * 1.08 if peak > 0 else 1.0
    y, h = 26.0, 22.0

    def x_of(v: float) -> float:
        return pad + (WIDTH - 2 * pad) * max(0.0, finite(v)) / scale

    out = [_rect("track", pad, y, WIDTH - 2 * pad, h)]
    for value, cls, tip in sorted(bars, key=lambda b: -finite(b[0])):
        if finite(value) > 0:
            out.append(_rect(cls, pad, y, x_of(value) - pad, h, tip))
    for value, cls, text in marks:
        x = x_of(value)
        out.append(_vline(cls, x, y - 6, y + h + 6))
        anchor = "end" if x > WIDTH * 0.75 else "start"
        out.append(_label("ml", x + (-4 if anchor == "end" else 4), y - 9, text, anchor))
    return _svg(height, label, out)


def share_strip(parts: Sequence[tuple[float, str, str]], label: str, height: float = 16.0) -> str:
    """One bar split into (share, class, tooltip) parts, left to right; a total over 1 is scaled down."""
    norm = max(1.0, sum(max(0.0, finite(s)) for s, _, _ in parts))
    out: list[str] = []
    x = 0.0
    for share, cls, tip in parts:
        w = WIDTH * max(0.0, finite(share)) / norm
        if w > 0:
            out.append(_rect(cls, x, 0, w, height, tip))
            x += w
    return _svg(height, label, out, "chart strip")


def mini_bar(share: float, cls: str) -> str:
    """A decorative table-cell bar (the share is in the next cell), hidden from screen readers."""
    w = 100 * min(1.0, max(0.0, finite(share)))
    return (
        '<svg class="mb" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
        f'<rect class="{cls}" width="{num(w)}" height="10"/></svg>'
    )
