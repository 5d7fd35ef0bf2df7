"""statusline/paths.py: costline uses only folders no one else can change, and none from the cwd.

A cache or config dir another user owns, or one others may write to, is refused: the line says
`$? today` and why, and nothing is read from or written to it. Without an absolute home (HOME
unset, no passwd entry) there is no default cache or config: never one under the working dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from helpers import COSTLINE, assistant, payload, run_costline, write_transcript
from test_render import now_iso, one_line, plain

from statusline import paths

OTHER_UID = 65534  # "nobody" on most systems; any uid other than ours will do
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="giving a folder to another user needs root")


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _render(config_dir, cache: Path, **env: str) -> str:
    mine = write_transcript(config_dir, "p", "s1.jsonl", [assistant(ts=now_iso(-5))])
    proc = run_costline(
        payload(mine, cost={"total_cost_usd": 0.25}), env={"COSTLINE_CACHE_DIR": str(cache), **env}
    )
    return plain(one_line(proc))


# -- the cache dir --------------------------------------------------------------------------------
def test_a_cache_dir_others_may_write_is_refused(config_dir, tmp_path):
    cache = tmp_path / "open"
    cache.mkdir()
    cache.chmod(0o777)
    line = _render(config_dir, cache)
    assert "$0.25 session" in line
    assert "$? today (cache dir writable by others)" in line, line
    assert _files(cache) == []  # no index, no log, no samples: nothing written there


@needs_root
def test_a_cache_dir_another_user_owns_is_refused(config_dir, tmp_path):
    cache = tmp_path / "theirs"
    cache.mkdir(mode=0o755)
    os.chown(cache, OTHER_UID, OTHER_UID)
    line = _render(config_dir, cache)
    assert "$? today (cache dir not yours)" in line, line
    assert _files(cache) == []


def test_a_group_writable_cache_dir_is_refused_even_if_sticky(config_dir, tmp_path):
    cache = tmp_path / "sticky"
    cache.mkdir()
    cache.chmod(0o1770)
    assert "$? today (cache dir writable by others)" in _render(config_dir, cache)
    assert _files(cache) == []


def test_a_link_planted_for_a_subfolder_is_refused(config_dir, tmp_path):
    """`index` planted as a link (while the dir was open) to another of the user's folders."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    elsewhere = tmp_path / "project"
    elsewhere.mkdir()
    (cache / "index").symlink_to(elsewhere)
    assert "$? today (cache dir holds a link)" in _render(config_dir, cache)
    assert _files(elsewhere) == []


@needs_root
def test_a_subfolder_another_user_owns_is_refused(config_dir, tmp_path):
    cache = tmp_path / "cache"
    (cache / "index" / "v2").mkdir(parents=True, mode=0o700)
    os.chown(cache / "index" / "v2", OTHER_UID, OTHER_UID)
    assert "$? today (cache dir not yours)" in _render(config_dir, cache)


def test_a_private_cache_dir_and_a_missing_one_are_used(config_dir, tmp_path):
    for cache in (tmp_path / "private", tmp_path / "new" / "cache"):
        if cache.name == "private":
            cache.mkdir(mode=0o700)
        line = _render(config_dir, cache)
        assert "$? today" not in line and " today" in line, line
        assert (cache / "index").is_dir() and cache.stat().st_mode & 0o777 == 0o700


# -- the config dir -------------------------------------------------------------------------------
def test_a_config_dir_others_may_write_is_refused(config_dir, tmp_path):
    folder = tmp_path / "xdg" / "costline"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    (folder / "config.toml").write_text('[line]\nsegments = ["today"]\n')  # not applied
    line = _render(config_dir, tmp_path / "cache", COSTLINE_CONFIG=str(folder / "config.toml"))
    assert "$0.25 session" in line  # the defaults, not the planted config
    assert "$? today (config dir writable by others)" in line, line


def test_a_config_file_others_may_write_is_refused(config_dir, tmp_path):
    folder = tmp_path / "conf"
    folder.mkdir(mode=0o755)
    config = folder / "config.toml"
    config.write_text('[line]\nsegments = ["today"]\n')
    config.chmod(0o666)
    line = _render(config_dir, tmp_path / "cache", COSTLINE_CONFIG=str(config))
    assert "$0.25 session" in line and "$? today (config file writable by others)" in line, line


@needs_root
def test_a_config_dir_another_user_owns_is_refused(config_dir, tmp_path):
    folder = tmp_path / "conf"
    folder.mkdir(mode=0o755)
    (folder / "config.toml").write_text('[line]\nsegments = ["today"]\n')
    os.chown(folder, OTHER_UID, OTHER_UID)
    line = _render(config_dir, tmp_path / "cache", COSTLINE_CONFIG=str(folder / "config.toml"))
    assert "$0.25 session" in line and "$? today (config dir not yours)" in line, line


