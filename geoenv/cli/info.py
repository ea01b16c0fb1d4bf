"""``geoenv info``: what a file holds and which canonical columns geoenv recognises in it.

Vector files are described through fiona, which reads a layer's driver, schema, CRS, count
and bounds from the data source without loading its features.
"""

from __future__ import annotations

from pathlib import Path

import fiona

from geoenv.errors import InputError, Problem
from geoenv.io import LayerSource, RawLayer, is_table, list_layers, read_layer
from geoenv.io.layout import find_layout, recognise
from geoenv.io.read import XLSX_SUFFIXES, Grid, csv_grid, listed_names, open_book, pick_sheet, sheet_grid, table_layer
from geoenv.schema import LAYER_KINDS

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
        found = recognise(headers, kind)
        if len(found) > len(best[1]):
            best = (kind, found)
    return best


def describe(path: Path, *, layer: str | None = None, kind: str | None = None) -> list[str]:
    """Lines describing each layer of ``path``, like ``fio info`` but with column mapping.

    For tables also where the table was found: the header row, a units row and a 检出限 row
    under it, blank and note rows skipped, merged ranges filled; the recognised columns are
    those of ``kind``, or of the kind whose headers match best. For a workbook of several
    sheets, the sheet each kind would be read from and why.

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
    if is_table(path):
        return lines + _describe_tables(path, [layer] if layer else names, kind)
    for name in [layer] if layer else names:
        headers, geometry, described = _describe_vector(path, name)
        lines += [f"layer: {name}", *described]
        found_kind, found = recognised_columns(headers, geometry)
        lines.append(f"  columns: {', '.join(headers)}")
        if found:
            lines.append(f"  recognised as {found_kind}: " + ", ".join(f"{h} → {c}" for h, c in found.items()))
        else:
            lines.append("  recognised: no canonical columns")
    return lines


def _describe_tables(path: Path, names: list[str], kind: str | None) -> list[str]:
    """Lines for each sheet (or the CSV) ``names`` of a table file, then for a workbook of
    several sheets which sheet the kind is read from."""
    lines: list[str] = []
    xlsx = path.suffix.lower() in XLSX_SUFFIXES
    grids = {}
    if xlsx:
        book = open_book(path)
        try:
            grids = {name: sheet_grid(book, name, path) for name in names}
        finally:
            book.close()
    else:
        grids = {names[0]: csv_grid(path)}
    kinds = [kind] if kind else list(LAYER_KINDS)
    layouts = {name: {k: find_layout(g.rows, k, merged=g.merged) for k in kinds} for name, g in grids.items()}
    best: dict[str, str] = {}
    for name, grid in grids.items():
        chosen = max(kinds, key=lambda k: len(layouts[name][k].matched))
        raw = table_layer(grid, LayerSource(path, layer=name if xlsx else None), chosen)
        assert raw.layout is not None  # a table read from a grid always has its layout
        best[name] = chosen if raw.layout.matched else ""
        lines += [f"layer: {name}", "  driver: table", f"  rows: {len(raw.frame)}",
                  f"  encoding: {'xlsx' if xlsx else raw.encoding}", *_layout_lines(raw, grid)]  # fmt: skip
        lines.append(f"  columns: {', '.join(map(str, raw.frame.columns))}")
        found = raw.layout.matched
        if found:
            lines.append(f"  recognised as {chosen}: " + ", ".join(f"{h} → {c}" for h, c in found.items()))
            if raw.layout.missing:
                lines.append(f"  lacks for {chosen}: {', '.join(raw.layout.missing)}")
        else:
            lines.append("  recognised: no canonical columns")
    if xlsx and len(grids) > 1:
        for shown in [kind] if kind else sorted({k for k in best.values() if k}, key=LAYER_KINDS.index):
            try:
                name, reason, _ = pick_sheet({n: layouts[n][shown] for n in grids}, shown, path)
                lines.append(f"{shown}: read from sheet {name} ({reason})")
            except InputError as exc:
                lines.append(f"{shown}: {exc.problems[0].message}")
    return lines


def _layout_lines(raw: RawLayer, grid: Grid) -> list[str]:
    """Where the table was found in its sheet or CSV, for :func:`describe`."""
    layout = raw.layout
    if layout is None or layout.header < 0:
        return []
    header = grid.number(layout.header)
    lines = [f"  header: row {header}" + (" (title rows above it skipped)" if layout.header > 0 else "")]
    if layout.sub_header is not None:
        lines.append(f"  second header row: row {grid.number(layout.sub_header)}")
    if layout.units_row is not None:
        units = ", ".join(f"{h}: {u}" for h, u in layout.units.items())
        lines.append(f"  units row: row {grid.number(layout.units_row)} ({units})")
    if layout.limits_row is not None:
        limits = ", ".join(f"{h}: {v}" for h, v in layout.detection_limits.items())
        lines.append(f"  检出限 row: row {grid.number(layout.limits_row)} ({limits})")
    if raw.rows is not None and len(raw.rows):
        lines.append(f"  data: rows {raw.rows[0]}–{raw.rows[-1]}")
    if layout.blank:
        lines.append(f"  blank rows skipped: {layout.blank}")
    lines += [f"  {p.message}" for p in raw.problems if "note row" in p.message]
    if layout.filled:
        more = f", … ({len(layout.filled)} in all)" if len(layout.filled) > 5 else ""
        lines.append(f"  merged ranges filled: {', '.join(layout.filled[:5])}{more}")
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
