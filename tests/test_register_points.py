"""Sections and facilities as bureaus keep them: no 断面编码 for 省考 rows, shared names, 序号,
a 坐标来源 column mixing GPS and Gaode rows, capacities with units, the register's own county,
points outside every county, and coordinates written in 度分秒."""

from __future__ import annotations

import json
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write

from geoenv import crs as crs_
from geoenv.cli import main
from geoenv.io import LayerSource
from geoenv.layers import GENERATED_PREFIX, great_circle_km, inspect, parse_coordinates
from geoenv.maps.publish import OUTSIDE_COUNTIES
from geoenv.project import inspect_project

SECTIONS = [
    ["断面编码", "断面名称", "所在河流", "经度", "纬度", "断面级别", "水质目标"],
    ["SX01", "汾河水库出口", "汾河", "112.05", "37.05", "国考", "Ⅱ类"],
    ["", "温南社", "汾河", "112.15", "37.05", "省考", "Ⅲ类"],
    ["", "小店桥", "汾河", "112.12", "37.06", "省考", "Ⅳ类"],
    ["SX04", "韩武村", "潇河", "112.08", "37.02", "国考", "Ⅲ类"],
]


def _csv(rows: list[list[str]]) -> str:
    return "".join(",".join(row) + "\n" for row in rows)


def _book(path, rows: list[list[str]]):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([cell or None for cell in row])
    book.save(path)
    return path


def _problems(layer, severity: str) -> list[str]:
    return [str(p) for p in layer.problems if p.severity == severity]


def test_sections_without_codes_get_stable_codes_from_their_names(tmp_path):
    book = inspect("sections", LayerSource(_book(tmp_path / "断面.xlsx", SECTIONS)))
    assert not _problems(book, "error")
    data = book.data.set_index("name")
    assert data.loc["汾河水库出口", "code"] == "SX01" and data.loc["韩武村", "code"] == "SX04"
    generated = data.loc[["温南社", "小店桥"], "code"]
    assert all(re.fullmatch(GENERATED_PREFIX + "[0-9a-f]{10}", code) for code in generated)
    assert data["code_generated"].tolist() == [False, True, True, False]
    # the same codes from a CSV with the rows in another order, with spaces and full-width letters
    shuffled = [SECTIONS[0], SECTIONS[3], SECTIONS[4], [*SECTIONS[2][:1], " 温南社 ", *SECTIONS[2][2:]], SECTIONS[1]]
    again = inspect("sections", LayerSource(write(tmp_path / "s.csv", _csv(shuffled), "gb18030")))
    again = again.data.assign(name=again.data["name"].str.strip()).set_index("name")
    assert again.loc[["温南社", "小店桥"], "code"].tolist() == generated.tolist()
    (warning,) = _problems(book, "warning")
    assert "2 sections have no 断面编码: codes generated from their names (the same every run; " in warning
    assert f"温南社 → {generated['温南社']}, 小店桥 → {generated['小店桥']}" in warning
    assert warning.endswith("give 断面编码 in the register to use your own")


def test_a_register_without_a_code_column(tmp_path):
    rows = [[cell for k, cell in enumerate(row) if k != 0] for row in SECTIONS]
    layer = inspect("sections", LayerSource(write(tmp_path / "s.csv", _csv(rows))))
    assert not _problems(layer, "error") and layer.data["code_generated"].all()
    (warning,) = _problems(layer, "warning")
    assert "the register has no 断面编码 column: the codes of its 4 sections generated from their names" in warning


def test_a_shared_name_with_codes_is_a_warning_naming_both_rows(tmp_path):
    rows = [*SECTIONS, ["SX05", "韩武村", "潇河", "112.09", "37.03", "国考", "Ⅲ类"]]
    layer = inspect("sections", LayerSource(write(tmp_path / "s.csv", _csv(rows))))
    assert not _problems(layer, "error")
    shared = [w for w in _problems(layer, "warning") if "is shared by" in w]
    assert shared == [
        f"{tmp_path / 's.csv'}:row 5: column 断面名称: 断面名称 '韩武村' is shared by rows 5 and 6 "
        "(断面编码 SX04, SX05): files that name these sections must use the 断面编码"
    ]


