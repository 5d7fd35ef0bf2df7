"""look.py's one list of what never reaches a terminal, checked against Unicode's categories."""

from __future__ import annotations

import sys
import unicodedata

from statusline import look

KEPT = {0x200C, 0x200D}  # ZWNJ and ZWJ: Persian and Indic words, emoji sequences


def test_the_list_covers_every_control_format_and_separator_character():
    listed = {cp for first, last in look.UNPRINTABLE for cp in range(first, last + 1)}
    wanted = {
        cp
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp") and cp not in KEPT
    }
    assert wanted - listed == set()
    assert all(unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp", "Cn") for cp in listed)
    assert not listed & KEPT
    assert not any(chr(cp).isprintable() for cp in listed)  # sanitise's fast path is sound


def test_sanitise_drops_them_and_caps_what_it_reads():
    assert look.sanitise("a\u202eb\u2028c\u061cd\x1b[31me\u200df") == "ab" + "cd[31me\u200df"
    assert look.sanitise("x" * 20_000, 10) == "x" * 9 + "…"
    assert look.sanitise("\u202e" * 5 + "ok", 10) == "ok"
