"""Turn files as read into layers in the canonical schema, collecting every located problem.

Each ``*_layer`` function takes a :class:`~geoenv.io.RawLayer` and returns a :class:`Layer`:
the canonical (Geo)DataFrame in WGS84 plus every problem found, errors and warnings, each
naming file, row and column. Nothing stops at the first problem, so ``geoenv validate`` can
list them all; :func:`load` raises when any is an error.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geoenv import crs as crs_
from geoenv.errors import InputError, Problem, raise_on_errors
from geoenv.io import LayerSource, RawLayer, read_layer
from geoenv.quality.values import parse_values, standard_unit, unit_factors, unit_in_header
from geoenv.schema import (
    COLUMN_ALIASES,
    LEVELS,
    PARAMETERS,
    SCHEMAS,
    WATERS,
    column_index,
    facility_kind,
    fold,
    known_kind_names,
    level,
    parameter_code,
    water,
    water_class,
)

# Where a user's points may plausibly lie when no counties layer bounds them: China.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
MAX_OUTFALL_KM = 30.0
"""Farthest an outfall (排口) may lie from its facility, in km. Plants discharge through pipes
of a few km to the nearest receiving water (under 2 km in the embedded Shanxi register; long
trunk pipelines reach 10–20 km), while one mistyped degree moves a point 90–110 km: 30 km
leaves room for the longest pipelines and still catches the typo of a degree."""
MAX_VELOCITY_MS = 10.0
"""Fastest plausible mean river velocity (m/s); above it the unit is probably km/h or m/min."""


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

    def problem(self, position: int, message: str, column: str | None = None, **kw) -> Problem:
        """A problem located at row ``position`` and canonical ``column`` of this layer."""
        header = self.columns.get(column, column) if column else None
        return Problem(message, file=self.file, where=self.raw.where(position), column=header, row=position, **kw)


def map_columns(raw: RawLayer, kind: str) -> tuple[pd.DataFrame, dict[str, str], list[Problem]]:
    """Rename the file's headers to canonical columns (user mapping first, then aliases).

    Returns the renamed frame, canonical → original header, and problems (missing columns,
    a mapping that names no column).
    """
    frame = raw.frame
    file = str(raw.source.path)
    problems: list[Problem] = []
    found: dict[str, str] = {}
    doubled: set[str] = set()
    for canonical, header in raw.source.columns.items():
        if header not in frame.columns:
            problems.append(
                Problem(
                    f"the mapping {canonical} = {header!r} names no column; the file has: "
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
    index = column_index(kind)
    position = {h: i for i, h in enumerate(frame.columns)}
    for header in frame.columns:
        shown, base = _shown_header(header, frame.columns)
        canonical = index.get(fold(base))
        if not canonical or header in found.values():
            continue
        if canonical not in found:
            found[canonical] = header
        elif canonical not in raw.source.columns:  # a column the user mapped wins without a word
            used = found[canonical]
            used_shown = _shown_header(used, frame.columns)[0]
            problems.append(
                Problem(
                    f"two columns give {canonical}: {used_shown!r} (column {position[used] + 1}, used) and "
                    f"{shown!r} (column {position[header] + 1}, ignored); rename or remove one"
                    + ("" if shown == used_shown else f", or choose with --column {kind}.{canonical}=HEADER"),
                    file=file,
                    column=shown,
                    severity="warning",
                )
            )
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
    for column in missing:
        aliases = "、".join(_aliases(kind, column)[:4])
        problems.append(
            Problem(
                f"missing required column {column!r} (headers such as {aliases}); "
                f"map another column with --column {kind}.{column}=HEADER; the file's headers are: {listed}",
                file=file,
            )
        )
    renamed = frame.rename(columns={v: k for k, v in found.items()})
    return renamed, found, problems


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


def _aliases(kind: str, column: str) -> list[str]:
    return [column, *COLUMN_ALIASES[kind].get(column, ())]


_DMS = re.compile(
    r"^\s*(-?\d+(?:\.\d+)?)\s*(?:°|度|d)\s*(?:(\d+(?:\.\d+)?)\s*(?:['′’]|分|m)\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*(?:[\"″”]|''|秒|s)\s*)?([NSEW东西南北]?)\s*$",
    re.IGNORECASE,
)


def parse_coordinates(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse decimal degrees, or degrees-minutes-seconds (``112°30′15″``, ``112度30分15秒``).

    Minutes and seconds run from 0 to below 60, and only the last part written may have a
    fraction (``112°61′`` and ``112.5°30′`` are unparseable, not silently 113.02°).

    Returns the values (NaN where missing or unparseable) and a mask of unparseable entries.
    """
    text = text.fillna("").astype(str).str.strip()
    number = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
    todo = np.isnan(number) & (text != "").to_numpy()
    if todo.any():
        parts = text[todo].str.extract(_DMS)
        deg = pd.to_numeric(parts[0], errors="coerce")
        minutes = pd.to_numeric(parts[1], errors="coerce")
        seconds = pd.to_numeric(parts[2], errors="coerce")
        sign = np.where(parts[3].fillna("").str.upper().isin(["S", "W", "南", "西"]), -1.0, 1.0)
        value = sign * (deg.abs() + minutes.fillna(0.0) / 60.0 + seconds.fillna(0.0) / 3600.0)
        overflow = minutes.ge(60) | seconds.ge(60)
        fraction = (deg.mod(1).ne(0) & (minutes.notna() | seconds.notna())) | (
            minutes.mod(1).ne(0) & minutes.notna() & seconds.notna()
        )
        number[todo] = value.where(~(overflow | fraction)).to_numpy()
    number[np.isinf(number)] = np.nan  # inf, 1e309
    bad = np.isnan(number) & (text != "").to_numpy()
    return number, bad


