"""The render path imports nothing beyond what it needs (a deterministic guard, not a timing).

Each of json, re, typing, dataclasses, datetime, tomllib, click, orjson costs more than the whole
render budget; this test fails the moment one of them (or anything new) reaches the hot path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from helpers import COSTLINE, assistant, installed_parent, payload, wait_for_refresh, write_transcript

# no fcntl: locks use os.lockf. gc is built into the interpreter (no file to find or load): the
# render turns the cyclic collector off, whose passes over the loaded code only cost time.
ALLOWED_EXTRA = {"__future__", "_json", "gc"}
FORBIDDEN = {
    "json",
    "re",
    "typing",
    "dataclasses",
    "datetime",
    "tomllib",
    "click",
    "orjson",
    "cachetools",
    "subprocess",
    "functools",
    "contextlib",
    "enum",
    "logging",
    "pathlib",
    "zoneinfo",
    "uuid",
    "traceback",
    "threading",
    "collections",
    "inspect",
    "ast",
    "tokenize",
    "importlib.metadata",
}


def imported_modules(argv: list[str], stdin: bytes) -> set[str]:
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    proc = subprocess.run(argv, input=stdin, capture_output=True, env=env, check=False)
    assert proc.returncode == 0
    names = set()
    for line in proc.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names


def bare_interpreter() -> set[str]:
    return imported_modules([sys.executable, "-c", "pass"], b"")


def check(stdin: bytes) -> None:
    extra = imported_modules([COSTLINE], stdin) - bare_interpreter()
    assert not extra & FORBIDDEN, f"forbidden on the render path: {sorted(extra & FORBIDDEN)}"
    unexpected = {m for m in extra if not m.startswith("statusline")} - ALLOWED_EXTRA
    assert not unexpected, f"new imports on the render path: {sorted(unexpected)}"


def test_warm_render_with_new_lines(config_dir):
    path = write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(ts=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()))]
    )
    subprocess.run([COSTLINE], input=payload(path), capture_output=True, check=True)
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m2", request_id="r2")], mode="a")
    check(payload(path, cost={"total_cost_usd": 0.5}, context_window={"used_percentage": 12}))


def test_first_render_with_no_index(config_dir):
    # The price table is compiled once per config change (that run parses TOML); the index is new.
    subprocess.run([COSTLINE, "pricing", "show"], capture_output=True, check=True)
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    check(payload(path))


def test_bad_payload():
    subprocess.run([COSTLINE], input=b"{}", capture_output=True, check=True)
    check(b"\xffnot json")


def test_sample_payload():
    subprocess.run([COSTLINE], input=b"{}", capture_output=True, check=True)  # compile the config once
    check((Path(__file__).resolve().parent.parent / "samples" / "payload-opus.json").read_bytes())


# -- the launcher `costline install` writes: Python without `site`, and no `os` on the render path
STARTUP = {"encodings", "encodings.aliases", "encodings.utf_8", "codecs", "io", "abc", "zipimport"}


def launcher_imports(tmp_path: Path, stdin: bytes) -> set[str]:
    """Modules a render through the launcher imports beyond the interpreter's own start."""
    python = sys.executable
    parent = installed_parent()
    from statusline.cli.launcher import script

    path = tmp_path / "costline-statusline"
    path.write_text(script(python, parent))
    names = set()
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # no width: nothing to fit
    for argv in (
        [python, "-IS", "-X", "importtime", str(path)],
        [python, "-IS", "-X", "importtime", "-c", "pass"],
    ):
        proc = subprocess.run(argv, input=stdin, capture_output=True, check=False, env=env)
        assert proc.returncode == 0
        found = {
            line.rsplit("|", 1)[1].strip()
            for line in proc.stderr.decode().splitlines()
            if line.startswith("import time:") and "|" in line
        }
        names = found if not names else names - found
    return names


