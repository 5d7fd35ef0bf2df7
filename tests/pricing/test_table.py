"""Resolution of every id shape, hand-computed prices per family, and the compiled layers."""

from __future__ import annotations

import json
import os
import time

import pytest
from helpers import assistant, payload, report_json, run_costline, wait_for_refresh, write_transcript
from index_helpers import refresh

from statusline import pricing
from statusline.config import Config
from statusline.price_table import build, fetched_history

RESOLUTION = [
    ("claude-sonnet-4-20250514", "claude-sonnet-4", 1.0),
    ("claude-opus-4-1", "claude-opus-4-1", 1.0),
    ("claude-opus-4-1-20250805", "claude-opus-4-1", 1.0),
    ("claude-opus-4", "claude-opus-4", 1.0),
    ("claude-opus-4-5", "claude-opus-4-5", 1.0),
    ("claude-opus-4-0", "claude-opus-4", 1.0),
    ("claude-4-opus-20250514", "claude-opus-4", 1.0),
    ("claude-sonnet-latest", "claude-sonnet-5-5", 1.0),
    ("claude-3-7-sonnet-latest", "claude-3-7-sonnet", 1.0),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5", 1.0),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5", 1.1),
    ("eu.anthropic.claude-opus-4-8-v1:0", "claude-opus-4-8", 1.1),
    ("apac.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5", 1.1),
    ("global.anthropic.claude-opus-4-8-v1:0", "claude-opus-4-8", 1.0),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4", 1.0),
    (
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-opus-4-8-v1:0",
        "claude-opus-4-8",
        1.1,
    ),
    ("bedrock/us-west-2/anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku", 1.0),
    ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5", 1.0),
    ("vertex_ai/claude-opus-4-6@20260205", "claude-opus-4-6", 1.0),
    # Vertex ids are `model@version`: the version is a date or `default` (the newest), never priced apart.
    ("claude-opus-4-7@default", "claude-opus-4-7", 1.0),
    ("vertex_ai/claude-sonnet-4-6@default", "claude-sonnet-4-6", 1.0),
    ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet", 1.0),
    ("claude-haiku-4-5@20251001", "claude-haiku-4-5", 1.0),
    ("claude-opus-4-7@default[1m]", "claude-opus-4-7", 1.0),
    ("claude-opus-9@default", None, 1.0),
    ("anthropic/claude-opus-4-8", "claude-opus-4-8", 1.0),
    ("openrouter/anthropic/claude-sonnet-4.6", "claude-sonnet-4-6", 1.0),
    ("claude-opus-4-8[1m]", "claude-opus-4-8", 1.0),
    ("claude-sonnet-4-6[1M]", "claude-sonnet-4-6", 1.0),
    ("claude-opus-4.6", "claude-opus-4-6", 1.0),
    ("Claude-Opus-4-6", "claude-opus-4-6", 1.0),
    ("claude-3-5-haiku-20241022", "claude-3-5-haiku", 1.0),
    ("claude-fable-5-1", "claude-fable-5-1", 1.0),
    ("claude-mythos-preview", "claude-mythos-preview", 1.0),
    ("claude-opus-4-9", None, 1.0),
    ("claude-opus-45", None, 1.0),
    ("<synthetic>", None, 1.0),
    ("gpt-5", None, 1.0),
    ("", None, 1.0),
]


@pytest.mark.parametrize(("model_id", "key", "multiplier"), RESOLUTION)
def test_resolution(model_id, key, multiplier):
    assert pricing.resolve(model_id, pricing.MODELS) == (key, multiplier)


# pricing.md §3, USD per million tokens: input, output, 5m write, 1h write, cache read (current prices).
FAMILY_PRICES = {
    "claude-fable-5-1": (10, 50, 12.5, 20, 0.25),
    "claude-mythos-5-1": (10, 50, 12.5, 20, 0.25),
    "claude-fable-5": (10, 50, 12.5, 20, 1),
    "claude-mythos-5": (10, 50, 12.5, 20, 1),
    "claude-opus-5-5": (4, 20, 5, 8, 0.2),
    "claude-opus-5": (5, 25, 6.25, 10, 0.5),
    "claude-opus-4-8": (5, 25, 6.25, 10, 0.5),
    "claude-opus-4-7": (5, 25, 6.25, 10, 0.5),
    "claude-opus-4-6": (5, 25, 6.25, 10, 0.5),
    "claude-opus-4-5": (5, 25, 6.25, 10, 0.5),
    "claude-opus-4-1": (15, 75, 18.75, 30, 1.5),
    "claude-opus-4": (15, 75, 18.75, 30, 1.5),
    "claude-sonnet-5-5": (2, 10, 2.5, 4, 0.1),
    "claude-sonnet-5": (2, 10, 2.5, 4, 0.2),
    "claude-sonnet-4-6": (3, 15, 3.75, 6, 0.3),
    "claude-sonnet-4-5": (3, 15, 3.75, 6, 0.3),
    "claude-sonnet-4": (3, 15, 3.75, 6, 0.3),
    "claude-3-7-sonnet": (3, 15, 3.75, 6, 0.3),
    "claude-3-5-sonnet": (3, 15, 3.75, 6, 0.3),
    "claude-haiku-5-5": (0.1, 0.5, 0.125, 0.2, 0.01),
    "claude-haiku-4-5": (1, 5, 1.25, 2, 0.1),
    "claude-3-5-haiku": (0.8, 4, 1, 1.6, 0.08),
    "claude-3-opus": (15, 75, 18.75, 30, 1.5),
    "claude-3-haiku": (0.25, 1.25, 0.3, 0.5, 0.03),
}


