"""A cold build killed at any of its writes, or between the day folders it moves in, then a
refresh: the reports equal those of a cold build never killed, and nothing the killed build
left (its private trees, temp files) is read or left behind once a scan reads again.

Default: a few kill points of one seeded corpus. COSTLINE_COLD_KILLS=all tries every write and
every move of several seeds (minutes)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from attrib.test_random import build
from helpers import assistant, payload, rounded, run_costline, write_transcript

from statusline.timeutil import DAY_MS, HOUR_MS

HEAVY = os.environ.get("COSTLINE_COLD_KILLS") == "all"
SEEDS = (11, 12, 13, 14) if HEAVY else (12,)
ENV = {"COSTLINE_SCAN_WORKERS": "2", "COSTLINE_PARALLEL_MIN_BYTES": "0"}
REPORTS = (("daily",), ("by", "model"), ("session",))

# Kills a cold build's scanning process at its Nth rename of a staged tree's day folder or file
# into the index (coldmerge.move_in): the moment between two day folders.
KILL_AT_MOVE = """
import os, signal, sys
from statusline.index import coldmerge
n, calls = int(os.environ["KILL_AT_MOVE"]), [0]
class Os:
    def __getattr__(self, name):
        return getattr(os, name)
    def _count(self):
        calls[0] += 1
        if calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
    def rename(self, *a):
        self._count()
        return os.rename(*a)
    def replace(self, *a):
        self._count()
        return os.replace(*a)
