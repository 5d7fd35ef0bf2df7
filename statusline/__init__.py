"""costline: a fast Claude Code status line with session and daily cost.

Importing the package also serves the render path's modules from one bundle of their code when a
current one exists (see bundle.py): one file read instead of a dozen module lookups, about
0.7 ms of a render, and the code of modules a render of the default line does not import
unmarshalled only when one is imported; `load_module` makes a module the render needs only
sometimes (a segments module) from it without the import machinery. Anything unexpected (no
bundle, a stale or unreadable one) leaves Python's own import system in charge.
"""

__version__ = "0.1.0"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType

# Part of the bundle's tag beside sys.version (bundle.tag): a bundle of another layout (an older
# costline's) is not used.
BUNDLE_LAYOUT = "parts-2"

# Set while the bundle serves the render path: makes one of its modules (not a package) whose
# package is imported, or returns None (see load_module).
_load: "Callable[[str], object] | None" = None  # (no `from __future__`: the package is not bundled)


def load_module(name: str) -> object:
    """`import name`, for a module the render imports as it needs it (a segments module a line
    shows): from the bundle without the import machinery when it serves them, else as Python
    imports. The machinery's own work is most of a small module's import: a warm render of the
    default line, which needs four segments modules, ran 35.8 M instructions importing them,
    35.5 M so, and 35.5 M before the segments were split (valgrind, 2026-12-03)."""
    import sys

    module: object = sys.modules.get(name)
    if module is None and _load is not None:
        module = _load(name)
    return module if module is not None else __import__(name, None, None, ["_"])