def coordinate_problem(text: str) -> str:
    """Why a coordinate written as ``text`` could not be read (for the message)."""
    match = _DMS.match(text)
    if match:
        minutes, seconds = (float(g) if g else None for g in match.groups()[1:3])
        if minutes is not None and minutes >= 60:
            return f"{text!r} has {minutes:g} minutes: minutes run from 0 to 59"
        if seconds is not None and seconds >= 60:
            return f"{text!r} has {seconds:g} seconds: seconds run from 0 to 59"
        return f"{text!r}: only the last of degrees, minutes and seconds may have decimals"
    number = pd.to_numeric(text, errors="coerce")
    if text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity") or np.isinf(number):
        return f"{text!r} is not a finite number"
    return f"{text!r} is not a number"


def _declared_crs(raw: RawLayer) -> CRS | str | None:
    return crs_.parse_crs(raw.source.crs) if raw.source.crs else None


def _points_from_table(layer: Layer, lon_col: str, lat_col: str, bounds) -> np.ndarray:
    """Longitude/latitude columns → WGS84 points; NaN points where a problem was recorded."""
    frame = layer.data
    lon, bad_lon = parse_coordinates(frame[lon_col])
    lat, bad_lat = parse_coordinates(frame[lat_col])
    declared = _declared_crs(layer.raw)
    for column, values, bad in (
        (lon_col, frame[lon_col], bad_lon),
        (lat_col, frame[lat_col], bad_lat),
    ):
        for i in np.flatnonzero(bad):
            layer.problems.append(layer.problem(i, coordinate_problem(str(values.iloc[i]).strip()), column))
    missing = (np.isnan(lon) & ~bad_lon) | (np.isnan(lat) & ~bad_lat)
    if lon_col == "lon":  # outfall coordinates are optional, the point itself is not
        for i in np.flatnonzero(missing):
            column = lon_col if np.isnan(lon[i]) and not bad_lon[i] else lat_col
            layer.problems.append(layer.problem(i, "coordinate is missing", column))
    else:
        for i in np.flatnonzero(np.isnan(lon) ^ np.isnan(lat)):
            column = lon_col if np.isnan(lon[i]) else lat_col
            layer.problems.append(layer.problem(i, "half an outfall location: give both or none", column))
    if isinstance(declared, CRS) and declared.is_projected:
        lon, lat = Transformer.from_crs(declared, crs_.WGS84, always_xy=True).transform(lon, lat)
        return shapely.points(lon, lat)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    if _looks_projected(layer, lon, lat, lon_col, lat_col):
        return shapely.points(np.full(len(frame), np.nan), np.full(len(frame), np.nan))
    ok &= _check_lonlat(layer, lon, lat, bounds, lon_col, lat_col)
    if declared in crs_.SHIFTED:
        lon, lat = crs_.to_wgs84(lon, lat, declared)
    return np.where(ok, shapely.points(lon, lat), shapely.points(np.nan, np.nan))


