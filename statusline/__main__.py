"""`costline` / `python -m statusline`: no subcommand renders the status line; anything else is the CLI.

The split keeps click (and everything the CLI needs) off the render path.
"""

from __future__ import annotations

import sys

RENDER_FLAGS = frozenset({"--no-color", "--color"})


def main() -> int:
    args = sys.argv[1:]
    if all(arg in RENDER_FLAGS for arg in args):
        from statusline.render import main as render

        return render(args)
    from statusline.cli import main as cli

    return cli()


if __name__ == "__main__":
    sys.exit(main())
