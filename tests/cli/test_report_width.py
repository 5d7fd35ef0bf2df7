"""Text reports fit the terminal: a compact layout below its width, the full one above it or
when the output is not a terminal; text left, numbers right, long names cut with an ellipsis."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from helpers import assistant, run_costline, write_transcript

from statusline.cli.tables import cut

HOME = "/home/u"
LONG_CWD = f"{HOME}/work/clients/an-unusually-long-client-name/monorepo/packages/frontend-web-app"
WIDE_CWD = f"{HOME}/作業/プロジェクト-アプリ"
MODELS = ("claude-3-5-sonnet-20241022", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001")
MCP_TOOL = "mcp__a-rather-long-server-name__a_tool_with_a_remarkably_long_descriptive_name"


def folder(cwd: str) -> str:
    """Claude Code's project folder for a cwd: every character but a letter or digit is '-'."""
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in cwd)


def width(line: str) -> int:
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line
    )


def line(n: int, session: str, cwd: str, model: str, day: int) -> str:
    doc = json.loads(
        assistant(
            msg_id=f"m{session}{n}",
            request_id=f"r{session}{n}",
            session=session,
            model=model,
            ts=f"2026-11-{day:02d}T{10 + n:02d}:00:00.000Z",
            cwd=cwd,
            usage={
                "input_tokens": 123_456_789,
                "output_tokens": 98_765_432,
                "cache_creation_input_tokens": 876_543_210,
                "cache_read_input_tokens": 9_876_543_210,
            },
        )
    )
    doc["message"]["content"] = [{"type": "tool_use", "id": f"t{session}{n}", "name": MCP_TOOL, "input": {}}]
    return json.dumps(doc)


@pytest.fixture
def corpus(config_dir, monkeypatch):
    monkeypatch.setenv("HOME", HOME)  # the config dir is set apart (CLAUDE_CONFIG_DIR)
    sessions = (
        ("0b7e8f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", LONG_CWD),
        ("9f8e7d6c-5b4a-4321-9876-fedcba987654", WIDE_CWD),
    )
    for k, (session, cwd) in enumerate(sessions):
        lines = [line(n, session, cwd, MODELS[(n + k) % 3], 18 + n + k) for n in range(4)]
        write_transcript(config_dir, folder(cwd), f"{session}.jsonl", lines)
    assert run_costline(b"", "index", "refresh").returncode == 0
    return config_dir


REPORTS = [
    ["daily"],
    ["daily", "--breakdown"],
    ["weekly"],
    ["monthly"],
    ["session"],
    ["blocks"],
    *(["by", kind] for kind in ("tool", "mcp", "project", "model", "agent")),
]


