"""Segments of what is allowed (statusline/segments/limits.py): windows and pace, spend, block, throughput."""

from __future__ import annotations

import os
import time

import pytest
from segment_helpers import (
    OLD,
    OPUS,
    SUBSCRIBER,
    ctx,
    limits_at,
    text,
)

from statusline.context import Context
from statusline.segments import info, limits, prompt


def test_limits_and_mode_for_subscribers():
    now = time.time()
    fresh = {"five_hour": {"used_percentage": 23.5, "resets_at": 4102444800}}  # (too far: no time)
    fresh["seven_day"] = {"used_percentage": 91.2, "resets_at": now + 86400}
    spans = limits.limits(ctx({"rate_limits": fresh}))
    assert text(spans) == "5h 24% · 7d 91%" and spans[-1][1] == "ctx.alert"
    # SUBSCRIBER's windows reset in 1970: readings from before a reset say nothing of now.
    assert limits.limits(ctx(SUBSCRIBER)) == [("5h ?%", "muted"), (" · ", "muted"), ("7d ?%", "muted")]
    assert limits.limits(ctx(OLD)) is None
    assert text(info.mode(ctx(SUBSCRIBER))) == "NORMAL reviewer Explanatory"
    assert info.mode(ctx({"output_style": {"name": "default"}})) is None


def test_block_official_and_inferred(config_dir):
    from helpers import assistant, write_transcript
    from index_helpers import refresh

    now = time.time()
    sub = {"rate_limits": {"five_hour": {"used_percentage": 62.4, "resets_at": now + 2 * 3600 + 30}}}
    assert text(limits.block(ctx(sub))) == "5h 62% 2h left"
    stamp = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))  # noqa: E731
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [
            assistant(msg_id="a", request_id="ra", ts=stamp(now - 3600), usage={"output_tokens": 40_000}),
            assistant(msg_id="b", request_id="rb", ts=stamp(now - 600), usage={"output_tokens": 40_000}),
        ],
    )
    refresh()
    shown = text(limits.block(ctx({})))
    assert shown.startswith("$2.00 block ") and "left · $" in shown and "/h → $" in shown


@pytest.mark.parametrize(
    ("limit", "expected", "style"),
    [
        (
            {"used_percentage": 42, "used_usd": 42.0, "limit_usd": 100.0, "period": "weekly"},
            "spend $42/$100 wk",
            "cost.ok",
        ),
        ({"used_percentage": 42.4, "period": "monthly"}, "spend 42% mo", "cost.ok"),
        ({"used_percentage": 85, "period": "daily"}, "spend 85% day", "cost.warn"),
        ({"used_percentage": 112, "used_usd": 112, "limit_usd": 100}, "spend $112/$100", "cost.alert"),
        ({"used_usd": 100, "limit_usd": 100, "period": "weekly"}, "spend $100/$100 wk", "cost.alert"),
        ({"period": "weekly"}, None, None),
        ({"used_percentage": "lots", "period": "\x1b[31mweekly"}, None, None),
    ],
)
def test_gateway_spend_limit(limit, expected, style):
    spans = limits.spend(ctx({"rate_limits": {"spend_limit": limit}}))
    assert text(spans) == expected
    if spans:
        assert spans[0][1] == style


def test_pace_says_when_the_window_fills_before_it_resets(monkeypatch):
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    t0 = 1_795_600_800.0  # 2026-11-25T10:00Z
    resets5, resets7 = t0 + 4 * 3600, t0 + 5 * 86400
    limits_at(t0, 50.0, 40.0, resets5, resets7)
    c = limits_at(t0 + 600, 60.0, 40.0, resets5, resets7)  # +10 points in 10 minutes
    # 40 points left at 1 point a minute: full at 10:50, long before the 14:00 reset
    assert limits.limits(c) == [("5h 60% → full 10:50", "ctx.warn"), (" · ", "muted"), ("7d 40%", "ctx.ok")]


def test_pace_shows_the_reset_when_the_window_will_not_fill(monkeypatch):
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    t0 = 1_795_600_800.0
    resets5 = t0 + 3600  # 11:00
    limits_at(t0, 10.0, 5.0, resets5, t0 + 86400)
    c = limits_at(t0 + 600, 11.0, 5.0, resets5, t0 + 86400)  # 0.1 point a minute
    assert text(limits.limits(c)) == "5h 11% ↻11:00 · 7d 5%"


def test_a_reset_window_starts_a_new_series_and_one_sample_is_no_pace(monkeypatch):
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    t0 = 1_795_600_800.0
    limits_at(t0, 80.0, 5.0, t0 + 600, t0 + 86400)
    c = limits_at(t0 + 900, 2.0, 5.0, t0 + 900 + 5 * 3600, t0 + 86400)  # the 5h window reset
    assert text(limits.limits(c)) == "5h 2% ↻15:15 · 7d 5%"
    again = limits_at(t0 + 900, 2.0, 5.0, t0 + 900 + 5 * 3600, t0 + 86400)  # nothing moved: no write
    assert again.limit_samples == c.limit_samples


