"""costline on two machines kept in step by real Syncthing (issue 20): every figure counts every
machine once.

"laptop" sits on Syncthing instance alpha and "desktop" on beta (tests/sync/syncthing.py), each
with its own HOME, Claude config dir, cache, state dir and config, their [sync] dirs being the same
folder as each instance sees it. A session runs on each machine and one session is on both (the
same transcript file in both Claude config dirs). Expected dollars are worked out by hand from the
token counts and the bundled prices, in USD per million tokens:

    Opus 4.8   input 5, output 25, cache read 0.50
    Sonnet 4.6 input 3, output 15, cache read 0.30
    Haiku 4.5  input 1, output 5

Messages are stamped with today's UTC date at fixed times just after midnight, so "today" is the
test's own (a run across UTC midnight itself would see another day).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import COSTLINE, assistant, payload, wait_for_refresh, write_transcript
from syncthing import Machine, Pair, tree

OPUS, SONNET, HAIKU = "claude-opus-4-8", "claude-sonnet-4-6", "claude-haiku-4-5"

# laptop's own session, Opus 4.8:
#   L1: 100,000 input + 20,000 output    = 0.50 + 0.50 = 1.00
#   L2: 1,000,000 cache read + 4,000 out = 0.50 + 0.10 = 0.60
LAPTOP_USD = 1.60
# desktop's own session, Sonnet 4.6:
#   D1: 200,000 input + 20,000 output + 1,000,000 cache read = 0.60 + 0.30 + 0.30 = 1.20
DESKTOP_USD = 1.20
# the session on both machines, Haiku 4.5:
#   S1: 300,000 input + 100,000 output = 0.30 + 0.50 = 0.80
#   S2: 40,000 output                  = 0.20
SHARED_USD = 1.00
# Every machine's today, the shared session once: 1.60 + 1.20 + 1.00
ALL_USD = 3.80
# Tokens of that total: input 100k + 200k + 300k; output 20k + 4k + 20k + 100k + 40k;
# cache reads 1M (L2) + 1M (D1).
ALL_TOKENS = {"inputTokens": 600_000, "outputTokens": 184_000, "cacheReadTokens": 2_000_000}

TODAY_FIGURE = re.compile(r"\$(\d+\.\d\d) today")


def day() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


def at(minute: int, second: int = 0) -> str:
    """Today (UTC), `minute` minutes past midnight."""
    return f"{day()}T00:{minute:02d}:{second:02d}.000Z"


def response(msg: str, session: str, model: str, minute: int, **tokens: int) -> str:
    """One response with exactly these tokens (every other count 0)."""
    usage = dict.fromkeys(
        ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"), 0
    )
    usage.update(tokens)
    return assistant(
        msg_id=msg, request_id="r" + msg, session=session, model=model, ts=at(minute), usage=usage
    )


@dataclass
class World:
    pair: Pair
    laptop: Machine
    desktop: Machine
    laptop_session: Path
    desktop_session: Path

    @property
    def both(self) -> tuple[Machine, Machine]:
        return self.laptop, self.desktop


def start(pair: Pair, machines: tuple[Machine, Machine]) -> World:
    """The three sessions written, nothing published yet."""
    laptop, desktop = machines
    lap = write_transcript(
        laptop.claude,
        "-w-app",
        "s-laptop.jsonl",
        [
            response("L1", "s-laptop", OPUS, 1, input_tokens=100_000, output_tokens=20_000),
            response("L2", "s-laptop", OPUS, 2, cache_read_input_tokens=1_000_000, output_tokens=4_000),
        ],
    )
    desk = write_transcript(
        desktop.claude,
        "-w-site",
        "s-desktop.jsonl",
        [
            response(
                "D1",
                "s-desktop",
                SONNET,
                3,
                input_tokens=200_000,
                output_tokens=20_000,
                cache_read_input_tokens=1_000_000,
            )
        ],
    )
    shared = write_transcript(
        laptop.claude,
        "-w-both",
        "s-shared.jsonl",
        [
            response("S1", "s-shared", HAIKU, 4, input_tokens=300_000, output_tokens=100_000),
            response("S2", "s-shared", HAIKU, 5, output_tokens=40_000),
        ],
    )
    copy = desktop.claude / "projects" / "-w-both" / "s-shared.jsonl"
    copy.parent.mkdir(parents=True)
    shutil.copy2(shared, copy)
    return World(pair, laptop, desktop, lap, desk)


def publish_and_fold(world: World) -> None:
    """Each machine publishes, Syncthing carries the shares across, each folds the other's in."""
    for m in world.both:
        m.run("sync", "now")
    world.pair.sync()
    for m in world.both:
        m.run("sync", "now")


def render(machine: Machine, transcript: Path, session: str, env: dict[str, str] | None = None) -> str:
    """The status line for a payload of `session`, as Claude Code runs it on that machine."""
    out = machine.run(
        stdin=payload(transcript, session=session), env={"NO_COLOR": "1", "COLUMNS": "300", **(env or {})}
    )
    wait_for_refresh(machine.cache)  # a background refresh the render started is done
    text = out.stdout.decode()
    assert text.count("\n") == 1, text
    return text.strip()


