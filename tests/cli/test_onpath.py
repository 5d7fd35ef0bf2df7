"""`costline install` leaves `costline` runnable by name (a link in ~/.local/bin, as pipx makes);
uninstall removes the link only while it is still ours; `uninstall --purge`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import COSTLINE

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
SCRIPT = os.path.join(os.path.dirname(sys.executable), "costline")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("XDG_BIN_HOME", raising=False)
    return tmp_path / "home"


def costline(*args: str, path: str = SYSTEM_PATH, **env: str) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, PATH=path, **env)
    return subprocess.run(
        [COSTLINE, *args], capture_output=True, text=True, env=full, timeout=60, check=False
    )


def by_name(*args: str, path: str) -> subprocess.CompletedProcess[str]:
    """`costline …` as a shell runs it: found on PATH, not by its full path."""
    return subprocess.run(
        ["sh", "-c", 'costline "$@"', "sh", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, PATH=path),
        timeout=60,
        check=False,
    )


def test_install_links_costline_into_local_bin_and_uninstall_removes_it(home):
    link = home / ".local" / "bin" / "costline"
    on_path = f"{home}/.local/bin:{SYSTEM_PATH}"  # as a login shell has it once the folder exists
    assert by_name("--version", path=on_path).returncode == 127  # not found before install
    proc = costline("install", path=on_path)
    assert proc.returncode == 0, proc.stderr
    assert os.readlink(link) == SCRIPT
    assert f"linked {link} -> {SCRIPT}" in proc.stderr
    assert "not on your PATH" not in proc.stderr
    ran = by_name("--version", path=on_path)
    assert ran.returncode == 0 and "costline" in ran.stdout
    # A second install finds it in place.
    assert "already runs this costline" in costline("install", path=on_path).stderr
    proc = costline("uninstall", path=on_path)
    assert proc.returncode == 0 and f"removed {link}" in proc.stderr
    assert not os.path.lexists(link)


def test_install_says_how_to_put_the_folder_on_path(home):
    proc = costline("install")
    lines = proc.stderr.splitlines()
    assert f"{home}/.local/bin is not on your PATH; add it, then open a new shell:" in lines
    assert '  bash/zsh: export PATH="$HOME/.local/bin:$PATH"   (in ~/.bashrc or ~/.zshrc)' in lines
    assert "  fish:     fish_add_path ~/.local/bin" in lines
    # The line it gives works: with it, `costline` runs by name.
    shell = 'export PATH="$HOME/.local/bin:$PATH" && costline --version'
    ran = subprocess.run(
        ["sh", "-c", shell],
        capture_output=True,
        text=True,
        env=dict(os.environ, PATH=SYSTEM_PATH, HOME=str(home)),
        check=False,
    )
    assert ran.returncode == 0, ran.stderr


def test_xdg_bin_home_when_absolute(home, tmp_path):
    xdg = tmp_path / "my bin"
    proc = costline("install", XDG_BIN_HOME=str(xdg))
    assert os.readlink(xdg / "costline") == SCRIPT
    assert f'  bash/zsh: export PATH="{xdg}:$PATH"   (in ~/.bashrc or ~/.zshrc)' in proc.stderr
    assert f"  fish:     fish_add_path '{xdg}'" in proc.stderr
    assert not (home / ".local" / "bin" / "costline").exists()
    costline("uninstall", XDG_BIN_HOME="relative/bin")  # ignored: ~/.local/bin, where there is none
    assert os.path.lexists(xdg / "costline")
    costline("uninstall", XDG_BIN_HOME=str(xdg))
    assert not os.path.lexists(xdg / "costline")


def test_a_file_already_there_is_left_alone(home):
    link = home / ".local" / "bin" / "costline"
    link.parent.mkdir(parents=True)
    link.write_text("#!/bin/sh\necho mine\n")
    proc = costline("install")
    assert proc.returncode == 0
    assert f"{link} is already there (another file): left alone" in proc.stderr
    assert costline("uninstall").returncode == 0
    assert link.read_text() == "#!/bin/sh\necho mine\n"


def test_uninstall_keeps_a_link_that_is_no_longer_ours(home, tmp_path):
    link = home / ".local" / "bin" / "costline"
    costline("install")
    other = tmp_path / "other-costline"
    other.write_text("#!/bin/sh\n")
    link.unlink()
    link.symlink_to(other)
    assert "is already there (" + str(other) + "): left alone" in costline("install").stderr
    costline("uninstall")
    assert os.readlink(link) == str(other)


def test_uninstall_keeps_the_link_while_another_scope_runs_costline(home, tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    link = home / ".local" / "bin" / "costline"
    subprocess.run([COSTLINE, "install", "--scope", "project"], cwd=project, check=True, capture_output=True)
    costline("install")
    for args in (["--dry-run"], []):
        proc = subprocess.run(
            [COSTLINE, "uninstall", *args], cwd=project, capture_output=True, text=True, check=False
        )
        assert f"kept {link}: {project}/.claude/settings.json still runs costline" in proc.stderr
        assert os.path.islink(link)


def test_dry_run_links_nothing(home):
    proc = costline("install", "--dry-run")
    assert "would link" in proc.stderr
    assert not os.path.lexists(home / ".local" / "bin" / "costline")


def test_install_ends_with_the_next_step(home):
    proc = costline("install")
    assert proc.stderr.splitlines()[-1] == (
        "next: restart Claude Code or send it a message to see the line; `costline doctor` checks it"
    )


def _populate_cache() -> None:
    """Everything a first hour writes into the cache dir: renders, index, reports, install."""
    from helpers import payload, run_costline

    run_costline(payload(rate_limits={"five_hour": {"used_percentage": 5, "resets_at": 4102444800}}))
    for args in (["index", "refresh"], ["report", "daily"], ["report", "by", "tool"], ["install"]):
        assert costline(*args).returncode == 0, args


def test_purge_removes_what_a_second_config_and_sync_made_too(home, tmp_path):
    # The cache dir holds `sets/` (another set of config dirs), `config-dirs`, `sync/`: a purge
    # that took them for someone else's kept the whole cache dir.
    cache = Path(os.environ["COSTLINE_CACHE_DIR"])
    _populate_cache()
    (tmp_path / "work" / "projects").mkdir(parents=True)
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(tmp_path / "work")}
    assert subprocess.run([COSTLINE, "report", "daily"], env=env, capture_output=True).returncode == 0
    settings = Path(os.environ["COSTLINE_CONFIG"])
    settings.write_text(settings.read_text() + f'[sync]\ndir = "{tmp_path / "shared"}"\n')
    (tmp_path / "shared").mkdir()
    assert costline("sync", "status").returncode == 0
    assert {"sets", "config-dirs", "sync"} <= {p.name for p in cache.iterdir()}
    proc = costline("uninstall", "--purge")
    assert proc.returncode == 0, proc.stderr
    assert not cache.exists(), proc.stdout


def test_purge_removes_status_line_link_and_cache_and_says_how_to_remove_the_venv(home, tmp_path):
    cache = Path(os.environ["COSTLINE_CACHE_DIR"])
    _populate_cache()
    assert cache.is_dir() and (home / ".local" / "bin" / "costline").is_symlink()
    proc = costline("uninstall", "--purge")
    assert proc.returncode == 0, proc.stderr
    assert not cache.exists()
    assert not os.path.lexists(home / ".local" / "bin" / "costline")
    assert not (home / ".claude" / "settings.json").exists()  # costline had created it
    assert f"removed the cache dir {cache} (index, prices, settings backups)" in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("to remove costline itself: ")
    # Found: it named a backup of settings.json that the purge then deleted with the cache dir.
    assert "backup of the previous file" not in proc.stderr


def test_purge_keeps_a_cache_dir_holding_other_things(home, tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir(mode=0o700)
    (folder / "notes.txt").write_text("keep me")
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(folder))
    _populate_cache()
    proc = costline("uninstall", "--purge")
    assert f"kept the cache dir {folder}: it holds notes.txt, which costline did not make" in proc.stdout
    assert (folder / "notes.txt").read_text() == "keep me" and (folder / "index").is_dir()


def test_purge_keeps_a_cache_dir_others_may_write(home, tmp_path, monkeypatch):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(folder))
    proc = costline("uninstall", "--purge")
    assert f"kept the cache dir {folder}: cache dir writable by others" in proc.stdout
    assert folder.is_dir()


def test_removal_command(monkeypatch):
    from statusline.cli import onpath, setup

    monkeypatch.setattr(setup.sys, "base_prefix", "/usr")
    assert onpath.sys is setup.sys
    for prefix, expected in (
        ("/home/u/.local/share/pipx/venvs/costline", "pipx uninstall costline"),
        ("/home/u/.local/share/uv/tools/costline", "uv tool uninstall costline"),
        ("/home/u/.local/share/costline", "rm -rf /home/u/.local/share/costline"),
        ("/home/u/my project/.venv", f"{setup.sys.executable} -m pip uninstall costline"),
    ):
        monkeypatch.setattr(setup.sys, "prefix", prefix)
        assert setup.removal_command() == expected


def test_uninstall_leaves_the_link_pipx_made(home, monkeypatch):
    """Under pipx (or uv) the link is the tool's: `pipx uninstall` removes it, not costline."""
    from statusline.cli import onpath

    link = home / ".local" / "bin" / "costline"
    link.parent.mkdir(parents=True)
    link.symlink_to(SCRIPT)
    monkeypatch.setattr(onpath.sys, "prefix", str(home / ".local" / "share" / "pipx" / "venvs" / "costline"))
    monkeypatch.setattr(onpath, "console_script", lambda: SCRIPT)
    assert onpath.link(dry_run=False)[0] == f"{link} already runs this costline"
    assert onpath.unlink(dry_run=False) is None
    assert link.is_symlink()


