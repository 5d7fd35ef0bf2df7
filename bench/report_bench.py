"""Reports where the money went, warm and from nothing: `report html`, `report by tool`, `report by agent`.

On one seeded corpus (bench/corpus.py, written once to --data and reused), for each costline
install given (--venv, and --baseline to compare with an older one side by side):
- warm: the index and the attribution built (and whatever a report keeps between runs), then
  `report html`, `report by tool` and `report by agent`, each run --runs times, interleaved
  across commands and installs; wall time and peak RSS (the largest process, from wait4);
- from nothing: `report html` with an empty cache dir (index, attribution and page in one run)
  against a cold `report daily --json` (the index alone), interleaved, --cold-runs times each;
  the ratio of their median walls.
Medians throughout (wall and CPU time); every run's wall is in the results (`walls_s`). The
JSON of `report by tool`, `by agent`, `by mcp` and `by model` from each install is compared to
the cent, and the pages (warm, and each made from nothing) byte for byte but for the clock.
All runs in UTC with an empty HOME; the page cache is warmed first.
Usage: python bench/report_bench.py [--venv .venv] [--baseline OLD_VENV] [--files 1000] [--mb 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench/ is not a package
from cold_bench import Run, ensure_corpus, run_child, warm_page_cache

BENCH = os.path.dirname(os.path.abspath(__file__))
WARM = {
    "warm_html": ["report", "html", "-o", "{scratch}/page.html"],
    "warm_by_tool": ["report", "by", "tool"],
    "warm_by_agent": ["report", "by", "agent"],
}
SPLIT_KINDS = ("tool", "agent", "mcp", "model")


def page_figures(path: str) -> str:
    """A page without what depends on the clock (when it was made, the month's projection)."""
    import re

    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    text = re.sub(r" generated [^<]*</p>", "</p>", text)
    text = re.sub(r"projected \$[\d,.]+", "projected", text)
    # The month's bar is drawn to the scale of the projection, which moves with the clock.
    return re.sub(r'(<section id="month">.*?</p>)<svg.*?</section>', r"\1</section>", text, flags=re.S)


def check_pages(installs: dict[str, str], root: str, out: str) -> None:
    """--pages-only: each install's page, warm and from nothing, against the first one's warm
    page (byte for byte but for the clock); sets `pages_equal` in an existing results file."""
    work = tempfile.mkdtemp(prefix="costline-pages-")
    home = os.path.join(work, "home")
    os.makedirs(home)
    pages: list[str] = []
    try:
        for name, venv in installs.items():
            costline = os.path.join(venv, "bin", "costline")
            env = environment(root, os.path.join(work, f"cache-{name}"), home)
            for what in ("cold", "warm"):  # the first run makes the index and attribution
                page = os.path.join(work, f"{what}-{name}.html")
                run = run_child([costline, "report", "html", "-o", page], env, work)
                if run.code != 0:
                    raise SystemExit(f"{name} {what}: {run.stderr.decode(errors='replace')[-500:]}")
                pages.append(page_figures(page))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(out) as fh:
        results = json.load(fh)
    results["pages_equal"] = all(p == pages[0] for p in pages)
    with open(out, "w") as fh:
        json.dump(results, fh, indent=2)
        fh.write("\n")
    print(f"pages equal: {results['pages_equal']} -> {out}")


def summary(runs: list[Run]) -> dict[str, object]:
    for run in runs:
        if run.code != 0:
            raise SystemExit(f"a run failed ({run.code}): {run.stderr.decode(errors='replace')[-500:]}")
    return {
        "wall_s": round(statistics.median(r.wall for r in runs), 3),
        # user + sys of the process and its reaped workers: less swayed than wall time by other
        # work on a shared machine
        "cpu_s": round(statistics.median(r.cpu for r in runs), 3),
        "peak_rss_mb": round(statistics.median(r.rss_kib for r in runs) / 1024, 1),
        "tree_peak_pss_mb": round(statistics.median(r.tree_pss_kib for r in runs) / 1024, 1),
        "walls_s": [round(r.wall, 3) for r in runs],
    }


def environment(root: str, cache: str, home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "COSTLINE_", "CLAUDE_"))}
    env.update(HOME=home, CLAUDE_CONFIG_DIR=root, COSTLINE_CACHE_DIR=cache, TZ="UTC")
    env.pop("NO_COLOR", None)
    return env


