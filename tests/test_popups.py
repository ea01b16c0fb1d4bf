"""One stated period on every map, and what a popup says: the values of the period shown,
the neighbouring sections by name with code and distance, 达标/超标 with the multiples, the
spill's arrival clock times, and the trend drawn as inline SVG.

温南社 (a section of the tests' own registers on the 汾河, where SX014 is) has ammonia and COD
only: 1.5 and 30 mg/L every month of 2023, 0.5 and 10 of 2024. Its CWQI is the sum of C / S_III:
2024 0.5/1 + 10/20 = 1.00, 2023 1.5/1 + 30/20 = 3.00, and the two years pooled 2.00.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import pandas as pd
import pytest
from conftest import write
from test_cli import run

import geoenv
from geoenv.maps import build_atlas, publish_html
from geoenv.maps.atlas import map_style
from geoenv.maps.publish import PALETTE
from geoenv.maps.render import MapError
from geoenv.maps.trend import PANEL, check_trends, section_trends
from geoenv.quality import parse_period

WEN_SECTIONS = (
    "断面编码,断面名称,所在河流,经度,纬度,断面级别,水质目标\n"
    "WN1,温南社,汾河,111.876575,37.066003,国考,Ⅲ类\n"
    "WN2,小店桥,汾河,111.815324,36.994769,省考,Ⅲ类\n"
)


def wen_measurements(tmp_path, *, july_2024_nh3n: str = "0.5"):
    rows = ["断面编码,监测日期,氨氮,化学需氧量"]
    for month in range(1, 13):
        rows.append(f"WN1,2023-{month:02d}-05,1.5,30")
        rows.append(f"WN1,2024-{month:02d}-05,{july_2024_nh3n if month == 7 else '0.5'},10")
        rows.append(f"WN2,2024-{month:02d}-05,0.2,12")
    return write(tmp_path / "m.csv", "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def project():
    return geoenv.open_project()


@pytest.fixture
def wen(tmp_path):
    sections = write(tmp_path / "s.csv", WEN_SECTIONS)
    return geoenv.open_project(sections=sections, measurements=wen_measurements(tmp_path))


def layer(page: str, name: str) -> list[dict]:
    """The features of the point layer ``name``, each with ``shown``: its popup's values by label."""
    found = re.finditer(r'var fields = (\[[^\]]*\]), base[^\n]*\n.*?L\.geoJSON\((\{"features".*?"FeatureCollection"\})'
                        r', \{\s*name: ("[^"]*")', page, re.DOTALL)  # fmt: skip
    [(labels, features)] = [(json.loads(m.group(1)), json.loads(m.group(2))["features"]) for m in found
                            if json.loads(m.group(3)) == name]  # fmt: skip
    return [f["properties"] | {"shown": dict(zip(labels, f["properties"]["v"], strict=True))} for f in features]


def section_values(page: str, code: str) -> dict:
    return next(f for f in layer(page, "监测断面 sections") if f["v"][0] == code)


