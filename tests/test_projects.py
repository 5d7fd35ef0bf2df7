"""Projects are named by the directory the transcripts say they ran in, `~` for home; a folder
none of whose transcripts says is decoded; old top-level agent-*.jsonl files land in their
folder's project."""

from __future__ import annotations

import json
import os

import pytest
from helpers import ONE, assistant, report_json, run_costline, write_transcript

from statusline.projects import decoded, encode, head_fields, names_folder

HOME = "/home/u"


def turn(n: int, session: str, cwd: str | None = None, **extra: object) -> str:
    line = json.loads(
        assistant(
            msg_id=f"m{session}{n}",
            request_id=f"r{session}{n}",
            session=session,
            ts=f"2026-11-20T1{n}:00:00.000Z",
        )
    )
    if cwd is None:
        del line["cwd"]
    else:
        line["cwd"] = cwd
    line.update(extra)
    return json.dumps(line)


@pytest.fixture
def home(monkeypatch):
    monkeypatch.setenv("HOME", HOME)  # the config and cache dirs are set apart by the conftest


def by_project() -> dict[str, float]:
    return {r["name"]: r["cost"] for r in report_json("by", "project")["rows"]}


def test_a_project_is_named_by_its_cwd_with_home_as_tilde(config_dir, home):
    # The folder decodes ambiguously (my-app or my/app); the transcript says which.
    write_transcript(config_dir, "-home-u-work-my-app", "s1.jsonl", [turn(1, "s1", "/home/u/work/my-app")])
    assert by_project() == {"~/work/my-app": pytest.approx(ONE)}
    (session,) = report_json("session")["sessions"]
    assert session["project"] == "~/work/my-app"
    assert session["projectPath"] == "-home-u-work-my-app"  # ccusage's field keeps the folder


def test_only_a_cwd_the_folder_is_named_after_names_it(config_dir, home):
    # The session moved to a subfolder first (its name is another folder's), then back.
    lines = [turn(1, "s1", "/home/u/a-b/sub"), turn(2, "s1", "/home/u/a-b"), turn(3, "s1", "/home/u/x")]
    write_transcript(config_dir, "-home-u-a-b", "s1.jsonl", lines)
    assert set(by_project()) == {"~/a-b"}


def test_a_folder_no_transcript_names_is_decoded(config_dir, home):
    write_transcript(config_dir, "-home-u-lib", "s1.jsonl", [turn(1, "s1", None)])
    write_transcript(config_dir, "-srv-tools", "s2.jsonl", [turn(1, "s2", "/elsewhere")])
    assert set(by_project()) == {"~/lib", "/srv/tools"}


def test_a_folder_no_transcript_names_is_asked_again_only_when_its_transcripts_change(
    config_dir, home, monkeypatch
):
    import statusline.projects

    write_transcript(config_dir, "-home-u-my-lib", "s1.jsonl", [turn(1, "s1", None)])
    assert set(by_project()) == {"~/my/lib"}  # decoded
    asked = []
    real = statusline.projects.head_fields
    monkeypatch.setattr(statusline.projects, "head_fields", lambda path: asked.append(path) or real(path))
    assert set(by_project()) == {"~/my/lib"} and asked == []  # heads read once, not on every report
    write_transcript(config_dir, "-home-u-my-lib", "s2.jsonl", [turn(2, "s2", "/home/u/my-lib")])
    assert set(by_project()) == {"~/my-lib"} and asked  # a new transcript: asked again, and it says
    assert report_json("by", "project")["rows"][0]["cost"] == pytest.approx(2 * ONE)


def test_an_old_top_level_agent_file_lands_in_its_folders_project(config_dir, home):
    # Old Claude Code: the subagent's lines carry the parent's session id; the parent's
    # transcript is gone (or was never kept).
    lines = [
        turn(1, "parent-1", "/home/u/work/my-app", isSidechain=True),
        turn(2, "parent-1", "/home/u/work/my-app"),
    ]
    write_transcript(config_dir, "-home-u-work-my-app", "agent-1a2b3c.jsonl", lines)
    assert by_project() == {"~/work/my-app": pytest.approx(2 * ONE)}
    (session,) = report_json("session")["sessions"]
    assert (session["sessionId"], session["project"]) == ("parent-1", "~/work/my-app")


def test_project_filter_takes_the_path_or_the_folder(config_dir, home):
    write_transcript(config_dir, "-home-u-work-my-app", "s1.jsonl", [turn(1, "s1", "/home/u/work/my-app")])
    write_transcript(config_dir, "-home-u-lib", "s2.jsonl", [turn(2, "s2", "/home/u/lib")])
    assert report_json("daily", "--project", "work/my-app")["totals"]["totalCost"] == pytest.approx(ONE)
    assert report_json("daily", "--project", "-home-u-lib")["totals"]["totalCost"] == pytest.approx(ONE)


def test_a_deleted_transcript_keeps_its_projects_name(config_dir, home):
    path = write_transcript(config_dir, "-home-u-my-app", "s1.jsonl", [turn(1, "s1", "/home/u/my-app")])
    assert set(by_project()) == {"~/my-app"}
    path.unlink()
    proc = run_costline(b"", "report", "by", "project", "--json", "--no-refresh")
    assert [r["name"] for r in json.loads(proc.stdout)["rows"]] == ["~/my-app"]


def test_the_page_uses_the_same_names(config_dir, home, tmp_path):
    write_transcript(config_dir, "-home-u-work-my-app", "s1.jsonl", [turn(1, "s1", "/home/u/work/my-app")])
    page = tmp_path / "r.html"
    args = ("-o", str(page), "--since", "20261101", "--until", "20261130", "-z", "UTC")
    assert run_costline(b"", "report", "html", *args).returncode == 0
    text = page.read_text()
    assert "~/work/my-app" in text and "-home-u-work-my-app" not in text


def test_helpers(tmp_path, home):
    assert encode("/home/u/my_app.v2") == "-home-u-my-app-v2"
    assert encode("/home/u/作業") == "-home-u---"
    assert names_folder("/home/u/a.b", "-home-u-a-b") and not names_folder("/home/u/a", "-home-u-a-b")
    deep = "/home/u/" + "d" * 250  # past 200 characters: the first 200, "-" and a hash of the path
    assert names_folder(deep, encode(deep)[:200] + "-1x2y3z")
    assert not names_folder(deep, encode(deep)[:200])
    assert decoded("-home-u-lib") == "~/lib"
    assert decoded("C--Users-x-proj") == "C:\\Users\\x\\proj"
    transcript = tmp_path / "t.jsonl"
    content = {"type": "tool_result", "content": '{"cwd": "/nested"}'}  # text, not a field
    first = {"type": "summary", "message": {"content": [content]}}
    transcript.write_text(
        json.dumps(first)
        + "\n"
        + json.dumps({"cwd": "/a b", "sessionId": "s9", "x": {"cwd": "/inner"}})
        + "\n"
    )
    assert head_fields(str(transcript)) == (["/a b"], "s9")
    assert head_fields(str(tmp_path / "missing.jsonl")) == ([], "")
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    assert head_fields(str(fifo)) == ([], "")  # read nothing, and did not wait for a writer
