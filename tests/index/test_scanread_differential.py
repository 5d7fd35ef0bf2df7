"""A differential fuzz of a scan's own line reader (scanread.records_in_fast) against the general
one (lines.records_in): seeded lines written every way JSON allows (key orders, duplicate keys,
escapes, whitespace, CR), fields given odd values and timestamps of every form, compared record
by record with their types (repr: 1 and 1.0, 0 and False differ) and counter by counter.
COSTLINE_SCANREAD_FUZZ=N runs N seeds of 4,000 lines each (default: 3 seeds of 300)."""

from __future__ import annotations

import json
import os
import random

import pytest

from statusline.index import lines, scanread
from statusline.index.lines import parse_lean
from statusline.index.scanread import fast_parser, records_in_fast, scan_parser

SEEDS = int(os.environ.get("COSTLINE_SCANREAD_FUZZ", "0") or 0)
LINES = 4000 if SEEDS else 300


class Raw:
    """A JSON number (or any token) written as given: `1.0`, `1e3`, `-0`, `18446744073709551616`."""

    def __init__(self, text: str) -> None:
        self.text = text


class Bom:
    """A value written after a byte-order mark."""

    def __init__(self, value: object) -> None:
        self.value = value


MISSING = object()
COUNTS = [
    Raw("1.0"), Raw("1e3"), Raw("1E2"), Raw("-0"), Raw("-0.0"), Raw("0.0"), Raw("2.5"), Raw("1e400"),
    Raw("18446744073709551615"), Raw("18446744073709551616"), Raw("9223372036854775808"),
    Raw("1125899906842624"), Raw("1125899906842623"), Raw("-1"), Raw("100000000000000000000000"),
    True, False, None, "5", [], {}, 0, 7, 250_000, 150_000, 99_999, 100_001, MISSING,
]  # fmt: skip
TEXTS = [
    MISSING, None, "", "x", "\u00e9", "\ud83d\ude00", "a\\u0062", 0, 1, True, [], {}, "<synthetic>",
    "<Synthetic>", " <synthetic>", "msg\u0000id", "\ud800",
]  # fmt: skip
MODELS = [
    "claude-opus-4-8", "claude-sonnet-4-5-20250929", "Claude-Opus-4-8", "claude-opus-4-8 ", "opus",
    "claude-opus-4-8[1m]", "anthropic/claude-opus-4-8", "claude-3-5-haiku@20241022", "<synthetic>",
]  # fmt: skip


def _timestamp(rng: random.Random) -> object:
    """Mostly Claude Code's form over a few minutes of a few days, sometimes anything near it."""
    day = rng.choice(["2026-11-20", "2026-11-21", "2026-12-31", "2027-01-01", "2024-02-29", "0999-03-01"])
    hh, mm = rng.choice(["10", "23", "00"]), rng.choice(["00", "07", "59"])
    if rng.random() < 0.75:
        ss, ms = rng.choice(["00", "07", "59", "60"]), rng.choice(["000", "123", "999"])
        return f"{day}T{hh}:{mm}:{ss}.{ms}Z"
    if rng.random() < 0.5:  # Claude Code's length and punctuation, odd characters
        ss = rng.choice(["00", "60", "61", "6x", "0\u0663", "99", "-1"])
        ms = rng.choice(["000", "999", "1\u00b23", "12a", "+00", "-00"])
        colon = rng.choice("::x.")
        return f"{day}{rng.choice('Tt ')}{hh}:{mm}{colon}{ss}.{ms}{rng.choice('ZZz')}"
    year = rng.choice(["0001", "0999", "1969", "1970", "2000", "2100", "9999", "+202", "2026"])
    month, day = rng.choice(["01", "02", "12", "00", "13"]), rng.choice(["01", "28", "29", "30", "31", "00"])
    hh, mm, ss = (
        rng.choice(["00", "23", "24"]),
        rng.choice(["00", "59", "60"]),
        rng.choice(["00", "59", "60"]),
    )
    frac = rng.choice(["", ".", ".1", ".12", ".123", ".1234", ".123456", ",123"])
    zone = rng.choice(["Z", "z", "+00:00", "+01:00", "-05:30", "+0100", "+01", "-24:00", "", "+1:00"])
    sep = rng.choice("TTt ")
    secs = rng.choice([f":{ss}{frac}", ""])
    value = rng.choice([f"{year}-{month}-{day}{sep}{hh}:{mm}{secs}{zone}", 1, None, MISSING, "", []])
    return value


def _value(rng: random.Random, usual: object, odd: list[object], p: float = 0.04) -> object:
    return rng.choice(odd) if rng.random() < p else usual


