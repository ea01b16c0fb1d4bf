"""Turn files as read into layers in the canonical schema, collecting every located problem.

Each ``*_layer`` function takes a :class:`~geoenv.io.RawLayer` and returns a :class:`Layer`:
the canonical (Geo)DataFrame in WGS84 plus every problem found, errors and warnings, each
naming file, row and column. Nothing stops at the first problem, so ``geoenv validate`` can
list them all; :func:`load` raises when any is an error.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS, Transformer

from geoenv import crs as crs_
from geoenv.columns import Layer, map_columns
from geoenv.errors import InputError, Problem, raise_on_errors
from geoenv.io import LayerSource, RawLayer, read_layer
from geoenv.measurements import measurements_layer
from geoenv.schema import (
    CAPACITY_UNITS,
    COLUMN_ALIASES,
    FACILITY_LABELS_ZH,
    LEVELS,
    WATERS,
    capacity_header,
    facility_kind,
    known_kind_names,
    level,
    name_key,
    unit_key,
    water,
    water_class,
)
from geoenv.text import counted

Bounds = tuple[float, float, float, float]
"""A lon/lat box: west, south, east, north."""
# Where a user's points may plausibly lie when no counties layer bounds them: China.
CHINA_BOUNDS: Bounds = (73.0, 3.0, 136.0, 54.0)
MAX_OUTFALL_KM = 30.0
"""Farthest an outfall (排口) may lie from its facility, in km. Plants discharge through pipes
of a few km to the nearest receiving water (under 2 km in the embedded Shanxi register; long
trunk pipelines reach 10–20 km), while one mistyped degree moves a point 90–110 km: 30 km
leaves room for the longest pipelines and still catches the typo of a degree."""
MAX_VELOCITY_MS = 10.0
"""Fastest plausible mean river velocity (m/s); above it the unit is probably km/h or m/min."""


_HEMISPHERE = r"(?:东经|西经|南纬|北纬|[NSEW东西南北])"
_DMS = re.compile(
    rf"^\s*(?P<pre>{_HEMISPHERE})?\s*(?P<deg>-?\d+(?:\.\d+)?)\s*(?:°|度|d)\s*"
    r"(?:(?P<min>\d+(?:\.\d+)?)\s*(?:['′’]|分|m)\s*)?"
    r"(?:(?P<sec>\d+(?:\.\d+)?)\s*(?:[\"″”]|''|′′|’’|秒|s)\s*)?"
    rf"(?P<post>{_HEMISPHERE})?\s*$",
    re.IGNORECASE,
)
# ``112 30 15.2``: degrees, minutes and seconds apart by spaces (three parts, nothing else).
_SPACED = re.compile(
    rf"^\s*(?P<pre>{_HEMISPHERE})?\s*(?P<deg>-?\d{{1,3}})\s+(?P<min>\d{{1,2}})\s+(?P<sec>\d{{1,2}}(?:\.\d+)?)\s*"
    rf"(?P<post>{_HEMISPHERE})?\s*$",
    re.IGNORECASE,
)
_WEST_SOUTH = ("S", "W", "南", "西", "南纬", "西经")


def _coordinate_text(text: pd.Series) -> pd.Series:
    """Coordinates as written, NFKC-normalised (full-width digits and ° read as ASCII; º and ˚
    typed for the degree sign read as °; ″ becomes ′′)."""
    text = text.fillna("").astype(str).str.replace("[º˚]", "°", regex=True)
    return text.str.normalize("NFKC").str.strip()


def parse_coordinates(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse decimal degrees, or degrees-minutes-seconds as bureaus write them: ``112°30′15″``,
    ``112°30'15.2"``, ``112度30分15秒``, ``E112°30'15"``, ``东经112°30′15″``, ``112.504222°``,
    ``112 30 15`` (three parts apart by spaces), full-width digits.

    Minutes and seconds run from 0 to below 60, and only the last part written may have a
    fraction (``112°61′`` and ``112.5°30′`` are unparseable, not silently 113.02°).

    Returns the values (NaN where missing or unparseable) and a mask of unparseable entries.
    """
    text = _coordinate_text(text)
    number = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
    todo = np.isnan(number) & (text != "").to_numpy()
    if todo.any():
        parts = text[todo].str.extract(_DMS)
        spaced = text[todo].str.extract(_SPACED)
        parts = parts.where(parts["deg"].notna(), spaced)
        deg = pd.to_numeric(parts["deg"], errors="coerce")
        minutes = pd.to_numeric(parts["min"], errors="coerce")
        seconds = pd.to_numeric(parts["sec"], errors="coerce")
        hemisphere = parts["post"].fillna(parts["pre"]).fillna("").str.upper()
        two = parts["pre"].notna() & parts["post"].notna()
        sign = np.where(hemisphere.isin(_WEST_SOUTH) | deg.lt(0), -1.0, 1.0)
        value = sign * (deg.abs() + minutes.fillna(0.0) / 60.0 + seconds.fillna(0.0) / 3600.0)
        overflow = minutes.ge(60) | seconds.ge(60)
        fraction = (deg.mod(1).ne(0) & (minutes.notna() | seconds.notna())) | (
            minutes.mod(1).ne(0) & minutes.notna() & seconds.notna()
        )
        number[todo] = value.where(~(overflow | fraction | two)).to_numpy()
    number[np.isinf(number)] = np.nan  # inf, 1e309
    bad = np.isnan(number) & (text != "").to_numpy()
    return number, bad


