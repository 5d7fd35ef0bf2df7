"""The page's data layer: what it names and how (statusline/html/data.py)."""

from __future__ import annotations

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
