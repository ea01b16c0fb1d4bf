"""Where rivers cross administrative borders, and which sections watch each crossing
(跨界断面): the outflow (出境) section of the unit the water leaves and the inflow (入境) section
of the unit it enters, and the sections whose upstream water comes partly from other units
(上下游联防联控).

The rivers are cut into pieces by unit (:func:`reach_units`), the pieces cover every reach
(:func:`cover`: 区域外 where no unit is), a stretch outside the area along its edge
(:func:`along_edge`, a 界河) is in the unit beside it (:func:`beside_units`), and a run of
pieces in one unit shorter than ``min_run_km`` between two others (a line zigzagging along a
border) is merged into the unit of the first long run below it (:func:`merge_short_runs`): a
passage from unit A to unit B is one crossing, where the river first leaves A.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geoenv.basin import Basin
from geoenv.jurisdiction import assign_counties
from geoenv.network import Network
from geoenv.network.navigate import upstream
from geoenv.network.substring import line_substrings

if TYPE_CHECKING:
    from geoenv.quality import Period

OUTSIDE = "区域外"
"""The unit beyond the counties layer (a river entering or leaving the study area)."""
CROSSING_COLUMNS = [
    "id", "river", "reach_id", "upstream_unit", "downstream_unit", "lon", "lat", "outflow_section",
    "outflow_km", "inflow_section", "inflow_km", "missing", "merged",
]  # fmt: skip
UNIT_COLUMNS = ["unit", "inflow_sections", "outflow_sections", "fed_from_elsewhere"]
SECTION_COLUMNS = ["section", "unit", "role", "crossing", "other_unit", "km"]
#: Gaps between two units' pieces up to this many metres are the same border drawn twice.
SLIVER_M = 1.0
#: A stretch outside the area no farther than this from it anywhere runs along the area's edge
#: (界河: a border river such as the 黄河 on the Shanxi–Shaanxi border): a county layer drawn
#: at 1:250 000 or generalized is off by a few hundred metres, and a wide channel's centre line
#: lies up to a kilometre or so from the bank the border follows; a river that has really left
#: the area is soon farther away than 2 km. On the embedded data the stretches outside the
#: counties layer reach at most 1.6 km from it or at least 4 km: 2 km lies in the gap.
EDGE_M = 2000.0
#: Points along a stretch at most this many metres apart are checked against :data:`EDGE_M`.
EDGE_STEP_M = 100.0


@dataclass
class Crossings:
    """Border crossings, the per-unit summary and the sections watching each crossing.

    Attributes
    ----------
    crossings
        :data:`CROSSING_COLUMNS` plus ``reach`` and ``measure_m`` (where on the network, the
        measure above the reach's downstream end). ``outflow_section`` is the upstream unit's
        nearest section above the crossing, ``inflow_section`` the downstream unit's nearest
        below it ("" none; ``missing`` says why); ``merged`` counts the short excursions
        merged into this crossing.
    units
        :data:`UNIT_COLUMNS`, one row per unit with a river.
    sections
        :data:`SECTION_COLUMNS`, one row per section, crossing and role (``inflow`` or
        ``outflow``): the unit the section lies in, the unit on the other side, the distance
        in km along the river from the section to the border.
    merged
        Short stays (runs in one unit shorter than ``min_run_km``) merged into their neighbours
        in all.
    along_edge
        Stretches outside the area along its edge (界河, :func:`along_edge`) counted in the unit
        beside them.
    min_run_km
        The shortest run in a unit that counts as a passage through it.
    period
        The period of the sections' classes (:func:`with_status`), or None.
    """

    crossings: pd.DataFrame
    units: pd.DataFrame
    sections: pd.DataFrame
    merged: int = 0
    min_run_km: float = 1.0
    along_edge: int = 0
    period: Period | None = None


def with_status(found: Crossings, status: pd.DataFrame, period: Period) -> Crossings:
    """``found`` with the class and compliance in ``period`` (``status``: per section code,
    ``class`` and ``meets_target``, as :meth:`geoenv.project.Project.status` gives) of each
    crossing's outflow and inflow section (``period``, ``outflow_class``,
    ``outflow_meets_target``, ``inflow_class``, ``inflow_meets_target``) and of each watching
    section (``period``, ``class``, ``meets_target``)."""
    table = found.crossings.copy()
    table.insert(list(table.columns).index("outflow_section"), "period", period.label)
    for role in ("outflow", "inflow"):
        at = list(table.columns).index(f"{role}_km") + 1
        for column in ("class", "meets_target"):
            table.insert(at, f"{role}_{column}", table[f"{role}_section"].map(status[column]).astype(object))
            at += 1
    sections = found.sections.assign(period=period.label, **{
        column: found.sections["section"].map(status[column]).astype(object) for column in ("class", "meets_target")
    })  # fmt: skip
    return replace(found, crossings=table, sections=sections, period=period)


def units_of(counties: gpd.GeoDataFrame, units: str) -> gpd.GeoDataFrame:
    """County polygons, or city polygons dissolved from them, with a ``unit`` name
    (:func:`unit_names`: a county name two cities share is told apart by its city)."""
    if units == "city":
        return counties.dissolve(by="city", as_index=False)[["city", "geometry"]].rename(columns={"city": "unit"})
    return gpd.GeoDataFrame({"unit": unit_names(counties)}, geometry=counties.geometry.to_numpy(), crs=counties.crs)


def unit_names(counties: pd.DataFrame) -> np.ndarray:
    """Each county's name as a unit: its name, or where another county has the same name
    (阳泉市 and 晋城市 each have a 城区) ``城区（阳泉市）``, and the adcode too if that repeats."""
    names = counties["name"].astype(str)
    city = counties["city"].fillna("").astype(str) if "city" in counties else pd.Series("", index=counties.index)
    shared = names.duplicated(keep=False)
    labels = names.where(~shared, names + "（" + city + "）")
    if "adcode" in counties:
        again = labels.duplicated(keep=False)
        labels = labels.where(~again, labels + "（" + counties["adcode"].astype(str) + "）")
    return labels.to_numpy(dtype=object)


def reach_units(basin: Basin, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """The pieces of each reach inside each unit: ``reach, unit, lo, hi`` in metres from the
    reach's upstream end, in flow order."""
    net = basin.net
    reaches = gpd.GeoDataFrame(
        {"reach": np.arange(net.n)}, geometry=net.reaches.geometry.to_numpy(), crs=net.reaches.crs
    )
    pieces = gpd.overlay(reaches, units.to_crs(net.reaches.crs), how="intersection", keep_geom_type=True)
    pieces = pieces.explode(index_parts=False).reset_index(drop=True)
    geoms = net.reaches.geometry.to_numpy()[pieces["reach"].to_numpy()]
    ends = np.c_[
        shapely.line_locate_point(geoms, shapely.get_point(pieces.geometry.to_numpy(), 0)),
        shapely.line_locate_point(geoms, shapely.get_point(pieces.geometry.to_numpy(), -1)),
    ]
    table = pd.DataFrame({"reach": pieces["reach"], "unit": pieces["unit"], "lo": ends.min(1), "hi": ends.max(1)})
    table = table[table["hi"] - table["lo"] > SLIVER_M]  # slivers along a border are not a visit
    return table.sort_values(["reach", "lo"]).reset_index(drop=True)


