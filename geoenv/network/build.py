"""Build a :class:`~geoenv.network.graph.Network` from a rivers layer (any CRS)."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geoenv.crs import working_crs
from geoenv.network.graph import Network
from geoenv.network.topology import Topology, build_topology
from geoenv.settings import DEFAULT_TOLERANCE_M


def build_network(
    rivers: gpd.GeoDataFrame,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    flow: str = "outlet",
    outlets: np.ndarray | None = None,
    progress: Callable[[str], None] | None = None,
) -> Network:
    """Reaches, links and navigation arrays from river lines.

    Parameters
    ----------
    rivers
        Lines with an optional ``id`` (kept where a line is not cut; ``ID.1``, ``ID.2`` …
        upstream to downstream where it is), ``name`` and ``velocity`` (m/s, kept per reach).
    tolerance_m, flow
        See :func:`geoenv.network.topology.build_topology`.
    outlets
        ``(n, 2)`` longitudes and latitudes (WGS84) of outlets, for ``flow="outlet"``.
    progress
        Called with a short note as each stage starts.
    """
    bounds = Transformer.from_crs(rivers.crs, 4326, always_xy=True).transform_bounds(*rivers.total_bounds)
    metric = working_crs(bounds)
    lines = (rivers if CRS(rivers.crs) == metric else rivers.to_crs(metric)).geometry.to_numpy()
    points = None
    if outlets is not None and len(outlets):
        points = gpd.GeoSeries(gpd.points_from_xy(outlets[:, 0], outlets[:, 1]), crs=4326).to_crs(metric).to_numpy()
    given_ids = "id" in rivers and rivers["id"].notna().all()
    source_ids = rivers["id"].astype(str).to_numpy() if given_ids else np.arange(1, len(rivers) + 1).astype(str)
    keys = source_ids if given_ids else None
    names = rivers["name"].fillna("").astype(str).to_numpy() if "name" in rivers else np.full(len(rivers), "")
    topo = build_topology(lines, tolerance_m=tolerance_m, flow=flow, outlets=points, keys=keys, names=names,
                          progress=progress)  # fmt: skip
    reaches = _reaches(topo, source_ids, names, metric)
    reaches["line_id"] = source_ids[topo.source].astype(object)
    if "velocity" in rivers:  # metres per second, per input line
        reaches["velocity_ms"] = pd.to_numeric(rivers["velocity"], errors="coerce").to_numpy()[topo.source]
    up, down = _links(topo)
    reaches["divergence"] = _divergence(reaches, up, down)
    if progress:
        progress("ordering reaches: topological sort, path lengths, level paths, intervals")
    network = Network(reaches, up, down, report=dict(topo.report))
    outlet_xy = gpd.GeoSeries(shapely.points(topo.node_xy[topo.outlets["node"]]), crs=metric).to_crs(4326)
    network.report["outlets"] = pd.DataFrame(
        {"lon": outlet_xy.x.round(6), "lat": outlet_xy.y.round(6), "given": topo.outlets["given"].to_numpy(),
         "node": topo.outlets["node"].to_numpy(dtype=np.int64)}
    )  # fmt: skip
    network.report["flow"] = flow
    network.report["tolerance_m"] = float(tolerance_m)
    if network.report.get("duplicates_dropped"):
        network.report["duplicates"] = _dropped_duplicates(lines, keys, source_ids, names, metric)
    return network


def _dropped_duplicates(lines, keys, source_ids, names, crs) -> gpd.GeoDataFrame:
    """The line parts :func:`~geoenv.network.topology.build_topology` drops as repeats (same
    vertices either way, same key), with the id of the line each repeats (for the check)."""
    parts, line = shapely.get_parts(lines, return_index=True)
    frame = pd.DataFrame(
        {"wkb": shapely.to_wkb(shapely.normalize(parts)), "key": np.zeros(len(parts)) if keys is None else keys[line]}
    )
    first = frame.groupby(["wkb", "key"], sort=False).ngroup()
    first_line = line[pd.Series(np.arange(len(parts))).groupby(first.to_numpy()).transform("min").to_numpy()]
    dropped = frame.duplicated().to_numpy()
    return gpd.GeoDataFrame(
        {
            "line": line[dropped],
            "line_id": source_ids[line[dropped]].astype(object),
            "repeats_id": source_ids[first_line[dropped]].astype(object),
            "name": names[line[dropped]],
        },
        geometry=parts[dropped],
        crs=crs,
    )


def _reaches(topo: Topology, source_ids: np.ndarray, names: np.ndarray, crs) -> gpd.GeoDataFrame:
    base = source_ids[topo.source]
    cut = topo.pieces > 1
    ids = np.where(cut, np.char.add(np.char.add(base.astype(str), "."), (topo.piece + 1).astype(str)), base)
    return gpd.GeoDataFrame(
        {
            "id": ids.astype(object),
            "name": names[topo.source],
            "length_m": shapely.length(topo.geometry).round(3),
            "fromnode": topo.fromnode,
            "tonode": topo.tonode,
            "ambiguous": topo.ambiguous,
            "to_given_outlet": topo.to_given_outlet,
            "source": topo.source,
        },
        geometry=topo.geometry,
        crs=crs,
    )


def _links(topo: Topology) -> tuple[np.ndarray, np.ndarray]:
    """Every reach flows into every reach that starts at its downstream node."""
    starts = pd.DataFrame({"node": topo.fromnode, "down": np.arange(len(topo.fromnode))})
    ends = pd.DataFrame({"node": topo.tonode, "up": np.arange(len(topo.tonode))})
    pairs = ends.merge(starts, on="node")
    pairs = pairs[pairs["up"] != pairs["down"]].sort_values(["up", "down"])
    return pairs["up"].to_numpy(), pairs["down"].to_numpy()


def _divergence(reaches: gpd.GeoDataFrame, up: np.ndarray, down: np.ndarray) -> np.ndarray:
    """NHDPlus Divergence: at a split the branch with the upstream name is main (1), else the
    longest; the other branches are minor (2); 0 elsewhere."""
    out = np.zeros(len(reaches), dtype=np.int8)
    node = reaches["fromnode"].to_numpy()
    splitting = pd.Series(node).map(pd.Series(node).value_counts()).to_numpy() > 1
    branches = np.flatnonzero(splitting)
    if not len(branches):
        return out
    names = reaches["name"].to_numpy()
    named_in = set(zip(reaches["tonode"].to_numpy()[up], names[up], strict=True))
    frame = pd.DataFrame(
        {
            "reach": branches,
            "node": node[branches],
            "same": [(n, nm) in named_in and nm != "" for n, nm in zip(node[branches], names[branches], strict=True)],
            "length": reaches["length_m"].to_numpy()[branches],
        }
    ).sort_values(["node", "same", "length", "reach"], ascending=[True, False, False, True])
    main = frame.drop_duplicates("node")["reach"].to_numpy()
    out[branches] = 2
    out[main] = 1
    return out
