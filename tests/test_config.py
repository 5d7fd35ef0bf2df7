"""The config file: overrides apply, mistakes are reported with file:line and ignored."""

from __future__ import annotations

import re

import pytest
from helpers import run_costline

from statusline.config import load_config


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return str(path)


def test_missing_file_gives_defaults(tmp_path):
    config = load_config(str(tmp_path / "nope.toml"))
    assert config.pricing["offline"] is False and config.pricing["max_age_hours"] == 24.0
    assert not config.warnings


def test_valid_file(tmp_path):
    config = load_config(
        write(
            tmp_path,
            """
[pricing]
offline = true
max_age_hours = 6
unknown_models = "family"

[pricing.overrides."claude-opus-4-8"]
input = 4.5
output = 22.5
since = 2026-01-01
""",
        )
    )
    assert not config.warnings
    assert config.pricing["offline"] is True and config.pricing["max_age_hours"] == 6.0
    assert config.overrides["claude-opus-4-8"]["input"] == 4.5
    assert config.overrides["claude-opus-4-8"]["since"] == 1767225600000


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("[pricing]\nofline = true\n", 2, "unknown key 'pricing.ofline'"),
        ('[pricing]\noffline = true\nmax_age_hours = "soon"\n', 3, "expected float"),
        ('[pricing]\nunknown_models = "guess"\n', 2, "must be one of"),
        ('[pricing.overrides."claude-opus-4-8"]\ninput = "4.5"\n', 2, "must be a number"),
        (
            '[pricing.overrides."claude-opus-4-8"]\ninptu = 4.5\n',
            2,
            "unknown key 'pricing.overrides.claude-opus-4-8.inptu'",
        ),
        ("[segmnts]\nx = 1\n", 1, "unknown section"),
        ("[agents]\nitem = 2\n", 2, "unknown key 'agents.item' (known: items)"),
        ("[agents]\nitems = 0\n", 2, "agents.items must be a whole number from 1 to 20"),
        ("[tools]\nitems = true\n", 2, "tools.items must be a whole number from 1 to 20"),
        ('[tools]\nmin_pct = "5"\n', 2, "tools.min_pct must be a number from 0 to 100"),
        ("agents = 3\n", 1, "'agents' must be a table"),
    ],
)
def test_mistakes_are_reported_with_file_and_line_and_ignored(tmp_path, text, line, message):
    path = write(tmp_path, text)
    config = load_config(path)
    assert len(config.warnings) == 1
    assert config.warnings[0].startswith(f"{path}:{line}: ") and message in config.warnings[0]


def test_this_sessions_split_keys(tmp_path):
    config = load_config(write(tmp_path, "[agents]\nitems = 5\n[tools]\nitems = 4\nmin_pct = 2.5\n"))
    assert not config.warnings
    assert (config.agents_items, config.tools_items, config.tools_min_pct) == (5, 4, 2.5)
    assert load_config(write(tmp_path, "[tools]\nmin_pct = 0\n")).tools_min_pct == 0.0


def test_broken_toml_is_one_warning(tmp_path):
    config = load_config(write(tmp_path, "[pricing\noffline = ="))
    assert len(config.warnings) == 1 and config.pricing["offline"] is False