# -- nothing from the working directory -----------------------------------------------------------
def _no_home(monkeypatch, cwd: Path) -> None:
    """HOME unset and no passwd entry for this uid; a project with a config and cache of its own."""
    import pwd

    for name in ("HOME", "COSTLINE_CACHE_DIR", "COSTLINE_CONFIG", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)

    def no_entry(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    (cwd / ".config" / "costline").mkdir(parents=True)
    (cwd / ".config" / "costline" / "config.toml").write_text('[line]\nsegments = ["today"]\n')
    monkeypatch.chdir(cwd)


def test_without_a_home_nothing_is_taken_from_the_working_directory(monkeypatch, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    _no_home(monkeypatch, project)
    assert paths.home_dir() is None
    assert not paths.cache_dir().startswith(str(project))
    assert not paths.config_path().startswith(str(project))
    from statusline.render import build_line

    line = build_line(payload(None, cost={"total_cost_usd": 0.25}), os.environ, 1.8e9, ["--no-color"])
    assert "$0.25 session" in line and "$? today (no home dir)" in line, line
    assert _files(project) == [".config", ".config/costline", ".config/costline/config.toml"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("COSTLINE_CACHE_DIR", "rel"), ("XDG_CACHE_HOME", "rel"), ("COSTLINE_CONFIG", "rel/c.toml")],
)
def test_relative_variables_are_ignored(monkeypatch, tmp_path, name, value):
    """The XDG spec calls relative paths invalid: the next choice applies (here, HOME's)."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    for other in ("COSTLINE_CACHE_DIR", "COSTLINE_CONFIG", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(other, raising=False)
    monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    assert paths.cache_dir() == str(home / ".cache" / "costline")
    assert paths.config_path() == str(home / ".config" / "costline" / "config.toml")


def test_relative_home_and_claude_dirs_are_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", "rel")
    monkeypatch.setenv("XDG_CONFIG_HOME", "rel2")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "rel3,/abs/claude")
    monkeypatch.chdir(tmp_path)
    assert paths.claude_config_dirs() == ["/abs/claude"]
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    home = paths.home_dir()
    assert home is None or home.startswith("/")  # the passwd entry, when there is one
    assert all(not d.startswith(str(tmp_path)) for d in paths.claude_config_dirs())


@needs_root
def test_a_uid_without_a_passwd_entry_and_no_home(tmp_path):
    """The real thing, as a user the system does not know: nothing written to the working dir."""
    uid = 54321
    project = Path(tempfile.mkdtemp(prefix="costline-nohome-"))  # reachable by that uid
    try:
        (project / ".config" / "costline").mkdir(parents=True)
        (project / ".config" / "costline" / "config.toml").write_text('[line]\nsegments = ["today"]\n')
        for p in (project, *project.rglob("*")):
            os.chown(p, uid, uid)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "COSTLINE_")) and k != "HOME"}
        env["CLAUDE_CONFIG_DIR"] = str(project / "claude")
        try:
            check = subprocess.run(
                [sys.executable, "-c", "import pwd, os; pwd.getpwuid(os.getuid())"], user=uid, check=False
            )
        except PermissionError:
            pytest.skip(f"uid {uid} cannot run this Python ({sys.executable} is in a private folder)")
        if check.returncode == 0:
            pytest.skip(f"uid {uid} has a passwd entry here")
        proc = subprocess.run(
            [COSTLINE],
            input=json.dumps({"cost": {"total_cost_usd": 0.25}, "model": {"id": "claude-opus-4-8"}}).encode(),
            capture_output=True,
            cwd=project,
            env=env,
            user=uid,
            group=uid,
            check=False,
        )
        line = plain(one_line(proc))
        assert "$0.25 session" in line and "$? today (no home dir)" in line, line
        assert _files(project) == [".config", ".config/costline", ".config/costline/config.toml"]
    finally:
        import shutil

        shutil.rmtree(project)


@needs_root
def test_a_cache_dir_link_another_user_planted_is_refused(config_dir, tmp_path):
    """COSTLINE_CACHE_DIR in a shared folder, where someone else made a link of that name to a
    private folder of the user's: the link is theirs, so the dir is not used."""
    mine = tmp_path / "private"
    mine.mkdir(mode=0o700)
    link = tmp_path / "shared-cache"
    link.symlink_to(mine)
    os.lchown(link, OTHER_UID, OTHER_UID)
    assert "$? today (cache dir not yours)" in _render(config_dir, link)
    assert _files(mine) == []


def test_a_cache_dir_link_of_the_users_own_is_used(config_dir, tmp_path):
    mine = tmp_path / "private"
    mine.mkdir(mode=0o700)
    link = tmp_path / "cache-link"
    link.symlink_to(mine)
    assert "$? today" not in _render(config_dir, link)
    assert (mine / "index").is_dir()


def test_the_folders_checked_are_the_index_format_in_use():
    """A format bump moves the index: the trust check must follow it, or it checks a folder no
    render writes in."""
    from statusline.index.store import FORMAT

    index_folders = [f for f in paths.CACHE_FOLDERS if f.startswith("index/")]
    assert index_folders and all(f.startswith(f"index/v{FORMAT}") for f in index_folders)


# -- found in review ------------------------------------------------------------------------------
@needs_root
def test_a_link_planted_for_a_day_of_hour_files_is_refused(config_dir, tmp_path):
    """`index/v2/hours/<today>` planted (while the dir was open) as a link to another user's
    folder: the render writes this session's hour file there (they read the user's spend) and
    reads today's figure from whatever they put there."""
    import time

    cache = tmp_path / "cache"
    hours = cache / "index" / "v2" / "hours"
    hours.mkdir(parents=True)
    for folder in (cache, cache / "index", cache / "index" / "v2", hours):
        folder.chmod(0o700)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    theirs.chmod(0o777)
    os.chown(theirs, OTHER_UID, OTHER_UID)
    (hours / time.strftime("%Y-%m-%d", time.gmtime())).symlink_to(theirs)
    line = _render(config_dir, cache)
    assert _files(theirs) == [], line
    assert "$? today (cache dir holds a link)" in line


def test_a_cache_dir_in_a_folder_others_may_write_is_refused(config_dir, tmp_path):
    """COSTLINE_CACHE_DIR=/shared/costline with /shared 0777 and not sticky: anyone may rename the
    user's private folder away and put a link or a folder of theirs in its place between the
    check and the writes of a render (cache_refusal looks at the dir, not at its parents)."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    cache = shared / "costline"
    cache.mkdir(mode=0o700)
    assert paths.cache_refusal(str(cache)) is not None
    assert "$? today (cache dir" in _render(config_dir, cache)


def test_a_fifo_planted_in_the_cache_does_not_hang_the_render(config_dir, tmp_path):
    """`index/v2/meta` planted as a FIFO (while the dir was open): Store.read opens it with a
    plain open() and waits for a writer forever; the status line never answers."""
    cache = tmp_path / "cache"
    (cache / "index" / "v2").mkdir(parents=True, mode=0o700)
    for folder in (cache, cache / "index"):
        folder.chmod(0o700)
    os.mkfifo(cache / "index" / "v2" / "meta")
    mine = write_transcript(config_dir, "p", "s1.jsonl", [assistant(ts=now_iso(-5))])
    try:
        proc = run_costline(payload(mine), env={"COSTLINE_CACHE_DIR": str(cache)}, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("the render hung on the FIFO")
    assert "session" in plain(one_line(proc))


@needs_root
def test_a_file_another_user_planted_inside_is_not_counted(config_dir, tmp_path):
    """While the cache dir was open, another user planted `unlogged/<a day>` (theirs: doctor
    lists it as `belongs to uid 65534`, and says today shows $?). Once the dir is 0700 the
    render checks only the folders, so on that day their $100 of "unlogged" spend is added to
    today, confidently; observe() later merges it into the user's own file of that day."""
    import marshal
    import time

    cache = tmp_path / "cache"
    (cache / "unlogged").mkdir(parents=True, mode=0o700)
    cache.chmod(0o700)
    now_ms = int(time.time() * 1000) - 1  # today in any case but the first millisecond
    planted = cache / "unlogged" / time.strftime("%Y-%m-%d", time.gmtime(now_ms / 1000))
    planted.write_bytes(marshal.dumps({(now_ms // 900_000, "theirs", now_ms): 100.0}))
    os.chown(planted, OTHER_UID, OTHER_UID)
    line = _render(config_dir, cache)
    assert "$100" not in line, line


def test_the_attrib_folder_checked_is_the_format_in_use():
    from statusline.attrib.build import FORMAT, folder

    assert f"attrib/v{FORMAT}" in paths.CACHE_FOLDERS
    assert folder("/c") == f"/c/attrib/v{FORMAT}"


def test_a_refused_hour_file_makes_today_a_lower_bound_not_a_figure(config_dir, tmp_path):
    """An hour file of today replaced by a hard link (a second name of a file elsewhere): it is
    not read, it is set aside and the logs are read again; meanwhile today says `…`."""
    import shutil

    cache = tmp_path / "cache"
    _render(config_dir, cache)
    refresh = run_costline(b"", "index", "refresh", env={"COSTLINE_CACHE_DIR": str(cache)})
    assert refresh.returncode == 0, refresh
    first = _render(config_dir, cache)
    assert "… today" not in first and "$? today" not in first and " today" in first, first
    hour_files = [p for p in (cache / "index" / "v2" / "hours").rglob("*") if p.is_file()]
    assert hour_files
    for hour in hour_files:
        outside = tmp_path / f"outside-{hour.parent.name}-{hour.name}"
        shutil.copy(hour, outside)
        hour.unlink()
        os.link(outside, hour)
    line = _render(config_dir, cache)
    assert "… today" in line, line
    assert list((cache / "index" / "v2" / "corrupt").iterdir())  # set aside, not lost
