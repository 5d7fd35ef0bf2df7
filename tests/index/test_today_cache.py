"""A render's today: closed hours from a cached total, checked against every hour file's and the
price table's signature; the hour being written on top. Always the figure a plain sum gives."""

from __future__ import annotations

import os
import re
from pathlib import Path

from helpers import assistant, payload, write_transcript
from index_helpers import refresh

from statusline.render import build_line
from statusline.timeutil import parse_iso_ms

NOW = parse_iso_ms("2026-11-20T15:30:00.000Z") / 1000
BIG = {"output_tokens": 100_000}
ONE = 10 * 5 / 1e6 + 100_000 * 25 / 1e6  # Opus 4.8, 10 in, 100,000 out: $2.50005
ENV = {"NO_COLOR": "1", "TZ": "UTC0"}


def today(path: Path, session: str = "s1") -> float:
    line = build_line(payload(path, session=session), {**os.environ, **ENV}, NOW, [])
    found = re.search(r"\$([0-9.]+)\S* today", line)
    assert found, line
    return float(found.group(1))


def one_message(config_dir: Path) -> Path:
    """A transcript with one $2.50005 message at 10:00 today."""
    line = assistant(msg_id="a", request_id="ra", usage=BIG, ts="2026-11-20T10:00:00.000Z")
    return write_transcript(config_dir, "p", "s1.jsonl", [line])


def cache_file() -> Path:
    return Path(os.environ["COSTLINE_CACHE_DIR"]) / "index" / "v2" / "today"


def test_closed_hours_come_from_the_cache_and_stay_exact(config_dir):
    lines = [
        assistant(msg_id="a", request_id="ra", usage=BIG, ts="2026-11-20T10:00:00.000Z"),
        assistant(msg_id="b", request_id="rb", usage=BIG, ts="2026-11-20T15:10:00.000Z"),
    ]
    path = write_transcript(config_dir, "p", "s1.jsonl", lines)
    refresh()
    assert today(path) == round(2 * ONE, 2)
    assert cache_file().exists()
    # Another session's message in a closed hour, indexed by a refresh: the cache no longer fits.
    write_transcript(
        config_dir,
        "p",
        "s2.jsonl",
        [assistant(msg_id="c", request_id="rc", session="s2", usage=BIG, ts="2026-11-20T11:00:00.000Z")] * 40,
    )
    refresh()
    assert today(path) == round(3 * ONE, 2)
    # This session's new line in the current hour: read by the render itself, on top of the cache.
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [assistant(msg_id="d", request_id="rd", usage=BIG, ts="2026-11-20T15:20:00.000Z")],
        mode="a",
    )
    assert today(path) == round(4 * ONE, 2)


def test_an_unreadable_cache_is_a_miss_not_a_reindex(config_dir):
    path = one_message(config_dir)
    store = refresh()
    today(path)
    epoch = store.read_meta().get("rescan_epoch")
    cache_file().write_bytes(b"\x00garbage")
    assert today(path) == round(ONE, 2)
    assert store.read_meta().get("rescan_epoch") == epoch


def test_a_price_change_is_seen_at_once(config_dir, tmp_path):
    path = one_message(config_dir)
    refresh()
    assert today(path) == round(ONE, 2)
    # Your price for Opus 4.8 at ten times the list: the compiled table is rebuilt, its signature too.
    config = Path(os.environ["COSTLINE_CONFIG"])
    config.write_text(
        config.read_text() + '\n[pricing.overrides."claude-opus-4-8"]\ninput = 50.0\noutput = 250.0\n'
    )
    assert today(path) == round(10 * ONE, 2)


def test_a_table_compiled_by_another_process_mid_render_is_not_cached_as_this_ones(config_dir):
    from statusline.context import Context
    from statusline.paths import cache_dir
    from statusline.price_table import compile_table

    path = one_message(config_dir)
    refresh()
    assert today(path) == round(ONE, 2)
    ctx = Context({"session_id": "s1", "transcript_path": str(path)}, NOW, {**os.environ, **ENV}, cache_dir())
    assert ctx.config  # this render has read the table: list prices
    config = Path(os.environ["COSTLINE_CONFIG"])
    config.write_text(
        config.read_text() + '\n[pricing.overrides."claude-opus-4-8"]\ninput = 50.0\noutput = 250.0\n'
    )
    compile_table(cache_dir())  # another process compiles the new table meanwhile
    assert round(ctx.today().usd, 2) == round(ONE, 2)  # this render: the table it read
    assert today(path) == round(10 * ONE, 2)  # the next: the new one, not a total cached under it


def _listings(monkeypatch) -> list[str]:
    """The day folders the render lists from now on."""
    from statusline import fs

    listed: list[str] = []
    real = fs.listdir

    def listdir(path: str) -> list[str]:
        if "/hours/" in path:
            listed.append(path.rsplit("/", 1)[1])
        return real(path)

    monkeypatch.setattr(fs, "listdir", listdir)
    return listed


def _settle(day: str, seconds_before_now: float) -> None:
    folder = Path(os.environ["COSTLINE_CACHE_DIR"]) / "index" / "v2" / "hours" / day
    os.utime(folder, (NOW - seconds_before_now, NOW - seconds_before_now))


def test_a_settled_day_folder_is_not_listed_again_until_it_changes(config_dir, monkeypatch):
    path = one_message(config_dir)
    refresh()
    _settle("2026-11-20", 10)
    listed = _listings(monkeypatch)
    assert today(path) == round(ONE, 2)
    assert listed  # listed (and summed: the cache was empty), kept with the folder's signature
    listed.clear()
    assert today(path) == round(ONE, 2)
    assert listed == []  # not again: the folder is unchanged
    # A refresh replaces an hour file (a rename in the folder): listed again, the new figure.
    write_transcript(
        config_dir,
        "p",
        "s2.jsonl",
        [assistant(msg_id="c", request_id="rc", session="s2", usage=BIG, ts="2026-11-20T11:00:00.000Z")],
    )
    refresh()
    assert today(path) == round(2 * ONE, 2)
    assert listed.count("2026-11-20") >= 2
    # This session's line booked into a new delta (a new file in the folder): seen at once.
    write_transcript(
        config_dir,
        "p",
        "s1.jsonl",
        [assistant(msg_id="d", request_id="rd", usage=BIG, ts="2026-11-20T15:20:00.000Z")],
        mode="a",
    )
    assert today(path) == round(3 * ONE, 2)
    _settle("2026-11-20", 10)
    assert today(path) == round(3 * ONE, 2)  # listed, kept
    listed.clear()
    assert today(path) == round(3 * ONE, 2)  # from the kept listing; the delta read on top
    assert listed == []
    # An hour file set aside (moved out of the folder) is a change too.
    hour = Path(os.environ["COSTLINE_CACHE_DIR"]) / "index" / "v2" / "hours" / "2026-11-20" / "11"
    hour.rename(hour.with_name("11.away"))
    assert today(path) < round(3 * ONE, 2)
    hour.with_name("11.away").rename(hour)


def test_a_day_folder_that_changed_just_before_its_listing_is_not_kept(config_dir, monkeypatch):
    path = one_message(config_dir)
    refresh()
    _settle("2026-11-20", 0.2)  # changed within the clock ticks a rename may share: not trusted
    listed = _listings(monkeypatch)
    assert today(path) == round(ONE, 2)
    listed.clear()
    for _ in range(3):
        assert today(path) == round(ONE, 2)
    assert listed == ["2026-11-20"] * 3
