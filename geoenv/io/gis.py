"""Vector files that bureau desktops open: GeoPackage 1.2 and shapefiles with a ``.cpg``.

Every GeoPackage geoenv writes is version 1.2 (:data:`GPKG_OPTIONS`): GDAL writes 1.4 by
default, which Debian's GDAL (and so many QGIS installs) opens only with "may only be
partially supported", and ArcMap 10.x not at all.

A command's table of placed things (sections, facilities, reaches, a trace) goes where its
``-o`` says (:func:`table_files`): ``X.csv`` (or a name without a suffix) a table, ``X.gpkg`` a GeoPackage 1.2 in WGS84
with the table's English column names, ``X.shp`` a shapefile in WGS84: ``X.shp .shx .dbf
.prj .cpg`` written as one set by :func:`geoenv.io.write.write_files` (all appear or none).
A shapefile holds one kind of geometry, so a second layer (a trace's reaches) is a second
shapefile beside it, ``X_reaches.shp``. Its text is UTF-8 (``.cpg`` ``UTF-8``) or, for
ArcMap, GBK (``.cpg`` ``936``, the code page ArcGIS and GDAL both read). Field names are at
most 10 bytes: the long English names are shortened by the fixed table :data:`FIELD_NAMES`
(ASCII, the same in either encoding, so that a script reads one name whatever the file's
encoding). What a shapefile cannot hold is refused, naming the row and column, rather than
written wrong: text of more than 254 bytes (GDAL would cut it) and, in GBK, characters GBK
does not have (the message says to write UTF-8 or a GeoPackage instead).
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoenv.errors import OutputError, Problem
from geoenv.io.write import Writer, csv_writer, safe_stem

if TYPE_CHECKING:
    import geopandas as gpd

GPKG_OPTIONS = {"VERSION": "1.2"}
"""GDAL's dataset creation options of every GeoPackage geoenv writes (version 1.2)."""

#: ``--encoding`` → (GDAL's name of it, the text of the ``.cpg``).
ENCODINGS = {"utf-8": ("UTF-8", "UTF-8"), "gbk": ("CP936", "936")}
#: The files of one shapefile, in the order they are written.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: Files GIS programs keep beside a shapefile (spatial indexes, metadata), which geoenv does not
#: write: one left from an older shapefile of that name would describe the wrong features.
SHAPEFILE_SIDECARS = (".qix", ".sbn", ".sbx", ".shp.xml", ".aih", ".ain", ".atx", ".fbn", ".fbx", ".ixs", ".mxs")
#: What ``-o`` of a command with a table of placed things may end with.
TABLE_SUFFIXES = (".csv", ".gpkg", ".shp")
MAX_FIELD_BYTES = 10
MAX_TEXT_BYTES = 254
#: The date every shapefile's ``.dbf`` header carries (same input, same bytes).
DBF_DATE = "1980-01-01"

FIELD_NAMES = {
    "code_generated": "code_gen",
    "id_generated": "id_gen",
    "target_class": "targ_class",
    "admin_match": "admin_mtch",
    "capacity_unit": "cap_unit",
    "outfall_lon": "out_lon",
    "outfall_lat": "out_lat",
    "downstream_code": "down_code",
    "downstream_name": "down_name",
    "upstream_codes": "up_codes",
    "upstream_names": "up_names",
    "distance_km": "dist_km",
    "control_km": "ctrl_km",
    "meets_target": "meets_tgt",
    "arrival_time": "arr_time",
    "main_pollutants": "main_poll",
    "pathlength_km": "pathlen_km",
    "arbolate_sum": "arbolate",
    "dn_levelpath": "dn_lvlpath",
    "to_given_outlet": "to_outlet",
    "velocity_ms": "velocity",
}
"""Shapefile field names of the long column names (the others are at most 10 bytes already)."""