@pytest.mark.parametrize("model", sorted(FAMILY_PRICES))
def test_hand_computed_cost_per_model(config_dir, model):
    # 10K of each kind, 1h writes split out, prompt 40K (under every tier), dated now.
    usage = {
        "input_tokens": 10_000,
        "output_tokens": 10_000,
        "cache_creation_input_tokens": 20_000,
        "cache_read_input_tokens": 10_000,
        "cache_creation": {"ephemeral_5m_input_tokens": 10_000, "ephemeral_1h_input_tokens": 10_000},
    }
    write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(model=model, usage=usage, ts="2026-11-20T10:00:00.000Z")]
    )
    from index_helpers import priced

    expected = sum(FAMILY_PRICES[model]) * 10_000 / 1e6
    assert priced().usd == pytest.approx(expected)
    assert set(FAMILY_PRICES) <= set(pricing.MODELS)


def test_vertex_default_version_is_priced_on_the_line_and_in_reports(config_dir):
    # Opus 4.7 at $5 / $25 per MTok: 10,000 in + 2,000 out = $0.05 + $0.05 = $0.10.
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 60))
    usage = {"input_tokens": 10_000, "output_tokens": 2_000}
    path = write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(model="claude-opus-4-7@default", usage=usage, ts=now)]
    )
    refresh()
    line = run_costline(payload(path), env={"NO_COLOR": "1", "COLUMNS": "400"}).stdout.decode()
    assert "$0.10 today" in line and "+?" not in line
    doc = report_json("daily")
    assert doc["totals"]["totalCost"] == pytest.approx(0.10)
    status = json.loads(run_costline(b"", "index", "status", "--json").stdout)
    assert "claude-opus-4-7@default" not in status["unknown_models"]


def test_override_from_a_date_keeps_earlier_prices():
    config = Config("cfg.toml")
    config.overrides = {"claude-opus-4-8": {"input": 4.0, "output": 20.0, "since": 1790000000000.0}}
    compiled = build(config, {"periods": {}, "aliases": {}})
    rows = compiled["models"]["claude-opus-4-8"]
    assert [r[0] for r in rows] == [0, 1790000000000]
    assert rows[0][1:3] == (5.0, 25.0) and rows[1][1:3] == (4.0, 20.0)
    assert compiled["sources"]["claude-opus-4-8"] == ["bundled", "bundled+override"]
    # Claude Code's list prices stay beside them, for comparing with its payload cost.
    assert compiled["list_models"]["claude-opus-4-8"] == pricing.MODELS["claude-opus-4-8"]
    assert build(Config("cfg.toml"), {"periods": {}, "aliases": {}})["list_models"] is None


def test_override_for_a_model_costline_does_not_know():
    config = Config("cfg.toml")
    config.overrides = {"my-gateway-model": {"input": 1.0, "output": 2.0}}
    compiled = build(config, {"periods": {}, "aliases": {}})
    assert compiled["models"]["my-gateway-model"][0][1:6] == (1.0, 2.0, 1.25, 2.0, 0.1)
    assert compiled["list_models"]["my-gateway-model"] == compiled["models"]["my-gateway-model"]


def test_unknown_model_by_family_only_when_opted_in(config_dir, tmp_path, monkeypatch):
    write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(model="claude-opus-9", ts="2026-11-20T10:00:00.000Z")]
    )
    refresh()
    assert run_costline(b"", "index", "status").returncode == 0
    from statusline.context import Context

    ctx = Context({}, 1795600000.0, os.environ, os.environ["COSTLINE_CACHE_DIR"])
    from statusline.index.readback import range_buckets

    buckets = range_buckets(ctx.store, 0, 1795700000000)
    assert ctx.price(buckets).unknown == {"claude-opus-9"}
    settings = tmp_path / "family.toml"
    settings.write_text('[pricing]\noffline = true\nunknown_models = "family"\n')
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))
    ctx = Context({}, 1795600000.0, os.environ, os.environ["COSTLINE_CACHE_DIR"])
    priced = ctx.price(buckets)
    assert not priced.unknown and priced.estimated == {"claude-opus-9"}
    assert priced.usd == pytest.approx((10 * 4 + 100 * 20) / 1e6)  # priced as Opus 5.5, the newest Opus


