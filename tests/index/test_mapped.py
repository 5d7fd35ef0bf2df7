"""A scan's worker maps the files it reads from the start (newlines.read_new_lines, `mapped`): what
it reads is what a copy of the same bytes gives, for every kind of read."""

from __future__ import annotations

import pytest
from helpers import assistant, user

from statusline.index.newlines import FileRead, read_file
from statusline.index.scanread import fast_parser

LOADS = fast_parser()


def fields(read: FileRead) -> tuple[object, ...]:
    return (read.records, read.counters, read.state, read.consumed, read.more, read.unreadable)


def reads(path: str, state: list[object] | None = None, budget: int = 1 << 20) -> list[tuple[object, ...]]:
    """The same read made three ways: mapped (a worker), into a reused buffer, and plainly."""
    buffer = bytearray(b"stale bytes of a longer file read before\n" * 100)
    return [
        fields(read_file(path, state, budget, LOADS, True, buffer, mapped=True)),
        fields(read_file(path, state, budget, LOADS, True, buffer)),
        fields(read_file(path, state, budget, LOADS, True)),
    ]


LINES = [
    user(),
    assistant(msg_id="m1"),
    "not json, but it says usage",
    assistant(msg_id="m2", request_id="r2"),
]


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(LINES) + "\n",
        "\n".join(LINES) + "\n" + assistant(msg_id="m3"),  # a whole last line without its newline
        "\n".join(LINES) + "\n" + assistant(msg_id="m4")[:50],  # a last line still being written
        assistant(msg_id="m5"),  # one line, no newline
        "",
    ],
    ids=["lines", "whole-tail", "partial-tail", "one-unterminated", "empty"],
)
def test_a_mapped_read_equals_a_copied_one(tmp_path, monkeypatch, text):
    from statusline.index import scanread

    maps: list[int] = []
    real = scanread.map_file
    monkeypatch.setattr(scanread, "map_file", lambda fd, size: maps.append(size) or real(fd, size))
    path = tmp_path / "s.jsonl"
    path.write_text(text)
    mapped, copied, plain = reads(str(path))
    assert mapped == copied == plain
    assert maps == ([len(text.encode())] if text else [])  # only the worker's read mapped it


def test_reads_on_from_an_offset_and_past_the_budget_are_copied_as_before(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(LINES) + "\n")
    first = read_file(str(path), None, 1 << 20, LOADS, True)
    with open(path, "a") as fh:
        fh.write(assistant(msg_id="later") + "\n")
    mapped, copied, plain = reads(str(path), first.state)
    assert mapped == copied == plain
    assert [rec[0] for rec in mapped[0]] == ["later"]  # type: ignore[union-attr]
    mapped, copied, plain = reads(str(path), None, budget=len(LINES[0]) + 10)
    assert mapped == copied == plain and mapped[4]  # more to read