@dataclass(frozen=True)
class Places:
    """Where the rows of a command's table are, for ``-o X.gpkg`` and ``-o X.shp``.

    Attributes
    ----------
    geometry
        One geometry per row of the table, in the table's order (any CRS: written as WGS84).
    layer
        The layer's name in a GeoPackage (``sections``, ``trace`` …).
    geometry_type
        ``Point`` or ``LineString`` (so that an empty layer has one).
    more
        Further layers (name → GeoDataFrame with its geometry type in :attr:`more_types`):
        more layers of the GeoPackage, ``X_NAME.shp`` beside a shapefile.
    more_types
        The geometry type of each of :attr:`more`.
    """

    geometry: gpd.GeoSeries
    layer: str
    geometry_type: str = "Point"
    more: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    more_types: Mapping[str, str] = field(default_factory=dict)


def table_files(
    table: pd.DataFrame,
    path: Path,
    places: Places | None,
    *,
    encoding: str = "utf-8",
    shown: pd.DataFrame | None = None,
) -> dict[Path, Writer]:
    """The files ``-o path`` writes for ``table``: a CSV, a GeoPackage or a shapefile set.

    Parameters
    ----------
    table
        The command's table (English column names).
    path
        ``X.csv``, ``X.gpkg`` or ``X.shp``.
    places
        Where its rows are; None for a table of things without a place (a CSV only).
    encoding
        ``utf-8`` or ``gbk``: the text of a shapefile.
    shown
        The table as a CSV shows it (the bureau's headers and values); ``table`` by default.

    Raises
    ------
    OutputError
        Another suffix, a GeoPackage or shapefile of a table without places, or values a
        shapefile cannot hold.
    """
    path = Path(path)
    check_suffix(path, TABLE_SUFFIXES if places is not None else (".csv",))
    if path.suffix.lower() in ("", ".csv"):
        return {path: csv_writer(table if shown is None else shown)}
    import geopandas as gpd

    assert places is not None
    main = gpd.GeoDataFrame(table.reset_index(drop=True), geometry=places.geometry.reset_index(drop=True).to_numpy(),
                            crs=places.geometry.crs)  # fmt: skip
    layers = {places.layer: main, **places.more}
    types = {places.layer: places.geometry_type, **places.more_types}
    return vector_files(layers, types, path, encoding=encoding)


def check_suffix(path: Path, suffixes: tuple[str, ...] = TABLE_SUFFIXES) -> None:
    """Raise :class:`OutputError` unless ``path`` ends with one of ``suffixes`` (a name with
    no suffix, ``/dev/stdout``, is a CSV when ``.csv`` is one of them), or when its name is
    only a suffix (``.shp``: a hidden file, no name)."""
    if Path(path).name.lower() in {*TABLE_SUFFIXES, *suffixes}:
        raise OutputError(Problem("has no name before its suffix; write NAME" + Path(path).name, file=str(path)))
    suffix = Path(path).suffix.lower()
    if suffix not in suffixes and not (suffix == "" and ".csv" in suffixes):
        what = f"a {suffixes[0]} file" if len(suffixes) == 1 else f"one of {', '.join(suffixes)}"
        raise OutputError(Problem(f"write {what} (the suffix chooses the format)", file=str(path)))


def vector_files(
    layers: Mapping[str, gpd.GeoDataFrame], types: Mapping[str, str], path: Path, *, encoding: str = "utf-8"
) -> dict[Path, Writer]:
    """The files of ``layers`` at ``path``: one GeoPackage 1.2 holding them all (``.gpkg``),
    or a shapefile per layer (``.shp``: the first at ``path``, the others ``X_NAME.shp``),
    each of its parts a file of the set. ``types`` gives each layer's geometry type."""
    path = Path(path)
    check_suffix(path, (".gpkg", ".shp"))
    wgs84 = {name: frame.to_crs(4326) for name, frame in layers.items()}
    if path.suffix.lower() == ".gpkg":
        return {path: gpkg_writer(wgs84, types)}
    files: dict[Path, Writer] = {}
    for i, (name, frame) in enumerate(wgs84.items()):
        target = path if i == 0 else path.with_name(safe_stem(f"{path.stem}_{name}", ".shp") + ".shp")
        files.update(shapefile_files(frame, target, geometry_type=types[name], encoding=encoding))
    return files


def gpkg_writer(layers: Mapping[str, gpd.GeoDataFrame], types: Mapping[str, str]) -> Writer:
    """A writer of one GeoPackage 1.2 with ``layers`` (written as they are)."""
    import pyogrio

    def write(tmp: Path) -> None:
        for i, (name, frame) in enumerate(layers.items()):
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", append=i > 0, geometry_type=types[name],
                                    promote_to_multi=False, dataset_options=GPKG_OPTIONS)  # fmt: skip

    return write


