"""One transcript-line reader: every valid serialisation of a line gives the same records, and
the render's parser and the scan's parser give every line the same verdict."""

from __future__ import annotations

import json
import random

import pytest
from helpers import assistant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusline.index.lines import Skip, parse_lean, records_from_line
from statusline.index.scanread import fast_parser

FAST = fast_parser()
SEEDED = settings(
    max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def records(line: bytes, parser=parse_lean) -> list[tuple[object, ...]] | str:
    try:
        return records_from_line(line, parser, "file-s")
    except Skip as why:
        return f"skip: {why}"


def _escape_all(text: str, rng: random.Random) -> str:
    """A JSON string body with some characters written as \\u escapes (surrogate pairs included)."""
    out = []
    for ch in text:
        if rng.random() < 0.3:
            code = ord(ch)
            if code > 0xFFFF:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04X}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(json.dumps(ch)[1:-1])
    return "".join(out)


def reserialise(value: object, rng: random.Random) -> str:
    """Any valid JSON text for `value`: random whitespace, key order and escapes."""

    def ws() -> str:
        return "".join(rng.choice(" \t\r\n") for _ in range(rng.choice((0, 0, 1, 2))))

    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        body = ",".join(
            f'{ws()}"{_escape_all(k, rng)}"{ws()}:{ws()}{reserialise(v, rng)}{ws()}' for k, v in items
        )
        return "{" + body + ws() + "}"
    if isinstance(value, list):
        return "[" + ",".join(ws() + reserialise(v, rng) + ws() for v in value) + "]"
    if isinstance(value, str):
        return '"' + _escape_all(value, rng) + '"'
    if isinstance(value, int) and not isinstance(value, bool) and rng.random() < 0.2:
        return f"{value}.0" if rng.random() < 0.5 else f"{value}e0"
    return json.dumps(value)


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
usages = st.fixed_dictionaries(
    {"input_tokens": st.integers(0, 10**7), "output_tokens": st.integers(0, 10**6)},
    optional={
        "cache_creation_input_tokens": st.integers(0, 10**6) | st.none(),
        "cache_read_input_tokens": st.integers(0, 10**7) | st.none(),
        "speed": st.sampled_from(["standard", "fast", None]),
        "inference_geo": st.sampled_from(["us", "global"]),
        "cache_creation": st.fixed_dictionaries(
            {
                "ephemeral_5m_input_tokens": st.integers(0, 1000),
                "ephemeral_1h_input_tokens": st.integers(0, 1000),
            }
        ),
    },
)
lines = st.builds(
    lambda msg_id, req, model, usage, text, sidechain, hh: json.loads(
        assistant(
            msg_id=msg_id,
            request_id=req,
            model=model,
            usage=usage,
            sidechain=sidechain,
            ts=f"2026-11-20T{hh:02d}:00:00.000Z",
        ).replace('"text":"hi"', '"text":' + json.dumps(text))
    ),
    st.one_of(st.none(), st.text(min_size=1, max_size=8)),
    st.one_of(st.none(), st.text(min_size=1, max_size=8)),
    st.sampled_from(["claude-opus-4-8", "claude-sonnet-4-6", "<synthetic>", "x"]),
    usages,
    texts,
    st.booleans(),
    st.integers(0, 23),
)


