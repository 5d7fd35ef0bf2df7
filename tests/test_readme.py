"""The README's speed figures are the bench's results files, and its setup text is what install writes.

A figure the bench measured is written once in the README, followed by a marker that names its
source: `<!-- bench FILE:KEY ... -->`, FILE being `bench/results-FILE.json` and KEY a dotted path
into it (`KEY-KEY` for a difference; a key whose value is a boolean must be true and stands for
no figure). The numbers written between the previous boundary (a table cell's `|`, a blank line
or the previous marker) and the marker must be exactly those values, in order, each within the
rounding of the digits shown. Every Speed-table cell with a figure carries a marker, or says it
is an earlier measurement with its date (`<!-- earlier -->`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import run_costline

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MARKER = re.compile(r"<!-- (bench|earlier)\b([^>]*?)-->")
NUMBER = re.compile(r"(?<![\w.-])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")  # 1,000 · 0.96 (no sign)
NOT_FIGURES = re.compile(r"`[^`]*`|\b20\d\d-\d\d-\d\d\b")  # code and dates are not figures
DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def results(name: str) -> dict[str, object]:
    return json.loads((ROOT / "bench" / f"results-{name}.json").read_text())  # type: ignore[no-any-return]


def lookup(doc: object, path: str) -> object:
    for part in path.split("."):
        assert isinstance(doc, dict) and part in doc, f"no {path!r} in the results"
        doc = doc[part]
    return doc


def value(spec: str) -> float | bool:
    """`warm-1000:warm.ratio` or `latest:warm.render_ms-warm.python_I_pass_ms`."""
    name, _, keys = spec.partition(":")
    doc = results(name)
    first, *rest = keys.split("-")
    got = lookup(doc, first)
    if isinstance(got, bool):
        return got
    assert isinstance(got, int | float), spec
    return float(got) - sum(float(lookup(doc, k)) for k in rest)  # type: ignore[arg-type]


def segment_before(text: str, end: int) -> str:
    """The text a marker ending its figures at `end` covers."""
    start = max(text.rfind("|", 0, end), text.rfind("\n\n", 0, end), text.rfind("-->", 0, end))
    return text[start + 1 : end]


def figures(segment: str) -> list[tuple[str, float]]:
    text = NOT_FIGURES.sub(" ", segment)
    return [(m.group(), float(m.group().replace(",", ""))) for m in NUMBER.finditer(text)]


def agrees(written: str, measured: float) -> bool:
    decimals = len(written.partition(".")[2])
    return abs(float(written.replace(",", "")) - measured) <= 0.5 * 10**-decimals + 1e-9


def marked() -> list[tuple[str, str, str]]:
    """(kind, its arguments, the text it covers) for every marker in the README."""
    return [
        (m.group(1), m.group(2).strip(), segment_before(README, m.start())) for m in MARKER.finditer(README)
    ]


def speed_table() -> str:
    start, end = README.index("<!-- bench -->"), README.index("<!-- /bench -->")
    return README[start:end]


def test_the_markers_parse_a_hand_made_cell() -> None:
    # The rules above on a cell made for this test: 1.19 is within 1.186's rounding, 13 is not
    # within 13.8's, and the boundary is the cell's `|`, not the row's first cell.
    cell = "| label 1.3× | **12.3 ms vs 10.4 ms = 1.19×** <!-- bench"
    seg = segment_before(cell, len(cell) - len("<!-- bench"))
    assert [w for w, _ in figures(seg)] == ["12.3", "10.4", "1.19"]
    assert agrees("1.19", 1.186) and agrees("1.40", 1.395) and agrees("143", 142.5)
    assert not agrees("13", 13.8) and not agrees("1.20", 1.186)
    assert figures("2–3 ms, 1,000 sessions, 25, on 2026-11-25 (`results-scale-10k.json`)") == [
        ("2", 2.0),
        ("3", 3.0),
        ("1,000", 1000.0),
        ("25", 25.0),
    ]


def test_every_marked_figure_is_the_results_files_value() -> None:
    checked = 0
    for kind, args, seg in marked():
        if kind != "bench":
            continue
        specs = args.split()
        values = [(spec, value(spec)) for spec in specs]
        assert all(v for _, v in values if isinstance(v, bool)), f"a false result behind {seg!r}"
        numeric = [(spec, v) for spec, v in values if not isinstance(v, bool)]
        written = figures(seg)
        assert len(written) == len(numeric), f"{seg!r} has {len(written)} figures for {specs}"
        for (text, _), (spec, measured) in zip(written, numeric, strict=True):
            assert agrees(text, measured), f"README says {text} where {spec} is {measured} ({seg!r})"
            checked += 1
    assert checked >= 30  # the Speed table is marked, not an empty README passing


def test_every_figure_in_the_speed_table_has_its_source() -> None:
    rows = [r for r in speed_table().splitlines() if r.startswith("|")][2:]  # no header, no rule
    assert rows
    for row in rows:
        cells = re.split(r"\|(?![^<]*-->)", row.strip().strip("|"))[1:]  # not the label
        for cell in cells:
            if not NUMBER.search(MARKER.sub("", cell)):
                continue
            kinds = [m.group(1) for m in MARKER.finditer(cell)]
            assert kinds, f"a figure without its results file: {cell.strip()!r}"
            if "earlier" in kinds:
                assert DATE.search(cell) and "earlier" in MARKER.sub("", cell), cell


def test_every_results_file_is_quoted_with_its_machine() -> None:
    names = {p.name[len("results-") : -len(".json")] for p in (ROOT / "bench").glob("results-*.json")}
    quoted = {
        spec.partition(":")[0] for kind, args, _ in marked() if kind == "bench" for spec in args.split()
    }
    assert quoted == names  # a results file the README does not quote is a figure left behind
    for name in names:
        doc = results(name)
        assert f"`{doc['machine']}`" in speed_table(), name
        assert str(doc.get("date", "")) in speed_table(), name  # the bench writes it since 2026-12


def test_configure_shows_the_command_install_writes(tmp_path: Path) -> None:
    configure = README[README.index("## Configure") :]
    configure = configure[: configure.index("\n## ", 1)]
    shown = [json.loads(block)["statusLine"] for block in re.findall(r"```json\n(.*?)\n```", configure, re.S)]
    env = {"HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": str(tmp_path / ".claude")}
    diff = run_costline(b"", "install", "--dry-run", env=env).stdout.decode()
    written = json.loads("".join(line[1:] for line in diff.splitlines() if line[:2] in ("+{", "+ ", "+}")))
    entry = written["statusLine"]
    assert shown, "Configure shows no statusLine"
    for example in shown:  # the same entry; the path is the reader's
        assert example.keys() == entry.keys()
        assert example["command"].rsplit("/", 1)[-1] == entry["command"].rsplit("/", 1)[-1]
    assert not (tmp_path / ".claude").exists()  # a dry run


def test_help_recommends_what_install_writes() -> None:
    out = run_costline(b"", "--help").stdout.decode()
    assert '"command": "costline"' not in out
    assert "costline install" in out


def fitting_text() -> str:
    start = README.index("| `COLUMNS` |")
    return README[start : README.index("\n", start)]


def test_the_fitting_order_is_the_segments_priorities() -> None:
    from statusline.segments import DEFAULT_LINE, SEGMENTS

    text = fitting_text()
    stated = re.search(r"the order is ((?:`\w+`, )+`\w+`)", text)
    assert stated, text
    order = re.findall(r"`(\w+)`", stated.group(1))
    priority = {name: p for name, (*_where, p) in SEGMENTS.items()}
    assert order == sorted(DEFAULT_LINE, key=priority.__getitem__)  # dropped first, first
    # Each opt-in group is said to go before a default segment: above the one before that.
    opt_in = text[text.index("opt-in ones") :]
    said = set()
    for names, before in re.findall(r"((?:`\w+`(?:, | and )?)+) before `(\w+)`", opt_in):
        floor = priority[order[order.index(before) - 1]] if order.index(before) else 0
        for name in re.findall(r"`(\w+)`", names):
            assert floor < priority[name] < priority[before], (name, before)
            said.add(name)
    assert said == set(SEGMENTS) - set(DEFAULT_LINE)  # every opt-in segment placed
