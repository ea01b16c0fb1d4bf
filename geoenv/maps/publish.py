"""The published map: counties, rivers coloured by the class of the section that controls them,
sections by class and level, facilities by kind, highlights, legend, search, period slider.

Everything is one Leaflet layer per kind on the canvas; coordinates are rounded to 1e-5°
(about a metre) and river lines simplified by 20 m in a metric CRS, so that thousands of points
stay a few megabytes and draw in a few seconds. Every data-derived string is escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoenv.crs import shift_geometries, working_crs
from geoenv.errors import InputError
from geoenv.maps.elements import (
    Attribution,
    Html,
    MapLabels,
    NorthArrow,
    PointLayer,
    ScaleBar,
    Search,
    ShapeSupport,
    Timeline,
)
from geoenv.maps.render import MapError, render_html
from geoenv.maps.trend import check_trends
from geoenv.quality import CLASS_ORDER, NO_DATA_COLOUR, PALETTE, parse_period
from geoenv.reports import period_title
from geoenv.schema import FACILITY_LABELS_ZH, LEVEL_LABELS_ZH
from geoenv.tables import HEADERS
from geoenv.text import bidi_shown

LEVEL_OUTLINE = {"national": "#000000", "provincial": "#5A5A5A", "city": "#A0A0A0"}
# kind: (canvas shape, legend symbol, colour)
FACILITY_SYMBOLS = {
    "sewage_plant": ("square", "■", "#1565C0"),
    "wetland": ("hexagon", "⬢", "#2E7D32"),
    "tailings_pond": ("triangle", "▲", "#6D4C41"),
    "outfall": ("triangle-down", "▼", "#C62828"),
    "water_source": ("diamond", "◆", "#00838F"),
    "industrial_park": ("star", "★", "#6A1B9A"),
    "other": ("circle", "●", "#616161"),
}
RIVER_COLOUR = "#3a7bd5"
#: A river stretch without a class: no section below it on its river (无控制断面), or one without data.
UNCONTROLLED_COLOUR = NO_DATA_COLOUR
#: The county shading, lowest class first: greens, or reds for a figure that grows as water worsens.
CHOROPLETH_RAMP = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
CHOROPLETH_RAMP_WORSE = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
WORSE_WHEN_HIGHER = {"worse_than_v_ratio", "cwqi"}
COUNTY_FILL = "#f4f1ea"
#: A county without a value on a choropleth: a grey no class of either ramp comes near.
CHOROPLETH_NO_DATA = "#c9c9c9"
PRECISION_DEG = 1e-5
SIMPLIFY_M = 20.0
BASEMAPS = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors", None),
    "gaode": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "© 高德地图 AutoNavi",
        "1234",
    ),
    "tianditu": (
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
        "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
        "© 天地图 Tianditu",
        "01234567",
    ),
}


def escape(value: object) -> str:
    """Escape a data value for HTML, and for JavaScript template strings (backtick, ``$``);
    bidirectional controls are shown as their codes (:func:`geoenv.text.bidi_shown`)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return html.escape(bidi_shown(str(value))).replace("`", "&#96;").replace("$", "&#36;")


@dataclass(frozen=True)
class Highlight:
    """A layer drawn over the map: a traced network or a spill's path and what it reaches.

    ``fields`` maps point columns to the labels shown in their popups; ``legend`` names it
    beside its colour in the legend (溯源范围 …).
    """

    name: str
    colour: str
    lines: gpd.GeoDataFrame | None = None
    points: gpd.GeoDataFrame | None = None
    fields: tuple[tuple[str, str], ...] = ()
    legend: str = ""


@dataclass
class MapContent:
    """What a map shows, in WGS84.

    Attributes
    ----------
    counties
        Polygons with ``name`` (and ``city``; any column named in ``choropleth``; on the map of
        one county or city, ``in_area``: True for its own, drawn outlined, the rest faded).
    rivers
        Lines with ``name``, and optionally ``class`` (of the section controlling the reach) and
        ``weight`` (line width).
    sections
        Points with ``code, name, river, county, level, target_class, class`` and optionally
        ``main_pollutants, cwqi, meets_target, exceeding_items, placed``, the neighbours
        ``upstream, downstream`` as shown (else the codes ``upstream_codes, downstream_code``),
        ``trend`` (an SVG of :func:`geoenv.maps.trend.section_trends`), and for the slider
        ``classes`` (one class per period of ``periods``; it starts at ``shown_period``, else
        the last) and ``period_values`` (per period the row of :func:`period_values`).
    facilities
        Points with ``id, name, kind`` and optionally ``county, river, capacity, capacity_unit,
        downstream`` (as shown; else the code ``downstream_code``), ``distance_km, placed``.
    """

    counties: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    sections: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame | None = None
    periods: list[str] = field(default_factory=list)
    shown_period: str | None = None
    highlights: tuple[Highlight, ...] = ()
    focus: gpd.GeoSeries | None = None


