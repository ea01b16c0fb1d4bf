"""A topology check of a built network: what a GIS person fixes in the river layer (in QGIS)
before trusting the upstream and downstream answers.

:func:`check_network` looks at a :class:`~geoenv.network.graph.Network` and returns one table
per kind of problem (WGS84, ready for a GeoPackage layer or a map), and their counts:

``near_misses``
    Dangling line ends within ``factor`` × the tolerance of another line they are not joined
    to: on another piece, or reached along the network only by a detour longer than the gap
    plus ``factor`` × the tolerance. The gap (metres) and the line it is near are given.
``pieces``
    Connected networks that drain to no outlet the user gave (with no outlet given: every piece
    but the longest), with their length, rivers and
    (when sections are given) the sections on them.
``outlets``
    Every outlet; one chosen by the rule is *suspect* when a named river flows into one
    node from both sides in its piece (the network is turned around: the outlet is probably
    a river's source), or when it lies inside the data's extent, away from its edge.
``loops``
    Reaches in loops and braids (flagged ambiguous by the build).
``crossings``
    Points where two reaches meet other than at a shared node: lines crossing without a
    junction, an end lying on another line, or lines overlapping.
``duplicates``
    Repeated lines the build dropped.
``short``
    Reaches shorter than the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from geoenv.io.gis import GPKG_OPTIONS
from geoenv.io.write import Writer
from geoenv.network.graph import Network
from geoenv.network.locate import locate_register
from geoenv.network.topology import GRID_M
from geoenv.settings import DEFAULT_RADIUS_M, DEFAULT_TOLERANCE_M

NEAR_FACTOR = 3.0
"""How many tolerances away a dangling end is looked at for a line it is near."""
ON_NODE_M = GRID_M
"""An intersection closer than this to a node both reaches share is their junction (the
topology's own "same point")."""

KINDS: dict[str, tuple[str, str, str]] = {
    "near_misses": ("悬空端点（近而未接）", "dangling ends near a line they do not join", "Point"),
    "pieces": ("未通往给定出口的河网", "pieces that reach no given outlet", "MultiLineString"),
    "outlets": ("出口", "outlets (given, or chosen by the rule)", "Point"),
    "loops": ("环路与分汊河段", "reaches in loops and braids", "LineString"),
    "crossings": ("相交未连接", "lines crossing without a junction", "Point"),
    "duplicates": ("重复线（已删除）", "repeated lines dropped", "LineString"),
    "short": ("短于容差的河段", "reaches shorter than the tolerance", "LineString"),
}
"""Each kind of problem: Chinese label, English label, geometry type of its layer."""
COLUMNS = ["kind", "line_id", "reach_id", "river", "gap_m", "length_m", "other_line_id", "other_river", "note"]
"""Columns every layer has (empty where they do not apply); some kinds add their own."""
EXTRA_COLUMNS = {
    "pieces": ["piece", "reaches", "sections", "n_sections"],
    "outlets": ["given", "suspect", "lon", "lat"],
}


@dataclass
class NetworkCheck:
    """What :func:`check_network` found: one GeoDataFrame (WGS84) per kind of problem, with
    the columns of :data:`COLUMNS` (and :data:`EXTRA_COLUMNS`), and the counts.

    Attributes
    ----------
    counts
        ``reaches``, ``pieces``, and per kind: ``near_misses``, ``pieces_without_outlet``,
        ``outlets_chosen``, ``outlets_suspect``, ``loop_reaches``, ``crossings``,
        ``duplicates``, ``short_reaches``.
    tolerance_m, factor
        The build's tolerance, and how many tolerances away ends were looked at.
    """

    near_misses: gpd.GeoDataFrame
    pieces: gpd.GeoDataFrame
    outlets: gpd.GeoDataFrame
    loops: gpd.GeoDataFrame
    crossings: gpd.GeoDataFrame
    duplicates: gpd.GeoDataFrame
    short: gpd.GeoDataFrame
    counts: dict[str, int] = field(default_factory=dict)
    tolerance_m: float = DEFAULT_TOLERANCE_M
    factor: float = NEAR_FACTOR

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Each kind's table, by the layer name of :data:`KINDS`."""
        return {kind: getattr(self, kind) for kind in KINDS}


def check_network(
    net: Network,
    *,
    tolerance_m: float | None = None,
    sections: gpd.GeoDataFrame | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
    factor: float = NEAR_FACTOR,
    crossings: bool = True,
) -> NetworkCheck:
    """Find what to fix in the lines a network was built from.

    Parameters
    ----------
    net
        A built network (its ``report`` holds the outlets and the dropped repeats; a saved
        network has neither, and those kinds come out empty).
    tolerance_m
        The tolerance the network was built with (default: the one in its report).
    sections
        Monitoring sections (canonical layer), placed within ``radius_m`` to name the sections
        on each piece that reaches no given outlet.
    factor
        Dangling ends are looked at for lines within ``factor`` × ``tolerance_m``.
    crossings
        Look for lines crossing without a junction: the slowest check (8 of 12 s at
        1,000,000 reaches, every pair of touching reaches intersected). Without it the
        ``crossings`` layer is empty and its count absent (``summary_rows`` leaves it out).
    """
    report = net.report
    if tolerance_m is None:
        tolerance_m = float(report.get("tolerance_m", DEFAULT_TOLERANCE_M))  # type: ignore[arg-type]  # a number
    reaches = net.reaches
    crs = reaches.crs
    geoms = reaches.geometry.to_numpy()
    frm = reaches["fromnode"].to_numpy(dtype=np.int64)
    to = reaches["tonode"].to_numpy(dtype=np.int64)
    n_nodes = int(max(frm.max(initial=-1), to.max(initial=-1))) + 1
    node_xy = np.zeros((n_nodes, 2))
    node_xy[frm] = shapely.get_coordinates(shapely.get_point(geoms, 0))
    node_xy[to] = shapely.get_coordinates(shapely.get_point(geoms, -1))
    graph = sparse.csr_matrix((np.maximum(net.length, ON_NODE_M), (frm, to)), shape=(n_nodes, n_nodes))
    _, comp = csgraph.connected_components(graph, directed=False)
    info = _Reaches(
        ids=reaches["id"].astype(str).to_numpy(),
        line_ids=(reaches["line_id"] if "line_id" in reaches else reaches["id"]).astype(str).to_numpy(),
        names=reaches["name"].fillna("").astype(str).str.strip().to_numpy(),
        frm=frm,
        to=to,
        comp=comp[frm],
    )
    near, near_end = _near_misses(net, info, graph, comp, node_xy, tolerance_m, factor,
                                  report.get("flow") == "digitized")  # fmt: skip
    pieces = _pieces(net, info, node_xy, sections, radius_m, report)
    outlets = _outlets(net, info, node_xy, report, near.assign(node=near_end))
    loops = _reach_rows(net, info, net.reaches["ambiguous"].to_numpy(dtype=bool), "loops",
                        "in a loop or braid: direction inferred, marked ambiguous")  # fmt: skip
    short = _reach_rows(net, info, net.length < tolerance_m, "short",
                        f"shorter than the tolerance ({tolerance_m:g} m)")  # fmt: skip
    found = _crossings(geoms if crossings else geoms[:0], info, crs)
    duplicates = _duplicates(report.get("duplicates"), crs)
    result = NetworkCheck(
        near_misses=near,
        pieces=pieces,
        outlets=outlets,
        loops=loops,
        crossings=found,
        duplicates=duplicates,
        short=short,
        tolerance_m=tolerance_m,
        factor=factor,
    )
    result.counts = {
        "reaches": net.n,
        "pieces": len(np.unique(comp[frm])) if net.n else 0,
        "near_misses": len(near),
        "pieces_without_outlet": len(pieces),
        "outlets_chosen": int((~outlets["given"].astype(bool)).sum()) if report.get("flow") != "digitized" else 0,
        "outlets_suspect": int(outlets["suspect"].astype(bool).sum()),
        "loop_reaches": len(loops),
        **({"crossings": len(found)} if crossings else {}),
        "duplicates": len(duplicates),
        "short_reaches": len(short),
    }
    return result


SUMMARY = [
    ("reaches", "河段", "reaches"),
    ("pieces", "连通河网", "pieces (connected networks)"),
    ("near_misses", *KINDS["near_misses"][:2]),
    ("pieces_without_outlet", *KINDS["pieces"][:2]),
    ("outlets_chosen", "规则选定的出口", "outlets chosen by the rule"),
    ("outlets_suspect", "其中可疑", "of which suspect (a river's source, or inside the data)"),
    ("loop_reaches", *KINDS["loops"][:2]),
    ("crossings", *KINDS["crossings"][:2]),
    ("duplicates", *KINDS["duplicates"][:2]),
    ("short_reaches", *KINDS["short"][:2]),
]
"""Rows of the check's summary: count key, Chinese label, English label."""


def summary_rows(result: NetworkCheck) -> pd.DataFrame:
    """The counts as a table: ``count, 检查项, check`` (for the terminal); a kind not looked
    for (``check_network(crossings=False)``) is left out."""
    rows = [(result.counts[key], zh, en) for key, zh, en in SUMMARY if key in result.counts]
    return pd.DataFrame(rows, columns=["count", "检查项", "check"])


def check_writer(result: NetworkCheck) -> Writer:
    """A writer of the check's GeoPackage (one layer per kind, WGS84, empty ones too), for
    :func:`geoenv.io.write.write_files` sets."""
    layers = result.layers()

    def write(tmp: Path) -> None:
        for i, (kind, frame) in enumerate(layers.items()):
            pyogrio.write_dataframe(
                frame,
                tmp,
                layer=kind,
                driver="GPKG",
                append=i > 0,
                geometry_type=KINDS[kind][2],
                promote_to_multi=False,
                dataset_options=GPKG_OPTIONS,
            )

    return write


# --- the kinds ---------------------------------------------------------------------------


@dataclass
class _Reaches:
    ids: np.ndarray
    line_ids: np.ndarray
    names: np.ndarray
    frm: np.ndarray
    to: np.ndarray
    comp: np.ndarray


def _frame(kind: str, columns: dict, geometry, crs) -> gpd.GeoDataFrame:
    """A layer of ``kind``: :data:`COLUMNS` (missing ones empty), then its extra columns, WGS84."""
    n = len(geometry)
    data = {"kind": np.full(n, kind, dtype=object)}
    for column in [*COLUMNS[1:], *EXTRA_COLUMNS.get(kind, [])]:
        default = np.full(n, np.nan) if column in ("gap_m", "length_m") else np.full(n, "", dtype=object)
        data[column] = columns.get(column, default)
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry, crs=crs), crs=crs)
    return frame.to_crs(4326) if crs is not None else frame


