"""Map content built once per period, filtered per page: the section distribution map
(国控断面分布图), a river's or a county's map, a trace or a spill drill over it, the demo's
pages, and the tables behind them.

:func:`build_atlas` does every computation a map of one period needs, once, from what the
project has computed already (its basin, relations and quality of the period); each page is a
filter of the atlas (:meth:`Atlas.page`) and a render, and the tables are the atlas's own, so
that no map differs from its table.

Examples
--------
>>> import geoenv
>>> from geoenv.maps import MapStyle, build_atlas, publish_html
>>> project = geoenv.open_project()  # the embedded Shanxi data
>>> atlas = build_atlas(project, geoenv.period_of(project, "2023"))
>>> page = atlas.page(river="汾河")
>>> set(page.sections["code"]) <= set(atlas.tables["sections.csv"]["code"])
True
>>> publish_html(page, MapStyle("汾河 2023")).startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from geoenv.answers import crossings, period_of, trace
from geoenv.assessment import group_table
from geoenv.basin import Basin
from geoenv.crs import working_crs
from geoenv.datasets import ATTRIBUTION, SAMPLE_NOTE_ZH
from geoenv.io.gis import answer_places
from geoenv.io.write import unique_filenames
from geoenv.jurisdiction import river_lengths
from geoenv.maps.publish import Highlight, MapContent, MapStyle, period_values, publish_html
from geoenv.maps.render import MapError
from geoenv.maps.trend import section_trends
from geoenv.network import Network
from geoenv.network.navigate import river_hint, river_reaches
from geoenv.network.substring import reach_pieces
from geoenv.project import Project, as_period
from geoenv.quality import Period
from geoenv.relate import controlled_stretches
from geoenv.schema import FACILITY_LABELS_ZH
from geoenv.settings import ParameterError
from geoenv.tables import VALUE_WORDS
from geoenv.tracing import Impact, Trace, impact

SECTION_COLUMNS = [
    "code", "code_generated", "name", "river", "level", "period", "target_class", "class", "meets_target",
    "main_pollutants", "cwqi", "worst_items", "n_samples", "county", "city", "adcode", "admin_match", "lon", "lat",
]  # fmt: skip
FACILITY_COLUMNS = [
    "id", "id_generated", "name", "kind", "kind_zh", "river", "capacity", "capacity_unit", "county", "city", "adcode",
    "admin_match", "lon", "lat", "outfall_lon", "outfall_lat",
]  # fmt: skip
#: What a section's evaluation adds to the map and its table.
QUALITY_COLUMNS = ["class", "main_pollutants", "cwqi", "meets_target", "exceeding_items", "worst_items", "n_samples"]
#: The tables written beside every map, by file name.
TABLE_FILES = ("sections.csv", "facilities.csv", "river_lengths.csv")


@dataclass
class Atlas:
    """Everything the maps of one period show, built once (:func:`build_atlas`); each page is
    a filter of it (:meth:`page`) and its tables are the same whatever the page.

    Attributes
    ----------
    period
        The period whose classes are shown (None only without measurements).
    content
        The whole area: counties with the figures of their sections (``good_ratio``,
        ``cwqi`` … for a choropleth), the reaches coloured by the class of the section that
        controls them, the sections with class and relations, the facilities with their
        downstream section, and each section's classes per period when a slider was asked for.
    net
        The network the reaches come from.
    rivers
        The rivers layer the network was built from (None for a saved network): river lengths
        are measured on it, as ``geoenv join rivers`` measures them, not on the reaches (whose
        ends may have been moved to close gaps).
    """

    period: Period | None
    content: MapContent
    net: Network
    rivers: gpd.GeoDataFrame | None = None

    def _river_lines(self, reaches: np.ndarray | None = None) -> gpd.GeoDataFrame:
        """The lines whose lengths the tables give: the rivers layer's features of ``reaches``
        (all when None), or the reaches themselves for a saved network."""
        if self.rivers is None:
            lines = self.net.reaches if reaches is None else self.net.reaches.iloc[reaches]
            return lines[["name", "geometry"]]
        lines = self.rivers
        if reaches is not None:
            lines = lines.iloc[np.unique(self.net.reaches["source"].to_numpy()[reaches])]
        return lines[[c for c in ("name", "geometry") if c in lines]]

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables behind every page, by file name (:data:`TABLE_FILES`): the sections with
        their class in the period, the facilities, and the length of each river in each county
        (of the rivers layer, or of a saved network's reaches)."""
        c = self.content
        sections = c.sections.reindex(columns=SECTION_COLUMNS).sort_values("code", kind="stable")
        if c.facilities is not None:
            facilities = c.facilities.reindex(columns=FACILITY_COLUMNS).sort_values("id", kind="stable")
        else:
            facilities = pd.DataFrame(columns=FACILITY_COLUMNS)
        lengths = river_lengths(self._river_lines(), c.counties)
        return dict(zip(TABLE_FILES, (sections, facilities, lengths), strict=True))

    def page_tables(
        self, page: MapContent, *, county: str | None = None, city: str | None = None
    ) -> dict[str, pd.DataFrame]:
        """The tables of one page (a river's, a county's, a city's): its sections, its
        facilities, and the length of its rivers in each county (in ``county`` or the
        counties of ``city`` only, for their page)."""
        tables = self.tables
        sections = tables["sections.csv"][tables["sections.csv"]["code"].isin(page.sections["code"])]
        facilities = tables["facilities.csv"]
        facilities = facilities[facilities["id"].isin(page.facilities["id"] if page.facilities is not None else [])]
        reaches = np.unique(np.asarray(page.rivers["reach"], dtype=np.int64))
        lengths = river_lengths(self._river_lines(reaches), self.content.counties)
        if county:
            lengths = lengths[lengths["county"] == county]
        if city:
            lengths = lengths[lengths["city"] == city]
        return dict(zip(TABLE_FILES, (sections, facilities, lengths.reset_index(drop=True)), strict=True))

    def page(
        self,
        *,
        river: str | None = None,
        county: str | None = None,
        city: str | None = None,
        highlights: tuple[Highlight, ...] = (),
    ) -> MapContent:
        """What one map shows: the whole area, or only ``river`` with its tributaries, or only
        ``county`` or ``city`` with the rivers crossing it and the sections just across its
        borders (:func:`only_area`); with ``highlights`` (a trace, a spill) drawn over it.

        Raises
        ------
        MapError
            When no river, county or city has that name (naming the close ones), or both a
            county and a city are named.
        """
        content = replace(self.content, highlights=highlights)
        if river:
            content = self._only_river(content, river)
        if county or city:
            content = only_area(content, county=county or None, city=city or None)
        return content

    def _only_river(self, content: MapContent, name: str) -> MapContent:
        """The river ``name`` with its tributaries (:func:`~geoenv.network.navigate.river_reaches`)."""
        try:
            keep = river_reaches(self.net, name)
        except ParameterError:
            raise MapError(f"--river {name!r}: no river of that name; {river_hint(self.net, name)}") from None
        rivers = content.rivers[content.rivers["reach"].isin(keep)]
        sections = content.sections[content.sections["reach"].isin(keep)]
        facilities = content.facilities
        if facilities is not None:
            facilities = facilities[facilities["reach"].isin(keep)]
        return replace(content, rivers=rivers, sections=sections, facilities=facilities, focus=rivers.geometry)


