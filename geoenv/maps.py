"""Folium maps that open with no network and come out byte-identical for the same input.

Leaflet's script, stylesheet and control images are inlined from the ``django-js-lib-leaflet``
package (Leaflet 1.9.4, BSD-2-Clause), which ships them as plain files. folium's other
default assets (jQuery, Bootstrap, Font Awesome, awesome-markers) serve features these maps
do not use and are left out; any other asset an element asks for is an error rather than a
silent CDN link. Every data-derived string is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from importlib import resources

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from geoenv.errors import GeoenvError
from geoenv.quality import CLASS_ORDER, NO_DATA_COLOUR, PALETTE
from geoenv.schema import FACILITY_LABELS_ZH, LEVEL_LABELS_ZH

LEAFLET_PACKAGE = "js_lib_leaflet"
INLINED = {"leaflet": "leaflet.js", "leaflet_css": "leaflet.css"}
NOT_NEEDED = {
    "jquery",
    "bootstrap",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers",
    "awesome_markers_css",
    "awesome_markers_font_css",
    "awesome_rotate_css",
}

LEVEL_OUTLINE = {"national": "#000000", "provincial": "#5A5A5A", "city": "#A0A0A0"}
# kind: (symbol, colour) — symbols are text, so no marker images are needed.
FACILITY_SYMBOLS = {
    "sewage_plant": ("■", "#1565C0"),
    "wetland": ("✿", "#2E7D32"),
    "tailings_pond": ("▲", "#6D4C41"),
    "outfall": ("▼", "#C62828"),
    "water_source": ("◆", "#00838F"),
    "industrial_park": ("⬣", "#6A1B9A"),
    "other": ("●", "#616161"),
}


class MapError(GeoenvError):
    """A map cannot be made as asked."""


def escape(value: object) -> str:
    """Escape a data value for HTML, and for JavaScript template strings (backtick, ``$``)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return html.escape(str(value)).replace("`", "&#96;").replace("$", "&#36;")


