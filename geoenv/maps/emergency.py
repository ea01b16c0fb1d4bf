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
from geoenv.text import shortened

#: The colour of a source's stretch by its kind: one legend line per kind, a layer per source.
KIND_COLOURS = {"tailings_pond": "#8e24aa", "industrial_park": "#6d4c41", "outfall": "#e53935",
                "sewage_plant": "#fb8c00"}  # fmt: skip
OTHER_COLOUR = "#546e7a"
RECEPTOR_COLOUR = "#1e88e5"
#: Characters of a source's name and id in the layer control (the popup has them whole).
LAYER_CHARS = 24


def plan_highlights(basin: Basin, plan: EmergencyPlan) -> tuple[Highlight, ...]:
    """A layer per risk source (the stretch reached within the hours and the source itself,
    coloured by its kind; the legend names each kind once), then the receptors reached (with
    how many sources reach each, the earliest arrival and its source, by name and code)."""
    sources = plan.sources
    points = gpd.GeoDataFrame(sources.assign(kind_zh=sources["kind"].map(FACILITY_LABELS_ZH)),
                              geometry=gpd.points_from_xy(sources["lon"], sources["lat"]), crs=4326)  # fmt: skip
    fields: tuple[tuple[str, str], ...] = (("id", "编号"), ("name", "名称"), ("kind_zh", "类型"), ("county", "区县"))
    labels = sources["name"].fillna("").astype(str) + " (" + sources["id"].astype(str) + ")"
    shown = [shortened(label, LAYER_CHARS) for label in labels]  # in the layer control
    layers, named = [], set()
    for source, kind, label in zip(sources["id"].astype(str), sources["kind"], shown, strict=True):
        lines = reach_pieces(basin.net, plan.pieces[source])
        legend = "" if kind in named else f"{FACILITY_LABELS_ZH.get(kind, kind)} {plan.hours:g} 小时可达范围"
        named.add(kind)
        layers.append(Highlight(escape(label), KIND_COLOURS.get(kind, OTHER_COLOUR), lines,
                                points[points["id"].astype(str) == source], fields, legend=legend))  # fmt: skip
    summary = plan.summary
    first = summary["earliest_source"].astype(str).map(dict(zip(sources["id"].astype(str), labels, strict=True)))
    reached = gpd.GeoDataFrame(
        summary.assign(kind_zh=summary["kind"].map(VALUE_WORDS["kind"]), earliest=first),
        geometry=gpd.points_from_xy(summary["lon"], summary["lat"]),
        crs=4326,
    )
    fields = (("id", "编号"), ("name", "名称"), ("kind_zh", "类型"), ("county", "区县"),
              ("n_sources", "可到达风险源数"), ("earliest_h", "最早到达(小时)"),
              ("earliest", "最早到达风险源"))  # fmt: skip
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
