"""The ``geoenv`` command: a thin layer over the library (parse, call, write, report)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from geoenv import __version__
from geoenv.assessment import assess, group_table, latest_year, section_status
from geoenv.basin import open_basin
from geoenv.crossings import crossings
from geoenv.data import EMBEDDED_ATTRIBUTION, SAMPLE_NOTE_ZH
from geoenv.display import format_table
from geoenv.errors import GeoenvError, InputError, Problem, problems_table
from geoenv.info import describe
from geoenv.io import LayerSource, check_writable, write_csv, write_text
from geoenv.jurisdiction import river_lengths
from geoenv.maps import MapStyle, screenshot
from geoenv.maps.publish import basemap_tiles
from geoenv.network import MODES, is_network_file, open_network, save_network
from geoenv.network.graph import link_table
from geoenv.network.navigate import navigate_from
from geoenv.options import (
    _lonlat,
    basin_options,
    layer_options,
    network_options,
    output_dir,
    output_file,
    overwrite,
    radius_option,
    sources_from_options,
    table_output,
)
from geoenv.overview import (
    FACILITY_COLUMNS,
    SECTION_COLUMNS,
    build_overview,
    demo_highlights,
    impact_highlight,
    trace_highlight,
)
from geoenv.project import inspect_project, load_project, resolve_sources
from geoenv.quality import BY, GROUPS, parse_period
from geoenv.relations import relation_layers, section_relations
from geoenv.report import SHEETS, bureau_tables, write_report
from geoenv.schema import FACILITY_LABELS_ZH
from geoenv.trace import DEFAULT_VELOCITY_MS, SOURCE_KINDS, trace
from geoenv.trace import impact as impact_


class _Group(click.Group):
    """Turns GeoenvErrors into ``error: FILE:ROW: column C: message`` and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GeoenvError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            click.echo(
                f"error: unexpected {type(exc).__name__}: {exc} (run with -v for details)",
                err=True,
            )
            ctx.exit(1)


def _log(ctx: click.Context, message: str) -> None:
    if not ctx.obj.get("quiet"):
        click.echo(message, err=True)


def _warn(ctx: click.Context, problems: list[Problem]) -> None:
    for problem in problems:
        if problem.severity == "warning":
            _log(ctx, f"warning: {problem}")


