"""``geoenv emergency``: a river's emergency plan (一河一策一图)."""

from __future__ import annotations

from pathlib import Path

import click

from geoenv import answers
from geoenv.cli.base import _basin, _log, _outputs, echo, main
from geoenv.cli.options import basin_options, option
from geoenv.emergency_plan import EMERGENCY_KINDS, PLAN_FILES, plan_files
from geoenv.io.write import text_writer, write_files
from geoenv.maps.emergency import emergency_map
from geoenv.tables import register_names


@main.command()
@basin_options
@option("river", required=True, help="The river planned for, with its tributaries, e.g. --river 汾河.")
@option("kinds", default=",".join(EMERGENCY_KINDS), help="Facility kinds that are risk sources, comma-separated.")
@option("hours")
@option("velocity_ms")
@option("river_velocity")
@option("output_dir", default=None, show_default=False, required=True,
        help="Folder for 一河一策.xlsx, the two CSVs and index.html (the map).")  # fmt: skip
@option("lang")
@option("overwrite")
@click.pass_context
def emergency(
    ctx: click.Context,
    flow,
    outlets,
    tolerance_m,
    radius_m,
    river: str,
    kinds: tuple[str, ...],
    hours: float,
    velocity_ms: float,
    river_velocity: dict[str, float],
    output: Path,
    lang: str,
    overwrite: bool,
    **kw,
) -> None:
    """A river's emergency plan (一河一策一图): where a spill from each risk source arrives, and when.

    For every risk source on the river and its tributaries (tailings ponds, industrial
    parks, outfalls and sewage plants; --kinds), every drinking-water source, national (国考)
    section and county or province border crossing downstream of it that a spill reaches
    within --hours, with the network distance and the arrival time at --velocity-ms
    (--river-velocity for one river's own). Downstream may leave the river: what lies on the
    river it flows into counts.

    Writes OUTPUT/一河一策.xlsx (a summary sheet: per receptor the sources reaching it and the
    earliest arrival; then a sheet per risk source, its receptors in arrival order),
    一河一策汇总.csv and 一河一策明细.csv (every source × receptor), and index.html: the river's
    map (offline) with a layer per source (the stretch reached within the hours) and the
    receptors.

    \b
    Examples:
      geoenv emergency --river 汾河 -o 汾河一河一策
      geoenv emergency --river 汾河 --hours 12 --velocity-ms 0.4 --river-velocity 黄河=1.2 -o 汾河12h
      geoenv emergency --river 汾河 --kinds tailings_pond --facilities 尾矿库.xlsx -o 尾矿库
    """
    if not river.strip():
        raise click.BadParameter("name a river, e.g. --river 汾河", param_hint="--river")
    _outputs(overwrite, {f"-o {name}": output / name for name in (*PLAN_FILES, "index.html")}, kw,
             create_folders=True)  # fmt: skip
    project = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    plan = answers.emergency(project, river=river, kinds=kinds, hours=hours, velocity_ms=velocity_ms,
                             river_velocity=river_velocity)  # fmt: skip
    for note in plan.notes:
        _log(ctx, f"note: {note}")
    files = plan_files(plan, output, names=register_names(project.basin), lang=lang)
    files[output / "index.html"] = text_writer(emergency_map(project, plan))
    write_files(files, overwrite=overwrite, create_folders=True)
    _log(ctx, f"{len(plan.sources)} risk sources on {river}, {len(plan.summary)} receptors reached within "
              f"{hours:g} h ({len(plan.pairs)} source × receptor pairs)")  # fmt: skip
    for path in files:
        _log(ctx, f"wrote {path}")
    echo(str((output / "index.html").resolve()))
