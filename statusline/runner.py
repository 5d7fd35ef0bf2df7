"""The runner of your [commands.NAME]: runs the due ones for one session and keeps their output.

Started detached by a render that shows a `cmd:NAME` segment whose result is due
(`costline config run-commands KEY`, commands.py); never on the render path. One runner at a
time chooses (`commands.lock`); each command runs under a lock of its own, so one that hangs
until its timeout holds back no other. Each due command runs through the shell in the session's working
directory with the session's payload on stdin, in a process group of its own that is killed when
it ends or at its timeout; its output is read up to OUTPUT_CAP bytes, stripped of every escape sequence and
unprintable character, cut to its first line and TEXT_COLUMNS columns, and stored with its exit
code and the last line of its stderr, owner-only and atomically, for the render and for
`costline doctor`. Commands come only from the user's own config file: one found inside the
session's project folder is refused (a project's settings can point COSTLINE_CONFIG there).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time

from statusline import fs
from statusline.commands import FOLDER, TEXT_COLUMNS, result_path
from statusline.index.store import atomic_write
from statusline.index.upkeep import try_job_lock
from statusline.look import sanitise, truncate
from statusline.payload import MAX_PAYLOAD_BYTES

# Read at most this much of a command's stdout (the rest is not read: the pipe is closed).
OUTPUT_CAP = 64 * 1024
# The end of stderr kept, for its last line.
STDERR_TAIL = 4096
HEX = frozenset("0123456789abcdef")
# Results and payloads of sessions not seen for this long are removed.
KEEP_S = 2 * 86400.0
# `<name>.<key>.running`: held while that command runs for that session.
RUNNING = ".running"

# Every escape sequence a terminal acts on: CSI (7- and 8-bit), the string sequences OSC (OSC 52
# clipboard writes and OSC 8 links included), DCS, SOS, PM and APC up to their terminator (BEL
# or ST) or the end of the text when unterminated, and any other ESC sequence or lone ESC.
ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|\Z)"
    r"|\x1b[ -/]*[0-~]?",
    re.DOTALL,
)


def clean(raw: bytes) -> str:
    """A command's output as one line to show: escape sequences removed, the first line with
    text (what follows its last carriage return, as a terminal would leave it), unprintable
    characters dropped (look.UNPRINTABLE), cut to TEXT_COLUMNS columns."""
    decoded = ESCAPES.sub("", raw.decode("utf-8", "replace"))
    for line in decoded.split("\n"):
        line = line.rsplit("\r", 1)[-1].replace("\t", " ").strip()
        shown = sanitise(line, TEXT_COLUMNS * 4).strip()
        if shown:
            return truncate(shown, TEXT_COLUMNS)
    return ""


def last_line(raw: bytes) -> str:
    """The last line with text of a command's stderr, cleaned as its output is (wider)."""
    decoded = ESCAPES.sub("", raw.decode("utf-8", "replace"))
    for line in reversed(decoded.replace("\r", "\n").split("\n")):
        shown = sanitise(line.replace("\t", " ").strip(), 120).strip()
        if shown:
            return shown
    return ""


