"""Several machines in one test: each a HOME, Claude config dir, cache and state dir of its own,
all sharing one sync folder; `use` points the environment (and so costline) at one of them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from helpers import assistant

from statusline.cli.index import _loads
from statusline.index.scan import scan
from statusline.index.store import Store

# Opus 4.8 at $5 / $25 per MTok: one `line()` of 1,000 input and 1,000 output tokens.
ONE = 0.03  # 1000 * 5 / 1e6 + 1000 * 25 / 1e6


def line(
    msg: str,
    ts: str,
    session: str = "s1",
    tokens: int = 1000,
    model: str = "claude-opus-4-8",
    cwd: str = "/w/app",
) -> str:
    """One response of `tokens` input and output tokens, run in `cwd` (log it under encode(cwd))."""
    return assistant(
        cwd=cwd,
        msg_id=msg,
        request_id="r" + msg,
        ts=ts,
        session=session,
        model=model,
        usage={"input_tokens": tokens, "output_tokens": tokens},
    )


def iso(ms: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{int(ms) % 1000:03d}Z"


class Box:
    """One machine."""

    def __init__(self, root: Path, name: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.name = name
        self.root = root / name
        self.config = self.root / ".claude"
        (self.config / "projects").mkdir(parents=True)
        self.cache = self.root / "cache"
        self.state = self.root / "state"
        self.folder = folder
        self.mp = monkeypatch

    def use(self) -> Box:
        for key, value in self.env().items():
            self.mp.setenv(key, value)
        return self

    def env(self) -> dict[str, str]:
        return {
            "HOME": str(self.root),
            "CLAUDE_CONFIG_DIR": str(self.config),
            "COSTLINE_CACHE_DIR": str(self.cache),
            "COSTLINE_STATE_DIR": str(self.state),
            "COSTLINE_SYNC_DIR": str(self.folder),
            "COSTLINE_SYNC_MACHINE": self.name,
        }

    def log(self, project: str, session: str, lines: list[str], mode: str = "a") -> Path:
        path = self.config / "projects" / project / f"{session}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, mode, encoding="utf-8") as fh:
            fh.writelines(text + "\n" for text in lines)
        return path

    def index(self) -> None:
        self.use()
        scan(Store(str(self.cache)), _loads)

    def step(self, now_s: float | None = None):  # type: ignore[no-untyped-def]
        """Index, publish and fold, as the background refresh does."""
        from statusline.sync.step import run

        self.index()
        return run(str(self.cache), now_s=now_s)

    def line_doc(self) -> dict:
        import marshal

        return dict(marshal.loads((self.cache / "sync" / "line").read_bytes()))

    def share(self) -> Path:
        (found,) = [p for p in self.folder.iterdir() if p.name.startswith("m-") and self.mid() in p.name]
        return found

    def mid(self) -> str:
        return (self.state / "machine-id").read_text().strip()

    def manifest(self) -> dict:
        return dict(json.loads((self.share() / "machine.json").read_text()))


def render(box: Box, session: str = "s1", now: bool = True) -> str:
    """The line as Claude Code runs it (the installed command), plain text."""
    from helpers import payload, run_costline

    env = dict(box.env(), NO_COLOR="1")
    out = run_costline(payload(None, session=session), env=env)
    assert out.returncode == 0
    return out.stdout.decode()


def file_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "Sync" / "costline"
    path.parent.mkdir()
    return path


@pytest.fixture
def boxes(tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Machines made on first use by name, all sharing `folder`."""
    made: dict[str, Box] = {}

    def box(name: str) -> Box:
        if name not in made:
            made[name] = Box(tmp_path / "machines", name, folder, monkeypatch)
        return made[name]

    return box