def shapefile_paths(path: Path) -> list[Path]:
    """The files of the shapefile ``path`` (``X.shp`` → ``X.shp, X.shx, X.dbf, X.prj, X.cpg``)."""
    path = Path(path)
    return [path.with_suffix(suffix) for suffix in SHAPEFILE_PARTS]


def shapefile_files(frame: gpd.GeoDataFrame, path: Path, *, geometry_type: str, encoding: str) -> dict[Path, Writer]:
    """The parts of one shapefile of ``frame`` (WGS84), each a writer of its bytes.

    The shapefile is made once, when the first part is written, in a folder beside that
    part's temporary file (in :func:`~geoenv.io.write.write_files`' staging folder).
    """
    import pyogrio

    gdal_encoding, cpg = ENCODINGS[encoding]
    shown = shapefile_frame(frame, path, encoding=encoding)

    @functools.cache
    def made(folder: Path) -> dict[str, bytes]:
        with tempfile.TemporaryDirectory(dir=folder) as where:
            target = Path(where) / "layer.shp"
            pyogrio.write_dataframe(shown, target, driver="ESRI Shapefile", encoding=gdal_encoding,
                                    geometry_type=geometry_type,
                                    layer_options={"DBF_DATE_LAST_UPDATE": DBF_DATE})  # fmt: skip
            target.with_suffix(".cpg").write_text(cpg, encoding="ascii")
            return {suffix: target.with_suffix(suffix).read_bytes() for suffix in SHAPEFILE_PARTS}

    def part(suffix: str) -> Writer:
        return lambda tmp: tmp.write_bytes(made(tmp.parent)[suffix])

    return {target: part(target.suffix) for target in shapefile_paths(path)}


def shapefile_frame(frame: gpd.GeoDataFrame, path: Path, *, encoding: str) -> gpd.GeoDataFrame:
    """``frame`` as a shapefile holds it: field names of at most 10 bytes (:func:`field_names`),
    dates as text; refused (:class:`OutputError`, naming the row and column) when a text
    is longer than 254 bytes or, in GBK, has a character GBK does not have."""
    python_encoding = "gbk" if encoding == "gbk" else "utf-8"
    key = next((c for c in ("code", "id") if c in frame), None)
    keys = frame[key].astype(str).to_numpy() if key is not None else None
    out = frame.copy()
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M").astype(object)
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            _check_text(values, column, path, python_encoding, keys=keys, key=key or "")
    return out.rename(columns=field_names([c for c in frame.columns if c != frame.geometry.name]))


def _check_text(
    values: pd.Series, column: str, path: Path, encoding: str, *, keys: np.ndarray | None = None, key: str = ""
) -> None:
    """Refuse a text column a shapefile cannot hold: naming its first value that ``encoding``
    cannot write, or its longest value when that has more than :data:`MAX_TEXT_BYTES`, by the
    row's ``key`` (``keys``: each row's code or id) and its row of the output (sorted, so not
    the register's row)."""
    rows = np.flatnonzero(values.notna().to_numpy())

    def where(i: int) -> str:
        row = f"row {rows[i] + 1} of the output"
        return f"{key} {keys[rows[i]]} ({row})" if keys is not None else row

    text = values.iloc[rows].astype(str).reset_index(drop=True)
    try:
        "".join(text).encode(encoding)
    except UnicodeEncodeError:
        for i, value in enumerate(text):  # only when the column does not encode: find the first
            try:
                value.encode(encoding)
            except UnicodeEncodeError as exc:
                raise OutputError(Problem(
                    f"{value!r} has {value[exc.start : exc.end]!r}, which {encoding.upper()} does not have; "
                    "write it with --encoding utf-8 or as .gpkg",
                    file=str(path), where=where(i), column=column)) from None  # fmt: skip
    sizes = np.array([len(value.encode(encoding)) for value in text], dtype=np.int64)
    if len(sizes) and sizes.max() > MAX_TEXT_BYTES:
        i = int(sizes.argmax())
        raise OutputError(Problem(f"{text[i][:40]!r}… is {sizes[i]} bytes, more than a shapefile's "
                                  f"{MAX_TEXT_BYTES}; write it as .gpkg", file=str(path),
                                  where=where(i), column=column))  # fmt: skip


