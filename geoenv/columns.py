"""Registers' headers → canonical columns: the :class:`Layer` a reader returns, with its
located problems, and the mapping of a file's headers by the user's ``--column`` and the aliases."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geoenv.crs import coordinate_source
from geoenv.errors import Problem
from geoenv.io import RawLayer
from geoenv.io.layout import is_unit, is_unnamed
from geoenv.io.read import unsaved_formula
from geoenv.schema import COLUMN_ALIASES, SCHEMAS, fold, header_column, header_note


@dataclass
class Layer:
    """One layer in the canonical schema, with what was found wrong with it.

    Attributes
    ----------
    kind
        sections, facilities, rivers, counties or measurements.
    data
        GeoDataFrame in EPSG:4326 (a DataFrame for measurements), positional index, so
        ``raw.where(i)`` locates row ``i`` in the file.
    raw
        The file as read.
    columns
        Canonical column → header in the file, for the columns that were recognised.
    problems
        Errors and warnings, located.
    """

    kind: str
    data: pd.DataFrame
    raw: RawLayer
    columns: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def file(self) -> str:
        """The file the layer came from."""
        return str(self.raw.source.path)

    def problem(self, position: int | np.integer, message: str, column: str | None = None, **kw: Any) -> Problem:
        """A problem located at row ``position`` and canonical ``column`` of this layer."""
        position = int(position)  # a row number from numpy (np.flatnonzero) is stored as a Python int
        header = self.columns.get(column, column) if column else None
        formula = self.raw.formulas.get((position, header)) if header else None
        if formula is not None:  # the cell is empty because no program computed it
            message = f"{message}: the cell is {unsaved_formula(formula)}"
        return Problem(message, file=self.file, where=self.raw.where(position), column=header, row=position, **kw)


def map_columns(raw: RawLayer, kind: str) -> tuple[pd.DataFrame, dict[str, str], list[Problem]]:
    """Rename the file's headers to canonical columns (user mapping first, then aliases).

    Returns the renamed frame, canonical → original header, and problems (missing columns,
    a mapping that names no column).
    """
    frame = raw.frame
    file = str(raw.source.path)
    problems: list[Problem] = list(raw.problems)  # the layout's own: notes skipped, a sheet chosen
    found: dict[str, str] = {}
    doubled: set[str] = set()
    for canonical, header in raw.source.columns.items():
        if header not in frame.columns:
            problems.append(
                Problem(
                    f"the mapping {kind}.{canonical}={header!r} names no column; the file has: "
                    + ", ".join(map(str, frame.columns)),
                    file=file,
                )
            )
        elif header in found.values():
            other = next(c for c, h in found.items() if h == header)
            problems.append(
                Problem(
                    f"--column maps {header!r} to both {other} and {canonical}: a column can be only one of them",
                    file=file,
                    column=str(header),
                )
            )
            doubled.add(canonical)
        else:
            found[canonical] = header
    position = {h: i for i, h in enumerate(frame.columns)}
    for header in frame.columns:
        shown, base = _shown_header(header, frame.columns)
        named = header_column(base, kind)
        if not named or header in found.values():
            continue
        if named not in found:
            found[named] = header
        elif named not in raw.source.columns:  # a column the user mapped wins without a word
            used = found[named]
            used_shown = _shown_header(used, frame.columns)[0]
            problems.append(
                Problem(
                    f"two columns give {named}: {used_shown!r} (column {position[used] + 1}, used) and "
                    f"{shown!r} (column {position[header] + 1}, ignored); rename or remove one"
                    + ("" if shown == used_shown else f", or choose with --column {kind}.{named}={shown}"),
                    file=file,
                    column=shown,
                    severity="warning",
                )
            )
    problems += _shifted_headers(found, raw, kind)
    schema = SCHEMAS[kind]
    has_points = not raw.is_table and schema.points
    missing = [
        c for c in schema.required if c not in found and c not in doubled and not (has_points and c in ("lon", "lat"))
    ]
    headers = [_shown_header(h, frame.columns)[0] for h in frame.columns if str(h) != "geometry"]
    listed = ", ".join(headers[:30]) + (f" … ({len(headers)} in all)" if len(headers) > 30 else "")
    hint = _encoding_hint(headers, raw.encoding, table=raw.is_table)
    if missing and hint:  # one message: every column is missing for the same reason
        problems.append(
            Problem(
                f"missing required columns {', '.join(missing)}; the file's headers are: {listed}{hint}",
                file=file,
            )
        )
        missing = []
    free = [h for h in headers if h not in found.values()]
    headerless = [h for h in headers if is_unnamed(h)]
    for column in missing:
        aliases = "、".join(_aliases(kind, column)[:4])
        # a header suggested for one column is not suggested for the next (经纬度 for lon, then
        # the column under it with no header of its own, 列E, for lat)
        example = _closest(free, _aliases(kind, column)) or next((h for h in headerless if h in free), "HEADER")
        if example in free:
            free.remove(example)
        problems.append(
            Problem(
                f"missing required column {column!r} (headers such as {aliases}); "
                f"map another column with --column {kind}.{column}={example}; the file's headers are: {listed}",
                file=file,
            )
        )
    renamed = frame.rename(columns={v: k for k, v in found.items()})
    if kind == "measurements" and "value" in found and "unit" not in found:
        renamed = _value_unit(renamed, found["value"], raw)
    return renamed, found, problems


def _value_unit(frame: pd.DataFrame, header: str, raw: RawLayer) -> pd.DataFrame:
    """Long-form results without a 单位 column take the unit of their value column from its
    header (``监测值(μg/L)``) or a units row under it, as a ``unit`` column."""
    note = header_note(header)
    unit = note if is_unit(note) else raw.units.get(header, "")
    return frame.assign(unit=unit) if unit else frame


def _shifted_headers(found: dict[str, str], raw: RawLayer, kind: str) -> list[Problem]:
    """An error for a coordinate header whose note names a shifted system (``经度（GCJ-02）``,
    ``纬度(百度)``) when neither ``--src-crs`` nor a 坐标来源 column says so: read as WGS84 the
    points would be some 500 m off."""
    if raw.source.crs or "coord_source" in found:
        return []
    for column, header in found.items():
        system = coordinate_source(header_note(header)) if column in ("lon", "lat") else None
        if system in SHIFTED:
            return [
                Problem(
                    f"the header {header!r} says the coordinates are {SHIFTED[system]}: declare it with "
                    f"--src-crs {kind}={system} (or a 坐标来源 column), so they are converted to WGS84",
                    file=str(raw.source.path),
                    column=str(header),
                )
            ]
    return []


SHIFTED = {"gcj02": "GCJ-02 (高德/腾讯)", "bd09": "BD-09 (百度)"}
"""The shifted systems a header's note may name, as a message says them."""

