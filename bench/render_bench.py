"""Render-path and indexing benchmark: ratios against the same interpreter's bare start.

Measures, side by side in one run (runs interleaved, medians reported):
  warm   a render after a turn was appended to the live transcript, index otherwise current,
         over a corpus of --files transcripts / --mb MB, through the command `costline install`
         writes (the launcher), and through the console script beside it
  cold   the first render with no index at all over --cold-mb MB of logs (must answer at once)
  index  `costline index refresh` over the warm corpus: MB/s and peak RSS, against the raw
         cost of reading the same bytes
  before (--compare VENV) the same warm renders through another install (say main's, before a
         change), each install with its own index of the same corpus, interleaved in the same run
  dense  (--dense-today) the corpus plus today's hours so far filled by 50 other sessions (1,000
         responses an hour), the live session a new one appending at the current time
Usage: python bench/render_bench.py [--venv .venv] [--files 500] [--mb 300] [--runs 40]
       python bench/render_bench.py --corpus DIR [--through-today] [--dense-today] [--compare VENV]
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
from corpus import append_turn, dense_today, generate


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


def with_live_segments(
    env: dict[str, str], work: str, render: list[str], body: bytes, costline: str
) -> dict[str, str]:
    """The environment of a line that also shows this session's agents and tools: a copy of the
    index (a cache compiles one config at a time), its live file written."""
    cache = os.path.join(work, "cache-live")
    stop_refreshes(env["COSTLINE_CACHE_DIR"])
    shutil.copytree(env["COSTLINE_CACHE_DIR"], cache, symlinks=True)
    config = os.path.join(work, "live.toml")
    with open(config, "w") as fh:
        fh.write(
            '[line]\nsegments = ["model", "session", "today", "context", "lines", "git", "agents", "tools"]\n'
        )
    live_env = dict(env, COSTLINE_CONFIG=config, COSTLINE_CACHE_DIR=cache)
    subprocess.run(render, input=body, capture_output=True, env=live_env, check=False)
    stop_refreshes(live_env["COSTLINE_CACHE_DIR"])
    subprocess.run([costline, "index", "refresh"], capture_output=True, env=live_env, check=True)
    return live_env


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


def install(costline: str, env: dict[str, str], home: str) -> list[str]:
    """The status line command `costline install` writes (the launcher), installed into `home`.
    With a cache dir of its own: in the renders' one, install's config dir (not the corpus) would
    claim it, and the corpus's index would be kept under `sets/` (paths.cache_for_config_dirs),
    which only the first install's renders then look up (19 stats and 0.3M instructions a render
    more than the other install's, measured 2026-12-03 with the same venv on both sides)."""
    settings_env = dict(env, CLAUDE_CONFIG_DIR=os.path.join(home, ".claude"), HOME=home)  # not the corpus
    settings_env["COSTLINE_CACHE_DIR"] = os.path.join(home, ".install-cache")
    subprocess.run([costline, "install"], env=settings_env, capture_output=True, check=True)
    with open(os.path.join(home, ".claude", "settings.json")) as fh:
        return shlex.split(json.load(fh)["statusLine"]["command"])


def instructions(argv: list[str], stdin: bytes, env: dict[str, str]) -> int:
    """Instructions one run executes (valgrind's callgrind): unlike wall time, not moved by the
    other work of a shared machine."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
    )
    for line in run.stderr.decode(errors="replace").splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1])
    raise RuntimeError(run.stderr.decode(errors="replace")[-500:])


# The syscalls a render's cost beyond the interpreter's start is made of (strace -c names).
SYSCALLS = ("openat", "newfstatat", "getdents64", "read", "pread64", "write", "rename", "unlink", "fsync")


def syscalls(argv: list[str], stdin: bytes, env: dict[str, str]) -> dict[str, int]:
    """The system calls of one run by name (`strace -c`), with their total; {} without strace."""
    if not shutil.which("strace"):
        return {}
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as out:
        subprocess.run(
            ["strace", "-c", "-o", out.name, *argv],
            input=stdin,
            capture_output=True,
            env=env,
            check=False,
        )
        counts: dict[str, int] = {}
        for line in out.read().splitlines():
            parts = line.split()
            if len(parts) >= 5 and parts[-1] != "total" and parts[3].isdigit():
                counts[parts[-1]] = int(parts[3])
            elif len(parts) >= 4 and parts[-1] == "total":
                counts["total"] = int(parts[3])
    return {name: counts.get(name, 0) for name in ("total", *SYSCALLS)}


def load_average() -> dict[str, float]:
    """The machine's load over the last 1, 5 and 15 minutes (it is shared)."""
    return {f"m{n}": round(x, 2) for n, x in zip((1, 5, 15), os.getloadavg(), strict=True)}


