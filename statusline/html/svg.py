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

WIDTH = 1000.0  # viewBox width of a chart's shapes, stretched to the column; its text is not
AXIS = 6.0  # px between a y label and the plot

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
    """A bar as wide as its column: shapes in a WIDTH-wide box stretched to fit, `height` px tall."""
    return (
        f'<svg class="{cls}" width="100%" height="{num(height)}" viewBox="0 0 {num(WIDTH)} {num(height)}" '
        f'preserveAspectRatio="none" role="img" aria-label="{esc_attr(label)}">'
        f"<title>{esc_svg(label)}</title>{''.join(body)}</svg>"
    )


def _chart(height: float, label: str, shapes: list[str], texts: list[str]) -> str:
    """A chart as wide as its column and `height` px tall. Its shapes are drawn in a WIDTH-wide
    box stretched to that width, its text over them in CSS pixels (x as a percentage): a phone
    narrows the bars but does not shrink the labels to 4 px, as one scaled viewBox did."""
    h = num(height)
    return (
        f'<svg class="chart" width="100%" height="{h}" role="img" aria-label="{esc_attr(label)}">'
        f"<title>{esc_svg(label)}</title>"
        f'<svg width="100%" height="{h}" viewBox="0 0 {num(WIDTH)} {h}" preserveAspectRatio="none" '
        f'aria-hidden="true">{"".join(shapes)}</svg>{"".join(texts)}</svg>'
    )


def _y_axis(height: float, labels: list[tuple[float, str]]) -> str:
    """The y labels, right-aligned in the gutter left of a chart (`.plot` lays the two out)."""
    at = f'class="ax" x="100%" dx="-{num(AXIS)}" text-anchor="end"'
    body = "".join(f'<text {at} y="{num(y + 4)}">{esc_svg(text)}</text>' for y, text in labels)
    return f'<svg class="yax" width="100%" height="{num(height)}" aria-hidden="true">{body}</svg>'


def _rect(cls: str, x: float, y: float, w: float, h: float, tip: str = "") -> str:
    x, y = round(x, 1), round(y, 1)
    # Width and height from rounded edges, so stacked parts neither gap nor overlap.
    w, h = round(x + w, 1) - x, round(y + h, 1) - y
    shape = f'<rect class="{cls}" x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}"'
    return f"{shape}><title>{esc_svg(tip)}</title></rect>" if tip else shape + "/>"


def _label(cls: str, x: float, y: float, text: str, anchor: str = "start", dx: float = 0.0) -> str:
    """Text at x (in WIDTH units, written as a percentage of the chart's width) and y (px)."""
    where = "" if anchor == "start" else f' text-anchor="{anchor}"'
    shift = f' dx="{num(dx)}"' if dx else ""
    return (
        f'<text class="{cls}" x="{num(100 * x / WIDTH)}%"{shift} y="{num(y)}"{where}>{esc_svg(text)}</text>'
    )


def _hline(cls: str, y: float, x1: float = 0.0, x2: float = WIDTH) -> str:
    return f'<line class="{cls}" x1="{num(x1)}" x2="{num(x2)}" y1="{num(y)}" y2="{num(y)}"/>'


def _vline(cls: str, x: float, y1: float, y2: float) -> str:
    return f'<line class="{cls}" x1="{num(x)}" x2="{num(x)}" y1="{num(y1)}" y2="{num(y2)}"/>'


def _ticks(
    ticks: Sequence[tuple[float, float, str]], bottom: float, height: float
) -> tuple[list[str], list[str]]:
    """Tick marks at x and their labels, for (x, end of what is labelled, text) in WIDTH units.
    A label starts at its tick, or near the right edge ends at the end of its day. A narrow
    screen hides the labels of class `minor` and keeps at most 5."""
    shapes, texts = [], []
    step = math.ceil(len(ticks) / 5)
    for k, (x, end, text) in enumerate(ticks):
        shapes.append(_vline("tick", x, bottom, bottom + 4))
        cls = "ax minor" if k % step else "ax"
        if x > WIDTH * 0.88:
            texts.append(_label(cls, end, height - 6, text, "end", -2))
        else:
            texts.append(_label(cls, x, height - 6, text, "start", 2))
    return shapes, texts


def ref_lines(refs: Sequence[tuple[str, float]], y_of: Callable[[float], float]) -> list[str]:
    """Horizontal lines across the chart, each its own dash (`ref r0`, `r1`, `r2`) so the legend,
    which names them, can tell them apart: a label drawn on the chart would cover its bars."""
    drawn = [finite(v) for _, v in refs if finite(v) >= 0]
    return [_hline(f"ref r{k % 3}", y_of(v)) for k, v in enumerate(drawn)]


