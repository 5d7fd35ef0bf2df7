"""Render the status line for a sample payload against a made-up Claude Code history of today.

    python samples/demo.py [PAYLOAD]     (scripts/demo.sh runs it with the installed costline)

The sample session's own transcript, dated today, logs what its payload says it cost, and an
earlier session of another project adds to today: the line reads `$0.51 session · $1.37 today`,
today's figure including the session's. Everything lives in a temporary folder (Claude config
dir, cache dir, a config with offline prices) that is removed at the end: the demo reads none of
your logs and writes nothing into your cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODEL = "claude-opus-4-6"
# (input, 5-minute cache write, cache read, output) per response. At Opus 4.6's list prices ($5,
# $6.25, $0.50, $25 per million) the sample session's three add up to its payload's $0.5134;
# the other session's one costs $0.86.
THIS_SESSION = [(3_000, 18_000, 0, 800), (1_200, 0, 200_000, 1_500), (1_200, 0, 400_000, 656)]
EARLIER_SESSION = [(2_000, 40_000, 600_000, 12_000)]


def today_times(count: int, now: float) -> list[float]:
    """`count` moments of today before now, oldest first (after local midnight, whenever run)."""
    local = time.localtime(now)
    midnight = time.mktime((local.tm_year, local.tm_mon, local.tm_mday, 0, 0, 0, 0, 0, -1))
    start = max(midnight + 1, now - 3 * 3600)
    step = (max(now - 1, start + count) - start) / count  # (seconds past midnight: still today)
    return [start + step * i for i in range(count)]


def iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1000):03d}Z"


def transcript(
    path: Path, session: str, cwd: str, turns: list[tuple[int, int, int, int]], at: list[float]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for n, ((fresh, write, read, out), when) in enumerate(zip(turns, at, strict=True)):
        stamp = iso(when)
        base = {"sessionId": session, "cwd": cwd, "version": "2.1.197", "timestamp": stamp}
        lines.append({**base, "type": "user", "message": {"role": "user", "content": f"step {n + 1}"}})
        usage = {
            "input_tokens": fresh,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
            "output_tokens": out,
            "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
        }
        message = {"id": f"msg_{session[:8]}_{n}", "type": "message", "role": "assistant", "model": MODEL}
        message.update(content=[{"type": "text", "text": "done"}], usage=usage)
        lines.append({**base, "type": "assistant", "requestId": f"req_{session[:8]}_{n}", "message": message})
    path.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))


def main(argv: list[str]) -> int:
    sample = Path(argv[0]) if argv else HERE / "payload-opus.json"
    payload = json.loads(sample.read_text())
    costline = os.path.join(os.path.dirname(sys.executable), "costline")
    work = Path(tempfile.mkdtemp(prefix="costline-demo-"))
    try:
        claude = work / "claude" / "projects"
        session = str(payload.get("session_id") or "demo-session")
        cwd = str(payload.get("cwd") or "/home/you/src/app")
        now = time.time()
        times = today_times(len(EARLIER_SESSION) + len(THIS_SESSION), now)
        transcript(
            claude / "-home-you-src-api" / "earlier.jsonl",
            "earlier",
            "/home/you/src/api",
            EARLIER_SESSION,
            times[:1],
        )
        own = claude / ("-" + cwd.strip("/").replace("/", "-")) / f"{session}.jsonl"
        transcript(own, session, cwd, THIS_SESSION, times[1:])
        payload["transcript_path"] = str(own)
        (work / "config.toml").write_text("[pricing]\noffline = true\n")
        env = dict(
            os.environ,
            CLAUDE_CONFIG_DIR=str(work / "claude"),
            COSTLINE_CACHE_DIR=str(work / "cache"),
            COSTLINE_CONFIG=str(work / "config.toml"),
        )
        # The index first, so the line shows today whole (not `…`, still being computed).
        subprocess.run([costline, "index", "refresh"], env=env, check=True, capture_output=True)
        line = subprocess.run(
            [costline], input=json.dumps(payload).encode(), env=env, check=True, capture_output=True
        ).stdout
        sys.stdout.buffer.write(line)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
