"""``geoenv info``: what a file holds and which canonical columns geoenv recognises in it.

Vector files are described through fiona, which reads a layer's driver, schema, CRS, count
and bounds from the data source without loading its features.
"""

from __future__ import annotations

from pathlib import Path

import fiona

from geoenv.errors import InputError, Problem
from geoenv.io import LayerSource, is_table, list_layers, read_layer
from geoenv.io.read import XLSX_SUFFIXES, listed_names, read_sheet
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
    """Lines describing each layer of ``path``, like ``fio info`` but with column mapping.

    Raises
    ------
    InputError
        For a file that cannot be read (junk, truncated, a Shapefile without its ``.shx``) or a
        ``layer`` it does not hold, naming the file and the layers it has. An empty layer or
        sheet is described, not refused.
    """
    path = Path(path)
    lines = [f"file: {path}"]
    names = list_layers(path)
    if layer is not None and layer not in names:
        shown = listed_names(names)
        what = "sheet" if path.suffix.lower() in XLSX_SUFFIXES else "layer"
        raise InputError(Problem(f"no {what} {layer!r}; the file has {len(names)}: {shown}", file=str(path)))
    for name in [layer] if layer else names:
        geometry = None
        if path.suffix.lower() in XLSX_SUFFIXES:
            frame = read_sheet(path, name)
            headers = [str(c) for c in frame.columns]
            lines += [f"layer: {name}", "  driver: table", f"  rows: {len(frame)}", "  encoding: xlsx"]
        elif is_table(path):
            raw = read_layer(LayerSource(path))
            headers = [str(c) for c in raw.frame.columns]
            lines += [f"layer: {name}", "  driver: table", f"  rows: {len(raw.frame)}", f"  encoding: {raw.encoding}"]
        else:
            headers, geometry, described = _describe_vector(path, name)
            lines += [f"layer: {name}", *described]
        kind, found = recognised_columns(headers, geometry)
        lines.append(f"  columns: {', '.join(headers)}")
        if found:
            lines.append(f"  recognised as {kind}: " + ", ".join(f"{h} → {c}" for h, c in found.items()))
        else:
            lines.append("  recognised: no canonical columns")
    return lines


def _describe_vector(path: Path, name: str) -> tuple[list[str], str | None, list[str]]:
    """Headers, geometry type and description lines of one vector layer, read through fiona."""
    try:
        with fiona.open(path, layer=name) as src:
            headers = list(src.schema["properties"])
            geometry = src.schema["geometry"]
            lines = [f"  driver: {src.driver}"]
            count = len(src)
            if geometry in (None, "None"):  # an attribute table in a GeoPackage
                return headers, geometry, [*lines, "  geometry: none (a table)", f"  rows: {count}"]
            crs = src.crs.to_string() if src.crs else "none (declare with --src-crs)"
            bounds = _bounds(src) if count else "none (no features)"
    except (fiona.errors.FionaError, ValueError, OSError) as exc:
        raise InputError(Problem(f"not a readable vector layer {name!r} ({exc})", file=str(path))) from exc
    lines += [f"  geometry: {geometry}", f"  crs: {crs}", f"  features: {count}", f"  bounds: {bounds}"]
    if count:
        lines.append(f"  encoding: {read_layer(LayerSource(path, layer=name)).encoding or 'UTF-8'}")
    return headers, geometry, lines


def _bounds(src) -> str:
    try:
        return ", ".join(f"{b:.6g}" for b in src.bounds)
    except fiona.errors.FionaError:  # every geometry null
        return "none (no geometries)"
