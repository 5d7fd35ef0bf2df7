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


def _apply(path: str, old: str, new: str, dry_run: bool) -> None:
    diff = mask_secrets(_diff(path, old, new))
    click.echo(diff or f"{path}: already up to date", nl=not diff.endswith("\n"))
    if dry_run or old == new:
        return
    install = _install_dir()
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
            raise click.ClickException(
                f"{path} already has a statusLine ({mask_secrets(json.dumps(current))[:80]}); "
                "use --force to replace it (uninstall restores it)"
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
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.option("--scope", type=click.Choice(SCOPES), default="user", show_default=True)
@click.option("--dry-run", is_flag=True, help="Print the change without writing it.")
def uninstall(scope: str, dry_run: bool) -> None:
    """Remove costline's status line, restoring the one install replaced (if any).

    \b
    Example:
      costline uninstall
    """
    path = settings_path(scope)
    try:
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
        _apply(path, text, new_text, dry_run)
        if dry_run:
            return
        if previous is None and memory.get("created") and not json.loads(new_text or "{}"):
            os.unlink(os.path.realpath(path))
            click.echo(f"removed {path} (costline had created it)", err=True)
        try:
            os.unlink(_memory(path))
        except OSError:
            pass
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script.

    \b
    Examples:
      costline completion bash >> ~/.bashrc
      costline completion fish > ~/.config/fish/completions/costline.fish
    """
    from click.shell_completion import get_completion_class

    from statusline.cli import cli

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(cli, {}, "costline", "_COSTLINE_COMPLETE").source())