def coordinate_problem(text: str) -> str:
    """Why a coordinate written as ``text`` could not be read (for the message)."""
    normal = _coordinate_text(pd.Series([text])).iloc[0]
    match = _DMS.match(normal) or _SPACED.match(normal)
    if match:
        minutes, seconds = (float(match[g]) if match[g] else None for g in ("min", "sec"))
        if minutes is not None and minutes >= 60:
            return f"{text!r} has {minutes:g} minutes: minutes run from 0 to 59"
        if seconds is not None and seconds >= 60:
            return f"{text!r} has {seconds:g} seconds: seconds run from 0 to 59"
        if match["pre"] and match["post"]:
            return f"{text!r} names its hemisphere twice: write it once, e.g. 112°30′15″E"
        return f"{text!r}: only the last of degrees, minutes and seconds may have decimals"
    number = pd.to_numeric(normal, errors="coerce")
    if normal.lower().lstrip("+-") in ("nan", "inf", "infinity") or np.isinf(number):
        return f"{text!r} is not a finite number"
    return f"{text!r} is not a number"


def _crs_name(crs: CRS | str | None) -> str:
    """A CRS as a message names it: ``EPSG:32649``, its name for a WKT, ``not declared``."""
    if crs is None:
        return "not declared"
    if isinstance(crs, CRS):
        epsg = crs.to_epsg()
        return f"EPSG:{epsg}" if epsg else crs.name
    return str(crs)


def _declared_crs(raw: RawLayer) -> CRS | str | None:
    return crs_.parse_crs(raw.source.crs) if raw.source.crs else None


def _points_from_table(layer: Layer, lon_col: str, lat_col: str, bounds: Bounds) -> np.ndarray:
    """Longitude/latitude columns → WGS84 points; NaN points where a problem was recorded.

    Each row is converted from its own coordinate source where the register gives one
    (``coord_source``: GPS, 高德地图 …); the other rows from the file's CRS (``--src-crs``,
    else WGS84).
    """
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
    own = _row_sources(layer)
    projected = isinstance(declared, CRS) and declared.is_projected
    default = declared if isinstance(declared, str) else ("metres" if projected else "wgs84")  # str: gcj02, bd09
    system = np.where(own == "", default, own)
    metres = system == "metres"
    if metres.any():  # the rows in the file's projected CRS
        lon[metres], lat[metres] = Transformer.from_crs(declared, crs_.WGS84, always_xy=True).transform(
            lon[metres], lat[metres]
        )
        if metres.all():
            return shapely.points(lon, lat)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    if not projected and _looks_projected(layer, lon, lat, lon_col, lat_col):
        return shapely.points(np.full(len(frame), np.nan), np.full(len(frame), np.nan))
    ok &= _check_lonlat(layer, lon, lat, bounds, lon_col, lat_col, rows=~metres) | metres
    for shifted in crs_.SHIFTED:  # one conversion per source, over all its rows
        rows = ok & (system == shifted)
        if rows.any():
            lon[rows], lat[rows] = crs_.to_wgs84(lon[rows], lat[rows], shifted)
    return np.where(ok, shapely.points(lon, lat), shapely.points(np.nan, np.nan))


