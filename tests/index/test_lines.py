"""Which transcript lines count: parsed as JSON, dropped only when a cost field is unusable."""

from __future__ import annotations

import json

import pytest
from helpers import assistant

from statusline import payload as jsonfast
from statusline.index.lines import (
    CLS_FAST,
    CLS_LOGGED_COST,
    PROMPT_GT_200K,
    PROMPT_LE_100K,
    PROMPT_LE_200K,
    Skip,
    file_session_id,
    prompt_class,
    records_from_line,
)


def parse(line: str, file_session: str = "file-s"):
    return records_from_line(line.encode(), lambda b: jsonfast.loads(b.decode("utf-8")), file_session)


def mutate(fn, **kw) -> str:
    d = json.loads(assistant(**kw))
    fn(d)
    return json.dumps(d, separators=(",", ":"))


def test_a_normal_line_is_one_record():
    (rec,) = parse(assistant())
    msg_id, req, session, model, cls, vec, total, speed, side, _ts = rec
    assert (msg_id, req, session, model) == ("msg_1", "req_1", "s1", "claude-opus-4-8")
    assert vec == [1, 10, 100, 0, 0, 0, 0.0]
    assert total == 110 and not speed and not side
    assert cls == PROMPT_LE_100K


def test_lines_without_usage_are_not_records():
    assert parse('{"type":"user","message":{"role":"user","content":"hi"}}') == []
    assert parse('{"type":"summary","summary":"x"}') == []


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"usage":{', "not JSON"),
        ('["usage":{]', "not JSON"),
        ('{"message":{"usage":{"input_tokens":1,"output_tokens":2}}}', "invalid timestamp"),
    ],
)
def test_garbage_is_skipped_with_a_reason(line, reason):
    with pytest.raises(Skip, match=reason):
        parse(line)


@pytest.mark.parametrize(
    "usage",
    [
        {"input_tokens": "10"},
        {"input_tokens": -1},
        {"input_tokens": True},
        {"input_tokens": 10.5},
        {"input_tokens": None},
        {"output_tokens": 2.0**60},
        {"speed": "priority"},
    ],
)
def test_unusable_token_fields_skip_the_line(usage):
    with pytest.raises(Skip):
        parse(assistant(usage=usage))


def test_integral_float_counts_are_integers():
    (rec,) = parse(
        assistant(usage={"input_tokens": 10.0, "output_tokens": 1e2, "cache_read_input_tokens": 5.0})
    )
    assert rec[5] == [1, 10, 100, 0, 0, 5, 0.0] and all(type(v) is int for v in rec[5][1:6])


@pytest.mark.parametrize(
    "field", ["sessionId", "requestId", "version", "cwd", "costUSD", "isApiErrorMessage", "parentUuid"]
)
def test_explicit_null_envelope_fields_read_as_not_given(field):
    (rec,) = parse(mutate(lambda d: d.__setitem__(field, None)))
    assert rec[5][:3] == [1, 10, 100]


@pytest.mark.parametrize("field", ["cache_read_input_tokens", "cache_creation_input_tokens", "speed"])
def test_explicit_null_optional_usage_fields_read_as_not_given(field):
    (rec,) = parse(assistant(usage={field: None}))
    assert rec[5][:3] == [1, 10, 100]


def test_explicit_null_message_id_is_a_line_without_id():
    (rec,) = parse(mutate(lambda d: d["message"].__setitem__("id", None)))
    assert rec[0].startswith("~")


def test_a_null_inside_content_never_drops_the_message():
    # ccusage drops this line (`"id":null` anywhere); it is a billed response.
    def tool_call(d):
        d["message"]["content"] = [{"type": "tool_use", "id": "t1", "name": "X", "input": {"id": None}}]

    (rec,) = parse(mutate(tool_call))
    assert rec[0] == "msg_1" and rec[5][:3] == [1, 10, 100]


@pytest.mark.parametrize("version", ["abc", "1.0", "", None, 5])
def test_version_never_decides(version):
    assert parse(assistant(version=version))


@pytest.mark.parametrize("ts", ["2026-11-20", "yesterday", "2026-11-20T10:00:00", "2026-11-20T25:00:00Z", 5])
def test_timestamps_without_an_instant_are_skipped(ts):
    with pytest.raises(Skip, match="timestamp"):
        parse(assistant(ts=ts))


