"""The render path's modules served from one bundle: only when current, never instead of a change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import COSTLINE, payload, run_costline

from statusline import bundle

PACKAGE = Path(bundle.__file__).parent
LOADER = "getattr(m.__loader__, '__name__', type(m.__loader__).__name__)"
PROBE = f"import statusline.index.update, statusline.render as m; print({LOADER})"


def copy_package(tmp_path: Path) -> Path:
    target = tmp_path / "site" / "statusline"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def run_probe(package: Path, probe: str, *options: str) -> subprocess.CompletedProcess[bytes]:
    """`python [options] -c probe` with the copied package first on the path, outside the checkout."""
    env = dict(os.environ, PYTHONPATH=str(package.parent))
    cwd = package.parent.parent
    return subprocess.run(
        [sys.executable, *options, "-c", probe], capture_output=True, env=env, check=True, cwd=cwd
    )


def loader_in(site: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        env=env,
        check=True,
        cwd=site,  # not the checkout
    )
    return proc.stdout.decode().strip()


def test_current_bundle_serves_the_render_modules(tmp_path):
    package = copy_package(tmp_path)
    assert loader_in(package.parent) != "BundleLoader"  # no bundle: Python's own import
    assert bundle.write(str(package)) and bundle.is_current(str(package))
    assert loader_in(package.parent) == "BundleLoader"


def test_an_edited_source_is_imported_from_the_source(tmp_path):
    package = copy_package(tmp_path)
    bundle.write(str(package))
    update = package / "index" / "update.py"
    update.write_text(update.read_text() + "\nEDITED = True\n")
    assert not bundle.is_current(str(package))
    env = dict(os.environ, PYTHONPATH=str(package.parent))
    probe = f"import statusline.index.update as m; print(m.EDITED, {LOADER})"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=env, check=True, cwd=package.parent
    )
    assert out.stdout.decode().split() == ["True", "SourceFileLoader"]


def test_a_corrupt_bundle_is_ignored(tmp_path):
    package = copy_package(tmp_path)
    bundle.write(str(package))
    Path(bundle.bundle_path(str(package))).write_bytes(b"\x00garbage")
    assert loader_in(package.parent) != "BundleLoader"
    assert not bundle.is_current(str(package))


def test_the_bundle_holds_every_module_a_render_imports(config_dir, tmp_path):
    """RENDER_MODULES must cover the render path (the import guard lists what it imports)."""
    from test_imports import imported_modules

    (config_dir / "projects" / "p").mkdir(parents=True)
    run_costline(payload(None))  # the first run compiles the price table (config changes only)
    names = imported_modules([COSTLINE], payload(None, cost={"total_cost_usd": 0.5}))
    mine = {n for n in names if n.startswith("statusline.")}
    assert mine and mine <= set(bundle.RENDER_MODULES)


def test_refresh_writes_it_and_the_render_is_the_same(config_dir):
    installed = str(
        Path(COSTLINE).resolve().parent.parent
        / "lib"
        / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        / "site-packages"
        / "statusline"
    )
    body = payload(None, cost={"total_cost_usd": 0.5}, model={"id": "claude-opus-4-8"})
    assert run_costline(b"", "index", "refresh").returncode == 0
    Path(bundle.bundle_path(installed)).unlink(missing_ok=True)
    before = run_costline(body, env={"NO_COLOR": "1"}).stdout
    assert run_costline(b"", "index", "refresh").returncode == 0
    assert bundle.is_current(installed)
    assert run_costline(body, env={"NO_COLOR": "1"}).stdout == before


def test_bundled_modules_keep_postponed_annotations_without_importing_future(tmp_path):
    """The future import is a compiler flag: a module's variable annotations stay strings, and
    `__future__` is not imported. Its functions' annotations are left out (nothing on the render
    path reads them): a render unmarshalled 16 KB of them, 0.5M instructions (2026-12-03)."""
    package = copy_package(tmp_path)
    bundle.write(str(package))
    probe = (
        "import sys, statusline.index.newlines as m, statusline.segments as s; "
        "print(type(s.__annotations__['SEGMENTS']).__name__, '__future__' in sys.modules, "
        "m.read_file.__annotations__, m.__loader__.__name__)"
    )
    env = dict(os.environ, PYTHONPATH=str(package.parent))
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=env, check=True, cwd=package.parent
    )
    assert out.stdout.decode().split() == ["str", "False", "{}", "BundleLoader"]


def test_unannotated_takes_out_every_parameters_and_returns_annotation_and_nothing_else():
    import ast

    source = (
        "def f(a: int, /, b: 'x' = 1, *c: str, d: list[int], **e: bytes) -> None:\n"
        "    v: int = a\n    return v\n"
        "class C:\n    field: int = 2\n    async def g(self, x: int) -> int: ...\n"
        "h = lambda y: y\nMODULE: dict[str, int] = {}\n"
    )
    tree = bundle.unannotated(ast.parse(source))
    namespace: dict[str, object] = {}
    exec(compile(tree, "<test>", "exec", flags=bundle.ANNOTATIONS_FLAG), namespace)
    f, c = namespace["f"], namespace["C"]
    assert f.__annotations__ == {} and c.g.__annotations__ == {}  # type: ignore[attr-defined]
    assert f(1, d=[]) == 1 and f.__defaults__ == (1,)  # type: ignore[attr-defined,operator]
    assert c.__annotations__ == {"field": "int"} and namespace["__annotations__"] == {
        "MODULE": "dict[str, int]"
    }  # type: ignore[attr-defined]
    assert "v: int = a" in ast.unparse(tree)  # a local's annotation: compiled to nothing anyway


def test_a_segments_module_is_made_from_the_bundle_as_an_import_would_make_it(tmp_path):
    """load_module: the module a line needs, made from the bundle without the import machinery
    (a render of the default line imported four segments modules: 0.3 M instructions more than
    the one module before the split); what an import gives, and an import where there is no
    bundle or the module is not in it."""
    package = copy_package(tmp_path)
    probe = (
        "import sys, statusline, statusline.segments as s; "
        "m = statusline.load_module('statusline.segments.info'); "
        "print(m is sys.modules['statusline.segments.info'] is s.info, "
        "m.__file__ == s.__file__[:-11] + 'info.py', "
        "m.model.__module__, getattr(m.__spec__, 'name', None) is None, "
        "statusline.load_module('statusline.segments.info') is m, "
        "statusline.load_module('statusline.catalog').__spec__.name)"
    )
    env = dict(os.environ, PYTHONPATH=str(package.parent))

    def run() -> list[str]:
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, env=env, check=True, cwd=tmp_path
        )
        return out.stdout.decode().split()

    assert run() == [
        "True",
        "True",
        "statusline.segments.info",
        "False",
        "True",
        "statusline.catalog",
    ]  # imported
    bundle.write(str(package))
    assert run() == ["True", "True", "statusline.segments.info", "True", "True", "statusline.catalog"]  # made


def test_a_bundled_module_that_fails_leaves_no_half_module_behind(tmp_path):
    package = copy_package(tmp_path)
    bundle.write(str(package))
    path = package / "segments" / "live.py"
    probe = (
        "import sys, statusline, statusline.segments as s\n"
        "try:\n    statusline.load_module('statusline.segments.live')\n"
        "except ZeroDivisionError:\n    print('raised', 'statusline.segments.live' in sys.modules)\n"
    )
    source = path.read_text().replace("LIVE_WIDTH = 72", "LIVE_WIDTH = 1 // 0")  # in the bundle only
    bundle_code = bundle.bundle_path(str(package))
    _tag, modules, codes = bundle.disassemble(Path(bundle_code).read_bytes())
    origin, _is_package, _size, _mtime, part = modules["statusline.segments.live"]
    codes[part]["statusline.segments.live"] = compile(source, origin, "exec")
    Path(bundle_code).write_bytes(bundle.assemble(modules, codes))
    env = dict(os.environ, PYTHONPATH=str(package.parent))
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=env, check=True, cwd=tmp_path
    )
    assert out.stdout.decode().split() == ["raised", "False"]


def test_the_modules_a_default_line_needs_are_in_the_first_part(config_dir):
    """The second part is unmarshalled only when one of its modules is imported: a render of the
    default line (an API user's payload, and a subscriber's with rate limits, as Claude Code
    sends them after the first response: with the context window's use) imports none."""
    import time

    from helpers import assistant, write_transcript
    from test_imports import imported_modules

    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    path = write_transcript(config_dir, "p", "s1.jsonl", [assistant(ts=now)])
    assert run_costline(b"", "index", "refresh").returncode == 0
    limits = {
        "five_hour": {"used_percentage": 40, "resets_at": 4102444800},
        "seven_day": {"used_percentage": 20, "resets_at": 4102444800},
    }
    for turn, extra in enumerate(({}, {"rate_limits": limits})):
        write_transcript(config_dir, "p", "s1.jsonl", [assistant(msg_id=f"m{turn}", ts=now)], mode="a")
        window = {"used_percentage": 12, "context_window_size": 1_000_000}
        body = payload(path, cost={"total_cost_usd": 0.5}, context_window=window, **extra)
        names = imported_modules([COSTLINE], body)
        assert "statusline.context" in names
        assert not names & bundle.OPTIONAL_MODULES, names & bundle.OPTIONAL_MODULES
    assert set(bundle.RENDER_MODULES) > bundle.OPTIONAL_MODULES


def test_a_module_of_the_second_part_loads_when_imported_and_a_garbled_part_is_imported_by_python(tmp_path):
    package = copy_package(tmp_path)
    bundle.write(str(package))
    probe = (
        f"import statusline.render as r, statusline.turn as t; m = r; print({LOADER}); m = t; print({LOADER})"
    )
    env = dict(os.environ, PYTHONPATH=str(package.parent))

    def loaders() -> list[str]:
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, env=env, check=True, cwd=tmp_path
        )
        return out.stdout.decode().split()

    assert loaders() == ["BundleLoader", "BundleLoader"]
    path = Path(bundle.bundle_path(str(package)))
    data = bytearray(path.read_bytes())
    data[-200:] = b"\x00" * 200  # the second part's stream, garbled at its end
    path.write_bytes(bytes(data))
    assert loaders() == ["BundleLoader", "SourceFileLoader"]