def _looks_projected(layer: Layer, lon: np.ndarray, lat: np.ndarray, lon_col: str, lat_col: str) -> bool:
    """Say once (not on every row) that a table's coordinates are metres, not degrees.

    Judged so when at least half the coordinates given are beyond ±180 / ±90 and beyond 1000
    in size (no typo in degrees makes half a register that large). Suggests ``--src-crs``,
    naming the CGCS2000 Gauss-Krüger zone when the eastings carry a zone number (38500000).
    """
    given = ~(np.isnan(lon) | np.isnan(lat))
    large = given & ((np.abs(lon) > 1000) | (np.abs(lat) > 1000))
    if not given.any() or 2 * large.sum() < given.sum():
        return False
    x, y = lon[large], lat[large]
    zone = np.floor(x / 1e6)
    if np.all((zone >= 25) & (zone <= 45)) and len(np.unique(zone)) == 1:
        guess = f"EPSG:{4513 + int(zone[0]) - 25} (CGCS2000 3-degree Gauss-Kruger zone {int(zone[0])})"
    else:
        guess = "e.g. 32649 or 32650 (UTM zones 49N/50N), 4546 or 4547 (CGCS2000 3-degree Gauss-Kruger CM 111E/114E)"
    kind = {"sections": "section", "facilities": "facility"}.get(layer.kind, layer.kind)
    kind = kind if lon_col == "lon" else f"{kind} outfall"
    layer.problems.append(
        Problem(
            f"{large.sum()} of {given.sum()} {kind} points are not in degrees ({layer.columns.get(lon_col, lon_col)} "
            f"{x.min():.0f}…{x.max():.0f}, {layer.columns.get(lat_col, lat_col)} {y.min():.0f}…{y.max():.0f}): "
            f"they look like projected metres; declare the CRS with --src-crs {layer.kind}=CODE, {guess}",
            file=layer.file,
            column=layer.columns.get(lon_col, lon_col),
        )
    )
    return True


def _check_lonlat(layer, lon, lat, bounds, lon_col, lat_col) -> np.ndarray:
    """Flag coordinates out of range or swapped (judged against the study area's bounds)."""
    minx, miny, maxx, maxy = bounds
    valid = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    inside = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    swapped = ~inside & (lat >= minx) & (lat <= maxx) & (lon >= miny) & (lon <= maxy)
    for i in np.flatnonzero(swapped):
        layer.problems.append(
            layer.problem(
                i,
                f"longitude and latitude look swapped ({lon[i]:g}, {lat[i]:g}): {lat[i]:g} is the longitude here",
                lon_col,
            )
        )
    for i in np.flatnonzero(~valid & ~swapped & ~np.isnan(lon) & ~np.isnan(lat)):
        column = lon_col if abs(lon[i]) > 180 else lat_col
        layer.problems.append(layer.problem(i, "coordinate out of range for degrees", column))
    return valid & ~swapped


def _points_from_geometry(layer: Layer, raw: RawLayer) -> np.ndarray:
    frame = raw.frame
    geoms = frame.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    for i in np.flatnonzero(shapely.is_empty(geoms) | shapely.is_missing(geoms)):
        layer.problems.append(layer.problem(i, "empty geometry", "geometry"))
    for i in np.flatnonzero((kinds != 0) & (kinds != -1) & ~shapely.is_empty(geoms)):
        layer.problems.append(layer.problem(i, f"a {geoms[i].geom_type} is not a point", "geometry"))
    points = np.where(kinds == 0, geoms, None)
    return _to_wgs84(layer, gpd.GeoSeries(points, crs=frame.crs)).to_numpy()


