"""Full-size robustness runs (opt-in: COSTLINE_STRESS=1 pytest tests/stress -s). Prints the figures.

16 renders at once across 4 sessions while writers append; a SIGKILL loop on the indexer; 10,000
renders over a growing transcript (bounded cache and log, constant memory per render, no orphan
processes); garbage fed to the parsers.
"""

from __future__ import annotations

import os
import random
import subprocess
import time

import pytest
from helpers import COSTLINE, assistant, payload, wait_for_refresh, write_transcript
from test_robustness import concurrent_renders, kill_loop, refreshes_never_overlapped

pytestmark = pytest.mark.skipif(not os.environ.get("COSTLINE_STRESS"), reason="opt-in: COSTLINE_STRESS=1")
SOAK = int(os.environ.get("COSTLINE_SOAK", "10000"))


def report(title: str, **figures: object) -> None:
    print(f"\n[stress] {title}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


def test_sixteen_renders_at_once(config_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLINE_TRACE_REFRESH", "1")
    result = concurrent_renders(config_dir, tmp_path, sessions=4, renders=16, appends=4, seed=3)
    ok = result["ours"] == result["cold"] and not result["leftovers"]
    runs = refreshes_never_overlapped(tmp_path / "cache")
    report(
        "concurrency",
        renders=result["renders"],
        peak_concurrent=16,
        background_refreshes=runs,
        equals_cold_rebuild=ok,
        temp_files_left=len(result["leftovers"]),
    )
    assert ok


def test_sigkill_loop(config_dir, tmp_path):
    result = kill_loop(config_dir, tmp_path, kills=50, seed=5)
    ok = result["ours"] == result["cold"]
    report(
        "crash safety",
        kills_injected=result["kills"],
        survived=result["kills"] if ok else 0,
        index_correct=ok,
    )
    assert ok


def test_soak(config_dir, tmp_path):
    rng = random.Random(9)
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m0", request_id="r0")])
    rss = []
    garbage = 0
    started = time.monotonic()
    base = time.time() - 20 * SOAK
    for i in range(SOAK):
        with open(path, "a") as fh:
            if i % 50 == 7:
                junk = os.urandom(rng.randrange(10, 2000)).replace(b"\n", b" ")
                garbage += len(junk)
                fh.buffer.write(junk + b"\n") if hasattr(fh, "buffer") else None
            fh.write(
                assistant(
                    msg_id=f"m{i + 1}",
                    request_id=f"r{i + 1}",
                    # one turn every 20 s, as a busy user makes them: 10,000 turns span 55 hours
                    ts=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(base + 20 * i)),
                )
                + "\n"
            )
        proc = subprocess.Popen(
            [COSTLINE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        proc.stdin.write(payload(path) if i % 97 else os.urandom(64))  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
        out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.returncode == 0 and out.count(b"\n") == 1 and not err
        if i % 100 == 0 and os.path.exists("/usr/bin/time"):  # the render's own peak memory, in KB
            timed = subprocess.run(
                ["/usr/bin/time", "-f", "%M", COSTLINE], input=payload(path), capture_output=True
            )
            rss.append(int(timed.stderr.split()[-1]))
        del usage
    wait_for_refresh(tmp_path / "cache")
    cache_bytes = sum(
        os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(tmp_path / "cache") for f in fs
    )
    log = tmp_path / "cache" / "costline.log"
    orphans = subprocess.run(["pgrep", "-f", "statusline index refresh"], capture_output=True).stdout.split()
    first, last = (rss[0], rss[-1]) if rss else (0, 0)
    report(
        "soak",
        renders=SOAK,
        render_peak_rss_kb_first=first,
        render_peak_rss_kb_last=last,
        seconds=round(time.monotonic() - started, 1),
        garbage_bytes=garbage,
        cache_kb=cache_bytes // 1024,
        log_kb=(log.stat().st_size // 1024 if log.exists() else 0),
        orphan_refreshes=len(orphans),
    )
    assert cache_bytes < 50 * 1024 * 1024
    assert not log.exists() or log.stat().st_size < 300 * 1024
    assert len(orphans) == 0
    assert last <= first * 1.2  # memory per render does not grow with the transcript
