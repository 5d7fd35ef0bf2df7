"""Model-based test of several machines: seeded random steps against a model computed by hand.

Three machines each keep their own copy of the sync folder; a sync step copies one machine's
share into another's copy the way a sync tool may: late (skipped), half (the manifest arrives,
a day file is cut short), beside a conflict copy or a temp file. Messages land on one machine or,
for a shared session (a synced ~/.claude), on two with the same message id. At every step no
machine's report may count more than the model (a copy is never counted twice); after a clean
sync every machine's `report daily --json` equals the model per day, and `report by machine`
gives each message to its first holder. Prices by hand: Opus 4.8, $5 / $25 per MTok.

Default: 3 seeds x 30 steps; COSTLINE_SYNC_MODEL_STEPS=N runs N steps per seed.
"""

from __future__ import annotations

import os
import random
import shutil

import pytest
from helpers import assistant, cost_rows, report_json
from sync_helpers import Box

SEEDS = (11, 12, 13)
STEPS = int(os.environ.get("COSTLINE_SYNC_MODEL_STEPS", "0") or 0) or 30
DAYS = ("2026-11-19", "2026-11-20", "2026-11-21")
NAMES = ("laptop", "desktop", "devbox")


def response(msg: str, ts: str, session: str, tin: int, tout: int) -> str:
    usage = {"input_tokens": tin, "output_tokens": tout}
    return assistant(msg_id=msg, request_id="r" + msg, ts=ts, session=session, cwd="/w/app", usage=usage)


def price(tokens_in: int, tokens_out: int) -> float:
    return tokens_in * 5 / 1e6 + tokens_out * 25 / 1e6


def copy_share(src: Box, dst: Box, rng: random.Random, faults: bool) -> str:
    """Copy src's share into dst's folder copy, maybe badly; what happened."""
    share = src.folder / f"m-{src.mid()}"
    if not share.exists():
        return "nothing"
    target = dst.folder / share.name
    fault = rng.choice(["late", "half", "conflict", "temp", "whole", "whole"]) if faults else "whole"
    if fault == "late":
        return fault
    (target / "days").mkdir(parents=True, exist_ok=True)
    days = sorted((share / "days").glob("*.json"))
    for day in days:
        shutil.copyfile(day, target / "days" / day.name)
    shutil.copyfile(share / "machine.json", target / "machine.json")
    if fault == "half" and days:
        cut = target / "days" / rng.choice(days).name
        data = cut.read_bytes()
        cut.write_bytes(data[: rng.randrange(1, len(data))])
    elif fault == "conflict" and days:
        name = rng.choice(days).name.replace(".json", ".sync-conflict-20261120-101010-ABCDEFG.json")
        (target / "days" / name).write_text(
            rng.choice(['{"format":1,"buckets":[[1,0,"x",0,1,1,1,1,1,1,1,1,1,1]]}', "{"])
        )
    elif fault == "temp" and days:
        (target / "days" / f".syncthing.{days[0].name}.tmp").write_bytes(b'{"format": 1, "buck')
    return fault


@pytest.mark.parametrize("seed", SEEDS)
def test_every_machines_reports_equal_the_model(seed, tmp_path, monkeypatch):
    rng = random.Random(seed)
    boxes = {
        name: Box(tmp_path / "machines", name, tmp_path / f"folder-{name}", monkeypatch) for name in NAMES
    }
    for box in boxes.values():
        box.folder.mkdir()
    model: dict[str, tuple[str, float]] = {}  # message id → (day, cost)
    holders: dict[str, set[str]] = {}
    stepped: set[str] = set()
    for step in range(STEPS):
        action = rng.random()
        if action < 0.45:
            name = rng.choice(NAMES)
            shared = rng.random() < 0.3
            where = [name, rng.choice([n for n in NAMES if n != name])] if shared else [name]
            msg = f"m{seed}-{step}"
            day = rng.choice(DAYS)
            tin, tout = rng.randrange(1, 20) * 1000, rng.randrange(1, 20) * 1000
            session = f"shared-{rng.randrange(3)}" if shared else f"{name}-{rng.randrange(3)}"
            ts = f"{day}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00.000Z"
            for holder in where:  # a shared response: the same line on both machines
                boxes[holder].log("-w-app", session, [response(msg, ts, session, tin, tout)])
            model[msg] = (day, price(tin, tout))
            holders[msg] = set(where)
        elif action < 0.75:
            name = rng.choice(NAMES)
            boxes[name].step()
            stepped.add(name)
        else:
            src, dst = rng.sample(NAMES, 2)
            if src in stepped:
                copy_share(boxes[src], boxes[dst], rng, faults=True)
        if step % 10 == 9:  # never more than the model: no copy counted twice, no half file read
            name = rng.choice(sorted(stepped)) if stepped else None
            if name is not None:
                boxes[name].use()
                got = report_json("daily", "--no-refresh")["totals"]["totalCost"]
                assert got <= sum(cost for _d, cost in model.values()) + 1e-9
    # A clean sync: every machine indexes and publishes, every share reaches every folder whole.
    for box in boxes.values():
        box.step()
    for src in NAMES:
        for dst in NAMES:
            if src != dst:
                copy_share(boxes[src], boxes[dst], rng, faults=False)
    expected: dict[str, float] = {}
    for day, cost in model.values():
        expected[day] = expected.get(day, 0.0) + cost
    mids = {name: boxes[name].mid() for name in NAMES}
    for name, box in boxes.items():
        box.step()
        box.use()
        doc = report_json("daily", "--no-refresh")
        got = {row["period"]: row["totalCost"] for row in doc["daily"]}
        assert got == pytest.approx(expected), (seed, name)
        # by machine: a message goes to this machine if it holds it, else to the smallest id
        owed: dict[str, float] = {}
        for msg, (_day, cost) in model.items():
            keeper = name if name in holders[msg] else min(holders[msg], key=lambda n: mids[n])
            owed[keeper] = owed.get(keeper, 0.0) + cost
        assert cost_rows(report_json("by", "machine", "--no-refresh")) == pytest.approx(owed), (seed, name)
