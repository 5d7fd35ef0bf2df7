"""Following a transcript line by line (attrib/context.py Transcript.feed): the usual lines are
taken on a written-out path (a main-conversation response with its one record, a tool result's
line that cannot be a typed prompt); seeded random transcripts with unusual lines mixed in give
the same rows, splits and states, to the last bit, as a plain dispatch of every line through the
general handlers. A message's blocks join the context a run at a time: the same context, to the
last bit, as block by block."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from statusline.attrib.context import Transcript, _prompt
from statusline.attrib.layout import CHARS_PER_TOKEN, CONVERSATION, Context
from statusline.index.lines import file_session_id
from statusline.index.scanread import records_in_fast, scan_parser

TOOLS = ["Read", "Bash", "mcp__db__query", "Task", "Agent"]


def plain_feed(t: Transcript, obj: object) -> None:
    """Every line through the general handlers, its records made there (records=False): the
    dispatch as it was before the usual lines had a path of their own."""
    if not isinstance(obj, dict):
        return
    kind = obj.get("type")
    if kind == "assistant" and obj.get("isSidechain") is not True:
        message = obj.get("message")
        if isinstance(message, dict):
            t._assistant(obj, obj, message, t.main, False, "", False)
        return
    if kind in ("custom-title", "ai-title", "summary"):
        t.feed(obj)  # titles only: no context
        return
    if kind == "user" and "prompt" not in t.titles:
        prompt = _prompt(obj)
        if prompt:
            t.titles["prompt"] = prompt
    if kind == "user" and obj.get("isSidechain") is not True:
        message = obj.get("message")
        if not isinstance(message, dict):
            return
        if message.get("role") == "assistant" or isinstance(message.get("usage"), dict):
            t._assistant(obj, obj, message, t.main, False, "", False)
        else:
            t.main.settle()
            t._user(obj, message, t.main)
        return
    if kind == "progress":
        data = obj.get("data")
        inner = data.get("message") if isinstance(data, dict) else None
        if isinstance(inner, dict):
            t._line(inner, obj, True, False)
        return
    t._line(obj, obj, obj.get("isSidechain") is True, False)


class Lines:
    """A seeded transcript: mostly the usual lines, with unusual ones mixed in."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.n = 0
        self.calls: list[str] = []
        self.out: list[str] = []

    def ts(self) -> str:
        self.n += 1
        return f"2026-11-20T{self.n // 3600 % 24:02d}:{self.n // 60 % 60:02d}:{self.n % 60:02d}.000Z"

    def block(self) -> dict[str, Any]:
        rnd = self.rnd
        roll = rnd.random()
        if roll < 0.55:
            return {"type": "text", "text": "t" * rnd.randrange(0, 900)}
        if roll < 0.65:
            return {"type": "thinking", "thinking": "h" * rnd.randrange(0, 300)}
        if roll < 0.7:
            return {"type": "text", "text": rnd.choice([None, 7, ["x", {"y": 1}]])}
        if roll < 0.74:
            return {"type": "web_search_tool_result", "tool_use_id": "srv", "content": [{"u": "v" * 99}]}
        if roll < 0.77:
            return {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {"q": "q"}}
        call_id = f"toolu_{self.n}_{rnd.randrange(1000)}"
        name = rnd.choice(TOOLS)
        self.calls.append(call_id)
        inp: dict[str, Any] = {"a": "i" * rnd.randrange(0, 200)}
        if name in ("Task", "Agent") and rnd.random() < 0.7:
            inp["subagent_type"] = rnd.choice(["Explore", "Plan"])
        return {"type": "tool_use", "id": call_id, "name": name, "input": inp}

    def usage(self, final: bool) -> dict[str, Any]:
        rnd = self.rnd
        u: dict[str, Any] = {
            "input_tokens": rnd.randrange(0, 3000),
            "output_tokens": rnd.randrange(1, 2000) if final else 1,
            "cache_creation_input_tokens": rnd.choice([0, rnd.randrange(0, 40_000)]),
            "cache_read_input_tokens": rnd.choice([0, rnd.randrange(0, 300_000)]),
        }
        if rnd.random() < 0.3:
            w1 = rnd.randrange(0, u["cache_creation_input_tokens"] + 1)
            split = {"ephemeral_5m_input_tokens": u["cache_creation_input_tokens"] - w1}
            u["cache_creation"] = {**split, "ephemeral_1h_input_tokens": w1}
        if rnd.random() < 0.03:
            u["iterations"] = [
                {"type": "advisor_message", "model": "claude-haiku-4-5", "usage": {"input_tokens": 5}}
            ]
        if rnd.random() < 0.02:
            u["input_tokens"] = "many"  # refused by the index's reader
        return u

    def response(self) -> None:
        rnd = self.rnd
        self.n += 1
        msg = rnd.choice([f"msg_{self.n}", f"msg_{self.n}", None, ""])
        req = rnd.choice([f"req_{self.n}", f"req_{self.n}", None])
        side = rnd.random() < 0.1
        ts = self.ts()
        count = rnd.randrange(1, 5)
        for i in range(count):
            content: Any = [self.block()]
            roll = rnd.random()
            if roll < 0.05:
                content = "plain " * rnd.randrange(0, 40)
            elif roll < 0.08:
                content = [self.block(), self.block()]
            elif roll < 0.1:
                content = rnd.choice([5, None, [], ["loose"]])
            line: dict[str, Any] = {
                "type": "assistant",
                "sessionId": "s1",
                "timestamp": ts,
                "message": {
                    "role": "assistant",
                    "model": "claude-opus-4-8",
                    "content": content,
                    "usage": self.usage(i == count - 1),
                },
            }
            if msg is not None:
                line["message"]["id"] = msg
            if req is not None:
                line["requestId"] = req
            if side:
                line["isSidechain"] = True
                line["agentId"] = rnd.choice(["A", "B"])
            if rnd.random() < 0.02:
                del line["message"]["usage"]
            if rnd.random() < 0.02:
                line["type"] = "user"  # a response logged as a user line
            self.out.append(json.dumps(line))
            if rnd.random() < 0.05:
                self.out.append(self.out[-1])  # the same line twice

    def user(self) -> None:
        rnd = self.rnd
        roll = rnd.random()
        envelope: dict[str, Any] = {"type": "user", "sessionId": "s1", "timestamp": self.ts()}
        if self.calls and roll < 0.6:
            blocks: list[Any] = []
            while self.calls and rnd.random() < 0.7:
                body: Any = "r" * rnd.randrange(0, 5000)
                if rnd.random() < 0.2:
                    body = [{"type": "text", "text": "q" * 50}, {"type": "image", "source": {}}]
                blocks.append({"type": "tool_result", "tool_use_id": self.calls.pop(0), "content": body})
            if rnd.random() < 0.2:
                blocks.append({"type": "text", "text": "and a remark"})
            if rnd.random() < 0.1:
                blocks.insert(0, {"type": "text", "text": "Fix it first"})
            if rnd.random() < 0.1:
                blocks.append({"type": "tool_result", "content": "no id"})
            content: Any = blocks
            if rnd.random() < 0.3:
                envelope["toolUseResult"] = {"agentId": f"a{self.n}"}
        elif roll < 0.75:
            content = rnd.choice(["fix the parser", "<command-name>/clear</command-name>", "", "  "])
        elif roll < 0.85:
            content = [{"type": "text", "text": rnd.choice(["Caveat: x", "Plan a  release", "<x>"])}]
        else:
            content = rnd.choice([None, 3, [5, "x"], [{"type": "image", "source": {}}]])
        envelope["message"] = {"role": "user", "content": content}
        if rnd.random() < 0.05:
            envelope["isMeta"] = True
        if rnd.random() < 0.08:
            envelope["isSidechain"] = True
            envelope["agentId"] = rnd.choice(["A", "B"])
        if rnd.random() < 0.02:
            envelope["message"] = "not a message"
        self.out.append(json.dumps(envelope))

    def other(self) -> None:
        rnd = self.rnd
        self.out.append(
            rnd.choice(
                [
                    json.dumps({"type": "system", "subtype": "compact_boundary", "timestamp": self.ts()}),
                    json.dumps({"type": "summary", "summary": "A  summary", "leafUuid": "u"}),
                    json.dumps({"type": "ai-title", "aiTitle": "Named", "sessionId": "s1"}),
                    json.dumps({"type": "permission-mode", "permissionMode": "default"}),
                    json.dumps(
                        {
                            "type": "progress",
                            "sessionId": "s1",
                            "timestamp": self.ts(),
                            "data": {
                                "agentId": "P",
                                "message": self.last(),
                            },
                        }
                    ),
                    '{"type":"assistant","message":{"usage":',  # garbage
                    "[1, 2]",
                ]
            )
        )

    def last(self) -> object:
        """The last line as an object (a response copied into a progress line), or {}."""
        try:
            return json.loads(self.out[-1])
        except (IndexError, ValueError):
            return {}

    def make(self, count: int) -> bytes:
        while len(self.out) < count:
            roll = self.rnd.random()
            if roll < 0.5:
                self.response()
            elif roll < 0.9:
                self.user()
            else:
                self.other()
        return "".join(line + "\n" for line in self.out).encode()


