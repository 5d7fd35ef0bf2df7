"""The page's data layer: what it names and how (statusline/html/data.py)."""

from __future__ import annotations

import pytest

from statusline.html.data import model_name


def test_models_are_named_as_the_status_line_names_them():
    # Found (issue 19 item 8): the sessions table showed ids that wrapped (claude-opus-4-5-20251101).
    assert model_name("claude-opus-4-6") == "Opus 4.6"
    assert model_name("claude-opus-4-5-20251101") == "Opus 4.5"
    assert model_name("claude-sonnet-4-6[1m]") == "Sonnet 4.6"
    assert model_name("us.anthropic.claude-opus-4-6-v1:0") == "Opus 4.6"
    # Anything else keeps its id rather than a made-up name ("Mystery model.1").
    assert model_name("mystery-model-1") == "mystery-model-1"
    assert model_name("<synthetic>") == "<synthetic>"
    assert model_name("") == ""


def test_month_projection_is_the_status_lines(config_dir, monkeypatch):
    """Found (walk stumble 2): `$13.15 mtd → $229.83` on the line, `projected $203.79` on the page
    (seconds elapsed vs whole days). Both now use timeutil.projected."""
    import os

    from helpers import assistant, write_transcript
    from index_helpers import refresh

    from statusline import report as rp
    from statusline.context import Context
    from statusline.html.data import month_figures
    from statusline.segments.spending import month

    big = {"input_tokens": 60_000, "output_tokens": 0}  # Opus 4.8: $0.30
    line = assistant(msg_id="a", request_id="r1", ts="2026-11-02T10:00:00.000Z", usage=big)
    write_transcript(config_dir, "p", "s1.jsonl", [line])
    refresh()
    now_s = 1_793_491_200 + 4.5 * 86400  # 2026-11-05T12:00Z: 4.5 of November's 30 days (TZ is UTC)
    shown = month(Context({}, now_s, os.environ, os.environ["COSTLINE_CACHE_DIR"]))
    assert shown is not None and shown[0][0] == "$0.30 mtd → $2.00"  # 0.30 / 4.5 * 30
    per_day = {"2026-11-02": rp.Row("2026-11-02", cost=0.30)}
    for tz in (None, rp.zone("UTC")):
        name, to_date, projection = month_figures(per_day, {}, tz, int(now_s * 1000))
        assert (name, to_date) == ("2026-11", pytest.approx(0.30))
        assert projection == pytest.approx(2.00)
