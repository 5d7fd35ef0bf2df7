"""The segments registry and the loop that runs them: names, icons, priorities, preview."""

from __future__ import annotations

import json

from segment_helpers import (
    ctx,
    text,
    with_config,
)

from statusline import segments
from statusline.segments import info


def test_registry_and_config_names_agree():
    from statusline.config import SEGMENT_NAMES

    assert set(SEGMENT_NAMES) == set(segments.SEGMENTS)
    assert set(segments.DEFAULT_LINE) <= set(segments.SEGMENTS)
    assert json.dumps(list(segments.DEFAULT_LINE))
    # The registry names each segment's module and function: each is there, in its job module.
    import importlib

    for name, (module, function, _priority) in segments.SEGMENTS.items():
        render = getattr(importlib.import_module(f"statusline.segments.{module}"), function)
        assert callable(render) and render.__module__ == f"statusline.segments.{module}", name
        assert segments.renderer(name)[0] is render


def test_icons_and_effort(tmp_path, monkeypatch):
    body = {
        "model": {"display_name": "Opus 4.8"},
        "effort": {"level": "high"},
        "thinking": {"enabled": True},
        "cost": {"total_cost_usd": 0.5},
    }
    assert text(info.model(ctx(body))) == "Opus 4.8"  # effort is opt-in
    with_config(tmp_path, monkeypatch, '[line]\nicons = "unicode"\nmodel_effort = true')
    shown = {name: text(spans) for spans, _, name in segments.run_segments(ctx(body))}
    assert shown["model"] == "◆ Opus 4.8 high ✻" and shown["session"] == "$ $0.50 session"


def test_a_gateway_spend_limit_is_a_bill_not_api_equivalent():
    # Found: any `rate_limits` switched the line to the subscriber's `API-eq` labels.
    gateway = {"rate_limits": {"spend_limit": {"used_percentage": 42, "period": "weekly"}}}
    assert not ctx(gateway).is_subscription
    subscriber = {"rate_limits": {"seven_day": {"used_percentage": 41, "resets_at": 1}}}
    assert ctx(subscriber).is_subscription
    both = {"rate_limits": {**gateway["rate_limits"], **subscriber["rate_limits"]}}
    assert ctx(both).is_subscription


def test_spend_is_on_the_default_line_when_the_payload_has_it(config_dir):
    from helpers import run_costline

    body = {"model": {"id": "claude-opus-4-8"}, "cost": {"total_cost_usd": 1.5}}
    body["rate_limits"] = {
        "spend_limit": {"used_percentage": 42, "used_usd": 42, "limit_usd": 100, "period": "weekly"}
    }
    line = run_costline(json.dumps(body).encode(), env={"NO_COLOR": "1"}).stdout.decode()
    assert "spend $42/$100 wk" in line and "API-eq" not in line and "$1.50 session" in line


def test_preview_each_shows_every_segment(config_dir):
    from pathlib import Path

    from helpers import run_costline

    sample = Path(__file__).resolve().parents[2] / "samples" / "payload-2.1.332.json"
    out = run_costline(b"", "preview", "--each", str(sample), env={"NO_COLOR": "1"}).stdout.decode()
    named = [line for line in out.splitlines() if line[:12].strip() and not line.startswith("note: ")]
    lines = [line.strip() for line in out.splitlines()]
    rows = dict(line.strip().split("  ", 1) for line in named)
    assert set(rows) == {*segments.SEGMENTS, "cmd:NAME"}
    assert "settings: line.model_aliases, line.model_effort" in lines  # under the model's row
    assert rows["throughput"] == "(none here) e.g. 12.3k tpm (41%)"  # not in this payload: an example
    assert rows["spend"] == "spend $42/$100 wk" and rows["pr"] == "PR #123 ✓" and rows["repo"] == "acme/app"
    assert rows["model"] == "Opus 4.8"
