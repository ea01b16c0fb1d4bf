"""``geoenv network check``: each kind of problem on a small layer made to have exactly one (or
two) of it, the GeoPackage and the map it writes, the CLI; and the known counts on the
embedded rivers and on the NHDPlus extracts (../shared/data; skipped when absent).

The layer (metres, UTM 49N; tolerance 50 m; the outlet given at the west end of 主河):

    主河 M   x 10000 → 0 along y = 0, vertices where the others join
    甲河 A   from (2000, 3000) south, ending 75 m (1.5 × tolerance) short of M: a gap
    乙渠 B   from M at x 5000 north-east to (7000, 2000), crossing C at (6000, 1000): no vertex
    丙河 C   from (6000, 3000) to M at x 6000, repeated with the same id: a duplicate
    庚河 G, 辛河 H   join M at x 8000 and 8030: M's 30 m between them is a short reach
    壬河 W   leaves M at x 3000 and rejoins it at x 4000: a braid
    戊河 E1, 己河 E2   a piece of its own, far east: 己河 joins 戊河 from the south; the outlet
            rule picks 己河's source (the far south end), so 戊河 flows in from both sides
"""

from __future__ import annotations

import json
import time

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from conftest import SHARED
from shapely.geometry import LineString
from test_cli import run

from geoenv import datasets
from geoenv.config import embedded_source
from geoenv.io import LayerSource
from geoenv.maps.qa import check_map
from geoenv.network import build_network, open_network
from geoenv.network.check import KINDS, check_network, summary_rows

RIVERS = datasets.get_path("shanxi_rivers")

CRS = 32649
X0, Y0 = 500000.0, 4150000.0
TOLERANCE = 50.0


def line(*points) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in points])


ROWS = [
    ("M", "主河", line((10000, 0), (8030, 0), (8000, 0), (6000, 0), (5000, 0), (4000, 0), (3000, 0), (0, 0))),
    ("A", "甲河", line((2000, 3000), (2000, 75))),
    ("B", "乙渠", line((5000, 0), (7000, 2000))),
    ("C", "丙河", line((6000, 3000), (6000, 0))),
    ("C", "丙河", line((6000, 3000), (6000, 0))),
    ("G", "庚河", line((8000, 2000), (8000, 0))),
    ("H", "辛河", line((8030, -2000), (8030, 0))),
    ("W", "壬河", line((3000, 0), (3500, 500), (4000, 0))),
    ("E1", "戊河", line((20000, 0), (25000, 0), (30000, 0))),
    ("E2", "己河", line((25000, -20000), (25000, 0))),
]
COUNTS = {
    "reaches": 16, "pieces": 3, "near_misses": 1, "pieces_without_outlet": 2, "outlets_chosen": 2,
    "outlets_suspect": 2, "loop_reaches": 2, "crossings": 1, "duplicates": 1, "short_reaches": 1,
}  # fmt: skip


def layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in ROWS], "name": [r[1] for r in ROWS]}, geometry=[r[2] for r in ROWS], crs=CRS
    )


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    point = gpd.GeoSeries(gpd.points_from_xy([X0 + x], [Y0 + y]), crs=CRS).to_crs(4326)
    return float(point.x.iloc[0]), float(point.y.iloc[0])


OUTLET = to_lonlat(0, 0)


def sections() -> gpd.GeoDataFrame:
    """S1 on 甲河 (the piece cut off by the gap), S2 on 主河."""
    points = [to_lonlat(2000, 1500), to_lonlat(1000, 0)]
    return gpd.GeoDataFrame(
        {"code": ["S1", "S2"], "name": ["甲河断面", "主河断面"], "river": ["甲河", "主河"]},
        geometry=gpd.points_from_xy([p[0] for p in points], [p[1] for p in points]),
        crs=4326,
    )


@pytest.fixture(scope="module")
def checked():
    net = build_network(layer(), tolerance_m=TOLERANCE, outlets=np.array([OUTLET]))
    return net, check_network(net, sections=sections())


def test_counts_of_each_kind(checked):
    _, result = checked
    assert result.counts == COUNTS


def test_crossings_left_out_are_not_counted_as_none(checked):
    net, _ = checked
    result = check_network(net, sections=sections(), crossings=False)
    assert result.counts == {k: n for k, n in COUNTS.items() if k != "crossings"} and result.crossings.empty
    assert "lines crossing without a junction" not in summary_rows(result)["check"].tolist()


