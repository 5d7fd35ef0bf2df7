"""A worker folds a response's adjacent streaming copies (index/runs.py): merged, a run leaves the
index exactly as merging its copies one by one does, whatever else the hours hold."""

from __future__ import annotations

import random

from statusline.index.exact import Batch
from statusline.index.runs import fold_runs, merge_block, merge_run, message_id
from statusline.index.store import Store
from statusline.timeutil import HOUR_MS, QUARTER_HOUR_MS

T0 = 480_000 * HOUR_MS  # an hour boundary


def rec(msg, req="r", session="s", output=10, ts=T0, side=0, model="m", cls=0, cost=0.0, speed=False):
    vec = [1, 100, output, 0, 0, 0, cost]
    return (msg, req, session, model, cls, vec, 100 + output, speed, side, ts)


def state(batch: Batch) -> object:
    """Everything a merge leaves in a batch, dict order included (it is the hour files' order)."""
    hours = {
        hour: None if shard is None else {name: list(table.items()) for name, table in shard.items()}
        for hour, shard in sorted(batch.hours.items())
    }
    return repr((hours, batch.counters, sorted(batch.touched), sorted(batch.dirty), batch.added))


def merged(blocks, tmp_path, fold: bool, whole: list[int] | None = None) -> tuple[object, list[int]]:
    """Merge (origin, reread, records) blocks in order, folded or one by one: the batch's state
    and each block's entry count. `whole`: a folded block is first offered to merge_block, and
    the blocks it took are counted there."""
    batch = Batch(Store(str(tmp_path)))
    counted = []
    for origin, reread, records in blocks:
        batch.origin, batch.reread = origin, reread
        if whole is not None:
            got = merge_block(batch, fold_runs(records))
            if got is not None:
                assert got[1] == len(records)
                counted.append(got[0])
                whole.append(1)
                continue
        entries = 0
        for item in fold_runs(records) if fold else records:
            if len(item) == 3:
                entries += merge_run(batch, item)
            else:
                entries += batch.add(item) == "entries"
        counted.append(entries)
    return state(batch), counted


def test_a_bucket_that_outlives_a_replaced_copy_keeps_its_time(tmp_path):
    other = rec("y", req="ry", ts=T0 + 1000)
    partial, final = rec("x", output=1, ts=T0 + 5000), rec("x", output=900, ts=T0 + 9000)
    (run,) = fold_runs([partial, final])
    assert run == ((partial, final), 1, (0,))
    batch = Batch(Store(str(tmp_path)))
    batch.add(other)
    assert merge_run(batch, run) == 1
    agg = batch.hours[T0 // HOUR_MS]["agg"]
    bucket = agg[(T0 // QUARTER_HOUR_MS, "s", "m", 0)]
    assert bucket[:3] == [2, 200, 910] and bucket[7:] == [T0 + 1000, T0 + 9000]
    assert batch.counters["entries"] == 2 and batch.counters["duplicates"] == 1
    one_by_one = [(0, None, [other]), (0, None, [partial, final])]
    assert state(batch) == merged(one_by_one, tmp_path, fold=False)[0]


def test_a_run_of_a_message_met_before_is_merged_copy_by_copy(tmp_path):
    earlier = rec("x", session="t", output=50, ts=T0 - 60_000)  # the hour before, another session
    copies = [rec("x", output=1, ts=T0 + 1000), rec("x", output=80, ts=T0 + 2000)]
    blocks = [(1, None, [earlier]), (2, set(), copies)]
    assert merged(blocks, tmp_path, fold=True) == merged(blocks, tmp_path, fold=False)


def test_only_adjacent_copies_of_one_request_and_session_fold(tmp_path):
    a, b = rec("x", output=1), rec("x", output=2)
    items = fold_runs([a, rec("y"), b, rec("x", req="other"), rec("x", session="t"), b, b])
    assert [message_id(item) for item in items] == ["x", "y", "x", "x", "x", "x"]
    assert items[-1] == ((b, b), 0, ())  # equal copies: the first stays


def _stream(
    rng: random.Random, messages: int = 9
) -> list[tuple[int, set[object] | None, list[tuple[object, ...]]]]:
    """Groups' records split by hour and merged hour by hour, group by group, as a scan's merge
    does: copies of few messages (of `messages`) across groups, sessions, requests, sides, hours
    and buckets."""
    groups = []
    for origin in range(rng.randint(1, 4)):
        records = []
        for _ in range(rng.randint(1, 30)):
            msg = f"m{rng.randrange(messages)}"
            req = rng.choice(["r", "r", "r", "q", ""])
            session = rng.choice(["s", "s", "t"])
            ts = T0 + rng.randint(-HOUR_MS, 2 * HOUR_MS)
            for _copy in range(rng.choice([1, 1, 2, 3, 4])):
                records.append(
                    rec(
                        msg,
                        req=req,
                        session=session,
                        output=rng.choice([1, 5, 5, 400]),
                        ts=ts,
                        side=rng.choice([0, 0, 0, 1, 2]),
                        model=rng.choice(["m", "m", "n"]),
                        cls=rng.choice([0, 0, 1, 16]),
                        cost=rng.choice([0.0, 0.0, 0.1, 1e-7, -0.0]),
                        speed=rng.random() < 0.3,
                    )
                )
                ts += rng.choice([0, 1000, 300_000])
        groups.append((origin, set() if rng.random() < 0.3 else None, records))
    blocks = []
    for hour in range(T0 // HOUR_MS - 1, T0 // HOUR_MS + 3):
        for origin, reread, records in groups:
            mine = [r for r in records if r[9] // HOUR_MS == hour]
            if mine:
                blocks.append((origin, reread, mine))
    return blocks


def test_folded_runs_merge_as_their_copies_one_by_one(tmp_path):
    for seed in range(800):
        blocks = _stream(random.Random(seed))
        sets: dict[int, set[object]] = {}  # a group's re-read ids are one set across its hours
        fresh = [
            (origin, None if met is None else sets.setdefault(id(met), set()), records)
            for origin, met, records in blocks
        ]
        folded = merged(blocks, tmp_path, fold=True)
        assert folded == merged(fresh, tmp_path, fold=False), f"seed {seed}"


def test_a_block_of_messages_met_nowhere_merges_as_its_items_one_by_one(tmp_path):
    """merge_block takes a block whose messages are met nowhere (a cold build's usual block), and
    leaves what merging its items one by one leaves; a block with a message met is left whole."""
    whole: list[int] = []
    blocks_in_all = 0
    for seed in range(600):
        rng = random.Random(seed)
        blocks = _stream(rng, messages=rng.choice([9, 60, 400]))
        sets: dict[int, set[object]] = {}
        fresh = [
            (origin, None if met is None else sets.setdefault(id(met), set()), records)
            for origin, met, records in blocks
        ]
        blocks_in_all += len(blocks)
        by_block = merged(blocks, tmp_path, fold=True, whole=whole)
        assert by_block == merged(fresh, tmp_path, fold=False), f"seed {seed}"
    assert 1000 < len(whole) < blocks_in_all - 1000  # both ways taken often
