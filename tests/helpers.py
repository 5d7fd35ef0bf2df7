"""Builders for transcript lines and payloads, shaped like Claude Code 2.1.197 writes them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

COSTLINE = os.path.join(os.path.dirname(sys.executable), "costline")


ONE = 10 * 5 / 1e6 + 100 * 25 / 1e6  # the price of one default assistant() line (Opus 4.8)


def assistant(
    *,
    msg_id: str | None = "msg_1",
    request_id: str | None = "req_1",
    model: str | None = "claude-opus-4-8",
    ts: str = "2026-11-20T10:00:00.000Z",
    session: str | None = "s1",
    usage: dict | None = None,
    sidechain: bool = False,
    **envelope: object,
) -> str:
    """One assistant line with compact JSON (as Claude Code writes it)."""
    u: dict[str, object] = {
        "input_tokens": 10,
        "output_tokens": 100,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    u.update(usage or {})
    message: dict[str, object] = {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": "hi"}],
        "usage": u,
    }
    if msg_id is not None:
        message["id"] = msg_id
    if model is not None:
        message["model"] = model
    line: dict[str, object] = {
        "parentUuid": "p",
        "isSidechain": sidechain,
        "userType": "external",
        "cwd": "/w",
        "version": "2.1.197",
        "message": message,
        "type": "assistant",
        "uuid": "u",
        "timestamp": ts,
    }
    if session is not None:
        line["sessionId"] = session
    if request_id is not None:
        line["requestId"] = request_id
    line.update(envelope)
    return json.dumps(line, separators=(",", ":"))


def user(text: str = "hello", ts: str = "2026-11-20T09:59:00.000Z", session: str = "s1") -> str:
    return json.dumps(
        {"type": "user", "message": {"role": "user", "content": text}, "timestamp": ts, "sessionId": session},
        separators=(",", ":"),
    )


def write_transcript(config: Path, project: str, name: str, lines: list[str], mode: str = "w") -> Path:
    path = config / "projects" / project / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode, encoding="utf-8") as fh:
        for line in lines:
            fh.write(line + "\n")
    return path


def payload(transcript: Path | str | None = None, session: str = "s1", **extra: object) -> bytes:
    body: dict[str, object] = {
        "session_id": session,
        "transcript_path": str(transcript) if transcript else None,
        "cwd": "/w",
        "model": {"id": "claude-opus-4-8[1m]", "display_name": "Opus 4.8 (1M context)"},
        "version": "2.1.197",
    }
    body.update(extra)
    return json.dumps(body).encode()


def run_costline(
    stdin: bytes, *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[bytes]:
    """Run the installed `costline` command as Claude Code does: payload on stdin."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [COSTLINE, *args], input=stdin, capture_output=True, env=full_env, timeout=timeout, check=False
    )


def wait_for_detached(cache: Path) -> None:
    """Until no process started for this cache dir (a render's detached runner or refresh, which
    inherit its COSTLINE_CACHE_DIR) is left: one started late under load may otherwise act on
    files a test has changed meanwhile (a command's result rewritten, a stamp pruned)."""
    import time

    mark = f"COSTLINE_CACHE_DIR={cache}".encode()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        alive = False
        for pid in filter(str.isdigit, os.listdir("/proc")):
            if int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/environ", "rb") as fh:
                    alive = mark in fh.read().split(b"\0")
            except OSError:
                continue  # gone, or not ours to read
            if alive:
                break
        if not alive:
            return
        time.sleep(0.05)
    raise AssertionError("a detached process of this cache dir did not finish")


def wait_for_refresh(cache: Path) -> None:
    """The background refresh is done once it has released bg.lock and written the scan."""
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        meta = cache / "index" / "v2" / "meta"
        lock = cache / "bg.lock"
        if meta.exists() and lock.exists():
            fd = os.open(lock, os.O_RDWR)
            try:
                os.lockf(fd, os.F_TLOCK, 0)  # costline's locks are POSIX record locks
                os.lockf(fd, os.F_ULOCK, 0)
                return
            except OSError:
                pass
            finally:
                os.close(fd)
        time.sleep(0.05)
    raise AssertionError("background refresh did not finish")


def report_json(*args: str) -> dict:
    """`costline report …` run in process (the source tree), in UTC, as parsed JSON."""
    from click.testing import CliRunner

    from statusline.cli import cli

    out = CliRunner().invoke(cli, ["report", *args, "--json", "-z", "UTC"])
    assert out.exit_code == 0, out.output
    return dict(json.loads(out.stdout))


def cost_rows(doc: dict) -> dict[str, float]:
    """A `report by` document's rows as name → cost."""
    return {r["name"]: r["cost"] for r in doc["rows"]}


def installed_parent() -> str:
    """The folder the installed `statusline` is imported from (as the launcher is written)."""
    return subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import os, statusline; print(os.path.dirname(os.path.dirname(statusline.__file__)))",
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()


def rounded(doc: object) -> object:
    """A JSON document with its floats rounded to a billionth: sums of the same costs added in
    another order may differ in their last bits."""
    if isinstance(doc, float):
        return round(doc, 9)
    if isinstance(doc, dict):
        return {k: rounded(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [rounded(v) for v in doc]
    return doc