def test_samples_are_private_and_bounded(monkeypatch):
    from statusline import pace

    cache = os.environ["COSTLINE_CACHE_DIR"]
    t0 = 1_795_600_800.0
    for i in range(3000):
        limits_at(t0 + i * 10, i % 100, 5.0, t0 + 5 * 3600, t0 + 86400)
    path = os.path.join(cache, "limits.samples")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.path.getsize(path) <= 2 * pace.MAX_BYTES


def test_pace_in_a_non_utc_zone_and_odd_fields(monkeypatch):
    monkeypatch.setenv("TZ", "<+0545>-5:45")  # Kathmandu's offset
    time.tzset()
    t0 = 1_795_600_800.0  # 10:00Z = 15:45 local
    resets5 = t0 + 4 * 3600
    limits_at(t0, 50.0, 40.0, resets5, t0 + 86400)
    c = limits_at(t0 + 600, 60.0, 40.0, resets5, t0 + 86400)
    assert text(limits.limits(c)).startswith("5h 60% → full 16:35")  # 10:50Z
    over = limits_at(t0 + 900, 104.0, 40.0, resets5, t0 + 86400)  # past 100: full, no ETA
    assert text(limits.limits(over)).startswith("5h 104% ↻19:45")
    odd = Context(
        {"rate_limits": {"five_hour": {"used_percentage": "62", "resets_at": None}, "seven_day": None}},
        t0,
        os.environ,
        os.environ["COSTLINE_CACHE_DIR"],
    )
    odd.track_limits()
    assert limits.limits(odd) is None
    # resets_at in the past: the window reset since this reading, what is used now is unknown.
    # (Found: `5h 30%` was shown from a window that had already reset.)
    past = limits_at(t0, 30.0, 10.0, t0 - 60, t0 - 60)
    assert text(limits.limits(past)) == "5h ?% · 7d ?%"
    assert text(limits.block(past)) == "5h ?%"
    assert text(limits.limits(limits_at(t0, 30.0, 10.0, t0, t0 + 60))) == "5h ?% · 7d 10%"  # at the reset


def test_implausible_times_are_not_shown():
    now = 1_795_600_000.0
    far = now + 400 * 86400
    body = {
        "model": OPUS,
        "rate_limits": {"five_hour": {"used_percentage": 62, "resets_at": far}},
        "prompt_cache": {"warm": True, "caching_observed": True, "expires_at": far},
    }
    c = Context(body, now, os.environ, os.environ["COSTLINE_CACHE_DIR"])
    assert text(limits.limits(c)) == "5h 62%"
    assert text(limits.block(c)) == "5h 62%"
    assert text(prompt.cache(c)) == "cache warm"


# -- spend: the colour of the figure printed; cents where whole dollars would mislead -------------
@pytest.mark.parametrize(
    ("limit", "expected", "style"),
    [
        ({"used_percentage": 79.4}, "spend 79%", "cost.ok"),
        ({"used_percentage": 79.9}, "spend 80%", "cost.warn"),  # printed 80 %: yellow from 80 %
        ({"used_percentage": 99.4}, "spend 99%", "cost.warn"),
        ({"used_percentage": 99.99}, "spend 100%", "cost.alert"),  # printed 100 %: red at 100 %
        ({"used_usd": 0.40, "limit_usd": 0.60}, "spend $0.40/$0.60", "cost.ok"),
        ({"used_usd": 42, "limit_usd": 100}, "spend $42/$100", "cost.ok"),  # whole dollars stay whole
        ({"used_usd": 42.5, "limit_usd": 100}, "spend $42.50/$100", "cost.ok"),
        ({"used_usd": 79.994, "limit_usd": 100}, "spend $79.99/$100", "cost.ok"),
        ({"used_usd": 79.996, "limit_usd": 100}, "spend $80/$100", "cost.warn"),  # printed $80 of $100
        ({"used_usd": 99.996, "limit_usd": 100, "used_percentage": 99.996}, "spend $100/$100", "cost.alert"),
        ({"used_usd": 999.994, "limit_usd": 2000}, "spend $999.99/$2,000", "cost.ok"),
        ({"used_usd": 999.996, "limit_usd": 2000}, "spend $1,000/$2,000", "cost.ok"),  # whole from $1,000
        ({"used_usd": 1234.56, "limit_usd": 5000}, "spend $1,235/$5,000", "cost.ok"),
        ({"used_usd": 0.004, "limit_usd": 0.60}, "spend $0/$0.60", "cost.ok"),
        ({"used_usd": -5, "limit_usd": 100, "used_percentage": 42}, "spend 42%", "cost.ok"),  # no meter
    ],
)
def test_spend_colours_the_figure_it_prints(limit, expected, style):
    assert limits.spend(ctx({"rate_limits": {"spend_limit": limit}})) == [(expected, style)]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        ({"used_percentage": -10}, "spend ?%"),
        ({"used_percentage": 1e299}, "spend ?%"),
        ({"used_percentage": float("nan")}, "spend ?%"),
        ({"used_usd": 1e299, "limit_usd": 100}, "spend ?%"),
        ({"used_usd": 5, "limit_usd": 0}, "spend ?%"),
    ],
)
def test_spend_that_is_no_reading_is_unknown(limit, expected):
    assert limits.spend(ctx({"rate_limits": {"spend_limit": limit}})) == [(expected, "muted")]
