"""Publishing maps: offline or CDN, basemaps (Gaode in GCJ-02), river and county maps, periods
and the slider, choropleth, the demo's pages, and bad requests."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import SECTIONS_CSV, write
from test_cli import run

from geoenv.crs import wgs84_to_gcj02
from geoenv.maps import MapContent, MapError, MapStyle, publish_map, render_html
from geoenv.maps.publish import basemap_tiles


def points_of(page: str) -> list[dict]:
    """The features of every point layer, as the page carries them."""
    features = []
    for match in re.finditer(r"L\.geoJSON\((\{\"features\".*?\"type\": \"FeatureCollection\"\})", page):
        features.append(json.loads(match.group(1))["features"])
    return [f for group in features for f in group]


def section_codes(page: str) -> set[str]:
    return {f["properties"]["v"][0] for f in points_of(page) if re.fullmatch(r"SX\d{3}", f["properties"]["v"][0])}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    result = run("-q", "demo", "-o", folder)
    assert result.exit_code == 0, result.output
    return folder


def test_demo_pages_and_links(demo):
    index = (demo / "index.html").read_text(encoding="utf-8")
    for name in ("汾河", "黄河", "桑干河"):
        assert (demo / f"{name}.html").exists() and f'href="{name}.html"' in index
    assert (demo / "trace.html").exists() and 'href="trace.html"' in index
    fen = (demo / "汾河.html").read_text(encoding="utf-8")
    codes = section_codes(fen)
    assert {"SX006", "SX016", "SX028"} <= codes and "SX002" not in codes  # 桑干河's SX002 is elsewhere
    assert "Timeline" not in fen and "geoenv-timeline" in index  # the overview steps through the years


def test_timeline_carries_a_class_per_year(demo):
    index = (demo / "index.html").read_text(encoding="utf-8")
    periods = json.loads(re.search(r"var periods = (\[[^\]]*\])", index).group(1))
    assert periods == ["2023", "2024"]
    sections = [f for f in points_of(index) if "c" in f["properties"]]
    assert len(sections) == 48 and all(len(f["properties"]["c"]) == 2 for f in sections)


def test_cdn_keeps_links_and_offline_has_none(tmp_path):
    result = run("-q", "map", "-o", tmp_path / "m", "--cdn")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "m" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<script src="https://cdn\.jsdelivr\.net/npm/leaflet', page)


def small_content() -> MapContent:
    square = gpd.GeoSeries.from_wkt(["POLYGON ((112 37, 112.2 37, 112.2 37.2, 112 37.2, 112 37))"])
    counties = gpd.GeoDataFrame({"name": ["甲县"], "city": ["测试市"]}, geometry=square, crs=4326)
    line = gpd.GeoSeries.from_wkt(["LINESTRING (112 37.1, 112.2 37.1)"])
    rivers = gpd.GeoDataFrame({"name": ["汾河"]}, geometry=line, crs=4326)
    sections = gpd.GeoDataFrame(
        {"code": ["S1"], "name": ["甲"], "river": ["汾河"], "county": ["甲县"], "level": ["national"],
         "target_class": ["III"], "class": ["IV"], "lon": [112.1], "lat": [37.1]},
        geometry=gpd.points_from_xy([112.1], [37.1]), crs=4326,
    )  # fmt: skip
    return MapContent(counties, rivers, sections)


def test_gaode_draws_in_gcj02_and_shows_true_coordinates():
    page = render_html(publish_map(small_content(), MapStyle("t", basemap="gaode")))
    [feature] = points_of(page)
    lon, lat = wgs84_to_gcj02(np.array([112.1]), np.array([37.1]))
    assert feature["geometry"]["coordinates"] == pytest.approx([lon[0], lat[0]], abs=2e-5)
    assert abs(feature["geometry"]["coordinates"][0] - 112.1) > 0.003  # really shifted
    assert "112.1" in feature["properties"]["v"] and "37.1" in feature["properties"]["v"]  # the popup's truth
    assert "autonavi.com" in page


@pytest.mark.parametrize(
    ("spec", "key", "message"),
    [
        ("file:///tiles/{z}/{x}/{y}.png", None, "use none, osm, gaode, tianditu or an http(s) URL"),
        ("https://tiles.example/{z}/{x}.png", None, "use none, osm, gaode, tianditu or an http(s) URL"),
        ("tianditu", None, "needs --tianditu-key"),
    ],
)
def test_bad_basemaps(spec, key, message):
    with pytest.raises(MapError, match=re.escape(message)):
        basemap_tiles(spec, key)


def test_tianditu_and_url_basemaps():
    assert "tk=KEY" in basemap_tiles("tianditu", "KEY")[0]
    assert basemap_tiles("https://t.example/{z}/{x}/{y}.png", None)[0].startswith("https://t.example")
    assert basemap_tiles("none", None) is None


def test_county_map_and_choropleth(tmp_path):
    result = run("-q", "map", "--county", "清徐县", "--choropleth", "good_ratio", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "m" / "index.html").read_text(encoding="utf-8")
    codes = section_codes(page)
    assert "SX017" in codes  # 清徐's own section
    assert len(codes) <= 6  # and only those just across its borders
    assert "区县：优良比例" in page and "#006d2c" in page  # the shading's Chinese title and darkest step


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--river", "汾和"], "--river '汾和': no river of that name; did you mean 汾河? rivers: 丹河"),
        (["--county", "清徐"], "--county '清徐': no such county; did you mean 清徐县?"),
        (["--period", "2030"], "no measurements in 2030"),
        (["--basemap", "ftp://x/{z}/{x}/{y}"], "use none, osm, gaode, tianditu or an http(s) URL"),
    ],
)
def test_bad_map_requests_write_nothing(tmp_path, args, message):
    out = tmp_path / "m"
    result = run("map", *args, "-o", out)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_an_empty_sections_layer_is_an_error(tmp_path):
    path = write(tmp_path / "s.csv", SECTIONS_CSV.splitlines()[0] + "\n")
    result = run("map", "--sections", path, "-o", tmp_path / "m")
    assert result.exit_code == 1 and "has no rows" in result.output


def test_points_far_from_rivers_say_so(tmp_path):
    far = SECTIONS_CSV + "S03,远处断面,,112.18,37.09,市考,3\n"
    sections = write(tmp_path / "s.csv", far)
    result = run("-q", "map", "--sections", sections, "--radius-m", "100", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "m" / "index.html").read_text(encoding="utf-8")
    [feature] = [f for f in points_of(page) if f["properties"]["v"][0] == "S03"]
    assert "远离河道，未落在河网上 (far from every river)" in feature["properties"]["v"]


def test_timeline_starts_at_the_period_asked(tmp_path):
    result = run("-q", "map", "--period", "2024-06", "--timeline", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "m" / "index.html").read_text(encoding="utf-8")
    periods = json.loads(re.search(r"var periods = (\[[^\]]*\])", page).group(1))
    assert len(periods) == 24 and f"show({periods.index('2024-06')})" in page


def test_the_maps_river_lengths_are_those_of_join_rivers(tmp_path):
    """Measured on the rivers layer, not on reaches whose ends were moved to close gaps."""
    assert run("-q", "map", "-o", tmp_path / "m").exit_code == 0
    assert run("-q", "join", "rivers", "-o", tmp_path / "j.csv").exit_code == 0
    ours = pd.read_csv(tmp_path / "m" / "river_lengths.csv", encoding="utf-8-sig")
    assert ours.equals(pd.read_csv(tmp_path / "j.csv", encoding="utf-8-sig"))
    assert run("-q", "map", "--river", "汾河", "-o", tmp_path / "f").exit_code == 0
    fen = pd.read_csv(tmp_path / "f" / "river_lengths.csv", encoding="utf-8-sig")
    whole = ours[ours["河流"].isin(set(fen["河流"]))].reset_index(drop=True)
    assert "汾河" in set(fen["河流"]) and fen.equals(whole)


def test_default_titles_name_the_river_or_area_and_periods_in_chinese(tmp_path):
    for options, title in ((["--river", "汾河"], "汾河 地表水监测断面分布图（2024年第2季度）"),
                           (["--county", "清徐县"], "清徐县 地表水监测断面分布图（2024年第2季度）"),
                           (["--city", "吕梁市", "--title", "吕梁图"], "吕梁图（2024年第2季度）")):  # fmt: skip
        page = tmp_path / "m.html"
        result = run("-q", "map", *options, "--period", "2024Q2", "-o", page, "--overwrite")
        assert result.exit_code == 0, result.output
        shown = re.search(r'<div class="geoenv-title">(.*?)</div>', page.read_text(encoding="utf-8")).group(1)
        assert re.sub(r"<[^>]+>", "", shown) == title
    result = run("-q", "map", "--period", "2024-06", "-o", tmp_path / "n.html")
    assert 'geoenv-title-period">（2024年6月）' in (tmp_path / "n.html").read_text(encoding="utf-8")