def _project(ctx: click.Context, kw: dict, *, lenient: bool = False):
    overrides, config = sources_from_options(kw)
    sources, embedded = resolve_sources(overrides, config)
    near_m = config.settings.get("near_border_m", 100.0) if config else 100.0
    if embedded:
        _log(ctx, "using the embedded Shanxi data (illustrative sample registers)")
    project = load_project(sources, near_m=near_m, embedded=embedded, lenient=lenient)
    _warn(ctx, project.problems)
    return project


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoenv")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and more detail.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def main(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """Monitoring sections, facilities, rivers and counties for environmental bureaus.

    Every command reads the layers from --config geoenv.toml or the per-layer options;
    layers you leave out come from the embedded Shanxi data. Tables may be CSV (UTF-8 or GBK)
    or XLSX with Chinese or English headers; vector files GeoPackage, Shapefile or GeoJSON.

    \b
    Start with:
      geoenv demo                      # map of the embedded Shanxi data in maps/
      geoenv validate --sections 断面.xlsx
      geoenv info 河流.shp
      geoenv classify 监测数据.csv --sections 断面.xlsx --by month
      geoenv network build 河流.shp -o 河网.gpkg
      geoenv relations --sections 断面.xlsx --rivers 河网.gpkg -o 断面关系.csv
    """
    ctx.ensure_object(dict)
    ctx.obj.update(verbose=verbose, quiet=quiet)


@main.command()
@output_dir
@overwrite
@click.pass_context
def demo(ctx: click.Context, output: Path, overwrite: bool) -> None:
    """Run the whole job on the embedded Shanxi data and write the maps.

    Writes OUTPUT/index.html (opens with no network): the section distribution map with a
    trace of an exceeding section and a spill drill from a tailings pond, linking one map per
    named river (OUTPUT/汾河.html …) and the trace (OUTPUT/trace.html); and the tables
    sections.csv, facilities.csv, river_lengths.csv. The sample registers are illustrative,
    not official monitoring data.

    \b
    Example:
      geoenv demo -o maps --overwrite
    """
    started = time.perf_counter()
    project = _project(ctx, {})
    net = open_network(project.layers["rivers"].raw.source)
    basin = open_basin(net, project["sections"], project["facilities"])
    highlights, notes = demo_highlights(project, basin)
    for note in notes:
        _log(ctx, note)
    rivers = sorted(set(net.reaches["name"]) - {""})
    links = {name: f"{name}.html" for name in rivers} | {"溯源示例 trace": "trace.html"}
    pages = {}
    for name in rivers:
        style = MapStyle(
            f"{name}（示例）", note=SAMPLE_NOTE_ZH, attribution=EMBEDDED_ATTRIBUTION, links={"总图": "index.html"}
        )
        pages[f"{name}.html"] = build_overview(project, style=style, basin=basin, river=name).html
    style = MapStyle(
        "溯源示例（示例）", note=SAMPLE_NOTE_ZH, attribution=EMBEDDED_ATTRIBUTION, links={"总图": "index.html"}
    )
    pages["trace.html"] = build_overview(project, style=style, basin=basin, highlights=highlights[:1]).html
    style = MapStyle("山西省地表水监测断面分布图（示例）", note=SAMPLE_NOTE_ZH, attribution=EMBEDDED_ATTRIBUTION,
                     links=links, timeline=True)  # fmt: skip
    result = build_overview(project, style=style, basin=basin, highlights=highlights, timeline=True)
    _write_maps(ctx, output, overwrite, result, pages, started)


@main.command(name="map")
@basin_options
@output_dir
@overwrite
@click.option("--title", default="地表水监测断面分布图", show_default=True, help="Title on the map.")
@click.option("--period", help="Show the classes of one month, quarter or year: 2024-06, 2024Q2, 2024.")
@click.option(
    "--timeline", is_flag=True, help="Add a slider stepping through the periods (years, or the kind of --period)."
)
@click.option("--river", help="Draw only this river and its tributaries, e.g. --river 汾河.")
@click.option(
    "--county", help="Draw only this county, the rivers crossing it and the sections just across its borders."
)
@click.option(
    "--basemap",
    default="none",
    show_default=True,
    help="none, osm, gaode (drawn in GCJ-02), tianditu, "
    "or a tile URL with {z}/{x}/{y}. Tiles need the network; 'none' keeps the map offline.",
)
@click.option("--tianditu-key", help="Key for --basemap tianditu.")
@click.option(
    "--choropleth",
    metavar="COLUMN",
    help="Shade counties by a column of the counties layer or by "
    "good_ratio, worse_than_v_ratio or cwqi of their sections.",
)
@click.option(
    "--cdn", is_flag=True, help="Link Leaflet from a CDN instead of inlining it (smaller, needs the internet)."
)
@click.option(
    "--png", "png", type=click.Path(dir_okay=False, path_type=Path), help="Also save a screenshot (needs Chromium)."
)
@click.pass_context
def map_(
    ctx: click.Context,
    flow,
    outlets,
    tolerance_m,
    radius_m,
    output: Path,
    overwrite: bool,
    title: str,
    period,
    timeline,
    river,
    county,
    basemap,
    tianditu_key,
    choropleth,
    cdn,
    png,
    **kw,
) -> None:
    """Draw the section distribution map of your layers (and write the joined tables).

    Rivers are coloured by the class of the section that controls them and widen downstream;
    sections are filled by class and outlined by level; facilities have a symbol per kind.
    Search by code or name; popups list upstream and downstream sections.

    \b
    Examples:
      geoenv map --sections 断面.xlsx --measurements 监测数据.csv -o 地图 --title 太原市断面分布图
      geoenv map --river 汾河 --period 2024 --timeline -o 汾河
      geoenv map --county 清徐县 --basemap gaode --png 清徐县.png -o 清徐县
    """
    started = time.perf_counter()
    if png:
        check_writable(png, overwrite=overwrite)
    style = MapStyle(title, basemap=basemap, tianditu_key=tianditu_key, choropleth=choropleth, timeline=timeline)
    basemap_tiles(basemap, tianditu_key)  # a bad basemap stops here, before any work
    project, basin = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    if project.embedded:
        style.note, style.attribution = SAMPLE_NOTE_ZH, EMBEDDED_ATTRIBUTION
    chosen = parse_period(period) if period else None
    result = build_overview(project, style=style, basin=basin, period=chosen, timeline=timeline, river=river,
                            county=county, offline=not cdn)  # fmt: skip
    _write_maps(ctx, output, overwrite, result, {}, started)
    if png:
        screenshot(result.html, png)
        _log(ctx, f"wrote {png}")


def _write_maps(ctx: click.Context, output: Path, overwrite: bool, result, pages: dict[str, str], started: float):
    output.mkdir(parents=True, exist_ok=True)
    files = {
        "index.html": lambda p: write_text(result.html, p, overwrite=overwrite),
        "sections.csv": lambda p: write_csv(result.sections, p, overwrite=overwrite),
        "facilities.csv": lambda p: write_csv(result.facilities, p, overwrite=overwrite),
        "river_lengths.csv": lambda p: write_csv(result.river_lengths, p, overwrite=overwrite),
    }
    files.update({name: (lambda p, h=html: write_text(h, p, overwrite=overwrite)) for name, html in pages.items()})
    for name in files:  # refuse before writing anything
        check_writable(output / name, overwrite=overwrite)
    for name, write in files.items():
        write(output / name)
    _log(ctx, f"{len(result.sections)} sections, {len(result.facilities)} facilities, {len(files) - 3} maps "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    click.echo(str((output / "index.html").resolve()))


@main.command()
@layer_options
@click.pass_context
def validate(ctx: click.Context, **kw) -> None:
    """Check every layer and list every problem (not just the first).

    Exits 1 when any problem is an error; warnings (a repaired polygon, a point just
    outside a county) are listed but pass.

    \b
    Example:
      geoenv validate --sections 断面.csv --facilities 设施.xlsx --src-crs facilities=gcj02
    """
    overrides, config = sources_from_options(kw)
    sources, embedded = resolve_sources(overrides, config)
    project = inspect_project(sources, embedded=embedded)
    for problem in project.problems:
        click.echo(f"{problem.severity}: {problem}", err=True)
    for kind, layer in project.layers.items():
        _log(ctx, f"{kind}: {layer.file}: {len(layer.data)} rows")
    errors = project.errors
    if errors:
        click.echo(f"{len(errors)} errors, {len(project.problems) - len(errors)} warnings", err=True)
        ctx.exit(1)
    click.echo(f"ok: {len(project.problems)} warnings")


@main.command()
@click.argument("what", type=click.Choice(["sections", "facilities", "rivers"]))
@layer_options
@output_file("CSV file to write.", required=True)
@overwrite
@click.pass_context
def join(ctx: click.Context, what: str, output: Path, overwrite: bool, **kw) -> None:
    """Join sections or facilities to counties, or measure rivers per county.

    sections / facilities: each point gets county, city and adcode (a point within 100 m
    outside every county goes to the nearest and is flagged 'near'). rivers: the length
    in km of each river in each county.

    \b
    Example:
      geoenv join sections --sections 断面.xlsx -o 断面_区县.csv
      geoenv join rivers -o 河流长度.csv
    """
    check_writable(output, overwrite=overwrite)
    project = _project(ctx, kw)
    if what == "rivers":
        table = river_lengths(project["rivers"], project["counties"])
    else:
        if what not in project.layers:
            raise InputError(f"no {what} layer given")
        columns = SECTION_COLUMNS if what == "sections" else FACILITY_COLUMNS
        data = project[what]
        table = data.reindex(columns=[c for c in columns if c in data])
    write_csv(table, output, overwrite=overwrite)
    _log(ctx, f"wrote {len(table)} rows to {output}")


_DATE = click.DateTime(formats=["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"])
SHOWN = {
    "section": "断面编码", "name": "断面名称", "period": "时段", "class": "水质类别", "target": "目标",
    "meets_target": "达标", "main_pollutants": "主要污染指标", "cwqi": "CWQI", "n_samples": "样次",
    "class_change": "同比", "group": "分组", "n_sections": "断面数", "good_ratio": "优良比例",
    "worse_than_v_ratio": "劣V比例", "rating": "水质状况", "cwqi_rank": "排名",
}  # fmt: skip


@main.command()
@click.argument(
    "measurements_file",
    metavar="[MEASUREMENTS]",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@layer_options
@click.option(
    "--by",
    type=click.Choice(BY),
    help="Evaluate each month, quarter or year [default: year, or the one range --from … --to].",
)
@click.option("--from", "start", type=_DATE, help="First day (YYYY-MM-DD) of the data evaluated.")
@click.option("--to", "end", type=_DATE, help="Last day (YYYY-MM-DD) of the data evaluated.")
@click.option("--period", help="One month, quarter or year: 2024-06, 2024Q2, 2024.")
@click.option(
    "--water",
    type=click.Choice(["river", "lake"]),
    default="river",
    show_default=True,
    help="Water body of sections whose register has no 水体类型 column (lake: lake TP limits).",
)
@click.option("--lake-tn", is_flag=True, help="Also class lakes and reservoirs by total nitrogen.")
@click.option(
    "--group", type=click.Choice(GROUPS), help="Write the aggregate per river, county, city or all sections instead."
)
@table_output
@click.option(
    "--items",
    "items_output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write each item's mean, class and exceedance per section and period.",
)
@click.option(
    "--lenient",
    is_flag=True,
    help="Skip measurement rows with errors and list them in OUTPUT.skipped.csv (on the terminal without -o).",
)
@overwrite
@click.pass_context
def classify(
    ctx: click.Context,
    measurements_file: Path | None,
    by: str | None,
    start,
    end,
    period: str | None,
    water: str,
    lake_tn: bool,
    group: str | None,
    output: Path | None,
    items_output: Path | None,
    lenient: bool,
    overwrite: bool,
    **kw,
) -> None:
    """Class each section by GB 3838-2002 per month, quarter or year.

    The class of a period is that of the mean of each of the 21 evaluation items (a value
    below detection, 0.02L, counts as half the limit); the section takes its worst item's
    class (single-factor method). Also: main pollutants with their multiple over class III,
    compliance with the target (水质目标), exceedance frequency, CWQI, and the year-on-year
    (同比) change. With no MEASUREMENTS, the embedded sample is used. Columns of OUT:
    section, name, river, county, city, level, period, class, description, main_pollutants,
    cwqi, cwqi_items, missing_items, target, meets_target, exceeding_items, n_samples,
    exceed_freq, class_prev, class_change, cwqi_prev, cwqi_change, worst_items, water.
    With --group: group, period, n_sections, good_ratio, worse_than_v_ratio (fractions),
    rating (优 … 重度污染), rated_by, class_of_means, main_pollutants, cwqi, cwqi_rank.

    \b
    Examples:
      geoenv classify 监测数据.csv --sections 断面.xlsx --by month -o 月度评价.csv
      geoenv classify --period 2024Q2 --group city
      geoenv classify 监测数据.xlsx --from 2024-03-01 --to 2024-08-31 --lenient -o 评价.csv
    """
    if measurements_file and kw.get("measurements"):
        raise click.UsageError("give the measurements once: as MEASUREMENTS or with --measurements")
    kw["measurements"] = measurements_file or kw.get("measurements")
    if period and (by or start or end):
        raise click.UsageError("--period stands alone: drop --by, --from and --to")
    if start and end and start > end:
        raise click.UsageError(f"--from {start:%Y-%m-%d} is after --to {end:%Y-%m-%d}")
    outputs = [p for p in (output, items_output) if p]
    skipped_output = output.with_suffix(".skipped.csv") if lenient and output else None
    for path in [*outputs, *([skipped_output] if skipped_output else [])]:
        check_writable(path, overwrite=overwrite)
    chosen = parse_period(period) if period else None
    project = _project(ctx, kw, lenient=lenient)
    if by is None and not (start or end):
        by = "year"
    evaluation = assess(project, by=by, start=start, end=end, period=chosen, water=water, lake_tn=lake_tn)
    table = group_table(project, evaluation, group) if group else evaluation.sections
    for problem in project.skipped:
        _log(ctx, f"skipped: {problem}")
    if skipped_output:
        write_csv(problems_table(project.skipped), skipped_output, overwrite=overwrite)
    if items_output:
        write_csv(evaluation.items, items_output, overwrite=overwrite)
    if output:
        write_csv(table, output, overwrite=overwrite)
        _log(ctx, f"wrote {len(table)} rows to {output}")
    else:
        shown = table[[c for c in table.columns if c in SHOWN]].copy()
        for ratio in ("good_ratio", "worse_than_v_ratio"):
            if ratio in shown:
                shown[ratio] = shown[ratio].map("{:.1%}".format)
        click.echo(format_table(shown, SHOWN))


def _lines_source(path: Path, layer: str | None, id_field: str | None, name_field: str | None, src_crs: str | None):
    columns = {k: v for k, v in (("id", id_field), ("name", name_field)) if v}
    return LayerSource(path, layer=layer, columns=columns, crs=src_crs)


def _open_network(ctx: click.Context, source: LayerSource, flow: str, outlets, tolerance_m: float):
    started = time.perf_counter()
    net = open_network(
        source, flow=flow, outlets=outlets, tolerance_m=tolerance_m, progress=lambda note: _log(ctx, f"  … {note}")
    )
    report = net.report
    _log(ctx, f"network: {net.n} reaches from {source.path} in {time.perf_counter() - started:.1f} s")
    notes = {"duplicates_dropped": "repeated lines dropped", "gaps_bridged": "gaps bridged",
             "t_junctions_split": "lines split at T-junctions", "networks": "separate networks (pieces)",
             "ambiguous": "reaches in loops or braids "
             "(direction inferred, marked ambiguous)", "loops": "loops cut"}  # fmt: skip
    for key, text in notes.items():
        if report.get(key):
            _log(ctx, f"  {report[key]} {text}")
    if "outlets" in report:
        for row in report["outlets"].itertuples():
            how = "given" if row.given else "chosen by the outlet rule; --outlet to override"
            _log(ctx, f"  outlet {row.lon:.5f},{row.lat:.5f} ({how})")
    return net


def _project_network(ctx: click.Context, kw: dict, flow: str, outlets, tolerance_m: float):
    """The project's layers and its river network (``--rivers`` may be a saved network)."""
    saved = kw.get("rivers") if kw.get("rivers") and is_network_file(kw["rivers"]) else None
    if saved:
        kw["rivers"] = None
    project = _project(ctx, kw)
    if "sections" not in project.layers:
        raise InputError("no sections given (--sections)")
    source = LayerSource(saved) if saved else project.layers["rivers"].raw.source
    return project, _open_network(ctx, source, flow, outlets, tolerance_m)


