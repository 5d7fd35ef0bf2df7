"""`cmd:NAME` segments: the kept output of your own commands ([commands.NAME] in the config).

The render never runs a command. It reads what the runner (runner.py) kept: one small file per
command and session in `<cache>/commands`; when one is older than its `every` (or missing), it
leaves this session's payload beside them and starts the runner detached, at most once per
SPAWN_INTERVAL_S. The text was sanitised by the runner and is sanitised again here (a file of
the cache dir is never trusted to reach the terminal as it is).
"""

from __future__ import annotations

import marshal

from statusline import fs
from statusline.look import sanitise
from statusline.payload import text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from statusline.context import Context

PREFIX = "cmd:"
FOLDER = "commands"
# The runner's results are a few hundred bytes; more is not one of them.
MAX_RESULT_BYTES = 8192
# Text older than this many periods (`every`) is shown muted: the command has not answered since.
STALE_PERIODS = 3
# A session's renders start the runner at most this often (it runs all its due commands at once).
SPAWN_INTERVAL_S = 2.0
# Width of a command's text on the line (the runner cuts it; the render cuts again).
TEXT_COLUMNS = 40
# Between `model` (30) and `lines` (10) when the line is too narrow: before `context`, after `git`.
PRIORITY = 15


def session_key(ctx: Context) -> str:
    """The file-name key of this session's results: FNV-1a (64 bits) of its id (else its
    working directory), so each session shows what its own command printed (`hashlib` is an
    import the render does without)."""
    seed = text(ctx.get("session_id")) or working_dir(ctx) or ""
    value = 0xCBF29CE484222325
    for byte in seed.encode("utf-8", "replace"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def working_dir(ctx: Context) -> str | None:
    return text(ctx.get("workspace", "current_dir")) or text(ctx.get("cwd"))


def result_path(cache: str, name: str, key: str) -> str:
    return fs.join(cache, FOLDER, f"{name}.{key}")


def read_result(path: str) -> tuple[dict[str, object] | None, float | None]:
    """What the runner kept (None when nothing readable) and when it last touched it (None: never)."""
    try:
        data, st = fs.read_private_stat(path, MAX_RESULT_BYTES)
    except OSError:
        return None, None
    try:
        found = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        found = None  # the runner's placeholder while a first run is on (or a broken file)
    return (found if isinstance(found, dict) else None), st.st_mtime


def specs(ctx: Context) -> dict[str, tuple[float, float]]:
    """[commands.NAME] as the compiled config has them: name → (every, timeout)."""
    found = ctx.config.get("commands")
    return found if isinstance(found, dict) else {}


def segment(ctx: Context, name: str) -> list[tuple[str, str]] | None:
    """The command's kept text (muted once older than STALE_PERIODS periods), `NAME ?` when its
    last run failed; nothing before its first run or when it printed nothing."""
    spec = specs(ctx).get(name)
    if spec is None or ctx.cache == fs.DEVNULL:
        return None
    result, _ = read_result(result_path(ctx.cache, name, session_key(ctx)))
    if result is None:
        return None
    if result.get("failed"):
        return [(f"{name} ?", "ctx.warn")]
    shown = result.get("text")
    if not isinstance(shown, str) or not shown:
        return None
    at = result.get("at")
    stale = not isinstance(at, float) or ctx.now_s - at > STALE_PERIODS * spec[0] + spec[1]
    return [(sanitise(shown, TEXT_COLUMNS), "muted" if stale else "cmd")]


def renderer(name: str) -> Callable[[Context], list[tuple[str, str]] | None]:
    """The segment function of `cmd:NAME`."""

    def render(ctx: Context) -> list[tuple[str, str]] | None:
        return segment(ctx, name)

    return render


def due(ctx: Context, names: list[str]) -> list[str]:
    """The commands among `names` whose result is older than their `every` (or missing)."""
    known, key, out = specs(ctx), session_key(ctx), []
    for name in names:
        spec = known.get(name)
        if spec is None:
            continue
        try:
            touched = fs.stat(result_path(ctx.cache, name, key)).st_mtime
        except OSError:
            touched = None
        if touched is None or not 0 <= ctx.now_s - touched < spec[0]:  # a clock set back: due
            out.append(name)
    return out


def start_runner(ctx: Context, names: list[str], raw: bytes) -> None:
    """Start the runner detached when a command shown is due: the payload it gives the commands
    on stdin is left in `<cache>/commands/<key>.payload` (owner-only, as the whole cache dir)."""
    if not ctx.record or ctx.cache == fs.DEVNULL or not due(ctx, names):
        return
    store, key = ctx.store, session_key(ctx)
    job = f"{FOLDER}/{key}"  # each session's own stamp: `<cache>/commands/<key>.stamp`
    if not store.refresh_due(ctx.now_s, SPAWN_INTERVAL_S, job=job):
        return
    from statusline.index import background
    from statusline.index.store import atomic_write

    folder = fs.join(ctx.cache, FOLDER)
    fs.make_private_folder(folder)
    atomic_write(fs.join(folder, f"{key}.payload"), raw)
    store.mark_refresh_started(ctx.now_s, job=job)
    ctx._spawn(background.spawn, background.commands_command(key))
