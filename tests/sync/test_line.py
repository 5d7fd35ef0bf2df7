"""The line across machines: today adds the other machines' today from `<cache>/sync/line`."""

from __future__ import annotations

import os
import time

from sync_helpers import iso, line, render


def now_ts(minus_s: float = 0) -> str:
    return iso((time.time() - minus_s) * 1000)


def test_today_is_every_machines_today_marked_with_how_many(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    laptop.log("-w-app", "l", [line("l1", now_ts(5), session="l")])
    desktop.log("-w-app", "d", [line("d1", now_ts(5), session="d"), line("d2", now_ts(4), session="d")])
    for box in (laptop, desktop):  # a session present on both counts once
        box.log("-w-app", "shared", [line("sh1", now_ts(3), session="shared")])
    desktop.step()
    laptop.step()
    assert render(laptop, "l").startswith("Opus 4.8 · $0.12 today ×2")
    assert "×" not in render(desktop, "d")  # it has not folded the laptop in yet
    desktop.step()
    assert "$0.12 today ×2" in render(desktop, "d")


def test_a_stale_machine_is_counted_and_marked(boxes, monkeypatch):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", now_ts(5), session="d")])
    desktop.step(now_s=time.time() - 1200)  # its last write: 20 minutes ago
    laptop.step()
    assert "$0.03 today (1 stale)" in render(laptop, "l")  # 10 minutes by default
    laptop.log("-w-app", "l", [line("l1", now_ts(2), session="l")])
    laptop.step()
    assert "$0.06 today ×2 (1 stale)" in render(laptop, "l")


def test_a_missing_folder_is_said_once_and_local_figures_stay(boxes):
    laptop = boxes("laptop")
    laptop.log("-w-app", "l", [line("l1", now_ts(5), session="l")])
    laptop.step()
    os.rename(laptop.folder, laptop.folder.with_name("gone"))
    laptop.step()
    out = render(laptop, "l")
    assert "$0.03 today (sync folder missing)" in out and out.count("sync folder") == 1


def test_sync_off_takes_the_others_out(boxes, monkeypatch):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", now_ts(5), session="d")])
    desktop.step()
    laptop.step()
    assert "$0.03 today" in render(laptop, "l")
    laptop.folder = ""  # type: ignore[assignment]  (COSTLINE_SYNC_DIR="": off)
    laptop.step()
    assert not (laptop.cache / "sync" / "line").exists()
    assert "$0.00 today" in render(laptop, "l")


def test_a_damaged_line_file_is_no_figure(boxes):
    laptop = boxes("laptop")
    laptop.log("-w-app", "l", [line("l1", now_ts(5), session="l")])
    laptop.step()
    (laptop.cache / "sync" / "line").write_bytes(b"\xfa\x00garbage")
    assert "$0.03 today" in render(laptop, "l")


def test_another_machines_unpriced_model_is_unknown_not_zero(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    laptop.log("-w-app", "l", [line("l1", now_ts(5), session="l")])
    desktop.log(
        "-w-app",
        "d",
        [line("d1", now_ts(5), session="d"), line("d2", now_ts(4), session="d", model="claude-mystery-9")],
    )
    desktop.step()
    laptop.step()
    assert "$0.03+? today" in render(desktop, "d")  # its own line knows
    assert "$0.06+? today ×2" in render(laptop, "l")  # so does every other machine's


def test_a_machine_with_only_unpriced_spend_still_counts(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    desktop.log("-w-app", "d", [line("d1", now_ts(5), session="d", model="claude-mystery-9")])
    desktop.step()
    laptop.log("-w-app", "l", [line("l1", now_ts(5), session="l")])
    laptop.step()
    assert "$0.03+? today ×2" in render(laptop, "l")


def test_a_line_file_with_figures_that_are_no_numbers_shows_unknown(boxes):
    import marshal

    laptop = boxes("laptop")
    laptop.log("-w-app", "l", [line("l1", now_ts(5), session="l")])
    laptop.step()
    from statusline.index.store import Store

    Store(str(laptop.cache)).mark_refresh_started(time.time())  # no background fold rewrites the line
    qh = int(time.time() * 1000) // 900_000
    for bad in (float("inf"), float("nan"), -0.05):
        doc = {"format": 1, "stale_s": 600.0, "problem": "", "machines": [["x", time.time(), {qh: bad}, []]]}
        (laptop.cache / "sync" / "line").write_bytes(marshal.dumps(doc))
        out = render(laptop, "l")
        assert "$0.03+? today ×2" in out and "inf" not in out and "nan" not in out
        assert "-" not in out.split("today")[0]