def _row_sources(layer: Layer) -> np.ndarray:
    """Each row's coordinate source as :func:`_parse_row_sources` left it (``""`` where blank)."""
    if "coord_source" not in layer.data:
        return np.full(len(layer.data), "", dtype=object)
    return layer.data["coord_source"].fillna("").to_numpy(dtype=object)


def _parse_row_sources(layer: Layer) -> None:
    """Replace the ``coord_source`` column by each row's system (``wgs84``, ``gcj02``,
    ``bd09``; None where blank or unknown); unknown values are errors naming the row."""
    if "coord_source" not in layer.data:
        return
    text = layer.data["coord_source"].fillna("").astype(str).str.strip()
    systems = text.map({t: crs_.coordinate_source(t) for t in text.unique()})
    for i in np.flatnonzero(systems.isna().to_numpy()):
        layer.problems.append(
            layer.problem(
                i,
                f"unknown coordinate source {text.iloc[i]!r}: write one of {crs_.COORDINATE_SOURCE_NAMES}, "
                "or leave it blank for the file's CRS (--src-crs, else WGS84)",
                "coord_source",
            )
        )
    values = systems.to_numpy(dtype=object, copy=True)
    values[~systems.fillna("").ne("").to_numpy()] = None
    layer.data["coord_source"] = pd.Series(values, dtype=object, index=layer.data.index)


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