coldmerge.os = Os()
from statusline.entry import main
sys.argv = ["costline", "index", "refresh"]
main()
"""


MODELS = ("claude-opus-4-8", "claude-sonnet-4-6", "claude-haiku-4-5")


def iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def edge_corpus(seed: int, config: Path) -> list[Path]:
    """Sessions over about ten days whose responses stream two to four copies, many seconds
    before an hour's or a midnight's end (copies then straddle it), some without a request id;
    a fork and a resumed session copy other sessions' lines (copies across groups)."""
    rnd = random.Random(seed)
    start = 20_402 * DAY_MS  # 2025-11-10
    sessions: dict[str, list[str]] = {}
    for n in range(5):
        lines: list[str] = []
        t = start + rnd.randrange(DAY_MS)
        for i in range(rnd.randint(15, 30)):
            t += rnd.choice([1_000, 60_000, 3_000_000, 5 * HOUR_MS, 20 * HOUR_MS])
            if rnd.random() < 0.3:
                t = (t // HOUR_MS + 1) * HOUR_MS - rnd.randint(1, 3_000)
            elif rnd.random() < 0.15:
                t = (t // DAY_MS + 1) * DAY_MS - rnd.randint(1, 3_000)
            req = None if rnd.random() < 0.1 else f"r{n}_{i}"
            model = rnd.choice(MODELS)
            out, read = rnd.randint(1, 500), rnd.randint(0, 40_000)
            for c in range(rnd.randint(1, 4)):
                out += rnd.choice([0, 0, rnd.randint(1, 300)])
                ts = t + c * rnd.randint(0, 2_500)
                usage = {"input_tokens": 3, "output_tokens": out, "cache_read_input_tokens": read}
                lines.append(
                    assistant(
                        msg_id=f"m{n}_{i}",
                        request_id=req,
                        model=model,
                        ts=iso(ts),
                        session=f"s{n}",
                        usage=usage,
                    )
                )
        sessions[f"s{n}"] = lines
    # A fork of s0 (its history copied under its own id) and s2 resumed into s3's file.
    sessions["s5"] = [line.replace('"s0"', '"s5"') for line in sessions["s0"][: len(sessions["s0"]) // 2]]
    sessions["s3"] = [line.replace('"s2"', '"s3"') for line in sessions["s2"][-5:]] + sessions["s3"]
    return [
        write_transcript(config, f"-w-p{n % 2}", f"{name}.jsonl", lines)
        for n, (name, lines) in enumerate(sorted(sessions.items()))
    ]


def reports(cache: Path, which: tuple[str, ...] | None = None) -> dict[str, object]:
    env = {**ENV, "COSTLINE_CACHE_DIR": str(cache)}
    out: dict[str, object] = {}
    for args in REPORTS:
        if which is not None and " ".join(args) not in which:
            continue
        done = run_costline(b"", "report", *args, "--json", "--no-refresh", "-z", "UTC", env=env)
        assert done.returncode == 0, done.stderr
        out[" ".join(args)] = json.loads(done.stdout)
    return out


def refresh(cache: Path, **extra: str) -> int:
    env = {**ENV, "COSTLINE_CACHE_DIR": str(cache), **extra}
    return run_costline(b"", "index", "refresh", env=env, timeout=120).returncode


def killed_at_move(cache: Path, n: int) -> int:
    env = {**os.environ, **ENV, "COSTLINE_CACHE_DIR": str(cache), "KILL_AT_MOVE": str(n)}
    return subprocess.run(
        [sys.executable, "-c", KILL_AT_MOVE], env=env, capture_output=True, timeout=120
    ).returncode


def leftovers(cache: Path) -> list[str]:
    root = cache / "index" / "v2"
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.name.startswith("spool-") or p.name.endswith(".tmp")
    )


def render_some(cache: Path, mains: list[Path], rnd: random.Random) -> None:
    """Renders of two sessions (each reads its transcript on from its state, if any)."""
    cache.mkdir(exist_ok=True)
    for path in rnd.sample(mains, 2):
        (cache / "refresh.stamp").touch()  # no detached refresh: the render alone
        env = {"COSTLINE_CACHE_DIR": str(cache), "NO_COLOR": "1"}
        assert run_costline(payload(path, session=path.stem), env=env).returncode == 0


def check_after(cache: Path, expected: dict[str, object], what: str, sessions: bool = True) -> None:
    """After a refresh: the reports as expected (`sessions` off: but for the session report,
    whose rows depend on which session was indexed first, README "A session's logged cost")."""
    from statusline.index.scan import remove_stale_temp_files

    assert refresh(cache) == 0, what
    if not sessions:
        expected = {k: v for k, v in expected.items() if k != "session"}
    # To a billionth of a dollar: a build read again against the hour files a killed one left,
    # or renders, add an hour's costs in another order (the last bits of a float may differ).
    assert rounded(reports(cache, tuple(expected))) == rounded(expected), what
    # A killed build's private trees are gone; its temp files go once old (a live writer's are
    # young), and were never read: the reports stay the same without them.
    assert [p for p in leftovers(cache) if not p.endswith(".tmp")] == [], what
    remove_stale_temp_files(str(cache), time.time() + 3600)
    assert leftovers(cache) == [], what
    assert rounded(reports(cache, ("daily",))) == rounded({"daily": expected["daily"]}), what
    for path in (cache / "index").rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, (what, path)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_cold_build_killed_at_a_write_then_refreshed_equals_one_never_killed(config_dir, tmp_path, seed):
    build(seed, config_dir)
    clean = tmp_path / "clean"
    assert refresh(clean) == 0
    expected = reports(clean)
    points = range(1, 400) if HEAVY else (1, 5, 9)
    for n in points:
        cache = tmp_path / f"kill-{n}"
        code = refresh(cache, COSTLINE_KILL_AT_WRITE=str(n))
        if code == 0 and HEAVY:
            break  # no process of the build wrote this many files
        check_after(cache, expected, f"seed {seed}, killed at write {n} ({code})")


@pytest.mark.parametrize("seed", SEEDS)
def test_a_cold_build_killed_between_the_day_folders_it_moves_in_equals_one_never_killed(
    config_dir, tmp_path, seed
):
    """Some day folders in the index, the others and every summary and group state not: renders
    of two sessions then read theirs from the start (no state saved) against those hour files."""
    corpus = build(seed, config_dir)
    mains = sorted(p for p in corpus.files if p.parent.name != "subagents")
    rnd = random.Random(seed)
    clean = tmp_path / "clean"
    assert refresh(clean) == 0
    expected = reports(clean)
    killed = 0
    for n in range(1, 200 if HEAVY else 4):
        cache = tmp_path / f"move-{n}"
        code = killed_at_move(cache, n)
        if code == 0:
            break
        assert code == -signal.SIGKILL, code
        killed += 1
        render_some(cache, mains, rnd)
        check_after(cache, expected, f"seed {seed}, killed at move {n}", sessions=False)
    assert killed >= 2


@pytest.mark.parametrize("seed", SEEDS)
def test_copies_across_hours_midnights_and_sessions_cold_split_killed_or_one_by_one(
    config_dir, tmp_path, seed
):
    """The split cold build equals one process's, a build killed at a write or a move and
    refreshed, and (to a billionth of a dollar: other orders of addition) an index grown one
    transcript at a time, which looks for every copy in hour files on disk."""
    paths = edge_corpus(seed, config_dir)
    clean = tmp_path / "clean"
    assert refresh(clean) == 0
    expected = reports(clean)
    one = tmp_path / "one"
    assert refresh(one, COSTLINE_SCAN_WORKERS="1") == 0
    assert reports(one) == expected
    rnd = random.Random(seed)
    for n in range(1, 60) if HEAVY else ():
        cache = tmp_path / f"kill-{n}"
        code = refresh(cache, COSTLINE_KILL_AT_WRITE=str(n))
        render_some(cache, paths, rnd)
        check_after(cache, expected, f"seed {seed}, killed at write {n} ({code})", sessions=False)
        if code == 0:
            break
    for n in range(1, 30) if HEAVY else ():
        cache = tmp_path / f"move-{n}"
        code = killed_at_move(cache, n)
        render_some(cache, paths, rnd)
        check_after(cache, expected, f"seed {seed}, killed at move {n} ({code})", sessions=False)
        if code == 0:
            break
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for path in paths:
        os.rename(path, hidden / f"{path.parent.name}-{path.name}")
    grown = tmp_path / "grown"
    for path in paths:
        os.rename(hidden / f"{path.parent.name}-{path.name}", path)
        assert refresh(grown) == 0
    del expected["session"]
    assert rounded(reports(grown, tuple(expected))) == rounded(expected)