def _line(rng: random.Random) -> object:
    """One parsed line as a dict (MISSING fields dropped when written)."""
    usage: dict[str, object] = {
        "input_tokens": _value(rng, rng.choice([3, 10, 40_000, 120_000]), COUNTS),
        "cache_creation_input_tokens": _value(rng, rng.choice([0, 9, 60_000]), COUNTS),
        "cache_read_input_tokens": _value(rng, rng.choice([0, 5, 90_000]), COUNTS),
        "output_tokens": _value(rng, rng.choice([1, 100, 4000]), COUNTS),
    }
    if rng.random() < 0.7:
        usage["cache_creation"] = _value(
            rng,
            {
                "ephemeral_5m_input_tokens": _value(rng, rng.choice([0, 3, 8, 9]), COUNTS),
                "ephemeral_1h_input_tokens": _value(rng, rng.choice([0, 4, 60_000]), COUNTS),
            },
            [None, [], "x", {}, 0],
        )
    if rng.random() < 0.5:
        usage["server_tool_use"] = _value(
            rng, {"web_search_requests": 1, "web_fetch_requests": 0}, [None, 1, []]
        )
    if rng.random() < 0.5:
        usage["service_tier"] = _value(rng, "standard", ["priority", "batch", None, 1])
    if rng.random() < 0.5:
        usage["speed"] = _value(
            rng, rng.choice(["standard", "fast", None]), ["Fast", "", 1, True, "priority"], 0.1
        )
    if rng.random() < 0.3:
        usage["inference_geo"] = rng.choice(["us", "US", "global", "", None, 1])
    if rng.random() < 0.05:
        usage["iterations"] = rng.choice(
            [
                [],
                None,
                [
                    {
                        "type": "advisor_message",
                        "model": "m2",
                        "usage": {"input_tokens": 1, "output_tokens": 2},
                    }
                ],
            ]
        )
    message: dict[str, object] = {
        "model": _value(rng, rng.choice(MODELS), TEXTS, 0.03),
        "id": _value(rng, f"msg_{rng.randrange(40)}", TEXTS, 0.03),
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": rng.choice(["hi", "usage", "\u00e9\n\u2028", "\\u0075"])}],
        "usage": _value(rng, usage, [None, [], "usage", 1], 0.03),
    }
    line: dict[str, object] = {
        "parentUuid": "p",
        "isSidechain": rng.choice([False, False, True, None, "true", 1, MISSING]),
        "type": "assistant",
        "message": _value(rng, message, [None, [], "m"], 0.03),
        "requestId": _value(rng, f"req_{rng.randrange(40)}", TEXTS, 0.03),
        "sessionId": _value(rng, rng.choice(["s1", "s2", "\u00e9"]), TEXTS, 0.03),
        "timestamp": _timestamp(rng),
    }
    if rng.random() < 0.2:
        line["agentId"] = rng.choice(["a1", None, 1])
    if rng.random() < 0.1:
        line["costUSD"] = rng.choice([None, 0, 0.0, 1.5, Raw("1e400"), True, "1", Raw("-0")])
    roll = rng.random()
    if roll < 0.06:  # a subagent's response in its parent's progress line
        return {
            "type": "progress",
            "sessionId": "p",
            "data": {"message": line},
            "timestamp": line["timestamp"],
        }
    if roll < 0.1:
        return rng.choice(
            [
                {
                    "type": "user",
                    "message": {"role": "user", "content": "usage"},
                    "timestamp": "2026-11-20T10:00:00.000Z",
                },
                {"type": "summary", "summary": "x"},
                [1, 2],
                "usage",
                Raw(""),
                Raw('{"message":{"usage":'),
                Bom({"message": message, "timestamp": "2026-11-20T10:00:00.000Z"}),
            ]
        )
    return line


def _escape(text: str, rng: random.Random) -> str:
    """A JSON string body: some characters as \\u escapes (either case), the rest as json writes."""
    out = []
    for ch in text:
        code = ord(ch)
        if rng.random() < 0.15 and code <= 0xFFFF:
            out.append(f"\\u{code:04x}" if rng.random() < 0.5 else f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")  # a lone surrogate: orjson refuses, the lean parser takes it
        else:
            out.append(json.dumps(ch, ensure_ascii=rng.random() < 0.3)[1:-1])
    return "".join(out)


def _write(value: object, rng: random.Random) -> str:
    """JSON text for `value`: shuffled keys, duplicate keys (the last one counts in both parsers),
    escapes, spaces and tabs (no newline: that would end the line)."""

    def ws() -> str:
        return rng.choice(["", "", "", " ", "\t", " \r "])

    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Bom):
        return "\ufeff" + _write(value.value, rng)
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if v is not MISSING]
        if rng.random() < 0.3:
            rng.shuffle(items)
        if items and rng.random() < 0.1:  # an earlier duplicate of a key: the later value wins
            key, _ = rng.choice(items)
            items.insert(0, (key, rng.choice([None, 1, "x", {}, True])))
        body = ",".join(f'{ws()}"{_escape(k, rng)}"{ws()}:{ws()}{_write(v, rng)}{ws()}' for k, v in items)
        return "{" + body + ws() + "}"
    if isinstance(value, list):
        return "[" + ",".join(ws() + _write(v, rng) + ws() for v in value) + "]"
    if isinstance(value, str):
        return '"' + _escape(value, rng) + '"'
    return json.dumps(value)


