"""Generate a realistic Claude Code log corpus: several projects, days, models, subagents, dups.

Line sizes follow what real transcripts look like: user turns with large tool results, assistant
turns written as several streaming copies of one response (same message id and request id,
partial then final usage), bookkeeping lines, and subagent files under <session>/subagents/.
Seeded, so the same arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time

MODELS = [
    ("claude-opus-4-8", 0.45),
    ("claude-sonnet-4-6", 0.30),
    ("claude-haiku-4-5-20251001", 0.15),
    ("claude-opus-4-6", 0.05),
    ("claude-sonnet-5-5", 0.05),
]


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


def _dump(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def assistant_lines(
    rng: random.Random,
    session: str,
    ts: float,
    sidechain: bool = False,
    models: list[tuple[str, float]] = MODELS,
) -> list[str]:
    model = rng.choices([m for m, _ in models], [w for _, w in models])[0]
    msg_id = f"msg_{rng.getrandbits(96):024x}"
    req_id = f"req_{rng.getrandbits(96):024x}"
    cache_read = rng.randrange(0, 180_000)
    write = rng.randrange(0, 20_000)
    one_hour = write if rng.random() < 0.5 else 0
    usage = {
        "input_tokens": rng.randrange(1, 4000),
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": cache_read,
        "output_tokens": rng.randrange(1, 3000),
        "service_tier": "standard",
        "cache_creation": {
            "ephemeral_5m_input_tokens": write - one_hour,
            "ephemeral_1h_input_tokens": one_hour,
        },
        "speed": "standard",
    }
    out = []
    blocks = rng.randrange(1, 4)
    for b in range(blocks):
        text = "x" * rng.randrange(200, 6000)
        u = dict(usage) if b == blocks - 1 else dict(usage, output_tokens=1)
        line = {
            "parentUuid": f"{rng.getrandbits(64):016x}",
            "isSidechain": sidechain,
            "userType": "external",
            "cwd": "/home/dev/src/app",
            "sessionId": session,
            "version": "2.1.197",
            "gitBranch": "main",
            "message": {
                "id": msg_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": u,
            },
            "requestId": req_id,
            "type": "assistant",
            "uuid": f"{rng.getrandbits(128):032x}",
            "timestamp": _iso(ts + b * 0.4),
        }
        out.append(_dump(line))
    return out


def user_line(rng: random.Random, session: str, ts: float) -> str:
    size = rng.choice([100, 400, 2000, 8000, 30000])
    return _dump(
        {
            "parentUuid": None,
            "isSidechain": False,
            "type": "user",
            "message": {"role": "user", "content": [{"type": "tool_result", "content": "y" * size}]},
            "uuid": f"{rng.getrandbits(128):032x}",
            "timestamp": _iso(ts),
            "sessionId": session,
            "version": "2.1.197",
        }
    )


def session_lines(
    rng: random.Random,
    session: str,
    start: float,
    target_bytes: int,
    models: list[tuple[str, float]] = MODELS,
) -> list[str]:
    lines = [_dump({"type": "permission-mode", "permissionMode": "default", "sessionId": session})]
    size = 0
    ts = start
    while size < target_bytes:
        ts += rng.uniform(5, 90)
        for line in (user_line(rng, session, ts), *assistant_lines(rng, session, ts + 1, models=models)):
            lines.append(line)
            size += len(line) + 1
    return lines


def generate(
    root: str,
    files: int,
    total_mb: float,
    days: int,
    seed: int = 1,
    now: float | None = None,
    models: list[tuple[str, float]] = MODELS,
) -> dict[str, object]:
    """Write the corpus under `root/projects`; return where the live session is. Its sessions
    end up to about an hour before `now`: a corpus generated today holds as much of today as of
    any other day, one reused days later holds nothing of it (see render_bench --through-today)."""
    rng = random.Random(seed)
    now = time.time() if now is None else now
    per_file = int(total_mb * 1e6 / max(files, 1))
    projects = [f"-home-dev-src-project{i}" for i in range(max(1, files // 50))]
    written = 0
    live = None
    for i in range(files):
        project = rng.choice(projects)
        session = f"{rng.getrandbits(128):032x}"
        session = f"{session[:8]}-{session[8:12]}-{session[12:16]}-{session[16:20]}-{session[20:]}"
        start = now - rng.uniform(0, days * 86400) - 3600
        folder = os.path.join(root, "projects", project)
        os.makedirs(folder, exist_ok=True)
        if i % 10 == 9:  # a subagent file beside some sessions, sharing a few responses with its parent
            sub = os.path.join(folder, session, "subagents")
            os.makedirs(sub, exist_ok=True)
            lines = session_lines(rng, session, start, per_file // 4, models)
            lines += assistant_lines(rng, session, start + 30, sidechain=True, models=models)
            with open(os.path.join(sub, "agent-a1.jsonl"), "w") as fh:
                fh.write("\n".join(lines) + "\n")
            written += sum(len(x) + 1 for x in lines)
        lines = session_lines(rng, session, start, per_file, models)
        path = os.path.join(folder, f"{session}.jsonl")
        with open(path, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        written += sum(len(x) + 1 for x in lines)
        live = (path, session)
    assert live is not None
    return {"live_path": live[0], "live_session": live[1], "bytes": written}


def dense_today(
    root: str, start: float, now: float, per_hour: int = 1000, sessions: int = 50, seed: int = 3
) -> dict[str, object]:
    """Today's hours so far filled by other sessions: `per_hour` responses in every hour from
    `start` (the local midnight) to `now`, spread over `sessions` session files of one project,
    and a live session of its own with one turn. Written under `root/projects`."""
    rng = random.Random(seed)
    folder = os.path.join(root, "projects", "-home-dev-src-dense")
    os.makedirs(folder, exist_ok=True)
    names = [f"{rng.getrandbits(128):032x}" for _ in range(sessions)]
    names = [f"{n[:8]}-{n[8:12]}-{n[12:16]}-{n[16:20]}-{n[20:]}" for n in names]
    lines: dict[str, list[tuple[float, list[str]]]] = {n: [] for n in names}
    hour = start
    count = 0
    while hour < now - 60:
        top = min(hour + 3600, now - 60)
        for _ in range(int(per_hour * (top - hour) / 3600)):
            session = names[count % sessions]
            ts = rng.uniform(hour, top - 2)
            lines[session].append((ts, [user_line(rng, session, ts), *assistant_lines(rng, session, ts + 1)]))
            count += 1
        hour += 3600
    written = 0
    for session, turns in lines.items():
        turns.sort(key=lambda turn: turn[0])
        body = "".join(line + "\n" for _, turn in turns for line in turn)
        with open(os.path.join(folder, f"{session}.jsonl"), "w") as fh:
            fh.write(body)
        written += len(body)
    live = f"{rng.getrandbits(128):032x}"
    live = f"{live[:8]}-{live[8:12]}-{live[12:16]}-{live[16:20]}-{live[20:]}"
    path = os.path.join(folder, f"{live}.jsonl")
    append_turn(path, live, rng)
    return {"live_path": path, "live_session": live, "bytes": written, "responses": count}


def append_turn(path: str, session: str, rng: random.Random) -> None:
    """What Claude Code writes after one prompt: a user line and a streamed response."""
    now = time.time()
    lines = [user_line(rng, session, now), *assistant_lines(rng, session, now + 1)]
    with open(path, "a") as fh:
        fh.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root")
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--mb", type=float, default=300)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    now = time.time()
    info = dict(
        generate(args.root, args.files, args.mb, args.days, args.seed, now=now),
        files=args.files,
        seed=args.seed,
    )
    info["generated"] = now  # the bench's through-today mode checks the corpus is today's
    info["days"] = args.days
    with open(os.path.join(args.root, "corpus.json"), "w") as fh:
        json.dump(info, fh)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
