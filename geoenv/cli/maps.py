"""``geoenv demo`` and ``geoenv map``: the published maps and their tables."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import click
import pandas as pd
from click.core import ParameterSource

from geoenv.cli.base import _basin, _lang, _log, _outputs, _project, _stated_period, echo, main
from geoenv.cli.options import basin_options, option
from geoenv.io.write import Writer, csv_writer, text_writer, write_files
from geoenv.maps import build_atlas, demo_maps, publish_html, screenshot
from geoenv.maps.atlas import TABLE_FILES, map_style
from geoenv.maps.publish import basemap_tiles
from geoenv.quality import parse_period
from geoenv.tables import bureau_table, sort_natural


@main.command()
@option("output_dir")
@option("lang")
@option("overwrite")
@click.pass_context
def demo(ctx: click.Context, output: Path, lang: str, overwrite: bool) -> None:
    """Run the whole job on the embedded Shanxi data and write the maps.

    Writes OUTPUT/index.html (opens with no network): the section distribution map of the
    latest year with a slider over the years, a trace of an exceeding section and a spill
    drill from a tailings pond, linking one map per named river (OUTPUT/汾河.html …) and the
    trace (OUTPUT/trace.html); and the tables sections.csv, facilities.csv,
    river_lengths.csv. The sample registers are illustrative, not official monitoring data.

    \b
    Example:
      geoenv demo -o maps --overwrite
    """
    started = time.perf_counter()
    result = demo_maps(_project(ctx, {}))
    for note in result.notes:
        _log(ctx, note)
    _write_maps(ctx, output, overwrite, result.atlas.tables, result.pages, started)


@main.command(name="map")
@basin_options
@option("map_page")
@option("overwrite")
@option("title")
@option("period", help="Show the classes of one month, quarter or year: 2024-06, 2024Q2, 2024.")
@option("timeline")
@option("river")
@option("county")
@option("city")
@option("labels")
@option("basemap")
@option("tianditu_key")
@option("choropleth")
@option("cdn")
@option("png")
@option("lang")
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
    city,
    labels,
    basemap,
    tianditu_key,
    choropleth,
    cdn,
    png,
    lang,
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
      geoenv map --city 吕梁市 --labels --period 2024 -o 吕梁市.html
    """
    started = time.perf_counter()
    if river is not None and not river.strip():
        raise click.BadParameter("name a river, e.g. --river 汾河 (an empty name would draw every river)",
                                 param_hint="--river")  # fmt: skip
    if county is not None and not county.strip():
        raise click.BadParameter("name a county, e.g. --county 清徐县 (an empty name would draw every county)",
                                 param_hint="--county")  # fmt: skip
    if city is not None and not city.strip():
        raise click.BadParameter("name a city, e.g. --city 吕梁市 (an empty name would draw every city)",
                                 param_hint="--city")  # fmt: skip
    folder, name, prefix = _map_paths(output)
    _outputs(overwrite, {f"-o {name}": folder / name} | {f"-o {prefix}{t}": folder / (prefix + t) for t in TABLE_FILES}
             | {"--png": png}, kw, create_folders=True)  # fmt: skip
    basemap_tiles(basemap, tianditu_key)  # a bad basemap stops here, before any work
    project = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    atlas = build_atlas(project, parse_period(period) if period else None, timeline=timeline)
    _stated_period(ctx, period, atlas.period)
    area = " ".join(n for n in (city, county, river) if n)
    if area and ctx.get_parameter_source("title") is ParameterSource.DEFAULT:  # the map names what it shows
        title = f"{area} {title}"
    style = map_style(project, title, basemap=basemap, tianditu_key=tianditu_key,
                      choropleth=choropleth, timeline=timeline, labels=labels)  # fmt: skip
    page = atlas.page(river=river, county=county, city=city)
    html = publish_html(page, style, offline=not cdn)
    tables = atlas.page_tables(page, county=county, city=city) if river or county or city else atlas.tables
    also: dict[Path, Writer] = {}
    if png:
        shot = screenshot(publish_html(page, replace(style, print_layout=True)))
        also[png] = lambda tmp: tmp.write_bytes(shot)
    _write_maps(ctx, folder, overwrite, tables, {name: html}, started, also=also, prefix=prefix)


def _map_paths(output: Path) -> tuple[Path, str, str]:
    """Where ``-o`` puts the map: its folder, the page's file name and the prefix of the tables'
    names. A folder holds ``index.html`` and ``sections.csv`` …; a file ``X.html`` (that is
    not a folder) is the page, with ``X.sections.csv`` … beside it."""
    if output.suffix.lower() in (".html", ".htm") and not output.is_dir():
        return output.parent, output.name, f"{output.stem}."
    return output, "index.html", ""


def _write_maps(
    ctx: click.Context,
    output: Path,
    overwrite: bool,
    tables: dict[str, pd.DataFrame],
    pages: dict[str, str],
    started: float,
    also: dict[Path, Writer] | None = None,
    prefix: str = "",
):
    """The map folder (the pages, the main one first, and their tables, each name after
    ``prefix``) and ``also`` as one set."""
    files: dict[Path, Writer] = {output / name: text_writer(html) for name, html in pages.items()}
    lang = _lang(ctx)
    files.update({output / (prefix + name): csv_writer(bureau_table(sort_natural(table, ["code", "id"]), lang))
                  for name, table in tables.items()})  # fmt: skip
    files.update(also or {})
    write_files(files, overwrite=overwrite, create_folders=True)
    sections, facilities = tables["sections.csv"], tables["facilities.csv"]
    _log(ctx, f"{len(sections)} sections, {len(facilities)} facilities, {len(pages)} maps "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    for path in also or {}:
        _log(ctx, f"wrote {path}")
    echo(str((output / next(iter(pages))).resolve()))
