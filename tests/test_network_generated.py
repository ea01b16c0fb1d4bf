"""Networks built from damaged layers of random river trees answer as the trees do.

Each seed grows a tree (:mod:`river_trees`), damages it as users' layers are damaged (reversed,
merged across confluences, cut, ends pulled 0–0.8 × tolerance apart, multi-part, duplicated,
an aqueduct crossing without a junction), builds the network and compares, for points on every
true reach, which lies upstream of which (UT; DD is its transpose); and, on a placed register,
each section's next downstream section and distance, the facilities a trace finds and what a
spill from each facility reaches, in order and at what distance.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from river_trees import CRS, X0, Y0, damage, grow

from geoenv.basin import open_basin
from geoenv.network import build_network
from geoenv.network.navigate import upstream
from geoenv.relate import relate
from geoenv.tracing import impact, trace

TOLERANCE_M = 50.0
AT_SECTION, AT_FACILITY = 0.35, 0.7  # where on each true reach (from its upstream end)


def outlet_lonlat() -> np.ndarray:
    point = gpd.GeoSeries(gpd.points_from_xy([X0], [Y0]), crs=CRS).to_crs(4326)
    return np.c_[point.x, point.y]


def build(seed: int, flow: str):
    rng = np.random.default_rng(seed)
    tree = grow(rng, tolerance_m=TOLERANCE_M)
    layer = damage(tree, rng, tolerance_m=TOLERANCE_M, reverse=flow == "outlet")
    net = build_network(layer.frame, tolerance_m=TOLERANCE_M, flow=flow,
                        outlets=outlet_lonlat() if flow == "outlet" else None)  # fmt: skip
    return tree, layer, net


def built_upstream(net, layer, tree) -> np.ndarray:
    """``m[i, j]``: the point on true reach i lies upstream of the point on true reach j."""
    points = gpd.GeoSeries([r.interpolate(AT_SECTION, normalized=True) for r in tree.reaches], crs=CRS)
    points = points.to_crs(net.reaches.crs).to_numpy()
    river = ~net.reaches["id"].str.startswith(layer.aqueduct).to_numpy()
    geoms = np.where(river, net.reaches.geometry.to_numpy(), None)
    reach = shapely.STRtree(geoms).query_nearest(points, all_matches=False)[1]
    measure = shapely.line_locate_point(geoms[reach], points)  # from the upstream end
    member = np.zeros((len(reach), len(reach)), dtype=bool)
    for j, r in enumerate(reach):
        inside = np.zeros(net.n, dtype=bool)
        inside[upstream(net, int(r))[0]] = True
        member[:, j] = inside[reach]
    same = reach[:, None] == reach[None, :]
    above = measure[:, None] <= measure[None, :]
    return np.where(same, above, member)


@pytest.mark.parametrize("seed", range(150))
def test_every_link_of_the_tree_with_lines_reversed(seed):
    tree, layer, net = build(seed, "outlet")
    assert (built_upstream(net, layer, tree) == tree.upstream_of()).all()
    aqueduct = net.reaches["id"].str.startswith(layer.aqueduct).to_numpy()
    crossing = aqueduct[net.up] != aqueduct[net.down]
    assert not crossing.any() and net.report["networks"] == 1 + aqueduct.any()


@pytest.mark.parametrize("seed", range(100))
def test_every_link_of_the_tree_digitized(seed):
    tree, layer, net = build(seed, "digitized")
    assert (built_upstream(net, layer, tree) == tree.upstream_of()).all()


def register(tree):
    """A section at 35 % and a facility at 70 % of every true reach (WGS84)."""

    def frame(at: float, **columns) -> gpd.GeoDataFrame:
        geometry = gpd.GeoSeries([r.interpolate(at, normalized=True) for r in tree.reaches], crs=CRS).to_crs(4326)
        out = gpd.GeoDataFrame(columns, geometry=geometry.to_numpy(), crs=4326)
        out["lon"], out["lat"] = out.geometry.x, out.geometry.y
        return out

    n = len(tree.reaches)
    sections = frame(AT_SECTION, code=[f"S{i}" for i in range(n)], name=[f"断面{i}" for i in range(n)],
                     river=tree.names)  # fmt: skip
    facilities = frame(AT_FACILITY, id=[f"F{i}" for i in range(n)], name=[f"厂{i}" for i in range(n)],
                       kind="sewage_plant", capacity=1000.0, river=tree.names)  # fmt: skip
    return sections, facilities


def main_downstream(tree) -> dict[int, int]:
    """The reach each true reach flows into along the main path (same name first)."""
    down: dict[int, int] = {}
    for u, v in sorted(tree.links, key=lambda link: tree.names[link[1]] != tree.names[link[0]]):
        down.setdefault(u, v)
    return down


@pytest.mark.parametrize("seed", range(0, 120, 3))
def test_relations_trace_and_impact_as_the_tree_says(seed):
    tree, _, net = build(seed, "outlet")
    sections, facilities = register(tree)
    basin = open_basin(net, sections, facilities, radius_m=5 * TOLERANCE_M)
    lengths = np.array([r.length for r in tree.reaches])
    slack = 2 * TOLERANCE_M
    # next section downstream along the main path, and how far
    relations = relate(net, basin.sections, basin.facilities).sections.set_index("code")
    down = main_downstream(tree)
    for i in range(len(tree.reaches)):
        expected = f"S{down[i]}" if i in down else ""
        assert relations.loc[f"S{i}", "downstream_code"] == expected
        if expected:
            metres = (1 - AT_SECTION) * lengths[i] + AT_SECTION * lengths[down[i]]
            assert abs(relations.loc[f"S{i}", "distance_km"] * 1000 - metres) < slack
    # a trace finds exactly the facilities upstream
    truth = tree.upstream_of()
    for i in range(len(tree.reaches)):
        found = trace(basin, f"S{i}").table
        found = set(found.loc[found["kind"] != "section", "id"])
        assert found == {f"F{k}" for k in np.flatnonzero(truth[:, i]) if k != i}
    # a spill reaches the sections below, nearest first, at the tree's distances
    for k in range(len(tree.reaches)):
        reached = impact(basin, facility=f"F{k}").table
        reached = reached[reached["kind"] == "section"]
        below = [j for j in np.flatnonzero(truth[k]) if j != k]
        assert set(reached["id"]) == {f"S{j}" for j in below}
        assert reached["distance_km"].is_monotonic_increasing
        first = reached.iloc[0] if len(reached) else None
        if first is not None and k in down and first["id"] == f"S{down[k]}":
            metres = (1 - AT_FACILITY) * lengths[k] + AT_SECTION * lengths[down[k]]
            assert abs(first["distance_km"] * 1000 - metres) < slack


def test_three_ends_near_one_another_make_one_junction():
    """The shape that broke the end-by-end bridging: a confluence whose three ends lie about
    0, 10 and 22 m apart (tolerance 50 m), none coinciding."""
    main_up = shapely.LineString([(X0, Y0 + 3000), (X0, Y0 + 10)])
    tributary = shapely.LineString([(X0 + 3000, Y0 + 3000), (X0 + 8, Y0 + 6)])
    main_down = shapely.LineString([(X0 - 12, Y0 - 18), (X0, Y0 - 3000)])
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        geoms = [[main_up, tributary, main_down][k] for k in order]
        names = [["主", "支", "主"][k] for k in order]
        frame = gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=CRS)
        net = build_network(frame, tolerance_m=TOLERANCE_M, flow="digitized")
        links = set(zip(net.reaches["name"].to_numpy()[net.up], net.reaches["name"].to_numpy()[net.down], strict=True))
        assert len(net.up) == 2 and links == {("主", "主"), ("支", "主")} and net.report["networks"] == 1
        assert len(pd.unique(np.r_[net.reaches["fromnode"], net.reaches["tonode"]])) == 4