def today_usd(line: str) -> float:
    found = TODAY_FIGURE.search(line)
    assert found, line
    return float(found.group(1))


def daily_row(machine: Machine, *args: str) -> dict[str, object]:
    doc = json.loads(machine.run("report", "daily", "--json", "-z", "UTC", *args).stdout)
    rows = [r for r in doc["daily"] if r["period"] == day()]
    assert len(rows) == 1, doc
    return dict(rows[0])


def assert_daily(machine: Machine, usd: float) -> None:
    """`report daily --json` on that machine: today's row and the totals both come to `usd`."""
    doc = json.loads(machine.run("report", "daily", "--json", "-z", "UTC").stdout)
    (row,) = [r for r in doc["daily"] if r["period"] == day()]
    assert row["totalCost"] == pytest.approx(usd, abs=1e-9), (machine.name, row)
    assert sum(row["machines"].values()) == pytest.approx(usd, abs=1e-9), (machine.name, row)
    assert doc["totals"]["totalCost"] == pytest.approx(usd, abs=1e-9), (machine.name, doc["totals"])


def status(machine: Machine, env: dict[str, str] | None = None) -> dict[str, dict[str, object]]:
    """`costline sync status --json` on that machine, by machine name."""
    doc = json.loads(machine.run("sync", "status", "--json", env=env).stdout)
    return {m["name"]: m for m in doc["machines"]}


def desktop_share(world: World, side: Path) -> Path:
    """The desktop's share folder as `side` (a costline sync dir on alpha or beta) holds it."""
    mid = (world.desktop.state / "machine-id").read_text().strip()
    return side / f"m-{mid}"


@pytest.fixture
def world(pair: Pair, machines: tuple[Machine, Machine]) -> World:
    return start(pair, machines)


def test_each_machines_line_counts_every_machine_and_the_shared_session_once(world: World):
    publish_and_fold(world)
    # laptop: its own $1.60 session; today $3.80 from two machines.
    line = render(world.laptop, world.laptop_session, "s-laptop")
    assert "$1.60 session" in line and "$3.80 today ×2" in line and "stale" not in line, line
    line = render(world.desktop, world.desktop_session, "s-desktop")
    assert "$1.20 session" in line and "$3.80 today ×2" in line and "stale" not in line, line
    for m in world.both:
        seen = status(m)
        assert set(seen) == {"laptop", "desktop"}
        assert all(row["problem"] == "" for row in seen.values()), seen
        # Both shares, the one written here and the one Syncthing brought: owner-only.
        for path in [m.sync_dir, *m.sync_dir.rglob("*")]:
            assert path.stat().st_mode & 0o077 == 0, (m.name, path, oct(path.stat().st_mode))


def test_each_machines_report_daily_counts_every_machine_and_the_shared_session_once(world: World):
    publish_and_fold(world)
    # The shared session is the reading machine's own copy: laptop 1.60 + 1.00, desktop 1.20 + 1.00.
    splits = {
        "laptop": {"laptop": LAPTOP_USD + SHARED_USD, "desktop": DESKTOP_USD},
        "desktop": {"desktop": DESKTOP_USD + SHARED_USD, "laptop": LAPTOP_USD},
    }
    for m in world.both:
        row = daily_row(m)
        assert row["totalCost"] == pytest.approx(ALL_USD, abs=1e-9), row
        assert {k: row[k] for k in ALL_TOKENS} == ALL_TOKENS, row
        assert row["machines"] == pytest.approx(splits[m.name], abs=1e-9), row
        own = daily_row(m, "--this-machine")
        assert own["totalCost"] == pytest.approx(splits[m.name][m.name], abs=1e-9), own


def test_a_machine_that_stopped_shows_stale_and_keeps_its_figures(world: World):
    """desktop publishes once and stops; its manifest says it last wrote 30 minutes ago."""
    world.laptop.run("sync", "now")  # laptop's share first: it folds no desktop manifest yet
    world.desktop.run("sync", "now")
    beta_share = desktop_share(world, world.desktop.sync_dir)
    manifest = beta_share / "machine.json"
    doc = json.loads(manifest.read_text())
    doc["written"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30 * 60))
    backdated = manifest.with_name(".machine.json.backdated.tmp")
    backdated.write_text(json.dumps(doc, separators=(",", ":"), sort_keys=True) + "\n")
    os.chmod(backdated, 0o600)
    os.replace(backdated, manifest)
    world.pair.sync()
    world.laptop.run("sync", "now")

    line = render(world.laptop, world.laptop_session, "s-laptop")
    assert "$3.80 today ×2 (1 stale)" in line, line  # its history stays; only marked
    assert_daily(world.laptop, ALL_USD)
    desktop = status(world.laptop)["desktop"]
    assert desktop["problem"] == "stale", desktop
    assert float(desktop["lagSeconds"]) >= 29 * 60, desktop

    # COSTLINE_SYNC_STALE_MINUTES=60: half an hour is not stale then.
    hour = {"COSTLINE_SYNC_STALE_MINUTES": "60"}
    world.laptop.run("sync", "now", env=hour)
    line = render(world.laptop, world.laptop_session, "s-laptop", env=hour)
    assert "$3.80 today ×2" in line and "stale" not in line, line
    assert status(world.laptop, env=hour)["desktop"]["problem"] == "", status(world.laptop, env=hour)


