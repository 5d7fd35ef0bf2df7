"""Edit Claude Code's settings.json without disturbing anything else in it.

Only the text of the top-level `statusLine` value changes: other keys, their order, the
indentation, comments-free formatting and the final newline stay byte for byte. The file is
replaced atomically with its permissions kept, after a backup of the previous version. A file
that is not a JSON object is never touched: the error names its line and column.
"""

from __future__ import annotations

import json
import os
import stat
import time

from statusline import fs
from statusline.index.store import atomic_write

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

# Printed settings (diffs, errors, doctor) hide secrets: the value of any key, environment
# variable, option or header whose name looks like one, a URL's user info, bearer and sk- keys. The
# file itself is never changed by this; a false positive only hides a value from the eyes.
_SECRET_WORD = r"(?i:token|key|secret|passw|pwd|auth|credential|cookie)"
# A value in JSON-escaped text: it may hold \" and \\, never ends a JSON string early.
_VALUE = r"""(?:'[^'"]*'|\\"(?:[^"\\]|\\[^"])*\\"|\\.|[^\s"'\\])+"""
_SECRETS = (
    rf'(?P<key>"[^"\\]*{_SECRET_WORD}[^"\\]*"\s*:\s*")(?:[^"\\]|\\.)+'
    rf"|(?P<assign>(?<![\w.-])[\w.-]*{_SECRET_WORD}[\w.-]*=){_VALUE}"
    rf"|(?P<option>(?<![\w-])--?[\w.-]*{_SECRET_WORD}[\w.-]*\s+)(?!-){_VALUE}"
    rf"|(?P<header>(?<![\w-])[\w-]*{_SECRET_WORD}[\w-]*:[ \t]*){_VALUE}"
    r"|(?P<url>\b[a-zA-Z][\w+.-]*://)[^/\s@\"'\\]+@"
    rf"|(?P<bearer>\b(?i:bearer|basic)\s+){_VALUE}"
    r"|(?P<sk>\bsk-)(?:ant-|proj-|[A-Za-z0-9]{20})[\w-]*"
)


def mask_secrets(text: str) -> str:
    """JSON text (a settings file, a diff of one) with secret-looking values replaced by `***`."""
    import re  # only when something is printed: reading and writing settings need no regex

    return re.sub(_SECRETS, _masked, text)


def mask_command(command: str) -> str:
    """A status line command with its secrets masked (as a JSON string, so one grammar)."""
    return str(json.loads(mask_secrets(json.dumps(command, ensure_ascii=False))))


def _masked(match: re.Match[str]) -> str:
    prefix = match.group(match.lastgroup or 0)
    return prefix + ("***@" if match.lastgroup == "url" else "***")


class SettingsError(Exception):
    """A settings file costline will not edit; the message says why, with line and column."""


def settings_path(scope: str, cwd: str | None = None) -> str:
    """The settings file of a scope: user (~/.claude or CLAUDE_CONFIG_DIR), project or local."""
    if scope == "user":
        from statusline.paths import NOWHERE, config_dir_of, home_dir

        env = os.environ.get("CLAUDE_CONFIG_DIR", "").split(",")[0].strip()
        home = home_dir() or NOWHERE
        base = config_dir_of(os.path.expanduser(env)) if env else os.path.join(home, ".claude")
        return os.path.join(base, "settings.json")
    folder = os.path.join(cwd or os.getcwd(), ".claude")
    return os.path.join(folder, "settings.json" if scope == "project" else "settings.local.json")


def _parse(text: str, path: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); left untouched"
        ) from None
    if not isinstance(value, dict):
        raise SettingsError(f"{path}: not a JSON object; left untouched")
    return value


def _top_level_spans(text: str) -> tuple[dict[str, tuple[int, int, int]], int, int]:
    """Top-level keys → (key start, value start, value end); the object's `{` and `}` offsets."""
    decoder = json.JSONDecoder()
    ws = " \t\r\n"
    i = 0
    while text[i] in ws:
        i += 1
    opening = i
    i += 1
    spans: dict[str, tuple[int, int, int]] = {}
    while True:
        while text[i] in ws:
            i += 1
        if text[i] == "}":
            return spans, opening, i
        if text[i] == ",":
            i += 1
            continue
        key_start = i
        key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        while text[i] in ws or text[i] == ":":
            i += 1
        _, end = decoder.raw_decode(text, i)
        spans[key] = (key_start, i, end)
        i = end


def _indent_of(text: str, opening: int) -> str:
    """The indentation the file uses for top-level keys (two spaces if it has none)."""
    after = text[opening + 1 :]
    for line in after.splitlines()[1:2] or after.splitlines()[:1]:
        stripped = line.lstrip(" \t")
        if stripped.startswith('"'):
            return line[: len(line) - len(stripped)]
    return "  "