def shown(args: list[str], env: dict[str, str]) -> list[str]:
    proc = run_costline(b"", "report", *args, "-z", "UTC", "--no-refresh", env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().splitlines()


@pytest.mark.parametrize("args", REPORTS, ids=" ".join)
def test_every_report_fits_80_columns(corpus, args):
    lines = shown(args, {"COLUMNS": "80"})
    assert lines and max(map(width, lines)) <= 80, "\n".join(lines)


@pytest.mark.parametrize("args", [a for a in REPORTS if a != ["blocks"]], ids=" ".join)
def test_a_wide_terminal_or_a_pipe_gets_every_column(corpus, args):
    for env in ({"COLUMNS": "200"}, {}):  # {}: not a terminal, no COLUMNS
        lines = shown(args, env)
        assert "Cache write" in lines[0] and "Cache read" in lines[0], (env, lines[0])
        assert not any("compact" in line for line in lines)
    assert max(map(width, shown(args, {"COLUMNS": "200"}))) <= 200


def test_compact_layout_drops_cache_columns_and_says_so(corpus):
    lines = shown(["daily"], {"COLUMNS": "80"})
    assert lines[0].split() == ["Date", "Input", "Output", "Cost", "Models"]
    assert "compact layout" in lines[-1]


def test_text_is_left_aligned_and_numbers_right_aligned(corpus):
    lines = shown(["session"], {"COLUMNS": "200"})
    head = lines[0]
    rows = [r for r in lines[2:] if r.startswith(("0b7e", "9f8e"))]
    project_at = head.index("Project")
    cost_end = head.index("Cost (USD)") + len("Cost (USD)")
    for row in rows:
        assert row[project_at] == "~"  # a project starts under its header
        assert row[:cost_end].endswith("+?") or row[cost_end - 1].isdigit()  # a cost ends under its header


def test_session_report_has_a_total_row_and_cuts_paths_in_the_middle(corpus):
    lines = shown(["session"], {"COLUMNS": "80"})
    total = next(r for r in lines if r.startswith("Total"))
    assert "$" in total
    long_row = next(r for r in lines if r.startswith("0b7e"))
    assert "~/work/" in long_row and "…" in long_row and "web-app" in long_row


def test_cut_counts_wide_characters_and_keeps_a_paths_end():
    # A third of the room for the head, the rest for the end: 6 + "…" + 13.
    assert cut("~/work/clients/monorepo/frontend-web-app", 20, middle=True) == "~/work…ntend-web-app"
    assert width(cut("~/作業/プロジェクト-アプリ", 12, middle=True)) <= 12
    assert cut("claude-3-5-sonnet-20241022", 10) == "claude-3-…"
    assert cut("short", 10) == "short"


def test_layout_cuts_the_lower_rank_first_and_drops_columns_before_cutting_names_short():
    from statusline.cli.tables import COMPACT, NARROW, TEXT, Column, layout

    columns = [
        Column("Session", TEXT, least=9),
        Column("Project", TEXT, least=12, middle=True, rank=1),
        Column("Input", drop=NARROW),
        Column("Cache", drop=COMPACT),
        Column("Cost"),
    ]
    rows = [["s" * 36, "p" * 30, "1" * 9, "2" * 9, "$1.00"]]
    # 36 + 30 + 9 + 9 + 5 + 4 gaps of 2 = 97: every column fits 100.
    assert layout(columns, rows, 100) == ([0, 1, 2, 3, 4], [36, 30, 9, 9, 5], False)
    # At 90 the names can give 7 (the session first) and stay ≥ 24: every column stays.
    assert layout(columns, rows, 90) == ([0, 1, 2, 3, 4], [29, 30, 9, 9, 5], False)
    # At 70 the cache column goes: 36 + 30 + 9 + 5 + 6 = 86, 16 over; names may give 12 + 6 down
    # to 24, the session first: 24 and 26, Input kept.
    assert layout(columns, rows, 70) == ([0, 1, 2, 4], [24, 26, 9, 5], True)
    # At 60 that is not enough: Input goes too (36 + 30 + 5 + 4 = 75), the session gives the 15.
    assert layout(columns, rows, 60) == ([0, 1, 4], [21, 30, 5], True)
    # At 30 everything is cut to its least: 9 + 12 + 5 + 4 = 30.
    assert layout(columns, rows, 30) == ([0, 1, 4], [9, 12, 5], True)


SAMPLE = str(Path(__file__).resolve().parents[2] / "samples" / "payload-2.1.332.json")
COMMANDS = [
    ["preview"],
    ["preview", "--each", SAMPLE],
    ["doctor", "--no-timing"],
    ["index", "status"],
    ["config", "check"],
    ["config", "segments"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_commands_text_fits_80_columns(corpus, args):
    # The status line a preview shows fits by itself; its notes, doctor's checks and the index's
    # status are sentences wrapped to the terminal (checks with a hanging indent).
    proc = run_costline(b"", *args, env={"COLUMNS": "80"})
    lines = proc.stdout.decode().splitlines()
    assert lines and max(map(width, lines)) <= 80, "\n".join(lines)
    if args[0] == "doctor":
        assert all(row.startswith(("✓ ", "⚠ ", "✗ ", "  ")) for row in lines), lines
