"""The network built from geometry alone against NHDPlus V2's authoritative topology
(../shared/data/nhdplus; skipped when absent)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import SHARED

from geoenv.network import Network, build_network, navigate

NHD = SHARED / "nhdplus"
pytestmark = pytest.mark.skipif(not NHD.exists(), reason="../shared/data/nhdplus is not here")


def flowlines(name: str) -> gpd.GeoDataFrame:
    path = NHD / f"{name}.gpkg"
    frame = pyogrio.read_dataframe(path, layer=pyogrio.list_layers(path)[0][0])
    frame.columns = [c if c == "geometry" else c.lower() for c in frame.columns]
    frame = frame.set_geometry("geometry")
    frame["id"] = frame["comid"].astype(str)
    frame["name"] = frame["gnis_name"].fillna("").astype(str)
    return frame


def authoritative_links(frame) -> set[tuple[str, str]]:
    starts = frame.groupby("fromnode")["id"].apply(list).to_dict()
    return {(i, j) for i, node in zip(frame["id"], frame["tonode"], strict=True) for j in starts.get(node, [])}


def built_links(net) -> set[tuple[str, str]]:
    links = net.links()
    return {(a, b) for a, b in zip(links["id"], links["toid"], strict=True) if b != ""}


def closure(start: str, adjacency: dict[str, list[str]]) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in adjacency.get(stack.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


NAMES = ["walker", "new_hope", "coastal_example", "cida_flowlines"]


@pytest.fixture(scope="module", params=NAMES)
def case(request):
    frame = flowlines(request.param)
    # Dense surveyed lines: a 1 m tolerance, as --help advises.
    return request.param, frame, build_network(frame[["id", "name", "geometry"]], flow="digitized", tolerance_m=1.0)


def test_digitized_topology_equals_the_authority(case):
    _, frame, net = case
    assert built_links(net) == authoritative_links(frame)
    assert net.n == len(frame)  # nothing cut, nothing dropped: ids are the COMIDs


def test_ut_and_dd_equal_the_authoritative_sets(case):
    _, frame, net = case
    down: dict[str, list[str]] = {}
    up: dict[str, list[str]] = {}
    for a, b in authoritative_links(frame):
        down.setdefault(a, []).append(b)
        up.setdefault(b, []).append(a)
    starts = frame["id"].to_numpy()[:: max(1, len(frame) // 150)]
    for start in starts:
        index = int(net.index_of([start])[0])
        assert set(navigate(net, index, "UT")["id"]) == closure(start, up), start
        assert set(navigate(net, index, "DD")["id"]) == closure(start, down), start


@pytest.mark.parametrize(
    ("name", "share"), [("walker", 1.0), ("cida_flowlines", 1.0), ("coastal_example", 0.99), ("new_hope", 0.95)]
)
def test_outlet_orientation_after_reversing_half_the_lines(name, share):
    frame = flowlines(name)
    truth = authoritative_links(frame)
    terminal = frame[~frame["tonode"].isin(frame["fromnode"])]
    ends = gpd.GeoSeries(shapely.get_point(shapely.line_merge(terminal.geometry.to_numpy()), -1), crs=frame.crs)
    ends = ends.to_crs(4326)
    shuffled = frame.copy()
    flip = np.random.default_rng(7).random(len(frame)) < 0.5
    shuffled.loc[flip, "geometry"] = shapely.reverse(shuffled.geometry.to_numpy()[flip])
    net = build_network(
        shuffled[["id", "name", "geometry"]], flow="outlet", outlets=np.c_[ends.x, ends.y], tolerance_m=1.0
    )
    got = built_links(net)
    assert len(truth & got) / len(truth) >= share
    # Every link it gets wrong touches a reach it reports as ambiguous (a loop or braid).
    ambiguous = set(net.reaches.loc[net.reaches["ambiguous"], "id"])
    assert all(a in ambiguous or b in ambiguous for a, b in (truth - got) | (got - truth))


def test_um_and_dm_follow_nhdplus_level_paths_on_walker():
    frame = flowlines("walker")
    net = build_network(frame[["id", "name", "geometry"]], flow="digitized", tolerance_m=1.0)
    by_hydroseq = frame.set_index("hydroseq")
    rows = frame.set_index("id")
    for start in frame["id"]:
        index = int(net.index_of([start])[0])
        expected_dm, row = [start], rows.loc[start]
        while row["dnhydroseq"] in by_hydroseq.index:
            row = by_hydroseq.loc[row["dnhydroseq"]]
            expected_dm.append(str(row["comid"]))
        assert navigate(net, index, "DM")["id"].tolist() == expected_dm
        same = frame[frame["levelpathi"] == rows.loc[start, "levelpathi"]]
        expected_um = same[same["hydroseq"] >= rows.loc[start, "hydroseq"]].sort_values("hydroseq")["id"].tolist()
        assert navigate(net, index, "UM")["id"].tolist() == expected_um


def authoritative_network(frame) -> Network:
    """A Network on NHDPlus's own links and LENGTHKM, to check the rules on its numbers."""
    index = pd.Index(frame["id"])
    links = sorted(authoritative_links(frame))
    up = index.get_indexer([a for a, _ in links])
    down = index.get_indexer([b for _, b in links])
    reaches = gpd.GeoDataFrame(
        {
            "id": frame["id"],
            "name": frame["name"],
            "length_m": frame["lengthkm"] * 1000,
            "divergence": frame["divergence"].astype(np.int8),
            "ambiguous": False,
        },
        geometry=frame.geometry,
    )
    return Network(reaches, up, down)


def test_pathlength_and_arbolate_sum_match_nhdplus():
    frame = flowlines("walker")
    net = authoritative_network(frame)
    assert np.allclose(net.pathlength / 1000, frame["pathlength"], atol=0.002)
    assert np.allclose(net.arbolate / 1000, frame["arbolatesu"], atol=0.01)


@pytest.mark.parametrize("distance_km", [3.0, 10.0, 25.0])
def test_distance_limits_cut_where_hydroloom_does(distance_km):
    """hydroloom: only the start when D is shorter than it; UT keeps Pathlength ≤ start
    Pathlength − start length + D; DM keeps Pathlength + length ≥ start Pathlength + start length − D."""
    frame = flowlines("walker")
    net = authoritative_network(frame)
    rows = frame.set_index("id")
    for start in frame["id"]:
        s = rows.loc[start]
        index = int(net.index_of([start])[0])
        for mode in ("UT", "DM"):
            got = set(navigate(net, index, mode, distance_km=distance_km)["id"])
            part = rows.loc[sorted(set(navigate(net, index, mode)["id"]))]
            if distance_km < s["lengthkm"]:
                expected = {start}
            elif mode == "UT":
                expected = set(part.index[part["pathlength"] <= s["pathlength"] - s["lengthkm"] + distance_km + 1e-9])
            else:
                top = part["pathlength"] + part["lengthkm"]
                expected = set(part.index[top >= s["pathlength"] + s["lengthkm"] - distance_km - 1e-9])
            assert got == expected, (start, mode)
