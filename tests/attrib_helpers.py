"""Hand-built transcript lines for the attribution tests, with hand-computable figures.

Opus 4.8 list prices per MTok: input $5, output $25, 5m write $6.25, 1h write $10, read $0.50.
Sizes are estimated at 4 characters per token, so a 200,000-character result is 50,000 tokens.
"""

from __future__ import annotations

import json

from helpers import assistant

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
