"""Which copy of a response the index keeps does not depend on the order its files are read in.

Copies of one response (same message and request id) in several sessions' files, equal in
tokens but logged at other times, under other models, prompt classes or logged costs: a cold
build (one process or two), an index grown one transcript at a time in a random order, and one
built by renders of each session in a random order keep the same copy of every response: the
one the rule in update.preferred names, computed here by hand (most tokens, then one that
records `speed`, then the earliest, then by model, prompt class and logged cost). Before, the
first copy read stayed, so a rebuild could change a day's cost.
"""

from __future__ import annotations

import itertools
import os
import random
import time
from pathlib import Path

import pytest
from helpers import assistant, payload, run_costline, write_transcript
from index_helpers import loads
from test_runs import rec

from statusline.index.exact import Batch
from statusline.index.readback import range_buckets
from statusline.index.scan import scan
from statusline.index.store import Store
from statusline.timeutil import HOUR_MS

MODELS = ("claude-opus-4-8", "claude-sonnet-4-6", "claude-haiku-4-5")
SESSIONS = ("sa", "sb", "sc", "sd")
BASE_MS = 1_764_063_000_000  # 2025-11-25T09:30:00Z: copies straddle hours and 10:00, 11:00


def iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def corpus(seed: int, config: Path) -> tuple[list[Path], dict[tuple[str, int], list[int]]]:
    """The transcripts, and the tokens [in, out, write, read] per (model, hour) of the copies
    the rule keeps."""
    rng = random.Random(seed)
    files: dict[str, list[tuple[int, str]]] = {s: [] for s in SESSIONS}
    kept: dict[tuple[str, int], list[int]] = {}
    for n in range(40):
        at = BASE_MS + rng.randrange(0, 3 * HOUR_MS)
        total = rng.choice((1_000, 150_000, 260_000))
        copies = []
        for session in rng.sample(SESSIONS, rng.randint(2, 4)):
            tokens = total - (rng.randrange(1, 500) if rng.random() < 0.25 else 0)  # some fewer
            output = rng.choice((1, total // 3, total - 90_000)) if total > 1_000 else 10
            output = max(1, min(output, tokens - 1))
            prompt = tokens - output
            cache_read = rng.choice((0, prompt // 2))
            usage = {"input_tokens": prompt - cache_read, "output_tokens": output}
            usage["cache_read_input_tokens"] = cache_read
            cost = rng.choice((None, None, 0.5, 0.25))
            copy = {
                "session": session,
                "ts": at + rng.randrange(0, 50 * 60_000),  # within the hour after: always compared
                "model": rng.choice(MODELS),
                "usage": usage,
                "cost": cost,
                "speed": None,
            }
            copies.append(copy)
        for copy in copies:
            extra = {} if copy["cost"] is None else {"costUSD": copy["cost"]}
            line = assistant(
                msg_id=f"msg_{n}",
                request_id=f"req_{n}",
                model=copy["model"],
                ts=iso(copy["ts"]),
                session=copy["session"],
                usage=copy["usage"],
                **extra,
            )
            files[copy["session"]].append((copy["ts"], line))  # type: ignore[index]

        def rank(c: dict[str, object]) -> tuple[object, ...]:
            u: dict[str, int] = c["usage"]  # type: ignore[assignment]
            tokens = sum(u.values())
            prompt = tokens - u["output_tokens"]
            cls = (2 if prompt > 200_000 else 1 if prompt > 100_000 else 0) | (
                16 if c["cost"] is not None else 0
            )
            return (-tokens, c["ts"], c["model"], cls, c["cost"] or 0.0)

        best = min(copies, key=rank)
        u = best["usage"]
        sums = kept.setdefault((best["model"], best["ts"] // HOUR_MS), [0, 0, 0, 0])  # type: ignore[index,operator]
        for i, field in enumerate(("input_tokens", "output_tokens", "cache_creation_input_tokens")):
            sums[i] += u.get(field, 0)  # type: ignore[union-attr]
        sums[3] += u["cache_read_input_tokens"]  # type: ignore[index]
    paths = []
    for n, (session, lines) in enumerate(files.items()):
        if lines:
            lines.sort()  # each file in time order, as Claude Code writes it
            paths.append(
                write_transcript(config, f"-w-p{n}", f"{session}.jsonl", [line for _, line in lines])
            )
    return paths, kept


def held(cache: Path) -> dict[tuple[str, int], list[int]]:
    """Tokens per (model, hour) the index counts."""
    out: dict[tuple[str, int], list[int]] = {}
    for qh, model, _cls, vec in range_buckets(Store(str(cache)), 0, 1 << 60):
        sums = out.setdefault((model, qh // 4), [0, 0, 0, 0])
        sums[0] += int(vec[1])
        sums[1] += int(vec[2])
        sums[2] += int(vec[3] + vec[4])
        sums[3] += int(vec[5])
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_copy_kept_does_not_depend_on_the_order_files_are_read_in(config_dir, tmp_path, seed):
    paths, expected = corpus(seed, config_dir)
    rng = random.Random(seed)

    one = tmp_path / "one"
    scan(Store(str(one)), loads, workers=1)
    assert held(one) == expected

    two = tmp_path / "two"
    scan(Store(str(two)), loads, workers=2, parallel_min_bytes=0)
    assert held(two) == expected

    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for n, path in enumerate(paths):
        os.rename(path, hidden / str(n))
    grown = tmp_path / "grown"
    for n in rng.sample(range(len(paths)), len(paths)):  # one transcript at a time, any order
        os.rename(hidden / str(n), paths[n])
        scan(Store(str(grown)), loads, workers=1)
    assert held(grown) == expected

    rendered = tmp_path / "rendered"  # an index of no transcript, then each session's render
    for n, path in enumerate(paths):
        os.rename(path, hidden / str(n))
    scan(Store(str(rendered)), loads, workers=1)
    for n, path in enumerate(paths):
        os.rename(hidden / str(n), path)
    stamp = rendered / "refresh.stamp"  # a refresh just started: no detached one reads the rest
    stamp.touch()
    env = {"COSTLINE_CACHE_DIR": str(rendered)}
    for path in rng.sample(paths, len(paths)):  # each session booked by its render, in any order
        now = time.time()
        os.utime(stamp, (now, now))
        done = run_costline(payload(path, session=path.stem), "--no-color", env=env)
        assert done.returncode == 0 and b"error" not in done.stdout, done.stdout
    assert held(rendered) == expected
    scan(Store(str(rendered)), loads, workers=1)
    assert held(rendered) == expected
    assert len(expected) > 3


def test_copies_linked_over_more_than_an_hour_count_once_or_twice_never_otherwise(tmp_path):
    """The dedup scope is a copy's hour and its neighbours, and only kept copies are remembered:
    copies at 10:10, 11:05 and 12:00 (the first and last two hours apart) count once when the
    middle one is read before the first and after the last, else twice (README, Differences from
    ccusage). Whatever the order, the 10:10 copy is kept, the middle one never is, and none is
    counted three times or lost."""
    at = BASE_MS - 30 * 60_000 + HOUR_MS  # 2025-11-25T10:00:00Z
    copies = [
        rec("x", session=s, ts=at + minutes * 60_000) for s, minutes in (("sa", 10), ("sb", 65), ("sc", 120))
    ]
    kept: dict[tuple[int, ...], list[str]] = {}
    for order in itertools.permutations(range(3)):
        batch = Batch(Store(str(tmp_path / "".join(map(str, order)))))
        for i in order:
            batch.add(copies[i])
        kept[order] = sorted(key[1] for shard in batch.hours.values() if shard for key in shard["agg"])
    assert {order: sessions for order, sessions in kept.items() if sessions != ["sa", "sc"]} == {
        (1, 2, 0): ["sa"],
        (2, 1, 0): ["sa"],
    }
