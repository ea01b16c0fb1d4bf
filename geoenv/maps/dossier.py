"""The dossier's pages (尾矿库一库一档): one print-friendly HTML page per facility and an index.

Each page is one self-contained file for A4 paper: no script, no external asset (fonts from
the system, a CJK stack), every value from a register escaped (:func:`text`), and a small map
drawn as inline SVG in the network's metric CRS: the rivers within a few km, the facility,
the sections and drinking-water sources near it, the stretch a spill runs within the hours,
a scale bar and a north arrow. The same dossiers give the same bytes.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoenv.basin import Basin
from geoenv.dossiers import Dossier, Dossiers
from geoenv.io.write import xml_text
from geoenv.maps.publish import capacity_text, escape
from geoenv.network.substring import reach_pieces
from geoenv.reports import period_title
from geoenv.schema import FACILITY_LABELS_ZH
from geoenv.tables import HEADERS, bureau_table
from geoenv.text import shortened

#: The SVG elements a sketch is made of (no script, no foreign object, no link).
SKETCH_ELEMENTS = frozenset({"svg", "title", "rect", "path", "circle", "polygon", "text", "g"})
#: The sketch's size in CSS pixels and the half-width of the ground it shows (metres).
SKETCH_PX = 560
HALF_M = (3000.0, 10000.0)
NAME_CHARS = 18
"""At most this many characters of a name on the sketch (the tables show it whole)."""
INDEX_NAME_CHARS = 40
"""At most this many characters of a name in the index (its page and its link's title have it whole)."""
SCALE_STEPS_M = (100, 200, 500, 1000, 2000, 5000)
Facts = list[tuple[str, object]]
"""Rows of a two-column table: header, value."""
#: What a bureau calls a file per facility of a kind (尾矿库一库一档, 入河排污口一口一档 …).
FILE_WORDS = {"tailings_pond": "一库一档", "outfall": "一口一档", "sewage_plant": "一厂一档", "wetland": "一湿地一档",
              "water_source": "一源一档", "industrial_park": "一园一档"}  # fmt: skip
OTHER_FILE_WORDS = "一设施一档"
KIND_WORDS = {**FACILITY_LABELS_ZH, "section": "断面", "border": "行政边界"}

CSS = """
@page { size: A4; margin: 15mm 14mm; }
html { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimHei",
  "WenQuanYi Micro Hei", sans-serif; font-size: 10.5pt; color: #222; background: #fff; }
body { max-width: 182mm; margin: 8mm auto; }
h1 { font-size: 16pt; margin: 0 0 2mm; overflow-wrap: anywhere; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; border-bottom: 1px solid #888; break-after: avoid; }
p { margin: 1mm 0; overflow-wrap: anywhere; }
.sub, .note { color: #555; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; break-inside: auto; }
tr { break-inside: avoid; }
th, td { border: 1px solid #999; padding: 1mm 1.5mm; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: #eee; font-weight: 600; }
table.facts th { width: 30%; }
td.n { text-align: right; white-space: nowrap; }
figure { margin: 2mm 0; break-inside: avoid; }
figure svg { width: 100%; max-width: 150mm; height: auto; display: block; margin: 0 auto;
  border: 1px solid #999; }
figcaption { font-size: 9pt; color: #444; text-align: center; }
svg text { font-family: inherit; font-size: 12px; fill: #222; paint-order: stroke; stroke: #fff;
  stroke-width: 3px; }
svg .river { fill: none; stroke: #3a7bd5; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
svg .reached { fill: none; stroke: #e4572e; stroke-width: 5; stroke-opacity: 0.8; stroke-linecap: round; }
svg .pond { fill: #8c510a; stroke: #fff; stroke-width: 2; }
svg .section { fill: #1b7837; stroke: #fff; stroke-width: 1.5; }
svg .source { fill: #2166ac; stroke: #fff; stroke-width: 1.5; }
svg .link { fill: none; stroke: #8c510a; stroke-width: 1.5; stroke-dasharray: 4 3; }
svg .bar { fill: #222; } svg .frame { fill: #fff; stroke: none; }
a { color: #1f4e99; }
@media print { a { color: inherit; text-decoration: none; } .screen { display: none; } body { margin: 0 auto; }
  html { font-size: 9pt; } h2 { margin: 3mm 0 1.5mm; } th, td { padding: 0.6mm 1.2mm; }
  figure svg { max-width: 85mm; } }
"""


def text(value: object) -> str:
    """A register value as page text: escaped for HTML and XML (control characters as
    ``\\xNN``, bidirectional controls as their codes); missing values empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return escape(xml_text(str(value)))


def dossier_pages(basin: Basin, result: Dossiers) -> dict[str, str]:
    """Every page of ``result`` by file name: ``index.html`` and each facility's page."""
    pages = {d.page: facility_page(basin, result, d) for d in result.dossiers}
    return {"index.html": index_page(result), **pages}


def _document(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")  # fmt: skip


def _period_words(result: Dossiers) -> str:
    if result.period is None:
        return "无监测数据：断面水质类别不可知"
    return f"水质类别时段：{period_title(result.period)}"


def _conditions(result: Dossiers) -> str:
    return f"{text(result.velocity_words)}，{result.hours:g} 小时内；{_period_words(result)}"


def _file_title(result: Dossiers) -> str:
    """``尾矿库一库一档``, ``入河排污口一口一档`` …: what the files of ``result``'s kind are called."""
    return FACILITY_LABELS_ZH.get(result.kind, result.kind) + FILE_WORDS.get(result.kind, OTHER_FILE_WORDS)


def index_page(result: Dossiers) -> str:
    """The list of facilities (name, county, river, risk level, first receptor and its
    arrival), each name linking its page."""
    title = _file_title(result)
    rows = []
    for row in result.index.itertuples():
        hours = float(row.first_arrival_h)  # type: ignore[arg-type]  # a float column
        arrival = "" if np.isnan(hours) else f"{hours:.2f}"
        first = text(row.first_receptor) or "无"
        rows.append(f'<tr><td>{text(row.id)}</td><td><a href="{escape(row.page)}" title="{text(row.name)}">'
                    f"{text(shortened(row.name, INDEX_NAME_CHARS))}</a></td>"
                    f"<td>{text(row.county)}</td><td>{text(row.river)}</td><td>{text(row.risk_level)}</td>"
                    f'<td>{first}</td><td class="n">{arrival}</td></tr>')  # fmt: skip
    head = "".join(f"<th>{h}</th>" for h in ("编号", "名称", "区县", "河流", "风险等级", "首个敏感目标",
                                             "到达用时(h)"))  # fmt: skip
    table = f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n"
    body = f'<h1>{title}</h1>\n<p class="sub">共 {len(result.index)} 个；{_conditions(result)}</p>\n{table}'
    return _document(f"{title}", body)


def facility_page(basin: Basin, result: Dossiers, dossier: Dossier) -> str:
    """One facility's page: register, place, nearest sections, receptors, sketch map."""
    f = dossier.facility
    title = _file_title(result)
    parts = [
        f'<p class="screen"><a href="index.html">← {FACILITY_LABELS_ZH.get(result.kind, result.kind)}一览</a></p>\n',
        f"<h1>{text(f['name'])}</h1>\n<p class=\"sub\">{title} · 编号 {text(f['id'])}</p>\n",
        "<h2>登记信息</h2>\n", _facts(_register(f)),
        "<h2>位置</h2>\n", _facts(_place(dossier)),
        "<h2>上下游最近断面</h2>\n", _sections(dossier, result),
        f"<h2>下游敏感目标（{result.hours:g} 小时内）</h2>\n", _receptors(dossier, result),
        "<h2>示意图</h2>\n", _figure(basin, result, dossier),
    ]  # fmt: skip
    return _document(f"{text(f['name'])} · {title}", "".join(parts))


def _register(facility: pd.Series) -> Facts:
    """The register's values under their Chinese headers; capacity with its unit."""
    frame = facility.to_frame().T
    capacity = capacity_text(frame).iloc[0] if "capacity" in frame else None
    shown = bureau_table(frame.drop(columns=["capacity_unit"], errors="ignore"), "zh").iloc[0]
    facts: Facts = []
    for column, value in zip(frame.columns.drop("capacity_unit", errors="ignore"), shown, strict=True):
        facts.append((HEADERS.get(column, column), capacity if column == "capacity" else value))
    return facts


def _place(dossier: Dossier) -> Facts:
    """Where it enters the river network (its county and city are in the register's part)."""
    if dossier.why == "not_placed":
        return [("河网位置", "未落到河网上：排口（或位置）距最近河流超出搜索半径，无法确定所在河段，"
                             "也无法推算下游受体。请核对经纬度或排口坐标。")]  # fmt: skip
    return [("河流", dossier.river or "（无名河段）"), ("河段编号", dossier.reach_id),
            ("河段位置(km)", f"{dossier.measure_km:.3f}（距该河段下游端）"), ("距河口(km)", f"{dossier.outlet_km:.3f}"),
            ("离河距离(m)", f"{dossier.offset_m:.1f}")]  # fmt: skip


def _facts(facts: Facts) -> str:
    rows = "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>\n" for k, v in facts)
    return f'<table class="facts">\n{rows}</table>\n'


def _table(frame: pd.DataFrame, numbers: tuple[str, ...]) -> str:
    """``frame`` (headers and values as shown) as an HTML table; ``numbers`` right-aligned."""
    head = "".join(f"<th>{text(c)}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = "".join(f'<td class="n">{text(v)}</td>' if c in numbers else f"<td>{text(v)}</td>"
                        for c, v in zip(frame.columns, values, strict=True))  # fmt: skip
        rows.append(f"<tr>{cells}</tr>")
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n"


def _sections(dossier: Dossier, result: Dossiers) -> str:
    if dossier.why == "not_placed":
        return "<p>未落到河网上，无上下游断面。</p>\n"
    if dossier.sections.empty:
        return "<p>上下游均无登记断面。</p>\n"
    frame = dossier.sections.assign(
        direction=dossier.sections["direction"].map({"upstream": "上游", "downstream": "下游"}),
        code=dossier.sections["name"].astype(str) + " (" + dossier.sections["code"].astype(str) + ")",
        distance_km=dossier.sections["distance_km"].map("{:.3f}".format),
    ).drop(columns="name")
    shown = bureau_table(frame, "zh", headers={"code": "断面", "distance_km": "河网距离(km)"})
    note = "" if "下游" in shown["方向"].tolist() else '<p class="note">下游无登记断面。</p>\n'
    return _table(shown, ("河网距离(km)",)) + note + f'<p class="note">{_period_words(result)}</p>\n'


def _receptors(dossier: Dossier, result: Dossiers) -> str:
    if dossier.why == "not_placed":
        return "<p>无：该设施未落到河网上，无法推算泄漏去向。</p>\n"
    if dossier.why == "nothing_downstream":
        return "<p>无：下游直至河网出口没有登记的断面、饮用水水源地或行政边界。</p>\n"
    if dossier.why == "beyond_hours":
        later = dossier.later
        assert later is not None  # set with beyond_hours
        return (f"<p>无：{result.hours:g} 小时内（{text(result.velocity_words)}）不到达任何登记的断面、饮用水水源地"
                f"或行政边界；最先到达的是{KIND_WORDS.get(later['kind'], later['kind'])} {text(later['name'])}，"
                f"距离 {later['distance_km']:.3f} km，约 {later['arrival_h']:.2f} 小时后。</p>\n")  # fmt: skip
    receptors = dossier.receptors
    named = receptors["name"].astype(str) + (" (" + receptors["id"].astype(str) + ")").where(
        receptors["kind"].eq("section"), ""
    )
    frame = receptors.assign(
        name=named,
        distance_km=receptors["distance_km"].map("{:.3f}".format),
        arrival_h=receptors["arrival_h"].map("{:.2f}".format),
    ).drop(columns="id")
    shown = bureau_table(frame, "zh", headers={"distance_km": "河网距离(km)"})
    return (_table(shown, ("河网距离(km)", "到达用时(h)"))
            + f'<p class="note">{_conditions(result)}（河段自带流速时以其为准）。</p>\n')  # fmt: skip


def _figure(basin: Basin, result: Dossiers, dossier: Dossier) -> str:
    crs = basin.net.reaches.crs
    caption = (f"示意图（非测绘成果），{crs.name if crs else ''}；红色：{result.hours:g} 小时内泄漏流经河段；"
               "▲ 断面，■ 饮用水水源地，● 本设施（虚线：至其入河处）。")  # fmt: skip
    return (
        f"<figure>\n{sketch(basin, dossier, hours=result.hours)}\n<figcaption>{text(caption)}</figcaption>\n</figure>\n"
    )


def sketch(basin: Basin, dossier: Dossier, *, hours: float) -> str:
    """The sketch map of ``dossier`` as an SVG element (no script; only :data:`SKETCH_ELEMENTS`).

    The ground shown is a square around the facility, large enough for its nearest sections
    (between :data:`HALF_M`), in the network's metric CRS; north is up.
    """
    net = basin.net
    crs = net.reaches.crs
    centre = _metric(gpd.GeoSeries([dossier.point], crs=4326), crs)[0]
    sections = basin.sections
    near = sections[sections["code"].astype(str).isin(dossier.sections["code"].astype(str))]
    near_xy = _metric(near.geometry, crs)
    half = HALF_M[0]
    if len(near_xy):
        offset = np.abs(shapely.get_coordinates(near_xy) - shapely.get_coordinates(centre)).max()
        half = float(np.clip(offset * 1.15 + 300, *HALF_M))
    cx, cy = shapely.get_x(centre), shapely.get_y(centre)
    box = (cx - half, cy - half, cx + half, cy + half)
    scale = SKETCH_PX / (2 * half)

    def xy(coords: np.ndarray) -> np.ndarray:
        return np.round(  # type: ignore[return-value]  # an array in, an array out
            np.c_[(coords[:, 0] - box[0]) * scale, (box[3] - coords[:, 1]) * scale], 1
        )

    geoms = net.reaches.geometry.to_numpy()
    hit = shapely.STRtree(geoms).query(shapely.box(*box))
    rivers = shapely.clip_by_rect(geoms[np.sort(hit)], *box)
    parts = [f'<rect class="frame" x="0" y="0" width="{SKETCH_PX}" height="{SKETCH_PX}"/>',
             _paths(rivers, "river", xy)]  # fmt: skip
    if len(dossier.reached):
        reached = reach_pieces(net, dossier.reached).geometry.to_numpy()
        parts.append(_paths(shapely.clip_by_rect(reached, *box), "reached", xy))
    inside = shapely.box(*box)
    drawn_sections = sections[shapely.within(_metric(sections.geometry, crs), inside)]
    for row, point in zip(drawn_sections.itertuples(), _metric(drawn_sections.geometry, crs), strict=True):
        x, y = xy(shapely.get_coordinates(point))[0]
        corners = f"{x:.1f},{y - 7:.1f} {x - 6:.1f},{y + 4:.1f} {x + 6:.1f},{y + 4:.1f}"
        parts.append(f'<polygon class="section" points="{corners}">'
                     f"<title>{text(row.name)} ({text(row.code)})</title></polygon>")  # fmt: skip
        parts.append(_label(x + 8, y + 4, row.name))
    facilities = basin.facilities
    if facilities is not None:
        sources = facilities[facilities["kind"] == "water_source"]
        drawn_sources = sources[shapely.within(_metric(sources.geometry, crs), inside)]
        for row, point in zip(drawn_sources.itertuples(), _metric(drawn_sources.geometry, crs), strict=True):
            x, y = xy(shapely.get_coordinates(point))[0]
            parts.append(f'<rect class="source" x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10">'
                         f"<title>{text(row.name)}</title></rect>")  # fmt: skip
            parts.append(_label(x + 8, y + 14, row.name))
    mid = SKETCH_PX / 2
    if dossier.reach_id:  # where it enters the river: the measure above the reach's downstream end
        reach = int(np.flatnonzero(net.ids.astype(str) == dossier.reach_id)[0])
        entry = shapely.line_interpolate_point(geoms[reach], net.length[reach] - dossier.measure_km * 1000)
        x, y = xy(shapely.get_coordinates(entry))[0]
        parts.append(f'<path class="link" d="M{mid:g} {mid:g} L{x:g} {y:g}"/>')
    parts.append(f'<circle class="pond" cx="{mid:.1f}" cy="{mid:.1f}" r="8"><title>{text(dossier.facility["name"])}'
                 f"</title></circle>{_label(mid + 11, mid - 8, dossier.facility['name'])}")  # fmt: skip
    parts.append(_scale_bar(half))
    parts.append(_north_arrow())
    body = "\n".join(p for p in parts if p)
    label = text(f"{dossier.facility['name']} 示意图")
    size = f'viewBox="0 0 {SKETCH_PX} {SKETCH_PX}" width="{SKETCH_PX}" height="{SKETCH_PX}"'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" {size} role="img" aria-label="{label}">\n'
            f"<title>{label}</title>\n{body}\n</svg>")  # fmt: skip


