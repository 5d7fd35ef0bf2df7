"""The command line's shape: subcommands load when used, help lists them all, typos get a hint."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import run_costline


def test_help_lists_every_command():
    out = run_costline(b"", "--help").stdout.decode()
    for name in ("report", "index", "pricing", "config", "preview", "install", "uninstall", "doctor"):
        assert f"  {name} " in out
    assert "\n  render" not in out  # hidden: `costline` alone renders (found: listed, with no help)
    report = run_costline(b"", "report", "--help").stdout.decode()
    for name in ("daily", "weekly", "monthly", "by", "html"):
        assert f"  {name} " in report


@pytest.mark.parametrize(("args", "hint"), [(["repor"], "'report'"), (["report", "byy"], "'by'")])
def test_a_mistyped_command_is_one_line_with_the_nearest_name(args, hint):
    proc = run_costline(b"", *args)
    assert proc.returncode == 2
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and f"Did you mean {hint}?" in lines[0]


def test_a_report_loads_neither_the_doctor_nor_setup_nor_the_price_fetcher():
    code = (
        "import sys; from statusline.cli import cli, main; "
        "main(['report', 'daily', '--help']); "
        "print(sorted(m for m in sys.modules if m.startswith('statusline.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout.decode()
    loaded = out.strip().splitlines()[-1]
    assert "statusline.cli.report" in loaded
    for module in ("doctor", "setup", "pricing", "where", "config"):
        assert f"statusline.cli.{module}'" not in loaded


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("costline rep", "1", {"report"}),
        ("costline ", "1", {"report", "index", "doctor", "install"}),
        ("costline report ", "2", {"daily", "weekly", "by", "html"}),
    ],
)
def test_the_shell_gets_completions_not_a_status_line(words, cword, expected):
    """What `costline completion bash` installs: costline run with no argument but the variable."""
    env = {"_COSTLINE_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    proc = run_costline(b"", env=env)
    offered = {line.split(",", 1)[1] for line in proc.stdout.decode().splitlines() if "," in line}
    assert proc.returncode == 0 and expected <= offered
    assert "render" not in offered  # hidden (found: offered)


@pytest.mark.parametrize(
    ("login", "marker"), [("/bin/zsh", "#compdef costline"), ("/usr/bin/fish", "complete")]
)
def test_completion_without_a_shell_takes_it_from_SHELL(login, marker):
    proc = run_costline(b"", "completion", env={"SHELL": login})
    assert (
        proc.returncode == 0
        and marker in proc.stdout.decode()
        and "_COSTLINE_COMPLETE" in proc.stdout.decode()
    )


def test_completion_for_an_unknown_shell_is_one_line():
    """Found: four lines (click's list of choices, one per line)."""
    proc = run_costline(b"", "completion", env={"SHELL": "/bin/tcsh"})
    assert proc.returncode == 2 and proc.stdout == b""
    assert proc.stderr.decode().splitlines() == [
        "costline: which shell? costline completion bash|zsh|fish (SHELL is tcsh)"
        " (try 'costline completion --help')"
    ]


@pytest.mark.parametrize("args", [["completion", "tcsh"], ["report", "by"], ["install", "--scope", "x"]])
def test_usage_errors_are_one_line(args):
    proc = run_costline(b"", *args)
    assert proc.returncode == 2 and len(proc.stderr.decode().splitlines()) == 1, proc.stderr


def test_help_examples_record_nothing_and_run_from_anywhere():
    """A render for real writes to the unlogged ledger; the examples point at `preview` instead,
    whose bundled sample needs no checkout."""
    out = run_costline(b"", "--help").stdout.decode()
    examples = out.split("Examples:")[1].split("\n\n")[0]
    assert "costline <" not in examples and "samples/" not in examples
    assert "  costline preview " in examples


@pytest.mark.parametrize("group", ["report", "index", "pricing", "config"])
def test_a_group_without_a_subcommand_prints_its_help(group):
    """As click does by default: the help, as it reads with --help, on stderr, exit 2."""
    proc = run_costline(b"", group)
    assert proc.returncode == 2
    assert proc.stderr.decode() == run_costline(b"", group, "--help").stdout.decode()
    assert proc.stderr.decode().startswith(f"Usage: costline {group} ")


def test_a_newcomers_help_fits_80_columns_and_says_how_to_shape_the_line():
    """At 80 columns each command's summary was cut with `...` and the examples ran past the
    edge; nothing said where rows, segments and your own commands are configured."""
    for args in (["--help"], ["config", "--help"]):
        out = run_costline(b"", *args, env={"COLUMNS": "80"}).stdout.decode()
        assert all(len(line) <= 80 for line in out.splitlines()), out
        assert "..." not in out.split("\n", 1)[1], out  # (the usage line has its `[ARGS]...`)
    out = run_costline(b"", "--help", env={"COLUMNS": "80"}).stdout.decode()
    for example in ("costline config segments", "costline preview --each", "costline config edit"):
        assert f"\n    {example} " in out, example
