"""What a second trial of bureau registers found: warnings shown beside errors, a title line
with a semicolon, 坐标来源 written in words, a sheet passed over, counts that read right."""

from __future__ import annotations

import numpy as np
import openpyxl
from click.testing import CliRunner

from geoenv import crs, datasets, open_project
from geoenv.cli import main
from geoenv.layers import great_circle_km

HEADER = ["断面编码", "断面名称", "所在河流", "经度", "纬度", "水质目标"]
ROWS = [["S1", "甲断面", "汾河", "112.55", "37.80", "III"], ["S2", "乙断面", "汾河", "112.50", "37.60", "III"]]


def run(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def test_warnings_are_shown_beside_the_errors_they_may_explain(tmp_path):
    sections = tmp_path / "s.csv"
    sections.write_text("\n".join(",".join(r) for r in [HEADER, *ROWS]) + "\n", encoding="utf-8")
    results = tmp_path / "m.csv"  # 汞 0.04 mg/L: a limit in μg/L read as mg/L; and a section not in the register
    text = "断面编码,监测日期,汞\n检出限,,0.04\nS1,2024-01-01,未检出\nS9,2024-01-01,0.00002\n"
    results.write_text(text, encoding="utf-8")
    code, output = run("classify", results, "--sections", sections)
    assert code == 1
    lines = output.splitlines()
    warning = next(i for i, line in enumerate(lines) if "above the class III limit" in line)
    error = next(i for i, line in enumerate(lines) if "'S9' is not in the sections layer" in line)
    assert lines[warning].startswith("warning:") and lines[error].startswith("error:") and warning < error
    code, output = run("-q", "classify", results, "--sections", sections)
    assert "warning:" not in output and "error:" in output  # -q: errors only


def test_a_title_line_with_a_semicolon_does_not_choose_the_separator(tmp_path):
    path = tmp_path / "s.csv"
    lines = ["说明: 坐标系WGS84; 单位: 度", ",".join(HEADER), *(",".join(r) for r in ROWS)]
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    code, output = run("validate", "--sections", path)
    assert code == 0, output
    assert f"sections: {path}: 2 rows" in output
    assert open_project(sections=path)["sections"]["name"].tolist() == ["甲断面", "乙断面"]


def test_coordinate_sources_written_in_words(tmp_path):
    truth = np.array([[112.55, 37.80], [112.50, 37.60], [112.45, 37.70], [112.40, 37.65]])
    sources = ["GPS实测（WGS84）", "高德地图拾取", "百度地图(BD09)", "CGCS2000坐标"]
    systems = ["wgs84", "gcj02", "bd09", "wgs84"]
    lines = [",".join([*HEADER, "坐标来源"])]
    for k, ((lon, lat), source, system) in enumerate(zip(truth, sources, systems, strict=True)):
        x, y = (lon, lat) if system == "wgs84" else crs.from_wgs84(np.array([lon]), np.array([lat]), system)
        lines.append(f"S{k},断面{k},汾河,{np.ravel(x)[0]:.7f},{np.ravel(y)[0]:.7f},III,{source}")
    path = tmp_path / "s.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sections = open_project(sections=path)["sections"]
    metres = 1000 * great_circle_km(sections["lon"], sections["lat"], truth[:, 0], truth[:, 1])
    assert metres.max() < 1.0
    for value in ("高德转GPS", "奥维地图", "\x1b[31mGPS"):  # two systems, none, control characters
        assert crs.coordinate_source(value) is None
    bad = tmp_path / "bad.csv"
    bad.write_text(lines[0] + "\n" + lines[1].rsplit(",", 1)[0] + ",高德转GPS\n", encoding="utf-8")
    code, output = run("validate", "--sections", bad)
    assert code == 1 and f"error: {bad}:row 2: column 坐标来源: unknown coordinate source '高德转GPS'" in output


def test_a_sheet_with_part_of_the_register_is_named_when_passed_over(tmp_path):
    book = openpyxl.Workbook()
    listing = book.active
    listing.title = "断面清单"
    listing.append(["断面编码", "断面名称", "所在河流", "水质目标"])
    listing.append(["S1", "甲断面", "汾河", "III"])
    points = book.create_sheet("点位坐标")
    points.append(["断面编码", "断面名称", "经度", "纬度"])
    points.append(["S1", "甲断面", 112.55, 37.8])
    path = tmp_path / "book.xlsx"
    book.save(path)
    code, output = run("validate", "--sections", path)
    assert code == 0, output
    assert (
        f"warning: {path}: sheet 断面清单 also has sections columns (断面编码, 断面名称, 所在河流, 水质目标) but "
        "lacks 经度, 纬度: not read (sheet 点位坐标 is); if its rows belong to the register, put them in one sheet"
    ) in output


def test_validate_counts_rows_values_errors_and_warnings_as_they_read(tmp_path):
    sections = tmp_path / "s.csv"
    sections.write_text("\n".join(",".join(r) for r in [HEADER, *ROWS]) + "\n", encoding="utf-8")
    results = tmp_path / "m.csv"
    results.write_text("断面编码,监测日期,氨氮,总磷\nS1,2024-01-01,0.5,0.1\nS3,2024-02-01,0.4,0.1\n", encoding="utf-8")
    code, output = run("validate", "--sections", sections, "--measurements", results)
    assert code == 1
    assert f"measurements: {results}: 2 rows, 4 values" in output
    assert output.rstrip().endswith("1 error, 0 warnings")


def test_validate_honours_the_near_border_setting(tmp_path, counties_file):
    sections = tmp_path / "s.csv"
    sections.write_text("断面编码,断面名称,经度,纬度\nS1,甲,112.21,37.05\n", encoding="utf-8")  # ~0.9 km east of 乙县
    config = tmp_path / "geoenv.toml"
    config.write_text(f'[sections]\npath = "{sections}"\n[counties]\npath = "{counties_file}"\n', encoding="utf-8")
    code, output = run("validate", "--config", config)
    assert code == 0 and "outside every county" in output and "assigned to the nearest" not in output
    config.write_text(config.read_text(encoding="utf-8") + "[settings]\nnear_border_m = 2000\n", encoding="utf-8")
    code, output = run("validate", "--config", config)
    assert code == 0 and "assigned to the nearest, 乙县" in output


def test_a_row_without_a_section_says_so(tmp_path):
    results = tmp_path / "m.csv"
    results.write_text("断面编码,监测日期,氨氮\nSX001,2024-01-01,0.5\n,2024-02-01,0.3\n", encoding="utf-8")
    code, output = run("classify", results, "--sections", datasets.get_path("sample_sections"))
    assert code == 1
    assert f"error: {results}:row 3: column 断面编码: the section is missing: give its 断面编码 or 断面名称" in output


def test_capacities_in_a_units_row_and_without_a_unit_beside_others(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(
        "名称,类型,经度,纬度,设计规模\n单位,,,,万立方米/日\n甲厂,污水处理厂,112.55,37.80,4\n乙厂,污水处理厂,112.50,37.60,\n",
        encoding="utf-8",
    )
    layer = open_project(facilities=path).layers["facilities"]
    assert layer.raw.units == {"设计规模": "万立方米/日"}
    assert layer.data["capacity"].tolist()[0] == 40000 and layer.data["capacity_unit"].tolist()[0] == "m³/d"
    assert layer.data["name"].tolist() == ["甲厂", "乙厂"]  # the units row is no facility
    messages = [p.message for p in layer.problems]
    assert any("the ids of its 2 facilities generated from their names" in m for m in messages), messages
    mixed = tmp_path / "g.csv"
    mixed.write_text(
        "编号,名称,类型,经度,纬度,设计规模\nF1,甲厂,污水处理厂,112.55,37.80,4万吨/日\nF2,乙厂,污水处理厂,112.50,37.60,2\n",
        encoding="utf-8",
    )
    layer = open_project(facilities=mixed).layers["facilities"]
    assert layer.data["capacity"].tolist() == [40000, 2]
    assert any(
        p.message == "row 3 gives a capacity without a unit where other facilities of the kind have one: kept as "
        "written, but not comparable (give the unit, e.g. 设计规模（万吨/日）)"
        for p in layer.problems
    ), [p.message for p in layer.problems]
    one = tmp_path / "h.csv"
    one.write_text("名称,类型,经度,纬度\n甲厂,污水处理厂,112.55,37.80\n", encoding="utf-8")
    messages = [p.message for p in open_project(facilities=one).layers["facilities"].problems]
    assert any("the ids of its 1 facility generated" in m for m in messages), messages
