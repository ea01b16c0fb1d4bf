"""Where the table is in a sheet or CSV as bureaus keep them: the header row below title rows,
a units row and a 检出限 row under it, blank rows, notes under the table and merged cells.

Everything here works on rows of text (a list of lists of stripped strings, one per row of the
sheet or record of the CSV), so that workbooks and CSVs share one reading of their layout.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from geoenv.schema import (
    CAPACITY_UNITS,
    COLUMN_ALIASES,
    LAYER_KINDS,
    SCHEMAS,
    capacity_header,
    fold,
    header_column,
    parameter_code,
    unit_key,
)

HEADER_ROWS = 30
"""Rows searched for the header (title rows, a date line, 单位：… come above it)."""
NOTE_PREFIXES = ("注", "备注", "说明", "日期", "填表人", "填表", "制表人", "制表", "审核人", "审核", "填报人",
                 "填报单位", "填报", "数据来源", "资料来源", "联系人", "联系电话", "负责人", "统计人",
                 "核对", "校核")  # fmt: skip
"""What the first cell of a note row under a table starts with (注, 说明, 日期 and 备注 followed by
a colon, a number, a bracket or nothing: a section may be named 注滋口)."""
_SHORT = ("注", "备注", "说明", "日期")
_NOTE = re.compile(
    "^(?:(?:"
    + "|".join(_SHORT)
    + r")\s*(?:[:：、.．(（\d]|$)|"
    + "|".join(sorted(map(re.escape, set(NOTE_PREFIXES) - set(_SHORT)), key=len, reverse=True))
    + ")"
)
LIMIT_LABELS = ("检出限", "检出限值", "方法检出限", "检出下限", "最低检出限", "dl", "mdl")
"""The first cell of a detection-limit row under the header."""
UNIT_LABELS = ("单位", "计量单位", "unit", "units")
"""The first cell of a units row, when it has one."""
_UNIT = re.compile(
    r"^(?:[mμuµn]g/(?:l|m3|kg)|个/l|mpn/l|mpn/100ml|cfu/(?:l|ml|100ml)|无量纲|°c|℃|度|°|"
    r"m3/[sdh]|m³/[sdh]|万?(?:吨|t|m3|m³)/(?:日|天|d|年|a)|万?(?:吨|t|m3|m³)|k?m2?|km²|m/s|%|‰|"
    r"ms/m|μs/cm|us/cm|ntu|mm|cm|mv|hm2|亩|公顷|年)$"
)


def is_unit(text: str) -> bool:
    """Whether a cell is a unit (``mg/L``, ``μg/L``, ``个/L``, ``无量纲``, ``m³/d``, ``(km)`` …)."""
    value = unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")
    value = value.removeprefix("(").removesuffix(")").removeprefix("[").removesuffix("]")
    return bool(value) and (bool(_UNIT.match(value)) or unit_key(value) in CAPACITY_UNITS)


@dataclass
class Layout:
    """Where the parts of a table are, as positions in its rows (0-based).

    Attributes
    ----------
    header
        Position of the header row (-1: no rows).
    headers
        The column headers as written, repeated ones as ``经度.1`` (as pandas names them).
    data
        Positions of the data rows kept (blank rows, the units and 检出限 rows and notes left out).
    matched
        Header → canonical column (or ``parameter CODE``) for the layer's kind.
    missing
        Required columns of the kind not found (empty without a kind).
    units, detection_limits
        Header → the unit / limit written under it; ``units_row`` and ``limits_row`` their positions.
    notes
        Positions of the note rows under the table that were skipped.
    blank
        How many blank rows between the header and the end of the table were skipped.
    sub_header
        Position of a second header row (a two-level header merged in its first row), or None.
    filled
        Merged ranges (``C5:C18``) whose value was copied into every cell.
    """

    header: int
    headers: list[str]
    data: list[int]
    matched: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    units_row: int | None = None
    detection_limits: dict[str, str] = field(default_factory=dict)
    limits_row: int | None = None
    notes: list[int] = field(default_factory=list)
    blank: int = 0
    sub_header: int | None = None
    filled: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        """Whether the header holds every required column of the kind."""
        return bool(self.matched) and not self.missing


#: A merged range: first row, first column, last row, last column (0-based, inclusive).
Merged = tuple[int, int, int, int]


def recognise(headers: list[str], kind: str, mapped: dict[str, str] | None = None) -> dict[str, str]:
    """Header → canonical column of ``kind`` (the user's mapping first, then the aliases); for
    measurements also item columns as ``parameter CODE``."""
    mapped = mapped or {}
    by_header = {h: c for c, h in mapped.items()}
    found: dict[str, str] = {}
    for header in headers:
        if not header:
            continue
        canonical = by_header.get(header) or header_column(header, kind)
        if canonical:
            found[header] = canonical
        elif kind == "measurements" and parameter_code(header):
            found[header] = f"parameter {parameter_code(header)}"
        elif kind == "facilities" and capacity_header(header):  # 设计规模（万吨/日）
            found[header] = "capacity"
    return found


def lacking(found: dict[str, str], kind: str) -> list[str]:
    """Required columns of ``kind`` absent from ``found`` (recognise's answer), as the header a
    register would have (``经度``); for measurements, item columns or parameter and value."""
    have = set(found.values())
    out = [_label(kind, c) for c in SCHEMAS[kind].required if c not in have]
    items = any(v.startswith("parameter ") for v in have) or {"parameter", "value"} <= have
    if kind == "measurements" and not items:
        out.append(f"item columns (or {_label(kind, 'parameter')} and {_label(kind, 'value')})")
    return out


def _label(kind: str, column: str) -> str:
    aliases = COLUMN_ALIASES[kind].get(column, ())
    return aliases[0] if aliases else column


def find_layout(
    rows: list[list[str]],
    kind: str | None = None,
    *,
    mapped: dict[str, str] | None = None,
    merged: Sequence[Merged] = (),
) -> Layout:
    """Find header, units row, 检出限 row, data rows and trailing notes of a table.

    Parameters
    ----------
    rows
        The sheet or CSV as text, one list per row (blank rows as empty lists or empty cells).
    kind
        The layer the table should hold; its headers pick the header row among the first
        :data:`HEADER_ROWS`. Without one the first non-blank row is the header, unless a later
        one matches clearly more headers of some kind.
    mapped
        The user's canonical column → header, which count as recognised headers.
    merged
        Merged ranges of a workbook: a header cell merged down over the next row makes that row
        a second header row (its cells name the columns under a merged group).
    """
    filled = [i for i, row in enumerate(rows) if any(row)]
    if not filled:
        return Layout(-1, [], [])
    header = _header_row(rows, filled, kind, mapped)
    sub = _sub_header(rows, header, merged)
    if sub is None and _merged_down_onto(header, merged):  # the lower of two header rows was chosen
        header, sub = header - 1, header
    headers = list(rows[header])
    below = header + 1
    if sub is not None:
        upper = _across(headers, header, merged)
        headers = [s or h for h, s in zip(_pad(upper, len(rows[sub])), _pad(rows[sub], len(upper)), strict=True)]
        below = sub + 1
    headers = _trim(headers)
    layout = Layout(header, headers, [], sub_header=sub)
    # a units row and a 检出限 row, in either order, right under the header
    for position in range(below, min(below + 2, len(rows))):
        row = rows[position]
        cells = [(j, c) for j, c in enumerate(row) if c and j < len(headers)]
        if not cells:
            continue
        first = cells[0][1]
        labelled = fold(first) in {fold(x) for x in LIMIT_LABELS} or first.startswith(LIMIT_LABELS[:5])
        if layout.limits_row is None and labelled:
            layout.limits_row = position
            layout.detection_limits = {headers[j]: c for j, c in cells[1:] if headers[j]}
            continue
        rest = cells[1:] if fold(first) in {fold(x) for x in UNIT_LABELS} else cells
        if layout.units_row is None and rest and all(is_unit(c) for _, c in rest):
            layout.units_row = position
            layout.units = {headers[j]: c for j, c in rest if headers[j]}
            continue
        break
    start = max(p for p in (below - 1, layout.units_row, layout.limits_row) if p is not None) + 1
    body = [i for i in filled if i >= start]
    layout.notes = _notes(rows, body, width=sum(1 for h in headers if h))
    data = body[: len(body) - len(layout.notes)]
    layout.data = data
    layout.blank = (data[-1] - start + 1 - len(data)) if data else 0
    layout.headers = _unique([h or unnamed(j) for j, h in enumerate(headers)])
    if kind:
        layout.matched = recognise(layout.headers, kind, mapped)
        layout.missing = lacking(layout.matched, kind)
    return layout


def _header_row(rows: list[list[str]], filled: list[int], kind: str | None, mapped: dict[str, str] | None) -> int:
    """The row among the first :data:`HEADER_ROWS` non-blank ones that matches most headers."""
    candidates = filled[:HEADER_ROWS]
    kinds = [kind] if kind else list(LAYER_KINDS)
    scores = [max(len(recognise(rows[i], k, mapped if kind else None)) for k in kinds) for i in candidates]
    best = max(range(len(candidates)), key=lambda k: (scores[k], -k))
    if kind is None and scores[best] < scores[0] + 2:  # keep the first row unless clearly better
        return candidates[0]
    return candidates[best] if scores[best] else candidates[0]


def _sub_header(rows: list[list[str]], header: int, merged: Sequence[Merged]) -> int | None:
    """The row under the header when a header cell is merged across over sub-headers below it
    (``坐标`` over ``经度 纬度``), and other header cells are merged down over that row."""
    nxt = header + 1
    if nxt >= len(rows) or not merged:
        return None
    down = [m for m in merged if m[0] == header and m[2] >= nxt]
    across = [m for m in merged if m[0] == header == m[2] and m[3] > m[1]]
    if not down or not across:
        return None
    row = rows[nxt]
    covered = all(any(j < len(row) and row[j] for j in range(c0, c1 + 1)) for _, c0, _, c1 in across)
    return nxt if covered else None


def _merged_down_onto(header: int, merged: Sequence[Merged]) -> bool:
    """Whether a cell of the row above ``header`` is merged down over it (``所在河流`` A2:A3
    over a second header row 3)."""
    return header > 0 and any(m[0] == header - 1 and m[2] >= header for m in merged)


def _across(row: list[str], header: int, merged: Sequence[Merged]) -> list[str]:
    """The upper header row with each cell merged across copied into the columns it spans, so
    that a column under ``坐标`` (D2:E2) with no header of its own is named ``坐标``."""
    out = list(row)
    for r0, c0, _, c1 in merged:
        if r0 == header and c1 > c0 and c0 < len(out) and out[c0]:
            out = _pad(out, c1 + 1)
            out[c0 + 1 : c1 + 1] = [out[c0]] * (c1 - c0)
    return out


def unnamed(position: int) -> str:
    """The name of a column with no header, as the user finds it in Excel: ``列E``."""
    return f"列{get_column_letter(position + 1)}"


def is_unnamed(header: object) -> bool:
    """Whether ``header`` is a name :func:`unnamed` gives."""
    return bool(re.fullmatch("列[A-Z]{1,3}", str(header)))


def _notes(rows: list[list[str]], body: list[int], width: int) -> list[int]:
    """Trailing rows of ``body`` that are notes: a first cell starting with 注/备注/填表人/审核 …,
    or (in a table of three or more columns) a lone text cell."""
    notes: list[int] = []
    for position in reversed(body):
        cells = [c for c in rows[position] if c]
        lone = width >= 3 and len(cells) == 1 and not _is_number(cells[0])
        if not (_NOTE.match(cells[0]) or lone):
            break
        notes.append(position)
    return notes[::-1]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _pad(row: list[str], width: int) -> list[str]:
    return list(row) + [""] * (width - len(row))


def _trim(headers: list[str]) -> list[str]:
    end = len(headers)
    while end and not headers[end - 1]:
        end -= 1
    return headers[:end]


def _unique(headers: list[str]) -> list[str]:
    """Repeated headers as pandas names them: ``经度``, ``经度.1``, ``经度.2``."""
    seen: set[str] = set()
    out = []
    for header in headers:
        name, k = header, 0
        while name in seen:
            k += 1
            name = f"{header}.{k}"
        seen.add(name)
        out.append(name)
    return out


def fill_merged(rows: list[list[str]], merged: list[Merged], layout: Layout) -> None:
    """Copy the top-left value of each merged range that starts in a data row into every cell
    of it (in data rows), in place; record the ranges filled in ``layout.filled``."""
    data = set(layout.data)
    for r0, c0, r1, c1 in sorted(merged):
        if r0 not in data or (r0 == r1 and c0 == c1):
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else ""
        if not value:
            continue
        for r in range(r0, r1 + 1):
            if r not in data:
                continue
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            row[c0 : c1 + 1] = [value] * (c1 - c0 + 1)
        layout.filled.append(cell_range(r0, c0, r1, c1))


def cell_range(r0: int, c0: int, r1: int, c1: int) -> str:
    """A range as Excel writes it (``C5:C18``) from 0-based positions."""
    return f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"
