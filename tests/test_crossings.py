"""Border crossings (跨界断面): short excursions merged into one passage, outflow and inflow
sections only ever of the unit they lie in, their distances to the border, and the embedded data.

The small networks here are straight lines in UTM 49N, water running east (digitized
downstream); counties are boxes, so every answer is a difference of x coordinates.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString
from test_cli import run
from test_investigate import COUNTIES, points
from test_network import CRS, X0, Y0, tree

from geoenv import answers, open_project
from geoenv.basin import open_basin
from geoenv.borders import OUTSIDE, crossings
from geoenv.network import build_network
from geoenv.settings import ParameterError


def rivers(**lines: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    """Lines by id (name: the id's letter), vertices in metres from (X0, Y0)."""
    geoms = [LineString([(X0 + x, Y0 + y) for x, y in xy]) for xy in lines.values()]
    return gpd.GeoDataFrame({"id": list(lines), "name": [k[0] for k in lines]}, geometry=geoms, crs=CRS)


def counties(**boxes) -> gpd.GeoDataFrame:
    """County polygons by name: each a box ``(x0, x1)`` from y = -1000 to 6000, or a geometry
    in metres from (X0, Y0); all in the city 一市 unless the name says ``name/city``."""
    names, cities, geoms = [], [], []
    for key, value in boxes.items():
        name, _, city = key.partition("_")
        names.append(name)
        cities.append(city or "一市")
        shape = shapely.box(value[0], -1000, value[1], 6000) if isinstance(value, tuple) else value
        geoms.append(shapely.affinity.translate(shape, X0, Y0))
    return gpd.GeoDataFrame({"name": names, "city": cities}, geometry=geoms, crs=CRS).to_crs(4326)


def sections(**places) -> gpd.GeoDataFrame:
    """Sections by code at ``(x, y)`` on the river ``M`` (or ``T`` for codes starting T)."""
    codes = list(places)
    return points(list(places.values()), code=codes, name=[f"{c}断面" for c in codes],
                  river=["T" if c.startswith("T") else "M" for c in codes])  # fmt: skip


def basin_of(lines: gpd.GeoDataFrame, registered: gpd.GeoDataFrame | None = None):
    net = build_network(lines, flow="digitized", tolerance_m=5)
    far = sections(S0=(0, 5000))  # off every river: not placed
    return open_basin(net, registered if registered is not None else far, radius_m=100)


# --- one passage, one crossing -----------------------------------------------------------------

#: Three teeth of B (300, 400 and 200 m along the river) cut into A before B proper at x = 8000,
#: with 500, 400 and 200 m of A between them: the river zigzags along the border.
TEETH = [(6000, 6300), (6800, 7200), (7600, 7800)]
ZIGZAG = counties(
    A=shapely.box(-1000, -1000, 8000, 6000).difference(shapely.union_all([shapely.box(a, -1000, b, 6000)
                                                                            for a, b in TEETH])),
    B=shapely.union_all([shapely.box(8000, -1000, 21000, 6000), *(shapely.box(a, -1000, b, 6000) for a, b in TEETH)]),
)  # fmt: skip


def test_a_river_zigzagging_along_a_border_crosses_once():
    """Six short stays (B, A, B, A, B, A) between A's last long run and B's first: one crossing
    where the river first leaves A, at x = 6000, with the six stays merged into it."""
    basin = basin_of(rivers(M=[(0, 0), (20000, 0)]))
    result = crossings(basin, ZIGZAG)
    table = result.crossings
    assert len(table) == 1 and result.merged == 6 and result.along_edge == 0
    row = table.iloc[0]
    assert (row["upstream_unit"], row["downstream_unit"], row["merged"]) == ("A", "B", 6)
    assert row["measure_m"] == pytest.approx(20000 - 6000, abs=1)  # above the reach's downstream end
    every = crossings(basin, ZIGZAG, min_run_km=0).crossings
    assert len(every) == 7 and every["merged"].eq(0).all()  # A→B→A three times, then A→B
    assert sorted(every["measure_m"].round()) == sorted(20000 - x for x in [6000, 6300, 6800, 7200, 7600, 7800, 8000])
    # With a limit of 0.35 km the runs of 400 and 500 m stay: the first tooth (300 m of B) takes
    # the unit of the 500 m of A below it (A→B→A: no crossing); A→B at 6800, B→A at 7200, and
    # A→B at 7600, where the last tooth (200 m of B, then 200 m of A) begins.
    some = crossings(basin, ZIGZAG, min_run_km=0.35)
    table = some.crossings.sort_values("measure_m", ascending=False)
    assert (20000 - table["measure_m"].round()).tolist() == [6800, 7200, 7600]
    assert table["merged"].tolist() == [0, 0, 2] and some.merged == 3


def test_the_outflow_section_is_measured_to_where_the_river_first_leaves():
    """A section of A at x = 4000 is 2 km above the first tooth of B, 4 km above B proper: the
    outflow distance is to the first contact, and --near-km 3 keeps it."""
    basin = basin_of(rivers(M=[(0, 0), (20000, 0)]), sections(S1=(4000, 0), S2=(9000, 0)))
    row = crossings(basin, ZIGZAG, near_km=3).crossings.iloc[0]
    assert (row["outflow_section"], row["outflow_km"]) == ("S1", pytest.approx(2.0, abs=0.01))
    assert (row["inflow_section"], row["inflow_km"]) == ("S2", pytest.approx(3.0, abs=0.01))
    assert row["missing"] == ""


def test_a_short_stay_between_two_units_is_one_crossing_across_a_link():
    """A→B(500 m)→C, B on two reaches (300 m above the link, 200 m below): one crossing A→C
    where the river leaves A, 300 m above the end of the upper reach."""
    basin = basin_of(rivers(M1=[(0, 0), (8300, 0)], M2=[(8300, 0), (20000, 0)]))
    units = counties(A=(-1000, 8000), B=(8000, 8500), C=(8500, 21000))
    result = crossings(basin, units)
    assert len(result.crossings) == 1 and result.merged == 1
    row = result.crossings.iloc[0]
    assert (row["upstream_unit"], row["downstream_unit"], row["reach_id"], row["merged"]) == ("A", "C", "M1", 1)
    assert row["measure_m"] == pytest.approx(300, abs=1)
    assert row["lon"] == pytest.approx(points([(8000, 0)]).geometry.x[0], abs=1e-5)
    # 500 m is a run with a limit of 0.4 km: A→B at the top of B, B→C at its end.
    kept = crossings(basin, units, min_run_km=0.4).crossings
    assert sorted(kept[["upstream_unit", "downstream_unit", "reach_id"]].values.tolist()) == [
        ["A", "B", "M1"],
        ["B", "C", "M2"],
    ]
    assert sorted(kept["measure_m"].round()) == [300, 11500]


def test_a_short_run_at_the_edge_of_the_area_stays():
    """The river leaves the area after 300 m in B: a real crossing, not an excursion."""
    basin = basin_of(rivers(M=[(0, 0), (20000, 0)]))
    result = crossings(basin, counties(A=(-1000, 19700)))
    assert result.crossings[["upstream_unit", "downstream_unit"]].values.tolist() == [["A", OUTSIDE]]
    assert result.merged == 0 and result.crossings["missing"].iloc[0] == "no_outflow_section;downstream_outside"


#: A river along the south edge of A and B (y = -1000): 500 m inside, then 500 m outside, in
#: stays of 3 km, entering A from the west at x = -1000 and leaving B east at x = 21000.
BORDER_RIVER = [(-6000, -500), (2000, -500), (2000, -1500), (5000, -1500), (5000, -500), (8000, -500),
                (8000, -1500), (11000, -1500), (11000, -500), (14000, -500), (14000, -1500), (17000, -1500),
                (17000, -500), (26000, -500)]  # fmt: skip


def test_a_river_along_the_edge_of_the_area_stays_in_the_units_beside_it():
    """38 km of river: it enters A 5 km from its source, leaves B 5 km above its outlet; its
    three stays outside the area (4 km each, at most 500 m off) are counted in the unit nearest
    them, and the border A|B, passed outside the area, is crossed where its line x = 10000
    meets the river at (10000, -1500), 19 km down (16.5 km to where it leaves A, 0.5 km down
    to y = -1500, 2 km east)."""
    basin = basin_of(rivers(M=BORDER_RIVER))
    result = crossings(basin, counties(A=(-1000, 10000), B=(10000, 21000)))
    table = result.crossings.sort_values("measure_m", ascending=False)
    assert table[["upstream_unit", "downstream_unit"]].values.tolist() == [[OUTSIDE, "A"], ["A", "B"], ["B", OUTSIDE]]
    assert table["measure_m"].round().tolist() == [38000 - 5000, 38000 - 19000, 5000]
    assert table["merged"].tolist() == [0, 0, 0]
    assert result.along_edge == 3 and result.merged == 0
    assert table["lon"].iloc[1] == pytest.approx(points([(10000, -1500)]).geometry.x[0], abs=1e-5)
    unmerged = crossings(basin, counties(A=(-1000, 10000), B=(10000, 21000)), edge_m=0)
    assert len(unmerged.crossings) == 8 and unmerged.along_edge == 0  # in and out of the area 4 times
    near = crossings(basin, counties(A=(-1000, 10000), B=(10000, 21000)), edge_m=400)  # 500 m is too far
    assert len(near.crossings) == 8 and near.along_edge == 0
    # A river ending 1 km beyond B, within 2 km of the area: it still leaves the area (an outlet).
    ending = crossings(basin_of(rivers(M=[*BORDER_RIVER[:-1], (22000, -500)])), counties(A=(-1000, 10000),
                                                                                     B=(10000, 21000)))  # fmt: skip
    last = ending.crossings.sort_values("measure_m").iloc[0]
    assert (last["upstream_unit"], last["downstream_unit"], round(last["measure_m"])) == ("B", OUTSIDE, 1000)
    assert len(ending.crossings) == 3 and ending.along_edge == 3


# --- outflow and inflow sections ---------------------------------------------------------------

#: A up to x = 20000, B to 30000, C beyond; a notch of B north of the river at x 19000–19500.
NOTCHED = counties(
    A=shapely.box(-2000, -1000, 20000, 6000).difference(shapely.box(19000, 50, 19500, 6000)),
    B=shapely.union_all([shapely.box(20000, -1000, 30000, 6000), shapely.box(19000, 50, 19500, 6000)]),
    C=(30000, 41000),
)
MAIN = {"M": [(-1000, 0), (40000, 0)]}


def by_id(result, upstream: str, downstream: str) -> pd.Series:
    table = result.crossings
    return table[(table["upstream_unit"] == upstream) & (table["downstream_unit"] == downstream)].iloc[0]


def test_outflow_and_inflow_sections_of_the_units_they_lie_in():
    """S1 20 km above the border in A; S5 on the river at x = 19200 but in B's notch (80 m off
    the line); S2 3 km into B; S6 5 km into C."""
    registered = sections(S1=(0, 0), S5=(19200, 80), S2=(23000, 0), S6=(35000, 0))
    result = crossings(basin_of(rivers(**MAIN), registered), NOTCHED)
    ab, bc = by_id(result, "A", "B"), by_id(result, "B", "C")
    assert (ab["outflow_section"], ab["outflow_km"]) == ("S1", pytest.approx(20.0, abs=0.01))  # not S5, in B
    assert (ab["inflow_section"], ab["inflow_km"]) == ("S2", pytest.approx(3.0, abs=0.01))
    assert (bc["outflow_section"], bc["outflow_km"]) == ("S2", pytest.approx(7.0, abs=0.01))
    assert (bc["inflow_section"], bc["inflow_km"]) == ("S6", pytest.approx(5.0, abs=0.01))
    assert ab["missing"] == bc["missing"] == ""
    assert "S5" not in set(result.sections["section"])
    expected = [["S1", "A", "outflow", "B", 20.0], ["S2", "B", "inflow", "A", 3.0],
                ["S2", "B", "outflow", "C", 7.0], ["S6", "C", "inflow", "B", 5.0]]  # fmt: skip
    got = result.sections.sort_values(["section", "role"])[["section", "unit", "role", "other_unit", "km"]]
    assert got.round(2).values.tolist() == expected
    units = result.units.set_index("unit")
    assert units.loc["B", "inflow_sections"] == "S2" and units.loc["B", "outflow_sections"] == "S2"
    assert units.loc["A", "outflow_sections"] == "S1" and units.loc["A", "inflow_sections"] == ""


def test_near_km_limits_the_search_and_missing_says_why():
    registered = sections(S1=(0, 0), S6=(35000, 0))
    basin = basin_of(rivers(**MAIN), registered)
    near = crossings(basin, NOTCHED, near_km=10)
    ab = by_id(near, "A", "B")
    assert ab["outflow_section"] == "" and np.isnan(ab["outflow_km"])
    assert ab["missing"] == "outflow_beyond_near_km;no_inflow_section"  # S6 lies in C, not in B
    assert by_id(near, "B", "C")["missing"] == "no_outflow_section"
    anywhere = crossings(basin, NOTCHED)
    assert by_id(anywhere, "A", "B")["outflow_section"] == "S1"
    assert by_id(anywhere, "A", "B")["missing"] == "no_inflow_section"


def test_a_tributary_inside_the_unit_counts():
    """T joins the main stem at x = 15000 in A; its section 2 km above the confluence is 7 km
    from the border, nearer than S1 on the main stem (20 km)."""
    lines = rivers(**MAIN, T=[(15000, 5000), (15000, 0)])
    result = crossings(basin_of(lines, sections(S1=(0, 0), T1=(15000, 2000))), NOTCHED)
    ab = by_id(result, "A", "B")
    assert (ab["outflow_section"], ab["outflow_km"]) == ("T1", pytest.approx(7.0, abs=0.01))
    assert len(result.crossings) == 2  # A→B and B→C


def test_the_comb_of_test_investigate():
    net = build_network(tree(), flow="digitized", tolerance_m=5)
    basin = open_basin(net, points([(1000, 0), (5500, 0), (6000, 1000), (9000, 0)], code=list("ABCD"),
                                   name=["甲", "乙", "丙", "丁"], river=["M", "M", "T", "M"]), radius_m=50)  # fmt: skip
    result = crossings(basin, COUNTIES, near_km=5)
    table = result.crossings.set_index("reach_id")
    assert set(table.index) == {"M3", "S"}
    main = table.loc["M3"]
    assert (main["upstream_unit"], main["downstream_unit"]) == ("东县", "西县")
    assert (main["outflow_section"], main["outflow_km"]) == ("B", pytest.approx(0.5, abs=0.01))
    assert (main["inflow_section"], main["inflow_km"]) == ("A", pytest.approx(4.0, abs=0.01))
    assert table.loc["S", "missing"] == "no_outflow_section;inflow_beyond_near_km"  # 6 km down to A
    units = result.units.set_index("unit")
    assert units.loc["西县", "inflow_sections"] == "A" and units.loc["东县", "outflow_sections"] == "B"
    assert units.loc["西县", "fed_from_elsewhere"] == "A(东县)"


# --- the library's checks and the project's cache ------------------------------------------------


@pytest.fixture(scope="module")
def shanxi():
    return open_project()


@pytest.mark.parametrize(
    ("changes", "name"),
    [({"units": "province"}, "units"), ({"near_km": -1}, "near_km"), ({"min_run_km": "1"}, "min_run_km"),
     ({"period": 2024}, "period")],
)  # fmt: skip
def test_parameters_are_checked(shanxi, changes, name):
    with pytest.raises(ParameterError, match=name):
        answers.crossings(shanxi, **changes)


def test_found_once_per_request(shanxi):
    assert shanxi.crossings("city", 10.0, 1.0) is shanxi.crossings("city", 10.0, 1.0)
    assert answers.crossings(shanxi, units="city", near_km=10, period="2024").period.label == "2024"


# --- the embedded data ------------------------------------------------------------------------


def test_embedded_crossings_drop_and_are_all_found_without_merging(shanxi):
    """Without merging, every point where a reach meets a county border and the county just
    upstream differs from the one just downstream is a crossing (a brute force); with the
    default 1 km, far fewer remain."""
    basin = shanxi.basin
    every = crossings(basin, shanxi["counties"], min_run_km=0, edge_m=0)
    assert len(every.crossings) == 303 and every.merged == every.along_edge == 0
    short = crossings(basin, shanxi["counties"], edge_m=0)  # short stays only: one crossing per chain
    assert len(short.crossings) == 204 and short.merged == 65 and short.along_edge == 0
    assert short.crossings["merged"].sum() == 25  # the other 40 were on A→B…→A chains: no crossing
    default = answers.crossings(shanxi)  # and the 黄河 along the province border stays in Shanxi
    assert len(default.crossings) == 103 and default.merged == 27 and default.along_edge == 89

    def between(table, a, b):  # the 汾河 zigzags along the border of 古交市 and 万柏林区
        return (table["upstream_unit"].isin([a, b]) & table["downstream_unit"].isin([a, b])).sum()

    def yellow(table):  # crossings on the 黄河, and those to or from 区域外
        on = table["river"] == "黄河"
        return on.sum(), (on & table[["upstream_unit", "downstream_unit"]].eq(OUTSIDE).any(axis=1)).sum()

    assert between(every.crossings, "古交市", "万柏林区") == 7 and between(default.crossings, "古交市", "万柏林区") == 1
    assert yellow(short.crossings) == (119, 112) and yellow(default.crossings) == (21, 4)
    counties_ = shanxi["counties"].to_crs(basin.net.reaches.crs)
    tree_ = shapely.STRtree(counties_.geometry.to_numpy())
    borders = shapely.union_all(shapely.boundary(counties_.geometry.to_numpy()))

    def unit(point):
        hit = tree_.query(point, predicate="within")
        return counties_["name"].iloc[hit[0]] if len(hit) else OUTSIDE

    expected = []
    for r, line in enumerate(basin.net.reaches.geometry):
        for point in shapely.get_parts(shapely.intersection(line, borders)):
            t = shapely.line_locate_point(line, point)
            if point.geom_type != "Point" or not 3 < t < line.length - 3:
                continue
            before, after = (unit(shapely.line_interpolate_point(line, t + d)) for d in (-2, 2))
            if before != after:
                expected.append((r, line.length - t, before, after))
    assert len(expected) == 303
    ours = every.crossings.groupby(["reach", "upstream_unit", "downstream_unit"])["measure_m"].apply(sorted).to_dict()
    for r, m, before, after in expected:
        assert min(abs(x - m) for x in ours[(r, before, after)]) < 5


def test_embedded_sections_watch_only_their_own_unit(shanxi):
    registered = shanxi.basin.sections.set_index("code")
    for units in ("county", "city"):
        for near_km in (None, 10):
            found = answers.crossings(shanxi, units=units, near_km=near_km).sections
            assert len(found) and (found["unit"].to_numpy() == registered.loc[found["section"], units].to_numpy()).all()


def test_embedded_city_outflows_with_and_without_a_limit(shanxi):
    """The embedded registers have no 南关, 韩武村 or 温南社; their counterparts: 太原市's outflow
    on the 汾河 is 汾河清徐断面, 8.6 km above 吕梁市; 晋中市's is 汾河灵石断面, 21.9 km above
    临汾市 — found with no limit, not within 10 km."""
    anywhere = answers.crossings(shanxi, units="city", period="2024")
    table = anywhere.crossings[anywhere.crossings["river"] == "汾河"]
    ty = table[(table["upstream_unit"] == "太原市") & (table["downstream_unit"] == "吕梁市")].iloc[0]
    assert (ty["outflow_section"], ty["outflow_km"]) == ("SX017", pytest.approx(8.573, abs=0.01))
    assert ty["period"] == "2024" and ty["outflow_class"] in {"I", "II", "III", "IV", "V", "劣V"}
    jz = table[(table["upstream_unit"] == "晋中市") & (table["downstream_unit"] == "临汾市")].iloc[0]
    assert (jz["outflow_section"], jz["outflow_km"]) == ("SX012", pytest.approx(21.916, abs=0.01))
    assert (jz["inflow_section"], jz["inflow_km"]) == ("SX011", pytest.approx(9.714, abs=0.01))
    near = answers.crossings(shanxi, units="city", near_km=10).crossings.set_index("id")
    assert near.loc[jz["id"], "outflow_section"] == "" and near.loc[jz["id"], "missing"] == "outflow_beyond_near_km"


def test_crossings_command(tmp_path):
    out = tmp_path / "跨市.csv"
    result = run("crossings", "--level", "city", "--period", "2024", "-o", out)
    assert result.exit_code == 0, result.output
    assert "merged 3 short stays (< 1 km) into the unit below them" in result.output
    assert "89 stretches along the area's edge (界河) counted in the unit beside them" in result.output
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str).fillna("")
    assert list(table.columns[:5]) == ["编号", "河流", "河段编号", "上游地市", "下游地市"]
    row = table[(table["上游地市"] == "太原市") & (table["下游地市"] == "吕梁市") & (table["河流"] == "汾河")].iloc[0]
    assert row["出境断面"] == "汾河清徐断面 (SX017)" and row["时段"] == "2024"
    assert row["出境断面是否达标"] in {"是", "否"}
    assert set(table["缺少断面"]) >= {"上游在区域外", "下游在区域外", ""}
    county = run("crossings", "-o", tmp_path / "跨界.csv")
    assert county.exit_code == 0, county.output
    rivers_ = pd.read_csv(tmp_path / "跨界.csv", encoding="utf-8-sig", dtype=str)["河流"]
    assert (rivers_ == "未命名河段").sum() == 6 and rivers_.notna().all()  # unnamed reaches, named so
    units = pd.read_csv(tmp_path / "跨市.units.csv", encoding="utf-8-sig", dtype=str).set_index("地市")
    assert units.loc["太原市", "出境断面"] == "汾河清徐断面 (SX017)"
    watching = pd.read_csv(tmp_path / "跨市.sections.csv", encoding="utf-8-sig", dtype=str)
    assert list(watching.columns) == ["断面编码", "名称", "所在地市", "断面作用", "跨界点", "对方地市", "距边界(km)",
                                      "时段", "水质类别", "是否达标"]  # fmt: skip
    assert set(watching["断面作用"]) == {"入境", "出境"}
    result = run("crossings", "--min-run-km", "-1", "-o", tmp_path / "x.csv")
    assert result.exit_code == 2 and "--min-run-km" in result.output


def test_no_border_crossed_and_no_unit_reached():
    basin = basin_of(rivers(M=[(0, 0), (20000, 0)]), sections(S1=(5000, 0)))
    inside = crossings(basin, counties(A=(-1000, 21000)))
    assert inside.crossings.empty and inside.sections.empty and inside.units["unit"].tolist() == ["A"]
    away = crossings(basin, counties(A=(50000, 60000)))
    assert away.crossings.empty and away.units.empty and away.merged == 0
