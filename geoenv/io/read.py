"""Reading tables and vector files as users have them, and writing outputs atomically.

Tables: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX, read as text so that codes keep
their leading zeros and values like ``0.02L`` survive. Vector files (GeoPackage, Shapefile,
GeoJSON …) are read in bulk with pyogrio; a Shapefile honours its ``.cpg`` and is otherwise
tried as UTF-8, then GBK."""

from __future__ import annotations

import codecs
import csv
import io
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

from geoenv.errors import InputError, Problem

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
#: Folders that are one vector data source (an Esri file geodatabase).
FOLDER_SUFFIXES = {".gdb"}
#: Sheets or layers named in a message, at most.
SHEETS_LISTED = 20
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
ZIP_MAGIC = b"PK\x03\x04"


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
    """

    path: Path
    layer: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    crs: str | None = None
    add: tuple[LayerSource, ...] = ()
    detection_limits: tuple[tuple[str, float], ...] = ()


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

    def where(self, position: int) -> str:
        """How the user finds row ``position`` (0-based) in the file."""
        return f"row {position + 2}" if self.is_table else f"feature {position + 1}"


def is_table(path: Path) -> bool:
    """True for files geoenv reads as plain tables (CSV, XLSX)."""
    return path.suffix.lower() in TABLE_SUFFIXES


def read_layer(source: LayerSource, kind: str | None = None) -> RawLayer:
    """Read a table or vector file as it is; raise :class:`InputError` naming the file.

    ``kind`` (sections, facilities …) is the layer the file should hold."""
    path = Path(source.path)
    check_readable(path)
    if is_table(path):
        frame, encoding = _read_table(path, source.layer)
        raw = RawLayer(frame, source, encoding, is_table=True)
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


def _read_table(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str | None]:
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _read_xlsx(path, sheet), None
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
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, sep=sep, engine="python", skipinitialspace=True
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(_csv_problem(exc, str(path))) from exc
    return _strip(frame), "UTF-8" if encoding == "utf-8-sig" else "GBK"


def _separator(text: str) -> str:
    """The field separator of a CSV: the one of ``, ; \\t |`` the header uses most (``,`` when
    none, a table of one column)."""
    header = text.lstrip("\n").split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
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


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    """One sheet (the first by default) as text; an empty or unknown sheet names the others."""
    names = sheet_names(path)
    name = sheet if sheet is not None else names[0] if names else None
    if name not in names:
        message = f"no sheet {name!r}; the workbook has {len(names)}: {listed_names(names)}"
        raise InputError(Problem(message, file=str(path)))
    frame = read_sheet(path, name)
    if frame.empty:
        what = "is empty" if len(frame.columns) == 0 else "has a header but no rows"
        first = " (the first)" if sheet is None else ""
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
        raise InputError(Problem(f"sheet {name!r}{first} {what}{hint}", file=str(path)))
    return frame


def listed_names(names: list[str]) -> str:
    """Names for a message: at most :data:`SHEETS_LISTED`, then how many more."""
    more = len(names) - SHEETS_LISTED
    return ", ".join(names[:SHEETS_LISTED]) + (f" and {more} more" if more > 0 else "")


def read_sheet(path: Path, name: str) -> pd.DataFrame:
    """Sheet ``name`` of a workbook as text, as it is (it may be empty)."""
    try:
        frame = pd.read_excel(path, sheet_name=name, dtype=str, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # a corrupt workbook fails in many ways inside openpyxl and zipfile
        message = f"not a readable XLSX workbook ({type(exc).__name__}: {exc})"
        raise InputError(Problem(message, file=str(path))) from exc
    return _strip(frame)


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook, in order; :class:`InputError` for a junk or truncated file."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            return [str(n) for n in book.sheet_names]
    except Exception as exc:  # zipfile.BadZipFile, KeyError, XML errors … for junk or truncated files
        broken = isinstance(exc, zipfile.BadZipFile)
        what = "truncated or not an XLSX workbook" if broken else "not a readable XLSX workbook"
        if broken and not _starts_with(path, ZIP_MAGIC) and _looks_like_text(path):
            message = "not an XLSX workbook but text: a CSV named .xlsx? rename it .csv"
            raise InputError(Problem(message, file=str(path))) from exc
        raise InputError(Problem(f"{what} ({type(exc).__name__}: {exc})", file=str(path))) from exc


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


def _strip(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.apply(lambda col: col.str.strip())


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