def cover(net: Network, pieces: pd.DataFrame) -> pd.DataFrame:
    """``pieces`` (:func:`reach_units`) made to cover every reach end to end: a gap longer than
    :data:`SLIVER_M` (and a reach in no unit) is :data:`OUTSIDE`, a shorter one is split
    between its neighbours, and touching pieces of one unit are one.

    Returns
    -------
    DataFrame ``reach, unit, lo, hi`` sorted by reach and ``lo`` (metres from the reach's
    upstream end), positional index = piece number.
    """
    length = net.length
    p = pieces.sort_values(["reach", "lo"]).reset_index(drop=True)
    reach, lo, hi = p["reach"].to_numpy(dtype=np.int64), p["lo"].to_numpy(dtype=float), p["hi"].to_numpy(dtype=float)
    next_lo = np.r_[lo[1:], np.inf]
    same = np.r_[reach[1:] == reach[:-1], False]  # piece i is followed by piece i + 1 on its reach
    first, last = np.r_[True, ~same[:-1]][: len(lo)], ~same
    joined = same & (next_lo - hi <= SLIVER_M)  # one border: the boundary halfway
    mid = np.where(joined, (hi + next_lo) / 2, hi)
    top, bottom = first & (lo <= SLIVER_M), last & (hi >= length[reach] - SLIVER_M)
    new_lo = np.where(top, 0.0, np.r_[lo[:1], np.where(joined[:-1], mid[:-1], lo[1:])][: len(lo)])
    new_hi = np.where(bottom, length[reach], mid)
    bare = np.setdiff1d(np.arange(net.n), reach)
    gaps = [  # reach, from, to: where the river is in no unit
        (reach[same & ~joined], hi[same & ~joined], next_lo[same & ~joined]),
        (reach[first & ~top], np.zeros((first & ~top).sum()), lo[first & ~top]),
        (reach[last & ~bottom], hi[last & ~bottom], length[reach[last & ~bottom]]),
        (bare, np.zeros(len(bare)), length[bare]),
    ]
    parts = [pd.DataFrame({"reach": reach, "unit": p["unit"].to_numpy(dtype=object), "lo": new_lo, "hi": new_hi})]
    parts += [pd.DataFrame({"reach": r, "unit": OUTSIDE, "lo": a, "hi": b}) for r, a, b in gaps]
    return _joined(pd.concat(parts, ignore_index=True))


