"""Numbers no machine of ours writes (inf, NaN, 1e999, a negative charge) in another machine's
day file: the file is damaged and refused whole, never a figure of $inf, never a crash."""

from __future__ import annotations

import json

import pytest
from helpers import run_costline
from sync_helpers import ONE, line, render
from test_fold import DAY, folded_then_grown, others_cost
from test_line import now_ts

from statusline.sync import fmt


def tamper(box, day: str, edit) -> None:  # type: ignore[no-untyped-def]
    """Rewrite `box`'s day file with `edit(text)`, and its manifest to match (a whole file)."""
    share = box.share()
    path = share / "days" / f"{day}.json"
    data = edit(path.read_text()).encode()
    path.write_bytes(data)
    manifest = box.manifest()
    manifest["days"][day] = fmt.digest(data)
    (share / "machine.json").write_text(json.dumps(manifest))


def first_bucket_input(value: str):  # type: ignore[no-untyped-def]
    def edit(text: str) -> str:
        doc = json.loads(text)
        doc["buckets"][0][5] = "@@"
        return json.dumps(doc).replace('"@@"', value)

    return edit


def unlogged(value: str):  # type: ignore[no-untyped-def]
    def edit(text: str) -> str:
        doc = json.loads(text)
        doc["unlogged"] = [[doc["buckets"][0][0] * 900_000, 0, "@@"]]
        return json.dumps(doc).replace('"@@"', value)

    return edit


BAD = [
    first_bucket_input("Infinity"),
    first_bucket_input("1e999"),
    first_bucket_input("NaN"),
    first_bucket_input(str(10**400)),
    unlogged("NaN"),
    unlogged("Infinity"),
    unlogged("-0.05"),
]


@pytest.mark.parametrize("edit", BAD, ids=["inf", "1e999", "nan", "huge-int", "u-nan", "u-inf", "u-negative"])
def test_a_day_file_with_no_number_keeps_the_last_whole_one(boxes, edit):
    laptop, desktop = folded_then_grown(boxes)
    tamper(desktop, DAY, edit)
    result = laptop.step()
    assert others_cost(laptop) == {"desktop": ONE}  # the damaged file is not read
    assert [m.problem for m in result.machines if m.name == "desktop"] == ["day file unreadable"]


def test_today_reports_and_line_stay_numbers(boxes):
    laptop, desktop = boxes("laptop"), boxes("desktop")
    laptop.log("-w-app", "l", [line("l1", now_ts(5), session="l")])
    desktop.log("-w-app", "d", [line("d1", now_ts(5), session="d")])
    desktop.step()
    today = now_ts()[:10]
    tamper(desktop, today, first_bucket_input("1e999"))
    tamper(desktop, today, unlogged("-0.05"))
    laptop.step()
    out = render(laptop, "l")
    assert "$0.03 today" in out and "inf" not in out and "×" not in out
    for args in (("report", "daily", "--json"), ("report", "session")):
        proc = run_costline(b"", *args, env=laptop.env())
        assert proc.returncode == 0, proc.stderr
        assert b"inf" not in proc.stdout and b"-0.05" not in proc.stdout
