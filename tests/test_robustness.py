"""Unbreakable and private: fuzzed inputs, concurrent renders, kills mid-write, faults, hostile strings.

The default run uses small, seeded versions; COSTLINE_STRESS=1 runs tests/stress/ at full size.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import (
    COSTLINE,
    assistant,
    payload,
    run_costline,
    wait_for_detached,
    wait_for_refresh,
    write_transcript,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusline import paths
from statusline.config import load_config
from statusline.index.lines import Skip, records_from_line
from statusline.payload import loads, parse_payload

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=15), inner, max_size=5),
    max_leaves=25,
)
PAYLOAD_KEYS = st.sampled_from(
    [
        "session_id",
        "transcript_path",
        "cwd",
        "model",
        "cost",
        "context_window",
        "workspace",
        "rate_limits",
        "version",
        "exceeds_200k_tokens",
    ]
)
PAYLOADS = st.dictionaries(PAYLOAD_KEYS, JSON, max_size=8) | JSON


def prepared_cache() -> None:
    """An index that is complete and a refresh just done, so renders start no background job."""
    cache = Path(os.environ["COSTLINE_CACHE_DIR"])
    (cache / "index" / "v2").mkdir(parents=True, exist_ok=True)
    from statusline.index.store import Store

    store = Store(str(cache))
    store.ensure()
    store.write("meta", {"format": 1, "rescan_epoch": 0, "full_scan_ms": int(time.time() * 1000)})
    (cache / "refresh.stamp").touch()


# -- fuzzing ---------------------------------------------------------------------------------
@FUZZ
@given(value=PAYLOADS)
def test_any_json_payload_renders_one_line(value):
    from statusline.render import build_line

    prepared_cache()
    raw = json.dumps(value, allow_nan=True).encode()
    line = build_line(raw, os.environ, time.time(), [])
    assert isinstance(line, str) and line and "\n" not in line


@FUZZ
@given(raw=st.binary(max_size=400))
def test_any_bytes_render_one_line(raw):
    from statusline.render import build_line

    prepared_cache()
    line = build_line(raw, os.environ, time.time(), [])
    assert isinstance(line, str) and line and "\n" not in line


@FUZZ
@given(raw=st.binary(max_size=300) | st.builds(lambda v: b'{"usage":{' + json.dumps(v).encode(), JSON))
def test_transcript_line_parser_never_raises_past_its_boundary(raw):
    try:
        records = records_from_line(raw, lambda b: loads(b.decode("utf-8")), "file-session")
    except Skip:
        return
    assert isinstance(records, list)


@FUZZ
@given(
    message=JSON,
    usage=st.dictionaries(
        st.sampled_from(
            [
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
                "cache_creation",
                "speed",
                "iterations",
                "inference_geo",
            ]
        ),
        JSON,
        max_size=8,
    ),
)
def test_transcript_shapes(message, usage):
    line = json.dumps(
        {
            "type": "assistant",
            "timestamp": "2026-11-20T10:00:00.000Z",
            "message": {"id": "m", "model": "claude-opus-4-8", "content": message, "usage": usage},
        },
        separators=(",", ":"),
    ).encode()
    try:
        records_from_line(line, lambda b: loads(b.decode("utf-8")), "s")
    except Skip:
        pass


@FUZZ
@given(
    text=st.text(max_size=300)
    | st.builds(lambda k, v: f"[pricing]\n{k} = {v}\n", st.text(max_size=12), st.text(max_size=12))
)
def test_config_loader_never_raises(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_bytes(text.encode("utf-8", "replace"))
    config = load_config(str(path))
    assert isinstance(config.warnings, list)


def test_parse_payload_boundaries():
    assert parse_payload(b"")[1] and parse_payload(b"[]")[1] and parse_payload(b"x" * (5 << 20))[1]
    assert parse_payload(b'{"a": NaN}')[0] == {"a": pytest.approx(float("nan"), nan_ok=True)}


# -- hostile strings ---------------------------------------------------------------------------
def test_malicious_branch_name_cannot_reach_the_terminal(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    evil = "main\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\x1b]0;owned\x07\x1b[2J\u202eexe.txt"
    (repo / ".git" / "HEAD").write_text(f"ref: refs/heads/{evil}\n")
    line = run_costline(payload(None, cwd=str(repo), workspace={"current_dir": str(repo)})).stdout.decode()
    assert "main" in line and "click" in line
    visible = line.replace("\x1b[0m", "")
    for code in ("\x1b]", "\x07", "\x1b[2J", "\u202e"):
        assert code not in visible
    assert all(part[:1] == "[" for part in line.split("\x1b")[1:])  # only our own colour codes remain


# Format characters that reorder or hide text (bidi embeddings, overrides, isolates, marks, the
# Arabic letter mark), line and paragraph separators, zero-width and tag characters.
FORMAT_CHARACTERS = (
    "\u2028\u2029\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u200e\u200f\u200b\ufeff\u00ad\u2060\U000e0041\U000e0001"
)


@pytest.mark.parametrize("source", ["session name", "model display name", ".git/HEAD"])
def test_format_characters_reach_the_line_from_no_source(tmp_path, source):
    # Found: U+2028, U+2029 and U+061C reached the line from each of these.
    config = tmp_path / "line.toml"
    config.write_text('[pricing]\noffline = true\n[line]\nsegments = ["model", "session_name", "git"]\n')
    evil = "\U0001f469\u200d\U0001f4bba" + "".join(f"{ch}{i}" for i, ch in enumerate(FORMAT_CHARACTERS))
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text(f"ref: refs/heads/{evil if source == '.git/HEAD' else 'main'}\n")
    body = {"workspace": {"current_dir": str(repo)}, "session_name": "plain"}
    body["model"] = {"id": "claude-opus-4-8", "display_name": "Opus"}
    if source == "session name":
        body["session_name"] = evil
    elif source == "model display name":
        body["model"]["display_name"] = evil
    env = {"NO_COLOR": "1", "COSTLINE_CONFIG": str(config), "COLUMNS": "400"}
    line = run_costline(payload(None, **body), env=env).stdout.decode("utf-8")
    shown = [ch for ch in FORMAT_CHARACTERS if ch in line]
    assert not shown, [hex(ord(ch)) for ch in shown]
    assert "a01234" in line  # the text around them stays, in order
    assert "\U0001f469\u200d\U0001f4bb" in line or source != "session name"  # ZWJ joins an emoji


def test_worktree_branch_is_followed(tmp_path):
    main_git = tmp_path / "main" / ".git" / "worktrees" / "wt"
    main_git.mkdir(parents=True)
    (main_git / "HEAD").write_text("ref: refs/heads/feature-x\n")
    wt = tmp_path / "wt"
    wt.mkdir()
    (wt / ".git").write_text(f"gitdir: {main_git}\n")
    line = run_costline(payload(None, workspace={"current_dir": str(wt / "sub")}), env={"NO_COLOR": "1"})
    assert "feature-x" in line.stdout.decode()


def test_no_shell_and_subprocesses_take_argument_lists():
    source = "\n".join(
        p.read_text() for p in Path(__file__).resolve().parent.parent.joinpath("statusline").rglob("*.py")
    )
    assert "shell=True" not in source and "os.system(" not in source and "os.popen(" not in source


def test_offline_render_opens_no_socket(config_dir):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    proc = subprocess.run([COSTLINE], input=payload(path), capture_output=True, env=env, check=True)
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.decode().splitlines() if "|" in line}
    assert "socket" not in imported and "ssl" not in imported and "urllib.request" not in imported
    assert not (Path(os.environ["COSTLINE_CACHE_DIR"]) / "pricing.stamp").exists()


# -- privacy ---------------------------------------------------------------------------------
def test_everything_in_the_cache_is_private(config_dir, tmp_path):
    path = write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(ts=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()))]
    )
    run_costline(payload(path, cost={"total_cost_usd": 0.5}))
    wait_for_refresh(tmp_path / "cache")
    run_costline(payload(path, cost={"total_cost_usd": 1.5}))
    run_costline(b"garbage")  # writes the log
    cache = tmp_path / "cache"
    for folder, dirs, files in os.walk(cache):
        for d in dirs:
            assert os.stat(os.path.join(folder, d)).st_mode & 0o077 == 0, d
        for f in files:
            if os.path.islink(os.path.join(folder, f)):  # the config-dir claim: read, never followed
                assert f == paths.CLAIM, f
                continue
            assert os.stat(os.path.join(folder, f)).st_mode & 0o077 == 0, f
    assert os.stat(cache).st_mode & 0o077 == 0


# -- faults ----------------------------------------------------------------------------------
def test_cache_dir_removed_between_renders(config_dir, tmp_path):
    import shutil

    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    run_costline(payload(path))
    wait_for_refresh(tmp_path / "cache")
    # The refresh may not have taken its lock yet when the render's meta is there: removing the
    # folder while it writes failed once under load ("Directory not empty").
    wait_for_detached(tmp_path / "cache")
    shutil.rmtree(tmp_path / "cache")
    proc = run_costline(payload(path, cost={"total_cost_usd": 0.25}))
    assert proc.returncode == 0 and b"$0.25 session" in proc.stdout
    wait_for_refresh(tmp_path / "cache")


def test_home_unset_and_odd_paths(tmp_path):
    odd = tmp_path / "dir with spaces" / "naïve ✓"
    config = odd / "claude"
    write_transcript(config, "p q", "s ü.jsonl", [assistant()])
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "COSTLINE_CACHE_DIR")}
    env.update(CLAUDE_CONFIG_DIR=str(config), XDG_CACHE_HOME=str(odd / "cache"))
    proc = subprocess.run(
        [COSTLINE],
        input=payload(config / "projects" / "p q" / "s ü.jsonl"),
        capture_output=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.count(b"\n") == 1
    wait_for_refresh(odd / "cache" / "costline")


def test_transcript_replaced_by_a_directory(config_dir, tmp_path):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    run_costline(payload(path))
    wait_for_refresh(tmp_path / "cache")
    path.unlink()
    path.mkdir()
    proc = run_costline(payload(path, cost={"total_cost_usd": 0.1}))
    assert proc.returncode == 0 and b"$0.10 session" in proc.stdout


# -- concurrency and kills (small, seeded; tests/stress has the full-size runs) ------------------
def cold_totals(config_dir: Path, cache: Path) -> dict:
    env = dict(os.environ, COSTLINE_CACHE_DIR=str(cache), CLAUDE_CONFIG_DIR=str(config_dir))
    subprocess.run([COSTLINE, "index", "rebuild"], env=env, capture_output=True, check=True)
    out = subprocess.run(
        [COSTLINE, "report", "daily", "--json", "-z", "UTC", "--no-refresh"],
        env=env,
        capture_output=True,
        check=True,
    )
    return {d["period"]: round(d["totalCost"], 9) for d in json.loads(out.stdout)["daily"]}


def concurrent_renders(
    config_dir: Path, tmp_path: Path, sessions: int, renders: int, appends: int, seed: int
) -> dict:
    rng = random.Random(seed)
    paths = [
        write_transcript(
            config_dir,
            f"p{s}",
            f"s{s}.jsonl",
            [assistant(msg_id=f"m{s}-0", request_id=f"r{s}-0", session=f"s{s}")],
        )
        for s in range(sessions)
    ]
    procs = []
    for step in range(appends):
        for s, path in enumerate(paths):
            with open(path, "a") as fh:
                i = step + 1
                fh.write(
                    assistant(
                        msg_id=f"m{s}-{i}",
                        request_id=f"r{s}-{i}",
                        session=f"s{s}",
                        usage={"output_tokens": rng.randrange(1, 5000)},
                    )
                    + "\n"
                )
        for _ in range(renders):
            s = rng.randrange(sessions)
            procs.append(
                subprocess.Popen(
                    [COSTLINE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
            )
            procs[-1].stdin.write(payload(paths[s], session=f"s{s}"))  # type: ignore[union-attr]
            procs[-1].stdin.close()  # type: ignore[union-attr]
    outputs = []
    for proc in procs:
        outputs.append((proc.stdout.read(), proc.stderr.read()))  # type: ignore[union-attr]
        proc.wait(timeout=60)
    wait_for_refresh(tmp_path / "cache")
    subprocess.run([COSTLINE, "index", "refresh"], capture_output=True, check=True)
    out = subprocess.run(
        [COSTLINE, "report", "daily", "--json", "-z", "UTC", "--no-refresh"], capture_output=True, check=True
    )
    ours = {d["period"]: round(d["totalCost"], 9) for d in json.loads(out.stdout)["daily"]}
    cold = cold_totals(config_dir, tmp_path / "cold-cache")
    leftovers = [f for _, _, files in os.walk(tmp_path / "cache") for f in files if f.endswith(".tmp")]
    return {"ours": ours, "cold": cold, "outputs": outputs, "leftovers": leftovers, "renders": len(procs)}


def refreshes_never_overlapped(cache: Path) -> int:
    """Check the refresh trace: each start is followed by its own end; return how many ran."""
    trace = cache / "refresh.trace"
    events = [line.split() for line in trace.read_text().splitlines()] if trace.exists() else []
    running = None
    for event, pid, _t in events:
        if event == "start":
            assert running is None, f"refresh {pid} started while {running} was running"
            running = pid
        else:
            assert running == pid
            running = None
    return sum(1 for e in events if e[0] == "start")


def test_concurrent_renders_equal_a_cold_rebuild(config_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLINE_TRACE_REFRESH", "1")
    result = concurrent_renders(config_dir, tmp_path, sessions=2, renders=4, appends=2, seed=7)
    assert refreshes_never_overlapped(tmp_path / "cache") >= 1
    assert all(out.count(b"\n") == 1 and not err for out, err in result["outputs"])
    assert result["ours"] == result["cold"] and result["ours"]
    assert result["leftovers"] == []


def kill_loop(config_dir: Path, tmp_path: Path, kills: int, seed: int) -> dict:
    rng = random.Random(seed)
    lines = [
        assistant(
            msg_id=f"m{i}",
            request_id=f"r{i}",
            ts=f"2026-11-{10 + i % 15:02d}T10:{i % 60:02d}:00.000Z",
            usage={"output_tokens": 1 + i},
        )
        for i in range(3000)
    ]
    for f in range(6):
        write_transcript(config_dir, f"p{f}", f"s{f}.jsonl", lines[f::6])
    survived = 0
    for _ in range(kills):
        proc = subprocess.Popen(
            [COSTLINE, "index", "rebuild"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.05, 0.6))  # fault injection, not synchronisation
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        survived += 1
    subprocess.run([COSTLINE, "index", "refresh"], capture_output=True, check=True)
    out = subprocess.run(
        [COSTLINE, "report", "daily", "--json", "-z", "UTC", "--no-refresh"], capture_output=True, check=True
    )
    ours = {d["period"]: round(d["totalCost"], 9) for d in json.loads(out.stdout)["daily"]}
    return {"ours": ours, "cold": cold_totals(config_dir, tmp_path / "cold-cache"), "kills": survived}


def test_killed_indexers_never_leave_a_wrong_index(config_dir, tmp_path):
    result = kill_loop(config_dir, tmp_path, kills=4, seed=11)
    assert result["ours"] == result["cold"] and len(result["ours"]) == 15


def test_render_log_and_cache_stay_bounded(config_dir, tmp_path):
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    for i in range(40):
        with open(path, "a") as fh:
            fh.write(assistant(msg_id=f"n{i}", request_id=f"q{i}") + "\n")
        assert run_costline(b"\xff" if i % 2 else payload(path)).returncode == 0
    log = tmp_path / "cache" / "costline.log"
    assert not log.exists() or log.stat().st_size < 300_000
    wait_for_refresh(tmp_path / "cache")
    assert sys.getsizeof(0) > 0


def test_disk_full_on_the_cache_dir(config_dir):
    import errno

    from statusline.index import store as store_module
    from statusline.render import build_line

    prepared_cache()
    path = write_transcript(
        config_dir, "p", "s1.jsonl", [assistant(ts=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()))]
    )

    def full(*_args: object, **_kwargs: object) -> tuple[int, int, int]:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store_module, "atomic_write", full)
        patch.setattr(store_module.Store, "write", lambda self, rel, value: full())
        line = build_line(
            payload(path, cost={"total_cost_usd": 0.3}), os.environ, time.time(), ["--no-color"]
        )
        assert "$0.30 session" in line
    prepared_cache()
    line = build_line(payload(path, cost={"total_cost_usd": 0.3}), os.environ, time.time(), ["--no-color"])
    assert f"${(10 * 5 + 100 * 25) / 1e6:.2f} today" in line  # the next render, with space, catches up


def test_render_killed_at_every_write_recovers(config_dir, tmp_path):
    """Kill a render at each of its writes in turn (after the temp file, before the rename)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id="a0", request_id="r0", ts=now)])
    run_costline(payload(path))
    wait_for_refresh(tmp_path / "cache")
    expected = 1
    for n in range(1, 7):
        write_transcript(
            config_dir, "p", "s1.jsonl", [assistant(msg_id=f"a{n}", request_id=f"r{n}", ts=now)], mode="a"
        )
        expected += 1
        killed = run_costline(payload(path), env={"COSTLINE_KILL_AT_WRITE": str(n)})
        assert killed.returncode in (0, -9)
        line = run_costline(payload(path), env={"NO_COLOR": "1"}).stdout.decode()
        assert f"${expected * (10 * 5 + 100 * 25) / 1e6:.2f} today" in line, (n, line)
    from statusline.index.scan import remove_stale_temp_files

    leftovers = [f for _, _, files in os.walk(tmp_path / "cache") for f in files if f.endswith(".tmp")]
    assert leftovers  # killed writers leave their temp files (never read) ...
    assert remove_stale_temp_files(str(tmp_path / "cache"), time.time() + 3600) == len(
        leftovers
    )  # ... swept later


