"""Cold `costline report daily --json` against `ccusage daily --json --offline`: time, CPU, memory, totals.

For --runs runs, interleaved: costline with a fresh, empty COSTLINE_CACHE_DIR (so the command builds
the whole index), then ccusage over the same logs; both in UTC with an empty HOME. Reports medians of
wall time, CPU time (user + sys of the child and its reaped workers, from wait4) and peak RSS (the
largest single process, from wait4; and, sampled, the sum over the process tree, since parallel
workers add up), the ratios costline/ccusage, and whether the daily figures agree to the cent on
the models both price (ccusage prices some newer models at $0: README, "Differences from ccusage").
Token counts are compared on every model.
The seeded corpus (bench/corpus.py) is written once to --data and reused; the page cache is warmed
before the first run, so "cold" means no index, not an empty page cache.
With --baseline OTHER_VENV, another install (the version before a change) is timed the same way
in each round, before this one, so before and after come from one run under the same load; the
load average (1 min) before each command is kept beside the times (the machine is shared).
Usage: python bench/cold_bench.py --ccusage PATH [--venv .venv] [--baseline OLD_VENV] [--files 1000]
       [--mb 1000] [--data DIR] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench/ is not a package
from corpus import generate

BENCH = os.path.dirname(os.path.abspath(__file__))
TOKEN_FIELDS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
SAMPLE_S = 0.02  # process-tree memory sampling interval
CENT = 0.005  # "equal to the cent": rounding both to cents gives the same figure, within float noise


@dataclass
class Run:
    """One child process: wall seconds, CPU seconds (user + sys, reaped workers included), peak RSS
    of the largest single process (KiB, from wait4), peak sums over the process tree (KiB, sampled
    every SAMPLE_S: Rss counts pages shared after fork once per process, Pss splits them), stdout."""

    wall: float
    cpu: float
    rss_kib: int
    tree_rss_kib: int
    tree_pss_kib: int
    code: int
    stdout: bytes
    stderr: bytes
    load: float = 0.0  # the 1-minute load average just before it started


def tree_memory(pid: int) -> tuple[int, int]:
    """(sum of Rss, sum of Pss) in KiB over `pid` and its descendants, from /proc."""
    rss = pss = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith(b"Pss:"):
                        pss += int(line.split()[1])
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            pass  # it ended while we looked
    return rss, pss


def sample_tree(pid: int, done: threading.Event, peaks: list[int]) -> None:
    """Keep `peaks` = [max tree Rss, max tree Pss] until `done` is set."""
    while not done.wait(SAMPLE_S):
        rss, pss = tree_memory(pid)
        peaks[0], peaks[1] = max(peaks[0], rss), max(peaks[1], pss)


def run_child(argv: list[str], env: dict[str, str], scratch: str) -> Run:
    """Run `argv` to the end; stdout and stderr go to files, so no pipe can fill while we wait4."""
    out_path, err_path = os.path.join(scratch, "stdout"), os.path.join(scratch, "stderr")
    peaks = [0, 0]
    load = os.getloadavg()[0]
    done = threading.Event()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        sampler = threading.Thread(target=sample_tree, args=(proc.pid, done, peaks), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, "rb") as fh:
        stdout = fh.read()
    with open(err_path, "rb") as fh:
        stderr = fh.read()
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss, peaks[0], peaks[1], proc.returncode, stdout, stderr, load)


def corpus_size(root: str) -> tuple[int, int]:
    """(.jsonl files, bytes) under `root/projects`."""
    files = size = 0
    for folder, _dirs, names in os.walk(os.path.join(root, "projects")):
        for name in names:
            if name.endswith(".jsonl"):
                files += 1
                size += os.path.getsize(os.path.join(folder, name))
    return files, size


def ensure_corpus(root: str, files: int, mb: float, days: int, seed: int) -> dict[str, object]:
    """Reuse the corpus at `root` if it has one; otherwise generate it (seeded) and note how."""
    marker = os.path.join(root, "corpus.json")
    if not os.path.isdir(os.path.join(root, "projects")):
        start = time.perf_counter()
        info = generate(root, files, mb, days=days, seed=seed)
        info.update(files=files, mb=mb, days=days, seed=seed, generated_s=round(time.perf_counter() - start))
        with open(marker, "w") as fh:
            json.dump(info, fh, indent=2)
    transcripts, size = corpus_size(root)
    return {"root": root, "jsonl_files": transcripts, "mb": round(size / 1e6, 1)}


def warm_page_cache(root: str) -> float:
    """Read every log once so neither tool pays for the disk in its first run; seconds taken."""
    start = time.perf_counter()
    for folder, _dirs, names in os.walk(os.path.join(root, "projects")):
        for name in names:
            with open(os.path.join(folder, name), "rb") as fh:
                while fh.read(1 << 20):
                    pass
    return time.perf_counter() - start


def create_cost_us(folder: str, count: int = 200) -> float:
    """CPU microseconds this machine spends creating one empty file in `folder` now (the cost of a
    new inode swings from tens of microseconds to over a millisecond on the bench VM, whose ext4
    discards online; a cold build creates about a thousand files, ccusage none)."""
    probe = tempfile.mkdtemp(prefix="create-", dir=folder)
    start = time.process_time()
    for n in range(count):
        os.close(os.open(os.path.join(probe, str(n)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    spent = time.process_time() - start
    # Left for the end: deleting files here would make the next timed run's creates dearer
    # (the discard the deletion starts), which is why the caches wait for the end too.
    return round(spent / count * 1e6, 1)


def by_day(doc: dict[str, object]) -> dict[str, dict[str, dict[str, float]]]:
    """{day: {model: {cost, token fields}}} from a ccusage-shaped `daily` document."""
    days: dict[str, dict[str, dict[str, float]]] = {}
    for row in doc["daily"]:  # type: ignore[attr-defined]
        models = days.setdefault(row["period"], {})
        for m in row["modelBreakdowns"]:
            per = models.setdefault(m["modelName"], dict.fromkeys(("cost", *TOKEN_FIELDS), 0.0))
            for field in ("cost", *TOKEN_FIELDS):
                per[field] += m.get(field, 0)
    return days


def zero_priced(days: dict[str, dict[str, dict[str, float]]]) -> set[str]:
    """Models this tool priced at $0 anywhere (ccusage: missing from its table)."""
    return {m for models in days.values() for m, v in models.items() if v["cost"] == 0}


def compare(ours: dict[str, object], theirs: dict[str, object]) -> dict[str, object]:
    """Per day and per model, on the models both price: costs to the cent; tokens on every model."""
    our_days, their_days = by_day(ours), by_day(theirs)
    excluded = zero_priced(our_days) | zero_priced(their_days)
    day_diffs: dict[str, float] = {}
    model_diffs: list[dict[str, object]] = []
    token_diffs: list[dict[str, object]] = []
    for day in sorted(set(our_days) | set(their_days)):
        mine, yours = our_days.get(day, {}), their_days.get(day, {})
        both = [m for m in sorted(set(mine) | set(yours)) if m not in excluded]
        day_diffs[day] = sum(
            mine.get(m, {}).get("cost", 0.0) - yours.get(m, {}).get("cost", 0.0) for m in both
        )
        for m in both:
            a, b = mine.get(m, {}).get("cost", 0.0), yours.get(m, {}).get("cost", 0.0)
            if abs(a - b) >= CENT:
                model_diffs.append({"day": day, "model": m, "costline": round(a, 6), "ccusage": round(b, 6)})
        for m in sorted(set(mine) | set(yours)):
            for field in TOKEN_FIELDS:
                a, b = mine.get(m, {}).get(field, 0), yours.get(m, {}).get(field, 0)
                if a != b:
                    token_diffs.append({"day": day, "model": m, "field": field, "costline": a, "ccusage": b})
    per_model: dict[str, dict[str, float]] = {}
    for source, days in (("costline", our_days), ("ccusage", their_days)):
        for models in days.values():
            for m, v in models.items():
                per_model.setdefault(m, {"costline": 0.0, "ccusage": 0.0})[source] += v["cost"]
    bad_days = {d: round(x, 6) for d, x in day_diffs.items() if abs(x) >= CENT}
    return {
        "days": len(day_diffs),
        "days_only_in_costline": sorted(set(our_days) - set(their_days)),
        "days_only_in_ccusage": sorted(set(their_days) - set(our_days)),
        "models_excluded_priced_0_by_either": sorted(excluded),
        "costline_total": round(ours["totals"]["totalCost"], 4),  # type: ignore[index]
        "ccusage_total": round(theirs["totals"]["totalCost"], 4),  # type: ignore[index]
        "total_on_models_both_price": {
            "costline": round(sum(v["costline"] for m, v in per_model.items() if m not in excluded), 4),
            "ccusage": round(sum(v["ccusage"] for m, v in per_model.items() if m not in excluded), 4),
        },
        "per_model_total": {m: {k: round(x, 4) for k, x in v.items()} for m, v in sorted(per_model.items())},
        "max_daily_difference_on_models_both_price": max((abs(x) for x in day_diffs.values()), default=0.0),
        "days_differing_by_a_cent_or_more": bad_days,
        "day_model_cost_mismatches": model_diffs,
        "token_mismatches": token_diffs[:50],
        "token_mismatch_count": len(token_diffs),
        "agree_to_the_cent": not bad_days and not model_diffs,
    }


def summary(runs: list[Run]) -> dict[str, object]:
    return {
        "wall_s": round(statistics.median(r.wall for r in runs), 3),
        "cpu_s": round(statistics.median(r.cpu for r in runs), 3),
        "peak_rss_mb": round(statistics.median(r.rss_kib for r in runs) / 1024, 1),
        "max_peak_rss_mb": round(max(r.rss_kib for r in runs) / 1024, 1),
        "tree_peak_rss_mb": round(max(r.tree_rss_kib for r in runs) / 1024, 1),
        "tree_peak_pss_mb": round(max(r.tree_pss_kib for r in runs) / 1024, 1),
        "walls_s": [round(r.wall, 3) for r in runs],
        "cpus_s": [round(r.cpu, 3) for r in runs],
        "load_average_1min": [round(r.load, 2) for r in runs],
    }


def checked(run: Run, what: str) -> dict[str, object]:
    if run.code != 0:
        raise SystemExit(f"{what} exited {run.code}: {run.stderr.decode(errors='replace')[-2000:]}")
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--venv", default="/work/main/.venv")
    parser.add_argument("--baseline", default=None, help="another install, timed in each round too")
    parser.add_argument("--ccusage", required=True, help="the ccusage 20.0.24 native binary")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--mb", type=float, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", default=None, help="corpus dir (default /work/bench-data/<files>-<mb>)")
    parser.add_argument("--out", default=None, help="default bench/results-cold-<files>.json")
    args = parser.parse_args()

    costline = os.path.abspath(os.path.join(args.venv, "bin", "costline"))
    baseline = os.path.abspath(os.path.join(args.baseline, "bin", "costline")) if args.baseline else None
    root = os.path.abspath(args.data or f"/work/bench-data/{args.files}-{args.mb:g}")
    out = args.out or os.path.join(BENCH, f"results-cold-{args.files}.json")
    corpus = ensure_corpus(root, args.files, args.mb, args.days, args.seed)
    ccusage_version = subprocess.run([args.ccusage, "--version"], capture_output=True, text=True).stdout
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),  # quoted by the README
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}",
        "costline": costline,
        "baseline": baseline,
        "ccusage": f"{args.ccusage} ({ccusage_version.strip()})",
        "corpus": corpus,
        "page_cache_warm_read_s": round(warm_page_cache(root), 2),
    }
    ours: list[Run] = []
    theirs: list[Run] = []
    before: list[Run] = []
    floor: list[Run] = []  # orjson alone over every line, in as many processes (parse_floor.py)
    reader: list[Run] = []  # the same with costline's reader making every record (--records)
    python = os.path.join(os.path.dirname(costline), "python")
    work = tempfile.mkdtemp(prefix="costline-cold-")
    creates: list[float] = []
    try:
        for i in range(args.runs):
            creates.append(create_cost_us(work))
            home = os.path.join(work, f"home-{i}")
            os.makedirs(home)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "COSTLINE_", "CLAUDE_"))}
            env.update(HOME=home, CLAUDE_CONFIG_DIR=root, COSTLINE_CACHE_DIR=os.path.join(work, f"cache-{i}"))
            env.pop("NO_COLOR", None)
            daily = ["report", "daily", "--json", "-z", "UTC"]
            commands = [
                (ours, [costline, *daily], f"cache-{i}"),
                (theirs, [args.ccusage, "daily", "--json", "--offline", "-z", "UTC"], f"cache-{i}"),
                (floor, [python, os.path.join(BENCH, "parse_floor.py"), root], f"cache-{i}"),
                (reader, [python, os.path.join(BENCH, "parse_floor.py"), root, "--records"], f"cache-{i}"),
            ]
            if baseline:
                commands.insert(0, (before, [baseline, *daily], f"cache-before-{i}"))
            shift = i % len(commands)  # each command goes first in turn
            for runs, argv, cache in commands[shift:] + commands[:shift]:
                env["COSTLINE_CACHE_DIR"] = os.path.join(work, cache)
                runs.append(run_child(argv, env, work))
            us, them = ours[-1], theirs[-1]
            print(
                f"run {i + 1}/{args.runs}: costline {us.wall:.2f} s, {us.cpu:.2f} s CPU, "
                f"{us.rss_kib / 1024:.0f} MB; ccusage {them.wall:.2f} s, {them.cpu:.2f} s CPU, "
                f"{them.rss_kib / 1024:.0f} MB"
                + (f"; baseline {before[-1].wall:.2f} s, {before[-1].cpu:.2f} s CPU" if before else "")
                + f"; parse floor {floor[-1].wall:.2f} s, {floor[-1].cpu:.2f} s CPU"
                + f"; records floor {reader[-1].wall:.2f} s, {reader[-1].cpu:.2f} s CPU"
                + f"; load {os.getloadavg()[0]:.2f}",
                file=sys.stderr,
            )
            # Each run's cache is removed only after the last run: deleting thousands of files
            # just before the next timed run slowed its file creation several-fold on this VM
            # (ext4 mounted with online discard), which a user's first build never meets.
        creates.append(create_cost_us(work))
        our_doc, their_doc = checked(ours[-1], "costline"), checked(theirs[-1], "ccusage")
        before_doc = checked(before[-1], "baseline") if before else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    a, b = summary(ours), summary(theirs)
    results["runs"] = args.runs
    results["costline_report_daily_cold"] = a
    results["ccusage_daily_offline"] = b
    results["ratio_costline_over_ccusage"] = {
        "wall": round(a["wall_s"] / b["wall_s"], 2),  # type: ignore[operator]
        "cpu": round(a["cpu_s"] / b["cpu_s"], 2),  # type: ignore[operator]
    }
    results["totals"] = compare(our_doc, their_doc)
    f = summary(floor)
    results["parse_floor"] = f
    results["ratio_parse_floor_over_ccusage"] = {
        "wall": round(f["wall_s"] / b["wall_s"], 2),  # type: ignore[operator]
        "cpu": round(f["cpu_s"] / b["cpu_s"], 2),  # type: ignore[operator]
    }
    r = summary(reader)
    results["records_floor"] = r
    results["ratio_records_floor_over_ccusage"] = {
        "wall": round(r["wall_s"] / b["wall_s"], 2),  # type: ignore[operator]
        "cpu": round(r["cpu_s"] / b["cpu_s"], 2),  # type: ignore[operator]
    }
    results["ratio_costline_over_parse_floor"] = {
        "wall": round(a["wall_s"] / f["wall_s"], 2),  # type: ignore[operator]
        "cpu": round(a["cpu_s"] / f["cpu_s"], 2),  # type: ignore[operator]
    }
    if before and before_doc is not None:
        c = summary(before)
        results["baseline_report_daily_cold"] = c
        results["ratio_baseline_over_ccusage"] = {
            "wall": round(c["wall_s"] / b["wall_s"], 2),  # type: ignore[operator]
            "cpu": round(c["cpu_s"] / b["cpu_s"], 2),  # type: ignore[operator]
        }
        results["baseline_totals"] = compare(before_doc, their_doc)
        results["same_report_as_baseline"] = our_doc == before_doc
    loads = [run.load for run in ours + theirs + before + floor + reader]
    # Measured before each round and after the last, in the folder the caches are made in.
    results["file_create_cpu_us"] = {"median": statistics.median(creates), "each": creates}
    results["load_average_1min"] = {"median": round(statistics.median(loads), 2), "max": round(max(loads), 2)}
    with open(out, "w") as fh:
        json.dump(results, fh, indent=2)
        fh.write("\n")
    t = results["totals"]
    print(
        f"{corpus['jsonl_files']} files, {corpus['mb']} MB, {args.runs} runs (medians)\n"
        f"  costline cold: {a['wall_s']} s wall, {a['cpu_s']} s CPU, {a['peak_rss_mb']} MB peak RSS "
        f"(process tree: {a['tree_peak_rss_mb']} MB Rss, {a['tree_peak_pss_mb']} MB Pss)\n"
        f"  ccusage:       {b['wall_s']} s wall, {b['cpu_s']} s CPU, {b['peak_rss_mb']} MB peak RSS "
        f"(process tree: {b['tree_peak_rss_mb']} MB Rss, {b['tree_peak_pss_mb']} MB Pss)\n"
        f"  ratio costline/ccusage: {results['ratio_costline_over_ccusage']}\n"
        f"  parse floor (orjson alone, parse_floor.py): {f['wall_s']} s wall, {f['cpu_s']} s CPU; "
        f"floor/ccusage {results['ratio_parse_floor_over_ccusage']}, "
        f"costline/floor {results['ratio_costline_over_parse_floor']}\n"
        f"  records floor (costline's reader alone, --records): {r['wall_s']} s wall, {r['cpu_s']} s CPU; "
        f"over ccusage {results['ratio_records_floor_over_ccusage']}\n"
        f"  baseline: {results.get('baseline_report_daily_cold')}\n"
        f"  ratio baseline/ccusage: {results.get('ratio_baseline_over_ccusage')}\n"
        f"  load average: {results['load_average_1min']}\n"
        f"  totals agree to the cent on models both price: {t['agree_to_the_cent']} "  # type: ignore[index]
        f"(excluded: {t['models_excluded_priced_0_by_either']}; "  # type: ignore[index]
        f"token mismatches: {t['token_mismatch_count']})\n"  # type: ignore[index]
        f"  -> {out}"
    )


if __name__ == "__main__":
    main()