@dataclass
class MapStyle:
    """How the map is drawn: title, note, basemap, choropleth, period slider, attribution.

    ``labels`` writes section names beside their points and river names along their lines
    (decluttered: national sections and long rivers first); ``print_layout`` draws it for a
    picture (``--png``): title, legend, scale, north arrow and source line, without the layer
    control, the search box and the zoom buttons (printing from the browser does the same).
    """

    title: str
    note: str = ""
    basemap: str = "none"
    tianditu_key: str | None = None
    choropleth: str | None = None
    timeline: bool = False
    attribution: str = ""
    links: dict[str, str] = field(default_factory=dict)
    labels: bool = False
    print_layout: bool = False


def basemap_tiles(spec: str, key: str | None) -> tuple[str, str, str | None] | None:
    """Tile URL, attribution and subdomains for ``none``, ``osm``, ``gaode``, ``tianditu`` or a URL."""
    if spec == "none":
        return None
    if spec in BASEMAPS:
        url, attribution, subdomains = BASEMAPS[spec]
        if spec == "tianditu":
            if not key:
                raise MapError("--basemap tianditu needs --tianditu-key (a free key from the Tianditu site)")
            url = url.replace("{key}", key)
        return url, attribution, subdomains
    if not re.match(r"^https?://", spec) or not all(part in spec for part in ("{z}", "{x}", "{y}")):
        raise MapError(f"--basemap {spec!r}: use none, osm, gaode, tianditu or an http(s) URL with {{z}}, {{x}}, {{y}}")
    return spec, "basemap", None


def publish_map(content: MapContent, style: MapStyle) -> folium.Map:
    """Assemble the map (nothing written; see :func:`geoenv.maps.render.render_html`)."""
    if (
        content.sections.empty
        and (content.facilities is None or content.facilities.empty)
        and content.rivers.empty
        and not content.highlights
        and content.focus is None  # a county's or city's page draws its borders, even with nothing in it
    ):
        raise MapError("nothing to draw: no sections, facilities, rivers or highlights")
    tiles = basemap_tiles(style.basemap, style.tianditu_key)
    shift = style.basemap == "gaode"  # Gaode tiles are in GCJ-02: draw there, show true coordinates
    fmap = folium.Map(tiles=None, prefer_canvas=True, zoom_snap=0.25)
    if tiles:
        url, attribution, subdomains = tiles
        folium.TileLayer(url, attr=attribution, name="底图 basemap", subdomains=subdomains or "abc").add_to(fmap)
    ShapeSupport().add_to(fmap)

    counties = _drawn(content.counties, shift)
    _county_layer(fmap, counties, style.choropleth)
    if not style.labels:  # else they are among the labels, decluttered with them
        _county_names(fmap, counties)
    rivers = _river_layer(fmap, _drawn(_simplified(content.rivers), shift))
    sections = _section_layer(_drawn(content.sections, shift))
    sections.add_to(fmap)
    searchable = [sections]
    for layer in _facility_layers(content.facilities, shift):
        layer.add_to(fmap)
        searchable.append(layer)
    for highlight in content.highlights:
        _highlight_layer(fmap, highlight, shift)
    Search(searchable).add_to(fmap)
    if style.timeline and len(content.periods) > 1:
        start = content.periods.index(content.shown_period) if content.shown_period in content.periods else -1
        Timeline(sections, content.periods, PALETTE, NO_DATA_COLOUR, start % len(content.periods),
                 titles=[period_words(p) for p in content.periods],
                 rivers=rivers).add_to(fmap)  # fmt: skip
    ScaleBar().add_to(fmap)
    NorthArrow().add_to(fmap)
    focus = content.focus if content.focus is not None else _data_bounds(content)
    minx, miny, maxx, maxy = _drawn(gpd.GeoDataFrame(geometry=focus, crs=4326), shift).total_bounds
    if style.labels:
        labels = folium.FeatureGroup(name="标注 labels")
        lines = _drawn(content.rivers, shift)
        in_view = lines.set_geometry(shapely.clip_by_rect(lines.geometry.to_numpy(), minx, miny, maxx, maxy))
        named = _map_labels(_drawn(content.sections, shift), in_view[~in_view.is_empty], counties)
        MapLabels(fmap, named).add_to(labels)
        labels.add_to(fmap)
    Html(_legend_html(style, content)).add_to(fmap)
    if style.attribution:
        Attribution(escape(style.attribution)).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def publish_html(content: MapContent, style: MapStyle, *, offline: bool = True) -> str:
    """The map of ``content`` drawn in ``style`` as one HTML page (see :func:`publish_map` and
    :func:`geoenv.maps.render.render_html`)."""
    return render_html(publish_map(content, style), offline=offline)


