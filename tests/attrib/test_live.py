"""This session's money, live: the refresh writes the split, the render shows it (segments
`agents` and `tools`), and the figures are `report by agent|tool --session`'s to the cent.

The sessions are attrib_helpers.build_sessions' (A: a ten-turn Read result and an Explore
subagent; B: no subagent), with hand-computed dollars.
"""

from __future__ import annotations

import json
import marshal
import os
import time
from pathlib import Path

import pytest
from attrib_helpers import EXPLORE, GREP_COST, MAIN, READ_COST, A, B, build_sessions, call, of, say
from click.testing import CliRunner
from helpers import payload, report_json, run_costline, wait_for_refresh, write_transcript

from statusline import context
from statusline.attrib import live
from statusline.cli import cli
from statusline.index.store import Store

WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}


def configure(tmp_path: Path, segments: list[str], extra: str = "") -> None:
    names = ", ".join(f'"{s}"' for s in segments)
    Path(os.environ["COSTLINE_CONFIG"]).write_text(
        f"[pricing]\noffline = true\n\n[line]\nsegments = [{names}]\n{extra}"
    )


def refresh(config_dir: Path | None = None, *sessions: str) -> None:
    """`costline index refresh`, after a render of each session (a render keeps its session's
    index group in a file of its own: what marks it active) and the refresh that render began."""
    for session in sessions:
        run_costline(payload(transcript(config_dir, session), session=session), env=WIDE)  # type: ignore[arg-type]
    if sessions:
        wait_for_refresh(Path(os.environ["COSTLINE_CACHE_DIR"]))
    out = CliRunner().invoke(cli, ["index", "refresh"])
    assert out.exit_code == 0, out.output


def transcript(config_dir: Path, session: str) -> Path:
    return config_dir / "projects" / "-w-app" / f"{session}.jsonl"


def line(config_dir: Path, session: str, env: dict[str, str] | None = None) -> str:
    proc = run_costline(
        payload(transcript(config_dir, session), session=session), env={**WIDE, **(env or {})}
    )
    assert proc.returncode == 0
    out = proc.stdout.decode()
    assert out.count("\n") == 1
    return out.strip()


def live_files() -> dict[str, dict]:
    folder = Path(os.environ["COSTLINE_CACHE_DIR"]) / "index" / "v2" / "live"
    return {p.name: marshal.loads(p.read_bytes()) for p in folder.iterdir()} if folder.exists() else {}


def usd(value: float) -> str:
    return f"${value:.2f}"


def test_agents_and_tools_equal_report_by_session_to_the_cent(config_dir, tmp_path):
    configure(tmp_path, ["agents", "tools"])
    build_sessions(config_dir)
    refresh(config_dir, A)
    shown = line(config_dir, A)
    main, explore = sum(MAIN), sum(EXPLORE)
    total = main + explore
    read_pct, grep_pct = 100 * READ_COST / total, 100 * GREP_COST / total
    assert shown == f"main {usd(main)} · Explore {usd(explore)} · Read ~{read_pct:.0f}%"  # Grep under 5 %
    agents = {r["name"]: r for r in report_json("by", "agent", "--session", A, "--no-refresh")["rows"]}
    tools = {r["name"]: r for r in report_json("by", "tool", "--session", A, "--no-refresh")["rows"]}
    assert f"main {usd(agents['main']['cost'])} · Explore {usd(agents['Explore']['cost'])}" in shown
    assert f"Read ~{100 * tools['Read']['share']:.0f}%" in shown
    # The file holds the report's own figures, not a rounding of them.
    (saved,) = [v for n, v in live_files().items() if A in n]
    assert {n: c for n, c, _ in saved["agent"]["rows"]} == pytest.approx(
        {n: r["cost"] for n, r in agents.items()}, abs=1e-12
    )
    assert {n: c for n, c, _ in saved["tool"]["rows"]} == pytest.approx(
        {n: r["cost"] for n, r in tools.items()}, abs=1e-12
    )
    # Grep's share rounds to 0 %: never shown, whatever the floor; Read's is under a 96 % floor.
    assert grep_pct < 0.5
    configure(tmp_path, ["tools"], "\n[tools]\nmin_pct = 0\nitems = 3\n")
    assert line(config_dir, A) == f"Read ~{read_pct:.0f}%"
    configure(tmp_path, ["model", "tools"], "\n[tools]\nmin_pct = 96\n")
    assert line(config_dir, A) == "Opus 4.8"


def test_a_session_with_no_subagents_is_main_alone(config_dir, tmp_path):
    configure(tmp_path, ["agents", "tools"])
    build_sessions(config_dir)
    refresh()  # no render of B before: its transcript changed within the hour, that is enough
    agents = report_json("by", "agent", "--session", B, "--no-refresh")["rows"]
    tools = {r["name"]: r for r in report_json("by", "tool", "--session", B, "--no-refresh")["rows"]}
    assert [r["name"] for r in agents] == ["main"]
    assert line(config_dir, B) == f"main {usd(agents[0]['cost'])} · Bash ~{100 * tools['Bash']['share']:.0f}%"


