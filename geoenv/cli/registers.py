"""``geoenv validate``, ``join``, ``classify`` and ``info``: the registers and their water quality."""

from __future__ import annotations

from pathlib import Path

import click

from geoenv.assessment import assess, group_table
from geoenv.basin import placement_problems
from geoenv.cli.base import _emit, _log, _network_report, _outputs, _project, _summary, echo, main
from geoenv.cli.display import format_table
from geoenv.cli.info import describe
from geoenv.cli.options import basin_options, config_problems, layer_options, option
from geoenv.errors import InputError, problems_table
from geoenv.io.gis import Places
from geoenv.io.write import csv_writer, sibling, write_files
from geoenv.jurisdiction import river_lengths
from geoenv.maps.atlas import FACILITY_COLUMNS, SECTION_COLUMNS
from geoenv.quality import parse_period
from geoenv.settings import NetworkSettings, PlacementSettings
from geoenv.tables import bureau_table, sort_natural
from geoenv.text import counted


@main.command()
@basin_options
@click.pass_context
def validate(ctx: click.Context, flow, outlets, tolerance_m, radius_m, **kw) -> None:
    """Check every layer and list every problem (not just the first).

    Exits 1 when any problem is an error; warnings (a repaired polygon, a point just
    outside a county) are listed but pass. With rivers, every section and facility that
    cannot be placed within --radius-m, or lies on a piece of network that reaches no given
    outlet, is named.

    \b
    Example:
      geoenv validate --sections 断面.csv --facilities 设施.xlsx --src-crs facilities=gcj02
    """
    network = NetworkSettings(flow=flow, outlets=tuple(outlets), tolerance_m=tolerance_m)
    config = ctx.meta.get("geoenv.config")
    project = _project(ctx, kw, network=network, placement=PlacementSettings(radius_m=radius_m), raise_errors=False)
    if config is not None:  # every command's section, as the command would check it
        project.problems.extend(config_problems(ctx, config))
    if not project.errors and "sections" in project.layers and "rivers" in project.sources:
        _network_report(ctx, project)
        project.problems.extend(placement_problems(project.basin))
    for severity in ("error", "warning"):
        for line in _summary([p for p in project.problems if p.severity == severity], severity):
            echo(line, err=True)
    for kind, layer in project.layers.items():
        rows = counted(len(layer.raw.frame) if layer.raw.is_table else len(layer.data), "row")
        values = f", {counted(len(layer.data), 'value')}" if kind == "measurements" else ""
        _log(ctx, f"{kind}: {layer.file}: {rows}{values}")
    errors = project.errors
    if errors:
        echo(f"{counted(len(errors), 'error')}, {counted(len(project.problems) - len(errors), 'warning')}", err=True)
        ctx.exit(1)
    echo(f"ok: {counted(len(project.problems), 'warning')}")


@main.command()
@click.argument("what", type=click.Choice(["sections", "facilities", "rivers"]))
@layer_options
@option("output", help="OUT.csv, or (sections, facilities) OUT.gpkg / OUT.shp of points (WGS84).", required=True)
@option("encoding")
@option("lang")
@option("overwrite")
@click.pass_context
def join(ctx: click.Context, what: str, output: Path, lang: str, overwrite: bool, **kw) -> None:
    """Join sections or facilities to counties, or measure rivers per county.

    sections / facilities: each point gets county, city and adcode (a point within 100 m
    outside every county goes to the nearest and is flagged 'near'). rivers: the length
    in km of each river in each county.

    \b
    Example:
      geoenv join sections --sections 断面.xlsx -o 断面_区县.csv
      geoenv join rivers -o 河流长度.csv
    """
    if what == "rivers" and output.suffix.lower() not in ("", ".csv"):
        raise click.BadParameter("join rivers writes a table of lengths: OUT.csv", param_hint="-o")
    _outputs(overwrite, {"-o": output}, kw)
    project = _project(ctx, kw)
    if what == "rivers":
        lines = project["rivers"] if "rivers" in project.layers else project.network.reaches
        table, places = river_lengths(lines, project["counties"]), None
    else:
        if what not in project.layers:
            raise InputError(f"no {what} layer given")
        columns = SECTION_COLUMNS if what == "sections" else FACILITY_COLUMNS
        data = sort_natural(project[what], [columns[0]])
        table = data.reindex(columns=[c for c in columns if c in data])
        places = Places(data.geometry, layer=what)
    _emit(ctx, table, output, overwrite, "rows", places=places)