def _escaped(frame: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame({c: frame[c].map(escape) for c in columns}, geometry=frame.geometry, crs=frame.crs)
    return out.to_crs(4326)


class _Html(MacroElement):
    """A fixed block of HTML placed on the page (legend, title)."""

    _template = Template("{% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}")

    def __init__(self, body: str):
        super().__init__()
        self._name = "Html"
        self.body = body


def overview_map(
    *,
    counties: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame,
    sections: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None,
    title: str,
    note: str = "",
    highlights: tuple[Highlight, ...] = (),
) -> folium.Map:
    """The section distribution map: counties, rivers, sections by class, facilities by kind.

    ``sections`` needs ``code, name, river, county, level, target_class`` and ``class`` (I …
    劣V, or empty when there is no data). Strings are escaped here.
    """
    if sections.empty:
        raise MapError("no sections to draw")
    minx, miny, maxx, maxy = counties.to_crs(4326).total_bounds
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=True, zoom_snap=0.25)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    county_cols = [c for c in ("name", "city") if c in counties]
    folium.GeoJson(
        _escaped(counties, county_cols),
        name="区县 counties",
        style_function=lambda _: {
            "color": "#7a7a7a",
            "weight": 1,
            "fillColor": "#f4f1ea",
            "fillOpacity": 0.6,
        },
        tooltip=folium.GeoJsonTooltip(county_cols, aliases=["区县", "地市"][: len(county_cols)]),
    ).add_to(fmap)
    labels = folium.FeatureGroup(name="区县名称 county names")
    for name, point in zip(counties["name"], counties.to_crs(4326).representative_point(), strict=True):
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(html=f'<div class="geoenv-label">{escape(name)}</div>', icon_size=(80, 14)),
        ).add_to(labels)
    labels.add_to(fmap)

    named = rivers[rivers["name"].fillna("") != ""] if "name" in rivers else rivers.iloc[:0]
    folium.GeoJson(
        _escaped(rivers.assign(name=rivers.get("name", "")), ["name"]),
        name="河流 rivers",
        style_function=lambda f: {
            "color": "#3a7bd5",
            "weight": 2.5 if f["properties"]["name"] else 1,
            "opacity": 0.9,
        },
        tooltip=folium.GeoJsonTooltip(["name"], aliases=["河流"]) if len(named) else None,
    ).add_to(fmap)

    shown = sections.assign(
        level_zh=sections["level"].map(LEVEL_LABELS_ZH).fillna(""),
        class_label=sections["class"].fillna("无数据"),
        main_pollutants=sections["main_pollutants"].fillna("—"),
        cwqi=sections["cwqi"].map(lambda v: f"{v:.2f}" if pd.notna(v) else "—"),
        colour=sections["class"].map(PALETTE).fillna(NO_DATA_COLOUR),
        outline=sections["level"].map(LEVEL_OUTLINE).fillna("#A0A0A0"),
    )
    fields = ["code", "name", "river", "county", "level_zh", "target_class", "class_label", "main_pollutants", "cwqi"]
    aliases = ["断面编码", "断面名称", "河流", "区县", "级别", "水质目标", "水质类别", "主要污染指标", "CWQI"]
    folium.GeoJson(
        _escaped(shown, [*fields, "colour", "outline"]),
        name="监测断面 sections",
        marker=folium.CircleMarker(radius=7, weight=2, fill=True, fill_opacity=0.95),
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": f["properties"]["outline"],
        },
        popup=folium.GeoJsonPopup(fields, aliases=aliases),
        tooltip=folium.GeoJsonTooltip(["name", "class_label"], aliases=["断面", "类别"]),
    ).add_to(fmap)

    if facilities is not None and len(facilities):
        ffields = [
            c for c in ("id", "name", "kind_zh", "county", "river", "capacity") if c in facilities or c == "kind_zh"
        ]
        faliases = {
            "id": "编号",
            "name": "名称",
            "kind_zh": "类型",
            "county": "区县",
            "river": "受纳水体",
            "capacity": "规模",
        }
        for kind, (symbol, colour) in FACILITY_SYMBOLS.items():
            subset = facilities[facilities["kind"] == kind]
            if subset.empty:
                continue
            subset = subset.assign(kind_zh=FACILITY_LABELS_ZH[kind])
            folium.GeoJson(
                _escaped(subset, ffields),
                name=f"{FACILITY_LABELS_ZH[kind]} {kind.replace('_', ' ')}",
                marker=folium.Marker(
                    icon=folium.DivIcon(
                        html=f'<div class="geoenv-symbol" style="color:{colour}">{symbol}</div>',
                        icon_size=(16, 16),
                        icon_anchor=(8, 8),
                    )
                ),
                popup=folium.GeoJsonPopup(ffields, aliases=[faliases[f] for f in ffields]),
            ).add_to(fmap)

    for highlight in highlights:
        _add_highlight(fmap, highlight)
    _Html(_legend_html(title, note, facilities)).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


@dataclass(frozen=True)
class Highlight:
    """A layer drawn over the map: a traced network or a spill's path and what it reaches.

    ``fields`` maps point columns to the labels shown in their popups.
    """

    name: str
    colour: str
    lines: gpd.GeoDataFrame | None = None
    points: gpd.GeoDataFrame | None = None
    fields: tuple[tuple[str, str], ...] = ()


def _add_highlight(fmap: folium.Map, highlight: Highlight) -> None:
    group = folium.FeatureGroup(name=highlight.name)
    if highlight.lines is not None and len(highlight.lines):
        folium.GeoJson(
            highlight.lines[["geometry"]].to_crs(4326),
            style_function=lambda _, c=highlight.colour: {"color": c, "weight": 6, "opacity": 0.6},
        ).add_to(group)
    if highlight.points is not None and len(highlight.points):
        columns = [c for c, _ in highlight.fields]
        folium.GeoJson(
            _escaped(highlight.points, columns),
            marker=folium.CircleMarker(radius=10, weight=3, fill=False, color=highlight.colour),
            popup=folium.GeoJsonPopup(columns, aliases=[a for _, a in highlight.fields]) if columns else None,
        ).add_to(group)
    group.add_to(fmap)


