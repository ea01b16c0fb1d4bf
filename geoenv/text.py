"""Text as people read it: nouns counted in messages, long names shortened, the width of text in a terminal or a
spreadsheet column (CJK characters take two), and register text whose bidirectional
controls are shown rather than obeyed."""

from __future__ import annotations

import unicodedata

#: The bidirectional controls (marks, embeddings, overrides, isolates): in a register's name
#: they would reorder what follows it on a page, a sheet or a terminal (``… (SX11) 24.4 km``
#: shown as ``mk 4.42 (11XS)``).
BIDI_CHARACTERS = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BIDI = {c: f"\\u{c:04x}" for c in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def bidi_shown(text: str) -> str:
    """``text`` with each bidirectional control written as its code (``\\u202e``)."""
    return text.translate(_BIDI)


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def shortened(text: object, chars: int) -> str:
    """``text`` cut to ``chars`` characters with "…" (a long register name on a map or a list;
    the tables show it whole)."""
    shown = str(text)
    return shown if len(shown) <= chars else shown[: chars - 1] + "…"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 error``, ``3 errors`` (``plural`` for nouns that do not take an s)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