def test_each_problem_is_located_and_explained(checked):
    _, result = checked
    near = result.near_misses.iloc[0]
    assert (near["line_id"], near["river"], near["other_line_id"], near["other_river"]) == ("A", "甲河", "M", "主河")
    assert near["gap_m"] == pytest.approx(75.0)
    assert "wider than the tolerance" in near["note"]

    pieces = result.pieces
    assert pieces["line_id"].tolist() == ["E1, E2", "A"]  # longest first
    assert pieces["length_m"].tolist() == [30000.0, 2925.0]
    assert pieces["sections"].tolist() == ["", "S1"] and pieces["n_sections"].tolist() == [0, 1]

    outlets = result.outlets.set_index("line_id")
    assert outlets["given"].to_dict() == {"M": True, "A": False, "E2": False}
    assert outlets["suspect"].to_dict() == {"M": False, "A": True, "E2": True}
    assert "戊河 flows in from both sides" in outlets.loc["E2", "note"]
    assert "75 m from line M (主河)" in outlets.loc["A", "note"]

    assert sorted(result.loops["line_id"]) == ["M", "W"]
    crossing = result.crossings.iloc[0]
    assert {crossing["line_id"], crossing["other_line_id"]} == {"B", "C"}
    assert (crossing.geometry.x, crossing.geometry.y) == pytest.approx(to_lonlat(6000, 1000))
    assert result.duplicates[["line_id", "other_line_id"]].values.tolist() == [["C", "C"]]
    assert result.short[["line_id", "length_m"]].values.tolist() == [["M", 30.0]]
    for frame in result.layers().values():
        assert frame.crs.to_epsg() == 4326
        assert {"kind", "gap_m", "line_id", "river", "note"} <= set(frame.columns)


def test_a_gap_within_three_tolerances_only(checked):
    """The same gap is not a near miss when the ends are looked at within 1 tolerance."""
    net, _ = checked
    assert check_network(net, factor=1.0).counts["near_misses"] == 0
    assert check_network(net, factor=1.6).counts["near_misses"] == 1


def test_map_shows_a_layer_per_kind(checked):
    net, result = checked
    html = check_map(net, result, sections=sections())
    for kind, (zh, en, _) in KINDS.items():
        n = len(getattr(result, kind))
        assert (in_page(f"{zh} {en} ({n})", html)) == (n > 0), kind
    assert "75 m from line M" in html and in_page("主河断面", html)


def in_page(text: str, html: str) -> bool:
    """Whether ``text`` is on the page, as it is or written into the layers' JSON."""
    return text in html or json.dumps(text)[1:-1] in html


def test_cli_check_writes_the_geopackage_and_the_map(tmp_path):
    lines = tmp_path / "河流.gpkg"
    layer().to_file(lines, engine="pyogrio")
    points = tmp_path / "断面.csv"
    frame = sections()
    points.write_text(
        "断面编码,断面名称,河流,经度,纬度\n"
        + "".join(f"{r.code},{r.name},{r.river},{r.geometry.x:.7f},{r.geometry.y:.7f}\n" for r in frame.itertuples()),
        encoding="utf-8",
    )
    qa, page = tmp_path / "qa.gpkg", tmp_path / "qa.html"
    outlet = f"{OUTLET[0]:.7f},{OUTLET[1]:.7f}"
    args = ["network", "check", lines, "--id-field", "id", "--tolerance-m", "50", "--outlet", outlet]
    result = run(*args, "--sections", points, "-o", qa, "--map", page)
    assert result.exit_code == 0, result.output
    assert "        1  悬空端点（近而未接） dangling ends near a line they do not join" in result.output
    assert "        2  未通往给定出口的河网 pieces that reach no given outlet" in result.output
    assert "        1  相交未连接 lines crossing without a junction" in result.output
    layers = dict(pyogrio.list_layers(qa))
    assert layers == {
        "near_misses": "Point", "pieces": "MultiLineString", "outlets": "Point", "loops": "LineString",
        "crossings": "Point", "duplicates": "LineString", "short": "LineString",
    }  # fmt: skip
    rows = {name: len(pyogrio.read_dataframe(qa, layer=name)) for name in layers}
    assert rows == {
        "near_misses": 1,
        "pieces": 2,
        "outlets": 3,
        "loops": 2,
        "crossings": 1,
        "duplicates": 1,
        "short": 1,
    }
    pieces = pyogrio.read_dataframe(qa, layer="pieces")
    assert pieces["sections"].tolist() == ["", "S1"] and pieces.crs.to_epsg() == 4326
    near = pyogrio.read_dataframe(qa, layer="near_misses")
    assert near[["kind", "line_id", "river", "other_line_id"]].values.tolist() == [["near_misses", "A", "甲河", "M"]]
    assert near["gap_m"].tolist() == [75.0]
    assert in_page("相交未连接 lines crossing without a junction (1)", page.read_text(encoding="utf-8"))

    again = run(*args, "-o", qa)
    assert again.exit_code == 1 and "exists" in again.output  # --overwrite to replace
    wrong = run(*args, "-o", tmp_path / "qa.csv")
    assert wrong.exit_code == 2


def test_build_prints_the_same_summary(tmp_path):
    lines = tmp_path / "河流.gpkg"
    layer().to_file(lines, engine="pyogrio")
    outlet = f"{OUTLET[0]:.7f},{OUTLET[1]:.7f}"
    result = run("network", "build", lines, "--id-field", "id", "--tolerance-m", "50", "--outlet", outlet,
                 "-o", tmp_path / "net.gpkg")  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = result.output.splitlines()
    assert "        2  其中可疑 of which suspect (a river's source, or inside the data)" in shown  # a line each
    assert "        1  短于容差的河段 reaches shorter than the tolerance" in shown
    assert not any("lines crossing without a junction" in line for line in shown[:-1])  # not looked for: said last
    assert shown[-1] == "(lines crossing without a junction, and the details: geoenv network check)"


