"""bench/parse_floor.py, the cold bench's floor: it parses every line, and with --records makes
exactly the records an index build reads from the same files (counted independently here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from statusline.index import lines
from statusline.index.scanread import fast_parser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from corpus import generate  # noqa: E402


def floor(root: Path, *flags: str) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "parse_floor.py"), str(root), *flags],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {key: int(value) for key, value in (line.split() for line in out.splitlines())}


def test_floor_parses_every_line_and_makes_every_record(tmp_path: Path) -> None:
    generate(str(tmp_path), files=6, total_mb=0.3, days=3, seed=5, now=1_764_000_000.0)
    transcript = next((tmp_path / "projects").rglob("*.jsonl"))
    with open(transcript, "ab") as fh:  # a garbage line and a truncated one: counted, not fatal
        fh.write(b"not json\n" + b'{"type":"assistant","message":{"usage":\n')
    paths = sorted((tmp_path / "projects").rglob("*.jsonl"))
    data = {path: path.read_bytes() for path in paths}
    expected_lines = sum(1 for blob in data.values() for line in blob.split(b"\n") if line)
    expected_records = 0
    for path, blob in data.items():
        found: list[tuple[object, ...]] = []
        lines.records_in(blob, 0, len(blob), fast_parser(), path.name[:-6], found)
        expected_records += len(found)
    assert expected_records > 0
    for workers in ("1", "2"):
        assert floor(tmp_path, "--workers", workers) == {
            "lines": expected_lines,
            "bytes": sum(os.path.getsize(p) for p in paths),
        }
        assert floor(tmp_path, "--workers", workers, "--records")["records"] == expected_records