def _data_bounds(content: MapContent) -> gpd.GeoSeries:
    parts = [content.sections.geometry, content.rivers.geometry]
    if content.facilities is not None:
        parts.append(content.facilities.geometry)
    return gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=4326)


def _drawn(frame: gpd.GeoDataFrame, shift: bool) -> gpd.GeoDataFrame:
    """WGS84 (or GCJ-02 for Gaode tiles), rounded to about a metre."""
    frame = frame.to_crs(4326)
    geoms = frame.geometry.to_numpy()
    if shift:
        geoms = shift_geometries(geoms, "gcj02")
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, 5))
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=4326))


def _simplified(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if lines.empty:
        return lines
    metric = working_crs(tuple(lines.to_crs(4326).total_bounds))
    simple = shapely.simplify(lines.to_crs(metric).geometry.to_numpy(), SIMPLIFY_M)
    return lines.set_geometry(gpd.GeoSeries(simple, index=lines.index, crs=metric).to_crs(4326))


def _point_layer(
    frame: gpd.GeoDataFrame,
    name: str,
    fields: list[tuple[str, str]],
    style: dict,
    *,
    own_style: pd.DataFrame | None = None,
    classes: pd.Series | None = None,
    periodic: pd.Series | None = None,
    tooltip: tuple[int, ...] = (1,),
    control: bool = True,
) -> PointLayer:
    """A :class:`PointLayer` of ``frame``: per point the values of ``fields`` (column, label;
    escaped, but for :data:`MARKUP_FIELDS`), its own style where given, its classes per period
    and (``periodic``) per period the values of :data:`PERIOD_FIELDS` (escaped)."""
    present = [(c, label) for c, label in fields if c in frame]
    shown = [frame[c].fillna("") if c in MARKUP_FIELDS else frame[c].map(escape) for c, _ in present]
    values = np.column_stack([column.to_numpy(dtype=object) for column in shown])
    xs = np.round(shapely.get_x(frame.geometry.to_numpy()), 5)
    ys = np.round(shapely.get_y(frame.geometry.to_numpy()), 5)
    styles = own_style.to_dict("records") if own_style is not None else [None] * len(frame)
    periods = classes.tolist() if classes is not None else [None] * len(frame)
    shown_fields = [c for c, _ in present]
    changing = [shown_fields.index(c) for c in PERIOD_FIELDS if c in shown_fields] if periodic is not None else []
    if periodic is not None and changing:
        kept = [PERIOD_FIELDS.index(shown_fields[i]) for i in changing]
        cells = [[[escape(p[k]) for k in kept] for p in cell] if isinstance(cell, list) else None for cell in periodic]
    else:
        cells = [None] * len(frame)
    features = []
    for x, y, v, s, c, p in zip(xs, ys, values.tolist(), styles, periods, cells, strict=True):
        properties = {"v": v}
        if s:
            properties["s"] = s
        if c is not None:
            properties["c"] = c
        if p is not None:
            properties["p"] = p
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
                "properties": properties,
            }
        )
    data = {"type": "FeatureCollection", "features": features}
    labels = [escape(label) for _, label in present]
    wide = [i for i, c in enumerate(shown_fields) if c in MARKUP_FIELDS]
    return PointLayer(data, name, fields=labels, style=style, tooltip=tooltip, control=control, periodic=changing,
                      wide=wide)  # fmt: skip


OUTSIDE_COUNTIES = "界外 (outside every county)"


