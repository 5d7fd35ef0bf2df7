"""The attribution's states in packs (attrib/packs.py): a first report writes a few packs, not a
file per transcript; a transcript read on gets a file of its own, which overrides its pack
entry; reports from packed states equal those from the same states each in its own file; a
pack that is not whole, or not a file costline made, is never read."""

from __future__ import annotations

import marshal
import os
import shutil
from pathlib import Path

import pytest
from attrib_helpers import saved_states
from helpers import report_json, rounded
from test_cold import splits
from test_random import build

from statusline import fs
from statusline.attrib import build as attrib_build
from statusline.attrib import catalog, packs

SEED = 12


def cold(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> tuple[str, object]:
    corpus = build(SEED, config_dir)
    monkeypatch.setenv("COSTLINE_SCAN_WORKERS", workers)
    monkeypatch.setenv("COSTLINE_PARALLEL_MIN_BYTES", "0")
    cache = str(tmp_path / "cache")
    monkeypatch.setenv("COSTLINE_CACHE_DIR", cache)
    return cache, corpus


def unfinished(corpus: object) -> set[str]:
    """The state names of the transcripts whose last line is still being written."""
    files = corpus.files  # type: ignore[attr-defined]
    return {attrib_build.state_name(str(p)) for p in files if not p.read_bytes().endswith(b"\n")}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_first_report_packs_its_states_in_a_few_files(config_dir, tmp_path, monkeypatch, workers):
    cache, corpus = cold(config_dir, tmp_path, monkeypatch, workers)
    report_json("by", "tool")
    folder = Path(attrib_build.folder(cache))
    own = set(packs.own_names(str(folder)))
    made = sorted((folder / "packs").iterdir())
    # A pack per process that read (the scanning one, each worker); a file of its own only for
    # a state read on (a transcript whose last line was unfinished: its tail is read again).
    assert own == unfinished(corpus) and len(own) < 3
    assert 1 <= len(made) <= int(workers) + 1
    assert len(saved_states(cache)) == len(corpus.files) > 10
    for path in [folder, *folder.rglob("*")]:
        assert path.stat().st_mode & 0o077 == 0, path


def test_a_first_catalog_packs_what_it_reads_and_makes_its_folder_once(config_dir, tmp_path, monkeypatch):
    """Without a scan (the index was built by `report daily`), the catalog reads every transcript
    and packs their states; what it reads on later goes to files of their own, the states
    folder made or checked once per process, not once per file."""
    cache, corpus = cold(config_dir, tmp_path, monkeypatch, "1")
    report_json("daily")
    paths = sorted(str(p) for p in corpus.files)  # type: ignore[attr-defined]
    catalog.refresh(cache, paths)
    folder = attrib_build.folder(cache)
    assert set(packs.own_names(folder)) == set() and len(os.listdir(os.path.join(folder, "packs"))) == 1
    made: list[str] = []
    make = fs.make_private_folder

    def counted(path: str) -> None:
        made.append(path)
        make(path)

    monkeypatch.setattr(fs, "make_private_folder", counted)
    monkeypatch.setattr(attrib_build, "_checked", set())
    for path in paths:
        with open(path, "ab") as fh:
            fh.write(b'{"type":"user","message":{"role":"user","content":"more"}}\n')
        attrib_build.update_file(cache, path)
    assert made.count(folder) == 1
    assert set(packs.own_names(folder)) == {attrib_build.state_name(p) for p in paths}


def test_reports_from_packed_states_equal_those_from_files_of_their_own(config_dir, tmp_path, monkeypatch):
    cache, _corpus = cold(config_dir, tmp_path, monkeypatch, "2")
    report_json("by", "tool")
    packed = splits()
    saved = saved_states(cache)
    folder = Path(attrib_build.folder(cache))
    shutil.rmtree(folder / "packs")
    for name, state in saved.items():
        (folder / name).write_bytes(marshal.dumps(state))
    shutil.rmtree(catalog.folder(cache))  # the catalog and the day summaries: made again
    assert splits() == packed
    assert saved_states(cache) == saved


def test_a_pack_not_whole_or_not_costlines_is_not_read(tmp_path):
    folder = str(tmp_path / "states")
    state = {"format": attrib_build.FORMAT, "path": "/p", "n": list(range(50))}
    sigs = packs.write(folder, [("a~1", marshal.dumps(state), {"path": "/p"})])
    (pack,) = Path(folder, "packs").iterdir()
    assert packs.Packs(folder).read("a~1") == (marshal.dumps(state), sigs["a~1"])
    whole = pack.read_bytes()
    for cut in (len(whole) - 1, len(whole) // 2, 10, 0):
        pack.write_bytes(whole[:cut])  # as a pack cut short would be (never renamed in: atomic)
        assert packs.Packs(folder).where == {}, cut
    pack.unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(whole)
    pack.symlink_to(elsewhere)  # a link planted in a pack's place
    assert packs.Packs(folder).where == {}
    pack.unlink()
    Path(f"{pack}.0123.tmp").write_bytes(whole)  # a pack being written
    assert packs.Packs(folder).where == {}


def test_a_name_in_two_packs_is_read_from_the_later(tmp_path):
    folder = str(tmp_path / "states")
    older = packs.write(folder, [("a~1", b"old", {}), ("b~2", b"b", {})])
    newer = packs.write(folder, [("a~1", b"new", {})])
    found = packs.current(folder)
    assert found.read("a~1") == (b"new", newer["a~1"]) and found.read("b~2") == (b"b", older["b~2"])
    assert found.sig("a~1") == newer["a~1"] != older["a~1"]


@pytest.mark.parametrize("kind", ["agent", "tool", "mcp"])
def test_a_report_split_reads_the_states_once_packed(config_dir, tmp_path, monkeypatch, kind):
    """A warm report reads no state and no pack's states (the catalog and summaries suffice)."""
    cache, _corpus = cold(config_dir, tmp_path, monkeypatch, "2")
    first = report_json("by", kind)
    read: list[str] = []
    real = packs.Packs.read

    def counted(self: packs.Packs, name: str) -> object:
        read.append(name)
        return real(self, name)

    monkeypatch.setattr(packs.Packs, "read", counted)
    assert report_json("by", kind) == first
    assert read == []
    assert os.path.isdir(os.path.join(attrib_build.folder(cache), "packs"))


def test_many_packs_are_merged_their_states_and_signatures_kept(tmp_path):
    """Past MAX_PACKS, the small packs are merged into one: each name reads the same state with
    the same signature (the catalog's entries and the day summaries stay current); a name
    packed again later keeps its later state."""
    folder = str(tmp_path / "states")
    written = [
        packs.write(folder, [(f"s~{n}", f"state {n}".encode(), {"n": n})]) for n in range(packs.MAX_PACKS)
    ]
    again = packs.write(folder, [("s~3", b"state 3 again", {"n": 3})])
    before = packs.current(folder)
    expected = {name: before.read(name) for name in before.where}
    assert expected["s~3"] == (b"state 3 again", again["s~3"]) != (b"state 3", written[3]["s~3"])
    packs.merge(folder)
    after = packs.current(folder)
    assert len(after.listed) == 1
    assert {name: after.read(name) for name in after.where} == expected
    assert {name: after.entry(name) for name in after.where} == {
        name: before.entry(name) for name in before.where
    }
    packs.merge(folder)  # nothing to merge: left as it is
    assert packs.current(folder).listed == after.listed


def test_a_few_packs_are_left_as_they_are(tmp_path):
    folder = str(tmp_path / "states")
    for n in range(packs.MAX_PACKS):
        packs.write(folder, [(f"s~{n}", b"x", {})])
    listed = packs.current(folder).listed
    packs.merge(folder)
    assert packs.current(folder).listed == listed


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_pack_whose_states_are_garbage_under_a_whole_header_has_them_read_again(
    config_dir, tmp_path, monkeypatch, workers
):
    """A pack's header whole (so its catalog entries, stamps included, look right) but its states
    garbage (a disk's bit rot, a stray write; or the pack merged away between the listing and
    the read): the catalog takes its entries from the header without reading the states, so a
    report making its day summaries again (here: removed) found no state and split those
    sessions' messages as unattributed. Now such a state is read again from its transcript
    (into a file of its own): every split equals a build from nothing."""
    cache, _corpus = cold(config_dir, tmp_path, monkeypatch, workers)
    report_json("by", "agent")
    for pack in (Path(attrib_build.folder(cache)) / "packs").iterdir():
        whole = pack.read_bytes()
        at = len(packs.MAGIC)  # then the lengths of the index and the entries, before the states
        base = at + 16 + sum(int.from_bytes(whole[at + n : at + n + 8], "little") for n in (0, 8))
        pack.write_bytes(whole[:base] + b"\0" * (len(whole) - base))  # the same size, index and entries
        assert len(packs.Packs(attrib_build.folder(cache)).where) == len(_corpus.files)  # type: ignore[attr-defined]
    for summary in Path(catalog.folder(cache)).iterdir():
        if summary.name != "catalog":
            shutil.rmtree(summary) if summary.is_dir() else summary.unlink()
    warm = {kind: report_json("by", kind) for kind in ("agent", "tool", "mcp")}
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(tmp_path / "fresh"))
    assert warm == {kind: report_json("by", kind) for kind in ("agent", "tool", "mcp")}
    assert warm["agent"]["rows"] and "unattributed" not in {r["name"] for r in warm["agent"]["rows"]}
    monkeypatch.setenv("COSTLINE_CACHE_DIR", cache)
    assert {kind: report_json("by", kind) for kind in ("agent", "tool", "mcp")} == warm


def test_a_state_whose_own_file_cannot_be_read_is_not_taken_from_its_older_pack_entry(
    config_dir, tmp_path, monkeypatch
):
    """A state's own file that cannot be read while its stat is unchanged (a hard link planted to
    it, which costline refuses, as it would a file made unreadable): its first read's pack entry
    stood in, older than the state the catalog's entry was made from, and the day summaries made
    again (here: removed) split what the transcript gained since as unattributed. Now a state
    that is not the entry's is brought up to date from its transcript first."""
    cache, corpus = cold(config_dir, tmp_path, monkeypatch, "1")
    files = sorted(corpus.files)  # type: ignore[attr-defined]
    whole = {path: path.read_bytes() for path in files}
    for path in files:
        lines = whole[path].splitlines(keepends=True)
        path.write_bytes(b"".join(lines[: len(lines) // 3]))
    report_json("by", "agent")  # the first reads: packed
    for path in files:
        path.write_bytes(whole[path])
    report_json("by", "agent")  # read on: files of their own
    folder = Path(attrib_build.folder(cache))
    own = packs.own_names(str(folder))
    assert len(own) == len(files)
    planted = {}
    for name in own:
        os.link(folder / name, tmp_path / name)
        planted[name] = (tmp_path / name).read_bytes()
    for summary in Path(catalog.folder(cache)).iterdir():
        if summary.name != "catalog":
            shutil.rmtree(summary) if summary.is_dir() else summary.unlink()
    warm = {kind: rounded(report_json("by", kind)) for kind in ("agent", "tool", "mcp")}
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(tmp_path / "fresh"))
    assert warm == {kind: rounded(report_json("by", kind)) for kind in ("agent", "tool", "mcp")}
    assert {name: (tmp_path / name).read_bytes() for name in own} == planted  # never written through


def test_a_damaged_pack_is_left_out_of_a_merge_not_stopping_it(tmp_path):
    """A small pack whose catalog entries cannot be read (garbage under a whole index) stopped
    every merge, so packs piled up past MAX_PACKS for good (each report lists and opens them
    all). Now it is left as it is and the others are merged, their states and stamps kept."""
    folder = str(tmp_path / "states")
    for n in range(packs.MAX_PACKS):
        packs.write(folder, [(f"s~{n}", f"state {n}".encode(), {"n": n})])
    damaged = packs.write(folder, [("d~1", b"state d", {"n": "d"})])
    (path,) = [
        p for p, _sig in packs.current(folder).listed if packs.current(folder).where["d~1"][0].path == p
    ]
    whole = Path(path).read_bytes()
    at = len(packs.MAGIC)
    index = int.from_bytes(whole[at : at + 8], "little")
    entries = int.from_bytes(whole[at + 8 : at + 16], "little")
    start = at + 16 + index
    Path(path).write_bytes(whole[:start] + b"\0" * entries + whole[start + entries :])
    before = packs.current(folder)
    expected = {name: before.read(name) for name in before.where}
    assert expected["d~1"] == (b"state d", damaged["d~1"]) and before.entry("d~1") is None
    packs.merge(folder)
    after = packs.current(folder)
    assert len(after.listed) == 2 and path in {p for p, _sig in after.listed}
    assert {name: after.read(name) for name in after.where} == expected


def test_a_state_is_read_from_the_pack_it_was_merged_into_after_its_listing(tmp_path):
    """Another process merged the packs between this one's listing and its read of a state (a
    report's deleted transcripts, catalog._retired): the state is read from the merged pack,
    not taken for missing (which dropped a deleted transcript's splits from that report)."""
    cache = str(tmp_path / "cache")
    folder = attrib_build.folder(cache)
    states = {}
    for n in range(packs.MAX_PACKS + 1):
        state = {"format": attrib_build.FORMAT, "path": f"/p/{n}", "n": n}
        states[f"s~{n}"] = state
        packs.write(folder, [(f"s~{n}", marshal.dumps(state), {"path": f"/p/{n}"})])
    listed = packs.current(folder)
    packs._current.clear()  # as another process would, with its own listing
    packs.merge(folder)
    assert len(packs.current(folder).listed) == 1
    for name, state in states.items():
        found = attrib_build.read_state(cache, name, listed)
        assert found is not None and {k: v for k, v in found.items() if k != "sig"} == state


def test_an_older_formats_summaries_are_dropped_and_a_link_is_not_followed(config_dir, tmp_path):
    """`sums-v<N>-<M>` of another format (an older costline's catalog and day summaries) are
    removed when the catalog is refreshed; the current one stays, and a link named like an old
    one is left, its target untouched."""
    cache = str(tmp_path / "cache")
    attrib = Path(cache) / "attrib"
    for name in ("sums-v1-2", "sums-v0-3"):
        (attrib / name / "days").mkdir(parents=True)
        (attrib / name / "catalog").write_bytes(b"old")
    kept = tmp_path / "elsewhere"
    kept.mkdir()
    (kept / "precious").write_text("x")
    os.symlink(kept, attrib / "sums-v0-1")
    (attrib / "sums-other").mkdir()  # not a format's name: not ours to remove
    catalog.refresh(cache, [])
    names = sorted(os.listdir(attrib))
    assert "sums-v1-2" not in names and "sums-v0-3" not in names
    assert os.path.basename(catalog.folder(cache)) in names or not os.path.exists(catalog.folder(cache))
    assert (kept / "precious").read_text() == "x" and os.path.islink(attrib / "sums-v0-1")
    assert (attrib / "sums-other").is_dir()
