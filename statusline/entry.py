"""`costline`: the entry point, and the one module that knows both the render and the CLI.

With no subcommand (what Claude Code runs) it renders; anything else goes to the click CLI,
which is only imported then, so a render never pays for it.
"""

from __future__ import annotations

import sys

from statusline import fs
from statusline.render import render_main

TYPE_CHECKING = False
if TYPE_CHECKING:
    import click

RENDER_FLAGS = frozenset({"--no-color", "--color"})


def main(flags: list[str] | None = None) -> int:
    """Render (no subcommand), else hand over to the click CLI.

    The render never raises and always prints exactly one line.
    """
    flags = flags if flags is not None else sys.argv[1:]
    # A shell asking for completions runs `costline` with no argument but this variable set.
    if not all(flag in RENDER_FLAGS for flag in flags) or "_COSTLINE_COMPLETE" in fs.environ():
        try:
            from statusline.cli import cli
        except Exception as exc:  # a broken install: still one line, not a traceback
            sys.stderr.write(f"costline: cannot start the command line: {type(exc).__name__}: {exc}\n")
            return 3
        cli.add_command(render_command(), name="render")
        from statusline.cli import main as run_cli

        return run_cli(flags)
    return render_main(flags, exit_now=True)


def render_command() -> click.Command:
    """`costline render [--no-color]`: the render as a subcommand."""
    import click

    @click.command(hidden=True)  # `costline` alone does this: not a command to list or complete
    @click.option("--no-color", is_flag=True, help="Plain text, no ANSI colours.")
    @click.option("--color", is_flag=True, hidden=True)
    def render(no_color: bool, color: bool) -> None:
        """Read a status payload on stdin and print one status line (the default command).

        \b
        Example:
          costline render --no-color < samples/payload-opus.json
        """
        render_main(["--no-color"] if no_color else [])

    return render
