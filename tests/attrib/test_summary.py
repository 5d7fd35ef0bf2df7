"""Day summaries (attrib/summary.py) and the states' catalog (attrib/catalog.py): a warm report
reads them, and they are made again whenever what they came from changed, so they never give
another figure than the whole walk does (`report by … --project`, which still walks every
message with every state, is the reference), nor a wrong one from a corrupt file."""

from __future__ import annotations

import json
import marshal
import os
import random
import time
from pathlib import Path

import pytest
from attrib_helpers import saved_states
from helpers import assistant, write_transcript
from helpers import cost_rows as rows
from helpers import report_json as run

KINDS = ("agent", "tool", "mcp")


def line(
    msg: str, minute: int, blocks: list[dict], day: str = "2026-11-20", session: str = "s1", **u: int
) -> str:
    doc = json.loads(
        assistant(
            msg_id=msg,
            request_id=f"r{msg}",
            ts=f"{day}T10:{minute:02d}:00.000Z",
            session=session,
            usage={
                "input_tokens": 0,
                "output_tokens": u.get("out", 10),
                "cache_creation_input_tokens": u.get("write", 100),
            },
        )
    )
    doc["message"]["content"] = blocks
    return json.dumps(doc, separators=(",", ":"))


def tool_call(msg: str, minute: int, name: str, **kw: object) -> str:
    return line(msg, minute, [{"type": "tool_use", "id": f"t{msg}", "name": name, "input": {}}], **kw)  # type: ignore[arg-type]


def text(msg: str, minute: int, **kw: object) -> str:
    return line(msg, minute, [{"type": "text", "text": "ok"}], **kw)  # type: ignore[arg-type]


def turns(day: str = "2026-11-20", first: int = 0) -> list[str]:
    return [
        tool_call(f"a{first}", first, "Read", day=day),
        tool_call(f"b{first}", first + 1, "mcp__github__list_prs", day=day),
        text(f"c{first}", first + 2, day=day),
    ]


def cache() -> Path:
    return Path(os.environ["COSTLINE_CACHE_DIR"])


def states() -> Path:
    from statusline.attrib.build import folder

    return Path(folder(str(cache())))


def saved_files() -> list[Path]:
    """The states' files: their own and the packs."""
    return sorted(p for p in states().rglob("*") if p.is_file())


def summary_files() -> list[Path]:
    """The day summaries' files (one per zone and month)."""
    from statusline.attrib.catalog import folder

    return sorted(p for p in Path(folder(str(cache()))).glob("z*/*-*") if p.is_file())


def assert_as_the_whole_walk(*args: str) -> dict[str, dict[str, float]]:
    """Every split kind from the summaries equals the whole walk's, to the cent (and rounding)."""
    out = {}
    for kind in KINDS:
        fast, slow = run("by", kind, *args), run("by", kind, "--project", "-w", "--no-refresh", *args)
        assert rows(fast) == pytest.approx(rows(slow), abs=1e-9), kind
        assert [(r["name"], r["inputTokens"], r["outputTokens"]) for r in fast["rows"]] == [
            (r["name"], r["inputTokens"], r["outputTokens"]) for r in slow["rows"]
        ]
        assert fast["totals"]["totalCost"] == pytest.approx(slow["totals"]["totalCost"], abs=1e-9)
        out[kind] = rows(fast)
    return out


def test_summaries_are_kept_and_follow_a_growing_transcript(config_dir):
    path = write_transcript(config_dir, "-w-app", "s1.jsonl", turns())
    first = assert_as_the_whole_walk()
    assert set(first["tool"]) == {"Read", "mcp__github__list_prs", "conversation"}
    assert set(first["mcp"]) == {"github", "other tools", "conversation"}
    files = summary_files()
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    before = files[0].stat().st_mtime_ns
    assert_as_the_whole_walk()
    assert files[0].stat().st_mtime_ns == before  # warm: read, not made again
    write_transcript(config_dir, "-w-app", "s1.jsonl", turns(first=10), mode="a")
    write_transcript(config_dir, "-w-app", "s1.jsonl", turns("2026-11-21", 20), mode="a")
    grown = assert_as_the_whole_walk()
    assert grown["tool"]["Read"] > first["tool"]["Read"]
    assert_as_the_whole_walk("--since", "20261121")
    assert_as_the_whole_walk("--until", "20261120")
    assert path.exists()