def build_atlas(project: Project, period: Period | str | None = None, *, timeline: bool = False) -> Atlas:
    """The content of every map of ``period`` (default: the latest year with data, as the
    tables of :func:`geoenv.report`; no period without measurements), from the project's
    basin, relations and quality of the period, each computed once.

    Parameters
    ----------
    timeline
        Also give each section its class and popup values in every period of ``period``'s
        kind (years for a range), and each river piece the class of its controlling section
        in each, for the slider.
    """
    measured = "measurements" in project.layers
    chosen = period_of(project, period) if measured else as_period(period)
    basin = project.basin
    relations = project.relations
    sections = basin.sections.copy()
    if chosen is not None:
        quality = project.quality(chosen).sections.set_index("section")
        sections = sections.join(quality[QUALITY_COLUMNS], on="code")
        sections["period"] = chosen.label
        trends = section_trends(project["measurements"], sections, chosen)
        sections["trend"] = sections["code"].astype(str).map(trends)
    for column in (*QUALITY_COLUMNS, "period", "river", "level", "target_class"):
        if column not in sections:
            sections[column] = None
    related = relations.sections.set_index("code")
    for column in ("upstream_codes", "downstream_code"):
        sections[column] = sections["code"].map(related[column])
    sections["upstream"], sections["downstream"] = neighbours(sections, related["distance_km"])
    sections["placed"] = sections["reach"] >= 0
    facilities = basin.facilities.copy() if basin.facilities is not None else None
    if facilities is not None:
        down = relations.facilities.set_index("id")
        facilities["downstream_code"] = facilities["id"].map(down["downstream_code"])
        facilities["distance_km"] = facilities["id"].map(down["distance_km"])
        facilities["downstream"] = section_named(sections, facilities["downstream_code"], facilities["distance_km"])
        facilities["placed"] = facilities["reach"] >= 0
        facilities["kind_zh"] = facilities["kind"].map(FACILITY_LABELS_ZH)
    counties = _with_county_figures(project, chosen) if chosen is not None else project["counties"]
    rivers = _classed_reaches(basin, sections["class"].to_numpy())
    periods: list[str] = []
    if timeline and measured:
        by = chosen.kind if chosen is not None and chosen.kind != "range" else "year"
        periods, classes, values = timeline_classes(project, by)
        sections["classes"] = sections["code"].map(classes)
        sections["period_values"] = sections["code"].map(values)
        if "control" in rivers:
            none = [None] * len(periods)
            rivers["classes"] = rivers["control"].map(classes).map(lambda c: c if isinstance(c, list) else none)
    content = MapContent(counties, rivers, sections, facilities, periods, chosen.label if chosen else None)
    return Atlas(chosen, content, basin.net, project["rivers"] if "rivers" in project.layers else None)