#: The columns ``classify`` shows on the terminal (all of them go to ``-o``).
SHOWN = ("section", "name", "period", "class", "target", "meets_target", "main_pollutants", "cwqi", "n_samples",
         "no_sample", "class_change", "group", "n_sections", "good_ratio", "worse_than_v_ratio", "rating",
         "cwqi_rank")  # fmt: skip


@main.command()
@click.argument(
    "measurements_file",
    metavar="[MEASUREMENTS]",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@layer_options
@option("by")
@option("start")
@option("end")
@option("period", help="One month, quarter or year: 2024-06, 2024Q2, 2024.")
@option("water")
@option("lake_tn")
@option("group")
@option("csv_output")
@option("items_output")
@option("lenient")
@option("lang")
@option("overwrite")
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
    lang: str,
    overwrite: bool,
    **kw,
) -> None:
    """Class each section by GB 3838-2002 per month, quarter or year.

    The class of a period is that of the mean of each of the 21 evaluation items (a value
    below detection, 0.02L, counts as half the limit); the section takes its worst item's
    class (single-factor method). Also: main pollutants with their multiple over class III,
    compliance with the target (水质目标), exceedance frequency, CWQI, and the year-on-year
    (同比) change. With no MEASUREMENTS, the embedded sample is used. Columns of OUT (Chinese
    headers and values by default; these names and raw values with --lang en):
    section, name, river, county, city, level, period, class, description, main_pollutants,
    cwqi, cwqi_items, missing_items, target, meets_target, exceeding_items, n_samples,
    no_sample (months not sampled, by the remark: 断流 2、冰封 1), exceed_freq, class_prev,
    class_change, cwqi_prev, cwqi_change, worst_items, water.
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
    skipped_output = sibling(output, ".skipped.csv") if lenient and output else None
    _outputs(overwrite, {"-o": output, "--items": items_output, "the skipped rows": skipped_output}, kw)
    chosen = parse_period(period) if period else None
    project = _project(ctx, kw, lenient=lenient)
    if by is None and not (start or end):
        by = "year"
    evaluation = assess(project, by=by, start=start, end=end, period=chosen, water=water, lake_tn=lake_tn)
    table = group_table(project, evaluation, group) if group else evaluation.sections
    table = sort_natural(table, ["group", "section", "period"])
    for problem in project.skipped:
        _log(ctx, f"skipped: {problem}")
    also = {}
    if skipped_output:
        also[skipped_output] = csv_writer(bureau_table(problems_table(project.skipped), lang))
    if items_output:
        also[items_output] = csv_writer(bureau_table(sort_natural(evaluation.items, ["section", "period"]), lang))
    if output:
        _emit(ctx, table, output, overwrite, "rows", also=also)
        return
    write_files(also, overwrite=overwrite)
    echo(format_table(bureau_table(table[[c for c in table.columns if c in SHOWN]], lang)), lines=True)


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@option("layer")
@option("kind")
@click.pass_context
def info(ctx: click.Context, path: Path, layer: str | None, kind: str | None) -> None:
    """Describe a file: layers, CRS, feature count, bounds, encoding, recognised columns.

    For tables also where the table is: the header row below any title rows, a units row and
    a 检出限 row under it, blank and note rows skipped, merged cells filled, and, for a
    workbook, the sheet each kind is read from.

    \b
    Example:
      geoenv info 河流.shp
      geoenv info 断面.xlsx --layer 国考断面
      geoenv info 监测数据.xlsx --kind measurements
    """
    for line in describe(path, layer=layer, kind=kind):
        echo(line)