def _to_wgs84(layer: Layer, geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Reproject geometries to WGS84 from the file's CRS or the declared one."""
    declared = _declared_crs(layer.raw)
    if declared in crs_.SHIFTED:
        return gpd.GeoSeries(crs_.unshift_geometries(geoms.to_numpy(), declared), crs=4326)
    source = declared or geoms.crs
    if source is None:
        layer.problems.append(
            Problem(
                "the file has no CRS; declare it with --src-crs (e.g. 4326, 4490, 32649, gcj02)",
                file=layer.file,
            )
        )
        return gpd.GeoSeries([None] * len(geoms), crs=4326)
    return geoms.set_crs(source, allow_override=True).to_crs(4326)


def _codes(layer: Layer, column: str, label: str) -> None:
    """Require a non-empty unique identifier in ``column``."""
    values = layer.data[column].fillna("").astype(str)
    for i in np.flatnonzero(values.eq("").to_numpy()):
        layer.problems.append(layer.problem(i, f"{label} is empty", column))
    first: dict[str, int] = {}
    for i, value in enumerate(values):
        if value == "":
            continue
        if value in first:
            where = layer.raw.where(first[value])
            layer.problems.append(layer.problem(i, f"duplicate {label} {value!r} (also {where})", column))
        else:
            first[value] = i


def _point_layer(raw: RawLayer, kind: str, bounds) -> Layer:
    frame, columns, problems = map_columns(raw, kind)
    layer = Layer(kind, frame, raw, columns, problems)
    if any(p.severity == "error" for p in problems):
        return layer
    if raw.is_table:
        points = _points_from_table(layer, "lon", "lat", bounds)
    else:
        points = _points_from_geometry(layer, raw)
        frame = frame.drop(columns="geometry")
    data = gpd.GeoDataFrame(pd.DataFrame(frame), geometry=points, crs=4326)
    data["lon"] = shapely.get_x(data.geometry.to_numpy()).round(6)
    data["lat"] = shapely.get_y(data.geometry.to_numpy()).round(6)
    layer.data = data
    return layer


def sections_layer(raw: RawLayer, bounds=CHINA_BOUNDS) -> Layer:
    """Monitoring sections: unique codes, coordinates, level and target class checked."""
    layer = _point_layer(raw, "sections", bounds)
    if any(p.severity == "error" for p in layer.problems if p.where is None):
        return layer
    data = layer.data
    _codes(layer, "code", "section code")
    if "target_class" in data:
        text = data["target_class"].fillna("").astype(str)
        parsed = text.map(lambda v: water_class(v) if v else None)
        for i in np.flatnonzero((text.ne("") & parsed.isna()).to_numpy()):
            layer.problems.append(
                layer.problem(
                    i,
                    f"{text.iloc[i]!r} is not a water-quality class: use I–V, Ⅰ–Ⅴ or 1–5",
                    "target_class",
                )
            )
        data["target_class"] = parsed
    _coded(layer, "level", level, LEVELS, "section level")
    _coded(layer, "water", water, WATERS, "water body")
    return layer


def _coded(layer: Layer, column: str, parse, table: dict[str, tuple[str, ...]], label: str) -> None:
    """Replace a coded column by its canonical values; unknown values are errors."""
    if column not in layer.data:
        return
    text = layer.data[column].fillna("").astype(str)
    parsed = text.map(lambda v: parse(v) if v else None)
    accepted = "、".join(a[0] for a in table.values())
    for i in np.flatnonzero((text.ne("") & parsed.isna()).to_numpy()):
        layer.problems.append(layer.problem(i, f"unknown {label} {text.iloc[i]!r}: use {accepted}", column))
    layer.data[column] = parsed


def facilities_layer(raw: RawLayer, bounds=CHINA_BOUNDS) -> Layer:
    """Facilities: unique ids, known kinds (with a suggestion), outfall location if any."""
    layer = _point_layer(raw, "facilities", bounds)
    if any(p.severity == "error" for p in layer.problems if p.where is None):
        return layer
    data = layer.data
    _codes(layer, "id", "facility id")
    text = data["kind"].fillna("").astype(str)
    kinds = text.map(facility_kind)
    names = known_kind_names()
    for i in np.flatnonzero(kinds.isna().to_numpy()):
        value = text.iloc[i]
        close = difflib.get_close_matches(value, names, n=1, cutoff=0.3)
        hint = f"; did you mean {close[0]}?" if close else ""
        layer.problems.append(
            layer.problem(
                i,
                f"unknown facility kind {value!r}{hint} (known: {'、'.join(names[::4])}…)",
                "kind",
            )
        )
    data["kind"] = kinds
    if "outfall_lon" in data and "outfall_lat" in data:
        outfalls = _points_from_table(layer, "outfall_lon", "outfall_lat", bounds)
        data["outfall_lon"] = shapely.get_x(outfalls).round(6)
        data["outfall_lat"] = shapely.get_y(outfalls).round(6)
        km = great_circle_km(data["lon"], data["lat"], data["outfall_lon"], data["outfall_lat"])
        for i in np.flatnonzero(km > MAX_OUTFALL_KM):
            layer.problems.append(
                layer.problem(
                    i,
                    f"the outfall lies {km[i]:.1f} km from its facility, more than {MAX_OUTFALL_KM:g} km: "
                    "check the outfall coordinates (a mistyped degree moves a point about 90 km)",
                    "outfall_lon",
                )
            )
    return layer


def great_circle_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Haversine distance in km between points given in degrees (arrays; NaN where any is)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _geometry_layer(raw: RawLayer, kind: str, type_ids: tuple[int, ...], noun: str) -> Layer:
    frame, columns, problems = map_columns(raw, kind)
    layer = Layer(kind, frame, raw, columns, problems)
    if raw.is_table:
        layer.problems.append(
            Problem(f"{kind} must be a vector file (GeoPackage, Shapefile, GeoJSON)", file=layer.file)
        )
        return layer
    if _declared_crs(raw) is None and frame.crs is None:
        _to_wgs84(layer, frame.geometry)  # says the CRS is missing; nothing else can be checked
        return layer
    geoms = _to_wgs84(layer, frame.geometry)
    array = geoms.to_numpy()
    empty = shapely.is_missing(array) | shapely.is_empty(array)
    for i in np.flatnonzero(empty & ~shapely.is_missing(raw.frame.geometry.to_numpy())):
        layer.problems.append(layer.problem(i, "empty geometry", "geometry"))
    if frame.crs is not None or raw.source.crs:
        for i in np.flatnonzero(shapely.is_missing(raw.frame.geometry.to_numpy())):
            layer.problems.append(layer.problem(i, "no geometry", "geometry"))
    wrong = ~empty & ~np.isin(shapely.get_type_id(array), type_ids)
    for i in np.flatnonzero(wrong):
        layer.problems.append(layer.problem(i, f"a {array[i].geom_type} is not a {noun}", "geometry"))
    layer.data = gpd.GeoDataFrame(pd.DataFrame(frame.drop(columns="geometry")), geometry=array, crs=4326)
    return layer


def rivers_layer(raw: RawLayer) -> Layer:
    """River lines (LineString / MultiLineString), in WGS84."""
    layer = _geometry_layer(raw, "rivers", (1, 5), "line")
    lines = layer.data.geometry.to_numpy()
    is_line = np.isin(shapely.get_type_id(lines), (1, 5))
    declared = getattr(raw.frame, "crs", None)
    if is_line.any() and declared is not None and declared.is_geographic:
        minx, miny, maxx, maxy = shapely.total_bounds(lines[is_line])
        if not (np.isfinite([minx, miny, maxx, maxy]).all() and minx >= -180 and maxx <= 180 and miny >= -90
                and maxy <= 90):  # fmt: skip
            layer.problems.append(Problem(
                f"coordinates run to {minx:.0f}, {miny:.0f} – {maxx:.0f}, {maxy:.0f}: not degrees, though the file "
                "declares no projected CRS (a GeoJSON without 'crs' is read as WGS84); declare it with --src-crs, "
                "e.g. --src-crs 32649 (or rivers=32649 among other layers)", file=layer.file))  # fmt: skip
            return layer
    for i in np.flatnonzero(is_line & (shapely.length(lines) == 0)):
        layer.problems.append(layer.problem(i, "line of zero length", "geometry"))
    if "name" in layer.data:
        layer.data["name"] = layer.data["name"].fillna("").astype(str)
    if "velocity" in layer.data:
        layer.data["velocity"] = _velocities(layer)
    return layer


def _velocities(layer: Layer) -> pd.Series:
    """Check the rivers' flow velocity column (m/s): blank is allowed (the default velocity
    is used there); text, nan, inf, 0, negative or above :data:`MAX_VELOCITY_MS` are errors."""
    raw = layer.data["velocity"]
    text = raw.where(raw.notna(), "").astype(str).str.strip()
    nan_text = text.str.lower().isin(["nan", "+nan", "-nan"])
    number = pd.to_numeric(text.where(text.ne("")), errors="coerce")
    value = number.to_numpy(dtype=float)
    finite = np.isfinite(value)
    checks = (
        (text.ne("").to_numpy() & np.isnan(value) & ~nan_text.to_numpy(), "is not a number (m/s)"),
        (nan_text.to_numpy() | np.isinf(value), "is not a finite velocity: give m/s, or leave it blank"),
        (finite & (value <= 0), "is not a flow velocity: it must be above 0 m/s (blank for the default)"),
        (finite & (value > MAX_VELOCITY_MS),
         f"m/s is faster than any river ({MAX_VELOCITY_MS:g} m/s at most): is it in km/h or m/min?"),
    )  # fmt: skip
    found = sorted((i, message) for mask, message in checks for i in np.flatnonzero(mask))
    layer.problems.extend(layer.problem(i, f"{text.iloc[i]!r} {message}", "velocity") for i, message in found)
    return pd.Series(np.where(finite & (value > 0), value, np.nan), index=raw.index, dtype=float)


def counties_layer(raw: RawLayer) -> Layer:
    """County polygons; invalid ones are repaired with ``make_valid`` and reported."""
    layer = _geometry_layer(raw, "counties", (3, 6), "polygon")
    if "name" not in layer.data:
        return layer
    array = layer.data.geometry.to_numpy()
    invalid = ~shapely.is_valid(array) & ~shapely.is_empty(array) & ~shapely.is_missing(array)
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(array[i])
        layer.problems.append(
            layer.problem(
                i,
                f"invalid polygon ({reason}); repaired with make_valid",
                "geometry",
                severity="warning",
            )
        )
    if invalid.any():
        # "structure" keeps the polygonal part and drops collapsed slivers.
        array[invalid] = shapely.make_valid(array[invalid], method="structure", keep_collapsed=False)
        layer.data = layer.data.set_geometry(array, crs=4326)
    layer.data["name"] = layer.data["name"].fillna("").astype(str)
    for column in ("adcode", "city"):
        if column in layer.data:
            layer.data[column] = layer.data[column].fillna("").astype(str)
    return layer


MEASUREMENT_COLUMNS = (
    "section", "date", "parameter", "text", "value", "below_dl", "detection_limit", "unit", "column", "row",
)  # fmt: skip
"""Columns of the canonical measurements table."""
EARLY_GAP_YEARS = 10
"""Dates this many years or more before every later date of the file (and fewer than half its
rows) are taken for mistyped years: a monthly register has no ten-year hole."""


def measurements_layer(raw: RawLayer, *, today: pd.Timestamp | None = None) -> Layer:
    """Monthly (or any) measurements, long or wide, as a long table.

    Output columns (:data:`MEASUREMENT_COLUMNS`): ``section, date, parameter`` (canonical
    code), ``text`` (as written), ``value`` (number for statistics in the standard's unit: half
    the detection limit when not detected), ``below_dl``, ``detection_limit``, ``unit`` (the
    standard's), ``column`` (the file's column, wide form) and ``row`` (position in the file,
    for locating problems).

    Besides values that are not numbers, the rows are checked for what would give a silently
    wrong answer: a value that is not finite (``nan``, ``inf``, ``1e309``); a date after
    ``today`` (default: the current date) or :data:`EARLY_GAP_YEARS` before the rest of the
    file (see :func:`implausible_dates`); and repeated rows (same section, date and item):
    with different values an error on each of them, with the same value a warning and the
    value counted once. Item columns in a long-form file are reported as ignored.
    """
    frame, columns, problems = map_columns(raw, "measurements")
    layer = Layer("measurements", _no_measurements(), raw, columns, problems)
    if any(p.severity == "error" for p in problems):
        return layer
    frame = frame.copy()
    frame["_row"] = np.arange(len(frame))
    if "parameter" in frame and "value" in frame:
        long = frame
        codes = long["parameter"].map(parameter_code)
        names = [zh for zh, _ in PARAMETERS.values()] + list(PARAMETERS)
        for i in np.flatnonzero(codes.isna().to_numpy()):
            value = long["parameter"].iloc[i]
            close = difflib.get_close_matches(str(value), names, n=2, cutoff=0.3)
            hint = f"; closest known: {'、'.join(close)}" if close else ""
            layer.problems.append(layer.problem(i, f"unknown parameter {value!r}{hint}", "parameter"))
        long = long.assign(parameter=codes)
        items = [c for c in frame.columns if c not in columns.values() and c != "_row" and parameter_code(c)]
        if items:
            layer.problems.append(
                Problem(
                    f"columns ignored: {'、'.join(map(str, items))} look like items, but this file is in long form "
                    f"(one item per row, named in {columns['parameter']} with its value in {columns['value']}); "
                    "put them in rows of their own, or give them in a separate wide-form file",
                    file=layer.file,
                    severity="warning",
                )
            )
    else:
        wide = {c: parameter_code(c) for c in frame.columns if c not in SCHEMAS["measurements"].required}
        params = {c: code for c, code in wide.items() if code}
        others = [c for c, code in wide.items() if not code and c != "_row" and c not in columns]
        if not params:
            layer.problems.append(
                Problem(
                    "no parameter columns found: give either parameter and value columns "
                    "(监测项目, 监测值) or one column per parameter (氨氮, 总磷 …); the file's headers are: "
                    + ", ".join(str(columns.get(c, c)) for c in frame.columns if c != "_row"),
                    file=layer.file,
                )
            )
            return layer
        if others:
            layer.problems.append(
                Problem(
                    f"columns ignored (not a known parameter): {'、'.join(map(str, others))}",
                    file=layer.file,
                    severity="warning",
                )
            )
        layer.columns.update({code: c for c, code in params.items()})
        long = frame.melt(
            id_vars=["section", "date", "_row"],
            value_vars=list(params),
            var_name="column",
            value_name="value",
        )
        long["parameter"] = long["column"].map(params)
    if "unit" not in long:
        long["unit"] = long["column"].map(unit_in_header) if "column" in long else ""
    dates = _parse_dates(long["date"])
    for row in long.loc[dates.isna(), "_row"].unique():
        layer.problems.append(layer.problem(int(row), f"{frame['date'].iloc[row]!r} is not a date", "date"))
    known = long["parameter"].notna()
    parsed = parse_values(long["value"], long.get("detection_limit"))
    factor, wrong_unit = unit_factors(long["parameter"].fillna(""), long["unit"])
    value = parsed["value"] * factor
    column = long["column"] if "column" in long else pd.Series("value", index=long.index)
    where = "column" in long

    def report(mask: pd.Series | np.ndarray, message) -> None:
        for _, item in long[np.asarray(mask) & known.to_numpy()].iterrows():
            place = item["column"] if where else "value"
            layer.problems.append(layer.problem(int(item["_row"]), message(item), place))

    report(parsed["bad"] & ~parsed["not_finite"],
           lambda r: f"{r['value']!r} is neither a number nor detection-limit notation "
                     "(0.02L, or ND/未检出 with a 检出限 column)")  # fmt: skip
    report(parsed["not_finite"], lambda r: f"{r['value']!r} is not a finite number: leave the cell blank "
                                           "when nothing was measured")  # fmt: skip
    report(parsed["negative"], lambda r: f"{r['value']!r}: a concentration cannot be negative")
    ph = long["parameter"].eq("ph") & ~parsed["bad"] & ~parsed["missing"]
    report(ph & ~value.between(0, 14), lambda r: f"pH {r['value']!r} is outside 0–14")
    report(
        wrong_unit & ~parsed["missing"].to_numpy(),
        lambda r: (
            f"unit {r['unit']!r} does not fit {PARAMETERS[r['parameter']][0]} "
            f"(use {standard_unit(r['parameter']) or 'no unit'})"
        ),
    )
    keep = ~parsed["missing"]
    data = pd.DataFrame(
        {
            "section": long["section"].fillna("").astype(str).str.strip(),
            "date": dates,
            "parameter": long["parameter"],
            "text": long["value"],
            "value": value,
            "below_dl": parsed["below_dl"],
            "detection_limit": parsed["detection_limit"] * factor,
            "unit": long["parameter"].fillna("").map(standard_unit),
            "column": column,
            "row": long["_row"],
        }
    )[keep.to_numpy()].reset_index(drop=True)
    if data.empty:
        layer.problems.append(
            Problem(
                f"no measured values: every value cell of the {len(frame)} rows is blank",
                file=layer.file,
                column=columns.get("value"),
            )
        )
        return layer
    _check_dates(layer, data, frame["date"], today)
    layer.data = _check_repeats(layer, data, wide=where)
    return layer


def _no_measurements() -> pd.DataFrame:
    """An empty measurements table with the canonical columns (what a file too broken to read
    gives, so that nothing downstream trips over missing columns)."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in MEASUREMENT_COLUMNS})
    return frame.astype({"date": "datetime64[ns]", "value": float, "detection_limit": float, "row": np.int64})


def implausible_dates(dates: pd.Series, *, today: pd.Timestamp | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Which dates are after ``today`` and which lie long before the rest of the file.

    The rule for "long before": sort the distinct dates; where two neighbours lie
    :data:`EARLY_GAP_YEARS` years or more apart and fewer than half the rows come before the
    gap, everything before the (last such) gap is early. ``2004-03-01`` in a 2023–2024 file is
    early; a register that really runs from 1990 with no gap of ten years is not.

    Parameters
    ----------
    dates
        Parsed dates (NaT ignored).
    today
        The current date by default. A day of grace allows for time zones.

    Returns
    -------
    Two boolean arrays aligned with ``dates``: future, early.
    """
    today = (pd.Timestamp.today() if today is None else pd.Timestamp(today)).normalize()
    values = dates.to_numpy(dtype="datetime64[ns]")
    valid = ~np.isnat(values)
    future = valid & (values > np.datetime64(today + pd.Timedelta(days=1)))
    early = np.zeros(len(values), dtype=bool)
    usable = values[valid & ~future]
    distinct, counts = np.unique(usable, return_counts=True)
    if len(distinct) > 1:
        gaps = np.diff(distinct) >= np.timedelta64(int(EARLY_GAP_YEARS * 365.25), "D")
        minority = 2 * np.cumsum(counts)[:-1] < len(usable)
        cut = np.flatnonzero(gaps & minority)
        if len(cut):
            early = valid & ~future & (values <= distinct[cut[-1]])
    return future, early


def _check_dates(layer: Layer, data: pd.DataFrame, written: pd.Series, today: pd.Timestamp | None) -> None:
    """Errors for dates after today or long before the rest of the file, one per row."""
    future, early = implausible_dates(data["date"], today=today)
    if not (future.any() or early.any()):
        return
    rest = data["date"][~future & ~early]
    start = rest.min()
    now = (pd.Timestamp.today() if today is None else pd.Timestamp(today)).normalize()
    flagged = data[future | early].drop_duplicates("row")
    for row, date in zip(flagged["row"], flagged["date"], strict=True):
        text = written.iloc[row]
        if date > now:
            message = f"{text!r} is after today ({now:%Y-%m-%d}): is the year mistyped?"
        else:
            years = (start - date).days / 365.25
            message = (
                f"{text!r} lies {years:.0f} years before the rest of the file (which starts {start:%Y-%m-%d}): "
                "is the year mistyped?"
            )
        layer.problems.append(layer.problem(int(row), message, "date"))


def _check_repeats(layer: Layer, data: pd.DataFrame, *, wide: bool) -> pd.DataFrame:
    """Rows giving the same section, date and item: an error on each when their values
    differ (naming the others), else a warning and the value counted once.

    Returns the table without the repeated identical values.
    """
    keys = ["section", "date", "parameter"]
    usable = data["date"].notna() & data["parameter"].notna() & data["value"].notna()
    repeated = usable & data.duplicated(keys, keep=False)
    if not repeated.any():
        return data
    group = data[repeated].assign(_g=lambda d: d.groupby(keys, sort=False).ngroup())
    by = group.groupby("_g")
    spread = by["value"].transform("max") - by["value"].transform("min")
    scale = by["value"].transform(lambda v: v.abs().max())
    conflict = (spread > 1e-9 * scale) | (by["below_dl"].transform("nunique") > 1)
    item = group["parameter"].map(lambda code: PARAMETERS[code][0])

    def place(i: int) -> str:
        where = layer.raw.where(int(group["row"].iloc[i]))
        return f"{where} ({group['column'].iloc[i]})" if wide else where

    positions = pd.Series(np.arange(len(group)), index=group.index)
    for _, members in positions[conflict.to_numpy()].groupby(group.loc[conflict.to_numpy(), "_g"]):
        for i in members:
            others = ", ".join(f"{group['text'].iloc[j]!r} in {place(j)}" for j in members if j != i)
            layer.problems.append(
                layer.problem(
                    int(group["row"].iloc[i]),
                    f"{group['text'].iloc[i]!r} conflicts with {others}: the same section "
                    f"{group['section'].iloc[i]!r}, date {group['date'].iloc[i]:%Y-%m-%d} and item "
                    f"{item.iloc[i]}; keep the right value only",
                    group["column"].iloc[i] if wide else "value",
                )
            )
    same = group[~conflict.to_numpy()]
    first = same.groupby("_g")["row"].transform("first")
    later = same[same["row"].ne(first) | same.duplicated("_g")]
    later = later.assign(first=first[later.index], item=item[later.index])
    for (row, original), repeat in later.groupby(["row", "first"], sort=True):
        items = "、".join(repeat["item"])
        layer.problems.append(
            layer.problem(
                int(row),
                f"repeats {layer.raw.where(int(original))} (same section, date and value of {items}): counted once",
                None,
                severity="warning",
            )
        )
    return data.drop(index=later.index).reset_index(drop=True)


def _parse_dates(text: pd.Series) -> pd.Series:
    cleaned = (
        text.fillna("").astype(str).str.strip()
        .str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False).str.strip("-")
    )  # fmt: skip
    return pd.to_datetime(cleaned, errors="coerce", format="mixed")


