"""Text as people read it: nouns counted in messages, and the width of text in a terminal
or a spreadsheet column (CJK characters take two)."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 error``, ``3 errors`` (``plural`` for nouns that do not take an s)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