def local_midnight(now: float) -> float:
    day = time.localtime(now)
    return time.mktime((day.tm_year, day.tm_mon, day.tm_mday, 0, 0, 0, 0, 0, -1))


def dense_corpus(base: str, work: str, now: float) -> dict[str, object]:
    """`base` (its project folders linked, not copied) plus a dense today (corpus.dense_today)."""
    root = os.path.join(work, "dense")
    os.makedirs(os.path.join(root, "projects"))
    for name in os.listdir(os.path.join(base, "projects")):
        os.symlink(os.path.join(base, "projects", name), os.path.join(root, "projects", name))
    start = local_midnight(now)
    info = dense_today(root, start, now)
    info["hours_so_far"] = round((now - start) / 3600, 2)
    return info


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
    parser.add_argument(
        "--through-today",
        action="store_true",
        help="a reused corpus not generated today (its days end before today) is generated again",
    )
    parser.add_argument("--dense-today", action="store_true", help="add today's hours from 50 busy sessions")
    parser.add_argument("--compare", default=None, help="another venv to time side by side (before a change)")
    parser.add_argument("--tz", default=None, help="TZ for the renders (where the local day starts)")
    parser.add_argument(
        "--live",
        action="store_true",
        help="also time the line with the agents and tools segments on (interleaved)",
    )
    parser.add_argument(
        "--callgrind", type=int, default=0, help="count instructions of this many renders each (valgrind)"
    )
    args = parser.parse_args()
    if args.tz:
        os.environ["TZ"] = args.tz
        time.tzset()

    python = os.path.abspath(os.path.join(args.venv, "bin", "python"))
    costline = os.path.abspath(os.path.join(args.venv, "bin", "costline"))
    work = tempfile.mkdtemp(prefix="costline-bench-")
    load_at_start = load_average()
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
            if args.through_today and time.localtime(info["generated"])[:3] != time.localtime()[:3]:
                shutil.rmtree(os.path.join(corpus, "projects"))
                now = time.time()
                old = info
                info = generate(corpus, old["files"], old["bytes"] / 1e6, old["days"], old["seed"], now=now)
                info.update(files=old["files"], generated=now, seed=old["seed"], days=old["days"])
                with open(os.path.join(corpus, "corpus.json"), "w") as fh:
                    json.dump(info, fh)
            results["corpus"] = {
                "files": info["files"],
                "mb": round(info["bytes"] / 1e6, 1),
                "generated": time.strftime("%Y-%m-%d %H:%M", time.localtime(info["generated"])),
            }
            if args.dense_today:
                dense = dense_corpus(corpus, work, time.time())
                results["dense_today"] = {
                    k: v for k, v in dense.items() if k not in ("live_path", "live_session")
                }
                info = dict(info, live_path=dense["live_path"], live_session=dense["live_session"])
                info["bytes"] += dense["bytes"]
                corpus = os.path.join(work, "dense")
        else:
            corpus = os.path.join(work, "claude")
            info = generate(corpus, args.files, args.mb, days=30)
        env = dict(
            os.environ, CLAUDE_CONFIG_DIR=corpus, COSTLINE_CACHE_DIR=os.path.join(work, "cache"), HOME=work
        )
        env.pop("NO_COLOR", None)
        mb = info["bytes"] / 1e6  # type: ignore[operator]
        # The status line command as `costline install` writes it (the launcher), as users run it.
        render = install(costline, env, work)
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
        # The console script renders with an index of its own (a copy), so every render below
        # reads exactly one new turn.
        console_env = dict(env, COSTLINE_CACHE_DIR=os.path.join(work, "cache-console"))
        shutil.copytree(env["COSTLINE_CACHE_DIR"], console_env["COSTLINE_CACHE_DIR"], symlinks=True)
        before_render: list[str] = []
        before_env = dict(env, COSTLINE_CACHE_DIR=os.path.join(work, "cache-before"))
        if args.compare:
            home = os.path.join(work, "before-home")
            os.makedirs(home)
            before_render = install(os.path.abspath(os.path.join(args.compare, "bin", "costline")), env, home)
            subprocess.run(
                [os.path.abspath(os.path.join(args.compare, "bin", "costline")), "index", "refresh"],
                env=before_env,
                capture_output=True,
                check=True,
            )

        # warm: one turn appended before each round of renders (one through each install, each
        # with its own index, in alternating order). Seeded by the live file's size, so a bench
        # run on a reused corpus appends new message ids: the same ids again hours later would be
        # copies costline does not match (its dedup looks one hour around) and ccusage does.
        rng = random.Random(f"7:{os.path.getsize(info['live_path'])}")  # type: ignore[arg-type]
        body = payload(info["live_path"], info["live_session"])  # type: ignore[arg-type]
        base: list[float] = []
        warm: list[float] = []
        console: list[float] = []
        before: list[float] = []
        for i in range(args.runs + 5):
            append_turn(info["live_path"], info["live_session"], rng)  # type: ignore[arg-type]
            runs = [
                ("warm", render, env),
                ("base", [python, "-I", "-c", "pass"], env),
                ("console", [costline], console_env),
            ]
            if before_render:
                runs.append(("before", before_render, before_env))
            if i % 2:
                runs.reverse()
            times = {
                name: timed(argv, b"" if name == "base" else body, run_env) for name, argv, run_env in runs
            }
            if i >= 5:
                warm.append(times["warm"])
                base.append(times["base"])
                console.append(times["console"])
                if before_render:
                    before.append(times["before"])
        results["warm"] = {
            "runs": args.runs,
            "python_I_pass_ms": round(statistics.median(base) * 1000, 2),
            "render_ms": round(statistics.median(warm) * 1000, 2),
            "ratio": round(statistics.median(warm) / statistics.median(base), 3),
            "console_script_ms": round(statistics.median(console) * 1000, 2),
            "console_script_ratio": round(statistics.median(console) / statistics.median(base), 3),
        }
        if before:
            results["before"] = {
                "venv": args.compare,
                "render_ms": round(statistics.median(before) * 1000, 2),
                "ratio": round(statistics.median(before) / statistics.median(base), 3),
            }
        if args.live:  # interleaved with the line above, in a copy of the index: one config per cache
            live_env = with_live_segments(env, work, render, body, costline)
            plain, live, live_base = [], [], []
            for i in range(args.runs + 5):
                append_turn(info["live_path"], info["live_session"], rng)  # type: ignore[arg-type]
                w = timed(render, body, env)
                lw = timed(render, body, live_env)
                b = timed([python, "-I", "-c", "pass"], b"", env)
                if i >= 5:
                    plain.append(w)
                    live.append(lw)
                    live_base.append(b)
            shown = subprocess.run([*render, "--no-color"], input=body, capture_output=True, env=live_env)
            base_s = statistics.median(live_base)
            results["warm_live"] = {
                "runs": args.runs,
                "python_I_pass_ms": round(base_s * 1000, 2),
                "render_ms": round(statistics.median(plain) * 1000, 2),
                "ratio": round(statistics.median(plain) / base_s, 3),
                "live_render_ms": round(statistics.median(live) * 1000, 2),
                "live_ratio": round(statistics.median(live) / base_s, 3),
                "line": shown.stdout.decode().strip(),
            }
        if args.callgrind:
            counts: dict[str, list[int]] = {"python_I_pass": [], "render": [], "before": []}
            for _ in range(args.callgrind):
                append_turn(info["live_path"], info["live_session"], rng)  # type: ignore[arg-type]
                counts["python_I_pass"].append(instructions([python, "-I", "-c", "pass"], b"", env))
                counts["render"].append(instructions(render, body, env))
                if before_render:
                    counts["before"].append(instructions(before_render, body, before_env))
            results["instructions"] = {
                "runs": args.callgrind,
                **{f"{k}_millions": round(statistics.median(v) / 1e6, 2) for k, v in counts.items() if v},
            }
            # One render's system calls by name, each install's, beside the bare start's.
            append_turn(info["live_path"], info["live_session"], rng)  # type: ignore[arg-type]
            results["syscalls"] = {
                "python_I_pass": syscalls([python, "-I", "-c", "pass"], b"", env),
                "render": syscalls(render, body, env),
            }
            if before_render:
                results["syscalls"]["before"] = syscalls(before_render, body, before_env)  # type: ignore[index]
        line = subprocess.run([*render, "--no-color"], input=body, capture_output=True, env=env, check=False)
        results["line"] = line.stdout.decode().strip()
        if before_render:  # the same logs read by the other install: the same figures, to the cent
            line = subprocess.run(
                [*before_render, "--no-color"], input=body, capture_output=True, env=before_env
            )
            results["before"]["line"] = line.stdout.decode().strip()  # type: ignore[index]
            results["before"]["same_line"] = results["before"]["line"] == results["line"]  # type: ignore[index]

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
        # The machine is shared: its load (1, 5, 15-minute averages) when the run began and ended.
        results["load_average"] = {"start": load_at_start, "end": load_average()}
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
