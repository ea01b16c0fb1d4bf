"""The section distribution map (国控断面分布图) and its joined tables, from a loaded project."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from geoenv.assessment import assess, group_table, latest_year, section_status
from geoenv.basin import Basin
from geoenv.crs import working_crs
from geoenv.jurisdiction import river_lengths
from geoenv.maps import Highlight, MapContent, MapError, MapStyle, publish_map, render_html
from geoenv.network.navigate import upstream
from geoenv.project import Project
from geoenv.quality import Period
from geoenv.relate import next_downstream, section_relations
from geoenv.schema import FACILITY_LABELS_ZH
from geoenv.tracing import Impact, Trace, impact, trace

SECTION_COLUMNS = [
    "code", "code_generated", "name", "river", "level", "target_class", "class", "meets_target", "main_pollutants",
    "cwqi", "worst_items", "n_samples", "county", "city", "adcode", "admin_match", "lon", "lat",
]  # fmt: skip
FACILITY_COLUMNS = [
    "id", "id_generated", "name", "kind", "kind_zh", "river", "capacity", "capacity_unit", "county", "city", "adcode",
    "admin_match", "lon", "lat", "outfall_lon", "outfall_lat",
]  # fmt: skip


@dataclass
class Overview:
    """A rendered overview map and the tables behind it."""

    html: str
    sections: pd.DataFrame
    facilities: pd.DataFrame
    river_lengths: pd.DataFrame


def classify_sections(project: Project, period: Period | None = None) -> pd.DataFrame:
    """Sections with their class over ``period`` (all the measurements given when None), and
    whether they meet target."""
    sections = project["sections"].copy()
    columns = ["class", "main_pollutants", "cwqi", "meets_target", "worst_items", "n_samples"]
    if "measurements" in project.layers:
        evaluation = assess(project, by=None) if period is None else assess(project, period=period)
        sections = sections.join(evaluation.sections.set_index("section")[columns], on="code")
    for column in (*columns, "river", "level", "target_class"):
        if column not in sections:
            sections[column] = None
    return sections


def period_classes(project: Project, by: str) -> tuple[list[str], pd.Series]:
    """Every month, quarter or year of the data, and each section's class in each (for a slider)."""
    evaluation = assess(project, by=by)
    table = evaluation.sections.pivot(index="section", columns="period", values="class")
    periods = sorted(table.columns)
    classes = table.reindex(columns=periods).astype(object).where(table.notna(), None)
    return periods, pd.Series(classes.to_numpy().tolist(), index=classes.index)


def trace_highlight(basin: Basin, result: Trace) -> Highlight:
    """The traced network and the candidate facilities, for a map."""
    found = result.table[result.table["kind"] != "section"]
    points = (
        basin.facilities.merge(found[["id", "distance_km", "score"]], on="id") if basin.facilities is not None else None
    )
    if points is not None:
        points = points.assign(kind_zh=points["kind"].map(FACILITY_LABELS_ZH))
    fields = (("id", "编号"), ("name", "名称"), ("kind_zh", "类型"), ("distance_km", "距离(km)"), ("score", "得分"))
    traced = basin.sections[basin.sections["code"].astype(str) == result.section]
    traced = traced.assign(id=traced["code"], kind_zh="溯源断面", distance_km=0.0, score=None)
    points = pd.concat([p for p in (traced, points) if p is not None], ignore_index=True)
    lines = basin.net.reaches.iloc[result.reaches]
    return Highlight("溯源 trace", "#8e24aa", lines, gpd.GeoDataFrame(points, geometry="geometry", crs=4326), fields)


def impact_highlight(basin: Basin, result: Impact) -> Highlight:
    """The spill's path and the sections and water sources it reaches, for a map."""
    reached = result.table[result.table["kind"] != "border"]
    frames = [basin.sections.rename(columns={"code": "id"})]
    if basin.facilities is not None:
        frames.append(basin.facilities)
    points = pd.concat([f[["id", "name", "geometry"]] for f in frames], ignore_index=True)
    points = gpd.GeoDataFrame(points, geometry="geometry", crs=4326).merge(
        reached[["id", "distance_km", "arrival_h"]], on="id"
    )
    fields = (("id", "编号"), ("name", "名称"), ("distance_km", "距离(km)"), ("arrival_h", "到达(小时)"))
    return Highlight("污染推演 spill", "#e53935", basin.net.reaches.iloc[result.reaches], points, fields)


