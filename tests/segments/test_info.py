"""Segments of the session (statusline/segments/info.py): model, context used, lines, time, mode, name."""

from __future__ import annotations

import pytest
from segment_helpers import (
    CUMULATIVE,
    OLD,
    OPUS,
    START,
    ctx,
    text,
    with_config,
)

from statusline.segments import info


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (OLD, "Opus"),
        (START, "Opus 4.8"),
        ({"model": {"id": "claude-sonnet-4-5-20250929"}}, "Sonnet 4.5"),
        ({"model": {"id": "claude-opus-4-7@default"}}, "Opus 4.7"),  # was "Opus 4.7.default"
        ({"model": None}, None),
        ({"model": {"display_name": "\x1b[31mEvil\x07"}}, "[31mEvil"),
    ],
)
def test_model(payload, expected):
    assert text(info.model(ctx(payload))) == expected


def test_context_prefers_current_usage_over_old_cumulative_totals():
    assert text(info.context(ctx(CUMULATIVE))) == "ctx 25%"
    assert info.context(ctx(START)) is None
    assert text(info.context(ctx({"context_window": {"used_percentage": 97.6}}))) == "ctx 98% compact soon"
    assert text(info.context(ctx({"context_window": {"used_percentage": 89}}))) == "ctx 89%"


def test_lines_and_time():
    assert text(info.lines(ctx(OLD))) == "+156 −23"
    assert info.lines(ctx(START)) is None
    assert text(info.time_spent(ctx(OLD))) == "45s · api 5%"
    assert info.time_spent(ctx({"cost": {"total_duration_ms": None}})) is None
    assert (
        text(info.time_spent(ctx({"cost": {"total_duration_ms": 7_500_000, "total_api_duration_ms": 0}})))
        == "2h05m · api 0%"
    )


def test_model_aliases(tmp_path, monkeypatch):
    arn = "arn:aws:bedrock:us-east-1:1:x/us.anthropic.claude-opus-4-8-v1:0"
    with_config(tmp_path, monkeypatch, f'[line.model_aliases]\n"{arn}" = "Opus (BR)"')
    body = {"model": {"id": arn}}
    assert text(info.model(ctx(body))) == "Opus (BR)"


@pytest.mark.parametrize("level", ["xhigh", "max"])
def test_new_effort_levels(level, tmp_path, monkeypatch):
    with_config(tmp_path, monkeypatch, "[line]\nmodel_effort = true")
    body = {"model": OPUS, "effort": {"level": level}, "thinking": {"enabled": True}}
    assert text(info.model(ctx(body))) == f"Opus 4.8 {level} ✻"