def test_no_link_when_costline_already_runs_by_name(home):
    """pipx or uv linked it elsewhere on PATH (PIPX_BIN_DIR), or the venv's bin is on PATH."""
    proc = costline("install", path=f"{os.path.dirname(SCRIPT)}:{SYSTEM_PATH}")
    assert f"costline is on your PATH already ({SCRIPT})" in proc.stderr
    assert not os.path.lexists(home / ".local" / "bin" / "costline")


def test_plain_uninstall_prints_the_full_path_purge_command(home):
    """Once the link is gone `costline` no longer runs by name: the purge command it prints works."""
    assert costline("install").returncode == 0
    proc = costline("uninstall")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        f"to also remove the cache dir and costline itself: {SCRIPT} uninstall --purge"
    )
    purged = subprocess.run(
        ["sh", "-c", proc.stderr.splitlines()[-1].split(": ", 1)[1]],
        capture_output=True,
        text=True,
        env=dict(os.environ, PATH=SYSTEM_PATH),
        timeout=60,
        check=False,
    )
    assert purged.returncode == 0, purged.stderr
    assert purged.stdout.splitlines()[-1].startswith("to remove costline itself: ")


def test_a_foreign_status_line_still_gets_the_link_and_the_force_hint(home):
    path = home / ".claude" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"statusLine": {"type": "command", "command": "~/bin/mine.sh"}}\n')
    proc = costline("install")
    assert proc.returncode == 1
    assert os.readlink(home / ".local" / "bin" / "costline") == SCRIPT
    assert "costline install --force" in proc.stderr.splitlines()[-1]
    assert path.read_text() == '{"statusLine": {"type": "command", "command": "~/bin/mine.sh"}}\n'
