"""`cmd:NAME` segments on the line: the render never waits for a command, shows what the runner
kept (cleaned), and a command that fails, hangs or floods changes nothing but its own segment."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

from helpers import run_costline, wait_for_detached

from statusline.runner import run_due

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ESC = "\x1b"


def configure(rows: list[list[str]], commands: dict[str, tuple[str, float]], every: int = 30) -> None:
    body = "[pricing]\noffline = true\n[line]\nrows = " + json.dumps(rows) + "\n"
    for name, (run, timeout) in commands.items():
        body += f"[commands.{name}]\nrun = {json.dumps(run)}\nevery = {every}\ntimeout = {timeout}\n"
    Path(os.environ["COSTLINE_CONFIG"]).write_text(body)


def sample(cwd: Path) -> bytes:
    body = json.loads((SAMPLES / "payload-opus.json").read_bytes())
    body["cwd"] = str(cwd)
    body["workspace"] = {"current_dir": str(cwd), "project_dir": str(cwd)}
    return json.dumps(body).encode()


def render(raw: bytes, **env: str) -> list[str]:
    out = run_costline(raw, env={"NO_COLOR": "1", **env})
    assert out.returncode == 0 and b"Traceback" not in out.stderr, out.stderr
    return out.stdout.decode().splitlines()


def cache() -> Path:
    return Path(os.environ["COSTLINE_CACHE_DIR"])


def key_of_the_session() -> str:
    """The session key the render left its payload under (the one payload file)."""
    (found,) = (cache() / "commands").glob("*.payload")
    return found.name.removesuffix(".payload")


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_three_rows_render_at_once_while_a_command_sleeps_five_seconds(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    slow = "echo $$ > pid; touch started; sleep 5; touch finished; echo done"
    configure([["model", "session"], ["context", "cmd:slow"], ["lines"]], {"slow": (slow, 10)})
    raw = sample(project)
    assert render(raw) == ["Opus 4.6 · $0.51 session", "ctx 42%", "+156 −23"]
    # The render started the runner and returned; the command, which takes five seconds, had not
    # finished then (had the render waited for it, `finished` would exist).
    assert not (project / "finished").exists()
    wait_for(project / "started")
    try:
        assert render(raw) == ["Opus 4.6 · $0.51 session", "ctx 42%", "+156 −23"]  # still running
        assert not (project / "finished").exists()
    finally:
        os.killpg(int((project / "pid").read_text()), signal.SIGKILL)  # its own group: done with it


def test_the_commands_text_appears_once_the_runner_ran_with_escapes_removed(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    printed = (
        f"printf '{ESC}]52;c;cHduZWQ=\\007{ESC}[1;31mprod{ESC}[0m {ESC}]8;;https://x.example{ESC}\\\\"
        f"eu-west{ESC}]8;;{ESC}\\\\\\n'"
    )
    configure([["model"], ["cmd:k8s"]], {"k8s": (printed, 5)})
    raw = sample(project)
    assert render(raw) == ["Opus 4.6"]  # not run yet: nothing to show
    run_due(str(cache()), key_of_the_session(), wait=True)  # the runner, synchronously
    lines = render(raw, NO_COLOR="", COSTLINE_COLOR="always")
    assert len(lines) == 2 and re.sub(r"\x1b\[[0-9;]*m", "", lines[1]) == "prod eu-west"
    assert "]52" not in lines[1] and "]8;" not in lines[1] and "\x07" not in lines[1]


def test_a_failing_hanging_or_flooding_command_changes_nothing_but_its_own_segment(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    commands = {
        "ok": ("echo fine", 5.0),
        "bad": ("echo nope >&2; exit 2", 5.0),
        "hang": ("sleep 60", 0.5),
        "big": ("head -c 1048576 /dev/zero | tr '\\0' 'z'", 5.0),
    }
    configure([["model", "session"], ["cmd:ok", "cmd:bad", "cmd:hang", "cmd:big"], ["context"]], commands)
    raw = sample(project)
    before = render(raw)
    run_due(str(cache()), key_of_the_session(), wait=True)
    after = render(raw)
    assert before == ["Opus 4.6 · $0.51 session", "ctx 42%"]
    assert after == ["Opus 4.6 · $0.51 session", f"fine · bad ? · hang ? · {'z' * 39}…", "ctx 42%"]


def test_text_older_than_three_periods_is_muted(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    configure([["cmd:when"]], {"when": ("echo answer", 5.0)}, every=10)
    raw = sample(project)
    render(raw)
    wait_for_detached(cache())  # the runner it started, before the result is aged below
    key = key_of_the_session()
    run_due(str(cache()), key, wait=True)
    colour = {"NO_COLOR": "", "COSTLINE_COLOR": "always"}
    assert render(raw, **colour) == [f"{ESC}[39manswer{ESC}[0m"]
    kept = cache() / "commands" / f"when.{key}"
    import marshal

    result = marshal.loads(kept.read_bytes())
    result["at"] -= 3 * 10 + 5 + 1  # three periods and the timeout ago, and a second
    kept.write_bytes(marshal.dumps(result))
    os.utime(kept, (time.time(), time.time()))  # not due: the render starts no runner
    assert render(raw, **colour) == [f"{ESC}[90manswer{ESC}[0m"]


def test_a_config_in_the_project_folder_shows_the_command_as_failed_and_doctor_says_why(
    tmp_path, monkeypatch
):
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setenv("COSTLINE_CONFIG", str(project / "costline.toml"))
    configure([["model"], ["cmd:evil"]], {"evil": ("touch pwned; echo owned", 5.0)})
    raw = sample(project)
    render(raw)
    run_due(str(cache()), key_of_the_session(), wait=True)
    assert render(raw) == ["Opus 4.6", "evil ?"]
    assert not (project / "pwned").exists()
    proc = run_costline(b"", "doctor", "--json", "--no-timing")
    (evil,) = [c for c in json.loads(proc.stdout)["checks"] if c["name"] == "commands"]
    assert not evil["ok"] and not evil["warning"]
    assert evil["detail"].startswith(
        f"evil: config file inside the project folder {project}: commands not run"
    )
    assert evil["fix"] == "keep commands in your own config (~/.config/costline/config.toml)"


def test_doctor_explains_a_failed_command(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    configure(
        [["cmd:k8s", "cmd:slow"]],
        {"k8s": ("echo 'no context set' >&2; exit 3", 5.0), "slow": ("sleep 9", 0.2)},
    )
    render(sample(project))
    run_due(str(cache()), key_of_the_session(), wait=True)
    proc = run_costline(b"", "doctor", "--json", "--no-timing")
    assert proc.returncode == 1
    found = [c for c in json.loads(proc.stdout)["checks"] if c["name"] == "commands"]
    (k8s,) = [c for c in found if c["detail"].startswith("k8s:")]
    (slow,) = [c for c in found if c["detail"].startswith("slow:")]
    assert not k8s["ok"] and k8s["detail"].startswith("k8s: exit 3, stderr: no context set (")
    assert k8s["fix"] == f"run it in {project}: echo 'no context set' >&2; exit 3"
    assert slow["detail"].startswith("slow: timed out after 0.2 s (")
    assert slow["fix"] == "make it faster or raise commands.slow.timeout (0.2 s)"


def test_doctor_says_a_command_run_seconds_ago_ran_just_now_not_0m_ago(tmp_path):
    from statusline.cli.doctor import ago

    project = tmp_path / "project"
    project.mkdir()
    configure([["cmd:k8s"]], {"k8s": ("echo prod", 5.0)})
    render(sample(project))
    run_due(str(cache()), key_of_the_session(), wait=True)
    proc = run_costline(b"", "doctor", "--json", "--no-timing")
    (k8s,) = [c for c in json.loads(proc.stdout)["checks"] if c["name"] == "commands"]
    assert k8s["ok"] and re.fullmatch(r"k8s: 'prod' \((just now|\d+ s ago), [0-9.]+ s\)", k8s["detail"]), k8s
    assert [ago(s) for s in (0.4, 4.9, 5, 59.9, 60, 7200, -3)] == [
        "just now",
        "just now",
        "5 s ago",
        "59 s ago",
        "1m ago",
        "2h ago",
        "just now",  # a clock set back
    ]


def test_a_render_whose_commands_are_not_due_starts_no_runner(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    configure([["cmd:once"]], {"once": ("echo 1 >> runs; echo ok", 5.0)}, every=3600)
    raw = sample(project)
    render(raw)
    wait_for_detached(cache())  # the runner it started, whose pruning would take the aged stamp
    key = key_of_the_session()
    run_due(str(cache()), key, wait=True)
    stamp = cache() / "commands" / f"{key}.stamp"
    before = (stamp.stat().st_mtime_ns, (project / "runs").read_text())
    os.utime(stamp, (0, 0))  # were a runner due, the throttle would let it start now
    assert render(raw) == ["ok"]
    assert stamp.stat().st_mtime_ns == 0 and (project / "runs").read_text() == before[1] == "1\n"


def test_the_runner_takes_only_a_session_key():
    out = run_costline(b"", "config", "run-commands", "../../etc/passwd")
    assert out.returncode == 1 and out.stderr.decode() == "costline: not a session key: '../../etc/passwd'\n"
