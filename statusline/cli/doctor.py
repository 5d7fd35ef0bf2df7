"""`costline doctor`: one line per check, ✓, ⚠ (worth knowing, nothing broken) or ✗ with the fix;
non-zero exit when one fails."""

from __future__ import annotations

import os
import platform
import shlex
import stat
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from statusline import __version__, fs
from statusline.cli.setup import command_for_settings, installed_command, is_ours
from statusline.cli.tables import echo_fitted
from statusline.index.scan import walk_transcripts
from statusline.paths import (
    CLAIM,
    cache_dir,
    cache_for_config_dirs,
    cache_path,
    cache_refusal,
    claimed_dirs,
    claude_config_dirs,
    config_dir_of,
    config_location,
    config_refusal,
)

RENDER_BUDGET = 1.5  # × the interpreter's own start
SAMPLE = Path(__file__).resolve().parent.parent / "sample_payload.json"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    # Not ok, but nothing is broken (no Claude Code logs yet): ⚠, and doctor still exits 0.
    warning: bool = False


def check_versions() -> Check:
    py = platform.python_version()
    ok = sys.version_info >= (3, 10)
    return Check(
        "versions",
        ok,
        f"costline {__version__}, Python {py} ({sys.executable})",
        "" if ok else "costline needs Python 3.10 or newer",
    )


def check_settings() -> list[Check]:
    from statusline.settings_file import SettingsError, read_settings, settings_path

    checks = []
    found_ours = False
    for scope in ("user", "project", "local"):
        path = settings_path(scope)
        try:
            _, data = read_settings(path)
        except SettingsError as exc:
            checks.append(
                Check(f"settings ({scope})", False, str(exc), "fix the JSON, then run costline install")
            )
            continue
        entry = data.get("statusLine")
        if entry is None:
            continue
        if is_ours(entry):
            found_ours = True
            command = str(entry.get("command", "")) if isinstance(entry, dict) else ""
            problem = _command_problem(command)
            if problem:
                checks.append(Check(f"settings ({scope})", False, f"{path}: {problem}", "costline install"))
                continue
            # This install's launcher, or its console script (what older installs wrote).
            runs_this = command in (installed_command(), command_for_settings())
            checks.append(
                Check(
                    f"settings ({scope})",
                    True,
                    f"{path}: statusLine runs {command}"
                    + ("" if runs_this else " (another costline install)"),
                    "" if runs_this else "run costline install to use this one",
                )
            )
        else:
            checks.append(
                Check(
                    f"settings ({scope})",
                    False,
                    f"{path}: statusLine runs something else",
                    "costline install --force (the old one is remembered)",
                )
            )
    if not found_ours and not any(not c.ok for c in checks):
        checks.append(Check("settings", False, "no settings file runs costline", "costline install"))
    return checks


def _command_problem(command: str) -> str:
    """Why a configured costline command cannot work, or "" (every path in it checked, and a
    launcher of this install compared with the one install would write now)."""
    from statusline.cli import launcher

    try:
        words = shlex.split(command)
    except ValueError:
        return f"statusLine runs {command}, which a shell cannot parse"
    for word in words:
        if "/" not in word:
            continue
        where = os.path.expanduser(word)
        if not os.path.isfile(where):
            return f"statusLine runs {command}, and {word} is not there"
        if word is words[0] and not os.access(where, os.X_OK):
            return f"statusLine runs {command}, and {word} is not executable"
    planned = launcher.plan()
    if planned is not None and planned[0] in words:
        with open(planned[0], encoding="utf-8", errors="replace") as fh:
            if fh.read() != planned[1]:
                return f"statusLine runs {planned[0]}, written by another version of costline"
    return ""


def configured_command() -> str:
    """The first costline statusLine command in the settings (user, project, local), else this
    install's."""
    from statusline.settings_file import SettingsError, read_settings, settings_path

    for scope in ("user", "project", "local"):
        try:
            _, data = read_settings(settings_path(scope))
        except SettingsError:
            continue
        entry = data.get("statusLine")
        if is_ours(entry) and isinstance(entry, dict) and isinstance(entry.get("command"), str):
            return str(entry["command"])
    return installed_command()


