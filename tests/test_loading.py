"""Loading each format and encoding, the column aliases, user mappings and CRS handling."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import SECTIONS_CSV, write

from geoenv.crs import wgs84_to_gcj02
from geoenv.io import LayerSource
from geoenv.layers import inspect, load, parse_coordinates


def codes_and_points(layer):
    data = layer.data
    return list(data["code"]), np.round(data[["lon", "lat"]].to_numpy(float), 6).tolist()


EXPECTED = (["S01", "S02"], [[112.05, 37.05], [112.15, 37.05]])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings(tmp_path, encoding):
    path = write(tmp_path / "s.csv", SECTIONS_CSV, encoding)
    layer = load("sections", LayerSource(path))
    assert codes_and_points(layer) == EXPECTED
    assert list(layer.data["name"]) == ["上游断面", "下游断面"]
    assert list(layer.data["target_class"]) == ["II", "III"]
    assert list(layer.data["level"]) == ["national", "provincial"]
    assert layer.raw.encoding == ("GBK" if encoding == "gbk" else "UTF-8")


def test_xlsx_sheet(tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(SECTIONS_CSV), dtype=str)
    path = tmp_path / "s.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"说明": ["封面"]}).to_excel(xl, sheet_name="封面", index=False)
        frame.to_excel(xl, sheet_name="国考断面", index=False)
    assert codes_and_points(load("sections", LayerSource(path, layer="国考断面"))) == EXPECTED


def test_english_headers_and_user_mapping(tmp_path):
    text = "station_id,Section Name,Longitude,Latitude,Target\nS01,A,112.05,37.05,II\nS02,B,112.15,37.05,III\n"
    path = write(tmp_path / "s.csv", text)
    layer = load("sections", LayerSource(path, columns={"code": "station_id"}))
    assert codes_and_points(layer) == EXPECTED
    assert layer.columns["lon"] == "Longitude" and layer.columns["code"] == "station_id"


def point_frame():
    return gpd.GeoDataFrame(
        {"断面编码": ["S01", "S02"], "断面名称": ["上游", "下游"]},
        geometry=shapely.points([[112.05, 37.05], [112.15, 37.05]]),
        crs=4326,
    )


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp"])
def test_vector_point_formats(tmp_path, suffix):
    path = tmp_path / f"s{suffix}"
    # A UTF-8 .dbf holds 10-byte field names: Chinese names would be cut mid-character.
    frame = (
        point_frame().rename(columns={"断面编码": "code", "断面名称": "name"}) if suffix == ".shp" else point_frame()
    )
    frame.to_file(path, engine="pyogrio")
    assert codes_and_points(load("sections", LayerSource(path))) == EXPECTED


def test_projected_cgcs2000_file_is_reprojected(tmp_path):
    path = tmp_path / "s.gpkg"
    point_frame().to_crs(4547).to_file(path, engine="pyogrio")  # CGCS2000 / 3-degree GK CM 114E
    assert codes_and_points(load("sections", LayerSource(path))) == EXPECTED


def test_shapefile_without_cpg_in_gbk(tmp_path):
    path = tmp_path / "s.shp"
    point_frame().to_file(path, engine="pyogrio", encoding="gbk")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    layer = load("sections", LayerSource(path))
    assert list(layer.data["name"]) == ["上游", "下游"]
    assert layer.raw.encoding == "GBK"


def test_shapefile_honours_cpg(tmp_path):
    path = tmp_path / "s.shp"
    point_frame().to_file(path, engine="pyogrio", encoding="gbk")
    path.with_suffix(".cpg").write_text("GBK")
    assert list(load("sections", LayerSource(path)).data["name"]) == ["上游", "下游"]


def test_gcj02_table_is_converted(tmp_path):
    glon, glat = wgs84_to_gcj02(np.array([112.05, 112.15]), np.array([37.05, 37.05]))
    text = "断面编码,断面名称,经度,纬度\n" + "".join(f"S0{i + 1},x,{glon[i]:.7f},{glat[i]:.7f}\n" for i in range(2))
    path = write(tmp_path / "s.csv", text)
    assert codes_and_points(load("sections", LayerSource(path, crs="gcj02"))) == EXPECTED


def test_projected_table_with_declared_crs(tmp_path):
    xy = point_frame().to_crs(32649).geometry
    text = "断面编码,断面名称,x,y\n" + "".join(f"S0{i + 1},x,{p.x:.3f},{p.y:.3f}\n" for i, p in enumerate(xy))
    path = write(tmp_path / "s.csv", text)
    assert codes_and_points(load("sections", LayerSource(path, crs="32649"))) == EXPECTED


def test_degrees_minutes_seconds():
    values, bad = parse_coordinates(pd.Series(["112°30′36″", "112度30分36秒", "37.5", "", "abc"]))
    assert values[:3].round(4).tolist() == [112.51, 112.51, 37.5]
    assert np.isnan(values[3]) and bad.tolist() == [False, False, False, False, True]


def test_facility_kinds_and_outfall(tmp_path):
    text = (
        "编号,名称,类型,经度,纬度,排口经度,排口纬度\n"
        "F1,城区污水厂,污水处理厂,112.05,37.05,112.06,37.06\n"
        "F2,尾矿库,尾矿库,112.15,37.05,,\n"
    )
    layer = load("facilities", LayerSource(write(tmp_path / "f.csv", text, "gbk")))
    assert list(layer.data["kind"]) == ["sewage_plant", "tailings_pond"]
    assert layer.data["outfall_lon"].iloc[0] == 112.06 and np.isnan(layer.data["outfall_lon"].iloc[1])


def test_measurements_wide_and_long(tmp_path):
    wide = "断面编码,监测日期,氨氮(NH3-N),总磷,备注\nS01,2024年1月,0.5,0.02L,\nS01,2024-02-01,,0.1,\n"
    layer = inspect("measurements", LayerSource(write(tmp_path / "w.csv", wide)))
    data = layer.data.sort_values(["date", "parameter"])
    assert list(data["parameter"]) == ["nh3n", "tp", "tp"]
    assert data["value"].tolist() == [0.5, 0.01, 0.1]  # 0.02L counts as half the limit
    assert data["below_dl"].tolist() == [False, True, False]
    assert layer.problems == []  # 备注 is a remark column (断流 …), read, not ignored
    long = "断面,日期,项目,监测值,单位\nS01,2024-01-01,COD,18,mg/L\nS01,2024-01-01,溶解氧,7.9,mg/L\n"
    data = load("measurements", LayerSource(write(tmp_path / "l.csv", long))).data
    assert dict(zip(data["parameter"], data["value"], strict=True)) == {"cod": 18.0, "do": 7.9}


def test_rivers_and_counties_layers(counties_file: Path, rivers_file: Path):
    counties = load("counties", LayerSource(counties_file))
    assert list(counties.data["name"]) == ["甲县", "乙县"] and list(counties.data["city"]) == ["测试市"] * 2
    rivers = load("rivers", LayerSource(rivers_file))
    assert list(rivers.data["name"]) == ["汾河", ""]