def test_the_bundle_is_compiled_without_column_positions_and_keeps_line_numbers(tmp_path):
    """`-X no_debug_ranges` (in a child Python): a twelfth less code to load per render; a
    traceback still names the line."""
    package = copy_package(tmp_path)
    assert bundle.write(str(package))
    _tag, modules, codes = bundle.disassemble(Path(bundle.bundle_path(str(package))).read_bytes())
    code = codes[modules["statusline.render"][4]]["statusline.render"]
    positions = list(code.co_positions())  # type: ignore[attr-defined]
    assert positions and all(column is None for _line, _end, column, _end_column in positions)
    assert any(line for line, *_ in positions)


def test_an_edited_module_of_the_second_part_is_imported_from_its_source_alone(tmp_path):
    """The second part's sources are checked when it is first needed: an edit there leaves the
    first part served from the bundle, and the edited module imported from its source."""
    package = copy_package(tmp_path)
    bundle.write(str(package))
    turn = package / "turn.py"
    turn.write_text(turn.read_text() + "\nEDITED = True\n")
    probe = (
        f"import statusline.render as m; print({LOADER}); "
        f"import statusline.turn as m; print({LOADER}, m.EDITED)"
    )
    env = dict(os.environ, PYTHONPATH=str(package.parent))
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=env, check=True, cwd=tmp_path
    )
    assert out.stdout.decode().split() == ["BundleLoader", "SourceFileLoader", "True"]


