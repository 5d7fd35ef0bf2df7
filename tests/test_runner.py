"""The runner of [commands.NAME]: what a command prints is cleaned, bounded and kept; a command
that fails, hangs or floods is contained; a config from the project folder runs nothing."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from statusline import runner
from statusline.index.store import read_marshal
from statusline.runner import clean, last_line, project_refusal, run_due, run_one

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (f"{ESC}[31mred{ESC}[0m and {ESC}[1;38;5;196mbold{ESC}[m", "red and bold"),
        (f"{ESC}]52;c;aGVsbG8={BEL}copied?", "copied?"),  # OSC 52: a clipboard write
        (f"{ESC}]52;c;aGVsbG8={ST}copied?", "copied?"),
        (f"{ESC}]8;;https://evil.example{ST}click{ESC}]8;;{ST} me", "click me"),  # OSC 8: a link
        (f"{ESC}]0;title{BEL}{ESC}P1$r0m{ST}dcs gone", "dcs gone"),  # window title, DCS
        (f"{ESC}_apc{ST}{ESC}^pm{ST}{ESC}Xsos{ST}ok", "ok"),  # APC, PM, SOS
        (f"a{ESC}cb{ESC}7c{ESC}(Bd{ESC}", "abcd"),  # reset, save cursor, charset, a lone ESC
        ("\x9b31mc1 csi\x9d0;t\x9cx", "c1 csix"),  # 8-bit CSI and OSC
        (f"before{ESC}]52;c;unterminated...", "before"),  # no terminator: to the end
        ("\n\n  first line  \nsecond\n", "first line"),
        ("progress 10%\rprogress 100%\n", "progress 100%"),  # as a terminal leaves it
        ("a\u202ebidi\u2066x\u200bz", "abidixz"),  # the one table of unprintable characters
        ("x" * 100, "x" * 39 + "…"),
        ("漢" * 30, "漢" * 19 + "…"),  # 40 columns: wide characters count two
        ("", ""),
    ],
)
def test_output_is_one_clean_line_of_at_most_40_columns(raw, shown):
    assert clean(raw.encode()) == shown


def test_stderr_keeps_its_last_line_cleaned():
    assert last_line(f"warning\nerror: {ESC}[31mno context{ESC}[0m\n\n".encode()) == "error: no context"


def test_a_command_gets_the_payload_on_stdin_in_the_working_directory(tmp_path):
    (tmp_path / "here").mkdir()
    result = run_one('cat > got.json; basename "$(pwd)"', str(tmp_path / "here"), b'{"session_id": "s1"}', 5)
    assert result["failed"] is None and result["code"] == 0 and result["text"] == "here"
    assert json.loads((tmp_path / "here" / "got.json").read_text()) == {"session_id": "s1"}


def test_a_failing_command_says_its_exit_code_and_stderr(tmp_path):
    result = run_one("echo partial; echo 'kubectl: no context' >&2; exit 3", str(tmp_path), b"{}", 5)
    assert result["failed"] == "exit 3" and result["err"] == "kubectl: no context"
    assert result["text"] == "partial"


def test_a_hanging_command_is_killed_at_its_timeout_with_its_process_group(tmp_path):
    # The shell starts a child that would outlive it; both are in the group the timeout kills.
    result = run_one("sleep 30 & echo $! > child; wait", str(tmp_path), b"{}", 0.5)
    assert result["failed"] == "timed out after 0.5 s" and result["code"] is None
    child = int((tmp_path / "child").read_text())
    assert ends(child)  # gone, or dead and waiting to be reaped


def test_a_child_left_holding_the_output_times_out_and_is_killed(tmp_path):
    # The shell exits at once, its background child keeps stdout open: the run waited out its
    # timeout, then called it a success and left the child running (found by review).
    result = run_one("echo bgout; sleep 30 & echo $! > child", str(tmp_path), b"{}", 0.5)
    assert result["failed"] == "timed out after 0.5 s" and result["text"] == "bgout"
    assert ends(int((tmp_path / "child").read_text()))


def test_a_child_left_running_ends_with_a_command_that_succeeded(tmp_path):
    result = run_one("sleep 30 >/dev/null 2>&1 & echo $! > child; echo ok", str(tmp_path), b"{}", 10)
    assert result["failed"] is None and result["code"] == 0 and result["text"] == "ok"
    assert result["took"] < 10  # (not a timing claim: it did not wait for its timeout)
    assert ends(int((tmp_path / "child").read_text()))


def test_a_shell_that_outlives_its_closed_output_is_killed_at_its_timeout(tmp_path):
    result = run_one("exec >&- 2>&-; sleep 30", str(tmp_path), b"{}", 0.5)
    assert result["failed"] == "timed out after 0.5 s" and result["code"] is None


def ends(pid: int) -> bool:
    """The process is gone or a zombie, or becomes so: a SIGKILLed one still shows R until it
    has run its exit (polled for up to 10 s; a child nobody killed sleeps on for 30)."""
    deadline = time.monotonic() + 10
    while process_state(pid) not in (None, "Z"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def process_state(pid: int) -> str | None:
    """The state of the command's `sleep` child, None once it is gone: a process that got its
    pid since (under load a pid comes round again quickly) is not it."""
    try:
        if b"sleep" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return None
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def test_a_megabyte_of_output_is_read_up_to_the_cap_and_shown_as_its_first_line(tmp_path):
    # 1 MB on one line, then more lines: only OUTPUT_CAP is read, the pipe closed on the rest.
    result = run_one("head -c 1048576 /dev/zero | tr '\\0' 'y'; echo; echo more", str(tmp_path), b"{}", 10)
    assert result["capped"] is True and result["failed"] is None
    assert result["text"] == "y" * 39 + "…"


def test_a_command_that_reads_no_stdin_does_not_block_on_a_large_payload(tmp_path):
    result = run_one("echo quick", str(tmp_path), b"x" * (4 << 20), 10)
    assert result["failed"] is None and result["text"] == "quick"


# -- run_due: one session's due commands, kept owner-only -------------------------------------------
def configure(
    tmp_path: Path, commands: dict[str, str], where: Path | None = None, every: int = 30, timeout: int = 2
) -> Path:
    config = where or Path(os.environ["COSTLINE_CONFIG"])
    body = "[pricing]\noffline = true\n[line]\nrows = [[" + ", ".join(f'"cmd:{n}"' for n in commands) + "]]\n"
    for name, run in commands.items():
        body += f"[commands.{name}]\nrun = {json.dumps(run)}\nevery = {every}\ntimeout = {timeout}\n"
    config.write_text(body)
    return config


def session_payload(cache: Path, key: str, cwd: Path) -> None:
    folder = cache / "commands"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / f"{key}.payload").write_bytes(json.dumps({"session_id": "s1", "cwd": str(cwd)}).encode())
    (folder / f"{key}.payload").chmod(0o600)


KEY = "0123456789abcdef"


def test_results_are_kept_owner_only_and_a_command_runs_again_only_when_due(tmp_path):
    cache, project = tmp_path / "cache", tmp_path / "project"
    project.mkdir()
    configure(tmp_path, {"count": "echo x >> runs; wc -l < runs"})
    session_payload(cache, KEY, project)
    assert run_due(str(cache), KEY)["count"]["text"] == "1"
    kept = cache / "commands" / f"count.{KEY}"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and read_marshal(str(kept))["text"] == "1"
    assert run_due(str(cache), KEY) == {}  # not due for another 30 s
    later = kept.stat().st_mtime + 31
    assert run_due(str(cache), KEY, now=later)["count"]["text"] == "2"


def test_only_one_runner_at_a_time(tmp_path):
    cache, project = tmp_path / "cache", tmp_path / "project"
    project.mkdir()
    configure(tmp_path, {"one": "echo ran > marker"})
    session_payload(cache, KEY, project)
    from statusline.index.upkeep import try_job_lock

    held = try_job_lock(str(cache / "commands"), "commands.lock")
    assert held is not None
    try:
        # A second process's lock: the runner is started in its own, so try it from a child.
        import subprocess
        import sys

        code = f"from statusline.runner import run_due; print(run_due({str(cache)!r}, {KEY!r}))"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "{}" and not (project / "marker").exists()
    finally:
        os.close(held)


def test_a_hanging_command_holds_back_no_other(tmp_path):
    """Seen under the real Claude Code: `sleep 300` with a 20 s timeout kept a 1 s clock at the
    same time for 26 s, as the runner running it held the one lock every later runner needed."""
    import subprocess
    import sys

    cache, project, stop = tmp_path / "cache", tmp_path / "project", tmp_path / "stop"
    project.mkdir()
    hang = f"while [ ! -e {stop} ]; do sleep 0.05; done; echo hung"
    configure(tmp_path, {"hang": hang, "tick": "echo x >> ticks; wc -l < ticks"}, every=1, timeout=30)
    session_payload(cache, KEY, project)
    code = f"from statusline.runner import run_due; run_due({str(cache)!r}, {KEY!r})"
    first = subprocess.Popen([sys.executable, "-c", code])  # runs both; `hang` until `stop`
    try:
        kept = cache / "commands" / f"tick.{KEY}"
        while read_marshal(str(kept)) is None:  # until the first runner has run `tick`
            with pytest.raises(subprocess.TimeoutExpired):  # (and is still running `hang`)
                first.wait(0.05)
        later = run_due(str(cache), KEY, now=kept.stat().st_mtime + 2)
        assert set(later) == {"tick"} and later["tick"]["text"] == "2"  # `hang` is left to its run
        assert first.poll() is None
    finally:
        stop.touch()
        first.wait(30)
    assert read_marshal(str(cache / "commands" / f"hang.{KEY}"))["text"] == "hung"


def test_a_config_inside_the_project_folder_runs_nothing(tmp_path, monkeypatch):
    cache, project = tmp_path / "cache", tmp_path / "project"
    (project / ".costline").mkdir(parents=True)
    config = configure(tmp_path, {"evil": "touch pwned"}, where=project / ".costline" / "config.toml")
    monkeypatch.setenv("COSTLINE_CONFIG", str(config))
    session_payload(cache, KEY, project)
    result = run_due(str(cache), KEY)["evil"]
    assert not (project / "pwned").exists()
    assert result["failed"] == f"config file inside the project folder {project}: commands not run"


def test_project_refusal_follows_links_and_spares_other_folders(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "alias").symlink_to(project)
    assert project_refusal(str(project / "c.toml"), [str(tmp_path / "alias")])
    assert project_refusal(str(tmp_path / "alias" / "c.toml"), [str(project)])
    assert project_refusal(str(tmp_path / "elsewhere" / "c.toml"), [str(project)]) is None
    assert project_refusal(str(tmp_path / "project2" / "c.toml"), [str(project)]) is None  # a prefix only
    assert project_refusal(str(project / "c.toml"), ["relative", ""]) is None


def test_the_users_default_config_is_theirs_even_when_the_session_runs_in_home(tmp_path, monkeypatch):
    import pwd

    home = tmp_path / "home"
    default = home / ".config" / "costline" / "config.toml"
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: type("Entry", (), {"pw_dir": str(home)})())
    assert project_refusal(str(default), [str(home)]) is None
    assert project_refusal(str(home / "other.toml"), [str(home)])


def test_old_results_and_payloads_are_pruned(tmp_path):
    cache, project = tmp_path / "cache", tmp_path / "project"
    project.mkdir()
    configure(tmp_path, {"one": "echo 1"})
    session_payload(cache, KEY, project)
    old = cache / "commands" / "one.fedcba9876543210"
    old.write_bytes(b"")
    os.utime(old, (0, 0))
    run_due(str(cache), KEY)
    assert not old.exists() and (cache / "commands" / f"one.{KEY}").exists()
    assert runner.latest_results(str(cache))["one"]["text"] == "1"