def render_value(value: object, indent: str) -> str:
    """A statusLine value laid out like the rest of a pretty-printed file."""
    if not indent:
        return json.dumps(value, separators=(",", ":"))
    step = len(indent.expandtabs()) if "\t" not in indent else None
    body = json.dumps(value, indent=step if step is not None else "\t")
    return body.replace("\n", "\n" + indent)


def with_status_line(text: str, path: str, value: object | None) -> str:
    """`text` with the top-level `statusLine` set to `value` (removed when None).

    A file with the key more than once (JSON allows it; the last one wins) has every copy
    removed first, so that no older status line can come back into force.
    """
    while text.strip() and _count_key(text, "statusLine") > 1:
        text = _with_status_line(text, path, None)
    return _with_status_line(text, path, value)


def _count_key(text: str, key: str) -> int:
    """How many times `key` appears among the top-level keys."""
    try:
        _parse(text, "")
    except SettingsError:
        return 0
    decoder = json.JSONDecoder(object_pairs_hook=lambda pairs: pairs)
    pairs = decoder.decode(text)
    return sum(1 for k, _ in pairs if k == key) if isinstance(pairs, list) else 0


def _with_status_line(text: str, path: str, value: object | None) -> str:
    if not text.strip():
        if value is None:
            return text
        return '{\n  "statusLine": ' + render_value(value, "  ") + "\n}\n"
    _parse(text, path)
    spans, opening, closing = _top_level_spans(text)
    indent = _indent_of(text, opening)
    pretty = "\n" in text[opening:closing]
    current = spans.get("statusLine")
    if value is None:
        if current is None:
            return text
        key_start, _, end = current
        # Take the entry with the comma that joined it to a neighbour, and its line.
        after = end
        while after < len(text) and text[after] in " \t":
            after += 1
        if after < len(text) and text[after] == ",":
            cut_end = after + 1
            cut_start = key_start
            while cut_start > 0 and text[cut_start - 1] in " \t":
                cut_start -= 1
            if pretty and cut_start > 0 and text[cut_start - 1] == "\n":
                cut_start -= 1
            return text[:cut_start] + text[cut_end:]
        before = key_start
        while before > opening and text[before - 1] in " \t\r\n":
            before -= 1
        if text[before - 1] == ",":
            before -= 1
        return text[:before] + text[end:] if before > opening else text[: opening + 1] + text[closing:]
    rendered = render_value(value, indent if pretty else "")
    if current is not None:
        _, start, end = current
        return text[:start] + rendered + text[end:]
    last_end = max((span[2] for span in spans.values()), default=None)
    entry = f'"statusLine": {rendered}' if pretty else f'"statusLine":{rendered}'
    if last_end is None:
        inside = f"\n{indent}{entry}\n" if pretty else entry
        return text[: opening + 1] + inside + text[closing:]
    sep = f",\n{indent}" if pretty else ","
    return text[:last_end] + sep + entry + text[last_end:]


def read_settings(path: str) -> tuple[str, dict[str, object]]:
    """The file's text and parsed object ('' and {} when it does not exist)."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:  # keep CRLF as it is
            text = fh.read()
    except FileNotFoundError:
        return "", {}
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not UTF-8 text; left untouched") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return text, (_parse(text, path) if text.strip() else {})


def write_settings(path: str, old_text: str, new_text: str, backup_dir: str | None) -> str | None:
    """Replace the file atomically, keeping its mode; return the backup's path (if any: none
    without a `backup_dir`, i.e. when the cache dir is refused)."""
    real = os.path.realpath(path)  # edit the target of a symlink, keep the link
    backup = None
    mode = 0o644
    if os.path.exists(real):
        mode = stat.S_IMODE(os.stat(real).st_mode)
        if not os.access(real, os.W_OK) or not os.access(os.path.dirname(real), os.W_OK):
            raise SettingsError(f"{path}: not writable; left untouched")
    if os.path.exists(real) and backup_dir is not None:
        try:  # install/ and its backups/ (the cache root too, when new): never a link planted there
            fs.make_private_folder(fs.dirname(backup_dir))
            fs.make_private_folder(backup_dir)
        except fs.Refused as exc:
            raise SettingsError(f"{exc.filename}: {exc.strerror}; left untouched") from None
        backup = os.path.join(backup_dir, f"settings-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.json")
        with open(real, "rb") as fh:  # a new private file, never through a link planted there
            atomic_write(backup, fh.read())
    if not os.path.exists(real):
        os.makedirs(os.path.dirname(real), exist_ok=True)
    atomic_write(real, new_text.encode("utf-8"))
    os.chmod(real, mode)
    del old_text
    return backup