# 东关断面 twice without a code (on the 浊漳河 and the 滹沱河), 西关断面 twice on one river
SHARED = [
    ["断面编码", "断面名称", "所在河流", "经度", "纬度", "断面级别"],
    ["SX032", "浊漳河长子断面", "浊漳河", "112.07", "37.02", "国考"],
    ["", "东关断面", "浊漳河", "112.05", "37.05", "省考"],
    ["", "浊漳河黎城断面", "浊漳河", "112.08", "37.06", "省考"],
    ["", "东关断面", "滹沱河", "112.15", "37.05", "省考"],
    ["", "西关断面", "汾河", "112.12", "37.02", "省考"],
    ["", "西关断面", "汾河", "112.13", "37.03", "省考"],
]


def test_a_shared_name_without_a_code_is_a_warning_with_codes_from_name_and_river(tmp_path):
    path = write(tmp_path / "s.csv", _csv(SHARED))
    layer = inspect("sections", LayerSource(path))
    assert not _problems(layer, "error")
    data = layer.data
    assert data["code"].is_unique and data["code_generated"].tolist() == [False] + [True] * 5
    codes = data.set_index(["name", "river", "lon"])["code"].to_dict()
    # the same codes from the rows in another order (they depend on the rows sharing the name only)
    again = inspect("sections", LayerSource(write(tmp_path / "r.csv", _csv([SHARED[0], *SHARED[:0:-1]])))).data
    assert again.set_index(["name", "river", "lon"])["code"].to_dict() == codes
    warnings = _problems(layer, "warning")
    assert (
        f"{path}:row 3: column 断面名称: 断面名称 '东关断面' is shared by rows 3 and 5; without 断面编码 their codes "
        "are generated from name and river: files that name these sections must use the codes, or give each its "
        "own 断面编码"
    ) in warnings
    assert (
        f"{path}:row 6: column 断面名称: 断面名称 '西关断面' is shared by rows 6 and 7; without 断面编码 their codes "
        "are generated from name, river and place: files that name these sections must use the codes, or give "
        "each its own 断面编码"
    ) in warnings
    # the count and the list agree: five rows without a code, five codes listed
    (made,) = [w for w in warnings if "have no 断面编码" in w]
    assert (
        "5 sections have no 断面编码: codes generated from their names (with the river or place where a name " in made
    )
    listed = re.findall(r"(\S+?(?: \(\S+\))?) → (name-[0-9a-f]{10})", made)
    assert [code for _, code in listed] == data["code"].tolist()[1:]
    assert [n for n, _ in listed][:3] == ["东关断面 (浊漳河)", "浊漳河黎城断面", "东关断面 (滹沱河)"]


def test_a_shared_name_loads_and_is_refused_only_where_measurements_name_it(tmp_path, counties_file):
    sections = write(tmp_path / "s.csv", _csv(SHARED))
    args = ["validate", "--sections", str(sections), "--counties", str(counties_file)]
    assert CliRunner().invoke(main, args).exit_code == 0
    by_name = write(tmp_path / "m.csv", "断面名称,监测时间,氨氮\n东关断面,2023-01,0.5\n浊漳河黎城断面,2023-01,0.4\n")
    result = CliRunner().invoke(main, [*args, "--measurements", str(by_name)])
    assert result.exit_code == 1
    assert f"error: {by_name}:row 2: column 断面名称: section '东关断面' is ambiguous: row 3, row 5 of {sections}" in (
        result.output
    )
    # named by the generated codes the warning lists, the same measurements load
    data = inspect("sections", LayerSource(sections)).data.set_index(["name", "river"])
    code = data.loc[("东关断面", "滹沱河"), "code"]
    by_code = write(tmp_path / "c.csv", f"断面编码,监测时间,氨氮\n{code},2023-01,0.5\n")
    project = inspect_project(
        {
            "counties": LayerSource(counties_file),
            "sections": LayerSource(sections),
            "measurements": LayerSource(by_code),
        }
    )
    assert not project.errors and project["measurements"]["section"].tolist() == [code]


def test_a_repeated_section_row_without_a_code_is_an_error(tmp_path):
    path = write(tmp_path / "s.csv", _csv([*SHARED, SHARED[2]]))
    assert _problems(inspect("sections", LayerSource(path)), "error") == [
        f"{path}:row 8: column 断面编码: the same name, river and place as row 3: a repeated row? remove it, or "
        "give each its own 断面编码"
    ]


