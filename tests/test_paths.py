"""Where the logs are: CLAUDE_CONFIG_DIR as Claude Code means it, and as users sometimes give it."""

from __future__ import annotations

import json

import pytest
from helpers import ONE, assistant, run_costline, write_transcript
from index_helpers import priced

from statusline.paths import claude_config_dirs, projects_dirs
from statusline.settings_file import settings_path


def test_claude_config_dir_naming_the_projects_folder_is_accepted(config_dir, monkeypatch):
    write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config_dir / "projects"))
    assert claude_config_dirs() == [str(config_dir)]
    assert projects_dirs() == [str(config_dir / "projects")]
    assert priced().usd == pytest.approx(ONE)  # was $0: `<projects>/projects` does not exist
    assert settings_path("user") == str(config_dir / "settings.json")  # not inside projects/


def test_the_config_dir_and_its_projects_folder_given_together_are_one_folder(config_dir, monkeypatch):
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{config_dir},{config_dir}/projects/")
    assert projects_dirs() == [str(config_dir / "projects")]


def test_a_config_dir_called_projects_keeps_its_own_projects_folder(tmp_path, monkeypatch):
    config = tmp_path / "projects"
    write_transcript(config, "p", "s1.jsonl", [assistant()])
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    assert projects_dirs() == [str(config / "projects")]  # the documented meaning comes first


def test_only_a_folder_named_projects_stands_in_for_one(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    write_transcript(tmp_path, "p", "s1.jsonl", [assistant()])
    (tmp_path / "projects").rename(logs)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(logs))
    assert projects_dirs() == []  # a guess at any folder of .jsonl files could read foreign logs


def test_doctor_names_the_folder_it_reads(config_dir):
    write_transcript(config_dir, "p", "s1.jsonl", [assistant()])
    for given in (config_dir, config_dir / "projects"):
        proc = run_costline(b"", "doctor", "--json", "--no-timing", env={"CLAUDE_CONFIG_DIR": str(given)})
        check = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}["claude logs"]
        assert check["ok"] and check["detail"].startswith(f"{config_dir / 'projects'}: 1 transcripts")
    assert (
        f"CLAUDE_CONFIG_DIR names {config_dir / 'projects'}, a projects folder: read as {config_dir}"
        in (check["detail"])
    )
    missing = config_dir / "elsewhere"
    proc = run_costline(b"", "doctor", "--json", "--no-timing", env={"CLAUDE_CONFIG_DIR": str(missing)})
    check = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}["claude logs"]
    assert not check["ok"] and str(missing) in check["detail"] and "projects" in check["detail"]
