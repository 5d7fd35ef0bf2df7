"""The segment catalog behind `config segments` and `preview --each`."""

from __future__ import annotations

from statusline import catalog
from statusline.segments import SEGMENTS


def test_every_segment_has_an_example_and_real_settings():
    missing = set(SEGMENTS) - set(catalog.EXAMPLES)
    assert not missing, f"add {sorted(missing)} to statusline/catalog.py EXAMPLES"
    assert set(catalog.EXAMPLES) <= set(SEGMENTS)  # none left behind
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name, (example, keys) in catalog.EXAMPLES.items():
        assert example, name
        for key in filter(None, keys.split(", ")):
            assert f"`{key}`" in readme or f"`[{key}]`" in readme, (name, key)  # documented


def test_a_segment_missing_from_the_catalog_is_still_listed_by_its_docstring(monkeypatch):
    monkeypatch.delitem(catalog.EXAMPLES, "dir")
    rows = {name: (example, keys) for name, example, keys in catalog.segment_entries()}
    assert rows["dir"] == (
        "Working directory: basename (default), fish-style (`~/s/app`) or full (`line.dir_style`)",
        "",
    )
