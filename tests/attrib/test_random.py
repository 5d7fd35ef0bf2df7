"""Seeded random transcripts with faults: every breakdown adds up to the daily report, agents match
a plain recomputation, and reading on (or from a corrupt state) equals reading from scratch.

The corpus: several sessions and projects; responses logged as several streaming lines (the
first with a partial usage); tool calls (built-in and MCP) with results of random sizes, text or
images; subagents typed by a `.meta.json`, by the parent's Agent call, or not at all; forks
(a copy of a session under a new id, same message ids); exact duplicate lines; compactions;
garbage lines; a last line still being written.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest
from attrib_helpers import saved_states
from helpers import cost_rows as rows
from helpers import report_json as run

SEEDS = (11, 12, 13)
# USD per MTok: input, output, 5m write, read (statusline/pricing.py MODELS).
PRICES = {
    "claude-opus-4-8": (5.0, 25.0, 6.25, 0.5),
    "claude-sonnet-4-6": (3.0, 15.0, 3.75, 0.3),
    "claude-haiku-4-5": (1.0, 5.0, 1.25, 0.1),
}
TOOLS = ["Read", "Bash", "Edit", "mcp__github__create_issue", "mcp__github__list_prs", "mcp__db__query"]


def dump(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


class Corpus:
    def __init__(self, seed: int, root: Path) -> None:
        self.rnd = random.Random(seed)
        self.root = root
        self.files: dict[Path, list[str]] = {}
        self.messages: dict[tuple[str, str], tuple[int, float, str]] = {}  # key → (total, usd, agent)
        self.n = 0
        self.unnamed: set[str] = set()  # subagents whose type nothing names

    def ts(self) -> str:
        self.n += 1
        day = 20 + self.n * 3 // 200
        return f"2026-11-{day:02d}T{(self.n // 60) % 24:02d}:{self.n % 60:02d}:00.000Z"

    def response(
        self, session: str, agent: str, side: bool, lines: list[str], calls: list[tuple[str, str]]
    ) -> None:
        rnd = self.rnd
        self.n += 1
        msg, req = f"msg_{session}_{self.n}", f"req_{self.n}"
        model = rnd.choice(list(PRICES))
        u = [rnd.randrange(0, 50), rnd.randrange(1, 2000), rnd.randrange(0, 20000), rnd.randrange(0, 90000)]
        blocks: list[dict] = []
        for _ in range(rnd.randrange(1, 4)):
            kind = rnd.random()
            if kind < 0.4:
                blocks.append({"type": "text", "text": "t" * rnd.randrange(0, 400)})
            elif kind < 0.5:
                blocks.append({"type": "thinking", "thinking": "h" * rnd.randrange(0, 400), "signature": "s"})
            else:
                call_id = f"toolu_{self.n}_{len(blocks)}"
                name = rnd.choice(TOOLS) if side or rnd.random() < 0.85 else "Agent"
                inp: dict = {"x": "y" * rnd.randrange(0, 300)}
                if name == "Agent":
                    inp["subagent_type"] = rnd.choice(["Explore", "Plan", "reviewer"])
                blocks.append({"type": "tool_use", "id": call_id, "name": name, "input": inp})
                calls.append((call_id, name if name != "Agent" else inp["subagent_type"]))
        ts = self.ts()
        for i, block in enumerate(blocks):
            final = i == len(blocks) - 1
            usage = {
                "input_tokens": u[0],
                "output_tokens": u[1] if final else 1,
                "cache_creation_input_tokens": u[2],
                "cache_read_input_tokens": u[3],
            }
            line = {
                "type": "assistant",
                "isSidechain": side,
                "sessionId": session,
                "timestamp": ts,
                "requestId": req,
                "message": {
                    "id": msg,
                    "role": "assistant",
                    "model": model,
                    "content": [block],
                    "usage": usage,
                },
            }
            lines.append(dump(line))
            if rnd.random() < 0.05:
                lines.append(dump(line))  # the same line twice
        p = PRICES[model]
        usd = (u[0] * p[0] + u[1] * p[1] + u[2] * p[2] + u[3] * p[3]) / 1e6
        self.messages[(msg, req)] = (sum(u), usd, agent)

    def results(self, session: str, calls: list[tuple[str, str]], lines: list[str], folder: Path) -> None:
        rnd = self.rnd
        for call_id, name in calls:
            content: object = "r" * rnd.randrange(0, 20000)
            if rnd.random() < 0.2:
                content = [
                    {"type": "text", "text": "q" * rnd.randrange(0, 5000)},
                    {"type": "image", "source": {}},
                ]
            line: dict = {
                "type": "user",
                "sessionId": session,
                "timestamp": self.ts(),
                "message": {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": call_id, "content": content}],
                },
            }
            if name in ("Explore", "Plan", "reviewer"):  # a subagent: its own transcript
                agent_id = f"a{self.n}"
                line["toolUseResult"] = {"agentId": agent_id}
                self.subagent(session, agent_id, name, folder)
            lines.append(dump(line))
        calls.clear()

    def subagent(self, session: str, agent_id: str, kind: str, folder: Path) -> None:
        how = self.rnd.choice(["meta", "parent", "parent", "none"])
        lines: list[str] = []
        calls: list[tuple[str, str]] = []
        label = kind if how != "none" else "subagent"
        for _ in range(self.rnd.randrange(1, 4)):
            self.response(session, label, True, lines, calls)
            self.results(session, calls, lines, folder)
        path = folder / session / "subagents" / f"agent-{agent_id}.jsonl"
        self.files[path] = lines
        if how == "meta":
            path.parent.mkdir(parents=True, exist_ok=True)
            (path.parent / f"agent-{agent_id}.meta.json").write_text(dump({"agentType": kind}))
        elif how == "none":
            # Nothing names its type: the parent's result does not carry the agent id.
            self.files[path] = lines
            self.unnamed.add(agent_id)

    def session(self, session: str, project: str) -> None:
        folder = self.root / project
        lines: list[str] = []
        calls: list[tuple[str, str]] = []
        for _ in range(self.rnd.randrange(3, 12)):
            lines.append(
                dump(
                    {
                        "type": "user",
                        "sessionId": session,
                        "timestamp": self.ts(),
                        "message": {"role": "user", "content": "go"},
                    }
                )
            )
            self.response(session, "main", False, lines, calls)
            self.results(session, calls, lines, folder)
            roll = self.rnd.random()
            if roll < 0.08:
                lines.append(dump({"type": "system", "subtype": "compact_boundary", "timestamp": self.ts()}))
            elif roll < 0.14:
                lines.append('{"type":"assistant","message":{"usage":')  # garbage
        self.files[folder / f"{session}.jsonl"] = lines

    def write(self) -> None:
        for path, lines in self.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(line + "\n" for line in lines))


def unnamed_fix(corpus: Corpus) -> None:
    """Subagents whose type nothing names: drop the agent id from the parent's result."""
    for lines in corpus.files.values():
        for i, line in enumerate(lines):
            for agent_id in corpus.unnamed:
                needle = dump({"agentId": agent_id})
                if needle in line:
                    lines[i] = line.replace(needle, dump({"status": "completed"}))


