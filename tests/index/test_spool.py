"""spool.py: records wait by UTC hour, in memory, spilled to temp files or where a worker put
them, and come back a window at a time in the groups' order, whichever way they waited."""

from __future__ import annotations

import marshal
import os
import random
from pathlib import Path

import statusline.index.spool as spool_module
from statusline.index.spool import HOURS_PER_BATCH, Spool
from statusline.index.store import Store
from statusline.timeutil import HOUR_MS


def record(msg: str, ts: int) -> tuple[object, ...]:
    return (msg, f"r{msg}", "s", "m", 0, [1, 1, 1, 0, 0, 0, 0.0], 2, False, 0, ts)


def blocks_of(rng: random.Random, group: int) -> dict[int, bytes]:
    hours = rng.sample(range(100, 112), rng.randint(1, 4))
    return {h: marshal.dumps([record(f"g{group}h{h}n{n}", h * HOUR_MS) for n in range(3)]) for h in hours}


def spool_in(tmp_path: Path) -> Spool:
    store = Store(str(tmp_path / "cache"))
    store.ensure()
    return Spool(store)


def test_blocks_come_back_in_the_groups_order_however_they_waited(tmp_path: Path, monkeypatch) -> None:
    rng = random.Random(7)
    groups = {index: blocks_of(rng, index) for index in range(12)}
    arrival = list(groups)
    rng.shuffle(arrival)  # groups reach the merge out of their places
    monkeypatch.setattr(spool_module, "SPILL_RECORDS", 9)  # spilled every few groups
    spool = spool_in(tmp_path)
    worker_file = tmp_path / "worker-0"
    offset = 0
    with open(worker_file, "wb") as fh:
        for n, index in enumerate(arrival):
            blocks: dict[int, spool_module.Block] = dict(groups[index])
            if n % 3 == 0:  # as a worker reports them: where it wrote each block
                for hour, block in groups[index].items():
                    fh.write(block)
                    blocks[hour] = (str(worker_file), offset, len(block))
                    offset += len(block)
                fh.flush()
            spool.add_blocks(index, blocks, sum(len(marshal.loads(b)) for b in groups[index].values()))
    assert spool.spill_files > 0
    expected_windows = sorted({hour // HOURS_PER_BATCH for blocks in groups.values() for hour in blocks})
    assert spool.windows() == expected_windows
    for window in expected_windows:
        hours = range(window * HOURS_PER_BATCH, (window + 1) * HOURS_PER_BATCH)
        expected = [
            (index, groups[index][h]) for h in hours for index in sorted(groups) if h in groups[index]
        ]
        assert spool.window(window) == expected
        # (a spilled hour weighs its spill block, the group indices with the records)
        assert (
            sum(len(block) for _, block in expected)
            <= spool.weight(window)
            < 2 * sum(len(block) for _, block in expected)
        )
    folder = spool.folder
    spool.discard()
    assert not os.path.exists(folder)


def test_apart_tells_whether_a_window_shares_a_message_with_the_hour_before(tmp_path: Path) -> None:
    spool = spool_in(tmp_path)
    first = 200 * HOURS_PER_BATCH  # a window's first hour
    spool.add_blocks(0, {first - 1: marshal.dumps([record("a", (first - 1) * HOUR_MS)])}, 1)
    spool.add_blocks(1, {first: marshal.dumps([record("b", first * HOUR_MS)])}, 1)
    assert spool.apart(200)
    spool.add_blocks(2, {first: marshal.dumps([record("a", first * HOUR_MS + 5)])}, 1)
    assert not spool.apart(200)
    spool.discard()