def run_one(run: str, cwd: str, stdin: bytes, timeout: float) -> dict[str, object]:
    """Run one command through the shell and return its result (see module doc)."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", run],  # your command line is a shell's, by design (README)
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: killed whole at the timeout
            close_fds=True,
        )
    except OSError as exc:
        return {"failed": f"cannot start: {exc.strerror or exc}", "code": None, "err": "", "text": ""}
    deadline = started + timeout
    out, err, capped, ended = _exchange(proc, stdin, deadline)
    code = _exit_code(proc, deadline)
    _kill_group(proc)  # what it left running (`sleep 30 &`) ends with it, at its timeout at most
    if not ended:  # its output was still open at the deadline (a child holding it): timed out
        code = None
    took = time.monotonic() - started
    failed = None
    if code is None:
        failed = f"timed out after {timeout:g} s"
    elif code != 0 and not capped:  # cut off by us, it dies of SIGPIPE: not its failure
        failed = f"exit {code}" if code > 0 else f"killed by signal {-code}"
    return {
        "text": clean(out),
        "code": code,
        "err": last_line(err),
        "failed": failed,
        "capped": capped,
        "took": round(took, 3),
    }


def _exchange(
    proc: subprocess.Popen[bytes], stdin: bytes, deadline: float
) -> tuple[bytes, bytes, bool, bool]:
    """Feed stdin and read stdout (up to OUTPUT_CAP) and stderr (its tail) until both end or
    the deadline passes; never blocks on a command that reads nothing or writes forever.
    Returns (stdout, stderr's tail, stdout capped, both ended before the deadline)."""
    import selectors

    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    selector = selectors.DefaultSelector()
    pending = memoryview(stdin)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        os.set_blocking(stream.fileno(), False)
    if pending:
        selector.register(proc.stdin, selectors.EVENT_WRITE)
    else:
        proc.stdin.close()
    selector.register(proc.stdout, selectors.EVENT_READ)
    selector.register(proc.stderr, selectors.EVENT_READ)
    out, err, capped = bytearray(), bytearray(), False
    try:
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in selector.select(left):
                if key.fileobj is proc.stdin:
                    try:
                        pending = pending[os.write(key.fd, pending[:65536]) :]
                    except BlockingIOError:
                        continue
                    except OSError:  # it closed its stdin: what it did not read is dropped
                        pending = pending[:0]
                    if not pending:
                        selector.unregister(proc.stdin)
                        proc.stdin.close()
                    continue
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if key.fileobj is proc.stdout:
                    out += chunk[: OUTPUT_CAP - len(out)]
                    if len(out) >= OUTPUT_CAP:
                        capped = True
                        chunk = b""  # enough: stop reading (the command gets SIGPIPE on)
                else:
                    err = (err + chunk)[-STDERR_TAIL:]
                if not chunk:
                    stream = proc.stdout if key.fileobj is proc.stdout else proc.stderr
                    selector.unregister(stream)
                    stream.close()
    finally:
        ended = proc.stdout.closed and proc.stderr.closed  # both read to their end (or capped)
        selector.close()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if not stream.closed:
                stream.close()
    return bytes(out), bytes(err), capped, ended


def _exit_code(proc: subprocess.Popen[bytes], deadline: float) -> int | None:
    """The shell's exit code once it exits (None if it is still running at the deadline),
    leaving it unreaped: until it is reaped its pid, which names its process group, cannot be
    given to another process, so _kill_group cannot hit one that is not the command's."""
    waitid = getattr(os, "waitid", None)
    if waitid is None:  # Windows: no process groups to keep
        try:
            return proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None
    pause = 0.001
    while True:
        found = waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
        if found is not None:
            status: int = found.si_status
            return status if found.si_code == os.CLD_EXITED else -status
        if time.monotonic() >= deadline:
            return None
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, 0.05)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command's process group (what is left of it), then reap the shell."""
    killpg = getattr(os, "killpg", None)  # not on Windows: the command alone
    try:
        if killpg is not None:
            killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except OSError:  # gone already
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


def project_refusal(config_file: str, folders: list[str]) -> str | None:
    """Why commands from this config file must not run for a session in these folders: the file
    is inside one of them (the project's, not the user's own). The default location under the
    home dir the passwd file names is always the user's own."""
    real = os.path.realpath(config_file)
    try:
        import pwd

        home = pwd.getpwuid(os.getuid()).pw_dir
        if real == os.path.realpath(os.path.join(home, ".config", "costline", "config.toml")):
            return None
    except (ImportError, KeyError):
        pass
    for folder in folders:
        if not folder or not os.path.isabs(folder):
            continue
        inside = os.path.realpath(folder)
        if inside != os.sep and (real == inside or real.startswith(inside.rstrip(os.sep) + os.sep)):
            return f"config file inside the project folder {folder}: commands not run"
    return None


def shown_commands(rows: list[list[str]] | None, segments: list[str] | None, second: list[str]) -> list[str]:
    """The names of the commands a line shows (`cmd:NAME` in its rows)."""
    names = [n for row in rows for n in row] if rows else [*(segments or []), *second]
    return list(dict.fromkeys(n[4:] for n in names if n.startswith("cmd:")))


