"""River lines as users have them → reaches that meet at nodes, oriented downstream.

Lines may run in any direction, be cut anywhere, be multi-part, end a little short of the river
they join (a gap up to the tolerance) or on its interior (a T-junction: the other line is split
there), and repeat each other. Lines that cross without sharing a vertex stay apart (an aqueduct
is not a confluence). All work is on coordinate arrays in a metric CRS.

Flow direction: ``digitized`` trusts each line's direction; ``outlet`` orients every connected
network toward its outlet, by network distance: each reach flows from its end farther from the
outlet to the nearer one. The outlet is given, or chosen by :func:`choose_outlets`. Reaches in
loops and braids cannot be oriented for certain without elevation and are flagged ambiguous.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from geoenv.errors import NetworkError, Problem
from geoenv.network.graph import concat_ranges
from geoenv.settings import DEFAULT_TOLERANCE_M

GRID_M = 0.001
"""Vertices closer than this (1 mm) are the same point."""
"""Largest gap bridged between a dangling line end and another line: the embedded GSHHG rivers
have gaps up to about 360 m; dense data (NHDPlus, surveyed lines) wants a few metres."""


@dataclass
class Topology:
    """Reaches in flow direction, with nodes and what was found on the way.

    Attributes
    ----------
    geometry
        One LineString per reach, digitized downstream (metric CRS).
    source
        Index of the input line each reach came from.
    piece
        Position of the reach along its input line, upstream first (0 when the line was not cut).
    pieces
        How many reaches the input line became.
    fromnode, tonode
        Node ids of the upstream and downstream ends.
    ambiguous
        Reaches whose direction cannot be told from the geometry (loops, braids).
    to_given_outlet
        Reaches of a network that drains to an outlet the user gave.
    outlets
        Node ids of the outlets, and whether each was given (True) or chosen.
    report
        Counts and notes for the user: duplicates dropped, gaps bridged, T-junctions split, loops.
    """

    geometry: np.ndarray
    source: np.ndarray
    piece: np.ndarray
    pieces: np.ndarray
    fromnode: np.ndarray
    tonode: np.ndarray
    node_xy: np.ndarray
    ambiguous: np.ndarray
    outlets: pd.DataFrame
    to_given_outlet: np.ndarray
    report: dict[str, object] = field(default_factory=dict)


def _point_keys(xy: np.ndarray) -> np.ndarray:
    """Integer id per distinct point on the 1 mm grid."""
    grid = np.round(xy / GRID_M).astype(np.int64)
    # the ids np.unique(grid, axis=0) gives (points in lexicographic order), hashed: 4× faster
    return pd.DataFrame({"x": grid[:, 0], "y": grid[:, 1]}).groupby(["x", "y"], sort=True).ngroup().to_numpy()


def _measures(coords: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance of each vertex along its line from the line's first vertex."""
    step = np.zeros(len(coords))
    same = np.r_[False, line[1:] == line[:-1]]
    step[same] = np.hypot(*(coords[1:] - coords[:-1])[same[1:]].T)
    total = np.cumsum(step)
    starts = np.r_[0, np.flatnonzero(~same[1:]) + 1]
    return total - np.repeat(total[starts], np.diff(np.r_[starts, len(coords)]))


def _vertices(lines: np.ndarray) -> pd.DataFrame:
    coords, line = shapely.get_coordinates(lines, return_index=True)
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    return pd.DataFrame(
        {"line": line, "m": _measures(coords, line), "x": coords[:, 0], "y": coords[:, 1], "first": first, "last": last}
    )