def _basin(ctx: click.Context, kw: dict, flow: str, outlets, tolerance_m: float, radius_m: float):
    project, net = _project_network(ctx, kw, flow, outlets, tolerance_m)
    facilities = project["facilities"] if "facilities" in project.layers else None
    return project, open_basin(net, project["sections"], facilities, radius_m=radius_m)


_lines_argument = click.argument("lines", type=click.Path(exists=True, dir_okay=False, path_type=Path))


def _lines_options(func):
    for option in reversed(
        [
            click.option("--layer", help="Layer of LINES (GeoPackage)."),
            click.option("--id-field", help="Column holding each line's id (default: its feature number)."),
            click.option("--name-field", help="Column holding the river name (default: 河流名称/name …)."),
            click.option("--src-crs", help="CRS of LINES when the file declares none (EPSG code, WKT, gcj02)."),
            *[network_options],
        ]
    ):
        func = option(func)
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
@output_file("OUT.csv (id,toid,length_m,name … one row per link) or OUT.gpkg (layers reaches, links).", required=True)
@overwrite
@click.pass_context
def network_build(
    ctx: click.Context,
    lines: Path,
    layer,
    id_field,
    name_field,
    src_crs,
    flow,
    outlets,
    tolerance_m: float,
    output: Path,
    overwrite: bool,
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
    if output.suffix.lower() not in (".csv", ".gpkg"):
        raise click.BadParameter("write OUT.csv or OUT.gpkg", param_hint="-o")
    check_writable(output, overwrite=overwrite)
    net = _open_network(ctx, _lines_source(lines, layer, id_field, name_field, src_crs), flow, outlets, tolerance_m)
    if output.suffix.lower() == ".gpkg":
        save_network(net, output, overwrite=overwrite)
    else:
        write_csv(link_table(net), output, overwrite=overwrite)
    _log(ctx, f"wrote {output}")


@network.command(name="navigate")
@_lines_argument
@click.option("--start", help="Reach id to start from.")
@click.option(
    "--start-at",
    "start_at",
    metavar="LON,LAT",
    callback=lambda c, p, v: _lonlat(c, p, (v,)) if v else [],
    help="Start at the reach nearest this point (within --radius-m).",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    required=True,
    help="UT upstream with tributaries, UM upstream main stem, DM downstream main stem, DD downstream with diversions.",
)
@click.option("--distance-km", type=click.FloatRange(min=0), help="Stop this far along the network.")
@radius_option
@_lines_options
@table_output
@overwrite
@click.pass_context
def network_navigate(
    ctx: click.Context,
    lines: Path,
    start,
    start_at,
    mode,
    distance_km,
    radius_m,
    layer,
    id_field,
    name_field,
    src_crs,
    flow,
    outlets,
    tolerance_m,
    output,
    overwrite,
) -> None:
    """Reaches up- or downstream of a reach or a point, nearest first: id, distance_km, length_km.

    From a point, the first row is the part of its reach above (UT, UM) or below (DM, DD) it.
    Distances run from the start's downstream end (UT, UM) or upstream end (DM, DD).

    \b
    Examples:
      geoenv network navigate 河网.gpkg --start R013.1 --mode UT --distance-km 50
      geoenv network navigate data/rivers/shanxi_rivers.geojson --start-at 112.35,37.53 --mode DM -o 下游.csv
    """
    if bool(start) == bool(start_at):
        raise click.UsageError("give one of --start ID and --start-at LON,LAT")
    if output:
        check_writable(output, overwrite=overwrite)
    net = _open_network(ctx, _lines_source(lines, layer, id_field, name_field, src_crs), flow, outlets, tolerance_m)
    table = navigate_from(net, start=start, start_at=start_at[0] if start_at else None, mode=mode,
                          distance_km=distance_km, radius_m=radius_m)  # fmt: skip
    table = table.drop(columns="reach")
    if output:
        write_csv(table, output, overwrite=overwrite)
        _log(ctx, f"wrote {len(table)} reaches to {output}")
    else:
        click.echo(format_table(table))


@main.command()
@basin_options
@output_file("OUT.csv: code, downstream_code, distance_km, upstream_codes, control_km, facilities …", required=True)
@click.option(
    "--save-network",
    "save_network_to",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the network with the located sections, facilities and relations (GeoPackage).",
)
@overwrite
@click.pass_context
def relations(
    ctx: click.Context, flow, outlets, tolerance_m, radius_m, output: Path, save_network_to, overwrite, **kw
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
    for path in filter(None, (output, save_network_to)):
        check_writable(path, overwrite=overwrite)
    _, basin = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    result = section_relations(basin)
    for what in result.unlocated:
        _log(ctx, f"warning: {what} is more than {radius_m:g} m from every river: not placed")
    if result.disconnected:
        _log(ctx, f"warning: {len(result.disconnected)} sections lie on pieces not connected to any given outlet "
                  f"(their outlet was chosen by rule): {', '.join(result.disconnected)}")  # fmt: skip
    write_csv(result.sections, output, overwrite=overwrite)
    if save_network_to:
        save_network(basin.net, save_network_to, overwrite=overwrite, extra=relation_layers(basin, result))
    _log(ctx, f"wrote {len(result.sections)} sections to {output}")


_period = click.option(
    "--period", help="Month, quarter or year judged: 2024-06, 2024Q2, 2024 [default: the latest year with data]."
)
_map_out = click.option(
    "--map", "map_output", type=click.Path(dir_okay=False, path_type=Path), help="Also draw it on an offline HTML map."
)


def _outputs(overwrite: bool, *paths) -> None:
    for path in filter(None, paths):
        check_writable(path, overwrite=overwrite)


def _emit(ctx: click.Context, table, output: Path | None, overwrite: bool, what: str) -> None:
    if output:
        write_csv(table, output, overwrite=overwrite)
        _log(ctx, f"wrote {len(table)} {what} to {output}")
    else:
        click.echo(format_table(table))


@main.command(name="trace")
@click.argument("section")
@basin_options
@_period
@click.option(
    "--mode",
    type=click.Choice(["UT", "UM"]),
    default="UT",
    show_default=True,
    help="UT: the whole upstream network; UM: the main stem only.",
)
@click.option("--distance-km", type=click.FloatRange(min=0), help="Search this far up the network.")
@click.option(
    "--kinds", default=",".join(SOURCE_KINDS), show_default=True, help="Facility kinds to list, comma-separated."
)
@click.option(
    "--stop-at-compliant",
    is_flag=True,
    help="Stop at upstream sections that meet their target in the period: the source lies below them.",
)
@table_output
@_map_out
@overwrite
@click.pass_context
def trace_(
    ctx: click.Context,
    section: str,
    flow,
    outlets,
    tolerance_m,
    radius_m,
    period,
    mode,
    distance_km,
    kinds,
    stop_at_compliant,
    output,
    map_output,
    overwrite,
    **kw,
) -> None:
    """Trace an exceeding section upstream (超标断面溯源): candidate sources, ranked.

    Lists every facility upstream of SECTION (code or name) within the limits, with its
    network distance and a score (fit of its kind to the exceeding items × proximity × size;
    see the README), and the monitoring sections on the way with their class and compliance.

    \b
    Examples:
      geoenv trace SX014 --period 2024 --stop-at-compliant
      geoenv trace 汾河孝义断面 --distance-km 50 --kinds sewage_plant,outfall -o 溯源.csv --map 溯源.html
    """
    _outputs(overwrite, output, map_output)
    wanted = tuple(k.strip() for k in kinds.split(",") if k.strip())
    unknown = sorted(set(wanted) - set(FACILITY_LABELS_ZH))
    if unknown:
        raise click.BadParameter(f"unknown kinds {', '.join(unknown)}; use {', '.join(FACILITY_LABELS_ZH)}",
                                 param_hint="--kinds")  # fmt: skip
    project, basin = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    chosen = parse_period(period) if period else latest_year(project)
    status = section_status(assess(project, period=chosen))
    result = trace(basin, section, status=status, mode=mode, distance_km=distance_km, kinds=wanted,
                   stop_at_compliant=stop_at_compliant)  # fmt: skip
    row = basin.section(section)
    if str(row["code"]) in status.index:
        s = status.loc[str(row["code"])]
        _log(ctx, f"{row['code']} {row['name']} in {chosen.label}: class {s['class']}, target {s['target']}, "
                  f"exceeding: {'、'.join(s['exceeding']) or 'none'}")  # fmt: skip
    if result.stops:
        _log(ctx, f"stopped at compliant sections: {', '.join(result.stops)}")
    if map_output:
        title = f"溯源：{row['code']} {row['name']}（{chosen.label}）"
        style = MapStyle(title)
        html = build_overview(project, style=style, basin=basin, highlights=(trace_highlight(basin, result),)).html
        write_text(html, map_output, overwrite=overwrite)
    _emit(ctx, result.table, output, overwrite, "rows")


@main.command()
@basin_options
@click.option("--facility", help="The spill's source: a facility id or name (its outfall).")
@click.option(
    "--at",
    "at",
    metavar="LON,LAT",
    callback=lambda c, p, v: _lonlat(c, p, (v,))[0] if v else None,
    help="The spill's source: a point on a river.",
)
@click.option(
    "--velocity-ms",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_VELOCITY_MS,
    show_default=True,
    help="Mean flow velocity; a velocity column (流速) in the rivers layer wins.",
)
@click.option("--distance-km", type=click.FloatRange(min=0), help="Follow the spill this far.")
@table_output
@_map_out
@overwrite
@click.pass_context
def impact(
    ctx: click.Context,
    flow,
    outlets,
    tolerance_m,
    radius_m,
    facility,
    at,
    velocity_ms,
    distance_km,
    output,
    map_output,
    overwrite,
    **kw,
) -> None:
    """Rehearse a spill (突发水污染事件推演): what lies downstream, how far, and when it arrives.

    Lists every section, drinking-water source and county border below the spill, nearest
    first, with the network distance and the arrival time at the flow velocity.

    \b
    Examples:
      geoenv impact --facility F042 --velocity-ms 0.8
      geoenv impact --at 112.05,37.95 --distance-km 100 -o 推演.csv --map 推演.html
    """
    if bool(facility) == bool(at):
        raise click.UsageError("give one of --facility ID and --at LON,LAT")
    _outputs(overwrite, output, map_output)
    project, basin = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    borders = crossings(basin, project["counties"]).crossings
    borders = borders.assign(name=borders["upstream_unit"] + " → " + borders["downstream_unit"],
                             county=borders["downstream_unit"])  # fmt: skip
    result = impact_(basin, facility=facility, at=at, velocity_ms=velocity_ms, distance_km=distance_km, borders=borders)
    if map_output:
        title = f"突发水污染事件推演：{facility or f'{at[0]},{at[1]}'}"
        style = MapStyle(title)
        html = build_overview(project, style=style, basin=basin, highlights=(impact_highlight(basin, result),)).html
        write_text(html, map_output, overwrite=overwrite)
    _emit(ctx, result.table, output, overwrite, "rows")


@main.command(name="crossings")
@basin_options
@click.option(
    "--level",
    type=click.Choice(["county", "city"]),
    default="county",
    show_default=True,
    help="Borders of counties or of cities.",
)
@click.option(
    "--near-km",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="How far from a crossing a section may be to watch it.",
)
@output_file("OUT.csv, one row per crossing; OUT.units.csv beside it, one row per unit.", required=True)
@overwrite
@click.pass_context
def crossings_(ctx: click.Context, flow, outlets, tolerance_m, radius_m, level, near_km, output, overwrite, **kw):
    """Where rivers cross borders, and which sections watch each crossing (跨界断面).

    For each crossing: river, upstream unit → downstream unit, location, and the nearest
    section on each side within --near-km ('missing' says which side has none). Per unit
    (OUT.units.csv): inflow (入境) and outflow (出境) sections, and the sections whose
    upstream water comes partly from other units, with those units.

    \b
    Examples:
      geoenv crossings -o 跨界.csv
      geoenv crossings --level city --near-km 10 -o 跨市.csv
    """
    units_output = output.with_suffix(".units.csv")
    _outputs(overwrite, output, units_output)
    project, basin = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    result = crossings(basin, project["counties"], level=level, near_km=near_km)
    write_csv(result.crossings.drop(columns=["reach", "measure_m"]), output, overwrite=overwrite)
    write_csv(result.units, units_output, overwrite=overwrite)
    unwatched = (result.crossings["missing"] != "").sum()
    _log(ctx, f"wrote {len(result.crossings)} crossings ({unwatched} without a section on some side within "
              f"{near_km:g} km) to {output}, and {len(result.units)} units to {units_output}")  # fmt: skip


@main.command(name="report")
@basin_options
@_period
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Column headers.")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the CSVs and report.xlsx.",
)
@overwrite
@click.pass_context
def report_(ctx: click.Context, flow, outlets, tolerance_m, radius_m, period, lang, output, overwrite, **kw) -> None:
    """The bureau's tables for a period, as CSVs and one XLSX workbook.

    Sheets: section register (class, compliance, main pollutants, CWQI, upstream and
    downstream sections), facility register by kind (downstream section, distance), county
    and river summaries (优良比例, 劣V share, rating, CWQI), and the exceedances with the top
    three traced candidates of each.

    \b
    Examples:
      geoenv report -o 报表
      geoenv report --sections 断面.xlsx --measurements 监测数据.csv --period 2024Q3 -o 三季度报表
    """
    output.mkdir(parents=True, exist_ok=True)
    _outputs(overwrite, *(output / f"{k}.csv" for k in SHEETS), output / "report.xlsx")
    project, basin = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    chosen = parse_period(period) if period else latest_year(project)
    for path in write_report(bureau_tables(project, basin, chosen), output, lang=lang, overwrite=overwrite):
        _log(ctx, f"wrote {path}")
    click.echo(str((output / "report.xlsx").resolve()))


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--layer", help="Layer or sheet to describe (default: all).")
@click.pass_context
def info(ctx: click.Context, path: Path, layer: str | None) -> None:
    """Describe a file: layers, CRS, feature count, bounds, encoding, recognised columns.

    \b
    Example:
      geoenv info data/rivers/shanxi_rivers.geojson
      geoenv info 断面.xlsx --layer 国考断面
    """
    for line in describe(path, layer=layer):
        click.echo(line)
