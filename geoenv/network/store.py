"""Save a built network (and located points, relations) to a GeoPackage, and load it back
without rebuilding. Layers: ``reaches`` (lines, WGS84, one row per reach), ``links``
(a table, ``id, toid`` per link), and optionally ``sections``, ``facilities``, ``relations``."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geoenv.crs import working_crs
from geoenv.errors import InputError
from geoenv.io.write import Writer, write_atomic
from geoenv.network.graph import Network

REACH_COLUMNS = [
    "id", "name", "length_m", "divergence", "ambiguous", "topo", "pathlength_m", "arbolate_m",
    "levelpath", "dn_main", "from_node", "to_node", "to_given_outlet",
]  # fmt: skip
OPTIONAL_COLUMNS = ("velocity_ms",)


def is_network_file(path: Path) -> bool:
    """Whether ``path`` is a GeoPackage written by :func:`save_network`."""
    if Path(path).suffix.lower() != ".gpkg" or not Path(path).exists():
        return False
    names = {name for name, _ in pyogrio.list_layers(path)}
    return {"reaches", "links"} <= names


def save_network(net: Network, path: Path, *, overwrite: bool, extra: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the network (and ``extra`` layers: GeoDataFrames or tables) whole or not at all."""
    return write_atomic(path, network_writer(net, extra=extra), overwrite=overwrite)


def network_writer(net: Network, *, extra: dict[str, pd.DataFrame] | None = None) -> Writer:
    """A writer of the network GeoPackage, for :func:`geoenv.io.write.write_files` sets."""
    optional = [c for c in OPTIONAL_COLUMNS if c in net.reaches]
    reaches = net.reaches[[*REACH_COLUMNS, *optional, "geometry"]].to_crs(4326)
    links = net.links()

    def write(tmp: Path) -> None:
        pyogrio.write_dataframe(reaches, tmp, layer="reaches", driver="GPKG")
        pyogrio.write_dataframe(links, tmp, layer="links", driver="GPKG", append=True)
        for name, frame in (extra or {}).items():
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", append=True)

    return write


def load_network(path: Path) -> Network:
    """A network saved by :func:`save_network`, as it was built."""
    try:
        reaches = pyogrio.read_dataframe(path, layer="reaches")
        links = pyogrio.read_dataframe(path, layer="links", read_geometry=False)
    except Exception as exc:
        raise InputError(f"{path}: not a network GeoPackage ({exc})") from exc
    reaches["id"] = reaches["id"].astype(str)
    reaches["name"] = reaches["name"].fillna("").astype(str)
    reaches = reaches.to_crs(working_crs(tuple(reaches.total_bounds)))
    linked = links[links["toid"].fillna("").astype(str) != ""]
    index = pd.Index(reaches["id"])
    up, down = index.get_indexer(linked["id"].astype(str)), index.get_indexer(linked["toid"].astype(str))
    keep = ["id", "name", "length_m", "divergence", "ambiguous", "to_given_outlet", "from_node", "to_node", "geometry"]
    keep += [c for c in OPTIONAL_COLUMNS if c in reaches]
    base = reaches[keep].astype({"divergence": np.int8, "ambiguous": bool, "to_given_outlet": bool})
    return Network(gpd.GeoDataFrame(base, geometry="geometry"), up.astype(np.int64), down.astype(np.int64))
