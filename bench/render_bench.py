"""Render-path and indexing benchmark: ratios against the same interpreter's bare start.

Measures, side by side in one run (runs interleaved, medians reported):
  warm   a render after a turn was appended to the live transcript, index otherwise current,
         over a corpus of --files transcripts / --mb MB, through the command `costline install`
         writes (the launcher), and through the console script beside it
  cold   the first render with no index at all over --cold-mb MB of logs (must answer at once)
  index  `costline index refresh` over the warm corpus: MB/s and peak RSS, against the raw
         cost of reading the same bytes
Usage: python bench/render_bench.py [--venv .venv] [--files 500] [--mb 300] [--runs 40]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench/ is not a package
from corpus import append_turn, generate


def timed(argv: list[str], stdin: bytes, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
    )
    return time.perf_counter() - start


def timed_child(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return time.perf_counter() - start, usage.ru_maxrss


def stop_refreshes(cache_prefix: str) -> None:
    """Kill this bench's detached refreshes only: those whose COSTLINE_CACHE_DIR is under ours."""
    import signal

    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                env = fh.read().split(b"\0")
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read()
        except OSError:
            continue
        cache = next((e[19:].decode() for e in env if e.startswith(b"COSTLINE_CACHE_DIR=")), "")
        if b"index\0refresh" in cmd and cache.startswith(cache_prefix):
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


def payload(path: str, session: str) -> bytes:
    return json.dumps(
        {
            "session_id": session,
            "transcript_path": path,
            "cwd": "/home/dev/src/app",
            "model": {"id": "claude-opus-4-8[1m]", "display_name": "Opus 4.8 (1M context)"},
            "version": "2.1.197",
            "cost": {"total_cost_usd": 1.23, "total_lines_added": 10, "total_lines_removed": 2},
            "context_window": {"used_percentage": 12, "context_window_size": 1000000},
        }
    ).encode()


def raw_read_seconds(root: str) -> float:
    start = time.perf_counter()
    for folder, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as fh:
                while fh.read(1 << 20):
                    pass
    return time.perf_counter() - start


