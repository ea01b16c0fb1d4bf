"""Cartography of the published maps, on the page's HTML and the library's content: the scale
bar and north arrow, labels (order, angles, escaping), the map of a city or a county, the
choropleth's classes and legend, the print layout, and ``map -o X.html``."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from test_cli import run
from test_maps import section_codes

import geoenv
from geoenv.maps import MapContent, MapError, MapStyle, build_atlas, publish_html
from geoenv.maps.publish import PRINT_RULES, choropleth_classes


def labels_of(page: str) -> list[list]:
    """The labels a page carries, in the order they win a place."""
    return json.loads(re.search(r"(\[\[[^\n]*?\]\])\.forEach", page).group(1))


def content(**county_columns) -> MapContent:
    """Two counties of 测试市, an east-flowing and a north-flowing river, three sections."""
    squares = gpd.GeoSeries.from_wkt(
        ["POLYGON ((112 37, 112.2 37, 112.2 37.2, 112 37.2, 112 37))",
         "POLYGON ((112.2 37, 112.4 37, 112.4 37.2, 112.2 37.2, 112.2 37))"]
    )  # fmt: skip
    counties = gpd.GeoDataFrame({"name": ["甲县", "乙县"], "city": ["测试市"] * 2, **county_columns},
                                geometry=squares, crs=4326)  # fmt: skip
    lines = gpd.GeoSeries.from_wkt(["LINESTRING (112 37.1, 112.4 37.1)", "LINESTRING (112.3 37.0, 112.3 37.2)"])
    rivers = gpd.GeoDataFrame({"name": ["长河", "短河"]}, geometry=lines, crs=4326)
    sections = gpd.GeoDataFrame(
        {"code": ["S3", "S1", "S2"], "name": ["<b>丙</b>", "甲", "乙"], "river": ["长河"] * 3,
         "level": ["city", "provincial", "national"], "target_class": ["III"] * 3, "class": ["IV", "II", None]},
        geometry=gpd.points_from_xy([112.1, 112.2, 112.35], [37.1] * 3), crs=4326,
    )  # fmt: skip
    return MapContent(counties, rivers, sections)


def test_scale_is_metric_only_with_a_north_arrow():
    page = publish_html(content(), MapStyle("t"))
    assert "L.control.scale({position: 'bottomright', metric: true, imperial: false" in page
    assert "L.control.scale()" not in page  # folium's own (miles and km) is gone
    arrow = json.loads(re.search(r"div\.innerHTML = (\"\\u003csvg.*?\");", page).group(1))
    assert "'geoenv-north'" in page and arrow.startswith("<svg") and 'aria-label="北"' in arrow and ">N<" in arrow


def test_labels_in_priority_order_along_their_rivers():
    page = publish_html(content(), MapStyle("t", labels=True))
    labels = labels_of(page)
    texts = [label[2] for label in labels]
    # national S2 first, then rivers longest first, provincial S1, city S3, then the counties
    assert texts == ["乙", "长河", "短河", "甲", "&lt;b&gt;丙&lt;/b&gt;", "甲县", "乙县"]
    angles = {label[2]: label[3] for label in labels if label[4] == "river"}
    assert angles["长河"] == 0.0 and abs(angles["短河"]) == 90.0  # east-west flat, north-south upright
    long_river = next(label for label in labels if label[2] == "长河")
    assert long_river[:2] == [37.1, 112.2]  # the middle of its line
    county_names = json.dumps("区县名称 county names")  # the layer of county names without --labels
    assert "<b>丙" not in page and county_names not in page  # escaped; counties among the labels
    assert publish_html(content(), MapStyle("t", labels=True)) == page  # deterministic
    plain = publish_html(content(), MapStyle("t"))
    assert county_names in plain and [label[4] for label in labels_of(plain)] == ["county", "county"]


def test_a_slanted_river_label_turns_with_it_on_the_screen():
    c = content()
    line = gpd.GeoSeries.from_wkt(["LINESTRING (112 37, 112.2 37.2)"], crs=4326)
    rivers = gpd.GeoDataFrame({"name": ["斜河"]}, geometry=line, crs=4326)
    labels = labels_of(publish_html(MapContent(c.counties, rivers, c.sections), MapStyle("t", labels=True)))
    angle = next(label[3] for label in labels if label[2] == "斜河")
    xy = line.to_crs(3857).get_coordinates().to_numpy()
    expected = np.degrees(np.arctan2(-(xy[1, 1] - xy[0, 1]), xy[1, 0] - xy[0, 0]))  # screen y runs down
    assert angle == pytest.approx(expected, abs=0.1) and -60 < angle < -45  # rising to the right, a bit steeper


@pytest.mark.parametrize(
    ("values", "column", "classes", "edges"),
    [
        ([0.0, 0.19, 0.2, 0.5, 1.0, None], "good_ratio", [0, 0, 1, 2, 4, -1], [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        ([1.0, 2.0, 6.0, 5.99], "cwqi", [0, 1, 4, 4], [1, 2, 3, 4, 5, 6]),
        ([3.0, 3.0], "cwqi", [0, 0], [3] * 6),
    ],
)
def test_choropleth_classes(values, column, classes, edges):
    step, got = choropleth_classes(pd.Series(values, dtype=float), column)
    assert step.tolist() == classes and got == pytest.approx(edges)


def test_choropleth_legend_has_the_breaks_and_a_chinese_title():
    page = publish_html(content(good_ratio=[0.25, np.nan]), MapStyle("t", choropleth="good_ratio"))
    legend = page[page.index('id="geoenv-legend"') :]
    assert "区县：优良比例" in legend and "good_ratio" not in legend
    for row in ("0–20 %", "20–40 %", "40–60 %", "60–80 %", "80–100 %", "无数据"):
        assert row in legend
    assert re.findall(r'"p2": "([^"]*)"', page) == ["25 %", ""]  # a ratio reads as a percentage in the tooltip
    own = publish_html(content(**{"<i>指数": [2.0, 7.0]}), MapStyle("t", choropleth="<i>指数"))
    legend = own[own.index('class="geoenv-choropleth"') : own.index('class="geoenv-source"')]
    assert "区县：&lt;i&gt;指数" in legend and "<i>指数" not in own  # a user's column keeps its escaped name
    assert "2.0–3.0" in legend and "6.0–7.0" in legend and "无数据" not in legend


def test_choropleth_no_data_is_a_grey_no_class_comes_near_and_county_names_have_a_halo():
    def rgb(colour: str) -> np.ndarray:
        return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])

    for column, values in (("good_ratio", [0.1, np.nan]), ("worse_than_v_ratio", [0.1, np.nan])):
        page = publish_html(content(**{column: values}), MapStyle("t", choropleth=column))
        fills = re.findall(r'"fill": "(#[0-9a-f]{6})"', page)
        swatch = re.search(r'background:(#[0-9a-f]{6})"></span>无数据</div>', page).group(1)
        lowest = re.search(r'background:(#[0-9a-f]{6})"></span>0–20 %', page).group(1)
        assert len(set(fills)) == 2 and swatch in fills and lowest in fills  # the legend's swatch is the fill
        grey = rgb(swatch)
        assert np.ptp(grey) == 0  # a grey
        ramp = re.findall(r'geoenv-square" style="background:(#[0-9a-f]{6})"></span>\d', page)
        assert len(ramp) == 5 and min(np.abs(rgb(c) - grey).sum() for c in ramp) > 60  # far from every class
    css = re.search(r"\.geoenv-maplabel-county \{([^}]*)\}", page).group(1)
    assert css.count("0 0") >= 3 and "#fff" in css  # a white halo over the darkest class


def test_print_layout_hides_the_controls():
    screen = publish_html(content(), MapStyle("t", attribution="数据：某局"))
    printed = publish_html(content(), MapStyle("t", attribution="数据：某局", print_layout=True))
    assert f"@media print {{{PRINT_RULES}}}" in screen  # printing from the browser
    assert PRINT_RULES in printed and f"@media print {{{PRINT_RULES}" not in printed
    assert "制图 geoenv；资料来源：数据：某局" in printed


@pytest.fixture(scope="module")
def atlas():
    return build_atlas(geoenv.open_project(), "2024")


def test_a_city_map_has_its_counties_rivers_and_sections(atlas):
    counties = atlas.content.counties
    own = counties[counties["city"] == "吕梁市"]
    page = atlas.page(city="吕梁市")
    assert page.counties["in_area"].sum() == len(own) == 13 and len(page.counties) == len(counties)
    sections = atlas.content.sections
    inside = sections[sections.within(own.union_all())]
    assert len(inside) and set(inside["code"]) <= set(page.sections["code"])  # every section of the city
    assert set(page.sections["code"]) < set(sections["code"])  # and not the others
    assert page.rivers.intersects(own.union_all()).all() and len(page.rivers)
    lengths = atlas.page_tables(page, city="吕梁市")["river_lengths.csv"]
    assert set(lengths["county"]) <= set(own["name"]) and set(lengths["city"]) == {"吕梁市"}
    county = atlas.page(county="文水县")
    assert county.counties.loc[county.counties["in_area"], "name"].tolist() == ["文水县"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"county": "吕梁市"}, "--county '吕梁市': no such county; 吕梁市 is a city: use --city 吕梁市"),
        ({"city": "文水县"}, "--city '文水县': no such city; 文水县 is a county: use --county 文水县"),
        ({"city": "吕梁"}, "--city '吕梁': no such city; did you mean 吕梁市?"),
    ],
)
def test_bad_area_names(atlas, kwargs, message):
    with pytest.raises(MapError) as caught:
        atlas.page(**kwargs)
    assert str(caught.value) == message


def test_map_to_an_html_file_writes_its_tables_beside_it(tmp_path):
    out = tmp_path / "吕梁" / "吕梁市.html"
    result = run("-q", "map", "--city", "吕梁市", "--period", "2024", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out.resolve())
    names = sorted(p.name for p in out.parent.iterdir())
    assert names == ["吕梁市.facilities.csv", "吕梁市.html", "吕梁市.river_lengths.csv", "吕梁市.sections.csv"]
    table = pd.read_csv(out.parent / "吕梁市.sections.csv", dtype=str)
    assert set(table["断面编码"]) == section_codes(out.read_text(encoding="utf-8"))
    before = out.read_bytes()
    again = run("-q", "map", "--county", "文水县", "-o", out)
    assert again.exit_code == 1 and "--overwrite" in again.output and out.read_bytes() == before
    assert run("-q", "map", "--county", "文水县", "-o", out, "--overwrite").exit_code == 0
    assert out.read_bytes() != before
    folder = tmp_path / "m"
    assert run("-q", "map", "--county", "文水县", "-o", folder).exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "facilities.csv", "index.html", "river_lengths.csv", "sections.csv"
    ]  # fmt: skip


def test_a_county_name_two_cities_share_needs_its_city(tmp_path):
    result = run("map", "--county", "城区", "-o", tmp_path / "m")
    assert result.exit_code == 1 and not (tmp_path / "m").exists()
    assert "counties of 晋城市、阳泉市 have that name; add --city" in result.output
    result = run("-q", "map", "--county", "城区", "--city", "晋城市", "-o", tmp_path / "m")  # no river in the sample
    assert result.exit_code == 0, result.output  # its borders, with nothing in them
    page = build_atlas(geoenv.open_project(), "2024").page(county="城区", city="晋城市")
    outlined = page.counties[page.counties["in_area"]]
    assert outlined[["name", "city"]].values.tolist() == [["城区", "晋城市"]]
    result = run("map", "--county", "文水县", "--city", "晋城市", "-o", tmp_path / "n")
    assert result.exit_code == 1 and "no such county in 晋城市" in result.output


def test_a_river_is_labelled_where_the_map_opens():
    c = content()
    line = gpd.GeoSeries.from_wkt(["LINESTRING (112.1 36, 112.1 37.15)"], crs=4326)  # mostly south of the view
    rivers = gpd.GeoDataFrame({"name": ["南来河"]}, geometry=line, crs=4326)
    focus = c.counties.geometry.iloc[:1]  # 甲县: 37–37.2 N
    page = publish_html(MapContent(c.counties, rivers, c.sections, focus=focus), MapStyle("t", labels=True))
    label = next(label for label in labels_of(page) if label[2] == "南来河")
    assert label[:2] == pytest.approx([37.075, 112.1], abs=1e-3)  # the middle of the part in view (37–37.15)


def test_figures_that_grow_as_water_worsens_are_shaded_red():
    page = publish_html(content(cwqi=[2.0, 7.0]), MapStyle("t", choropleth="cwqi"))
    legend = page[page.index('class="geoenv-choropleth"') :]
    assert "区县：CWQI" in legend and "#a50f15" in legend and "#006d2c" not in legend
    assert "#006d2c" in publish_html(content(good_ratio=[0.9, 0.1]), MapStyle("t", choropleth="good_ratio"))