def _check_lonlat(
    layer: Layer,
    lon: np.ndarray,
    lat: np.ndarray,
    bounds: Bounds,
    lon_col: str,
    lat_col: str,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Flag coordinates out of range or swapped (judged against the study area's bounds), in
    ``rows`` (a mask; all by default)."""
    minx, miny, maxx, maxy = bounds
    rows = np.ones(len(lon), dtype=bool) if rows is None else rows
    valid = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    inside = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    swapped = rows & ~inside & (lat >= minx) & (lat <= maxx) & (lon >= miny) & (lon <= maxy)
    valid |= ~rows
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
    points = geoms.copy()
    points[kinds != 0] = None
    return _to_wgs84(layer, gpd.GeoSeries(points, crs=frame.crs)).to_numpy()


def _to_wgs84(layer: Layer, geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Reproject geometries to WGS84 from the file's CRS or the declared one."""
    declared = _declared_crs(layer.raw)
    if isinstance(declared, str):  # gcj02, bd09
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


GENERATED_PREFIX = "name-"
"""Codes and ids geoenv generates from a name start so: ``name-`` and 10 hex digits of the
SHA-256 of the name (NFKC, spaces removed; for facilities the kind too). Derived from the name
alone, they are the same every run and in any row order; lower-case ASCII letters, digits and
one hyphen, they are safe in file names; and no register writes its own codes so (a register
code equal to one generated is still caught as a duplicate)."""


def generated_ids(keys: pd.Series) -> pd.Series:
    """``name-`` + 10 hex digits of the SHA-256 of each key (one hash per distinct key)."""
    unique = {key: GENERATED_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10] for key in keys.unique()}
    return keys.map(unique)


@dataclass(frozen=True)
class _Identity:
    """How a point layer's rows are identified: the id column, its header in Chinese, and nouns."""

    column: str
    header: str
    noun: str
    nouns: str
    #: Columns that tell apart rows of one name without a code, in turn (the place, lon/lat to
    #: 4 decimals, last): a section's river; a facility's kind is in its key already.
    apart: tuple[str, ...]
    #: How files name these rows when their names are shared (said in the warning).
    by: str


_IDENTITIES = {
    "sections": _Identity(
        "code", "断面编码", "section", "sections", ("river",), "files that name these sections must use the codes"
    ),
    "facilities": _Identity("id", "编号", "facility", "facilities", (), "name them by id (e.g. --facility)"),
}


def _told_apart(
    data: pd.DataFrame, key: pd.Series, twice: pd.Series, columns: tuple[str, ...]
) -> tuple[pd.Series, pd.Series]:
    """Keys of the rows ``twice`` (one name, no code) extended until they differ: ``@`` and
    each of ``columns`` in turn, then the place (lon, lat to 4 decimals) for those still alike.

    A row's key depends only on the rows sharing its name, never on row order, so the codes
    made from it are the same every run.

    Returns
    -------
    The keys, and what made each extended one (``name and river``, ``name, river and place``).
    """
    used: list[str] = []
    basis = pd.Series("", index=key.index, dtype=object)
    for column in (*(c for c in columns if c in data), "place"):
        if not twice.any():
            break
        used.append(column)
        basis = basis.mask(
            twice, "name and " + used[0] if len(used) == 1 else f"name, {', '.join(used[:-1])} and {column}"
        )
        if column == "place":
            value = data["lon"].map(lambda v: f"{v:.4f}") + "," + data["lat"].map(lambda v: f"{v:.4f}")
        else:
            value = data[column].map(name_key)
        key = key.mask(twice, key + "@" + value)
        twice = twice & key.where(twice).duplicated(keep=False)
    return key, basis


def _identify(layer: Layer, key: pd.Series) -> None:
    """Give every row an identifier: its own code, else one generated from its name (``key``:
    the normalised name, for facilities with the kind), flagged in ``<column>_generated``.

    Problems: a row with neither code nor name, repeated codes (a generated one included),
    names shared by several rows (a warning when each has its own code; an error when one has
    none: the rows cannot be told apart), and one warning listing the codes generated.
    """
    who = _IDENTITIES[layer.kind]
    data = layer.data
    header = layer.columns.get(who.column, who.header)
    name_header = layer.columns.get("name", "name")
    given = data[who.column].fillna("").astype(str).str.strip() if who.column in data else pd.Series("", data.index)
    names = data["name"].map(name_key)
    blank = given.eq("")
    nameless = blank & names.eq("")
    for i in np.flatnonzero(nameless.to_numpy()):
        layer.problems.append(layer.problem(
            i, f"neither {header} nor {name_header}: the {who.noun} cannot be identified; give it a name or a code",
            "name"))  # fmt: skip
    made = blank & ~nameless
    named = key
    # a name (and kind) on several rows without codes: the river, then the place, tells them apart
    twice = made & key.where(made).duplicated(keep=False)
    key, basis = _told_apart(data, key, twice, who.apart)
    ids = given.mask(made, generated_ids(key[made]))
    data[who.column] = ids.where(~nameless, None)
    data[f"{who.column}_generated"] = made.to_numpy()
    _repeated_ids(layer, who, ids.where(~nameless, ""), made, key)
    _shared_names(layer, who, names, named, blank, basis)
    if made.any():
        label = data["name"].astype(str).str.strip()
        if "river" in data and "river" in who.apart:  # 东关断面 (浊漳河), 东关断面 (滹沱河)
            label = label.mask(twice & data["river"].notna(), label + " (" + data["river"].astype(str) + ")")
        shown = pd.DataFrame({"name": label[made], "id": ids[made]})
        listed = ", ".join(f"{n} → {c}" for n, c in zip(shown["name"][:5], shown["id"][:5], strict=True))
        more = f", … ({len(shown)} in all)" if len(shown) > 5 else ""
        what = "codes" if who.column == "code" else "ids"
        count = counted(int(made.sum()), who.noun, who.nouns)
        if who.column in layer.columns:
            start = f"{count} {'has' if made.sum() == 1 else 'have'} no {header}: {what}"
        else:
            start = f"the register has no {header} column: the {what} of its {count}"
        told = " or ".join((*(c for c in who.apart if c in data), "place"))
        repeats = f"with the {told} where a name repeats; " if twice.any() else ""
        layer.problems.append(Problem(
            f"{start} generated from their names ({repeats}the same every run; {who.column}_generated marks them): "
            f"{listed}{more}; give {header} in the register to use your own",
            file=layer.file, column=layer.columns.get(who.column), severity="warning"))  # fmt: skip


def _id_column(layer: Layer, who: _Identity) -> str:
    """The column a problem of identity is located in: the code column, else (none in the file) the name."""
    return who.column if who.column in layer.columns else "name"


def _rows(layer: Layer, positions: np.ndarray) -> str:
    """``rows 5, 9`` (``features 2, 7`` for vector files) for positions of the layer."""
    places = [layer.raw.where(int(i)) for i in positions]
    word = places[0].split(" ")[0]
    numbers = [p.split(" ", 1)[-1] for p in places]
    if len(numbers) == 1:
        return places[0]
    return f"{word}s {', '.join(numbers[:-1])} and {numbers[-1]}"


def _repeated_ids(layer: Layer, who: _Identity, ids: pd.Series, made: pd.Series, key: pd.Series) -> None:
    """Errors for codes given twice, and for generated codes equal to another row's (rows of
    one shared name are left to :func:`_shared_names`)."""
    used = ids.ne("")
    repeated = used & ids.duplicated(keep=False)
    if not repeated.any():
        return
    header = layer.columns.get(who.column, who.header)
    groups = pd.Series(np.arange(len(ids)), index=ids.index)[repeated.to_numpy()].groupby(ids[repeated])
    for value, members in groups:
        rows = members.to_numpy()
        same = made.iloc[rows].all() and key.iloc[rows].nunique() == 1
        alike = ", ".join(("name", *(c for c in ("kind", *who.apart) if c in layer.data)))
        first = layer.raw.where(int(rows[0]))
        for i in rows[1:]:
            if same:
                message = (f"the same {alike} and place as {first}: a repeated row? remove it, or give each "
                           f"its own {header}")  # fmt: skip
            elif made.iloc[i] or made.iloc[rows[0]]:
                message = (f"{who.noun} {who.column} {value!r} (generated from a name) is also the {who.column} of "
                           f"{first}: give this {who.noun} its own "
                           f"{header}")  # fmt: skip
            else:
                message = f"duplicate {who.noun} {'code' if who.column == 'code' else 'id'} {value!r} (also {first})"
            layer.problems.append(layer.problem(int(i), message, _id_column(layer, who)))


def _shared_names(
    layer: Layer, who: _Identity, names: pd.Series, key: pd.Series, blank: pd.Series, basis: pd.Series
) -> None:
    """A name shared by several rows: a warning naming them (a file naming the name cannot say
    which; measurements that do are refused by :func:`~geoenv.measurements.resolve_sections`);
    rows without a code got theirs from the name and river or place (:func:`_told_apart`)."""
    shared = names.ne("") & key.duplicated(keep=False)
    if not shared.any():
        return
    header = layer.columns.get(who.column, who.header)
    name_header = layer.columns.get("name", "name")
    groups = pd.Series(np.arange(len(key)), index=key.index)[shared.to_numpy()].groupby(key[shared], sort=False)
    for _, members in groups:
        rows = members.to_numpy()
        name = layer.data["name"].iloc[rows[0]]
        kind = layer.data["kind"].iloc[rows[0]] if who.column == "id" else None
        kind = f" ({FACILITY_LABELS_ZH.get(kind, kind)})" if kind else ""
        missing = rows[blank.iloc[rows].to_numpy()]
        if len(missing):
            what = "its id is" if who.column == "id" else "its code is"
            if len(missing) > 1:
                what = "their ids are" if who.column == "id" else "their codes are"
            frm = max(basis.iloc[missing], key=len) or "name"
            message = (f"{name_header} {name!r}{kind} is shared by {_rows(layer, rows)}; without {header} "
                       f"{what} generated from {frm}: {who.by}, or give each its own {header}")  # fmt: skip
            layer.problems.append(layer.problem(int(missing[0]), message, "name", severity="warning"))
        else:
            codes = ", ".join(layer.data[who.column].iloc[rows].astype(str))
            message = (f"{name_header} {name!r}{kind} is shared by {_rows(layer, rows)} ({header} {codes}): "
                       f"files that name these {who.nouns} must use the {header}")  # fmt: skip
            layer.problems.append(layer.problem(int(rows[0]), message, "name", severity="warning"))


def _point_layer(raw: RawLayer, kind: str, bounds: Bounds) -> Layer:
    frame, columns, problems = map_columns(raw, kind)
    frame = frame.drop(columns=["row_number"], errors="ignore")  # 序号: a row number, not an id
    layer = Layer(kind, frame, raw, columns, problems)
    if any(p.severity == "error" for p in problems):
        return layer
    _parse_row_sources(layer)
    if raw.is_table:
        points = _points_from_table(layer, "lon", "lat", bounds)
    else:
        points = _own_sources_on_geometry(layer, _points_from_geometry(layer, raw))
        frame = frame.drop(columns="geometry")
    data = gpd.GeoDataFrame(pd.DataFrame(frame), geometry=points, crs=4326)
    data["lon"] = shapely.get_x(data.geometry.to_numpy()).round(6)
    data["lat"] = shapely.get_y(data.geometry.to_numpy()).round(6)
    layer.data = data
    return layer


def _own_sources_on_geometry(layer: Layer, points: np.ndarray) -> np.ndarray:
    """Points of a vector layer whose rows say they were taken on Gaode or Baidu maps, moved
    back to WGS84: possible when the layer's CRS is geographic (its degrees are those of the
    map the points were taken on); otherwise an error (the column cannot be applied)."""
    own = _row_sources(layer)
    shifted = np.isin(own, crs_.SHIFTED)
    if not shifted.any():
        return points
    frame: gpd.GeoDataFrame = layer.raw.frame
    declared = _declared_crs(layer.raw) or frame.crs
    if declared in crs_.SHIFTED or not (isinstance(declared, CRS) and declared.is_geographic):
        layer.problems.append(Problem(
            f"{shifted.sum()} rows say their coordinates were taken on Gaode or Baidu maps "
            f"({layer.columns.get('coord_source')}), but the layer's CRS is {_crs_name(declared)}: such rows need "
            "geometries in degrees as the map showed them (a geographic CRS such as 4326)",
            file=layer.file, column=layer.columns.get("coord_source")))  # fmt: skip
        return points
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    for system in crs_.SHIFTED:
        rows = (own == system) & np.isfinite(lon) & np.isfinite(lat)
        if rows.any():
            lon[rows], lat[rows] = crs_.to_wgs84(lon[rows], lat[rows], system)
    return np.where(np.isfinite(lon), shapely.points(lon, lat), points)


def sections_layer(raw: RawLayer, bounds: Bounds = CHINA_BOUNDS) -> Layer:
    """Monitoring sections: unique codes, coordinates, level and target class checked."""
    layer = _point_layer(raw, "sections", bounds)
    if any(p.severity == "error" for p in layer.problems if p.where is None):
        return layer
    data = layer.data
    _identify(layer, data["name"].map(name_key))
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


def _coded(
    layer: Layer, column: str, parse: Callable[[str], str | None], table: dict[str, tuple[str, ...]], label: str
) -> None:
    """Replace a coded column by its canonical values; unknown values are errors."""
    if column not in layer.data:
        return
    text = layer.data[column].fillna("").astype(str)
    parsed = text.map(lambda v: parse(v) if v else None)
    accepted = "、".join(a[0] for a in table.values())
    for i in np.flatnonzero((text.ne("") & parsed.isna()).to_numpy()):
        layer.problems.append(layer.problem(i, f"unknown {label} {text.iloc[i]!r}: use {accepted}", column))
    layer.data[column] = parsed


def facilities_layer(raw: RawLayer, bounds: Bounds = CHINA_BOUNDS) -> Layer:
    """Facilities: unique ids, known kinds (with a suggestion), outfall location if any."""
    layer = _point_layer(raw, "facilities", bounds)
    if any(p.severity == "error" for p in layer.problems if p.where is None):
        return layer
    data = layer.data
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
    # ids are generated from kind and name: a plant and its outfall may share a name
    _identify(layer, kinds.fillna(text).astype(str) + ":" + data["name"].map(name_key))
    _capacities(layer)
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


KIND_CAPACITY_UNITS = {"sewage_plant": "m³/d", "wetland": "m³/d", "tailings_pond": "m³"}
"""The capacity unit of the kinds that have one: treatment flow for plants and wetlands, storage
volume (库容) for tailings ponds."""


def _capacities(layer: Layer) -> None:
    """Capacity columns (``设计规模（万吨/日）``, ``处理规模(m³/d)``, ``库容（万m³）`` or a bare one
    with a units row under it) → ``capacity`` in one unit per kind of quantity (m³/d, m³) and
    ``capacity_unit``. A number without any unit is kept as it is (``capacity_unit`` empty).

    Errors: an unknown unit (naming the column), a value that is not a number, a row with
    values in two capacity columns; a warning where a unit does not fit the facility's kind.
    """
    data = layer.data
    canonical = set(COLUMN_ALIASES["facilities"]) | {"geometry", "id_generated"}
    found = []  # (column in data, header in the file, unit written)
    if "capacity" in data:
        header = layer.columns.get("capacity", "capacity")
        split = capacity_header(header)
        found.append(("capacity", header, (split[1] if split else "") or layer.raw.units.get(header, "")))
    for column in data.columns:
        split = capacity_header(column) if column not in canonical else None
        if split:
            found.append((column, column, split[1] or layer.raw.units.get(column, "")))
    values = pd.DataFrame(index=data.index)
    units = pd.DataFrame(index=data.index)
    texts = pd.DataFrame(index=data.index)  # what is no number, kept as written
    for column, header, written in found:
        base, factor = None, 1.0
        if written:
            if unit_key(written) not in CAPACITY_UNITS:
                layer.problems.append(Problem(
                    f"unknown capacity unit {written!r}: write m³/d, t/d, 万吨/日 (a flow) or m³, 万m³ (a volume), "
                    "e.g. 设计规模（万吨/日）", file=layer.file, column=header))  # fmt: skip
                continue
            base, factor = CAPACITY_UNITS[unit_key(written)]
        text = data[column].fillna("").astype(str).str.normalize("NFKC").str.strip().str.replace(",", "")
        parts = text.str.extract(r"^(?P<number>\+?\d+(?:\.\d+)?|\+?\.\d+)\s*(?P<unit>.*)$")
        number = pd.to_numeric(parts["number"], errors="coerce")
        cell_unit = parts["unit"].fillna("").map(unit_key)
        known = cell_unit.eq("") | cell_unit.isin(list(CAPACITY_UNITS))
        loose = text.ne("") & (number.isna() | ~known)
        for i in np.flatnonzero(loose.to_numpy()):
            layer.problems.append(layer.problem(
                i, f"capacity {text.iloc[i]!r} is not a number{'' if written else ' (or one with a unit: 4万吨/日)'}: "
                "kept as written, but not used where facilities are ranked by size (trace)",
                "capacity" if column == "capacity" else header, severity="warning"))  # fmt: skip
        texts[header] = data[column].where(loose, None)
        own = cell_unit.map(lambda u: CAPACITY_UNITS.get(u, (None, np.nan)))
        use_cell = cell_unit.ne("") & known
        values[header] = (number * own.map(lambda u: u[1]).where(use_cell, factor)).where(known)
        units[header] = own.map(lambda u: u[0]).where(use_cell, base).where(values[header].notna(), None)
    if values.empty:
        return
    layer.columns.setdefault("capacity", str(values.columns[0]))
    twice = (values.notna() | texts.notna()).sum(axis=1).gt(1).to_numpy()
    for i in np.flatnonzero(twice):
        given = [h for h in values.columns if pd.notna(values[h].iloc[i]) or pd.notna(texts[h].iloc[i])]
        layer.problems.append(layer.problem(i, f"two capacities ({', '.join(given)}): give one", given[1]))
    first = values.notna().to_numpy().argmax(axis=1)
    rows = np.arange(len(values))
    has = values.notna().any(axis=1).to_numpy()
    capacity = pd.Series(np.where(has, values.to_numpy(dtype=float)[rows, first], np.nan), index=data.index)
    written_text = texts.bfill(axis=1).iloc[:, 0] if texts.notna().any(axis=None) else None
    if written_text is not None:  # numbers and the text that is none, in one column
        capacity = capacity.astype(object).where(has | written_text.isna(), written_text)
    data["capacity"] = capacity
    unit = units.to_numpy(dtype=object)[rows, first]
    unit[~has] = None
    data["capacity_unit"] = unit
    for column in {c for c, _, _ in found if c != "capacity"}:
        del data[column]
    expected = data["kind"].map(KIND_CAPACITY_UNITS)
    wrong = (expected.notna() & data["capacity_unit"].notna() & expected.ne(data["capacity_unit"])).to_numpy()
    positions = pd.Series(np.arange(len(data)))[wrong]
    for unit, members in positions.groupby(data["capacity_unit"].to_numpy()[wrong]):
        kinds = "、".join(sorted({FACILITY_LABELS_ZH[k] for k in data["kind"].iloc[members]}))
        layer.problems.append(Problem(
            f"{_rows(layer, members.to_numpy())} ({kinds}) {'gives' if len(members) == 1 else 'give'} a capacity "
            f"in {unit}: is the unit right? "
            "(a plant's or wetland's capacity is a flow, m³/d; a tailings pond's 库容 a volume, m³)",
            file=layer.file, column=layer.columns.get("capacity"), severity="warning"))  # fmt: skip
    unitless = has & pd.isna(data["capacity_unit"]).to_numpy()
    united = data["kind"][~pd.isna(data["capacity_unit"]).to_numpy()].unique()
    mixed = pd.Series(np.arange(len(data)))[unitless & data["kind"].isin(united).to_numpy()]
    if len(mixed):  # 2 beside 4万吨/日 → 40000: not comparable
        layer.problems.append(Problem(
            f"{_rows(layer, mixed.to_numpy())} {'gives' if len(mixed) == 1 else 'give'} a capacity without a unit "
            "where other facilities of the kind have one: kept as written, but not comparable (give the unit, "
            "e.g. 设计规模（万吨/日）)",
            file=layer.file, column=layer.columns.get("capacity"), severity="warning"))  # fmt: skip


def great_circle_km(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    """Haversine distance in km between points given in degrees (arrays; NaN where any is)."""
    x1, y1, x2, y2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _geometry_layer(raw: RawLayer, kind: str, type_ids: tuple[int, ...], noun: str) -> Layer:
    frame: gpd.GeoDataFrame
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
        polygons: gpd.GeoDataFrame = layer.data
        layer.data = polygons.set_geometry(array, crs=4326)
    layer.data["name"] = layer.data["name"].fillna("").astype(str)
    for column in ("adcode", "city"):
        if column in layer.data:
            layer.data[column] = layer.data[column].fillna("").astype(str)
    return layer


READERS: dict[str, Callable[..., Layer]] = {
    "sections": sections_layer,
    "facilities": facilities_layer,
    "rivers": rivers_layer,
    "counties": counties_layer,
    "measurements": measurements_layer,
}


def inspect(kind: str, source: LayerSource, *, bounds: Bounds = CHINA_BOUNDS) -> Layer:
    """Read and check one layer, collecting every problem (raises only if unreadable).

    Rivers with ``source.add`` come back as one layer: the lines of ``source`` and of each
    added file (see :func:`with_added_rivers`).
    """
    raw = read_layer(source, kind)
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
    frames, problems, used = [], list(base.problems), set[str]()
    for k, layer in enumerate([base, *added]):
        lines: gpd.GeoDataFrame = layer.data
        data = lines.to_crs(4326).reset_index(drop=True)
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


def load(kind: str, source: LayerSource, *, bounds: Bounds = CHINA_BOUNDS) -> Layer:
    """Read and check one layer; raise :class:`InputError` listing every error."""
    layer = inspect(kind, source, bounds=bounds)
    raise_on_errors(layer.problems, InputError)
    return layer
