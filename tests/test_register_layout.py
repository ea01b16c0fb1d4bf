"""Registers laid out as bureaus keep them (issue 12, Deliver 1 and 11): a notes sheet first, a
title row merged across, the header on row 3, a units row, 所在河流 merged down each river's
rows, a blank row, footnotes and 填表人/审核 lines under the table; the same as a GBK CSV with a
title line; a results sheet with units and 检出限 rows. Every row kept, located by the row the
user sees."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from geoenv.cli import main
from geoenv.errors import InputError
from geoenv.io import LayerSource, read_layer
from geoenv.layers import inspect

HEADER = ["序号", "断面名称", "断面编码", "所在河流", "经度", "纬度", "断面级别", "水质目标"]
#: (code, name, river, lon, lat): 汾河 ×4, a blank row, 桑干河 ×3, 黄河 ×1.
SECTIONS = [
    ("S01", "汾河水库出口", "汾河", 111.95, 38.05), ("S02", "上兰", "汾河", 112.43, 38.00),
    ("S03", "温南社", "汾河", 112.50, 37.60), ("S04", "王庄桥南", "汾河", 111.80, 37.10),
    ("S05", "固定桥", "桑干河", 113.00, 39.60), ("S06", "册田水库出口", "桑干河", 113.80, 40.00),
    ("S07", "东榆林水库出口", "桑干河", 112.90, 39.40), ("S08", "万家寨水库", "黄河", 111.43, 39.57),
]  # fmt: skip
#: The Excel row of each section: header on 3, units on 4, the blank row 9.
EXCEL_ROWS = [5, 6, 7, 8, 10, 11, 12, 13]
NOTES = ["注：坐标为WGS84（手持GPS）。", "1、省考断面以名称识别。", "填表人：张三"]


def sections_book(path: Path, *, bad_lat_row: int | None = None) -> Path:
    """The sections register of the module's text; ``bad_lat_row`` gets 纬度 'abc'."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["本表为2024年度地表水监测断面名录。"])
    notes.append(["坐标系：WGS84。"])
    sheet = book.create_sheet("断面表")
    sheet.append(["2024年XX市地表水监测断面名录"])
    sheet.merge_cells("A1:H1")
    sheet.append(["填报单位：XX市生态环境局"])
    sheet.append(HEADER)
    sheet.append([None, None, None, None, "度", "度", None, None])
    previous = None
    for i, (code, name, river, lon, lat) in enumerate(SECTIONS):
        if previous == "汾河" and river != previous:
            sheet.append([])
        row = EXCEL_ROWS[i]
        first = previous != river
        sheet.append([i + 1, name, code, river if first else None, lon, "abc" if row == bad_lat_row else lat,
                      "国考", "Ⅲ类"])  # fmt: skip
        previous = river
    sheet.merge_cells("D5:D8")
    sheet.merge_cells("D10:D12")
    sheet.append([])
    sheet.append([NOTES[0]])
    sheet.append([NOTES[1]])
    sheet.append([NOTES[2], None, None, "审核：李四"])
    book.save(path)
    return path


def test_the_sheet_holding_the_sections_is_read_with_every_row(tmp_path):
    path = sections_book(tmp_path / "断面.xlsx")
    raw = read_layer(LayerSource(path), "sections")
    assert raw.sheet == "断面表"
    assert raw.sheet_reason.startswith("its header has 断面名称")
    assert raw.layout.header == 2 and raw.layout.units_row == 3
    assert raw.units == {"经度": "度", "纬度": "度"}
    assert list(raw.rows) == EXCEL_ROWS
    assert [raw.where(i) for i in (0, 4)] == ["row 5", "row 10"]
    assert raw.layout.filled == ["D5:D8", "D10:D12"] and raw.layout.blank == 1
    layer = inspect("sections", LayerSource(path))
    assert [p for p in layer.problems if p.severity == "error"] == []
    assert list(layer.data["code"]) == [s[0] for s in SECTIONS]
    assert list(layer.data["river"]) == [s[2] for s in SECTIONS]  # the merged river on every row
    assert [str(p) for p in layer.problems if "note" in p.message] == [
        f"{path}: 3 note rows under the table skipped (rows 15–17: 注：坐标为WGS84（手持GPS）。)"
    ]


def test_a_bad_cell_is_named_by_its_excel_row(tmp_path):
    path = sections_book(tmp_path / "断面.xlsx", bad_lat_row=11)
    layer = inspect("sections", LayerSource(path))
    errors = [str(p) for p in layer.problems if p.severity == "error"]
    assert len(errors) == 1 and errors[0].startswith(f"{path}:row 11: column 纬度:"), errors