@pytest.mark.parametrize("seed", range(8))
def test_the_usual_lines_path_equals_the_general_handlers(seed):
    data = Lines(seed).make(700)
    path = "/p/-w-app/s1.jsonl"
    parsed: list[tuple[dict[str, object], list[tuple[object, ...]] | None]] = []
    records_in_fast(
        data, 0, len(data), scan_parser(), file_session_id(path), [], lambda o, r: parsed.append((o, r))
    )
    assert sum(1 for _o, r in parsed if r and len(r) == 1) > 150  # the written-out path is taken
    fast, plain = Transcript("s1"), Transcript("s1")
    for obj, records in parsed:
        fast.feed(obj, records)
        plain_feed(plain, obj)
    assert fast.rows == plain.rows and len(plain.rows) > 100
    assert fast.saved() == plain.saved()
    # Splits are floats: equal numbers, not close ones.
    for key, row in plain.rows.items():
        assert repr(fast.rows[key]) == repr(row)


@pytest.mark.parametrize("seed", range(5))
def test_a_message_joins_the_context_as_block_by_block(seed):
    rnd = random.Random(seed)
    buckets = [CONVERSATION, "Read", "mcp__x__y", None]
    for _ in range(200):
        runs, blocks_ = Context(), Context()
        for _ in range(rnd.randrange(0, 30)):
            blocks = [[rnd.choice(buckets), rnd.choice([0, 1, 3, 5, 4000, rnd.randrange(0, 10**6)])]]
            blocks += [[rnd.choice(buckets), rnd.randrange(0, 9000)] for _ in range(rnd.randrange(0, 6))]
            if rnd.random() < 0.3:
                tool = rnd.choice(["Read", CONVERSATION])
                size = rnd.choice([0.25, 1600.0, rnd.randrange(0, 10**5) / 4])
                runs.add(tool, size)
                blocks_.add(tool, size)
            runs.pending = [None, None, None, blocks]
            runs.settle()
            for bucket, chars in blocks:
                if bucket is not None:
                    blocks_.add(bucket, chars / CHARS_PER_TOKEN)
        assert repr(runs.items) == repr(blocks_.items)
        assert repr(runs.ends) == repr(blocks_.ends) and repr(runs.places) == repr(blocks_.places)
        assert runs.ends[-1] == sum(runs.totals.values())  # what split takes as the estimate
        restored = Context(runs.saved())
        assert repr(restored.places) == repr(runs.places) and restored.ends[-1] == runs.ends[-1]