def test_a_register_code_equal_to_a_generated_one_is_refused(tmp_path):
    first = inspect("sections", LayerSource(_book(tmp_path / "a.xlsx", SECTIONS)))
    code = first.data.set_index("name").loc["温南社", "code"]
    rows = [*SECTIONS, [code, "别的断面", "汾河", "112.17", "37.07", "市考", "Ⅲ类"]]
    errors = _problems(inspect("sections", LayerSource(write(tmp_path / "s.csv", _csv(rows)))), "error")
    assert len(errors) == 1 and f"{code!r} (generated from a name) is also the code of row" in errors[0]


def test_a_row_with_neither_code_nor_name(tmp_path):
    rows = [*SECTIONS, ["", "", "汾河", "112.17", "37.07", "市考", "Ⅲ类"]]
    errors = _problems(inspect("sections", LayerSource(write(tmp_path / "s.csv", _csv(rows)))), "error")
    assert errors == [
        f"{tmp_path / 's.csv'}:row 6: column 断面名称: neither 断面编码 nor 断面名称: the section cannot be "
        "identified; give it a name or a code"
    ]


# Facilities: the truth in WGS84, written as a county keeps them (序号, no id, 坐标来源, 万吨/日).
TRUTH = pd.DataFrame(
    {
        "名称": ["甲污水处理厂", "甲污水处理厂", "乙尾水人工湿地", "丙尾矿库", "丁污水处理厂"],
        "类型": ["污水处理厂", "入河排污口", "人工湿地", "尾矿库", "污水处理厂"],
        "lon": [112.0512345, 112.0534567, 112.1523456, 112.1734567, 112.0856789],
        "lat": [37.0512345, 37.0498765, 37.0687654, 37.0812345, 37.0223456],
        "out_lon": [112.0534567, np.nan, np.nan, np.nan, 112.0878901],
        "out_lat": [37.0498765, np.nan, np.nan, np.nan, 37.0245678],
        "坐标来源": ["高德地图", "GPS", "百度地图", "", "GCJ-02"],
        "设计规模（万吨/日）": ["4", "", "0.5", "", "1.25"],
    }
)


def _facilities_csv(path, truth: pd.DataFrame = TRUTH):
    frame = pd.DataFrame(
        {"序号": [str(i + 1) for i in range(len(truth))], "名称": truth["名称"], "类型": truth["类型"]}
    )
    for (x, y), (lon_col, lat_col) in (
        (("lon", "lat"), ("经度", "纬度")),
        (("out_lon", "out_lat"), ("排口经度", "排口纬度")),
    ):
        lon, lat = truth[x].to_numpy(dtype=float, copy=True), truth[y].to_numpy(dtype=float, copy=True)
        for source in ("gcj02", "bd09"):
            rows = truth["坐标来源"].map(crs_.coordinate_source).eq(source).to_numpy()
            lon[rows], lat[rows] = crs_.from_wgs84(lon[rows], lat[rows], source)
        frame[lon_col] = [f"{v:.7f}" if np.isfinite(v) else "" for v in lon]
        frame[lat_col] = [f"{v:.7f}" if np.isfinite(v) else "" for v in lat]
    frame = frame.assign(坐标来源=truth["坐标来源"], **{"设计规模（万吨/日）": truth["设计规模（万吨/日）"]})
    path.write_bytes(frame.to_csv(index=False).encode("gbk"))
    return path


def test_facilities_register_with_row_numbers_sources_and_capacity(tmp_path):
    layer = inspect("facilities", LayerSource(_facilities_csv(tmp_path / "设施.csv")))
    assert not _problems(layer, "error"), layer.problems
    data = layer.data
    # Gaode (GCJ-02) and Baidu (BD-09) rows within 1 m of their WGS84 truth; GPS rows as written
    metres = 1000 * great_circle_km(data["lon"], data["lat"], TRUTH["lon"], TRUTH["lat"])
    assert metres.max() < 1.0
    given = TRUTH["out_lon"].notna().to_numpy()
    metres = 1000 * great_circle_km(
        data["outfall_lon"][given], data["outfall_lat"][given], TRUTH["out_lon"][given], TRUTH["out_lat"][given]
    )
    assert metres.max() < 1.0
    assert data["coord_source"].tolist() == ["gcj02", "wgs84", "bd09", None, "gcj02"]
    # 序号 is a row number: neither the id nor a column of the layer
    assert "row_number" not in data and "序号" not in data
    assert data["id"].str.startswith(GENERATED_PREFIX).all() and data["id"].is_unique  # plant and outfall apart
    assert data["id_generated"].all()
    assert data["capacity"].tolist()[:3] == [40_000.0, pytest.approx(np.nan, nan_ok=True), 5_000.0]
    assert data["capacity"].iloc[4] == 12_500.0
    assert data["capacity_unit"].fillna("").tolist() == ["m³/d", "", "m³/d", "", "m³/d"]
    warnings = _problems(layer, "warning")
    assert any("the register has no 编号 column: the ids of its 5 facilities generated" in w for w in warnings)


