"""How dollars read on the line: cents, with `+?` when some model could not be priced."""

from __future__ import annotations


def money(usd: float, unknown: bool = False, partial: bool = False) -> str:
    """`$7.82`, `$7.82+?` (a model without a price), `$7.82…` (still being computed)."""
    out = f"${usd:.2f}"
    if unknown:
        out += "+?"
    if partial:
        out += "…"
    return out
