"""A scan's own line reader (scanread.records_in_fast) against the general one (lines.records_in):
the same records, verdicts and counts on usual lines and on every odd field value around them."""

from __future__ import annotations

import json
import random

import pytest
from helpers import assistant

from statusline.index import lines, scanread
from statusline.index.scanread import fast_parser, records_in_fast, scan_parser

# Values each field is given besides its usual one (a missing key is `MISSING`).
MISSING = object()
ODD = [MISSING, None, "", "x", 0, 1, -1, 1.0, 2.5, True, False, [], {}, 1 << 60, "<synthetic>"]
TIMESTAMPS = [
    "2026-11-20T10:00:00.000Z",
    "2026-11-20T10:00:59.999Z",
    "2026-11-20T10:00:60.000Z",  # a leap second: the full parse accepts it
    "2026-11-20T10:00:61.000Z",
    "2026-11-20T10:59:07.123Z",
    "2026-11-20T10:60:07.123Z",
    "2026-11-20T24:00:07.123Z",
    "2026-02-30T10:00:07.123Z",
    "2026-11-20t10:00:07.123Z",
    "2026-11-20 10:00:07.123Z",
    "2026-11-20T10:00:07,123Z",
    "2026-11-20T10:00:07.12Z",
    "2026-11-20T10:00:07.1234Z",
    "2026-11-20T10:00:07.123+01:00",
    "2026-11-20T10:00:07Z",
    "2026-11-20T10:00:0\u0663.123Z",  # an Arabic-Indic digit
    "2026-11-20T10:00:07.1\u00b23Z",  # a superscript two: isdigit, not a decimal
    "2026-11-20T10:00:07.123z",
    "2026-11-20T10:00:07.123",
    "2026-11-20T10:00:x7.123Z",
    "2026-11-20T10:00:07x123Z",
]


def _line(rng: random.Random) -> str:
    """An assistant line, each field usual or (sometimes) odd."""
    d = json.loads(assistant(ts=rng.choice(TIMESTAMPS) if rng.random() < 0.5 else "2026-11-20T10:00:07.123Z"))
    message, usage = d["message"], d["message"]["usage"]
    usage["cache_creation"] = {"ephemeral_5m_input_tokens": 3, "ephemeral_1h_input_tokens": 4}
    usage["cache_creation_input_tokens"] = 9
    usage["speed"] = rng.choice(["standard", "fast", None])
    places = [
        (d, "timestamp"),
        (d, "requestId"),
        (d, "sessionId"),
        (d, "costUSD"),
        (d, "isSidechain"),
        (message, "id"),
        (message, "model"),
        (usage, "input_tokens"),
        (usage, "output_tokens"),
        (usage, "cache_creation_input_tokens"),
        (usage, "cache_read_input_tokens"),
        (usage, "cache_creation"),
        (usage["cache_creation"], "ephemeral_5m_input_tokens"),
        (usage["cache_creation"], "ephemeral_1h_input_tokens"),
        (usage, "speed"),
        (usage, "inference_geo"),
        (usage, "iterations"),
    ]
    for holder, key in rng.sample(places, rng.choice([0, 0, 1, 1, 2, 3])):
        value = rng.choice([*ODD, "us", "fast", "standard", "priority", 250_000, 150_000, 0.25])
        if value is MISSING:
            holder.pop(key, None)
        else:
            holder[key] = value
    if rng.random() < 0.1:
        advisor = {"type": "advisor_message", "model": "m2", "usage": {"input_tokens": 1, "output_tokens": 2}}
        usage["iterations"] = [advisor]
    if rng.random() < 0.1:  # a subagent's response in its parent's progress line
        d = {"type": "progress", "sessionId": "p", "data": {"message": d}, "timestamp": d.get("timestamp")}
    return json.dumps(d, separators=(",", ":"))


def _read(
    reader, data: bytes, parser, fed: list[object] | None = None
) -> tuple[list[tuple[object, ...]], int, dict[str, int]]:
    """The records, verdicts and counts; `fed`: gets what a feed is given, line by line."""
    got: list[tuple[object, ...]] = []
    feed = None if fed is None else lambda obj, recs: fed.append((obj, recs))
    judged, skips = reader(data, 0, len(data), parser, "file-s", got, feed)
    return got, judged, skips


@pytest.mark.parametrize("seed", range(4))
def test_the_scans_reader_finds_what_the_general_one_finds(seed):
    rng = random.Random(seed)
    other = [
        b'{"type":"user","message":{"role":"user","content":"usage"}}',
        b'{"usage":',
        b"[1,2]",
        b"",
        b"\xef\xbb\xbf" + assistant().encode(),
        b'{"message":{"usage":null},"data":{"message":{"message":{"usage":{}}}}}',
        b'{"timestamp":"2026-11-20T10:00:00Z","message":{"id":"\\ud800","usage":{"input_tokens":1,"output_tokens":2}}}',
    ]
    chosen = [_line(rng).encode() if rng.random() < 0.85 else rng.choice(other) for _ in range(400)]
    data = b"\n".join(chosen) + b"\n"
    scanread._MINUTES.clear()
    expected = _read(lines.records_in, data, fast_parser())
    assert expected[0], "the lines hold records"
    assert _read(records_in_fast, data, scan_parser()) == expected  # minutes learnt on the way
    assert _read(records_in_fast, data, scan_parser()) == expected  # and all known
    # A feed (the cold attribution) is given the same objects and records, line by line.
    fed: list[object] = []
    expected_fed: list[object] = []
    assert _read(lines.records_in, data, fast_parser(), expected_fed) == expected
    assert _read(records_in_fast, data, scan_parser(), fed) == expected
    assert fed == expected_fed and len(fed) > len(expected[0])


def test_the_usual_line_is_read_by_the_scans_own_loop(monkeypatch):
    """(Else the test above would pass with records_of doing all the work.)"""
    calls = []
    real = lines.records_of
    monkeypatch.setattr(lines, "records_of", lambda *a: calls.append(a) or real(*a))
    data = assistant().encode() + b"\n" + assistant(msg_id="msg_2").encode() + b"\n"
    got, judged, _ = _read(records_in_fast, data, scan_parser())
    assert len(got) == judged == 2 and calls == []
    assert _read(lines.records_in, data, fast_parser())[0] == got


def test_another_parser_reads_through_the_general_reader_a_feed_in_the_scans_own_loop(monkeypatch):
    data = assistant().encode() + b"\n"
    assert _read(records_in_fast, data, fast_parser()) == _read(lines.records_in, data, fast_parser())
    calls = []
    real = lines.records_of
    monkeypatch.setattr(lines, "records_of", lambda *a: calls.append(a) or real(*a))
    fed: list[object] = []
    got, _judged, _skips = _read(records_in_fast, data, scan_parser(), fed)
    assert [recs for _obj, recs in fed] == [got] and calls == []
