"""Text tables for the reports: text left, numbers right, and a compact layout below the
terminal's width (as ccusage: the cache and total-token columns go first, then long names are
cut with an ellipsis, paths in the middle).

The width is COLUMNS, else the terminal's; output that is not a terminal (a pipe, a file) keeps
every column unless COLUMNS says otherwise.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import click

from statusline.look import ELLIPSIS, display_width, sanitise

CELL_CHARS = 200
FULL_LEAST = 24  # with every column shown, a name is cut no shorter than this
GAP = "  "
NUMBER = ">"
TEXT = "<"
KEEP = 0  # a column every layout shows
COMPACT = 1  # left out of the compact layout (cache and total-token columns)
NARROW = 2  # left out only when the compact layout, names cut to their least, is still too wide


@dataclass
class Column:
    header: str
    align: str = NUMBER
    drop: int = KEEP
    least: int = 0  # > 0: a name that may be cut down to this many columns
    middle: bool = False  # cut in the middle (a path: its head and its last folder stay)
    short: str = ""  # the header in the compact layout
    rank: int = 0  # names of a lower rank are cut first


def terminal_width() -> int | None:
    """COLUMNS, else the terminal's width; None (no limit) when stdout is not a terminal."""
    given = os.environ.get("COLUMNS", "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size((80, 24)).columns


def color_on() -> bool:
    return not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def muted(text: str) -> str:
    return f"\x1b[2m{text}\x1b[22m" if color_on() else text


def cut(text: str, width: int, middle: bool = False) -> str:
    """`text` in at most `width` terminal columns, an ellipsis where it was cut."""
    if display_width(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    if not middle:
        while text and display_width(text) > width - 1:
            text = text[:-1]
        return text + ELLIPSIS
    head_w = (width - 1) // 3  # the end of a path says more than its start
    head = tail = ""
    for ch in text:
        if display_width(head + ch) > head_w:
            break
        head += ch
    for ch in reversed(text):
        if display_width(head + ch + tail) > width - 1:
            break
        tail = ch + tail
    return head + ELLIPSIS + tail


def _pad(text: str, width: int, align: str) -> str:
    fill = " " * max(0, width - display_width(text))
    return fill + text if align == NUMBER else text + fill


def _span(widths: list[int]) -> int:
    return sum(widths) + len(GAP) * (len(widths) - 1)


def layout(
    columns: list[Column], rows: list[list[str]], width: int | None
) -> tuple[list[int], list[int], bool]:
    """(the columns shown, their widths, compact) for rows of already sanitised cells."""

    def natural(shown: list[int], compact: bool) -> list[int]:
        heads = [(columns[i].short or columns[i].header) if compact else columns[i].header for i in shown]
        return [
            max([display_width(h), *(display_width(r[i]) for r in rows)])
            for h, i in zip(heads, shown, strict=True)
        ]

    every = list(range(len(columns)))
    widths = natural(every, False)
    if width is None or _span(widths) <= width:
        return every, widths, False
    for level in (KEEP, COMPACT, NARROW):
        shown = [i for i in every if columns[i].drop == KEEP or columns[i].drop > level]
        widths = natural(shown, level > KEEP)
        # Names are cut no shorter than FULL_LEAST while a column could go instead.
        least = {n: columns[i].least for n, i in enumerate(shown) if columns[i].least}
        if level < NARROW:
            least = {n: max(m, min(widths[n], FULL_LEAST)) for n, m in least.items()}
        over = _span(widths) - width
        if over <= sum(widths[n] - m for n, m in least.items()) or level == NARROW:
            while over > 0 and any(widths[n] > m for n, m in least.items()):
                cuttable = (n for n, m in least.items() if widths[n] > m)
                n = max(cuttable, key=lambda n: (-columns[shown[n]].rank, widths[n]))
                widths[n] -= 1  # the lowest rank's widest name first
                over -= 1
            return shown, widths, level > KEEP
    raise AssertionError("unreachable")


def table(columns: list[Column], rows: Sequence[list[str] | str], width: int | None = None) -> None:
    """Print a table; a row that is a string is a muted line of its own (a note between rows).
    `width` None: the terminal's (see terminal_width)."""
    width = terminal_width() if width is None else width
    cells = [[sanitise(c, CELL_CHARS) for c in r] for r in rows if not isinstance(r, str)]
    # A column with nothing in it is left out (its header alone says nothing).
    filled = [i for i, _ in enumerate(columns) if any(r[i].strip() for r in cells)] or [0]
    columns = [columns[i] for i in filled]
    cells = [[r[i] for i in filled] for r in cells]
    shown, widths, compact = layout(columns, cells, width)
    heads = [(columns[i].short or columns[i].header) if compact else columns[i].header for i in shown]
    click.echo(
        _line([cut(h, w) for h, w in zip(heads, widths, strict=True)], [columns[i] for i in shown], widths)
    )
    click.echo(GAP.join("─" * w for w in widths))
    it = iter(cells)
    for row in rows:
        if isinstance(row, str):
            click.echo(muted(cut(sanitise(row, CELL_CHARS), width) if width else sanitise(row, CELL_CHARS)))
            continue
        cell = next(it)
        texts = [cut(cell[i], w, columns[i].middle) for i, w in zip(shown, widths, strict=True)]
        click.echo(_line(texts, [columns[i] for i in shown], widths))
    if compact:
        full = _span(layout(columns, cells, None)[1])
        click.echo(muted(cut(f"compact layout; {full} columns show every column", width or full)))


def echo_fitted(text: str, width: int | None = None, err: bool = False, indent: str = "") -> None:
    """A sentence wrapped to the terminal's width (as the table's: unlimited off a terminal), its
    later lines after `indent` so a line's mark or label stays alone at the start."""
    import textwrap

    width = terminal_width() if width is None else width
    parts = textwrap.wrap(text, width, break_on_hyphens=False, subsequent_indent=indent) if width else [text]
    for part in parts:
        click.echo(part, err=err)


def _line(texts: list[str], columns: list[Column], widths: list[int]) -> str:
    return GAP.join(_pad(t, w, c.align) for t, c, w in zip(texts, columns, widths, strict=True)).rstrip()