def test_fifo_transcript_does_not_hang(config_dir, tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    proc = run_costline(payload(fifo, model={"id": "claude-opus-4-8"}), timeout=20)
    assert proc.returncode == 0 and proc.stdout.count(b"\n") == 1


def test_deleted_working_directory_and_relative_cache(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    env = dict(os.environ, COSTLINE_CACHE_DIR="relative-cache")
    proc = subprocess.Popen(
        [COSTLINE], cwd=gone, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    gone.rmdir()
    out, err = proc.communicate(b'{"cost": {"total_cost_usd": 1}}', timeout=30)
    assert proc.returncode == 0 and out.count(b"\n") == 1 and b"Traceback" not in out + err


def test_the_background_refresh_never_imports_from_the_project_folder(config_dir, tmp_path):
    """A render runs in the user's project: a `statusline` package there must not be run."""
    import subprocess

    from helpers import COSTLINE, assistant, payload, wait_for_refresh, write_transcript

    project = tmp_path / "project"
    (project / "statusline").mkdir(parents=True)
    marker = tmp_path / "ran"
    (project / "statusline" / "__init__.py").write_text("")
    (project / "statusline" / "__main__.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    (project / "statusline" / "cli.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    proc = subprocess.run([COSTLINE], input=payload(path), cwd=project, capture_output=True, timeout=30)
    assert proc.returncode == 0
    wait_for_refresh(tmp_path / "cache")
    assert not marker.exists()
