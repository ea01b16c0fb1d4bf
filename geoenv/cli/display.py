"""Text for the terminal: user text shown with its control characters escaped, and tables
with columns aligned by display width, so Chinese text lines up."""

from __future__ import annotations

import re

import pandas as pd

from geoenv.text import BIDI_CHARACTERS, width

# C0 and C1 controls and DEL (ANSI/OSC escapes move the cursor, retitle the window, …), and
# the bidirectional controls that reorder what a terminal shows.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f" + BIDI_CHARACTERS + "]")


def printable(text: str) -> str:
    """``text`` with every control character shown escaped (``\\x1b``, ``\\n``), so that
    register text printed on a terminal is seen, never obeyed."""
    return _CONTROL.sub(_escaped, text)


def _escaped(match: re.Match) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return printable(str(value))


def format_table(frame: pd.DataFrame, headers: dict[str, str] | None = None) -> str:
    """The frame as aligned text: a header line, a rule, one line per row; numbers right-aligned."""
    headers = headers or {}
    names = [printable(str(headers.get(c, c))) for c in frame.columns]
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
