"""The session's last turn, for the segments that look ahead: its prompt size, when its prompt
cache expires, and what the next request costs per token.

Split from context.py (617 lines) by job: read from the transcript's tail only when a segment
asks (the context % when the payload lacks it, the cache and next-turn segments), so a line
without them never loads this code. The Context asks here, as it asks git.py, and segments stay
pure functions of the Context.
"""

from __future__ import annotations

from statusline import fs
from statusline.index.lines import BOM, might_carry_usage, parse_lean, prompt_class, usage_message
from statusline.payload import field, number, text
from statusline.pricing import period_at, period_rates, resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from statusline.context import Context

# How much of the transcript end to search for the last usage (context % fallback).
TAIL_BYTES = 256 * 1024


def last_response(ctx: Context) -> dict[str, object] | None:
    """The transcript's last assistant line that carries usage (read from its tail)."""
    transcript = ctx.transcript_path
    if not transcript or not fs.isfile(transcript):  # never open a FIFO or device
        return None
    try:
        with open(transcript, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - TAIL_BYTES))
            tail = fh.read(TAIL_BYTES)
    except OSError:
        return None
    for line in reversed(tail.split(b"\n")):
        if not might_carry_usage(line):
            continue
        try:
            obj = parse_lean(line.removeprefix(BOM))
        except (ValueError, RecursionError):
            continue
        found = usage_message(obj)
        if found is not None and found[0] is obj:  # the conversation's own turn, not a relay
            return obj
    return None


def last_prompt_tokens(ctx: Context) -> int | None:
    """Prompt size (input + cache writes + reads) of the transcript's last response."""
    usage = field(last_response(ctx) or {}, "message", "usage")
    if not isinstance(usage, dict):
        return None
    keys = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    return int(sum(number(usage.get(k)) or 0 for k in keys))


def cache_expiry_from_log(ctx: Context) -> float | None:
    """When the prompt cache expires, from the last response's time and its write's TTL."""
    from statusline.timeutil import parse_iso_ms

    last = last_response(ctx)
    if last is None:
        return None
    ts = parse_iso_ms(last.get("timestamp"))
    one_hour = number(field(last, "message", "usage", "cache_creation", "ephemeral_1h_input_tokens"))
    if ts is None:
        return None
    return ts / 1000 + (3600 if one_hour else 300)


def token_rates(ctx: Context, prompt_tokens: int) -> dict[str, float] | None:
    """USD per token for the payload's model now, for a request of `prompt_tokens`:
    input, output, write_5m, write_1h, read (per-request tier, region and fast mode applied)."""
    model_id = text(ctx.get("model", "id"))
    if not model_id:
        return None
    key, multiplier = resolve(model_id, ctx.models, ctx.config.get("aliases"))  # type: ignore[arg-type]
    if key is None:
        return None
    period = period_at(ctx.models[key], int(ctx.now_s * 1000))
    rates = period_rates(period, prompt_class(prompt_tokens))
    if ctx.get("fast_mode") is True:
        multiplier *= float(period[7])  # type: ignore[arg-type]
    names = ("input", "output", "write_5m", "write_1h", "read")
    return {name: float(rate) * multiplier / 1e6 for name, rate in zip(names, rates, strict=True)}


def context_window_for_model(ctx: Context) -> int | None:
    """The context window of the payload's model, from the price table."""
    model_id = text(ctx.get("model", "id"))
    if not model_id:
        return None
    if model_id.lower().endswith("[1m]"):
        return 1_000_000
    key, _ = resolve(model_id, ctx.models, ctx.config.get("aliases"))  # type: ignore[arg-type]
    return int(ctx.models[key][-1][8]) if key else None  # type: ignore[call-overload]
