"""`costline config edit` and `costline config segments`."""

from __future__ import annotations

import marshal
import os
import stat
import time
from pathlib import Path

from helpers import run_costline


def editor(tmp_path: Path, appended: str) -> str:
    """An editor that notes the file it was given and appends `appended` to it."""
    (tmp_path / "appended").write_text(appended)
    script = tmp_path / "fake-editor"
    script.write_text(f'#!/bin/sh\necho "$1" > "{tmp_path}/edited"\ncat "{tmp_path}/appended" >> "$1"\n')
    script.chmod(0o755)
    return str(script)


def test_edit_opens_the_config_in_the_editor_then_checks_it(tmp_path):
    config = Path(os.environ["COSTLINE_CONFIG"])
    out = run_costline(b"", "config", "edit", env={"EDITOR": editor(tmp_path, '[line]\ntheme = "plain"\n')})
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "edited").read_text().strip() == str(config)
    assert out.stdout.decode() == f"{config}: ok\n"
    assert 'theme = "plain"' in config.read_text()


def test_edit_that_leaves_a_mistake_exits_non_zero_naming_its_line(tmp_path):
    config = Path(os.environ["COSTLINE_CONFIG"])
    out = run_costline(b"", "config", "edit", env={"EDITOR": editor(tmp_path, "[line]\nthem = 1\n")})
    assert out.returncode == 1
    assert out.stderr.decode().splitlines() == [
        f"{config}:4: unknown key 'line.them'",
        f"costline: 1 problem(s) in {config}",
    ]


def test_visual_wins_and_an_editor_command_may_carry_arguments(tmp_path):
    out = run_costline(
        b"",
        "config",
        "edit",
        env={"VISUAL": f"sh {editor(tmp_path, '')}", "EDITOR": "false"},
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "edited").exists()


def test_edit_with_no_file_writes_the_starter_first(tmp_path, monkeypatch):
    path = tmp_path / "new" / "config.toml"
    monkeypatch.setenv("COSTLINE_CONFIG", str(path))
    out = run_costline(b"", "config", "edit", env={"EDITOR": editor(tmp_path, "")})
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode() == f"wrote {path} (a commented starter)\n{path}: ok\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "[commands.k8s]" in path.read_text()


def test_an_editor_that_cannot_start_is_one_line_and_non_zero(tmp_path):
    out = run_costline(b"", "config", "edit", env={"EDITOR": str(tmp_path / "no-such-editor")})
    assert out.returncode == 1
    missing = tmp_path / "no-such-editor"
    assert (
        out.stderr.decode() == f"costline: cannot start the editor '{missing}': No such file or directory\n"
    )


def test_segments_lists_every_segment_and_your_commands_escaped():
    from statusline.segments import SEGMENTS

    config = Path(os.environ["COSTLINE_CONFIG"])
    config.write_text(config.read_text() + '[line]\nrows = [["cmd:k8s"]]\n[commands.k8s]\nrun = "x"\n')
    kept = Path(os.environ["COSTLINE_CACHE_DIR"]) / "commands"
    kept.mkdir(parents=True, mode=0o700)
    result = {"text": "prod\x1b]52;c;aGk=\x07\u202e", "failed": None, "at": time.time()}
    (kept / "k8s.0123456789abcdef").write_bytes(marshal.dumps(result))
    (kept / "k8s.0123456789abcdef").chmod(0o600)
    out = run_costline(b"", "config", "segments", env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    rows = {line.split()[0]: line for line in text.splitlines()[2:] if line and not line.startswith(" ")}
    assert set(rows) == {*SEGMENTS, "cmd:k8s"}
    assert rows["cmd:k8s"].split() == ["cmd:k8s", "prod]52;c;aGk=", "commands.k8s"]
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert rows["dir"].split() == ["dir", "app", "line.dir_style"]
