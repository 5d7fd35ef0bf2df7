"""Following one transcript line by line: what enters its context (layout.py Context, which
splits each request's cost over it), each message's row, and what names its session and its
subagents.
"""

from __future__ import annotations

from typing import Any

from statusline.attrib.layout import CHARS_PER_TOKEN, CONVERSATION, Context
from statusline.index.lines import Skip, records_from_line

IMAGE_TOKENS = 1600  # Anthropic's cost of an image of about 1.15 megapixels, the usual cap
AGENT_TOOLS = ("Task", "Agent")  # the tool that starts a subagent (renamed Agent in 2.x)
TITLE_ORDER = ("custom-title", "ai-title", "summary", "prompt")  # what names a session, best first
PROMPT_CHARS = 80  # a first prompt as a session's name is cut to this


def _chars(value: object) -> int:
    """Characters of a value as it would be sent: strings as they are, anything else as compact
    JSON (no recursion: a tool's input can nest deeper than Python recurses)."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += 2 + sum(len(str(k)) + 4 for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            total += 2 + len(item)
            stack.extend(item)
        elif item is not None:
            total += len(str(item))
    return total


def clean_name(name: object, fallback: str = "unnamed tool") -> str:
    """A name from a transcript, safe to store and print: lone surrogates become U+FFFD."""
    if not isinstance(name, str) or not name:
        return fallback
    if name.isascii():
        return name
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in name)


def _content_tokens(content: object) -> float:
    """Estimated tokens of a tool result's or user message's content."""
    if isinstance(content, str):
        return len(content) / CHARS_PER_TOKEN
    if not isinstance(content, list):
        return _chars(content) / CHARS_PER_TOKEN
    tokens = 0.0
    for block in content:
        if isinstance(block, dict) and block.get("type") == "image":
            tokens += IMAGE_TOKENS
        elif isinstance(block, dict) and block.get("type") == "text":
            tokens += _chars(block.get("text")) / CHARS_PER_TOKEN
        else:
            tokens += _chars(block) / CHARS_PER_TOKEN
    return tokens


def _count(v: object) -> int:
    """A token count as the usage holds it: a positive int or float (not a bool), else 0."""
    if type(v) is int:  # the usual case
        return v if v > 0 else 0
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else 0


def _usage_vector(usage: dict[str, Any]) -> list[int]:
    """[input, 5m write, 1h write, read, output] of a usage object (records validated it)."""
    get = usage.get
    total_write = _count(get("cache_creation_input_tokens"))
    split = get("cache_creation")
    if isinstance(split, dict):
        w5, w1 = (
            _count(split.get("ephemeral_5m_input_tokens")),
            _count(split.get("ephemeral_1h_input_tokens")),
        )
        w5 += max(0, total_write - w5 - w1)
    else:
        w5, w1 = total_write, 0
    return [
        _count(get("input_tokens")),
        w5,
        w1,
        _count(get("cache_read_input_tokens")),
        _count(get("output_tokens")),
    ]


def _output_blocks(content: object, ctx: Context, agent_calls: dict[str, str]) -> list[list[Any]]:
    """[[bucket or None, chars]] of an assistant message's content; tool calls are remembered,
    and the calls that start a subagent with the type they ask for."""
    if isinstance(content, str):
        return [[CONVERSATION, len(content)]]
    if type(content) is list and len(content) == 1:  # the usual line: one text block
        block = content[0]
        if type(block) is dict and block.get("type") == "text" and "tool_use_id" not in block:
            text = block.get("text")
            return [[CONVERSATION, len(text) if type(text) is str else _chars(text)]]
    out: list[list[Any]] = []
    if not isinstance(content, list):
        return out
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "tool_use" or kind == "server_tool_use":
            raw = block.get("name")
            name = clean_name(raw)
            call_id = block.get("id")
            if isinstance(call_id, str):
                ctx.tools[call_id] = name
                if kind == "tool_use" and raw in AGENT_TOOLS:
                    inp = block.get("input")
                    agent_kind = inp.get("subagent_type") if isinstance(inp, dict) else None
                    agent_calls[call_id] = clean_name(agent_kind, "general-purpose")
            out.append([name, _chars(block.get("input")) + len(name)])
            continue
        result_of = block.get("tool_use_id")
        if isinstance(result_of, str):  # a server tool's result (web search, web fetch)
            out.append([ctx.tools.get(result_of, "unnamed tool"), _chars(block.get("content"))])
        elif kind == "thinking":
            out.append([None, _chars(block.get("thinking"))])
        elif kind == "text":
            text = block.get("text")
            out.append([CONVERSATION, len(text) if type(text) is str else _chars(text)])
        else:
            out.append([CONVERSATION, _chars(block)])
    return out


def session_title(titles: dict[str, str]) -> str:
    """A session's name from what its transcript held (Transcript.titles), or ""."""
    return next((titles[kind] for kind in TITLE_ORDER if titles.get(kind)), "")


