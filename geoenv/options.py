"""Option definitions shared by the commands (as fio/rio keep theirs in one place)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import click

from geoenv import datasets
from geoenv.config import Config, embedded_source, read_config
from geoenv.crs import parse_crs
from geoenv.errors import InputError
from geoenv.io import LayerSource
from geoenv.measurements import read_detection_limits
from geoenv.network.locate import DEFAULT_RADIUS_M
from geoenv.network.store import is_network_file
from geoenv.network.topology import DEFAULT_TOLERANCE_M
from geoenv.schema import LAYER_KINDS, SCHEMAS


class FiniteFloat(click.FloatRange):
    """A float option that must be a finite number within its range (nan and inf refused).

    ``click.FloatRange(min=0)`` lets ``nan`` (every comparison with it is false) and ``inf``
    through; this type fails them as a usage error (exit 2). Every float option of the CLI
    uses it.

    Examples
    --------
    >>> NON_NEGATIVE.convert("2.5", None, None)
    2.5
    """

    name = "number"

    def convert(self, value, param, ctx) -> float:
        """Parse ``value``; fail on text that is not a number, nan, ±inf or out of range."""
        text = value.strip() if isinstance(value, str) else value
        try:
            number = float(text)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return super().convert(number, param, ctx)


NON_NEGATIVE = FiniteFloat(min=0)
"""A finite number ≥ 0 (distances, radii, tolerances)."""
POSITIVE = FiniteFloat(min=0, min_open=True)
"""A finite number > 0 (velocities)."""


def _kind_value(text: str) -> tuple[str | None, str]:
    """Split ``KIND=VALUE`` (or plain ``VALUE`` for every layer)."""
    kind, sep, value = text.partition("=")
    if sep and kind in LAYER_KINDS:
        return kind, value
    return None, text


def layer_options(func):
    """``--config``, ``--sections … --measurements``, ``--layer``, ``--column``, ``--src-crs``,
    ``--strict`` (left in ``kw`` for the command to pass to the project)."""
    options = [
        click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
                     help="Project file geoenv.toml with layer paths, column mappings and CRS."),
        click.option("--sections", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Monitoring sections (断面): CSV, XLSX or a point layer."),
        click.option("--facilities", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Facilities: sewage plants, wetlands, tailings ponds, outfalls …"),
        click.option("--rivers", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="River lines: GeoPackage, Shapefile or GeoJSON."),
        click.option("--counties", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="County polygons with a name (and adcode, city)."),
        click.option("--add-rivers", "add_rivers", multiple=True,
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Your own river lines (文峪河, 磁窑河 …) joined to the rivers in use (the embedded "
                          "ones unless --rivers names others) into one network. Repeatable."),
        click.option("--measurements", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Measurements, long (断面, 日期, 项目, 值) or wide (one column per item)."),
        click.option("--detection-limits", "detection_limits", type=click.Path(exists=True, dir_okay=False,
                     path_type=Path), help="Table (CSV/XLSX) of item, detection limit and unit (项目, 检出限, 单位) "
                     "for 未检出/ND measurements whose file gives no limit."),
        click.option("--layer", "layers", multiple=True, metavar="[KIND=]NAME",
                     help="GeoPackage layer or XLSX sheet, e.g. --layer sections=国考断面."),
        click.option("--column", "columns", multiple=True, metavar="KIND.COLUMN=HEADER",
                     help="Map a header no alias knows, e.g. --column sections.code=站点编号."),
        click.option("--src-crs", "src_crs", multiple=True, metavar="[KIND=]CRS",
                     help="CRS of files that do not declare one: EPSG code, WKT, gcj02 or bd09 "
                          "(Gaode/Baidu picks), e.g. --src-crs facilities=gcj02."),
        click.option("--strict", is_flag=True,
                     help="A section or facility outside every county is an error (default: a warning "
                          "within 50 km, where it keeps no county as sections of a neighbouring province do; "
                          "farther is always an error)."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def sources_from_options(kw: dict) -> tuple[dict[str, LayerSource | None], Config | None]:
    """Per-kind sources from the layer options (None where not given) and the config."""
    config = read_config(kw.pop("config")) if kw.get("config") else None
    layers = kw.pop("layers", ())
    columns = kw.pop("columns", ())
    crs = kw.pop("src_crs", ())
    paths = {kind: kw.pop(kind, None) for kind in LAYER_KINDS}
    limits_file = kw.pop("detection_limits", None)
    limits = read_detection_limits(LayerSource(Path(limits_file))) if limits_file else ()
    mapped: dict[str, dict[str, str]] = {kind: {} for kind in LAYER_KINDS}
    for text in columns:
        target, sep, header = text.partition("=")
        kind, dot, column = target.partition(".")
        known = SCHEMAS.get(kind)
        if not (sep and dot and known and column in known.required + known.optional):
            raise click.BadParameter(
                f"{text!r}: write KIND.COLUMN=HEADER, e.g. sections.code=站点编号",
                param_hint="--column",
            )
        mapped[kind][column] = header
    sheet = dict(_kind_value(t) for t in layers)
    declared = dict(_kind_value(t) for t in crs)
    for value in declared.values():
        try:
            parse_crs(value)
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="--src-crs") from None
    given = {k for k, p in paths.items() if p is not None} | set(config.sources if config else ())
    given |= {"rivers"} if kw.get("add_rivers") else set()
    for option, kinds in (("--column", [k for k, m in mapped.items() if m]), ("--layer", list(sheet)),
                          ("--src-crs", list(declared)),
                          ("--detection-limits", ["measurements"] if limits_file else [])):  # fmt: skip
        for kind in kinds:
            if kind is not None and kind not in given:
                raise click.BadParameter(
                    f"{kind}: no {kind} file given (--{kind} FILE) for this option to apply to", param_hint=option
                )
    overrides: dict[str, LayerSource | None] = {}
    for kind, path in paths.items():
        base = config.sources.get(kind) if config else None
        if path is None and base is None:
            overrides[kind] = None
            continue
        source = base or LayerSource(Path(path))
        overrides[kind] = LayerSource(
            path=Path(path) if path else source.path,
            layer=sheet.get(kind, sheet.get(None, source.layer)),
            columns={**source.columns, **mapped[kind]},
            crs=declared.get(kind, declared.get(None, source.crs)),
            add=source.add,
            outlets=datasets.outlets_of(Path(path)) if path else source.outlets,
            detection_limits=(limits + (config.detection_limits if config else ()) if kind == "measurements" else ()),
        )
    added = tuple(LayerSource(Path(p), crs=declared.get("rivers")) for p in kw.pop("add_rivers", ()))
    for source in added:
        if is_network_file(source.path):
            raise click.BadParameter(f"{source.path} is a saved network: add the lines it was built from",
                                     param_hint="--add-rivers")  # fmt: skip
    if added:
        base = overrides["rivers"] or embedded_source("rivers")
        overrides["rivers"] = replace(base, add=base.add + added)
    return overrides, config


radius_option = click.option(
    "--radius-m", type=NON_NEGATIVE, default=DEFAULT_RADIUS_M, show_default=True,
    help="How far a section, a facility (its outfall) or a starting point may lie from a river to be placed on it.",
)  # fmt: skip


def output_file(help: str, *, required: bool = False):
    """``-o/--output`` naming one file to write."""
    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=required, help=help)


table_output = output_file("CSV to write (default: a table on the terminal).")

output_dir = click.option(
    "-o", "--output", "output", type=click.Path(file_okay=False, path_type=Path),
    default=Path("maps"), show_default=True, help="Folder for the map and tables.",
)  # fmt: skip
overwrite = click.option("--overwrite", is_flag=True, help="Replace output files that exist.")


def parse_lonlat(text: str) -> tuple[float, float]:
    """Read ``LON,LAT`` in decimal degrees (a full-width comma too).

    Raises
    ------
    click.BadParameter
        When it is not two finite numbers, or the longitude is outside ±180 or the latitude
        outside ±90.
    """
    try:
        lon, lat = (float(v) for v in str(text).replace("，", ",").split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r}: write LON,LAT in degrees, e.g. 114.6,34.9") from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise click.BadParameter(f"{text!r}: longitude and latitude must be finite numbers, e.g. 114.6,34.9")
    if abs(lon) > 180 or abs(lat) > 90:
        raise click.BadParameter(
            f"{text!r}: out of range for degrees (longitude −180…180, latitude −90…90); write LON,LAT, e.g. 114.6,34.9"
        )
    return lon, lat


def _lonlat(ctx: click.Context, param: click.Parameter, values) -> list[tuple[float, float]]:
    """Click callback: every ``LON,LAT`` of a (repeatable) option, checked."""
    return [parse_lonlat(text) for text in values]


def network_options(func):
    """``--flow``, ``--outlet``, ``--tolerance-m``: how a network is built from lines."""
    options = [
        click.option("--flow", type=click.Choice(["outlet", "digitized"]), default="outlet", show_default=True,
                     help="outlet: orient every network toward its outlet (any digitizing direction); "
                          "digitized: trust each line's direction."),
        click.option("--outlet", "outlets", multiple=True, metavar="LON,LAT", callback=_lonlat,
                     help="Where a network drains (repeatable). Without one, the rule in the README picks "
                          "it and the choice is reported."),
        click.option("--tolerance-m", type=NON_NEGATIVE, default=DEFAULT_TOLERANCE_M, show_default=True,
                     help="Largest gap bridged from a dangling line end to another line. The default suits "
                          "coarse data such as the embedded GSHHG rivers; dense or surveyed data wants a few metres."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def basin_options(func):
    """The layer options, the network options and ``--radius-m``: what a command working on
    the registers placed on the river network takes."""
    return layer_options(network_options(radius_option(func)))