def test_a_header_costline_did_not_write_leaves_importing_to_python(tmp_path):
    """A header whose parts are not a list (valid marshal, current tag and sources) used to
    escape the package import as a TypeError: no line at all."""
    import marshal

    package = copy_package(tmp_path)
    bundle.write(str(package))
    path = Path(bundle.bundle_path(str(package)))
    found_tag, modules, _codes = bundle.disassemble(path.read_bytes())
    header = marshal.dumps((found_tag, modules, None))
    path.write_bytes(len(header).to_bytes(bundle.HEADER, "little") + header)
    assert loader_in(package.parent) == "SourceFileLoader"


def test_a_copied_package_is_judged_by_its_own_sources(tmp_path):
    """`cp -a` of an install, then an edit in the copy: the copy's bundle is stale (a render
    there stops using it), so the copy's next refresh must see it so and write it again."""
    package = copy_package(tmp_path)
    bundle.write(str(package))
    copy = tmp_path / "copy" / "statusline"
    shutil.copytree(package, copy, copy_function=shutil.copy2)
    assert bundle.is_current(str(copy))
    look = copy / "look.py"
    look.write_text(look.read_text() + "\n# edited\n")
    assert bundle.is_current(str(package)) and not bundle.is_current(str(copy))


def test_the_first_part_is_frozen_and_a_part_loaded_late_freezes_nothing(tmp_path):
    """The first part is frozen as it loads (else every collection after walks it: 5M
    instructions of a render); a later part in a long process (the CLI) is not, or every object
    the process had then, cyclic garbage too, would stay out of the collector's reach."""
    package = copy_package(tmp_path)
    bundle.write(str(package))
    probe = (
        "import gc, statusline.render as m\n"
        "first = gc.get_freeze_count()\n"
        "garbage = [[] for _ in range(1000)]\n"
        "for item in garbage:\n    item.append(item)\n"
        "del garbage, item\n"
        "import statusline.log as m\n"
        f"print(first > 1000, gc.get_freeze_count() == first, {LOADER})\n"
    )
    out = run_probe(package, probe)
    assert out.stdout.decode().split() == ["True", "True", "BundleLoader"]


