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
    problems: list[Problem] = []
    found: dict[str, str] = {}
    for canonical, header in raw.source.columns.items():
        if header in frame.columns:
            found[canonical] = header
        else:
            problems.append(
                Problem(
                    f"the mapping {canonical} = {header!r} names no column; the file has: "
                    + ", ".join(map(str, frame.columns)),
                    file=str(raw.source.path),
                )
            )
    index = column_index(kind)
    for header in frame.columns:
        canonical = index.get(fold(header))
        if canonical and canonical not in found and header not in found.values():
            found[canonical] = header
    schema = SCHEMAS[kind]
    has_points = not raw.is_table and schema.points
    missing = [c for c in schema.required if c not in found and not (has_points and c in ("lon", "lat"))]
    for column in missing:
        aliases = "、".join(_aliases(kind, column)[:4])
        problems.append(
            Problem(
                f"missing required column {column!r} (headers such as {aliases}); "
                f"map another column with --column {column}=HEADER",
                file=str(raw.source.path),
            )
        )
    renamed = frame.rename(columns={v: k for k, v in found.items()})
    return renamed, found, problems


def _aliases(kind: str, column: str) -> list[str]:
    return [column, *COLUMN_ALIASES[kind].get(column, ())]


_DMS = re.compile(
    r"^\s*(-?\d+(?:\.\d+)?)\s*(?:°|度|d)\s*(?:(\d+(?:\.\d+)?)\s*(?:['′’]|分|m)\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*(?:[\"″”]|''|秒|s)\s*)?([NSEW东西南北]?)\s*$",
    re.IGNORECASE,
)


def parse_coordinates(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse decimal degrees, or degrees-minutes-seconds (``112°30′15″``, ``112度30分15秒``).

    Returns the values (NaN where missing or unparseable) and a mask of unparseable entries.
    """
    text = text.fillna("").astype(str).str.strip()
    number = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
    todo = np.isnan(number) & (text != "").to_numpy()
    if todo.any():
        parts = text[todo].str.extract(_DMS)
        deg = pd.to_numeric(parts[0], errors="coerce")
        minutes = pd.to_numeric(parts[1], errors="coerce").fillna(0.0)
        seconds = pd.to_numeric(parts[2], errors="coerce").fillna(0.0)
        sign = np.where(parts[3].fillna("").str.upper().isin(["S", "W", "南", "西"]), -1.0, 1.0)
        number[todo] = (sign * (deg.abs() + minutes / 60.0 + seconds / 3600.0)).to_numpy()
    bad = np.isnan(number) & (text != "").to_numpy()
    return number, bad


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
            layer.problems.append(layer.problem(i, f"{values.iloc[i]!r} is not a number", column))
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
    if lon_col == "lon":
        ok &= _check_lonlat(layer, lon, lat, bounds, lon_col, lat_col)
    if declared in crs_.SHIFTED:
        lon, lat = crs_.to_wgs84(lon, lat, declared)
    return np.where(ok, shapely.points(lon, lat), shapely.points(np.nan, np.nan))


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
    return layer


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
    for i in np.flatnonzero(is_line & (shapely.length(lines) == 0)):
        layer.problems.append(layer.problem(i, "line of zero length", "geometry"))
    if "name" in layer.data:
        layer.data["name"] = layer.data["name"].fillna("").astype(str)
    return layer


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


def measurements_layer(raw: RawLayer) -> Layer:
    """Monthly (or any) measurements, long or wide, as a long table.

    Output columns: ``section, date, parameter`` (canonical code), ``text`` (as written),
    ``value`` (number for statistics in the standard's unit: half the detection limit when not
    detected), ``below_dl``, ``detection_limit``, ``unit`` (the standard's), ``column`` (the
    file's column, wide form) and ``row`` (position in the file, for locating problems).
    """
    frame, columns, problems = map_columns(raw, "measurements")
    layer = Layer("measurements", frame, raw, columns, problems)
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
    else:
        wide = {c: parameter_code(c) for c in frame.columns if c not in SCHEMAS["measurements"].required}
        params = {c: code for c, code in wide.items() if code}
        others = [c for c, code in wide.items() if not code and c != "_row" and c not in columns]
        if not params:
            layer.problems.append(
                Problem(
                    "no parameter columns found: give either parameter and value columns "
                    "(监测项目, 监测值) or one column per parameter (氨氮, 总磷 …)",
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

    report(parsed["bad"], lambda r: f"{r['value']!r} is neither a number nor detection-limit notation "
                                    "(0.02L, or ND/未检出 with a 检出限 column)")  # fmt: skip
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
    layer.data = pd.DataFrame(
        {
            "section": long["section"].astype(str).str.strip(),
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
    return layer


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
    """Read and check one layer, collecting every problem (raises only if unreadable)."""
    raw = read_layer(source)
    reader = READERS[kind]
    return reader(raw, bounds) if kind in ("sections", "facilities") else reader(raw)


def load(kind: str, source: LayerSource, *, bounds=CHINA_BOUNDS) -> Layer:
    """Read and check one layer; raise :class:`InputError` listing every error."""
    layer = inspect(kind, source, bounds=bounds)
    raise_on_errors(layer.problems, InputError)
    return layer
