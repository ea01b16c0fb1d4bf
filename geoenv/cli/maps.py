"""``geoenv demo`` and ``geoenv map``: the published maps and their tables."""

from __future__ import annotations

import time
from pathlib import Path

import click

from geoenv.cli.base import _basin, _log, _outputs, _project, echo, main
from geoenv.cli.options import basin_options, option
from geoenv.datasets import ATTRIBUTION, SAMPLE_NOTE_ZH
from geoenv.io.write import Writer, csv_writer, safe_filename, text_writer, write_files
from geoenv.maps import MapStyle, screenshot
from geoenv.maps.publish import basemap_tiles
from geoenv.overview import (
    build_overview,
    demo_highlights,
)
from geoenv.quality import parse_period


@main.command()
@option("output_dir")
@option("overwrite")
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
    basin = project.basin
    net = basin.net
    highlights, notes = demo_highlights(project, basin)
    for note in notes:
        _log(ctx, note)
    rivers = sorted(set(net.reaches["name"]) - {""})
    files = _page_names(rivers)
    links = {name: files[name] for name in rivers} | {"溯源示例 trace": "trace.html"}
    pages = {}
    for name in rivers:
        style = MapStyle(f"{name}（示例）", note=SAMPLE_NOTE_ZH, attribution=ATTRIBUTION, links={"总图": "index.html"})
        pages[files[name]] = build_overview(project, style=style, basin=basin, river=name).html
    style = MapStyle("溯源示例（示例）", note=SAMPLE_NOTE_ZH, attribution=ATTRIBUTION, links={"总图": "index.html"})
    pages["trace.html"] = build_overview(project, style=style, basin=basin, highlights=highlights[:1]).html
    style = MapStyle("山西省地表水监测断面分布图（示例）", note=SAMPLE_NOTE_ZH, attribution=ATTRIBUTION,
                     links=links, timeline=True)  # fmt: skip
    result = build_overview(project, style=style, basin=basin, highlights=highlights, timeline=True)
    _write_maps(ctx, output, overwrite, result, pages, started)


@main.command(name="map")
@basin_options
@option("output_dir")
@option("overwrite")
@option("title")
@option("period", help="Show the classes of one month, quarter or year: 2024-06, 2024Q2, 2024.")
@option("timeline")
@option("river")
@option("county")
@option("basemap")
@option("tianditu_key")
@option("choropleth")
@option("cdn")
@option("png")
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
    if river is not None and not river.strip():
        raise click.BadParameter("name a river, e.g. --river 汾河 (an empty name would draw every river)",
                                 param_hint="--river")  # fmt: skip
    if county is not None and not county.strip():
        raise click.BadParameter("name a county, e.g. --county 清徐县 (an empty name would draw every county)",
                                 param_hint="--county")  # fmt: skip
    _outputs(overwrite, {f"-o {name}": output / name for name in TABLES} | {"--png": png}, kw, create_folders=True)
    style = MapStyle(title, basemap=basemap, tianditu_key=tianditu_key, choropleth=choropleth, timeline=timeline)
    basemap_tiles(basemap, tianditu_key)  # a bad basemap stops here, before any work
    project = _basin(ctx, kw, flow, outlets, tolerance_m, radius_m)
    basin = project.basin
    if project.embedded:
        style.note, style.attribution = SAMPLE_NOTE_ZH, ATTRIBUTION
    chosen = parse_period(period) if period else None
    result = build_overview(project, style=style, basin=basin, period=chosen, timeline=timeline, river=river,
                            county=county, offline=not cdn)  # fmt: skip
    also: dict[Path, Writer] = {}
    if png:
        shot = screenshot(result.html)
        also[png] = lambda tmp: tmp.write_bytes(shot)
    _write_maps(ctx, output, overwrite, result, {}, started, also=also)


TABLES = ("index.html", "sections.csv", "facilities.csv", "river_lengths.csv")


def _page_names(rivers: list[str]) -> dict[str, str]:
    """A file name per river map, safe whatever the river is called and distinct from the
    tables' and from one another (``A/B`` and ``A_B`` → ``A_B.html``, ``A_B-2.html``)."""
    taken = {name.lower() for name in (*TABLES, "trace.html")}
    names = {}
    for river in rivers:
        name = safe_filename(river, suffix=".html")
        stem, n = name[: -len(".html")], 2
        while name.lower() in taken:
            name = safe_filename(f"{stem}-{n}", suffix=".html")
            n += 1
        taken.add(name.lower())
        names[river] = name
    return names


def _write_maps(
    ctx: click.Context,
    output: Path,
    overwrite: bool,
    result,
    pages: dict[str, str],
    started: float,
    also: dict[Path, Writer] | None = None,
):
    """The map folder (index.html, the tables, the pages) and ``also`` as one set."""
    files: dict[Path, Writer] = {
        output / "index.html": text_writer(result.html),
        output / "sections.csv": csv_writer(result.sections),
        output / "facilities.csv": csv_writer(result.facilities),
        output / "river_lengths.csv": csv_writer(result.river_lengths),
    }
    files.update({output / name: text_writer(html) for name, html in pages.items()})
    files.update(also or {})
    write_files(files, overwrite=overwrite, create_folders=True)
    _log(ctx, f"{len(result.sections)} sections, {len(result.facilities)} facilities, {len(pages) + 1} maps "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    for path in also or {}:
        _log(ctx, f"wrote {path}")
    echo(str((output / "index.html").resolve()))
