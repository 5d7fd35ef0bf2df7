"""`costline config …`: where the config file is and whether it is valid."""

from __future__ import annotations

import click

from statusline.config import Config, load_config
from statusline.paths import config_path


@click.group()
def config_group() -> None:
    """Your config file ($XDG_CONFIG_HOME/costline/config.toml, or $COSTLINE_CONFIG): check it,
    edit it, start one, and list the segments its rows can show."""


@config_group.command(short_help="Validate the config file: unknown keys, wrong types.")
def check() -> None:
    """Validate the config file: unknown keys, wrong types, with file:line.

    \b
    Example:
      costline config check
    """
    _report(load_config())


def _report(config: Config) -> None:
    """Print what `config check` says of a loaded config; ClickException when it has problems."""
    for note in config.notes:
        click.echo(f"note: {note}")
    for warning in config.warnings:
        click.echo(warning, err=True)
    if config.warnings:
        raise click.ClickException(f"{len(config.warnings)} problem(s) in {config.path}")
    import os

    exists = os.path.exists(config.path)
    click.echo(f"{config.path}: {'ok' if exists else 'not present: defaults'}")


@config_group.command(short_help="Open the config file in your editor, then check it.")
def edit() -> None:
    """Open the config file in $VISUAL or $EDITOR (a starter file when there is none), then
    check it: exit non-zero when it has problems.

    \b
    Example:
      EDITOR=nano costline config edit
    """
    import os
    import shlex
    import subprocess

    from statusline.paths import config_location, config_refusal

    path = config_location()
    if path is None:
        raise click.ClickException("no config location: set HOME or COSTLINE_CONFIG (absolute)")
    refused = config_refusal(path)
    if refused:
        raise click.ClickException(f"{path}: {refused}: not read (see costline doctor)")
    if not os.path.exists(path):
        _write_starter(path)
        click.echo(f"wrote {path} (a commented starter)")
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = [*shlex.split(editor), path]
    except ValueError as exc:
        raise click.ClickException(f"cannot read the editor command {editor!r}: {exc}") from None
    try:
        code = subprocess.run(argv, check=False).returncode
    except OSError as exc:
        raise click.ClickException(f"cannot start the editor {argv[0]!r}: {exc.strerror or exc}") from None
    if code != 0:
        click.echo(f"the editor exited with {code}; checking the file as it is", err=True)
    _report(load_config(path))


@config_group.command(short_help="Every segment: an example and the settings that shape it.")
def segments() -> None:
    """Every segment: an example of what it shows and the settings that shape it (put it in a
    row of line.rows); then a cmd:NAME for each of your [commands.NAME].

    \b
    Example:
      costline config segments
    """
    from statusline.catalog import command_entries, segment_entries
    from statusline.cli.tables import TEXT, Column, table, terminal_width
    from statusline.paths import cache_dir

    columns = [
        Column("segment", TEXT),
        Column("example", TEXT, least=16),
        Column("settings (and line.rows)", TEXT, least=12, short="settings"),
    ]
    rows: list[list[str]] = []
    for name, example, keys in [*segment_entries(), *command_entries(cache_dir())]:
        first, *more = keys.split(", ") if keys else [""]
        rows.append([name, example, first])  # one setting a row: the table stays narrow
        rows.extend(["", "", key] for key in more)
    table(columns, rows, width=terminal_width() or 80)


@config_group.command("run-commands", hidden=True)
@click.argument("key")
@click.option("--wait", is_flag=True, help="Wait for a runner already at work, then run.")
def run_commands(key: str, wait: bool) -> None:
    """Run one session's due [commands.NAME] and keep their output (renders start this)."""
    from statusline.paths import cache_dir
    from statusline.runner import HEX, run_due

    if len(key) != 16 or not set(key) <= HEX:
        raise click.ClickException(f"not a session key: {key[:40]!r}")
    run_due(cache_dir(), key, wait=wait)


