"""The map of a network check: the rivers, and one highlight layer per kind of problem."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geoenv.maps.publish import Highlight, MapContent, MapStyle, publish_html
from geoenv.network.check import KINDS, NetworkCheck
from geoenv.network.graph import Network

COLOURS = {
    "near_misses": "#e53935",
    "pieces": "#fb8c00",
    "outlets": "#8e24aa",
    "loops": "#00897b",
    "crossings": "#d81b60",
    "duplicates": "#6d4c41",
    "short": "#c0ca33",
}
FIELDS = (
    ("kind", "问题 kind"), ("line_id", "线 line"), ("reach_id", "河段 reach"), ("river", "河流 river"),
    ("gap_m", "间距 gap (m)"), ("length_m", "长度 length (m)"), ("other_line_id", "邻线 other line"),
    ("other_river", "邻线河流 other river"), ("sections", "断面 sections"), ("note", "说明 note"),
)  # fmt: skip


def check_highlights(result: NetworkCheck) -> tuple[Highlight, ...]:
    """One highlight per kind that has rows, named ``中文 English (count)``; a line kind is
    drawn as lines with a point at the middle of each that carries the popup."""
    out = []
    for kind, frame in result.layers().items():
        if frame.empty:
            continue
        zh, en, geometry = KINDS[kind]
        name = f"{zh} {en} ({len(frame)})"
        shown = frame.assign(gap_m=frame["gap_m"].round(1), length_m=frame["length_m"].round(0))
        if geometry == "Point":
            out.append(Highlight(name, COLOURS[kind], None, shown, FIELDS))
            continue
        lines = shapely.line_merge(frame.geometry.to_numpy())
        middle = shapely.point_on_surface(lines)
        simple = shapely.get_type_id(lines) == 1
        middle[simple] = shapely.line_interpolate_point(lines[simple], 0.5, normalized=True)
        points = gpd.GeoDataFrame(shown.drop(columns="geometry"), geometry=middle, crs=frame.crs)
        out.append(Highlight(name, COLOURS[kind], frame[["geometry"]], points, FIELDS))
    return tuple(out)


def check_map(
    net: Network,
    result: NetworkCheck,
    *,
    sections: gpd.GeoDataFrame | None = None,
    title: str = "河网拓扑检查 network check",
    offline: bool = True,
) -> str:
    """The check's offline HTML map: rivers, sections when given, a layer per kind of problem."""
    rivers = net.reaches[["id", "name", "geometry"]].to_crs(4326)
    if sections is None:
        sections = gpd.GeoDataFrame({"code": [], "name": [], "class": []}, geometry=[], crs=4326)
    elif "class" not in sections:
        sections = sections.assign(**{"class": None})
    counties = gpd.GeoDataFrame({"name": []}, geometry=[], crs=4326)
    counts = ", ".join(f"{KINDS[k][0]} {len(f)}" for k, f in result.layers().items())
    style = MapStyle(title, note=f"容差 tolerance {result.tolerance_m:g} m — {counts}")
    content = MapContent(counties, rivers, sections, highlights=check_highlights(result))
    return publish_html(content, style, offline=offline)
