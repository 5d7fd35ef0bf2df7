"""`costline doctor`: each check says what is wrong and where."""

from __future__ import annotations

import json
import os

import pytest
from helpers import run_costline
from test_render import unwritable_caches


def test_doctor_says_why_the_cache_is_not_writable(tmp_path):
    for cache in unwritable_caches(tmp_path):
        proc = run_costline(b"", "doctor", "--json", "--no-timing", env={"COSTLINE_CACHE_DIR": str(cache)})
        checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
        assert proc.returncode == 1
        assert not checks["cache"]["ok"] and str(cache) in checks["cache"]["detail"]
        assert (
            "Not a directory" in checks["cache"]["detail"] or "Permission denied" in checks["cache"]["detail"]
        )


def test_doctor_cache_check_passes_when_writable():
    proc = run_costline(b"", "doctor", "--json", "--no-timing")
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["cache"]["ok"]


def settings_checks() -> dict:
    proc = run_costline(b"", "doctor", "--json", "--no-timing")
    return {c["name"]: c for c in json.loads(proc.stdout)["checks"]}


def test_doctor_knows_the_launcher_install_wrote(config_dir):
    assert run_costline(b"", "install").returncode == 0
    check = settings_checks()["settings (user)"]
    assert check["ok"] and "costline-statusline" in check["detail"]
    assert "another costline install" not in check["detail"]


def test_doctor_says_when_the_status_line_command_is_gone(config_dir):
    (config_dir / "settings.json").write_text(
        json.dumps({"statusLine": {"type": "command", "command": "/nowhere/bin/costline-statusline"}})
    )
    check = settings_checks()["settings (user)"]
    assert not check["ok"] and "not there" in check["detail"] and check["fix"] == "costline install"


# -- a cache or config dir others could change: doctor names it and the fix ----------------------
def _checks(**env: str) -> dict:
    proc = run_costline(b"", "doctor", "--json", "--no-timing", env=env)
    assert proc.returncode == 1
    return {c["name"]: c for c in json.loads(proc.stdout)["checks"]}


def test_doctor_names_a_cache_dir_others_may_write(tmp_path):
    cache = tmp_path / "open"
    cache.mkdir()
    cache.chmod(0o777)
    check = _checks(COSTLINE_CACHE_DIR=str(cache))["cache"]
    assert not check["ok"] and f"{cache} is writable by others" in check["detail"], check
    assert f"chmod 700 {cache}" in check["fix"]
    assert sorted(cache.iterdir()) == []  # doctor's probe is not written there either


def test_doctor_names_what_was_planted_inside(tmp_path):
    cache = tmp_path / "cache"
    (cache / "index" / "v2").mkdir(parents=True, mode=0o700)
    (cache / "index" / "v2" / "hours").symlink_to(tmp_path)
    check = _checks(COSTLINE_CACHE_DIR=str(cache))["cache"]
    assert not check["ok"] and f"{cache}/index/v2/hours is a link" in check["detail"], check
    assert f"mv {cache} {cache}.suspect" in check["fix"]


