"""Random dendritic river networks with known answers, and the damage real layers carry.

:func:`grow` makes a tree of named rivers (a main stem with tributaries and sub-tributaries,
some braids) as true reaches digitized downstream, with their links. :func:`damage` turns it
into a layer as a user may bring it: lines reversed, merged along a river across confluences,
cut anywhere, ends pulled short of the junction (0–0.8 × tolerance), multi-part, duplicated,
and an aqueduct crossing a river without a junction. Coordinates are metres (UTM 49N).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString

CRS = 32649
X0, Y0 = 500000.0, 4150000.0


@dataclass
class RiverTree:
    """True reaches (downstream-digitized LineStrings), their river names and links."""

    reaches: list[LineString]
    names: list[str]
    links: list[tuple[int, int]]
    outlet: tuple[float, float]

    def upstream_of(self) -> np.ndarray:
        """``m[i, j]``: reach i lies upstream of reach j (or is j)."""
        n = len(self.reaches)
        reach = np.eye(n, dtype=bool)
        for _ in range(n):
            before = reach.copy()
            for u, v in self.links:
                reach[:, v] |= reach[:, u]
            if (reach == before).all():
                break
        return reach


def _wiggly(rng, start, end, jitter) -> LineString:
    """A line from ``start`` to ``end`` through three jittered vertices."""
    start, end = np.asarray(start), np.asarray(end)
    t = np.array([0.25, 0.5, 0.75])[:, None]
    normal = np.array([-(end - start)[1], (end - start)[0]]) / np.hypot(*(end - start))
    inner = start + t * (end - start) + rng.uniform(-jitter, jitter, (3, 1)) * normal
    return LineString([tuple(start), *map(tuple, inner), tuple(end)])


def _clear(line: LineString, reaches: list[LineString], nodes: list[np.ndarray], clearance: float) -> bool:
    """Whether ``line`` keeps ``clearance`` from every reach, away from the ``nodes`` it joins
    (within twice the clearance of them only the reaches meeting there come close)."""
    if not reaches:
        return True
    near = shapely.union_all([shapely.buffer(shapely.points(*n), 2 * clearance) for n in nodes])
    rest = shapely.union_all(reaches)
    if shapely.distance(shapely.difference(line, near), shapely.difference(rest, near)) < clearance:
        return False
    return shapely.distance(line, shapely.difference(rest, near)) >= clearance


def grow(rng: np.random.Generator, *, tolerance_m: float, max_rivers: int = 8, braids: bool = True) -> RiverTree:
    """A random tree of named rivers draining to (X0, Y0), kept 6 tolerances apart away from
    their junctions. A braid is a side branch beside a main-stem reach (named ``…支``)."""
    reaches: list[LineString] = []
    names: list[str] = []
    links: list[tuple[int, int]] = []
    clearance = 6 * tolerance_m
    queue: list[tuple[np.ndarray, float, list[int], int]] = [(np.array([X0, Y0]), np.pi / 2, [], 0)]
    rivers = 0
    while queue and rivers < max_rivers:
        node, heading, below, depth = queue.pop(0)
        name = f"河{rivers}"
        rivers += 1
        for step in range(int(rng.integers(2, 6 - depth))):
            heading += rng.uniform(-0.25, 0.25)
            length = rng.uniform(1500, 3000)
            top = node + length * np.array([np.cos(heading), np.sin(heading)])
            line = _wiggly(rng, top, node, 0.04 * length)
            if not _clear(line, reaches, [node], clearance):
                break
            reaches.append(line)
            names.append(name)
            here = len(reaches) - 1
            links += [(here, b) for b in below]
            above = [here]
            braid = braids and depth == 0 and step == 1 and rng.random() < 0.5
            if braid:
                side = np.array([np.cos(heading + np.pi / 2), np.sin(heading + np.pi / 2)])
                branch = LineString([tuple(top), tuple((top + node) / 2 + side * 8 * tolerance_m), tuple(node)])
                if _clear(branch, reaches[:-1], [node, top], clearance):
                    reaches.append(branch)
                    names.append(name + "支")
                    links += [(len(reaches) - 1, b) for b in below]
                    above.append(len(reaches) - 1)
            if depth < 2 and len(above) == 1 and rng.random() < 0.6:
                side = float(rng.choice([-1, 1]) * rng.uniform(0.7, 1.2))
                queue.append((top, heading + side, above, depth + 1))
            node, below = top, above
    return RiverTree(reaches, names, links, (X0, Y0))


def _trim(line: LineString, at_end: bool, by: float) -> LineString:
    """``line`` with one end pulled back along itself by ``by`` metres."""
    length = line.length
    keep = (0.0, length - by) if at_end else (by, length)
    return shapely.ops.substring(line, *keep)


@dataclass
class Damaged:
    """A damaged layer: lines with ids and names, the aqueduct's ids, the true outlet."""

    frame: gpd.GeoDataFrame
    aqueduct: str


