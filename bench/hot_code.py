"""Which of the bundle's functions a usual render runs, and what leaving the others unloaded saves.

    python bench/hot_code.py [--venv .venv]
        the functions (`module:qualname`) representative renders run, and how much of the render
        bundle's first part (statusline/bundle.py) their code is, render by render
    python bench/hot_code.py --measure [--venv .venv] [--corpus DIR] [--runs 5] [--out FILE]
        the first part with the functions a render does not run replaced by stubs that fetch
        their code when first called, against the bundle as written: instructions and minor page
        faults of a warm render (valgrind, /usr/bin/time), and of unmarshalling the part alone

Representative renders, each in a Python started as the launcher starts it (`-I -S`), profiled
from its first line with `sys.setprofile`: every sample payload in samples/ against a small
seeded corpus whose live session is the payload's, with nothing new to read and with a new turn
to book, for the default line and for a line with every usual segment (config where a user's
is, ~/.config/costline/config.toml, prices offline).

--measure compares three bundles, each written into the venv's package (the bundle as written is
put back at the end): the bundle as `costline index refresh` writes it ("as_written"); with its
first part's functions that no representative render runs stubbed ("hot_list"); and with those
the measured render itself does not run stubbed ("this_render": the most any list of functions
can save for it). A stub has its
function's signature and calls a loader with every argument passed through; the loader reads
the stubbed code (from a file of its own), puts it into the function and calls it. The
renders run with that loader defined (as `__cold__` among the builtins) in all three, so they
differ only in the bundle. The render: --corpus's live session (a corpus bench/corpus.py wrote,
render_bench's payload), or a generated one, its index built first, nothing new to read.
"""

from __future__ import annotations

import argparse
import json
import marshal
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import CodeType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from corpus import append_turn, generate  # noqa: E402
from render_bench import instructions  # noqa: E402

# Every segment but the live ones (agents, tools: their module is the bundle's second part, and
# they start a runner), and the two-row shorthand's second row.
USUAL_LINE = (
    "[pricing]\noffline = true\n\n[line]\n"
    'segments = ["model", "session", "today", "limits", "spend", "context", "lines", "git", "mode",'
    ' "block", "cache", "next", "month", "week", "throughput", "session_name", "agent"]\n'
    'second_line = ["time", "dir", "repo", "worktree", "pr"]\nicons = "unicode"\n'
)
DEFAULT_LINE = "[pricing]\noffline = true\n"

# What the launcher runs (cli/launcher.py), after `setup`: the render, as Claude Code starts it.
RENDER = """
import sys
{setup}
sys.path.append({parent!r})
from statusline.entry import main
raise SystemExit(main(sys.argv[1:]))
"""

# Each function's first call written out at once: a render ends with os._exit, past any atexit.
PROFILE = """
from posix import O_APPEND, O_CREAT, O_WRONLY, open as _open, write as _write
_out = _open({out!r}, O_WRONLY | O_APPEND | O_CREAT, 0o600)
_seen = set()
def _profile(frame, event, arg):
    if event == "call":
        key = f"{{frame.f_globals.get('__name__')}}:{{frame.f_code.co_qualname}}"
        if key not in _seen and key.startswith("statusline"):
            _seen.add(key)
            _write(_out, key.encode() + b"\\n")
sys.setprofile(_profile)
"""

# The stubs' loader (bench only: the package has none). Finds the function defined from the
# calling stub by its qualified name, gives it its own code, and returns it.
COLD_LOADER = """
import builtins
_cold = []
def __cold__():
    frame = sys._getframe(1)
    stub, namespace = frame.f_code, frame.f_globals
    if not _cold:
        import marshal
        with open({path!r}, "rb") as fh:
            _cold.append(marshal.loads(fh.read()))
    code = _cold[0][namespace["__name__"]][stub.co_qualname]
    first, *rest = stub.co_qualname.split(".")
    found = namespace.get(first)
    for part in rest:
        found = getattr(found, "__dict__", {{}}).get(part)
    todo = [found]
    while todo:
        found = todo.pop()
        if getattr(found, "__code__", None) is stub:
            found.__code__ = code
            return found
        inner = (getattr(found, a, None) for a in ("__func__", "__wrapped__", "fget", "fset", "fdel"))
        todo += [item for item in inner if item is not None]
    return type(__cold__)(code, namespace)
builtins.__cold__ = __cold__
"""

CLI = (
    "import sys; sys.path.insert(0, {parent!r}); from statusline.entry import main; raise SystemExit(main())"
)
CO_NEWLOCALS, CO_VARARGS, CO_VARKEYWORDS = 0x2, 0x4, 0x8


