"""``geoenv network build | navigate`` and ``geoenv relations``."""

from __future__ import annotations

from pathlib import Path

import click

from geoenv.cli.base import ENCODING_KEY, _basin, _emit, _lines_source, _log, _open_network, _outputs, _warn, echo, main
from geoenv.cli.options import basin_options, network_options, option
from geoenv.io import LayerSource
from geoenv.io.gis import Places, points_of, vector_files
from geoenv.io.write import csv_writer, text_writer, write_files
from geoenv.network import MODES
from geoenv.network.graph import link_table
from geoenv.network.navigate import navigate_from
from geoenv.network.store import OPTIONAL_COLUMNS, REACH_COLUMNS, network_writer
from geoenv.tables import register_names, upstream_first

_lines_argument = click.argument("lines", type=click.Path(exists=True, dir_okay=False, path_type=Path))


def _lines_options(func):
    for decorator in reversed(
        [
            click.option("--layer", help="Layer of LINES (GeoPackage)."),
            click.option("--id-field", help="Column holding each line's id (default: its feature number)."),
            click.option("--name-field", help="Column holding the river name (default: 河流名称/name …)."),
            click.option("--src-crs", help="CRS of LINES when the file declares none (EPSG code, WKT, gcj02)."),
            option(
                "config",
                expose_value=False,
                help="Project file geoenv.toml: its [network] settings and its "
                "[network.build] (…check, …navigate) options are this command's defaults.",
            ),
            *[network_options],
        ]
    ):
        func = decorator(func)
    return func


@main.group()
def network() -> None:
    """Build a river network from lines, save it, and navigate it (UT, UM, DM, DD).

    LINES is a line layer (GeoPackage, Shapefile, GeoJSON) in any digitizing direction, or a
    network GeoPackage written by 'network build', which is used as it is.
    """


@network.command(name="build")
@_lines_argument
@_lines_options
@option(
    "output",
    help="OUT.csv (id,toid,length_m,name … one row per link), OUT.gpkg (layers reaches, links; GeoPackage 1.2) "
    "or OUT.shp (the reaches as lines).",
    required=True,
)
@option("encoding")
@option("overwrite")
@click.pass_context
def network_build(
    ctx: click.Context,
    lines: Path,
    flow,
    outlets,
    tolerance_m: float,
    output: Path,
    overwrite: bool,
    **source,
) -> None:
    """Topology from line geometry: reaches, links, order, path length, level paths.

    Lines may run either way, be cut anywhere, end near (not on) the river they join, or on
    its interior; lines that cross without sharing a vertex stay apart. An outlet has an
    empty toid; a split has one row per branch (divergence 1 main, 2 minor). Ids are the
    input's (--id-field); a line cut at a junction becomes ID.1, ID.2 … upstream to downstream.

    \b
    Examples:
      geoenv network build 河流.shp --id-field 编码 --name-field 河名 -o 河网.gpkg
      geoenv network build rivers.gpkg --flow digitized --tolerance-m 5 -o links.csv
      geoenv network build 河流.geojson --outlet 114.6,34.9 -o 河网.gpkg
    """
    _outputs(overwrite, {"-o": output}, {"lines": lines})
    net = _open_network(ctx, _lines_source(lines, **source), flow, outlets, tolerance_m)
    suffix = output.suffix.lower()
    if suffix == ".shp":
        columns = [*REACH_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in net.reaches), "geometry"]
        files = vector_files({"reaches": net.reaches[columns]}, {"reaches": "LineString"}, output,
                             encoding=ctx.meta[ENCODING_KEY])  # fmt: skip
    else:
        files = {output: network_writer(net) if suffix == ".gpkg" else csv_writer(link_table(net))}
    write_files(files, overwrite=overwrite)
    _log(ctx, f"wrote {output}")
    from geoenv.network.check import check_network  # scipy: only for the commands that check

    # Crossings (lines that cross without a junction) are left to 'network check': they take
    # 8 of the check's 12 s at 1,000,000 reaches.
    for line in _summary(check_network(net, tolerance_m=tolerance_m, crossings=False)):
        _log(ctx, line)
    _log(ctx, "(lines crossing without a junction, and the details: geoenv network check)")


def _summary(result) -> list[str]:
    """The check's counts, one line each, Chinese and English."""
    from geoenv.network.check import summary_rows

    rows = summary_rows(result)
    head = f"network check (tolerance {result.tolerance_m:g} m; ends looked at within {result.factor:g}×):"
    return [head, *(f"  {n:>7,}  {zh} {en}" for n, zh, en in rows.itertuples(index=False))]


