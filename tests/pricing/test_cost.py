"""Every pricing rule against hand-computed figures (USD, per the bundled table)."""

from __future__ import annotations

import pytest
from helpers import assistant, write_transcript
from index_helpers import priced

M = 1_000_000


def cost_of(config, *lines):
    write_transcript(config, "p", "s1.jsonl", list(lines))
    return priced()


def test_plain_input_output(config_dir):
    # Opus 4.8: 10 in × $5 + 100 out × $25 per MTok
    assert cost_of(config_dir, assistant()).usd == pytest.approx(10 * 5 / M + 100 * 25 / M)


def test_one_hour_cache_writes_at_twice_input(config_dir):
    # Claude Code's own figure for this usage is $0.02255 (pricing.md §6)
    line = assistant(
        usage={
            "cache_creation_input_tokens": 2000,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 2000},
        }
    )
    assert cost_of(config_dir, line).usd == pytest.approx(0.02255)


def test_unsplit_cache_write_is_five_minute(config_dir):
    # Claude Code 2.1.197 charged $0.0283 for in 1200, out 42, write 3000 (unsplit), read 5000
    line = assistant(
        usage={
            "input_tokens": 1200,
            "output_tokens": 42,
            "cache_creation_input_tokens": 3000,
            "cache_read_input_tokens": 5000,
        }
    )
    assert cost_of(config_dir, line).usd == pytest.approx(0.0283)


def test_split_of_zeros_counts_the_write_as_five_minute(config_dir):
    # The exact shape Claude Code 2.1.197 logs: a split object of zeros beside a non-zero total.
    line = assistant(
        usage={
            "input_tokens": 1200,
            "output_tokens": 42,
            "cache_creation_input_tokens": 3000,
            "cache_read_input_tokens": 5000,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        }
    )
    assert cost_of(config_dir, line).usd == pytest.approx(0.0283)


def test_partial_split_remainder_is_five_minute(config_dir):
    line = assistant(
        usage={
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_creation_input_tokens": 3000,
            "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 1000},
        }
    )
    assert cost_of(config_dir, line).usd == pytest.approx(2000 * 6.25 / M + 1000 * 10 / M)


