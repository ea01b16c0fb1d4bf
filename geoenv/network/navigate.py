"""Navigation as in NHDPlus and hydroloom: UT (upstream with tributaries), UM (upstream main
stem), DM (downstream main stem), DD (downstream with diversions).

Distances, from a reach: upstream modes measure from the start reach's downstream end to
each reach's downstream end, downstream modes from the start reach's upstream end to each
reach's upstream end; a limit of D km keeps what hydroloom keeps (only the start when D is
shorter than it; upstream, reaches whose downstream end is within D − the start's length;
downstream, reaches whose upstream end is within D). From a point, the start is the part of
its reach above (upstream modes) or below it (downstream modes), and a limit keeps the reaches
whose nearer end is within D of the point.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from geoenv.errors import NetworkError
from geoenv.network.graph import Network, concat_ranges
from geoenv.settings import ParameterError

MODES = ("UT", "UM", "DM", "DD")


def river_reaches(net: Network, name: str) -> np.ndarray:
    """The reaches of the river ``name`` with its tributaries: every reach upstream of the
    lowest reach of that name (by its distance to the outlet), and every reach of that name.

    Raises
    ------
    ParameterError
        When no reach has that name (``river``, naming the close ones and the rivers).
    """
    names = net.reaches["name"].fillna("").astype(str).to_numpy()
    own = np.flatnonzero(names == name)
    if not len(own):
        raise ParameterError("river", name, f"a river of the network: {river_hint(net, name)}")
    lowest = own[np.argmin(net.pathlength[own])]
    members, _ = upstream(net, int(lowest))
    return np.union1d(members, own)


def river_hint(net: Network, name: str) -> str:
    """What to say of a river ``name`` the network does not have: the close names and the
    first 30 rivers (``did you mean 汾河? rivers: 丹河、…``)."""
    names = sorted(set(net.reaches["name"].fillna("").astype(str)) - {""})
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.3)
    hint = f"did you mean {'、'.join(close)}? " if close else ""
    return f"{hint}rivers: {'、'.join(names[:30])}"


def upstream(net: Network, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Every reach upstream of ``start`` (itself included) and its distance in metres from the
    start's downstream end to its own: the start's main-tree interval, plus the intervals of
    reaches that feed it through a minor (diverted) link, found by following those links."""
    members = net.subtree(start)
    distance = net.pathlength[members] - net.pathlength[start]
    minor_up, minor_down = net.up[net.minor], net.down[net.minor]
    if not len(minor_up):
        return members, distance
    inside = np.zeros(net.n, dtype=bool)
    dist = np.full(net.n, np.inf)
    inside[members], dist[members] = True, distance
    while True:
        entering = inside[minor_down] & ~inside[minor_up]
        if not entering.any():
            break
        frame = pd.DataFrame(
            {"u": minor_up[entering], "via": dist[minor_down[entering]] + net.length[minor_down[entering]]}
        )
        for key, via in frame.groupby("u")["via"].min().items():
            u = int(key)  # type: ignore[call-overload]  # the group keys of an integer column
            sub = net.subtree(u)
            new = ~inside[sub]
            dist[sub[new]] = via + net.pathlength[sub[new]] - net.pathlength[u]
            inside[sub[new]] = True
    members = np.flatnonzero(inside)
    return members, dist[members]


