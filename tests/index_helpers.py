"""Drive the index directly: ingest transcripts into a store and price what it holds."""

from __future__ import annotations

import os

from statusline import payload as jsonfast
from statusline.index.readback import range_buckets
from statusline.index.scan import scan
from statusline.index.store import Store
from statusline.pricing import MODELS, Priced, price_buckets
from statusline.timeutil import parse_iso_ms


def loads(line: bytes) -> object:
    return jsonfast.loads(str(line, "utf-8"))


def store() -> Store:
    return Store(os.environ["COSTLINE_CACHE_DIR"])


def refresh() -> Store:
    s = store()
    scan(s, loads)
    return s


def priced(start: str = "2000-01-01T00:00:00.000Z", end: str = "2100-01-01T00:00:00.000Z") -> Priced:
    s = refresh()
    return price_buckets(range_buckets(s, parse_iso_ms(start), parse_iso_ms(end)), MODELS)


def day(date: str) -> Priced:
    return priced(f"{date}T00:00:00.000Z", _next_day(date))


def _next_day(date: str) -> str:
    from statusline.timeutil import DAY_MS, utc_day_name

    return utc_day_name(parse_iso_ms(f"{date}T00:00:00.000Z") + DAY_MS) + "T00:00:00.000Z"