def _split(vertices: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut lines at their ``cut`` vertices. Returns the pieces, their line and their position."""
    v = vertices.sort_values(["line", "m"], kind="stable").reset_index(drop=True)
    cut = v["cut"].to_numpy(dtype=bool) & ~v["first"].to_numpy(dtype=bool) & ~v["last"].to_numpy(dtype=bool)
    line = v["line"].to_numpy(dtype=np.int64)
    cuts_before = np.cumsum(cut) - cut
    line_start = np.r_[0, np.flatnonzero(line[1:] != line[:-1]) + 1]
    counts = np.diff(np.r_[line_start, len(v)])
    cuts_before = cuts_before - np.repeat(cuts_before[line_start], counts)
    # A cut vertex ends one piece and starts the next: emit it twice.
    rows = np.r_[np.arange(len(v)), np.flatnonzero(cut)]
    piece = np.r_[cuts_before, cuts_before[cut] + 1]
    order = np.lexsort((v["m"].to_numpy()[rows], piece, line[rows]))
    rows, piece = rows[order], piece[order]
    key = line[rows].astype(np.int64) * (int(piece.max()) + 2) + piece
    _, index = np.unique(key, return_inverse=True)
    xy = v[["x", "y"]].to_numpy()[rows]
    sizes = np.bincount(index)
    keep_piece = sizes >= 2
    keep = keep_piece[index]
    _, index = np.unique(index[keep], return_inverse=True)
    geoms = shapely.linestrings(xy[keep], indices=index)
    first_rows = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
    return geoms, line[rows][keep][first_rows], piece[keep][first_rows]


def _duplicates(lines: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Mask of lines that repeat an earlier one with the same key (same vertices, either way)."""
    wkb = shapely.to_wkb(shapely.normalize(lines))
    return pd.DataFrame({"wkb": wkb, "key": keys}).duplicated().to_numpy()


def build_topology(
    lines: np.ndarray,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    flow: str = "outlet",
    outlets: np.ndarray | None = None,
    keys: np.ndarray | None = None,
    names: np.ndarray | None = None,
    progress: Callable[[str], None] | None = None,
) -> Topology:
    """Reaches, nodes and flow direction from plain line geometries.

    Parameters
    ----------
    lines
        LineStrings or MultiLineStrings in a metric CRS, none empty or of zero length.
    tolerance_m
        Largest gap bridged between a dangling line end and another line; also how far a given
        outlet may lie from a line end.
    flow
        ``digitized`` or ``outlet``.
    outlets
        Points (metric CRS) where networks end, for ``flow="outlet"``.
    keys
        Identifier of each line: a line repeating another with the same key (or, without keys,
        any repeated line) is dropped; repeated with another key it stays, as a parallel branch.
    names
        River name of each line ("" unknown): ends of one named river that nearly meet are its
        continuation and do not also join a line of another name there (a canal crossing).
    progress
        Called with a short note as each stage starts (for a long build).
    """
    say = progress or (lambda _: None)
    parts, source = shapely.get_parts(lines, return_index=True)
    duplicate = _duplicates(parts, np.zeros(len(parts)) if keys is None else np.asarray(keys)[source])
    parts, source = parts[~duplicate], source[~duplicate]
    report: dict[str, object] = {"lines": len(lines), "duplicates_dropped": int(duplicate.sum())}

    say(f"{len(parts):,} line parts: finding shared vertices")
    # 1. Split where lines share a vertex (a confluence digitized without cutting the line).
    v = _vertices(parts)
    v["point"] = _point_keys(v[["x", "y"]].to_numpy())
    lines_at = v.drop_duplicates(["point", "line"]).groupby("point")["line"].size()
    v["cut"] = v["point"].map(lines_at).to_numpy() > 1

    say("joining line ends that nearly meet, and ends near other lines")
    # 2. Join dangling ends: to each other and to junctions within the tolerance (clusters,
    #    transitively), then what still dangles to the nearest other line (a T-junction).
    part_names = np.full(len(parts), "", dtype=object) if names is None else np.asarray(names, dtype=object)[source]
    joins = _join_ends(parts, part_names, v, lines_at, tolerance_m, digitized=flow == "digitized")
    report["gaps_bridged"] = int((joins.moves["gap"] > GRID_M).sum())
    report["t_junctions_split"] = len(joins.splits)
    inserted = pd.DataFrame(
        {"line": joins.splits["line"], "m": joins.splits["m"], "x": joins.splits["x"], "y": joins.splits["y"],
         "first": False, "last": False, "cut": True}
    )  # fmt: skip
    moves = joins.moves[joins.moves["gap"] > GRID_M]
    extended = pd.DataFrame(
        {
            "line": moves["line"],
            "m": np.where(moves["last"], moves["m"] + moves["gap"], -moves["gap"]),
            "x": moves["x"],
            "y": moves["y"],
            "first": ~moves["last"],
            "last": moves["last"],
            "cut": False,
        }
    )
    # An extended end is no longer the line's end: the bridge's far point is.
    v = v.drop(columns="point")
    v.loc[v["last"] & v["line"].isin(extended.loc[extended["last"], "line"]), "last"] = False
    v.loc[v["first"] & v["line"].isin(extended.loc[extended["first"], "line"]), "first"] = False
    v = pd.concat([v, inserted, extended], ignore_index=True)
    pieces, line, piece = _split(v)

    say(f"{len(pieces):,} reaches: joining them at nodes")
    # 3. Nodes: reach ends on the 1 mm grid.
    start = shapely.get_coordinates(shapely.get_point(pieces, 0))
    end = shapely.get_coordinates(shapely.get_point(pieces, -1))
    node = _point_keys(np.vstack([start, end]))
    n = len(pieces)
    fromnode, tonode = node[:n], node[n:]
    node_xy = np.zeros((node.max() + 1, 2))
    node_xy[node] = np.vstack([start, end])
    report["networks"] = _count_networks(fromnode, tonode, len(node_xy))

    ambiguous = np.zeros(n, dtype=bool)
    outlet_table = pd.DataFrame({"node": pd.Series(dtype=int), "given": pd.Series(dtype=bool)})
    to_given = np.zeros(n, dtype=bool)
    if flow == "outlet":
        say("orienting each network toward its outlet")
        flip, ambiguous, outlet_table, to_given = _orient(
            fromnode, tonode, node_xy, shapely.length(pieces), outlets, tolerance_m
        )
        pieces[flip] = shapely.reverse(pieces[flip])
        fromnode, tonode = np.where(flip, tonode, fromnode), np.where(flip, fromnode, tonode)
        piece = np.where(flip, -piece, piece)
    else:
        out_degree = np.bincount(fromnode, minlength=len(node_xy))
        terminal = np.unique(tonode[out_degree[tonode] == 0])
        outlet_table = pd.DataFrame({"node": terminal, "given": False})
    report["ambiguous"] = int(ambiguous.sum())

    # Position along the input line, upstream first.
    order = pd.Series(piece).groupby(source[line]).rank(method="first").to_numpy().astype(int) - 1
    counts = np.bincount(line, minlength=len(parts))
    per_source = pd.Series(counts).groupby(source).sum()
    source_of = source[line]
    return Topology(
        geometry=pieces,
        source=source_of,
        piece=order,
        pieces=per_source.reindex(source_of).to_numpy(),
        fromnode=fromnode,
        tonode=tonode,
        node_xy=node_xy,
        ambiguous=ambiguous,
        to_given_outlet=to_given,
        outlets=outlet_table,
        report=report,
    )


def _count_networks(fromnode: np.ndarray, tonode: np.ndarray, n_nodes: int) -> int:
    """How many separate pieces the reaches form."""
    graph = sparse.csr_matrix((np.ones(len(fromnode)), (fromnode, tonode)), shape=(n_nodes, n_nodes))
    _, comp = csgraph.connected_components(graph, directed=False)
    return len(np.unique(comp[np.r_[fromnode, tonode]]))


@dataclass
class _Joins:
    """Where dangling ends go (``moves``: line, m, last, x, y, gap) and where lines are split
    for T-junctions (``splits``: line, m, x, y)."""

    moves: pd.DataFrame
    splits: pd.DataFrame


def _join_ends(
    parts: np.ndarray, names: np.ndarray, v: pd.DataFrame, lines_at: pd.Series, tolerance_m: float, *, digitized: bool
) -> _Joins:
    """Decide, all at once and so in no order, where every dangling line end joins.

    1. Dangling ends (an end no other line touches) within the tolerance of one another, or of
       a junction (a point several lines share), form clusters, transitively. A cluster with
       one junction joins it; with none, its ends meet at their centroid; with several, each
       end goes to the junction nearest it. Junctions never move and never merge.
    2. A cluster without a junction that lies within the tolerance of another line (not one
       of its own) joins the nearest such line: at a junction of that line within the
       tolerance of the foot, else at the foot, where the line is split (a T-junction). Ends
       of one named river only (its continuation) join no line of another name.

    With ``digitized`` flow only downstream ends (``last``) reach out: a source near another
    line is not a confluence, though a downstream end may join a line's start, and a start may
    join a junction where every line ends (its continuation, pulled short).
    """
    empty_moves = _empty({"line": int, "m": float, "last": bool, "x": float, "y": float, "gap": float})
    empty_splits = _empty({"line": int, "m": float, "x": float, "y": float})
    shared = v["point"].map(lines_at).to_numpy() > 1
    ends = v[(v["first"] | v["last"]).to_numpy() & ~shared]
    if ends.empty:
        return _Joins(empty_moves, empty_splits)
    junctions = v[shared].drop_duplicates("point")
    n_d, n_j = len(ends), len(junctions)
    end_xy = ends[["x", "y"]].to_numpy()
    node_xy = np.vstack([end_xy, junctions[["x", "y"]].to_numpy()])
    end_line = ends["line"].to_numpy()
    end_last = ends["last"].to_numpy(dtype=bool)

    # 1. Clusters: ends linked to ends (of other lines) and to junctions within the tolerance.
    i, j = shapely.STRtree(shapely.points(node_xy)).query(
        shapely.points(end_xy), predicate="dwithin", distance=tolerance_m
    )
    to_end = j < n_d
    jj = np.minimum(j, n_d - 1)
    keep = np.where(to_end, (i != j) & (end_line[i] != end_line[jj]), True)
    if digitized:  # a start may continue a junction where every line ends (nothing flows out)
        sink = np.r_[v[shared].groupby("point")["last"].all().reindex(junctions["point"]).to_numpy(dtype=bool), False]
        into_sink = ~to_end & sink[np.where(to_end, n_j, j - n_d)]
        keep &= end_last[i] | (to_end & end_last[jj]) | into_sink
    i, j = i[keep], j[keep]
    graph = sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n_d + n_j, n_d + n_j))
    _, comp = csgraph.connected_components(graph, directed=False)
    n_junctions = np.bincount(comp[n_d:], minlength=comp.max() + 1)
    end_comp = comp[:n_d]
    target = np.full((n_d, 2), np.nan)
    # one junction in the cluster: every end goes there
    one = n_junctions[end_comp] == 1
    junction_of_comp = np.full(comp.max() + 1, -1)
    junction_of_comp[comp[n_d:]] = np.arange(n_j)
    target[one] = node_xy[n_d + junction_of_comp[end_comp[one]]]
    # several: each end to the nearest junction
    several = n_junctions[end_comp] > 1
    if several.any():
        nearest = shapely.STRtree(shapely.points(node_xy[n_d:])).query_nearest(
            shapely.points(end_xy[several]), all_matches=False
        )[1]
        target[several] = node_xy[n_d + nearest]
    # none: the ends meet at their centroid
    none = n_junctions[end_comp] == 0
    centroid = pd.DataFrame({"comp": end_comp[none], "x": end_xy[none, 0], "y": end_xy[none, 1]}).groupby("comp").mean()
    target[none] = centroid.loc[end_comp[none]].to_numpy()

    # 2. Clusters without a junction join the nearest other line within the tolerance.
    free = pd.DataFrame({"comp": end_comp[none], "line": end_line[none], "last": end_last[none]})
    reach_out = free.groupby("comp")["last"].any()  # digitized: clusters with a downstream end
    comps = (reach_out.index[reach_out.to_numpy()] if digitized else reach_out.index).to_numpy()
    splits = empty_splits
    if len(comps):
        rep = shapely.points(centroid.loc[comps].to_numpy())
        k, line = shapely.STRtree(parts).query(rep, predicate="dwithin", distance=tolerance_m)
        own = pd.MultiIndex.from_frame(free[["comp", "line"]].drop_duplicates())
        candidate = pd.DataFrame({"comp": comps[k], "line": line, "k": k})
        candidate = candidate[~pd.MultiIndex.from_frame(candidate[["comp", "line"]]).isin(own)]
        free_names = free.assign(name=names[free["line"]]).groupby("comp")["name"].agg(["nunique", "first", "size"])
        river = free_names.loc[candidate["comp"]]
        continuation = ((river["size"] > 1) & (river["nunique"] == 1) & (river["first"] != "")).to_numpy()
        candidate = candidate[~continuation | (names[candidate["line"]] == river["first"].to_numpy())]
        if len(candidate):
            candidate["gap"] = shapely.distance(rep[candidate["k"]], parts[candidate["line"]])
            best = candidate.sort_values(["comp", "gap", "line"]).drop_duplicates("comp")
            foot_m = shapely.line_locate_point(parts[best["line"]], rep[best["k"]])
            foot = shapely.get_coordinates(shapely.line_interpolate_point(parts[best["line"]], foot_m))
            best = best.assign(m=foot_m, x=foot[:, 0], y=foot[:, 1])
            snapped = _snap_to_junctions(best, v[shared], tolerance_m)
            moved = snapped.set_index("comp")
            members = none & np.isin(end_comp, moved.index.to_numpy())
            target[members] = moved.loc[end_comp[members], ["x", "y"]].to_numpy()
            splits = snapped.loc[~snapped["at_junction"], ["line", "m", "x", "y"]]
            grid = np.round(splits[["x", "y"]].to_numpy() / GRID_M)
            splits = splits[~pd.DataFrame({"line": splits["line"].to_numpy(), "gx": grid[:, 0], "gy": grid[:, 1]})
                            .duplicated().to_numpy()].reset_index(drop=True)  # fmt: skip
    moves = pd.DataFrame(
        {
            "line": end_line,
            "m": ends["m"].to_numpy(),
            "last": end_last,
            "x": target[:, 0],
            "y": target[:, 1],
            "gap": np.hypot(*(target - end_xy).T),
        }
    )
    return _Joins(moves.reset_index(drop=True), splits)


