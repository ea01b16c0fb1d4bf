"""``geoenv trace``, ``impact``, ``crossings`` and ``report``: the investigations."""

from __future__ import annotations

import click

from geoenv import answers
from geoenv.cli.base import (
    _basin,
    _emit,
    _log,
    _outputs,
    _stated_period,
    echo,
    main,
)
from geoenv.cli.options import basin_options, option
from geoenv.io.gis import answer_places
from geoenv.io.write import csv_writer, sibling, text_writer, write_files
from geoenv.maps import impact_map, trace_map
from geoenv.network.substring import piece_lines
from geoenv.quality.evaluate import item_name
from geoenv.reports import SHEETS, write_report
from geoenv.tables import REACH_WORDS, bureau_table, register_names, sort_natural


@main.command(name="trace")
@click.argument("section")
@basin_options
@option("period")
@option("mode")
@option("distance_km", help="Search this far up the network.")
@option("kinds")
@option("stop_at_compliant")
@option("output")
@option("encoding")
@option("map_output")
@option("lang")
@option("overwrite")
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
    lang,
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
    _outputs(overwrite, {"-o": output, "--map": map_output}, kw)
    project = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    basin = project.basin
    result = answers.trace(project, section, period=period, mode=mode, distance_km=distance_km, kinds=kinds,
                           stop_at_compliant=stop_at_compliant)  # fmt: skip
    chosen = result.period
    row = basin.section(section)
    status = project.status(chosen) if chosen is not None else None
    if chosen is not None and status is not None and str(row["code"]) in status.index:
        s = status.loc[str(row["code"])]
        _log(ctx, f"{row['code']} {row['name']} in {chosen.label}: class {s['class']}, target {s['target']}, "
                  f"exceeding: {'、'.join(map(item_name, s['exceeding'])) or 'none'}")  # fmt: skip
    if result.stops:
        _log(ctx, f"stopped at compliant sections: {', '.join(result.stops)}")
    for note in result.notes:
        _log(ctx, f"note: {note}")
    also = {}
    if map_output:
        also[map_output] = text_writer(trace_map(project, result))
    places = answer_places(result.table, layer="trace", sections=basin.sections, facilities=basin.facilities,
                           lines=piece_lines(basin.net, result.pieces))  # fmt: skip
    _emit(ctx, result.table, output, overwrite, "rows", also=also, places=places)


@main.command()
@basin_options
@option("facility")
@option("at")
@option("velocity_ms")
@option("river_velocity")
@option("distance_km", help="Follow the spill this far.")
@option("hours", default=None, show_default=False, help="Follow the spill this many hours (with --distance-km: "
        "whichever ends first).")  # fmt: skip
@option("start_time")
@option("period", help="The classes its map shows: 2024-06, 2024Q2, 2024 [default: the latest year with data].")
@option("output")
@option("encoding")
@option("map_output")
@option("lang")
@option("overwrite")
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
    river_velocity,
    distance_km,
    hours,
    start_time,
    period,
    output,
    map_output,
    lang,
    overwrite,
    **kw,
) -> None:
    """Rehearse a spill (突发水污染事件推演): what lies downstream, how far, and when it arrives.

    Lists every section, drinking-water source and county border below the spill, nearest
    first, with the network distance and the arrival time at the flow velocity (and the clock
    time of each arrival with --start-time). The map shows the classes of --period.

    \b
    Examples:
      geoenv impact --facility F042 --velocity-ms 0.8 --start-time 2024-07-01T08:00
      geoenv impact --facility F042 --river-velocity 汾河=0.6 --river-velocity 黄河=1.2
      geoenv impact --at 112.05,37.95 --distance-km 100 -o 推演.csv --map 推演.html
      geoenv impact --facility F042 --hours 12 --river-velocity 汾河=0.6 -o 推演12h.csv
    """
    if bool(facility) == bool(at):
        raise click.UsageError("give one of --facility ID and --at LON,LAT")
    _outputs(overwrite, {"-o": output, "--map": map_output}, kw)
    project = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    result = answers.impact(project, facility=facility, at=at, velocity_ms=velocity_ms, distance_km=distance_km,
                            hours=hours, period=period, start_time=start_time,
                            river_velocity=river_velocity)  # fmt: skip
    if map_output:
        _stated_period(ctx, period, result.period)
    for note in result.notes:
        _log(ctx, f"note: {note}")
    also = {}
    if map_output:
        also[map_output] = text_writer(impact_map(project, result, source=facility or f"{at[0]},{at[1]}"))
    basin = project.basin
    places = answer_places(result.table, layer="impact", sections=basin.sections, facilities=basin.facilities,
                           lines=piece_lines(basin.net, result.pieces),
                           borders=answers.crossings(project).crossings)  # fmt: skip
    _emit(ctx, result.table, output, overwrite, "rows", also=also, places=places)