def test_a_saved_network_is_checked_with_what_it_keeps(tmp_path):
    lines = tmp_path / "河流.gpkg"
    layer().to_file(lines, engine="pyogrio")
    saved = tmp_path / "net.gpkg"
    assert run("network", "build", lines, "--id-field", "id", "--tolerance-m", "50", "-o", saved).exit_code == 0
    result = check_network(open_network(LayerSource(saved)), tolerance_m=TOLERANCE)
    assert result.counts["duplicates"] == 0 and result.counts["outlets_chosen"] == 0  # not saved
    assert result.counts["near_misses"] == 1 and result.counts["crossings"] == 1 and result.counts["short_reaches"] == 1


EMBEDDED = {
    "reaches": 60, "pieces": 10, "near_misses": 0, "pieces_without_outlet": 9, "outlets_chosen": 9,
    "outlets_suspect": 3, "loop_reaches": 32, "crossings": 14, "duplicates": 0, "short_reaches": 0,
}  # fmt: skip


def test_embedded_rivers_known_counts(tmp_path):
    started = time.perf_counter()
    result = run(
        "network",
        "check",
        RIVERS,
        "-o",
        tmp_path / "qa.gpkg",
        "--map",
        tmp_path / "qa.html",
    )
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 30
    net = open_network(embedded_source("rivers"))
    assert check_network(net).counts == EMBEDDED
    assert "       14  相交未连接 lines crossing without a junction" in result.output
    suspect = pyogrio.read_dataframe(tmp_path / "qa.gpkg", layer="outlets").query("suspect")
    assert sorted(suspect["line_id"]) == ["R007", "R028", "R030"]


NHD = SHARED / "nhdplus"
# Digitized flow and a 1 m tolerance, as in test_network_nhdplus; then any direction (outlet).
NHD_COUNTS = {
    ("walker", "digitized"): dict(reaches=62, pieces=1, pieces_without_outlet=0, outlets_chosen=0, outlets_suspect=0,
                                  loop_reaches=0, crossings=0),
    ("new_hope", "digitized"): dict(reaches=746, pieces=1, pieces_without_outlet=0, outlets_chosen=0,
                                    outlets_suspect=0, loop_reaches=0, crossings=0),
    ("coastal_example", "digitized"): dict(reaches=572, pieces=1, pieces_without_outlet=0, outlets_chosen=0,
                                           outlets_suspect=0, loop_reaches=0, crossings=1),
    ("cida_flowlines", "digitized"): dict(reaches=333, pieces=9, pieces_without_outlet=8, outlets_chosen=0,
                                          outlets_suspect=0, loop_reaches=0, crossings=0),
    ("walker", "outlet"): dict(reaches=62, pieces=1, pieces_without_outlet=0, outlets_chosen=1, outlets_suspect=0,
                               loop_reaches=0, crossings=0),
    ("new_hope", "outlet"): dict(reaches=746, pieces=1, pieces_without_outlet=0, outlets_chosen=1, outlets_suspect=1,
                                 loop_reaches=306, crossings=0),
    ("coastal_example", "outlet"): dict(reaches=572, pieces=1, pieces_without_outlet=0, outlets_chosen=1,
                                        outlets_suspect=1, loop_reaches=52, crossings=1),
    ("cida_flowlines", "outlet"): dict(reaches=333, pieces=9, pieces_without_outlet=8, outlets_chosen=9,
                                       outlets_suspect=6, loop_reaches=0, crossings=0),
}  # fmt: skip


@pytest.mark.skipif(not NHD.exists(), reason="../shared/data/nhdplus is not here")
@pytest.mark.parametrize(("name", "flow"), list(NHD_COUNTS))
def test_nhdplus_known_counts(name, flow):
    from test_network_nhdplus import flowlines

    frame = flowlines(name)
    net = build_network(frame[["id", "name", "geometry"]], flow=flow, tolerance_m=1.0)
    result = check_network(net)
    expected = {"near_misses": 0, "duplicates": 0, "short_reaches": 0, **NHD_COUNTS[name, flow]}
    assert result.counts == expected
    if name == "coastal_example":  # two flowlines share 548 m of their course
        assert result.crossings["note"].tolist() == ["lines overlap for 548 m: remove the repeated stretch"]
    if flow == "outlet" and name == "new_hope":  # the rule picks a wrong end; the check says so
        froms = set(frame["fromnode"])
        true_outlets = set(frame.loc[~frame["tonode"].isin(froms), "id"])
        chosen = result.outlets.iloc[0]
        assert chosen["line_id"] not in true_outlets and chosen["suspect"]
