"""Rivers cut at their sections, and highlights that are the answer (issue 14, items 2 and 3).

A Y network built here (metres east and north of X0, Y0; water runs west to the outlet at 0, 0):

    甲河  M1 (10000, 0) → (0, 0), M2 (20000, 0) → (10000, 0)
    乙河  T1 (14000, 5000) → (10000, 0), T2 (16000, 10000) → (14000, 5000)
    丙河  C1 (18000, 4000) → (14000, 5000), into the 乙河
    sections A (4000, 0) on M1 (IV), B (15000, 0) on M2 (II), C on T2, halfway (劣V)
    a tailings pond P halfway along T1

and the issue's 文峪河 (with the 磁窑河 flowing into it) added to the embedded rivers, with
文峪河水库出口 (II) and 南姚 (IV) on it and 桥头 (劣V) on the 磁窑河.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.ops import substring

import geoenv
from geoenv import datasets
from geoenv.basin import open_basin
from geoenv.config import embedded_source
from geoenv.io import LayerSource
from geoenv.maps.atlas import _classed_reaches, build_atlas, impact_highlight, trace_highlight
from geoenv.maps.publish import PALETTE, UNCONTROLLED_COLOUR
from geoenv.network import build_network, navigate
from geoenv.network.substring import line_substrings
from geoenv.relate import controlled_stretches
from geoenv.tracing import impact, trace

CRS = 32649
X0, Y0 = 500000.0, 4150000.0
LINES = {
    "M1": ("甲河", [(10000, 0), (6000, 0), (0, 0)]),
    "M2": ("甲河", [(20000, 0), (10000, 0)]),
    "T1": ("乙河", [(14000, 5000), (10000, 0)]),
    "T2": ("乙河", [(16000, 10000), (14000, 5000)]),
    "C1": ("丙河", [(18000, 4000), (14000, 5000)]),
}
LENGTH = {k: shapely.LineString(xy).length for k, (_, xy) in LINES.items()}
T2_MID = (15000, 7500)
T1_MID = (12000, 2500)


def _frame(xy, **columns) -> gpd.GeoDataFrame:
    xs, ys = zip(*xy, strict=True)
    frame = gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(np.add(xs, X0), np.add(ys, Y0)), crs=CRS)
    frame = frame.to_crs(4326)
    frame["lon"], frame["lat"] = frame.geometry.x, frame.geometry.y
    return frame


@pytest.fixture(scope="module")
def y_basin():
    lines = gpd.GeoDataFrame(
        {"id": list(LINES), "name": [name for name, _ in LINES.values()]},
        geometry=[shapely.LineString(np.add(xy, (X0, Y0))) for _, xy in LINES.values()],
        crs=CRS,
    )
    net = build_network(lines, flow="digitized", tolerance_m=5)
    sections = _frame([(4000, 0), (15000, 0), T2_MID], code=["A", "B", "C"], name=["甲", "乙", "丙"],
                      river=["甲河", "甲河", "乙河"])  # fmt: skip
    ponds = _frame([T1_MID], id=["P"], name=["尾矿库"], kind=["tailings_pond"], river=["乙河"])
    return open_basin(net, sections, ponds, radius_m=50)


def _reach(basin, rid: str) -> int:
    return int(np.flatnonzero(basin.net.ids == rid)[0])


def _metres(lines: gpd.GeoDataFrame) -> float:
    return float(lines.to_crs(CRS).length.sum())


def test_line_substrings_are_shapely_substrings():
    rng = np.random.default_rng(7)
    lines = np.array([shapely.LineString(rng.normal(size=(rng.integers(2, 9), 2)).cumsum(0)) for _ in range(40)])
    which = rng.integers(0, len(lines), 300)
    total = shapely.length(lines)[which]
    start = rng.uniform(-0.2, 1.1, 300) * total
    end = start + rng.uniform(0, 1, 300) * total
    got = line_substrings(lines, which, start, end)
    for i in range(300):
        a = min(max(start[i], 0), total[i])
        b = min(max(end[i], a), total[i])
        expected = substring(lines[which[i]], a, b)
        assert got[i].length == pytest.approx(b - a, abs=1e-9)
        if expected.geom_type == "LineString":
            assert got[i].hausdorff_distance(expected) < 1e-9
            assert shapely.Point(got[i].coords[0]).distance(shapely.Point(expected.coords[0])) < 1e-9


def test_each_section_controls_up_to_the_next_and_no_river_borrows(y_basin):
    table = controlled_stretches(y_basin)
    table["id"] = y_basin.net.ids[table["reach"]]
    got = {(r.id, round(r.from_m), round(r.to_m)): r.control for r in table.itertuples()}
    m1, m2, t2 = LENGTH["M1"], LENGTH["M2"], LENGTH["T2"]
    assert got == {
        ("M1", 0, 4000): None,  # below A: no section downstream on the 甲河
        ("M1", 4000, m1): "A",
        ("M2", 0, 5000): "A",  # A controls up to B
        ("M2", 5000, m2): "B",  # above the topmost section, up to the head
        ("T1", 0, round(LENGTH["T1"])): None,  # the 乙河 below C does not borrow A of the 甲河
        ("T2", 0, round(t2 / 2)): None,
        ("T2", round(t2 / 2), round(t2)): "C",
        ("C1", 0, round(LENGTH["C1"])): None,  # the 丙河 has no section of its own
    }


def test_rivers_are_drawn_as_the_stretches_with_their_class(y_basin):
    rivers = _classed_reaches(y_basin, np.array(["IV", "II", "劣V"], dtype=object))
    assert list(rivers.columns) == ["name", "class", "control", "weight", "reach", "geometry"]
    drawn = rivers.to_crs(CRS)
    by_control = drawn.assign(m=drawn.length).groupby(drawn["control"].fillna("none"))["m"].sum()
    assert by_control.to_dict() == pytest.approx(
        {
            "A": 6000 + 5000,
            "B": 5000,
            "C": LENGTH["T2"] / 2,
            "none": 4000 + LENGTH["T1"] + LENGTH["T2"] / 2 + LENGTH["C1"],
        }
    )
    assert rivers.set_index("control")["class"].dropna().to_dict() == {"A": "IV", "B": "II", "C": "劣V"}
    # A's piece on M2 runs from the junction up to B, drawn downstream (B first)
    piece = drawn[(drawn["control"] == "A") & (drawn["reach"] == _reach(y_basin, "M2"))].geometry.iloc[0]
    assert piece.coords[0] == pytest.approx((X0 + 15000, Y0)) and piece.coords[-1] == pytest.approx((X0 + 10000, Y0))
    # without any class the rivers have one colour (no class column)
    assert "class" not in _classed_reaches(y_basin, np.array([None] * 3, dtype=object))


def test_a_trace_runs_up_from_the_section_to_its_limit(y_basin):
    upstream_of_a = LENGTH["M1"] - 4000 + LENGTH["M2"] + LENGTH["T1"] + LENGTH["T2"] + LENGTH["C1"]
    whole = trace(y_basin, "A")
    assert whole.length_km == pytest.approx(upstream_of_a / 1000)
    assert _metres(trace_highlight(y_basin, whole).lines) == pytest.approx(upstream_of_a, abs=0.01)  # measures in mm
    near = trace(y_basin, "A", distance_km=7)  # 6 km to the junction, then 1 km up each branch
    assert _metres(trace_highlight(y_basin, near).lines) == pytest.approx(8000)
    assert set(y_basin.net.ids[near.reaches]) == {"M1", "M2", "T1"}


def test_a_trace_stops_at_the_compliant_section_of_one_branch(y_basin):
    status = pd.DataFrame(
        {"class": ["IV", "II", "劣V"], "target": ["III", "III", "III"], "meets_target": [False, True, False],
         "exceeding": [["nh3n"], [], ["nh3n"]]},
        index=pd.Index(["A", "B", "C"], name="code"),
    )  # fmt: skip
    stopped = trace(y_basin, "A", status=status, stop_at_compliant=True)
    assert stopped.stops == ["B"]
    answer = LENGTH["M1"] - 4000 + 5000 + LENGTH["T1"] + LENGTH["T2"] + LENGTH["C1"]  # up to B, all of the 乙河
    lines = trace_highlight(y_basin, stopped).lines
    assert _metres(lines) == pytest.approx(answer)
    # nothing drawn above B on the 甲河
    above_b = shapely.LineString([(X0 + 15001, Y0), (X0 + 20000, Y0)])
    assert lines.to_crs(CRS).intersection(above_b).length.sum() == pytest.approx(0)


def test_a_spill_runs_down_from_the_pond_to_its_limit(y_basin):
    to_outlet = LENGTH["T1"] / 2 + LENGTH["M1"]
    spill = impact(y_basin, facility="P")
    lines = impact_highlight(y_basin, spill).lines.to_crs(CRS)
    assert _metres(lines) == pytest.approx(to_outlet) and spill.length_km == pytest.approx(to_outlet / 1000)
    near = impact_highlight(y_basin, impact(y_basin, facility="P", distance_km=5)).lines.to_crs(CRS)
    assert _metres(near) == pytest.approx(5000)
    # it starts at the pond: nothing upstream of it
    pond = shapely.Point(X0 + T1_MID[0], Y0 + T1_MID[1])
    start = near[near["reach"] == _reach(y_basin, "T1")].geometry.iloc[0]
    assert start.coords[0] == pytest.approx(pond.coords[0], abs=0.01)
    above = shapely.LineString([(X0 + 14000, Y0 + 5000), (X0 + T1_MID[0] + 8, Y0 + T1_MID[1] + 10)])
    assert near.intersection(above.buffer(1)).length.sum() == pytest.approx(0)


@pytest.fixture(scope="module")
def project():
    return geoenv.open_project()


def test_embedded_highlights_are_their_answers(project):
    basin = project.basin
    result = geoenv.trace(project, "SX014", period=project.default_period, stop_at_compliant=True)
    stops = result.table[result.table["id"].isin(result.stops)]
    assert result.stops == ["SX015"]
    drawn = _metres(trace_highlight(basin, result).lines)
    assert drawn == pytest.approx(stops["distance_km"].max() * 1000, rel=1e-3)
    assert _metres(trace_highlight(basin, geoenv.trace(project, "SX014", distance_km=30)).lines) == pytest.approx(
        30000, rel=1e-3
    )
    pond = basin.facilities[(basin.facilities["kind"] == "tailings_pond") & (basin.facilities["reach"] >= 0)].iloc[0]
    near = impact(basin, facility=pond["id"], distance_km=50)
    assert _metres(impact_highlight(basin, near).lines) == pytest.approx(50000, rel=1e-3)
    whole = impact(basin, facility=pond["id"])
    path = navigate(basin.net, int(pond["reach"]), "DD", measure_m=float(pond["measure_m"]))
    assert _metres(impact_highlight(basin, whole).lines) == pytest.approx(path["length_km"].sum() * 1000, rel=1e-3)


def test_embedded_rivers_cover_every_reach_once(project):
    rivers = build_atlas(project, project.default_period).content.rivers
    net = project.network
    drawn = rivers.to_crs(net.reaches.crs).assign(m=lambda f: f.length).groupby("reach")["m"].sum()
    assert drawn.to_numpy() == pytest.approx(net.length, rel=1e-3)
    sections = project.basin.sections.set_index("code")
    # the 汾河 between 平遥 (SX015) and 孝义 (SX014) is 孝义's, with its class
    on_fen = rivers[rivers["control"] == "SX014"].to_crs(net.reaches.crs)
    assert on_fen.length.sum() == pytest.approx(
        sections.loc["SX015", "measure_m"] - sections.loc["SX014", "measure_m"], rel=1e-3
    )
    classes = project.quality(project.default_period).sections.set_index("section")["class"]
    assert set(on_fen["class"]) == {classes["SX014"]}
    # unnamed tributaries of the 黄河 are no section's
    names = net.reaches["name"].to_numpy()
    assert rivers.loc[names[rivers["reach"]] == "", "control"].isna().all()


FEN_AT = (112.14715, 37.29571)  # a point of the embedded 汾河, between 文水 (SX016) and 平遥 (SX015)
WENYU_SECTIONS = {  # code: name, river, where along its line (0 at the head), target, NH3-N (mg/L)
    "WY1": ("文峪河水库出口", "文峪河", ("upper", 0.3), "Ⅱ类", "0.40"),
    "WY2": ("南姚", "文峪河", ("lower", 0.5), "Ⅳ类", "1.20"),
    "WY3": ("桥头", "磁窑河", ("ciyao", 0.5), "Ⅳ类", "3.00"),
}
WENYU_CLASSES = {"WY1": "II", "WY2": "IV", "WY3": "劣V"}


def wenyu_files(folder):
    """The 文峪河 and 磁窑河 as a bureau's layer, its three sections added to the sample
    register, their measurements added to the sample's; the lines in metres and where each
    section lies (WGS84)."""
    fen = gpd.GeoSeries(gpd.points_from_xy([FEN_AT[0]], [FEN_AT[1]]), crs=4326).to_crs(CRS).iloc[0]
    x, y = fen.x, fen.y
    lines = {
        "upper": ("文峪河", shapely.LineString([(x - 40000, y + 20000), (x - 20000, y + 8000)])),
        "lower": ("文峪河", shapely.LineString([(x - 20000, y + 8000), (x - 10000, y + 3000), (x - 150, y)])),
        "ciyao": ("磁窑河", shapely.LineString([(x - 26000, y + 26000), (x - 20000, y + 8000)])),
    }
    frame = gpd.GeoDataFrame({"HLMC": [n for n, _ in lines.values()]}, geometry=[g for _, g in lines.values()], crs=CRS)
    frame.to_crs(4326).to_file(folder / "文峪河.gpkg")
    sections = pd.read_csv(datasets.get_path("sample_sections"), dtype=str)
    measurements = pd.read_csv(datasets.get_path("sample_measurements"), dtype=str)
    at = {}
    for code, (name, river, (line, along), target, nh3n) in WENYU_SECTIONS.items():
        point = gpd.GeoSeries([lines[line][1].interpolate(along, normalized=True)], crs=CRS).to_crs(4326).iloc[0]
        at[code] = (point.x, point.y)
        sections.loc[len(sections)] = [code, name, river, f"{point.x:.6f}", f"{point.y:.6f}", "市考", target]
        for month in ("2024-05-01", "2024-06-01"):
            row = dict.fromkeys(measurements.columns, "")
            row.update({"断面编码": code, "监测日期": month, "pH": "7.6", "溶解氧": "8.0", "高锰酸盐指数": "2.0",
                        "化学需氧量": "10", "五日生化需氧量": "2.0", "氨氮": nh3n, "总磷": "0.02"})  # fmt: skip
            measurements.loc[len(measurements)] = row
    sections.to_csv(folder / "sections.csv", index=False)
    measurements.to_csv(folder / "measurements.csv", index=False)
    return {k: g for k, (_, g) in lines.items()}, at


def test_the_wenyu_he_is_coloured_by_its_own_sections(tmp_path):
    lines, _ = wenyu_files(tmp_path)
    rivers = embedded_source("rivers")
    project = geoenv.open_project(
        sections=tmp_path / "sections.csv",
        measurements=tmp_path / "measurements.csv",
        rivers=LayerSource(rivers.path, outlets=rivers.outlets, add=(LayerSource(tmp_path / "文峪河.gpkg"),)),
    )
    classes = project.quality().sections.set_index("section")["class"]
    assert {c: classes[c] for c in WENYU_CLASSES} == WENYU_CLASSES
    page = build_atlas(project).page(river="文峪河")
    assert set(page.rivers["name"]) == {"文峪河", "磁窑河"}  # the river's pieces and its tributary's, by reach
    drawn = page.rivers.to_crs(CRS)

    def class_at(line: str, along: float):
        point = lines[line].interpolate(along, normalized=True)
        return drawn.iloc[int(np.argmin(drawn.distance(point)))]["class"]

    assert class_at("upper", 0.1) == "II"  # above 文峪河水库出口, up to the head
    assert class_at("upper", 0.6) == "IV" and class_at("lower", 0.4) == "IV"  # 南姚's stretch
    assert class_at("lower", 0.8) is None  # below 南姚: no section on the 文峪河, not the 汾河's class
    assert class_at("ciyao", 0.2) == "劣V" and class_at("ciyao", 0.8) is None
    assert PALETTE["IV"] != UNCONTROLLED_COLOUR