def _serve_render_modules_from_bundle() -> None:
    import gc  # built in: no file to find
    import marshal
    import sys
    from posix import O_RDONLY, close, open, pread  # not `os`: see fs.py

    folder = __file__.rpartition("/")[0]
    try:
        fd = open(f"{folder}/__pycache__/render.{sys.implementation.cache_tag}.bundle", O_RDONLY)
    except Exception:
        return
    try:
        head = pread(fd, 1 << 16, 0)
        size = int.from_bytes(head[:4], "little")
        if 4 + size > len(head):
            head = pread(fd, 4 + size, 0)
        tag, modules, parts, first = marshal.loads(head[4 : 4 + size])
        body = 4 + size
        # The file stays open until every part is read: a part comes from the file whose header
        # was checked, even if the next refresh replaces it meanwhile.
        codes: list[dict[str, CodeType] | None] = [None] * len(parts)
        usable = tag == f"{sys.version}|{BUNDLE_LAYOUT}" and _sources_match(modules, 0, folder)
    except Exception:  # a header costline did not write: Python imports everything
        usable = False
    if not usable:  # edited or reinstalled since: the next index refresh writes a new one
        close(fd)
        return

    def code_of(name: str) -> "CodeType":
        part = modules[name][4]
        loaded = codes[part]
        if loaded is None:
            if part and not _sources_match(modules, part, folder):
                raise ImportError(name)  # a source of that part changed: Python imports it
            # Thousands of code objects and tuples, none in a cycle: collecting while they load
            # only costs time (an eighth of the load), so the collector waits. The first part is
            # then frozen: it is loaded as a process starts, and left in the young generation the
            # collections that follow walk it again and again (5M instructions of a render, a
            # seventh). A later part is not: a long process (the CLI) would freeze every object it
            # has at that moment, garbage too.
            collecting = gc.isenabled()
            gc.disable()
            try:
                offset, length = parts[part]
                loaded = marshal.loads(pread(fd, length, body + offset))
                codes[part] = loaded
            finally:
                if not part:
                    gc.freeze()
                if collecting:
                    gc.enable()
            if None not in codes:
                close(fd)
        code: CodeType = loaded[name]
        return code

    def loadable(name: str) -> bool:
        """Whether the bundle's part holding `name` loads (else Python imports the module)."""
        try:
            code_of(name)
        except Exception:
            return False
        return True

    def dependencies_first(name: str) -> None:
        """Make the bundled modules `name`'s code imports as it starts (its own imports' imports
        first: `first[name]`, worked out when the bundle was written) before it runs, each
        without the import machinery: their imports then find them made. The machinery's
        finding, locking and spec-making was a fifth of loading the render's code (2M
        instructions); a module that cannot be made here is imported as Python would."""
        for dependency in first.get(name, ()):
            if dependency not in sys.modules:
                load(dependency)

    spec_class = sys.modules["_frozen_importlib"].ModuleSpec

    class BundleLoader:
        @staticmethod
        def create_module(spec: object) -> None:
            return None

        @staticmethod
        def exec_module(module: object) -> None:
            name = module.__name__  # type: ignore[attr-defined]
            package = modules[name][1]
            origin = f"{folder}/{source_of(name, package)}"
            module.__file__ = origin  # type: ignore[attr-defined]
            if package:
                module.__path__ = [origin.rpartition("/")[0]]  # type: ignore[attr-defined]
            code = code_of(name)
            dependencies_first(name)
            exec(code, module.__dict__)  # our own compiled modules

    class BundleFinder:
        @staticmethod
        def find_spec(name: str, path: object = None, target: object = None) -> object:
            entry = modules.get(name)
            if entry is None or not loadable(name):
                return None
            origin = f"{folder}/{source_of(name, entry[1])}"
            return spec_class(name, BundleLoader, origin=origin, is_package=entry[1])

    sys.meta_path.insert(0, BundleFinder)  # type: ignore[arg-type]  # duck-typed finder

    def load(name: str) -> object:
        """What importing a bundled module does (the module in sys.modules while its code
        runs, then named in its package), minus finding a spec for it."""
        entry = modules.get(name)
        package, _, child = name.rpartition(".")
        if entry is None or package not in sys.modules or not loadable(name):
            return None  # not bundled, or its package not imported: Python imports it
        module = type(sys)(name)
        origin = f"{folder}/{source_of(name, entry[1])}"
        module.__file__, module.__package__ = origin, name if entry[1] else package
        if entry[1]:
            module.__path__ = [origin.rpartition("/")[0]]
        module.__loader__ = BundleLoader  # type: ignore[assignment]  # duck-typed loader
        code = code_of(name)
        dependencies_first(name)
        made = sys.modules.get(name)
        if made is not None:  # a dependency's first run imported it (a way first_imports skips)
            return made  # made once, as Python makes it
        sys.modules[name] = module
        try:
            exec(code, module.__dict__)  # our own compiled modules
        except BaseException:
            del sys.modules[name]
            raise
        setattr(sys.modules[package], child, module)
        return module

    global _load
    _load = load


def source_of(name: str, package: bool) -> str:
    """A bundled module's source, relative to this package's folder (`statusline.index.update`
    -> `index/update.py`)."""
    rel = name.partition(".")[2].replace(".", "/")
    return f"{rel}/__init__.py" if package else f"{rel}.py"


def _sources_match(modules: "dict[str, tuple[str, bool, int, int, int]]", part: int, folder: str) -> bool:
    """Whether every source of the bundle's `part` in `folder` has the size and mtime the bundle
    recorded. Stated relative to the folder, opened once: a stat walks every component of its
    path, and an absolute one through site-packages took twice as long (7.1 vs 3.3 µs)."""
    from posix import O_RDONLY, close, open, stat

    try:
        fd = open(folder, O_RDONLY)
    except Exception:
        return False
    try:
        for name, (_origin, package, size, mtime_ns, in_part) in modules.items():
            if in_part == part:
                st = stat(source_of(name, package), dir_fd=fd)
                if st.st_size != size or st.st_mtime_ns != mtime_ns:
                    return False
    except Exception:
        return False
    finally:
        close(fd)
    return True


if "/" in __file__:  # POSIX paths; elsewhere plain imports
    _serve_render_modules_from_bundle()
