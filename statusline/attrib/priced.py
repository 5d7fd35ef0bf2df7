"""Sums and their prices: adding summed buckets, pricing them (Rates), and the priced rows of a
selection of day summaries kept between runs (Kept).

A warm report asks the same question as the last one: the same days, every one of whose
summaries is still current. Summing those days' buckets and pricing them again costs in
proportion to the history (every session of every day), while the answer (a few dozen agent,
tool or model rows; a row per session) is small. So the priced rows are kept, in one file per
zone, under a key made of the question and of the identity of each day summary it read (a
random id given to a summary when it is made: a summary made again is another), and used only
while the price of every (model, class, price period) they priced is still the same: those
unit prices are kept beside the rows and priced again, a few hundred Pricer.usd calls, before
the rows are trusted. The file carries a digest: a corrupt one is ignored, never read as figures.
"""

from __future__ import annotations

import hashlib
import marshal
from typing import Any

from statusline import fs
from statusline.index.store import atomic_write
from statusline.report import Pricer

MAGIC = b"costline-priced\x00"
FORMAT = 1
KEPT_ANSWERS = 16  # questions kept per zone (by, each kind; the page's two), the oldest dropped
Triple = tuple[str, int, int]  # (model, class, price period)


class Rates:
    """Prices of summed buckets. A bucket's price is linear in its token sums for one model,
    class and price period (the reports sum buckets before pricing them on that ground), so
    each (model, class, period) is priced once per token kind through Pricer.usd and a bucket
    costs the dot product: thousands of session rows cost what a few hundred calls cost."""

    def __init__(self, pricer: Pricer) -> None:
        self.pricer = pricer
        self.memo: dict[Triple, list[float] | None] = {}
        self.at: dict[Triple, int] = {}  # the quarter-hour each triple was priced at

    def unit(self, key: Triple, qh: int) -> list[float] | None:
        """The price of one token of each kind (None: the model has no price)."""
        unit = [self.pricer.usd(qh, key[0], key[1], [float(i == k) for i in range(7)]) for k in range(7)]
        return [u for u in unit if u is not None] if None not in unit else None

    def note(self, key: Triple, qh: int) -> None:
        """Record the unit price of a triple priced elsewhere (by Pricer.usd at `qh`)."""
        if key not in self.memo:
            self.at[key] = qh
            self.memo[key] = self.unit(key, qh)

    def usd(self, model: str, cls: int, period: int, vec: list[float]) -> float | None:
        """Pricer.usd of the sums `vec` (its last field a quarter-hour of the period)."""
        key = (model, cls, period)
        if key not in self.memo:
            qh = self.at[key] = int(vec[-1])
            self.memo[key] = self.unit(key, qh)
        r = self.memo[key]
        if r is None:
            return None if any(vec[1:6]) else 0.0
        return (
            vec[0] * r[0]
            + vec[1] * r[1]
            + vec[2] * r[2]
            + vec[3] * r[3]
            + vec[4] * r[4]
            + vec[5] * r[5]
            + vec[6] * r[6]
        )

    def used(self) -> list[tuple[Triple, int, list[float] | None]]:
        """Every unit price this priced with, and where: what Kept checks before trusting rows."""
        return [(key, self.at[key], unit) for key, unit in self.memo.items()]

    def still(self, used: list[tuple[Triple, int, list[float] | None]]) -> bool:
        """Whether each of those unit prices is what the price table gives now."""
        return all(self.unit(tuple(key), qh) == unit for key, qh, unit in used)  # type: ignore[arg-type]


def add(sums: dict[Any, list[float]], key: object, vec: list[float], n: int) -> None:
    """Add the first `n` fields of `vec` into sums[key], whose last field is a quarter-hour of
    the price period (the first seen)."""
    got = sums.get(key)
    if got is None:
        sums[key] = [*vec[:n], vec[-1]]
    else:
        for i in range(n):
            got[i] += vec[i]


def add_timed(sums: dict[Any, list[float]], key: object, vec: list[float]) -> None:
    """add for [7 sums, first ms, last ms, quarter-hour]: the times are min and max."""
    got = sums.get(key)
    if got is None:
        sums[key] = list(vec)
    else:
        for i in range(7):
            got[i] += vec[i]
        got[7], got[8] = min(got[7], vec[7]), max(got[8], vec[8])


def question(*parts: Any) -> bytes:
    """The key of a question (what it asks, the ids of the summaries it reads)."""
    return hashlib.blake2b(marshal.dumps((FORMAT, *parts)), digest_size=16).digest()


class Kept:
    """The priced answers kept in one file (a zone's); read once, when first asked."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._answers: dict[bytes, Any] | None = None

    def answers(self) -> dict[bytes, Any]:
        if self._answers is None:
            try:
                doc = _decode(fs.read_private(self.path))
            except OSError:
                doc = None
            answers = doc.get("answers") if isinstance(doc, dict) else None
            self._answers = answers if isinstance(answers, dict) else {}
        return self._answers

    def get(self, key: bytes, rates: Rates) -> Any:
        """The rows kept for `key`, if every price they were made with still holds; else None."""
        found = self.answers().get(key)
        try:
            if found is not None and rates.still(found["used"]):
                return found["rows"]
        except (KeyError, TypeError, ValueError, IndexError):
            pass
        return None

    def put(self, key: bytes, rates: Rates, rows: Any, ids: dict[str, bytes], now: dict[str, bytes]) -> None:
        """Keep rows priced with `rates` from the day summaries `ids` (day → id). Answers made
        from a day that `now` (the current summaries' ids) has made again are dropped, and the
        oldest past KEPT_ANSWERS."""
        answers = self.answers()
        answers.pop(key, None)
        for old in list(answers):
            try:
                days = answers[old]["ids"]
                if any(now.get(day, made) != made for day, made in days.items()):
                    del answers[old]
            except (KeyError, TypeError, AttributeError):
                del answers[old]
        answers[key] = {"used": rates.used(), "ids": ids, "rows": rows}
        while len(answers) > KEPT_ANSWERS:
            del answers[next(iter(answers))]
        payload = marshal.dumps({"format": FORMAT, "answers": answers})
        try:
            fs.make_private_folder(fs.dirname(self.path))
            atomic_write(self.path, MAGIC + hashlib.blake2b(payload, digest_size=16).digest() + payload)
        except (OSError, ValueError):
            pass  # a cache that cannot be written: this report still has its figures


def _decode(data: bytes) -> object:
    """What a file of answers holds; None for anything that is not one, intact."""
    head = len(MAGIC) + 16
    if (
        data[: len(MAGIC)] != MAGIC
        or hashlib.blake2b(data[head:], digest_size=16).digest() != data[len(MAGIC) : head]
    ):
        return None
    try:
        doc = marshal.loads(data[head:])
    except (EOFError, ValueError, TypeError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else None
