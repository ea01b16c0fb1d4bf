"""Every validation problem, with the file, row and column it names."""

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from conftest import write

from geoenv.errors import InputError
from geoenv.io import LayerSource
from geoenv.layers import inspect, load

HEAD = "断面编码,断面名称,经度,纬度,水质目标,断面级别\n"


def messages(tmp_path, kind, text, encoding="utf-8", **kw):
    path = write(tmp_path / "in.csv", text, encoding)
    layer = inspect(kind, LayerSource(path, **kw))
    return [str(p) for p in layer.problems if p.severity == "error"]


def test_every_row_problem_is_listed_with_file_row_and_column(tmp_path):
    text = HEAD + (
        "S01,a,abc,37.0,II,国考\n"  # row 2: not a number
        "S02,b,,37.0,II,国考\n"  # row 3: missing
        "S03,c,37.05,112.05,II,国考\n"  # row 4: swapped
        "S01,d,112.0,37.0,VI,国考\n"  # row 5: duplicate code, bad class
        "S05,e,112.0,37.0,Ⅲ类,区考\n"  # row 6: unknown level
    )
    got = messages(tmp_path, "sections", text)
    f = str(tmp_path / "in.csv")
    assert got == [
        f"{f}:row 2: column 经度: 'abc' is not a number",
        f"{f}:row 3: column 经度: coordinate is missing",
        f"{f}:row 4: column 经度: longitude and latitude look swapped (37.05, 112.05): 112.05 is the longitude here",
        f"{f}:row 5: column 断面编码: duplicate section code 'S01' (also row 2)",
        f"{f}:row 5: column 水质目标: 'VI' is not a water-quality class: use I–V, Ⅰ–Ⅴ or 1–5",
        f"{f}:row 6: column 断面级别: unknown section level '区考': use 国考、省考、市考",
    ]


@pytest.mark.parametrize("value", ["Ⅰ", "I", "1", "Ⅰ类", "i"])
def test_target_class_spellings(tmp_path, value):
    path = write(tmp_path / "s.csv", HEAD + f"S01,a,112.0,37.0,{value},国考\n")
    assert list(load("sections", LayerSource(path)).data["target_class"]) == ["I"]


def test_out_of_range_coordinates(tmp_path):
    got = messages(tmp_path, "sections", HEAD + "S01,a,212.0,37.0,II,国考\n")
    assert got[0].endswith("row 2: column 经度: coordinate out of range for degrees")


def test_missing_required_column_names_the_aliases(tmp_path):
    got = messages(tmp_path, "sections", "断面编码,经度,纬度\nS01,112,37\n")
    assert "missing required column 'name' (headers such as name、断面名称、断面、名称)" in got[0]
    assert "--column sections.name=" in got[0]  # the form --column accepts


def test_unknown_facility_kind_suggests_the_nearest(tmp_path):
    text = "编号,名称,类型,经度,纬度\nF1,x,污水处理站点,112.0,37.0\nF2,y,风电场,112.0,37.0\n"
    got = messages(tmp_path, "facilities", text)
    assert "row 2: column 类型: unknown facility kind '污水处理站点'; did you mean 污水处理站?" in got[0]
    assert "row 3: column 类型: unknown facility kind '风电场' (known:" in got[1]


def test_half_an_outfall(tmp_path):
    text = "编号,名称,类型,经度,纬度,排口经度,排口纬度\nF1,x,排污口,112.0,37.0,112.1,\n"
    assert messages(tmp_path, "facilities", text)[0].endswith(
        "row 2: column 排口纬度: half an outfall location: give both or none"
    )


def test_empty_file_and_header_only(tmp_path):
    for text, message in (("", "the file is empty"), (HEAD, "the layer has no rows")):
        path = write(tmp_path / "e.csv", text)
        with pytest.raises(InputError, match=message):
            load("sections", LayerSource(path))


def test_undecodable_text(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(HEAD.encode() + b"S01,\xff\xfe\xfd\x80,112,37,II,\xff\n")
    with pytest.raises(InputError, match=r"bad.csv:row 2: undecodable text: this row is neither UTF-8 nor GBK"):
        load("sections", LayerSource(path))


def test_invalid_polygon_is_repaired_with_a_warning(tmp_path):
    bowtie = shapely.Polygon([(112, 37), (112.1, 37.1), (112.1, 37), (112, 37.1), (112, 37)])
    frame = gpd.GeoDataFrame(
        {"name": ["甲县", "乙县"]},
        geometry=[bowtie, shapely.box(112.2, 37, 112.3, 37.1)],
        crs=4326,
    )
    path = tmp_path / "c.gpkg"
    frame.to_file(path, engine="pyogrio")
    layer = load("counties", LayerSource(path))
    assert shapely.is_valid(layer.data.geometry).all()
    assert layer.data.geometry.iloc[0].area == pytest.approx(0.005)
    [warning] = layer.problems
    assert warning.severity == "warning" and warning.where == "feature 1"
    assert "invalid polygon (Self-intersection" in warning.message


def test_empty_geometry_and_wrong_type(tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"]},
        geometry=[
            shapely.LineString([(112, 37), (112.1, 37)]),
            shapely.Polygon(),
            shapely.Point(112, 37),
        ],
        crs=4326,
    )
    path = tmp_path / "r.gpkg"
    frame.to_file(path, engine="pyogrio")
    got = [str(p) for p in inspect("rivers", LayerSource(path)).problems]
    assert got == [
        f"{path}:feature 2: column geometry: empty geometry",
        f"{path}:feature 3: column geometry: a Point is not a line",
    ]


def test_no_crs_is_an_error_until_declared(tmp_path: Path):
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.LineString([(112, 37), (112.1, 37)])], crs=4326)
    shp = tmp_path / "r.shp"
    frame.to_file(shp, engine="pyogrio")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="the file has no CRS; declare it with --src-crs"):
        load("rivers", LayerSource(shp))
    assert len(load("rivers", LayerSource(shp, crs="4326")).data) == 1


def test_unknown_parameter_and_bad_value(tmp_path):
    text = "断面,日期,项目,监测值\nS01,2024-01-01,氨氮,abc\nS01,2024-13-45,总憐,0.1\n"
    got = messages(tmp_path, "measurements", text)
    assert any("row 3: column 项目: unknown parameter '总憐'; closest known: 总磷" in g for g in got)
    assert any("row 3: column 日期: '2024-13-45' is not a date" in g for g in got)
    assert any("row 2: column 监测值: 'abc' is neither a number nor detection-limit notation" in g for g in got)
