"""`report blocks`: one muted line per gap, no empty column, --since/--until in local days."""

from __future__ import annotations

import json

import pytest
from helpers import assistant, run_costline, write_transcript

# Three blocks (all long past: none active), 11 h 30 m then 35 h idle between them (UTC).
TIMES = (
    "2026-11-20T10:00:00.000Z",
    "2026-11-20T10:30:00.000Z",
    "2026-11-20T22:00:00.000Z",
    "2026-11-22T09:00:00.000Z",
)


@pytest.fixture
def three_blocks(config_dir):
    lines = [assistant(msg_id=f"m{i}", request_id=f"r{i}", ts=ts) for i, ts in enumerate(TIMES)]
    write_transcript(config_dir, "-w", "s1.jsonl", lines)
    return config_dir


def blocks_json(*args: str) -> list[dict]:
    proc = run_costline(b"", "report", "blocks", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["blocks"]


def blocks_text(*args: str) -> list[str]:
    proc = run_costline(b"", "report", "blocks", *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().splitlines()


def test_a_gap_is_one_line_with_its_idle_time(three_blocks):
    lines = blocks_text("-z", "UTC")
    assert not any("(gap)" in line for line in lines)
    assert [line for line in lines if "idle" in line] == ["  · 11h 30m idle", "  · 1d 11h idle"]
    starts = [line[:16] for line in lines[2:] if not line.startswith("  ·")]
    assert starts == ["2026-11-20 10:00", "2026-11-20 22:00", "2026-11-22 09:00"]
    assert len(lines) == 2 + 3 + 2  # header, rule, three blocks, two gaps


def test_no_empty_column_when_no_block_is_active(three_blocks):
    lines = blocks_text("-z", "UTC")
    assert lines[0].split()[-2:] == ["Cost", "(USD)"]  # no blank status column after it
    assert all(line == line.rstrip() for line in lines)


def test_since_and_until_pick_blocks_by_their_local_start_day(three_blocks):
    on_20th = blocks_json("--since", "20261120", "--until", "2026-11-20", "-z", "UTC")
    assert [(b["startTime"][:16], b["isGap"]) for b in on_20th] == [
        ("2026-11-20T10:00", False),
        ("2026-11-20T15:30", True),  # the gap between them stays; none after the last
        ("2026-11-20T22:00", False),
    ]
    later = blocks_json("--since", "20261121", "-z", "UTC")
    assert [b["startTime"][:16] for b in later] == ["2026-11-22T09:00"]  # no gap before the first
    # In Tokyo (+9) the 22:00Z block starts on the 21st.
    tokyo = blocks_json("--since", "20261121", "--until", "20261121", "-z", "Asia/Tokyo")
    assert [b["startTime"][:16] for b in tokyo] == ["2026-11-20T22:00"]
    text = blocks_text("--since", "20261121", "-z", "Asia/Tokyo")
    assert [line[:16] for line in text[2:] if not line.startswith("  ·")] == [
        "2026-11-21 07:00",
        "2026-11-22 18:00",
    ]


def test_since_after_until_is_a_one_line_error(three_blocks):
    proc = run_costline(b"", "report", "blocks", "--since", "20261122", "--until", "20261120")
    assert proc.returncode == 2 and proc.stderr.decode().strip().count("\n") == 0


def _official(config_dir, resets: float, seen: float) -> str:
    import os

    from statusline.pace import record

    cache = os.environ["COSTLINE_CACHE_DIR"]
    os.makedirs(cache, exist_ok=True)
    record(cache, seen, {"five_hour": (resets, 62.0)})
    out = "\n".join(blocks_text("-z", "UTC"))
    return out[out.index("Anthropic's own") :].replace("\n", " ")


def test_an_official_reset_on_another_day_has_its_date_and_an_implausible_one_says_so(config_dir):
    """Found (walk stumble 12): `resets 00:00` for a reset in the year 2100 (a sample's made-up
    payload): a time with no day, and no word that no 5-hour window resets 75 years ahead."""
    import time

    now = time.time()
    out = _official(config_dir, 4102444800.0, now - 60)  # 2100-01-01T00:00Z (TZ is UTC)
    assert "62% used, resets Jan 1 00:00" in out, out
    assert "implausible" in out, out
    proc = run_costline(b"", "report", "blocks", "--json")
    assert json.loads(proc.stdout)["officialFiveHour"]["plausible"] is False


def test_a_plausible_official_reset_is_not_marked(config_dir):
    import time

    now = time.time()
    resets = now // 60 * 60 + 3 * 3600  # on the minute: a reset kept to the minute reads the same
    same_day = time.strftime("%Y-%m-%d", time.gmtime(resets)) == time.strftime("%Y-%m-%d", time.gmtime(now))
    when = time.strftime("%H:%M" if same_day else "%a %H:%M", time.gmtime(resets))  # TZ is UTC
    out = _official(config_dir, resets, now - 60)
    assert f"62% used, resets {when} " in out, out
    assert "implausible" not in out, out
    proc = run_costline(b"", "report", "blocks", "--json")
    assert json.loads(proc.stdout)["officialFiveHour"]["plausible"] is True
