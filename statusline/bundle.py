"""The render path's modules compiled into one file, so a render imports them with one read.

A render imports about twenty-five of costline's modules; finding and reading each one's cached
bytecode costs more than running it (measured: 0.7 ms of a 13 ms render). The bundle holds
their code with the size and mtime of each source; `statusline/__init__.py` serves the modules
from it when every source still matches, and otherwise leaves importing to Python.
It lives beside the bytecode cache (`statusline/__pycache__/`) and is written off the render
path, by `costline index refresh` (which renders start in the background) and `costline install`.

Loading code is most of a render's own cost: unmarshalling it (about 17,000 instructions a KB)
and the memory it fills (a page fault for every 4 KB touched, 5 µs each on a virtual machine).
So its code is in two parts, each one marshal stream: the modules a render of the default line
imports, and the rest (optional segments, the command runner, the log), read and unmarshalled
only when one of them is imported. One stream per module would cost a third more: names and
constants shared between modules are read once in a stream.

Each module's code is run after the bundled modules its first lines import (theirs first), each
made without the import machinery (see `first_imports`): the render's own imports then find them
made, and its modules cost their code, not the machinery's finding, locking and spec-making.

Layout: a 4-byte little-endian length, then a marshal header (tag, {module: (source, is a
package, size, mtime_ns, part)}, [(offset, length) of each part's stream, counted from the
header's end], {module: the bundled modules to make before it, in order}), then the streams,
each a marshal dict {module: code}.
"""

from __future__ import annotations

import marshal
import os
import sys

from statusline import BUNDLE_LAYOUT, source_of
from statusline.index.store import atomic_write

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast

FUTURE_LINE = b"from __future__ import annotations\n"
ANNOTATIONS_FLAG = 0x1000000  # __future__.annotations.compiler_flag (CO_FUTURE_ANNOTATIONS)

# What a render may import (tests/test_bundle.py keeps this in step with the import guard).
RENDER_MODULES = (
    "statusline.fs",
    "statusline.paths",
    "statusline.payload",
    "statusline.render",
    "statusline.entry",
    "statusline.look",
    "statusline.timeutil",
    "statusline.pricing",
    "statusline.context",
    "statusline.segments",
    "statusline.segments.spending",
    "statusline.segments.limits",
    "statusline.segments.prompt",
    "statusline.segments.info",
    "statusline.segments.place",
    "statusline.segments.live",
    "statusline.log",
    "statusline.index",
    "statusline.index.store",
    "statusline.index.lines",
    "statusline.index.readback",
    "statusline.index.today",
    "statusline.index.book",
    "statusline.index.update",
    "statusline.index.newlines",
    "statusline.index.exact",
    "statusline.index.unlogged",
    "statusline.index.edges",
    "statusline.index.background",
    "statusline.pace",
    "statusline.git",
    "statusline.commands",
    "statusline.turn",
)


# Imported by a render of the default line (tests/test_bundle.py checks it); the other render
# modules form the bundle's second part.
OPTIONAL_MODULES = frozenset(
    {
        "statusline.segments.live",
        "statusline.segments.prompt",
        "statusline.log",
        "statusline.index.edges",
        "statusline.index.background",
        "statusline.index.exact",
        "statusline.commands",
        "statusline.turn",
    }
)
HEADER = 4  # bytes of the header's length


def tag() -> str:
    """What a current bundle's header begins with: this Python's version and the layout's."""
    return f"{sys.version}|{BUNDLE_LAYOUT}"


def read_header(data: bytes) -> tuple[str, dict[str, tuple[str, bool, int, int, int]], list[tuple[int, int]]]:
    """(tag, modules, parts) of a bundle's bytes (ValueError, EOFError, TypeError when garbled)."""
    size = int.from_bytes(data[:HEADER], "little")
    found_tag, modules, parts, _first = marshal.loads(data[HEADER : HEADER + size])
    return found_tag, modules, parts


