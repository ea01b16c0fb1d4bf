"""The demo map as a person sees it: headless Chromium with the network cut off.

Skipped when Chromium is not installed (``.ci/run`` installs it)."""

from __future__ import annotations

import pytest
from conftest import SECTIONS_CSV, write
from test_cli import run

from geoenv.maps import browser
from geoenv.text import bidi_shown

pytestmark = pytest.mark.skipif(browser() is None, reason="Chromium is not installed")
sync_api = pytest.importorskip("playwright.sync_api")

SECTIONS_DRAWN = """() => {
  let drawn = 0;
  for (const k in window) {
    const v = window[k];
    if (v instanceof L.GeoJSON && v.options.name === '监测断面 sections' && v._map) {
      v.eachLayer(l => { if (l._point) drawn += 1; });  // placed on the canvas
    }
  }
  return drawn;
}"""


@pytest.fixture(scope="module")
def chromium():
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=browser(), args=["--no-sandbox", "--disable-gpu"])
        yield instance
        instance.close()


def open_page(chromium, path):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    problems, dialogs = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelector('.leaflet-control-layers') !== null")
    return page, problems, dialogs


def test_demo_map_draws_everything_and_opens_popups(chromium, tmp_path):
    assert run("-q", "demo", "-o", tmp_path).exit_code == 0
    page, problems, _ = open_page(chromium, tmp_path / "index.html")
    assert page.evaluate(SECTIONS_DRAWN) == 48
    assert page.is_visible("#geoenv-legend") and page.is_visible(".leaflet-control-layers-expanded")
    assert page.is_visible(".leaflet-control-scale") and page.is_visible(".geoenv-timeline")
    page.fill(".geoenv-search input", "SX014")
    page.dispatch_event(".geoenv-search input", "change")
    page.wait_for_selector(".leaflet-popup-content")
    text = page.inner_text(".leaflet-popup-content")
    assert "汾河孝义断面" in text and "水质类别\tV" in text and "上游断面\t汾河平遥断面 (SX015)" in text
    assert problems == []


def test_an_injected_name_runs_nothing(chromium, tmp_path):
    hostile = "<img src=x onerror=alert(1)>"
    text = SECTIONS_CSV.replace("上游断面", hostile).replace("下游断面", "${alert(2)}`")
    sections = write(tmp_path / "s.csv", text)
    assert run("-q", "map", "--sections", sections, "-o", tmp_path / "m").exit_code == 0
    page, problems, dialogs = open_page(chromium, tmp_path / "m" / "index.html")
    page.fill(".geoenv-search input", "S01")
    page.dispatch_event(".geoenv-search input", "change")
    page.wait_for_selector(".leaflet-popup-content")
    assert hostile in page.inner_text(".leaflet-popup-content")  # shown as text
    page.wait_for_timeout(300)
    assert dialogs == [] and problems == []


def test_png_screenshot(tmp_path):
    png = tmp_path / "map.png"
    result = run("-q", "map", "--river", "汾河", "-o", tmp_path / "m", "--png", png)
    assert result.exit_code == 0, result.output
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_hostile_names_draw_literally_and_run_nothing(chromium, hostile, tmp_path):
    title = "{{7*7}}标题<b>x</b>"
    column = "<img src=x onerror=alert(9)>"
    result = run("-q", "map", *hostile["layers"], "--title", title, "--choropleth", column, "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    page, problems, dialogs = open_page(chromium, tmp_path / "m" / "index.html")
    assert page.evaluate(SECTIONS_DRAWN) == 40
    assert page.inner_text(".geoenv-title") == title + "（2024年）"  # the period shown, stated
    options = page.evaluate("() => Array.from(document.querySelectorAll('#geoenv-search-list option'), o => o.value)")
    sections = {f"S{i:02d} {bidi_shown(name)}".strip() for i, name in enumerate(hostile["names"])}
    assert sections <= {o.strip() for o in options} and "S06 丹河A&B桥断面" in options  # plain text, as written
    page.fill(".geoenv-search input", "丹河A&B桥断面")  # typed as it is
    page.dispatch_event(".geoenv-search input", "change")
    page.wait_for_selector(".leaflet-popup-content")
    assert "丹河A&B桥断面" in page.inner_text(".leaflet-popup-content")
    page.mouse.move(*_screen_point(page, 112.05, 37.02))  # hover a county: its tooltip
    page.wait_for_selector(".leaflet-tooltip")
    assert column in page.inner_text(".leaflet-tooltip")  # the column's name, shown as text
    page.wait_for_timeout(300)
    assert dialogs == [] and problems == [] and not hostile["marker"].exists()


def _screen_point(page, lon: float, lat: float) -> tuple[float, float]:
    """Where a longitude and latitude are drawn on the page."""
    return tuple(
        page.evaluate(
            """([lon, lat]) => {
              for (const k in window) {
                if (window[k] instanceof L.Map) {
                  const p = window[k].latLngToContainerPoint([lat, lon]);
                  return [p.x, p.y];
                }
              }
            }""",
            [lon, lat],
        )
    )