def neighbours(sections: pd.DataFrame, distance_km: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The upstream and downstream sections of each section as a popup names them, with
    their network distance from it, nearest first: ``汾河静乐断面 (SX007) 12.3 km``.

    Parameters
    ----------
    sections
        ``code, name, upstream_codes`` (``;``-separated) and ``downstream_code``.
    distance_km
        Per section code, the network distance to its downstream section.
    """
    codes = sections["code"].astype(str)
    down = sections["downstream_code"].astype(object).fillna("").astype(str)
    downstream = section_named(sections, down, codes.map(distance_km))
    ups = pd.DataFrame({"at": sections.index, "code": sections["upstream_codes"].astype(object).fillna("").astype(str)})
    ups = ups.assign(code=ups["code"].str.split(";")).explode("code")
    ups = ups[ups["code"].ne("")]
    ups = ups.assign(km=ups["code"].map(distance_km)).sort_values(["at", "km", "code"], kind="stable")
    ups["text"] = section_named(sections, ups["code"], ups["km"])
    upstream = ups.groupby("at", sort=False)["text"].agg("；".join).reindex(sections.index).fillna("")
    return upstream, downstream


def section_named(sections: pd.DataFrame, code: pd.Series, km: pd.Series) -> pd.Series:
    """Each section ``code`` (of ``sections``: ``code, name``) as a popup names it, with the
    distance ``km`` to it: ``汾河静乐断面 (SX007) 12.3 km``; ``""`` where ``code`` is empty."""
    names = pd.Series(sections["name"].astype(object).fillna("").to_numpy(), index=sections["code"].astype(str))
    names = names[~names.index.duplicated()]
    code = code.astype(object).fillna("").astype(str)
    named = pd.Series(names.reindex(code).fillna("").to_numpy(), index=code.index)
    text = named + " (" + code + ") " + km.map("{:.1f} km".format)
    return text.str.lstrip().where(code.ne(""), "")  # a section without a name: its code first


def timeline_classes(project: Project, by: str) -> tuple[list[str], pd.Series, pd.Series]:
    """Every month, quarter or year (``by``) of the data, and per section code its class in
    each (None where it has none) and its popup values in each (the rows of
    :func:`geoenv.maps.publish.period_values`), for a slider."""
    table = project.quality(by=by).sections.set_index(["section", "period"])
    periods = sorted(table.index.get_level_values("period").unique())
    codes = table.index.get_level_values("section").unique().sort_values()
    full = table.reindex(pd.MultiIndex.from_product([codes, periods]))
    shape = (len(codes), len(periods))
    classes = full["class"].astype(object).where(full["class"].notna(), None).to_numpy().reshape(shape)
    values = period_values(full).to_numpy(dtype=object).reshape(*shape, -1)
    return periods, pd.Series(classes.tolist(), index=codes), pd.Series(values.tolist(), index=codes)


def _classed_reaches(basin: Basin, classes: np.ndarray) -> gpd.GeoDataFrame:
    """The rivers as the stretches their sections control (:func:`geoenv.relate.controlled_stretches`):
    pieces of reaches in WGS84 with ``name``, the ``control`` section's code and its ``class``
    (``classes`` per section of the basin; None for a stretch without a section below it on its
    river), a ``weight`` growing with the length of river above (arbolate sum) and the
    ``reach``. Without any class (no measurements) the pieces have no ``class``: the rivers
    are drawn in one colour."""
    net = basin.net
    pieces = reach_pieces(net, controlled_stretches(basin)).to_crs(4326)
    reach = pieces["reach"].to_numpy()
    pieces["name"] = net.reaches["name"].fillna("").astype(str).to_numpy()[reach]
    pieces["weight"] = np.clip(1 + 1.2 * np.log10(1 + net.arbolate / 1000), 1, 7)[reach]
    columns = ["name", "class", "control", "weight", "reach", "geometry"]
    if pd.isna(pd.Series(classes, dtype=object)).all():
        return pieces[[c for c in columns if c != "class"]]
    by_code = pd.Series(classes, index=basin.sections["code"].astype(str).to_numpy(), dtype=object)
    shown = pieces["control"].map(by_code)
    pieces["class"] = shown.astype(object).where(shown.notna(), None)
    return pieces[columns]


def _with_county_figures(project: Project, period: Period | None) -> gpd.GeoDataFrame:
    """Counties with the figures of their sections in ``period`` (``good_ratio``,
    ``worse_than_v_ratio``, ``cwqi`` … of :func:`geoenv.quality.aggregate`) that the counties
    layer does not have a column of its own for (its own wins)."""
    counties = project["counties"]
    figures = group_table(project, project.quality(period), "county").drop_duplicates("group").set_index("group")
    added = [c for c in figures.columns if c not in counties and c != "period"]
    return counties.assign(**{c: counties["name"].map(figures[c]) for c in added})


def only_area(
    content: MapContent, *, county: str | None = None, city: str | None = None, margin_km: float = 5.0
) -> MapContent:
    """The county ``county`` (of ``city`` when both are given: two cities may each have a 城区)
    or the city ``city`` (its counties): the rivers crossing it, its sections and those just
    across its borders (within ``margin_km``), its facilities; every county stays, with
    ``in_area`` True for the area's own (outlined on the map, the rest faded).

    Raises
    ------
    MapError
        When no county (city) has that name, naming the close ones (and the city or county of
        that name when it is one), or when counties of several cities have the county's name
        and no city says which.
    """
    if county is None and city is None:
        raise MapError("name a county or a city")
    counties = content.counties
    names = counties["name"].astype(str)
    cities = counties["city"].astype(str) if "city" in counties else pd.Series("", index=counties.index)
    own = pd.Series(True, index=counties.index)
    for flag, name, column, other in (("city", city, cities, names), ("county", county, names, cities)):
        if name is None:
            continue
        known = set(column[own].dropna())
        if name not in known:
            close = difflib.get_close_matches(str(name), sorted(known), n=3, cutoff=0.3)
            message = f"--{flag} {name!r}: no such {flag}" + (f" in {city}" if flag == "county" and city else "")
            other_flag = "county" if flag == "city" else "city"
            if name in set(other):
                message += f"; {name} is a {other_flag}: use --{other_flag} {name}"
            elif close:
                message += f"; did you mean {'、'.join(close)}?"
            raise MapError(message)
        own &= column.eq(name)
    if county is not None and city is None and cities[own].nunique() > 1:
        where = "、".join(sorted(cities[own].unique()))
        raise MapError(f"--county {county!r}: counties of {where} have that name; add --city to say which, "
                       f"e.g. --city {sorted(cities[own].unique())[0]} --county {county}")  # fmt: skip
    shape = counties.loc[own, "geometry"].union_all()
    metric = working_crs(shape.bounds)
    area = gpd.GeoSeries([shape], crs=4326).to_crs(metric)
    around = area.buffer(margin_km * 1000).to_crs(4326).iloc[0]
    rivers = content.rivers[content.rivers.intersects(shape)]
    sections = content.sections[content.sections.within(around)]
    facilities = content.facilities
    if facilities is not None:
        facilities = facilities[facilities.within(shape)]
    return replace(content, counties=counties.assign(in_area=own), rivers=rivers, sections=sections,
                   facilities=facilities, focus=area.to_crs(4326))  # fmt: skip


def trace_highlight(basin: Basin, result: Trace) -> Highlight:
    """The traced network (the trace's pieces: from the section up to where it stopped, within
    its distance) and the candidate facilities, for a map."""
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
    lines = reach_pieces(basin.net, result.pieces)
    return Highlight("溯源 trace", "#8e24aa", lines, gpd.GeoDataFrame(points, geometry="geometry", crs=4326), fields,
                     legend="溯源范围")  # fmt: skip


def impact_highlight(
    basin: Basin, result: Impact, *, sections: pd.DataFrame | None = None, borders: pd.DataFrame | None = None
) -> Highlight:
    """The spill's path (its pieces: from the spill point down to the distance limit) and every
    place of its table: the sections it reaches, with their class and 达标 in ``sections``
    (the map's, with ``code, class, meets_target, exceeding_items``), the water sources, and
    the border crossings (``borders``: :func:`geoenv.crossings`' table with ``id, lon, lat``),
    each with its distance and arrival, for a map."""
    table = result.table
    kinds = table["kind"].astype(str)
    lines = reach_pieces(basin.net, result.pieces)
    geometry = answer_places(table, layer="impact", sections=basin.sections, facilities=basin.facilities, lines=lines,
                             borders=borders).geometry  # fmt: skip
    points = gpd.GeoDataFrame(table.assign(kind_zh=kinds.map(VALUE_WORDS["kind"])), geometry=geometry, crs=4326)
    if sections is not None:
        quality = period_values(sections.set_index(sections["code"].astype(str)))
        at = points["id"].astype(str).where(kinds.eq("section"))
        points = points.assign(**{c: at.map(quality[c]) for c in ("class_label", "compliance")})
    fields = (("id", "编号"), ("name", "名称"), ("kind_zh", "类型"), ("class_label", "水质类别"),
              ("compliance", "达标情况"), ("distance_km", "距离(km)"), ("arrival_h", "到达(小时)"),
              ("arrival_time", "到达时间"))  # fmt: skip
    return Highlight("污染推演 spill", "#e53935", lines, points[points.geometry.notna()], fields, legend="污染影响范围")


def highlight_extent(highlight: Highlight, margin_km: float = 3.0) -> gpd.GeoSeries:
    """The rectangle a map of ``highlight`` opens on: its lines and points, ``margin_km``
    around them (WGS84)."""
    parts = [f.geometry.to_crs(4326) for f in (highlight.lines, highlight.points) if f is not None and len(f)]
    shapes = gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=4326)
    metric = working_crs(tuple(shapes.total_bounds))
    box = gpd.GeoSeries([shapes.to_crs(metric).union_all().envelope], crs=metric)
    return box.buffer(margin_km * 1000, join_style="mitre").to_crs(4326)


def map_style(project: Project, title: str, **attributes: object) -> MapStyle:
    """The style of a map of ``project``: a map of the embedded sample says so and credits
    the sources of its data (``attributes`` as :class:`~geoenv.maps.publish.MapStyle` takes them)."""
    if project.embedded:
        attributes = {"note": SAMPLE_NOTE_ZH, "attribution": ATTRIBUTION, **attributes}
    return MapStyle(title, **attributes)  # type: ignore[arg-type]  # MapStyle's own fields


def trace_map(project: Project, result: Trace, *, offline: bool = True) -> str:
    """The map of a trace (:func:`geoenv.tracing`): the classes of the trace's own period, as in
    its table, with the traced network and the candidates drawn over them."""
    row = project.basin.section(result.section)
    title = f"溯源：{row['code']} {row['name']}"
    highlight = trace_highlight(project.basin, result)
    page = build_atlas(project, result.period).page(highlights=(highlight,))
    page = replace(page, focus=highlight_extent(highlight))
    return publish_html(page, map_style(project, title), offline=offline)


def impact_map(project: Project, result: Impact, *, source: str, offline: bool = True) -> str:
    """The map of a spill drill (:func:`geoenv.impact`) from ``source`` (as the title names
    it): the spill's path and what it reaches over the classes of the drill's period."""
    atlas = build_atlas(project, result.period)
    highlight = impact_highlight(project.basin, result, sections=atlas.content.sections,
                                 borders=crossings(project).crossings)  # fmt: skip
    page = replace(atlas.page(highlights=(highlight,)), focus=highlight_extent(highlight))
    title = f"突发水污染事件推演：{source}"
    return publish_html(page, map_style(project, title), offline=offline)


@dataclass
class Demo:
    """The demo's maps of the latest year and the tables behind them.

    Attributes
    ----------
    atlas
        The content every page filters (its ``tables`` are the demo's).
    pages
        HTML by file name: ``index.html`` (the overview with a trace and a spill drill, a
        slider over the years, links to the other pages), one page per named river and
        ``trace.html``.
    notes
        A line on the trace and on the spill drill.
    """

    atlas: Atlas
    pages: dict[str, str]
    notes: list[str]


def demo_maps(project: Project) -> Demo:
    """The demo's maps (``geoenv demo``), all of the project's latest year: the overview, one
    page per named river, and the trace of the first section that misses its target
    (stopping at compliant sections) beside a spill drill from the first tailings pond on a
    river. The sample registers are illustrative, not official monitoring data."""
    period = project.default_period
    atlas = build_atlas(project, period, timeline=True)
    highlights, notes = _demo_highlights(project, period, atlas.content.sections)
    rivers = sorted(set(atlas.net.reaches["name"]) - {""})
    files = page_names(rivers)
    label = "（示例）"

    def style(title: str, links: dict[str, str], timeline: bool = False) -> MapStyle:
        return map_style(project, title + label, links=links, timeline=timeline)

    back = {"总图": "index.html"}
    links = {name: files[name] for name in rivers} | {"溯源示例 trace": "trace.html"}
    overview = style("山西省地表水监测断面分布图", links, timeline=True)
    pages = {"index.html": publish_html(atlas.page(highlights=highlights), overview)}
    pages |= {files[name]: publish_html(atlas.page(river=name), style(name, back)) for name in rivers}
    pages["trace.html"] = publish_html(atlas.page(highlights=highlights[:1]), style("溯源示例", back))
    return Demo(atlas, pages, notes)


def _demo_highlights(
    project: Project, period: Period, sections: pd.DataFrame
) -> tuple[tuple[Highlight, ...], list[str]]:
    """The trace of the first section placed on a river that misses its target in
    ``period`` (stopping at compliant sections), and a spill drill from the first tailings
    pond that lies on a river (its sections with their class in ``sections``); with a line on each."""
    basin = project.basin
    status = project.status(period)
    highlights, notes = [], []
    placed = set(basin.sections.loc[basin.sections["reach"] >= 0, "code"].astype(str))
    failing = sorted(code for code in status.index[status["meets_target"].eq(False)] if code in placed)
    if failing:
        result = trace(project, failing[0], period=period, stop_at_compliant=True)
        highlights.append(trace_highlight(basin, result))
        notes.append(f"trace of {failing[0]} ({period.label}): {len(result.table)} rows, stops {result.stops}")
    if basin.facilities is not None:
        ponds = basin.facilities[(basin.facilities["kind"] == "tailings_pond") & (basin.facilities["reach"] >= 0)]
        if len(ponds):
            spill = impact(basin, facility=str(ponds["id"].iloc[0]))
            highlights.append(impact_highlight(basin, spill, sections=sections, borders=crossings(project).crossings))
            notes.append(f"spill drill from {ponds['id'].iloc[0]}: reaches {len(spill.table)} places")
    return tuple(highlights), notes


def page_names(rivers: list[str]) -> dict[str, str]:
    """A file name per river map, safe whatever the river is called and distinct from the
    index's, the tables' and the trace's and from one another (``A/B`` and ``A_B`` →
    ``A_B.html``, ``A_B-2.html``)."""
    taken = ("index.html", *TABLE_FILES, "trace.html")
    return dict(zip(rivers, unique_filenames(rivers, suffix=".html", taken=taken), strict=True))