def test_config_check_command(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLINE_CONFIG", write(tmp_path, "[pricing]\nofline = true\n"))
    proc = run_costline(b"", "config", "check")
    assert proc.returncode == 1 and b"ofline" in proc.stderr
    monkeypatch.setenv("COSTLINE_CONFIG", write(tmp_path, "[pricing]\noffline = true\n"))
    assert run_costline(b"", "config", "check").returncode == 0


def test_timezone_key(tmp_path):
    assert load_config(write(tmp_path, 'timezone = "Asia/Tokyo"\n')).timezone == "Asia/Tokyo"
    bad = load_config(write(tmp_path, 'timezone = "Mars/Olympus"\n'))
    assert bad.timezone is None and "not a known IANA zone" in bad.warnings[0]


def test_line_and_budget(tmp_path):
    config = load_config(
        write(tmp_path, '[line]\nsegments = ["today", "model", "bogus"]\n[budget]\ndaily_usd = 20\n')
    )
    assert config.segments == ["today", "model"] and config.daily_budget == 20.0
    assert len(config.warnings) == 1 and "bogus" in config.warnings[0]


def test_configured_segments_order_and_budget_colour(tmp_path, monkeypatch):
    settings = tmp_path / "c.toml"
    settings.write_text(
        '[line]\nsegments = ["today", "model"]\n[budget]\ndaily_usd = 0.001\n[pricing]\noffline = true\n'
    )
    monkeypatch.setenv("COSTLINE_CONFIG", str(settings))
    body = b'{"model": {"display_name": "Opus 4.8"}, "cost": {"total_cost_usd": 1}}'
    line = run_costline(body).stdout.decode()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", line)
    assert plain.startswith("$0.00") and plain.strip().endswith("Opus 4.8") and "session" not in plain
    assert "\x1b[32m$0.00" in line  # below half of the budget: green


def test_config_init_writes_a_valid_starter(tmp_path, monkeypatch):
    path = tmp_path / "new" / "config.toml"
    monkeypatch.setenv("COSTLINE_CONFIG", str(path))
    assert run_costline(b"", "config", "init").returncode == 0
    assert not load_config(str(path)).warnings
    assert run_costline(b"", "config", "init").returncode == 1  # no overwrite without --force


def test_the_starters_commented_examples_are_valid_as_they_stand(tmp_path, monkeypatch):
    """Uncommenting an example is how a starter is used: rows, [agents], [tools] and a command
    each have one (config init wrote no [agents], [tools] examples), and none is a mistake."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("COSTLINE_CONFIG", str(path))
    assert run_costline(b"", "config", "init").returncode == 0
    text = path.read_text()
    for example in (
        "# [agents]\n# items = 3",
        "# [tools]\n# items = 2",
        "# [commands.k8s]\n# run = ",
        "# rows = ",
    ):
        assert example in text, example
    path.write_text(re.sub(r"(?m)^# (?=\[|[a-z_]+ = )", "", text))
    config = load_config(str(path))
    assert not config.warnings, config.warnings
    assert config.commands["k8s"]["run"] == "kubectl config current-context" and config.agents_items == 3
    assert ["agents", "tools"] in (config.rows or [])


def test_readme_documents_every_key():
    from pathlib import Path

    from statusline.config import LINE_CHOICES, PRICING_KEYS, SEGMENT_NAMES

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for key in PRICING_KEYS:
        assert f"`pricing.{key}`" in readme, key
    for key in (*LINE_CHOICES, "segments", "second_line", "rows"):
        assert f"`line.{key}`" in readme, key
    for key in (
        "`budget.daily_usd`",
        "`timezone`",
        "[pricing.overrides.",
        "[line.model_aliases]",
        "`agents.items`",
        "`tools.items`",
        "`tools.min_pct`",
    ):
        assert key in readme, key
    for name in SEGMENT_NAMES:
        assert f"**{name}**" in readme or f'"{name}"' in readme, name


def test_rows_are_read_unknown_names_warned_about_and_empty_rows_dropped(tmp_path):
    config = load_config(write(tmp_path, '[line]\nrows = [["model", "nope"], [], ["context"]]\n'))
    assert config.rows == [["model"], ["context"]]
    assert len(config.warnings) == 1 and 'line.rows, row 1: no segment is called "nope"' in config.warnings[0]
    assert config.warnings[0].startswith(f"{tmp_path / 'config.toml'}:2:")


@pytest.mark.parametrize(
    ("value", "warning"),
    [
        ('["model"]', 'line.rows, row 1: "model" is not a list of segment names (write ["model"])'),
        (
            '[["model"], "today"]',
            'line.rows, row 2: "today" is not a list of segment names (write ["today"])',
        ),
        ("3", 'line.rows must be a list of rows of segment names, e.g. [["model", "today"], ["context"]]'),
        ("[[1]]", "line.rows, row 1: [1] is not a list of segment names"),
    ],
)
def test_rows_that_are_not_rows_of_names_are_refused_naming_the_row(tmp_path, value, warning):
    config = load_config(write(tmp_path, f"[line]\nrows = {value}\n"))
    assert config.rows is None and len(config.warnings) == 1 and warning in config.warnings[0]


def test_each_name_that_is_no_segment_is_one_line_with_the_segment_meant(tmp_path):
    """A newcomer's first rows: each mistake on a line of its own, saying what was meant (the
    known names were listed in one 200-column line, and a `cmd:` without its table with them)."""
    text = '[line]\nrows = [["model", "sesion"], ["ctx", "cmd:k8s", "cmd:nope", "cmd:", "zzzz"]]\n'
    config = load_config(write(tmp_path, text + '[commands.k8s]\nrun = "kubectl config current-context"\n'))
    assert config.rows == [["model"], ["cmd:k8s"]]
    hint = " (costline config segments lists them)"
    assert [w.split(":2: ", 1)[1] for w in config.warnings] == [
        f'line.rows, row 1: no segment is called "sesion", did you mean "session"?{hint}',
        f'line.rows, row 2: no segment is called "ctx", did you mean "context"?{hint}',
        "line.rows, row 2: cmd:nope needs a [commands.nope] table with a run",
        "line.rows, row 2: cmd: needs the name of one of your commands, e.g. cmd:k8s for [commands.k8s]",
        f'line.rows, row 2: no segment is called "zzzz"{hint}',
    ]


def test_more_than_ten_rows_are_warned_about_and_cut(tmp_path):
    rows = ", ".join('["model"]' for _ in range(12))
    config = load_config(write(tmp_path, f"[line]\nrows = [{rows}]\n"))
    assert config.rows is not None and len(config.rows) == 10
    assert "12 rows, at most 10" in config.warnings[0]


def test_config_check_says_rows_win_over_segments_and_still_passes(tmp_path, monkeypatch):
    path = write(tmp_path, '[line]\nsegments = ["model"]\nrows = [["model"], ["today"]]\n')
    monkeypatch.setenv("COSTLINE_CONFIG", path)
    out = run_costline(b"", "config", "check")
    assert out.returncode == 0, out.stderr
    assert f"note: {path}:3: line.rows is set, so line.segments and line.second_line are not used" in (
        out.stdout.decode()
    )


def test_commands_are_read_with_their_defaults_and_named_by_cmd_segments(tmp_path):
    config = load_config(
        write(
            tmp_path,
            '[line]\nrows = [["model", "cmd:k8s"], ["cmd:git-x"]]\n'
            '[commands.k8s]\nrun = "kubectl config current-context"\nevery = 10\ntimeout = 1.5\n'
            '[commands.git-x]\nrun = "git log -1 --format=%s"\n',
        )
    )
    assert not config.warnings
    assert config.commands == {
        "k8s": {"run": "kubectl config current-context", "every": 10.0, "timeout": 1.5},
        "git-x": {"run": "git log -1 --format=%s", "every": 30.0, "timeout": 2.0},
    }
    assert config.rows == [["model", "cmd:k8s"], ["cmd:git-x"]]


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("[commands.k8s]\nevery = 5\n", "commands.k8s has no run: not used"),
        ('[commands.k8s]\nrun = ""\n', "commands.k8s.run must be a command line"),
        (
            '[commands.k8s]\nrun = "x"\nevery = 0\n',
            "commands.k8s.every must be a number of seconds (1 to 86400)",
        ),
        ('[commands.k8s]\nrun = "x"\ntimeout = 61\n', "commands.k8s.timeout must be a number of seconds"),
        ('[commands.k8s]\nrun = "x"\nshell = "zsh"\n', "unknown key 'commands.k8s.shell'"),
        ('[commands."a/b"]\nrun = "x"\n', "commands.a/b: a name is 1-32 letters, digits, _ or -"),
        (
            '[line]\nsegments = ["cmd:nope"]\n',
            "line.segments: cmd:nope needs a [commands.nope] table with a run",
        ),
        ("commands = 3\n", "'commands' must be a table"),
    ],
)
def test_command_mistakes_are_reported(tmp_path, text, warning):
    config = load_config(write(tmp_path, text))
    assert any(warning in w for w in config.warnings), config.warnings
    assert "k8s" not in config.commands or config.commands["k8s"]["run"] == "x"
