"""The HTML report: one well-formed, self-contained page; outside strings only ever appear as text."""

from __future__ import annotations

import base64
import copy
import hashlib
import random
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusline.html import svg
from statusline.html.page import Bucket, PageData, SessionRow, money, percent, render

CHART_IDS = [
    "daily",
    "month",
    "blocks",
    "by-model",
    "by-project",
    "by-agent",
    "by-tool",
    "by-mcp",
    "sessions",
    "unlogged",
]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Every tag the page may contain; anything else means markup leaked in from the data.
ALLOWED = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "footer", "h1", "h2", "p", "b",
    "span", "section", "div", "ul", "li", "svg", "g", "rect", "line", "text", "table", "colgroup", "col",
    "thead", "tbody", "tr", "th", "td", "br", "details", "summary",
}  # fmt: skip
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "]]></title></svg><script>alert(2)</script>",
    "</style><style>body{display:none}</style>",
    'Tom & Jerry\'s "quotes" &amp; more',
    "line1\nline2\r\n\tend",
    "ctl\x00\x07\x1b[31m\x7f\x85\x9f end",
    "lone \udc80 surrogate",
    "</svg><script>document.title='pwned'</script>",
]
HOUR_MS = 3_600_000


def synthetic_year(hostile: bool = False, seed: int = 7) -> PageData:
    """A year of history at the sizes the issue names: 365 days, 1,800 blocks, 5 × 50 rows, 20 sessions."""
    rnd = random.Random(seed)
    start = date(2026, 1, 1)
    days = []
    for i in range(365):
        transcript = round(rnd.uniform(0.5, 20), 2) if rnd.random() > 0.15 else 0.0
        unlogged = round(rnd.uniform(0.1, 3), 2) if rnd.random() < 0.2 else 0.0
        days.append(((start + timedelta(days=i)).isoformat(), transcript, unlogged))
    at = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)
    blocks = []
    for _ in range(1800):
        blocks.append((at, at + 5 * HOUR_MS, round(rnd.uniform(0, 9), 2)))
        at += 288 * 60_000  # 4.8 h apart: 1,800 blocks fill 360 days
    bad = iter(HOSTILE * 10)
    breakdowns = {}
    for key in ("model", "project", "agent", "tool", "mcp"):
        costs = sorted((rnd.uniform(0.01, 300) for _ in range(50)), reverse=True)
        whole = sum(costs)
        rows = []
        for i, cost in enumerate(costs):
            name = f"/home/someone/src/{'a-rather-long-directory-name-' * 4}{key}-{i:02d}"
            if hostile and i in (0, 5, 9, 20, 49):
                name = next(bad)
            rows.append(Bucket(name, round(cost, 2), cost / whole, rnd.randrange(10**4, 10**9)))
        breakdowns[key] = rows
    sessions = []
    for i in range(20):
        first = at - rnd.randrange(1, 300) * 86_400_000
        title = next(bad) if hostile and i % 4 == 0 else f"Refactor the thing number {i} " * 3
        project = next(bad) if hostile and i % 5 == 1 else f"/home/someone/src/project-{i}"
        sessions.append(
            SessionRow(f"{i:08x}-5c1d-4e2f-9a3b-0123456789ab", project, title, "claude-opus-4-5", 80.0 - i,
                       first, first + rnd.randrange(1, 600) * 60_000)
        )  # fmt: skip
    refs = [("$9 average day", 9.0), ("$18 90th percentile day", 18.0)]
    if hostile:
        refs.append((HOSTILE[0], 12.0))
        refs.append((HOSTILE[2], 14.0))
    return PageData(
        first_day="2026-01-01",
        last_day="2026-12-31",
        generated="2026-12-31 23:40 UTC",
        tz_name="UTC",
        days=days,
        reference_lines=refs,
        month="2026-12",
        month_to_date=212.5,
        month_projection=240.0,
        monthly_budget=300.0,
        blocks=blocks,
        breakdowns=breakdowns,
        notes={"agent": "estimate: see README", "mcp": HOSTILE[1] if hostile else "per server"},
        top_sessions=sessions,
        total=sum(d[1] for d in days),
        unlogged_total=sum(d[2] for d in days),
        unknown_models=[HOSTILE[3], "mystery-model-1"] if hostile else ["mystery-model-1"],
    )


