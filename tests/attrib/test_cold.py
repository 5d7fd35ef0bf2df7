"""A report that needs the attribution builds it from the index's own parse when the scan reads a
transcript from its start (index/scan.py cold_attribution, attrib/build.py ColdRead): each line
is parsed once. The page, the split reports and the states it leaves equal those of an index
and an attribution built one after the other, also after a run killed part way (a killed
worker's files are read by the scanning process; a state is written whole or not at all)."""

from __future__ import annotations

import marshal
import os
import re
from pathlib import Path

import pytest
from attrib_helpers import saved_states
from helpers import report_json, run_costline
from test_random import build

from statusline.index.store import atomic_write

SEED = 12
KINDS = ("agent", "tool", "mcp", "model")


def page(path: Path) -> str:
    """A page without what depends on the clock (when it was made, the month's projection)."""
    text = path.read_text()
    text = re.sub(r" generated [^<]*</p>", "</p>", text)
    return re.sub(r"projected \$[\d,.]+", "projected", text)


def html(out: Path, **env: str) -> int:
    return run_costline(b"", "report", "html", "-o", str(out), "-z", "UTC", env=env, timeout=120).returncode


def states(cache: Path) -> dict[str, object]:
    return dict(saved_states(str(cache)))


def splits() -> dict[str, object]:
    return {kind: report_json("by", kind, "--no-refresh") for kind in KINDS}


def step_by_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, object], object]:
    """The index alone (report daily), then the page: the attribution read from the files."""
    cache = tmp_path / "steps"
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(cache))
    report_json("daily")
    assert html(tmp_path / "steps.html") == 0
    return page(tmp_path / "steps.html"), splits(), states(cache)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_first_page_equals_one_built_step_by_step(config_dir, tmp_path, monkeypatch, workers):
    corpus = build(SEED, config_dir)
    monkeypatch.setenv("COSTLINE_SCAN_WORKERS", workers)
    monkeypatch.setenv("COSTLINE_PARALLEL_MIN_BYTES", "0")
    expected = step_by_step(tmp_path, monkeypatch)

    from statusline.attrib import build as attrib_build

    read_again: list[str] = []
    update_file = attrib_build.update_file

    def counted(cache: str, path: str, state: object = None) -> object:
        read_again.append(path)
        return update_file(cache, path, state)  # type: ignore[arg-type]

    monkeypatch.setattr(attrib_build, "update_file", counted)
    cache = tmp_path / "cold"
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(cache))
    out = report_json("by", "tool")  # from nothing, in this process: the catalog's reads are seen
    assert out["rows"] == expected[1]["tool"]["rows"]  # type: ignore[index]
    # Only a transcript whose last line is still being written is read again (its tail).
    unfinished = {str(p) for p, lines in corpus.files.items() if not p.read_bytes().endswith(b"\n")}
    assert set(read_again) == unfinished and len(corpus.files) > len(unfinished)
    assert html(tmp_path / "cold.html") == 0
    assert (page(tmp_path / "cold.html"), splits(), states(cache)) == expected