def _payload_fields(raw: bytes) -> tuple[str | None, list[str]]:
    """(working directory, the session's folders) of a payload."""
    from statusline.payload import field, parse_payload, text

    payload, _ = parse_payload(raw)
    cwd = text(field(payload, "workspace", "current_dir")) or text(field(payload, "cwd"))
    folders = [text(field(payload, "workspace", "project_dir")), text(field(payload, "cwd")), cwd]
    return cwd, [f for f in folders if f]


def run_due(
    cache: str, key: str, now: float | None = None, wait: bool = False
) -> dict[str, dict[str, object]]:
    """Run this session's due commands (all at once, each on a thread) and keep their results;
    return them by name. One runner at a time chooses what to run (`commands.lock`; nothing
    when another is choosing, `wait`: after it); each command it takes is held by a lock of its
    own while it runs, so a command still running (a hang, up to its timeout) is left to its
    runner and never holds back the others: a later runner runs those that fall due."""
    from statusline.config import load_config

    folder = fs.join(cache, FOLDER)
    fs.make_private_folder(folder)
    lock = try_job_lock(folder, "commands.lock", wait=wait)
    if lock is None:
        return {}
    held: dict[str, int] = {}
    try:
        now = time.time() if now is None else now
        config = load_config()
        try:
            raw = fs.read_private(fs.join(folder, f"{key}.payload"), MAX_PAYLOAD_BYTES)
        except FileNotFoundError:
            raw = b"{}"
        cwd, folders = _payload_fields(raw)
        refused = project_refusal(config.path, folders)
        for name in shown_commands(config.rows, config.segments, config.second_line):
            spec = config.commands.get(name)
            if spec is None or not _is_due(result_path(cache, name, key), spec, now):
                continue
            running = try_job_lock(folder, f"{name}.{key}{RUNNING}")
            if running is None:  # still running in an earlier runner
                continue
            held[name] = running
            try:  # not pruned while in use (through the descriptor: closing another would unlock it)
                os.utime(running, (now, now))
            except (OSError, NotImplementedError):
                pass
            fs.touch(result_path(cache, name, key), now)  # started: renders meanwhile see it as not due
    except BaseException:
        for fd in held.values():
            fs.close(fd)
        raise
    finally:
        fs.close(lock)  # chosen: the next runner may run what falls due meanwhile
    workdir = cwd if cwd and os.path.isdir(cwd) else os.path.expanduser("~")
    results: dict[str, dict[str, object]] = {}

    def work(name: str) -> None:
        try:
            spec = config.commands[name]
            if refused:
                result: dict[str, object] = {"failed": refused, "code": None, "err": "", "text": ""}
            else:
                result = run_one(str(spec["run"]), workdir, raw, float(spec["timeout"]))  # type: ignore[arg-type]
            result.update(at=time.time(), run=sanitise(str(spec["run"]), 200), cwd=workdir)
            results[name] = result
            import marshal

            atomic_write(result_path(cache, name, key), marshal.dumps(result))
        finally:
            fs.close(held[name])

    threads = [threading.Thread(target=work, args=(name,)) for name in held]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _prune(folder, now)
    return results


def _is_due(path: str, spec: dict[str, object], now: float) -> bool:
    try:
        touched = os.stat(path).st_mtime
    except OSError:
        return True
    return not 0 <= now - touched < float(spec["every"])  # type: ignore[arg-type]


def _prune(folder: str, now: float) -> None:
    """Remove the results and payloads of sessions not seen for KEEP_S."""
    for name in os.listdir(folder):
        if name == "commands.lock":
            continue
        path = os.path.join(folder, name)
        try:
            if now - os.lstat(path).st_mtime > KEEP_S:
                os.unlink(path)
        except OSError:
            pass


def latest_results(cache: str) -> dict[str, dict[str, object]]:
    """Each command's most recent result across sessions (for `costline doctor`)."""
    from statusline.index.store import read_marshal

    folder = fs.join(cache, FOLDER)
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    out: dict[str, dict[str, object]] = {}
    for entry in names:
        command, _, key = entry.rpartition(".")
        if not command or len(key) != 16 or not set(key) <= HEX:  # a payload, stamp or the lock
            continue
        found = read_marshal(os.path.join(folder, entry))
        if found is None or not isinstance(found.get("at"), float):
            continue
        if command not in out or found["at"] > out[command]["at"]:  # type: ignore[operator]
            out[command] = found
    return out