STARTER = """# costline configuration — every key is optional; delete what you do not need.
# Check it with: costline config check (costline config edit checks it when you close it).
# Every segment, with an example and the settings that shape it: costline config segments
# Each one on your own session's payload: costline preview --each

# IANA time zone for "today" and reports (default: the system's local time).
# timezone = "Europe/Berlin"

[line]
# theme = "default"        # or "plain" (ASCII, no colour) or "powerline" (needs a Nerd Font)
# session_source = "payload"   # or "computed" (from the logs) or "both"
# dir_style = "basename"   # for the dir segment: "basename", "fish" or "full"
# Which segments, in which order (the default line; a segment with nothing to show is left out):
# segments = ["model", "session", "today", "limits", "spend", "context", "lines", "git"]
# Or any number of rows (up to 10), each fitted to the width on its own; when set, `segments`
# and `second_line` are not used. A row can show this session's money by agent and by tool,
# and your own commands (cmd:NAME, below):
# rows = [["model", "session", "today"], ["context", "git"], ["limits"], ["agents", "tools"]]

# This session's cost by agent (`main $1.20 · Explore $0.40 · +2 $0.05`) and the tools taking
# the largest shares of it (`Read ~38% · Bash ~21%`, an estimate), for the "agents" and "tools"
# segments. The background refresh makes them, so they show about a minute after a turn.
# [agents]
# items = 3                # agents shown, the rest folded into +N
# [tools]
# items = 2                # tools shown at most
# min_pct = 5              # none under this share of the session's cost

[budget]
# Today's figure turns yellow at half this and red above it (default: $6 / $12, Anthropic's
# average and 90th-percentile Claude Code day).
# daily_usd = 10

[pricing]
# offline = false          # true: never download prices
# max_age_hours = 24       # refresh LiteLLM prices in the background when older
# unknown_models = "mark"  # or "family": price unknown ids as their family's newest model
#
# Your own rates (USD per million tokens), optionally from a date:
# [pricing.overrides."claude-opus-4-8"]
# input = 4.5
# output = 22.5
# since = 2026-06-01

# Several machines, one figure: a folder Syncthing, Dropbox or a share keeps in step (README:
# "Several machines"). Each machine publishes its share there; today and reports add the others.
# [sync]
# dir = "~/Sync/costline"
# machine = "laptop"       # default: the host name
# share_names = true       # false: project names published as hashes (a team folder)
# stale_minutes = 10       # a machine silent this long after spending today is marked stale

# Your own commands, each shown by a `cmd:NAME` segment in a row of [line] rows (for the one
# below, a row such as ["context", "cmd:k8s"]). They run off the render path, through the
# shell in the session's folder, payload on stdin; the first line of what they print shows
# (escape sequences removed, at most 40 columns).
# [commands.k8s]
# run = "kubectl config current-context"
# every = 30               # seconds between runs (default 30, at least 1)
# timeout = 2              # seconds, at most 60 (default 2); killed after, shown as `k8s ?`
"""


@config_group.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(force: bool) -> None:
    """Write a commented starter config file.

    \b
    Example:
      costline config init
    """
    import os

    path = config_path()
    if os.path.exists(path) and not force:
        raise click.ClickException(f"{path} exists; use --force to overwrite it")
    _write_starter(path)
    click.echo(f"wrote {path}")


def _write_starter(path: str) -> None:
    import os

    from statusline.index.store import atomic_write

    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)  # see paths.config_refusal
    atomic_write(path, STARTER.encode("utf-8"))


