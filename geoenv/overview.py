"""The section distribution map (国控断面分布图) and its joined tables, from a loaded project."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geoenv.assessment import assess, latest_year, section_status
from geoenv.basin import Basin, open_basin
from geoenv.data import SAMPLE_NOTE
from geoenv.jurisdiction import river_lengths
from geoenv.maps import Highlight, overview_map, render_html
from geoenv.network.graph import Network
from geoenv.project import Project
from geoenv.schema import FACILITY_LABELS_ZH
from geoenv.trace import Impact, Trace, impact, trace

SECTION_COLUMNS = [
    "code", "name", "river", "level", "target_class", "class", "meets_target", "main_pollutants",
    "cwqi", "worst_items", "n_samples", "county", "city", "adcode", "admin_match", "lon", "lat",
]  # fmt: skip
FACILITY_COLUMNS = [
    "id", "name", "kind", "kind_zh", "river", "capacity", "county", "city", "adcode",
    "admin_match", "lon", "lat", "outfall_lon", "outfall_lat",
]  # fmt: skip


@dataclass
class Overview:
    """A rendered overview map and the tables behind it."""

    html: str
    sections: pd.DataFrame
    facilities: pd.DataFrame
    river_lengths: pd.DataFrame


def classify_sections(project: Project) -> pd.DataFrame:
    """Sections with their class over all the measurements given, and whether they meet target."""
    sections = project["sections"].copy()
    columns = ["class", "main_pollutants", "cwqi", "meets_target", "worst_items", "n_samples"]
    if "measurements" in project.layers:
        evaluation = assess(project, by=None)
        sections = sections.join(evaluation.sections.set_index("section")[columns], on="code")
    for column in (*columns, "river", "level", "target_class"):
        if column not in sections:
            sections[column] = None
    return sections


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


def build_overview(project: Project, *, title: str, highlights: tuple[Highlight, ...] = ()) -> Overview:
    """Classify sections, join everything to counties and render the map (nothing written)."""
    sections = classify_sections(project)
    facilities = project["facilities"].copy() if "facilities" in project.layers else None
    note = SAMPLE_NOTE + " · 示例数据，非官方监测数据" if project.embedded else ""
    fmap = overview_map(
        counties=project["counties"],
        rivers=project["rivers"],
        sections=sections,
        facilities=facilities,
        title=title,
        note=note,
        highlights=highlights,
    )
    table = sections.reindex(columns=SECTION_COLUMNS).sort_values("code", kind="stable")
    if facilities is not None:
        facilities["kind_zh"] = facilities["kind"].map(FACILITY_LABELS_ZH)
        ftable = facilities.reindex(columns=FACILITY_COLUMNS).sort_values("id", kind="stable")
    else:
        ftable = pd.DataFrame(columns=FACILITY_COLUMNS)
    lengths = river_lengths(project["rivers"], project["counties"])
    return Overview(render_html(fmap), table, ftable, lengths)


def demo_highlights(project: Project, net: Network) -> tuple[tuple[Highlight, ...], list[str]]:
    """For the demo: a trace of the first sample section that misses its target in the latest
    year (stopping at compliant sections), and a spill drill from the first tailings pond that
    lies on a river. Returns the highlights and a line on each."""
    basin = open_basin(net, project["sections"], project.get("facilities"))
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