def _empty(columns: dict[str, type]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def _snap_to_junctions(best: pd.DataFrame, shared: pd.DataFrame, tolerance_m: float) -> pd.DataFrame:
    """Feet moved onto a junction of their line within the tolerance (``at_junction``)."""
    on_lines = shared[["line", "m", "x", "y"]].rename(columns={"m": "jm", "x": "jx", "y": "jy"})
    on_lines = on_lines.sort_values("jm")
    merged = pd.merge_asof(
        best.sort_values("m"),
        on_lines,
        left_on="m",
        right_on="jm",
        by="line",
        direction="nearest",
        tolerance=tolerance_m,  # type: ignore[arg-type]  # numeric keys take a number (pandas-stubs: times only)
    )
    hit = merged["jm"].notna().to_numpy()
    merged.loc[hit, "x"] = merged.loc[hit, "jx"]
    merged.loc[hit, "y"] = merged.loc[hit, "jy"]
    merged.loc[hit, "m"] = merged.loc[hit, "jm"]
    merged["at_junction"] = hit
    return merged[["comp", "line", "m", "x", "y", "at_junction"]]


def _orient(fromnode, tonode, node_xy, length, outlets, tolerance_m):
    """Flip reaches so that each flows toward its network's outlet (by network distance)."""
    n_nodes = len(node_xy)
    edges = pd.DataFrame({"a": np.minimum(fromnode, tonode), "b": np.maximum(fromnode, tonode), "w": length})
    edges = edges[edges["a"] != edges["b"]].groupby(["a", "b"], as_index=False).agg(w=("w", "min"))
    weight = np.maximum(edges["w"].to_numpy(), GRID_M)
    graph = sparse.csr_matrix((weight, (edges["a"], edges["b"])), shape=(n_nodes, n_nodes))
    n_comp, comp = csgraph.connected_components(graph, directed=False)
    degree = np.bincount(np.r_[fromnode, tonode], minlength=n_nodes)
    used = degree > 0
    given = np.empty(0, dtype=int)
    if outlets is not None and len(outlets):
        given = _outlet_nodes(outlets, node_xy, used, tolerance_m)
    missing = np.setdiff1d(np.unique(comp[used]), comp[given])
    chosen = choose_outlets(graph, comp, degree, node_xy, missing) if len(missing) else np.empty(0, dtype=int)
    sinks = np.r_[given, chosen]
    distance = csgraph.dijkstra(graph, directed=False, indices=sinks, min_only=True)
    core = _in_cycles(fromnode, tonode, n_nodes, n_comp, comp, used)
    level = distance
    if core.any():  # inside loops and braids, a hydraulic head orders the nodes instead
        head = _braid_head(fromnode, tonode, length, core, distance, sinks, n_nodes)
        level = np.where(np.isnan(head), distance, head)
        level = np.where(core[:, None], level[np.c_[fromnode, tonode]], distance[np.c_[fromnode, tonode]])
    else:
        level = distance[np.c_[fromnode, tonode]]
    flip = level[:, 0] < level[:, 1]
    ambiguous = core | (level[:, 0] == level[:, 1])
    table = pd.DataFrame({"node": sinks, "given": np.r_[np.ones(len(given), bool), np.zeros(len(chosen), bool)]})
    return flip, ambiguous, table, np.isin(comp[fromnode], comp[given])


def _outlet_nodes(outlets: np.ndarray, node_xy: np.ndarray, used: np.ndarray, tolerance_m: float) -> np.ndarray:
    nodes = np.flatnonzero(used)
    tree = shapely.STRtree(shapely.points(node_xy[nodes]))
    index, distance = tree.query_nearest(outlets, return_distance=True, all_matches=False)
    far = np.ones(len(outlets), dtype=bool)
    far[index[0][distance <= tolerance_m]] = False
    if far.any():
        raise NetworkError(
            [Problem(f"outlet {i + 1} lies on no line end (nearest {distance[index[0] == i].min():.0f} m away, "
                     f"tolerance {tolerance_m:g} m)") for i in np.flatnonzero(far)]
        )  # fmt: skip
    return nodes[index[1]]


def choose_outlets(
    graph, comp: np.ndarray, degree: np.ndarray, node_xy: np.ndarray, components: np.ndarray
) -> np.ndarray:
    """One outlet node for each of ``components``, by a documented rule.

    Candidates are the network's dangling ends (degree 1) that lie on the edge of the data's
    extent (within 1 % of its size of the convex hull of all line ends: where a clipped layer
    was cut), else all its dangling ends. Of these, the two ends of the
    longest path between candidates (two Dijkstra sweeps) are kept, and the outlet is the one
    farther south (then east) — rivers in the data's window leave it there more often than not.
    The choice is reported; give ``--outlet`` to override.
    """
    ends = shapely.points(node_xy)
    hull = shapely.convex_hull(shapely.multipoints(node_xy[degree > 0]))
    margin = 0.01 * np.sqrt(max(shapely.area(hull), 1.0))
    edge = shapely.distance(ends, shapely.boundary(hull)) <= margin
    leaf = degree == 1
    frame = pd.DataFrame({"node": np.flatnonzero(leaf), "comp": comp[leaf], "edge": edge[leaf]})
    frame = frame[frame["comp"].isin(components)]
    has_edge = frame.groupby("comp")["edge"].transform("any")
    frame = frame[frame["edge"] | ~has_edge]
    # Components without a dangling end (a pure loop): take their lowest node.
    loops = np.setdiff1d(components, frame["comp"].unique())
    extra = pd.DataFrame({"node": [np.flatnonzero(comp == c)[0] for c in loops], "comp": loops, "edge": False})
    frame = pd.concat([frame, extra], ignore_index=True).astype({"node": np.int64, "comp": np.int64})

    def farthest(start: np.ndarray) -> np.ndarray:
        d = csgraph.dijkstra(graph, directed=False, indices=start, min_only=True)
        pick = frame.assign(d=d[frame["node"]]).sort_values(["comp", "d", "node"], ascending=[True, False, True])
        return pick.drop_duplicates("comp")["node"].to_numpy()

    a = farthest(frame.drop_duplicates("comp")["node"].to_numpy())
    b = farthest(a)
    both = pd.DataFrame({"node": np.r_[a, b], "comp": comp[np.r_[a, b]]})
    both = both.assign(y=node_xy[both["node"], 1], x=-node_xy[both["node"], 0]).sort_values(["comp", "y", "x"])
    return both.drop_duplicates("comp")["node"].to_numpy()


def _in_cycles(fromnode, tonode, n_nodes, n_comp, comp, used) -> np.ndarray:
    """Reaches on a loop or braid: the 2-core of the undirected graph, found by peeling
    dangling reaches off, frontier by frontier (only the nodes touched are looked at again)."""
    n_edges = len(fromnode)
    if n_edges == used.sum() - len(np.unique(comp[used])):  # a forest: no cycles
        return np.zeros(n_edges, dtype=bool)
    ends = np.r_[fromnode, tonode]
    edge_at = np.r_[np.arange(n_edges), np.arange(n_edges)][np.argsort(ends, kind="stable")]
    indptr = np.r_[0, np.cumsum(np.bincount(ends, minlength=n_nodes))]
    degree = np.bincount(ends, minlength=n_nodes)
    alive = np.ones(n_edges, dtype=bool)
    leaves = np.flatnonzero(degree == 1)
    while len(leaves):
        edges = edge_at[concat_ranges(indptr[leaves], indptr[leaves + 1])]
        edges = np.unique(edges[alive[edges]])
        if not len(edges):
            break
        alive[edges] = False
        touched = np.r_[fromnode[edges], tonode[edges]]
        np.subtract.at(degree, touched, 1)
        leaves = np.unique(touched[degree[touched] == 1])
    return alive


def _braid_head(fromnode, tonode, length, core, distance, sinks, n_nodes) -> np.ndarray:
    """Order the nodes of loops and braids by a hydraulic head instead of network distance.

    Distance alone turns part of the longer branch of a braid upstream. Instead, treat each
    connected set of loops as a network of pipes (conductance 1/length): water enters at every
    node where a tree of other reaches hangs, in proportion to that tree's length, and leaves at
    the exit (the set's node nearest the outlet, head 0). The head solves the resulting Poisson
    problem; water runs from higher to lower head, so both branches of a braid run down, and a
    small tributary joining a braid's side does not turn the branch above it around.

    Returns the head of the nodes of loops (NaN elsewhere).
    """
    from scipy.sparse.linalg import spsolve

    a, b, w = fromnode[core], tonode[core], 1.0 / np.maximum(length[core], GRID_M)
    core_nodes = np.unique(np.r_[a, b])
    _, core_comp = csgraph.connected_components(
        sparse.csr_matrix((np.ones(len(a)), (a, b)), shape=(n_nodes, n_nodes)), directed=False
    )
    # Trees of non-loop reaches hang off exactly one loop node each; weigh them by length.
    tree = ~core
    _, tree_comp = csgraph.connected_components(
        sparse.csr_matrix((np.ones(tree.sum()), (fromnode[tree], tonode[tree])), shape=(n_nodes, n_nodes)),
        directed=False,
    )
    tree_length = np.bincount(tree_comp[fromnode[tree]], weights=length[tree], minlength=n_nodes)
    downstream_tree = np.zeros(n_nodes, dtype=bool)
    downstream_tree[tree_comp[sinks]] = True
    frame = pd.DataFrame({"node": core_nodes, "comp": core_comp[core_nodes], "d": distance[core_nodes]})
    exit_ = frame.sort_values(["comp", "d", "node"]).drop_duplicates("comp")["node"].to_numpy()
    inflow = np.zeros(n_nodes)
    hanging = ~downstream_tree[tree_comp[core_nodes]]
    inflow[core_nodes[hanging]] = tree_length[tree_comp[core_nodes[hanging]]] + GRID_M
    inflow[core_nodes] += 1.0  # a little everywhere, so that pure loops still drain
    free = np.zeros(n_nodes, dtype=bool)
    free[core_nodes] = True
    free[exit_] = False
    conductance = sparse.csr_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n_nodes, n_nodes))
    laplacian = sparse.diags(np.asarray(conductance.sum(axis=1)).ravel()) - conductance
    head = np.full(n_nodes, np.nan)
    head[exit_] = 0.0
    if free.any():
        head[free] = spsolve(laplacian[free][:, free].tocsc(), inflow[free])
    return head