@network.command(name="check")
@_lines_argument
@_lines_options
@option(
    "sections",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Monitoring sections (断面: CSV, XLSX or points), to name those on pieces without an outlet.",
)
@option("radius_m")
@option("output", help="QA.gpkg: one layer per kind of problem (WGS84), for QGIS.")
@option("map_output")
@option("overwrite")
@click.pass_context
def network_check(ctx: click.Context, lines: Path, flow, outlets, tolerance_m: float, sections, radius_m: float,
                  output, map_output, overwrite: bool, **source) -> None:  # fmt: skip
    """What to fix in a river layer before trusting the network built from it.

    Dangling ends near a line they do not join (within 3 tolerances: the gap and the line),
    pieces that reach no given outlet (length, sections on them), outlets chosen by the rule
    (suspect when the network looks turned around or the outlet lies inside the data),
    loops and braids, lines crossing without a junction, repeated lines, and reaches shorter
    than the tolerance. The counts go to the terminal; -o writes a layer per kind, --map an
    offline map of them. The README ("Preparing a river layer") says how to read them.

    \b
    Examples:
      geoenv network check 河流.shp --name-field 河名 --tolerance-m 50 -o 河网检查.gpkg --map 河网检查.html
      geoenv network check rivers.gpkg --outlet 114.6,34.9 --sections 断面.xlsx -o qa.gpkg
    """
    if output and output.suffix.lower() != ".gpkg":
        raise click.BadParameter("write QA.gpkg (a GeoPackage 1.2: its layers are points and lines)", param_hint="-o")
    _outputs(overwrite, {"-o": output, "--map": map_output}, {"lines": lines, "sections": sections})
    net = _open_network(ctx, _lines_source(lines, **source), flow, outlets, tolerance_m)
    from geoenv.layers import load
    from geoenv.maps.qa import check_map  # folium: only this command draws (start-up time of the others)
    from geoenv.network.check import check_network, check_writer

    points = load("sections", LayerSource(sections)).data if sections else None
    result = check_network(net, tolerance_m=tolerance_m, sections=points, radius_m=radius_m)
    files = {}
    if output:
        files[output] = check_writer(result)
    if map_output:
        files[map_output] = text_writer(check_map(net, result, sections=points))
    write_files(files, overwrite=overwrite)
    echo("\n".join(_summary(result)), lines=True)
    for path in files:
        _log(ctx, f"wrote {path}")


@network.command(name="navigate")
@_lines_argument
@option("network_navigate_start")
@option("start_at")
@option(
    "mode",
    type=click.Choice(MODES),
    required=True,
    help="UT upstream with tributaries, UM upstream main stem, DM downstream main stem, DD downstream with diversions.",
)
@option("distance_km", help="Stop this far along the network.")
@option("radius_m")
@_lines_options
@option("csv_output")
@option("lang")
@option("overwrite")
@click.pass_context
def network_navigate(
    ctx: click.Context,
    lines: Path,
    start,
    start_at,
    mode,
    distance_km,
    radius_m,
    flow,
    outlets,
    tolerance_m,
    output,
    lang,
    overwrite,
    **source,
) -> None:
    """Reaches up- or downstream of a reach or a point, nearest first: id, distance_km, length_km.

    From a point, the first row is the part of its reach above (UT, UM) or below (DM, DD) it.
    Distances run from the start's downstream end (UT, UM) or upstream end (DM, DD).

    \b
    Examples:
      geoenv network navigate 河网.gpkg --start R013.1 --mode UT --distance-km 50
      geoenv network navigate 河流.shp --start-at 112.35,37.53 --mode DM -o 下游.csv
    """
    if bool(start) == bool(start_at):
        raise click.UsageError("give one of --start ID and --start-at LON,LAT")
    _outputs(overwrite, {"-o": output}, {"lines": lines})
    net = _open_network(ctx, _lines_source(lines, **source), flow, outlets, tolerance_m)
    table = navigate_from(net, start=start, start_at=start_at[0] if start_at else None, mode=mode,
                          distance_km=distance_km, radius_m=radius_m)  # fmt: skip
    _emit(ctx, table.drop(columns="reach"), output, overwrite, "reaches")


@main.command()
@basin_options
@option(
    "output",
    help="OUT.csv: code, downstream_code, distance_km, upstream_codes, control_km, facilities …",
    required=True,
)
@option("save_network_to")
@option("encoding")
@option("lang")
@option("overwrite")
@click.pass_context
def relations(
    ctx: click.Context, flow, outlets, tolerance_m, radius_m, output: Path, save_network_to, lang, overwrite, **kw
) -> None:
    """Which section is downstream of which, how far, and what lies on each control segment.

    Sections and facilities are placed on the nearest reach (a section on the river its
    register names, when one is within --radius-m; a facility by its outfall). --rivers may
    be a network GeoPackage from 'network build'.

    \b
    Examples:
      geoenv relations -o 断面关系.csv
      geoenv relations --sections 断面.xlsx --rivers 河网.gpkg -o 断面关系.csv --save-network 河网_断面.gpkg
    """
    _outputs(overwrite, {"-o": output, "--save-network": save_network_to}, kw)
    project = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    basin, result = project.basin, project.relations
    _warn(ctx, result.problems)
    also = {}
    if save_network_to:
        from geoenv.relate import relation_layers

        also[save_network_to] = network_writer(basin.net, extra=relation_layers(basin, result))
    order = upstream_first(basin, result.sections["code"])
    ordered = result.sections.iloc[order]
    places = Places(points_of(basin.sections, "code", ordered["code"]), layer="sections")
    _emit(ctx, ordered, output, overwrite, "sections", also=also, places=places, names=register_names(basin))
