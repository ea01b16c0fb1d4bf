"""``geoenv info``: what a file holds and which canonical columns geoenv recognises in it.

Vector files are described through fiona, which reads a layer's driver, schema, CRS, count
and bounds from the data source without loading its features.
"""

from __future__ import annotations

from pathlib import Path

import fiona

from geoenv.io import LayerSource, is_table, list_layers, read_layer
from geoenv.schema import LAYER_KINDS, column_index, fold, parameter_code

KINDS_BY_GEOMETRY = {
    "Point": ("sections", "facilities"),
    "LineString": ("rivers",),
    "Polygon": ("counties",),
}


def recognised_columns(headers: list[str], geometry: str | None = None) -> tuple[str, dict[str, str]]:
    """The layer kind whose aliases match most headers, and header → canonical column.

    ``geometry`` (a vector layer's geometry type) narrows the kinds considered.
    """
    best: tuple[str, dict[str, str]] = ("", {})
    simple = (geometry or "").removeprefix("Multi").removeprefix("3D ")
    for kind in KINDS_BY_GEOMETRY.get(simple, LAYER_KINDS):
        index = column_index(kind)
        found = {h: index[fold(h)] for h in headers if fold(h) in index}
        if kind == "measurements":
            found.update({h: f"parameter {parameter_code(h)}" for h in headers if parameter_code(h)})
        if len(found) > len(best[1]):
            best = (kind, found)
    return best


def describe(path: Path, *, layer: str | None = None) -> list[str]:
    """Lines describing each layer of ``path``, like ``fio info`` but with column mapping."""
    path = Path(path)
    lines = [f"file: {path}"]
    for name in [layer] if layer else list_layers(path):
        geometry = None
        if is_table(path):
            raw = read_layer(LayerSource(path, layer=name if path.suffix.lower() != ".csv" else None))
            headers = [str(c) for c in raw.frame.columns]
            lines += [f"layer: {name}", "  driver: table", f"  rows: {len(raw.frame)}",
                      f"  encoding: {raw.encoding or 'xlsx'}"]  # fmt: skip
        else:
            with fiona.open(path, layer=name) as src:
                headers = list(src.schema["properties"])
                geometry = src.schema["geometry"]
                lines += [f"layer: {name}", f"  driver: {src.driver}"]
                if geometry in (None, "None"):  # an attribute table in a GeoPackage
                    lines += ["  geometry: none (a table)", f"  rows: {len(src)}"]
                else:
                    crs = src.crs.to_string() if src.crs else "none (declare with --src-crs)"
                    bounds = ", ".join(f"{b:.6g}" for b in src.bounds)
                    lines += [
                        f"  geometry: {geometry}",
                        f"  crs: {crs}",
                        f"  features: {len(src)}",
                        f"  bounds: {bounds}",
                        f"  encoding: {read_layer(LayerSource(path, layer=name)).encoding or 'UTF-8'}",
                    ]
        kind, found = recognised_columns(headers, geometry)
        lines.append(f"  columns: {', '.join(headers)}")
        if found:
            lines.append(f"  recognised as {kind}: " + ", ".join(f"{h} → {c}" for h, c in found.items()))
        else:
            lines.append("  recognised: no canonical columns")
    return lines