def test_a_late_meta_json_relabels_a_day_whose_hour_files_did_not_change(config_dir):
    write_transcript(config_dir, "-w-app", "s1.jsonl", [text("m1", 0)])
    sub = [text("e1", 1).replace('"isSidechain":false', '"isSidechain":true')]
    write_transcript(config_dir, "-w-app", "s1/subagents/agent-abc.jsonl", sub)
    assert set(assert_as_the_whole_walk()["agent"]) == {"main", "subagent"}
    (config_dir / "projects" / "-w-app" / "s1" / "subagents" / "agent-abc.meta.json").write_text(
        json.dumps({"agentType": "Explore"})
    )
    assert set(assert_as_the_whole_walk()["agent"]) == {"main", "Explore"}


@pytest.mark.parametrize("how", ["deleted", "corrupt"])
def test_a_lost_state_of_a_deleted_transcript_leaves_its_messages_unattributed(config_dir, how):
    path = write_transcript(config_dir, "-w-app", "s1.jsonl", turns())
    whole = sum(assert_as_the_whole_walk()["tool"].values())
    path.unlink()  # the index keeps counting its messages; the state was their only split
    assert set(assert_as_the_whole_walk()["tool"]) == {"Read", "mcp__github__list_prs", "conversation"}
    files = saved_files()  # the pack it was first saved in (and its own file, once retired)
    assert files
    for state in files:
        if how == "deleted":
            state.unlink()
        else:
            state.write_bytes(b"\x00garbage")
    for kind, found in assert_as_the_whole_walk().items():
        assert found == pytest.approx({"unattributed": whole}), kind


def test_a_corrupt_state_is_read_again_from_its_transcript(config_dir):
    write_transcript(config_dir, "-w-app", "s1.jsonl", turns())
    first = assert_as_the_whole_walk()
    (state,) = saved_files()  # a pack of one
    state.write_bytes(state.read_bytes()[:40])
    assert assert_as_the_whole_walk() == first


def test_a_state_another_process_rewrote_is_read_not_the_catalogs_entry(config_dir):
    write_transcript(config_dir, "-w-app", "s1.jsonl", [text("m1", 0)])
    sub = [text("e1", 1).replace('"isSidechain":false', '"isSidechain":true')]
    write_transcript(config_dir, "-w-app", "s1/subagents/agent-abc.jsonl", sub)
    assert "subagent" in assert_as_the_whole_walk()["agent"]
    for name, doc in saved_states(str(cache())).items():  # as another costline would: a type found meanwhile
        if doc["agent_id"]:
            doc["agent_type"] = "reviewer"
            (states() / name).write_bytes(marshal.dumps(doc))
    assert set(assert_as_the_whole_walk()["agent"]) == {"main", "reviewer"}


def test_a_corrupt_summary_is_ignored_never_read_as_figures(config_dir):
    write_transcript(config_dir, "-w-app", "s1.jsonl", turns() + turns("2026-11-21", 10))
    right = assert_as_the_whole_walk()
    (target,) = [f for f in summary_files() if f.name == "2026-11"]
    good = target.read_bytes()
    rnd = random.Random(7)
    for _ in range(12):
        data = bytearray(good)
        data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
        target.write_bytes(bytes(data))
        assert assert_as_the_whole_walk() == right
    for bad in (b"", good[: len(good) // 2], b"not a summary"):
        target.write_bytes(bad)
        assert assert_as_the_whole_walk() == right


def test_a_summary_made_in_another_zone_or_for_other_hours_is_not_used(config_dir):
    write_transcript(config_dir, "-w-app", "s1.jsonl", turns())
    utc = assert_as_the_whole_walk()
    from click.testing import CliRunner

    from statusline.cli import cli

    def tokyo(kind: str, *extra: str) -> dict[str, float]:
        out = CliRunner().invoke(cli, ["report", "by", kind, "--json", "-z", "Asia/Tokyo", *extra])
        assert out.exit_code == 0, out.output
        return rows(json.loads(out.stdout))

    for kind in KINDS:
        assert tokyo(kind) == pytest.approx(tokyo(kind, "--project", "-w"))
    # Another config's summary copied over this one: its hour files' signatures are not these.
    (target,) = summary_files()[:1]
    saved = target.read_bytes()
    write_transcript(config_dir, "-w-app", "s1.jsonl", turns(first=30), mode="a")
    grown = assert_as_the_whole_walk()
    target.write_bytes(saved)
    assert assert_as_the_whole_walk() == grown != utc


def test_the_page_blocks_follow_new_hours(config_dir):
    from statusline import report as rp
    from statusline.attrib.summary import summaries
    from statusline.cli.report import prepare
    from statusline.cli.where import catalog_now

    def both() -> tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]]:
        store, pricer, tz = prepare(True, "UTC")
        now = int(time.time() * 1000)
        kept = summaries(store, pricer, tz, catalog_now()).blocks(pricer, now, store.cache)  # type: ignore[arg-type]
        whole = rp.blocks(store, pricer, now)
        return [(b.start_ms, b.end_ms, b.row.cost) for b in kept], [
            (b.start_ms, b.end_ms, b.row.cost) for b in whole
        ]

    write_transcript(config_dir, "-w-app", "s1.jsonl", turns())
    kept, whole = both()
    assert kept == whole and len(kept) == 1
    write_transcript(config_dir, "-w-app", "s1.jsonl", turns("2026-11-21", 10), mode="a")
    kept, whole = both()
    assert kept == whole and len(kept) == 3  # a block, a gap, a block


