"""Segments, one by one, with payloads from several Claude Code versions (missing, null, odd)."""

from __future__ import annotations

import json
import os
import time

import pytest

from statusline import segments
from statusline.context import Context
from statusline.segments import info, limits, place, prompt, spending

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


def test_session_from_payload_and_missing():
    assert text(spending.session(ctx(OLD))) == "$0.01 session"
    assert spending.session(ctx({"cost": None})) is None


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


def with_config(tmp_path, monkeypatch, text_: str) -> None:
    settings = tmp_path / "seg.toml"
    settings.write_text(text_ + "\n[pricing]\noffline = true\n")
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))


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


def indexed(c: Context) -> Context:
    c.refresh_index()
    return c


def test_directory_styles(tmp_path, monkeypatch):
    body = {"workspace": {"current_dir": f"{os.environ['HOME']}/src/costline/app"}}
    assert text(place.directory(ctx(body))) == "app"
    with_config(tmp_path, monkeypatch, '[line]\ndir_style = "fish"')
    assert text(place.directory(ctx(body))) == "~/s/c/app"
    with_config(tmp_path, monkeypatch, '[line]\ndir_style = "full"')
    assert text(place.directory(ctx(body))) == "~/src/costline/app"


def test_model_aliases(tmp_path, monkeypatch):
    arn = "arn:aws:bedrock:us-east-1:1:x/us.anthropic.claude-opus-4-8-v1:0"
    with_config(tmp_path, monkeypatch, f'[line.model_aliases]\n"{arn}" = "Opus (BR)"')
    body = {"model": {"id": arn}}
    assert text(info.model(ctx(body))) == "Opus (BR)"


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


def test_prompt_cache_countdown():
    now = time.time()
    assert text(prompt.cache(ctx({"prompt_cache": {"warm": True, "expires_at": now + 200}}))).startswith(
        "cache 3:"
    )
    assert text(prompt.cache(ctx({"prompt_cache": {"warm": False}}))) == "cache cold"
    assert prompt.cache(ctx({})) is None


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


@pytest.mark.skipif(not __import__("shutil").which("git"), reason="needs git")
def test_git_dirty_marker_is_opt_in(tmp_path, monkeypatch):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    run = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)  # noqa: E731
    run("init", "-q", "-b", "main")
    (repo / "f.txt").write_text("one\n")
    run("add", "f.txt")
    run("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "init")
    body = {"workspace": {"current_dir": str(repo)}}
    assert text(place.git(ctx(body))) == "main"
    (repo / "f.txt").write_text("two\n")
    assert text(place.git(ctx(body))) == "main"  # no git process unless asked
    with_config(tmp_path, monkeypatch, "[line]\ngit_dirty = true")
    assert text(place.git(ctx(body))) == "main*"


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


# -- what the next turn and a cold cache cost (Opus 4.8: read $0.50, 5m write $6.25, 1h $10 /MTok)
OPUS = {"id": "claude-opus-4-8", "display_name": "Opus 4.8"}


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


@pytest.mark.parametrize(
    ("pr", "expected"),
    [
        ({"number": 123, "review_state": "approved"}, "PR #123 ✓"),
        ({"number": 45, "kind": "mr", "review_state": "changes_requested"}, "MR !45 ✗"),
        ({"number": 7, "review_state": "draft"}, "PR #7 draft"),
        ({"number": 7, "review_state": "pending"}, "PR #7 …"),
        ({"number": 7}, "PR #7"),
        ({"number": "7\x1b[2J"}, None),
        ({"number": True}, None),
    ],
)
def test_pull_request(pr, expected):
    assert text(place.pull_request(ctx({"pr": pr}))) == expected


def test_repo_worktree_session_name_and_agent_are_sanitised():
    body = {
        "workspace": {"repo": {"host": "github.com", "owner": "acme", "name": "app\x1b]8;;http://x\x07"}},
        "worktree": {"name": "feature\u202ex"},
        "session_name": "refactor\x07 day",
        "agent": {"name": "reviewer", "type": "code-review"},
    }
    c = ctx(body)
    assert text(place.repo(c)) == "acme/app]8;;http://x"  # ESC and BEL gone: inert text
    assert text(place.worktree(c)) == "wt featurex"
    assert text(info.session_name(c)) == "refactor day"
    assert text(info.agent(c)) == "agent reviewer (code-review)"
    assert place.repo(ctx({})) is None and place.worktree(ctx({})) is None
    assert text(place.worktree(ctx({"workspace": {"git_worktree": "wt-2"}}))) == "wt wt-2"
    assert text(info.agent(ctx({"agent": {"name": "x", "type": "x"}}))) == "agent x"


@pytest.mark.parametrize("level", ["xhigh", "max"])
def test_new_effort_levels(level, tmp_path, monkeypatch):
    with_config(tmp_path, monkeypatch, "[line]\nmodel_effort = true")
    body = {"model": OPUS, "effort": {"level": level}, "thinking": {"enabled": True}}
    assert text(info.model(ctx(body))) == f"Opus 4.8 {level} ✻"


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


def test_preview_each_shows_every_segment(config_dir):
    from pathlib import Path

    from helpers import run_costline

    sample = Path(__file__).resolve().parent.parent / "samples" / "payload-2.1.332.json"
    out = run_costline(b"", "preview", "--each", str(sample), env={"NO_COLOR": "1"}).stdout.decode()
    named = [line for line in out.splitlines() if line[:12].strip() and not line.startswith("note: ")]
    lines = [line.strip() for line in out.splitlines()]
    rows = dict(line.strip().split("  ", 1) for line in named)
    assert set(rows) == {*segments.SEGMENTS, "cmd:NAME"}
    assert "settings: line.model_aliases, line.model_effort" in lines  # under the model's row
    assert rows["throughput"] == "(none here) e.g. 12.3k tpm (41%)"  # not in this payload: an example
    assert rows["spend"] == "spend $42/$100 wk" and rows["pr"] == "PR #123 ✓" and rows["repo"] == "acme/app"
    assert rows["model"] == "Opus 4.8"


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
    state = {
        "warm": True,
        "caching_observed": True,
        "ttl": ttl,
        "expires_at": now + 60,
        "recache_tokens_if_cold": 40_000,
    }
    c = Context(
        {"model": {"id": model_id}, "prompt_cache": state}, now, os.environ, os.environ["COSTLINE_CACHE_DIR"]
    )
    assert text(prompt.cache(c)) == f"cache 1:00 · {expected} if cold"


# -- one verdict on the cache for `cache` and `next`; the tier from the whole prompt -------------
HAIKU_55 = {
    "id": "claude-haiku-5-5"
}  # ≤100K: 5m write $0.125, 1h $0.20, read $0.01; >100K: $0.625, $1, $0.05


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
    state = {
        "warm": True,
        "caching_observed": True,
        "ttl": ttl,
        "expires_at": now + 60,
        "recache_tokens_if_cold": recache,
    }
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