def build_overview(
    project: Project,
    *,
    style: MapStyle,
    basin: Basin | None = None,
    period: Period | None = None,
    timeline: bool = False,
    river: str | None = None,
    county: str | None = None,
    highlights: tuple[Highlight, ...] = (),
    offline: bool = True,
) -> Overview:
    """Classify sections, place everything, and render the map (nothing written).

    Parameters
    ----------
    basin
        The network with the registers placed on it: rivers are then drawn reach by reach,
        coloured by the class of the section that controls them, and popups name the
        upstream and downstream sections.
    period
        The period whose classes are shown (all the data when None).
    timeline
        Add a slider over the periods of ``period``'s kind (years by default).
    river, county
        Draw only this river with its tributaries, or this county with the rivers crossing it
        and the sections just across its borders.
    """
    sections = classify_sections(project, period)
    facilities = project["facilities"].copy() if "facilities" in project.layers else None
    rivers = project["rivers"] if basin is None else None
    periods: list[str] = []
    if timeline and "measurements" in project.layers:
        periods, classes = period_classes(project, period.kind if period and period.kind != "range" else "year")
        sections["classes"] = sections["code"].map(classes)
    if basin is not None:
        relations = section_relations(basin)
        related = relations.sections.set_index("code")
        for column in ("upstream_codes", "downstream_code"):
            sections[column] = sections["code"].map(related[column])
        sections["placed"] = sections["code"].map(basin.sections.set_index("code")["reach"] >= 0)
        if facilities is not None:
            down = relations.facilities.set_index("id")
            facilities["downstream_code"] = facilities["id"].map(down["downstream_code"])
            facilities["distance_km"] = facilities["id"].map(down["distance_km"])
            facilities["placed"] = facilities["id"].map(basin.facilities.set_index("id")["reach"] >= 0)
        rivers = _classed_reaches(basin, sections)
    counties = _with_county_figures(project, style.choropleth, period)
    content = MapContent(counties, rivers, sections, facilities, periods, period.label if period else None, highlights)
    if river:
        content = only_river(content, basin, river)
    if county:
        content = only_county(content, county)
    html = render_html(publish_map(content, style), offline=offline)
    table = sections.reindex(columns=SECTION_COLUMNS).sort_values("code", kind="stable")
    if facilities is not None:
        facilities["kind_zh"] = facilities["kind"].map(FACILITY_LABELS_ZH)
        ftable = facilities.reindex(columns=FACILITY_COLUMNS).sort_values("id", kind="stable")
    else:
        ftable = pd.DataFrame(columns=FACILITY_COLUMNS)
    # the rivers of the network when there is one (a saved network is not the embedded rivers)
    lines = basin.net.reaches[["name", "geometry"]] if basin is not None else project["rivers"]
    lengths = river_lengths(lines, project["counties"])
    return Overview(html, table, ftable, lengths)


def _classed_reaches(basin: Basin, sections: pd.DataFrame) -> gpd.GeoDataFrame:
    """Reaches in WGS84 with the class of the section that controls each (the first section
    below it) and a width growing with the length of river above (arbolate sum)."""
    net = basin.net
    placed = basin.sections
    below, _ = next_downstream(
        net, np.arange(net.n), np.zeros(net.n), placed["reach"].to_numpy(), placed["measure_m"].to_numpy(), strict=False
    )
    classes = placed["code"].map(sections.set_index("code")["class"]).to_numpy()
    reaches = net.reaches[["id", "name", "geometry"]].to_crs(4326)
    reaches["class"] = np.where(below >= 0, classes[np.maximum(below, 0)], None)
    reaches["weight"] = np.clip(1 + 1.2 * np.log10(1 + net.arbolate / 1000), 1, 7)
    reaches["reach"] = np.arange(net.n)
    return reaches


