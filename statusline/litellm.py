"""Download LiteLLM's price file and turn its Claude entries into price periods.

Only `https://` URLs (certificates checked by the default SSL context) are fetched, except plain
`http://` to loopback addresses, which is what the tests use. The request is conditional (ETag /
Last-Modified), has a timeout and a size cap. A download that is HTML, truncated, not JSON,
missing the Claude keys, or has negative or absurd prices is rejected with a one-line reason, and
the caller keeps its previous table.
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.parse
import urllib.request

import orjson

from statusline import __version__

# Above this a per-token price is surely a unit mistake ($1,000 per million tokens).
ABSURD_PER_TOKEN = 1e-3
MIN_CLAUDE_ENTRIES = 5
# LiteLLM per-token fields → our period fields (USD per million tokens).
_BASE = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_creation_input_token_cost",
    "cache_creation_input_token_cost_above_1hr",
    "cache_read_input_token_cost",
)


class FetchError(Exception):
    """A download that cannot be used; the message is the one-line reason."""


class NotModified(Exception):
    """The server says our copy is current (HTTP 304)."""


def check_url(url: str) -> None:
    """Allow https anywhere, plain http only to loopback addresses."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http":
        host = parts.hostname or ""
        if host == "localhost":
            return
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
        raise FetchError(f"refusing plain http to {host or url!r}: use https (http is for loopback only)")
    raise FetchError(f"unsupported URL scheme {parts.scheme!r}")


def fetch(
    url: str, timeout_s: float, max_bytes: int, etag: str | None, last_modified: str | None
) -> tuple[bytes, str | None, str | None]:
    """GET the file: (body, etag, last-modified); NotModified on 304; FetchError otherwise."""
    check_url(url)
    headers = {"User-Agent": f"costline/{__version__}", "Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchError(f"download larger than {max_bytes:,} bytes")
            return body, response.headers.get("ETag"), response.headers.get("Last-Modified")
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            raise NotModified from None
        raise FetchError(f"HTTP {exc.code} from {url}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot reach {url}: {exc.reason}") from None
    except TimeoutError:
        raise FetchError(f"timed out after {timeout_s:g} s") from None
    except OSError as exc:
        raise FetchError(f"download failed: {exc}") from None


def _rate(entry: dict[str, object], key: str, model: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if type(value) not in (int, float) or value != value:
        raise FetchError(f"{model}: {key} is not a number")
    if value < 0 or value > ABSURD_PER_TOKEN:  # type: ignore[operator]
        raise FetchError(f"{model}: absurd price {key}={value}")
    return float(value) * 1_000_000  # type: ignore[arg-type]


def _period(model: str, entry: dict[str, object]) -> tuple[object, ...]:
    """(since=0, in, out, 5m, 1h, read, tier, fast, context) in USD per million tokens."""
    rates = [_rate(entry, key, model) for key in _BASE]
    if rates[0] is None or rates[1] is None:
        raise FetchError(f"{model}: no input or output price")
    r_in = rates[0]
    cw5m = rates[2] if rates[2] is not None else r_in * 1.25
    cw1h = rates[3] if rates[3] is not None else r_in * 2
    cr = rates[4] if rates[4] is not None else r_in * 0.1
    tier = None
    for threshold, suffix in ((200_000, "_above_200k_tokens"), (100_000, "_above_100k_tokens")):
        t_in = _rate(entry, "input_cost_per_token" + suffix, model)
        if t_in is None:
            continue
        t_out = _rate(entry, "output_cost_per_token" + suffix, model) or rates[1]
        t_5m = _rate(entry, "cache_creation_input_token_cost" + suffix, model) or t_in * 1.25
        t_1h = _rate(entry, "cache_creation_input_token_cost_above_1hr" + suffix, model) or t_in * 2
        t_cr = _rate(entry, "cache_read_input_token_cost" + suffix, model) or t_in * 0.1
        tier = (threshold, t_in, t_out, t_5m, t_1h, t_cr)
        break
    extra = entry.get("provider_specific_entry")
    fast = extra.get("fast") if isinstance(extra, dict) else None
    fast = float(fast) if isinstance(fast, (int, float)) and 1 <= fast <= 100 else 1.0
    context = entry.get("max_input_tokens")
    context = int(context) if type(context) is int and context > 0 else 200_000
    return (0, r_in, rates[1], cw5m, cw1h, cr, tier, fast, context)


def parse_claude_entries(body: bytes) -> tuple[dict[str, tuple[object, ...]], dict[str, str]]:
    """First-party Claude prices and `-latest` aliases from the file, or FetchError."""
    head = body.lstrip()[:1]
    if head == b"<":
        raise FetchError("the download is HTML, not JSON")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise FetchError("the download is not valid JSON (truncated?)") from None
    if not isinstance(data, dict):
        raise FetchError("the download is not a JSON object")
    prices: dict[str, tuple[object, ...]] = {}
    aliases: dict[str, str] = {}
    for key, entry in data.items():
        if not isinstance(key, str) or not key.startswith("claude-") or not isinstance(entry, dict):
            continue
        target = entry.get("alias_of")
        if isinstance(target, str) and target.startswith("claude-"):
            aliases[key] = target
            continue
        if entry.get("litellm_provider") != "anthropic":
            continue
        prices[key] = _period(key, entry)
    if len(prices) < MIN_CLAUDE_ENTRIES:
        raise FetchError(f"the download has only {len(prices)} Claude entries (expected Anthropic models)")
    return prices, aliases
