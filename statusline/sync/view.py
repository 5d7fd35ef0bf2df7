"""What `costline sync status` and `costline doctor` say about the machines in the folder."""

from __future__ import annotations

from statusline.sync.fold import Folded, Machine
from statusline.sync.settings import Settings


def lag_text(seconds: float) -> str:
    if seconds < 90:
        return f"{max(int(seconds), 0)}s"
    if seconds < 5400:
        return f"{int(seconds // 60)}m"
    if seconds < 172800:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def is_stale(machine: Machine, settings: Settings, now_s: float) -> bool:
    return not machine.own and now_s - machine.seen_s > settings.stale_minutes * 60


def rows(result: Folded, settings: Settings, now_s: float) -> list[dict[str, object]]:
    """One row per machine (this one first), for the table and --json alike."""
    out = []
    for m in sorted(result.machines, key=lambda m: (not m.own, m.name.casefold(), m.id)):
        problem = "forgotten" if m.forgotten else m.problem
        if not problem and is_stale(m, settings, now_s):
            problem = "stale"
        out.append(
            {
                "id": m.id,
                "name": m.name or m.id[:8],
                "own": m.own,
                "written": m.written,
                "lagSeconds": 0.0 if m.own else round(max(now_s - m.seen_s, 0.0), 1),
                "days": len(m.days),
                "problem": problem,
            }
        )
    return out


def summary(result: Folded, settings: Settings, now_s: float) -> tuple[bool, str]:
    """(ok, one line) for doctor's sync check."""
    found = rows(result, settings, now_s)
    others = [r for r in found if not r["own"] and r["problem"] != "forgotten"]
    if result.problem:
        return False, f"{settings.dir}: {result.problem}" + (f" ({result.detail})" if result.detail else "")
    worst = max((float(r["lagSeconds"]) for r in others), default=0.0)  # type: ignore[arg-type]
    problems = sorted({f"{r['name']}: {r['problem']}" for r in others if r["problem"]})
    if result.skipped:
        problems.insert(0, skipped_text(result))
    if result.moved:
        problems.insert(0, moved_text(result, rows_own_id(found)))
    text = f"{settings.dir}: {len(others) + 1} machines, largest lag {lag_text(worst)}"
    if problems:
        return False, text + "; " + "; ".join(problems[:3]) + (" …" if len(problems) > 3 else "")
    return True, text


def skipped_text(result: Folded) -> str:
    names = ", ".join(name[:10] for name in result.skipped[:3]) + (" …" if len(result.skipped) > 3 else "")
    return f"{len(result.skipped)} machine folders another user owns skipped ({names})"


def rows_own_id(found: list[dict[str, object]]) -> str:
    return next((str(r["id"]) for r in found if r["own"]), "")


def moved_text(result: Folded, own: str) -> str:
    return (
        f"another machine published under this one's id {result.moved[:8]} (a copied state dir):"
        f" this machine moved to {own[:8] or 'a new id'}, both shares kept"
    )