def _corpus(seed: int, count: int) -> bytes:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = _write(_line(rng), rng)
        if rng.random() < 0.05:
            text += rng.choice([" ", "\r", "  \t", "\r\r"])
        out.append(text.encode("utf-8", "surrogatepass"))
    data = b"\n".join(out)
    return data + b"\n" if rng.random() < 0.5 else data  # an unfinished last line is read as a line too


def _read(reader, data: bytes, parser) -> str:
    got: list[tuple[object, ...]] = []
    judged, skips = reader(data, 0, len(data), parser, "file-s", got)
    return repr((got, judged, sorted(skips.items()), list(skips)))


@pytest.mark.parametrize("seed", range(SEEDS or 3))
def test_the_scans_reader_agrees_with_the_general_one_on_any_serialisation(seed):
    data = _corpus(seed, LINES)
    expected = _read(lines.records_in, data, fast_parser())
    assert "msg_" in expected, "the lines hold records"
    assert _read(lines.records_in, data, parse_lean) == expected  # the render's parser
    scanread._MINUTES.clear()
    assert _read(records_in_fast, data, scan_parser()) == expected  # minutes learnt on the way
    assert _read(records_in_fast, data, scan_parser()) == expected  # and all known
    for cut in (len(data) // 3, len(data) // 2):  # minutes learnt from another part of the file
        scanread._MINUTES.clear()
        records_in_fast(data, cut, len(data), scan_parser(), "file-s", [])
        assert _read(records_in_fast, data, scan_parser()) == expected


def _hour_files(cache: str) -> dict[str, bytes]:
    out = {}
    for folder, _dirs, names in os.walk(os.path.join(cache, "index")):
        for name in names:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, cache)
            if f"{os.sep}hours{os.sep}" in path and len(name) == 2:  # not .ids: they hold stat signatures
                with open(path, "rb") as fh:
                    out[rel] = fh.read()
    return out


def _write_corpus(config: str, seed: int) -> None:
    """Sessions with subagents whose lines repeat each other's messages (dedup across files)."""
    rng = random.Random(seed)
    for n in range(8):
        project = os.path.join(config, "projects", f"p{n % 3}")
        names = [f"s{n}.jsonl"] + [f"s{n}/subagents/agent-{k}.jsonl" for k in range(n % 3)]
        for name in names:
            path = os.path.join(project, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                for _ in range(LINES // 10):
                    fh.write(_write(_line(rng), rng).encode("utf-8", "surrogatepass") + b"\n")


@pytest.mark.parametrize("seed", range(SEEDS or 1))
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_cold_build_writes_the_same_hours_and_reports_with_or_without_the_scans_reader(
    workers, seed, config_dir, tmp_path, monkeypatch
):
    """Byte for byte: records_in_fast's records hold the very 0.0 records_of's hold (before, the
    hour files differed in marshal's back references, not in their values)."""
    from click.testing import CliRunner

    import statusline.index.scan as scan_module
    from statusline.cli import cli

    _write_corpus(str(config_dir), 11 + seed)
    monkeypatch.setenv("COSTLINE_SCAN_WORKERS", workers)
    monkeypatch.setenv("COSTLINE_PARALLEL_MIN_BYTES", "0")
    built = []
    for reader in (records_in_fast, lines.records_in):
        cache = str(tmp_path / f"cache-{len(built)}")
        monkeypatch.setenv("COSTLINE_CACHE_DIR", cache)
        monkeypatch.setattr(scan_module, "records_in_fast", reader)
        scanread._MINUTES.clear()
        runner = CliRunner()
        assert runner.invoke(cli, ["index", "refresh"]).exit_code == 0
        reports = [
            runner.invoke(cli, ["report", *args, "--json", "-z", "UTC", "--no-refresh"]).stdout
            for args in (["daily"], ["by", "model"], ["session"])
        ]
        assert "totalCost" in reports[0]
        built.append((_hour_files(cache), reports))
    assert built[0][0] and built[0][0] == built[1][0]
    assert built[0][1] == built[1][1]