class Doc(HTMLParser):
    """Checks nesting while it parses and keeps what the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.errors: list[str] = []
        self.texts: list[tuple[tuple[str, ...], str]] = []  # (open tags, text)
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {self.stack}")

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("rect", "line"):  # self-closing means something only in SVG
            self.errors.append(f"self-closed <{tag}/>")

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.texts.append((tuple(self.stack), data))

    def text_in(self, tag: str) -> list[str]:
        return [t for path, t in self.texts if path and path[-1] == tag]

    def by_id(self, ident: str) -> list[str]:
        return [t for t, a in self.tags if a.get("id") == ident]


def parse(text: str) -> Doc:
    doc = Doc(text)
    assert doc.errors == []
    return doc


def test_year_is_well_formed_with_every_chart():
    doc = parse(render(synthetic_year()))
    for ident in CHART_IDS:
        assert doc.by_id(ident), ident
    assert doc.tags[0][0] == "html"
    assert {t for t, _ in doc.tags} <= ALLOWED


def test_nothing_is_loaded_and_nothing_runs():
    page = render(synthetic_year())
    assert not re.search(r"https?:|url\(|//|@import", page, re.IGNORECASE)
    assert "<script" not in page.lower()
    doc = parse(page)
    for tag, attrs in doc.tags:
        assert not {"src", "href", "srcset", "action", "xlink:href"} & set(attrs), tag
        assert not any(name.startswith("on") for name in attrs), tag


def test_csp_forbids_loads_and_script_and_pins_the_stylesheet():
    page = render(synthetic_year())
    doc = parse(page)
    metas = [a for t, a in doc.tags if t == "meta"]
    assert {"charset": "utf-8"} in metas
    assert any(a.get("name") == "viewport" for a in metas)
    csp = next(a["content"] for a in metas if a.get("http-equiv") == "Content-Security-Policy")
    assert csp is not None
    assert "default-src 'none'" in csp
    assert "script-src" not in csp and "unsafe" not in csp
    assert page.index("Content-Security-Policy") < page.index("<style>")
    (css,) = doc.text_in("style")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp


def test_dark_theme_uses_the_same_variables():
    page = render(synthetic_year())
    assert "@media (prefers-color-scheme:dark)" in page
    assert ".b{fill:var(--bar)}" in page


def test_year_size_is_under_a_megabyte():
    data = synthetic_year(hostile=True)
    for rows in data.breakdowns.values():
        for b in rows:
            b.name = b.name * 3  # ~370 characters per name
    assert len(render(data).encode()) < 1_000_000


def test_a_year_of_2100_projects_and_servers_with_huge_names_is_under_a_megabyte():
    # Found: 2,100 projects and servers over a year made a 2.3 MB page; a 20,000-character
    # session title and a 5,000-character server name were printed whole.
    data = synthetic_year()
    rnd = random.Random(11)
    for key in ("project", "mcp"):
        costs = [round(rnd.uniform(0.01, 40), 2) for _ in range(2100)]
        whole = sum(costs)
        data.breakdowns[key] = [
            Bucket(f"/home/someone/src/{'deep-folder-' * 6}{key}-{i:04d}", c, c / whole, 1000 + i)
            for i, c in enumerate(sorted(costs, reverse=True))
        ]
    data.breakdowns["mcp"][:4] = [Bucket("s" * 5000, 30.0, 0.01, 5) for _ in range(4)]
    data.top_sessions[0].title = "t" * 20_000
    page = render(data)
    assert len(page.encode()) < 1_000_000
    assert "s" * 200 not in page and "t" * 200 not in page
    assert {t for t, _ in parse(page).tags} <= ALLOWED
    # Every cost shown in the project table adds up to the whole (the tail in one row).
    section = page[page.index('id="by-project"') : page.index('id="by-agent"')]
    shown = [float(m.replace(",", "")) for m in re.findall(r'class="r">\$([\d,]+\.\d\d)<', section)]
    assert sum(shown) == pytest.approx(sum(b.cost for b in data.breakdowns["project"]), abs=0.01 * len(shown))
    assert re.search(r">2,05\d more<", section)


def test_bidi_and_separators_in_names_are_replaced():
    # Found: `-home-\u202eevil` kept its override and displayed reversed.
    marks = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u200e\u200f\ufeff"
    data = synthetic_year()
    data.breakdowns["project"][0].name = "-home-\u202eevil"
    data.breakdowns["tool"][0].name = f"tool{marks}x"
    data.top_sessions[0].title = "one\u2028two\u2029three"
    page = render(data)
    assert not [hex(ord(ch)) for ch in marks + "\u2028\u2029" if ch in page]
    assert "-home-\ufffdevil" in page and "one two three" in page


def test_hostile_names_only_ever_appear_as_text():
    page = render(synthetic_year(hostile=True))
    raw = page.encode()  # lone surrogates would raise here
    assert b"<script" not in raw.lower() and b"<img" not in raw.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "]]&gt;&lt;/title&gt;&lt;/svg&gt;" in page
    assert "&lt;/style&gt;" in page
    assert "Tom &amp; Jerry&#x27;s &quot;quotes&quot; &amp;amp; more" in page
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]", page)
    doc = parse(page)
    assert {t for t, _ in doc.tags} <= ALLOWED
    assert sum(t == "style" for t, _ in doc.tags) == 1
    assert not any(name.startswith("on") for _, attrs in doc.tags for name in attrs)
    text = "".join(t for _, t in doc.texts)
    assert "<script>alert(1)</script>" in text
    assert '"><img src=x onerror=alert(1)>' in text
    assert "ctl\ufffd\ufffd\ufffd[31m\ufffd\ufffd\ufffd end" in text
    assert "line1 line2   end" in text
    # In SVG too: tooltips of the share strips and the labels of reference lines.
    svg_titles = [t for path, t in doc.texts if "svg" in path and path[-1] == "title"]
    assert any(HOSTILE[0] in t for t in svg_titles)
    legend = [t for path, t in doc.texts if path[-2:] == ("li", "span")]  # reference lines' names
    assert HOSTILE[0] in legend and HOSTILE[2] in legend
    (title,) = [t for path, t in doc.texts if path[-2:] == ("head", "title")]
    assert title == "Claude Code cost · 2026-01-01 – 2026-12-31"


def test_every_string_field_hostile():
    evil = HOSTILE[8]
    data = PageData(
        first_day=evil,
        last_day=HOSTILE[1],
        generated=HOSTILE[2],
        tz_name=HOSTILE[3],
        days=[(evil, 1.0, 0.5), (HOSTILE[1], 2.0, 0.0)],
        reference_lines=[(evil, 1.5)],
        month=evil,
        month_to_date=1.0,
        month_projection=2.0,
        monthly_budget=1.5,
        blocks=[(0, 5 * HOUR_MS, 1.0)],
        breakdowns={"model": [Bucket(evil, 1.0, 1.0, 10)], evil: [Bucket(HOSTILE[1], 1.0, 1.0, 1)]},
        notes={"model": evil, evil: evil},
        top_sessions=[SessionRow(evil, evil, evil, evil, 1.0, 0, 60_000)],
        total=3.0,
        unlogged_total=0.5,
        unknown_models=[evil],
    )
    page = render(data)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    doc = parse(page)
    assert {t for t, _ in doc.tags} <= ALLOWED
    assert doc.by_id("by-svg-script-document-title-pwned-script")  # the odd key's section, slugged


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_any_name_comes_out_as_its_text(name):
    data = PageData(
        "2026-11-01",
        "2026-11-01",
        name,
        name,
        days=[("2026-11-01", 1.0, 0.0)],
        reference_lines=[(name, 0.5)],
        breakdowns={"project": [Bucket(name, 1.0, 1.0, 1)]},
        top_sessions=[SessionRow(name, name, name, name, 1.0, 0, 1)],
    )
    doc = parse(render(data))
    assert {t for t, _ in doc.tags} <= ALLOWED
    if svg.clean(name).strip():
        assert svg.clean(name) in "".join(t for _, t in doc.texts).replace("\n", " ")


def test_empty_data_still_renders_a_page():
    empty = PageData(first_day="2026-11-01", last_day="2026-11-29", generated="now", tz_name="Nowhere/Zone")
    for data in (
        empty,
        PageData(
            "2026-11-01",
            "2026-11-02",
            "now",
            "UTC",
            days=[("2026-11-01", 0.0, 0.0), ("2026-11-02", 0.0, 0.0)],
            breakdowns={k: [] for k in ("model", "project", "agent", "tool", "mcp")},
            monthly_budget=0.0,
            month_projection=0.0,
        ),
    ):
        page = render(data)
        doc = parse(page)
        for ident in CHART_IDS:
            assert doc.by_id(ident), ident
        assert page.count("No usage in this range.") >= 7
        assert "No sessions in this range." in page
    assert "No spend yet this month." in render(empty)  # and no empty bar
    assert "days and times in UTC" in render(empty)  # an unknown zone falls back, and says so


def test_non_finite_numbers_do_not_leak():
    nan, inf = float("nan"), float("inf")
    data = PageData(
        "2026-11-01",
        "2026-11-01",
        "now",
        "UTC",
        days=[("2026-11-01", nan, inf)],
        reference_lines=[("odd", nan)],
        month_to_date=inf,
        month_projection=nan,
        monthly_budget=inf,
        blocks=[(0, 1, nan)],
        breakdowns={"model": [Bucket("m", nan, inf, 0)]},
        top_sessions=[SessionRow("s", "p", "t", "m", nan, 10**20, 0)],
        total=nan,
    )
    page = render(data)
    parse(page)
    assert not re.search(r"\b(nan|inf)\b", page, re.IGNORECASE)


def test_reference_lines_are_drawn_and_labelled():
    doc = parse(render(synthetic_year()))
    labels = doc.text_in("span")  # in the legend, not over the bars (browser test)
    assert "$9 average day" in labels and "$18 90th percentile day" in labels
    assert "$9 average day" not in doc.text_in("text")
    lines = [a.get("class") for t, a in doc.tags if t == "line" and "ref" in a.get("class", "").split()]
    assert lines == ["ref r0", "ref r1"]  # each its own dash, as its swatch


def test_unlogged_spend_is_shown_apart():
    data = synthetic_year()
    page = render(data)
    section = page[page.index('id="unlogged"') :]
    section = section[: section.index("</section>")]
    assert money(data.unlogged_total) in section
    assert 'class="u"' in section and 'class="b"' not in section
    assert money(data.total) in page[: page.index('id="daily"')]


def test_month_against_budget():
    data = synthetic_year()
    page = render(data)
    assert "$212.50" in page and "$240.00" in page and "budget $300.00" in page and "80.0%" in page
    data.month_projection = 400.0
    assert "Projected over budget by $100.00" in render(data)
    data.monthly_budget = None
    assert "no budget set" in render(data)


def test_output_is_deterministic():
    data = synthetic_year(hostile=True)
    assert render(data) == render(copy.deepcopy(data)) == render(synthetic_year(hostile=True))


def test_svgs_are_labelled_or_hidden():
    doc = parse(render(synthetic_year()))
    charts = [a for t, a in doc.tags if t == "svg"]
    assert charts
    for attrs in charts:
        assert (attrs.get("role") == "img" and attrs.get("aria-label")) or attrs.get("aria-hidden") == "true"


def test_money_and_share_formats():
    assert money(1234.56) == "$1,234.56"
    assert money(0.04) == "$0.04"
    assert money(0.0) == "$0.00"
    assert money(0.004) == "<$0.01"
    assert money(-2.5) == "-$2.50"
    assert money(-0.001) == "$0.00"
    assert money(float("nan")) == "$0.00"
    assert money(1_000_000) == "$1,000,000.00"
    assert percent(0.42) == "42.0%"
    assert percent(1) == "100.0%"


def test_escaping_helpers():
    hostile = "<a href='x' title=\"y\">&</a>]]>"
    expected = "&lt;a href=&#x27;x&#x27; title=&quot;y&quot;&gt;&amp;&lt;/a&gt;]]&gt;"
    assert svg.esc_text(hostile) == svg.esc_attr(hostile) == svg.esc_svg(hostile) == expected
    assert svg.clean("a\x00b\nc\r\td\x1b\x7f\x85\x9f") == "a\ufffdb c  d\ufffd\ufffd\ufffd\ufffd"
    assert svg.clean("x\ud800y\udfffz\ufffe\U0010ffff") == "x\ufffdy\ufffdz\ufffd\ufffd"
    assert svg.clean("naïve 日本 🙂 \u200d\u200c") == "naïve 日本 🙂 \u200d\u200c"  # ZWJ, ZWNJ kept
    assert svg.clean("a\u200bb\u202ec\u2028d") == "a\ufffdb\ufffdc d"
    assert svg.shorten("abcdefghij", 5) == "ab…ij" and svg.shorten("abc", 5) == "abc"
    assert svg.esc_text(42) == "42"  # type: ignore[arg-type]


def test_svg_numbers_and_ticks():
    assert [svg.num(x) for x in (0.0, -0.04, 1.25, 3.0, 12.345)] == ["0", "0", "1.2", "3", "12.3"]
    assert svg.nice_ticks(0) == [0.0]
    assert svg.nice_ticks(19.3) == [0, 5, 10, 15, 20]
    assert svg.nice_ticks(9)[-1] >= 9


def _tool_section(page: str) -> str:
    section = page[page.index('id="by-tool"') :]
    return section[: section.index("</section>")]


@pytest.mark.parametrize("tools", [16, 60])
def test_the_costliest_row_is_shown_first_whatever_its_kind(tools):
    # Found (issue 19 item 2): `conversation`, 60 % of the money, came last (catch-alls were
    # pinned after the named rows), folded under "▸ 5 more" and lumped into "9 others".
    data = synthetic_year()
    rows = [Bucket(f"Tool{i:02d}", float(tools - i), 0.0, 100) for i in range(tools)]
    rows.append(Bucket("conversation", 3.0 * sum(b.cost for b in rows), 0.0, 100))  # the old order
    whole = sum(b.cost for b in rows)
    for b in rows:
        b.share = b.cost / whole
    data.breakdowns["tool"] = rows
    section = _tool_section(render(data))
    first_row = section[section.index("<tbody>") :]
    assert first_row.startswith('<tbody><tr><td class="n">conversation</td>')
    assert section.index("conversation") < section.index("<details>")
    strip = section[section.index('class="chart strip"') :]
    assert strip[strip.index("<rect") :].startswith('<rect class="p0"')
    assert "<title>conversation: " in strip[: strip.index("</rect>")]
    assert "75.0%" in first_row[: first_row.index("</tr>")]


def test_chart_text_is_never_scaled_with_the_chart():
    # Found (issue 19 item 3): labels sat in a 1,000-wide viewBox, so a phone's 354 px column drew
    # 11 px text at 3.9 px. Shapes may stretch; text must sit in an SVG without a viewBox.
    class Svgs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.open: list[dict[str, str | None]] = []
            self.scaled: list[str] = []
            self.texts = 0

        def handle_starttag(self, tag, attrs):
            if tag == "svg":
                self.open.append(dict(attrs))
            elif tag == "text":
                self.texts += 1
                if "viewbox" in self.open[-1]:
                    self.scaled.append(self.get_starttag_text() or "")

        def handle_endtag(self, tag):
            if tag == "svg":
                self.open.pop()

    found = Svgs()
    found.feed(render(synthetic_year(hostile=True)))
    assert found.texts > 20
    assert found.scaled == []


def sparse_days() -> PageData:
    """Three days of use, as a new user has them: $0.40, nothing, $1.20, $2.10 (issue 19 item 8)."""
    days = [
        ("2026-11-28", 0.4, 0.0),
        ("2026-11-29", 0.0, 0.0),
        ("2026-11-30", 1.2, 0.0),
        ("2026-12-01", 2.1, 0.0),
    ]
    return PageData(
        "2026-11-28",
        "2026-12-01",
        "2026-12-01 18:00 UTC",
        "UTC",
        days=days,
        reference_lines=[("$6 average day", 6.0), ("$12 90th-percentile day", 12.0)],
        month="2026-12",
        month_to_date=2.1,
        month_projection=65.1,
        breakdowns={"model": [Bucket("claude-opus-4-6", 3.7, 1.0, 1000)]},
        top_sessions=[SessionRow("abc", "/w/app", "Fix the login", "Opus 4.6", 3.7, 0, 60_000)],
        total=3.7,
    )


def test_the_daily_scale_fits_the_data_not_reference_lines_far_above_it():
    # Found (issue 19 item 8): $2 days were 1 px slivers on a $0–15 axis set by the $12 line.
    doc = parse(render(sparse_days()))
    labels = doc.text_in("text")
    assert "$3" in labels and "$15" not in labels and "$5" not in labels  # ticks up to the data
    assert sum("ref" in a.get("class", "").split() for t, a in doc.tags if t == "line") == 0
    legend = " ".join(t for path, t in doc.texts if "li" in path)
    assert (
        "$6 average day (above this scale)" in legend
        and "$12 90th-percentile day (above this scale)" in legend
    )
    data = sparse_days()
    data.days[-1] = ("2026-12-01", 4.5, 0.0)  # within 1.5× of the $6 line: drawn; $12 is not
    doc = parse(render(data))
    assert sum("ref" in a.get("class", "").split() for t, a in doc.tags if t == "line") == 1
    legend = [t for path, t in doc.texts if "li" in path]
    assert "$6 average day" in legend and "$12 90th-percentile day (above this scale)" in legend


def test_an_empty_month_says_so_instead_of_an_empty_bar():
    # Found (issue 19 item 8): "This month" showed $0.00 so far, $0.00 projected, over an empty bar.
    data = sparse_days()
    data.month, data.month_to_date, data.month_projection = "2027-01", 0.0, 0.0
    page = render(data)
    section = page[page.index('id="month"') :]
    section = section[: section.index("</section>")]
    assert "<svg" not in section
    assert "No spend yet in 2027-01; the last day with usage was 2026-12-01." in section
    cards = page[page.index('id="totals"') :]
    assert "unlogged" not in cards[: cards.index("</section>")]  # an empty card is left out
    data.monthly_budget = 50.0
    assert "<svg" in render(data).split('id="month"')[1].split("</section>")[0]  # a budget to show


def test_the_headline_cards_count_unlogged_spend_as_the_bars_and_report_daily_do():
    """Found (walk stumble 5): the line's today counts unlogged spend; the page's headline did not.
    Days $0.40, –, $1.20, $2.10 + $1.50 unlogged on Nov 29 and $0.80 on Dec 1."""
    data = sparse_days()
    data.days[1] = ("2026-11-29", 0.0, 1.5)
    data.days[3] = ("2026-12-01", 2.1, 0.8)
    data.unlogged_total = 2.3
    page = render(data)
    cards = page[page.index('id="totals"') :]
    cards = " ".join(re.sub(r"</?(b|span)>", " ", cards[: cards.index("</section>")]).split())
    assert "$6.00 spent in range, unlogged included" in cards  # 3.70 + 2.30: totalCostWithUnlogged
    assert "$3.70 transcript cost in range" in cards and "$2.30 unlogged spend" in cards
    assert "$1.50 per day with usage" in cards  # 6.00 over the 4 days with usage
    assert "$2.90 busiest day, 2026-12-01" in cards  # 2.10 + 0.80