def _county_shown(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """``{"county": …}`` for a popup, :data:`OUTSIDE_COUNTIES` where a point lies outside every
    county (``admin_match`` ``outside``: the 黄河 along the provincial border, a neighbour's
    section); ``{}`` for points never joined to counties."""
    if "admin_match" not in frame:
        return {}
    county = frame["county"] if "county" in frame else pd.Series(None, index=frame.index, dtype=object)
    return {"county": county.astype(object).mask(frame["admin_match"].eq("outside"), OUTSIDE_COUNTIES)}


def _far_note(frame: pd.DataFrame) -> pd.Series:
    placed = frame["placed"] if "placed" in frame else pd.Series(True, index=frame.index)
    return placed.map(lambda p: "" if p is not False else "远离河道，未落在河网上 (far from every river)")


SECTION_FIELDS = [
    ("code", "断面编码"), ("name", "断面名称"), ("river", "河流"), ("county", "区县"), ("level_zh", "级别"),
    ("target_class", "水质目标"), ("class_label", "水质类别"), ("compliance", "达标情况"),
    ("main_pollutants", "主要污染指标"), ("cwqi_text", "CWQI"), ("upstream", "上游断面"), ("downstream", "下游断面"),
    ("lon", "经度"), ("lat", "纬度"), ("far", "注意"), ("trend", "月均值趋势"),
]  # fmt: skip
#: The popup fields whose values change with the period (``period_values`` of the sections).
PERIOD_FIELDS = ("class_label", "compliance", "main_pollutants", "cwqi_text")
#: Popup fields that hold markup drawn by geoenv (checked, not escaped).
MARKUP_FIELDS = ("trend",)
FACILITY_FIELDS = [
    ("id", "编号"), ("name", "名称"), ("kind_zh", "类型"), ("county", "区县"), ("river", "受纳水体"),
    ("capacity_text", "规模"), ("downstream", "下游断面"),
    ("lon", "经度"), ("lat", "纬度"), ("far", "注意"),
]  # fmt: skip


def period_values(evaluated: pd.DataFrame) -> pd.DataFrame:
    """The popup texts of :data:`PERIOD_FIELDS` from a section's evaluation in a period
    (``class, main_pollutants, cwqi, meets_target, exceeding_items``; rows without any say
    无数据): its class, 达标 or 超标 with the items over the target and their multiples, its
    main pollutants and CWQI."""

    def column(name: str, dtype: type = object) -> pd.Series:
        return evaluated.get(name, pd.Series(index=evaluated.index, dtype=dtype))

    meets = column("meets_target")
    exceeding = column("exceeding_items").astype(object).fillna("")
    status = np.where(meets.eq(True), "达标", np.where(meets.eq(False), "超标", ""))
    items = np.char.add("超标（倍数）：", exceeding.to_numpy(dtype=str))
    compliance = np.where((status == "超标") & exceeding.ne("").to_numpy(), items, status)
    return pd.DataFrame(
        {
            "class_label": column("class").astype(object).fillna("无数据"),
            "compliance": pd.Series(compliance, index=evaluated.index, dtype=object),
            "main_pollutants": column("main_pollutants").astype(object).fillna(""),
            "cwqi_text": pd.to_numeric(column("cwqi", float), errors="coerce").map(
                lambda v: f"{v:.2f}" if pd.notna(v) else ""
            ),
        },
        index=evaluated.index,
    )


def _section_layer(sections: gpd.GeoDataFrame) -> PointLayer:
    level = sections.get("level", pd.Series(index=sections.index, dtype=object))
    if "trend" in sections:
        check_trends(sections.set_index(sections["code"].astype(str))["trend"])
    neighbours = {
        shown: sections[shown] if shown in sections else sections.get(codes, pd.Series("", index=sections.index))
        for shown, codes in (("upstream", "upstream_codes"), ("downstream", "downstream_code"))
    }
    shown = sections.assign(
        level_zh=level.map(LEVEL_LABELS_ZH),
        far=_far_note(sections),
        **period_values(sections),
        **neighbours,
        **_county_shown(sections),
    )
    own_style = pd.DataFrame(
        {
            "fillColor": sections["class"].astype(object).map(PALETTE).fillna(NO_DATA_COLOUR),
            "color": level.map(LEVEL_OUTLINE).fillna("#A0A0A0"),
        },
        index=sections.index,
    )
    style = {"shape": "circle", "radius": 7, "weight": 2.5, "fillOpacity": 0.95, "opacity": 1}
    return _point_layer(shown, "监测断面 sections", SECTION_FIELDS, style, own_style=own_style,
                        classes=sections.get("classes"), periodic=sections.get("period_values"),
                        tooltip=(1, 6))  # fmt: skip


def _facility_layers(facilities: gpd.GeoDataFrame | None, shift: bool) -> list[PointLayer]:
    if facilities is None or facilities.empty:
        return []
    drawn = _drawn(facilities, shift)
    down = drawn["downstream"] if "downstream" in drawn else drawn.get("downstream_code", pd.Series("", drawn.index))
    drawn = drawn.assign(kind_zh=drawn["kind"].map(FACILITY_LABELS_ZH), far=_far_note(drawn), downstream=down,
                         capacity_text=capacity_text(drawn), **_county_shown(drawn))  # fmt: skip
    layers = []
    for kind, (shape, _, colour) in FACILITY_SYMBOLS.items():
        subset = drawn[drawn["kind"] == kind]
        if subset.empty:
            continue
        style = {"shape": shape, "radius": 6, "weight": 1, "color": "#ffffff", "fillColor": colour, "fillOpacity": 0.95}
        name = f"{FACILITY_LABELS_ZH[kind]} {kind.replace('_', ' ')}"
        layers.append(_point_layer(subset, name, FACILITY_FIELDS, style))
    return layers


def capacity_text(facilities: pd.DataFrame) -> pd.Series:
    """Each facility's ``capacity`` with its ``capacity_unit`` (``90000 m³/d``; whole numbers
    without ``.0``); a capacity that is not a number as written; ``""`` without one."""
    given = facilities.get("capacity", pd.Series(index=facilities.index, dtype=object))
    capacity = pd.to_numeric(given, errors="coerce")
    unit = facilities.get("capacity_unit", pd.Series("", index=facilities.index)).astype(object).fillna("")
    text = capacity.map("{:.10g}".format) + (" " + unit.astype(str)).where(unit.ne(""), "")
    return text.where(capacity.notna(), given.astype(object).fillna("").astype(str))


def choropleth_classes(values: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray]:
    """The class (0–4 of :data:`CHOROPLETH_RAMP`, -1 without a value) of each county's
    ``values`` and the six class edges: a ratio (a column ending in ``_ratio``) in steps of
    20 % from 0 to 100 %, any other column in five equal intervals from its lowest value to
    its highest (a class holds its lower edge, the last also its upper)."""
    values = pd.to_numeric(values, errors="coerce")
    if column.endswith("_ratio"):
        edges = np.linspace(0.0, 1.0, 6)
    else:
        low, high = (values.min(), values.max()) if values.notna().any() else (0.0, 0.0)
        edges = np.linspace(low, high, 6)
    span = edges[-1] - edges[0]
    step = np.floor((values.to_numpy(dtype=float) - edges[0]) / span * 5) if span > 0 else values.to_numpy() * 0
    return np.where(values.notna(), np.clip(np.nan_to_num(step), 0, 4), -1).astype(int), edges


def choropleth_ramp(column: str) -> tuple[str, ...]:
    """The colours of a county column's classes, lowest first."""
    return CHOROPLETH_RAMP_WORSE if column in WORSE_WHEN_HIGHER else CHOROPLETH_RAMP


def choropleth_title(column: str) -> str:
    """The legend's (escaped) title of a county column: its Chinese name where it is one of the
    figures of the county's sections (优良比例 …), else the column's own name."""
    return escape(HEADERS.get(column, column))


def _county_layer(fmap: folium.Map, counties: gpd.GeoDataFrame, choropleth: str | None) -> None:
    if counties.empty:
        return
    columns = [c for c in ("name", "city") if c in counties]
    fill = pd.Series(COUNTY_FILL, index=counties.index, dtype=object)
    if choropleth:
        if choropleth not in counties:
            raise MapError(f"--choropleth {choropleth!r}: no such county column; have {', '.join(counties.columns)}")
        step, _ = choropleth_classes(counties[choropleth], choropleth)
        fill = pd.Series(np.where(step >= 0, np.array(choropleth_ramp(choropleth))[step], CHOROPLETH_NO_DATA),
                         index=counties.index,
                         dtype=object)  # fmt: skip
        columns.append(choropleth)
    # Properties get our own keys: a column's name is user text, shown only as an (escaped) alias.
    keys = [f"p{i}" for i in range(len(columns))]
    shown = gpd.GeoDataFrame(
        {k: counties[c].map(escape) for k, c in zip(keys, columns, strict=True)}, geometry=counties.geometry, crs=4326
    )
    if choropleth and choropleth.endswith("_ratio"):  # a ratio reads as a percentage
        ratio = pd.to_numeric(counties[choropleth], errors="coerce")
        shown[keys[-1]] = (ratio * 100).round(1).map("{:g} %".format).where(ratio.notna(), "")
    shown["fill"] = fill
    # The county or city of its map on top, outlined; the others faded.
    shown["area"] = counties["in_area"].astype(bool) if "in_area" in counties else True
    shown = shown.sort_values("area", kind="stable")
    aliases = ["区县", "地市"][: len([c for c in columns if c in ("name", "city")])]
    if choropleth:
        aliases.append(choropleth_title(choropleth))
    faded = "in_area" in counties
    folium.GeoJson(
        shown,
        name="区县 counties",
        style_function=lambda f: {
            "color": "#222222" if faded and f["properties"]["area"] else "#7a7a7a",
            "weight": 3 if faded and f["properties"]["area"] else 1,
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.6 if f["properties"]["area"] else 0.15,
            "opacity": 1 if f["properties"]["area"] else 0.4,
        },
        tooltip=folium.GeoJsonTooltip(keys, aliases=aliases),
    ).add_to(fmap)


def _county_names(fmap: folium.Map, counties: gpd.GeoDataFrame) -> None:
    """The layer of county names (decluttered, as every label)."""
    labels = folium.FeatureGroup(name="区县名称 county names")
    MapLabels(fmap, _map_labels(None, None, counties)).add_to(labels)
    labels.add_to(fmap)


#: Which labels win a place first: national sections, then rivers (longest first), then the
#: other sections by level, then county names.
LABEL_TIER = {"national": 0, "river": 1, "provincial": 2, "city": 3, "other": 4, "county": 5}


def _map_labels(
    sections: gpd.GeoDataFrame | None, rivers: gpd.GeoDataFrame | None, counties: gpd.GeoDataFrame
) -> list[tuple[float, float, str, float, str]]:
    """The labels of :class:`~geoenv.maps.elements.MapLabels`, most important first: each
    section's name (its code without one) at its point, each named river's name once, at the
    middle of its longest line (of those given: the map clips them to its view), turned along
    it (the angle on the screen: computed in web Mercator, kept upright), and each county's
    name inside it (only these without ``sections`` and ``rivers``)."""
    frames = []
    if sections is not None and not sections.empty:
        level = sections.get("level", pd.Series(index=sections.index, dtype=object))
        names = sections.get("name", pd.Series(index=sections.index, dtype=object)).fillna("").astype(str)
        marks = pd.DataFrame(
            {
                "lat": shapely.get_y(sections.geometry.to_numpy()),
                "lon": shapely.get_x(sections.geometry.to_numpy()),
                "text": names.where(names.str.strip().ne(""), sections["code"].astype(str)).map(escape).to_numpy(),
                "angle": 0.0,
                "kind": "section",
                "tier": level.map(LABEL_TIER).fillna(LABEL_TIER["other"]).to_numpy(),
                "code": sections["code"].astype(str).to_numpy(),
            }
        ).sort_values("code", kind="stable")
        frames.append(marks.assign(rank=np.arange(len(marks))))
    if rivers is not None and "name" in rivers and not rivers.empty:
        named = rivers[rivers["name"].fillna("").astype(str).str.strip().ne("")].to_crs(3857)
        length = named.length
        longest = named.loc[length.groupby(named["name"]).idxmax().to_numpy()]
        total = length.groupby(named["name"]).sum()
        lines = longest.geometry.to_numpy()
        ends = [shapely.line_interpolate_point(lines, f, normalized=True) for f in (0.45, 0.5, 0.55)]
        dx = shapely.get_x(ends[2]) - shapely.get_x(ends[0])
        dy = shapely.get_y(ends[2]) - shapely.get_y(ends[0])
        angle = np.degrees(np.arctan2(-dy, dx))  # screen y runs down
        angle = np.where(angle > 90, angle - 180, np.where(angle < -90, angle + 180, angle))
        middle = gpd.GeoSeries(ends[1], crs=3857).to_crs(4326)
        frames.append(
            pd.DataFrame(
                {
                    "lat": middle.y.to_numpy(),
                    "lon": middle.x.to_numpy(),
                    "text": longest["name"].map(escape).to_numpy(),
                    "angle": np.round(angle, 1),
                    "kind": "river",
                    "tier": LABEL_TIER["river"],
                    "rank": (-total.reindex(longest["name"]).round(0)).to_numpy(),  # longest first
                }
            )
        )
    if not counties.empty:
        inside = counties.representative_point()
        frames.append(
            pd.DataFrame(
                {
                    "lat": inside.y.to_numpy(),
                    "lon": inside.x.to_numpy(),
                    "text": counties["name"].map(escape).to_numpy(),
                    "angle": 0.0,
                    "kind": "county",
                    "tier": LABEL_TIER["county"],
                    "rank": np.arange(len(counties)),
                }
            )
        )
    if not frames:
        return []
    labels = pd.concat(frames, ignore_index=True).sort_values(["tier", "rank", "text"], kind="stable")
    labels[["lat", "lon"]] = labels[["lat", "lon"]].round(5)
    return list(labels[["lat", "lon", "text", "angle", "kind"]].itertuples(index=False, name=None))


def _river_colours(classes: pd.Series) -> pd.Series:
    """The colour of each river piece's class; grey where it has none (无控制断面, or no data)."""
    return classes.map(PALETTE).fillna(UNCONTROLLED_COLOUR)


def _river_layer(fmap: folium.Map, rivers: gpd.GeoDataFrame) -> folium.GeoJson | None:
    """The rivers, coloured by class; with ``classes`` (a class per period) each line also
    carries its colour per period ``k`` for the slider."""
    if rivers.empty:
        return None
    shown = gpd.GeoDataFrame(
        {
            "name": rivers.get("name", pd.Series("", index=rivers.index)).fillna("").map(escape),
            "colour": _river_colours(rivers["class"]) if "class" in rivers else RIVER_COLOUR,
            "weight": rivers.get("weight", pd.Series(2.0, index=rivers.index)).astype(float).round(1),
        },
        geometry=rivers.geometry,
        crs=4326,
    )
    if "classes" in rivers and rivers["classes"].map(lambda c: isinstance(c, list)).all():
        per_period = np.array(rivers["classes"].tolist(), dtype=object)
        colours = _river_colours(pd.Series(per_period.ravel())).to_numpy(dtype=object).reshape(per_period.shape)
        shown["k"] = colours.tolist()
    named = shown["name"].ne("").any()
    layer = folium.GeoJson(
        shown,
        name="河流 rivers",
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "weight": f["properties"]["weight"],
            "opacity": 0.9,
        },
        tooltip=folium.GeoJsonTooltip(["name"], aliases=["河流"]) if named else None,
    )
    layer.add_to(fmap)
    return layer


