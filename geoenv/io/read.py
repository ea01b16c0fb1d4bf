"""Reading tables and vector files as users have them, and writing outputs atomically.

Tables: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX, read as text so that codes keep
their leading zeros and values like ``0.02L`` survive. Vector files (GeoPackage, Shapefile,
GeoJSON …) are read in bulk with pyogrio; a Shapefile honours its ``.cpg`` and is otherwise
tried as UTF-8, then GBK."""

from __future__ import annotations

import codecs
import csv
import datetime
import decimal
import html
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
from openpyxl.utils import column_index_from_string, get_column_letter

from geoenv.errors import InputError, Problem
from geoenv.io.layout import HEADER_ROWS, Layout, Merged, fill_merged, find_layout, lacking, unnamed
from geoenv.schema import SCHEMAS

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
#: Folders that are one vector data source (an Esri file geodatabase).
FOLDER_SUFFIXES = {".gdb"}
#: Sheets or layers named in a message, at most.
SHEETS_LISTED = 20
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
ZIP_MAGIC = b"PK\x03\x04"
#: Rows of each sheet read to choose the sheet of a layer (its header is in the first rows).
HEAD_ROWS = 2 * HEADER_ROWS


@dataclass(frozen=True)
class LayerSource:
    """Where one layer comes from and how to read it.

    Attributes
    ----------
    path
        The file.
    layer
        Layer of a GeoPackage, or sheet of a workbook; None for the first.
    columns
        Canonical column → the user's column, for headers no alias covers.
    crs
        The CRS of the coordinates when the file does not say (``--src-crs``).
    add
        Rivers only: the user's own river layers joined to these lines (``--add-rivers``).
    detection_limits
        Measurements only: (parameter code, detection limit in the standard's unit) from
        ``--detection-limits`` or ``[detection_limits]``, for 未检出 cells; the first given wins.
    outlets
        Rivers only: (lon, lat) where the lines drain, known of an embedded dataset (the
        ``--outlet`` options win).
    """

    path: Path
    layer: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    crs: str | None = None
    add: tuple[LayerSource, ...] = ()
    detection_limits: tuple[tuple[str, float], ...] = ()
    outlets: tuple[tuple[float, float], ...] = ()


@dataclass
class RawLayer:
    """A file as read: a DataFrame (tables) or GeoDataFrame (vector), before any mapping."""

    frame: pd.DataFrame
    source: LayerSource
    encoding: str | None
    is_table: bool
    #: Header → unit written in a units row under the header (``mg/L``, ``μg/L`` …).
    units: dict[str, str] = field(default_factory=dict)
    #: Header → detection limit written in a 检出限 row under the header (``0.01``, ``0.01L``).
    detection_limits: dict[str, str] = field(default_factory=dict)
    #: Tables: the row number the user sees (Excel's row, the CSV's line) of each row of ``frame``.
    rows: np.ndarray | None = None
    #: What reading the layout found (notes skipped under the table, a sheet chosen among several).
    problems: list[Problem] = field(default_factory=list)
    #: Tables: where header, units row, notes … were found (for ``geoenv info``).
    layout: Layout | None = None
    #: Workbooks: the sheet read, and why it was chosen when no ``--layer`` named it.
    sheet: str | None = None
    sheet_reason: str = ""
    #: Workbooks: (row position in ``frame``, header) → the formula of a cell with no saved value
    #: (read as empty; :meth:`geoenv.columns.Layer.problem` says so where such a cell is named).
    formulas: dict[tuple[int, str], str] = field(default_factory=dict)

    def where(self, position: int) -> str:
        """How the user finds row ``position`` (0-based) in the file."""
        if not self.is_table:
            return f"feature {position + 1}"
        if self.rows is not None and 0 <= position < len(self.rows):
            return f"row {self.rows[position]}"
        return f"row {position + 2}"


def is_table(path: Path) -> bool:
    """True for files geoenv reads as plain tables (CSV, XLSX)."""
    return path.suffix.lower() in TABLE_SUFFIXES