def _prompt(line: dict[str, Any]) -> str:
    """A prompt the user typed, on one line and cut to PROMPT_CHARS; "" for any other user line
    (a tool result, a slash command or its output, a meta or compaction line, a subagent's)."""
    if line.get("isMeta") or line.get("isCompactSummary") or line.get("isSidechain") is True:
        return ""
    message = line.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # the first text block's, unless it holds a tool result
        text, found = None, False
        for block in content:
            if isinstance(block, dict):
                kind = block.get("type")
                if kind == "tool_result":
                    return ""
                if kind == "text" and not found:
                    text, found = block.get("text"), True
        content = text
    if not isinstance(content, str):
        return ""
    text = clean_name(" ".join(content.split()), "")
    if not text or text.startswith(("<", "Caveat:")):  # <command-name>, <local-command-stdout>, …
        return ""
    return text if len(text) <= PROMPT_CHARS else text[: PROMPT_CHARS - 1] + "…"


def _agent_id(env: dict[str, Any], outer: dict[str, Any]) -> str:
    """The subagent a sidechain line belongs to (its `agentId`, or a progress line's)."""
    for holder in (env, outer, outer.get("data")):
        if isinstance(holder, dict) and isinstance(holder.get("agentId"), str):
            return str(holder["agentId"])
    return ""