def _highlight_layer(fmap: folium.Map, highlight: Highlight, shift: bool) -> None:
    group = folium.FeatureGroup(name=highlight.name)
    if highlight.lines is not None and len(highlight.lines):
        folium.GeoJson(
            _drawn(highlight.lines[["geometry"]], shift),
            style_function=lambda _, c=highlight.colour: {"color": c, "weight": 6, "opacity": 0.6},
        ).add_to(group)
    if highlight.points is not None and len(highlight.points):
        points = _drawn(highlight.points, shift)
        style = {"shape": "circle", "radius": 11, "weight": 3, "color": highlight.colour, "fill": False}
        _point_layer(points, highlight.name, list(highlight.fields), style, control=False).add_to(group)
    group.add_to(fmap)


def period_words(label: str) -> str:
    """A period's label as a title says it (:func:`geoenv.reports.period_title`: 2024Q2 →
    2024年第2季度); a label that is not a period as it is."""
    try:
        return period_title(parse_period(label))
    except InputError:
        return label


def _period_stamp(style: MapStyle, content: MapContent) -> str:
    """The period of the map after its title in words (``（2024年）``), unless the title names it
    already (as ``2024`` or ``2024年``); with a slider always (the slider turns it to its period)."""
    period = content.shown_period
    if period is None:
        return ""
    words = period_words(period)
    if (period in style.title or words in style.title) and not (style.timeline and len(content.periods) > 1):
        return ""
    return f'<span class="geoenv-title-period">（{escape(words)}）</span>'


