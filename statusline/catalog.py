"""What each segment looks like and which settings shape it, for `costline config segments`
and `costline preview --each` (never the render path).

A segment missing here is still listed: its example is left empty and its description is the
first line of its function's docstring (segments.SEGMENTS is the registry; this only adds
examples). tests/test_catalog.py asks for an entry for each, to keep the listing useful.
"""

from __future__ import annotations

# name → (an example of what it shows, the settings that shape it besides `line.rows`)
EXAMPLES: dict[str, tuple[str, str]] = {
    "model": ("Opus 4.8", "line.model_aliases, line.model_effort"),
    "session": ("$0.51 session", "line.session_source"),
    "today": ("$7.82 today", "budget.daily_usd, timezone"),
    "context": ("ctx 42%", ""),
    "lines": ("+156 −23", ""),
    "git": ("main*", "line.git_dirty"),
    "limits": ("5h 62% → full 15:40 · 7d 41%", ""),
    "spend": ("spend $42/$100 wk", ""),
    "next": ("next ≥ $0.08", "budget.next_turn_usd, line.compact_hint"),
    "pr": ("PR #123 ✓", ""),
    "repo": ("owner/name", ""),
    "worktree": ("wt feature-x", ""),
    "session_name": ("auth refactor", ""),
    "agent": ("agent reviewer (code-review)", ""),
    "time": ("22m · api 31%", ""),
    "mode": ("INSERT", ""),
    "dir": ("app", "line.dir_style"),
    "block": ("$3.20 block 2h left · $1.10/h → $5.40", ""),
    "cache": ("cache 3:10 · $0.23 if cold", ""),
    "month": ("$84.00 mtd → $160.00", "budget.monthly_usd"),
    "week": ("$42.00 wtd → $70.00", "budget.weekly_usd, line.start_of_week"),
    "throughput": ("12.3k tpm (41%)", "budget.tpm, budget.team_size"),
    "agents": ("main $1.20 · Explore $0.40 · +2 $0.05", "agents.items"),
    "tools": ("Read ~38% · Bash ~21%", "tools.items, tools.min_pct"),
}


# Segments that show nothing until something else has happened, and when their real figure
# appears (preview --each says it beside the example).
PENDING = {
    "agents": "this session's figure: after the next background refresh",
    "tools": "this session's figure: after the next background refresh",
}
# `cmd:NAME` when you have no [commands.NAME] yet: what one looks like and where it is set.
COMMAND_EXAMPLE = ("cmd:NAME", "prod-cluster", "commands.NAME")


def describe(name: str) -> str:
    """The first line of the segment function's docstring, read from its module's source (the
    render's bundle of compiled modules keeps no docstrings)."""
    import ast
    import os

    from statusline import segments

    module, function, _priority = segments.SEGMENTS.get(name, ("", "", 0))
    path = os.path.join(os.path.dirname(segments.__file__ or ""), f"{module}.py")
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return ""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return (ast.get_docstring(node) or "").split("\n", 1)[0].rstrip(".")
    return ""


def segment_entries() -> list[tuple[str, str, str]]:
    """(segment, example, settings) for every segment of the registry."""
    from statusline.segments import SEGMENTS

    out = []
    for name in SEGMENTS:
        example, keys = EXAMPLES.get(name, ("", ""))
        out.append((name, example or describe(name), keys))
    return out


def command_entries(cache: str) -> list[tuple[str, str, str]]:
    """(cmd:NAME, its last kept text, its settings) for each of your [commands.NAME]; with none,
    COMMAND_EXAMPLE."""
    from statusline.config import load_config
    from statusline.look import sanitise
    from statusline.runner import latest_results

    config = load_config()
    if not config.commands:
        return [COMMAND_EXAMPLE]
    kept = latest_results(cache)
    out = []
    for name in config.commands:
        result = kept.get(name, {})
        text = (
            f"{name} ?" if result.get("failed") else sanitise(str(result.get("text") or "(not run yet)"), 40)
        )
        out.append((f"cmd:{name}", text, f"commands.{name}"))
    return out
