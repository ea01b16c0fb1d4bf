"""``geoenv network build | navigate`` and ``geoenv relations``: outputs, reuse of a saved
network, and bad input (message, exit 1, nothing written)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point
from test_cli import run
from test_network import CRS, tree

from geoenv import datasets

RIVERS = datasets.get_path("shanxi_rivers")


def read(path):
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_build_csv_and_gpkg_then_navigate_the_saved_network(tmp_path):
    lines = tmp_path / "tree.gpkg"
    tree().to_file(lines, engine="pyogrio")
    out = tmp_path / "links.csv"
    result = run("network", "build", lines, "--id-field", "id", "--flow", "digitized", "--tolerance-m", "5", "-o", out)
    assert result.exit_code == 0, result.output
    table = read(out)
    assert list(table.columns[:4]) == ["id", "toid", "length_m", "name"]
    assert table.loc[table["id"] == "M5", "toid"].tolist() == [""]
    assert set(table.loc[table["id"].str.startswith("T4"), "id"]) == {"T4.1", "T4.2"}

    saved = tmp_path / "net.gpkg"
    assert run("network", "build", lines, "--id-field", "id", "--flow", "digitized", "-o", saved).exit_code == 0
    assert {"reaches", "links"} <= {name for name, _ in pyogrio.list_layers(saved)}
    from_lines = tmp_path / "a.csv"
    from_saved = tmp_path / "b.csv"
    args = ["--start", "M3", "--mode", "UT"]
    args += ["--lang", "en"]
    assert run("network", "navigate", lines, "--id-field", "id", "--flow", "digitized", *args, "-o", from_lines)
    result = run("network", "navigate", saved, *args, "-o", from_saved)
    assert result.exit_code == 0 and "network: 11 reaches from" in result.output
    assert read(from_lines).equals(read(from_saved))
    table = read(from_saved)
    assert table["id"].iloc[0] == "M3" and set(table["id"]) == {"M3", "M2", "T6", "M1", "T8"}
    assert table["distance_km"].astype(float).is_monotonic_increasing


def test_relations_on_the_embedded_data(tmp_path):
    out = tmp_path / "rel.csv"
    saved = tmp_path / "net.gpkg"
    result = run("relations", "-o", out, "--save-network", saved, "--lang", "en")
    assert result.exit_code == 0, result.output
    table = read(out).set_index("code")
    assert list(table.columns[:3]) == ["downstream_code", "distance_km", "upstream_codes"]
    # Down the 汾河: 宁武 → 静乐 → 娄烦 (the sample numbers sections along each river).
    assert table.loc["SX008", "downstream_code"] == "SX007" and table.loc["SX007", "downstream_code"] == "SX006"
    assert "SX008" in table.loc["SX007", "upstream_codes"].split(";")
    assert float(table.loc["SX008", "distance_km"]) > 0
    layers = {name for name, _ in pyogrio.list_layers(saved)}
    assert {"reaches", "links", "sections", "facilities", "relations"} <= layers
    # The saved network serves the next command without rebuilding.
    again = tmp_path / "rel2.csv"
    result = run("relations", "--rivers", saved, "-o", again, "--lang", "en")
    assert result.exit_code == 0 and read(again).equals(read(out))


def test_embedded_rivers_drain_to_the_yellow_river(tmp_path):
    out = tmp_path / "dm.csv"
    result = run("network", "navigate", RIVERS, "--start", "R014", "--mode", "DM", "-o", out, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "outlet 114.60000,34.90299 (given)" in result.output
    path = read(out)["id"].tolist()
    assert path[0] == "R014" and path[-1].startswith("R006")  # the 汾河 into the 黄河, out east


def bad(tmp_path, frame, *args):
    path = tmp_path / "lines.gpkg"
    frame.to_file(path, engine="pyogrio")
    out = tmp_path / "out.csv"
    result = run("network", "build", path, *args, "-o", out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not out.exists()
    return result.output, path


def test_bad_lines_are_reported(tmp_path):
    lines = [LineString([(112, 37), (112.1, 37)]), LineString([(112, 37), (112, 37)])]
    zero = gpd.GeoDataFrame(geometry=lines, crs=4326)
    output, path = bad(tmp_path, zero)
    assert f"error: {path}:feature 2: column geometry: line of zero length" in output
    points = gpd.GeoDataFrame(geometry=[Point(112, 37)], crs=4326)
    output, path = bad(tmp_path, points)
    assert f"error: {path}:feature 1: column geometry: a Point is not a line" in output
    output, _ = bad(tmp_path, tree(), "--outlet", "100,30")
    assert "outlet 1 lies on no line end" in output


def test_no_crs_says_how_to_declare_it(tmp_path):
    frame = tree().set_crs(None, allow_override=True)
    path = tmp_path / "lines.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.to_file(path, engine="pyogrio")
    result = run("network", "build", path, "-o", tmp_path / "out.csv")
    assert result.exit_code == 1
    message = "the file has no CRS; declare it with --src-crs (e.g. 4326, 4490, 32649, gcj02)"
    assert result.output.strip() == f"error: {path}: {message}"
    assert run("network", "build", path, "--src-crs", str(CRS), "-o", tmp_path / "out.csv").exit_code == 0


def test_navigation_errors(tmp_path):
    result = run("network", "navigate", RIVERS, "--start", "R0144", "--mode", "UT")
    assert result.exit_code == 1 and "error: --start 'R0144': no reach has this id; similar ids: R014" in result.output
    result = run("network", "navigate", RIVERS, "--start-at", "111,36", "--mode", "UT")
    assert result.exit_code == 1 and "error: 111.0,36.0: no reach within 1000 m (--radius-m)" in result.output
    assert run("network", "navigate", RIVERS, "--mode", "UT").exit_code == 2