def test_cache_reads(config_dir):
    line = assistant(
        model="claude-sonnet-4-6",
        usage={"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 1_000_000},
    )
    assert cost_of(config_dir, line).usd == pytest.approx(0.30)


def test_long_context_tier_per_request_before_ga(config_dir):
    # Sonnet 4.5 on 2025-12-01, prompt 250K > 200K: every token at the premium rates.
    line = assistant(
        model="claude-sonnet-4-5-20250929",
        ts="2025-12-01T10:00:00.000Z",
        usage={"input_tokens": 150_000, "output_tokens": 1000, "cache_read_input_tokens": 100_000},
    )
    assert cost_of(config_dir, line).usd == pytest.approx(
        150_000 * 6 / M + 1000 * 22.5 / M + 100_000 * 0.6 / M
    )


def test_long_context_tier_not_applied_at_or_below_threshold(config_dir):
    line = assistant(
        model="claude-sonnet-4-20250514",
        ts="2025-12-01T10:00:00.000Z",
        usage={"input_tokens": 100_000, "output_tokens": 1000, "cache_read_input_tokens": 100_000},
    )
    assert cost_of(config_dir, line).usd == pytest.approx(100_000 * 3 / M + 1000 * 15 / M + 100_000 * 0.3 / M)


def test_long_context_tier_dropped_after_ga(config_dir):
    # Claude Code 2.1.197 charged $0.495 for this request on Sonnet 4.5 (pricing.md §6).
    line = assistant(
        model="claude-sonnet-4-5-20250929",
        ts="2026-11-20T10:00:00.000Z",
        usage={"input_tokens": 150_000, "output_tokens": 1000, "cache_read_input_tokens": 100_000},
    )
    assert cost_of(config_dir, line).usd == pytest.approx(0.495)


def test_long_context_tier_counts_cache_writes_in_the_prompt(config_dir):
    line = assistant(
        model="claude-sonnet-4-5",
        ts="2026-01-10T10:00:00.000Z",
        usage={
            "input_tokens": 1000,
            "output_tokens": 0,
            "cache_creation_input_tokens": 200_000,
            "cache_creation": {"ephemeral_5m_input_tokens": 150_000, "ephemeral_1h_input_tokens": 50_000},
        },
    )
    assert cost_of(config_dir, line).usd == pytest.approx(1000 * 6 / M + 150_000 * 7.5 / M + 50_000 * 12 / M)


def test_haiku_55_tier_above_100k(config_dir):
    line = assistant(
        model="claude-haiku-5-5",
        usage={"input_tokens": 90_000, "output_tokens": 2000, "cache_read_input_tokens": 20_000},
    )
    assert cost_of(config_dir, line).usd == pytest.approx(
        90_000 * 0.5 / M + 2000 * 2.5 / M + 20_000 * 0.05 / M
    )


def test_haiku_55_base_at_100k(config_dir):
    line = assistant(model="claude-haiku-5-5", usage={"input_tokens": 100_000, "output_tokens": 2000})
    assert cost_of(config_dir, line).usd == pytest.approx(100_000 * 0.1 / M + 2000 * 0.5 / M)


@pytest.mark.parametrize(
    ("model", "multiplier"),
    [
        ("claude-opus-4-6", 6),
        ("claude-opus-4-7", 6),
        ("claude-opus-4-8", 2),
        ("claude-opus-5", 2),
        ("claude-opus-5-5", 2),
        ("claude-sonnet-4-6", 1),
    ],
)
def test_fast_mode_multiplier(config_dir, model, multiplier):
    from statusline.pricing import MODELS, resolve

    key, _ = resolve(model, MODELS)
    rates = MODELS[key][-1]
    base = 10 * rates[1] / M + 100 * rates[2] / M
    line = assistant(model=model, usage={"speed": "fast"})
    assert cost_of(config_dir, line).usd == pytest.approx(base * multiplier)


def test_logged_cost_usd_is_honoured(config_dir):
    assert cost_of(config_dir, assistant(costUSD=1.5)).usd == pytest.approx(1.5)


def test_bedrock_regional_profile_costs_ten_percent_more(config_dir):
    line = assistant(model="us.anthropic.claude-opus-4-8-v1:0")
    assert cost_of(config_dir, line).usd == pytest.approx(1.1 * (10 * 5 / M + 100 * 25 / M))


def test_bedrock_global_profile_is_list_price(config_dir):
    line = assistant(model="global.anthropic.claude-opus-4-8-v1:0")
    assert cost_of(config_dir, line).usd == pytest.approx(10 * 5 / M + 100 * 25 / M)


def test_sonnet_55_cache_read_price_changes_on_2026_10_07(config_dir):
    before = assistant(
        msg_id="a",
        request_id="ra",
        model="claude-sonnet-5-5",
        ts="2026-10-06T23:59:59.000Z",
        usage={"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 1_000_000},
    )
    after = assistant(
        msg_id="b",
        request_id="rb",
        model="claude-sonnet-5-5",
        ts="2026-10-07T00:00:00.000Z",
        usage={"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 1_000_000},
    )
    assert cost_of(config_dir, before, after).usd == pytest.approx(0.20 + 0.10)


def test_unknown_model_is_flagged_not_zero(config_dir):
    result = cost_of(config_dir, assistant(model="claude-zeta-9"), assistant(msg_id="m2", request_id="r2"))
    assert result.unknown == {"claude-zeta-9"}
    assert result.usd == pytest.approx(10 * 5 / M + 100 * 25 / M)


@pytest.mark.parametrize(
    "model",
    [
        "claude-opus-4-8[1m]",
        "claude-opus-4.8",
        "anthropic/claude-opus-4-8",
        "vertex_ai/claude-opus-4-8@20260101",
        "claude-opus-4-8-20260101",
    ],
)
def test_id_variants_price_like_the_base_model(config_dir, model):
    assert cost_of(config_dir, assistant(model=model)).usd == pytest.approx(10 * 5 / M + 100 * 25 / M)


def test_us_only_inference_costs_ten_percent_more(config_dir):
    line = assistant(usage={"inference_geo": "us"})
    assert cost_of(config_dir, line).usd == pytest.approx(1.1 * (10 * 5 / M + 100 * 25 / M))


def test_non_finite_logged_cost_is_not_counted(config_dir):
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [
            '{"type":"assistant","costUSD":NaN,"timestamp":"2026-11-20T10:00:00.000Z",'
            '"message":{"id":"x","model":"claude-opus-4-8","usage":{"input_tokens":1,'
            '"output_tokens":1}}}',
            assistant(),
        ],
    )
    result = priced()
    assert result.usd == pytest.approx(10 * 5 / M + 100 * 25 / M)
