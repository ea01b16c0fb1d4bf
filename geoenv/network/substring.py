"""Pieces of lines between two distances along them, on coordinate arrays (no loop per line):
the stretches of reaches a section controls, the part of the network a trace or a spill runs.

Shapely's ``shapely.ops.substring`` cuts one line at a time in Python; :func:`line_substrings`
cuts any number of pieces out of any number of lines with numpy, from one
``shapely.get_coordinates`` of the lines, one ``searchsorted`` per end and one
``shapely.linestrings``. :func:`reach_pieces` speaks the network's measures (metres above a
reach's downstream end, as :func:`geoenv.network.locate.locate` gives them).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoenv.network.graph import Network, concat_ranges

#: The columns of a table of pieces of reaches: reach index and the measures of its two ends.
PIECE_COLUMNS = ["reach", "from_m", "to_m"]


def line_substrings(lines: np.ndarray, which: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The part of line ``which[i]`` from ``start[i]`` to ``end[i]`` along it, for every i.

    Parameters
    ----------
    lines
        LineStrings (non-empty, two vertices at least), in a metric CRS for distances in metres.
    which
        Index into ``lines`` of each piece (a line may give several).
    start, end
        Distances along the line from its first vertex, clipped to the line (``end`` to
        ``start`` at least); a piece of zero length is two equal points.

    Returns
    -------
    LineStrings, one per piece (2D), each from its start to its end.
    """
    lines = np.asarray(lines, dtype=object)
    which = np.asarray(which, dtype=np.int64)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    seg = np.hypot(*np.diff(coords, axis=0).T)
    seg[owner[1:] != owner[:-1]] = 0.0  # no segment from one line to the next
    along = np.r_[0.0, np.cumsum(seg)]  # non-decreasing over all the lines
    first = np.searchsorted(owner, np.arange(len(lines)))[which]
    last = np.searchsorted(owner, np.arange(len(lines)), side="right")[which] - 1
    base = along[first]
    a = np.clip(np.asarray(start, dtype=float), 0.0, along[last] - base) + base
    b = np.clip(np.asarray(end, dtype=float), a - base, along[last] - base) + base
    # The segment each end lies on (its first vertex), kept inside the piece's own line.
    ka = np.clip(np.searchsorted(along, a, side="right") - 1, first, last - 1)
    kb = np.clip(np.searchsorted(along, b, side="left") - 1, first, last - 1)

    def point(k: np.ndarray, at: np.ndarray) -> np.ndarray:
        t = np.divide(at - along[k], seg[k], out=np.zeros(len(k)), where=seg[k] > 0)
        return coords[k] + np.clip(t, 0.0, 1.0)[:, None] * (coords[k + 1] - coords[k])

    inner = np.maximum(kb - ka, 0)  # vertices strictly between the two ends: ka + 1 … kb
    counts = inner + 2
    offsets = np.r_[0, np.cumsum(counts)[:-1]]
    out = np.empty((int(counts.sum()), 2))
    out[offsets] = point(ka, a)
    out[offsets + counts - 1] = point(kb, b)
    out[concat_ranges(offsets + 1, offsets + 1 + inner)] = coords[concat_ranges(ka + 1, ka + 1 + inner)]
    return shapely.linestrings(out, indices=np.repeat(np.arange(len(which)), counts))


def reach_pieces(net: Network, pieces: pd.DataFrame) -> gpd.GeoDataFrame:
    """``pieces`` (:data:`PIECE_COLUMNS` and any other columns) with their geometry, in the
    network's CRS: the part of each reach from measure ``from_m`` up to ``to_m`` (metres above
    the reach's downstream end; reach geometries run downstream), drawn downstream."""
    reach = pieces["reach"].to_numpy(dtype=np.int64)
    used, which = np.unique(reach, return_inverse=True)
    length = net.length[reach]
    geoms = net.reaches.geometry.to_numpy()[used]
    cut = line_substrings(
        geoms, which, length - pieces["to_m"].to_numpy(float), length - pieces["from_m"].to_numpy(float)
    )
    return gpd.GeoDataFrame(pieces, geometry=cut, crs=net.reaches.crs)


def piece_lines(net: Network, pieces: pd.DataFrame) -> gpd.GeoDataFrame:
    """The pieces of reaches (:data:`PIECE_COLUMNS`) as a line layer a GIS user reads: the
    reach's ``id`` and ``name``, the measures of the piece's ends and its ``length_m``."""
    lines = reach_pieces(net, pieces[PIECE_COLUMNS].reset_index(drop=True))
    reach = lines["reach"].to_numpy(dtype=np.int64)
    lines.insert(0, "id", net.reaches["id"].to_numpy()[reach])
    lines.insert(1, "name", net.reaches["name"].to_numpy()[reach])
    lines["length_m"] = (lines["to_m"] - lines["from_m"]).round(1)
    return lines.drop(columns="reach")
