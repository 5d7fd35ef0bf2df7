"""Segments of the prompt (statusline/segments/prompt.py): the prompt cache and the next turn."""

from __future__ import annotations

import os
import time

import pytest
from segment_helpers import (
    HAIKU_55,
    OPUS,
    ctx,
    text,
    with_config,
)

from statusline.context import Context
from statusline.segments import prompt


def test_prompt_cache_countdown():
    now = time.time()
    assert text(prompt.cache(ctx({"prompt_cache": {"warm": True, "expires_at": now + 200}}))).startswith(
        "cache 3:"
    )
    assert text(prompt.cache(ctx({"prompt_cache": {"warm": False}}))) == "cache cold"
    assert prompt.cache(ctx({})) is None


def test_prompt_cache_from_the_transcript_when_the_payload_has_none(config_dir):
    from helpers import assistant, write_transcript

    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 60))
    one_hour = {
        "cache_creation_input_tokens": 100,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 100},
    }
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(ts=stamp, usage=one_hour)])
    shown = text(prompt.cache(ctx({"transcript_path": str(path)})))
    assert shown.startswith("cache 58:") or shown.startswith("cache 59:")
    path = write_transcript(config_dir, "p", "s2.jsonl", [assistant(ts=stamp)])
    assert text(prompt.cache(ctx({"transcript_path": str(path)}))).startswith("cache 3:")


def test_next_turn_reads_the_context_while_the_cache_is_warm():
    body = {"model": OPUS, "context_window": {"total_input_tokens": 160_000}, "prompt_cache": {"warm": True}}
    assert prompt.next_turn(ctx(body)) == [("next ≥ $0.08", "muted")]  # 160K × $0.50/MTok


def test_next_turn_writes_it_again_when_cold(tmp_path, monkeypatch):
    cold = {"warm": False, "ttl": "5m", "caching_observed": True}
    body = {
        "model": OPUS,
        "context_window": {"total_input_tokens": 160_000, "used_percentage": 60},
        "prompt_cache": cold,
    }
    assert prompt.next_turn(ctx(body)) == [("next ≥ $1.00", "cost.warn")]  # 160K × $6.25/MTok
    body["prompt_cache"] = {**cold, "ttl": "1h"}
    assert text(prompt.next_turn(ctx(body))) == "next ≥ $1.60"  # 160K × $10/MTok
    with_config(tmp_path, monkeypatch, "[line]\ncompact_hint = true\n[budget]\nnext_turn_usd = 2.0")
    assert prompt.next_turn(ctx(body)) == [("next ≥ $1.60", "muted")]  # under the user's threshold
    with_config(tmp_path, monkeypatch, "[line]\ncompact_hint = true")
    assert text(prompt.next_turn(ctx(body))) == "next ≥ $1.60 /compact?"


def test_next_turn_in_fast_mode_and_unknown_models():
    body = {"model": OPUS, "fast_mode": True, "context_window": {"total_input_tokens": 160_000}}
    body["prompt_cache"] = {"warm": True}
    assert text(prompt.next_turn(ctx(body))) == "next ≥ $0.16"  # fast mode ×2 on Opus 4.8
    assert (
        prompt.next_turn(ctx({"model": {"id": "claude-nova-1"}, "context_window": {"total_input_tokens": 9}}))
        is None
    )
    assert prompt.next_turn(ctx({"model": OPUS})) is None


def test_cache_says_what_going_cold_costs_and_why_it_went_cold():
    now = time.time()
    warm = {
        "warm": True,
        "caching_observed": True,
        "ttl": "5m",
        "expires_at": now + 190,
        "recache_tokens_if_cold": 40_000,
    }
    assert text(prompt.cache(ctx({"model": OPUS, "prompt_cache": warm}))) == "cache 3:09 · $0.23 if cold"
    cold = {"warm": False, "caching_observed": True, "last_miss_cause": {"causes": ["tools_changed"]}}
    assert text(prompt.cache(ctx({"model": OPUS, "prompt_cache": cold}))) == "cache cold: tools changed"
    weird = {"warm": False, "caching_observed": True, "last_miss_cause": {"causes": ["\x1b]8;;x\x07"]}}
    assert text(prompt.cache(ctx({"model": OPUS, "prompt_cache": weird}))) == "cache cold"
    none = {"warm": False, "caching_observed": False}
    assert prompt.cache(ctx({"model": OPUS, "prompt_cache": none})) is None  # not "cold": no caching