def downstream(net: Network, start: int, *, weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every reach downstream of ``start`` through all links (itself included) and its distance
    in metres from the start's upstream end to its own upstream end (shortest over branches).

    ``weight`` (per reach) replaces the length, e.g. travel time.
    """
    length = net.length if weight is None else weight
    dist = np.full(net.n, np.inf)
    dist[start] = 0.0
    frontier = np.array([start])
    while len(frontier):
        starts, ends = net.down_indptr[frontier], net.down_indptr[frontier + 1]
        targets = net.down_index[concat_ranges(starts, ends)]
        via = np.repeat(dist[frontier] + length[frontier], ends - starts)
        better = via < dist[targets]
        if not better.any():
            break
        np.minimum.at(dist, targets[better], via[better])
        frontier = np.unique(targets[better])
    members = np.flatnonzero(np.isfinite(dist))
    return members, dist[members]


def upstream_main(net: Network, start: int) -> tuple[np.ndarray, np.ndarray]:
    """The main stem up from ``start`` (UM) and each reach's distance from the start's downstream end."""
    members = _chain(net.up_main, start)
    return members, net.pathlength[members] - net.pathlength[start]


def _chain(step: np.ndarray, start: int) -> np.ndarray:
    path = [start]
    seen = {start}
    nxt = step[start]
    while nxt >= 0 and nxt not in seen:
        path.append(int(nxt))
        seen.add(int(nxt))
        nxt = step[nxt]
    return np.array(path, dtype=np.int64)


def navigate(
    net: Network, start: int, mode: str, *, distance_km: float | None = None, measure_m: float | None = None
) -> pd.DataFrame:
    """Reaches reached from ``start`` in ``mode``, in hydrologic order (nearest first).

    Parameters
    ----------
    start
        Reach index.
    mode
        UT, UM, DM or DD.
    distance_km
        Optional limit along the network (see the module notes for where it cuts).
    measure_m
        Start at a point this far above the start reach's downstream end instead.

    Returns
    -------
    DataFrame ``id, reach, distance_km, length_km``; the first row is the start (or its part).
    """
    length = net.length
    if mode in ("UT", "UM"):
        if mode == "UT":
            members, dist = upstream(net, start)
        else:
            members, dist = upstream_main(net, start)
    else:
        if mode == "DD":
            members, dist = downstream(net, start)
        else:
            members = _chain(net.dn_main, start)
            top = net.pathlength + length
            dist = top[start] - top[members]
    part = length[members].copy()
    if measure_m is not None:
        # From a point: the start is the part above (upstream) or below it (downstream).
        head = length[start] - measure_m if mode in ("UT", "UM") else measure_m
        offset = -measure_m if mode in ("UT", "UM") else measure_m - length[start]
        dist = np.where(members == start, 0.0, dist + offset)
        part[members == start] = head
        keep = dist <= distance_km * 1000 if distance_km is not None else np.ones(len(members), bool)
    elif distance_km is not None:
        limit = distance_km * 1000
        if limit < length[start]:
            keep = members == start
        elif mode in ("UT", "UM"):
            keep = dist <= limit - length[start]
        else:
            keep = dist <= limit
    else:
        keep = np.ones(len(members), dtype=bool)
    members, dist, part = members[keep], dist[keep], part[keep]
    # ties in distance: upstream first going down, downstream first going up
    order = np.lexsort((net.topo_sort[members] * (-1 if mode in ("DM", "DD") else 1), dist))
    members, dist, part = members[order], dist[order], part[order]
    return pd.DataFrame(
        {
            "id": net.ids[members],
            "reach": members,
            "distance_km": np.round(np.maximum(dist, 0) / 1000, 6),
            "length_km": np.round(part / 1000, 6),
        }
    )


def navigate_from(
    net: Network,
    *,
    start: str | None = None,
    start_at: tuple[float, float] | None = None,
    mode: str,
    distance_km: float | None = None,
    radius_m: float = 1000.0,
) -> pd.DataFrame:
    """:func:`navigate` from a reach id or from a point (longitude, latitude in WGS84).

    Raises
    ------
    NetworkError
        For an unknown reach id or a point farther than ``radius_m`` from every reach.
    """
    if start is not None:
        index = int(net.index_of([start])[0])
        if index < 0:
            close = difflib.get_close_matches(str(start), net.ids.astype(str).tolist(), n=3)
            hint = f"; similar ids: {', '.join(close)}" if close else ""
            raise NetworkError(f"--start {start!r}: no reach has this id{hint}")
        return navigate(net, index, mode, distance_km=distance_km)
    if start_at is None:
        raise NetworkError("give where to start: a reach id (--start) or a point (--start-at)")
    reach, measure = locate_start(net, start_at, radius_m)
    return navigate(net, reach, mode, distance_km=distance_km, measure_m=measure)


def locate_start(net: Network, at: tuple[float, float], radius_m: float) -> tuple[int, float]:
    """Reach and measure of a starting point (longitude, latitude); :class:`NetworkError` when
    no reach is within ``radius_m``."""
    import geopandas as gpd  # only to place a point: navigating from a reach id reads no geometry

    from geoenv.network.locate import locate

    point = gpd.GeoSeries(gpd.points_from_xy([at[0]], [at[1]]), crs=4326)
    located = locate(net, point, radius_m=radius_m).iloc[0]
    if located["reach"] < 0:
        raise NetworkError(f"{at[0]},{at[1]}: no reach within {radius_m:g} m (--radius-m)")
    return int(located["reach"]), float(located["measure_m"])