@pytest.mark.parametrize("kill_at", [1, 3, 6, 12])
def test_a_first_page_killed_part_way_then_made_equals_one_built_step_by_step(
    config_dir, tmp_path, monkeypatch, kill_at
):
    build(SEED, config_dir)
    monkeypatch.setenv("COSTLINE_SCAN_WORKERS", "2")
    monkeypatch.setenv("COSTLINE_PARALLEL_MIN_BYTES", "0")
    expected = step_by_step(tmp_path, monkeypatch)
    cache = tmp_path / "cold"
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(cache))
    # Each process (the scanning one, each worker) kills itself at its Nth write, just before
    # the rename: the report fails or finishes without a worker.
    html(tmp_path / "killed.html", COSTLINE_KILL_AT_WRITE=str(kill_at))
    assert html(tmp_path / "cold.html") == 0
    assert (page(tmp_path / "cold.html"), splits(), states(cache)) == expected
    for path in (cache / "attrib").rglob("*"):
        if path.is_file():
            assert path.stat().st_mode & 0o077 == 0, path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_first_report_catalogs_the_states_its_scan_saved_without_reading_them(
    config_dir, tmp_path, monkeypatch, workers
):
    """The entries of the states the scan saved (in its workers or in the scanning process) come
    with its reads (build.ColdReader): the catalog reads back only what it reads on (a
    transcript whose last line is still being written), and is the one reading every state
    back gives."""
    from statusline.attrib import build as attrib_build
    from statusline.attrib import catalog

    corpus = build(SEED, config_dir)
    monkeypatch.setenv("COSTLINE_SCAN_WORKERS", workers)
    monkeypatch.setenv("COSTLINE_PARALLEL_MIN_BYTES", "0")
    cache = tmp_path / "cold"
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(cache))
    loaded: list[str] = []
    load = attrib_build.load

    def counted(cache: str, path: str) -> object:
        loaded.append(path)
        return load(cache, path)

    monkeypatch.setattr(attrib_build, "load", counted)
    report_json("by", "tool")
    unfinished = {str(p) for p, lines in corpus.files.items() if not p.read_bytes().endswith(b"\n")}
    assert set(loaded) <= unfinished and len(corpus.files) > len(unfinished)
    monkeypatch.undo()

    written = catalog._read(str(cache))
    assert len(written) == len(corpus.files)
    Path(catalog._path(str(cache))).unlink()
    assert catalog.refresh(str(cache), sorted(str(p) for p in corpus.files)).entries == written


def test_a_packed_state_rewritten_or_packed_again_is_read_again_not_taken_from_the_catalog(
    config_dir, tmp_path, monkeypatch
):
    """A catalog entry is trusted only while its state has the signature it was made with: a
    file of its own written since (it overrides the pack entry), or a later pack holding it
    again, has the state read again."""
    from statusline.attrib import build as attrib_build
    from statusline.attrib import catalog, packs

    corpus = build(SEED, config_dir)
    cache = str(tmp_path / "cold")
    monkeypatch.setenv("COSTLINE_CACHE_DIR", cache)
    report_json("by", "tool")  # from nothing: the states packed, catalogued from the packs' headers
    paths = sorted(str(p) for p in corpus.files if p.read_bytes().endswith(b"\n"))
    expected = catalog.refresh(cache, paths).entries
    first, second = (attrib_build.state_name(p) for p in paths[:2])
    assert all(packs.is_packed(expected[name]["sig"]) for name in (first, second))
    # Another process writes the first one's own file, and packs the second one again.
    state = attrib_build.read_state(cache, first)
    assert state is not None
    del state["sig"]
    state["agent_type"] = "Rewritten"
    atomic_write(os.path.join(attrib_build.folder(cache), first), marshal.dumps(state))
    state = attrib_build.read_state(cache, second)
    assert state is not None
    del state["sig"]
    state["agent_type"] = "Repacked"
    packs.write(attrib_build.folder(cache), [(second, marshal.dumps(state), attrib_build.entry_of(state))])
    now = catalog.refresh(cache, paths)
    entries = now.entries
    assert entries[first]["agent_type"] == "Rewritten" and len(entries[first]["sig"]) == 3
    assert entries[second]["agent_type"] == "Repacked" and entries[second]["sig"] != expected[second]["sig"]
    read, sigs = now.states({entries[first]["session"], entries[second]["session"]})
    kinds = {s["path"]: s["agent_type"] for s in read}
    assert kinds[paths[0]] == "Rewritten" and kinds[paths[1]] == "Repacked"
    assert sigs[first] == entries[first]["sig"] and sigs[second] == entries[second]["sig"]
    for name in (first, second):
        del entries[name], expected[name]
    assert entries == expected
