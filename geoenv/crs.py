"""Coordinate systems: declared CRSs, GCJ-02 / BD-09 ⇄ WGS84 (vectorized), the metric CRS.

GCJ-02 is the obfuscated datum Chinese web maps (AMap/Gaode, Tencent) publish; BD-09 is
Baidu's further shift of it. Neither is an EPSG CRS, so they are declared by name
(``--src-crs gcj02``) and converted here with the publicly documented formulas. The inverse
GCJ-02 → WGS84 has no closed form; it is solved by fixed-point iteration to well under 1 cm.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np
from pyproj import CRS
from pyproj.exceptions import CRSError

from geoenv.errors import InputError

WGS84 = CRS.from_epsg(4326)
SHIFTED = ("gcj02", "bd09")
_SHIFTED_ALIASES = {
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "火星坐标": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
    "百度坐标": "bd09",
}

#: What registers write in a coordinate-source column (坐标来源 / 坐标系 …) → ``wgs84``,
#: ``gcj02`` or ``bd09``. CGCS2000 (2000国家大地坐标系, 天地图, 北斗) is taken as WGS84: the two
#: frames agree to a few centimetres, far below what a register's coordinates resolve.
#: Keys are folded by :func:`_source_key`.
COORDINATE_SOURCES: dict[str, str] = {
    **dict.fromkeys(("gps", "手持gps", "gps定位", "gps实测", "实测", "wgs84", "wgs1984", "epsg4326", "4326",
                     "cgcs2000", "2000国家大地坐标系", "国家2000", "2000坐标系", "cgcs2000坐标系", "epsg4490", "4490",
                     "天地图", "北斗", "rtk"), "wgs84"),
    **dict.fromkeys(("高德", "高德地图", "高德坐标", "amap", "gaode", "gcj02", "gcj", "火星坐标", "火星坐标系",
                     "国测局坐标", "腾讯", "腾讯地图", "qq地图", "soso地图"), "gcj02"),
    **dict.fromkeys(("百度", "百度地图", "百度坐标", "baidu", "bd09", "bd09ll"), "bd09"),
}  # fmt: skip
COORDINATE_SOURCE_NAMES = "GPS/WGS84, CGCS2000/天地图/北斗 (as WGS84), 高德/腾讯/GCJ-02, 百度/BD-09"


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _source_key(value: str) -> str:
    return re.sub(r"[\s\-_:：()（）]+", "", unicodedata.normalize("NFKC", value).lower())


def coordinate_source(value: object) -> str | None:
    """The system a row's coordinates were taken in, from a coordinate-source cell.

    Returns ``"wgs84"``, ``"gcj02"`` or ``"bd09"``; ``""`` for a blank cell (the file's CRS
    applies); None for a value geoenv does not know.

    Examples
    --------
    >>> coordinate_source("高德地图"), coordinate_source("WGS-84"), coordinate_source("BD-09")
    ('gcj02', 'wgs84', 'bd09')
    >>> coordinate_source("高德地图拾取"), coordinate_source("高德转GPS"), coordinate_source("奥维地图")
    ('gcj02', None, None)
    """
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()
    if not text:
        return ""
    key = _source_key(text)
    if key in COORDINATE_SOURCES:
        return COORDINATE_SOURCES[key]
    if _CONTROL.search(text):
        return None
    # GPS实测（WGS84）, 高德地图拾取, 百度地图(BD09): the names it holds all say one system
    named = {system for name, system in COORDINATE_SOURCES.items() if not name.isdigit() and name in key}
    return named.pop() if len(named) == 1 else None


# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formulas.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def parse_crs(text: str | int | CRS | None) -> CRS | str | None:
    """Read a CRS the user declared: EPSG code, ``EPSG:4490``, WKT, PROJ, ``gcj02`` or ``bd09``.

    Returns a :class:`pyproj.CRS`, or the string ``"gcj02"``/``"bd09"`` for the shifted
    Chinese web-map systems (geographic, on a WGS84 base), or None for None.
    """
    if text is None or isinstance(text, CRS):
        return text
    key = str(text).strip().lower()
    if key in _SHIFTED_ALIASES:
        return _SHIFTED_ALIASES[key]
    try:
        return CRS.from_user_input(int(key) if key.isdigit() else str(text).strip())
    except CRSError as exc:
        raise InputError(
            f"unknown CRS {text!r}: give an EPSG code (4326, 4490, 32649 …), WKT, "
            "or gcj02 / bd09 for coordinates taken from Gaode or Baidu maps"
        ) from exc


def out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where a point lies outside the rough box in which GCJ-02 shifts are applied."""
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    wave = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx
    dlat += wave * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx
    dlon += wave * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS84 longitudes and latitudes (degrees, arrays) into GCJ-02."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invert the GCJ-02 shift by fixed-point iteration (error < 1 cm after a few steps)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < 1e-10) and np.all(np.abs(elat) < 1e-10):
            break
    return wlon, wlat


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift GCJ-02 coordinates into Baidu's BD-09."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invert the BD-09 shift by fixed-point iteration."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    glon, glat = lon - 0.0065, lat - 0.006
    for _ in range(30):
        blon, blat = gcj02_to_bd09(glon, glat)
        elon, elat = blon - lon, blat - lat
        glon, glat = glon - elon, glat - elat
        if np.all(np.abs(elon) < 1e-10) and np.all(np.abs(elat) < 1e-10):
            break
    return glon, glat


def to_wgs84(lon: np.ndarray, lat: np.ndarray, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert ``gcj02`` or ``bd09`` longitudes and latitudes to WGS84."""
    if system == "bd09":
        lon, lat = bd09_to_gcj02(lon, lat)
    return gcj02_to_wgs84(lon, lat)


def from_wgs84(lon: np.ndarray, lat: np.ndarray, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 longitudes and latitudes to ``gcj02`` or ``bd09``."""
    lon, lat = wgs84_to_gcj02(lon, lat)
    return gcj02_to_bd09(lon, lat) if system == "bd09" else (lon, lat)


def unshift_geometries(geoms: np.ndarray, system: str) -> np.ndarray:
    """Move shapely geometries drawn in ``gcj02``/``bd09`` back to WGS84, vertex-wise."""
    return _transform(geoms, to_wgs84, system)


def shift_geometries(geoms: np.ndarray, system: str) -> np.ndarray:
    """Move WGS84 shapely geometries into ``gcj02``/``bd09`` (to draw them on such tiles)."""
    return _transform(geoms, from_wgs84, system)


def _transform(
    geoms: np.ndarray, func: Callable[[np.ndarray, np.ndarray, str], tuple[np.ndarray, np.ndarray]], system: str
) -> np.ndarray:
    import shapely

    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = func(xy[:, 0], xy[:, 1], system)
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, convert)


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS84 UTM zone holding a point: geoenv's metric working CRS for data around it."""
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def working_crs(bounds: tuple[float, float, float, float]) -> CRS:
    """The metric CRS for data with WGS84 ``bounds`` (the UTM zone of their centre)."""
    minx, miny, maxx, maxy = bounds
    return utm_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)
