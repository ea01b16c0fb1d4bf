"""``geoenv dossier``: a page per facility of a kind (尾矿库一库一档) and an index."""

from __future__ import annotations

import click

from geoenv import answers
from geoenv.cli.base import _basin, _log, _outputs, _stated_period, echo, main
from geoenv.cli.options import basin_options, option
from geoenv.io.write import text_writer, write_files
from geoenv.maps import dossier_pages
from geoenv.text import counted

#: Pages named in a note at most.
SHOWN = 5


@main.command(name="dossier")
@basin_options
@option("facility_kind")
@option("hours")
@option("velocity_ms")
@option("river_velocity")
@option("period", help="The sections' classes: 2024-06, 2024Q2, 2024 [default: the latest year with data].")
@option("output_dir", default=None, show_default=False, required=True,
        help="Folder for index.html and a page per facility.")  # fmt: skip
@option("overwrite")
@click.pass_context
def dossier(
    ctx: click.Context,
    flow,
    outlets,
    tolerance_m,
    radius_m,
    kind,
    hours,
    velocity_ms,
    river_velocity,
    period,
    output,
    overwrite,
    **kw,
) -> None:
    """A file per facility of a kind (尾矿库一库一档): one print-friendly page each, and an index.

    Each page (HTML for A4, no script, nothing fetched from the internet) gives the register's
    data, county and city, the river and the place on it (reach, measure, distance to the
    outlet), the nearest sections upstream and downstream with their class and compliance in
    --period, the sections, drinking-water sources and borders a spill reaches within --hours
    at --velocity-ms (--river-velocity per river) with distance and arrival time, and a sketch map. DIR/index.html lists
    the facilities with their first receptor and its arrival. A facility that is not on the
    river network still gets its page, saying so.

    \b
    Examples:
      geoenv dossier -o 尾矿库一库一档
      geoenv dossier --kind industrial_park --hours 12 --velocity-ms 0.8 --period 2024 -o 园区档案
    """
    _outputs(overwrite, {"-o index.html": output / "index.html"}, kw, create_folders=True)
    project = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    result = answers.dossier(
        project, kind=kind, hours=hours, velocity_ms=velocity_ms, river_velocity=dict(river_velocity), period=period
    )
    _stated_period(ctx, period, result.period)
    pages = dossier_pages(project.basin, result)
    write_files({output / name: text_writer(page) for name, page in pages.items()}, overwrite=overwrite,
                create_folders=True)  # fmt: skip
    unplaced = sum(d.why == "not_placed" for d in result.dossiers)
    if unplaced:
        _log(ctx, f"note: {counted(unplaced, 'facility', 'facilities')} {'lies' if unplaced == 1 else 'lie'} on "
                  "no river (their pages say so)")  # fmt: skip
    others = sorted(p.name for p in output.glob("*.html") if p.name not in pages)
    if others:
        _log(ctx, f"note: {counted(len(others), 'page')} in {output} {'is' if len(others) == 1 else 'are'} not in "
                  f"this index (an earlier run's?), left as they are: {', '.join(others[:SHOWN])}"
                  + (" …" if len(others) > SHOWN else ""))  # fmt: skip
    _log(ctx, f"wrote {counted(len(result.dossiers), 'page')} and index.html to {output}")
    echo(str((output / "index.html").resolve()))