def compare_ccusage(ccusage: str, costline: str, env: dict[str, str]) -> dict[str, object]:
    """Daily totals and wall time of `ccusage daily` and `costline report daily` on one corpus."""
    start = time.perf_counter()
    theirs = subprocess.run(
        [ccusage, "daily", "--json", "--offline", "-z", "UTC"], capture_output=True, env=env
    )
    their_s = time.perf_counter() - start
    start = time.perf_counter()
    ours = subprocess.run([costline, "report", "daily", "--json", "-z", "UTC"], capture_output=True, env=env)
    our_s = time.perf_counter() - start
    their_days = {d["period"]: d for d in json.loads(theirs.stdout)["daily"]}
    our_days = {d["period"]: d for d in json.loads(ours.stdout)["daily"]}
    known = set()
    for d in their_days.values():
        known |= {m["modelName"] for m in d["modelBreakdowns"] if m["cost"] > 0}
    worst = 0.0
    for day, d in their_days.items():
        mine = sum(m["cost"] for m in our_days[day]["modelBreakdowns"] if m["modelName"] in known)
        worst = max(
            worst, abs(mine - sum(m["cost"] for m in d["modelBreakdowns"] if m["modelName"] in known))
        )
    return {
        "days": len(their_days),
        "ccusage_total": round(sum(d["totalCost"] for d in their_days.values()), 4),
        "costline_total": round(sum(d["totalCost"] for d in our_days.values()), 4),
        "max_daily_difference_on_models_both_price": worst,
        "models_only_costline_prices": sorted(
            {m["modelName"] for d in our_days.values() for m in d["modelBreakdowns"]} - known
        ),
        "ccusage_seconds": round(their_s, 2),
        "costline_report_seconds": round(our_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--venv", default=".venv")
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--mb", type=float, default=300)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--cold-mb", type=float, default=1000)
    parser.add_argument("--out", default="bench/out/results.json")
    parser.add_argument("--ccusage", default=None, help="a ccusage binary to compare totals and time with")
    parser.add_argument("--corpus", default=None, help="reuse a corpus bench/corpus.py wrote")
    args = parser.parse_args()

    python = os.path.abspath(os.path.join(args.venv, "bin", "python"))
    costline = os.path.abspath(os.path.join(args.venv, "bin", "costline"))
    work = tempfile.mkdtemp(prefix="costline-bench-")
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),  # quoted by the README
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}",
        "command": costline,
    }
    try:
        if args.corpus:
            corpus = os.path.abspath(args.corpus)
            with open(os.path.join(corpus, "corpus.json")) as fh:
                info = json.load(fh)
        else:
            corpus = os.path.join(work, "claude")
            info = generate(corpus, args.files, args.mb, days=30)
        env = dict(
            os.environ, CLAUDE_CONFIG_DIR=corpus, COSTLINE_CACHE_DIR=os.path.join(work, "cache"), HOME=work
        )
        env.pop("NO_COLOR", None)
        mb = info["bytes"] / 1e6  # type: ignore[operator]
        # The status line command as `costline install` writes it (the launcher), as users run it.
        settings_env = dict(env, CLAUDE_CONFIG_DIR=os.path.join(work, ".claude"))  # not the corpus
        subprocess.run([costline, "install"], env=settings_env, capture_output=True, check=True)
        with open(os.path.join(work, ".claude", "settings.json")) as fh:
            render = shlex.split(json.load(fh)["statusLine"]["command"])
        results["command"] = " ".join(render)

        # index: cold build throughput and memory
        raw = raw_read_seconds(corpus)
        seconds, rss_kib = timed_child([costline, "index", "refresh"], env)
        results["index"] = {
            "files": info.get("files", args.files),
            "mb": round(mb, 1),
            "seconds": round(seconds, 2),
            "mb_per_s": round(mb / seconds, 1),
            "raw_read_mb_per_s": round(mb / raw, 1),
            "peak_rss_mb": round(rss_kib / 1024, 1),
        }

        # warm: one turn appended before each render. Seeded by the live file's size, so a bench
        # run on a reused corpus appends new message ids: the same ids again hours later would be
        # copies costline does not match (its dedup looks one hour around) and ccusage does.
        rng = random.Random(f"7:{os.path.getsize(info['live_path'])}")  # type: ignore[arg-type]
        body = payload(info["live_path"], info["live_session"])  # type: ignore[arg-type]
        base, warm, console = [], [], []
        for i in range(args.runs + 5):
            append_turn(info["live_path"], info["live_session"], rng)  # type: ignore[arg-type]
            w = timed(render, body, env)
            b = timed([python, "-I", "-c", "pass"], b"", env)
            append_turn(info["live_path"], info["live_session"], rng)  # type: ignore[arg-type]
            c = timed([costline], body, env)
            if i >= 5:
                warm.append(w)
                base.append(b)
                console.append(c)
        results["warm"] = {
            "runs": args.runs,
            "python_I_pass_ms": round(statistics.median(base) * 1000, 2),
            "render_ms": round(statistics.median(warm) * 1000, 2),
            "ratio": round(statistics.median(warm) / statistics.median(base), 3),
            "console_script_ms": round(statistics.median(console) * 1000, 2),
            "console_script_ratio": round(statistics.median(console) / statistics.median(base), 3),
        }
        line = subprocess.run([*render, "--no-color"], input=body, capture_output=True, env=env, check=False)
        results["line"] = line.stdout.decode().strip()

        # reports side by side with ccusage (its own figures, same logs, same zone)
        if args.ccusage:
            results["vs_ccusage"] = compare_ccusage(args.ccusage, costline, env)

        # cold: first render ever, big corpus, no index
        if args.cold_mb > 0:
            cold_corpus = os.path.join(work, "cold")
            cold = generate(cold_corpus, max(50, int(args.cold_mb / 2)), args.cold_mb, days=30, seed=2)
            firsts, bases = [], []
            for i in range(5):
                cache = os.path.join(work, f"cold-cache-{i}")
                cenv = dict(env, CLAUDE_CONFIG_DIR=cold_corpus, COSTLINE_CACHE_DIR=cache)
                body = payload(cold["live_path"], cold["live_session"])  # type: ignore[arg-type]
                # the bare start first: after the render, its detached build competes for the CPU
                bases.append(timed([python, "-I", "-c", "pass"], b"", cenv))
                firsts.append(timed(render, body, cenv))
                # stop the background build this render started before the next try
                stop_refreshes(cenv["COSTLINE_CACHE_DIR"])
                time.sleep(0.5)
            results["cold"] = {
                "mb": round(cold["bytes"] / 1e6, 1),  # type: ignore[operator]
                "python_I_pass_ms": round(statistics.median(bases) * 1000, 2),
                "first_render_ms": round(statistics.median(firsts) * 1000, 2),
                "ratio": round(statistics.median(firsts) / statistics.median(bases), 2),
            }
    finally:
        stop_refreshes(work)
        shutil.rmtree(work, ignore_errors=True)
        # `costline install` above wrote the launcher beside the venv's Python: leave it, it is the
        # same file a user's install writes.
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
