"""A river network on arrays: id/toid links, topological order, path length, level paths,
upstream adjacency as CSR and nested-interval labels for O(1) "is A upstream of B".

Vocabulary as in NHDPlus and hydroloom: a reach flows into its ``toid`` reaches; at a split the
main branch has divergence 1 and the others 2 (minor); ``topo_sort`` orders the reaches with
large values upstream; ``pathlength`` is the distance from a reach's downstream end to its
outlet along the main path; ``arbolate_sum`` the total length of the reach and everything
upstream on the main tree; the level path is the main stem a reach belongs to, named by its
most downstream reach, and ``dn_levelpath`` the level path that one flows into.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # geopandas is imported only where geometry is read: a saved network loads without it
    import geopandas as gpd


def _csr(group: np.ndarray, value: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(group, kind="stable")
    indptr = np.r_[0, np.cumsum(np.bincount(group, minlength=n))]
    return indptr, value[order]


#: The arrays a network is made of besides its ids: what :mod:`geoenv.network.store` saves so
#: that a saved network loads without being derived again.
ARRAYS = (
    "up", "down", "length", "divergence", "up_indptr", "up_index", "down_indptr", "down_index", "dn_main",
    "loops", "pathlength", "arbolate", "up_main", "levelpath", "pre", "size", "by_pre", "topo_sort",
    "frontier_order", "frontier_ends",
)  # fmt: skip


#: At most this many ids are looked up by a scan rather than a hash index (see ``index_of``).
FEW_IDS = 8


class Network:
    """Reaches and their links, with the arrays navigation needs.

    Built from reaches and links (everything derived here), or :meth:`from_arrays` as saved
    (nothing derived; the reaches' geometry read only when something asks for it).

    Attributes
    ----------
    reaches
        GeoDataFrame in a metric CRS, positional index = reach index: ``id``, ``name``,
        ``length_m``, ``divergence`` (0, 1 main, 2 minor), ``ambiguous``, ``fromnode``,
        ``tonode`` and the derived ``topo_sort`` (large upstream), ``pathlength_km``,
        ``arbolate_sum`` (km), ``levelpath`` (id of the path's most downstream reach),
        ``dn_levelpath`` (the level path it flows into, or "") and ``dn_main`` (id of the
        main downstream reach or ""). Read on first use for a saved network.
    ids
        Reach ids (text), by reach index.
    up, down
        Reach indices of every link (``up`` flows into ``down``).
    frontiers
        Kahn's topological sort as frontiers: each array's reaches have all their upstream
        reaches in the arrays before it.
    pathlength, arbolate, length
        Metres, per reach.
    pre, size
        DFS pre-order number and subtree size on the main tree (nested intervals).
    """

    def __init__(
        self, reaches: gpd.GeoDataFrame, up: np.ndarray, down: np.ndarray, report: dict[str, object] | None = None
    ) -> None:
        self.report: dict[str, object] = dict(report or {})
        n = len(reaches)
        self.n = n
        self.ids = reaches["id"].to_numpy(dtype=object)
        self.up, self.down = np.asarray(up, dtype=np.int64), np.asarray(down, dtype=np.int64)
        self.length = reaches["length_m"].to_numpy(dtype=float)
        self.divergence = reaches["divergence"].to_numpy(dtype=np.int8)
        self.minor = self.divergence[self.down] == 2
        self.up_indptr, self.up_index = _csr(self.down, self.up, n)
        self.down_indptr, self.down_index = _csr(self.up, self.down, n)
        self.dn_main = self._main_downstream()
        self.frontiers, self.loops = self._frontiers()
        self.pathlength = self._pathlength()
        self.arbolate = self._arbolate()
        self.up_main = self._main_upstream(reaches["name"].fillna("").astype(str).to_numpy())
        self.levelpath = self._levelpaths()
        self.pre, self.size = self._intervals()
        self.by_pre = np.argsort(self.pre)
        self.topo_sort = np.empty(n, dtype=np.int64)
        if self.frontiers:
            self.topo_sort[np.concatenate(self.frontiers)] = np.arange(n, 0, -1)
        self._read_reaches: Callable[[], gpd.GeoDataFrame] | None = None
        self._reaches: gpd.GeoDataFrame | None = reaches.assign(**self.attributes())

    @classmethod
    def from_arrays(
        cls,
        ids: np.ndarray,
        arrays: Mapping[str, np.ndarray],
        read_reaches: Callable[[], gpd.GeoDataFrame],
        report: dict[str, object] | None = None,
    ) -> Network:
        """A network from its saved :data:`ARRAYS`, as :meth:`arrays` gave them; ``read_reaches``
        gives the reaches (``id``, ``name``, geometry and the other stored columns) when asked."""
        net = cls.__new__(cls)
        net.report = dict(report or {})
        net.n = len(ids)
        net.ids = ids
        for name in ARRAYS[:-2]:
            setattr(net, name, arrays[name])
        net.frontiers = np.split(arrays["frontier_order"], arrays["frontier_ends"][:-1]) if net.n else []
        net.minor = net.divergence[net.down] == 2
        net._read_reaches, net._reaches = read_reaches, None
        return net

    def arrays(self) -> dict[str, np.ndarray]:
        """The :data:`ARRAYS` by name (what :meth:`from_arrays` takes); the frontiers as
        ``frontier_order`` (one after another) and ``frontier_ends``."""
        order = np.concatenate(self.frontiers) if self.frontiers else np.empty(0, dtype=np.int64)
        ends = np.cumsum([len(f) for f in self.frontiers], dtype=np.int64)
        simple = {name: getattr(self, name) for name in ARRAYS[:-2]}
        return {**simple, "frontier_order": order, "frontier_ends": ends}

    @property
    def reaches(self) -> gpd.GeoDataFrame:
        """The reaches with their attributes (read from the saved file on first use)."""
        if self._reaches is None:
            assert self._read_reaches is not None
            self._reaches = self._read_reaches().assign(**self.attributes())
        return self._reaches

    def attributes(self) -> dict[str, np.ndarray]:
        """The derived columns of :attr:`reaches`, as saved (hydroloom's names, km)."""
        ids = self.ids
        has_dn = self.dn_main >= 0
        outlet_dn = self.dn_main[self.levelpath]  # where each level path's outlet flows
        return {
            "topo_sort": self.topo_sort,
            "pathlength_km": (self.pathlength / 1000).round(6),
            "arbolate_sum": (self.arbolate / 1000).round(6),
            "levelpath": ids[self.levelpath],
            "dn_levelpath": np.where(outlet_dn >= 0, ids[self.levelpath[np.maximum(outlet_dn, 0)]], ""),
            "dn_main": np.where(has_dn, ids[np.maximum(self.dn_main, 0)], ""),
        }

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

    def _frontiers(self) -> tuple[list[np.ndarray], np.ndarray]:
        """Kahn's topological sort by frontiers over all links.

        When only loops remain, the loop reach with the fewest open inflows is taken next and
        the links closing the loop are dropped from the main tree; those reaches are returned.
        """
        indegree = np.bincount(self.down, minlength=self.n)
        done = np.zeros(self.n, dtype=bool)
        frontier = np.flatnonzero(indegree == 0)
        frontiers, loops = [], []
        while True:
            while len(frontier):
                frontiers.append(frontier)
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
        return frontiers, np.array(loops, dtype=np.int64)

    def _pathlength(self) -> np.ndarray:
        pl = np.zeros(self.n)
        for frontier in reversed(self.frontiers):
            dn = self.dn_main[frontier]
            has = dn >= 0
            pl[frontier[has]] = pl[dn[has]] + self.length[dn[has]]
        return pl

    def _arbolate(self) -> np.ndarray:
        arb = self.length.copy()
        for frontier in self.frontiers:
            dn = self.dn_main[frontier]
            has = dn >= 0
            np.add.at(arb, dn[has], arb[frontier[has]])
        return arb

    def _main_upstream(self, names: np.ndarray) -> np.ndarray:
        """At each confluence the main stem continues the same name, else the greatest arbolate sum."""
        child = np.flatnonzero(self.dn_main >= 0)
        parent = self.dn_main[child]
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
        for frontier in reversed(self.frontiers):
            cont = frontier[is_main[frontier]]
            lp[cont] = lp[self.dn_main[cont]]
        return lp

    def _intervals(self) -> tuple[np.ndarray, np.ndarray]:
        """DFS pre-order number and subtree size on the main tree (each reach → dn_main)."""
        size = np.ones(self.n, dtype=np.int64)
        for frontier in self.frontiers:
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
        for frontier in reversed(self.frontiers):
            dn = self.dn_main[frontier]
            has = dn >= 0
            pre[frontier[has]] = pre[dn[has]] + 1 + offset[frontier[has]]
        return pre, size

    # --- queries ------------------------------------------------------------------------

    @cached_property
    def _index(self) -> pd.Index:
        return pd.Index(self.ids)

    def index_of(self, ids) -> np.ndarray:
        """Reach indices of reach ids (-1 where unknown).

        A few ids are looked for by a scan (a command's ``--start``: hashing a million ids costs
        more); more by a hash index of all ids, built once.
        """
        wanted = np.atleast_1d(np.asarray(ids, dtype=object)).astype(str)
        if len(wanted) <= FEW_IDS and "_index" not in self.__dict__:
            found = [np.flatnonzero(self.ids == w) for w in wanted]
            return np.array([f[0] if len(f) else -1 for f in found], dtype=np.int64)
        return self._index.get_indexer(pd.Index(wanted))

    def is_upstream(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether reach ``a`` is upstream of (or is) reach ``b`` on the main tree; vectorized, O(1) each."""
        a, b = np.asarray(a), np.asarray(b)
        return (self.pre[a] >= self.pre[b]) & (self.pre[a] < self.pre[b] + self.size[b])

    def subtree(self, reach: int) -> np.ndarray:
        """Reaches upstream of ``reach`` on the main tree (itself first), by its interval: O(k)."""
        return self.by_pre[self.pre[reach] : self.pre[reach] + self.size[reach]]

    def links(self) -> pd.DataFrame:
        """``id, toid`` per link; an outlet has one row with an empty ``toid``."""
        ids = self.ids
        linked = pd.DataFrame({"id": ids[self.up], "toid": ids[self.down], "_u": self.up, "_d": self.down})
        out_degree = np.bincount(self.up, minlength=self.n)
        outlets = np.flatnonzero(out_degree == 0)
        ends = pd.DataFrame({"id": ids[outlets], "toid": "", "_u": outlets, "_d": -1})
        table = pd.concat([linked, ends], ignore_index=True).sort_values(["_u", "_d"])
        return table[["id", "toid"]].reset_index(drop=True)


def link_table(net: Network) -> pd.DataFrame:
    """The links with each reach's attributes: ``id, toid, length_m, name, divergence, levelpath,
    pathlength_m, topo, ambiguous`` (one row per link; an outlet has an empty ``toid``).

    The columns of ``network build -o X.csv`` as documented before the saved network took
    hydroloom's names: ``pathlength_m`` in metres, ``topo`` the position in topological order
    (upstream first, from 0).
    """
    columns = ["id", "length_m", "name", "divergence", "levelpath", "ambiguous"]
    attributes = pd.DataFrame(net.reaches[columns]).assign(
        pathlength_m=net.pathlength.round(3), topo=net.n - net.topo_sort
    )
    order = ["id", "length_m", "name", "divergence", "levelpath", "pathlength_m", "topo", "ambiguous"]
    return net.links().merge(attributes[order], on="id", how="left")


def concat_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, e)`` for every pair, without a Python loop."""
    counts = ends - starts
    total = counts.sum()
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.r_[0, np.cumsum(counts)[:-1]], counts)
    return np.arange(total) + offsets
