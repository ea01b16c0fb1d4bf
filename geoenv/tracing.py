"""Tracing an exceeding section upstream (超标断面溯源) and rehearsing a spill downstream
(突发水污染事件推演).

**Trace score** of a candidate facility, kept in the output with its parts:
``score = fit × proximity × size``, where

- ``fit`` (0–1) is how well the facility's kind explains the section's exceeding items, the
  best over those items (:data:`KIND_FIT`: NH3-N, TP, TN, COD, BOD5, CODMn → sewage plants and
  outfalls; heavy metals, fluoride, sulfide, cyanide → tailings ponds and industrial parks;
  petroleum, phenol, LAS → industrial parks and outfalls); 1 for every kind when nothing exceeds;
- ``proximity = 1 / (1 + d / 10 km)``, d the network distance up from the section;
- ``size = 0.5 + 0.5 × p``, p the facility's capacity percentile among its kind (0.75 unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoenv.basin import Basin, distances_down, distances_up, on_loose_piece
from geoenv.errors import InputError
from geoenv.network.graph import Network
from geoenv.network.navigate import downstream, locate_start, river_hint, upstream, upstream_main
from geoenv.quality import Period
from geoenv.schema import SOURCE_KINDS
from geoenv.settings import DEFAULT_VELOCITY_MS, ParameterError

ORGANIC = ("nh3n", "tp", "tn", "cod", "bod5", "codmn", "do", "fecal_coliform")
METALS = ("cu", "zn", "se", "as", "hg", "cd", "cr6", "pb", "f", "s2", "cn")
CHEMICAL = ("oil", "phenol", "las")
_FIT_BY_GROUP = {
    ORGANIC: {"sewage_plant": 1.0, "outfall": 1.0, "industrial_park": 0.6, "wetland": 0.4, "other": 0.3,
              "tailings_pond": 0.1},
    METALS: {"tailings_pond": 1.0, "industrial_park": 1.0, "outfall": 0.6, "sewage_plant": 0.3, "other": 0.3,
             "wetland": 0.1},
    CHEMICAL: {"industrial_park": 1.0, "outfall": 0.8, "sewage_plant": 0.5, "other": 0.3, "tailings_pond": 0.2,
               "wetland": 0.1},
}  # fmt: skip
KIND_FIT = {item: fits for group, fits in _FIT_BY_GROUP.items() for item in group}
"""How well each facility kind explains an exceeding item (0–1)."""
"""Kinds traced by default (drinking-water sources receive pollution, they do not emit it)."""
TRACE_COLUMNS = [
    "kind", "id", "name", "county", "river", "distance_km", "score", "fit", "proximity", "size", "class",
    "target", "meets_target", "reach_id",
]  # fmt: skip
IMPACT_COLUMNS = ["kind", "id", "name", "county", "distance_km", "arrival_h", "reach_id"]


@dataclass
class Trace:
    """What lies upstream of a section: ranked candidate facilities and the sections on the way.

    Attributes
    ----------
    table
        :data:`TRACE_COLUMNS`: facilities by score, then sections (kind ``section``) by distance.
    reaches
        Reach indices the trace runs on (those of ``pieces``).
    pieces
        What was searched, as pieces of reaches (:data:`~geoenv.network.substring.PIECE_COLUMNS`:
        ``reach, from_m, to_m``, measures above the reach's downstream end): from the section's
        measure up, within ``distance_km``, and not above the sections where it stopped.
    stops
        Codes of compliant upstream sections where the search stopped.
    section
        The traced section's code.
    notes
        What the user should know to read the answer: facilities not searched (not placed), a
        start on a piece of network reaching no given outlet, and why no candidate was found.
    period
        The period whose classes and exceeding items were used (None: none were).
    """

    table: pd.DataFrame
    reaches: np.ndarray
    pieces: pd.DataFrame
    stops: list[str]
    section: str = ""
    notes: list[str] = field(default_factory=list)
    period: Period | None = None

    @property
    def length_km(self) -> float:
        """The length of river searched (of ``pieces``), in km."""
        return _length_km(self.pieces)


def fit(kinds: pd.Series, exceeding: list[str]) -> np.ndarray:
    """Fit of each facility kind to the exceeding items (see the module notes)."""
    if not exceeding:
        return np.ones(len(kinds))
    scores = [kinds.map(KIND_FIT.get(item, {})).fillna(0.0).to_numpy() for item in exceeding]
    return np.max(scores, axis=0)


def size(facilities: pd.DataFrame) -> np.ndarray:
    """0.5 + 0.5 × capacity percentile within the facility's kind (0.75 where unknown)."""
    capacity = pd.to_numeric(facilities.get("capacity", pd.Series(index=facilities.index)), errors="coerce")
    pct = capacity.groupby(facilities["kind"]).rank(pct=True)
    return (0.5 + 0.5 * pct).fillna(0.75).to_numpy()


def trace(
    basin: Basin,
    section: str,
    *,
    status: pd.DataFrame | None = None,
    mode: str = "UT",
    distance_km: float | None = None,
    kinds: tuple[str, ...] = SOURCE_KINDS,
    stop_at_compliant: bool = False,
) -> Trace:
    """Facilities and sections upstream of ``section`` (code or name).

    Parameters
    ----------
    status
        Per section code (index): ``class``, ``target``, ``meets_target`` and ``exceeding``
        (list of item codes worse than the target) in the period of interest.
    mode
        UT (with tributaries) or UM (main stem).
    distance_km
        Only what lies within this network distance up from the section.
    kinds
        Facility kinds to list.
    stop_at_compliant
        Do not search above upstream sections that meet their target in the period: the source
        lies between them and ``section``.
    """
    net = basin.net
    start = basin.section(section)
    code = str(start["code"])
    reach, measure = int(start["reach"]), float(start["measure_m"])
    members, dist = upstream(net, reach) if mode == "UT" else upstream_main(net, reach)
    limit = np.inf if distance_km is None else distance_km * 1000
    if status is None:
        status = pd.DataFrame(columns=["class", "target", "meets_target", "exceeding"])

    sections = basin.sections.join(status, on="code")
    facilities = basin.facilities
    up_s = distances_up(net, reach, measure, members, dist, sections)
    in_s = (up_s <= limit) & (sections["code"].astype(str) != code).to_numpy()
    in_f = np.zeros(0, dtype=bool)
    if facilities is not None:
        up_f = distances_up(net, reach, measure, members, dist, facilities)
        in_f = (up_f <= limit) & facilities["kind"].isin(kinds).to_numpy()
    searched = np.zeros(net.n, dtype=bool)
    searched[members] = True
    cap = net.length.copy()  # how far up each reach the search goes: to a stop section on it
    stops: list[str] = []
    if stop_at_compliant:
        # Nothing above a compliant upstream section can explain the exceedance.
        compliant = sections["meets_target"].eq(True).to_numpy()
        for i in np.argsort(np.where(in_s, up_s, np.inf)):
            if not (in_s[i] and compliant[i]):
                continue
            b_reach, b_measure = int(sections["reach"].iloc[i]), float(sections["measure_m"].iloc[i])
            b_members, b_dist = upstream(net, b_reach)
            above_s = distances_up(net, b_reach, b_measure, b_members, b_dist, sections) >= 0
            above_s[i] = False
            in_s &= ~above_s
            if facilities is not None:
                in_f &= ~(distances_up(net, b_reach, b_measure, b_members, b_dist, facilities) >= 0)
            searched[b_members[b_members != b_reach]] = False
            cap[b_reach] = min(cap[b_reach], b_measure)
            stops.append(str(sections["code"].iloc[i]))

    rows = []
    if facilities is not None:
        picked = facilities[in_f].assign(d=up_f[in_f])
        exceeding = list(status["exceeding"].get(code, []))
        picked["fit"] = fit(picked["kind"], exceeding)
        picked["proximity"] = 1 / (1 + picked["d"].to_numpy() / 10_000)
        picked["size"] = size(facilities)[in_f]
        picked["score"] = picked["fit"] * picked["proximity"] * picked["size"]
        rows.append(picked.sort_values(["score", "d", "id"], ascending=[False, True, True]))
    on_way = sections[in_s].assign(kind="section", id=sections.loc[in_s, "code"], d=up_s[in_s])
    rows.append(on_way.sort_values(["d", "code"]))
    table = pd.concat(rows, ignore_index=True)
    table["distance_km"] = (table["d"] / 1000).round(3)
    for column in ("score", "fit", "proximity", "size"):
        table[column] = pd.to_numeric(table.get(column), errors="coerce").round(4)
    table = table.reindex(columns=TRACE_COLUMNS).reset_index(drop=True)
    notes = _start_notes(basin, reach, f"{code} {start['name']}")
    if facilities is not None and (facilities["reach"] < 0).any():
        lost = facilities.loc[facilities["reach"] < 0, "id"].astype(str)
        notes.append(f"{len(lost)} facilities could not be placed on the network and were not searched: "
                     f"{', '.join(lost)}")  # fmt: skip
    if not (table["kind"] != "section").any():
        notes.append(_why_no_candidate(facilities, up_f if facilities is not None else None, kinds, limit, stops))
    kept = searched[members]
    pieces = _upstream_pieces(net, reach, measure, members[kept], dist[kept], cap, limit)
    return Trace(table, np.unique(pieces["reach"]), pieces, stops, code, notes)


def _upstream_pieces(
    net: Network, reach: int, measure: float, members: np.ndarray, dist: np.ndarray, top: np.ndarray, limit: float
) -> pd.DataFrame:
    """The pieces of ``members`` (``dist``: from ``reach``'s downstream end to theirs, as
    :func:`~geoenv.network.navigate.upstream` gives it) within ``limit`` metres up from the point
    at ``measure`` on ``reach``, each up to its ``top`` measure at most."""
    start = members == reach
    from_m = np.where(start, measure, 0.0)
    below = np.where(start, 0.0, dist) - measure  # from the point to each member's downstream end
    to_m = np.minimum(top[members], limit - below)
    keep = to_m > from_m
    return pd.DataFrame({"reach": members[keep], "from_m": from_m[keep], "to_m": to_m[keep]})


def _length_km(pieces: pd.DataFrame) -> float:
    return float((pieces["to_m"] - pieces["from_m"]).sum() / 1000)


def _start_notes(basin: Basin, reach: int, what: str) -> list[str]:
    if on_loose_piece(basin, reach):
        return [f"{what} lies on a piece of network that reaches no given outlet: up and down there follow an "
                "outlet chosen by rule (see 'geoenv network check')"]  # fmt: skip
    return []


def _why_no_candidate(
    facilities: pd.DataFrame | None, up_f: np.ndarray | None, kinds: tuple[str, ...], limit: float, stops: list[str]
) -> str:
    """Why a trace lists no facility."""
    if facilities is None or up_f is None or facilities.empty:
        return "no candidate: no facilities register was given (--facilities)"
    upstream_any = np.isfinite(up_f) & facilities["kind"].isin(kinds).to_numpy()
    if not upstream_any.any():
        return f"no candidate: no facility of the kinds asked ({', '.join(kinds)}) lies upstream on the network"
    if stops:
        return (
            f"no candidate between the section and the compliant sections where the search stopped ({', '.join(stops)})"
        )
    nearest = np.nanmin(np.where(upstream_any, up_f, np.nan))
    return f"no candidate within {limit / 1000:g} km upstream; the nearest lies {nearest / 1000:.1f} km up"


@dataclass
class Impact:
    """What a spill reaches: :data:`IMPACT_COLUMNS` nearest first, the reaches it runs down, and
    its path as pieces of reaches (``pieces``: ``reach, from_m, to_m``, measures above the
    reach's downstream end) from the spill point down to the distance limit; ``period``: the
    period whose classes its map shows (set by :func:`geoenv.impact`)."""

    table: pd.DataFrame
    reaches: np.ndarray
    pieces: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    period: Period | None = None

    @property
    def length_km(self) -> float:
        """The length of the spill's path (of ``pieces``), in km."""
        return _length_km(self.pieces)


def impact(
    basin: Basin,
    *,
    facility: str | None = None,
    at: tuple[float, float] | None = None,
    velocity_ms: float = DEFAULT_VELOCITY_MS,
    distance_km: float | None = None,
    borders: pd.DataFrame | None = None,
    river_velocity: Mapping[str, float] | None = None,
    hours: float | None = None,
) -> Impact:
    """Sections, drinking-water sources and border crossings downstream of a spill, in order.

    Parameters
    ----------
    facility, at
        Where the spill enters the river: a facility (its outfall) or a point (lon, lat).
    velocity_ms
        Mean flow velocity; a reach's own ``velocity_ms`` (from the rivers layer) wins.
    borders
        Border crossings (``reach``, ``measure_m``, ``name``, ``county``) to list too.
    river_velocity
        Velocity (m/s) by river name, for the reaches of that name (see :func:`reach_velocity`).
    distance_km, hours
        Follow the spill this far, and this long (both: whichever ends first): the rows reached
        within them (by the exact arrival, not the rounded one) and the pieces run down.

    Returns
    -------
    :data:`IMPACT_COLUMNS`, nearest first (``arrival_h`` at the velocities used), and the reaches.
    """
    net = basin.net
    if (facility is None) == (at is None):
        raise InputError(
            "impact needs where the spill enters the river: facility (an id) or at (lon, lat), one of them"
        )
    if facility is not None:
        start = basin.facility(facility)
        reach, measure = int(start["reach"]), float(start["measure_m"])
        what = f"{start['id']} {start['name']}"
    else:
        assert at is not None  # checked above
        reach, measure = locate_start(net, at, basin.radius_m)
        what = f"the spill at {at[0]:g},{at[1]:g}"
    members, dist = downstream(net, reach)
    speed = reach_velocity(net, velocity_ms, river_velocity)
    reach_hours = net.length / speed / 3600
    t_members, t_dist = downstream(net, reach, weight=reach_hours)
    limit = np.inf if distance_km is None else distance_km * 1000
    until = np.inf if hours is None else float(hours)
    parts = []
    targets = [("section", basin.sections, "code")]
    if basin.facilities is not None:
        sources = basin.facilities[basin.facilities["kind"] == "water_source"]
        if facility is not None:
            sources = sources[sources["id"].astype(str) != str(start["id"])]
        targets.append(("water_source", sources, "id"))
    if borders is not None and len(borders):
        targets.append(("border", borders, "id"))
    for kind, frame, key in targets:
        d = distances_down(net, reach, measure, members, dist, frame)
        h = distances_down(net, reach, measure, t_members, t_dist, frame, rate=1 / (speed * 3600))
        hit = np.isfinite(d) & (d <= limit) & (h <= until)
        part = frame[hit].assign(kind=kind, id=frame.loc[hit, key].astype(str), d=d[hit], h=h[hit])
        parts.append(part)
    table = pd.concat(parts, ignore_index=True).sort_values(["d", "kind", "id"], kind="stable")
    table["distance_km"] = (table["d"] / 1000).round(3)
    table["arrival_h"] = table["h"].round(2)
    top = net.length[reach] - measure  # the start reach's top lies this far above the spill
    pieces = downstream_pieces(net, reach, measure, members, np.maximum(dist - top, 0), limit)
    top_h = top / (speed[reach] * 3600)  # hours from the start reach's top down to the spill
    if hours is not None:
        by_time = downstream_pieces(net, reach, measure, t_members, np.maximum(t_dist - top_h, 0), until,
                                    speed=speed * 3600)  # fmt: skip
        pieces = _within_both(pieces, by_time)
    notes = _start_notes(basin, reach, what)
    if table.empty:
        run_km = (np.max(dist + net.length[members]) - top) / 1000
        run_h = np.max(t_dist + reach_hours[t_members]) - top_h
        if hours is not None and run_h > hours:
            notes.append(f"nothing registered within {hours:g} h downstream"
                         + ("" if distance_km is None else f" and {limit / 1000:g} km"))  # fmt: skip
        elif np.isfinite(limit) and run_km > limit / 1000:
            notes.append(f"nothing registered within {limit / 1000:g} km downstream")
        else:
            notes.append(f"nothing registered downstream: the spill leaves the network at its outlet after "
                         f"{max(run_km, 0):.1f} km without passing a section, water source or border")  # fmt: skip
    table = table.reindex(columns=IMPACT_COLUMNS).reset_index(drop=True)
    return Impact(table, np.unique(pieces["reach"]), pieces, notes)


def reach_velocity(net: Network, velocity_ms: float, river_velocity: Mapping[str, float] | None = None) -> np.ndarray:
    """The flow velocity of each reach (m/s): its own ``velocity_ms`` (from the rivers layer)
    where it has one, else that of its river in ``river_velocity`` (by name), else ``velocity_ms``.

    Raises
    ------
    ParameterError
        For a name no reach has (naming the close ones) or a velocity that is not a finite
        number > 0.
    """
    velocity = np.full(net.n, velocity_ms, dtype=float)
    names = net.reaches["name"].fillna("").astype(str).to_numpy()
    for name, ms in (river_velocity or {}).items():
        if isinstance(ms, bool) or not isinstance(ms, int | float) or not np.isfinite(ms) or ms <= 0:
            raise ParameterError("river_velocity", {name: ms}, "a velocity in m/s: a finite number > 0")
        own = names == name
        if not own.any():
            raise ParameterError("river_velocity", name, f"a river of the network: {river_hint(net, name)}")
        velocity[own] = ms
    if "velocity_ms" in net.reaches:
        given = pd.to_numeric(net.reaches["velocity_ms"], errors="coerce").to_numpy()
        velocity = np.where(np.isfinite(given) & (given > 0), given, velocity)
    return velocity


def _within_both(by_distance: pd.DataFrame, by_time: pd.DataFrame) -> pd.DataFrame:
    """The parts of the pieces common to both sets (a reach appears at most once in each)."""
    both = by_distance.merge(by_time, on="reach", suffixes=("", "_t"))
    both = both.assign(
        from_m=np.maximum(both["from_m"], both["from_m_t"]), to_m=np.minimum(both["to_m"], both["to_m_t"])
    )
    return both.loc[both["to_m"] > both["from_m"], ["reach", "from_m", "to_m"]].reset_index(drop=True)


def velocity_words(velocity_ms: float, river_velocity: Mapping[str, float] | None = None) -> str:
    """The velocities as a title says them: ``流速 0.5 m/s，汾河 0.6 m/s``."""
    own = "，".join(f"{name} {ms:g} m/s" for name, ms in (river_velocity or {}).items())
    return f"流速 {velocity_ms:g} m/s" + (f"，{own}" if own else "")


def downstream_pieces(
    net: Network,
    reach: int,
    measure: float,
    members: np.ndarray,
    down: np.ndarray,
    limit: float,
    *,
    speed: np.ndarray | None = None,
) -> pd.DataFrame:
    """The pieces of ``members`` within ``limit`` metres down from the point at ``measure`` on
    ``reach`` (``down``: from the point to each member's upstream end; 0 for ``reach``).

    With ``speed`` (per reach, metres per unit: e.g. metres per hour), ``down`` and ``limit``
    are in that unit instead (travel time): the pieces reached within ``limit`` hours."""
    to_m = np.where(members == reach, measure, net.length[members])
    per = np.ones(len(members)) if speed is None else speed[members]
    from_m = np.maximum(to_m - (limit - down) * per, 0.0)
    keep = to_m > from_m
    return pd.DataFrame({"reach": members[keep], "from_m": from_m[keep], "to_m": to_m[keep]})