def check_config_dirs() -> Check:
    parts, files, size = [], 0, 0
    for folder in claude_config_dirs():
        projects = os.path.join(folder, "projects")
        if not os.path.isdir(projects):
            parts.append(f"{folder} (no projects/)")
            continue
        n = b = 0
        for _path, st in walk_transcripts([projects]):  # what the index reads, symlinks included
            n += 1
            b += st.st_size
        files, size = files + n, size + b
        parts.append(f"{projects}: {n} transcripts, {b / 1e6:,.1f} MB")  # the folder read, by name
    for entry in filter(None, (p.strip() for p in os.environ.get("CLAUDE_CONFIG_DIR", "").split(","))):
        given = os.path.abspath(os.path.expanduser(entry))
        folder = config_dir_of(given)
        if folder != given:  # said, so that a wrong guess is seen
            parts.append(f"CLAUDE_CONFIG_DIR names {entry}, a projects folder: read as {folder}")
    ok = files > 0
    return Check(
        "claude logs",
        ok,
        "; ".join(parts),
        "" if ok else "none yet: today counts them once Claude Code writes some (or set CLAUDE_CONFIG_DIR)",
        warning=not ok,  # a machine that has not used Claude Code yet: nothing to fix
    )


def _ignored(*names: str) -> str:
    """`; X=rel is ignored (not absolute)` for each variable costline ignores."""
    out = ""
    for name in names:
        value = os.environ.get(name)
        if value and not os.path.isabs(value):
            out += f"; {name}={value} is ignored (not absolute)"
    return out


def _untrusted(path: str, st: os.stat_result, sticky_ok: bool = False) -> str | None:
    """What makes a folder or file one others could change, in words, or None."""
    problem = fs.trust_problem(st, sticky_ok)
    if problem == "not yours":
        return f"{path} belongs to uid {st.st_uid}"
    return f"{path} is {problem}" if problem else None