def wait_for_detached(cache: str) -> None:
    """Until no process a render started for this cache dir (its background refresh) is left."""
    mark = f"COSTLINE_CACHE_DIR={cache}".encode()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        alive = False
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/environ", "rb") as fh:
                    alive = alive or mark in fh.read().split(b"\0")
            except OSError:
                continue
        if not alive:
            return
        time.sleep(0.05)


def render_argv(python: str, parent: str, setup: str = "") -> list[str]:
    return [python, "-I", "-S", "-c", RENDER.format(setup=setup, parent=parent)]


def profiled_render(python: str, parent: str, body: bytes, env: dict[str, str], out: str) -> bytes:
    argv = render_argv(python, parent, PROFILE.format(out=out))
    run = subprocess.run(argv, input=body, capture_output=True, env=env, check=True)
    wait_for_detached(env["COSTLINE_CACHE_DIR"])
    return run.stdout


def samples() -> list[tuple[str, dict[str, object]]]:
    return [
        (path.stem, json.loads(path.read_text()))
        for path in sorted((ROOT / "samples").glob("payload-*.json"))
    ]


def representative_renders(python: str, parent: str) -> list[tuple[str, set[str]]]:
    """(what, the functions it ran) for each representative render, `python` importing costline
    from `parent`."""
    runs: list[tuple[str, set[str]]] = []
    with tempfile.TemporaryDirectory(prefix="costline-hot-") as work:
        claude = os.path.join(work, "claude")
        corpus = generate(claude, files=12, total_mb=1.5, days=10, seed=5)
        live_path, live_session = str(corpus["live_path"]), str(corpus["live_session"])
        rng = random.Random(5)
        out = os.path.join(work, "executed")
        for n, (line, config) in enumerate((("default", DEFAULT_LINE), ("usual", USUAL_LINE))):
            home = os.path.join(work, f"home-{n}")
            os.makedirs(os.path.join(home, ".config", "costline"))
            with open(os.path.join(home, ".config", "costline", "config.toml"), "w") as fh:
                fh.write(config)
            env = dict(
                os.environ, CLAUDE_CONFIG_DIR=claude, COSTLINE_CACHE_DIR=os.path.join(work, f"cache-{n}")
            )
            env.update(HOME=home, COLUMNS="200")
            for name in ("NO_COLOR", "COSTLINE_CONFIG", "XDG_CONFIG_HOME"):
                env.pop(name, None)
            refresh = [python, "-c", CLI.format(parent=parent), "index", "refresh"]  # with site: click
            subprocess.run(refresh, env=env, capture_output=True, check=True)
            for sample_name, sample in samples():
                body = json.dumps(
                    dict(sample, session_id=live_session, transcript_path=live_path, cwd=str(ROOT))
                ).encode()
                profiled_render(python, parent, body, env, os.devnull)  # settles this payload's state
                for new_turn in (False, True):
                    if new_turn:
                        append_turn(live_path, live_session, rng)
                    if os.path.exists(out):
                        os.unlink(out)
                    profiled_render(python, parent, body, env, out)
                    with open(out) as fh:
                        what = (
                            f"{line} line, {sample_name}, {'a turn to book' if new_turn else 'nothing new'}"
                        )
                        runs.append((what, set(fh.read().split())))
    return runs


# -- the bundle's first part, lightened ---------------------------------------------------------


def functions(body: CodeType) -> list[CodeType]:
    """The code of the functions a module's or class's body defines (`def`s, in its classes too;
    not lambdas, comprehensions, or functions defined in functions)."""
    found = []
    for const in body.co_consts:
        if isinstance(const, CodeType) and not const.co_name.startswith("<"):
            found += [const] if const.co_flags & CO_NEWLOCALS else functions(const)
    return found