def test_ids_stable_across_row_orders(tmp_path):
    first = inspect("facilities", LayerSource(_facilities_csv(tmp_path / "a.csv"))).data
    backwards = TRUTH.iloc[::-1].reset_index(drop=True)
    second = inspect("facilities", LayerSource(_facilities_csv(tmp_path / "b.csv", backwards))).data
    assert second["id"].tolist() == first["id"].tolist()[::-1]


def test_unknown_coordinate_source_names_the_row(tmp_path):
    truth = TRUTH.assign(坐标来源=["高德地图", "GPS", "百度地图", "西安80", "GCJ-02"])
    layer = inspect("facilities", LayerSource(_facilities_csv(tmp_path / "f.csv", truth)))
    (error,) = _problems(layer, "error")
    assert error.startswith(f"{tmp_path / 'f.csv'}:row 5: column 坐标来源: unknown coordinate source '西安80': write ")
    assert "leave it blank for the file's CRS" in error


def test_column_source_wins_over_src_crs_where_given(tmp_path):
    """Rows with a 坐标来源 follow it; blank rows follow --src-crs (here: taken on Gaode)."""
    truth = TRUTH.assign(坐标来源=["高德地图", "GPS", "", "", ""], out_lon=np.nan, out_lat=np.nan)
    written = truth.copy()
    blank = truth["坐标来源"].eq("").to_numpy()
    lon, lat = crs_.from_wgs84(truth["lon"].to_numpy()[blank], truth["lat"].to_numpy()[blank], "gcj02")
    written.loc[blank, "lon"], written.loc[blank, "lat"] = lon, lat
    path = _facilities_csv(tmp_path / "f.csv", written)
    data = inspect("facilities", LayerSource(path, crs="gcj02")).data
    metres = 1000 * great_circle_km(data["lon"], data["lat"], truth["lon"], truth["lat"])
    assert metres.max() < 1.0


def test_capacity_units(tmp_path):
    head = "名称,类型,经度,纬度,{}\n"
    cases = {
        "处理规模(m³/d)": ("20000", 20_000.0, "m³/d"),
        "设计处理能力(t/d)": ("800", 800.0, "m³/d"),
        "库容（万m³）": ("35", 350_000.0, "m³"),
    }
    for k, (header, (text, value, unit)) in enumerate(cases.items()):
        kind = "尾矿库" if "库容" in header else "污水处理厂"
        path = write(tmp_path / f"{k}.csv", head.format(header) + f"甲,{kind},112.05,37.05,{text}\n")
        layer = inspect("facilities", LayerSource(path))
        assert not _problems(layer, "error"), header
        assert (layer.data["capacity"].iloc[0], layer.data["capacity_unit"].iloc[0]) == (value, unit), header
    path = write(tmp_path / "bad.csv", head.format("设计规模（万吨/年）") + "甲,污水处理厂,112.05,37.05,4\n")
    (error,) = _problems(inspect("facilities", LayerSource(path)), "error")
    assert error.startswith(f"{path}: column 设计规模（万吨/年）: unknown capacity unit '万吨/年': write m³/d")
    path = write(tmp_path / "text.csv", head.format("设计规模（万吨/日）") + "甲,污水处理厂,112.05,37.05,约4\n")
    layer = inspect("facilities", LayerSource(path))
    assert not _problems(layer, "error") and layer.data["capacity"].tolist() == ["约4"]  # register text is data
    assert (
        f"{path}:row 2: column 设计规模（万吨/日）: capacity '约4' is not a number: kept as written, but not used "
        "where facilities are ranked by size (trace)"
    ) in _problems(layer, "warning")


SECTIONS_WITH_COUNTY = (
    "断面编码,断面名称,经度,纬度,所属区县\n"
    "S1,上游,112.05,37.05,甲县\n"  # in 甲县
    "S2,中游,112.15,37.05,乙\n"  # in 乙县: 乙 = 乙县
    "S3,下游,112.16,37.06,甲县\n"  # in 乙县, the register says 甲县
    "S4,邻省断面,112.5,37.05,\n"  # ~26 km east of every county
)


