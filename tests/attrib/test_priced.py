"""Priced answers (attrib/priced.py): a warm `report by` or page reads the rows the last report
priced from the same day summaries, and prices them again whenever a summary was made again or
a price it used changed; a corrupt file is never read as figures.

Prices are hand-checkable: Opus 4.8 at $5 input and $25 output per MTok, one default line
10 input and 100 output tokens (helpers.ONE); an override makes it $7 and $30 (no new period:
the day summaries stay current, only the kept answer's prices tell)."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from helpers import ONE, assistant, write_transcript
from helpers import cost_rows as rows
from helpers import report_json as run

KINDS = ("agent", "tool", "mcp")
NEW_PRICE = (10 * 7 + 100 * 30) / 1e6  # one default line at the override's rates


def lines(day: str = "2026-11-20", first: int = 0, count: int = 3, session: str = "s1") -> list[str]:
    out = []
    for n in range(first, first + count):
        doc = json.loads(
            assistant(msg_id=f"m{n}", request_id=f"r{n}", ts=f"{day}T10:{n:02d}:00.000Z", session=session)
        )
        doc["message"]["content"] = [{"type": "tool_use", "id": f"t{n}", "name": "Read", "input": {}}]
        out.append(json.dumps(doc, separators=(",", ":")))
    return out


def kept_file() -> Path:
    from statusline.attrib.catalog import folder

    (path,) = Path(folder(os.environ["COSTLINE_CACHE_DIR"])).glob("z*/priced")
    return path


def answers() -> dict[bytes, dict]:
    from statusline.attrib.priced import Kept

    return Kept(str(kept_file())).answers()


def new_price(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tmp_path / "override.toml"
    settings.write_text(
        '[pricing]\noffline = true\n[pricing.overrides."claude-opus-4-8"]\ninput = 7\noutput = 30\n'
    )
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))


def page_sessions() -> list[tuple]:
    """What the page lists of each session (Summaries.sessions), from the summaries of now."""
    from statusline.attrib.summary import summaries
    from statusline.cli.report import prepare
    from statusline.cli.where import catalog_now

    store, pricer, tz = prepare(True, "UTC", True)
    return summaries(store, pricer, tz, catalog_now()).sessions(pricer)  # type: ignore[arg-type]


def test_a_warm_report_reads_the_answer_it_kept_and_sums_nothing_again(config_dir, monkeypatch):
    from statusline.attrib import summary
    from statusline.attrib.summary import Summaries

    write_transcript(config_dir, "-w-app", "s1.jsonl", lines())
    first = {kind: rows(run("by", kind)) for kind in KINDS}
    assert sum(first["tool"].values()) == pytest.approx(3 * ONE, abs=1e-12)
    assert len(answers()) == 3

    def summed(*_: object) -> None:
        raise AssertionError("summed again")

    monkeypatch.setattr(Summaries, "_summed", summed)
    monkeypatch.setattr(summary._Month, "sums", summed)  # nor the days' sums read
    assert {kind: rows(run("by", kind)) for kind in KINDS} == first  # bit for bit: the kept rows


def test_a_report_walks_the_transcripts_once(config_dir, monkeypatch):
    """The catalog lists what the report's own scan walked (cli/where.py catalog_now)."""
    from statusline.index import scan

    write_transcript(config_dir, "-w-app", "s1.jsonl", lines())
    walk, walks = scan.walk_transcripts, []

    def counted(roots: list[str]) -> object:
        walks.append(roots)
        return walk(roots)

    monkeypatch.setattr(scan, "walk_transcripts", counted)
    for kind in KINDS:
        assert sum(rows(run("by", kind)).values()) == pytest.approx(3 * ONE, abs=1e-12)
    assert len(walks) == len(KINDS)
    run("by", "tool", "--no-refresh")  # no scan: the catalog walks them itself
    assert len(walks) == len(KINDS) + 1


