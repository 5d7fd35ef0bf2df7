"""install / uninstall on settings files of many shapes, in a temporary HOME; doctor; completion."""

from __future__ import annotations

import json
import os

import pytest
from helpers import run_costline


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    return tmp_path / "home"


def settings(home):
    return home / ".claude" / "settings.json"


def costline(*args: str, cwd=None):
    import subprocess

    from helpers import COSTLINE

    return subprocess.run([COSTLINE, *args], capture_output=True, cwd=cwd, check=False, timeout=60)


SHAPES = {
    "two-space": '{\n  "theme": "dark",\n  "model": "opus"\n}\n',
    "four-space": '{\n    "theme": "dark",\n    "permissions": {"allow": ["Bash(ls)"]}\n}\n',
    "tabs": '{\n\t"theme": "dark"\n}\n',
    "compact": '{"theme":"dark","env":{"A":"1"}}',
    "empty-object": "{}\n",
    "no-final-newline": '{\n  "theme": "dark"\n}',
    "unicode": '{\n  "note": "café ✓",\n  "x": [1, 2, 3]\n}\n',
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_install_then_uninstall_restores_the_file_byte_for_byte(home, shape):
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SHAPES[shape], encoding="utf-8")
    before = path.read_bytes()
    proc = costline("install")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["statusLine"]["type"] == "command"
    assert data["statusLine"]["command"].endswith("costline-statusline")  # the launcher
    assert data["statusLine"]["refreshInterval"] == 10
    original = json.loads(SHAPES[shape])
    assert {k: v for k, v in data.items() if k != "statusLine"} == original
    assert list(data)[: len(original)] == list(original)  # order kept
    assert b"+" in proc.stdout and b"statusLine" in proc.stdout  # the diff
    assert costline("uninstall").returncode == 0
    assert path.read_bytes() == before


@pytest.mark.parametrize("content", [None, ""])
def test_missing_or_empty_file(home, content):
    path = settings(home)
    if content is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    assert costline("install").returncode == 0
    assert "statusLine" in json.loads(path.read_text())
    assert costline("uninstall").returncode == 0
    assert (not path.exists()) if content is None else path.read_text() == ""


def test_foreign_status_line_needs_force_and_is_restored(home):
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '{\n  "statusLine": {"type": "command", "command": "~/bin/mine.sh"},\n  "theme": "dark"\n}\n'
    )
    before = path.read_bytes()
    proc = costline("install")
    assert proc.returncode == 1 and b"--force" in proc.stderr and path.read_bytes() == before
    assert costline("install", "--force").returncode == 0
    assert json.loads(path.read_text())["statusLine"]["command"].endswith("costline-statusline")
    assert costline("uninstall").returncode == 0
    assert json.loads(path.read_text())["statusLine"]["command"] == "~/bin/mine.sh"


def test_reinstall_updates_in_place_and_keeps_padding(home):
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"statusLine": {"type": "command", "command": "/old/costline", "padding": 2}}')
    assert costline("install", "--refresh-interval", "0").returncode == 0
    entry = json.loads(path.read_text())["statusLine"]
    assert entry["padding"] == 2 and "refreshInterval" not in entry and entry["command"] != "/old/costline"


def test_invalid_json_is_never_touched(home):
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{\n  "theme": "dark",\n  oops\n}\n')
    before = path.read_bytes()
    proc = costline("install")
    err = proc.stderr.decode().strip()
    assert proc.returncode == 1 and len(err.splitlines()) == 1 and ":3:3:" in err
    assert path.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write read-only files")
def test_read_only_file_is_not_touched(home):
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}\n")
    path.chmod(0o444)
    assert costline("install").returncode == 1
    assert path.read_text() == "{}\n"