@pytest.mark.parametrize(
    "ts",
    [
        "2026-11-20T10:00:00Z",
        "2026-11-20T10:00:00.1Z",
        "2026-11-20T10:00:00.123456Z",
        "2026-11-20 10:00:00.000Z",
        "2026-11-20T12:00:00+0200",
        "2026-11-20T12:00:00.000+02",
        "2026-11-20t10:00:00.000z",
    ],
)
def test_timestamps_an_iso_reader_accepts_count(ts):
    (rec,) = parse(assistant(ts=ts))
    assert rec[9] // 1000 == parse(assistant())[0][9] // 1000


def test_timestamp_with_offset():
    (rec,) = parse(assistant(ts="2026-11-20T23:30:00+02:00"))
    assert rec[9] == parse(assistant(ts="2026-11-20T21:30:00.000Z"))[0][9]


def test_synthetic_lines_are_skipped_and_named():
    with pytest.raises(Skip, match="synthetic"):
        parse(assistant(model="<synthetic>", usage={"input_tokens": 0, "output_tokens": 0}))


@pytest.mark.parametrize("field", ["sessionId", "requestId"])
def test_empty_ids_read_as_not_given(field):
    (rec,) = parse(assistant(**{field: ""}))
    assert rec[2 if field == "sessionId" else 1] == ("file-s" if field == "sessionId" else "")


def test_missing_session_falls_back_to_the_file():
    (rec,) = parse(assistant(session=None))
    assert rec[2] == "file-s"


def test_missing_request_id_and_message_id_are_kept():
    (rec,) = parse(assistant(request_id=None, msg_id=None))
    assert rec[0].startswith("~s1:") and rec[1] == ""  # a key made of the line's own content


def test_api_error_lines_count():
    assert parse(assistant(isApiErrorMessage=True))


def test_logged_cost_marks_the_record():
    (rec,) = parse(assistant(costUSD=1.25))
    assert rec[4] & CLS_LOGGED_COST and rec[5][6] == 1.25


def test_fast_speed_and_prompt_class():
    (rec,) = parse(assistant(usage={"speed": "fast", "input_tokens": 150_000}))
    assert rec[4] & CLS_FAST
    assert rec[4] & 3 == PROMPT_LE_200K


def test_prompt_classes():
    assert prompt_class(100_000) == PROMPT_LE_100K
    assert prompt_class(100_001) == PROMPT_LE_200K
    assert prompt_class(200_000) == PROMPT_LE_200K
    assert prompt_class(200_001) == PROMPT_GT_200K


def test_spaced_json_is_the_same_usage_line():
    # ccusage only reads lines with the literal `"usage":{`: this one it drops.
    assert parse(json.dumps(json.loads(assistant()))) == parse(assistant())


def test_progress_lines_carry_subagent_usage():
    inner = json.loads(assistant(msg_id="msg_p", request_id="req_p"))
    line = json.dumps(
        {"type": "progress", "sessionId": "s1", "data": {"message": inner}}, separators=(",", ":")
    )
    (rec,) = parse(line)
    assert rec[0] == "msg_p" and rec[1] == "req_p"


def test_a_progress_lines_inner_message_never_takes_the_outer_request_id():
    """The outer line's requestId is the parent's request: the subagent's response copied inside
    has its own or none (then its message id alone matches the subagent file's copy)."""
    inner = json.loads(assistant(msg_id="msg_p", request_id=None))
    line = json.dumps(
        {"type": "progress", "sessionId": "s1", "requestId": "req_parent", "data": {"message": inner}},
        separators=(",", ":"),
    )
    (rec,) = parse(line)
    assert rec[0] == "msg_p" and not rec[1]


def test_advisor_iterations_are_separate_records():
    usage = {
        "iterations": [
            {"type": "message"},
            {"type": "advisor_message", "model": "claude-opus-5", "input_tokens": 5, "output_tokens": 7},
        ]
    }
    _main, advisor = parse(assistant(usage=usage))
    assert advisor[0] == "msg_1:advisor:1" and advisor[3] == "claude-opus-5" and advisor[5][1:3] == [5, 7]


def test_file_session_ids():
    assert file_session_id("/c/projects/p/abc.jsonl") == "abc"
    assert file_session_id("/c/projects/p/abc/subagents/agent-1.jsonl") == "abc"