@pytest.mark.parametrize("kind", ["hard link", "fifo"])
def test_doctor_names_hard_links_and_fifos_planted_inside(tmp_path, kind):
    """Both pass the folder checks (they are files); doctor names them and the fix."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    if kind == "fifo":
        os.mkfifo(cache / "limits.samples")
        said = f"{cache}/limits.samples is a FIFO"
    else:
        (tmp_path / "bashrc").write_text("precious\n")
        os.link(tmp_path / "bashrc", cache / "costline.log")
        said = f"{cache}/costline.log is hard-linked (2 names"
    check = _checks(COSTLINE_CACHE_DIR=str(cache))["cache"]
    assert not check["ok"] and said in check["detail"], check
    assert f"mv {cache} {cache}.suspect" in check["fix"]
    assert (tmp_path / "bashrc").read_text() == "precious\n" if kind != "fifo" else True


def test_doctor_names_a_parent_others_may_write(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    (shared / "costline").mkdir(mode=0o700)
    check = _checks(COSTLINE_CACHE_DIR=str(shared / "costline"))["cache"]
    assert not check["ok"] and f"{shared} writable by others" in check["detail"], check
    assert "COSTLINE_CACHE_DIR" in check["fix"] and "chmod +t" in check["fix"]


def test_doctor_names_a_cache_dir_another_user_owns(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("giving a folder to another user needs root")
    cache = tmp_path / "theirs"
    cache.mkdir(mode=0o755)
    os.chown(cache, 65534, 65534)
    check = _checks(COSTLINE_CACHE_DIR=str(cache))["cache"]
    assert not check["ok"] and f"{cache} belongs to uid 65534" in check["detail"], check
    assert "COSTLINE_CACHE_DIR" in check["fix"]


def test_doctor_names_a_config_dir_others_may_write(tmp_path):
    folder = tmp_path / "conf"
    folder.mkdir()
    folder.chmod(0o777)
    (folder / "config.toml").write_text("")
    check = _checks(COSTLINE_CONFIG=str(folder / "config.toml"))["config"]
    assert not check["ok"] and f"{folder} is writable by others" in check["detail"], check
    assert f"chmod 700 {folder}" in check["fix"]


def test_doctor_says_there_is_no_home(monkeypatch, tmp_path):
    import pwd

    from statusline.cli import doctor

    for name in ("HOME", "COSTLINE_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: (_ for _ in ()).throw(KeyError(uid)))
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    check = doctor.check_cache()
    assert not check.ok and "no home dir" in check.detail, check
    assert "XDG_CACHE_HOME=relative is ignored (not absolute)" in check.detail
    assert "set HOME or COSTLINE_CACHE_DIR to an absolute path" in check.fix
    assert list(project.iterdir()) == []


def test_commands_say_the_cache_dir_is_refused(tmp_path):
    cache = tmp_path / "open"
    cache.mkdir()
    cache.chmod(0o777)
    proc = run_costline(b"", "index", "refresh", env={"COSTLINE_CACHE_DIR": str(cache)})
    assert proc.returncode == 1
    assert (
        proc.stderr.decode() == "costline: no cache dir (cache dir writable by others): see costline doctor\n"
    )
    assert sorted(cache.iterdir()) == []


def test_doctor_on_a_machine_with_no_claude_code_logs_yet_warns_and_exits_0():
    """Installed, nothing used yet: no transcripts and an index never built are ⚠, not ✗."""
    assert run_costline(b"", "install").returncode == 0
    proc = run_costline(b"", "doctor", "--no-timing")
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    assert proc.stderr == b""  # no stray "config file:" line
    marks = {line.split(" ", 2)[1].rstrip(":"): line[0] for line in out.splitlines()}
    assert marks["claude"] == "⚠" and marks["index"] == "⚠"
    assert "✗" not in marks.values()
    doc = json.loads(run_costline(b"", "doctor", "--json", "--no-timing").stdout)
    logs = next(c for c in doc["checks"] if c["name"] == "claude logs")
    assert doc["ok"] and not logs["ok"] and logs["warning"]


def test_doctor_warns_when_logs_exist_but_the_index_holds_none(config_dir):
    """A full scan ran before the logs were copied in: 0 files is not ✓, it is not indexed yet."""
    from helpers import assistant, write_transcript

    assert run_costline(b"", "index", "refresh").returncode == 0  # scans an empty config dir
    write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    doc = json.loads(run_costline(b"", "doctor", "--json", "--no-timing").stdout)
    index = next(c for c in doc["checks"] if c["name"] == "index")
    assert not index["ok"] and index["warning"], index
    assert index["fix"] == "not indexed yet: run costline index refresh (or wait for the first render)"
    assert run_costline(b"", "index", "refresh").returncode == 0
    doc = json.loads(run_costline(b"", "doctor", "--json", "--no-timing").stdout)
    assert next(c for c in doc["checks"] if c["name"] == "index")["ok"]


def test_doctor_warns_with_the_error_of_a_failed_price_fetch(tmp_path, monkeypatch):
    """A background fetch that failed is ⚠ with its error, not ✓ "never fetched"."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Unavailable(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/prices.json"
        config = tmp_path / "online.toml"
        config.write_text(f'[pricing]\nurl = "{url}"\ntimeout_seconds = 2\n')
        monkeypatch.setenv("COSTLINE_CONFIG", str(config))
        failed = run_costline(b"", "pricing", "update", "--background")
        assert failed.returncode != 0
    finally:
        httpd.shutdown()
        httpd.server_close()
    doc = json.loads(run_costline(b"", "doctor", "--json", "--no-timing").stdout)
    pricing = next(c for c in doc["checks"] if c["name"] == "pricing")
    assert not pricing["ok"] and pricing["warning"], pricing
    assert "never fetched" in pricing["detail"] and "last fetch failed (1×): " in pricing["detail"]
    assert "503" in pricing["detail"] and pricing["fix"] == "costline pricing update"


