"""Folding the other machines in: dedup, and every way a synced folder goes wrong."""

from __future__ import annotations

import json
import os

import pytest
from sync_helpers import ONE, line

from statusline.sync import fold as fl

DAY = "2026-11-20"
TS = f"{DAY}T10:00:00.000Z"


def others_cost(box) -> dict[str, float]:
    """machine name → the cost of its folded buckets (tokens × Opus 4.8 list prices)."""
    others = fl.load_others(str(box.cache))
    out: dict[str, float] = {}
    for mid, _qh, _session, _model, _cls, vec in others.buckets:
        out[others.name(mid)] = out.get(others.name(mid), 0.0) + vec[1] * 5e-6 + vec[2] * 25e-6
    return {k: round(v, 6) for k, v in out.items()}


def test_a_shared_session_counts_once_with_this_machines_copy(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    laptop.log("-w-app", "own-l", [line("l1", TS, session="own-l")])
    desktop.log("-w-app", "own-d", [line("d1", TS, session="own-d"), line("d2", TS, session="own-d")])
    for box in (laptop, desktop):  # a synced ~/.claude: the same session on both
        box.log("-w-app", "shared", [line("sh1", TS, session="shared")])
    desktop.step()
    laptop.step()
    assert others_cost(laptop) == {"desktop": round(2 * ONE, 6)}  # its own two; the shared one is ours
    desktop.step()
    assert others_cost(desktop) == {"laptop": round(ONE, 6)}


def test_among_others_the_smallest_id_keeps_a_shared_response(boxes):
    a, b, c = boxes("a"), boxes("b"), boxes("c")
    for box in (a, b):
        box.log("-w-app", "shared", [line("sh1", TS, session="shared")])
        box.step()
    c.step()
    others = fl.load_others(str(c.cache))
    holders = {others.name(mid) for mid, *_ in others.buckets}
    assert holders == {min((a, b), key=lambda x: x.mid()).name}


def folded_then_grown(boxes):  # type: ignore[no-untyped-def]
    """A laptop that folded the desktop's day (one response), and the desktop that has since
    published a second one: (laptop, desktop)."""
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    laptop.step()
    assert others_cost(laptop) == {"desktop": ONE}
    desktop.log("-w-app", "d", [line("d2", TS, session="d")])
    desktop.step()
    return laptop, desktop


def test_a_half_arrived_day_file_keeps_the_last_whole_one(boxes):
    laptop, desktop = folded_then_grown(boxes)
    day_file = desktop.share() / "days" / f"{DAY}.json"
    whole = day_file.read_bytes()
    day_file.write_bytes(whole[: len(whole) // 2])  # the manifest arrived, the day file half
    result = laptop.step()
    assert others_cost(laptop) == {"desktop": ONE}  # not zero, not a guess: the last whole file
    assert [m.problem for m in result.machines if m.name == "desktop"] == ["day files arriving"]
    day_file.write_bytes(whole)
    result = laptop.step()
    assert others_cost(laptop) == {"desktop": round(2 * ONE, 6)}
    assert [m.problem for m in result.machines if m.name == "desktop"] == [""]


def test_a_file_whose_sha_does_not_match_is_not_read(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    day_file = desktop.share() / "days" / f"{DAY}.json"
    doc = json.loads(day_file.read_text())
    doc["buckets"][0][5] = 10**9  # same shape, other content: not what the manifest says
    day_file.write_text(json.dumps(doc))
    laptop.step()
    assert others_cost(laptop) == {}


def test_conflict_copies_and_temp_names_change_nothing(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    share = desktop.share()
    days = share / "days"
    big = (days / f"{DAY}.json").read_text().replace('"d"', '"x"').replace("1000", "9000000")
    for name in (
        f"{DAY}.sync-conflict-20261120-101500-ABCDEFG.json",
        f"{DAY} (laptop's conflicted copy 2026-11-20).json",
        f".syncthing.{DAY}.json.tmp",
        f"~{DAY}.json",
    ):
        (days / name).write_text(big)
    manifest = json.loads((share / "machine.json").read_text())
    manifest["days"]["2026-11-21"] = "0" * 64
    (share / "machine.sync-conflict-20261120-101500-ABCDEFG.json").write_text(json.dumps(manifest))
    (desktop.folder / (share.name + ".sync-conflict-20261120-101500-ABCDEFG")).mkdir()
    result = laptop.step()
    assert others_cost(laptop) == {"desktop": ONE}
    assert sorted(m.name for m in result.machines) == ["desktop", "laptop"]


def test_days_come_from_the_messages_never_from_file_times(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", "2026-11-20T23:59:00.000Z", session="d")])
    desktop.step(now_s=1.7e9)  # its clock is a year behind: the manifest's time says 2023
    for root, _dirs, files in os.walk(desktop.share()):
        for name in files:
            os.utime(os.path.join(root, name), (0, 0))
    laptop.step()
    others = fl.load_others(str(laptop.cache))
    assert [fl.utc_day_name(qh * 900_000) for _m, qh, *_ in others.buckets] == ["2026-11-20"]
    assert desktop.manifest()["written"].startswith("2023-")


def test_a_newer_costline_is_marked_and_not_read(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    manifest = desktop.manifest()
    manifest["format"] = 2
    (desktop.share() / "machine.json").write_text(json.dumps(manifest))
    result = laptop.step()
    assert others_cost(laptop) == {}
    assert [m.problem for m in result.machines if m.name == "desktop"] == ["newer costline"]


def test_unknown_fields_are_ignored(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    share = desktop.share()
    day_file = share / "days" / f"{DAY}.json"
    doc = json.loads(day_file.read_text())
    doc["future"] = {"anything": [1, 2]}
    doc["buckets"] = [[*row, "more", 7] for row in doc["buckets"]]
    doc["keys"].append(["short"])  # a row too short is skipped, not fatal
    data = json.dumps(doc).encode()
    day_file.write_bytes(data)
    manifest = desktop.manifest()
    manifest["days"][DAY] = fl.fmt.digest(data)
    manifest["team"] = "x"
    (share / "machine.json").write_text(json.dumps(manifest))
    laptop.step()
    assert others_cost(laptop) == {"desktop": ONE}


def test_a_machine_that_goes_silent_keeps_its_history_and_is_stale(boxes, monkeypatch):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step(now_s=1.8e9)
    laptop.step(now_s=1.8e9 + 60)
    result = laptop.step(now_s=1.8e9 + 3600)
    from statusline.sync import view
    from statusline.sync.settings import load

    rows = {r["name"]: r for r in view.rows(result, load(), 1.8e9 + 3600)}
    assert rows["desktop"]["problem"] == "stale" and rows["desktop"]["lagSeconds"] == 3600.0
    assert others_cost(laptop) == {"desktop": ONE}  # its history stays


def test_duplicate_names_are_two_machines(boxes, tmp_path):
    first = boxes("laptop")
    second = boxes("laptop2")
    second.name = "laptop"
    desktop = boxes("desktop")
    first.log("-w-app", "a", [line("a1", TS, session="a")])
    second.log("-w-app", "b", [line("b1", TS, session="b")])
    first.step()
    second.step()
    desktop.step()
    others = fl.load_others(str(desktop.cache))
    names = {others.name(m) for m, *_ in others.buckets}  # told apart by their ids
    assert names == {f"laptop ({first.mid()[:8]})", f"laptop ({second.mid()[:8]})"}


def test_a_missing_folder_keeps_what_was_folded(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    laptop.step()
    os.rename(laptop.folder, laptop.folder.with_name("away"))
    result = laptop.step()
    assert result.problem == "sync folder missing"
    assert others_cost(laptop) == {"desktop": ONE}
    assert laptop.line_doc()["problem"] == "sync folder missing"
    assert not laptop.folder.exists()  # publishing made nothing in its place


def test_a_read_only_folder_still_folds_the_others(boxes, monkeypatch):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    laptop.log("-w-app", "l", [line("l1", TS, session="l")])

    def refuse(path: str, data: bytes) -> None:
        raise PermissionError(13, "Read-only file system", path)

    monkeypatch.setattr(fl.fmt, "write", refuse)
    result = laptop.step()
    assert result.problem == "sync folder read-only"
    assert others_cost(laptop) == {"desktop": ONE}


def test_a_sync_folder_inside_a_synced_claude_dir_is_not_read_as_transcripts(boxes, tmp_path):
    laptop = boxes("laptop")
    laptop.folder = laptop.config / "projects" / "costline-sync"
    laptop.log("-w-app", "l", [line("l1", TS, session="l")])
    laptop.step()
    laptop.log("-w-app", "l", [line("l2", TS, session="l")])
    laptop.step()  # its own day files are now under projects/: still not transcripts
    from statusline.index.store import Store

    counters = Store(str(laptop.cache)).read_meta()
    assert laptop.manifest()["days"]
    from helpers import report_json

    laptop.use()
    doc = report_json("daily", "--this-machine")
    assert doc["totals"]["totalCost"] == pytest.approx(2 * ONE)
    assert counters.get("garbage", 0) == 0


def test_forgotten_machines_leave_the_view(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    laptop.step()
    fl.set_forgotten(str(laptop.cache), {desktop.mid()})
    laptop.step()
    assert others_cost(laptop) == {}


def test_a_manifest_day_that_is_no_date_makes_nothing_in_the_cache(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", TS, session="d")])
    desktop.step()
    manifest = desktop.manifest()
    sha = manifest["days"][DAY]
    for bad in ("a/bc-de-fg", "../a-bc-de", "2026-13-01", "2026-02-30", "2026-1a-01", "２０２６-11-20"):
        manifest["days"][bad] = sha
    (desktop.share() / "machine.json").write_text(json.dumps(manifest))
    laptop.step()
    assert others_cost(laptop) == {"desktop": ONE}
    sync = laptop.cache / "sync"
    made = sorted(str(p.relative_to(sync)) for p in sync.rglob("*") if "fold" in str(p) or p.parent == sync)
    assert [p for p in made if "/" in p] == [f"fold-src/{DAY}", f"fold/{DAY}"]
    assert not (laptop.cache / "sync" / "a-bc-de").exists() and not (sync / "fold" / "a").exists()