def cache_findings(path: str, most: int = 5) -> list[str]:
    """Everything in the cache dir others could have changed or planted: the dir itself, then
    links, other users' entries and entries others may write, anywhere inside."""
    found = [f for f in [_untrusted(path, os.stat(path))] if f]
    for folder, dirs, files in os.walk(path):  # links are listed, never followed
        for name in sorted(dirs + files):
            full = os.path.join(folder, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if os.path.islink(full):  # a claim is a link of ours, read and never followed
                mine = name == CLAIM and st.st_uid == os.geteuid()
                problem = None if mine else f"{full} is a link"
            else:
                problem = _untrusted(full, st)
            if problem is None and not stat.S_ISDIR(st.st_mode) and not stat.S_ISLNK(st.st_mode):
                if not stat.S_ISREG(st.st_mode):
                    problem = f"{full} is a FIFO, socket or device (a read would block or fail)"
                elif st.st_nlink != 1:
                    problem = f"{full} is hard-linked ({st.st_nlink} names: writes would reach another file)"
            if problem:
                found.append(problem)
            if len(found) >= most:
                return found
    return found


def check_cache() -> Check:
    """Whether the index can be kept: a cache dir that cannot be written, or that others could
    change (then it is not used at all), shows today as `$?`."""
    from statusline.index.store import Store, atomic_write

    path = cache_path()
    ignored = _ignored("COSTLINE_CACHE_DIR", "XDG_CACHE_HOME")
    if path is None:
        return Check(
            "cache",
            False,
            f"no home dir: HOME is unset or relative and uid {os.getuid()} has no passwd entry{ignored};"
            " today shows $?",
            "set HOME or COSTLINE_CACHE_DIR to an absolute path",
        )
    refused = cache_refusal(path)  # makes the dir when missing, as a render would
    try:
        findings = cache_findings(path) if os.path.isdir(path) else []
    except OSError:
        findings = []
    if refused and refused.startswith("cache dir in "):  # a parent others could change
        where = refused.removeprefix("cache dir in ")
        return Check(
            "cache",
            False,
            f"{path}: a folder above it, {where}: others could put their own folder in its place;"
            f" not used, today shows $? ({refused}){ignored}",
            "set COSTLINE_CACHE_DIR to a folder whose parents only you or root can change"
            " (or chmod o-w,g-w that parent, or chmod +t for a shared one like /tmp)",
        )
    if refused or findings:
        first = findings[0] if findings else f"{path}: {refused}"
        if first == f"{path} is writable by others" and len(findings) == 1:
            fix = f"chmod 700 {shlex.quote(path)}"
        elif first.startswith(f"{path} belongs to"):
            fix = "set COSTLINE_CACHE_DIR to a folder of yours (absolute)"
        else:  # something was planted inside while it was open: start afresh
            fix = f"mv {shlex.quote(path)} {shlex.quote(path + '.suspect')} (costline rebuilds its cache)"
        why = refused or "cache dir unsafe"
        detail = f"{'; '.join(findings) or first}: not used, today shows $? ({why}){ignored}"
        return Check("cache", False, detail, fix)
    probe = Store(path).path("doctor.probe")
    try:
        fs.makedirs(os.path.dirname(probe), mode=0o700, exist_ok=True)
        atomic_write(probe, b"")
        os.unlink(probe)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and exc.filename != path else ""
        return Check(
            "cache",
            False,
            f"{path} is not writable: {exc.strerror or exc}{where}; today shows $?",
            "make it writable (chmod u+rwx), or set COSTLINE_CACHE_DIR to a writable folder",
        )
    return Check("cache", True, f"{path} (writable){ignored}{_set_folder(path)}")


def _set_folder(cache: str) -> str:
    """Where in the cache dir the config dirs in use keep their index, when not at its top."""
    folder = cache_for_config_dirs(cache)
    if folder == cache:
        return ""
    theirs = ", ".join(claimed_dirs(cache)) or "another set of config dirs"
    return f"; these config dirs keep their own index in {folder} (the cache dir's serves {theirs})"


def _guarded(name: str, check: Callable[[], Check | list[Check]]) -> list[Check]:
    """Run one check; an error becomes a failed check rather than a traceback."""
    try:
        found = check()
    except Exception as exc:
        return [Check(name, False, f"{type(exc).__name__}: {exc}", "see the cache check above")]
    return found if isinstance(found, list) else [found]


NOT_INDEXED = "not indexed yet: run costline index refresh (or wait for the first render)"


def check_index(has_logs: bool = True) -> Check:
    from statusline.cli.index import collect_status
    from statusline.index.store import Store

    info = collect_status(Store(cache_dir()))
    age = info["age_seconds"]
    megabytes = float(info["bytes"]) / 1e6  # type: ignore[arg-type]
    when = "never" if not isinstance(age, float) else f"{age:,.0f} s ago"
    detail = (
        f"{info['files']} files, {megabytes:,.1f} MB, {info['entries']} entries, "
        f"{info['duplicates']} duplicates skipped, {info['garbage']} garbage lines, "
        f"{info['unreadable']} unreadable files, last full scan {when}"
    )
    ok = isinstance(age, float) and age < 86400
    if not ok and not has_logs:  # nothing to index yet: the first render builds it
        return Check("index", False, detail, "nothing to index yet", warning=True)
    if has_logs and not info["files"]:  # a scan from before the logs came: a render indexes them
        return Check("index", False, detail, NOT_INDEXED, warning=True)
    return Check("index", ok, detail, "" if ok else "costline index refresh")


FETCH_FIX = "costline pricing update"


def _failed_fetches() -> tuple[int, str] | None:
    """How many price fetches in a row failed (pricing.failures) and the last one's error."""
    from statusline.cli.pricing import ERROR_FILE

    try:
        count = int(fs.read_private(os.path.join(cache_dir(), "pricing.failures"), 16) or b"0")
    except (OSError, ValueError):
        return None
    try:
        error = fs.read_private(os.path.join(cache_dir(), ERROR_FILE), 500).decode("utf-8", "replace")
    except OSError:
        error = "see costline.log"
    return (count, error.strip() or "unknown error") if count > 0 else None


def check_pricing() -> list[Check]:
    from statusline.cli.index import unknown_models
    from statusline.index.store import Store
    from statusline.price_table import load_table

    compiled = load_table(cache_dir())
    fetched = compiled.get("fetched_ms")
    if compiled.get("offline"):
        age_text, ok, fix = "offline (bundled prices and overrides only)", True, ""
    elif isinstance(fetched, int):
        hours = (time.time() * 1000 - fetched) / 3.6e6
        ok = hours < 24 * 7
        age_text, fix = f"fetched {hours:,.1f} h ago", "" if ok else "costline pricing update"
    else:
        age_text, ok, fix = "bundled snapshot only (never fetched)", True, ""
    failed = _failed_fetches()
    if failed and ok:  # the table in force is fine, but the fetches that should update it fail
        age_text += f"; last fetch failed ({failed[0]}×): {failed[1]}"
        checks = [Check("pricing", False, f"{len(compiled['models'])} models, {age_text}", FETCH_FIX, True)]  # type: ignore[arg-type]
    else:
        checks = [Check("pricing", ok, f"{len(compiled['models'])} models, {age_text}", fix)]  # type: ignore[arg-type]
    unknown = sorted(unknown_models(Store(cache_dir())))
    checks.append(
        Check(
            "unknown models",
            not unknown,
            ", ".join(unknown) or "none",
            "costline pricing update, or add [pricing.overrides] for them" if unknown else "",
        )
    )
    return checks


def check_config() -> Check:
    from statusline.config import load_config

    where = config_location()
    refused = config_refusal(where)
    if where is not None and refused:
        folder = os.path.dirname(where)
        what = folder if refused.startswith("config dir") else where
        detail = _untrusted(what, os.stat(what), sticky_ok=what == folder) or f"{what}: {refused}"
        if "belongs to" in detail:
            fix = "set COSTLINE_CONFIG to a file of yours in a folder of yours (absolute)"
        else:
            fix = f"chmod {700 if what == folder else 600} {shlex.quote(what)}"
        return Check("config", False, f"{detail}: not read, today shows $?", fix)
    config = load_config()
    exists = os.path.exists(config.path)
    detail = f"{config.path}" + ("" if exists else " (not present: defaults)")
    if config.warnings:
        return Check("config", False, "; ".join(config.warnings), "costline config check")
    return Check("config", True, detail)


def ago(seconds: float) -> str:
    """`just now`, `40 s ago`, `4m ago`, `2h ago` (a command run seconds ago is not `0m ago`)."""
    from statusline.segments import age

    seconds = max(0.0, seconds)
    if seconds < 5:
        return "just now"
    return f"{int(seconds)} s ago" if seconds < 60 else f"{age(seconds)} ago"


def check_commands() -> list[Check]:
    """Your [commands.NAME]: each one's last run (from any session), and why it failed."""
    from statusline.config import load_config
    from statusline.look import sanitise
    from statusline.runner import latest_results, project_refusal, shown_commands

    config = load_config()
    if not config.commands:
        return [Check("commands", True, "none configured ([commands.NAME], shown by cmd:NAME)")]
    checks = []
    here = project_refusal(config.path, [os.getcwd()])
    if here:
        fix = "keep commands in your own config (~/.config/costline/config.toml)"
        checks.append(Check("commands", False, f"for a session here, {here}", fix, warning=True))
    shown, results = (
        shown_commands(config.rows, config.segments, config.second_line),
        latest_results(cache_dir()),
    )
    for name, spec in config.commands.items():
        result = results.get(name)
        if name not in shown:
            fix = f'add "cmd:{name}" to a row of line.rows'
            checks.append(Check("commands", False, f"{name}: no row shows cmd:{name}", fix, warning=True))
        elif result is None:
            detail = f"{name}: not run yet (a render that shows cmd:{name} starts it)"
            checks.append(Check("commands", False, detail, warning=True))
        else:
            when = ago(time.time() - float(result["at"]))  # type: ignore[arg-type]
            where = sanitise(str(result.get("cwd", "")), 200)
            failed = result.get("failed")
            if not failed:
                shown_text = sanitise(str(result.get("text") or ""), 40)
                checks.append(
                    Check("commands", True, f"{name}: {shown_text!r} ({when}, {result.get('took')} s)")
                )
                continue
            err = sanitise(str(result.get("err") or ""), 120)
            detail = (
                f"{name}: {sanitise(str(failed), 400)}" + (f", stderr: {err}" if err else "") + f" ({when})"
            )
            if str(failed).startswith("timed out"):
                fix = f"make it faster or raise commands.{name}.timeout ({float(spec['timeout']):g} s)"  # type: ignore[arg-type]
            elif "project folder" in str(failed):
                fix = "keep commands in your own config (~/.config/costline/config.toml)"
            else:
                fix = f"run it in {where}: {sanitise(str(spec['run']), 120)}"
            checks.append(Check("commands", False, detail, fix))
    return checks


BENCH_FLAGS = ["-I"]  # the README's Speed table times renders against `python -I -c pass`


def interpreter_flags(command: list[str]) -> list[str]:
    """The options the command starts Python with (`-IS` as `-I`, `-S`): those after the
    interpreter when it is named, else those on the script's `#!` line; [] when unknown."""
    if command and os.path.basename(command[0]).startswith("python"):
        given = [a for a in command[1:] if a.startswith("-")]
    else:
        try:
            with open(command[0], "rb") as fh:
                first = fh.readline(256)
        except (OSError, IndexError):
            return []
        given = first[2:].decode(errors="replace").split()[1:] if first.startswith(b"#!") else []
    flags = []
    for arg in given:
        if not arg.startswith("-") or arg.startswith("--") or not arg[1:].isalpha():
            break
        flags += [f"-{c}" for c in arg[1:]]
    return flags


def check_render(runs: int = 7) -> Check:
    try:
        command = shlex.split(configured_command())
    except ValueError:
        command = shlex.split(installed_command())
    payload = SAMPLE.read_bytes()
    env = dict(os.environ)
    # Like with like: the interpreter started as the command starts it (the launcher's `-I -S`
    # skips `site`), so the ratio is what costline adds; and the README's bench baseline.
    own = interpreter_flags(command)
    baselines = [own] if own == BENCH_FLAGS else [own, BENCH_FLAGS]
    base: list[list[float]] = [[] for _ in baselines]
    ours = []
    for _ in range(runs):
        for flags, times in zip(baselines, base, strict=True):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, *flags, "-c", "pass"], capture_output=True, check=False, timeout=30
            )
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        try:
            proc = subprocess.run(command, input=payload, capture_output=True, env=env, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            return Check("render", False, f"{' '.join(command)}: {exc}", "costline install")
        ours.append(time.perf_counter() - start)
    if proc.stdout.startswith(b"costline cannot start"):  # the launcher's own one-line failure
        return Check("render", False, proc.stdout.decode(errors="replace").strip(), "costline install")
    o = statistics.median(ours)
    b = [statistics.median(times) for times in base]
    # The budget is the README's, against its bench's baseline (the last one timed).
    works = proc.returncode == 0 and proc.stdout.count(b"\n") == 1
    ok = works and o / b[-1] <= RENDER_BUDGET * 1.5
    named = " ".join(["python", *own, "-c", "pass"])
    detail = f"median {o * 1000:.1f} ms vs {b[0] * 1000:.1f} ms for `{named}` (as the command starts Python)"
    detail += f" = {o / b[0]:.2f}×"
    if len(b) > 1:
        detail += f"; {b[1] * 1000:.1f} ms for `python -I -c pass` (the README's bench) = {o / b[1]:.2f}×"
    # A render that works but is slow is worth knowing, not a failure: a busy machine's load
    # alone can put it past the budget, and doctor's exit status is for what is broken.
    fix = "" if ok else "reinstall with a current pip; see README, Speed"
    return Check("render", ok, detail, fix, warning=works and not ok)


def check_sync() -> list[Check]:
    """The [sync] folder: there, readable, writable, and how far behind the other machines are."""
    from statusline.sync import fold, view
    from statusline.sync.machine import machine_id
    from statusline.sync.settings import load

    settings = load()
    if not settings.enabled:
        return []
    now = time.time()
    cache = cache_dir()
    result = fold.fold(cache, settings, machine_id(cache), now)
    ok, detail = view.summary(result, settings, now)
    fix = "mount or create the folder, or fix [sync] dir" if result.problem else "costline sync status"
    if result.detail or result.skipped:  # someone else could add spend there, or read it
        fix = (
            "use a folder only you can write (yours, chmod go-w, and each folder above it); "
            "see README, Several machines"
        )
    return [Check("sync", ok, detail, "" if ok else fix, warning=not ok and not result.problem)]


def check_color() -> Check:
    if os.environ.get("NO_COLOR"):
        return Check("color", True, "NO_COLOR is set: plain text")
    term = os.environ.get("TERM", "")
    return Check(
        "color", True, f"ANSI colours (16-colour palette; TERM={term or 'unset'}); NO_COLOR=1 turns them off"
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--no-timing", is_flag=True, help="Skip the measured render.")
def doctor(as_json: bool, no_timing: bool) -> None:
    """Check the install, settings, logs, index, prices and speed; say how to fix what fails.

    \b
    Example:
      costline doctor
    """
    logs = check_config_dirs()
    checks = [
        check_versions(),
        *check_settings(),
        logs,
        check_cache(),
        *_guarded("index", lambda: check_index(has_logs=logs.ok)),
        *_guarded("pricing", check_pricing),
        check_config(),
        *_guarded("sync", check_sync),
        *_guarded("commands", check_commands),
        check_color(),
    ]
    if not no_timing:
        checks.append(check_render())
    from statusline.settings_file import mask_command

    checks = [  # commands' secrets masked
        Check(c.name, c.ok, mask_command(c.detail), c.fix, c.warning) for c in checks
    ]
    failed = [c for c in checks if not c.ok and not c.warning]
    if as_json:
        from statusline.cli import emit_json

        emit_json({"ok": not failed, "checks": [asdict(c) for c in checks]})
    else:
        for c in checks:
            mark = "✓" if c.ok else "⚠" if c.warning else "✗"
            echo_fitted(f"{mark} {c.name}: {c.detail}" + (f"  → {c.fix}" if c.fix else ""), indent="  ")
    if failed:
        sys.exit(1)
