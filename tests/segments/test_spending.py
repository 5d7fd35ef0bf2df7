"""Segments of what was spent (statusline/segments/spending.py): session, today, week, month."""

from __future__ import annotations

import os
import time

import pytest
from segment_helpers import (
    OLD,
    ctx,
    indexed,
    text,
    with_config,
)

from statusline.context import Context
from statusline.segments import limits, spending


def test_session_from_payload_and_missing():
    assert text(spending.session(ctx(OLD))) == "$0.01 session"
    assert spending.session(ctx({"cost": None})) is None


def test_session_source_both_and_computed(config_dir, tmp_path, monkeypatch):
    from helpers import assistant, write_transcript
    from index_helpers import refresh

    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    refresh()
    body = {"session_id": "s1", "transcript_path": str(path), "cost": {"total_cost_usd": 0.25}}
    with_config(tmp_path, monkeypatch, '[line]\nsession_source = "both"')
    assert text(spending.session(indexed(ctx(body)))) == "$0.25 cc / $0.00 calc session"
    with_config(tmp_path, monkeypatch, '[line]\nsession_source = "computed"')
    assert text(spending.session(indexed(ctx(body)))) == "$0.00 session"
    # Before the render has looked at its transcript, a computed figure is not known complete.
    assert text(spending.session(ctx(body))) == "$0.00… session"


def test_month_to_date_and_throughput(config_dir, tmp_path, monkeypatch):
    from helpers import assistant, write_transcript
    from index_helpers import refresh

    now = time.time()
    stamp = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))  # noqa: E731
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [
            assistant(
                msg_id="a",
                request_id="ra",
                ts=stamp(now - 600),
                usage={"input_tokens": 60_000, "output_tokens": 0},
            ),
        ],
    )
    refresh()
    with_config(tmp_path, monkeypatch, "[budget]\nmonthly_usd = 0.01\nteam_size = 3")
    shown = spending.month(ctx({}))
    assert text(shown).startswith("$0.30 mtd → $") and shown[0][1] == "cost.alert"
    tpm = text(limits.throughput(ctx({})))
    assert tpm.endswith("%)") and "k tpm" in tpm  # 60K tokens over ~10 minutes vs 300K/min
    from statusline.config import tpm_for_team

    assert [tpm_for_team(n) for n in (3, 10, 30, 80, 300, 1000)] == [
        300_000,
        150_000,
        75_000,
        35_000,
        20_000,
        15_000,
    ]


@pytest.mark.parametrize(
    ("start", "expected", "style"),
    [("monday", "$0.30 wtd → $0.84", "cost.warn"), ("sunday", "$0.60 wtd → $1.20", "cost.alert")],
)
def test_week_to_date_and_projection(config_dir, tmp_path, monkeypatch, start, expected, style):
    from helpers import assistant, write_transcript
    from index_helpers import refresh

    big = {"input_tokens": 60_000, "output_tokens": 0}  # Opus 4.8: $0.30
    lines = [
        assistant(msg_id="sun", request_id="r1", ts="2026-11-22T10:00:00.000Z", usage=big),
        assistant(msg_id="mon", request_id="r2", ts="2026-11-23T10:00:00.000Z", usage=big),
    ]
    write_transcript(config_dir, "p", "s1.jsonl", lines)
    refresh()
    with_config(tmp_path, monkeypatch, f'[budget]\nweekly_usd = 1.0\n[line]\nstart_of_week = "{start}"')
    wednesday_noon = 1795608000.0  # 2026-11-25T12:00Z: 2.5 days into a Monday week, 3.5 into a Sunday one
    shown = spending.week(Context({}, wednesday_noon, os.environ, os.environ["COSTLINE_CACHE_DIR"]))
    assert shown == [(expected, style)]
