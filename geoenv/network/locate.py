"""Index points to reaches (hydroloom's ``index_points_to_lines``): reach id, measure, offset.

A point goes to the nearest *segment* of any reach within the search radius (the distance to
a line, not to its vertices). When the point names its river, reaches of that name within the
radius come first, so a section on the 汾河 beside a confluence lands on the 汾河, not on the
tributary. Measures run from the reach's downstream end: metres, and 0–100 as in NHDPlus.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoenv.network.graph import Network
from geoenv.settings import DEFAULT_RADIUS_M

LOCATED_COLUMNS = ["reach", "reach_id", "measure_m", "measure", "offset_m"]


def locate(
    net: Network, points: gpd.GeoSeries, *, names: pd.Series | None = None, radius_m: float = DEFAULT_RADIUS_M
) -> pd.DataFrame:
    """Locate points on the network.

    Parameters
    ----------
    points
        Points in any CRS (reprojected to the network's).
    names
        River name of each point ("" or missing when unknown).
    radius_m
        Search radius; points farther from every reach get ``reach = -1``.

    Returns
    -------
    DataFrame aligned with ``points``: ``reach`` (index, -1 if none), ``reach_id``, ``measure_m``
    (metres above the reach's downstream end), ``measure`` (0–100), ``offset_m``.
    """
    xy = points.to_crs(net.reaches.crs).to_numpy()
    geoms = net.reaches.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    point_idx, reach = tree.query(xy, predicate="dwithin", distance=radius_m)
    offset = shapely.distance(xy[point_idx], geoms[reach])
    candidates = pd.DataFrame({"point": point_idx, "reach": reach, "offset": offset})
    if names is not None:
        wanted = names.fillna("").astype(str).to_numpy()[point_idx]
        candidates["other_name"] = (wanted == "") | (net.reaches["name"].to_numpy()[reach] != wanted)
        candidates["other_name"] &= wanted != ""
    else:
        candidates["other_name"] = False
    best = candidates.sort_values(["point", "other_name", "offset", "reach"]).drop_duplicates("point")
    out = pd.DataFrame(index=range(len(xy)), columns=LOCATED_COLUMNS)
    out["reach"] = -1
    hit = best["point"].to_numpy()
    r = best["reach"].to_numpy()
    along = shapely.line_locate_point(geoms[r], xy[hit])
    length = net.length[r]
    measure_m = np.clip(length - along, 0, length)
    out.loc[hit, "reach"] = r
    out.loc[hit, "reach_id"] = net.reaches["id"].to_numpy()[r]
    out.loc[hit, "measure_m"] = measure_m.round(3)
    out.loc[hit, "measure"] = np.where(length > 0, 100 * measure_m / np.maximum(length, 1e-9), 0).round(4)
    out.loc[hit, "offset_m"] = best["offset"].to_numpy().round(3)
    out["reach"] = out["reach"].astype(np.int64)
    for column in ("measure_m", "measure", "offset_m"):
        out[column] = out[column].astype(float)
    return out


def locate_register(net: Network, frame: gpd.GeoDataFrame, *, radius_m: float = DEFAULT_RADIUS_M) -> pd.DataFrame:
    """Locate sections or facilities; a facility goes by its outfall when it has one.

    Returns the register's ``code`` (or ``id``) and ``name`` with the columns of :func:`locate`.
    """
    key = "code" if "code" in frame else "id"
    points = frame.geometry
    if {"outfall_lon", "outfall_lat"} <= set(frame.columns):
        lon = frame["outfall_lon"].astype(float).fillna(frame["lon"].astype(float))
        lat = frame["outfall_lat"].astype(float).fillna(frame["lat"].astype(float))
        points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326, index=frame.index)
    located = locate(net, points, names=frame.get("river"), radius_m=radius_m)
    head = frame[[key, "name"]].reset_index(drop=True).astype(str)
    return pd.concat([head, located], axis=1)