def _metric(points: gpd.GeoSeries, crs: object) -> np.ndarray:
    return points.to_crs(crs).to_numpy() if len(points) else np.array([], dtype=object)


def _label(x: float, y: float, name: object) -> str:
    """A name on the sketch beside its symbol; on the right-hand third, to its left."""
    if x > SKETCH_PX * 2 / 3:
        return f'<text x="{x - 16:.1f}" y="{y:.1f}" text-anchor="end">{text(shortened(name, NAME_CHARS))}</text>'
    return f'<text x="{x:.1f}" y="{y:.1f}">{text(shortened(name, NAME_CHARS))}</text>'


def _paths(lines: np.ndarray, css: str, xy) -> str:
    """One ``<path>`` of every line part in ``lines`` (clipped: empty ones left out)."""
    parts = shapely.get_parts(lines[~shapely.is_empty(lines)])
    parts = parts[shapely.get_type_id(parts) == 1]  # LineStrings (a clip may leave points)
    if not len(parts):
        return ""
    coords, owner = shapely.get_coordinates(parts, return_index=True)
    shown = xy(coords)
    starts = np.r_[True, owner[1:] != owner[:-1]]
    words = np.where(starts, "M", "L")
    d = " ".join(f"{w}{x:g} {y:g}" for w, (x, y) in zip(words, shown, strict=True))
    return f'<path class="{css}" d="{d}"/>'


def _scale_bar(half: float) -> str:
    """A bar of a round length near a quarter of the ground shown, bottom left."""
    length = max(s for s in SCALE_STEPS_M if s <= half / 2)
    px = length * SKETCH_PX / (2 * half)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length} m"
    y = SKETCH_PX - 20
    return (
        f'<g><rect class="bar" x="20" y="{y:.1f}" width="{px:.1f}" height="5"/>'
        f'<text x="20" y="{y - 6:.1f}">{label}</text></g>'
    )


def _north_arrow() -> str:
    x, y = SKETCH_PX - 30, 20
    return (
        f'<g><polygon class="bar" points="{x},{y} {x - 9},{y + 26} {x},{y + 19} {x + 9},{y + 26}"/>'
        f'<text x="{x - 5}" y="{y + 42}">N</text></g>'
    )
