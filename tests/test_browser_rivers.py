"""Rivers cut at their sections and highlights as the answer, as Chromium draws them: the
colour of the Leaflet paths around the 文峪河's sections, and the length of the trace and
spill paths drawn (headless, network cut off; skipped without Chromium)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from test_browser import chromium, open_page  # noqa: F401  # the fixture and the page opener
from test_cli import run
from test_stretches import CRS, wenyu_files

from geoenv.maps import browser
from geoenv.maps.publish import PALETTE, UNCONTROLLED_COLOUR

pytestmark = pytest.mark.skipif(browser() is None, reason="Chromium is not installed")

#: Every polyline Leaflet drew, with its colour and weight and its vertices (lon, lat).
DRAWN_PATHS = """() => {
  const paths = [];
  for (const k in window) {
    const v = window[k];
    if (v instanceof L.GeoJSON && v._map) {
      v.eachLayer(l => {
        if (l instanceof L.Polyline && !(l instanceof L.Polygon)) {
          const flat = L.LineUtil.isFlat(l.getLatLngs()) ? [l.getLatLngs()] : l.getLatLngs();
          paths.push({colour: l.options.color, weight: l.options.weight,
                      parts: flat.map(part => part.map(p => [p.lng, p.lat]))});
        }
      });
    }
  }
  return paths;
}"""


def drawn_paths(page) -> gpd.GeoDataFrame:
    paths = page.evaluate(DRAWN_PATHS)
    geometry = [shapely.MultiLineString(p["parts"]) for p in paths]
    frame = pd.DataFrame({"colour": [p["colour"] for p in paths], "weight": [p["weight"] for p in paths]})
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326).to_crs(CRS)


def test_river_colours_change_at_the_sections(chromium, tmp_path):  # noqa: F811  # the fixture
    lines, _ = wenyu_files(tmp_path)
    result = run("-q", "map", "--sections", tmp_path / "sections.csv", "--measurements", tmp_path / "measurements.csv",
                 "--add-rivers", tmp_path / "文峪河.gpkg", "--river", "文峪河", "-o", tmp_path / "m")  # fmt: skip
    assert result.exit_code == 0, result.output
    page, problems, _ = open_page(chromium, tmp_path / "m" / "index.html")
    rivers = drawn_paths(page)

    def colour_at(line: str, along: float) -> str:
        point = lines[line].interpolate(along, normalized=True)
        return rivers.iloc[int(np.argmin(rivers.distance(point)))]["colour"]

    page.screenshot(path=str(tmp_path / "wenyu.png"))
    assert colour_at("upper", 0.1) == PALETTE["II"]  # above 文峪河水库出口
    assert colour_at("upper", 0.35) == PALETTE["IV"]  # just below 文峪河水库出口 (at 0.3): 南姚's stretch
    assert colour_at("lower", 0.45) == PALETTE["IV"]  # just above 南姚 (at 0.5)
    assert colour_at("lower", 0.55) == UNCONTROLLED_COLOUR  # below 南姚, not the 汾河's class
    assert colour_at("ciyao", 0.45) == PALETTE["劣V"] and colour_at("ciyao", 0.55) == UNCONTROLLED_COLOUR
    assert problems == []


def test_highlights_drawn_are_the_answers(chromium, tmp_path):  # noqa: F811  # the fixture
    trace_csv, trace_html = tmp_path / "t.csv", tmp_path / "t.html"
    result = run("-q", "trace", "SX014", "--stop-at-compliant", "--lang", "en", "-o", trace_csv, "--map", trace_html)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(trace_csv, dtype={"id": str})
    page, problems, _ = open_page(chromium, trace_html)
    traced = drawn_paths(page)
    traced = traced[(traced["colour"] == "#8e24aa") & (traced["weight"] == 6)]
    stop = table.loc[table["id"] == "SX015", "distance_km"].iloc[0]  # the compliant section it stopped at
    assert traced.length.sum() == pytest.approx(stop * 1000, rel=2e-3)

    spill_csv, spill_html = tmp_path / "s.csv", tmp_path / "s.html"
    result = run(
        "-q", "impact", "--facility", "F042", "--distance-km", 40, "--lang", "en", "-o", spill_csv, "--map", spill_html
    )
    assert result.exit_code == 0, result.output
    page, more, _ = open_page(chromium, spill_html)
    spill = drawn_paths(page)
    spill = spill[(spill["colour"] == "#e53935") & (spill["weight"] == 6)]
    assert spill.length.sum() == pytest.approx(40000, rel=2e-3)
    page.screenshot(path=str(tmp_path / "spill.png"))
    assert problems == [] and more == []