def test_the_render_is_timed_against_the_interpreter_started_as_the_command_starts_it(tmp_path):
    """Found (walk stumble 15): `25.9 ms vs 27.2 ms for the bare interpreter = 0.95×`: the
    launcher runs `python -I -S`, the baseline was `python -I -c pass` (with `site`)."""
    from statusline.cli.doctor import interpreter_flags

    launcher = tmp_path / "costline-statusline"
    launcher.write_text("#!/venv/bin/python -IS\nimport sys\n")
    assert interpreter_flags([str(launcher)]) == ["-I", "-S"]
    # A shebang too long for a `#!` line: install runs the interpreter explicitly.
    assert interpreter_flags(["/venv/bin/python3.12", "-IS", str(launcher)]) == ["-I", "-S"]
    script = tmp_path / "costline"
    script.write_text("#!/venv/bin/python\nimport sys\n")  # a console script: `site` runs
    assert interpreter_flags([str(script), "render"]) == []
    assert interpreter_flags([str(tmp_path / "missing")]) == []


def test_doctor_names_the_baseline_it_timed_the_render_against(config_dir):
    assert run_costline(b"", "install").returncode == 0
    proc = run_costline(b"", "doctor", "--json")
    (render,) = [c for c in json.loads(proc.stdout)["checks"] if c["name"] == "render"]
    assert "python -I -S -c pass" in render["detail"], render


def test_a_slow_but_working_render_is_a_warning_not_a_failure(config_dir, monkeypatch):
    """Found: under load (a busy CI core) the render went past its budget, doctor exited 1 and
    the README's `costline doctor` step failed although nothing was broken."""
    import statusline.cli.doctor as doctor

    assert run_costline(b"", "install").returncode == 0
    monkeypatch.setattr(doctor, "RENDER_BUDGET", 1e-9)  # every render is over it
    check = doctor.check_render(runs=1)
    assert not check.ok and check.warning and check.fix, check
    monkeypatch.setattr(doctor, "configured_command", lambda: "/nonexistent/costline-statusline")
    monkeypatch.setattr(doctor, "installed_command", lambda: "/nonexistent/costline-statusline")
    broken = doctor.check_render(runs=1)
    assert not broken.ok and not broken.warning, broken


def test_doctor_checks_the_sync_folder(tmp_path):
    env = {
        "COSTLINE_SYNC_DIR": str(tmp_path / "unmounted" / "costline"),
        "COSTLINE_STATE_DIR": str(tmp_path / "st"),
    }
    doc = json.loads(run_costline(b"", "doctor", "--json", "--no-timing", env=env).stdout)
    (sync,) = [c for c in doc["checks"] if c["name"] == "sync"]
    assert not sync["ok"] and "sync folder missing" in sync["detail"] and not sync["warning"]
    (tmp_path / "Sync").mkdir()
    env["COSTLINE_SYNC_DIR"] = str(tmp_path / "Sync")
    doc = json.loads(run_costline(b"", "doctor", "--json", "--no-timing", env=env).stdout)
    (sync,) = [c for c in doc["checks"] if c["name"] == "sync"]
    assert sync["ok"] and sync["detail"].endswith("1 machines, largest lag 0s")
    doc = json.loads(run_costline(b"", "doctor", "--json", "--no-timing").stdout)
    assert not [c for c in doc["checks"] if c["name"] == "sync"]  # off: no check