def read_layer(source: LayerSource, kind: str | None = None) -> RawLayer:
    """Read a table or vector file as it is; raise :class:`InputError` naming the file.

    ``kind`` (sections, facilities …) is the layer the file should hold: a table's header row
    is the one (below any title rows) that holds most of its columns, and a workbook's sheet,
    unless ``source.layer`` names one, the one whose header has the kind's required columns.
    Tables are read as text (see :mod:`geoenv.io.layout` for what is skipped)."""
    path = Path(source.path)
    check_readable(path)
    if is_table(path):
        raw = _read_table(source, kind)
    else:
        frame, encoding = _read_vector(path, source.layer)
        raw = RawLayer(frame, source, encoding, is_table=False)
    if len(raw.frame) == 0:
        what = "sheet" if path.suffix.lower() in XLSX_SUFFIXES else "layer"
        name = f" {source.layer!r}" if source.layer else ""
        raise InputError(Problem(f"the {what}{name} has no rows", file=str(path)))
    return raw


def check_readable(path: Path) -> None:
    """Raise :class:`InputError` unless ``path`` is a file (or a vector folder) geoenv may read.

    A missing file, an empty one, a folder named like a table or a file without read
    permission are each named, rather than failing later inside a reader.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(Problem("no such file", file=str(path)))
    if path.is_dir():
        if path.suffix.lower() not in FOLDER_SUFFIXES:
            raise InputError(Problem("is a folder, not a file", file=str(path)))
        return
    if not os.access(path, os.R_OK):
        raise InputError(Problem("cannot be read: permission denied", file=str(path)))
    if not path.is_file():
        raise InputError(Problem("is not a regular file (a device, FIFO or socket)", file=str(path)))
    if path.stat().st_size == 0:
        raise InputError(Problem("the file is empty", file=str(path)))


@dataclass
class Grid:
    """A table as rows of text, before its layout is read.

    Attributes
    ----------
    rows
        One list of stripped strings per row of the sheet (from row 1) or record of the CSV.
    numbers
        The row number the user sees for each position (the CSV line a record starts on);
        None for a sheet, where it is the position + 1.
    merged
        A workbook's merged ranges (see :data:`geoenv.io.layout.Merged`).
    encoding
        A CSV's encoding (UTF-8 or GBK); None for a workbook.
    """

    rows: list[list[str]]
    numbers: list[int] | None = None
    merged: list[Merged] = field(default_factory=list)
    encoding: str | None = None
    #: A workbook's formula cells with no saved value (row, column, 0-based) → the formula.
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)

    def number(self, position: int) -> int:
        """The row number the user sees for row ``position``."""
        return self.numbers[position] if self.numbers is not None else position + 1


def _read_table(source: LayerSource, kind: str | None) -> RawLayer:
    path = Path(source.path)
    if path.suffix.lower() not in XLSX_SUFFIXES:
        return table_layer(csv_grid(path), source, kind)
    book = open_book(path)
    try:
        names = [str(n) for n in book.sheetnames]
        name: str | None
        problems: list[Problem]
        if source.layer is not None:
            if source.layer not in names:
                message = f"no sheet {source.layer!r}; the workbook has {len(names)}: {listed_names(names)}"
                raise InputError(Problem(message, file=str(path)))
            name, reason, problems = source.layer, "named with --layer", []
        elif kind is None or len(names) <= 1:
            name, reason, problems = (names[0] if names else None), "the first" if kind is None else "the only", []
        else:
            name, reason, problems = choose_sheet(book, path, kind, source.columns)
        grid = sheet_grid(book, name, path) if name is not None else Grid([])
    finally:
        book.close()
    raw = table_layer(grid, source, kind)
    raw.sheet, raw.sheet_reason = name, reason
    raw.problems[:0] = problems
    if raw.layout is None or not raw.layout.data:
        _no_rows(path, names, name, source.layer is None, raw.layout)
    return raw


def _no_rows(path: Path, names: list[str], name: str | None, first: bool, layout: Layout | None) -> None:
    """Raise for an empty sheet, naming the sheets that have rows."""
    what = "is empty" if layout is None or layout.header < 0 else "has a header but no rows"
    first_text = " (the first)" if first and names and name == names[0] else ""
    others = [n for n in names if n != name]
    with_rows = _with_rows(path, others) if others else []
    if with_rows is None:
        hint = f"; the other sheets: {listed_names(others)}"
    elif with_rows:
        hint = f"; sheets with rows: {listed_names(with_rows)}"
    else:
        hint = f"; the other {len(others)} sheets have no rows either" if others else ""
    if others and with_rows != []:
        hint += "; choose one with --layer KIND=SHEET (layer = in geoenv.toml)"
    if name is None:
        raise InputError(Problem("the workbook has no sheets", file=str(path)))
    raise InputError(Problem(f"sheet {name!r}{first_text} {what}{hint}", file=str(path)))


def choose_sheet(
    book: openpyxl.Workbook, path: Path, kind: str, mapped: dict[str, str]
) -> tuple[str, str, list[Problem]]:
    """The sheet of ``book`` that holds layer ``kind`` (see :func:`pick_sheet`), judged on the
    first :data:`HEAD_ROWS` rows of each sheet."""
    heads = {str(n): sheet_grid(book, str(n), path, max_rows=HEAD_ROWS) for n in book.sheetnames}
    return pick_sheet(
        {n: find_layout(g.rows, kind, mapped=mapped, merged=g.merged) for n, g in heads.items()}, kind, path
    )


def pick_sheet(layouts: dict[str, Layout], kind: str, path: Path) -> tuple[str, str, list[Problem]]:
    """The sheet whose header has the required columns of ``kind``, given each sheet's layout.

    Returns the sheet, why it was chosen, and problems found choosing it (a warning for each
    other sheet with two or more of the layer's columns, passed over). When
    several sheets would do, :class:`InputError` names them with their recognised headers (read
    one with ``--layer``); when none does and more than one sheet has rows, it lists each sheet
    and what it lacks; with one sheet with rows, that one (its missing columns are reported when
    mapped).
    """
    names = list(layouts)
    fits = [n for n in names if layouts[n].fits]
    if len(fits) == 1:
        required = [h for h, c in layouts[fits[0]].matched.items() if c in SCHEMAS[kind].required]
        passed = [n for n in names if n != fits[0] and len(layouts[n].matched) >= 2]
        problems = [
            Problem(f"sheet {n} also has {kind} columns ({', '.join(layouts[n].matched)}) but {_lacks(layouts[n])}: "
                    f"not read (sheet {fits[0]} is); if its rows belong to the register, put them in one sheet",
                    file=str(path), severity="warning")
            for n in passed
        ]  # fmt: skip
        return fits[0], f"its header has {', '.join(required)}", problems
    if fits:  # which one is meant (this year's, a summary, one month of twelve) is the user's call
        shown = "; ".join(f"{n} ({', '.join(layouts[n].matched)})" for n in fits[:SHEETS_LISTED])
        more = f"; and {len(fits) - SHEETS_LISTED} more" if len(fits) > SHEETS_LISTED else ""
        message = (f"{len(fits)} sheets hold the {kind}: {shown}{more}; name the one to read with "
                   f"--layer {kind}=SHEET (layer = in geoenv.toml)")  # fmt: skip
        raise InputError(Problem(message, file=str(path)))
    with_rows = [n for n in names if layouts[n].header >= 0]
    if len(with_rows) <= 1:
        name = with_rows[0] if with_rows else names[0]
        return name, "the only sheet with rows" if with_rows else "the first", []
    lacks = [f"{n}: {_lacks(layouts[n])}" for n in with_rows[:SHEETS_LISTED]]
    more = f"; and {len(with_rows) - SHEETS_LISTED} more" if len(with_rows) > SHEETS_LISTED else ""
    message = (f"no sheet holds the {kind} ({', '.join(lacking({}, kind))}): " + "; ".join(lacks) + more
               + f"; name the sheet with --layer {kind}=SHEET, headers with --column {kind}.COLUMN=HEADER")  # fmt: skip
    raise InputError(Problem(message, file=str(path)))


def _lacks(layout: Layout) -> str:
    if layout.header < 0:
        return "empty"
    if not layout.matched:
        return "no header found"
    return "lacks " + ", ".join(layout.missing)


def table_layer(grid: Grid, source: LayerSource, kind: str | None) -> RawLayer:
    """The table of ``grid`` as a :class:`RawLayer`: its layout found, merged cells filled,
    blank rows, the units and 检出限 rows and the notes under it left out."""
    path = Path(source.path)
    rows = grid.rows
    layout = find_layout(rows, kind, mapped=source.columns, merged=grid.merged)
    if layout.header < 0:
        none = np.array([], dtype=int)
        return RawLayer(pd.DataFrame(), source, grid.encoding, is_table=True, rows=none, layout=layout)
    fill_merged(rows, grid.merged, layout)
    headers = layout.headers
    width = len(headers)
    if grid.numbers is not None:  # a CSV: fields past the header's are an error unless empty
        fields = len(rows[layout.header])
        extra = [i for i in layout.data if len(rows[i]) > max(fields, width) and any(rows[i][fields:])]
        if extra:
            raise InputError([
                Problem(f"{len(rows[i])} fields where the header has {fields}: quote values that hold the separator",
                        file=str(path), where=f"row {grid.number(i)}")
                for i in extra[:SHEETS_LISTED]
            ])  # fmt: skip
    else:  # a sheet: values right of the last header get columns of their own, as in pandas
        wider = max((_last(rows[i]) for i in layout.data if len(rows[i]) > width), default=0)
        headers = headers + [unnamed(j) for j in range(width, wider)]
        width = len(headers)
    pad = [""] * width
    data = [row[:width] if len(row) >= width else row + pad[len(row) :] for row in (rows[i] for i in layout.data)]
    frame = pd.DataFrame(data, columns=headers, dtype=str) if data else pd.DataFrame(columns=headers, dtype=str)
    empty = [h for j, h in enumerate(headers) if h == unnamed(j) and frame[h].eq("").all()]
    frame = frame.drop(columns=empty)
    layout.headers = [h for h in headers if h not in empty]
    numbers = np.array([grid.number(i) for i in layout.data], dtype=int)
    raw = RawLayer(frame, source, grid.encoding, is_table=True, units=dict(layout.units),
                   detection_limits=dict(layout.detection_limits), rows=numbers, layout=layout)  # fmt: skip
    if grid.formulas:
        _formulas(raw, grid, layout.data, headers)
    if layout.notes:
        first, last = grid.number(layout.notes[0]), grid.number(layout.notes[-1])
        span = f"row {first}" if first == last else f"rows {first}–{last}"
        text = next(c for c in rows[layout.notes[0]] if c)
        text = text if len(text) <= 30 else text[:30] + "…"
        n = len(layout.notes)
        raw.problems.append(Problem(f"{n} note row{'s' if n > 1 else ''} under the table skipped ({span}: {text})",
                                    file=str(path), severity="warning"))  # fmt: skip
    return raw


def unsaved_formula(formula: str) -> str:
    """What to say of a cell holding a formula with no saved value."""
    shown = formula if len(formula) <= 20 else formula[:20] + "…"
    return (f"a formula with no saved value (={shown}): open and save the workbook in Excel/WPS, "
            "or type the value")  # fmt: skip


def _formulas(raw: RawLayer, grid: Grid, data: list[int], headers: list[str]) -> None:
    """Record the data cells of ``raw`` (grid rows ``data``) that are formulas with no saved
    value, and warn of them."""
    position = {r: i for i, r in enumerate(data)}
    cells = sorted((r, c, f) for (r, c), f in grid.formulas.items() if r in position and c < len(headers))
    raw.formulas = {(position[r], headers[c]): f for r, c, f in cells if headers[c] in raw.frame.columns}
    if not cells:
        return
    refs = [f"{get_column_letter(c + 1)}{r + 1}" for r, c, _ in cells]
    listed = ", ".join(refs[:5]) + (f" … ({len(refs)} in all)" if len(refs) > 5 else "")
    n = len(cells)
    message = f"{n} cell{'s' if n > 1 else ''} read as empty ({listed}): {unsaved_formula(cells[0][2])}"
    raw.problems.append(Problem(message, file=str(raw.source.path), severity="warning"))


def _last(row: list[str]) -> int:
    """One past the last non-empty cell of ``row``."""
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return end


def csv_grid(path: Path) -> Grid:
    """A CSV or TSV as rows of text, each with the line it starts on; the encoding (UTF-8 or
    GBK) and separator found, binary data, ZIPs and undecodable rows refused with their row."""
    data = path.read_bytes()
    head = data[:8192]
    if head.startswith(ZIP_MAGIC):
        raise InputError(Problem(f"an XLSX workbook (or another ZIP), not a {path.suffix} text table; "
                                 "rename it .xlsx", file=str(path)))  # fmt: skip
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(Problem(f"binary data, not a {path.suffix} text table", file=str(path)))
    for encoding in TEXT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise InputError(_undecodable(data, str(path)))
    if not text.strip():
        raise InputError(Problem("the file is empty", file=str(path)))
    # Old Mac (CR only) and Windows line endings alike: one newline per line.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sep = "\t" if path.suffix.lower() == ".tsv" else _separator(text)
    reader = csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True)
    rows: list[list[str]] = []
    numbers: list[int] = []
    line = 0
    try:
        for record in reader:
            rows.append([cell.strip() for cell in record])
            numbers.append(line + 1)
            line = reader.line_num
    except csv.Error as exc:
        located = exc if "field limit" in str(exc) else csv.Error(f"{exc}, line {line + 1}")
        raise InputError(_csv_problem(located, str(path))) from exc
    return Grid(rows, numbers, [], "UTF-8" if encoding == "utf-8-sig" else "GBK")


def open_book(path: Path) -> openpyxl.Workbook:
    """A workbook opened read-only (close it); :class:`InputError` for a junk or truncated file."""
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, XML errors … for junk or truncated files
        broken = isinstance(exc, zipfile.BadZipFile)
        what = "truncated or not an XLSX workbook" if broken else "not a readable XLSX workbook"
        if broken and not _starts_with(path, ZIP_MAGIC) and _looks_like_text(path):
            message = "not an XLSX workbook but text: a CSV named .xlsx? rename it .csv"
            raise InputError(Problem(message, file=str(path))) from exc
        raise InputError(Problem(f"{what} ({type(exc).__name__}: {exc})", file=str(path))) from exc


def sheet_grid(book: openpyxl.Workbook, name: str, path: Path, *, max_rows: int | None = None) -> Grid:
    """Sheet ``name`` of an open workbook as rows of text from row 1 (the first ``max_rows``),
    with its merged ranges."""
    sheet = book[name]
    try:
        sheet.reset_dimensions()  # some writers record wrong dimensions; read every cell there is
        cells = sheet.iter_rows(min_row=1, max_row=max_rows, values_only=True)
        rows = [[_cell_text(v) for v in values] for values in cells]
        with book._archive.open(sheet._worksheet_path) as src:  # private in openpyxl, no public way
            xml = src.read()
        merged = _merged_ranges(xml)
        formulas = _unsaved_formulas(xml, len(rows))
    except Exception as exc:  # a corrupt sheet fails in many ways inside openpyxl and zipfile
        message = f"not a readable XLSX workbook ({type(exc).__name__}: {exc})"
        raise InputError(Problem(message, file=str(path))) from exc
    return Grid(rows, None, merged, None, formulas)


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_SAVED = re.compile(rb"<(?:\w+:)?v>[^<]")
_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f(?:\s[^>]*)?>([^<]*)<")


def _unsaved_formulas(xml: bytes, rows: int) -> dict[tuple[int, int], str]:
    """The formula cells of a sheet's XML in its first ``rows`` rows that have no saved value
    (a workbook written by a script and never opened in Excel: openpyxl reads them as empty)."""
    out: dict[tuple[int, int], str] = {}
    for match in _FORMULA.finditer(xml):  # formula cells only; none in most registers
        start = xml.rfind(b"<c ", 0, match.start())
        end = xml.find(b"</c>", match.start())
        cell = xml[start:end]
        ref = _CELL_REF.search(cell[: cell.find(b">")])
        if start < 0 or end < 0 or not ref or _SAVED.search(cell):
            continue
        row = int(ref.group(2)) - 1
        if row >= rows:
            break
        text = _FORMULA_TEXT.search(cell)
        out[row, _column_index(ref.group(1))] = html.unescape(text.group(1).decode()) if text else ""
    return out


def _merged_ranges(xml: bytes) -> list[Merged]:
    """The merged ranges of a sheet, from its XML (read-only sheets do not parse them)."""
    at = xml.rfind(b"<mergeCells")
    if at < 0:
        at = xml.rfind(b":mergeCells")
    if at < 0:
        return []
    return [
        (int(r0) - 1, _column_index(c0), int(r1) - 1, _column_index(c1)) for c0, r0, c1, r1 in _MERGE.findall(xml, at)
    ]


def _column_index(letters: bytes) -> int:
    return column_index_from_string(letters.decode("ascii")) - 1


def _cell_text(value: object) -> str:
    """A cell as the text the user sees: ``12`` for a whole number, a float to the 15
    significant digits Excel shows (``0.3``, not ``0.30000000000000004``), ``2023-01-15`` for
    a date (with the time unless midnight), errors as shown."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if type(value) is float:
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = f"{value:.15g}"
        return format(decimal.Decimal(text), "f") if "e" in text and math.isfinite(value) else text
    if type(value) is int:
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def _separator(text: str) -> str:
    """The field separator of a CSV: the one of ``, ; \\t |`` that some line among the first
    30 uses most (the header, whatever title lines come above it: ``说明: WGS84; 单位: 度`` has
    one ``;``, the header ten ``,``); ``,`` when none does (a table of one column)."""
    lines = [line for line in text.split("\n", 60)[:60] if line.strip()][:30]
    counts = {sep: max((line.count(sep) for line in lines), default=0) for sep in (",", "\t", ";", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _csv_problem(exc: Exception, file: str) -> Problem:
    """A located problem from the CSV parser's message (``Expected 5 fields in line 3, saw 6``)."""
    message = str(exc)
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        expected, line, saw = fields.groups()
        text = f"{saw} fields where the header has {expected}: quote values that hold the separator"
        return Problem(text, file=file, where=f"row {line}")
    line = re.search(r"line (\d+)", message)
    if "field larger than field limit" in message:
        message = f"a value longer than {csv.field_size_limit():,} characters: is this a table?"
    return Problem(f"not a readable CSV table ({message})", file=file, where=f"row {line.group(1)}" if line else None)


def _undecodable(data: bytes, file: str) -> Problem:
    """Where a file that decodes neither as UTF-8 nor as GBK goes wrong: the first line (= row)
    not in the encoding most of its lines are in, and what that line is in."""
    lines = data.split(b"\n")
    utf8 = np.array([_decodes(line, "utf-8") for line in lines])  # only on this failure path
    gbk = np.array([_decodes(line, "gb18030") for line in lines])
    mostly_utf8 = (utf8 & ~gbk).sum() > (gbk & ~utf8).sum()
    row = int(np.flatnonzero(~utf8 if mostly_utf8 else ~gbk)[0])
    if not utf8[row] and not gbk[row]:
        message = "undecodable text: this row is neither UTF-8 nor GBK; save the file as CSV UTF-8 from Excel"
    else:
        this, rest = ("GBK", "UTF-8") if mostly_utf8 else ("UTF-8", "GBK")
        message = f"undecodable text: this row is {this} but the rest of the file is {rest}; save it in one encoding"
    return Problem(message, file=file, where=f"row {row + 1}")


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def listed_names(names: list[str]) -> str:
    """Names for a message: at most :data:`SHEETS_LISTED`, then how many more."""
    more = len(names) - SHEETS_LISTED
    return ", ".join(names[:SHEETS_LISTED]) + (f" and {more} more" if more > 0 else "")


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook, in order; :class:`InputError` for a junk or truncated file."""
    book = open_book(path)
    try:
        return [str(n) for n in book.sheetnames]
    finally:
        book.close()


def _starts_with(path: Path, magic: bytes) -> bool:
    with path.open("rb") as f:
        return f.read(len(magic)) == magic


def _looks_like_text(path: Path) -> bool:
    """Whether the file's first few KB decode as UTF-8 or GBK without NUL bytes."""
    with path.open("rb") as f:
        head = f.read(4096)
    return b"\x00" not in head and any(_decodes(head[:-4] if len(head) == 4096 else head, e) for e in TEXT_ENCODINGS)


def _with_rows(path: Path, names: list[str]) -> list[str] | None:
    """The sheets that hold more than a header row, by the workbook's own dimensions (None
    when the workbook does not say)."""
    try:
        book = openpyxl.load_workbook(path, read_only=True)
        try:
            rows = {ws.title: ws.max_row for ws in book.worksheets}
        finally:
            book.close()
    except Exception:
        return None
    if any(n is None for n in rows.values()):
        return None
    return [n for n in names if (rows.get(n) or 0) > 1]


def _read_vector(path: Path, layer: str | None) -> tuple[gpd.GeoDataFrame, str | None]:
    try:
        if path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
            frame = pyogrio.read_dataframe(path, layer=layer, encoding="latin1")
            frame, encoding = _recode_latin1(frame, path)
        else:
            frame = pyogrio.read_dataframe(path, layer=layer)
            encoding = pyogrio.read_info(path, layer=layer).get("encoding")
    except pyogrio.errors.DataLayerError as exc:
        raise InputError(_no_layer(path, layer, exc)) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(f"undecodable text ({exc.reason}); add a .cpg naming the encoding", file=str(path))
        ) from exc
    except (pyogrio.errors.DataSourceError, pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
        raise InputError(_unreadable_vector(path, exc)) from exc
    return frame, encoding


def _unreadable_vector(path: Path, exc: Exception) -> Problem:
    """Why GDAL cannot read ``path``, in words: a Shapefile's missing part, a junk file."""
    if path.suffix.lower() == ".shp":
        missing = [s for s in (".shx", ".dbf") if not _sidecar(path, s)]
        if missing:
            parts = " and ".join(f"{path.stem}{s}" for s in missing)
            return Problem(f"the Shapefile is incomplete: {parts} missing beside it; copy every part", file=str(path))
    message = str(exc).split("; It might help", 1)[0].replace(f"'{path}' ", "").rstrip(".")
    if "malformed" in message or "file is not a database" in message:
        return Problem("damaged or truncated: the GeoPackage's database cannot be read", file=str(path))
    if len(message) > 200:
        message = message[:200] + " …"
    return Problem(f"not a readable vector file ({message})", file=str(path))


def _sidecar(path: Path, suffix: str) -> bool:
    return path.with_suffix(suffix).exists() or path.with_suffix(suffix.upper()).exists()


def _no_layer(path: Path, layer: str | None, exc: Exception) -> Problem:
    try:
        names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception:
        return Problem(f"no such layer ({exc})", file=str(path))
    return Problem(f"no layer {layer!r}; the file has {len(names)}: {listed_names(names)}", file=str(path))


def _recode_latin1(frame: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, str]:
    """Re-decode a Shapefile read byte-for-byte as Latin-1: UTF-8 if it decodes, else GBK."""
    texts = [str(c) for c in frame.columns] + [
        v
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])
        for v in frame[c].dropna()
        if isinstance(v, str)
    ]
    blob = "\x00".join(texts).encode("latin1")
    for encoding in ("utf-8", "gb18030"):
        try:
            blob.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise InputError(Problem("undecodable text: the .dbf is neither UTF-8 nor GBK; add a .cpg", file=str(path)))

    def recode(value: object) -> object:
        return value.encode("latin1").decode(encoding) if isinstance(value, str) else value

    frame = frame.rename(columns={c: recode(c) for c in frame.columns if c != "geometry"})
    for column in frame.columns:
        if column != "geometry" and (frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column])):
            frame[column] = frame[column].map(recode)
    return frame, "UTF-8" if encoding == "utf-8" else "GBK"


def list_layers(path: Path) -> list[str]:
    """Layer (or sheet) names of a file; a CSV has one unnamed layer."""
    path = Path(path)
    check_readable(path)
    if path.suffix.lower() in XLSX_SUFFIXES:
        return sheet_names(path)
    if is_table(path):
        return [path.stem]
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(_unreadable_vector(path, exc)) from exc