def test_the_rest_is_folded_to_fit_and_names_are_escaped_and_cut(config_dir, tmp_path):
    configure(tmp_path, ["agents"], "\n[agents]\nitems = 2\n")
    evil = "Ex\x1b]52;c;aGk=\x07pl\u202eore" + "x" * 40
    main = [say(f"m{i}", i, out=100 * (i + 1)) for i in range(3)]
    write_transcript(config_dir, "-w-app", f"{A}.jsonl", of(A, main))
    for i, kind in enumerate(["Plan", "Explore", "general-purpose", evil]):
        sub = [
            say(f"sub{i}", 20 + i, out=1000 * (i + 1)).replace('"isSidechain":false', '"isSidechain":true')
        ]
        write_transcript(config_dir, "-w-app", f"{A}/subagents/agent-{i}.jsonl", of(A, sub))
        meta = config_dir / "projects" / "-w-app" / A / "subagents" / f"agent-{i}.meta.json"
        meta.write_text(json.dumps({"agentType": kind}))
    refresh(config_dir, A)
    # 1,000 output tokens are $0.025: the evil one $0.10, general-purpose $0.075, then folded:
    # Explore $0.05, Plan $0.025, main (600 tokens) $0.015. Names: 24 characters at most.
    name = "Ex]52;c;aGk=plore" + "x" * 6 + "…"
    two = f"{name} $0.10 · general-purpose {usd(0.075)} · +3 {usd(0.05 + 0.025 + 0.015)}"
    assert line(config_dir, A) == two
    # A third would pass 72 columns: the segment folds it rather than grow.
    configure(tmp_path, ["agents"], "\n[agents]\nitems = 3\n")
    assert line(config_dir, A) == two
    configure(tmp_path, ["agents"], "\n[agents]\nitems = 1\n")
    assert line(config_dir, A) == f"{name} $0.10 · +4 {usd(0.075 + 0.05 + 0.025 + 0.015)}"


def test_the_live_file_is_written_only_when_its_figures_change(config_dir, tmp_path):
    configure(tmp_path, ["agents"])
    build_sessions(config_dir)
    store = Store(os.environ["COSTLINE_CACHE_DIR"])
    refresh(config_dir, A)
    (name,) = [n for n in live_files() if A in n]
    path = Path(store.path(live.rel(name)))
    first = path.stat().st_mtime_ns
    from statusline.price_table import load_table

    assert live.refresh(store, load_table(store.cache)) == 0  # nothing changed: nothing written
    assert path.stat().st_mtime_ns == first
    write_transcript(config_dir, "-w-app", f"{A}.jsonl", of(A, [say("late", 30, out=4000)]), mode="a")
    refresh(config_dir, A)
    assert marshal.loads(path.read_bytes())["agent"]["rows"][0][1] == pytest.approx(
        sum(MAIN) + 0.1, abs=1e-12
    )
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"


def test_nothing_is_computed_unless_the_line_shows_it(config_dir, tmp_path):
    build_sessions(config_dir)
    refresh(config_dir, A)
    assert live_files() == {}
    configure(tmp_path, ["model"])
    refresh(config_dir, A)
    assert live_files() == {}
    assert live.wanted({"segments": ["model"], "second_line": ["tools"]})
    assert live.wanted({"rows": [["model"], ["ctx", "agents"]]})
    assert not live.wanted({"segments": None, "rows": [["model"], [3, None]]})


def test_missing_or_garbled_files_show_nothing_or_a_question_mark(config_dir, tmp_path):
    configure(tmp_path, ["model", "agents", "tools"])
    build_sessions(config_dir)
    assert line(config_dir, A) == "Opus 4.8"  # not computed yet: nothing, never $0.00
    refresh(config_dir, A)
    (name,) = [n for n in live_files() if A in n]
    path = Path(Store(os.environ["COSTLINE_CACHE_DIR"]).path(live.rel(name)))
    saved = marshal.loads(path.read_bytes())
    bad_rows = {"rows": [("main", "$1", False)], "rest": (0, 0.0, False), "total": 1.0}
    bad_rest = {"rows": [("main", 1.0, False)], "rest": (0, 0.0), "total": 1.0}
    for garbled in (
        b"\x00garbage",
        marshal.dumps([1, 2]),
        marshal.dumps({**saved, "format": 99}),
        marshal.dumps({**saved, "agent": bad_rows, "tool": {**bad_rows, "rows": "Read"}}),
        marshal.dumps({**saved, "agent": bad_rest, "tool": {**bad_rest, "total": "1"}}),
    ):
        path.write_bytes(garbled)
        shown = line(config_dir, A)
        assert shown.startswith("Opus 4.8") and "$" not in shown and "%" not in shown, shown
    # A model without a price: its agent's dollars are a floor (`+?`), no share can be given.
    unknown = {**saved, "agent": {**saved["agent"], "rows": [("main", 1.0, True)]}}
    unknown["tool"] = {**saved["tool"], "unknown": True}
    path.write_bytes(marshal.dumps(unknown))
    assert line(config_dir, A) == "Opus 4.8 · main $1.00+? · tools ?"
    # An unreadable live file is not the index's: nothing is set aside, today stays whole.
    assert not (Path(os.environ["COSTLINE_CACHE_DIR"]) / "index" / "v2" / "corrupt").exists()