def test_the_same_register_as_a_gbk_csv_with_a_title_line(tmp_path):
    lines = ["2024年XX市地表水监测断面名录,,,,,,,", ",".join(HEADER), ",,,,度,度,,"]
    previous = None
    for i, (code, name, river, lon, lat) in enumerate(SECTIONS):
        if previous == "汾河" and river != previous:
            lines.append("")
        lines.append(f"{i + 1},{name},{code},{river},{lon},{'abc' if i == 5 else lat},国考,Ⅲ类")
        previous = river
    lines += ["", f"{NOTES[0]},,,,,,,", NOTES[1], f"{NOTES[2]},,,审核：李四"]
    path = tmp_path / "断面.csv"
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    raw = read_layer(LayerSource(path), "sections")
    assert raw.encoding == "GBK" and raw.units == {"经度": "度", "纬度": "度"}
    assert list(raw.frame["断面编码"]) == [s[0] for s in SECTIONS]
    assert list(raw.rows) == [4, 5, 6, 7, 9, 10, 11, 12]  # the CSV's lines
    layer = inspect("sections", LayerSource(path))
    errors = [str(p) for p in layer.problems if p.severity == "error"]
    assert len(errors) == 1 and errors[0].startswith(f"{path}:row 10: column 纬度:"), errors
    assert f"{path}: 3 note rows under the table skipped (rows 14–16: 注：坐标为WGS84（手持GPS）。)" in [
        str(p) for p in layer.problems
    ]


