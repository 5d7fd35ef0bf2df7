"""`costline install`, `uninstall` and `completion`: from `pipx install` to a working status line."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shlex
import shutil
import sys

import click

from statusline import fs
from statusline.index.store import atomic_write
from statusline.paths import NOWHERE, cache_dir, cache_path, cache_refusal
from statusline.settings_file import (
    SettingsError,
    mask_secrets,
    read_settings,
    settings_path,
    with_status_line,
    write_settings,
)

SCOPES = ("user", "project", "local")


def command_for_settings() -> str:
    """The fastest form that works here: the absolute path of this install's `costline` script."""
    candidates = [os.path.join(os.path.dirname(sys.executable), "costline"), shutil.which("costline")]
    for found in candidates:
        if found and os.path.isfile(found) and os.access(found, os.X_OK):
            # Claude Code runs it through a shell: quoted when it has spaces. Git Bash on
            # Windows wants forward slashes.
            return shlex.quote(os.path.abspath(found).replace("\\", "/"))
    return f"{shlex.quote(sys.executable.replace(chr(92), '/'))} -P -m statusline"  # -P: not from the cwd


def installed_command() -> str:
    """What `costline install` writes here: the launcher's command once it exists, else the script."""
    from statusline.cli import launcher

    planned = launcher.plan()
    if planned is not None and os.path.isfile(planned[0]) and os.access(planned[0], os.X_OK):
        return planned[2]
    return command_for_settings()


def _fast_command(dry_run: bool) -> str:
    """The launcher's command (written now unless `dry_run`), else this install's script."""
    from statusline.cli import launcher

    planned = launcher.plan()
    if planned is None:
        return command_for_settings()
    path, text, command = planned
    if dry_run:
        click.echo(f"would write the launcher {path}", err=True)
        return command
    return command if launcher.write(path, text) else command_for_settings()


def is_ours(entry: object) -> bool:
    command = entry.get("command") if isinstance(entry, dict) else None
    return isinstance(command, str) and ("costline" in command or "-m statusline" in command)


_warned: list[bool] = []


def _install_dir() -> str | None:
    """`<cache>/install`, None when the cache dir is refused (paths.cache_refusal): then no
    memory and no backup are kept, rather than written where someone else may read them."""
    cache = cache_dir()
    if cache == NOWHERE:
        if not _warned:  # said once per command
            _warned.append(True)
            click.echo(f"costline: {cache_refusal(cache_path())}: no backup or memory kept", err=True)
        return None
    return os.path.join(cache, "install")


def _memory(path: str) -> str:
    """Where install remembers what it replaced in one settings file."""
    digest = hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:16]
    return os.path.join(cache_dir(), "install", f"{digest}.json")


def _diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(True), new.splitlines(True), f"{path} (before)", f"{path} (after)"
    )
    return "".join(lines)


def _apply(path: str, old: str, new: str, dry_run: bool, keep_backup: bool = True) -> None:
    diff = mask_secrets(_diff(path, old, new))
    click.echo(diff or f"{path}: already up to date", nl=not diff.endswith("\n"))
    if dry_run or old == new:
        return
    install = _install_dir() if keep_backup else None
    backup = write_settings(path, old, new, os.path.join(install, "backups") if install else None)
    if backup:
        click.echo(f"backup of the previous file: {backup}", err=True)