@SEEDED
@given(lines, st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
def test_any_valid_serialisation_gives_the_compact_forms_records(obj, seed, bom, crlf):
    compact = json.dumps(obj, separators=(",", ":")).encode()
    other = reserialise(obj, random.Random(seed)).encode("utf-8")
    if bom:
        other = b"\xef\xbb\xbf" + other
    if crlf:
        other += b"\r"
    expected = records(compact)
    assert records(other) == expected
    assert records(other, FAST) == expected
    assert records(compact, FAST) == expected


# Lines on which orjson and the C scanner differ unless one referees: one verdict for both.
TRICKY = [
    b'{"message":{"usage":{"input_tokens":1,"output_tokens":2},"content":"\\ud83d"}}',
    b'{"message":{"usage":{"input_tokens":1,"output_tokens":2},"content":"\\udc00\\ud800"}}',
    b'{"message":{"usage":{"input_tokens":1,"output_tokens":2},"n":123456789012345678901234567890}}',
    b'{"message":{"usage":{"input_tokens":1,"output_tokens":2},"n":1e400}}',
    b'{"message":{"usage":{"input_tokens":1,"output_tokens":2},"n":NaN}}',
    b'{"message":{"usage":{"input_tokens":1,"output_tokens":2},"n":"a\tb"}}',
    b'{"message":{"usage":{"input_tokens":1,"output_tokens":2}},"a":1} x',
    b'{"message":{"usage":{"input_tokens":1e400,"output_tokens":2}}}',
    b'{"message":{"usage":{"input_tokens":123456789012345678901234567890,"output_tokens":2}}}',
    b'{"message":{"usage":{"input_tokens":1,"output_tokens":2}},"x":"\xff"}',
    b'{"\\u006d\\u0065ssage":{"\\u0075sage":{"input_tokens":1,"output_tokens":2}}}',
] + [
    b'{"message":{"usage":{"input_tokens":1,"output_tokens":2}},"n":' + b"[" * d + b"]" * d + b"}"
    for d in (998, 1000, 1022, 1024, 1030, 6000)
]


@pytest.mark.parametrize("line", TRICKY, ids=range(len(TRICKY)))
def test_render_and_scan_give_one_verdict(line):
    stamped = line.replace(b'{"message"', b'{"timestamp":"2026-11-20T10:00:00Z","message"', 1).replace(
        b'{"\\u006d', b'{"timestamp":"2026-11-20T10:00:00Z","\\u006d', 1
    )
    assert records(stamped, FAST) == records(stamped, parse_lean)


def test_lone_surrogate_in_text_counts_on_both_paths():
    line = assistant().replace('"text":"hi"', '"text":"\\ud83d"').encode()
    assert records(line, FAST) == records(line) != []


@SEEDED
@given(st.binary(max_size=200))
def test_verdicts_agree_on_any_bytes(junk):
    line = (
        b'{"timestamp":"2026-11-20T10:00:00Z","message":{"usage":{"input_tokens":1,"output_tokens":2}},"j":"'
        + junk
        + b'"}'
    )
    assert records(line, FAST) == records(line)


@pytest.mark.parametrize(
    "text", [b'{"a":{"usage": 12', b'{"message":{"usage":{"input_tokens":1,', b"[1,2", b'{"a":tru}']
)
def test_a_broken_document_is_not_json_on_the_lean_parser(text):
    # The C scanner reports errors inside a document through json.decoder, which the render never
    # imports: it raised SystemError, which aborted the render's index step on a half-written line.
    with pytest.raises(ValueError):
        parse_lean(text)


USAGE_LINE = (
    b'{"timestamp":"2026-11-20T10:00:00Z","message":{"id":"m","usage":{"input_tokens":1,"output_tokens":2}}}'
)
pieces = st.sampled_from(
    [
        USAGE_LINE,
        USAGE_LINE.replace(b"2026", b"x"),  # invalid timestamp
        USAGE_LINE.replace(b'"m"', b'"<synthetic>","model":"<synthetic>"'),
        b"\xef\xbb\xbf",
        b'{"usage"',
        b'"usage"',
        b'{"data":{"message":{"timestamp":"2026-11-20T10:00:00Z","message":{"usage":{"input_tokens":1,"output_tokens":2}}}}}',
        b'{"message":{"usage":1},"data":{}}',
        b'{"message":[]}',
        b"[1]",
        b"{}",
        b"\\u0075",
        b"\\u00e9",
        b"usag",
        b"x",
        b"\r",
        b" ",
        b"\xff",
    ]
)


@SEEDED
@given(st.lists(st.lists(pieces, max_size=4).map(b"".join), max_size=12), st.integers(0, 3))
def test_reading_every_line_judges_each_line_as_the_line_reader_does(lines, skip):
    from collections import Counter

    from statusline.index.lines import records_in

    data = b"".join(line + b"\n" for line in lines)
    start = sum(len(line) + 1 for line in lines[:skip])
    expected: list[tuple[object, ...]] = []
    reasons: Counter[str] = Counter()
    for line in lines[skip:]:
        found = records(line)
        if isinstance(found, str):
            reasons[found.removeprefix("skip: ")] += 1
        else:
            expected.extend(found)
    for parser in (parse_lean, FAST):
        got: list[tuple[object, ...]] = []
        judged, skips = records_in(data, start, len(data), parser, "file-s", got)
        assert got == expected
        assert skips == dict(reasons)
        with_usage = sum(1 for line in lines[skip:] if records(line) and not isinstance(records(line), str))
        assert judged == sum(reasons.values()) + with_usage


def test_escaped_letters_of_usage_are_all_caught():
    for letter in "usage":
        key = "".join(f"\\u{ord(c):04x}" if c == letter else c for c in "usage")
        usage = '{"input_tokens":1,"output_tokens":2}'
        line = f'{{"timestamp":"2026-11-20T10:00:00Z","message":{{"{key}":{usage}}}}}'
        assert records(line.encode()) != [] and records(line.encode(), FAST) == records(line.encode())