def test_new_config_reprices_without_rereading_logs(config_dir, tmp_path, monkeypatch):
    import time

    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 60))
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(ts=now)])
    run_costline(payload(path))
    wait_for_refresh(tmp_path / "cache")
    line = run_costline(payload(path), env={"NO_COLOR": "1"}).stdout.decode()
    group_file = next((tmp_path / "cache" / "index" / "v2" / "groups").iterdir())
    before = group_file.stat().st_mtime_ns
    settings = tmp_path / "override.toml"
    settings.write_text(
        '[pricing]\noffline = true\n[pricing.overrides."claude-opus-4-8"]\ninput = 5000\noutput = 25\n'
    )
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))
    repriced = run_costline(payload(path), env={"NO_COLOR": "1"}).stdout.decode()
    assert f"${(10 * 5000 + 100 * 25) / 1e6:.2f} today" in repriced and line != repriced
    assert group_file.stat().st_mtime_ns == before  # no transcript was read again


def _save_config(path, opus_input: float) -> None:
    """Save the config as an editor does: a whole new file renamed over the old one."""
    tmp = path.with_suffix(".saving")
    tmp.write_text(
        f'[pricing]\noffline = true\n[pricing.overrides."claude-opus-4-8"]\ninput = {opus_input}\n'
    )
    os.replace(tmp, path)


def _today_on_the_line(config_dir) -> str:
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 60))
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(ts=now)])  # 10 in, 100 out
    refresh()
    line = run_costline(payload(path), env={"NO_COLOR": "1", "COLUMNS": "400"}).stdout.decode()
    return line.split(" today")[0].rsplit(" ", 1)[-1]


@pytest.mark.parametrize("edit", ["after the read", "before the read"])
def test_a_config_edit_saved_during_a_compile_is_in_force_at_the_next_render(config_dir, monkeypatch, edit):
    from pathlib import Path

    from statusline import config as config_module
    from statusline.price_table import compile_table

    settings = Path(os.environ["COSTLINE_CONFIG"])
    _save_config(settings, 5000)  # $5000/MTok input: 10 in + 100 out = $0.05 + $0.0025
    real_load = config_module.load_config
    edits = []

    def load_while_saving(path=None):
        if edit == "before the read" and not edits:
            edits.append(_save_config(settings, 9000))
        loaded = real_load(path)
        if not edits:
            edits.append(_save_config(settings, 9000))  # $0.09 + $0.0025
        return loaded

    monkeypatch.setattr(config_module, "load_config", load_while_saving)
    compile_table(os.environ["COSTLINE_CACHE_DIR"])
    monkeypatch.setattr(config_module, "load_config", real_load)
    assert _today_on_the_line(config_dir) == "$0.09"  # was $0.05: the first save's prices


@pytest.mark.parametrize("hook", ["fetched_history", "atomic_write"])
def test_a_price_download_saved_during_a_compile_is_in_force_at_the_next_render(
    config_dir, monkeypatch, hook
):
    """`pricing update` saves the history and compiles while a render compiles: the update lands
    while the render reads its inputs, or after it read them, just before it stores its table."""
    from statusline import price_table

    cache = os.environ["COSTLINE_CACHE_DIR"]
    fetched = {
        "periods": {"claude-opus-4-8": [(0, 9000.0, 25.0, 6.25, 10.0, 0.5, None, 2.0, 1_000_000)]},
        "aliases": {},
        "etag": None,
        "last_modified": None,
        "fetched_ms": int(time.time() * 1000),
    }
    real = getattr(price_table, hook)

    def update() -> None:
        monkeypatch.setattr(price_table, hook, real)  # once; the update's own compile runs as is
        price_table.save_history(cache, fetched)
        price_table.compile_table(cache)

    def then_update(*args):
        if hook == "atomic_write":
            update()
            return real(*args)
        found = real(*args)  # the render has read the old history
        update()
        return found

    monkeypatch.setattr(price_table, hook, then_update)
    price_table.compile_table(cache)  # the render's compile, ending after the update's
    assert _today_on_the_line(config_dir) == "$0.09"  # was $0.00: the bundled $5/MTok


def test_pricing_show_json_and_unknown(tmp_path):
    proc = run_costline(b"", "pricing", "show", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "--json")
    doc = json.loads(proc.stdout)
    assert doc["resolved"] == "claude-sonnet-4-5" and doc["multiplier"] == 1.1
    assert doc["periods"][0]["tier"][0] == 200000 and doc["periods"][1]["tier"] is None
    proc = run_costline(b"", "pricing", "show", "claude-opus-9")
    assert proc.returncode == 1 and b"claude-opus-5-5" in proc.stderr
    assert fetched_history(str(tmp_path / "cache"))["periods"] == {}
