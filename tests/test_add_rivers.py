"""A bureau's own small rivers beside the embedded ones: one network, the embedded outlet kept,
ids kept apart, from the command line or the project file."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from test_cli import run

from geoenv import datasets
from geoenv.io import LayerSource
from geoenv.layers import load

RIVERS = datasets.get_path("shanxi_rivers")

FEN_AT = (112.14715, 37.29571)  # a point of the embedded 汾河, between 文水 (SX016) and 平遥 (SX015)


@pytest.fixture
def own_river(tmp_path):
    """文峪河 as a Chinese GIS layer has it (HLBM, HLMC), ending 150 m short of the 汾河, and a
    section on it added to the sample register."""
    metric = gpd.GeoSeries(gpd.points_from_xy([FEN_AT[0]], [FEN_AT[1]]), crs=4326).to_crs(32649).iloc[0]
    line = shapely.LineString([(metric.x - 30000, metric.y + 8000), (metric.x - 15000, metric.y + 2000),
                               (metric.x - 150, metric.y)])  # fmt: skip
    frame = gpd.GeoDataFrame({"HLBM": ["WYH1"], "HLMC": ["文峪河"]}, geometry=[line], crs=32649).to_crs(4326)
    frame.to_file(tmp_path / "文峪河.shp", encoding="utf-8")
    at = gpd.GeoSeries([line.interpolate(0.5, normalized=True)], crs=32649).to_crs(4326).iloc[0]
    sections = pd.read_csv(datasets.get_path("sample_sections"), dtype=str)
    sections.loc[len(sections)] = ["W01", "文峪河测试断面", "文峪河", f"{at.x:.6f}", f"{at.y:.6f}", "市考", "Ⅲ类"]
    sections.to_csv(tmp_path / "sections.csv", index=False)
    return tmp_path


def relations_of(result_path):
    return pd.read_csv(result_path, dtype=str, keep_default_na=False).set_index("code")


def test_own_river_joins_the_embedded_network(own_river):
    out = own_river / "r.csv"
    result = run("relations", "--sections", own_river / "sections.csv", "--add-rivers", own_river / "文峪河.shp",
                 "-o", out, "--lang", "en")  # fmt: skip
    assert result.exit_code == 0, result.output
    table = relations_of(out)
    assert table.loc["W01", "downstream_code"] == "SX015" and table.loc["W01", "reach_id"] == "WYH1"
    assert "W01" in table.loc["SX015", "upstream_codes"].split(";")
    assert "outlet 114.60000,34.90299 (given)" in result.output
    assert result.output.count("chosen by the outlet rule") == 9  # the embedded pieces' own, none added


def test_own_rivers_in_the_project_file(own_river):
    (own_river / "geoenv.toml").write_text(
        '[sections]\npath = "sections.csv"\n\n[rivers]\nadd = ["文峪河.shp"]\n', encoding="utf-8"
    )
    result = run("-q", "relations", "--config", own_river / "geoenv.toml", "-o", own_river / "r.csv", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert relations_of(own_river / "r.csv").loc["W01", "downstream_code"] == "SX015"


def test_added_ids_never_collide(tmp_path):
    plain = gpd.GeoDataFrame(geometry=[shapely.LineString([(112.0, 37.0), (112.1, 37.0)])], crs=4326)
    plain.to_file(tmp_path / "无编码.geojson")
    clash = gpd.GeoDataFrame({"id": ["R001"], "name": ["小河"]},
                             geometry=[shapely.LineString([(112.0, 37.1), (112.1, 37.1)])], crs=4326)  # fmt: skip
    clash.to_file(tmp_path / "重号.geojson")
    source = LayerSource(
        RIVERS,
        add=(LayerSource(tmp_path / "无编码.geojson"), LayerSource(tmp_path / "重号.geojson")),
    )
    rivers = load("rivers", source).data
    assert rivers["id"].is_unique and rivers["id"].tolist()[-2:] == ["无编码.1", "重号:R001"]
    assert rivers.loc[rivers["id"] == "R001", "name"].tolist() == ["黄河"]


def test_a_saved_network_does_not_take_added_rivers(own_river):
    net = own_river / "net.gpkg"
    assert run("-q", "network", "build", RIVERS, "-o", net).exit_code == 0
    result = run("-q", "relations", "--rivers", net, "--add-rivers", own_river / "文峪河.shp",
                 "--sections", own_river / "sections.csv", "-o", own_river / "r.csv")  # fmt: skip
    assert (
        result.exit_code == 1 and "is a saved network, used as it is: --add-rivers joins line layers" in result.output
    )


def test_a_bad_add_in_the_project_file(tmp_path):
    (tmp_path / "geoenv.toml").write_text('[rivers]\nadd = ["nope.shp", 5]\n', encoding="utf-8")
    result = run("-q", "validate", "--config", tmp_path / "geoenv.toml")
    assert result.exit_code == 1 and "[rivers]" in result.output and "add" in result.output


def test_a_saved_network_cannot_be_added(own_river):
    net = own_river / "net.gpkg"
    assert run("-q", "network", "build", own_river / "文峪河.shp", "-o", net).exit_code == 0
    result = run("-q", "relations", "--sections", own_river / "sections.csv", "--add-rivers", net,
                 "-o", own_river / "r.csv")  # fmt: skip
    assert result.exit_code == 2 and "is a saved network: add the lines it was built from" in result.output


def test_metres_in_a_geojson_without_crs(tmp_path):
    frame = gpd.GeoDataFrame(geometry=[shapely.LineString([(490000, 4150000), (510000, 4170000)])])
    (tmp_path / "utm.geojson").write_text(frame.to_json(), encoding="utf-8")  # no crs member: WGS84 by the spec
    result = run("-q", "network", "check", tmp_path / "utm.geojson", "--tolerance-m", "50")
    assert result.exit_code == 1 and "not degrees" in result.output and "--src-crs 32649" in result.output
    assert "unexpected" not in result.output


def test_a_saved_network_is_the_only_rivers_of_the_map(tmp_path):
    """A network of 汾河 and 黄河 only: the map's river lengths list those two, not the embedded
    rivers that would fill in for a rivers layer left out."""
    rivers = gpd.read_file(RIVERS)
    lines = tmp_path / "汾黄.gpkg"
    rivers[rivers["name"].isin(["汾河", "黄河"])].to_file(lines, engine="pyogrio")
    net = tmp_path / "net.gpkg"
    assert run("-q", "network", "build", lines, "-o", net).exit_code == 0
    result = run("-q", "map", "--rivers", net, "-o", tmp_path / "m", "--lang", "en")
    assert result.exit_code == 0, result.output
    lengths = pd.read_csv(tmp_path / "m" / "river_lengths.csv", encoding="utf-8-sig")
    assert set(lengths["river"]) == {"汾河", "黄河"}
    km = lengths.groupby("river")["length_km"].sum()
    line_km = rivers[rivers["name"].eq("汾河")].to_crs(32649).length.sum() / 1000
    assert abs(km["汾河"] - line_km) < 0.01 * line_km  # the 汾河 lies in Shanxi's counties: all of it