def field_names(columns: list[str]) -> dict[str, str]:
    """Shapefile field names of ``columns``: :data:`FIELD_NAMES`, else the name when it is at
    most 10 bytes (UTF-8), else its first bytes with ``_2``, ``_3`` … where two would meet.

    Examples
    --------
    >>> field_names(["code", "downstream_code", "distance_km"])
    {'code': 'code', 'downstream_code': 'down_code', 'distance_km': 'dist_km'}
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        name = FIELD_NAMES.get(column, column)
        base = _cut(name, MAX_FIELD_BYTES)
        name, n = base, 1
        while name.lower() in taken:  # dBASE names are compared without case
            n += 1
            name = _cut(base, MAX_FIELD_BYTES - len(f"_{n}")) + f"_{n}"
        taken.add(name.lower())
        names[column] = name
    return names


def _cut(text: str, size: int) -> str:
    """``text`` cut at a character so that it is at most ``size`` bytes in UTF-8."""
    return text.encode()[:size].decode(errors="ignore")


def points_of(frame: gpd.GeoDataFrame, key: str, ids: pd.Series) -> gpd.GeoSeries:
    """The geometry (WGS84) of the row of ``frame`` whose ``key`` is each of ``ids`` (None
    where there is none), in the order of ``ids``."""
    import geopandas as gpd

    keys = pd.Index(frame[key].astype(str))
    first = ~keys.duplicated()
    shapes = pd.Series(frame.geometry.to_crs(4326).to_numpy()[first], index=keys[first])
    return gpd.GeoSeries(shapes.reindex(ids.astype(str).to_numpy()).to_numpy(), index=ids.index, crs=4326)


def answer_places(
    table: pd.DataFrame,
    *,
    layer: str,
    sections: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None,
    lines: gpd.GeoDataFrame,
    borders: pd.DataFrame | None = None,
) -> Places:
    """Where the rows of a trace's or a spill's table (``kind``, ``id``) are, and the stretch of
    river it ran (``lines``: the pieces of reaches, as
    :func:`geoenv.network.substring.reach_pieces` cuts them) as a second layer ``reaches``.

    A row of kind ``section`` is the section of that code, ``border`` the crossing of that id
    (``borders``: a table with ``lon, lat`` in WGS84), any other kind the facility of that id.
    """
    import geopandas as gpd

    if borders is not None:
        borders = gpd.GeoDataFrame(borders, geometry=gpd.points_from_xy(borders["lon"], borders["lat"]), crs=4326)

    kinds, ids = table["kind"].astype(str), table["id"]
    geometry = gpd.GeoSeries([None] * len(table), index=table.index, crs=4326)
    lookups = [(kinds == "section", sections, "code"), (kinds == "border", borders, "id"),
               (~kinds.isin(["section", "border"]), facilities, "id")]  # fmt: skip
    for rows, frame, key in lookups:
        if frame is not None and rows.any():
            geometry[rows] = points_of(frame, key, ids[rows])
    return Places(geometry, layer=layer, more={"reaches": lines.to_crs(4326).reset_index(drop=True)},
                  more_types={"reaches": "LineString"})  # fmt: skip


def output_parts(path: Path) -> list[Path]:
    """The files an output ``path`` is: a shapefile's parts (:func:`shapefile_paths`), else itself.

    Raises
    ------
    OutputError
        A file a GIS program keeps beside the shapefile (:data:`SHAPEFILE_SIDECARS`, ``X.qix``)
        is there: it would index the old features; geoenv does not delete what it did not write.
    """
    path = Path(path)
    if path.suffix.lower() != ".shp":
        return [path]
    stale = [p for p in (path.with_name(path.stem + suffix) for suffix in SHAPEFILE_SIDECARS) if p.exists()]
    if stale:
        raise OutputError(Problem(f"is beside the shapefile {path.name} and would describe its old features; "
                                  "remove it (geoenv does not delete what it did not write), then write again",
                                  file=str(stale[0])))  # fmt: skip
    return shapefile_paths(path)
