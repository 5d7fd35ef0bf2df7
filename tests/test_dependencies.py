"""The user's design card fixes costline's runtime packages: click (CLI), orjson (JSON),
cachetools (memoizing). Another JSON parser (msgspec, simdjson, ujson) or any other runtime
dependency is a change of that card, not an optimisation: this test says so before it lands."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {"click", "orjson", "cachetools"}


def _name(requirement: str) -> str:
    for stop in "<>=!~;[ ":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower()


def test_runtime_dependencies_are_the_design_cards():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = {_name(r) for r in project.get("dependencies", [])}
    assert found == ALLOWED, f"runtime packages: the design card's {sorted(ALLOWED)}, not {sorted(found)}"


def test_the_package_imports_nothing_else_from_outside_the_standard_library():
    outside: set[str] = set()
    for path in (ROOT / "statusline").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".", 1)[0]
                if top != "statusline" and top not in sys.stdlib_module_names and top not in ALLOWED:
                    outside.add(f"{path.relative_to(ROOT)}: {top}")
    assert not outside, f"imports beyond the standard library and the design card's: {sorted(outside)}"
