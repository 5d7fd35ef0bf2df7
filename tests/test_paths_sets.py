"""statusline/paths.py: each set of Claude config dirs gets its own figures from one cache dir.

People keep two Claude configs (`CLAUDE_CONFIG_DIR=~/.claude-work claude` beside plain `claude`),
each with costline as its status line. Both used to share one index: the work line's today, and
`costline report` under either, counted the other config's sessions too ($9.00 where the work
config alone spent $6.00; ccusage, which reads only the dirs it is given, said $6.00).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import COSTLINE, assistant, payload, run_costline, write_transcript
from test_render import now_iso, one_line, plain

from statusline import paths


def _config(tmp_path: Path, name: str, usd_input_tokens: int) -> tuple[Path, Path]:
    """A config dir with one session today: `usd_input_tokens` Opus 4.8 input tokens."""
    config = tmp_path / name
    path = write_transcript(
        config,
        "p",
        f"{name}.jsonl",
        [
            assistant(
                msg_id=f"m-{name}",
                request_id=f"r-{name}",
                session=name,
                ts=now_iso(-60),
                usage={"input_tokens": usd_input_tokens, "output_tokens": 0},
            )
        ],
    )
    return config, path


def _today(*configs: Path, env: dict[str, str] | None = None) -> float:
    proc = subprocess.run(
        [COSTLINE, "report", "daily", "--json"],
        capture_output=True,
        env={**os.environ, "CLAUDE_CONFIG_DIR": ",".join(map(str, configs)), **(env or {})},
        check=True,
    )
    rows = json.loads(proc.stdout)["daily"]
    return round(sum(row["totalCost"] for row in rows), 6)


@pytest.fixture
def two_configs(tmp_path: Path) -> tuple[Path, Path]:
    # Opus 4.8 input is $5 / MTok (the bundled table): 600,000 tokens = $3.00, 1.2 M = $6.00.
    personal, _ = _config(tmp_path, "personal", 600_000)
    work, _ = _config(tmp_path, "work", 1_200_000)
    return personal, work


def test_reports_count_only_the_config_dirs_in_use(two_configs):
    personal, work = two_configs
    assert _today(personal) == 3.0
    assert _today(work) == 6.0  # was 9.00: the index the personal report built counted too
    assert _today(personal) == 3.0
    assert _today(personal, work) == 9.0
    assert _today(work, personal) == 9.0  # the same set, whatever the order: the same folder


def test_the_line_counts_only_the_config_dirs_in_use(two_configs, tmp_path):
    personal, work = two_configs
    assert _today(personal) == 3.0  # the personal config builds the index first
    assert _today(work) == 6.0  # and the work config its own, as its first render would start
    session = work / "projects" / "p" / "work.jsonl"
    proc = run_costline(payload(session, session="work"), env={"CLAUDE_CONFIG_DIR": str(work)})
    assert "$6.00 session · $6.00 today" in plain(one_line(proc))
    session = personal / "projects" / "p" / "personal.jsonl"
    proc = run_costline(payload(session, session="personal"), env={"CLAUDE_CONFIG_DIR": str(personal)})
    assert "$3.00 session · $3.00 today" in plain(one_line(proc))


def test_the_first_set_keeps_the_cache_dir_and_the_others_get_a_folder_each(two_configs, tmp_path):
    personal, work = two_configs
    cache = tmp_path / "cache"
    _today(personal)
    _today(work)
    assert paths.claimed_dirs(str(cache)) == [str(personal)]
    own = cache / paths.SETS / paths.config_dirs_key([str(work)])
    assert paths.claimed_dirs(str(own)) == [str(work)]
    assert (own / "index" / "v2").is_dir()
    for folder in (cache / paths.SETS, own):
        assert folder.stat().st_mode & 0o777 == 0o700
    assert (cache / paths.CLAIM).is_symlink()  # read by readlink only, never followed


def test_an_index_made_before_claims_is_kept_by_the_set_whose_transcripts_it_holds(two_configs, tmp_path):
    personal, work = two_configs
    cache = tmp_path / "cache"
    assert _today(personal) == 3.0
    (cache / paths.CLAIM).unlink()  # as an index made by an earlier costline: no claim
    (personal / "projects" / "p" / "personal.jsonl").unlink()  # Claude Code deleted it since
    # A report run once under another config must not take the index with its history...
    assert _today(work) == 6.0
    assert not (cache / paths.CLAIM).exists()
    # ...which its own set still finds: the deleted session's $3.00 is still counted.
    assert _today(personal) == 3.0
    assert paths.claimed_dirs(str(cache)) == [str(personal)]


def test_doctor_says_where_a_second_set_keeps_its_index(two_configs):
    personal, work = two_configs
    _today(personal)
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(work)}
    proc = subprocess.run([COSTLINE, "doctor"], capture_output=True, text=True, env=env, check=False)
    key = paths.config_dirs_key([str(work)])
    assert f"keep their own index in {os.environ['COSTLINE_CACHE_DIR']}/sets/{key}" in proc.stdout
    assert f"(the cache dir's serves {personal})" in proc.stdout
    assert "✓ cache:" in proc.stdout and "is a link" not in proc.stdout  # the claims are ours


def test_a_link_planted_where_the_sets_folder_goes_is_refused(two_configs, tmp_path):
    personal, work = two_configs
    _today(personal)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "cache" / paths.SETS).symlink_to(elsewhere)
    session = work / "projects" / "p" / "work.jsonl"
    proc = run_costline(payload(session, session="work"), env={"CLAUDE_CONFIG_DIR": str(work)})
    line = plain(one_line(proc))
    assert proc.returncode == 0
    assert "$? today (cache dir holds a link)" in line, line
    assert list(elsewhere.iterdir()) == []


def test_the_first_claim_stands_and_is_made_in_one_step(tmp_path):
    (tmp_path / "folder").mkdir()
    claim = tmp_path / "folder" / "claim"
    paths._write_claim(str(claim), "first")
    paths._write_claim(str(claim), "second")
    assert paths._read_claim(str(claim)) == "first"
    # One symlink() call: no moment when a reader finds half a claim or a second name of it
    # (a hard-linked claim file was refused, and its own set sent to an empty sets/<key>).
    assert claim.is_symlink() and [p.name for p in claim.parent.iterdir()] == ["claim"]


def test_a_claim_file_of_the_first_version_is_still_read(tmp_path):
    claim = tmp_path / "claim"
    claim.write_text("0123456789abcdef\n/a\n")
    claim.chmod(0o600)
    assert paths._read_claim(str(claim)).split("\n")[0] == "0123456789abcdef"
    assert paths.claimed_dirs(str(tmp_path)) == [] and paths.claimed_dirs(str(claim.parent)) == []


def test_the_owning_set_keeps_its_folder_while_other_renders_claim(two_configs, tmp_path):
    personal, work = two_configs
    cache = tmp_path / "cache"
    assert _today(personal) == 3.0
    before = os.readlink(cache / paths.CLAIM)
    assert _today(work) == 6.0 and _today(personal) == 3.0
    assert os.readlink(cache / paths.CLAIM) == before
    assert not (cache / paths.SETS / paths.config_dirs_key([str(personal)])).exists()


def test_the_key_names_the_set_not_its_order():
    assert paths.config_dirs_key(["/a", "/b"]) == paths.config_dirs_key(["/b", "/a"])
    assert paths.config_dirs_key(["/a"]) != paths.config_dirs_key(["/a", "/b"])
    assert len(paths.config_dirs_key(["/a"])) == 16