def bar_chart(
    columns: Sequence[Column],
    classes: Sequence[str],
    label: str,
    fmt: Callable[[float], str],
    refs: Sequence[tuple[str, float]] = (),
    height: float = 240.0,
) -> str:
    """Vertical bars, stacked bottom-up with one CSS class per series, y grid, and reference lines
    (named by the caller's legend)."""
    totals = [sum(max(0.0, finite(v)) for v in values) for _, values, _ in columns]
    ticks = nice_ticks(max([*totals, *(finite(v) for _, v in refs), 0.0]))
    scale = ticks[-1] or 1.0
    top, bottom = 18.0, height - 22.0

    def y_of(v: float) -> float:
        return bottom - (bottom - top) * v / scale

    shapes = [_hline("grid", y_of(t)) for t in ticks]
    slot = WIDTH / max(1, len(columns))
    width = min(slot * 0.8, 48.0) if slot >= 2.5 else slot  # a gap when there is room; no slabs
    axis: list[tuple[float, float, str]] = []
    for i, (text, values, tip) in enumerate(columns):
        x = i * slot
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
        shapes.extend(parts)
        if text:
            axis.append((x, x + slot, text))
    shapes.append(_hline("axis", bottom))
    shapes.extend(ref_lines(refs, y_of))
    tick_shapes, texts = _ticks(axis, bottom, height)
    chart = _chart(height, label, shapes + tick_shapes, texts)
    return f'<div class="plot">{_y_axis(height, [(y_of(t), fmt(t)) for t in ticks])}{chart}</div>'


def strip_chart(
    spans: Sequence[tuple[float, float, float, str]],
    lo: float,
    hi: float,
    label: str,
    ticks: Sequence[tuple[float, str]] = (),
    height: float = 70.0,
) -> str:
    """A thin timeline over [lo, hi]: each (start, end, value, tooltip) span is a bar whose height
    and shade (classes k0…k5) grow with its value. It sits under the daily bars' plot, past the
    same y-axis gutter, so that days line up."""
    top, bottom = 4.0, height - 20.0
    k = WIDTH / (hi - lo) if hi > lo else 0.0
    peak = max((finite(v) for _, _, v, _ in spans), default=0.0)
    shapes = [_hline("axis", bottom)]
    for start, end, value, tip in spans:
        x0 = (finite(start) - lo) * k
        x1 = (finite(end) - lo) * k
        if x1 < 0 or x0 > WIDTH:
            continue
        x0, x1 = max(x0, 0.0), min(x1, WIDTH)
        share = max(0.0, finite(value)) / peak if peak > 0 else 0.0
        level = min(5, 1 + int(share * 5)) if share > 0 else 0
        h = max(1.5, (bottom - top) * share)
        shapes.append(_rect(f"k{level}", x0, bottom - h, max(0.6, x1 - x0), h, tip))
    day = 86_400_000 * k  # a tick is a day's start; near the right edge its label ends with the day
    at = [((finite(t) - lo) * k, text) for t, text in ticks]
    tick_shapes, texts = _ticks(
        [(x, min(x + day, WIDTH), text) for x, text in at if 0 <= x <= WIDTH], bottom, height
    )
    return f'<div class="plot">{_chart(height, label, shapes + tick_shapes, texts)}</div>'


def gauge(
    bars: Sequence[tuple[float, str, str]],
    marks: Sequence[tuple[float, str, str]],
    label: str,
    height: float = 64.0,
) -> str:
    """One horizontal track from zero: (value, class, tooltip) bars, drawn longest first so the
    shorter stay visible, and (value, class, label) marks such as a budget."""
    peak = max([finite(v) for v, _, _ in bars] + [finite(v) for v, _, _ in marks] + [0.0])
    scale = peak * 1.08 if peak > 0 else 1.0
    y, h = 26.0, 22.0

    def x_of(v: float) -> float:
        return WIDTH * max(0.0, finite(v)) / scale

    shapes = [_rect("track", 0, y, WIDTH, h)]
    for value, cls, tip in sorted(bars, key=lambda b: -finite(b[0])):
        if finite(value) > 0:
            shapes.append(_rect(cls, 0, y, x_of(value), h, tip))
    texts = []
    for value, cls, text in marks:
        x = x_of(value)
        shapes.append(_vline(cls, x, y - 6, y + h + 6))
        if x > WIDTH * 0.5:  # toward the right, the label ends at its mark
            texts.append(_label("ml", x, y - 9, text, "end", -4))
        else:
            texts.append(_label("ml", x, y - 9, text, "start", 4))
    return _chart(height, label, shapes, texts)


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
