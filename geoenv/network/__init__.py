"""River networks: topology from lines, arrays for navigation, persistence.

:func:`open_network` is the entry point: it loads a network GeoPackage written by
``geoenv network build`` as it is, or builds the network from a layer of lines.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geoenv.errors import InputError, Problem
from geoenv.io import LayerSource, is_table
from geoenv.network.graph import Network
from geoenv.network.navigate import MODES, navigate
from geoenv.network.store import is_network_file, load_network, save_network
from geoenv.settings import DEFAULT_TOLERANCE_M

if TYPE_CHECKING:
    import geopandas as gpd

    from geoenv.network.build import build_network


def open_network(
    source: LayerSource,
    *,
    flow: str = "outlet",
    outlets: list[tuple[float, float]] | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    progress: Callable[[str], None] | None = None,
    lines: gpd.GeoDataFrame | None = None,
) -> Network:
    """A saved network as it is, or one built from the lines in ``source`` (``lines``: those
    lines loaded already, so that they are not read again).

    Without ``outlets``, lines that know theirs (``source.outlets``: the embedded Shanxi
    rivers) drain there.

    Raises
    ------
    InputError
        For a table (CSV, XLSX) given as lines, an unreadable file, or a saved network that
        fails :func:`~geoenv.network.store.check_saved_network`.
    """
    if is_network_file(source.path):
        if source.add:
            message = "is a saved network, used as it is: --add-rivers joins line layers; build one network from all"
            raise InputError(Problem(message + " the lines instead (network build)", file=str(source.path)))
        return load_network(source.path, progress=progress)
    if is_table(Path(source.path)):
        message = "a table holds no lines: give a line layer (GeoPackage, Shapefile, GeoJSON) or a saved network"
        raise InputError(Problem(message, file=str(source.path)))
    from geoenv.layers import load
    from geoenv.network.build import build_network

    rivers = lines if lines is not None else load("rivers", source).data
    outlets = outlets or list(source.outlets)
    points = np.array(outlets, dtype=float).reshape(-1, 2) if outlets else None
    return build_network(
        rivers, flow=flow, outlets=points if flow == "outlet" else None, tolerance_m=tolerance_m, progress=progress
    )


def __getattr__(name: str) -> object:
    """:func:`~geoenv.network.build.build_network`, imported when first asked for (it needs
    geopandas and scipy; loading a saved network does not)."""
    if name == "build_network":
        from geoenv.network.build import build_network

        return build_network
    raise AttributeError(f"module 'geoenv.network' has no attribute {name!r}")


__all__ = [
    "DEFAULT_TOLERANCE_M", "MODES", "Network", "build_network", "is_network_file", "load_network", "navigate",
    "open_network", "save_network",
]  # fmt: skip
