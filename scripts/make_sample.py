"""Write the illustrative sample registers in geoenv/datasets/sample/ (seeded; not official data).

Sections sit on the named rivers, one at the middle of each river's longest stretch in
each county it crosses for at least 5 km (every such county on the 汾河, every other one on
the other rivers); facilities of every kind sit near them; the months of 2023 and 2024 carry
the basic items, with more pollution downstream of the big towns and a little less in 2024
than in 2023 (so that year-on-year comparisons have something to show).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from geoenv.crs import utm_crs

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "geoenv" / "datasets" / "sample"
METRIC = utm_crs(112.3, 37.7)
RNG = np.random.default_rng(20241)
# Counties below big towns or industry, where the sample makes the water worse.
LOADED = {
    "小店区": 3.0, "晋源区": 2.6, "清徐县": 3.2, "祁县": 2.2, "平遥县": 2.4, "介休市": 2.6,
    "孝义市": 2.5, "灵石县": 2.0, "霍州市": 1.8, "洪洞县": 2.0, "尧都区": 2.4, "襄汾县": 2.2,
    "侯马市": 2.8, "新绛县": 2.5, "稷山县": 2.3, "河津市": 2.4, "云州区": 1.8, "怀仁市": 1.7,
    "潞州区": 2.1, "潞城区": 1.9, "泽州县": 1.6, "忻府区": 1.7, "定襄县": 1.6,
}  # fmt: skip


def place_sections(rivers: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    named = rivers[rivers["name"] != ""].dissolve("name").reset_index()
    parts = gpd.overlay(named[["name", "geometry"]], counties[["name", "city", "geometry"]].rename(
        columns={"name": "county"}), how="intersection", keep_geom_type=True).explode(ignore_index=True)  # fmt: skip
    parts["m"] = parts.length
    parts["total"] = parts.groupby(["name", "county"])["m"].transform("sum")
    parts = parts.sort_values("m", ascending=False).drop_duplicates(["name", "county"])
    parts = parts[parts["total"] > 5000]
    rows = []
    for river, group in parts.groupby("name", sort=True):
        # Order the counties downstream-ish: by distance of the stretch along the river.
        line = shapely.line_merge(named.set_index("name").geometry[river])
        group = group.assign(pos=[line.project(g.interpolate(0.5, normalized=True)) for g in group.geometry])
        group = group.sort_values("pos", ascending=river not in {"汾河", "沁河", "丹河"})
        group = group if river == "汾河" else group.iloc[::2]
        for k, (_, part) in enumerate(group.iterrows()):
            point = part.geometry.interpolate(0.5, normalized=True)
            offset = RNG.uniform(30, 120) * RNG.choice([-1, 1])
            rows.append({"river": river, "county": part["county"], "k": k, "n": len(group),
                         "geometry": shapely.Point(point.x + offset, point.y + offset / 2)})  # fmt: skip
    sections = gpd.GeoDataFrame(rows, crs=METRIC)
    return sections


def main() -> None:
    rivers = gpd.read_file(ROOT / "geoenv/datasets/rivers/shanxi_rivers.geojson").to_crs(METRIC)
    counties = gpd.read_file(ROOT / "geoenv/datasets/boundaries/shanxi_counties.geojson").to_crs(METRIC)
    s = place_sections(rivers, counties)
    s["load"] = s["county"].map(LOADED).fillna(1.0) * (1 + 0.3 * s["k"] / s["n"])
    s["code"] = [f"SX{i + 1:03d}" for i in range(len(s))]
    s["name"] = [f"{r}{c.rstrip('县区市')}断面" for r, c in zip(s["river"], s["county"], strict=True)]
    levels = np.where(s["k"] % 3 == 0, "国考", np.where(s["k"] % 3 == 1, "省考", "市考"))
    levels[(s["k"] == s["n"] - 1).to_numpy()] = "国考"  # outflow sections are national
    s["level"] = levels
    # Targets a step stricter than the loaded reaches achieve, as 国考 targets often are.
    target = np.select([s["load"] < 1.2, s["load"] < 2.4, s["load"] < 3.0], ["Ⅱ类", "Ⅲ类", "Ⅳ类"], "Ⅴ类")
    s["target"] = target
    wgs = s.to_crs(4326)
    sections = pd.DataFrame({
        "断面编码": s["code"], "断面名称": s["name"], "所在河流": s["river"],
        "经度": wgs.geometry.x.round(6), "纬度": wgs.geometry.y.round(6),
        "断面级别": s["level"], "水质目标": s["target"],
    })  # fmt: skip
    # One register row written in degrees-minutes-seconds, as field staff sometimes do.
    lon = float(sections.loc[0, "经度"])
    sections["经度"] = sections["经度"].astype(str)
    sections.loc[0, "经度"] = f"{int(lon)}°{int(lon % 1 * 60)}′{(lon * 3600) % 60:.2f}″"
    sections.to_csv(OUT / "sections.csv", index=False, encoding="utf-8-sig", lineterminator="\n")

    facilities = make_facilities(s, rivers)
    facilities.to_csv(OUT / "facilities.csv", index=False, encoding="gbk", lineterminator="\n")
    make_measurements(s).to_csv(OUT / "measurements.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    print(f"{len(sections)} sections, {len(facilities)} facilities")


SHANXI = shapely.union_all(
    gpd.read_file(ROOT / "geoenv/datasets/boundaries/shanxi_counties.geojson").to_crs(METRIC).geometry.to_numpy()
)


def _away(point: shapely.Point, metres: float) -> shapely.Point:
    """A point ``metres`` from ``point`` in a random direction, inside Shanxi."""
    while True:
        angle = RNG.uniform(0, 2 * np.pi)
        moved = shapely.Point(point.x + metres * np.cos(angle), point.y + metres * np.sin(angle))
        if SHANXI.contains(moved.buffer(200)):
            return moved


def make_facilities(s: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame) -> pd.DataFrame:
    rows = []
    towns = s[s["load"] >= 1.6]
    for _, sec in towns.iterrows():  # a sewage plant upstream of each loaded section
        town = sec["county"].rstrip("县区市")
        plant = _away(sec.geometry, 1800)
        outfall = shapely.ops.nearest_points(rivers.union_all(), plant)[0]
        rows.append(("sewage_plant", f"{town}污水处理厂", plant, outfall, f"{RNG.integers(2, 12) * 1e4:.0f}",
                     "GB 18918-2002 一级A", ""))  # fmt: skip
        if RNG.random() < 0.4:
            rows.append(("wetland", f"{town}尾水人工湿地", _away(outfall, 600), None, "", "", ""))
        if RNG.random() < 0.5:
            rows.append(("outfall", f"{town}城区雨污混合排口", _away(sec.geometry, 900), None, "", "", ""))
    for county in ("娄烦县", "静乐县", "古交市", "代县", "繁峙县", "垣曲县"):
        near = s[s["county"] == county]
        if len(near):
            volume = f"{RNG.integers(50, 900)}万立方米"
            risk = RNG.choice(["重大", "较大", "一般"])
            name = f"{county.rstrip('县市')}铁矿尾矿库"
            rows.append(("tailings_pond", name, _away(near.geometry.iloc[0], 3500), None, volume, "", risk))
    for county, name in (("古交市", "汾河二库饮用水水源地"), ("尖草坪区", "汾河水库下游饮用水水源地"),
                         ("沁水县", "沁河张峰水库水源地"), ("繁峙县", "滹沱河上游水源地")):  # fmt: skip
        near = s[s["county"] == county]
        if len(near):
            rows.append(("water_source", name, _away(near.geometry.iloc[0], 400), None, "", "", ""))
    for county in ("清徐县", "介休市", "河津市"):
        near = s[s["county"] == county]
        if len(near):
            rows.append(("industrial_park", f"{county.rstrip('县市')}经济开发区", _away(near.geometry.iloc[0], 4000),
                         None, "", "", ""))  # fmt: skip
    rows.append(("other", "太原市应急监测站", _away(s.geometry.iloc[len(s) // 2], 2500), None, "", "", ""))
    kinds_zh = {"sewage_plant": "污水处理厂", "wetland": "人工湿地", "tailings_pond": "尾矿库",
                "outfall": "入河排污口", "water_source": "饮用水水源地", "industrial_park": "工业园区",
                "other": "其他"}  # fmt: skip
    geo = gpd.GeoSeries([r[2] for r in rows], crs=METRIC).to_crs(4326)
    out_geo = gpd.GeoSeries([r[3] for r in rows], crs=METRIC).to_crs(4326)
    return pd.DataFrame({
        "编号": [f"F{i + 1:03d}" for i in range(len(rows))],
        "名称": [r[1] for r in rows],
        "类型": [kinds_zh[r[0]] for r in rows],
        "经度": geo.x.round(6), "纬度": geo.y.round(6),
        "排口经度": out_geo.x.round(6), "排口纬度": out_geo.y.round(6),
        "设计规模": [r[4] for r in rows], "排放标准": [r[5] for r in rows], "风险等级": [r[6] for r in rows],
    })  # fmt: skip


def make_measurements(s: gpd.GeoDataFrame) -> pd.DataFrame:
    months = pd.date_range("2023-01-01", periods=24, freq="MS")
    season = 1 + 0.35 * np.cos((months.month - 2) / 12 * 2 * np.pi)  # winter low flow is worse
    trend = np.where(months.year == 2023, 1.12, 1.0)
    rows = []
    for _, sec in s.iterrows():
        load = sec["load"]
        for m, month in enumerate(months):
            f = load * season[m] * trend[m] * RNG.lognormal(0, 0.18)
            nh3n = 0.12 * f**2.2
            tp = 0.035 * f**1.6
            cod = 7 + 4.5 * f**1.5
            codmn = cod / 4.2
            bod5 = 1.5 + 0.8 * f**1.3
            do = max(2.5, 9.2 - 1.3 * f + RNG.normal(0, 0.3))
            row = {
                "断面编码": sec["code"], "监测日期": month.strftime("%Y-%m-%d"),
                "pH": f"{7.6 + RNG.normal(0, 0.25):.2f}",
                "水温": f"{4 + 20 * np.sin((month.month - 1) / 11 * np.pi):.1f}",
                "溶解氧": f"{do:.1f}", "高锰酸盐指数": f"{codmn:.1f}", "化学需氧量": f"{cod:.0f}",
                "五日生化需氧量": f"{bod5:.1f}",
                "氨氮": f"{nh3n:.3f}" if nh3n >= 0.025 else "0.025L",
                "总磷": f"{tp:.3f}" if tp >= 0.01 else "0.01L",
                "铜": "0.001L", "锌": f"{0.01 * f:.3f}" if f > 1.5 else "0.05L",
                "氟化物": f"{0.35 + 0.12 * f:.2f}", "砷": "0.0003L", "汞": "0.00004L", "镉": "0.0001L",
                "硒": "0.0004L", "六价铬": "0.004L", "铅": "0.001L", "氰化物": "0.004L", "挥发酚": "0.0003L",
                "石油类": f"{0.01 * f:.2f}" if f > 2 else "0.01L", "阴离子表面活性剂": "0.05L",
                "硫化物": "0.01L" if f < 2.5 else f"{0.008 * f:.3f}",
            }  # fmt: skip
            rows.append(row)
    return pd.DataFrame(rows)


if __name__ == "__main__":
    main()
