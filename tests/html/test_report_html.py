"""`costline report html` end to end: the page holds the same figures as the text reports, and
names from outside (project folders, tool names) reach it only as text."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from helpers import assistant, write_transcript
from test_page import CHART_IDS

from statusline.cli import cli

# Folder names cannot hold "/", so `<script>…</script>` arrives through a tool's name instead.
HOSTILE_PROJECTS = ["<svg onload=alert(1)>", '"><img src=x onerror=alert(1)>']
HOSTILE_TOOL = "mcp__<script>alert(1)</script>__run"


def tool_call(msg: str, ts: str, name: str, session: str) -> str:
    line = json.loads(assistant(msg_id=msg, request_id=f"r{msg}", ts=ts, session=session))
    line["message"]["content"] = [
        {"type": "tool_use", "id": f"t{msg}", "name": name, "input": {"q": "x" * 40}}
    ]
    return json.dumps(line)


def run(*args: str) -> str:
    out = CliRunner().invoke(cli, ["report", *args])
    assert out.exit_code == 0, out.output
    return out.stdout


class Texts(HTMLParser):
    """Element names seen and the text of the whole page (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _texts(page: str) -> list[str]:
    parsed = Texts()
    parsed.feed(page)
    return parsed.text


def test_page_from_a_corpus_with_hostile_names(config_dir, tmp_path):
    for n, project in enumerate(HOSTILE_PROJECTS):
        write_transcript(
            config_dir,
            project,
            f"s{n}.jsonl",
            [
                assistant(
                    msg_id=f"a{n}", request_id=f"ra{n}", session=f"s{n}", ts="2026-11-20T10:00:00.000Z"
                ),
                tool_call(f"b{n}", "2026-11-21T10:00:00.000Z", HOSTILE_TOOL, f"s{n}"),
            ],
        )
    out = tmp_path / "report.html"
    said = run("html", "-o", str(out), "--since", "20261101", "--until", "20261130", "-z", "UTC")
    assert "wrote" in said and "KB" in said
    page = out.read_text("utf-8")
    for raw in ("<script", "<img", "<svg onload"):
        assert raw not in page.lower()
    parsed = Texts()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    text = "".join(parsed.text)
    for project in HOSTILE_PROJECTS:
        assert project in text  # shown as text
    assert "<script>alert(1)</script>" in text  # the MCP server's name, as text
    assert re.search(r"default-src 'none'", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    # The page's total is the daily report's.
    daily = json.loads(run("daily", "--json", "-z", "UTC", "--no-refresh"))
    total = daily["totals"]["totalCost"]
    assert f"${total:,.2f}" in text
    for chart in CHART_IDS:
        assert f'id="{chart}"' in page


def test_an_empty_history_still_writes_a_page(config_dir, tmp_path):
    out = tmp_path / "empty.html"
    run("html", "-o", str(out), "-z", "UTC")
    page = out.read_text("utf-8")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")


def test_an_unwritable_output_is_a_one_line_error(config_dir, tmp_path):
    out = CliRunner().invoke(cli, ["report", "html", "-o", str(tmp_path / "missing" / "r.html")])
    assert out.exit_code != 0
    assert "cannot write" in out.output and len(out.output.strip().splitlines()) == 1


def test_the_sample_corpus_fills_every_breakdown(config_dir, tmp_path):
    import importlib.util
    from pathlib import Path

    # By path: bench/ has a `corpus` module too.
    spec = importlib.util.spec_from_file_location(
        "sample_corpus", Path(__file__).parents[2] / "samples" / "corpus.py"
    )
    assert spec and spec.loader
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    sample.write_corpus(config_dir, days=6, seed=3, end="2026-11-20")
    out = tmp_path / "sample.html"
    run("html", "-o", str(out), "--since", "20261101", "--until", "20261120", "-z", "UTC")
    page = out.read_text("utf-8")
    for name in ("github", "postgres", "Explore", "main", "mcp__github__get_pull_request", "claude-opus-4-8"):
        assert name in page
    assert any(title in page for title in sample.TITLES)  # sessions are shown by their names
    daily = json.loads(run("daily", "--json", "-z", "UTC", "--no-refresh"))["totals"]["totalCost"]
    for kind in ("agent", "tool", "mcp"):
        doc = json.loads(run("by", kind, "--json", "-z", "UTC", "--no-refresh"))
        assert abs(sum(r["cost"] for r in doc["rows"]) - daily) < 1e-9
        assert "unattributed" not in {r["name"] for r in doc["rows"]}


def test_sparse_history_fills_the_page_and_says_what_it_leaves_out(config_dir, tmp_path):
    # Found (issue 19 item 8): 3 days of use drew a 365-day page of 1 px bars, older usage was
    # left out with only the subtitle's dates to say so ($6.13 on the page, $36.52 in `report
    # daily`), sessions were all "(untitled)" and models were ids.
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()

    def day(n: int) -> str:
        return (today - timedelta(days=n)).isoformat()

    def session(sid: str, n: int, out: int, *extra: str) -> None:
        line = assistant(msg_id=f"m{sid}", request_id=f"r{sid}", session=sid, ts=f"{day(n)}T10:00:00.000Z",
                         usage={"input_tokens": 0, "output_tokens": out})  # fmt: skip
        write_transcript(config_dir, "-w-app", f"{sid}.jsonl", [*extra, line])

    prompt = json.dumps(
        {"type": "user", "sessionId": "s1", "message": {"role": "user", "content": "Fix the login"}}
    )
    summary = json.dumps({"type": "summary", "summary": "Parser refactor", "leafUuid": "x"})
    session("s1", 20, 40_000, prompt)  # Opus 4.8 output at $25/MTok: $1.00
    session("s2", 19, 20_000, summary)  # $0.50
    session("s3", 5, 10_000)  # $0.25
    out = tmp_path / "r.html"
    said = run("html", "-o", str(out), "-z", "UTC")
    page = out.read_text("utf-8")
    assert f"{day(20)} – {day(0)} · days and times in UTC" in page  # from the first day with usage
    assert "$1.75" in said and "outside" not in page
    sessions = page[page.index('id="sessions"') :]
    assert "Fix the login" in sessions and "Parser refactor" in sessions
    assert "Opus 4.8" in sessions and "claude-opus-4-8" not in sessions
    session("s0", 400, 80_000)  # $2.00, more than a year ago: past the default range
    said = run("html", "-o", str(out), "-z", "UTC")
    page = out.read_text("utf-8")
    assert f"{day(364)} – {day(0)}" in page
    daily = json.loads(run("daily", "--json", "-z", "UTC", "--no-refresh"))["totals"]["totalCost"]
    assert daily == pytest.approx(3.75)
    text = "".join(_texts(page))
    assert f"$2.00 of transcript cost on 1 day outside this page's range (from {day(400)})" in text
    assert f"--since {day(400).replace('-', '')}" in text
    assert "$1.75" in said and "$2.00 outside the range" in said
