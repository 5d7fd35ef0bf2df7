"""The HTML cost report: `render(PageData)` → one self-contained document (CLI side only).

The page is a pure function of its data: no clock, no files, no network. CSS is inline, charts
are inline SVG, there is no script, and a Content-Security-Policy forbids every load, so an
opened report can neither fetch nor run anything. Every string in PageData comes from outside
(project paths, session titles, model ids) and is escaped wherever it appears.
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from statusline.html import svg
from statusline.html.svg import esc_attr, esc_text

DAY_MS = 86_400_000
BREAKDOWNS = {
    "model": "By model",
    "project": "By project",
    "agent": "By agent",
    "tool": "By tool",
    "mcp": "By MCP server",
}
NAME_HEADERS = {
    "model": "Model",
    "project": "Project",
    "agent": "Agent",
    "tool": "Tool",
    "mcp": "Server",
    "machine": "Machine",
}
# Shown only when the data has it ([sync] on), after the others.
EXTRA_TITLES = {"machine": "By machine"}
TOP_BLOCKS = 10  # the blocks listed under the strip, for a screen with no pointer
ROWS_SHOWN = 12  # the rest of a breakdown folds into a <details>, which needs no script
COLOURS = 8  # breakdown rows past these share the "other" colour
ROWS_MAX = 50  # a breakdown's costliest rows; the rest are summed in one "N more" row
NAME_CHARS = 160  # longer names show their start and end: a 20,000-character title is not 20 KB
UNKNOWN_MAX = 20  # unpriced models named in the warning
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EMPTY = '<p class="empty">No usage in this range.</p>'
REF_REACH = 1.5  # a reference line is drawn when within this many times the busiest day


@dataclass
class Bucket:
    """One row of a breakdown: a model, project, agent type, tool or MCP server."""

    name: str
    cost: float  # USD
    share: float  # 0..1 of the breakdown's total
    tokens: int
    folded: int = 0  # when > 0: the row that sums this many cheaper rows


@dataclass
class SessionRow:
    """One of the most expensive sessions; times are ms since the epoch (UTC)."""

    session: str
    project: str
    title: str
    model: str
    cost: float
    first_ms: int
    last_ms: int


@dataclass
class PageData:
    """Everything the page shows, already computed; render() adds nothing but layout."""

    first_day: str  # 'YYYY-MM-DD' local days of the range
    last_day: str
    generated: str  # e.g. '2026-11-29 19:40 UTC'
    tz_name: str
    days: list[tuple[str, float, float]] = field(default_factory=list)  # (day, transcript, unlogged)
    reference_lines: list[tuple[str, float]] = field(default_factory=list)  # (label, USD)
    month: str = ""  # 'YYYY-MM'
    month_to_date: float = 0.0
    month_projection: float | None = None
    monthly_budget: float | None = None
    blocks: list[tuple[int, int, float]] = field(default_factory=list)  # (start_ms, end_ms, cost)
    breakdowns: dict[str, list[Bucket]] = field(default_factory=dict)  # display order
    notes: dict[str, str] = field(default_factory=dict)  # breakdown key → caption
    top_sessions: list[SessionRow] = field(default_factory=list)
    total: float = 0.0  # transcript cost in range
    unlogged_total: float = 0.0  # reported by Claude Code but never logged: shown apart
    unknown_models: list[str] = field(default_factory=list)
    # Transcript cost on days before or after the range (`report daily` counts it), and those days.
    outside_total: float = 0.0
    outside_unlogged: float = 0.0  # unlogged spend on those days
    outside_days: list[str] = field(default_factory=list)


CSS = """\
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#5b646e;--card:#f4f6f8;--line:#d6dce2;
--grid:#e6eaee;--track:#e8ecf0;--bar:#2f6bd0;--unl:#d9771a;--ref:#bf2a36;--proj:#a9c3ee;--over:#e8a3a9;
--bud:#1b1f24;--warn-bg:#fff3d1;--warn-fg:#5e4200;
--p0:#2f6bd0;--p1:#e08a2c;--p2:#2a9a8b;--p3:#c5486a;--p4:#7a5ec7;--p5:#879a27;--p6:#c865b0;--p7:#5689a3;
--po:#a7b0b9}
@media (prefers-color-scheme:dark){:root{--bg:#14171b;--fg:#e4e8ec;--muted:#9aa4ae;--card:#1c2026;
--line:#343b44;--grid:#272d34;--track:#262c33;--bar:#6d9ff0;--unl:#f0a04b;--ref:#ff7b84;--proj:#35507e;
--over:#7d3a41;--bud:#e4e8ec;--warn-bg:#3b2f10;--warn-fg:#f3d58a;
--p0:#6d9ff0;--p1:#f0a04b;--p2:#4cc2b1;--p3:#ef7a98;--p4:#a88ef0;--p5:#b5c74e;--p6:#e58fd0;--p7:#82b6cf;
--po:#5d6670}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1060px;margin:0 auto;padding:20px 16px 40px}
h1{font-size:1.5rem;margin:0 0 4px}
h2{font-size:1.1rem;margin:0 0 6px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:14px 0}
.sub,.note,.empty,.id,footer,.legend{color:var(--muted)}
.note{margin:0 0 8px;font-size:.9rem}
.empty{font-style:italic;margin:4px 0}
.warn{background:var(--warn-bg);color:var(--warn-fg);border-radius:6px;padding:8px 12px;margin:12px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:10px;
background:none;border:0;padding:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card b{display:block;font-size:1.45rem;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.card span{color:var(--muted);font-size:.85rem}
.big{font-size:1.6rem;font-weight:600;font-variant-numeric:tabular-nums;margin:0}
.legend{list-style:none;padding:0;margin:0 0 6px;display:flex;flex-wrap:wrap;gap:14px;font-size:.85rem}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.sw.b{background:var(--bar)}.sw.u{background:var(--unl)}.sw.proj{background:var(--proj)}
.sw.bud{background:var(--bud);height:3px;vertical-align:3px}
.sw.ref{width:18px;height:0;border-radius:0;border-top:3px dashed var(--ref);vertical-align:3px}
.sw.r1{border-top-style:dotted}.sw.r2{border-top-style:solid}.legend .rl{color:var(--ref)}
.plot{display:grid;grid-template-columns:3.6em minmax(0,1fr)}.plot>.chart{grid-column:2}
.chart,.yax{display:block;width:100%;overflow:visible}
.chart text,.yax text{font-size:11px;fill:var(--muted)}
.chart line,.chart rect{vector-effect:non-scaling-stroke}
.chart .b{stroke:var(--bar)}.chart .u{stroke:var(--unl)}
.chart .ml{fill:var(--fg);font-weight:600}
.grid{stroke:var(--grid);stroke-width:1}.axis,.tick{stroke:var(--line);stroke-width:1}
.ref{stroke:var(--ref);stroke-width:1.5;stroke-dasharray:6 4}.ref.r1{stroke-dasharray:1.5 3}
.ref.r2{stroke-dasharray:none}
.bud{stroke:var(--bud);stroke-width:2.5}
.hit{fill:transparent}.hit:hover{fill:var(--grid)}
.b{fill:var(--bar)}.u{fill:var(--unl)}.track{fill:var(--track)}.proj{fill:var(--proj)}.proj.over{fill:var(--over)}
.k0{fill:var(--po)}.k1,.k2,.k3,.k4,.k5{fill:var(--bar)}
.k1{fill-opacity:.3}.k2{fill-opacity:.45}.k3{fill-opacity:.6}.k4{fill-opacity:.8}
.p0{fill:var(--p0)}.p1{fill:var(--p1)}.p2{fill:var(--p2)}.p3{fill:var(--p3)}.p4{fill:var(--p4)}
.p5{fill:var(--p5)}.p6{fill:var(--p6)}.p7{fill:var(--p7)}.po{fill:var(--po)}
.strip{border-radius:3px;margin:4px 0 10px}
table{width:100%;border-collapse:collapse;table-layout:fixed;font-size:.9rem}
th,td{padding:4px 6px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted)}
.r{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.n{overflow-wrap:anywhere}
.w-bar{width:18%}.w-cost{width:11%}.w-share{width:8%}.w-tok{width:14%}
.w-proj{width:22%}.w-model{width:14%}.w-time{width:15%}.w-len{width:10%}
.mb{display:block;width:100%;height:10px;margin-top:5px;background:var(--track);border-radius:2px}
.id{font:.78rem ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;overflow-wrap:anywhere}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
details{margin-top:6px}summary{cursor:pointer;color:var(--muted)}
.bl{margin:4px 0;padding-left:1.2em;font-variant-numeric:tabular-nums}
footer{font-size:.85rem;margin-top:18px}
.st .s,.st .l{white-space:normal}
@media (max-width:800px){main{padding:12px 8px 32px}section{padding:12px 10px}h1{font-size:1.3rem}
.cards{grid-template-columns:repeat(auto-fit,minmax(150px,1fr))}.card b{font-size:1.3rem}
table,thead,tbody{display:block}colgroup{display:none}
tr{display:grid;border-bottom:1px solid var(--line);padding:3px 0}th,td{border:0;padding:2px 4px}
.bt tr{grid-template-columns:minmax(0,1fr) 4.4em 7.8em;grid-template-areas:"n n c" "b s k"}
.bt tr>:nth-child(1){grid-area:n}.bt tr>:nth-child(2){grid-area:b}.bt tr>:nth-child(3){grid-area:c}
.bt tr>:nth-child(4){grid-area:s}.bt tr>:nth-child(5){grid-area:k}
.st tr{grid-template-columns:minmax(0,1fr) auto 7em;grid-template-areas:"t t c" "p p p" "m s l"}
.st .t{grid-area:t}.st .c{grid-area:c}.st .p{grid-area:p}.st .m{grid-area:m}.st .s{grid-area:s}
.st .l{grid-area:l}}
@media (max-width:900px){.chart .minor{display:none}}
"""
# A hash rather than 'unsafe-inline': only this exact stylesheet may apply, injected ones may not.
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
CSP = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src 'none'; base-uri 'none'; form-action 'none'"
)


def money(usd: float) -> str:
    """$1,234.56; a positive amount under half a cent is `<$0.01` rather than $0.00."""
    usd = svg.finite(usd)
    if 0 < usd < 0.005:
        return "<$0.01"
    sign = "-" if usd <= -0.005 else ""
    return f"{sign}${abs(usd):,.2f}"


def money_tick(usd: float) -> str:
    """An axis label: whole dollars without cents."""
    return f"${usd:,.0f}" if usd == int(usd) else f"${usd:,.2f}"


def percent(share: float) -> str:
    """A 0..1 share as `42.0%`."""
    return f"{svg.finite(share) * 100:.1f}%"


def count(n: int) -> str:
    """A token count with thousands separators."""
    return f"{int(svg.finite(n)):,}"


def render(data: PageData) -> str:
    """The whole report as one HTML document."""
    data = _capped(data)
    tz, tz_label = _zone(data.tz_name)
    title = f"Claude Code cost · {data.first_day} – {data.last_day}"
    parts = [
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="color-scheme" content="light dark">\n<meta name="referrer" content="no-referrer">\n',
        f"<title>{esc_text(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        f'<header><h1>Claude Code cost</h1><p class="sub">{esc_text(data.first_day)} – '
        f"{esc_text(data.last_day)} · days and times in {esc_text(tz_label)} · generated "
        f"{esc_text(data.generated)}</p></header>\n",
        _unknown(data.unknown_models),
        _outside(data),
        _totals(data),
        _daily(data),
        _unlogged(data),
        _month(data),
        _blocks(data, tz, tz_label),
    ]
    keys = [*data.breakdowns, *(k for k in BREAKDOWNS if k not in data.breakdowns)]
    used: set[str] = set()
    for i, key in enumerate(keys):
        ident = _section_id(key, i)
        ident = ident if ident not in used else f"by-{i}"  # two keys that slug alike keep unique ids
        used.add(ident)
        parts.append(_breakdown(key, ident, data.breakdowns.get(key, []), data.notes.get(key)))
    parts += [
        _sessions(data.top_sessions, tz),
        "<footer>Made by costline: one file, no scripts, nothing loaded from the network.</footer>\n",
        "</main>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def _capped(data: PageData) -> PageData:
    """The data as the page shows it, so that a year of thousands of projects and servers stays
    under 1 MB: names shortened, each breakdown's tail summed in one row (totals still add up)."""

    def short(text: str) -> str:
        return svg.shorten(text, NAME_CHARS) if isinstance(text, str) else text

    sessions = [
        replace(s, session=short(s.session), project=short(s.project), title=short(s.title))
        for s in data.top_sessions
    ]
    sessions = [replace(s, model=short(s.model)) for s in sessions]
    breakdowns = {
        key: _fold(sorted((replace(b, name=short(b.name)) for b in rows), key=lambda b: -svg.finite(b.cost)))
        for key, rows in data.breakdowns.items()
    }
    unknown = [short(m) for m in data.unknown_models[:UNKNOWN_MAX]]
    if len(data.unknown_models) > UNKNOWN_MAX:
        unknown.append(f"and {len(data.unknown_models) - UNKNOWN_MAX:,} more")
    return replace(data, top_sessions=sessions, breakdowns=breakdowns, unknown_models=unknown)


def _fold(rows: list[Bucket]) -> list[Bucket]:
    """The ROWS_MAX costliest rows (rows come costliest first, whatever their kind), then one
    row with the rest's summed figures."""
    if len(rows) <= ROWS_MAX + 1:  # a row that sums one row would hide its name for nothing
        return rows
    rest = rows[ROWS_MAX:]
    count = sum(b.folded or 1 for b in rest)
    folded = Bucket(
        f"{count:,} more",
        sum(svg.finite(b.cost) for b in rest),
        sum(svg.finite(b.share) for b in rest),
        sum(int(svg.finite(b.tokens)) for b in rest),
        count,
    )
    return [*rows[:ROWS_MAX], folded]


def _zone(name: str) -> tuple[tzinfo, str]:
    """The named IANA zone, or UTC (and say so) when the name is not one."""
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name), name
    except (KeyError, ValueError, OSError, TypeError):
        return UTC, "UTC"


def _clock(ms: float, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    try:
        return datetime.fromtimestamp(ms / 1000, tz).strftime(fmt)
    except (OverflowError, OSError, ValueError, TypeError):
        return "?"


def _day_start_ms(day: str, tz: tzinfo, plus: int = 0) -> int | None:
    try:
        d = date.fromisoformat(day) + timedelta(days=plus)
        return int(datetime.combine(d, time(), tz).timestamp() * 1000)
    except (ValueError, TypeError, OverflowError):
        return None


def _section_id(key: str, index: int) -> str:
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in key.lower()).split()
    slug = "-".join(words)
    return f"by-{slug}" if slug else f"by-{index}"


def _axis(days: list[str]) -> list[str]:
    """Labels under the daily bars: a few MM-DD in a short range, month starts in a long one."""
    n = len(days)
    if n <= 45:
        every = max(1, math.ceil(n / 8))
        return [d[5:] if i % every == 0 else "" for i, d in enumerate(days)]
    starts = [i for i, d in enumerate(days) if d[8:10] == "01"]
    for keep in ((1, 4, 7, 10), (1,)):  # thin out the month labels of a multi-year range
        if len(starts) <= 16:
            break
        starts = [i for i in starts if _month_no(days[i]) in keep]
    labels = [""] * n
    for j, i in enumerate(starts):
        m = _month_no(days[i])
        name = MONTHS[m - 1] if 1 <= m <= 12 else days[i][:7]
        labels[i] = f"{name} {days[i][:4]}" if m == 1 or j == 0 else name
    return labels


def _month_no(day: str) -> int:
    part = day[5:7]
    return int(part) if part.isdigit() else 0


def _unknown(models: list[str]) -> str:
    if not models:
        return ""
    names = ", ".join(esc_text(m) for m in models)
    noun, its = ("model has", "its") if len(models) == 1 else ("models have", "their")
    return (
        f'<p class="warn" role="note">{len(models)} {noun} no price, so {its} tokens are counted '
        f"but cost nothing here: {names}.</p>\n"
    )


def _outside(data: PageData) -> str:
    """Usage this page leaves out, said plainly: its total must not pass for the whole history."""
    days = sorted(data.outside_days)
    if not days:
        return ""
    n = len(days)
    when = f"from {days[0]}" if n == 1 else f"from {days[0]} to {days[-1]}"
    flags = []
    if days[0] < data.first_day:
        flags.append(f"--since {days[0].replace('-', '')}")
    if days[-1] > data.last_day:
        flags.append(f"--until {days[-1].replace('-', '')}")
    hint = (
        f" `costline report html {' '.join(flags)}` includes {'it' if n == 1 else 'them'}." if flags else ""
    )
    extra = (
        f" and {esc_text(money(data.outside_unlogged))} unlogged"
        if svg.finite(data.outside_unlogged) > 0
        else ""
    )
    return (
        f'<p class="warn" role="note">{esc_text(money(data.outside_total))} of transcript cost{extra} '
        f"on {n:,} "
        f"day{'' if n == 1 else 's'} outside this page's range ({esc_text(when)}); `report daily` counts "
        f"{'it' if n == 1 else 'them'}.{esc_text(hint)}</p>\n"
    )


def _card(value: str, caption: str) -> str:
    return f'<div class="card"><b>{esc_text(value)}</b><span>{esc_text(caption)}</span></div>'


def _totals(data: PageData) -> str:
    active = [d for d in data.days if svg.finite(d[1]) > 0 or svg.finite(d[2]) > 0]
    cards = [
        _card(money(data.total), "transcript cost in range"),
        _card(f"{len(active)} of {len(data.days)}", "days with usage"),
    ]
    if svg.finite(data.unlogged_total) > 0:  # else an empty card: the Unlogged section says none
        # The headline is what the status line and `report daily`'s Total count: both together.
        spent = svg.finite(data.total) + svg.finite(data.unlogged_total)
        cards[:0] = [_card(money(spent), "spent in range, unlogged included")]
        cards.insert(2, _card(money(data.unlogged_total), "unlogged spend, in no transcript"))
    if active:  # a day's spend as its bar and the line's today: unlogged included
        spent = svg.finite(data.total) + max(0.0, svg.finite(data.unlogged_total))
        cards.append(_card(money(spent / len(active)), "per day with usage"))
        day, cost, extra = max(active, key=lambda d: svg.finite(d[1]) + max(0.0, svg.finite(d[2])))
        cards.append(_card(money(svg.finite(cost) + max(0.0, svg.finite(extra))), f"busiest day, {day}"))
    return f'<section class="cards" id="totals" aria-label="Totals">{"".join(cards)}</section>\n'


def _legend(items: list[tuple[str, str]]) -> str:
    """Swatch and name of each series; a reference line's name (class ref) is its label, kept off
    the chart where it would cover bars."""
    li = "".join(
        f'<li><span class="sw {cls}"></span>'
        + (f'<span class="rl">{esc_text(text)}</span>' if "ref" in cls.split() else esc_text(text))
        + "</li>"
        for cls, text in items
    )
    return f'<ul class="legend">{li}</ul>'


def _daily(data: PageData) -> str:
    head = '<section id="daily"><h2>Daily spend</h2>'
    if not any(svg.finite(t) > 0 or svg.finite(u) > 0 for _, t, u in data.days):
        return f"{head}{EMPTY}</section>\n"
    columns = [
        (label, (t, u), _day_tip(day, t, u))
        for (day, t, u), label in zip(data.days, _axis([d[0] for d in data.days]), strict=True)
    ]
    # The scale fits the data: a reference line far above the bars would flatten them to slivers.
    peak = max(max(0.0, svg.finite(t)) + max(0.0, svg.finite(u)) for _, t, u in data.days)
    refs = [(text, v) for text, v in data.reference_lines if svg.finite(v) <= REF_REACH * peak]
    legend = [("b", "transcript cost")]
    if any(svg.finite(u) > 0 for _, _, u in data.days):
        legend.append(("u", "unlogged (reported, not in transcripts)"))
    drawn = [(text, v) for text, v in refs if svg.finite(v) >= 0]  # as svg.ref_lines draws them
    legend += [
        (f"ref r{drawn.index((text, v)) % 3}" if (text, v) in drawn else "ref", text)
        if (text, v) in refs
        else ("ref", f"{text} (above this scale)")
        for text, v in data.reference_lines
    ]
    chart = svg.bar_chart(
        columns, ("b", "u"), "Daily spend in USD, transcript and unlogged", money_tick, refs
    )
    return f"{head}{_legend(legend)}{chart}</section>\n"


def _day_tip(day: str, transcript: float, unlogged: float) -> str:
    if svg.finite(transcript) <= 0 and svg.finite(unlogged) <= 0:
        return f"{day}: no usage"
    extra = f" + {money(unlogged)} unlogged" if svg.finite(unlogged) > 0 else ""
    return f"{day}: {money(transcript)}{extra}"


def _unlogged(data: PageData) -> str:
    head = (
        '<section id="unlogged"><h2>Unlogged spend</h2><p class="note">Cost that Claude Code reported but '
        "no transcript logged. It is kept apart: not in the transcript total, the breakdowns or the "
        "sessions.</p>"
    )
    amount = svg.finite(data.unlogged_total)
    figure = f'<p class="big">{esc_text(money(amount))}</p>'
    days = [(day, svg.finite(u)) for day, _, u in data.days]
    hit = [d for d in days if d[1] > 0]
    if amount <= 0 and not hit:
        return f'{head}{figure}<p class="empty">No unlogged spend in this range.</p></section>\n'
    summary = f"<p>On {len(hit)} of {len(days)} days.</p>" if days else ""
    if not hit:
        return f"{head}{figure}{summary}</section>\n"
    columns = [
        (label, (u,), f"{day}: {money(u)} unlogged" if u > 0 else f"{day}: none")
        for (day, u), label in zip(days, _axis([d for d, _ in days]), strict=True)
    ]
    chart = svg.bar_chart(columns, ("u",), "Unlogged spend per day in USD", money_tick, height=130)
    return f"{head}{figure}{summary}{chart}</section>\n"


def _month(data: PageData) -> str:
    mtd = svg.finite(data.month_to_date)
    proj = None if data.month_projection is None else svg.finite(data.month_projection)
    budget = None if data.monthly_budget is None else svg.finite(data.monthly_budget)
    if mtd <= 0 and not proj and budget is None:  # $0.00 over an empty bar says nothing
        used = [day for day, t, u in data.days if svg.finite(t) > 0 or svg.finite(u) > 0]
        last = f"; the last day with usage was {used[-1]}" if used else ""
        month = f"in {data.month}" if data.month else "this month"
        return (
            f'<section id="month"><h2>This month</h2><p class="empty">No spend yet '
            f"{esc_text(month)}{esc_text(last)}.</p></section>\n"
        )
    facts = [f"<b>{esc_text(money(mtd))}</b> so far in {esc_text(data.month)}"]
    facts.append(
        f"projected {esc_text(money(proj))} by month end" if proj is not None else "no projection yet"
    )
    over = budget is not None and proj is not None and proj > budget
    if budget is None:
        facts.append("no budget set")
    elif budget > 0 and proj is not None:
        facts.append(f"budget {esc_text(money(budget))}, projection is {percent(proj / budget)} of it")
    else:
        facts.append(f"budget {esc_text(money(budget))}")
    warn = (
        f'<p class="warn" role="note">Projected over budget by {esc_text(money(proj - budget))}.</p>'
        if over and proj is not None and budget is not None
        else ""
    )
    bars = [(mtd, "b", f"{data.month} so far: {money(mtd)}")]
    if proj is not None:
        bars.append((proj, "proj over" if over else "proj", f"{data.month} projected: {money(proj)}"))
    marks = [(budget, "bud", f"budget {money(budget)}")] if budget is not None else []
    legend = [("b", "month to date")]
    legend += [("proj", "projection")] if proj is not None else []
    legend += [("bud", "budget")] if budget is not None else []
    chart = svg.gauge(bars, marks, f"Month to date {data.month} against projection and budget")
    return (
        f'<section id="month"><h2>This month</h2>{_legend(legend)}<p>{" · ".join(facts)}</p>'
        f"{warn}{chart}</section>\n"
    )


def _blocks(data: PageData, tz: tzinfo, tz_label: str) -> str:
    head = '<section id="blocks"><h2>5-hour blocks</h2>'
    blocks = [(int(svg.finite(s)), int(svg.finite(e)), svg.finite(c)) for s, e, c in data.blocks]
    if not blocks:
        return f"{head}{EMPTY}</section>\n"
    lo = _day_start_ms(data.first_day, tz)
    hi = _day_start_ms(data.last_day, tz, plus=1)
    ticks: list[tuple[float, str]] = []
    if lo is None or hi is None or hi <= lo:
        lo, hi = min(b[0] for b in blocks), max(b[1] for b in blocks)
    else:
        for (day, _, _), label in zip(data.days, _axis([d[0] for d in data.days]), strict=True):
            at = _day_start_ms(day, tz) if label else None
            if at is not None:
                ticks.append((at, label))
    spans = [(s, e, c, _block_tip(s, e, c, tz, tz_label)) for s, e, c in blocks]
    costliest = max(blocks, key=lambda b: b[2])
    summary = (
        f"<p>{len(blocks)} blocks · average {esc_text(money(sum(b[2] for b in blocks) / len(blocks)))} · "
        f"costliest {esc_text(money(costliest[2]))} from {esc_text(_clock(costliest[0], tz))}</p>"
    )
    note = (
        '<p class="note">Bar height and shade follow the block\'s cost; a mouse pointed at a bar'
        " shows its times and cost, and the list below has the costliest.</p>"
    )
    chart = svg.strip_chart(spans, lo, hi, "Cost of each 5-hour block over the range", ticks)
    # A phone has no pointer to rest on a bar: the details a bar's title holds, for the costliest.
    top = sorted(spans, key=lambda b: -b[2])[:TOP_BLOCKS]
    items = "".join(f"<li>{esc_text(tip)}</li>" for _, _, _, tip in top)
    listed = (
        f'<details><summary>The {len(top)} costliest blocks</summary><ul class="bl">{items}</ul></details>'
    )
    return f"{head}{summary}{note}{chart}{listed}</section>\n"


def _block_tip(start: int, end: int, cost: float, tz: tzinfo, tz_label: str) -> str:
    same_day = _clock(start, tz, "%Y-%m-%d") == _clock(end, tz, "%Y-%m-%d")
    until = _clock(end, tz, "%H:%M" if same_day else "%Y-%m-%d %H:%M")
    return f"{_clock(start, tz)}–{until} {tz_label}: {money(cost)}"


def _breakdown(key: str, section_id: str, rows: list[Bucket], note: str | None) -> str:
    title = BREAKDOWNS.get(key) or EXTRA_TITLES.get(key, f"By {key}")
    head = f'<section id="{esc_attr(section_id)}"><h2>{esc_text(title)}</h2>'
    if note:
        head += f'<p class="note">{esc_text(note)}</p>'
    if not rows:
        return f"{head}{EMPTY}</section>\n"
    parts = [(b.share, f"p{i}", _bucket_tip(b)) for i, b in enumerate(rows[:COLOURS])]
    rest = rows[COLOURS:]
    if rest:
        others = sum(b.folded or 1 for b in rest)
        other = Bucket(f"{others:,} others", sum(svg.finite(b.cost) for b in rest), 0.0, 0)
        other.share = sum(max(0.0, svg.finite(b.share)) for b in rest)
        parts.append((other.share, "po", _bucket_tip(other)))
    strip = svg.share_strip(parts, f"Share of cost {title.lower()}")
    name = NAME_HEADERS.get(key, "Name")
    # Bars measure against the largest row, so a long tail of small shares stays readable.
    peak = max(svg.finite(b.share) for b in rows if not b.folded)
    body = [head, strip, _bucket_table(name, rows[:ROWS_SHOWN], 0, peak, hidden_head=False)]
    if len(rows) > ROWS_SHOWN:
        more = sum(b.folded or 1 for b in rows[ROWS_SHOWN:])
        body.append(
            f"<details><summary>{more} more</summary>"
            f"{_bucket_table(name, rows[ROWS_SHOWN:], ROWS_SHOWN, peak, hidden_head=True)}</details>"
        )
    body.append("</section>\n")
    return "".join(body)


def _bucket_tip(b: Bucket) -> str:
    return f"{b.name or '(none)'}: {money(b.cost)} ({percent(b.share)})"


def _bucket_table(name: str, rows: list[Bucket], offset: int, peak: float, hidden_head: bool) -> str:
    cls = ' class="vh"' if hidden_head else ""
    out = [
        '<table class="bt"><colgroup><col><col class="w-bar"><col class="w-cost"><col class="w-share">'
        '<col class="w-tok"></colgroup>',
        f'<thead{cls}><tr><th>{name}</th><th>Relative cost</th><th class="r">Cost</th>'
        '<th class="r">Share</th><th class="r">Tokens</th></tr></thead><tbody>',
    ]
    for i, b in enumerate(rows, start=offset):
        label = esc_text(b.name) if b.name else '<span class="empty">(none)</span>'
        if b.folded:
            label = f'<span class="empty">{esc_text(b.name)}</span>'
        bar = svg.mini_bar(svg.finite(b.share) / peak if peak > 0 else 0.0, f"p{i}" if i < COLOURS else "po")
        out.append(
            f'<tr><td class="n">{label}</td><td>{bar}</td>'
            f'<td class="r">{esc_text(money(b.cost))}</td><td class="r">{percent(b.share)}</td>'
            f'<td class="r">{count(b.tokens)}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def _sessions(rows: list[SessionRow], tz: tzinfo) -> str:
    head = '<section id="sessions"><h2>Most expensive sessions</h2>'
    if not rows:
        return f'{head}<p class="empty">No sessions in this range.</p></section>\n'
    out = [
        head,
        '<table class="st"><colgroup><col class="w-cost"><col><col class="w-proj"><col class="w-model">'
        '<col class="w-time"><col class="w-len"></colgroup>'
        '<thead><tr><th class="r c">Cost</th><th class="t">Session</th><th class="p">Project</th>'
        '<th class="m">Model</th><th class="r s">Started</th><th class="r l">Length</th></tr></thead><tbody>',
    ]
    for s in rows:
        title = esc_text(s.title) if s.title else '<span class="empty">(untitled)</span>'
        out.append(
            f'<tr><td class="r c">{esc_text(money(s.cost))}</td><td class="n t">{title}<br>'
            f'<span class="id">{esc_text(s.session)}</span></td><td class="n p">{esc_text(s.project)}</td>'
            f'<td class="n m">{esc_text(s.model)}</td><td class="r s">{esc_text(_clock(s.first_ms, tz))}</td>'
            f'<td class="r l">{_length(s.first_ms, s.last_ms)}</td></tr>'
        )
    out.append("</tbody></table></section>\n")
    return "".join(out)


def _length(first_ms: int, last_ms: int) -> str:
    minutes = (svg.finite(last_ms) - svg.finite(first_ms)) / 60_000
    if minutes < 0:
        return "–"
    if minutes < 60:
        return f"{minutes:.0f} min"
    return f"{int(minutes // 60)} h {int(minutes % 60):02d} min"
