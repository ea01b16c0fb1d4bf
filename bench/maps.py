"""Size, render time and browser load time of a large map, beside plain folium markers.

Prints figures; not a test. 3,000 sections, 20,000 facilities and 5,000 river reaches are
scattered over Shanxi; geoenv draws them as one canvas layer per kind, once with the popups
of before (codes of the neighbours) and once as published now: neighbours by name with code
and distance, 达标/超标, and each section's trend (24 months of three items drawn as SVG by
:mod:`geoenv.maps.trend`, the time to draw them counted); the alternative is the folium way
most scripts take: one CircleMarker or Marker (with a popup) per point and one PolyLine per
reach. Load time is measured in headless Chromium (when installed) until every layer is on
the map.

    python bench/maps.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoenv import datasets
from geoenv.maps import FACILITY_SYMBOLS, MapContent, MapStyle, browser, publish_map, render_html
from geoenv.maps.trend import section_trends
from geoenv.quality import parse_period

BOUNDS = (110.3, 34.6, 114.5, 40.7)


def scattered(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(BOUNDS[0], BOUNDS[2], n), rng.uniform(BOUNDS[1], BOUNDS[3], n)


def content(rng) -> MapContent:
    lon, lat = scattered(3000, rng)
    classes = np.array(["I", "II", "III", "IV", "V", "劣V", None], dtype=object)
    sections = gpd.GeoDataFrame(
        {
            "code": [f"S{i:04d}" for i in range(3000)], "name": [f"断面{i}" for i in range(3000)],
            "river": "某河", "county": "某县", "level": rng.choice(["national", "provincial", "city"], 3000),
            "target_class": "III", "class": rng.choice(classes, 3000), "main_pollutants": "氨氮(0.4)",
            "cwqi": rng.uniform(3, 9, 3000).round(2), "lon": lon.round(6), "lat": lat.round(6),
        },
        geometry=gpd.points_from_xy(lon, lat), crs=4326,
    )  # fmt: skip
    lon, lat = scattered(20000, rng)
    facilities = gpd.GeoDataFrame(
        {
            "id": [f"F{i:05d}" for i in range(20000)], "name": [f"设施{i}" for i in range(20000)],
            "kind": rng.choice(list(FACILITY_SYMBOLS), 20000), "county": "某县", "capacity": 10000,
            "lon": lon.round(6), "lat": lat.round(6),
        },
        geometry=gpd.points_from_xy(lon, lat), crs=4326,
    )  # fmt: skip
    lon, lat = scattered(5000, rng)
    steps = rng.normal(0, 0.02, (5000, 8, 2)).cumsum(axis=1) + np.c_[lon, lat][:, None, :]
    rivers = gpd.GeoDataFrame({"name": ["某河"] * 5000}, geometry=shapely.linestrings(steps), crs=4326)
    counties = gpd.read_file(datasets.get_path("shanxi_counties"))
    return MapContent(counties, rivers, sections, facilities)


def with_trends(content: MapContent, rng) -> MapContent:
    """The sections as published now: neighbours named, compliance, and a trend of 2023–2024
    (monthly COD, NH3-N and TP) each."""
    sections = content.sections.copy()
    codes = sections["code"].to_numpy()
    down = np.roll(codes, -1)
    sections["downstream"] = [f"断面{int(c[1:])} ({c}) 12.3 km" for c in down]
    sections["upstream"] = [f"断面{int(c[1:])} ({c}) 8.1 km" for c in np.roll(codes, 1)]
    sections["meets_target"] = sections["class"].isin(["I", "II", "III"])
    sections["exceeding_items"] = np.where(sections["meets_target"], None, "氨氮(0.4)")
    months = pd.date_range("2023-01-01", periods=24, freq="MS") + pd.Timedelta(days=4)
    n = len(codes) * len(months)
    measurements = pd.concat(
        [
            pd.DataFrame(
                {
                    "section": np.repeat(codes, len(months)),
                    "date": np.tile(months, len(codes)),
                    "parameter": item,
                    "value": rng.lognormal(np.log(centre), 0.4, n).round(3),
                    "below_dl": False,
                }
            )
            for item, centre in (("cod", 18), ("nh3n", 0.8), ("tp", 0.15))
        ],
        ignore_index=True,
    )
    started = time.perf_counter()
    trends = section_trends(measurements, sections.assign(main_pollutants=None), parse_period("2024"))
    sections["trend"] = sections["code"].map(trends)
    print(f"trends: {len(trends)} SVGs, {trends.str.len().mean():.0f} bytes each on average, "
          f"{trends.str.len().max()} at most, drawn in {time.perf_counter() - started:.1f} s")  # fmt: skip
    return MapContent(content.counties, content.rivers, sections, content.facilities)


def plain_folium(content: MapContent) -> folium.Map:
    fmap = folium.Map(location=[37.7, 112.4], zoom_start=7)
    folium.GeoJson(content.counties[["name", "geometry"]]).add_to(fmap)
    for line in content.rivers.geometry:
        folium.PolyLine([(y, x) for x, y in line.coords], weight=2).add_to(fmap)
    for row in content.sections.itertuples():
        folium.CircleMarker([row.lat, row.lon], radius=6, popup=f"{row.code} {row.name} {row._7}").add_to(fmap)
    for row in content.facilities.itertuples():
        folium.Marker([row.lat, row.lon], popup=f"{row.id} {row.name} {row.kind}").add_to(fmap)
    return fmap


def load_seconds(path: Path) -> float | None:
    executable = browser()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if executable is None:
        return None

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        started = time.perf_counter()
        page.goto(path.as_uri(), timeout=120_000)
        page.wait_for_load_state("load", timeout=120_000)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        seconds = time.perf_counter() - started
        chromium.close()
    return seconds


def main() -> None:
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    shown = content(rng)
    print(f"data: 3,000 sections, 20,000 facilities, 5,000 reaches ({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    published = with_trends(shown, rng)
    trends_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for label, make, offline, extra in [
            ("geoenv before (codes, no trends)", lambda: publish_map(shown, MapStyle("bench")), True, 0.0),
            ("geoenv with trends in the popups", lambda: publish_map(published, MapStyle("bench")), True, trends_s),
            ("plain folium markers (CDN links)", lambda: plain_folium(shown), False, 0.0),
        ]:
            started = time.perf_counter()
            page = render_html(make(), offline=offline) if offline else make().get_root().render()
            seconds = time.perf_counter() - started + extra  # with trends: the time to draw them too
            path = Path(folder) / f"{len(rows)}.html"
            path.write_text(page, encoding="utf-8")
            load = load_seconds(path)
            rows.append((label, path.stat().st_size / 1e6, seconds, load))
        print(f"{'map':<36}{'size MB':>9}{'render s':>10}{'browser s':>11}")
        for label, size, seconds, load in rows:
            shown_load = f"{load:.1f}" if load is not None else "n/a"
            print(f"{label:<36}{size:>9.1f}{seconds:>10.1f}{shown_load:>11}")
        print("(the plain folium page loads Leaflet from a CDN: its browser time here has no network and "
              "is a lower bound)")  # fmt: skip


if __name__ == "__main__":
    main()
