"""Payloads and helpers shared by the segments' tests (tests/segments/)."""

from __future__ import annotations

import os
import time

from statusline.context import Context

OLD = {
    "session_id": "x",
    "model": {"id": "claude-opus-4-1", "display_name": "Opus"},
    "version": "1.0.80",
    "cost": {
        "total_cost_usd": 0.01234,
        "total_duration_ms": 45000,
        "total_api_duration_ms": 2300,
        "total_lines_added": 156,
        "total_lines_removed": 23,
    },
}


START = {
    "session_id": "x",
    "model": {"id": "claude-opus-4-8[1m]", "display_name": "Opus 4.8 (1M context)"},
    "cost": {"total_cost_usd": 0, "total_duration_ms": 320, "total_api_duration_ms": 0},
    "context_window": {
        "total_input_tokens": 0,
        "context_window_size": 1000000,
        "current_usage": None,
        "used_percentage": None,
        "remaining_percentage": None,
    },
}


CUMULATIVE = {
    "session_id": "x",
    "version": "2.1.100",  # before 2.1.132 totals were cumulative
    "context_window": {
        "total_input_tokens": 900000,
        "context_window_size": 200000,
        "current_usage": {
            "input_tokens": 100,
            "cache_creation_input_tokens": 900,
            "cache_read_input_tokens": 49000,
        },
    },
}


SUBSCRIBER = {
    "session_id": "x",
    "rate_limits": {
        "five_hour": {"used_percentage": 23.5, "resets_at": 1},
        "seven_day": {"used_percentage": 91.2, "resets_at": 2},
    },
    "vim": {"mode": "NORMAL"},
    "agent": {"name": "reviewer"},
    "output_style": {"name": "Explanatory"},
}


def ctx(payload: dict) -> Context:
    return Context(payload, time.time(), os.environ, os.environ["COSTLINE_CACHE_DIR"])


def text(spans) -> str | None:
    return None if spans is None else "".join(t for t, _ in spans)


def with_config(tmp_path, monkeypatch, text_: str) -> None:
    settings = tmp_path / "seg.toml"
    settings.write_text(text_ + "\n[pricing]\noffline = true\n")
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))


def indexed(c: Context) -> Context:
    c.refresh_index()
    return c


# -- what the next turn and a cold cache cost (Opus 4.8: read $0.50, 5m write $6.25, 1h $10 /MTok)
OPUS = {"id": "claude-opus-4-8", "display_name": "Opus 4.8"}


# -- pace to the limit: samples across renders (statusline/pace.py) ---------------------------
def limits_at(now: float, five: object, seven: object, resets5: object, resets7: object) -> Context:
    body = {
        "rate_limits": {
            "five_hour": {"used_percentage": five, "resets_at": resets5},
            "seven_day": {"used_percentage": seven, "resets_at": resets7},
        }
    }
    c = Context(body, now, os.environ, os.environ["COSTLINE_CACHE_DIR"])
    os.makedirs(os.environ["COSTLINE_CACHE_DIR"], exist_ok=True)
    c.track_limits()
    return c


# -- one verdict on the cache for `cache` and `next`; the tier from the whole prompt -------------
HAIKU_55 = {
    "id": "claude-haiku-5-5"
}  # ≤100K: 5m write $0.125, 1h $0.20, read $0.01; >100K: $0.625, $1, $0.05