def _joined(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (``reach, unit, lo, hi``) by reach and ``lo``, touching pieces of one unit on
    a reach (a line split at a vertex on the border) made one."""
    table = table.sort_values(["reach", "lo"], kind="stable").reset_index(drop=True)
    starts = (table["reach"] != table["reach"].shift()) | (table["unit"] != table["unit"].shift())
    joined = table.groupby(starts.cumsum()).agg(reach=("reach", "first"), unit=("unit", "first"), lo=("lo", "min"),
                                                hi=("hi", "max"))  # fmt: skip
    return joined.reset_index(drop=True)


def beside_units(net: Network, pieces: pd.DataFrame, edge: np.ndarray, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """``pieces`` with each ``edge`` piece (:func:`along_edge`, a river along the area's edge)
    in the unit beside it: cut each :data:`EDGE_STEP_M` at most, each part given the unit
    nearest its middle (``units`` in the network's CRS), so that a 界河 beside A and then B
    crosses from A to B where their border meets the river's line, not where it left the area."""
    chosen = np.flatnonzero(edge)
    if not len(chosen):
        return pieces
    stretch = pieces.iloc[chosen]
    lo, hi = stretch["lo"].to_numpy(dtype=float), stretch["hi"].to_numpy(dtype=float)
    parts = np.maximum(np.ceil((hi - lo) / EDGE_STEP_M).astype(np.int64), 1)
    owner = np.repeat(np.arange(len(chosen)), parts)
    k = np.arange(parts.sum()) - np.repeat(np.cumsum(parts) - parts, parts)
    step = (hi - lo) / parts
    start = lo[owner] + k * step[owner]
    reach = stretch["reach"].to_numpy(dtype=np.int64)[owner]
    middle = shapely.line_interpolate_point(net.reaches.geometry.to_numpy()[reach], start + step[owner] / 2)
    nearest = shapely.STRtree(units.geometry.to_numpy()).query_nearest(middle, all_matches=False)[1]
    cut = pd.DataFrame({"reach": reach, "unit": units["unit"].to_numpy(dtype=object)[nearest], "lo": start,
                        "hi": start + step[owner]})  # fmt: skip
    return _joined(pd.concat([pieces.drop(index=pieces.index[chosen]), cut], ignore_index=True))


def _at_network_end(net: Network, pieces: pd.DataFrame) -> np.ndarray:
    """Whether each piece (by reach and ``lo``) begins at a source or ends at an outlet: where
    the river really enters or leaves the area, never counted in the unit beside it."""
    reach = pieces["reach"].to_numpy(dtype=np.int64)
    first = np.r_[True, reach[1:] != reach[:-1]]
    last = np.r_[reach[1:] != reach[:-1], True]
    sources = np.bincount(net.down, minlength=net.n) == 0
    outlets = np.bincount(net.up, minlength=net.n) == 0
    return (first & sources[reach]) | (last & outlets[reach])


def along_edge(net: Network, pieces: pd.DataFrame, area: shapely.Geometry, edge_m: float = EDGE_M) -> np.ndarray:
    """Whether each piece of :func:`cover` is :data:`OUTSIDE` and every point of it (one each
    :data:`EDGE_STEP_M` at least) lies within ``edge_m`` of ``area`` (the union of the units):
    a river along the area's edge, in and out of the layer as its line wanders."""
    outside = np.flatnonzero(pieces["unit"].to_numpy(dtype=object) == OUTSIDE)
    edge = np.zeros(len(pieces), dtype=bool)
    if not len(outside) or shapely.is_empty(area):
        return edge
    stretch = pieces.iloc[outside]
    lines = line_substrings(net.reaches.geometry.to_numpy(), stretch["reach"].to_numpy(dtype=np.int64),
                            stretch["lo"].to_numpy(dtype=float), stretch["hi"].to_numpy(dtype=float))  # fmt: skip
    coords, owner = shapely.get_coordinates(shapely.segmentize(lines, EDGE_STEP_M), return_index=True)
    shapely.prepare(area)
    far = ~shapely.dwithin(shapely.points(coords), area, edge_m)
    edge[outside] = np.bincount(owner, weights=far.astype(float), minlength=len(outside)) == 0
    return edge


@dataclass
class Runs:
    """The pieces of :func:`cover` as runs (:func:`merge_short_runs`).

    Attributes
    ----------
    pieces
        :func:`cover`'s pieces with ``resolved`` (the unit after merging the short runs),
        ``run`` (the id of each run of one resolved unit), ``short`` (the id of the merged run
        a piece belongs to, -1 for the others) and ``chain_end`` (for a merged piece, the
        first piece below its chain of merged runs that is not merged; -1 for the others).
    up, down
        Every adjacency of two pieces: piece ``up[i]`` flows into piece ``down[i]``.
    below
        The piece just below each piece on the main stem (-1 at an outlet).
    merged
        The number of short runs merged into their neighbours.
    """

    pieces: pd.DataFrame
    up: np.ndarray
    down: np.ndarray
    below: np.ndarray
    merged: int


def merge_short_runs(net: Network, pieces: pd.DataFrame, min_run_m: float) -> Runs:
    """Merge each run of one unit shorter than ``min_run_m`` (a run: touching pieces of one
    unit, across links too, tributaries included) into the unit below it along the main stem;
    runs at a source or an outlet are never merged.

    A chain of merged runs (A→B→A→B… along a border) takes the unit of the first run below it
    that is not merged, so that the river leaves A where it first leaves A's last long run:
    A→B(short)→A is no crossing, A→B(short)→C one crossing A→C at the top of the stay in B.
    """
    m = len(pieces)
    reach = pieces["reach"].to_numpy(dtype=np.int64)
    every, index = np.arange(net.n), np.arange(m)
    first, last = np.searchsorted(reach, every), np.searchsorted(reach, every, side="right") - 1  # by reach
    within = np.flatnonzero(reach[1:] == reach[:-1])
    up = np.r_[within, last[net.up]]  # every adjacency: piece up[i] flows into piece down[i]
    down = np.r_[within + 1, first[net.down]]
    length = (pieces["hi"] - pieces["lo"]).to_numpy(dtype=float)
    codes, names = pd.factorize(pieces["unit"])
    _, below = _main_neighbours(net, reach, first, last)

    comp = _components(m, up, down, codes[up] == codes[down])
    in_degree, out_degree = np.bincount(net.down, minlength=net.n), np.bincount(net.up, minlength=net.n)
    at_end = ((first[reach] == index) & (in_degree[reach] == 0)) | ((last[reach] == index) & (out_degree[reach] == 0))
    run_length = np.bincount(comp, weights=length)
    kept = np.bincount(comp, weights=at_end.astype(float)) > 0
    short = (run_length[comp] < min_run_m) & ~kept[comp]

    # Each merged piece's chain end: the first piece below it that is not merged (pointer doubling).
    end = np.where(short, below, index)
    for _ in range(m):
        hop = np.where((end >= 0) & short[np.maximum(end, 0)], end[np.maximum(end, 0)], end)
        if np.array_equal(hop, end):
            break
        end = hop
    merged = short & (end >= 0) & ~short[np.maximum(end, 0)]  # a loop of short runs stays as it is
    resolved = np.where(merged, codes[np.maximum(end, 0)], codes)
    out = pieces.copy()
    out["resolved"] = names.to_numpy(dtype=object)[resolved]
    out["run"] = _components(m, up, down, resolved[up] == resolved[down])
    out["short"] = np.where(merged, comp, -1)
    out["chain_end"] = np.where(merged, end, -1)
    return Runs(out, up, down, below, len(np.unique(comp[merged])))


def _main_neighbours(
    net: Network, reach: np.ndarray, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The piece just above each piece (on the main stem at a confluence; -1 at a source)
    and just below it (-1 at an outlet)."""
    m = len(reach)
    index = np.arange(m)
    any_up = np.full(net.n, -1, dtype=np.int64)
    any_up[net.down] = net.up
    up_reach = np.where(net.up_main >= 0, net.up_main, any_up)
    above = np.where(first[reach] == index, np.where(up_reach[reach] >= 0, last[up_reach[reach]], -1), index - 1)
    down_reach = net.dn_main[reach]
    below = np.where(last[reach] == index, np.where(down_reach >= 0, first[down_reach], -1), index + 1)
    return above, below


def _components(m: int, up: np.ndarray, down: np.ndarray, joined: np.ndarray) -> np.ndarray:
    """Connected components of ``m`` pieces linked where ``joined``."""
    graph = coo_matrix((np.ones(int(joined.sum())), (up[joined], down[joined])), shape=(m, m))
    return connected_components(graph, directed=False)[1]


def crossings(
    basin: Basin,
    counties: gpd.GeoDataFrame,
    *,
    units: str = "county",
    near_km: float | None = None,
    min_run_km: float = 1.0,
    edge_m: float = EDGE_M,
) -> Crossings:
    """Every passage of a river from one unit into another (or into or out of the area), with
    the outflow section of the unit it leaves and the inflow section of the unit it enters.

    Parameters
    ----------
    units
        ``county`` or ``city`` (cities dissolved from the counties' ``city``).
    near_km
        How far along the river from the border a watching section may be (default: anywhere
        in the run of the river inside the unit).
    min_run_km
        A run inside a unit shorter than this between two others is no passage through it.
    edge_m
        A stretch outside the area within this many metres of it all along (:func:`along_edge`)
        is counted in the unit beside it; 0: none is.

    Notes
    -----
    ``merged`` of a crossing counts the runs merged into the chain that starts at it: every
    short stay (in either unit, or in a third one) between the last long run above and the
    first long run below. A→B(short)→A→B(short)→A→B
    is one crossing A→B where the river first leaves A, ``merged`` 4.
    """
    net = basin.net
    layer = units_of(counties, units)
    pieces = cover(net, reach_units(basin, layer))
    area = shapely.union_all(layer.to_crs(net.reaches.crs).geometry.to_numpy())
    edge = along_edge(net, pieces, area, edge_m) if edge_m > 0 else np.zeros(len(pieces), dtype=bool)
    edge &= ~_at_network_end(net, pieces)
    pieces = beside_units(net, pieces, edge, layer.to_crs(net.reaches.crs))
    runs = merge_short_runs(net, pieces, min_run_km * 1000)
    found = _crossing_points(net, runs)
    found = found.sort_values(["river", "reach_id", "measure_m"], ascending=[True, True, False]).reset_index(drop=True)
    found["id"] = [f"X{i + 1:03d}" for i in range(len(found))]
    watching = _watch(basin, found, runs.pieces, section_units(basin, counties, units), near_km)
    per_unit = _units(basin, found, runs.pieces)
    table = found.reindex(columns=[*CROSSING_COLUMNS, "reach", "measure_m"])
    return Crossings(table, per_unit, watching, runs.merged, min_run_km, int(edge.sum()))


def _crossing_points(net: Network, runs: Runs) -> pd.DataFrame:
    """Each adjacency of two pieces whose resolved units differ: a crossing at the upper end of
    the lower piece, with the number of runs merged into the chain that starts there."""
    pieces = runs.pieces
    resolved = pieces["resolved"].to_numpy(dtype=object)
    cut = resolved[runs.up] != resolved[runs.down]
    j, k = runs.up[cut], runs.down[cut]
    reach = pieces["reach"].to_numpy(dtype=np.int64)[k]
    found = pd.DataFrame({
        "reach": reach, "upstream_unit": resolved[j], "downstream_unit": resolved[k],
        "measure_m": (net.length[reach] - pieces["lo"].to_numpy(dtype=float)[k]).clip(0).round(3),
        "_up": j, "_down": k,
    })  # fmt: skip
    found["merged"] = _chain_runs(runs, k)
    found["river"] = net.reaches["name"].to_numpy()[reach]
    found["reach_id"] = net.reaches["id"].to_numpy()[reach]
    points = shapely.line_interpolate_point(
        net.reaches.geometry.to_numpy()[reach], net.length[reach] - found["measure_m"]
    )
    lonlat = gpd.GeoSeries(points, crs=net.reaches.crs).to_crs(4326)
    found["lon"], found["lat"] = lonlat.x.round(6).to_numpy(), lonlat.y.round(6).to_numpy()
    return found


def _chain_runs(runs: Runs, start: np.ndarray) -> np.ndarray:
    """For each piece in ``start``, the number of merged runs (short stays and stretches along
    the area's edge) on the way down from it to the end of its chain: a crossing's ``merged``."""
    short = runs.pieces["short"].to_numpy(dtype=np.int64)
    owner, at = np.arange(len(start)), np.asarray(start, dtype=np.int64)
    seen = [np.empty((0, 2), dtype=np.int64)]
    while len(at):
        going = (at >= 0) & (short[np.maximum(at, 0)] >= 0)
        owner, at = owner[going], at[going]
        seen.append(np.c_[owner, short[at]])
        at = runs.below[at]
    pairs = np.unique(np.concatenate(seen), axis=0)
    return np.bincount(pairs[:, 0], minlength=len(start)).astype(np.int64)


def section_units(basin: Basin, counties: gpd.GeoDataFrame, units: str) -> np.ndarray:
    """The unit each section lies in (its register's ``county`` or ``city``, else found from
    the counties; named as :func:`units_of` names them), None outside them."""
    sections = basin.sections
    if units not in sections:
        sections = assign_counties(sections, counties.to_crs(sections.crs))
    own = sections[units].to_numpy(dtype=object)
    if units == "city":
        return own
    labels = unit_names(counties)
    shared = counties["name"].astype(str).duplicated(keep=False).to_numpy()
    if not shared.any() or "adcode" not in sections or "adcode" not in counties:
        return own
    by_adcode = dict(zip(counties["adcode"].astype(str)[shared], labels[shared], strict=True))
    told = sections["adcode"].astype(str).map(by_adcode).to_numpy(dtype=object)
    return np.where(pd.notna(told), told, own)


def _watch(
    basin: Basin, found: pd.DataFrame, pieces: pd.DataFrame, own: np.ndarray, near_km: float | None
) -> pd.DataFrame:
    """Fill in each crossing's outflow and inflow section (the nearest of the unit's own
    sections on the run of the river in that unit, within ``near_km``) and ``missing``; the
    watching sections, one row per section, crossing and role."""
    net, sections = basin.net, basin.sections
    placed = np.flatnonzero(sections["reach"].to_numpy() >= 0)
    s_reach = sections["reach"].to_numpy(dtype=np.int64)[placed]
    s_measure = sections["measure_m"].to_numpy(dtype=float)[placed]
    offset = np.r_[0.0, np.cumsum(net.length)]
    starts = offset[pieces["reach"].to_numpy(dtype=np.int64)] + pieces["lo"].to_numpy(dtype=float)
    s_piece = np.searchsorted(starts, offset[s_reach] + net.length[s_reach] - s_measure, side="right") - 1
    located = pd.DataFrame({
        "code": sections["code"].astype(str).to_numpy()[placed], "s_reach": s_reach, "s_measure": s_measure,
        "run": pieces["run"].to_numpy()[np.clip(s_piece, 0, len(pieces) - 1)], "unit": own[placed],
        "to_outlet": net.pathlength[s_reach] + s_measure,
    })  # fmt: skip
    x = found.assign(to_outlet=net.pathlength[found["reach"].to_numpy()] + found["measure_m"].to_numpy())
    rows = []
    limit = np.inf if near_km is None else near_km * 1000
    for role, side, unit, other in (("outflow", "_up", "upstream_unit", "downstream_unit"),
                                    ("inflow", "_down", "downstream_unit", "upstream_unit")):  # fmt: skip
        frame = x.assign(run=pieces["run"].to_numpy()[x[side].to_numpy()])
        pairs = frame.merge(located, left_on=["run", unit], right_on=["run", "unit"], suffixes=("", "_s"))
        if role == "outflow":
            on_way = net.is_upstream(pairs["s_reach"].to_numpy(), pairs["reach"].to_numpy())
            metres = pairs["to_outlet_s"] - pairs["to_outlet"]
        else:
            on_way = net.is_upstream(pairs["reach"].to_numpy(), pairs["s_reach"].to_numpy())
            metres = pairs["to_outlet"] - pairs["to_outlet_s"]
        pairs = pairs.assign(metres=metres)[on_way & (metres >= -SLIVER_M)]
        nearest = pairs.sort_values(["metres", "code"]).drop_duplicates("id").set_index("id")
        within = nearest[nearest["metres"] <= limit]
        found[f"{role}_section"] = found["id"].map(within["code"]).astype(object).fillna("")
        found[f"{role}_km"] = found["id"].map((within["metres"].clip(lower=0) / 1000).round(3))
        far = found["id"].isin(nearest.index) & (found[f"{role}_section"] == "")
        gone = found[unit] == OUTSIDE
        found[f"_{role}_why"] = np.select(
            [gone, far, found[f"{role}_section"] == ""],
            [f"{'upstream' if role == 'outflow' else 'downstream'}_outside", f"{role}_beyond_near_km",
             f"no_{role}_section"], "")  # fmt: skip
        chosen = found[found[f"{role}_section"] != ""]
        rows.append(pd.DataFrame({"section": chosen[f"{role}_section"], "unit": chosen[unit], "role": role,
                                  "crossing": chosen["id"], "other_unit": chosen[other],
                                  "km": chosen[f"{role}_km"]}))  # fmt: skip
    why = found[["_outflow_why", "_inflow_why"]].to_numpy(dtype=str)
    found["missing"] = [";".join(filter(None, pair)) for pair in why]
    del found["_outflow_why"], found["_inflow_why"]
    table = pd.concat(rows, ignore_index=True).reindex(columns=SECTION_COLUMNS)
    return table.sort_values(["section", "crossing", "role"]).reset_index(drop=True)


def _units(basin: Basin, found: pd.DataFrame, pieces: pd.DataFrame) -> pd.DataFrame:
    """Per unit: inflow and outflow sections, and sections fed partly from other units."""
    net, sections = basin.net, basin.sections
    inflow = (
        found[found["inflow_section"] != ""]
        .groupby("downstream_unit")["inflow_section"]
        .agg(lambda s: ";".join(sorted(set(s))))
    )
    outflow = (
        found[found["outflow_section"] != ""]
        .groupby("upstream_unit")["outflow_section"]
        .agg(lambda s: ";".join(sorted(set(s))))
    )
    inside = pieces[pieces["resolved"] != OUTSIDE]
    fed: dict[str, list[str]] = {}
    for _, section in sections[sections["reach"] >= 0].iterrows():
        reach = int(section["reach"])
        pos = net.length[reach] - float(section["measure_m"])  # from the reach's upstream end
        members, _ = upstream(net, reach)
        own = inside[inside["reach"] == reach]
        home = own[(own["lo"] <= pos + SLIVER_M) & (own["hi"] >= pos - SLIVER_M)]
        unit = home["resolved"].iloc[0] if len(home) else str(section.get("county", ""))
        above = (
            inside[inside["reach"].isin(members[members != reach])]["resolved"].tolist()
            + own[own["lo"] < pos]["resolved"].tolist()
        )
        others = sorted(set(above) - {unit})
        if others:
            fed.setdefault(unit, []).append(f"{section['code']}({'、'.join(others)})")
    table = pd.DataFrame({"unit": sorted(set(inside["resolved"]))})
    table["inflow_sections"] = table["unit"].map(inflow).astype(object).fillna("")
    table["outflow_sections"] = table["unit"].map(outflow).astype(object).fillna("")
    table["fed_from_elsewhere"] = table["unit"].map({u: ";".join(v) for u, v in fed.items()}).astype(object).fillna("")
    return table
