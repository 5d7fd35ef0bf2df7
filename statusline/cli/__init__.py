"""The `costline` command line (click). Only imported when a subcommand is given."""

from __future__ import annotations

import sys

import click
import click.exceptions

from statusline import __version__


class DefaultRenderGroup(click.Group):
    """`costline` with no subcommand renders the status line (as `costline render`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or all(a in ("--no-color", "--color") for a in args):
            args = ["render", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultRenderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="costline")
def cli() -> None:
    """costline: Claude Code's status line with this session's and today's cost.

    \b
    Configure it in ~/.claude/settings.json:
      {"statusLine": {"type": "command", "command": "costline"}}
    \b
    Examples:
      costline < samples/payload-opus.json     render one status line
      costline index status                    what the log index holds
    """


from statusline.cli import config as _config  # noqa: E402
from statusline.cli import index as _index  # noqa: E402
from statusline.cli import pricing as _pricing  # noqa: E402
from statusline.cli import report as _report  # noqa: E402
from statusline.cli import setup as _setup  # noqa: E402
from statusline.cli import where as _where  # noqa: E402
from statusline.cli.doctor import doctor as _doctor  # noqa: E402

cli.add_command(_index.index)
cli.add_command(_pricing.pricing_group, name="pricing")
cli.add_command(_config.config_group, name="config")
cli.add_command(_config.preview)
_report.report.add_command(_where.by)
_report.report.add_command(_where.html)
cli.add_command(_report.report)
cli.add_command(_setup.install)
cli.add_command(_setup.uninstall)
cli.add_command(_setup.completion)
cli.add_command(_doctor)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; any failure is one line on stderr and a non-zero exit."""
    try:
        result = cli.main(args=argv, prog_name="costline", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("costline: aborted", err=True)
        return 130
    except click.UsageError as exc:
        hint = f" (try '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        click.echo(f"costline: {exc.format_message()}{hint}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"costline: {exc.format_message()}", err=True)
        return exc.exit_code
    except OSError as exc:
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