@click.command()
@click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="user",
    show_default=True,
    help="user: ~/.claude/settings.json; project: .claude/settings.json; local: .claude/settings.local.json",
)
@click.option(
    "--refresh-interval",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Seconds between idle refreshes (Claude Code's refreshInterval); 0 leaves it unset.",
)
@click.option("--force", is_flag=True, help="Replace another status line (it is remembered for uninstall).")
@click.option("--dry-run", is_flag=True, help="Print the change without writing it.")
@click.option("--command", "command", default=None, help="The command to write (default: this costline).")
def install(scope: str, refresh_interval: int, force: bool, dry_run: bool, command: str | None) -> None:
    """Point Claude Code's status line at costline.

    Everything else in the settings file is kept exactly; the file is replaced atomically with
    its permissions, after a backup, and the change is printed as a diff.

    \b
    Examples:
      costline install
      costline install --scope project --dry-run
    """
    if not dry_run:
        from statusline import bundle

        bundle.refresh()  # so the first render already imports its modules with one read
    path = settings_path(scope)
    try:
        text, data = read_settings(path)
        current = data.get("statusLine")
        if current is not None and not is_ours(current) and not force:
            _link(dry_run)  # `costline doctor` and the rest still run by name
            raise click.ClickException(
                f"{path} already has a statusLine ({mask_secrets(json.dumps(current))[:80]}): "
                "left alone; `costline install --force` replaces it (uninstall restores it)"
            )
        entry: dict[str, object] = dict(current) if is_ours(current) else {}  # type: ignore[call-overload]
        entry.update(type="command", command=command or _fast_command(dry_run))
        entry.setdefault("padding", 0)
        if refresh_interval:
            entry["refreshInterval"] = refresh_interval
        else:
            entry.pop("refreshInterval", None)
        new_text = with_status_line(text, path, entry)
        if not dry_run and not is_ours(current):
            # The whole original text and what we write: uninstall restores it exactly if the
            # file has not been edited since.
            memory = {
                "previous": current,
                "created": not os.path.exists(path),
                "original": text,
                "written": new_text,
            }
            if _install_dir() is not None:
                fs.make_private_folder(os.path.dirname(_memory(path)))  # never a link planted there
                atomic_write(_memory(path), json.dumps(memory).encode("utf-8"))
        _apply(path, text, new_text, dry_run)
        if dry_run and text == new_text:  # no diff to copy from: the entry itself
            click.echo(mask_secrets(f'"statusLine": {json.dumps(entry)}'))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if scope == "project" and command is None:
        click.echo(PROJECT_NOTE, err=True)
    _link(dry_run)
    if not dry_run:
        click.echo(NEXT_STEP, err=True)


def _link(dry_run: bool) -> None:
    from statusline.cli import onpath

    for line in onpath.link(dry_run):
        click.echo(line, err=True)


# .claude/settings.json is usually committed; settings.local.json is not.
PROJECT_NOTE = (
    "note: .claude/settings.json is usually committed and this is an absolute path on this "
    "machine: --scope local keeps it out of git"
)
NEXT_STEP = "next: restart Claude Code or send it a message to see the line; `costline doctor` checks it"


def _still_running_costline(skip: str = "") -> str | None:
    """A settings file (any scope but the one at `skip`) whose status line runs costline."""
    for scope in SCOPES:
        path = settings_path(scope)
        if path == skip:
            continue
        try:
            _, data = read_settings(path)
        except SettingsError:
            continue
        if is_ours(data.get("statusLine")):
            return path
    return None


def _remove_link(uninstalled: str, dry_run: bool) -> None:
    """Uninstall's last step: the link in the bin folder goes, unless a status line still needs it."""
    from statusline.cli import onpath

    user = _still_running_costline(skip=uninstalled)
    if user is not None:
        folder = onpath.bin_dir()
        if folder and onpath.is_our_link(os.path.join(folder, onpath.NAME), onpath.console_script()):
            click.echo(f"kept {os.path.join(folder, onpath.NAME)}: {user} still runs costline", err=True)
        return
    said = onpath.unlink(dry_run)
    if said:
        click.echo(said, err=True)


@click.command()
@click.option("--scope", type=click.Choice(SCOPES), default="user", show_default=True)
@click.option("--dry-run", is_flag=True, help="Print the change without writing it.")
@click.option(
    "--purge", is_flag=True, help="Also remove the cache dir, and print the command that removes costline."
)
def uninstall(scope: str, dry_run: bool, purge: bool) -> None:
    """Remove costline's status line, restoring the one install replaced (if any), and the
    `costline` link install made in ~/.local/bin.

    --purge also removes costline's cache dir (index, prices, settings backups) when it holds
    only what costline writes, and prints the one command that removes costline itself (its
    venv): a program deleting its own venv while it runs is fragile. The config file is kept.

    \b
    Examples:
      costline uninstall
      costline uninstall --purge
    """
    path = settings_path(scope)
    try:
        # --purge removes the cache dir, backups included: none is made only to go with it.
        _remove_status_line(path, dry_run, keep_backup=not purge)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    _remove_link(path, dry_run)
    if purge:
        _purge(path, dry_run)
    else:  # by its full path: the link to run it by name may just have gone
        click.echo(
            f"to also remove the cache dir and costline itself: {_self_command()} uninstall --purge", err=True
        )


def _self_command() -> str:
    """This install's `costline` by its full path (never through PATH)."""
    from statusline.cli.onpath import console_script

    script = console_script()
    return shlex.quote(script) if script else f"{shlex.quote(sys.executable)} -P -m statusline"


def _remove_status_line(path: str, dry_run: bool, keep_backup: bool = True) -> None:
    text, data = read_settings(path)
    current = data.get("statusLine")
    if current is None:
        click.echo(f"{path}: no status line configured")
        return
    if not is_ours(current):
        raise click.ClickException(f"{path}: the status line is not costline's; left untouched")
    try:
        # Only a file this user made: regular, theirs, one name (fs.read_private). A memory
        # planted by someone else would restore their command as the status line.
        memory = json.loads(fs.read_private(_memory(path)))
    except (OSError, ValueError):
        memory = {}
    if not isinstance(memory, dict):
        memory = {}
    previous = memory.get("previous")
    if memory.get("written") == text and isinstance(memory.get("original"), str):
        new_text = memory["original"]  # untouched since install: byte for byte what it was
    else:
        new_text = with_status_line(text, path, previous)
    _apply(path, text, new_text, dry_run, keep_backup)
    if dry_run:
        return
    if previous is None and memory.get("created") and not json.loads(new_text or "{}"):
        os.unlink(os.path.realpath(path))
        click.echo(f"removed {path} (costline had created it)", err=True)
    try:
        os.unlink(_memory(path))
    except OSError:
        pass


# What costline makes at the top of its cache dir (besides `<name>.<hex>.tmp` of a write cut
# short): a cache dir holding anything else is not removed by --purge.
CACHE_ENTRIES = frozenset(
    {
        "index",
        "config-dirs",  # paths.CLAIM: which config dirs the index at the top serves
        "sets",  # paths.SETS: other config dirs' own cache folders, each holding the same names
        "commands",
        "sync",
        "sync.lock",
        "pricing",
        "unlogged",
        "git",
        "attrib",
        "install",
        "limits.samples",
        "costline.log",
        "costline.log.1",
        "bg.lock",
        "pricing.lock",
        "refresh.trace",
        "refresh.stamp",
        "refresh.failures",
        "pricing.stamp",
        "pricing.failures",
        "pricing.error",
    }
)


def _made_by_costline(name: str) -> bool:
    stem, _, tail = name.rpartition(".")
    if tail == "tmp" and len(stem) > 17 and stem[-17] == ".":  # fs.temp_name: <name>.<16 hex>.tmp
        name = stem[:-17]
    return name in CACHE_ENTRIES


def _purge(uninstalled: str, dry_run: bool) -> None:
    _purge_cache(dry_run)
    from statusline.paths import config_location

    config = config_location()
    if config and os.path.exists(config):
        click.echo(f"kept your config file {config}")
    still = _still_running_costline(skip=uninstalled)
    if still:
        click.echo(f"note: {still} still runs costline: uninstall that scope before removing costline")
    click.echo(f"to remove costline itself: {removal_command()}")


def _purge_cache(dry_run: bool) -> None:
    """Remove the cache dir, only when it is costline's: trusted (paths.cache_refusal), not a
    link, holding nothing costline does not make (a COSTLINE_CACHE_DIR set to a folder of other
    things is never emptied)."""
    from statusline.paths import cache_path, cache_refusal

    path = cache_path()
    if path is None or not os.path.lexists(path):
        click.echo("no cache dir to remove")
        return
    if os.path.islink(path):
        click.echo(f"kept the cache dir {path}: it is a link (remove it and its folder by hand)")
        return
    refused = cache_refusal(path)
    foreign = sorted(n for n in os.listdir(path) if not _made_by_costline(n)) if not refused else []
    if refused or foreign:
        why = refused or f"it holds {', '.join(foreign[:3])}, which costline did not make"
        click.echo(f"kept the cache dir {path}: {why}")
        return
    if dry_run:
        click.echo(f"would remove the cache dir {path}")
        return
    shutil.rmtree(path, ignore_errors=True)  # links inside are removed, never followed
    if os.path.lexists(path):  # written meanwhile (a refresh a render started)
        click.echo(f"could not remove all of the cache dir {path}: run costline uninstall --purge again")
        return
    click.echo(f"removed the cache dir {path} (index, prices, settings backups)")


def removal_command() -> str:
    """The one command that removes this install: its tool's uninstall, else its venv folder."""
    from statusline.cli.onpath import tool_manager

    prefix = os.path.abspath(sys.prefix)
    manager = tool_manager()
    if manager:
        return f"{'uv tool' if manager == 'uv' else manager} uninstall costline"
    if sys.prefix != sys.base_prefix and "costline" in os.path.basename(prefix):
        return f"rm -rf {shlex.quote(prefix)}"  # a venv of its own, as the README makes
    return f"{shlex.quote(sys.executable)} -m pip uninstall costline"  # a venv shared with others


SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS), required=False)
def completion(shell: str | None) -> None:
    """Print the shell completion script (for the shell $SHELL names, when not given).

    \b
    Examples:
      costline completion bash >> ~/.bashrc
      costline completion fish > ~/.config/fish/completions/costline.fish
    """
    from click.shell_completion import get_completion_class

    from statusline.cli import cli

    if shell is None:
        login = os.path.basename(os.environ.get("SHELL", ""))
        if login not in SHELLS:
            raise click.UsageError(
                f"which shell? costline completion bash|zsh|fish (SHELL is {login or 'unset'})"
            )
        shell = login
    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(cli, {}, "costline", "_COSTLINE_COMPLETE").source())
