"""Which county and city each point lies in, and how much of each river each county holds."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoenv.crs import working_crs
from geoenv.settings import NEAR_BORDER_M

#: A point outside every county by up to this many metres is kept with no county (a warning:
#: the 黄河 along the provincial border, a neighbouring province's sections on a shared river);
#: farther out it is an error: a mistyped degree moves a point ~100 km.
OUTSIDE_MARGIN_M = 50_000.0


def assign_counties(
    points: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, *, near_m: float = NEAR_BORDER_M
) -> pd.DataFrame:
    """County and city of each point (point in polygon, vectorized with an STRtree).

    A point on a shared border belongs to the county with the smallest ``adcode`` (else name),
    so the answer does not depend on row order. A point outside every county but within
    ``near_m`` metres of one goes to the nearest and is flagged ``near``.

    Returns
    -------
    DataFrame aligned with ``points``: ``county``, ``city``, ``adcode``, ``admin_match``
    (``inside`` / ``border`` / ``near`` / ``outside``) and ``outside_m`` (distance to the
    nearest county, 0 inside).
    """
    n = len(points)
    order = np.lexsort((counties["name"].to_numpy(), _adcodes(counties)))
    rank = np.empty(len(counties), dtype=np.int64)
    rank[order] = np.arange(len(counties))
    county = np.full(n, -1, dtype=np.int64)
    hits = np.zeros(n, dtype=np.int64)
    geoms = points.geometry.to_numpy()
    pi, ci = counties.sindex.query(geoms, predicate="intersects")
    if len(pi):
        np.add.at(hits, pi, 1)
        best = pd.DataFrame({"p": pi, "r": rank[ci], "c": ci}).sort_values(["p", "r"])
        first = best.drop_duplicates("p")
        county[first["p"].to_numpy()] = first["c"].to_numpy()
    match = np.where(hits > 1, "border", np.where(hits == 1, "inside", "outside")).astype(object)
    outside_m = np.zeros(n)
    todo = np.flatnonzero((county < 0) & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    if len(todo):
        metric = working_crs(tuple(counties.total_bounds))
        pts = points.iloc[todo].to_crs(metric).geometry.to_numpy()
        polys = counties.to_crs(metric).geometry.to_numpy()
        tree = shapely.STRtree(polys)
        (qi, ti), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        outside_m[todo[qi]] = dist
        near = dist <= near_m
        county[todo[qi[near]]] = ti[near]
        match[todo[qi[near]]] = "near"
    found = county >= 0
    out = pd.DataFrame(index=points.index)
    for column, source in (("county", "name"), ("city", "city"), ("adcode", "adcode")):
        values = counties[source].to_numpy(dtype=object) if source in counties else np.full(len(counties), None)
        picked = values[np.maximum(county, 0)]
        picked[~found] = None  # no county found
        out[column] = picked
    out["admin_match"] = match
    out["outside_m"] = outside_m.round(1)
    return out


def _adcodes(counties: gpd.GeoDataFrame) -> np.ndarray:
    if "adcode" in counties:
        return counties["adcode"].fillna("").astype(str).to_numpy()
    return np.full(len(counties), "")


def river_lengths(rivers: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """Length of each named river in each county, in km (unnamed lines are summed as ``""``).

    Returns
    -------
    DataFrame ``river, county, city, length_km`` sorted by river, then length descending.
    """
    metric = working_crs(tuple(counties.total_bounds))
    lines = rivers.to_crs(metric).geometry.to_numpy()
    polys = counties.to_crs(metric).geometry.to_numpy()
    li, ci = shapely.STRtree(polys).query(lines, predicate="intersects")
    length = shapely.length(shapely.intersection(lines[li], polys[ci]))
    names = rivers["name"].to_numpy() if "name" in rivers else np.full(len(rivers), "")
    table = pd.DataFrame(
        {
            "river": names[li],
            "county": counties["name"].to_numpy()[ci],
            "city": counties["city"].to_numpy()[ci] if "city" in counties else None,
            "length_km": length / 1000.0,
        }
    )
    table = table.groupby(["river", "county", "city"], dropna=False, as_index=False)[["length_km"]].sum()
    table = table[table["length_km"] > 0.0005]
    table["length_km"] = table["length_km"].round(3)
    return table.sort_values(["river", "length_km", "county"], ascending=[True, False, True]).reset_index(drop=True)
