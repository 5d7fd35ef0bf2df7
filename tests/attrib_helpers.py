"""Hand-built transcript lines for the attribution tests, with hand-computable figures.

Opus 4.8 list prices per MTok: input $5, output $25, 5m write $6.25, 1h write $10, read $0.50.
Sizes are estimated at 4 characters per token, so a 200,000-character result is 50,000 tokens.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers import assistant, write_transcript

IN, OUT, W5, READ = 5 / 1e6, 25 / 1e6, 6.25 / 1e6, 0.5 / 1e6


def usage(inp: int = 0, out: int = 0, write: int = 0, read: int = 0) -> dict[str, int]:
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
    }


def cost(inp: int = 0, out: int = 0, write: int = 0, read: int = 0) -> float:
    return inp * IN + out * OUT + write * W5 + read * READ


def call(msg: str, n: int, name: str, call_id: str, content_input: dict | None = None, **u: int) -> str:
    """An assistant line whose only block is one tool call."""
    line = json.loads(
        assistant(msg_id=msg, request_id=f"r{msg}", ts=f"2026-11-20T10:{n:02d}:00.000Z", usage=usage(**u))
    )
    line["message"]["content"] = [
        {"type": "tool_use", "id": call_id, "name": name, "input": content_input or {}}
    ]
    return json.dumps(line, separators=(",", ":"))


def say(msg: str, n: int, text: str = "ok", session: str = "s1", **u: int) -> str:
    line = json.loads(
        assistant(
            msg_id=msg,
            request_id=f"r{msg}",
            ts=f"2026-11-20T10:{n:02d}:00.000Z",
            usage=usage(**u),
            session=session,
        )
    )
    line["message"]["content"] = [{"type": "text", "text": text}]
    return json.dumps(line, separators=(",", ":"))


def result(call_id: str, content: object, n: int, session: str = "s1", **envelope: object) -> str:
    return json.dumps(
        {
            "type": "user",
            "sessionId": session,
            "timestamp": f"2026-11-20T10:{n:02d}:30.000Z",
            "message": {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call_id, "content": content}],
            },
            **envelope,
        },
        separators=(",", ":"),
    )


def ask(text: str, n: int, session: str = "s1") -> str:
    return json.dumps(
        {
            "type": "user",
            "sessionId": session,
            "timestamp": f"2026-11-20T10:{n:02d}:10.000Z",
            "message": {"role": "user", "content": text},
        },
        separators=(",", ":"),
    )


# -- one tool's result carried for ten turns ------------------------------------------------
# 1: "go" (2 chars); a1 calls Read (input {} = 2 chars + "Read" = 6 chars, 1.5 tokens): prompt
#    1,000 written, all of it conversation; its 40 output tokens are all the call's.
# 2: the result, 200,000 characters = 50,000 tokens; a2 writes 50,020 and reads 1,000.
#    Layout: unseen 51,020 - (0.5 + 1.5 + 50,000) = 1,018 tokens, "go", the call, the result.
#    The read range [0, 1000) is all unseen prefix (conversation); the write range [1000, 51020)
#    holds the rest of the prefix (18), "go" (0.5), the call (1.5) and the result (50,000).
# 3..12: a 40-character question and a 40-character answer (10 tokens each); turn k writes
#    the last answer and its question (20) and reads the rest, 51,020 + 20(k-3): the result lies
#    wholly in the read range, so each turn charges Read (1.5 + 50,000) tokens at the read price.
RESULT = "x" * 200_000
TEXT = "t" * 40


def carried_turns() -> list[str]:
    lines = [ask("go", 0), call("a1", 1, "Read", "t1", out=40, write=1000), result("t1", RESULT, 1)]
    lines.append(say("a2", 2, TEXT, out=1, write=50_020, read=1000))
    for k in range(3, 13):
        lines.append(ask(TEXT, k))
        lines.append(say(f"a{k}", k, TEXT, out=1, write=20, read=51_020 + 20 * (k - 3)))
    return lines


# -- two sessions side by side (report by --session, the live segments) ---------------------
A = "3f2a1111-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
B = "3f2b2222-bbbb-4bbb-8bbb-bbbbbbbbbbbb"

# The main thread: a1 and a2 bring the Read call and its result in, a3..a12 carry them.
MAIN = [
    cost(out=40, write=1000),
    cost(out=1, write=50_020, read=1000),
    *(cost(out=1, write=20, read=51_020 + 20 * (k - 3)) for k in range(3, 13)),
]
READ_COST = 40 * OUT + 50_001.5 * W5 + 10 * 50_001.5 * READ  # its call, then its result in writes, reads
# The subagent: e1's output is all its Grep call's; e2's prompt ends with that call (6
# characters, 1.5 tokens), which lies in its writes.
EXPLORE = [cost(out=100, write=2000), cost(out=50, write=10, read=2000)]
GREP_COST = 100 * OUT + 1.5 * W5


def of(session: str, lines: list[str]) -> list[str]:
    """Lines as Claude Code writes them for `session` (the index keys messages by sessionId)."""
    return [line.replace('"sessionId":"s1"', f'"sessionId":"{session}"') for line in lines]


def explore_lines() -> list[str]:
    lines = [
        call("e1", 13, "Grep", "g1", out=100, write=2000),
        say("e2", 14, "found", out=50, write=10, read=2000),
    ]
    return [line.replace('"isSidechain":false', '"isSidechain":true') for line in lines]


def build_sessions(config_dir: Path, garbage: bool = False) -> None:
    """Session A: the main thread reads a 50,000-token result and carries it for ten turns
    (carried_turns), then an Explore subagent (typed by its .meta.json) makes a Grep call and
    answers. Session B, in the same project at the same times, has one Bash call and no
    subagent; it must not leak into A's figures."""
    main = carried_turns()
    if garbage:
        main[3:3] = ["not json at all", '{"type": "assistant", "message": {"usage": ', "\x00\x1b[31m"]
    write_transcript(config_dir, "-w-app", f"{A}.jsonl", of(A, main))
    write_transcript(config_dir, "-w-app", f"{A}/subagents/agent-abc.jsonl", of(A, explore_lines()))
    meta = config_dir / "projects" / "-w-app" / A / "subagents" / "agent-abc.meta.json"
    meta.write_text(json.dumps({"agentType": "Explore"}))
    other = [call("b1", 5, "Bash", "t9", out=4000, write=500), say("b2", 6, "ok", out=10, read=500)]
    write_transcript(config_dir, "-w-app", f"{B}.jsonl", of(B, other))


def saved_states(cache: str) -> dict[str, dict[str, object]]:
    """Every state saved in the cache, by name, as build.read_state finds it (its own file, else
    its pack), without its signature."""
    from statusline.attrib import build, packs

    packed = packs.current(build.folder(cache))
    out = {}
    for name in sorted(build.names(cache, packed)):
        state = build.read_state(cache, name, packed)
        assert state is not None, name
        del state["sig"]
        out[name] = state
    return out
