"""The warm render with `line.rows` (three rows), two `cmd:NAME` segments and this session's
`agents` and `tools` on, beside the default line's and a bare `python -I -c pass`, interleaved
in one run (medians reported).

Each line has an index of its own (one compiled config per cache dir) over the same seeded
corpus; the commands have run once and are not due, and the background refresh has written the
session's split, so this is what every later render costs: reading their kept files. A turn is
appended to the live transcript before each round.
Usage: python bench/rows_bench.py [--venv .venv] [--files 300] [--mb 100] [--runs 60]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench/ is not a package
from corpus import append_turn, generate
from render_bench import install, payload, stop_refreshes, timed

ROWS_CONFIG = """[pricing]
offline = true
[line]
rows = [["model", "session", "today"], ["context", "cmd:branch", "cmd:host"], ["lines", "agents", "tools"]]
[commands.branch]
run = "echo main"
every = 3600
[commands.host]
run = "uname -n"
every = 3600
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--venv", default=".venv")
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--mb", type=float, default=100)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--out", default="bench/out/results-rows.json")
    args = parser.parse_args()

    python = os.path.abspath(os.path.join(args.venv, "bin", "python"))
    costline = os.path.abspath(os.path.join(args.venv, "bin", "costline"))
    work = tempfile.mkdtemp(prefix="costline-rows-bench-")
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),  # quoted by the README
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}",
    }
    try:
        corpus = os.path.join(work, "claude")
        info = generate(corpus, args.files, args.mb, days=30)
        env = dict(os.environ, CLAUDE_CONFIG_DIR=corpus, HOME=work)
        env.pop("NO_COLOR", None)
        render = install(costline, env, work)
        for name, text in (("plain.toml", "[pricing]\noffline = true\n"), ("rows.toml", ROWS_CONFIG)):
            with open(os.path.join(work, name), "w") as fh:
                fh.write(text)
        default_env = dict(
            env, COSTLINE_CONFIG=os.path.join(work, "plain.toml"), COSTLINE_CACHE_DIR=os.path.join(work, "c1")
        )
        rows_env = dict(
            env, COSTLINE_CONFIG=os.path.join(work, "rows.toml"), COSTLINE_CACHE_DIR=os.path.join(work, "c2")
        )
        body = payload(info["live_path"], info["live_session"])  # type: ignore[arg-type]
        for run_env in (default_env, rows_env):
            subprocess.run([costline, "index", "refresh"], env=run_env, capture_output=True, check=True)
            subprocess.run(render, input=body, env=run_env, capture_output=True, check=True)
        # This session's split by agent and tool: the refresh computes the most recently active
        # sessions first, so the live transcript is made the latest before it runs.
        append_turn(info["live_path"], info["live_session"], random.Random(8))  # type: ignore[arg-type]
        subprocess.run(render, input=body, env=rows_env, capture_output=True, check=True)
        stop_refreshes(rows_env["COSTLINE_CACHE_DIR"])
        subprocess.run([costline, "index", "refresh"], env=rows_env, capture_output=True, check=True)
        # The commands' first run, synchronously (the render above started a runner too).
        kept = os.path.join(rows_env["COSTLINE_CACHE_DIR"], "commands")
        (key,) = [n.removesuffix(".payload") for n in os.listdir(kept) if n.endswith(".payload")]
        subprocess.run([costline, "config", "run-commands", key, "--wait"], env=rows_env, check=True)

        rng = random.Random(f"9:{os.path.getsize(info['live_path'])}")  # type: ignore[arg-type]
        times: dict[str, list[float]] = {"base": [], "default": [], "rows": []}
        for i in range(args.runs + 5):
            append_turn(info["live_path"], info["live_session"], rng)  # type: ignore[arg-type]
            runs = [
                ("default", render, default_env),
                ("base", [python, "-I", "-c", "pass"], env),
                ("rows", render, rows_env),
            ]
            if i % 2:
                runs.reverse()
            for name, argv, run_env in runs:
                took = timed(argv, b"" if name == "base" else body, run_env)
                if i >= 5:
                    times[name].append(took)
        base = statistics.median(times["base"])
        shown = subprocess.run([*render, "--no-color"], input=body, capture_output=True, env=rows_env)
        results["rows"] = {
            "runs": args.runs,
            "python_I_pass_ms": round(base * 1000, 2),
            "render_ms": round(statistics.median(times["default"]) * 1000, 2),
            "ratio": round(statistics.median(times["default"]) / base, 3),
            "rows_render_ms": round(statistics.median(times["rows"]) * 1000, 2),
            "rows_ratio": round(statistics.median(times["rows"]) / base, 3),
            "rows_lines": shown.stdout.decode().splitlines(),
        }
    finally:
        stop_refreshes(work)
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
