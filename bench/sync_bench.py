"""Sync benchmark (issue 20): a folder of --machines machines × --days days of shares.

Measures, side by side in one run (runs interleaved, medians reported):
  first   the first fold of the whole folder (`costline sync now`): every day file read once
  fold    the background step (publish + fold) after every machine's today changed: only
          today's day files are read again (--rounds rounds); and a round where nothing changed
  rss     the peak RSS of those steps
  render  the status line (the launcher `costline install` writes) with the other machines in
          `<cache>/sync/line`, against a bare `python -I -c pass`, interleaved
Usage: python bench/sync_bench.py [--venv .venv] [--machines 100] [--days 365] [--runs 40]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench/ is not a package
from render_bench import install, timed, timed_child

DAY_MS = 86_400_000
QH_MS = 900_000
MODELS = ("claude-opus-4-8", "claude-sonnet-4-6", "claude-haiku-4-5")


def machine_id(i: int) -> str:
    return hashlib.md5(f"bench machine {i}".encode()).hexdigest()


def day_name(ms: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ms / 1000))


def day_doc(rng: random.Random, day_ms: int, machine: int, extra: int = 0) -> dict[str, object]:
    """A busy day of one machine: 3 sessions, 12 buckets, 36 responses (+ `extra` more)."""
    sessions = [
        [f"m{machine}-s{day_ms // DAY_MS}-{k}", f"~/src/project-{rng.randrange(20)}"] for k in range(3)
    ]
    buckets: list[list[object]] = []
    keys: list[list[object]] = []
    for b in range(12 + extra):
        qh = day_ms // QH_MS + 36 + b * 3
        n = 3
        vec = [n, 3000, 9000, 20000, 0, 300000, 0.0]
        at = qh * QH_MS + 60_000
        buckets.append([qh, b % 3, MODELS[b % 3], 0, *vec, at, at + 600_000, None])
        for k in range(n):
            token = hashlib.blake2b(f"{machine}:{qh}:{k}".encode(), digest_size=8).hexdigest()
            keys.append([token, b, at + k * 1000, 1, 1000, 3000, 6666, 0, 100000, 0.0])
    return {
        "format": 1,
        "day": day_name(day_ms),
        "sessions": sessions,
        "buckets": buckets,
        "keys": keys,
        "unlogged": [],
    }


def write_share(folder: str, i: int, days: dict[str, bytes]) -> None:
    share = os.path.join(folder, f"m-{machine_id(i)}")
    os.makedirs(os.path.join(share, "days"), mode=0o700, exist_ok=True)
    for day, data in days.items():
        with open(os.path.join(share, "days", f"{day}.json"), "wb") as fh:
            fh.write(data)


def write_manifest(folder: str, i: int, shas: dict[str, str], now: float) -> None:
    doc = {
        "format": 1,
        "id": machine_id(i),
        "name": f"box-{i}",
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "costline": "bench",
        "days": shas,
    }
    tmp = os.path.join(folder, f"m-{machine_id(i)}", ".machine.json.tmp")
    with open(tmp, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))
    os.replace(tmp, os.path.join(folder, f"m-{machine_id(i)}", "machine.json"))


def encode(doc: dict[str, object]) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode() + b"\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--venv", default=".venv")
    parser.add_argument("--machines", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--out", default="bench/results-sync.json")
    args = parser.parse_args()
    python = os.path.abspath(os.path.join(args.venv, "bin", "python"))
    costline = os.path.abspath(os.path.join(args.venv, "bin", "costline"))
    rng = random.Random(20)
    now = time.time()
    today_ms = int(now * 1000) // DAY_MS * DAY_MS
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),  # quoted by the README
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}",
        "when": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(now)),
        "machines": args.machines,
        "days": args.days,
    }
    with tempfile.TemporaryDirectory(prefix="costline-sync-bench-") as work:
        folder = os.path.join(work, "Sync", "costline")
        os.makedirs(folder)
        shas: dict[int, dict[str, str]] = {}
        size = 0
        for i in range(args.machines):
            days = {}
            for d in range(args.days):
                day_ms = today_ms - d * DAY_MS
                data = encode(day_doc(rng, day_ms, i))
                days[day_name(day_ms)] = data
                size += len(data)
            write_share(folder, i, days)
            shas[i] = {day: hashlib.sha256(data).hexdigest() for day, data in days.items()}
            write_manifest(folder, i, shas[i], now)
        results["folder_mb"] = round(size / 1e6, 1)
        home = os.path.join(work, "home")
        claude = os.path.join(home, ".claude")
        os.makedirs(os.path.join(claude, "projects", "-w-app"))
        config = os.path.join(work, "config.toml")
        with open(config, "w") as fh:
            fh.write("[pricing]\noffline = true\n")
        env = dict(
            os.environ,
            HOME=home,
            CLAUDE_CONFIG_DIR=claude,
            COSTLINE_CACHE_DIR=os.path.join(work, "cache"),
            COSTLINE_STATE_DIR=os.path.join(work, "state"),
            COSTLINE_SYNC_DIR=folder,
            COSTLINE_SYNC_MACHINE="this-one",
            COSTLINE_CONFIG=config,
        )
        env.pop("NO_COLOR", None)
        cache = env["COSTLINE_CACHE_DIR"]
        seconds, rss = timed_child([costline, "sync", "now"], env)
        results["first"] = {"seconds": round(seconds, 2), "peak_rss_mb": round(rss / 1024, 1)}

        step = [python, "-c", f"from statusline.sync.step import run; run({cache!r})"]
        changed: list[float] = []
        idle: list[float] = []
        rss_max = 0
        for r in range(args.rounds):
            for i in range(args.machines):  # every machine's today grew by a bucket
                data = encode(day_doc(random.Random(r * 1000 + i), today_ms, i, extra=r + 1))
                write_share(folder, i, {day_name(today_ms): data})
                shas[i][day_name(today_ms)] = hashlib.sha256(data).hexdigest()
                write_manifest(folder, i, shas[i], time.time())
            seconds, rss = timed_child(step, env)
            changed.append(seconds)
            rss_max = max(rss_max, rss)
            seconds, rss = timed_child(step, env)
            idle.append(seconds)
            rss_max = max(rss_max, rss)
        results["fold"] = {
            "rounds": args.rounds,
            "all_todays_changed_s": round(statistics.median(changed), 3),
            "nothing_changed_s": round(statistics.median(idle), 3),
            "peak_rss_mb": round(rss_max / 1024, 1),
        }
        with open(os.path.join(cache, "sync", "line"), "rb") as fh:
            results["line_bytes"] = len(fh.read())

        render = install(costline, env, home)
        body = json.dumps({"session_id": "s1", "cwd": "/w/app", "model": {"id": "claude-opus-4-8"}}).encode()
        base: list[float] = []
        warm: list[float] = []
        for i in range(args.runs + 5):
            with open(os.path.join(cache, "refresh.stamp"), "a"):  # no background refresh meanwhile
                os.utime(os.path.join(cache, "refresh.stamp"), None)
            runs = [("render", render, body), ("base", [python, "-I", "-c", "pass"], b"")]
            if i % 2:
                runs.reverse()
            times = {name: timed(argv, stdin, env) for name, argv, stdin in runs}
            if i >= 5:
                warm.append(times["render"])
                base.append(times["base"])
        shown = subprocess.run(
            render, input=body, env=dict(env, NO_COLOR="1"), capture_output=True, check=False
        )
        results["render"] = {
            "runs": args.runs,
            "python_I_pass_ms": round(statistics.median(base) * 1000, 2),
            "render_ms": round(statistics.median(warm) * 1000, 2),
            "ratio": round(statistics.median(warm) / statistics.median(base), 3),
            "line": shown.stdout.decode().strip(),
        }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=2)
        fh.write("\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