def _near_misses(
    net, info, graph, comp, node_xy, tolerance_m, factor, digitized
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The near misses, and the node of each (aligned)."""
    degree = np.bincount(np.r_[info.frm, info.to], minlength=len(node_xy))
    node = np.flatnonzero(degree == 1)
    own = np.full(len(node_xy), -1, dtype=np.int64)
    own[info.frm] = np.arange(net.n)
    own[info.to] = np.arange(net.n)  # a dangling node has one reach
    geoms = net.reaches.geometry.to_numpy()
    radius = factor * tolerance_m
    points = shapely.points(node_xy[node])
    k, reach = shapely.STRtree(geoms).query(points, predicate="dwithin", distance=radius)
    keep = reach != own[node[k]]
    k, reach = k[keep], reach[keep]
    gap = shapely.distance(points[k], geoms[reach])
    # A line on the same piece reached along the network by a short detour is joined to the end.
    same = comp[node[k]] == info.comp[reach]
    detour = np.full(len(k), np.inf)
    if same.any():
        detour[same] = _network_distance(graph, node[k][same], info.frm[reach][same], info.to[reach][same],
                                         limit=2 * radius)  # fmt: skip
    unjoined = detour > gap + radius
    pairs = pd.DataFrame({"k": k[unjoined], "reach": reach[unjoined], "gap": gap[unjoined]})
    best = pairs.sort_values(["k", "gap", "reach"]).drop_duplicates("k")
    end, near = node[best["k"].to_numpy()], best["reach"].to_numpy()
    gap = best["gap"].to_numpy()
    r = own[end]
    source = info.frm[r] == end
    note = np.where(
        gap <= tolerance_m,
        np.where(
            digitized & source,
            "a source, within the tolerance: --flow digitized joins no source to a line (by design)",
            "within the tolerance but left apart by a rule of the build (a named river's continuation "
            "joins no line of another name)",
        ),
        np.where(
            comp[end] == info.comp[near],
            "not joined here (the line is reached only by a long way round): extend the line or raise --tolerance-m",
            "gap wider than the tolerance: extend the line to the other, or raise --tolerance-m",
        ),
    )
    columns = {
        "line_id": info.line_ids[r],
        "reach_id": info.ids[r],
        "river": info.names[r],
        "gap_m": gap.round(3),
        "other_line_id": info.line_ids[near],
        "other_river": info.names[near],
        "note": note.astype(object),
    }
    frame = _frame("near_misses", columns, shapely.points(node_xy[end]), net.reaches.crs)
    order = np.lexsort((frame["line_id"].to_numpy(dtype=str), frame["gap_m"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True), end[order]


def _network_distance(graph, start, a, b, *, limit: float) -> np.ndarray:
    """Network distance from each node of ``start`` to the nearer of nodes ``a``, ``b`` (inf
    beyond ``limit``); Dijkstra from the distinct starts, in chunks that bound the memory."""
    starts, inverse = np.unique(start, return_inverse=True)
    out = np.full(len(start), np.inf)
    chunk = max(1, 20_000_000 // max(graph.shape[0], 1))
    for lo in range(0, len(starts), chunk):
        rows = slice(lo, lo + chunk)
        d = csgraph.dijkstra(graph, directed=False, indices=starts[rows], limit=limit)
        hit = (inverse >= lo) & (inverse < lo + chunk)
        i = inverse[hit] - lo
        out[hit] = np.minimum(d[i, a[hit]], d[i, b[hit]])
    return out


def _pieces(net, info, node_xy, sections, radius_m, report) -> gpd.GeoDataFrame:
    given = net.reaches["to_given_outlet"].to_numpy(dtype=bool)
    pieces = pd.DataFrame({"comp": info.comp, "given": given, "length": net.length, "name": info.names,
                           "line_id": info.line_ids, "row": np.arange(net.n)})  # fmt: skip
    reached = pieces.groupby("comp")["given"].any()
    if not given.any() and len(reached):  # no outlet given: the longest piece is the network
        longest = pieces.groupby("comp").agg(length=("length", "sum"), first=("row", "min"))
        reached[longest.sort_values(["length", "first"], ascending=[False, True]).index[0]] = True
    without = pieces[~pieces["comp"].map(reached).to_numpy()]
    if without.empty:
        return _frame("pieces", {}, np.empty(0, dtype=object), net.reaches.crs)
    groups = without.groupby("comp")
    table = pd.DataFrame(
        {"length": groups["length"].sum(), "reaches": groups.size(), "first": groups["row"].min()}
    ).sort_values(["length", "first"], ascending=[False, True])
    order = {c: i for i, c in enumerate(table.index)}
    rows = without.index.to_numpy()
    index = without["comp"].map(order).to_numpy()
    sort = np.argsort(index, kind="stable")
    geometry = shapely.multilinestrings(net.reaches.geometry.to_numpy()[rows[sort]], indices=index[sort])
    rivers = groups["name"].agg(lambda s: "、".join(sorted(set(s) - {""})[:10])).reindex(table.index)
    lines = groups["line_id"].agg(lambda s: ", ".join(sorted(set(s))[:10])).reindex(table.index)
    on = pd.Series("", index=table.index, dtype=object)
    n_on = pd.Series(0, index=table.index)
    if sections is not None and len(sections):
        placed = locate_register(net, sections, radius_m=radius_m)
        placed = placed[placed["reach"] >= 0]
        placed = placed.assign(comp=info.comp[placed["reach"].to_numpy()])
        placed = placed[placed["comp"].isin(table.index)]
        codes = placed.groupby("comp")["code"].agg(lambda s: ", ".join(sorted(s)))
        on = codes.reindex(table.index).fillna("")
        n_on = placed.groupby("comp").size().reindex(table.index).fillna(0).astype(int)
    outlet_note = _outlet_of_piece(report, info, node_xy, table.index, net.reaches.crs)
    if not given.any():
        outlet_note = np.array([f"not connected to the longest piece; {t}" for t in outlet_note], dtype=object)
    columns = {
        "line_id": lines.to_numpy(),
        "river": rivers.to_numpy(),
        "length_m": table["length"].round(1).to_numpy(),
        "note": outlet_note,
        "piece": np.arange(1, len(table) + 1),
        "reaches": table["reaches"].to_numpy(),
        "sections": on.to_numpy(dtype=object),
        "n_sections": n_on.to_numpy(),
    }
    return _frame("pieces", columns, geometry, net.reaches.crs)


def _outlet_of_piece(report, info, node_xy, comps, crs) -> np.ndarray:
    """A note per piece: where it drains (the outlet the rule chose, or its lines' ends)."""
    outlets = report.get("outlets")
    digitized = report.get("flow") == "digitized"
    if outlets is None or "node" not in outlets:
        return np.full(len(comps), "reaches no given outlet", dtype=object)
    node = outlets["node"].to_numpy(dtype=np.int64)
    node_comp = np.full(len(node_xy), -1)
    node_comp[info.frm], node_comp[info.to] = info.comp, info.comp
    points = pd.Series([f"{x:.5f},{y:.5f}" for x, y in zip(outlets["lon"], outlets["lat"], strict=True)])
    where = points.groupby(node_comp[node]).agg("; ".join)
    text = "its lines end at " if digitized else "reaches no given outlet; the rule chose its outlet at "
    tail = "" if digitized else " (join it to the network, or give --outlet)"
    return np.array([f"{text}{where.get(c, '?')}{tail}" for c in comps], dtype=object)


def _outlets(net, info, node_xy, report, near: pd.DataFrame) -> gpd.GeoDataFrame:
    outlets = report.get("outlets")
    crs = net.reaches.crs
    if outlets is None or "node" not in outlets or not len(outlets):
        return _frame("outlets", {"given": np.empty(0, bool), "suspect": np.empty(0, bool)}, np.empty(0, object), crs)
    node = outlets["node"].to_numpy(dtype=np.int64)
    given = outlets["given"].to_numpy(dtype=bool)
    digitized = report.get("flow") == "digitized"
    reach = np.full(len(node_xy), -1, dtype=np.int64)
    reach[info.frm] = np.arange(net.n)
    reach[info.to] = np.arange(net.n)  # the reach flowing into the outlet, where there is one
    r = reach[node]
    node_comp = np.full(len(node_xy), -1)
    node_comp[info.frm], node_comp[info.to] = info.comp, info.comp
    comp = node_comp[node]
    ambiguous = net.reaches["ambiguous"].to_numpy(dtype=bool)
    # A named river flowing into one node from both sides: its piece is turned around.
    inflow = pd.DataFrame({"node": info.to, "name": info.names})[~ambiguous & (info.names != "")]
    counts = inflow.groupby(["node", "name"]).size()
    twice = counts[counts > 1].reset_index()
    flows_on = pd.MultiIndex.from_arrays([info.frm, info.names])
    twice = twice[~pd.MultiIndex.from_frame(twice[["node", "name"]]).isin(flows_on)]
    twice = twice.assign(comp=node_comp[twice["node"].to_numpy()]).sort_values(["comp", "node"])
    twice = twice.drop_duplicates("comp").set_index("comp")
    both_sides = {
        c: f"{name} flows in from both sides at {_lonlat(node_xy[n], crs)}"
        for c, name, n in zip(twice.index, twice["name"], twice["node"], strict=True)
        if c in set(comp)
    }
    # Another end of the piece nearly meets a line: the piece probably drains there.
    near = near.assign(comp=node_comp[near["node"].to_numpy(dtype=np.int64)])
    near = near[~near["node"].isin(node)].drop_duplicates("comp").set_index("comp")
    drains = {
        c: f"its end at {_lonlat(node_xy[n], crs)} is {g:.0f} m from line {line} ({river or 'unnamed'}): "
        "the piece probably drains there"
        for c, n, g, line, river in zip(near.index, near["node"], near["gap_m"], near["other_line_id"],
                                        near["other_river"], strict=True)
        if c in set(comp)
    }  # fmt: skip
    # Away from the data's edge (the rule prefers ends where a clipped layer was cut).
    used = np.zeros(len(node_xy), dtype=bool)
    used[info.frm], used[info.to] = True, True
    hull = shapely.convex_hull(shapely.multipoints(node_xy[used]))
    margin = 0.01 * np.sqrt(max(shapely.area(hull), 1.0))
    inside = shapely.distance(shapely.points(node_xy[node]), shapely.boundary(hull))
    notes, suspect = [], []
    for g, c, d in zip(given, comp, inside, strict=True):
        if g:
            notes.append("given (--outlet)")
            suspect.append(False)
            continue
        if digitized:
            notes.append("where the lines end (--flow digitized)")
            suspect.append(False)
            continue
        reasons = []
        if c in both_sides:
            reasons.append(f"{both_sides[c]}: the outlet is probably a river's source")
        if c in drains:
            reasons.append(drains[c])
        if d > margin:
            reasons.append(f"{d / 1000:.1f} km inside the data's extent, not where a layer was cut")
        notes.append("chosen by the rule" + ("; suspect: " + "; ".join(reasons) if reasons else "") +
                     ("; give --outlet" if reasons else ""))  # fmt: skip
        suspect.append(bool(reasons))
    columns = {
        "line_id": info.line_ids[r],
        "reach_id": info.ids[r],
        "river": info.names[r],
        "note": np.array(notes, dtype=object),
        "given": given,
        "suspect": np.array(suspect, dtype=bool),
        "lon": outlets["lon"].to_numpy(dtype=float),
        "lat": outlets["lat"].to_numpy(dtype=float),
    }
    return _frame("outlets", columns, shapely.points(node_xy[node]), crs)


def _lonlat(xy: np.ndarray, crs) -> str:
    point = gpd.GeoSeries(shapely.points([xy]), crs=crs).to_crs(4326)
    return f"{point.x.iloc[0]:.5f},{point.y.iloc[0]:.5f}"


def _reach_rows(net, info, mask: np.ndarray, kind: str, note: str) -> gpd.GeoDataFrame:
    rows = np.flatnonzero(mask)
    columns = {
        "line_id": info.line_ids[rows],
        "reach_id": info.ids[rows],
        "river": info.names[rows],
        "length_m": net.length[rows].round(3),
        "note": np.full(len(rows), note, dtype=object),
    }
    return _frame(kind, columns, net.reaches.geometry.to_numpy()[rows], net.reaches.crs)


def _crossings(geoms: np.ndarray, info, crs) -> gpd.GeoDataFrame:
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    parts, pair = shapely.get_parts(shapely.intersection(geoms[i], geoms[j]), return_index=True)
    a, b = i[pair], j[pair]
    is_point = shapely.get_type_id(parts) == 0
    at_junction = np.zeros(len(parts), dtype=bool)
    at_end = np.zeros(len(parts), dtype=bool)
    ends = {"frm": info.frm, "to": info.to}
    first = shapely.get_point(geoms, 0)
    last = shapely.get_point(geoms, -1)
    for ea in ("frm", "to"):
        for eb in ("frm", "to"):
            shared = ends[ea][a] == ends[eb][b]
            end_point = (first if ea == "frm" else last)[a]
            close = shapely.distance(parts, end_point) <= ON_NODE_M
            at_junction |= is_point & shared & close
    for reach in (a, b):
        at_end |= is_point & (
            (shapely.distance(parts, first[reach]) <= ON_NODE_M) | (shapely.distance(parts, last[reach]) <= ON_NODE_M)
        )
    flagged = ~at_junction
    parts, a, b, is_point, at_end = parts[flagged], a[flagged], b[flagged], is_point[flagged], at_end[flagged]
    overlap = shapely.length(parts)
    note = np.where(
        ~is_point,
        [f"lines overlap for {m:.0f} m: remove the repeated stretch" for m in overlap],
        np.where(
            at_end,
            "a line end lies on the other line without a junction: split the line there",
            "lines cross without a shared vertex (an aqueduct, a culvert?); else add a junction",
        ),
    )
    point = parts.copy()
    point[~is_point] = shapely.point_on_surface(parts[~is_point])
    columns = {
        "line_id": info.line_ids[a],
        "reach_id": info.ids[a],
        "river": info.names[a],
        "length_m": np.where(is_point, np.nan, overlap.round(3)),
        "other_line_id": info.line_ids[b],
        "other_river": info.names[b],
        "note": note.astype(object),
    }
    return _frame("crossings", columns, point, crs)


def _duplicates(dropped: gpd.GeoDataFrame | None, crs) -> gpd.GeoDataFrame:
    if dropped is None or dropped.empty:
        return _frame("duplicates", {}, np.empty(0, dtype=object), crs)
    columns = {
        "line_id": dropped["line_id"].astype(str).to_numpy(),
        "river": dropped["name"].astype(str).to_numpy(),
        "length_m": shapely.length(dropped.geometry.to_numpy()).round(3),
        "other_line_id": dropped["repeats_id"].astype(str).to_numpy(),
        "note": np.array([f"repeats line {r}: dropped" for r in dropped["repeats_id"]], dtype=object),
    }
    return _frame("duplicates", columns, dropped.geometry.to_numpy(), dropped.crs)