def _with_county_figures(project: Project, column: str | None, period: Period | None) -> gpd.GeoDataFrame:
    """Counties, with a county aggregate (good_ratio, worse_than_v_ratio, cwqi …) joined when
    asked for as the choropleth column."""
    counties = project["counties"]
    if not column or column in counties or "measurements" not in project.layers:
        return counties
    evaluation = assess(project, by=None) if period is None else assess(project, period=period)
    figures = group_table(project, evaluation, "county")
    if column not in figures:
        return counties
    by_county = figures.drop_duplicates("group").set_index("group")[column]
    return counties.assign(**{column: counties["name"].map(by_county)})


def only_river(content: MapContent, basin: Basin | None, name: str) -> MapContent:
    """The river ``name`` with its tributaries (everything upstream of its lowest reach)."""
    if basin is None:
        raise MapError("--river needs the river network (rivers layer)")
    reaches = basin.net.reaches
    names = sorted(set(reaches["name"]) - {""})
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.3)
        raise MapError(f"--river {name!r}: no river of that name; rivers: {'、'.join(close or names[:10])}")
    own = np.flatnonzero(reaches["name"].to_numpy() == name)
    lowest = own[np.argmin(basin.net.pathlength[own])]
    members, _ = upstream(basin.net, int(lowest))
    keep = set(members.tolist()) | set(own.tolist())
    rivers = content.rivers[content.rivers["reach"].isin(keep)]
    on = basin.sections.loc[basin.sections["reach"].isin(keep), "code"]
    sections = content.sections[content.sections["code"].isin(on)]
    facilities = content.facilities
    if facilities is not None and basin.facilities is not None:
        facilities = facilities[facilities["id"].isin(basin.facilities.loc[basin.facilities["reach"].isin(keep), "id"])]
    return replace(content, rivers=rivers, sections=sections, facilities=facilities, focus=rivers.geometry)


def only_county(content: MapContent, name: str, *, margin_km: float = 5.0) -> MapContent:
    """The county ``name``, the rivers crossing it, its sections and those just across its
    borders (within ``margin_km``), and its facilities."""
    counties = content.counties
    if name not in set(counties["name"]):
        close = difflib.get_close_matches(name, counties["name"].astype(str).tolist(), n=3, cutoff=0.3)
        raise MapError(f"--county {name!r}: no such county" + (f"; did you mean {'、'.join(close)}?" if close else ""))
    shape = counties.loc[counties["name"] == name, "geometry"].union_all()
    metric = working_crs(shape.bounds)
    area = gpd.GeoSeries([shape], crs=4326).to_crs(metric)
    around = area.buffer(margin_km * 1000).to_crs(4326).iloc[0]
    rivers = content.rivers[content.rivers.intersects(shape)]
    sections = content.sections[content.sections.within(around)]
    facilities = content.facilities
    if facilities is not None:
        facilities = facilities[facilities.within(shape)]
    return replace(content, rivers=rivers, sections=sections, facilities=facilities, focus=area.to_crs(4326))


def demo_highlights(project: Project, basin: Basin) -> tuple[tuple[Highlight, ...], list[str]]:
    """For the demo: a trace of the first sample section that misses its target in the latest
    year (stopping at compliant sections), and a spill drill from the first tailings pond that
    lies on a river. Returns the highlights and a line on each."""
    period = latest_year(project)
    status = section_status(assess(project, period=period))
    highlights, notes = [], []
    failing = sorted(status.index[status["meets_target"].eq(False)])
    placed = set(basin.sections.loc[basin.sections["reach"] >= 0, "code"].astype(str))
    failing = [code for code in failing if code in placed]
    if failing:
        result = trace(basin, failing[0], status=status, stop_at_compliant=True)
        highlights.append(trace_highlight(basin, result))
        notes.append(f"trace of {failing[0]} ({period.label}): {len(result.table)} rows, stops {result.stops}")
    if basin.facilities is not None:
        ponds = basin.facilities[(basin.facilities["kind"] == "tailings_pond") & (basin.facilities["reach"] >= 0)]
        if len(ponds):
            spill = impact(basin, facility=str(ponds["id"].iloc[0]))
            highlights.append(impact_highlight(basin, spill))
            notes.append(f"spill drill from {ponds['id'].iloc[0]}: reaches {len(spill.table)} places")
    return tuple(highlights), notes