def assemble(
    modules: dict[str, tuple[str, bool, int, int, int]],
    codes: list[dict[str, object]],
    first: dict[str, tuple[str, ...]] | None = None,
) -> bytes:
    """A bundle's bytes: the header for `modules` (and `first`, see first_imports), then each
    part's code as one marshal stream."""
    streams = [marshal.dumps(part) for part in codes]
    parts, at = [], 0
    for stream in streams:
        parts.append((at, len(stream)))
        at += len(stream)
    header = marshal.dumps((tag(), modules, parts, first or {}))
    return len(header).to_bytes(HEADER, "little") + header + b"".join(streams)


def first_imports(sources: dict[str, bytes]) -> dict[str, tuple[str, ...]]:
    """For each module of `sources` (name -> source), the others it imports as it starts (its
    top-level import statements, and their packages), each after those it imports in turn: the
    order in which to make them before it runs. Imports under `if` or `try` (TYPE_CHECKING's)
    are not counted. Modules that import each other (directly or around), and those whose
    imports lead to them, are in no list: Python's import makes them in the order it always did
    (which one is half-made while the other runs depends on where it starts), and making a
    module first never leads back to the module being made."""
    import ast

    direct: dict[str, list[str]] = {}
    for name, source in sources.items():
        found: list[str] = []
        for node in ast.parse(source).body:
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                for end in range(1, len(parts) + 1):  # a package before its modules
                    module = ".".join(parts[:end])
                    if module in sources and module != name and module not in found:
                        found.append(module)
        direct[name] = found

    def reach(name: str) -> list[str]:
        """Every module `name` leads to, in the order to make them (post-order)."""
        order: list[str] = []
        seen = {name}

        def visit(module: str) -> None:
            seen.add(module)
            for dependency in direct[module]:
                if dependency not in seen:
                    visit(dependency)
            order.append(module)

        for dependency in direct[name]:
            if dependency not in seen:
                visit(dependency)
        return order

    reached = {name: reach(name) for name in sources}
    cyclic = {name for name, order in reached.items() if any(name in reached[m] for m in order)}
    tangled = {name for name, order in reached.items() if name in cyclic or cyclic.intersection(order)}
    return {name: tuple(m for m in order if m not in tangled) for name, order in reached.items()}


Modules = dict[str, tuple[str, bool, int, int, int]]  # module -> source, is a package, size, mtime_ns, part


def disassemble(data: bytes) -> tuple[str, Modules, list[dict[str, object]]]:
    """(tag, modules, each part's code by module) of a bundle's bytes (for tests and checks)."""
    found_tag, modules, parts = read_header(data)
    body = HEADER + int.from_bytes(data[:HEADER], "little")
    return found_tag, modules, [marshal.loads(data[body + at : body + at + size]) for at, size in parts]


def package_dir() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def bundle_path(package: str) -> str:
    return os.path.join(package, "__pycache__", f"render.{sys.implementation.cache_tag}.bundle")


def _source(package: str, name: str) -> tuple[str, bool]:
    """(source path, is a package) of a module under the package directory."""
    parts = name.split(".")[1:]
    folder = os.path.join(package, *parts)
    if os.path.isdir(folder):
        return os.path.join(folder, "__init__.py"), True
    return os.path.join(package, *parts[:-1], parts[-1] + ".py"), False


def is_current(package: str | None = None) -> bool:
    """Whether the bundle exists and matches every source it was compiled from."""
    package = package or package_dir()
    try:
        with open(bundle_path(package), "rb") as fh:
            found_tag, modules, _parts = read_header(fh.read())
        if found_tag != tag() or set(modules) != set(RENDER_MODULES):
            return False
        for name, (_origin, is_package, size, mtime_ns, _part) in modules.items():
            # Where the package is now, as a render checks it (the same path): a package copied
            # elsewhere (a venv copied with `cp -a`) is judged by its own sources.
            st = os.stat(os.path.join(package, source_of(name, is_package)))
            if (st.st_size, st.st_mtime_ns) != (size, mtime_ns):
                return False
    except (OSError, ValueError, EOFError, TypeError):
        return False
    return True