def _legend_html(style: MapStyle, content: MapContent) -> str:
    rows = "".join(
        f'<div><span class="geoenv-swatch" style="background:{PALETTE[c]}"></span>{c}类</div>' for c in CLASS_ORDER
    ).replace("劣V类", "劣V")
    rows += f'<div><span class="geoenv-swatch" style="background:{NO_DATA_COLOUR}"></span>无数据 no data</div>'
    levels = "".join(
        f'<div><span class="geoenv-ring" style="border-color:{LEVEL_OUTLINE[k]}"></span>{LEVEL_LABELS_ZH[k]}</div>'
        for k in LEVEL_OUTLINE
    )
    kinds = ""
    if content.facilities is not None:
        present = [k for k in FACILITY_SYMBOLS if (content.facilities["kind"] == k).any()]
        kinds = "".join(
            f'<div><span class="geoenv-symbol" style="color:{FACILITY_SYMBOLS[k][2]}">'
            f"{FACILITY_SYMBOLS[k][1]}</span> {FACILITY_LABELS_ZH[k]}</div>"
            for k in present
        )
    river_note = (
        "<div>河流颜色：所在河段控制断面的水质类别</div>"
        f'<div><span class="geoenv-line" style="background:{UNCONTROLLED_COLOUR}"></span>无控制断面或无数据</div>'
        if "class" in content.rivers
        else ""
    )
    drawn = "".join(
        f'<div><span class="geoenv-line" style="background:{h.colour};height:6px"></span>{escape(h.legend)}</div>'
        for h in content.highlights
        if h.legend
    )
    drawn = f'<h4 class="geoenv-highlights">推演与溯源</h4>{drawn}' if drawn else ""
    choropleth = _choropleth_legend(content.counties, style.choropleth) if style.choropleth else ""
    source = "制图 geoenv" + (f"；资料来源：{escape(style.attribution)}" if style.attribution else "")
    note_html = f'<div class="geoenv-note">{escape(style.note)}</div>' if style.note else ""
    links = "".join(f'<a href="{escape(href)}">{escape(text)}</a> ' for text, href in style.links.items())
    links_html = f'<div class="geoenv-links">{links}</div>' if links else ""
    return f"""
<style>
.geoenv-title {{position:fixed;top:10px;left:60px;z-index:1000;background:#fff;padding:6px 12px;
  font:bold 18px sans-serif;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)}}
.geoenv-legend {{position:fixed;bottom:30px;left:10px;z-index:1000;background:#fff;padding:8px 10px;
  font:12px sans-serif;line-height:18px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:240px;
  max-height:calc(100vh - 140px);overflow-y:auto}}
.geoenv-legend h4 {{margin:4px 0;font-size:13px}}
.geoenv-swatch {{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;
  border:1px solid #555;border-radius:50%}}
.geoenv-ring {{display:inline-block;width:10px;height:10px;margin-right:6px;vertical-align:middle;
  border:3px solid;border-radius:50%}}
.geoenv-square {{border-radius:2px}}
.geoenv-symbol {{font-size:14px}}
.geoenv-line {{display:inline-block;width:18px;height:4px;margin-right:4px;vertical-align:middle}}
.geoenv-note {{margin-top:6px;color:#b00;font-style:italic}}
.geoenv-links a {{margin-right:6px}}
.geoenv-search input {{width:220px;padding:4px;font:13px sans-serif}}
.geoenv-timeline {{background:#fff;padding:6px 10px;font:12px sans-serif;border-radius:4px}}
.geoenv-popup th {{text-align:left;padding-right:8px;color:#555;font-weight:normal;white-space:nowrap}}
.geoenv-north {{background:rgba(255,255,255,.8);padding:2px 4px;border-radius:4px;line-height:0}}
.leaflet-control-scale-line {{font:12px sans-serif;background:rgba(255,255,255,.85)}}
.geoenv-maplabel-at {{overflow:visible}}
.geoenv-maplabel {{position:absolute;white-space:nowrap;font:12px sans-serif;text-shadow:0 0 3px #fff,0 0 2px #fff}}
.geoenv-maplabel-section {{left:9px;top:-8px;color:#222}}
.geoenv-maplabel-river {{color:#1d4f91;font-style:italic;font-weight:bold}}
.geoenv-maplabel-county {{transform:translate(-50%,-50%);color:#444;font-size:11px;
  text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}}
.geoenv-source {{display:none;margin-top:6px;color:#555;font-size:11px}}
{_print_css(style.print_layout)}
</style>
<div class="geoenv-title">{escape(style.title)}{_period_stamp(style, content)}</div>
<div class="geoenv-legend" id="geoenv-legend">
<h4>水质类别 (GB 3838-2002)</h4>{rows}{river_note}
<h4>断面级别</h4>{levels}
{"<h4>设施</h4>" + kinds if kinds else ""}{drawn}{choropleth}
{links_html}{note_html}<div class="geoenv-source">{source}</div>
</div>"""


