"""`costline config …`: where the config file is and whether it is valid."""

from __future__ import annotations

import click

from statusline.config import load_config
from statusline.paths import config_path


@click.group()
def config_group() -> None:
    """Inspect the config file ($XDG_CONFIG_HOME/costline/config.toml)."""


@config_group.command()
def check() -> None:
    """Validate the config file: unknown keys, wrong types, with file:line.

    \b
    Example:
      costline config check
    """
    config = load_config()
    for warning in config.warnings:
        click.echo(warning, err=True)
    if config.warnings:
        raise click.ClickException(f"{len(config.warnings)} problem(s) in {config.path}")
    click.echo(f"{config_path()}: ok")