def test_permissions_kept_and_symlink_followed(home, tmp_path):
    real = tmp_path / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_text('{\n  "theme": "dark"\n}\n')
    real.chmod(0o640)
    link = settings(home)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(real)
    assert costline("install").returncode == 0
    assert link.is_symlink() and "statusLine" in json.loads(real.read_text())
    assert oct(real.stat().st_mode & 0o777) == oct(0o640)
    backups = os.listdir(tmp_path / "cache" / "install" / "backups")
    assert len(backups) == 1


def test_dry_run_writes_nothing(home):
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}\n")
    proc = costline("install", "--dry-run")
    assert proc.returncode == 0 and b"statusLine" in proc.stdout and path.read_text() == "{}\n"


@pytest.mark.parametrize(("scope", "name"), [("project", "settings.json"), ("local", "settings.local.json")])
def test_project_and_local_scopes(home, tmp_path, scope, name):
    project = tmp_path / "proj"
    project.mkdir()
    assert costline("install", "--scope", scope, cwd=project).returncode == 0
    assert "statusLine" in json.loads((project / ".claude" / name).read_text())


def test_user_scope_honours_claude_config_dir(home, tmp_path, monkeypatch):
    other = tmp_path / "alt-claude"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(other))
    assert costline("install").returncode == 0
    assert (other / "settings.json").exists()


def test_doctor_json(home, config_dir):
    proc = run_costline(b"", "doctor", "--json", "--no-timing")
    doc = json.loads(proc.stdout)
    names = {c["name"]: c for c in doc["checks"]}
    assert proc.returncode == 1 and not doc["ok"]  # not installed yet
    assert names["settings"]["fix"] == "costline install"
    costline("install")
    names = {
        c["name"]: c
        for c in json.loads(run_costline(b"", "doctor", "--json", "--no-timing").stdout)["checks"]
    }
    assert names["settings (user)"]["ok"]


def test_completion_scripts():
    for shell in ("bash", "zsh", "fish"):
        proc = costline("completion", shell)
        assert proc.returncode == 0 and b"_COSTLINE_COMPLETE" in proc.stdout


def test_every_command_has_help_with_an_example():
    for args in (
        ["install"],
        ["uninstall"],
        ["doctor"],
        ["report", "daily"],
        ["report", "blocks"],
        ["pricing", "update"],
        ["pricing", "show"],
        ["index", "status"],
        ["config", "check"],
    ):
        out = costline(*args, "--help").stdout.decode()
        assert "Example" in out, args


@pytest.mark.parametrize("content", ["{ }", "{\n\n}\n", "\n", '{\r\n  "a": 1\r\n}\r\n'])
def test_odd_whitespace_round_trips_exactly(home, content):
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode())
    assert costline("install").returncode == 0
    assert costline("uninstall").returncode == 0
    assert path.read_bytes() == content.encode()


def test_duplicate_status_line_keys_all_go(home):
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '{"statusLine": {"type": "command", "command": "old.sh"}, "a": 2, '
        '"statusLine": {"type": "command", "command": "/x/costline"}}'
    )
    assert costline("uninstall").returncode == 0
    assert "statusLine" not in path.read_text()


def test_a_python_path_too_long_for_a_shebang_is_run_explicitly(monkeypatch):
    from statusline.cli import launcher

    long_python = "/" + "p" * 140 + "/bin/python"
    monkeypatch.setattr(launcher.sys, "executable", long_python)
    planned = launcher.plan()
    assert planned is not None
    path, _text, command = planned
    assert command == f"{long_python} -IS {path}"
    # Non-ASCII counts in bytes: 60 characters of "é" are 120 bytes.
    monkeypatch.setattr(launcher.sys, "executable", "/" + "é" * 60 + "/python")
    assert launcher.plan()[2].endswith(f" -IS {launcher.plan()[0]}")  # type: ignore[index]