def test_map_without_period_shows_the_latest_year_and_says_so(tmp_path):
    result = run("map", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert "period: 2024 (the latest year with data; --period to choose another)" in result.output
    page = (tmp_path / "m" / "index.html").read_text(encoding="utf-8")
    assert (
        '<div class="geoenv-title">地表水监测断面分布图<span class="geoenv-title-period">（2024年）</span></div>'
        in page
    )
    table = pd.read_csv(tmp_path / "m" / "sections.csv", encoding="utf-8-sig", dtype=str)
    assert set(table["时段"]) == {"2024"}
    quiet = run("map", "--period", "2023", "--title", "太原市2023年断面图", "-o", tmp_path / "n")
    assert "period:" not in quiet.output  # named: nothing to say; and a title naming it is kept as it is
    assert '<div class="geoenv-title">太原市2023年断面图</div>' in (tmp_path / "n" / "index.html").read_text("utf-8")


def test_the_library_default_is_the_latest_year_not_all_years_pooled(project):
    atlas = build_atlas(project)
    assert atlas.period == project.default_period == parse_period("2024")
    classes = atlas.content.sections.set_index("code")["class"]
    assert classes["SX014"] == project.status("2024").loc["SX014", "class"] == "V"


def test_popup_values_are_those_of_the_period(wen):
    page = publish_html(build_atlas(wen, timeline=True).page(), map_style(wen, "温南社", timeline=True))
    shown = section_values(page, "WN1")
    v = shown["shown"]
    assert v["CWQI"] == f"{0.5 / 1.0 + 10 / 20:.2f}" == "1.00"  # 2024's, not the pooled 2.00
    assert v["水质类别"] == "II" and v["达标情况"] == "达标" and v["下游断面"].startswith("小店桥 (WN2) ")
    # on the slider: 2023 then 2024, each period's class, compliance, main pollutants, CWQI
    assert json.loads(re.search(r"var periods = (\[[^\]]*\])", page).group(1)) == ["2023", "2024"]
    assert shown["c"] == ["IV", "II"]
    y2023, y2024 = shown["p"]
    assert y2023[0] == "IV" and y2023[3] == f"{1.5 / 1.0 + 30 / 20:.2f}"
    multiple = (1.5 - 1.0) / 1.0, (30 - 20) / 20  # over class III, the target
    assert y2023[1] == f"超标（倍数）：化学需氧量({multiple[1]:.1f})、氨氮({multiple[0]:.1f})"
    assert y2023[2] == "化学需氧量(0.5)、氨氮(0.5)"
    assert y2024 == ["II", "达标", "", "1.00"]


def test_neighbours_are_named_with_code_and_network_distance(project):
    sections = build_atlas(project).content.sections.set_index("code")
    here, up, down = (project.basin.section(c) for c in ("SX014", "SX015", "SX013"))
    distance = project.relations.sections.set_index("code")["distance_km"]
    assert sections.loc["SX014", "upstream"] == f"汾河平遥断面 (SX015) {distance['SX015']:.1f} km"
    assert sections.loc["SX014", "downstream"] == f"汾河介休断面 (SX013) {distance['SX014']:.1f} km"
    # along the river, never shorter than the straight line between the two points
    for a, b, km in ((up, here, distance["SX015"]), (here, down, distance["SX014"])):
        ax, ay, bx, by = a.geometry.x, a.geometry.y, b.geometry.x, b.geometry.y
        east, north = math.radians(bx - ax) * math.cos(math.radians((ay + by) / 2)), math.radians(by - ay)
        line_km = 6371 * math.hypot(east, north)
        assert line_km <= km < 3 * line_km
    several = sections[sections["upstream_codes"].str.contains(";")]
    for code, row in several.iterrows():  # nearest first
        kms = [float(part.rsplit(" ", 2)[1]) for part in row["upstream"].split("；")]
        assert kms == sorted(kms) and len(kms) == len(row["upstream_codes"].split(";")), code


def test_trace_and_impact_maps_show_their_own_period(tmp_path):
    trace_page = tmp_path / "t.html"
    assert run("-q", "trace", "SX014", "--period", "2023", "--map", trace_page).exit_code == 0
    text = trace_page.read_text(encoding="utf-8")
    assert (
        '溯源：SX014 汾河孝义断面<span class="geoenv-title-period">（2023年）' in text
        and section_values(text, "SX014")["shown"]["水质类别"] == "IV"
    )
    spill_page, spill_csv = tmp_path / "i.html", tmp_path / "i.csv"
    result = run("impact", "--facility", "F042", "--map", spill_page, "-o", spill_csv)
    assert result.exit_code == 0, result.output
    assert "period: 2024 (the latest year with data" in result.output
    text = spill_page.read_text(encoding="utf-8")
    assert (
        '突发水污染事件推演：F042<span class="geoenv-title-period">（2024年）' in text
        and section_values(text, "SX014")["shown"]["水质类别"] == "V"
    )
    result = run("-q", "impact", "--facility", "F042", "--period", "2023", "--map", spill_page, "--overwrite")
    text = spill_page.read_text(encoding="utf-8")
    assert result.exit_code == 0 and '推演：F042<span class="geoenv-title-period">（2023年）' in text
    assert section_values(text, "SX014")["shown"]["水质类别"] == "IV"


def test_start_time_gives_the_clock_time_of_each_arrival(project, tmp_path):
    result = geoenv.impact(project, facility="F042", start_time="2024-07-01T08:00")
    start = dt.datetime(2024, 7, 1, 8, 0)
    expected = [(start + dt.timedelta(hours=h)).strftime("%Y-%m-%d %H:%M") for h in result.table["arrival_h"]]
    assert result.table["arrival_time"].tolist() == expected and len(expected) > 3
    assert "arrival_time" not in geoenv.impact(project, facility="F042").table
    with pytest.raises(geoenv.ParameterError, match="start_time"):
        geoenv.impact(project, facility="F042", start_time="July the first")
    out, page = tmp_path / "i.csv", tmp_path / "i.html"
    done = run("-q", "impact", "--facility", "F042", "--start-time", "2024-07-01T08:00", "-o", out, "--map", page)
    assert done.exit_code == 0, done.output
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert table["arrival_time" if "arrival_time" in table else "到达时间"].tolist() == expected
    spill = layer(page.read_text(encoding="utf-8"), "污染推演 spill")
    assert spill and {f["shown"]["到达时间"] for f in spill} <= set(expected)
    bad = run("impact", "--facility", "F042", "--start-time", "7/1 8am")
    assert bad.exit_code == 2 and "--start-time" in bad.output and "7/1 8am" in bad.output


def test_trend_svg_is_small_stable_and_checked(project):
    atlas = build_atlas(project)
    trends = atlas.content.sections.set_index("code")["trend"]
    assert trends.notna().all() and trends.str.len().max() < 2000
    again = build_atlas(geoenv.open_project()).content.sections.set_index("code")["trend"]
    assert trends.equals(again)
    svg = trends["SX014"]  # its main pollutants of 2024, with its target's (IV) limits
    labels = re.findall(r'<text x="6" y="\d+">([^<]*)</text>', svg)
    assert labels == ["氨氮 mg/L", "化学需氧量 mg/L", "高锰酸盐指数 mg/L"]
    assert re.findall(r">(IV类限值 [\d.]+)<", svg) == ["IV类限值 1.5", "IV类限值 30", "IV类限值 10"]
    assert ">2023</text>" in svg and ">2024</text>" in svg and svg.count("<svg") == 1
    check_trends(trends)
    for hostile in ('<svg x="1"><script>alert(1)</script></svg>', '<svg onload="alert(1)"></svg>', "<img src=x>"):
        with pytest.raises(MapError, match="SX014"):
            check_trends(pd.Series([hostile], index=["SX014"]))


def test_trend_limit_line_is_at_the_limit_and_below_detection_at_half(tmp_path):
    """July 2024 is exactly the class III limit of ammonia (1.0): its point lies on the limit
    line. Then July is 未检出 (0.1L): drawn at 0.05 and marked."""
    sections = write(tmp_path / "s.csv", WEN_SECTIONS)
    for july, level in (("1.0", "1.0"), ("0.1L", "0.05")):
        measured = wen_measurements(tmp_path, july_2024_nh3n=july)
        wen = geoenv.open_project(sections=sections, measurements=measured)
        svg = section_trends(wen["measurements"], build_atlas(wen).content.sections, parse_period("2024"))["WN1"]
        # no main pollutants in 2024: COD, ammonia and TP are drawn, TP has no values
        assert re.findall(r'<text x="6" y="\d+">([^<]*)</text>', svg) == ["化学需氧量 mg/L", "氨氮 mg/L"]
        label_y, ammonia = re.search(r'<text x="6" y="(\d+)">氨氮 mg/L</text>(.*?)<path stroke="#bbb"', svg).groups()
        limit_y = int(re.search(r'stroke="#C62828" stroke-dasharray="4 3" d="M6,(\d+)H294"', ammonia).group(1))
        points = re.search(r'stroke="#1565C0" fill="none" d="M([^"]+)"', ammonia).group(1).split(" ")
        assert len(points) == 24  # 2023-01 … 2024-12
        x, y = (int(n) for n in points[18].split(","))  # 2024-07
        top = int(label_y) + 2
        scale = 1.5 * 1.15  # the panel's top value: the largest, 2023's 1.5, with a margin
        assert abs(y - round(top + PANEL * (1 - float(level) / scale))) <= 1
        if july == "1.0":
            assert y == limit_y and ">III类限值 1<" in ammonia and 'stroke="#888"' not in ammonia
        else:
            assert re.search(rf'stroke="#888"[^>]* d="M{x},{y}h0"', ammonia)


def test_timeline_recolours_the_river_pieces_a_section_controls(project):
    atlas = build_atlas(project, timeline=True)
    rivers = atlas.content.rivers
    yearly = project.quality(by="year").sections.pivot(index="section", columns="period", values="class")
    changing = yearly[yearly["2023"] != yearly["2024"]].index
    controlled = rivers[rivers["control"].isin(changing)]
    assert len(controlled)
    for code, classes in zip(controlled["control"], controlled["classes"], strict=True):
        assert classes == yearly.loc[code, ["2023", "2024"]].tolist()
    page = publish_html(atlas.page(), map_style(project, "全省", timeline=True))
    colours = {tuple(json.loads(k)) for k in re.findall(r'"k": (\[[^\]]*\])', page)}
    for classes in controlled["classes"]:
        assert (PALETTE[classes[0]], PALETTE[classes[1]]) in colours


def test_spill_map_popup_has_class_and_arrival_marks_borders_and_opens_on_the_spill(project, tmp_path):
    page_path = tmp_path / "s.html"
    result = run("-q", "impact", "--facility", "F042", "--distance-km", "30", "--start-time", "2024-07-01T08:00",
                 "--map", page_path, "-o", tmp_path / "s.csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    page = page_path.read_text(encoding="utf-8")
    spill = {f["v"][0]: f for f in layer(page, "污染推演 spill")}
    table = geoenv.impact(project, facility="F042", distance_km=30, start_time="2024-07-01T08:00").table
    assert set(spill) == set(table["id"])  # every row of the table is on the map, the crossings too
    reached = table[table["kind"] == "section"].iloc[0]
    shown = spill[reached["id"]]["shown"]
    quality = section_values(page, reached["id"])["shown"]
    assert shown["水质类别"] == quality["水质类别"] and shown["达标情况"] == quality["达标情况"]
    assert shown["到达时间"] == reached["arrival_time"] and float(shown["距离(km)"]) == reached["distance_km"]
    crossings = geoenv.crossings(project).crossings.set_index("id")
    border = table[table["kind"] == "border"].iloc[0]
    assert spill[border["id"]]["shown"]["类型"] == "行政边界"
    lon, lat = crossings.loc[border["id"], ["lon", "lat"]]
    point = r'"coordinates": \[([\d.]+), ([\d.]+)\], "type": "Point"\}, "properties": \{"v": \["'
    x, y = map(float, re.search(point + border["id"], page).groups())  # drawn where the crossing is
    assert (x, y) == pytest.approx((lon, lat), abs=1e-5)
    assert 'style="background:#e53935;height:6px"></span>污染影响范围' in page
    (south, west), (north, east) = json.loads(re.search(r"\.fitBounds\(\s*(\[\[\d.*?\]\])", page).group(1))
    xs = [float(m.group(1)) for code in spill for m in [re.search(point + code, page)] if m]
    assert west < min(xs) and east > max(xs) and east - west < 0.5 and north - south < 0.5  # not the province


def test_facility_popup_names_its_downstream_section_with_distance_and_capacity_with_unit(tmp_path):
    plants = write(tmp_path / "f.csv", "编号,名称,类型,经度,纬度,设计规模（万吨/日）\n"
                                        "P1,温南污水处理厂,污水处理厂,111.87,37.07,9\n"
                                        "P2,小厂,污水处理厂,111.82,37.0,0.25\n")  # fmt: skip
    project = geoenv.open_project(sections=write(tmp_path / "s.csv", WEN_SECTIONS), facilities=plants,
                                  measurements=wen_measurements(tmp_path))  # fmt: skip
    page = publish_html(build_atlas(project).page(), map_style(project, "x"))
    popups = {f["v"][0]: f["shown"] for f in layer(page, "污水处理厂 sewage plant")}
    related = project.relations.facilities.set_index("id")
    names = dict(zip(project["sections"]["code"], project["sections"]["name"], strict=True))
    for plant, size in (("P1", "90000 m³/d"), ("P2", "2500 m³/d")):
        code, km = related.loc[plant, ["downstream_code", "distance_km"]]
        assert popups[plant]["下游断面"] == f"{names[code]} ({code}) {km:.1f} km"
        assert popups[plant]["规模"] == size