def test_register_county_disagreeing_with_the_polygon_is_one_warning(tmp_path, counties_file):
    sections = write(tmp_path / "s.csv", SECTIONS_WITH_COUNTY)
    sources = {"counties": LayerSource(counties_file), "sections": LayerSource(sections)}
    project = inspect_project(sources)
    assert not project.errors
    (county,) = [str(p) for p in project.problems if "than the register says" in p.message]
    assert county == (
        f"{tmp_path / 's.csv'}: column 所属区县: 1 section lies in another county than the register says "
        "(register → polygon): row 4: 甲县 → 乙县; the polygon's county is used: check the coordinates or the register"
    )
    data = project["sections"]
    assert data["county"].tolist()[:3] == ["甲县", "乙县", "乙县"] and pd.isna(data["county"].iloc[3])
    assert data["admin_match"].iloc[3] == "outside"


def test_outside_every_county_is_a_warning_unless_strict(tmp_path, counties_file):
    sections = write(tmp_path / "s.csv", SECTIONS_WITH_COUNTY)
    args = ["validate", "--sections", str(sections), "--counties", str(counties_file)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"warning: {sections}:row 5: column 经度: point is 26.7 km outside every county" in result.output
    strict = CliRunner().invoke(main, [*args, "--strict"])
    assert strict.exit_code == 1
    assert f"error: {sections}:row 5: column 经度: point is 26.7 km outside every county" in strict.output
    assert "leave out --strict" in strict.output


def test_far_outside_every_county_is_an_error_even_without_strict(tmp_path, counties_file):
    """A mistyped degree (113 for 112) puts a point ~100 km away: beyond the 50 km margin, an error."""
    sections = write(tmp_path / "s.csv", SECTIONS_WITH_COUNTY + "S5,错一度,113.15,37.05,\n")
    args = ["validate", "--sections", str(sections), "--counties", str(counties_file)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert (
        f"error: {sections}:row 6: column 经度: point is 84.5 km outside every county (the counties in "
        f"{counties_file}), more than the 50 km a neighbour's section may lie: check the coordinates (a mistyped "
        "degree moves a point ~100 km), or give counties that cover it (--counties)"
    ) in result.output
    # the near one (26.7 km) stays a warning that says the margin
    assert (
        f"warning: {sections}:row 5: column 经度: point is 26.7 km outside every county (the counties in "
        f"{counties_file}): kept with no county, shown as outside on maps (界外; allowed within 50 km, --strict "
        "refuses it)"
    ) in result.output


def test_swapped_coordinates_stay_an_error(tmp_path, counties_file):
    sections = write(tmp_path / "s.csv", "断面编码,断面名称,经度,纬度\nS1,上游,37.05,112.05\n")
    result = CliRunner().invoke(main, ["validate", "--sections", str(sections), "--counties", str(counties_file)])
    assert result.exit_code == 1 and "longitude and latitude look swapped" in result.output


def test_a_section_outside_shows_so_on_the_map(tmp_path, counties_file, rivers_file):
    sections = write(tmp_path / "s.csv", SECTIONS_WITH_COUNTY)
    args = ["-q", "map", "--sections", sections, "--counties", counties_file, "--rivers", rivers_file]
    result = CliRunner().invoke(main, [str(a) for a in [*args, "-o", tmp_path / "m"]])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "m" / "index.html").read_text(encoding="utf-8")
    found = re.findall(r"L\.geoJSON\((\{\"features\".*?\"type\": \"FeatureCollection\"\})", page)
    points = {f["properties"]["v"][0]: f["properties"]["v"] for group in found for f in json.loads(group)["features"]}
    assert OUTSIDE_COUNTIES in points["S4"] and OUTSIDE_COUNTIES not in points["S3"]


@pytest.mark.parametrize(
    "text",
    [
        "112°30'15.2\"", "112°30′15.2″", "112度30分15.2秒", "E112°30'15.2\"", "东经112°30′15.2″",
        "112 30 15.2", "１１２°３０′１５.２″", "112º30′15.2″", "112°30’15.2”",
    ],
)  # fmt: skip
def test_degrees_minutes_seconds_as_bureaus_write_them(text):
    value, bad = parse_coordinates(pd.Series([text]))
    assert not bad[0] and value[0] == pytest.approx(112 + 30 / 60 + 15.2 / 3600, abs=1e-9)


@pytest.mark.parametrize(
    ("text", "value"), [("112.504222°", 112.504222), ("-112.5°", -112.5), ("112°30′W", -112.5), ("１１２.５", 112.5)]
)
def test_decimal_degrees_forms(text, value):
    parsed, bad = parse_coordinates(pd.Series([text]))
    assert not bad[0] and parsed[0] == pytest.approx(value)


@pytest.mark.parametrize("text", ["112 30", "E112°30′N", "112°61′", "112.5°30′"])
def test_ambiguous_coordinates_are_refused(text):
    assert parse_coordinates(pd.Series([text]))[1][0]


def test_facilities_of_one_name_are_told_apart_by_place(tmp_path):
    head = "序号,名称,类型,经度,纬度\n"
    rows = "1,泽州污水处理厂,污水处理厂,112.05,37.05\n2,泽州污水处理厂,污水处理厂,112.15,37.06\n"
    path = write(tmp_path / "f.csv", head + rows)
    layer = inspect("facilities", LayerSource(path))
    assert not _problems(layer, "error") and layer.data["id"].is_unique
    assert (
        f"{path}:row 2: column 名称: 名称 '泽州污水处理厂' (污水处理厂) is shared by rows 2 and 3; without 编号 "
        "their ids are generated from name and place: name them by id (e.g. --facility), or give each its own 编号"
    ) in _problems(layer, "warning")
    again = inspect("facilities", LayerSource(write(tmp_path / "g.csv", head + rows.splitlines()[1] + "\n" + rows)))
    assert set(again.data["id"]) == set(layer.data["id"])  # the same ids whatever the order
    errors = _problems(again, "error")
    assert errors == [
        f"{tmp_path / 'g.csv'}:row 4: column 名称: the same name, kind and place as row 2: a repeated row? "
        "remove it, or give each its own 编号"
    ]


def test_classify_and_report_carry_code_generated_and_name_sections_by_name(tmp_path, counties_file, rivers_file):
    """Relations in the report read as names (a generated ``name-…`` code says nothing more);
    a register's own code is kept in brackets."""
    sections = write(
        tmp_path / "s.csv",
        "断面编码,断面名称,所在河流,经度,纬度,水质目标\n"
        "SX01,汾河上游,汾河,112.17,37.05,Ⅲ类\n,温南社,汾河,112.1,37.05,Ⅲ类\n,小店桥,汾河,112.03,37.05,Ⅲ类\n",
    )
    facilities = write(tmp_path / "f.csv", "名称,类型,经度,纬度\n甲污水处理厂,污水处理厂,112.12,37.05\n")
    measurements = write(
        tmp_path / "m.csv",
        "断面名称,监测时间,氨氮,溶解氧\n汾河上游,2023-01,0.5,8\n温南社,2023-01,1.8,8\n小店桥,2023-01,0.4,8\n",
    )
    common = ["--sections", sections, "--counties", counties_file]
    result = CliRunner().invoke(
        main, [str(a) for a in ["-q", "classify", *common, measurements, "-o", tmp_path / "c.csv", "--lang", "en"]]
    )
    assert result.exit_code == 0, result.output
    classified = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig").set_index("name")
    assert list(classified.columns[:2]) == ["section", "code_generated"]
    assert classified["code_generated"].to_dict() == {"汾河上游": False, "温南社": True, "小店桥": True}
    args = [*common, "--rivers", rivers_file, "--facilities", facilities, "--measurements", measurements]
    result = CliRunner().invoke(
        main, [str(a) for a in ["-q", "report", *args, "--period", "2023", "-o", tmp_path / "r"]]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "r" / "sections.csv", encoding="utf-8-sig").set_index("名称")
    assert table["编码由名称生成"].to_dict() == {"汾河上游": "否", "温南社": "是", "小店桥": "是"}
    assert table.loc["温南社", "上游断面"] == "汾河上游 (SX01)"
    assert table.loc["汾河上游", "下游断面"] == "温南社"
    plants = pd.read_csv(tmp_path / "r" / "facilities.csv", encoding="utf-8-sig")
    assert plants[["名称", "编号由名称生成", "下游断面"]].values.tolist() == [["甲污水处理厂", "是", "温南社"]]
    exceeding = pd.read_csv(tmp_path / "r" / "exceedances.csv", encoding="utf-8-sig")
    assert exceeding["名称"].tolist() == ["温南社"]
    assert re.fullmatch(r"甲污水处理厂 \(\d+\.\d km\)", exceeding["溯源排查对象(前三)"].iloc[0])