def test_a_price_that_changed_prices_the_kept_answers_again(config_dir, tmp_path, monkeypatch):
    write_transcript(config_dir, "-w-app", "s1.jsonl", lines())
    write_transcript(config_dir, "-w-app", "s2.jsonl", lines("2026-11-21", 10, 2, "s2"))
    for kind in KINDS:
        assert sum(rows(run("by", kind)).values()) == pytest.approx(5 * ONE, abs=1e-12)
    sessions = page_sessions()
    assert [(s[0], s[1]) for s in sessions] == [
        ("s1", pytest.approx(3 * ONE)),
        ("s2", pytest.approx(2 * ONE)),
    ]
    new_price(tmp_path, monkeypatch)
    for kind in KINDS:
        doc = run("by", kind)
        assert doc["totals"]["totalCost"] == pytest.approx(5 * NEW_PRICE, abs=1e-12), kind
        assert doc["totals"]["totalCost"] == pytest.approx(run("daily")["totals"]["totalCost"], abs=1e-12)
    assert [(s[0], s[1]) for s in page_sessions()] == [
        ("s1", pytest.approx(3 * NEW_PRICE)),
        ("s2", pytest.approx(2 * NEW_PRICE)),
    ]


def test_a_day_summed_again_is_priced_again_and_its_old_answers_dropped(config_dir):
    path = write_transcript(config_dir, "-w-app", "s1.jsonl", lines())
    assert sum(rows(run("by", "tool")).values()) == pytest.approx(3 * ONE, abs=1e-12)
    assert [s[1] for s in page_sessions()] == [pytest.approx(3 * ONE)]
    before = set(answers())
    assert len(before) == 2
    write_transcript(config_dir, "-w-app", "s1.jsonl", lines(first=3, count=2), mode="a")
    assert sum(rows(run("by", "tool")).values()) == pytest.approx(5 * ONE, abs=1e-12)
    assert not before & set(answers())  # both were made from the day summed again
    assert [s[1] for s in page_sessions()] == [pytest.approx(5 * ONE)]
    assert path.exists()


def test_a_corrupt_file_of_answers_is_never_read_as_figures(config_dir):
    write_transcript(config_dir, "-w-app", "s1.jsonl", lines())
    right = {kind: rows(run("by", kind)) for kind in KINDS}
    good = kept_file().read_bytes()
    rnd = random.Random(11)
    for n in range(16):
        data = bytearray(good)
        data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
        for bad in (bytes(data), good[: n * len(good) // 16], b"costline-priced\x00" + b"\x00" * 40):
            kept_file().write_bytes(bad)
            assert {kind: rows(run("by", kind)) for kind in KINDS} == right


def test_the_page_blocks_are_priced_again_when_a_price_changes(config_dir, tmp_path, monkeypatch):
    import time

    from statusline import report as rp
    from statusline.attrib.summary import summaries
    from statusline.cli.report import prepare
    from statusline.cli.where import catalog_now

    def both() -> tuple[list[tuple[int, int, float, bool]], list[tuple[int, int, float, bool]]]:
        store, pricer, tz = prepare(True, "UTC", True)
        now = int(time.time() * 1000)
        kept = summaries(store, pricer, tz, catalog_now()).blocks(pricer, now, store.cache)  # type: ignore[arg-type]
        whole = rp.blocks(store, pricer, now)
        return [(b.start_ms, b.end_ms, b.row.cost, b.active) for b in kept], [
            (b.start_ms, b.end_ms, b.row.cost, b.active) for b in whole
        ]

    write_transcript(config_dir, "-w-app", "s1.jsonl", lines() + lines("2026-11-21", 10, 2))
    for _ in range(2):  # made, then read back priced
        kept, whole = both()
        assert kept == whole and [b[2] for b in kept] == [pytest.approx(3 * ONE), 0.0, pytest.approx(2 * ONE)]
    new_price(tmp_path, monkeypatch)
    kept, whole = both()
    assert kept == whole and [b[2] for b in kept] == [
        pytest.approx(3 * NEW_PRICE),
        0.0,
        pytest.approx(2 * NEW_PRICE),
    ]