class Transcript:
    """The attribution of one transcript file, fed line by line (resumable from `saved`)."""

    def __init__(self, file_session: str, saved: dict[str, Any] | None = None) -> None:
        self.file_session = file_session
        saved = saved or {}
        self.main = Context(saved.get("main"))
        # Sidechain conversations logged inside this file (older Claude Code), one per agent.
        self.sides = {agent: Context(ctx) for agent, ctx in (saved.get("sides") or {}).items()}
        # message key → [sidechain, split, agent id]; key = message id + NUL + request id, as
        # the index deduplicates (read through `rows`: a pending message's split is made then)
        self._rows: dict[str, list[Any]] = saved.get("rows") or {}
        # subagent id → type, from this transcript's agent tool calls and their results
        self.spawned: dict[str, str] = saved.get("spawned") or {}
        self.agent_calls: dict[str, str] = saved.get("agent_calls") or {}
        # What can name the session, by line type: the latest `/rename` (custom-title), Claude
        # Code's name (ai-title), the latest `summary` line, the first prompt ("prompt").
        self.titles: dict[str, str] = saved.get("titles") or {}
        # Read since `summary` and the first prompt were kept (older states are read again).
        self.named = bool(saved.get("named")) or not saved

    @property
    def rows(self) -> dict[str, list[Any]]:
        """Every message's row, those of the messages still pending split as read so far."""
        self.main.split_due()
        for ctx in self.sides.values():
            ctx.split_due()
        return self._rows

    @rows.setter
    def rows(self, rows: dict[str, list[Any]]) -> None:
        self._rows = rows

    def saved(self) -> dict[str, Any]:
        rows = self.rows
        return {
            "main": self.main.saved(),
            "sides": {agent: ctx.saved() for agent, ctx in self.sides.items()},
            "rows": rows,
            "spawned": self.spawned,
            "agent_calls": self.agent_calls,
            "titles": self.titles,
            "named": self.named,
        }

    def feed(self, obj: object, records: list[tuple[object, ...]] | bool | None = False) -> None:
        """One parsed transcript line. `records`: its usage records as the index's reader made
        them (lines.records_of; None: it refused the line), when the caller has them already;
        False: made here. A line it cannot follow is passed over (the scan calls this directly
        for each line it parses: build.ColdRead)."""
        try:
            if type(obj) is not dict and not isinstance(obj, dict):
                return
            kind = obj.get("type")
            if kind == "assistant":
                if obj.get("isSidechain") is True:
                    self._line(obj, obj, True, records)
                    return
                message = obj.get("message")
                if type(message) is not dict or type(records) is not list or len(records) != 1:
                    if isinstance(message, dict):
                        self._assistant(obj, obj, message, self.main, False, "", records)
                    return
                # The usual line, as _assistant takes it, written out: a main-conversation response
                # with its one record, most often one text block.
                ctx = self.main
                msg_id = message.get("id")
                request_id = obj.get("requestId")
                pending = ctx.pending
                if pending is None or msg_id is None or pending[0] != msg_id or pending[1] != request_id:
                    if pending is not None:
                        ctx.settle()
                    pending = ctx.pending = [msg_id, request_id, None, []]
                content: Any = message.get("content")
                blocks: list[list[Any]] = pending[3]
                block = content[0] if type(content) is list and len(content) == 1 else None
                if type(block) is dict and block.get("type") == "text" and "tool_use_id" not in block:
                    text = block.get("text")
                    blocks.append([CONVERSATION, len(text) if type(text) is str else _chars(text)])
                else:
                    blocks.extend(_output_blocks(content, ctx, self.agent_calls))
                if not isinstance(message.get("usage"), dict):
                    return
                record = records[0]
                kept = pending[2]
                # The fullest copy, as the index keeps (the record's total: the sum of its counts).
                if kept is None or record[6] > sum(kept):
                    counts: list[int] = record[5]  # type: ignore[assignment]
                    kept = pending[2] = [counts[1], counts[3], counts[4], counts[5], counts[2]]
                key = f"{record[0]}\x00{record[1]}"
                row = self._rows[key] = [False, None, ""]  # split when the message is complete
                ctx.due[key] = (row, kept, len(blocks))
                return
            if kind == "user":
                message = obj.get("message")
                content = message.get("content") if type(message) is dict else None
                block = content[0] if type(content) is list and content else None
                result = type(block) is dict and block.get("type") == "tool_result"
                # A tool result's line is no prompt (_prompt's answer, found without it).
                if not result and "prompt" not in self.titles:
                    prompt = _prompt(obj)
                    if prompt:
                        self.titles["prompt"] = prompt
                if obj.get("isSidechain") is True:
                    self._line(obj, obj, True, records)
                    return
                if not isinstance(message, dict):
                    return
                if message.get("role") == "assistant" or isinstance(message.get("usage"), dict):
                    self._assistant(obj, obj, message, self.main, False, "", records)
                    return
                ctx = self.main
                if ctx.pending is not None:
                    ctx.settle()
                if result and len(content) == 1:  # the usual line: one tool result, as _user takes it
                    self._result(obj, block, ctx)  # type: ignore[arg-type]
                else:
                    self._user(obj, message, ctx)
                return
            if kind in ("custom-title", "ai-title"):
                title = obj.get("customTitle" if kind == "custom-title" else "aiTitle")
                if isinstance(title, str) and title.strip():
                    self.titles[kind] = clean_name(title.strip(), "")
                return
            if kind == "summary":
                summary = obj.get("summary")
                if isinstance(summary, str) and summary.strip():
                    self.titles["summary"] = clean_name(" ".join(summary.split()), "")
                return
            if kind == "progress":  # older Claude Code: a subagent's line in the parent's
                data = obj.get("data")
                inner = data.get("message") if isinstance(data, dict) else None
                if isinstance(inner, dict):
                    self._line(inner, obj, True, records)
                return
            self._line(obj, obj, obj.get("isSidechain") is True, records)
        except (ValueError, TypeError, RecursionError):
            pass  # a line it cannot follow is passed over (as build._feed passes over one)

    def _context(self, sidechain: bool, agent: str) -> Context:
        if not sidechain:
            return self.main
        ctx = self.sides.get(agent)
        if ctx is None:
            ctx = self.sides[agent] = Context()
        return ctx

    def _line(
        self, env: dict[str, Any], outer: dict[str, Any], sidechain: bool, records: list[Any] | bool | None
    ) -> None:
        # The context is looked up only for a line that changes it: any other line, as the
        # lines build.py does not parse, leaves the state as it was.
        agent = _agent_id(env, outer) if sidechain else ""
        kind = env.get("type")
        message = env.get("message")
        if kind == "system" and env.get("subtype") == "compact_boundary":
            self._context(sidechain, agent).clear()
            return
        if not isinstance(message, dict):
            return
        role = message.get("role")
        # A line whose message has usage is a response, whatever else it says (the index counts it).
        if kind == "assistant" or role == "assistant" or isinstance(message.get("usage"), dict):
            ctx = self._context(sidechain, agent)
            self._assistant(env, outer, message, ctx, sidechain, agent, records)
        elif kind == "user" or role == "user":
            ctx = self._context(sidechain, agent)
            ctx.settle()
            self._user(env, message, ctx)

    def _assistant(
        self,
        env: dict[str, Any],
        outer: dict[str, Any],
        message: dict[str, Any],
        ctx: Context,
        side: bool,
        agent: str,
        records: list[Any] | bool | None = False,
    ) -> None:
        msg_id = message.get("id")
        request_id = env.get("requestId") if env is outer else env.get("requestId", outer.get("requestId"))
        pending = ctx.pending
        # Lines of one response share its id; a line without an id is a response of its own.
        if pending is None or msg_id is None or pending[0] != msg_id or pending[1] != request_id:
            ctx.settle()
            pending = ctx.pending = [msg_id, request_id, None, []]
        pending[3].extend(_output_blocks(message.get("content"), ctx, self.agent_calls))
        if not isinstance(message.get("usage"), dict):
            return
        if records is None:  # refused by the index's reader
            return
        if records is True or records is False:
            try:
                # The index's own reader gives the keys it deduplicates by (advisors included).
                records = records_from_line(b"usage", lambda _: outer, self.file_session, candidate=True)
            except Skip:
                return
        if env is outer and records:  # the record read this very usage, validated: its counts
            counts: list[int] = records[0][5]  # type: ignore[assignment]
            usage = [counts[1], counts[3], counts[4], counts[5], counts[2]]
        else:  # a subagent's turn in a progress line: the record read the outer line
            usage = _usage_vector(message["usage"])
        if pending[2] is None or sum(usage) > sum(pending[2]):  # the fullest copy, as the index keeps
            pending[2] = usage
        due, rows = ctx.due, self._rows
        for record in records:
            key = f"{record[0]}\x00{record[1]}"
            row = rows[key] = [side, None, agent]  # split when the message is complete
            due[key] = (row, pending[2], len(pending[3]))

    def _user(self, env: dict[str, Any], message: dict[str, Any], ctx: Context) -> None:
        content = message.get("content")
        if not isinstance(content, list):
            ctx.add(CONVERSATION, _content_tokens(content))
            return
        for block in content:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                self._result(env, block, ctx)
            else:
                ctx.add(CONVERSATION, _content_tokens([block]))

    def _result(self, env: dict[str, Any], block: dict[str, Any], ctx: Context) -> None:
        """A tool result: its tool's, and the subagent its agent call started."""
        call_id = block.get("tool_use_id")
        body = block.get("content")
        tokens = len(body) / CHARS_PER_TOKEN if type(body) is str else _content_tokens(body)
        if not isinstance(call_id, str):
            ctx.add("unnamed tool", tokens)
            return
        ctx.add(ctx.tools.pop(call_id, "") or "unnamed tool", tokens)
        agent_kind = self.agent_calls.pop(call_id, "")
        result = env.get("toolUseResult") if agent_kind else None
        if isinstance(result, dict) and isinstance(result.get("agentId"), str):
            self.spawned[result["agentId"]] = agent_kind
