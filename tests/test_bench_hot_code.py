"""bench/hot_code.py's stubs behave as the functions they stand for (its figures rest on that)."""

from __future__ import annotations

import builtins
import marshal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from hot_code import COLD_LOADER, lighten  # noqa: E402

SOURCE = """
import functools

def plain(a, b=[1], /, c=2, *args, d, e=(3,), **kw):
    return (a, b, c, args, d, e, kw)

def counting(n):
    yield from range(n)

def keep_me(x):
    return x + 1

class Shape:
    def __init__(self, side, *, scale=2):
        self.side = side * scale

    @property
    def area(self):
        return self.side * self.side

    @staticmethod
    def unit(k=1):
        return Shape(k)

    @classmethod
    def named(cls, side):
        return (cls.__name__, cls(side).side)

@functools.lru_cache
def cached(x, y=10):
    return [x, y]

class Square(Shape):
    def __init__(self, side):
        super().__init__(side, scale=1)

def closure(x):
    def inner():
        return x
    return inner()
"""


def test_stubbed_functions_give_what_the_functions_give(tmp_path: Path) -> None:
    code = compile(SOURCE, "shapes.py", "exec")
    light, cold = lighten("shapes", code, {"shapes:keep_me"}, factor=0)
    assert set(cold) >= {"plain", "counting", "Shape.__init__", "Shape.named", "cached"}
    assert "closure" in cold and not {"keep_me", "Square.__init__"} & set(cold)  # listed; super()'s cell
    (tmp_path / "cold").write_bytes(marshal.dumps({"shapes": cold}))
    loader: dict[str, object] = {"sys": sys}
    exec(COLD_LOADER.format(path=str(tmp_path / "cold")), loader)
    try:
        results = []
        for body in (code, light):
            module: dict[str, object] = {"__name__": "shapes"}
            exec(body, module)
            plain, shape = module["plain"], module["Shape"]
            before = plain.__code__  # type: ignore[attr-defined]
            results.append(
                (
                    plain(0, c=5, d=4),  # type: ignore[operator]
                    plain(0, [9], 1, 8, 7, d=6, z=5),  # type: ignore[operator]
                    list(module["counting"](3)),  # type: ignore[operator]
                    shape(3).area,  # type: ignore[operator]
                    shape.unit().side,  # type: ignore[attr-defined]
                    shape.named(2),  # type: ignore[attr-defined]
                    module["cached"](1),  # type: ignore[operator]
                    module["closure"](4),  # type: ignore[operator]
                    module["Square"](5).area,  # type: ignore[operator]
                    plain.__defaults__[0] is plain(0, d=1)[1],  # type: ignore[attr-defined,operator]
                )
            )
            if body is light:  # the stub's function now runs the function's own code
                assert before is not plain.__code__ and "__cold__" not in plain.__code__.co_names  # type: ignore[attr-defined]
        assert results[0] == results[1]
    finally:
        del builtins.__cold__  # type: ignore[attr-defined]
