"""The TOML config file: where it is, what it may hold, and checking it (file:line for problems).

`$COSTLINE_CONFIG`, else `$XDG_CONFIG_HOME/costline/config.toml` (default `~/.config/costline`).
Loading never fails: a missing file gives the defaults, and every problem (bad TOML, an unknown
key, a wrong type, an impossible value) is reported as a warning with file and line while the
rest of the file still applies. The render path never parses TOML: it reads the compiled price
table, which records the stat signature of the config file it was built from (price_table.py).
"""

from __future__ import annotations

from statusline.paths import NOWHERE, config_location, config_path, config_refusal
from statusline.render import MAX_ROWS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_PRICING_URL = (
    "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
)

# [pricing] keys: name → (type, default, documentation)
PRICING_KEYS: dict[str, tuple[type, object, str]] = {
    "offline": (bool, False, "never use the network: no price downloads at all"),
    "url": (str, DEFAULT_PRICING_URL, "LiteLLM's model_prices_and_context_window.json"),
    "max_age_hours": (float, 24.0, "a render starts a background price refresh when the table is older"),
    "timeout_seconds": (float, 10.0, "download timeout"),
    "max_bytes": (int, 32 * 1024 * 1024, "download size cap"),
    "unknown_models": (
        str,
        "mark",
        '"mark": show `+?` and list them; "family": price as the newest of the family',
    ),
}
UNKNOWN_MODEL_MODES = ("mark", "family")
# [pricing.overrides."<model id>"] keys, USD per million tokens, plus an optional start date.
OVERRIDE_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


class Config:
    """The settings in force, and what was wrong with the file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pricing: dict[str, object] = {name: spec[1] for name, spec in PRICING_KEYS.items()}
        self.overrides: dict[str, dict[str, float]] = {}
        self.warnings: list[str] = []
        # What is worth knowing but not wrong (`config check` prints them and still succeeds).
        self.notes: list[str] = []
        # IANA zone for "today" and reports; None = the system's local time (or TZ).
        self.timezone: str | None = None
        # [line] segments: which segments, in which order (None = the default line).
        self.segments: list[str] | None = None
        # [line] session_source: "payload" (Claude Code's own), "computed" (from the logs), "both".
        self.session_source = "payload"
        # [line] dir_style: "basename", "fish" (~/s/app) or "full".
        self.dir_style = "basename"
        # [line] theme: "default", "plain" (ASCII, no colour) or "powerline" (Nerd Font).
        self.theme = "default"
        # [line] second_line: segments for an optional second row (empty = one row).
        self.second_line: list[str] = []
        # [line] rows: the rows of segment names, first to last (None = segments + second_line).
        self.rows: list[list[str]] | None = None
        # [line] icons: "none", "unicode" or "emoji" before each segment.
        self.icons = "none"
        # [line] model_effort: show the effort level (and ✻ when thinking) after the model.
        self.model_effort = False
        # [line] git_dirty: mark a branch with uncommitted changes (runs `git status`, cached 10 s).
        self.git_dirty = False
        # [line] padding: the statusLine `padding` set in Claude Code's settings (columns).
        self.padding = 0
        # [line.model_aliases]: display name or model id → a short label.
        self.model_aliases: dict[str, str] = {}
        # [budget] daily_usd: today turns yellow at half of it and red above it.
        self.daily_budget: float | None = None
        # [budget] monthly_usd: the month segment projects to month end against it.
        self.monthly_budget: float | None = None
        # [budget] weekly_usd: the week segment projects to week end against it.
        self.weekly_budget: float | None = None
        # [line] start_of_week: the day the week segment's weeks start on.
        self.week_start = 0
        # [budget] next_turn_usd: the next segment is highlighted from this floor (default $0.25).
        self.next_turn_budget: float | None = None
        # [line] compact_hint: the next segment suggests /compact when costly and past half full.
        self.compact_hint = False
        # [budget] tpm or team_size: the throughput segment's per-user tokens-per-minute allowance.
        self.tpm: float | None = None
        # [sync]: the folder several machines share (statusline/sync); only the keys given.
        self.sync: dict[str, object] = {}
        # [agents] items, [tools] items and min_pct: this session's split (segments agents, tools).
        self.agents_items = 3
        self.tools_items = 2
        self.tools_min_pct = 5.0
        # [commands.NAME]: your own commands, shown by `cmd:NAME` segments (runner.py runs them):
        # name → {"run": shell command, "every": seconds between runs, "timeout": seconds}.
        self.commands: dict[str, dict[str, object]] = {}


def _line_of(text: str, key: str) -> int:
    """1-based line where `key` first appears as a key (tomllib does not report positions)."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip().strip("[]").strip()
        if stripped.startswith((key, f'"{key}"')) or f'"{key}"' in line or f".{key}" in line:
            return number
    return 1