def _legend_html(title: str, note: str, facilities: gpd.GeoDataFrame | None) -> str:
    rows = "".join(
        f'<div><span class="geoenv-swatch" style="background:{PALETTE[c]}"></span>{c}类</div>' for c in CLASS_ORDER
    ).replace("劣V类", "劣V")
    rows += f'<div><span class="geoenv-swatch" style="background:{NO_DATA_COLOUR}"></span>无数据 no data</div>'
    levels = "".join(
        f'<div><span class="geoenv-ring" style="border-color:{LEVEL_OUTLINE[k]}"></span>{LEVEL_LABELS_ZH[k]}</div>'
        for k in LEVEL_OUTLINE
    )
    kinds = ""
    if facilities is not None:
        present = [k for k in FACILITY_SYMBOLS if (facilities["kind"] == k).any()]
        kinds = "".join(
            f'<div><span class="geoenv-symbol" style="color:{FACILITY_SYMBOLS[k][1]}">'
            f"{FACILITY_SYMBOLS[k][0]}</span> {FACILITY_LABELS_ZH[k]}</div>"
            for k in present
        )
    note_html = f'<div class="geoenv-note">{escape(note)}</div>' if note else ""
    return f"""
<style>
.geoenv-title {{position:fixed;top:10px;left:60px;z-index:1000;background:#fff;padding:6px 12px;
  font:bold 18px sans-serif;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)}}
.geoenv-legend {{position:fixed;bottom:30px;left:10px;z-index:1000;background:#fff;padding:8px 10px;
  font:12px sans-serif;line-height:18px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)}}
.geoenv-legend h4 {{margin:4px 0;font-size:13px}}
.geoenv-swatch {{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;
  border:1px solid #555;border-radius:50%}}
.geoenv-ring {{display:inline-block;width:10px;height:10px;margin-right:6px;vertical-align:middle;
  border:3px solid;border-radius:50%}}
.geoenv-symbol {{font-size:15px;line-height:16px;text-align:center;text-shadow:0 0 2px #fff}}
.geoenv-label {{font:11px sans-serif;color:#555;white-space:nowrap;text-shadow:0 0 3px #fff}}
.geoenv-note {{margin-top:6px;color:#b00;font-style:italic;max-width:220px}}
</style>
<div class="geoenv-title">{escape(title)}</div>
<div class="geoenv-legend" id="geoenv-legend">
<h4>水质类别 (GB 3838-2002)</h4>{rows}
<h4>断面级别</h4>{levels}
{"<h4>设施</h4>" + kinds if kinds else ""}
{note_html}
</div>"""


def _asset(name: str) -> str:
    folder = resources.files(LEAFLET_PACKAGE) / "static" / LEAFLET_PACKAGE
    text = (folder / INLINED[name]).read_text(encoding="utf-8")
    if name.endswith("css"):
        # Leaflet's stylesheet points at its control images: inline them as data URIs.
        def data_uri(match: re.Match) -> str:
            image = (folder / match.group(1)).read_bytes()
            return f"url(data:image/png;base64,{base64.b64encode(image).decode()})"

        text = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, text)
        return f"<style>{text}</style>"
    return f"<script>{text}</script>"


def _walk(element: Element):
    yield element
    if isinstance(element, Figure):
        for part in (element.header, element.html, element.script):
            yield from _walk(part)
    for child in list(element._children.values()):
        yield from _walk(child)


def render_html(fmap: folium.Map) -> str:
    """Render a map to one self-contained HTML page, deterministically.

    Raises
    ------
    MapError
        When an element needs a script or stylesheet that has no offline copy.
    """
    figure = fmap.get_root()
    needed: list[str] = []
    for count, element in enumerate(_walk(figure)):
        element._id = f"{count:06d}"  # stable ids instead of random ones
        if isinstance(element, JSCSSMixin):
            for name, url in [*element.default_js, *element.default_css]:
                if name in INLINED:
                    if name not in needed:
                        needed.append(name)
                elif name not in NOT_NEEDED:
                    raise MapError(f"no offline copy of {name} ({url}) for {type(element).__name__}")
            element.default_js = []
            element.default_css = []
    for name in sorted(needed, key=lambda n: n.endswith("css")):
        figure.header.add_child(Element(_asset(name)), name=f"inline_{name}")
    return figure.render()
