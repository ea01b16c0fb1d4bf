"""Cartography as a reader sees it (headless Chromium, network cut off): the km scale and the
north arrow visible and uncovered, a city's map with its counties outlined, labels that never
overlap, the choropleth legend, the print layout, and ``map -o X.html``.

Skipped when Chromium is not installed."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import test_browser
from test_browser import SECTIONS_DRAWN, open_page
from test_cli import run

import geoenv
from geoenv.assessment import group_table
from geoenv.maps import MapStyle, browser, build_atlas, publish_html
from geoenv.maps.publish import choropleth_ramp

pytestmark = pytest.mark.skipif(browser() is None, reason="Chromium is not installed")
chromium = test_browser.chromium  # the browser fixture, shared

MAP = "Object.values(window).find(v => v instanceof L.Map)"
BOXES = """(selectors) => selectors.map(s => Array.from(document.querySelectorAll(s))
  .filter(e => e.offsetParent !== null || getComputedStyle(e).position === 'fixed')
  .map(e => { const r = e.getBoundingClientRect(); return [s, r.left, r.top, r.right, r.bottom]; })).flat()"""
OTHERS = [
    "#geoenv-legend", ".geoenv-timeline", ".leaflet-control-attribution", ".leaflet-control-layers",
    ".geoenv-title", ".geoenv-search", ".leaflet-control-zoom",
]  # fmt: skip
ALL_LABELS = """() => Array.from(document.querySelectorAll('.geoenv-maplabel')).map(e => {
  const r = e.getBoundingClientRect();
  return [e.textContent, r.left, r.top, r.right, r.bottom, getComputedStyle(e).visibility === 'visible'];
})"""
VISIBLE_LABELS = """() => Array.from(document.querySelectorAll('.geoenv-maplabel'))
  .filter(e => getComputedStyle(e).visibility === 'visible')
  .map(e => { const r = e.getBoundingClientRect(); return [e.textContent, r.left, r.top, r.right, r.bottom]; })"""


def overlap(a, b) -> bool:
    return a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]


def on_top(page, box) -> str:
    """The class of the outermost control at the middle of ``box`` (what a reader sees there)."""
    x, y = (box[1] + box[3]) / 2, (box[2] + box[4]) / 2
    return page.evaluate(f"() => document.elementFromPoint({x}, {y}).closest('.leaflet-control').className")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    assert run("-q", "demo", "-o", folder).exit_code == 0
    return folder / "index.html"


@pytest.mark.parametrize("size", [(1400, 1000), (1024, 700)])
def test_km_scale_and_north_arrow_visible_and_uncovered(chromium, demo, size):
    page, problems, _ = open_page(chromium, demo)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.wait_for_timeout(300)
    lines = page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(lines) == 1 and re.fullmatch(r"\d+ k?m", lines[0]), lines  # metric only: no miles
    scale, north = page.evaluate(BOXES, [".leaflet-control-scale", ".geoenv-north"])
    others = page.evaluate(BOXES, OTHERS)
    assert {box[0] for box in others} == set(OTHERS)  # all of them on the page
    for mine in (scale, north):
        assert mine[1] >= 0 and mine[3] <= size[0] and mine[2] >= 0 and mine[4] <= size[1]
        assert [box[0] for box in others if overlap(mine, box)] == []
    assert "leaflet-control-scale" in on_top(page, scale) and "geoenv-north" in on_top(page, north)
    assert page.locator(".geoenv-north svg").is_visible() and problems == []


def test_a_city_map_outlines_its_counties(chromium, tmp_path):
    out = tmp_path / "吕梁市.html"
    result = run("-q", "map", "--city", "吕梁市", "--period", "2024", "-o", out)
    assert result.exit_code == 0, result.output
    page, problems, _ = open_page(chromium, out)
    outlined = page.evaluate(f"""() => {{
      const names = [];
      {MAP}.eachLayer(l => {{ if (l.feature && l.options.weight === 3) names.push(l.feature.properties.p0); }});
      return names.sort();
    }}""")
    counties = geoenv.open_project()["counties"]
    assert outlined == sorted(counties.loc[counties["city"] == "吕梁市", "name"])
    sections = pd.read_csv(tmp_path / "吕梁市.sections.csv", dtype=str)
    assert page.evaluate(SECTIONS_DRAWN) == len(sections) > 0
    view = page.evaluate(f"() => {MAP}.getBounds().toBBoxString()").split(",")
    minx, miny, maxx, maxy = counties[counties["city"] == "吕梁市"].total_bounds
    assert float(view[0]) <= minx and float(view[2]) >= maxx  # the map opens on the city
    assert float(view[1]) <= miny and float(view[3]) >= maxy and problems == []


def test_labels_never_overlap(chromium, tmp_path):
    assert run("-q", "map", "--labels", "-o", tmp_path / "m").exit_code == 0
    page, problems, _ = open_page(chromium, tmp_path / "m" / "index.html")
    page.wait_for_timeout(300)
    total = page.locator(".geoenv-maplabel").count()
    for zoom in (0, 1, 2):
        if zoom:
            page.evaluate(f"() => {{ {MAP}.setZoom({MAP}.getZoom() + 1, {{animate: false}}); }}")
            page.wait_for_timeout(300)
        shown = page.evaluate(VISIBLE_LABELS)
        assert 10 < len(shown) < total  # many placed, some left out
        clashes = [(a[0], b[0]) for i, a in enumerate(shown) for b in shown[i + 1 :] if overlap(a, b)]
        assert clashes == [], zoom
    assert problems == []


def test_a_label_gives_way_only_to_a_more_important_one(chromium, tmp_path):
    assert run("-q", "map", "--labels", "-o", tmp_path / "m").exit_code == 0
    page, _, _ = open_page(chromium, tmp_path / "m" / "index.html")
    page.wait_for_timeout(300)
    labels = page.evaluate(ALL_LABELS)  # in the order they were given: the most important first
    frame = page.evaluate("() => { const r = document.querySelector('.folium-map').getBoundingClientRect();"
                          " return [r.left, r.top, r.right, r.bottom]; }")  # fmt: skip
    padded = [[t, x0 - 2, y0 - 2, x1 + 2, y1 + 2, v] for t, x0, y0, x1, y1, v in labels]
    for i, label in enumerate(padded):
        inside = frame[0] <= labels[i][1] and frame[1] <= labels[i][2] and labels[i][3] <= frame[2]
        inside = inside and labels[i][4] <= frame[3]
        blocked = any(other[5] and overlap(label, other) for other in labels[:i])  # within 2 px
        assert label[5] == (inside and not blocked), label[0]
    sections = geoenv.open_project()["sections"]
    national = set(sections.loc[sections["level"] == "national", "name"])
    shown = [label for label in labels if label[5]]
    assert national - {label[0] for label in shown}  # some crowded out here, and only by other national ones:
    for label in padded:
        if label[0] in national and not label[5]:
            assert any(other[0] in national and overlap(label, other) for other in shown), label[0]


def test_choropleth_legend_and_shading(chromium, tmp_path):
    out = tmp_path / "m"
    assert (
        run("-q", "map", "--city", "吕梁市", "--choropleth", "good_ratio", "--period", "2024", "-o", out).exit_code == 0
    )
    page, problems, _ = open_page(chromium, out / "index.html")
    legend = page.inner_text("#geoenv-legend")
    assert "区县：优良比例" in legend and "good_ratio" not in legend
    assert all(row in legend for row in ("0–20 %", "20–40 %", "40–60 %", "60–80 %", "80–100 %"))
    project = geoenv.open_project()
    figures = group_table(project, project.quality(geoenv.period_of(project, "2024")), "county").set_index("group")
    fills = page.evaluate(f"""() => {{
      const fills = {{}};
      {MAP}.eachLayer(l => {{
        if (l.feature && l.feature.properties.p0) fills[l.feature.properties.p0] = l.options.fillColor;
      }});
      return fills;
    }}""")
    for county, ratio in figures["good_ratio"].dropna().items():
        assert fills[county] == choropleth_ramp("good_ratio")[min(int(ratio * 5), 4)], county
    assert problems == []


def test_print_layout_keeps_title_legend_scale_and_source(chromium, tmp_path):
    project = geoenv.open_project()
    atlas = build_atlas(project, "2024")
    style = MapStyle("吕梁市 2024", attribution="数据：示例", print_layout=True)
    path = tmp_path / "print.html"
    path.write_text(publish_html(atlas.page(city="吕梁市"), style), encoding="utf-8")
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(path.as_uri())
    page.wait_for_selector(".leaflet-control-scale")
    for hidden in (".leaflet-control-layers", ".geoenv-search", ".leaflet-control-zoom"):
        assert not page.is_visible(hidden), hidden
    for shown in (".geoenv-title", "#geoenv-legend", ".leaflet-control-scale", ".geoenv-north", ".geoenv-source"):
        assert page.is_visible(shown), shown
    assert "资料来源：数据：示例" in page.inner_text(".geoenv-source")
    page.screenshot(path=str(tmp_path / "print.png"))