def test_a_stale_launcher_prints_one_line_and_exits_0(tmp_path):
    """The venv rebuilt elsewhere: the launcher's folder for costline is gone."""
    import subprocess
    import sys

    from statusline.cli.launcher import script

    path = tmp_path / "costline-statusline"
    path.write_text(script(sys.executable, str(tmp_path / "gone" / "site-packages")))
    path.chmod(0o755)
    proc = subprocess.run([str(path)], input=b"{}", capture_output=True, timeout=30)
    assert proc.returncode == 0 and proc.stderr == b""
    assert proc.stdout.decode().count("\n") == 1
    assert proc.stdout.startswith(b"costline cannot start (ModuleNotFoundError): run costline doctor")


TOKEN = "sk-ant-oat01-SECRETSECRETSECRET"
SECRETS = (TOKEN, "hunter2", "p4ss", "ghp_abcdef123456", "s3cr3t-value", "hdr-s3cret")
WITH_SECRETS = {
    "pretty": (
        "{\n"
        '  "env": {\n'
        f'    "ANTHROPIC_AUTH_TOKEN": "{TOKEN}",\n'
        '    "ANTHROPIC_BASE_URL": "https://me:hunter2@proxy.example/v1",\n'
        '    "DB_PASSWORD": "p4ss",\n'
        '    "ANTHROPIC_CUSTOM_HEADERS": "x-client: Bearer ghp_abcdef123456"\n'
        "  },\n"
        '  "apiKeyHelper": "s3cr3t-value",\n'
        '  "headers": "X-Api-Key: hdr-s3cret\\nX-Other: 1",\n'
        '  "theme": "dark"\n'
        "}\n"
    ),
    "compact": (
        f'{{"env":{{"ANTHROPIC_AUTH_TOKEN":"{TOKEN}","DB_PASSWORD":"p4ss",'
        '"ANTHROPIC_BASE_URL":"https://me:hunter2@proxy.example/v1"},'
        '"x":"Bearer ghp_abcdef123456","apiKeyHelper":"s3cr3t-value","h":"x-api-key: hdr-s3cret"}'
    ),
}


def shown(proc) -> str:
    return proc.stdout.decode() + proc.stderr.decode()


@pytest.mark.parametrize("shape", sorted(WITH_SECRETS))
def test_no_secret_from_the_settings_is_ever_printed(home, shape):
    # Found: install's diff carried "ANTHROPIC_AUTH_TOKEN": "sk-ant-…" in its context lines.
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(WITH_SECRETS[shape])
    runs = [
        costline("install", "--dry-run"),
        costline("install"),
        costline("install", "--refresh-interval", "5"),  # an update: a diff inside the file
        costline("uninstall", "--dry-run"),
        costline("uninstall"),
    ]
    for proc in runs:
        assert proc.returncode == 0, proc.stderr
        assert not [s for s in SECRETS if s in shown(proc)], shown(proc)
    assert '"apiKeyHelper":' in shown(runs[0]) and '"***"' in shown(runs[0])  # the key stays
    assert path.read_text() == WITH_SECRETS[shape]  # masking is for the eyes only


def test_no_secret_from_a_status_line_command_is_printed(home):
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    command = f"ANTHROPIC_API_KEY={TOKEN} ~/bin/mine.sh --token=hunter2"
    path.write_text(json.dumps({"statusLine": {"type": "command", "command": command}}))
    refused = costline("install")
    assert refused.returncode == 1 and "--force" in shown(refused)
    ours = f"CLAUDE_TOKEN={TOKEN} /nowhere/costline --password hunter2"
    path.write_text(json.dumps({"statusLine": {"type": "command", "command": ours}}))
    doctor = costline("doctor", "--no-timing")
    doctor_json = costline("doctor", "--json", "--no-timing")
    assert "statusLine runs" in shown(doctor)
    for proc in (refused, doctor, doctor_json):
        assert TOKEN not in shown(proc) and "hunter2" not in shown(proc), shown(proc)


