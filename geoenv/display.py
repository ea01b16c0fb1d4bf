"""Tables for the terminal: columns aligned by display width, so Chinese text lines up."""

from __future__ import annotations

import unicodedata

import pandas as pd


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(frame: pd.DataFrame, headers: dict[str, str] | None = None) -> str:
    """The frame as aligned text: a header line, a rule, one line per row; numbers right-aligned."""
    headers = headers or {}
    names = [headers.get(c, c) for c in frame.columns]
    cells = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max([width(n), *(width(r[i]) for r in cells)]) for i, n in enumerate(names)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]

    def line(values: list[str]) -> str:
        padded = []
        for value, w, right in zip(values, widths, numeric, strict=True):
            gap = " " * (w - width(value))
            padded.append(gap + value if right else value + gap)
        return "  ".join(padded).rstrip()

    return "\n".join([line(names), "  ".join("-" * w for w in widths), *(line(r) for r in cells)])