@click.command()
@click.option(
    "--theme",
    type=click.Choice(["default", "plain", "powerline"]),
    default=None,
    help="Only this theme (default: all three).",
)
@click.option("--each", is_flag=True, help="Every segment on its own row, whether configured or not.")
@click.argument("payload", type=click.Path(exists=True, dir_okay=False), required=False)
def preview(theme: str | None, each: bool, payload: str | None) -> None:
    """Render a payload (default: the bundled sample) in each theme, before installing.

    \b
    Examples:
      costline preview
      costline preview --theme powerline samples/payload-subscription.json
      costline preview --each samples/payload-2.1.332.json
    """
    import os
    import time
    from pathlib import Path

    from statusline.render import build_line

    source = Path(payload) if payload else Path(__file__).resolve().parent.parent / "sample_payload.json"
    raw = source.read_bytes()
    if each:
        shown = _preview_each(raw, theme or "default")
    else:
        shown = []
        for name in [theme] if theme else ["default", "plain", "powerline"]:
            env = dict(os.environ, COSTLINE_THEME=name)
            shown.append(build_line(raw, env, time.time(), [], record=False))
            click.echo(f"{name:>9}  {shown[-1]}")
    from statusline.cli.tables import echo_fitted

    for note in notes(shown):
        echo_fitted(f"note: {note}", indent="      ")


def notes(shown: list[str]) -> list[str]:
    """What a first look at the line may not tell: each said once, when the preview shows it."""
    text = "\n".join(shown)
    found = []
    if "…" in text or "... " in text:  # (the plain theme's)
        found.append(
            "a figure ending in … is still being computed, a floor until then: the status line's"
            " first run indexes your Claude Code logs in the background; a preview starts nothing"
            " (costline index refresh: now)"
        )
    if "API-eq" in text:
        found.append(
            "API-eq: Pro/Max usage at API prices (no per-token bill); said once, it covers every"
            " dollar figure on the line"
        )
    if " session" in text and " today" in text:
        found.append(
            "session is the payload's own figure, today your own logs' (a preview adds nothing"
            " of the payload to it)"
        )
    return found


def _preview_each(raw: bytes, theme: str) -> list[str]:
    """Each segment of the registry alone, as it would show for this payload (else what it looks
    like: an example), with the settings that shape it; then each of your commands' last text.
    Returns the renderings (examples aside) for the notes."""
    import os
    import time

    from statusline.catalog import COMMAND_EXAMPLE, EXAMPLES, PENDING, command_entries, describe
    from statusline.cli.tables import cut, muted, terminal_width
    from statusline.context import Context
    from statusline.look import compose, use_color
    from statusline.paths import cache_dir
    from statusline.payload import parse_payload
    from statusline.render import label_api_equivalent
    from statusline.segments import SEGMENTS, run_segments

    payload, _problem = parse_payload(raw)
    ctx = Context(payload, time.time(), os.environ, cache_dir())
    ctx.record = False
    try:
        ctx.index_state()
    except OSError:  # no cache dir costline may use: figures show as the render shows them
        pass
    ctx.track_limits()  # the samples renders recorded, for the pace
    color = use_color(os.environ, [])
    room = max((terminal_width() or 80) - 14, 20)  # `name  ` before each row
    rows = []
    for name in SEGMENTS:
        shown = run_segments(ctx, [name])
        if ctx.is_subscription:
            label_api_equivalent([shown])
        parts = [(spans, priority) for spans, priority, _ in shown]
        example, keys = EXAMPLES.get(name, ("", ""))
        row = compose(parts, color, room, theme) if parts else ""
        notes = [f"settings: {keys}"] if keys else []
        if row:
            rows.append(row)
        elif name in PENDING:  # nothing yet for this session: an example, and when it shows
            row = muted(cut(f"example: {example}", room))
            notes.insert(0, PENDING[name])
        else:
            row = muted(cut(f"(none here) e.g. {example or describe(name)}", room))
        click.echo(f"{name:>12}  {row}")
        for note in notes:
            click.echo(f"{'':>12}  " + muted(cut(note, room)))
    for name, text, keys in command_entries(cache_dir()):
        if (name, text, keys) == COMMAND_EXAMPLE:
            click.echo(f"{name:>12}  " + muted(cut(f"example: {text}", room)))
            note = "your own command: a [commands.NAME] table (costline config init)"
        else:
            click.echo(f"{cut(name, 12):>12}  {cut(text, room)}")
            note = f"settings: {keys} (README: Rows and your own commands)"
        click.echo(f"{'':>12}  " + muted(cut(note, room)))
    return rows