def test_install_makes_owner_only_files_and_folders(home, tmp_path):
    # Found: backups and install/*.json were 0644, the cache root 0755.
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{\n  "theme": "dark"\n}\n')
    path.chmod(0o644)
    cache = tmp_path / "cache"
    assert not cache.exists()
    assert costline("install").returncode == 0
    backups = cache / "install" / "backups"
    assert [oct(d.stat().st_mode & 0o777) for d in (cache, cache / "install", backups)] == ["0o700"] * 3
    files = [*backups.iterdir(), *(cache / "install").glob("*.json")]
    assert len(files) == 2
    assert {oct(f.stat().st_mode & 0o777) for f in files} == {"0o600"}
    assert oct(path.stat().st_mode & 0o777) == "0o644"  # the settings file keeps its own


# -- found in review ------------------------------------------------------------------------------
@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_uninstall_never_restores_a_status_line_planted_through_the_cache(home, tmp_path):
    """`install` in the cache dir planted (while the dir was open) as a link to another user's
    folder: install writes its backup of settings.json (secrets and all) and its memory there;
    that user rewrites the memory, and uninstall restores their command as the status line,
    which Claude Code then runs as the victim on every refresh."""
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{\n  "env": {"ANTHROPIC_API_KEY": "sk-ant-secret"}\n}\n')
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    theirs.chmod(0o777)
    os.chown(theirs, 65534, 65534)
    (cache / "install").symlink_to(theirs)
    assert costline("install").returncode == 0
    for memory in theirs.glob("*.json"):  # what the other user can do to files in their folder
        planted = {"previous": {"type": "command", "command": "sh /tmp/evil.sh"}, "created": False}
        memory.unlink()
        memory.write_text(json.dumps(planted))
        os.chown(memory, 65534, 65534)
    costline("uninstall")
    assert "evil" not in path.read_text()
    assert list(theirs.rglob("*")) == []


def test_install_with_a_refused_cache_dir_keeps_no_backup_and_says_so(home, tmp_path):
    path = settings(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{\n  "env": {"ANTHROPIC_API_KEY": "sk-ant-secret"}\n}\n')
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)  # refused: writable by others
    proc = costline("install")
    assert proc.returncode == 0, shown(proc)
    assert shown(proc).count("cache dir writable by others: no backup or memory kept") == 1, shown(proc)
    assert list(cache.rglob("*")) == []
    assert "costline" in path.read_text()


@pytest.mark.parametrize(("name", "value"), [("XDG_DATA_HOME", "rel"), ("HOME", "relhome")])
def test_the_launcher_command_is_never_relative(monkeypatch, tmp_path, name, value):
    """With the venv's bin not writable (a system Python) the launcher goes to the data dir. A
    relative XDG_DATA_HOME (or HOME) makes the settings command a relative path, which Claude
    Code runs from each project's folder: a repository holding that path runs as the status line."""
    import sys

    from statusline.cli import launcher

    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    bin_dir = str(tmp_path / "system" / "bin")  # a Python whose bin folder is not the user's
    monkeypatch.setattr(sys, "executable", os.path.join(bin_dir, "python3"))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if p == bin_dir else real_access(p, mode))
    planned = launcher.plan()
    assert planned is not None
    assert os.path.isabs(planned[0]) and planned[2].startswith("/"), planned[2]


@pytest.mark.parametrize(("scope", "warned"), [("project", True), ("local", False), ("user", False)])
def test_project_scope_warns_of_a_machine_specific_path(home, tmp_path, scope, warned):
    project = tmp_path / "proj"
    project.mkdir()
    proc = costline("install", "--scope", scope, "--dry-run", cwd=project)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.decode().splitlines() if "--scope local" in line]
    assert len(lines) == (1 if warned else 0)
    if warned:
        assert lines[0].startswith("note: ") and "absolute path" in lines[0]


def test_dry_run_when_installed_prints_the_entry_to_copy(home):
    assert costline("install").returncode == 0
    written = json.loads(settings(home).read_text())["statusLine"]
    proc = costline("install", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[0].endswith("settings.json: already up to date")
    assert json.loads("{" + lines[-1] + "}") == {"statusLine": written}