@main.command(name="crossings")
@basin_options
@option("units")
@option("near_km")
@option("min_run_km")
@option("period")
@option(
    "csv_output",
    help="OUT.csv, one row per crossing; beside it OUT.units.csv, one row per unit, and "
    "OUT.sections.csv, one row per watching section and crossing.",
    required=True,
)
@option("lang")
@option("overwrite")
@click.pass_context
def crossings_(ctx: click.Context, flow, outlets, tolerance_m, radius_m, units, near_km, min_run_km, period, output,
               lang, overwrite, **kw):  # fmt: skip
    """Where rivers pass from one unit into another, and the sections watching each border (跨界断面).

    A passage from county (or --level city) A into B is one crossing: a stay in a unit shorter
    than --min-run-km (a river line zigzagging along a border) takes the unit of the first long
    run below it, so the crossing is where the river first leaves A, and '合并短距穿越' counts
    the stays merged on the way into B. A river along the area's edge (界河, the 黄河 on the
    province border), wandering out of the counties layer by less than 2 km, stays in the unit
    beside it and crosses only the borders between units.
    For each crossing: river, upstream unit → downstream unit, location, A's outflow section
    (出境: the last section inside A above the border, tributaries inside A included) and B's
    inflow section (入境: the first section inside B below it, before the river leaves B), each
    with its distance along the river to the border and its class and compliance in --period;
    '缺少断面' says which side has none and why. A section is only ever assigned to the unit it
    lies in (the register's county or city). OUT.units.csv lists each unit's inflow and outflow
    sections and the sections fed partly by other units; OUT.sections.csv one row per section,
    crossing and role (the table an ecological-compensation account starts from).

    \b
    Examples:
      geoenv crossings -o 跨界.csv
      geoenv crossings --level city --period 2024 -o 跨市.csv
      geoenv crossings --level city --near-km 10 --min-run-km 2 -o 跨市.csv
    """
    units_output, sections_output = sibling(output, ".units.csv"), sibling(output, ".sections.csv")
    _outputs(overwrite, {"-o": output, "the units table": units_output, "the sections table": sections_output}, kw)
    project = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    result = answers.crossings(project, units=units, near_km=near_km, min_run_km=min_run_km, period=period)
    _stated_period(ctx, period, result.period)
    names = register_names(project.basin)
    unit = "区县" if units == "county" else "地市"
    files = {
        output: csv_writer(bureau_table(result.crossings.drop(columns=["reach", "measure_m"]), lang, names=names,
                                        headers={"upstream_unit": f"上游{unit}", "downstream_unit": f"下游{unit}"},
                                        words=REACH_WORDS)),
        units_output: csv_writer(bureau_table(sort_natural(result.units, ["unit"]), lang, names=names,
                                              headers={"unit": unit})),
        sections_output: csv_writer(bureau_table(sort_natural(result.sections, ["section", "crossing"]), lang,
                                                 names=names, headers={"unit": f"所在{unit}",
                                                                       "other_unit": f"对方{unit}"})),
    }  # fmt: skip
    write_files(files, overwrite=overwrite)
    if result.merged:
        _log(ctx, f"merged {result.merged} short stays (< {min_run_km:g} km) into the unit below them "
                  "(a crossing's 合并短距穿越 counts the stays on its way)")  # fmt: skip
    if result.along_edge:
        _log(ctx, f"{result.along_edge} stretches along the area's edge (界河) counted in the unit beside them")
    if result.crossings.empty:
        _log(ctx, f"no river passes from one {units} into another (or into or out of the area)")
    unwatched = result.crossings["missing"].str.contains("section|beyond").sum()  # not 区域外
    within = "" if near_km is None else f" within {near_km:g} km"
    _log(ctx, f"wrote {len(result.crossings)} crossings ({unwatched} lacking an outflow or inflow section{within}, "
              f"besides the area's edge) to {output}, {len(result.units)} units to {units_output} and "
              f"{len(result.sections)} watching sections to {sections_output}")  # fmt: skip


@main.command(name="report")
@basin_options
@option("period")
@option("lang")
@option("output_dir", default=None, show_default=False, required=True, help="Folder for the CSVs and report.xlsx.")
@option("overwrite")
@click.pass_context
def report_(ctx: click.Context, flow, outlets, tolerance_m, radius_m, period, lang, output, overwrite, **kw) -> None:
    """The bureau's tables for a period, as CSVs and one XLSX workbook.

    Sheets: section register (class, compliance, main pollutants, CWQI, upstream and
    downstream sections; by river, upstream to downstream), facility register by kind
    (downstream section, distance), county and river summaries (优良比例, 劣V share, rating,
    CWQI), the exceedances with the top three traced candidates of each, 同比 (each county's,
    river's and all sections' 优良比例, 劣V share and CWQI against the same period a year
    before) and 月度 (the class of each section in each month). Each sheet of report.xlsx
    has a title row with the period.

    \b
    Examples:
      geoenv report -o 报表
      geoenv report --sections 断面.xlsx --measurements 监测数据.csv --period 2024Q3 -o 三季度报表
    """
    files = [f"{k}.csv" for k in SHEETS] + ["report.xlsx"]
    _outputs(overwrite, {f"-o {name}": output / name for name in files}, kw, create_folders=True)
    project = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    chosen = answers.period_of(project, period)
    tables = answers.report(project, chosen)
    written = write_report(tables, output, period=chosen, names=register_names(project.basin), lang=lang,
                           overwrite=overwrite)  # fmt: skip
    for path in written:
        _log(ctx, f"wrote {path}")
    echo(str((output / "report.xlsx").resolve()))
