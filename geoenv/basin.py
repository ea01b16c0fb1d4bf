"""A basin: the river network with the registers placed on it, what tracing, spill drills,
border crossings and reports all start from."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geoenv.errors import InputError, Problem
from geoenv.network.graph import Network
from geoenv.network.locate import LOCATED_COLUMNS, locate_register
from geoenv.settings import DEFAULT_RADIUS_M


@dataclass
class Basin:
    """The network and the registers placed on it.

    Attributes
    ----------
    net
        The river network.
    sections, facilities
        The registers (WGS84) with ``reach`` (-1 where beyond the radius), ``reach_id``,
        ``measure_m``, ``measure`` and ``offset_m``; facilities placed by their outfall.
    radius_m
        The search radius used.
    """

    net: Network
    sections: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame | None
    radius_m: float = DEFAULT_RADIUS_M

    def section(self, key: str) -> pd.Series:
        """The section with this code or name; :class:`InputError` (with close matches) if none,
        or if it lies on no reach."""
        return self._find(self.sections, "code", key, "section")

    def facility(self, key: str) -> pd.Series:
        """The facility with this id or name, placed on a reach."""
        if self.facilities is None:
            raise InputError("no facilities layer given (--facilities)")
        return self._find(self.facilities, "id", key, "facility")

    def _find(self, frame: pd.DataFrame, id_column: str, key: str, noun: str) -> pd.Series:
        hit = frame[(frame[id_column].astype(str) == str(key)) | (frame["name"].astype(str) == str(key))]
        if hit.empty:
            known = [*frame[id_column].astype(str), *frame["name"].astype(str)]
            close = difflib.get_close_matches(str(key), known, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InputError(f"no {noun} {key!r} in the register{hint}")
        row = hit.iloc[0]
        if row["reach"] < 0:
            raise InputError(f"{noun} {key!r} lies more than {self.radius_m:g} m from every river; it cannot be placed")
        return row


def placement_problems(basin: Basin) -> list[Problem]:
    """Warnings naming every section and facility that could not be placed within the radius,
    and every one placed on a piece of network that reaches no given outlet (its direction
    comes from an outlet chosen by rule and may be wrong)."""
    given = basin.net.reaches["to_given_outlet"].to_numpy(dtype=bool)
    problems = []
    for noun, nouns, frame, key in (("section", "sections", basin.sections, "code"),
                                    ("facility", "facilities", basin.facilities, "id")):  # fmt: skip
        if frame is None:
            continue
        reach = frame["reach"].to_numpy()
        named = frame[key].astype(str) + " " + frame["name"].astype(str)
        for what in named[reach < 0]:
            problems.append(Problem(f"{noun} {what} lies more than {basin.radius_m:g} m from every river: not placed",
                                    severity="warning"))  # fmt: skip
        loose = (reach >= 0) & ~given[np.maximum(reach, 0)]
        if loose.any() and given.any():
            problems.append(Problem(
                f"{loose.sum()} {nouns} lie on pieces of network that reach no given outlet (their direction "
                f"comes from an outlet chosen by rule; see 'geoenv network check'): {', '.join(named[loose])}",
                severity="warning"))  # fmt: skip
    return problems


def on_loose_piece(basin: Basin, reach: int) -> bool:
    """Whether ``reach`` lies on a piece of network that reaches no outlet the user gave (while
    some other piece does)."""
    given = basin.net.reaches["to_given_outlet"].to_numpy(dtype=bool)
    return bool(given.any() and not given[reach])


def open_basin(
    net: Network,
    sections: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None = None,
    *,
    radius_m: float = DEFAULT_RADIUS_M,
) -> Basin:
    """Place the registers on the network (name-aware; facilities by outfall)."""

    def placed(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        located = locate_register(net, frame, radius_m=radius_m)[LOCATED_COLUMNS]
        out = frame.reset_index(drop=True).copy()
        out[LOCATED_COLUMNS] = located.to_numpy()
        out["reach"] = out["reach"].astype(np.int64)
        for column in ("measure_m", "measure", "offset_m"):
            out[column] = out[column].astype(float)
        return out

    return Basin(net, placed(sections), placed(facilities) if facilities is not None else None, radius_m)


def distances_up(
    net: Network, reach: int, measure_m: float, members: np.ndarray, dist: np.ndarray, points: pd.DataFrame
) -> np.ndarray:
    """Network distance in metres from a point up to each of ``points`` (``reach``,
    ``measure_m``) that lies upstream of it, NaN for the others.

    ``members, dist`` come from :func:`geoenv.network.navigate.upstream` from ``reach``: the
    distance from the reach's downstream end to each member's downstream end.
    """
    at = points["reach"].to_numpy()
    m = points["measure_m"].to_numpy(dtype=float)
    out = pd.Series(dist, index=members).reindex(at).to_numpy() + m - measure_m
    same = at == reach
    out[same] = np.where(m[same] >= measure_m, m[same] - measure_m, np.nan)
    return out


def distances_down(
    net: Network,
    reach: int,
    measure_m: float,
    members: np.ndarray,
    dist: np.ndarray,
    points: pd.DataFrame,
    *,
    rate: np.ndarray | None = None,
) -> np.ndarray:
    """Network distance in metres from a point down to each of ``points`` below it, NaN for the
    others. ``members, dist`` come from :func:`geoenv.network.navigate.downstream` from ``reach``:
    the distance from the reach's upstream end to each member's upstream end.

    With ``rate`` (per reach, per metre: e.g. hours per metre) and ``dist`` computed with the
    matching weights, the result is in those units instead (travel time).
    """
    rate = np.ones(net.n) if rate is None else rate
    at = points["reach"].to_numpy()
    m = points["measure_m"].to_numpy(dtype=float)
    safe = np.maximum(at, 0)
    top_to_point = rate[reach] * (net.length[reach] - measure_m)
    out = pd.Series(dist, index=members).reindex(at).to_numpy() - top_to_point + rate[safe] * (net.length[safe] - m)
    same = at == reach
    out[same] = np.where(m[same] <= measure_m, rate[reach] * (measure_m - m[same]), np.nan)
    return out