READERS = {
    "sections": sections_layer,
    "facilities": facilities_layer,
    "rivers": rivers_layer,
    "counties": counties_layer,
    "measurements": measurements_layer,
}


def inspect(kind: str, source: LayerSource, *, bounds=CHINA_BOUNDS) -> Layer:
    """Read and check one layer, collecting every problem (raises only if unreadable).

    Rivers with ``source.add`` come back as one layer: the lines of ``source`` and of each
    added file (see :func:`with_added_rivers`).
    """
    raw = read_layer(source)
    reader = READERS[kind]
    layer = reader(raw, bounds) if kind in ("sections", "facilities") else reader(raw)
    if kind == "rivers" and source.add:
        layer = with_added_rivers(layer, [inspect("rivers", added) for added in source.add])
    return layer


def with_added_rivers(base: Layer, added: list[Layer]) -> Layer:
    """The rivers of ``base`` and the user's own lines of ``added`` as one layer.

    Every line gets an id: its own, the file's name before it where it repeats one already
    used (``文峪河:3``), or the file's name and its feature number where the file has none
    (``文峪河.3``); the base keeps its ids (feature numbers when it has none). Problems stay
    located in their own files.
    """
    frames, problems, used = [], list(base.problems), set()
    for k, layer in enumerate([base, *added]):
        data = layer.data.to_crs(4326).reset_index(drop=True)
        stem = Path(layer.file).stem
        numbers = pd.Series(np.arange(1, len(data) + 1).astype(str))
        own = data["id"].astype(str) if "id" in data and data["id"].notna().all() else None
        if k == 0:
            ids = own if own is not None else numbers
        elif own is None:
            ids = stem + "." + numbers
        else:
            ids = own.where(~own.isin(used), stem + ":" + own)
        used |= set(ids)
        frames.append(data.assign(id=ids.to_numpy()))
        if k:
            problems += layer.problems
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=4326)
    return Layer("rivers", merged, base.raw, base.columns, problems)


def load(kind: str, source: LayerSource, *, bounds=CHINA_BOUNDS) -> Layer:
    """Read and check one layer; raise :class:`InputError` listing every error."""
    layer = inspect(kind, source, bounds=bounds)
    raise_on_errors(layer.problems, InputError)
    return layer