def _coerce(value: object, kind: type) -> object:
    if kind is float and type(value) in (int, float):
        return float(value)  # type: ignore[arg-type]
    if type(value) is kind:
        return value
    raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")


def _date_ms(value: object) -> int:
    """A TOML date or `YYYY-MM-DD` string as epoch ms (UTC midnight)."""
    from statusline.timeutil import parse_iso_ms

    text = value.isoformat() if hasattr(value, "isoformat") else value
    if not isinstance(text, str):
        raise TypeError("expected a date")
    ms = parse_iso_ms(text[:10] + "T00:00:00Z")
    if ms is None:
        raise ValueError(f"not a date: {text!r}")
    return ms


def _zone_exists(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


SEGMENT_NAMES = (
    "model",
    "session",
    "today",
    "context",
    "lines",
    "git",
    "limits",
    "spend",
    "next",
    "pr",
    "repo",
    "worktree",
    "session_name",
    "agent",
    "time",
    "mode",
    "dir",
    "block",
    "cache",
    "month",
    "week",
    "throughput",
    "agents",
    "tools",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LINE_CHOICES = {
    "session_source": ("payload", "computed", "both"),
    "dir_style": ("basename", "fish", "full"),
    "theme": ("default", "plain", "powerline"),
    "icons": ("none", "unicode", "emoji"),
}


# Names a newcomer tries for a segment (the README's words, other status lines'), and the
# segment meant; other mistakes get the closest name.
SEGMENT_ALIASES = {
    "ctx": "context",
    "cost": "session",
    "branch": "git",
    "cwd": "dir",
    "directory": "dir",
    "folder": "dir",
    "rate_limits": "limits",
    "usage": "limits",
    "duration": "time",
    "vim": "mode",
    "pull_request": "pr",
    "subagents": "agents",
}


def _unknown_segment(where: str, name: str) -> str:
    """One line for a name that is no segment: the segment it most likely means, if any."""
    import difflib

    guess = SEGMENT_ALIASES.get(name.lower()) or next(
        iter(difflib.get_close_matches(name.lower(), SEGMENT_NAMES, 1, 0.6)), None
    )
    hint = f', did you mean "{guess}"?' if guess else ""
    return f'{where}: no segment is called "{name}"{hint} (costline config segments lists them)'


def _segment_names(
    value: list[str], where: str, key: str, config: Config, warn: Callable[[str, str], None]
) -> list[str]:
    """The known segment names of a list, in order (`cmd:NAME` for each [commands.NAME]); each
    unknown one is warned about on a line of its own."""
    known = [v for v in value if v in SEGMENT_NAMES or v.removeprefix(COMMAND_PREFIX) in config.commands]
    for name in value:
        if name in known:
            continue
        command = name.removeprefix(COMMAND_PREFIX)
        if name == COMMAND_PREFIX:
            warn(
                key, f"{where}: cmd: needs the name of one of your commands, e.g. cmd:k8s for [commands.k8s]"
            )
        elif command != name:
            warn(key, f"{where}: {name} needs a [commands.{command}] table with a run")
        else:
            warn(key, _unknown_segment(where, name))
    return known


# [commands.NAME] keys: name → (default, documentation). Names are what a file name may hold.
COMMAND_PREFIX = "cmd:"
COMMAND_KEYS: dict[str, tuple[object, str]] = {
    "run": (None, "the command, run through the shell in the session's working directory"),
    "every": (30.0, "seconds between runs (at least 1)"),
    "timeout": (2.0, "seconds; killed after, and shown as failed (at most 60)"),
}
MAX_COMMANDS = 16
MAX_COMMAND_TIMEOUT_S = 60.0
COMMAND_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _load_commands(value: object, config: Config, warn: Callable[[str, str], None]) -> None:
    """`[commands.NAME]` tables: `run` (required), `every` and `timeout` in seconds."""
    if not isinstance(value, dict):
        warn("commands", "'commands' must be a table of [commands.NAME] tables")
        return
    for name, spec in value.items():
        if not (0 < len(name) <= 32 and set(name) <= COMMAND_NAME_CHARS):
            warn(name, f"commands.{name}: a name is 1-32 letters, digits, _ or -")
            continue
        if len(config.commands) >= MAX_COMMANDS:
            warn(name, f"commands.{name}: at most {MAX_COMMANDS} commands")
            continue
        if not isinstance(spec, dict):
            warn(name, f"commands.{name} must be a table with run, every and timeout")
            continue
        entry: dict[str, object] = {"every": COMMAND_KEYS["every"][0], "timeout": COMMAND_KEYS["timeout"][0]}
        for key, item in spec.items():
            if key not in COMMAND_KEYS:
                warn(key, f"unknown key 'commands.{name}.{key}' (known: {', '.join(COMMAND_KEYS)})")
            elif key == "run":
                if isinstance(item, str) and item.strip():
                    entry["run"] = item
                else:
                    warn(key, f"commands.{name}.run must be a command line")
            elif type(item) not in (int, float) or not (
                1 <= item <= 86400 if key == "every" else 0 < item <= MAX_COMMAND_TIMEOUT_S
            ):
                bounds = "1 to 86400" if key == "every" else f"above 0, at most {MAX_COMMAND_TIMEOUT_S:g}"
                warn(key, f"commands.{name}.{key} must be a number of seconds ({bounds})")
            else:
                entry[key] = float(item)
        if "run" not in entry:
            warn(name, f"commands.{name} has no run: not used")
            continue
        config.commands[name] = entry


def _load_rows(value: object, config: Config, warn: Callable[[str, str], None]) -> None:
    """`line.rows`: a list of rows, each a list of segment names (an empty row is dropped)."""
    if not isinstance(value, list):
        warn(
            "rows",
            'line.rows must be a list of rows of segment names, e.g. [["model", "today"], ["context"]]',
        )
        return
    for i, row in enumerate(value):
        if not isinstance(row, list) or not all(isinstance(v, str) for v in row):
            given, shown = (f'"{row}"', f'["{row}"]') if isinstance(row, str) else (row, '["name", …]')
            warn(
                "rows",
                f"line.rows, row {i + 1}: {given} is not a list of segment names (write {shown});"
                " line.rows is not used",
            )
            return
    if len(value) > MAX_ROWS:
        warn("rows", f"line.rows: {len(value)} rows, at most {MAX_ROWS} are shown")
    rows = [
        _segment_names(row, f"line.rows, row {i + 1}", "rows", config, warn)
        for i, row in enumerate(value[:MAX_ROWS])
    ]
    config.rows = [row for row in rows if row] or None  # no row with a segment: the shorthand's


def _load_line_and_budget(
    data: dict[str, object], config: Config, warn: Callable[[str, str], None], text: str
) -> None:
    line = data.get("line", {})
    if isinstance(line, dict):
        for key, value in line.items():
            if key in LINE_CHOICES:
                if value not in LINE_CHOICES[key]:
                    warn(key, f"line.{key} must be one of {', '.join(LINE_CHOICES[key])}")
                else:
                    setattr(config, key, value)
            elif key == "start_of_week":
                if value in WEEKDAYS:
                    config.week_start = WEEKDAYS.index(value)
                else:
                    warn(key, f"line.start_of_week must be one of {', '.join(WEEKDAYS)}")
            elif key == "padding":
                if type(value) is int and 0 <= value <= 40:
                    config.padding = value
                else:
                    warn(key, "line.padding must be a whole number of columns (0-40)")
            elif key in ("model_effort", "git_dirty", "compact_hint"):
                if isinstance(value, bool):
                    setattr(config, key, value)
                else:
                    warn(key, f"line.{key} must be true or false")
            elif key == "model_aliases":
                if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                    config.model_aliases = {str(k): v for k, v in value.items()}
                else:
                    warn(key, "line.model_aliases must map model names to short labels")
            elif key == "rows":
                _load_rows(value, config, warn)
            elif key not in ("segments", "second_line"):
                warn(key, f"unknown key 'line.{key}'")
            elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                warn(key, f"line.{key} must be a list of segment names")
            else:
                setattr(config, key, _segment_names(value, f"line.{key}", key, config, warn))
        if config.rows is not None and ("segments" in line or "second_line" in line):
            config.notes.append(
                f"{config.path}:{_line_of(text, 'rows')}: line.rows is set, so line.segments and"
                " line.second_line are not used"
            )
    budget = data.get("budget", {})
    if isinstance(budget, dict):
        for key, value in budget.items():
            if key not in ("daily_usd", "weekly_usd", "monthly_usd", "next_turn_usd", "tpm", "team_size"):
                warn(key, f"unknown key 'budget.{key}'")
            elif type(value) not in (int, float) or value <= 0:
                warn(key, f"budget.{key} must be a positive number")
            elif key == "daily_usd":
                config.daily_budget = float(value)
            elif key == "monthly_usd":
                config.monthly_budget = float(value)
            elif key == "next_turn_usd":
                config.next_turn_budget = float(value)
            elif key == "weekly_usd":
                config.weekly_budget = float(value)
            elif key == "tpm":
                config.tpm = float(value)
            elif config.tpm is None:
                config.tpm = float(tpm_for_team(int(value)))


# [sync] keys: name → (type, documentation); the defaults live in sync/settings.py.
SYNC_KEYS: dict[str, tuple[type, str]] = {
    "dir": (str, "the folder a sync tool keeps in step between machines; empty: sync off"),
    "machine": (str, "this machine's name as others see it (default: the host name)"),
    "share_names": (bool, "false: project names are published as hashes"),
    "stale_minutes": (int, "a machine whose share is older is marked stale"),
}


def _load_sync(data: dict[str, object], config: Config, warn: Callable[[str, str], None]) -> None:
    sync = data.get("sync", {})
    if not isinstance(sync, dict):
        warn("sync", "'sync' must be a table")
        return
    for key, value in sync.items():
        spec = SYNC_KEYS.get(key)
        if spec is None:
            warn(key, f"unknown key 'sync.{key}' (known: {', '.join(SYNC_KEYS)})")
        elif type(value) is not spec[0]:
            warn(key, f"sync.{key} must be {'true or false' if spec[0] is bool else spec[0].__name__}")
        elif key == "stale_minutes" and not 1 <= value <= 10080:  # type: ignore[operator]
            warn(key, "sync.stale_minutes must be 1-10080")
        elif key == "machine" and not 0 < len(value.strip()) <= 64:  # type: ignore[attr-defined]
            warn(key, "sync.machine must be 1-64 characters")
        else:
            config.sync[key] = value


# [agents] and [tools] keys: name → (attribute of Config, type, lowest, highest, what it is)
LIVE_KEYS: dict[str, dict[str, tuple[str, type, float, float, str]]] = {
    "agents": {"items": ("agents_items", int, 1, 20, "agents shown before the rest is folded")},
    "tools": {
        "items": ("tools_items", int, 1, 20, "tools shown"),
        "min_pct": ("tools_min_pct", float, 0, 100, "no tool under this share of the session's cost"),
    },
}


def _load_live(data: dict[str, object], config: Config, warn: Callable[[str, str], None]) -> None:
    """[agents] items, [tools] items and min_pct (segments.agents, segments.tools)."""
    for section, keys in LIVE_KEYS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            warn(section, f"'{section}' must be a table")
            continue
        for key, value in table.items():
            spec = keys.get(key)
            if spec is None:
                warn(key, f"unknown key '{section}.{key}' (known: {', '.join(keys)})")
                continue
            attr, kind, low, high, _doc = spec
            ok = type(value) is int or (kind is float and type(value) is float)
            if not ok or not low <= value <= high:
                what = "a whole number" if kind is int else "a number"
                warn(key, f"{section}.{key} must be {what} from {low:g} to {high:g}")
                continue
            setattr(config, attr, kind(value))


# Anthropic's recommended tokens-per-minute per user by team size (upper end of each range).
TEAM_TPM = ((5, 300_000), (20, 150_000), (50, 75_000), (100, 35_000), (500, 20_000))


def tpm_for_team(size: int) -> int:
    for limit, tpm in TEAM_TPM:
        if size <= limit:
            return tpm
    return 15_000


def load_config(path: str | None = None) -> Config:
    """Read and check the config file; never raises."""
    config = Config(path or config_path())
    if config.path.startswith(NOWHERE + "/"):  # none, or one others could change: not read
        where = config_location()
        why = config_refusal(where)
        if why:
            config.warnings.append(f"{where}: not read: {why} (see costline doctor)")
        return config
    try:
        with open(config.path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return config
    except OSError as exc:
        config.warnings.append(f"{config.path}: cannot read: {exc.strerror or exc}")
        return config
    import tomllib  # only when there is a file to parse

    text = raw.decode("utf-8", "replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        config.warnings.append(f"{config.path}: {exc}")
        return config

    def warn(key: str, message: str) -> None:
        config.warnings.append(f"{config.path}:{_line_of(text, key)}: {message}")

    for section in data:
        if section not in ("pricing", "timezone", "line", "budget", "sync", "commands", *LIVE_KEYS):
            warn(section, f"unknown section or key '{section}'")
    zone = data.get("timezone")
    if zone is not None:
        if not isinstance(zone, str) or not _zone_exists(zone):
            warn("timezone", f"timezone {zone!r} is not a known IANA zone; using local time")
        else:
            config.timezone = zone
    if "commands" in data:  # before [line], whose `cmd:NAME` segments name them
        _load_commands(data["commands"], config, warn)
    _load_line_and_budget(data, config, warn, text)
    _load_sync(data, config, warn)
    _load_live(data, config, warn)
    pricing = data.get("pricing", {})
    if not isinstance(pricing, dict):
        warn("pricing", "'pricing' must be a table")
        return config
    for key, value in pricing.items():
        if key == "overrides":
            continue
        spec = PRICING_KEYS.get(key)
        if spec is None:
            warn(key, f"unknown key 'pricing.{key}'")
            continue
        try:
            coerced = _coerce(value, spec[0])
        except TypeError as exc:
            warn(key, f"pricing.{key}: {exc}; using {spec[1]!r}")
            continue
        if key == "unknown_models" and coerced not in UNKNOWN_MODEL_MODES:
            warn(key, f"pricing.unknown_models must be one of {', '.join(UNKNOWN_MODEL_MODES)}")
            continue
        if type(coerced) in (int, float) and coerced <= 0:  # type: ignore[operator]
            warn(key, f"pricing.{key} must be positive")
            continue
        config.pricing[key] = coerced
    overrides = pricing.get("overrides", {})
    if not isinstance(overrides, dict):
        warn("overrides", "pricing.overrides must be a table of models")
        overrides = {}
    for model, fields in overrides.items():
        if not isinstance(fields, dict):
            warn(model, f"pricing.overrides.{model} must be a table")
            continue
        entry: dict[str, float] = {}
        for field, value in fields.items():
            if field == "since":
                try:
                    entry["since"] = float(_date_ms(value))
                except (TypeError, ValueError) as exc:
                    warn(model, f"pricing.overrides.{model}.since: {exc}")
                continue
            if field not in OVERRIDE_FIELDS:
                warn(
                    field,
                    f"unknown key 'pricing.overrides.{model}.{field}' (known: {', '.join(OVERRIDE_FIELDS)})",
                )
                continue
            if type(value) not in (int, float) or not 0 <= value < 10_000:
                warn(field, f"pricing.overrides.{model}.{field} must be a number of USD per MTok")
                continue
            entry[field] = float(value)
        if any(f in entry for f in OVERRIDE_FIELDS):
            config.overrides[model] = entry
    return config