def test_a_conflict_copy_and_a_half_written_file_change_nothing(world: World):
    publish_and_fold(world)
    alpha_share = desktop_share(world, world.laptop.sync_dir)  # the desktop's share, as laptop sees it
    beta_share = desktop_share(world, world.desktop.sync_dir)
    day_file = f"days/{day()}.json"
    with world.pair.disconnected():
        # desktop answers once more: D2, Sonnet 4.6, 100,000 output = 1.50.
        with open(world.desktop_session, "a") as fh:
            fh.write(response("D2", "s-desktop", SONNET, 6, output_tokens=100_000) + "\n")
        world.desktop.run("sync", "now")
        new_day = (beta_share / day_file).read_bytes()
        # On laptop's side the new manifest has arrived and the day file only half: what a sync
        # tool that copies in place (or a crash mid-copy) leaves. Older than desktop's copy, so
        # Syncthing keeps desktop's whole file and makes the half a conflict copy.
        shutil.copy2(beta_share / "machine.json", alpha_share / "machine.json")
        half = alpha_share / day_file
        half.write_bytes(new_day[: len(new_day) // 2])
        an_hour_ago = time.time() - 3600
        os.utime(half, (an_hour_ago, an_hour_ago))
        world.laptop.run("sync", "now")
        line = render(world.laptop, world.laptop_session, "s-laptop")
        assert "$3.80 today ×2" in line, line  # desktop's last whole day file, not the half
        assert status(world.laptop)["desktop"]["problem"] == "day files arriving"
        # A copy of desktop's whole share under a conflict name, which would double it if read.
        shutil.copytree(alpha_share, alpha_share.with_name(alpha_share.name + " (conflicted copy)"))
    world.pair.sync()
    copies = [n for n in tree(alpha_share) if ".sync-conflict-" in n]
    assert len(copies) == 1 and copies[0].startswith("days/"), sorted(tree(alpha_share))
    assert (alpha_share / day_file).read_bytes() == new_day  # Syncthing kept desktop's whole file

    # 3.80 + D2 1.50 = 5.30 on both; the conflict copies count for nothing.
    for m, transcript, session in (
        (world.laptop, world.laptop_session, "s-laptop"),
        (world.desktop, world.desktop_session, "s-desktop"),
    ):
        m.run("sync", "now")
        line = render(m, transcript, session)
        assert "$5.30 today ×2" in line, (m.name, line)
        assert all(row["problem"] == "" for row in status(m).values()), status(m)
        assert_daily(m, 5.30)


def test_writes_during_the_sync_lose_nothing(world: World):
    """Four rounds in which both machines answer and publish at once while Syncthing is still
    carrying the previous round: each machine's figure never overshoots, and once in step it
    holds every response."""
    publish_and_fold(world)
    truth = ALL_USD
    for k in range(4):
        with open(world.laptop_session, "a") as fh:  # Opus 4.8, 4,000 output = 0.10
            fh.write(response(f"L{3 + k}", "s-laptop", OPUS, 10 + k, output_tokens=4_000) + "\n")
        with open(world.desktop_session, "a") as fh:  # Sonnet 4.6, 10,000 output = 0.15
            fh.write(response(f"D{3 + k}", "s-desktop", SONNET, 10 + k, output_tokens=10_000) + "\n")
        truth += 0.25
        own = {"laptop": 2.60 + 0.10 * (k + 1), "desktop": 2.20 + 0.15 * (k + 1)}
        runs = [
            subprocess.Popen([COSTLINE, "sync", "now"], env=m.env, stdout=subprocess.DEVNULL)
            for m in world.both
        ]
        world.pair.a.scan()  # Syncthing sends what it finds while the next writes come
        assert all(p.wait(timeout=120) == 0 for p in runs)
        for m, transcript, session in (
            (world.laptop, world.laptop_session, "s-laptop"),
            (world.desktop, world.desktop_session, "s-desktop"),
        ):
            # Never more than every response so far, never less than its own.
            seen = today_usd(render(m, transcript, session))
            assert round(own[m.name], 2) <= seen <= round(truth, 2), (m.name, k, seen)
    world.pair.sync()
    for m in world.both:
        m.run("sync", "now")
    # 3.80 + 4 × (0.10 + 0.15) = 4.80
    assert round(truth, 2) == 4.80
    assert "$4.80 today ×2" in render(world.laptop, world.laptop_session, "s-laptop")
    assert "$4.80 today ×2" in render(world.desktop, world.desktop_session, "s-desktop")
    for m in world.both:
        assert_daily(m, 4.80)