def damage(tree: RiverTree, rng: np.random.Generator, *, tolerance_m: float, reverse: bool = True) -> Damaged:
    """Lines as a user's layer has them, drawn from ``tree``.

    Merges consecutive reaches of a river (across confluences), cuts lines at random, pulls
    line ends back from their junction so that they lie 0–0.8 × tolerance apart (never the
    outlet's), reverses
    half of the lines (``reverse``), makes some multi-part, repeats one under the same id, and
    adds an aqueduct crossing a river without a junction.
    """
    import shapely.ops

    # 1. Merge a river's consecutive reaches across a confluence (digitized as one line).
    down_of = {u: v for u, v in tree.links}
    lines, line_names = [], []
    merged_into: dict[int, int] = {}
    for i, reach in enumerate(tree.reaches):
        below = down_of.get(i)
        if below is not None and tree.names[below] == tree.names[i] and below in merged_into and rng.random() < 0.4:
            j = merged_into[below]
            if lines[j].coords[0] == reach.coords[-1]:
                lines[j] = LineString([*reach.coords[:-1], *lines[j].coords])
                merged_into[i] = j
                continue
        merged_into[i] = len(lines)
        lines.append(reach)
        line_names.append(tree.names[i])
    # 2. Cut some lines at an interior vertex.
    cut_lines, cut_names = [], []
    for line, name in zip(lines, line_names, strict=True):
        coords = list(line.coords)
        if len(coords) > 3 and rng.random() < 0.3:
            k = int(rng.integers(1, len(coords) - 1))
            cut_lines += [LineString(coords[: k + 1]), LineString(coords[k:])]
            cut_names += [name, name]
        else:
            cut_lines.append(line)
            cut_names.append(name)
    # 3. Pull ends short of their junction (the outlet stays): at a junction either one end by
    #    up to 0.8 × tolerance, or every end by up to 0.4 ×, so ends lie 0–0.8 × tolerance apart.
    outlet = shapely.points(*tree.outlet)
    at_junction: dict[tuple, list[tuple[int, bool]]] = {}
    for k, line in enumerate(cut_lines):
        for at_end in (True, False):
            xy = tuple(np.round(line.coords[-1] if at_end else line.coords[0], 3))
            at_junction.setdefault(xy, []).append((k, at_end))
    pull: dict[tuple[int, bool], float] = {}
    for xy, members in at_junction.items():
        if shapely.distance(shapely.points(*xy), outlet) < 1 or rng.random() < 0.3:
            continue
        if not reverse and sum(not at_end for _, at_end in members) > 1:
            # digitized direction is trusted: a split's branch pulled short is a source, not a split
            members = [m for m in members if m[1]]
        if not members:
            continue
        if rng.random() < 0.5:
            pull[members[int(rng.integers(len(members)))]] = rng.uniform(0, 0.8) * tolerance_m
        else:
            pull.update({m: rng.uniform(0, 0.4) * tolerance_m for m in members})
    pulled = []
    for k, line in enumerate(cut_lines):
        for at_end in (True, False):
            if (k, at_end) in pull:
                line = _trim(line, at_end, min(pull[(k, at_end)], 0.3 * line.length))
        pulled.append(line)
    # 4. Reverse half.
    if reverse:
        pulled = [shapely.reverse(line) if rng.random() < 0.5 else line for line in pulled]
    ids = [f"L{i}" for i in range(len(pulled))]
    geoms: list = list(pulled)
    # 5. Multi-part: two lines of one river under one id.
    for i in range(len(geoms) - 1):
        pair = isinstance(geoms[i], LineString) and isinstance(geoms[i + 1], LineString)
        if pair and cut_names[i] == cut_names[i + 1] and rng.random() < 0.15:
            geoms[i] = MultiLineString([geoms[i], geoms[i + 1]])
            geoms[i + 1] = None
    keep = [g is not None for g in geoms]
    frame = gpd.GeoDataFrame(
        {"id": np.array(ids)[keep], "name": np.array(cut_names)[keep]},
        geometry=[g for g in geoms if g is not None],
        crs=CRS,
    )
    # 6. One line repeated under its own id.
    frame = gpd.GeoDataFrame(
        gpd.pd.concat([frame, frame.iloc[[int(rng.integers(len(frame)))]]], ignore_index=True), crs=CRS
    )
    # 7. An aqueduct across the middle of a long reach, ends far from every river.
    aqueduct = "渠"
    everything = shapely.union_all(tree.reaches)
    for reach in sorted(tree.reaches, key=lambda r: -r.length):
        middle = np.asarray(reach.interpolate(0.5, normalized=True).coords[0])
        a, b = np.asarray(reach.coords[0]), np.asarray(reach.coords[-1])
        normal = np.array([-(b - a)[1], (b - a)[0]]) / np.hypot(*(b - a))
        half = 10 * tolerance_m
        ends = [middle + half * normal, middle - half * normal]
        if all(shapely.distance(shapely.points(*e), everything) > 3 * tolerance_m for e in ends):
            line = LineString([tuple(ends[0]), tuple(ends[1])])
            if shapely.intersection(line, everything).geom_type == "Point":
                row = gpd.GeoDataFrame({"id": [aqueduct], "name": ["渠"]}, geometry=[line], crs=CRS)
                frame = gpd.GeoDataFrame(gpd.pd.concat([frame, row], ignore_index=True), crs=CRS)
                break
    return Damaged(frame, aqueduct)