def test_next_turn_counts_a_cache_that_expired_since_as_cold():
    now = 1_795_600_000.0
    cache_state = {"warm": True, "ttl": "1h", "expires_at": now - 5}
    body = {"model": OPUS, "context_window": {"total_input_tokens": 160_000}, "prompt_cache": cache_state}
    at_now = Context(body, now, os.environ, os.environ["COSTLINE_CACHE_DIR"])
    assert text(prompt.next_turn(at_now)) == "next ≥ $1.60"


def warm_for_a_minute(now: float, ttl: str, recache: int) -> dict[str, object]:
    """A warm prompt cache that expires a minute after `now`, `recache` tokens to write if cold."""
    return {
        "warm": True,
        "caching_observed": True,
        "ttl": ttl,
        "expires_at": now + 60,
        "recache_tokens_if_cold": recache,
    }


@pytest.mark.parametrize(
    ("model_id", "ttl", "expected"),
    [
        ("claude-opus-4-8", "1h", "$0.38"),  # 40K × ($10 − $0.50)/MTok
        ("claude-sonnet-4-6", "5m", "$0.14"),  # 40K × ($3.75 − $0.30)/MTok
        ("claude-sonnet-4-6", "1h", "$0.23"),  # 40K × ($6 − $0.30)/MTok
        ("claude-haiku-4-5", "5m", "$0.05"),  # 40K × ($1.25 − $0.10)/MTok
    ],
)
def test_cold_cache_cost_per_ttl_and_model(model_id, ttl, expected):
    now = 1_795_600_000.0
    state = warm_for_a_minute(now, ttl, 40_000)
    c = Context(
        {"model": {"id": model_id}, "prompt_cache": state}, now, os.environ, os.environ["COSTLINE_CACHE_DIR"]
    )
    assert text(prompt.cache(c)) == f"cache 1:00 · {expected} if cold"


@pytest.mark.parametrize(
    ("total", "recache", "ttl", "expected"),
    [
        (180_000, 90_000, "5m", "$0.05"),  # a >100K request: 90K × ($0.625 − $0.05)/MTok = $0.05175
        (180_000, 80_000, "1h", "$0.08"),  # 80K × ($1 − $0.05)/MTok = $0.076
        (90_000, 90_000, "5m", "$0.01"),  # a ≤100K request: 90K × ($0.125 − $0.01)/MTok = $0.01035
    ],
)
def test_cold_cache_cost_takes_the_tier_from_the_whole_request(total, recache, ttl, expected):
    now = 1_795_600_000.0
    state = warm_for_a_minute(now, ttl, recache)
    body = {"model": HAIKU_55, "context_window": {"total_input_tokens": total}, "prompt_cache": state}
    c = Context(body, now, os.environ, os.environ["COSTLINE_CACHE_DIR"])
    assert text(prompt.cache(c)) == f"cache 1:00 · {expected} if cold"


@pytest.mark.parametrize("expires_at", [None, "2026-11-25T10:05:00Z", float("nan")])
def test_warm_without_a_usable_expiry_is_warm_for_cache_and_next(expires_at):
    now = 1_795_600_000.0
    state = {
        "warm": True,
        "caching_observed": True,
        "ttl": "5m",
        "expires_at": expires_at,
        "recache_tokens_if_cold": 40_000,
    }
    body = {"model": OPUS, "context_window": {"total_input_tokens": 160_000}, "prompt_cache": state}
    c = Context(body, now, os.environ, os.environ["COSTLINE_CACHE_DIR"])
    # Claude Code says warm; no countdown without an expiry. 40K × ($6.25 − $0.50)/MTok = $0.23.
    assert prompt.cache(c) == [("cache warm", "ctx.ok"), (" · $0.23 if cold", "muted")]
    assert text(prompt.next_turn(c)) == "next ≥ $0.08"  # 160K read at $0.50/MTok


@pytest.mark.parametrize("tokens", [-120_000, 1e299, float("nan"), float("inf")])
def test_a_token_count_that_is_no_count_is_no_dollar_figure(tokens):
    now = 1_795_600_000.0
    state = {
        "warm": True,
        "caching_observed": True,
        "ttl": "5m",
        "expires_at": now + 60,
        "recache_tokens_if_cold": tokens,
    }
    body = {"model": OPUS, "context_window": {"total_input_tokens": tokens}, "prompt_cache": state}
    c = Context(body, now, os.environ, os.environ["COSTLINE_CACHE_DIR"])
    assert text(prompt.cache(c)) == "cache 1:00 · $? if cold"
    assert prompt.next_turn(c) == [("next $?", "muted")]