def test_a_message_a_render_booked_into_an_hours_delta_is_in_the_day(config_dir, monkeypatch):
    # index/book.py: a render appends its new messages to `<HH>.new` and leaves the hour file as
    # it was; a new session's first message is in no state the day's summary depends on.
    import re

    from helpers import payload
    from index_helpers import refresh

    from statusline.index import exact
    from statusline.render import build_line
    from statusline.timeutil import parse_iso_ms

    monkeypatch.setattr(exact, "IDS_HOURS", 10**9)  # id indexes for these old hours too
    other = [text(f"b{i}", 5 + i).replace('"s1"', '"s2"') for i in range(3)]
    write_transcript(config_dir, "-w-app", "s2.jsonl", other)
    refresh()
    first = run("by", "tool", "--no-refresh")["totals"]["totalCost"]
    path = write_transcript(config_dir, "-w-app", "s1.jsonl", [tool_call("a1", 20, "Read")])
    now = parse_iso_ms("2026-11-20T10:30:00.000Z") / 1000
    line = build_line(payload(path), {**os.environ, "NO_COLOR": "1"}, now, [])
    assert re.search(r"\$[0-9.]+ today", line), line
    assert (cache() / "index" / "v2" / "hours" / "2026-11-20" / "10.new").exists()
    daily = run("daily", "--no-refresh")["totals"]["totalCost"]
    assert daily > first
    for kind in KINDS:
        doc = run("by", kind, "--no-refresh")
        assert doc["totals"]["totalCost"] == pytest.approx(daily, abs=1e-9), kind
        slow = run("by", kind, "--no-refresh", "--project", "-w")
        assert rows(doc) == pytest.approx(rows(slow), abs=1e-9), kind


def _summaries_anew() -> dict[str, dict]:
    """Every day's summary made again (none kept), in UTC, but for its id (another each time)."""
    import shutil

    from statusline.attrib.catalog import folder
    from statusline.attrib.summary import summaries
    from statusline.cli.report import prepare
    from statusline.cli.where import catalog_now

    for child in Path(folder(str(cache()))).glob("z*"):
        shutil.rmtree(child)
    store, pricer, tz = prepare(False, "UTC")
    days = summaries(store, pricer, tz, catalog_now()).days  # type: ignore[arg-type]
    return {day: {k: v for k, v in entry.items() if k != "id"} for day, entry in days.items()}