def build(seed: int, config: Path) -> Corpus:
    corpus = Corpus(seed, config / "projects")
    for n in range(6):
        corpus.session(f"s{n}", f"-w-p{n % 3}")
    unnamed_fix(corpus)
    # A fork: the history of s0 copied under a new session id, message ids kept.
    source = corpus.files[corpus.root / "-w-p0" / "s0.jsonl"]
    corpus.files[corpus.root / "-w-p0" / "s9.jsonl"] = [line.replace('"s0"', '"s9"') for line in source]
    corpus.write()
    return corpus


@pytest.mark.parametrize("seed", SEEDS)
def test_breakdowns_add_up_and_agents_match_a_recomputation(config_dir, seed):
    corpus = build(seed, config_dir)
    # A last line still being written: counted by both once it is whole JSON.
    tail_path = corpus.root / "-w-p0" / "s0.jsonl"
    with open(tail_path, "a") as fh:
        fh.write(
            dump(
                {
                    "type": "assistant",
                    "sessionId": "s0",
                    "timestamp": "2026-11-22T00:00:00.000Z",
                    "requestId": "rt",
                    "message": {
                        "id": "mt",
                        "role": "assistant",
                        "model": "claude-opus-4-8",
                        "content": [],
                        "usage": {"input_tokens": 7, "output_tokens": 9},
                    },
                }
            )
        )
    corpus.messages[("mt", "rt")] = (16, (7 * 5 + 9 * 25) / 1e6, "main")
    rnd = random.Random(seed)
    days = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]
    for kind in ("agent", "tool", "mcp", "project", "model"):
        for _ in range(2):
            window = []
            if rnd.random() < 0.5:
                window += ["--since", rnd.choice(days)]
            if rnd.random() < 0.5:
                window += ["--until", rnd.choice(days)]
            doc = run("by", kind, *window)
            total = run("daily", *window, "--no-refresh")["totals"]["totalCost"]
            assert sum(rows(doc).values()) == pytest.approx(total, abs=1e-9), (kind, window)
            assert doc["totals"]["totalCost"] == pytest.approx(total, abs=1e-9)
            assert "unattributed" not in rows(doc), (kind, window)
            assert min(rows(doc).values(), default=0) > -1e-12
    expected: dict[str, float] = {}
    for _total, usd, agent in corpus.messages.values():
        expected[agent] = expected.get(agent, 0.0) + usd
    got = rows(run("by", "agent", "--no-refresh"))
    assert len(got) >= 3 and "main" in got
    assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_reading_on_and_corrupt_states_equal_reading_from_scratch(config_dir, seed, tmp_path):
    corpus = build(seed, config_dir)
    halves = {path: lines for path, lines in corpus.files.items()}
    for path, lines in halves.items():
        path.write_text("".join(line + "\n" for line in lines[: len(lines) // 2]))
    run("by", "tool")
    for path, lines in halves.items():
        with open(path, "a") as fh:
            fh.write("".join(line + "\n" for line in lines[len(lines) // 2 :]))
    folder = Path(os.environ["COSTLINE_CACHE_DIR"]) / "attrib" / "v3"
    names = sorted(saved_states(os.environ["COSTLINE_CACHE_DIR"]))
    packs = sorted((folder / "packs").iterdir())
    assert len(names) == len(halves) and len(packs) == 1
    packs[0].write_bytes(b"not marshal")  # not a pack: its states are read again
    (folder / names[0]).write_bytes(b"")  # an unreadable state's own file: not its pack entry
    on = rows(run("by", "tool"))
    shutil.rmtree(folder)
    assert on == pytest.approx(rows(run("by", "tool", "--no-refresh")), abs=1e-12)