#: What a picture of the map leaves out (controls for a reader at a screen) and shows.
PRINT_RULES = (
    ".leaflet-control-layers, .geoenv-search, .leaflet-control-zoom {display:none !important} "
    ".geoenv-source {display:block !important} .geoenv-links {display:none}"
)


def _print_css(print_layout: bool) -> str:
    """The print layout's rules: always when printing from the browser, and on screen too for a
    picture (``print_layout``)."""
    return PRINT_RULES if print_layout else f"@media print {{{PRINT_RULES}}}"


def _choropleth_legend(counties: gpd.GeoDataFrame, column: str) -> str:
    """The county shading's part of the legend: its Chinese title and a swatch per class
    with its breaks (percentages for a ratio), and 无数据 where a county has no value."""
    step, edges = choropleth_classes(counties[column], column)
    ratio = column.endswith("_ratio")
    if ratio:
        text = [f"{e * 100:.0f}" for e in edges]
    else:
        span = (edges[-1] - edges[0]) / 5
        decimals = int(np.clip(1 - np.floor(np.log10(span)), 0, 4)) if span > 0 else 2
        text = [f"{e:.{decimals}f}" for e in edges]
    unit = " %" if ratio else ""
    rows = [
        f'<div><span class="geoenv-swatch geoenv-square" style="background:{choropleth_ramp(column)[i]}"></span>'
        f"{text[i]}–{text[i + 1]}{unit}</div>"
        for i in range(5)
        if ratio or edges[-1] > edges[0] or i == 0
    ]
    if (step < 0).any():
        swatch = f'<span class="geoenv-swatch geoenv-square" style="background:{CHOROPLETH_NO_DATA}"></span>'
        rows.append(f"<div>{swatch}无数据</div>")
    return f'<h4 class="geoenv-choropleth">区县：{choropleth_title(column)}</h4>' + "".join(rows)
