"""Write a seeded, made-up Claude Code history: the corpus the README's report screenshot shows.

    python samples/corpus.py DIR [--days 60] [--seed 7] [--end 2026-11-28]

DIR becomes a Claude config dir (`DIR/projects/...`): sessions in four projects on most weekdays,
each a chain of prompts, tool calls (built-in and MCP) and results of realistic sizes, cache
reads growing with the context, an occasional compaction, and subagents (Explore, Plan, a custom
reviewer) in their own transcripts with a `.meta.json`. Nobody's logs: every byte is generated.
Then: `CLAUDE_CONFIG_DIR=DIR costline report html -o report.html`.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECTS = ["-home-dev-src-webapp", "-home-dev-src-api", "-home-dev-src-infra", "-home-dev-notes"]
MODELS = ["claude-opus-4-8"] * 5 + ["claude-sonnet-4-6"] * 3 + ["claude-haiku-4-5"]
# tool → (characters of a call's input, characters of its result), as ranges
TOOLS = {
    "Read": ((40, 120), (2_000, 60_000)),
    "Bash": ((30, 300), (200, 12_000)),
    "Edit": ((300, 3_000), (100, 400)),
    "Grep": ((30, 100), (500, 8_000)),
    "WebFetch": ((60, 150), (5_000, 40_000)),
    "mcp__github__get_pull_request": ((40, 80), (3_000, 30_000)),
    "mcp__github__list_issues": ((40, 80), (2_000, 15_000)),
    "mcp__linear__search_issues": ((40, 100), (1_000, 9_000)),
    "mcp__postgres__query": ((80, 400), (500, 20_000)),
}
AGENTS = ["Explore", "Explore", "Plan", "code-reviewer"]
TITLES = [
    "Fix flaky checkout test",
    "Add rate limiting to the API",
    "Migrate settings page to the new form kit",
    "Investigate slow dashboard query",
    "Terraform: split the staging module",
    "Write release notes for 2.4",
    "Refactor auth middleware",
    "Debug websocket reconnects",
]
OVERHEAD = 18_000  # system prompt and tool definitions: tokens the transcript never shows


def dump(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


class Writer:
    def __init__(self, rnd: random.Random, root: Path) -> None:
        self.rnd = rnd
        self.root = root
        self.n = 0

    def conversation(self, path: Path, session: str, start: datetime, turns: int, side: bool) -> datetime:
        """One transcript; returns when it ended. Each request carries the context so far."""
        rnd = self.rnd
        lines: list[str] = []
        model = rnd.choice(MODELS)
        context = OVERHEAD  # tokens in the prompt
        cached = 0
        now = start
        for _turn in range(turns):
            prompt_chars = rnd.randrange(40, 1200)
            lines.append(self.user(session, now, "p" * prompt_chars, side))
            context += prompt_chars // 4
            for _step in range(rnd.randrange(1, 7)):
                now += timedelta(seconds=rnd.randrange(5, 90))
                self.n += 1
                msg, req = f"msg_{self.n:07d}", f"req_{self.n:07d}"
                blocks: list[dict[str, object]] = [{"type": "text", "text": "t" * rnd.randrange(20, 600)}]
                calls = []
                if rnd.random() < 0.8:
                    tool = rnd.choice(list(TOOLS))
                    spawn = not side and rnd.random() < 0.06
                    if spawn:
                        tool = "Agent"
                    call_id = f"toolu_{self.n:07d}"
                    size = TOOLS.get(tool, ((100, 400), (500, 3000)))[0]
                    payload: dict[str, object] = {"input": "i" * rnd.randrange(*size)}
                    if spawn:
                        payload["subagent_type"] = rnd.choice(AGENTS)
                    blocks.append({"type": "tool_use", "id": call_id, "name": tool, "input": payload})
                    calls.append((call_id, tool, payload))
                out_chars = sum(len(json.dumps(b)) for b in blocks)
                write = context - cached
                usage = {
                    "input_tokens": rnd.randrange(1, 8),
                    "output_tokens": max(1, out_chars // 4),
                    "cache_creation_input_tokens": max(0, write),
                    "cache_read_input_tokens": cached,
                }
                for block in blocks:  # one line per content block, as Claude Code writes them
                    lines.append(self.assistant(session, now, msg, req, model, block, usage, side))
                cached = context
                context += out_chars // 4
                for call_id, tool, payload in calls:
                    now += timedelta(seconds=rnd.randrange(1, 30))
                    extra: dict[str, object] = {}
                    if tool == "Agent":
                        agent_id = f"{self.n:07x}"
                        kind = str(payload["subagent_type"])
                        sub = path.parent / session / "subagents" / f"agent-{agent_id}.jsonl"
                        now = self.conversation(sub, session, now, rnd.randrange(1, 4), True)
                        meta = {"agentType": kind, "toolUseId": call_id, "spawnDepth": 1}
                        (sub.parent / f"agent-{agent_id}.meta.json").write_text(dump(meta))
                        extra = {"toolUseResult": {"agentId": agent_id, "status": "completed"}}
                        result_chars = rnd.randrange(800, 6000)
                    else:
                        result_chars = rnd.randrange(*TOOLS[tool][1])
                    lines.append(self.result(session, now, call_id, "r" * result_chars, side, extra))
                    context += result_chars // 4
            if context > 150_000 and not side:  # auto-compaction
                lines.append(dump({"type": "system", "subtype": "compact_boundary", "timestamp": iso(now)}))
                context, cached = OVERHEAD + 4_000, 0
            now += timedelta(minutes=rnd.randrange(1, 20))
        if not side:  # Claude Code names a session after its first exchange; /rename overrides it
            lines.insert(1, dump({"type": "ai-title", "aiTitle": rnd.choice(TITLES), "sessionId": session}))
            if rnd.random() < 0.2:
                lines.append(
                    dump(
                        {
                            "type": "custom-title",
                            "customTitle": "my " + rnd.choice(TITLES).lower(),
                            "sessionId": session,
                        }
                    )
                )
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))
        return now

    @staticmethod
    def user(session: str, at: datetime, text: str, side: bool) -> str:
        return dump(
            {
                "type": "user",
                "isSidechain": side,
                "sessionId": session,
                "timestamp": iso(at),
                "message": {"role": "user", "content": text},
            }
        )

    @staticmethod
    def result(
        session: str, at: datetime, call_id: str, text: str, side: bool, extra: dict[str, object]
    ) -> str:
        content = [{"type": "tool_result", "tool_use_id": call_id, "content": text}]
        line = {
            "type": "user",
            "isSidechain": side,
            "sessionId": session,
            "timestamp": iso(at),
            "message": {"role": "user", "content": content},
            **extra,
        }
        return dump(line)

    @staticmethod
    def assistant(
        session: str,
        at: datetime,
        msg: str,
        req: str,
        model: str,
        block: dict[str, object],
        usage: dict[str, int],
        side: bool,
    ) -> str:
        message = {
            "id": msg,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [block],
            "usage": usage,
        }
        return dump(
            {
                "type": "assistant",
                "isSidechain": side,
                "sessionId": session,
                "requestId": req,
                "timestamp": iso(at),
                "message": message,
            }
        )


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def write_corpus(root: Path, days: int = 60, seed: int = 7, end: str = "2026-11-28") -> None:
    rnd = random.Random(seed)
    writer = Writer(rnd, root)
    last = datetime.strptime(end, "%Y-%m-%d").replace(tzinfo=UTC)
    for back in range(days - 1, -1, -1):
        day = last - timedelta(days=back)
        if day.weekday() >= 5 and rnd.random() < 0.7:
            continue
        at = day.replace(hour=8) + timedelta(minutes=rnd.randrange(0, 90))
        for s in range(rnd.randrange(2, 7)):
            session = f"{seed:02d}{back:03d}{s:02d}-0000-4000-8000-{rnd.randrange(16**12):012x}"
            project = rnd.choice(PROJECTS)
            path = root / "projects" / project / f"{session}.jsonl"
            at = writer.conversation(path, session, at, rnd.randrange(3, 12), False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", default="2026-11-28")
    args = parser.parse_args()
    write_corpus(args.dir, args.days, args.seed, args.end)


if __name__ == "__main__":
    main()