def test_launcher_render_imports_neither_site_nor_os(config_dir, tmp_path):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    subprocess.run([COSTLINE], input=payload(path), capture_output=True, check=True)
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m2", request_id="r2")], mode="a")
    extra = launcher_imports(tmp_path, payload(path, cost={"total_cost_usd": 0.5}))
    assert "site" not in extra and "os" not in extra and "posixpath" not in extra, sorted(extra)
    unexpected = {m for m in extra if not m.startswith("statusline")} - ALLOWED_EXTRA - STARTUP
    assert not unexpected, f"new imports on the launcher's render path: {sorted(unexpected)}"


def test_a_render_that_finds_the_index_busy_imports_nothing_more(config_dir, tmp_path):
    """The background refresh holds the writers' lock: the render's failed try is no import
    (`errno` was imported on that path: test_launcher_render_imports_neither_site_nor_os then
    failed whenever the refresh held the lock at that moment)."""
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    subprocess.run([COSTLINE], input=payload(path), capture_output=True, check=True)
    wait_for_refresh(Path(os.environ["COSTLINE_CACHE_DIR"]))
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m2", request_id="r2")], mode="a")
    lock = Path(os.environ["COSTLINE_CACHE_DIR"]) / "index" / "v2" / "lock"
    fd = os.open(lock, os.O_RDWR)
    try:
        os.lockf(fd, os.F_LOCK, 0)  # as a running refresh holds it
        extra = launcher_imports(tmp_path, payload(path, cost={"total_cost_usd": 0.5}))
    finally:
        os.close(fd)
    unexpected = {m for m in extra if not m.startswith("statusline")} - ALLOWED_EXTRA - STARTUP
    assert not unexpected, f"new imports when the index is busy: {sorted(unexpected)}"


def test_a_render_showing_this_sessions_split_imports_nothing_more(config_dir, tmp_path):
    """`agents` and `tools` read the one live file the refresh wrote: no attribution code, no
    report code on the render path."""
    Path(os.environ["COSTLINE_CONFIG"]).write_text(
        '[pricing]\noffline = true\n\n[line]\nsegments = ["model", "session", "agents", "tools"]\n'
    )
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    subprocess.run([COSTLINE], input=payload(path), capture_output=True, check=True)
    wait_for_refresh(Path(os.environ["COSTLINE_CACHE_DIR"]))
    subprocess.run([COSTLINE, "index", "refresh"], capture_output=True, check=True)
    assert list((Path(os.environ["COSTLINE_CACHE_DIR"]) / "index" / "v2" / "live").iterdir())
    shown = subprocess.run([COSTLINE], input=payload(path), capture_output=True, check=True).stdout
    assert b"main " in shown
    write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="m2", request_id="r2")], mode="a")
    check(payload(path, cost={"total_cost_usd": 0.5}))
    extra = launcher_imports(tmp_path, payload(path, cost={"total_cost_usd": 0.5}))
    assert not {m for m in extra if m.startswith(("statusline.attrib", "statusline.report"))}, sorted(extra)
    unexpected = {m for m in extra if not m.startswith("statusline")} - ALLOWED_EXTRA - STARTUP
    assert not unexpected, f"new imports with the live segments on: {sorted(unexpected)}"


def test_a_render_with_command_segments_that_starts_the_runner_imports_nothing_more(tmp_path):
    """`cmd:NAME` segments read kept files; a due command starts the runner detached: neither
    brings subprocess, json or anything else onto the render path."""
    config = Path(os.environ["COSTLINE_CONFIG"])
    config.write_text(
        config.read_text()
        + '[line]\nrows = [["model"], ["cmd:one", "cmd:two"]]\n'
        + '[commands.one]\nrun = "echo 1"\n[commands.two]\nrun = "echo 2"\n'
    )
    body = payload(None, cwd=str(tmp_path))
    subprocess.run([COSTLINE], input=b"{}", capture_output=True, check=True)  # compile the config once
    check(body)  # due: writes the payload, starts the runner
    kept = [p.read_bytes() for p in (Path(os.environ["COSTLINE_CACHE_DIR"]) / "commands").glob("*.payload")]
    assert body in kept
