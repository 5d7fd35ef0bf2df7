"""The `costline` command line (click). Only imported when a subcommand is given."""

from __future__ import annotations

import sys

import click
import click.exceptions

from statusline import __version__


class LazyGroup(click.Group):
    """A group whose subcommands' modules are imported only when one of them runs (or help
    lists them): `costline report daily` need not load the doctor, setup or pricing code."""

    def __init__(
        self, *args: object, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})  # name -> (module, attribute)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            # An unknown name loads them all, so click can suggest the nearest ("did you mean").
            for name in [cmd_name] if cmd_name in self.lazy else list(self.lazy):
                if name not in self.commands:
                    self._load(name)
        return super().get_command(ctx, cmd_name)

    def _load(self, name: str) -> None:
        import importlib

        module, attribute = self.lazy[name]
        command = getattr(importlib.import_module(module), attribute)
        command.short_help = command.short_help or SHORT_HELP.get(name)
        self.add_command(command, name=name)


# What `costline --help` lists for each command: whole, in 80 columns (click cuts a docstring's
# first sentence with `...` where it is longer).
SHORT_HELP = {
    "completion": "Print the shell completion script (bash, zsh, fish).",
    "config": "Check, edit or start the config file; list the segments.",
    "doctor": "Check the install, logs, index, prices and speed, with fixes.",
    "index": "Refresh, rebuild and inspect the index of your logs.",
    "preview": "Show the line, or each segment, on a payload.",
    "pricing": "Refresh and inspect model prices.",
    "report": "Cost reports: by day, week, month, session, block, agent, tool.",
    "sync": "Every machine you code on, one figure (the [sync] folder).",
    "uninstall": "Remove costline's status line, restoring the one before.",
}


class DefaultRenderGroup(LazyGroup):
    """`costline` with no subcommand renders the status line (as `costline render`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # (Not while a shell asks for completions: it wants the subcommands.)
        if not ctx.resilient_parsing and (not args or all(a in ("--no-color", "--color") for a in args)):
            args = ["render", *args]
        return super().parse_args(ctx, args)


@click.group(
    cls=DefaultRenderGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy={
        "index": ("statusline.cli.index", "index"),
        "pricing": ("statusline.cli.pricing", "pricing_group"),
        "config": ("statusline.cli.config", "config_group"),
        "preview": ("statusline.cli.config", "preview"),
        "report": ("statusline.cli.report", "report"),
        "install": ("statusline.cli.setup", "install"),
        "uninstall": ("statusline.cli.setup", "uninstall"),
        "completion": ("statusline.cli.setup", "completion"),
        "doctor": ("statusline.cli.doctor", "doctor"),
        "sync": ("statusline.cli.sync", "sync_group"),
    },
)
@click.version_option(__version__, prog_name="costline")
def cli() -> None:
    """costline: Claude Code's status line with this session's and today's cost.

    \b
    Set it up with `costline install`: it points the statusLine in
    ~/.claude/settings.json at this install's launcher (--dry-run shows it).
    \b
    Shape the line (rows, segments, your own commands):
      costline config segments   every segment: an example and its settings
      costline preview --each    each segment on a payload (default: a sample)
      costline config edit       edit the config file, checked when you close it
    \b
    Examples:
      costline preview           the line on a bundled sample (records nothing)
      costline preview p.json    the line on a payload you saved
      costline doctor            what is wrong, and the fix
    """


def printable(value: object) -> object:
    """`value` with each lone surrogate in its strings (dict keys too) replaced by U+FFFD.

    A transcript line can carry one as a JSON escape (`"model":"claude-\\udcff"`), and a folder
    name's undecodable bytes reach Python as them; neither can be written as UTF-8. Every
    command's output passes here: JSON through `emit_json`, text through the streams' error
    handler (`_replace_unwritable`), so both show the same U+FFFD.
    """
    if isinstance(value, str):
        if value.isascii():
            return value
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable(v) for v in value]
    return value


def emit_json(doc: object) -> None:
    """A command's `--json` output: indented, valid UTF-8 whatever text the index holds."""
    import orjson

    sys.stdout.buffer.write(orjson.dumps(printable(doc), option=orjson.OPT_INDENT_2) + b"\n")


def _unwritable(exc: UnicodeError) -> tuple[bytes, int]:
    """Codec error handler: text the stream cannot encode becomes U+FFFD (`?` where even that
    cannot be encoded, e.g. an ASCII terminal). Bytes, as the UTF-8 encoder takes only ASCII
    text back from a handler."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text = str(printable(exc.object[exc.start : exc.end]))
    try:
        return text.encode(exc.encoding), exc.end
    except UnicodeEncodeError:
        return b"?" * len(text), exc.end


def _replace_unwritable() -> None:
    """Text output never fails on, nor passes through, what is not valid Unicode."""
    import codecs

    codecs.register_error("costline.printable", _unwritable)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="costline.printable")
            except (ValueError, OSError):  # closed, or not a text stream we can change
                pass


class _NeverRaised(click.UsageError):
    pass


# click >= 8.2 raises it for a group given no subcommand (8.1 prints the help itself).
_NO_ARGS_IS_HELP: type[click.UsageError] = getattr(click.exceptions, "NoArgsIsHelpError", _NeverRaised)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; any failure is one line on stderr and a non-zero exit."""
    _replace_unwritable()
    try:
        result = cli.main(args=argv, prog_name="costline", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("costline: aborted", err=True)
        return 130
    except _NO_ARGS_IS_HELP as exc:  # a group alone: its help, as click shows it
        exc.show()
        return exc.exit_code
    except click.UsageError as exc:
        hint = f" (try '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        message = " ".join(exc.format_message().split())  # click lists choices one per line
        click.echo(f"costline: {message}{hint}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"costline: {exc.format_message()}", err=True)
        return exc.exit_code
    except OSError as exc:
        from statusline.paths import NOWHERE, cache_path, cache_refusal

        if f"{exc.filename}/".startswith(NOWHERE + "/"):  # no cache dir costline may use
            why = cache_refusal(cache_path()) or "unusable"
            click.echo(f"costline: no cache dir ({why}): see costline doctor", err=True)
            return 1
        click.echo(f"costline: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        return 1
    except Exception as exc:
        from statusline import log
        from statusline.paths import cache_dir

        log.exception(cache_dir(), "cli", exc)
        click.echo(
            f"costline: unexpected {type(exc).__name__}: {exc} (details in {log.log_path(cache_dir())})",
            err=True,
        )
        return 3
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