def stub(code: CodeType) -> CodeType:
    """Code with `code`'s signature, names and place that asks `__cold__()` for the function and
    calls it with every argument as it came: defaults stay the def's own objects."""
    names = code.co_varnames
    positional = list(names[: code.co_argcount])
    keywords = names[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    at = code.co_argcount + code.co_kwonlyargcount
    star = names[at] if code.co_flags & CO_VARARGS else ""
    stars = names[at + bool(star)] if code.co_flags & CO_VARKEYWORDS else ""
    params = positional[:]
    if code.co_posonlyargcount:
        params.insert(code.co_posonlyargcount, "/")
    if star or keywords:
        params.append(f"*{star}")
    params += [*keywords, *([f"**{stars}"] if stars else [])]
    args = [*positional, *([f"*{star}"] if star else []), *(f"{k}={k}" for k in keywords)]
    args += [f"**{stars}"] if stars else []
    source = f"def _({', '.join(params)}):\n    return __cold__()({', '.join(args)})\n"
    module = compile(source, code.co_filename, "exec", dont_inherit=True, optimize=2)
    made = next(const for const in module.co_consts if isinstance(const, CodeType))
    return made.replace(
        co_filename=code.co_filename,
        co_name=code.co_name,
        co_qualname=code.co_qualname,
        co_firstlineno=code.co_firstlineno,
    )


def lighten(
    name: str, code: CodeType, keep: set[str], factor: float = 2.0
) -> tuple[CodeType, dict[str, CodeType]]:
    """A module's code with each function not in `keep` (`name:qualname`) replaced by its stub,
    and those functions' code by qualname. Closures, qualnames defined twice (a property's
    setter) and functions less than `factor` times the size of their stub are left."""
    defined: dict[str, int] = {}
    for function in functions(code):
        defined[function.co_qualname] = defined.get(function.co_qualname, 0) + 1
    cold: dict[str, CodeType] = {}

    def rewrite(body: CodeType) -> CodeType:
        consts = list(body.co_consts)
        for at, const in enumerate(consts):
            if not isinstance(const, CodeType) or const.co_name.startswith("<"):
                continue
            if not const.co_flags & CO_NEWLOCALS:
                consts[at] = rewrite(const)
            elif not (
                f"{name}:{const.co_qualname}" in keep
                or const.co_freevars
                or defined[const.co_qualname] > 1
                or "__cold__" in const.co_varnames
            ):
                light = stub(const)
                if len(marshal.dumps(const)) >= factor * len(marshal.dumps(light)):
                    consts[at], cold[const.co_qualname] = light, const
        return body.replace(co_consts=tuple(consts))

    return rewrite(code), cold


def bundle_parts(data: bytes) -> tuple[tuple[object, ...], list[dict[str, CodeType]]]:
    """(header, each part's code by module) of a bundle's bytes (the layout in bundle.py)."""
    size = int.from_bytes(data[:4], "little")
    header = marshal.loads(data[4 : 4 + size])
    body = 4 + size
    return header, [marshal.loads(data[body + at : body + at + length]) for at, length in header[2]]


def lightened(data: bytes, keep: set[str]) -> tuple[bytes, bytes]:
    """(the bundle with its first part's functions not in `keep` stubbed, their code)."""
    header, parts = bundle_parts(data)
    cold: dict[str, dict[str, CodeType]] = {}
    first = dict(parts[0])
    for name, code in first.items():
        first[name], cold[name] = lighten(name, code, keep)
    streams = [marshal.dumps(part) for part in (first, *parts[1:])]
    offsets = [(sum(map(len, streams[:n])), len(stream)) for n, stream in enumerate(streams)]
    head = marshal.dumps((header[0], header[1], offsets, *header[3:]))
    return len(head).to_bytes(4, "little") + head + b"".join(streams), marshal.dumps(cold)


# -- measuring ----------------------------------------------------------------------------------


def minor_faults(argv: list[str], stdin: bytes, env: dict[str, str]) -> int:
    run = subprocess.run(["/usr/bin/time", "-f", "%R", *argv], input=stdin, capture_output=True, env=env)
    return int(run.stderr.decode().split()[-1])


UNMARSHAL = (
    "import gc, marshal, sys; gc.disable(); data = open(sys.argv[1], 'rb').read(); "
    "size = int.from_bytes(data[:4], 'little'); at, length = marshal.loads(data[4 : 4 + size])[2][0]; "
    "sys.argv[2] == 'load' and marshal.loads(data[4 + size + at : 4 + size + at + length])"
)


def measure(args: argparse.Namespace, python: str, parent: str) -> dict[str, object]:
    path = bundle_path(python, parent)
    written = path.read_bytes()
    hot_list = set().union(*(ran for _what, ran in representative_renders(python, parent)))
    work = tempfile.mkdtemp(prefix="costline-hot-measure-")
    try:
        if args.corpus:
            claude = args.corpus
            with open(os.path.join(claude, "corpus.json")) as fh:
                info = json.load(fh)
        else:
            claude = os.path.join(work, "claude")
            info = generate(claude, files=100, total_mb=20, days=30)
        env = dict(
            os.environ, CLAUDE_CONFIG_DIR=claude, COSTLINE_CACHE_DIR=os.path.join(work, "cache"), HOME=work
        )
        env.pop("NO_COLOR", None)
        subprocess.run(
            [python, "-c", CLI.format(parent=parent), "index", "refresh"], env=env, capture_output=True
        )
        sys.path.insert(0, str(ROOT / "bench"))
        from render_bench import payload

        body = payload(info["live_path"], info["live_session"])
        append_turn(info["live_path"], info["live_session"], random.Random(f"hot:{time.time()}"))
        profiled_render(python, parent, body, env, os.devnull)  # books the new turn: nothing new after
        ran = os.path.join(work, "ran")
        profiled_render(python, parent, body, env, ran)
        this_render = set(Path(ran).read_text().split())
        cold_path = os.path.join(work, "cold")
        argv = render_argv(python, parent, COLD_LOADER.format(path=cold_path))
        arms = {"as_written": written}
        for label, keep in (("hot_list", hot_list), ("this_render", this_render)):
            arms[label], cold = lightened(written, keep)
            Path(cold_path + "." + label).write_bytes(cold)
        results: dict[str, dict[str, list[int]]] = {label: {} for label in arms}
        lines = {}
        for _ in range(args.runs):  # interleaved
            for label, data in arms.items():
                path.write_bytes(data)
                if label != "as_written":
                    shutil.copyfile(cold_path + "." + label, cold_path)
                counts = results[label]
                counts.setdefault("instructions", []).append(instructions(argv, body, env))
                counts.setdefault("minor_faults", []).append(minor_faults(argv, body, env))
                unmarshal = [python, "-I", "-S", "-c", UNMARSHAL, str(path)]
                loaded = instructions([*unmarshal, "load"], b"", env) - instructions(
                    [*unmarshal, "-"], b"", env
                )
                counts.setdefault("unmarshal_instructions", []).append(loaded)
                lines[label] = subprocess.run(
                    [*argv, "--no-color"], input=body, env=env, capture_output=True
                ).stdout
        summary: dict[str, object] = {
            "date": time.strftime("%Y-%m-%d", time.gmtime()),  # quoted by the README
            "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cpus, "
            f"Python {platform.python_version()}",
            "runs": args.runs,
            "corpus": claude,
            "hot_list_functions": len(hot_list),
            "this_render_functions": len(this_render),
            "same_line": len(set(lines.values())) == 1,
            "line": lines["as_written"].decode().strip(),
        }
        whole = {k: statistics.median(v) for k, v in results["as_written"].items()}
        for label, data in arms.items():
            header, _parts = bundle_parts(data)
            medians = {k: statistics.median(v) for k, v in results[label].items()}
            summary[label] = {
                "first_part_kb": round(header[2][0][1] / 1000, 1),  # type: ignore[index]
                "instructions_millions": round(medians["instructions"] / 1e6, 2),
                "minor_faults": medians["minor_faults"],
                "unmarshal_millions": round(medians["unmarshal_instructions"] / 1e6, 2),
                "instructions_saved_millions": round(
                    (whole["instructions"] - medians["instructions"]) / 1e6, 2
                ),
                "minor_faults_saved": whole["minor_faults"] - medians["minor_faults"],
            }
        return summary
    finally:
        path.write_bytes(written)
        shutil.rmtree(work, ignore_errors=True)


def bundle_path(python: str, parent: str) -> Path:
    """The package's bundle, written first if it is not current."""
    write = "from statusline import bundle; bundle.refresh(); print(bundle.bundle_path(bundle.package_dir()))"
    found = subprocess.run(
        [python, "-I", "-S", "-c", f"import sys; sys.path.append({parent!r}); {write}"],
        capture_output=True,
        check=True,
    )
    return Path(found.stdout.decode().strip())


def sizes(path: Path) -> dict[str, int]:
    """Each first-part function's code size (marshal bytes) in a bundle."""
    _header, parts = bundle_parts(path.read_bytes())
    return {
        f"{name}:{function.co_qualname}": len(marshal.dumps(function))
        for name, code in parts[0].items()
        for function in functions(code)
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--venv", default=".venv")
    parser.add_argument("--measure", action="store_true")
    parser.add_argument(
        "--corpus", default=None, help="a corpus bench/corpus.py wrote (its live session renders)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default=None, help="write the figures here too (JSON)")
    args = parser.parse_args()
    if args.measure and "no_debug_ranges" not in sys._xoptions:
        # stubs compiled as the bundle is: without column positions
        os.execv(sys.executable, [sys.executable, "-X", "no_debug_ranges", *sys.argv])
    python = os.path.abspath(os.path.join(args.venv, "bin", "python"))
    find = "import statusline, os; print(os.path.dirname(os.path.dirname(statusline.__file__)))"
    parent = (
        subprocess.run([python, "-c", find], capture_output=True, cwd="/", check=True).stdout.decode().strip()
    )
    if args.measure:
        results = measure(args, python, parent)
    else:
        size = sizes(bundle_path(python, parent))
        runs = representative_renders(python, parent)
        union = set().union(*(ran for _what, ran in runs))
        results = {
            "first_part_functions": {"count": len(size), "kb": round(sum(size.values()) / 1000, 1)},
            "renders": [
                {
                    "render": what,
                    "functions": len(ran & size.keys()),
                    "kb": round(sum(size[k] for k in ran & size.keys()) / 1000, 1),
                }
                for what, ran in runs
            ],
            "any_render": {
                "functions": len(union & size.keys()),
                "kb": round(sum(size[k] for k in union & size.keys()) / 1000, 1),
            },
            "functions_run": sorted(union),
        }
    text = json.dumps(results, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