def unannotated(tree: ast.Module) -> ast.Module:
    """`tree` with the annotations of every function's parameters and return taken out: the
    strings a module's code keeps for them were 16 KB of the first part's 282, 0.5M instructions
    a render (README, Speed). Variables' annotations stay: a class's make its fields (a
    NamedTuple's, a dataclass's), and a module's cost little."""
    import ast

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.returns = None
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            for arg in [*every, arguments.vararg, arguments.kwarg]:
                if arg is not None:
                    arg.annotation = None
    return tree


# Run by write() in a Python started with `-X no_debug_ranges`: the package's parent first on the path.
_WRITE_WITHOUT_RANGES = (
    "import sys; sys.path.insert(0, sys.argv[1].rpartition('/')[0]); from statusline import bundle; "
    "sys.exit(0 if bundle.write(sys.argv[1]) else 1)"
)


def _debug_ranges() -> bool:
    """Whether this Python compiles column positions into code (3.11's default; `-X
    no_debug_ranges` turns them off)."""
    position = next(iter(compile("x", "", "eval").co_positions()), None)
    return position is not None and position[2] is not None


def write(package: str | None = None) -> bool:
    """Compile the render path's modules into the bundle; False if the folder is not writable.

    Compiled without column positions (`-X no_debug_ranges`, in a child Python when this one
    has them): a twelfth less code to load per render (0.65M instructions), and tracebacks keep
    their line numbers, only the ^^^ under the failing expression goes.
    """
    package = package or package_dir()
    if _debug_ranges() and "/" in package:
        import subprocess

        child = [sys.executable, "-I", "-S", "-X", "no_debug_ranges", "-c", _WRITE_WITHOUT_RANGES, package]
        try:
            if subprocess.run(child, capture_output=True, timeout=60, check=False).returncode == 0:
                return True
        except (OSError, subprocess.SubprocessError):
            pass  # compiled here instead, with the column positions
    import ast

    modules: dict[str, tuple[str, bool, int, int, int]] = {}
    codes: list[dict[str, object]] = [{}, {}]
    sources: dict[str, bytes] = {}
    for name in RENDER_MODULES:
        origin, is_package = _source(package, name)
        try:
            st = os.stat(origin)
            with open(origin, "rb") as fh:
                source = fh.read()
            # The future import becomes a compiler flag: same code, and the render never has to
            # import the `__future__` module itself (a tenth of a millisecond). The line is kept
            # blank so line numbers in tracebacks stay right.
            flags = 0
            if FUTURE_LINE in source:
                source = source.replace(FUTURE_LINE, b"\n", 1)
                flags = ANNOTATIONS_FLAG
            # optimize=2 drops docstrings (and asserts): a fifth less code to unmarshal per render;
            # nothing on the render path reads a docstring. Nor a function's annotations (the type
            # checker reads the sources): left out too, strings a render would unmarshal only to
            # keep them (see unannotated).
            tree = unannotated(ast.parse(source, origin))
            code = compile(tree, origin, "exec", flags=flags, dont_inherit=True, optimize=2)
        except (OSError, SyntaxError, ValueError):
            return False
        sources[name] = source
        part = int(name in OPTIONAL_MODULES)
        modules[name] = (origin, is_package, st.st_size, st.st_mtime_ns, part)
        codes[part][name] = code
    # A module of the first part is made first only from the first part: the second is read
    # when one of its modules is imported, not because the first part's imports name it.
    first = {
        name: tuple(m for m in order if modules[m][4] <= modules[name][4])
        for name, order in first_imports(sources).items()
    }
    data = assemble(modules, codes, first)
    try:
        atomic_write(bundle_path(package), data)
    except OSError:
        return False
    return True


def refresh(package: str | None = None) -> None:
    """Rewrite the bundle when it is missing or stale (cheap when it is current)."""
    if not is_current(package):
        write(package)