def test_a_split_behind_the_logs_says_how_old_the_refresh_is(config_dir, tmp_path):
    configure(tmp_path, ["agents"])
    build_sessions(config_dir)
    refresh(config_dir, A)
    assert "old)" not in line(config_dir, A)
    store = Store(os.environ["COSTLINE_CACHE_DIR"])
    meta = store.read_meta()
    store.write("meta", {**meta, "full_scan_ms": int(time.time() * 1000) - 600_000})  # 10 minutes ago
    store.mark_refresh_started(time.time())  # and none due now
    assert "old)" not in line(config_dir, A)  # current all the same: the logs did not change
    write_transcript(config_dir, "-w-app", f"{A}.jsonl", of(A, [say("late", 30, out=4000)]), mode="a")
    assert line(config_dir, A).endswith(" (10m old)")  # the render read a line the split has not


def test_the_render_and_the_refresh_agree_on_the_format():
    assert context.LIVE_FORMAT == live.FORMAT


def test_a_subagent_call_in_the_parent_names_its_type(config_dir, tmp_path):
    # No .meta.json: the type comes from the parent's Agent call whose result names the agent id.
    configure(tmp_path, ["agents"])
    result = json.dumps(
        {
            "type": "user",
            "sessionId": A,
            "timestamp": "2026-11-20T10:02:30.000Z",
            "message": {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}],
            },
            "toolUseResult": {"agentId": "xyz", "status": "completed"},
        }
    )
    main = of(A, [call("m1", 1, "Agent", "t1", {"subagent_type": "Plan", "prompt": "p"}, out=10, write=100)])
    write_transcript(config_dir, "-w-app", f"{A}.jsonl", [*main, result])
    sub = of(A, [say("p1", 3, "plan", out=2000).replace('"isSidechain":false', '"isSidechain":true')])
    write_transcript(config_dir, "-w-app", f"{A}/subagents/agent-xyz.jsonl", sub)
    refresh(config_dir, A)
    assert line(config_dir, A).startswith("Plan $0.05 · main $0.00")


def test_one_refresh_computes_a_few_sessions_the_most_recent_first(config_dir, tmp_path):
    # Found: a history copied in within the hour is all "recent", and the first refresh read
    # every session's attribution from the start (300 sessions, 100 MB: 40 s under its lock).
    from statusline.price_table import load_table

    build_sessions(config_dir)
    now = time.time()
    subagent = config_dir / "projects" / "-w-app" / A / "subagents" / "agent-abc.jsonl"
    for path, ago in ((transcript(config_dir, A), 600), (subagent, 600), (transcript(config_dir, B), 60)):
        os.utime(path, (now - ago, now - ago))
    refresh()  # indexed, no split: the line shows neither segment yet
    configure(tmp_path, ["agents"])
    store = Store(os.environ["COSTLINE_CACHE_DIR"])
    compiled = load_table(store.cache)
    assert live.refresh(store, compiled, now, most=1) == 1
    assert [n.split("~")[1] for n in live_files()] == [B]  # B's transcript changed last
    assert live.refresh(store, compiled, now, most=1) == 1  # B is current: A's turn
    assert sorted(n.split("~")[1] for n in live_files()) == [A, B]
    assert live.refresh(store, compiled, now, most=1) == 0
    # Past the hour, a session is no longer computed.
    for path in (transcript(config_dir, A), subagent):
        os.utime(path, (now - 7200, now - 7200))
    refresh()
    (gone,) = [n for n in live_files() if A in n]
    Path(store.path(live.rel(gone))).unlink()
    assert live.refresh(store, compiled, now + 10, most=1) == 0
    assert [n.split("~")[1] for n in live_files()] == [B]


def test_a_row_of_its_own_under_line_rows(config_dir, tmp_path):
    Path(os.environ["COSTLINE_CONFIG"]).write_text(
        '[pricing]\noffline = true\n\n[line]\nrows = [["model"], ["agents", "tools"]]\n'
    )
    build_sessions(config_dir)
    refresh(config_dir, A)
    proc = run_costline(payload(transcript(config_dir, A), session=A), env=WIDE)
    main, explore = sum(MAIN), sum(EXPLORE)
    read_pct = 100 * READ_COST / (main + explore)
    assert proc.stdout.decode().splitlines() == [
        "Opus 4.8",
        f"main {usd(main)} · Explore {usd(explore)} · Read ~{read_pct:.0f}%",
    ]