def equal_to_the_cent(docs: list[dict[str, object]]) -> bool:
    """Whether `report by` documents have the same rows, each cost within half a cent."""
    first = {r["name"]: r["cost"] for r in docs[0]["rows"]}  # type: ignore[attr-defined]
    for doc in docs[1:]:
        other = {r["name"]: r["cost"] for r in doc["rows"]}  # type: ignore[attr-defined]
        if set(other) != set(first) or any(abs(other[k] - first[k]) >= 0.005 for k in first):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--venv", default=".venv")
    parser.add_argument("--baseline", default=None, help="an older install's venv, measured beside it")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--mb", type=float, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--data", default=None, help="corpus dir (default /work/bench-data/<files>-<mb>)")
    parser.add_argument("--out", default=None, help="default bench/results-report-<files>.json")
    parser.add_argument(
        "--pages-only", action="store_true", help="only compare the pages (see check_pages), into --out"
    )
    args = parser.parse_args()

    installs = {"after": os.path.abspath(args.venv)}
    if args.baseline:
        installs["before"] = os.path.abspath(args.baseline)
    root = os.path.abspath(args.data or f"/work/bench-data/{args.files}-{args.mb:g}")
    out = args.out or os.path.join(BENCH, f"results-report-{args.files}.json")
    corpus = ensure_corpus(root, args.files, args.mb, args.days, args.seed)
    if args.pages_only:
        check_pages(installs, root, out)
        return
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),  # quoted by the README
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}",
        "installs": installs,
        "corpus": corpus,
        "page_cache_warm_read_s": round(warm_page_cache(root), 2),
        "runs": args.runs,
        "cold_runs": args.cold_runs,
    }
    work = tempfile.mkdtemp(prefix="costline-report-")
    home = os.path.join(work, "home")
    os.makedirs(home)
    try:
        # Warm: each install's cache built once by its first html (not timed), then interleaved.
        warm: dict[str, dict[str, list[Run]]] = {name: {k: [] for k in WARM} for name in installs}
        envs = {name: environment(root, os.path.join(work, f"cache-{name}"), home) for name in installs}
        for name, venv in installs.items():
            costline = os.path.join(venv, "bin", "costline")
            first = run_child(
                [costline, *(a.format(scratch=work) for a in WARM["warm_html"])], envs[name], work
            )
            print(f"{name}: built the index and attribution in {first.wall:.1f} s", file=sys.stderr)
            run_child(
                [costline, *WARM["warm_html"][:2], "-o", os.path.join(work, "page.html")], envs[name], work
            )
        for i in range(args.runs):
            for what, argv in WARM.items():
                for name, venv in installs.items():
                    costline = os.path.join(venv, "bin", "costline")
                    full = [costline, *(a.format(scratch=work) for a in argv)]
                    warm[name][what].append(run_child(full, envs[name], work))
            line = ", ".join(
                f"{name} {what[5:]} {warm[name][what][-1].wall:.2f} s" for what in WARM for name in installs
            )
            print(f"warm run {i + 1}/{args.runs}: {line}", file=sys.stderr)
        docs: dict[str, list[dict[str, object]]] = {kind: [] for kind in SPLIT_KINDS}
        pages: list[str] = []
        for name, venv in installs.items():
            costline = os.path.join(venv, "bin", "costline")
            for kind in SPLIT_KINDS:
                run = run_child([costline, "report", "by", kind, "--json", "--no-refresh"], envs[name], work)
                docs[kind].append(json.loads(run.stdout))
            warm_page = os.path.join(work, f"warm-{name}.html")
            run_child([costline, "report", "html", "--no-refresh", "-o", warm_page], envs[name], work)
            pages.append(page_figures(warm_page))
        # From nothing: a fresh cache each run, html then cold daily, per install, interleaved.
        cold: dict[str, dict[str, list[Run]]] = {name: {"html": [], "daily": []} for name in installs}
        cold_pages_equal: list[bool] = []
        for i in range(args.cold_runs):
            for name, venv in installs.items():
                costline = os.path.join(venv, "bin", "costline")
                for what, argv in (
                    ("html", ["report", "html", "-o", os.path.join(work, "cold.html")]),
                    ("daily", ["report", "daily", "--json"]),
                ):
                    env = environment(root, os.path.join(work, f"cold-{name}-{what}-{i}"), home)
                    cold[name][what].append(run_child([costline, *argv], env, work))
                    if what == "html":  # the page from nothing is the warm page
                        cold_pages_equal.append(page_figures(os.path.join(work, "cold.html")) == pages[0])
                print(
                    f"cold run {i + 1}/{args.cold_runs} {name}: html {cold[name]['html'][-1].wall:.2f} s, "
                    f"daily {cold[name]['daily'][-1].wall:.2f} s",
                    file=sys.stderr,
                )
            # Caches are removed after the last run (see cold_bench.py: deleting them between
            # timed runs slowed the next run's file creation on this VM).
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name in installs:
        doc: dict[str, object] = {what: summary(warm[name][what]) for what in WARM}
        html, daily = summary(cold[name]["html"]), summary(cold[name]["daily"])
        doc["html_from_nothing"] = html
        doc["daily_cold"] = daily
        doc["ratio_html_from_nothing_over_daily_cold"] = round(html["wall_s"] / daily["wall_s"], 2)  # type: ignore[operator]
        results[name] = doc
    results["split_reports_equal_to_the_cent"] = all(equal_to_the_cent(d) for d in docs.values())
    # The page's figures, byte for byte but for the clock: each install's warm page, and every
    # page made from nothing, against the first install's warm page.
    results["pages_equal"] = all(p == pages[0] for p in pages) and all(cold_pages_equal)
    with open(out, "w") as fh:
        json.dump(results, fh, indent=2)
        fh.write("\n")
    for name in installs:
        doc = results[name]  # type: ignore[assignment]
        print(
            f"{name}: "
            + ", ".join(f"{w[5:]} {doc[w]['wall_s']} s {doc[w]['peak_rss_mb']} MB" for w in WARM)  # type: ignore[index]
            + f"; html from nothing {doc['html_from_nothing']['wall_s']} s vs cold daily "  # type: ignore[index]
            f"{doc['daily_cold']['wall_s']} s = {doc['ratio_html_from_nothing_over_daily_cold']}×"
        )
    print(
        f"by tool/agent/mcp/model equal to the cent: {results['split_reports_equal_to_the_cent']}, "
        f"pages equal: {results['pages_equal']} -> {out}"
    )


if __name__ == "__main__":
    main()
