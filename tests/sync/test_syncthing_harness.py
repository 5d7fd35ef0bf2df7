"""The Syncthing harness itself: a file crosses over, and a file changed on both sides at once ends
up as Syncthing's conflict copy on both, so the costline tests build on a real sync engine."""

from __future__ import annotations

import re

from syncthing import Pair, tree


def test_a_file_written_on_alpha_arrives_on_beta(pair: Pair, shared):
    a_dir, b_dir = shared
    (a_dir / "hello.json").write_bytes(b'{"from": "alpha"}\n')
    pair.sync()
    assert (b_dir / "hello.json").read_bytes() == b'{"from": "alpha"}\n'
    assert pair.a.connected_to(pair.b)


def test_a_file_changed_on_both_sides_at_once_becomes_a_conflict_copy(pair: Pair, shared):
    a_dir, b_dir = shared
    (a_dir / "day.json").write_bytes(b"first\n")
    pair.sync()
    with pair.disconnected():
        (a_dir / "day.json").write_bytes(b"alpha's edit\n")
        (b_dir / "day.json").write_bytes(b"beta's longer edit\n")
    pair.sync()
    names = sorted(tree(a_dir))
    assert names == sorted(tree(b_dir))
    copies = [n for n in names if re.fullmatch(r"day\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]{7}\.json", n)]
    assert len(copies) == 1, names
    assert set(names) == {"day.json", copies[0]}
    # One side's edit kept the name, the other's is the copy; nothing was lost.
    kept = {(a_dir / n).read_bytes() for n in names}
    assert kept == {b"alpha's edit\n", b"beta's longer edit\n"}
