"""`costline preview` shows a payload and records nothing of it: no limit samples, no unlogged
spend, no session state, no index of the transcript it names, no git memo."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from helpers import assistant, payload, run_costline, user, write_transcript


def _snapshot(cache: Path) -> dict[str, bytes]:
    """Every file of the cache dir that a payload could have put there, with its bytes."""
    out = {}
    for folder, _dirs, files in os.walk(cache):
        for name in files:
            rel = os.path.relpath(os.path.join(folder, name), cache)
            # (index/v2/today is today's total kept from the index itself, whoever asks.)
            if rel.startswith(("limits.samples", "unlogged", "git", "index")) and rel != "index/v2/today":
                out[rel] = (cache / rel).read_bytes()
    return out


def test_preview_records_nothing_of_the_payload(tmp_path, config_dir):
    cache = Path(os.environ["COSTLINE_CACHE_DIR"])
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 60))
    # A transcript outside the config dirs: only a render that reads the payload would index it.
    elsewhere = tmp_path / "elsewhere"
    transcript = write_transcript(
        elsewhere,
        "-w",
        "s-preview.jsonl",
        [user(ts=stamp, session="s-preview"), assistant(ts=stamp, session="s-preview")],
    )
    run_costline(b"", "index", "refresh")  # the user's own index, as it was before the previews
    before = _snapshot(cache)
    limits = {"five_hour": {"used_percentage": 62, "resets_at": int(now) + 3600}}
    for cost in (1.0, 3.0):  # growth a render would record as unlogged spend
        body = payload(transcript, session="s-preview", cost={"total_cost_usd": cost}, rate_limits=limits)
        (tmp_path / "p.json").write_bytes(body)
        proc = run_costline(
            b"", "preview", "--theme", "plain", str(tmp_path / "p.json"), env={"NO_COLOR": "1"}
        )
        assert proc.returncode == 0 and f"${cost:.2f} session" in proc.stdout.decode()
        assert "5h 62%" in proc.stdout.decode()
        each = run_costline(b"", "preview", "--each", str(tmp_path / "p.json"), env={"NO_COLOR": "1"})
        assert each.returncode == 0
    assert not (cache / "limits.samples").exists()
    assert not (cache / "unlogged").exists()
    assert _snapshot(cache) == before
    blocks = json.loads(run_costline(b"", "report", "blocks", "--json").stdout)
    assert "officialFiveHour" not in blocks
    daily = json.loads(run_costline(b"", "report", "daily", "--json").stdout)
    assert daily["totals"].get("unloggedCost", 0) == 0
    assert daily["totals"]["totalCost"] == 0  # the transcript it named was not indexed


def test_a_render_records_what_preview_does_not(tmp_path, config_dir):
    """The same payload through the status line itself: the samples and the block are kept."""
    cache = Path(os.environ["COSTLINE_CACHE_DIR"])
    limits = {"five_hour": {"used_percentage": 62, "resets_at": int(time.time()) + 3600}}
    assert run_costline(payload(None, rate_limits=limits)).returncode == 0
    assert (cache / "limits.samples").exists()
    blocks = json.loads(run_costline(b"", "report", "blocks", "--json").stdout)
    assert blocks["officialFiveHour"]["usedPercentage"] == 62


def test_preview_keeps_no_git_memo(tmp_path, config_dir):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    config = Path(os.environ["COSTLINE_CONFIG"])
    config.write_text(config.read_text() + "[line]\ngit_dirty = true\n")
    (tmp_path / "p.json").write_bytes(payload(None, cwd=str(repo), workspace={"current_dir": str(repo)}))
    assert run_costline(b"", "preview", str(tmp_path / "p.json")).returncode == 0
    assert not (Path(os.environ["COSTLINE_CACHE_DIR"]) / "git").exists()
    run_costline((tmp_path / "p.json").read_bytes())  # a render keeps it
    assert (Path(os.environ["COSTLINE_CACHE_DIR"]) / "git").is_dir()


def test_preview_says_once_what_the_ellipsis_and_api_eq_mean(config_dir):
    """First run: `$0.00… today` and `API-eq` are explained, each once, after the rows."""
    sample = Path(__file__).resolve().parents[2] / "samples" / "payload-subscription.json"
    for args in (["--each"], ["--theme", "plain"], []):
        out = run_costline(b"", "preview", *args, str(sample), env={"NO_COLOR": "1"}).stdout.decode()
        notes = [line for line in out.splitlines() if line.startswith("note: ")]
        assert "API-eq" in out and ("$0.00… today" in out or "$0.00... today" in out)
        assert len(notes) == 3, out
        assert notes[0].startswith("note: a figure ending in … is still being computed")
        assert "a preview starts nothing" in notes[0]  # found: it said "indexed in the background"
        assert notes[1].startswith("note: API-eq: Pro/Max usage at API prices")
        assert notes[2].startswith("note: session is the payload's own figure, today your own logs'")
    # Nothing to explain, nothing said: an indexed history, an API user, no today segment.
    run_costline(b"", "index", "refresh")
    (config_dir.parent / "p.json").write_bytes(payload(None, cost={"total_cost_usd": 1.0}))
    out = run_costline(b"", "preview", "--theme", "plain", str(config_dir.parent / "p.json")).stdout.decode()
    assert [line for line in out.splitlines() if line.startswith("note: ")] == [
        "note: session is the payload's own figure, today your own logs' (a preview adds nothing"
        " of the payload to it)"
    ]


def test_preview_each_shows_an_example_for_this_sessions_split_and_when_it_shows(config_dir):
    """No live split for the session yet: `agents` and `tools` showed `(none here)` as if the
    session had none; now an example, marked so, and when the session's own figure appears. With
    no [commands.NAME], `cmd:NAME` is shown too, so a first look finds it."""
    sample = Path(__file__).resolve().parents[2] / "samples" / "payload-2.1.332.json"
    out = run_costline(b"", "preview", "--each", str(sample), env={"NO_COLOR": "1", "COLUMNS": "80"})
    lines = out.stdout.decode().splitlines()
    at = {
        line.split()[0]: i
        for i, line in enumerate(lines)
        if line[:12].strip() and not line.startswith("note")
    }
    for name, example in (
        ("agents", "main $1.20 · Explore $0.40 · +2 $0.05"),
        ("tools", "Read ~38% · Bash ~21%"),
    ):
        assert lines[at[name]].strip().split("  ", 1)[1] == f"example: {example}"
        assert lines[at[name] + 1].strip() == "this session's figure: after the next background refresh"
    assert lines[at["cmd:NAME"]].strip() == "cmd:NAME  example: prod-cluster"
    assert (
        lines[at["cmd:NAME"] + 1].strip()
        == "your own command: a [commands.NAME] table (costline config init)"
    )
    assert all(len(line) <= 80 for line in lines)
