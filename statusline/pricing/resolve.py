"""Map any model id seen in logs or payloads to a key of the price table.

Handles dated and undated ids, `-latest` aliases, Bedrock (`anthropic.…-v1:0`, regional
`us.`/`eu.`/`apac.`/`au.`/`jp.`/`us-gov.`/`global.` profiles, ARNs), Vertex (`…@20250929`),
`anthropic/` and other gateway prefixes, a `[1m]` suffix and dots for dashes. Matching is exact
after normalisation, never by substring, so `claude-opus-4` can never be taken for
`claude-opus-4-5`.
"""

from __future__ import annotations

from statusline.pricing.bundled import ALIASES, REGIONAL_PREMIUM, REGIONAL_PREMIUM_MODELS

_REGIONS = ("us-gov", "us", "eu", "apac", "au", "jp", "ca", "global")
_FAMILIES = ("opus", "sonnet", "haiku", "fable", "mythos")


def _strip_date(name: str) -> str:
    """Drop a trailing `-YYYYMMDD` (or Vertex `@YYYYMMDD`, already turned into a dash)."""
    if len(name) > 9 and name[-9] == "-" and name[-8:].isdigit():
        return name[:-9]
    return name


def _strip_bedrock_version(name: str) -> str:
    """Drop Bedrock's `-v1:0` / `-v2` / `:0` version suffix."""
    colon = name.rfind(":")
    if colon > 0 and name[colon + 1 :].isdigit():
        name = name[:colon]
    dash = name.rfind("-v")
    if dash > 0 and name[dash + 2 :].isdigit():
        name = name[:dash]
    return name


def _reorder_legacy(name: str) -> str:
    """`claude-4-opus` / `claude-4-5-sonnet` → `claude-opus-4` / `claude-sonnet-4-5`."""
    parts = name.split("-")
    if len(parts) >= 3 and parts[0] == "claude" and parts[1].isdigit() and parts[1] >= "4":
        for i in range(2, len(parts)):
            if parts[i] in _FAMILIES:
                version = parts[1:i]
                if all(p.isdigit() and len(p) <= 2 for p in version):
                    return "-".join(["claude", parts[i], *version, *parts[i + 1 :]])
                break
    return name


def normalise(model_id: str) -> tuple[str, bool]:
    """Canonical spelling of `model_id` and whether it named a Bedrock regional profile."""
    name = model_id.strip().lower()
    if name.endswith("[1m]"):
        name = name[:-4]
    if name.startswith("arn:"):
        name = name.rsplit("/", 1)[-1]
    # Gateway prefixes: keep the last path component (`bedrock/us-east-1/…`, `vertex_ai/…`).
    name = name.rsplit("/", 1)[-1]
    regional = False
    head, sep, rest = name.partition(".")
    if sep and head in _REGIONS:
        regional = head != "global"
        name = rest
    if name.startswith("anthropic."):
        name = name[len("anthropic.") :]
    name = _strip_bedrock_version(name)
    name = name.replace("@", "-").replace(".", "-").replace("_", "-")
    name = _strip_date(name)
    name = _reorder_legacy(name)
    return ALIASES.get(name, name), regional


def resolve(model_id: str, models: dict[str, object]) -> tuple[str | None, float]:
    """Table key for `model_id` (None when unknown) and its price multiplier."""
    name, regional = normalise(model_id)
    if name not in models:
        return None, 1.0
    multiplier = REGIONAL_PREMIUM if regional and name in REGIONAL_PREMIUM_MODELS else 1.0
    return name, multiplier
