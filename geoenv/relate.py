"""Section relations: the next section downstream, the sections immediately upstream, the
network distance between them, and each section's control segment (the river between it and
its immediate upstream sections) with the facilities on it.

"Downstream" follows the main path (DM): a section's next section is the first one met going
down from it; a facility belongs to the control segment of the first section below its outfall.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoenv.basin import Basin, placement_problems
from geoenv.errors import Problem
from geoenv.network.graph import Network

RELATION_COLUMNS = [
    "code", "downstream_code", "distance_km", "upstream_codes", "control_km", "facilities", "reach_id",
    "measure", "offset_m",
]  # fmt: skip


@dataclass
class Relations:
    """Relations per section and the downstream section of each facility.

    Attributes
    ----------
    sections
        :data:`RELATION_COLUMNS` per section.
    facilities
        ``id, downstream_code, distance_km`` per facility.
    problems
        Warnings naming the sections and facilities that could not be placed, and those on
        pieces of network that reach no given outlet (:func:`geoenv.basin.placement_problems`).
    """

    sections: pd.DataFrame
    facilities: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)


def section_relations(basin: Basin) -> Relations:
    """Relations of the sections and facilities placed in ``basin``, with what could not be placed
    and what lies on networks that reach no given outlet."""
    result = relate(basin.net, basin.sections, basin.facilities)
    result.problems = placement_problems(basin)
    return result


def relation_layers(basin: Basin, result: Relations) -> dict[str, pd.DataFrame]:
    """Layers to save beside the network: the sections and facilities as points with where
    they were placed, and the relations table (for :func:`geoenv.network.save_network`)."""
    layers: dict[str, pd.DataFrame] = {"relations": result.sections, "sections": basin.sections}
    if basin.facilities is not None:
        layers["facilities"] = basin.facilities.merge(result.facilities, on="id", how="left")
    return layers


def next_downstream(
    net: Network,
    reach: np.ndarray,
    measure_m: np.ndarray,
    at_reach: np.ndarray,
    at_measure: np.ndarray,
    *,
    strict: bool,
    keep_to: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """For points at (reach, measure), the first target point met going down the main path.

    Parameters
    ----------
    reach, measure_m
        Where the points are (measure from the reach's downstream end); reach -1: not located.
    at_reach, at_measure
        Where the targets (sections) are.
    strict
        Skip a target at exactly the point's own place (a section is not its own downstream).
    keep_to
        Per reach, a label the walk down keeps to (the river's name): it stops where the label
        changes, so that a tributary's point never meets a section of the river it flows into.

    Returns
    -------
    Index of the target (-1 where none) and the network distance in metres.
    """
    n = net.n
    targets = pd.DataFrame({"t": np.arange(len(at_reach)), "reach": at_reach, "m": at_measure})
    targets = targets[targets["reach"] >= 0]
    # The target nearest each reach's upstream end, and its distance from there.
    top = targets.sort_values(["reach", "m", "t"], ascending=[True, False, True]).drop_duplicates("reach")
    first = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    first[top["reach"].to_numpy()] = top["t"].to_numpy()
    dist[top["reach"].to_numpy()] = net.length[top["reach"].to_numpy()] - top["m"].to_numpy()
    below = np.full(n, -1, dtype=np.int64)  # first target at or below each reach's downstream end
    below_d = np.full(n, np.inf)
    for frontier in reversed(net.frontiers):
        dn = net.dn_main[frontier]
        has = dn >= 0
        if keep_to is not None:
            has[has] = keep_to[dn[has]] == keep_to[frontier[has]]
        f, d = frontier[has], dn[has]
        below[f] = np.where(first[d] >= 0, first[d], below[d])
        below_d[f] = np.where(first[d] >= 0, dist[d], net.length[d] + below_d[d])
    out = np.full(len(reach), -1, dtype=np.int64)
    out_d = np.full(len(reach), np.inf)
    located = np.flatnonzero(reach >= 0)
    pts = pd.DataFrame({"p": located, "reach": reach[located], "m": measure_m[located]})
    # A target on the same reach below the point (strictly below for sections themselves).
    same = pts.merge(targets, on="reach", suffixes=("", "_t"))
    same = same[(same["m_t"] < same["m"]) | (~strict & (same["m_t"] == same["m"]))]
    same = same.sort_values(["p", "m_t"], ascending=[True, False]).drop_duplicates("p")
    out[same["p"].to_numpy()] = same["t"].to_numpy()
    out_d[same["p"].to_numpy()] = (same["m"] - same["m_t"]).to_numpy()
    rest = np.setdiff1d(located, same["p"].to_numpy())
    r = reach[rest]
    out[rest] = below[r]
    out_d[rest] = measure_m[rest] + below_d[r]
    out_d[out < 0] = np.nan
    return out, out_d


def relate(net: Network, sections: pd.DataFrame, facilities: pd.DataFrame | None = None) -> Relations:
    """Relations of located sections (``code``, ``reach``, ``measure_m`` from
    :func:`geoenv.locate.locate`) and, optionally, of located facilities (``id``, ``reach``,
    ``measure_m``)."""
    reach = sections["reach"].to_numpy()
    measure = sections["measure_m"].to_numpy(dtype=float)
    codes = sections["code"].astype(str).to_numpy()
    down, dist = next_downstream(net, reach, measure, reach, measure, strict=True)
    table = pd.DataFrame(
        {
            "code": codes,
            "downstream_code": np.where(down >= 0, codes[np.maximum(down, 0)], ""),
            "distance_km": np.round(dist / 1000, 3),
            "reach_id": sections["reach_id"].to_numpy(),
            "measure": sections["measure"].to_numpy(),
            "offset_m": sections["offset_m"].to_numpy(),
        }
    )
    ups = pd.DataFrame({"code": codes, "down": down})
    ups = ups[ups["down"] >= 0].assign(down_code=lambda f: codes[f["down"]]).sort_values("code")
    table["upstream_codes"] = (
        table["code"].map(ups.groupby("down_code")["code"].agg(";".join)).astype(object).fillna("")
    )
    table["control_km"] = np.round(_control_length(net, reach, measure) / 1000, 3)
    placed = pd.DataFrame(columns=["id", "downstream_code", "distance_km"])
    if facilities is not None and len(facilities):
        f_down, f_dist = next_downstream(
            net,
            facilities["reach"].to_numpy(),
            facilities["measure_m"].to_numpy(dtype=float),
            reach,
            measure,
            strict=False,
        )
        placed = pd.DataFrame(
            {
                "id": facilities["id"].astype(str).to_numpy(),
                "downstream_code": np.where(f_down >= 0, codes[np.maximum(f_down, 0)], ""),
                "distance_km": np.round(f_dist / 1000, 3),
            }
        )
        on = placed[placed["downstream_code"] != ""].sort_values("id")
        table["facilities"] = (
            table["code"].map(on.groupby("downstream_code")["id"].agg(";".join)).astype(object).fillna("")
        )
    else:
        table["facilities"] = ""
    return Relations(table[RELATION_COLUMNS], placed)


def _control_length(net: Network, reach: np.ndarray, measure: np.ndarray) -> np.ndarray:
    """Length of river whose next section downstream is each section (its control segment)."""
    n_sections = len(reach)
    # Every reach (or the part of it below its lowest section) drains to one section: the
    # first section at or below its downstream end, or the lowest section on it.
    located = reach >= 0
    frame = pd.DataFrame({"s": np.flatnonzero(located), "reach": reach[located], "m": measure[located]})
    frame = frame.sort_values(["reach", "m"])
    lowest = frame.drop_duplicates("reach")
    bottom, _ = next_downstream(net, np.arange(net.n), np.zeros(net.n), reach, measure, strict=False)
    total = np.zeros(n_sections)
    # Whole reaches without a section drain to ``bottom``.
    without = np.ones(net.n, dtype=bool)
    without[lowest["reach"].to_numpy()] = False
    target = bottom[without]
    np.add.at(total, target[target >= 0], net.length[without][target >= 0])
    # Reaches with sections: each section controls the stretch up to the next section above it
    # on the reach (or to the reach's top); the stretch below the lowest goes to ``bottom``.
    frame["above"] = frame.groupby("reach")["m"].shift(-1)
    frame["above"] = frame["above"].fillna(pd.Series(net.length[frame["reach"].to_numpy()], index=frame.index))
    np.add.at(total, frame["s"].to_numpy(), (frame["above"] - frame["m"]).to_numpy())
    low = lowest["reach"].to_numpy()
    into = bottom[low]
    np.add.at(total, into[into >= 0], lowest["m"].to_numpy()[into >= 0])
    return total


#: The columns of :func:`controlled_stretches`.
STRETCH_COLUMNS = ["reach", "from_m", "to_m", "control"]


def controlled_stretches(basin: Basin) -> pd.DataFrame:
    """The stretch of river each section controls, as pieces of reaches: from the section up to
    the next sections upstream, and above the topmost section of a river up to its head.

    A stretch belongs to the first section met going down the main path without leaving its
    river (reaches of the same name): the part of a river below its lowest section, and a
    tributary without a section of its own, have no control (``control`` None), rather than
    one borrowed from the river they flow into.

    Returns
    -------
    :data:`STRETCH_COLUMNS`: reach index, the measures of the piece's two ends (metres above
    the reach's downstream end, ``from_m`` < ``to_m``) and the code of the controlling section
    (None where none); every reach covered once, sorted by reach and measure.
    """
    net = basin.net
    placed = basin.sections[basin.sections["reach"] >= 0]
    reach = placed["reach"].to_numpy(dtype=np.int64)
    measure = placed["measure_m"].to_numpy(dtype=float)
    codes = placed["code"].astype(str).to_numpy(dtype=object)
    names = net.reaches["name"].fillna("").astype(str).to_numpy()
    below, _ = next_downstream(net, np.arange(net.n), np.zeros(net.n), reach, measure, strict=False, keep_to=names)
    # Each section controls its reach up to the next section on it, or to the reach's top.
    own = pd.DataFrame({"reach": reach, "from_m": measure, "control": codes}).sort_values(
        ["reach", "from_m", "control"]
    )
    own["to_m"] = own.groupby("reach")["from_m"].shift(-1).fillna(pd.Series(net.length[own["reach"]], index=own.index))
    # Below its lowest section (a whole reach without one), a reach drains to the section below it.
    lowest = net.length.copy()
    np.minimum.at(lowest, reach, measure)
    control = np.where(below >= 0, codes[np.maximum(below, 0)] if len(codes) else None, None)
    bottom = pd.DataFrame({"reach": np.arange(net.n), "from_m": 0.0, "to_m": lowest, "control": control})
    stretches = pd.concat([bottom, own], ignore_index=True)
    stretches = stretches[stretches["to_m"] > stretches["from_m"]].sort_values(["reach", "from_m"], kind="stable")
    stretches["control"] = stretches["control"].astype(object).where(stretches["control"].notna(), None)
    return stretches[STRETCH_COLUMNS].reset_index(drop=True)
