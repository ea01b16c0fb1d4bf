"""The stated period, the slider and the trend as a person sees them: headless Chromium with
the network cut off. Skipped when Chromium is not installed."""

from __future__ import annotations

import pytest
from test_browser import chromium, open_page  # noqa: F401  (chromium: the module's browser fixture)
from test_cli import run

import geoenv
from geoenv.maps import browser

pytestmark = pytest.mark.skipif(browser() is None, reason="Chromium is not installed")

# The colours of the river pieces whose colour changes between the periods: per piece its
# colour now and its colours per period.
RIVER_COLOURS = """() => {
  const found = [];
  for (const k in window) {
    const v = window[k];
    if (v instanceof L.GeoJSON && v._map) {
      v.eachLayer(l => {
        const c = l.feature && l.feature.properties.k;
        if (c && c[0] !== c[1]) { found.push([l.options.color, c]); }
      });
    }
  }
  return found;
}"""


def open_section(page, code: str) -> str:
    page.fill(".geoenv-search input", code)
    page.dispatch_event(".geoenv-search input", "change")
    page.wait_for_selector(".leaflet-popup-content")
    return page.inner_text(".leaflet-popup-content")


def slide_to(page, i: int) -> None:
    page.fill(".geoenv-timeline input", str(i))
    page.dispatch_event(".geoenv-timeline input", "input")


@pytest.fixture(scope="module")
def timeline_map(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timeline")
    result = run("-q", "map", "--timeline", "-o", folder)
    assert result.exit_code == 0, result.output
    return folder / "index.html"


def test_the_slider_turns_the_stated_period_not_the_users_title(chromium, tmp_path):  # noqa: F811
    title = "太原市断面图（2023年版）"
    assert run("-q", "map", "--timeline", "--title", title, "-o", tmp_path / "m").exit_code == 0
    page, problems, _ = open_page(chromium, tmp_path / "m" / "index.html")
    assert page.inner_text(".geoenv-title") == title + "（2024年）"
    for i, year in ((0, "2023"), (1, "2024"), (0, "2023")):
        slide_to(page, i)
        assert page.inner_text(".geoenv-title") == f"{title}（{year}年）"
    assert problems == []


def test_the_period_is_stated_and_the_slider_changes_popup_title_and_rivers(chromium, timeline_map):  # noqa: F811
    project = geoenv.open_project()
    yearly = project.quality(by="year").sections.pivot(index="section", columns="period", values="class")
    assert (yearly.loc["SX014", "2023"], yearly.loc["SX014", "2024"]) == ("IV", "V")
    page, problems, _ = open_page(chromium, timeline_map)
    assert page.inner_text(".geoenv-title") == "地表水监测断面分布图（2024年）"
    assert page.inner_text(".geoenv-period") == "2024年"
    text = open_section(page, "SX014")
    assert "水质类别\tV" in text and "达标情况\t超标" in text
    pieces = page.evaluate(RIVER_COLOURS)  # drawn in 2024's colours: the last period
    assert pieces and all(now == per_period[1] for now, per_period in pieces)
    slide_to(page, 0)
    assert page.inner_text(".geoenv-period") == "2023年"
    assert page.inner_text(".geoenv-title") == "地表水监测断面分布图（2023年）"
    text = page.inner_text(".leaflet-popup-content")  # the open popup follows the slider
    assert "水质类别\tIV" in text and "达标情况\t达标" in text and "CWQI\t" in text
    assert all(now == per_period[0] for now, per_period in page.evaluate(RIVER_COLOURS))
    slide_to(page, 1)
    assert "水质类别\tV" in page.inner_text(".leaflet-popup-content")
    assert problems == []


def test_a_popup_shows_the_trend(chromium, tmp_path):  # noqa: F811
    assert run("-q", "map", "--river", "汾河", "-o", tmp_path).exit_code == 0
    page, problems, _ = open_page(chromium, tmp_path / "index.html")
    text = open_section(page, "SX014")
    assert "上游断面\t汾河平遥断面 (SX015)" in text and "下游断面\t汾河介休断面 (SX013)" in text
    svg = page.locator(".leaflet-popup-content svg")
    assert svg.is_visible()
    box = svg.bounding_box()
    assert box["width"] >= 250 and box["height"] >= 100
    assert svg.locator("text").all_text_contents()[:2] == ["氨氮 mg/L", "IV类限值 1.5"]
    page.wait_for_timeout(800)  # the fly to the section ends
    page.screenshot(path=str(tmp_path / "popup.png"))
    assert (tmp_path / "popup.png").stat().st_size > 10_000 and problems == []
