"""A river network on arrays: id/toid links, topological order, path length, level paths,
upstream adjacency as CSR and nested-interval labels for O(1) "is A upstream of B".

Vocabulary as in NHDPlus and hydroloom: a reach flows into its ``toid`` reaches; at a split the
main branch has divergence 1 and the others 2 (minor); ``pathlength_m`` is the distance from a
reach's downstream end to its outlet along the main path; ``arbolate_m`` the total length of
the reach and everything upstream on the main tree; the level path is the main stem a reach
belongs to, named by its most downstream reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd


def _csr(group: np.ndarray, value: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(group, kind="stable")
    indptr = np.r_[0, np.cumsum(np.bincount(group, minlength=n))]
    return indptr, value[order]


@dataclass
class Network:
    """Reaches and their links, with the arrays navigation needs.

    Attributes
    ----------
    reaches
        GeoDataFrame in a metric CRS, positional index = reach index: ``id``, ``name``,
        ``length_m``, ``divergence`` (0, 1 main, 2 minor), ``ambiguous`` and the derived
        ``topo`` (upstream first), ``pathlength_m``, ``arbolate_m``, ``levelpath`` (id of the
        path's most downstream reach), ``dn_main`` (id of the main downstream reach or "").
    up, down
        Reach indices of every link (``up`` flows into ``down``).
    """

    reaches: gpd.GeoDataFrame
    up: np.ndarray
    down: np.ndarray
    report: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.reaches)
        self.n = n
        self.length = self.reaches["length_m"].to_numpy(dtype=float)
        minor = self.reaches["divergence"].to_numpy()[self.down] == 2
        self.minor = minor
        self.up_indptr, self.up_index = _csr(self.down, self.up, n)
        self.down_indptr, self.down_index = _csr(self.up, self.down, n)
        self.dn_main = self._main_downstream()
        self.levels, self.loops = self._levels()
        self.pathlength = self._pathlength()
        self.arbolate = self._arbolate()
        self.up_main = self._main_upstream()
        self.levelpath = self._levelpaths()
        self.pre, self.size = self._intervals()
        self.by_pre = np.argsort(self.pre)
        topo = np.empty(n, dtype=np.int64)
        topo[np.concatenate(self.levels) if self.levels else []] = np.arange(n)
        ids = self.reaches["id"].to_numpy()
        self.reaches = self.reaches.assign(
            topo=topo,
            pathlength_m=self.pathlength.round(3),
            arbolate_m=self.arbolate.round(3),
            levelpath=ids[self.levelpath],
            dn_main=np.where(self.dn_main >= 0, ids[np.maximum(self.dn_main, 0)], ""),
        )
        self._index = pd.Index(ids)

    # --- construction -------------------------------------------------------------------

    def _main_downstream(self) -> np.ndarray:
        dn = np.full(self.n, -1, dtype=np.int64)
        main = ~self.minor
        # The main link of each reach (the first, should a reach have several main ones).
        order = np.lexsort((self.down[main], self.up[main]))
        up, down = self.up[main][order], self.down[main][order]
        first = np.r_[True, up[1:] != up[:-1]][: len(up)]
        dn[up[first]] = down[first]
        return dn

    def _levels(self) -> tuple[list[np.ndarray], np.ndarray]:
        """Kahn's topological sort by frontiers over all links.

        When only loops remain, the loop reach with the fewest open inflows is taken next and
        the links closing the loop are dropped from the main tree; those reaches are returned.
        """
        indegree = np.bincount(self.down, minlength=self.n)
        done = np.zeros(self.n, dtype=bool)
        frontier = np.flatnonzero(indegree == 0)
        levels, loops = [], []
        while True:
            while len(frontier):
                levels.append(frontier)
                done[frontier] = True
                targets = self.down_index[concat_ranges(self.down_indptr[frontier], self.down_indptr[frontier + 1])]
                np.subtract.at(indegree, targets, 1)
                frontier = np.unique(targets[(indegree[targets] == 0) & ~done[targets]])
            if done.all():
                break
            left = np.flatnonzero(~done)
            forced = left[np.argmin(indegree[left])]
            closing = self.up_index[self.up_indptr[forced] : self.up_indptr[forced + 1]]
            closing = closing[~done[closing]]
            self.dn_main[closing[self.dn_main[closing] == forced]] = -1
            loops.append(forced)
            indegree[forced] = 0
            frontier = np.array([forced])
        if loops:
            self.report["loops"] = len(loops)
        return levels, np.array(loops, dtype=np.int64)

    def _pathlength(self) -> np.ndarray:
        pl = np.zeros(self.n)
        for frontier in reversed(self.levels):
            dn = self.dn_main[frontier]
            has = dn >= 0
            pl[frontier[has]] = pl[dn[has]] + self.length[dn[has]]
        return pl

    def _arbolate(self) -> np.ndarray:
        arb = self.length.copy()
        for frontier in self.levels:
            dn = self.dn_main[frontier]
            has = dn >= 0
            np.add.at(arb, dn[has], arb[frontier[has]])
        return arb

    def _main_upstream(self) -> np.ndarray:
        """At each confluence the main stem continues the same name, else the greatest arbolate sum."""
        child = np.flatnonzero(self.dn_main >= 0)
        parent = self.dn_main[child]
        names = self.reaches["name"].fillna("").astype(str).to_numpy()
        same = (names[child] == names[parent]) & (names[child] != "")
        order = np.lexsort((child, -self.arbolate[child], ~same, parent))
        child, parent = child[order], parent[order]
        first = np.r_[True, parent[1:] != parent[:-1]][: len(parent)]
        up_main = np.full(self.n, -1, dtype=np.int64)
        up_main[parent[first]] = child[first]
        return up_main

    def _levelpaths(self) -> np.ndarray:
        lp = np.arange(self.n)
        is_main = np.zeros(self.n, dtype=bool)
        is_main[self.up_main[self.up_main >= 0]] = True
        for frontier in reversed(self.levels):
            cont = frontier[is_main[frontier]]
            lp[cont] = lp[self.dn_main[cont]]
        return lp

    def _intervals(self) -> tuple[np.ndarray, np.ndarray]:
        """DFS pre-order number and subtree size on the main tree (each reach → dn_main)."""
        size = np.ones(self.n, dtype=np.int64)
        for frontier in self.levels:
            dn = self.dn_main[frontier]
            has = dn >= 0
            np.add.at(size, dn[has], size[frontier[has]])
        child = np.flatnonzero(self.dn_main >= 0)
        parent = self.dn_main[child]
        main_first = self.up_main[parent] != child
        order = np.lexsort((child, main_first, parent))
        child, parent = child[order], parent[order]
        before = np.cumsum(size[child]) - size[child]
        group_start = np.r_[0, np.flatnonzero(parent[1:] != parent[:-1]) + 1][: len(child)]
        before -= np.repeat(before[group_start], np.diff(np.r_[group_start, len(child)]))
        offset = np.zeros(self.n, dtype=np.int64)
        offset[child] = before
        pre = np.zeros(self.n, dtype=np.int64)
        roots = np.flatnonzero(self.dn_main < 0)
        pre[roots] = np.cumsum(size[roots]) - size[roots]
        for frontier in reversed(self.levels):
            dn = self.dn_main[frontier]
            has = dn >= 0
            pre[frontier[has]] = pre[dn[has]] + 1 + offset[frontier[has]]
        return pre, size

    # --- queries ------------------------------------------------------------------------

    def index_of(self, ids) -> np.ndarray:
        """Reach indices of reach ids (-1 where unknown)."""
        return self._index.get_indexer(pd.Index(np.atleast_1d(np.asarray(ids, dtype=object)).astype(str)))

    def is_upstream(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether reach ``a`` is upstream of (or is) reach ``b`` on the main tree; vectorized, O(1) each."""
        a, b = np.asarray(a), np.asarray(b)
        return (self.pre[a] >= self.pre[b]) & (self.pre[a] < self.pre[b] + self.size[b])

    def subtree(self, reach: int) -> np.ndarray:
        """Reaches upstream of ``reach`` on the main tree (itself first), by its interval: O(k)."""
        return self.by_pre[self.pre[reach] : self.pre[reach] + self.size[reach]]

    def links(self) -> pd.DataFrame:
        """``id, toid`` per link; an outlet has one row with an empty ``toid``."""
        ids = self.reaches["id"].to_numpy()
        linked = pd.DataFrame({"id": ids[self.up], "toid": ids[self.down], "_u": self.up, "_d": self.down})
        out_degree = np.bincount(self.up, minlength=self.n)
        outlets = np.flatnonzero(out_degree == 0)
        ends = pd.DataFrame({"id": ids[outlets], "toid": "", "_u": outlets, "_d": -1})
        table = pd.concat([linked, ends], ignore_index=True).sort_values(["_u", "_d"])
        return table[["id", "toid"]].reset_index(drop=True)


def link_table(net: Network) -> pd.DataFrame:
    """The links with each reach's attributes: ``id, toid, length_m, name, divergence, levelpath,
    pathlength_m, topo, ambiguous`` (one row per link; an outlet has an empty ``toid``)."""
    columns = ["id", "length_m", "name", "divergence", "levelpath", "pathlength_m", "topo", "ambiguous"]
    attributes = pd.DataFrame(net.reaches[columns])
    return net.links().merge(attributes, on="id", how="left")


def concat_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, e)`` for every pair, without a Python loop."""
    counts = ends - starts
    total = counts.sum()
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.r_[0, np.cumsum(counts)[:-1]], counts)
    return np.arange(total) + offsets