def test_first_imports_orders_a_modules_imports_before_it_and_leaves_out_cycles():
    sources = {
        "pkg": b"",
        "pkg.a": b"from pkg import b\nimport pkg.sub.c\n",
        "pkg.b": b"TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from pkg.a import x\nfrom os import path\n",
        "pkg.sub": b"",
        "pkg.sub.c": b"from pkg.b import y\n\ndef f():\n    from pkg.a import z\n",
        "pkg.d": b"from pkg.e import y\n",
        "pkg.e": b"from pkg.d import x\nfrom pkg.b import y\n",
        "pkg.f": b"from pkg.e import y\n",
    }
    first = bundle.first_imports(sources)
    assert first["pkg.a"] == ("pkg", "pkg.b", "pkg.sub", "pkg.sub.c")  # a package before its modules
    assert first["pkg.b"] == ()  # imports under `if` (TYPE_CHECKING) and in functions do not count
    assert first["pkg.sub.c"] == ("pkg", "pkg.b")  # not its own package: importing it makes that
    # d and e import each other, and f leads to them: Python makes those in its own order
    assert first["pkg.d"] == first["pkg.e"] == first["pkg.f"] == ("pkg", "pkg.b")


def test_a_modules_bundled_imports_are_made_before_it_without_the_import_machinery(tmp_path):
    """Importing one module of the bundle makes the bundled modules its first lines import
    before it runs, each as load_module makes it: the import machinery sees the one module
    (it saw every one of them before: 22 for a render of the default line, 8 now)."""
    package = copy_package(tmp_path)
    bundle.write(str(package))
    probe = (
        "import sys, statusline.context as m\n"
        "made = [n for n in ('statusline.index.book', 'statusline.pricing', 'statusline.index.store')"
        " if sys.modules[n].__loader__.__name__ == 'BundleLoader']\n"
        "index = sys.modules['statusline.index'].__path__[0]\n"
        f"print(len(made), {LOADER}, index.endswith('statusline/index'))\n"
    )
    out = run_probe(package, probe, "-X", "importtime")
    assert out.stdout.decode().split() == ["3", "BundleLoader", "True"]
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in out.stderr.decode().splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert {n for n in imported if n.startswith("statusline")} == {"statusline", "statusline.context"}