_MANGLED = re.compile(r"^(.*)\.(\d+)$")


def _shown_header(header: object, columns: pd.Index) -> tuple[str, str]:
    """The header as the user wrote it, and the one to match aliases on.

    pandas renames a repeated header ``经度`` to ``经度.1``; both are shown as ``经度``."""
    text = str(header)
    match = _MANGLED.match(text)
    if match and match.group(1) in columns:
        return match.group(1), match.group(1)
    return text, text


# What a misread encoding leaves: the replacement character, the private use area (Big5 or
# UTF-8 bytes read as GBK) and C1 controls; or Latin-1 letters and signs (GBK read as Latin-1),
# of which one alone (°, µ) may be real.
_GARBLED = re.compile("[\ufffd\ue000-\uf8ff\u0080-\u009f]")
_LATIN1 = re.compile("[\u00a1-\u017f]")


def _looks_garbled(header: str) -> bool:
    return bool(_GARBLED.search(header)) or len(_LATIN1.findall(header.replace("°", "").replace("µ", ""))) >= 2


_RECODINGS = (("gb18030", "big5", "Big5 (traditional Chinese)"), ("latin1", "gb18030", "GBK"),
              ("latin1", "utf-8", "UTF-8"), ("cp1252", "gb18030", "GBK"), ("cp1252", "utf-8", "UTF-8"),
              ("gb18030", "utf-8", "UTF-8"), ("utf-8", "gb18030", "GBK"))  # fmt: skip
"""(how the bytes were decoded, how they may have been meant, its name) to try on garbled headers."""


def _encoding_hint(headers: list[str], encoding: str | None, *, table: bool) -> str:
    """A note when the headers look like text read in the wrong encoding (mojibake), else ''.

    Names the encoding under which the headers read cleanly when one of :data:`_RECODINGS`
    does (Big5 read as GBK, GBK under a wrong ``.cpg`` …)."""
    garbled = [h for h in headers if _looks_garbled(h)]
    if not garbled:
        return ""
    read_as = f": the file was read as {encoding}" if table and encoding else ""
    hint = f". The headers look garbled ({', '.join(garbled[:3])}), so the encoding is probably wrong{read_as}"
    for wrong, right, name in _RECODINGS:
        try:
            fixed = [h.encode(wrong).decode(right) for h in headers[:6]]
        except UnicodeError:
            continue
        if fixed != headers[:6] and not any(_looks_garbled(h) for h in fixed):
            hint += f"; read as {name} they would be {', '.join(fixed)}"
            break
    return hint + ". Save the table as UTF-8 (CSV UTF-8 in Excel), or fix the shapefile's .cpg"


def _closest(headers: list[str], aliases: list[str]) -> str | None:
    """The header among ``headers`` most like one of ``aliases`` (``东经度`` for 经度), or None."""
    folded = {fold(h): h for h in headers}
    best: tuple[float, str | None] = (0.0, None)
    for alias in aliases:
        for match in difflib.get_close_matches(fold(alias), list(folded), n=1, cutoff=0.5):
            ratio = difflib.SequenceMatcher(None, fold(alias), match).ratio()
            best = max(best, (ratio, folded[match]), key=lambda b: b[0])
    return best[1]


def _aliases(kind: str, column: str) -> list[str]:
    return [column, *COLUMN_ALIASES[kind].get(column, ())]
