"""The map of a river's emergency plan (一河一策一图): the river's map (as ``geoenv map
--river``) with, per risk source, the stretch a spill from it reaches within the plan's hours
(a layer each, to toggle) and the receptors reached, with their earliest arrival."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pandas as pd

from geoenv.basin import Basin
from geoenv.emergency_plan import EmergencyPlan
from geoenv.maps.atlas import build_atlas, highlight_extent, map_style
from geoenv.maps.publish import Highlight, escape, publish_html
from geoenv.network.substring import reach_pieces
from geoenv.project import Project
from geoenv.schema import FACILITY_LABELS_ZH
from geoenv.tables import VALUE_WORDS

#: The colours of the sources' layers, in turn.
SOURCE_COLOURS = ("#e53935", "#fb8c00", "#8e24aa", "#6d4c41", "#d81b60", "#00897b", "#5e35b1", "#c0ca33")
RECEPTOR_COLOUR = "#1e88e5"


def plan_highlights(basin: Basin, plan: EmergencyPlan) -> tuple[Highlight, ...]:
    """A layer per risk source (the stretch reached within the hours and the source itself),
    then the receptors reached (with how many sources reach each, the earliest arrival and
    its source)."""
    sources = plan.sources
    points = gpd.GeoDataFrame(sources.assign(kind_zh=sources["kind"].map(FACILITY_LABELS_ZH)),
                              geometry=gpd.points_from_xy(sources["lon"], sources["lat"]), crs=4326)  # fmt: skip
    fields: tuple[tuple[str, str], ...] = (("id", "编号"), ("name", "名称"), ("kind_zh", "类型"), ("county", "区县"))
    layers = []
    for i, (source, label) in enumerate(zip(sources["id"].astype(str), sources["id"] + " " + sources["name"],
                                            strict=True)):  # fmt: skip
        lines = reach_pieces(basin.net, plan.pieces[source])
        legend = f"{label} {plan.hours:g} 小时可达范围"
        layers.append(Highlight(escape(label), SOURCE_COLOURS[i % len(SOURCE_COLOURS)], lines,
                                points[points["id"].astype(str) == source], fields, legend=legend))  # fmt: skip
    summary = plan.summary
    reached = gpd.GeoDataFrame(
        summary.assign(kind_zh=summary["kind"].map(VALUE_WORDS["kind"])),
        geometry=gpd.points_from_xy(summary["lon"], summary["lat"]),
        crs=4326,
    )
    fields = (("id", "编号"), ("name", "名称"), ("kind_zh", "类型"), ("county", "区县"),
              ("n_sources", "可到达风险源数"), ("earliest_h", "最早到达(小时)"),
              ("earliest_source", "最早到达风险源"))  # fmt: skip
    layers.append(Highlight("敏感目标 receptors", RECEPTOR_COLOUR, None, reached, fields,
                            legend=f"敏感目标（{plan.hours:g} 小时内可到达）"))  # fmt: skip
    return tuple(layers)


def emergency_map(project: Project, plan: EmergencyPlan, *, offline: bool = True) -> str:
    """The map of ``plan``: the river with its tributaries (the classes of the project's
    latest year), the sources' stretches and the receptors over it, opening on the river and
    every stretch reached (which may run on below the river)."""
    basin = project.basin
    highlights = plan_highlights(basin, plan)
    page = build_atlas(project).page(river=plan.river, highlights=highlights)
    drawn = [h for h in highlights if any(f is not None and len(f) for f in (h.lines, h.points))]
    if drawn:
        focus = pd.concat([page.focus, *(highlight_extent(h) for h in drawn)], ignore_index=True)
        page = replace(page, focus=gpd.GeoSeries(focus, crs=4326))
    title = f"{plan.river}一河一策一图（{plan.velocity_words}，{plan.hours:g} 小时内）"
    return publish_html(page, map_style(project, title), offline=offline)