def test_a_dependency_that_fails_leaves_no_half_module_behind_and_the_line_prints(tmp_path):
    """A module's bundled dependency made first (statusline.segments.info before
    statusline.segments.prompt) that raises: neither is left in sys.modules or on the package,
    the next attempt raises again, and a render shows its line without that segment."""
    import marshal

    package = copy_package(tmp_path)
    bundle.write(str(package))
    path = Path(bundle.bundle_path(str(package)))
    data = path.read_bytes()
    first = marshal.loads(data[bundle.HEADER : bundle.HEADER + int.from_bytes(data[:4], "little")])[3]
    assert "statusline.segments.info" in first["statusline.segments.prompt"]
    _tag, modules, codes = bundle.disassemble(data)
    origin, _is_package, _size, _mtime, part = modules["statusline.segments.info"]
    source = Path(origin).read_text() + "\n1 // 0\n"  # in the bundle only
    codes[part]["statusline.segments.info"] = compile(source, origin, "exec")
    path.write_bytes(bundle.assemble(modules, codes, first))
    probe = (
        "import sys, statusline, statusline.segments as s\n"
        "for _ in range(2):\n"
        "    try:\n        statusline.load_module('statusline.segments.prompt')\n"
        "    except ZeroDivisionError:\n"
        "        print('raised', sum(n in sys.modules for n in ('statusline.segments.prompt',"
        " 'statusline.segments.info')), hasattr(s, 'info') or hasattr(s, 'prompt'))\n"
    )
    assert run_probe(package, probe).stdout.decode().split() == ["raised", "0", "False"] * 2
    env = dict(os.environ, PYTHONPATH=str(package.parent), NO_COLOR="1")
    body = payload(None, model={"id": "claude-opus-4-8", "display_name": "Opus 4.8"})
    out = subprocess.run(
        [sys.executable, "-m", "statusline"],
        input=body,
        capture_output=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert out.returncode == 0 and out.stdout.count(b"\n") == 1 and b"today" in out.stdout
    assert b"Opus" not in out.stdout  # the model segment's module failed


def test_a_module_reached_again_while_its_dependencies_are_made_runs_once(tmp_path):
    """A dependency made first whose own first run imports the module being made, by a way
    first_imports does not follow (an import under `try`): Python runs that module once (the
    dependency's import finds it in sys.modules), and so must load."""
    package = copy_package(tmp_path)
    look = package / "look.py"
    look.write_text(
        look.read_text()
        + "\ntry:\n    import statusline.segments.live as live\nexcept ImportError:\n    pass\n"
    )
    probe = (
        "import sys, statusline, statusline.segments\n"
        "m = statusline.load_module('statusline.segments.live')\n"
        "import statusline.look as look\n"
        "print(m is look.live is sys.modules['statusline.segments.live'] is statusline.segments.live)\n"
    )
    assert run_probe(package, probe).stdout.decode().split() == ["True"]  # Python's import
    bundle.write(str(package))
    assert run_probe(package, probe).stdout.decode().split() == ["True"]


def test_a_bundle_of_the_previous_layout_is_ignored_and_written_again(tmp_path):
    """parts-1 (a 3-tuple header, no first lists): Python imports everything, the bundle is not
    current, and writing it makes one this costline uses."""
    import marshal

    package = copy_package(tmp_path)
    bundle.write(str(package))
    path = Path(bundle.bundle_path(str(package)))
    found_tag, modules, codes = bundle.disassemble(path.read_bytes())
    streams = [marshal.dumps(part) for part in codes]
    parts = [(sum(map(len, streams[:n])), len(stream)) for n, stream in enumerate(streams)]
    header = marshal.dumps((found_tag.replace("parts-2", "parts-1"), modules, parts))
    path.write_bytes(len(header).to_bytes(bundle.HEADER, "little") + header + b"".join(streams))
    assert not bundle.is_current(str(package)) and loader_in(package.parent) == "SourceFileLoader"
    assert bundle.write(str(package)) and bundle.is_current(str(package))
    assert loader_in(package.parent) == "BundleLoader"
