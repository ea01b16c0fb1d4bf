"""Reading tables and vector files as users have them, and writing outputs atomically.

Tables: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX, read as text so that codes keep
their leading zeros and values like ``0.02L`` survive. Vector files (GeoPackage, Shapefile,
GeoJSON …) are read in bulk with pyogrio; a Shapefile honours its ``.cpg`` and is otherwise
tried as UTF-8, then GBK."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoenv.errors import InputError, Problem

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


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
    """

    path: Path
    layer: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    crs: str | None = None


@dataclass
class RawLayer:
    """A file as read: a DataFrame (tables) or GeoDataFrame (vector), before any mapping."""

    frame: pd.DataFrame
    source: LayerSource
    encoding: str | None
    is_table: bool

    def where(self, position: int) -> str:
        """How the user finds row ``position`` (0-based) in the file."""
        return f"row {position + 2}" if self.is_table else f"feature {position + 1}"


def is_table(path: Path) -> bool:
    """True for files geoenv reads as plain tables (CSV, XLSX)."""
    return path.suffix.lower() in TABLE_SUFFIXES


def read_layer(source: LayerSource) -> RawLayer:
    """Read a table or vector file as it is; raise :class:`InputError` naming the file."""
    path = Path(source.path)
    if not path.exists():
        raise InputError(Problem("no such file", file=str(path)))
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(Problem("the file is empty", file=str(path)))
    if is_table(path):
        frame, encoding = _read_table(path, source.layer)
        raw = RawLayer(frame, source, encoding, is_table=True)
    else:
        frame, encoding = _read_vector(path, source.layer)
        raw = RawLayer(frame, source, encoding, is_table=False)
    if len(raw.frame) == 0:
        what = "sheet" if path.suffix.lower() in {".xlsx", ".xlsm"} else "layer"
        raise InputError(Problem(f"the {what} has no rows", file=str(path)))
    return raw


def _read_table(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str | None]:
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        try:
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False, engine="openpyxl")
        except ValueError as exc:  # unknown sheet
            raise InputError(Problem(str(exc), file=str(path))) from exc
        except Exception as exc:  # a corrupt or non-xlsx file
            raise InputError(Problem(f"not a readable XLSX workbook ({exc})", file=str(path))) from exc
        return _strip(frame), None
    data = path.read_bytes()
    for encoding in TEXT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        bad = _first_bad_byte(data)
        raise InputError(
            Problem(
                f"undecodable text at line {bad}: the file is neither UTF-8 nor GBK; save it as CSV UTF-8 from Excel",
                file=str(path),
            )
        )
    if not text.strip():
        raise InputError(Problem("the file is empty", file=str(path)))
    sep = "\t" if path.suffix.lower() == ".tsv" else None
    try:
        frame = pd.read_csv(
            pd.io.common.StringIO(text),
            dtype=str,
            keep_default_na=False,
            sep=sep,
            engine="python",
            skipinitialspace=True,
        )
    except pd.errors.ParserError as exc:
        raise InputError(Problem(f"not a readable CSV table ({exc})", file=str(path))) from exc
    return _strip(frame), "UTF-8" if encoding == "utf-8-sig" else "GBK"


def _first_bad_byte(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data[: exc.start].count(b"\n") + 1
    return 1


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
        raise InputError(Problem(f"no such layer ({exc})", file=str(path))) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(f"undecodable text ({exc.reason}); add a .cpg naming the encoding", file=str(path))
        ) from exc
    except (pyogrio.errors.DataSourceError, pyogrio.errors.FieldError) as exc:
        raise InputError(Problem(f"not a readable vector file ({exc})", file=str(path))) from exc
    return frame, encoding


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
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return list(pd.ExcelFile(path, engine="openpyxl").sheet_names)
    if is_table(path):
        return [path.stem]
    return [str(name) for name, _ in pyogrio.list_layers(path)]