@pytest.mark.parametrize("share", ["returned", "died"])
def test_many_stale_days_summed_in_two_processes_are_the_days_one_process_sums(
    config_dir, monkeypatch, share
):
    from statusline.attrib import summing as summary

    _ten_days(config_dir)
    assert_as_the_whole_walk()
    monkeypatch.setattr(summary, "PARALLEL_DAYS", 10**6)
    alone = _summaries_anew()
    assert len(alone) == 10
    monkeypatch.setattr(summary, "PARALLEL_DAYS", 2)
    parent, summed_by, made = os.getpid(), cache() / "summed-by", summary._build_share
    summed_by.mkdir()

    def share_of(days: dict) -> dict:
        assert os.getpid() != parent  # a share is summed in a forked process
        with open(summed_by / str(os.getpid()), "a") as fh:  # a process sums several shares
            fh.write(" ".join(sorted(days)) + "\n")
        if share == "died":  # each forked process dies: its days are summed by the parent
            os._exit(9)
        return made(days)  # type: ignore[arg-type]

    monkeypatch.setattr(summary, "_build_share", share_of)
    assert _summaries_anew() == alone
    if os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
        shares = [line.split() for p in summed_by.iterdir() for line in p.read_text().splitlines()]
        assert shares  # forked (a process that died breaks the pool: the other share may not start)
        if share == "returned":
            ordered = sorted(alone)
            assert sorted(d for s in shares for d in s) == ordered
            # Each share a run of consecutive days (its process loads the states of its days'
            # sessions only), a process summing one run after another.
            assert len(shares) > 2
            for days in shares:
                first = ordered.index(days[0])
                assert days == ordered[first : first + len(days)]


def _ten_days(config_dir) -> None:
    for n in range(10):  # ten days, two sessions, a tool and an MCP server each day
        day = f"2026-11-{10 + n:02d}"
        write_transcript(config_dir, "-w-app", f"s{n % 2}.jsonl", turns(day, n * 3), mode="a")


@pytest.mark.parametrize("fails", [False, True])
def test_what_a_page_needs_besides_the_summaries_is_made_while_other_processes_sum(
    config_dir, monkeypatch, fails
):
    """A first page's projects and 5-hour blocks are made while the forked processes sum its
    days (summaries' `meanwhile`), once; what that raises is raised once the processes ended."""
    from click.testing import CliRunner

    from statusline import report
    from statusline.attrib import summary, summing
    from statusline.cli import cli

    _ten_days(config_dir)
    monkeypatch.setattr(summing, "PARALLEL_DAYS", 2)
    seen: list[str] = []
    projects, blocks = report.session_projects, summary.Summaries._made_blocks

    def session_projects(*args: object) -> object:
        seen.append(f"projects {bool(summing._shared)}")  # set while the shares are summed
        if fails:
            raise OSError("no projects")
        return projects(*args)  # type: ignore[arg-type]

    def made_blocks(*args: object) -> object:
        seen.append(f"blocks {bool(summing._shared)}")
        return blocks(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(report, "session_projects", session_projects)
    monkeypatch.setattr(summary.Summaries, "_made_blocks", made_blocks)
    page = cache() / "page.html"
    out = CliRunner().invoke(cli, ["report", "html", "-o", str(page), "-z", "UTC"])
    if fails:
        assert isinstance(out.exception, OSError) and seen == ["projects True"]
        assert not summing._shared
        return
    assert out.exit_code == 0, out.output
    expected = (
        ["projects True", "blocks True"] if (os.cpu_count() or 1) > 1 else ["projects False", "blocks False"]
    )
    assert seen == expected  # once each: collect takes what was made meanwhile


def test_days_are_summed_without_cyclic_garbage_collection(config_dir, monkeypatch):
    """A first report sums every message's split: generational passes over those acyclic lists
    cost about a third of it (summing.make), and the collector is as it was afterwards."""
    import gc

    from statusline.attrib import summing

    write_transcript(config_dir, "-w-app", "s1.jsonl", turns())
    made, seen = summing._build_days, []

    def build_days(*args: object) -> dict:
        seen.append(gc.isenabled())
        return made(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(summing, "_build_days", build_days)
    assert gc.isenabled()
    assert_as_the_whole_walk()
    assert seen == [False] and gc.isenabled()


def test_days_are_cut_into_runs_of_about_equal_bytes():
    from statusline.attrib.summing import runs_of_days

    assert runs_of_days([1] * 10, 2) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert runs_of_days([1, 2, 3, 4, 5, 6, 7, 8], 3) == [[0, 1, 2, 3], [4, 5], [6, 7]]
    assert runs_of_days([9, 1, 1, 1, 1, 1], 2) == [[0], [1, 2, 3, 4, 5]]
    assert runs_of_days([3], 4) == [[0]] and runs_of_days([], 2) == []
    sizes = [(n * 7919) % 97 + 1 for n in range(31)]
    runs = runs_of_days(sizes, 8)
    assert [i for run in runs for i in run] == list(range(31)) and len(runs) == 8
    assert max(sum(sizes[i] for i in run) for run in runs) < 2.5 * sum(sizes) / 8