def results_book(path: Path) -> Path:
    """Monthly results in wide form under a title row: a units row, a 检出限 row, 未检出 cells,
    a 断流 month merged across the items, a datetime, an error cell and a footnote."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "监测结果"
    sheet.append(["XX市地表水环境质量月报（2024年）"])
    sheet.merge_cells("A1:E1")
    sheet.append(["断面名称", "监测时间", "化学需氧量", "氨氮", "汞"])
    sheet.append(["单位", None, "mg/L", "mg/L", "μg/L"])
    sheet.append(["检出限", None, None, "0.025", "0.04"])
    sheet.append(["上兰", dt.datetime(2024, 1, 15), 12.0, 0.1, "未检出"])
    sheet.append(["上兰", dt.datetime(2024, 2, 15, 8, 30), "断流"])
    sheet.merge_cells("C6:E6")
    sheet.append(["温南社", "2024-01", 18, "#N/A", "0.04L"])
    sheet.append(["注：未检出按检出限的一半参与统计。"])
    book.save(path)
    return path


def test_a_results_sheet_with_units_and_detection_limit_rows(tmp_path):
    raw = read_layer(LayerSource(results_book(tmp_path / "结果.xlsx")), "measurements")
    assert raw.units == {"化学需氧量": "mg/L", "氨氮": "mg/L", "汞": "μg/L"}
    assert raw.detection_limits == {"氨氮": "0.025", "汞": "0.04"}
    assert list(raw.rows) == [5, 6, 7]
    assert raw.frame.values.tolist() == [
        ["上兰", "2024-01-15", "12", "0.1", "未检出"],
        ["上兰", "2024-02-15 08:30:00", "断流", "断流", "断流"],  # the remark merged across the items
        ["温南社", "2024-01", "18", "#N/A", "0.04L"],
    ]
    assert [p.message for p in raw.problems] == [
        "1 note row under the table skipped (row 8: 注：未检出按检出限的一半参与统计。)"
    ]


def test_codes_keep_their_zeros_and_numbers_read_as_written(tmp_path):
    path = tmp_path / "s.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["断面编码", "断面名称", "经度", "纬度"])
    book.active.append(["0012", "甲", 112, 37.8])
    book.active.append(["0013", "乙", 112.123456, 1e-05])
    book.save(path)
    raw = read_layer(LayerSource(path), "sections")
    assert raw.frame.values.tolist() == [
        ["0012", "甲", "112", "37.8"],
        ["0013", "乙", "112.123456", "0.00001"],
    ]  # as Excel shows it
    assert list(raw.rows) == [2, 3] and raw.layout.header == 0


def test_no_sheet_fits_names_each_sheet_and_what_it_lacks(tmp_path):
    path = tmp_path / "s.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表为断面名录。"])
    sheet = book.create_sheet("断面表")
    sheet.append(["断面编码", "断面名称", "所在河流"])
    sheet.append(["S01", "上兰", "汾河"])
    book.create_sheet("空表")
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_layer(LayerSource(path), "sections")
    message = str(caught.value)
    assert message.startswith(f"{path}: no sheet holds the sections (")
    assert "): 说明: no header found; 断面表: lacks 经度, 纬度; name the sheet with --layer sections=SHEET" in message
    assert "headers with --column sections.COLUMN=HEADER" in message
    # --layer still wins: the sheet named is read, and what it lacks is reported as a missing column
    layer = inspect("sections", LayerSource(path, layer="断面表"))
    assert any("missing required column 'lon'" in p.message for p in layer.problems)


def test_several_sheets_that_hold_the_layer_are_an_error_naming_them(tmp_path):
    path = tmp_path / "s.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "简表"
    book.active.append(["断面编码", "断面名称", "经度", "纬度"])
    book.active.append(["S01", "上兰", 112.43, 38.0])
    sheet = book.create_sheet("全表")
    sheet.append(["断面编码", "断面名称", "所在河流", "经度", "纬度", "断面级别"])
    sheet.append(["S01", "上兰", "汾河", 112.43, 38.0, "国考"])
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_layer(LayerSource(path), "sections")
    assert str(caught.value) == (
        f"{path}: 2 sheets hold the sections: 简表 (断面编码, 断面名称, 经度, 纬度); "
        "全表 (断面编码, 断面名称, 所在河流, 经度, 纬度, 断面级别); "
        "name the one to read with --layer sections=SHEET (layer = in geoenv.toml)"
    )
    assert read_layer(LayerSource(path, layer="简表"), "sections").sheet == "简表"
    result = CliRunner().invoke(main, ["validate", "--sections", str(path)])
    assert result.exit_code == 1 and "2 sheets hold the sections: 简表 (" in result.stderr
    result = CliRunner().invoke(main, ["validate", "--sections", str(path), "--layer", "sections=全表"])
    assert result.exit_code == 0, result.stderr
    assert f"sections: {path}: 1 row" in result.stderr
    info = CliRunner().invoke(main, ["info", str(path)])
    assert info.exit_code == 0 and "sections: 2 sheets hold the sections: 简表 (" in info.output


def test_a_two_level_header_reads_the_sub_headers(tmp_path):
    path = tmp_path / "s.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["断面编码", "断面名称", "坐标", None])
    sheet.append([None, None, "经度", "纬度"])
    sheet.append(["S01", "上兰", 112.43, 38.0])
    for ref in ("A1:A2", "B1:B2", "C1:D1"):
        sheet.merge_cells(ref)
    book.save(path)
    raw = read_layer(LayerSource(path), "sections")
    assert list(raw.frame.columns) == ["断面编码", "断面名称", "经度", "纬度"]
    assert raw.frame.values.tolist() == [["S01", "上兰", "112.43", "38"]] and list(raw.rows) == [3]


def test_info_shows_the_sheet_header_units_notes_and_merges(tmp_path):
    path = sections_book(tmp_path / "断面.xlsx")
    result = CliRunner().invoke(main, ["info", str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    for line in [
        "layer: 断面表",
        "  header: row 3 (title rows above it skipped)",
        "  units row: row 4 (经度: 度, 纬度: 度)",
        "  data: rows 5–13",
        "  blank rows skipped: 1",
        "  3 note rows under the table skipped (rows 15–17: 注：坐标为WGS84（手持GPS）。)",
        "  merged ranges filled: D5:D8, D10:D12",
        "  recognised as sections: 序号 → row_number, 断面名称 → name, 断面编码 → code, 所在河流 → river, "
        "经度 → lon, 纬度 → lat, 断面级别 → level, 水质目标 → target_class",
    ]:
        assert line in out.splitlines(), (line, out)
    assert "sections: read from sheet 断面表 (its header has 断面名称" in out
    results = CliRunner().invoke(main, ["info", str(results_book(tmp_path / "结果.xlsx")), "--kind", "measurements"])
    assert results.exit_code == 0, results.output
    assert "  检出限 row: row 4 (氨氮: 0.025, 汞: 0.04)" in results.output.splitlines()
    assert "  units row: row 3 (化学需氧量: mg/L, 氨氮: mg/L, 汞: μg/L)" in results.output.splitlines()


def test_validate_reads_the_workbook_with_no_option(tmp_path):
    path = sections_book(tmp_path / "断面.xlsx")
    result = CliRunner().invoke(main, ["validate", "--sections", str(path)])
    assert result.exit_code == 0, result.stderr
    assert f"sections: {path}: {len(SECTIONS)} rows" in result.stderr
    assert "3 note rows under the table skipped" in result.stderr


def test_a_missing_column_hint_is_in_the_cli_syntax_with_a_header_of_the_file(tmp_path):
    path = tmp_path / "设施.csv"
    path.write_text("编号,名称,设施类别,经度,纬度\nF1,甲厂,污水处理厂,112.5,37.8\n", encoding="utf-8")
    layer = inspect("facilities", LayerSource(path))
    messages = [p.message for p in layer.problems if p.severity == "error"]
    assert any("map another column with --column facilities.kind=设施类别;" in m for m in messages), messages
    assert not any("--column kind=" in m for m in messages)
