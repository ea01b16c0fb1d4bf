"""Networks made from a known tree, then perturbed: reversed, merged, split, gapped, multi-part,
duplicated, crossed, braided. The answers are known by construction.

The tree (metres, UTM 49N near 37.5° N; water runs west, to x = 0):

    main stem M: x 10000 → 0 along y = 0, cut at confluences into M1 (8000–10000) … M5 (0–2000)
    tributaries T2, T4, T6, T8 from (x, 3000) down to (x, 0) at x = 2000, 4000, 6000, 8000
    S: a sub-tributary from (4000+1500, 2000) west to (4000, 2000) on T4
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString

from geoenv.errors import NetworkError
from geoenv.network import build_network, navigate
from geoenv.network.locate import locate, locate_register
from geoenv.network.navigate import navigate_from
from geoenv.relate import relate

CRS = 32649
X0, Y0 = 500000.0, 4150000.0  # UTM 49N, about 114° E, 37.5° N


def at(x, y):
    return (X0 + x, Y0 + y)


def lines(frame: dict) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": list(frame), "name": [k[0] for k in frame]}, geometry=list(frame.values()), crs=CRS)


def tree(**changes) -> gpd.GeoDataFrame:
    parts = {f"M{i}": LineString([at(2000 * (6 - i), 0), at(2000 * (5 - i), 0)]) for i in range(1, 6)}
    parts.update({f"T{x}": LineString([at(1000 * x, 3000), at(1000 * x, 1500), at(1000 * x, 0)]) for x in (2, 4, 6, 8)})
    parts["S"] = LineString([at(5500, 2000), at(4000, 2000)])
    parts.update(changes)
    return lines({k: v for k, v in parts.items() if v is not None})


OUTLET = np.array([[0.0, 0.0]])


def outlet_lonlat():
    point = gpd.GeoSeries(gpd.points_from_xy([X0], [Y0]), crs=CRS).to_crs(4326)
    return np.c_[point.x, point.y]


def reach_of(net, rid):
    return int(net.index_of([rid])[0])


def ut(net, rid):
    return set(navigate(net, reach_of(net, rid), "UT")["id"])


def links(net):
    table = net.links()
    return set(zip(table["id"], table["toid"], strict=True))


EXPECTED_LINKS = {
    ("M1", "M2"), ("M2", "M3"), ("M3", "M4"), ("M4", "M5"), ("M5", ""),
    ("T8", "M2"), ("T6", "M3"), ("T4", "M4"), ("T2", "M5"), ("S", "T4"),
}  # fmt: skip
# S joins T4 on its interior: T4 is split there into T4.1 (above) and T4.2 (below).
EXPECTED_SPLIT = (EXPECTED_LINKS - {("T4", "M4"), ("S", "T4")}) | {("T4.1", "T4.2"), ("T4.2", "M4"), ("S", "T4.2")}


def test_digitized_tree_with_a_t_junction():
    net = build_network(tree(), flow="digitized", tolerance_m=5)
    assert links(net) == EXPECTED_SPLIT
    assert ut(net, "M4") == {"M4", "M3", "M2", "M1", "T8", "T6", "T4.1", "T4.2", "S"}
    assert net.report["t_junctions_split"] == 1


def test_reversed_lines_recover_the_tree_with_an_outlet():
    frame = tree()
    flip = np.array([True, False, True, True, False, True, False, True, False, True])
    frame.loc[flip, "geometry"] = shapely.reverse(frame.geometry.to_numpy()[flip])
    net = build_network(frame, flow="outlet", outlets=outlet_lonlat(), tolerance_m=5)
    assert links(net) == EXPECTED_SPLIT
    assert not net.reaches["ambiguous"].any()
    assert net.report["outlets"]["given"].tolist() == [True]


def test_outlet_rule_without_a_given_outlet_is_reported():
    """The rule takes the ends of the longest path between dangling ends on the data's edge and
    picks the southern, then eastern one. On this comb the longest path runs from T8's source to
    T2's, both at y = 3000, so the rule picks T8's: wrong, and reported as chosen, which is
    why --outlet exists (see the test above)."""
    net = build_network(tree(), flow="outlet", tolerance_m=5)
    chosen = net.report["outlets"]
    assert len(chosen) == 1 and not chosen["given"].iloc[0]
    point = gpd.GeoSeries(gpd.points_from_xy(chosen["lon"], chosen["lat"]), crs=4326).to_crs(CRS)
    assert (point.x.iloc[0] - X0, point.y.iloc[0] - Y0) == pytest.approx((8000, 3000), abs=0.5)


def test_main_stem_as_one_line_is_cut_at_confluences_and_named_upstream_first():
    frame = tree(**{f"M{i}": None for i in range(1, 6)})
    main = gpd.GeoDataFrame({"id": ["M"], "name": ["M"]}, geometry=[LineString([at(10000, 0), at(0, 0)])], crs=CRS)
    net = build_network(pd.concat([frame, main], ignore_index=True), flow="digitized", tolerance_m=5)
    expected = {(a.replace("M", "M."), b.replace("M", "M.")) for a, b in EXPECTED_SPLIT}
    assert links(net) == expected  # M.1 is the most upstream piece, M.5 ends at the outlet


def test_gaps_are_bridged_but_a_source_near_a_river_is_not_a_confluence():
    short = LineString([at(6000, 3000), at(6000, 120)])  # ends 120 m short of the main stem
    near_source = LineString([at(7000, 80), at(7000, 2500)])  # starts 80 m from M2, flows away
    frame = tree(T6=short, X=near_source)
    net = build_network(frame, flow="digitized", tolerance_m=200)
    got = links(net)
    assert ("T6", "M3") in got and net.report["gaps_bridged"] >= 1
    assert ("X", "") in got and not any(b == "X" for _, b in got)


def test_multipart_duplicate_and_crossing_lines():
    multi = MultiLineString([[at(10000, 0), at(9000, 0)], [at(9000, 0), at(8000, 0)]])
    aqueduct = LineString([at(3000, -1000), at(3000, 1000)])  # crosses M4 with no shared vertex
    frame = tree(M1=multi, A=aqueduct)
    frame = pd.concat([frame, frame[frame["id"] == "T2"]], ignore_index=True)  # T2 twice
    net = build_network(frame, flow="digitized", tolerance_m=5)
    got = links(net)
    assert {("M1.1", "M1.2"), ("M1.2", "M2")} <= got
    assert net.report["duplicates_dropped"] == 1
    assert ("A", "") in got and not any("A" in (a, b) for a, b in got - {("A", "")})


def test_a_braid_is_marked_and_navigated_through_both_branches():
    north = LineString([at(8000, 0), at(7000, 500), at(6000, 0)])
    frame = tree(N=north)  # M2 and N both run from x = 8000 to x = 6000
    net = build_network(frame, flow="outlet", outlets=outlet_lonlat(), tolerance_m=5)
    got = links(net)
    assert {("M1", "M2"), ("M1", "N"), ("N", "M3"), ("M2", "M3")} <= got
    divergence = net.reaches.set_index("id")["divergence"]
    assert sorted(divergence[["M2", "N"]]) == [1, 2] and divergence["M2"] == 1  # the shorter, same-size name
    assert {"M2", "N", "M1", "T8"} <= ut(net, "M3")
    assert {"M2", "N", "M3", "M5"} <= set(navigate(net, reach_of(net, "M1"), "DD")["id"])
    assert net.reaches.set_index("id").loc[["M2", "N"], "ambiguous"].all()


def test_a_digitized_loop_is_reported_not_fatal():
    a = LineString([at(0, 0), at(1000, 0)])
    b = LineString([at(1000, 0), at(500, 800)])
    c = LineString([at(500, 800), at(0, 0)])
    net = build_network(lines({"a": a, "b": b, "c": c}), flow="digitized", tolerance_m=1)
    assert net.report["loops"] == 1 and len(navigate(net, 0, "DD")) == 3


def test_nested_intervals_answer_is_upstream():
    net = build_network(tree(), flow="digitized", tolerance_m=5)
    every = np.arange(net.n)
    a, b = np.repeat(every, net.n), np.tile(every, net.n)
    fast = net.is_upstream(a, b)
    upstream_of = [set(net.index_of(list(ut(net, rid)))) for rid in net.reaches["id"]]
    slow = np.array([x in upstream_of[y] for x, y in zip(a, b, strict=True)])
    assert (fast == slow).all()


def test_distances_levelpaths_and_order():
    net = build_network(tree(), flow="digitized", tolerance_m=5)
    r = net.reaches.set_index("id")
    assert r.loc["M1", "pathlength_km"] == pytest.approx(8, abs=1e-5)
    assert r.loc["S", "pathlength_km"] == pytest.approx(2 + 4, abs=1e-5)
    assert r.loc["M1", "arbolate_sum"] == pytest.approx(2, abs=1e-5)
    assert r.loc["M5", "arbolate_sum"] == pytest.approx(10 + 4 * 3 + 1.5, abs=1e-5)
    assert set(r.loc[["M1", "M2", "M3", "M4", "M5"], "levelpath"]) == {"M5"}  # the main stem, by name
    assert r.loc["T4.1", "levelpath"] == "T4.2" and r.loc["S", "levelpath"] == "S"
    topo_sort = r["topo_sort"]  # hydroloom's: large values upstream
    assert all(topo_sort[a] > topo_sort[b] for a, b in EXPECTED_SPLIT if b)
    assert sorted(topo_sort) == list(range(1, net.n + 1))
    # UT from M4 nearest first, each with its distance from M4's downstream end.
    table = navigate(net, reach_of(net, "M4"), "UT").set_index("id")
    assert table.loc["T4.2", "distance_km"] == pytest.approx(2.0)
    assert table.loc["S", "distance_km"] == pytest.approx(4.0)
    assert table.index[0] == "M4" and table["distance_km"].is_monotonic_increasing


def test_navigation_from_a_point_and_its_limits():
    net = build_network(tree(), flow="digitized", tolerance_m=5)
    point = gpd.GeoSeries(gpd.points_from_xy([X0 + 5000], [Y0 + 30]), crs=CRS).to_crs(4326)
    start_at = (point.x.iloc[0], point.y.iloc[0])
    up = navigate_from(net, start_at=start_at, mode="UT", distance_km=2.5)
    assert up["id"].iloc[0] == "M3" and up["length_km"].iloc[0] == pytest.approx(1.0)
    assert set(up["id"]) == {"M3", "T6", "M2"}  # their downstream ends are 1 km up; M1's and T8's 3 km
    assert set(navigate_from(net, start_at=start_at, mode="UT", distance_km=3.0)["id"]) == {
        "M3",
        "T6",
        "M2",
        "M1",
        "T8",
    }
    down = navigate_from(net, start_at=start_at, mode="DM")
    assert down["id"].tolist() == ["M3", "M4", "M5"] and down["length_km"].iloc[0] == pytest.approx(1.0)
    assert down["distance_km"].tolist() == pytest.approx([0, 1, 3])
    with pytest.raises(NetworkError, match="no reach has this id"):
        navigate_from(net, start="M9", mode="UT")
    with pytest.raises(NetworkError, match="no reach within 1000 m"):
        navigate_from(net, start_at=(start_at[0], start_at[1] + 0.1), mode="UT")


def test_relations_on_the_tree():
    net = build_network(tree(), flow="digitized", tolerance_m=5)
    located = pd.DataFrame(
        {
            "code": ["A", "B", "C", "D"],
            "reach": net.index_of(["M5", "M3", "T6", "M1"]),
            "measure_m": [1000.0, 500.0, 1000.0, 0.0],
            "reach_id": ["M5", "M3", "T6", "M1"],
            "measure": [50.0, 25.0, 33.3, 0.0],
            "offset_m": 0.0,
        }
    )
    facilities = pd.DataFrame({"id": ["F1", "F2"], "reach": net.index_of(["T8", "M4"]), "measure_m": [0.0, 100.0]})
    result = relate(net, located, facilities).sections.set_index("code")
    assert result.loc["B", "downstream_code"] == "A" and result.loc["B", "distance_km"] == pytest.approx(0.5 + 2 + 1)
    assert result.loc["C", "downstream_code"] == "B" and result.loc["C", "distance_km"] == pytest.approx(1 + 1.5)
    assert result.loc["D", "downstream_code"] == "B"
    assert result.loc["B", "upstream_codes"] == "C;D" and result.loc["A", "upstream_codes"] == "B"
    assert result.loc["A", "downstream_code"] == ""
    assert result.loc["A", "facilities"] == "F2" and result.loc["B", "facilities"] == "F1"
    # Control segment of B: 1.5 km of M3 above it, M2, T8, and T6 below C (1 km).
    assert result.loc["B", "control_km"] == pytest.approx(1.5 + 2 + 3 + 1)


def test_points_snap_to_segments_by_name_and_facilities_by_outfall():
    net = build_network(tree(), flow="digitized", tolerance_m=5)
    xy = gpd.GeoSeries(gpd.points_from_xy([X0 + 6005, X0 + 6005, X0 + 3000], [Y0 + 30, Y0 + 30, Y0 + 800]), crs=CRS)
    got = locate(net, xy.to_crs(4326), names=pd.Series(["M", "", "M"]), radius_m=100)
    # Beside the T6 confluence: named "M", it lands on the main stem 30 m away, not on T6 5 m away.
    assert got["reach_id"].tolist()[:2] == ["M2", "T6"]
    assert got.loc[0, "offset_m"] == pytest.approx(30, abs=0.5) and got.loc[1, "offset_m"] == pytest.approx(5, abs=0.5)
    # Measures from the downstream end: M2 runs x 8000 → 6000, so x = 6005 is 5 m above its end.
    assert got.loc[0, "measure_m"] == pytest.approx(5, abs=0.01)
    assert got.loc[0, "measure"] == pytest.approx(0.25)
    assert got.loc[1, "measure_m"] == pytest.approx(30, abs=0.5)  # 30 m up T6 from its mouth
    assert got.loc[2, "reach"] == -1  # 800 m from everything: beyond the radius
    plants = gpd.GeoDataFrame(
        {"id": ["P"], "name": ["plant"], "lon": [0.0], "lat": [0.0], "outfall_lon": [np.nan], "outfall_lat": [np.nan]},
        geometry=gpd.points_from_xy([X0 + 7000], [Y0 + 2500]),
        crs=CRS,
    ).to_crs(4326)
    outfall = gpd.GeoSeries(gpd.points_from_xy([X0 + 8010], [Y0 + 1000]), crs=CRS).to_crs(4326)
    plants["lon"], plants["lat"] = plants.geometry.x, plants.geometry.y
    plants["outfall_lon"], plants["outfall_lat"] = outfall.x.to_numpy(), outfall.y.to_numpy()
    placed = locate_register(net, plants, radius_m=100)
    assert placed.loc[0, "reach_id"] == "T8" and placed.loc[0, "measure_m"] == pytest.approx(1000, abs=1)
