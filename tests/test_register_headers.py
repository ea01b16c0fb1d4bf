"""Headers as registers write them (issue 12 trial findings 1, 2, 7, 10, 12): a note in brackets
after a header (``纬度（°）``, ``监测值(mg/L)``), the names results tables give their section and
month columns, two-level headers, columns with no header named as Excel names them, and two
sheets that hold the same layer."""

from __future__ import annotations

import openpyxl
import pytest
from click.testing import CliRunner

from geoenv.cli import main
from geoenv.columns import map_columns
from geoenv.io import LayerSource, read_layer
from geoenv.io.layout import recognise
from geoenv.layers import inspect
from geoenv.schema import header_column


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        ("经度（°）", "纬度（°）"),
        ("经度(°E)", "纬 度（°N）"),
        ("东经（°）", "北纬（°）"),
        ("经度（WGS84）", "纬度（WGS84）"),
        ("经度【度】", "纬度(度)"),
    ],
)
def test_a_coordinate_header_with_a_note_in_brackets_is_recognised(tmp_path, lon, lat):
    path = tmp_path / "断面.csv"
    path.write_text(f"断面名称,{lon},{lat}\n上兰,112.43,38.0\n温南社,112.5,37.6\n", encoding="utf-8")
    layer = inspect("sections", LayerSource(path))
    assert [p for p in layer.problems if p.severity == "error"] == []
    assert layer.columns["lon"] == lon and layer.columns["lat"] == lat
    assert layer.data.geometry.x.tolist() == [112.43, 112.5]
    assert layer.data.geometry.y.tolist() == [38.0, 37.6]


def test_a_dms_header_note_reads_the_degrees_minutes_seconds(tmp_path):
    path = tmp_path / "断面.csv"
    path.write_text("断面名称,经度(度分秒),纬度(度分秒)\n上兰,112°25′48″,38°00′00″\n", encoding="utf-8")
    layer = inspect("sections", LayerSource(path))
    assert [p for p in layer.problems if p.severity == "error"] == []
    assert layer.data.geometry.x.round(6).tolist() == [112.43]
    assert layer.data.geometry.y.tolist() == [38.0]


def test_one_recogniser_of_headers_keeps_items_and_capacities():
    assert header_column("纬度（°）", "sections") == "lat"
    assert header_column("监测值(mg/L)", "measurements") == "value"
    assert header_column("纬度（°）（WGS84）", "facilities") == "lat"
    assert header_column("纬度说明", "sections") is None
    # a capacity's bracket is its unit: recognised as a capacity column by its own parser
    assert header_column("设计规模（万吨/日）", "facilities") is None
    found = recognise(["名称", "设计规模（万吨/日）", "库容（万m³）", "经度（°）"], "facilities")
    assert found == {"名称": "name", "设计规模（万吨/日）": "capacity", "库容（万m³）": "capacity", "经度（°）": "lon"}
    found = recognise(["监测断面", "监测月份", "氨氮（mg/L）", "总磷(以P计)"], "measurements")
    assert found == {"监测断面": "section", "监测月份": "date", "氨氮（mg/L）": "parameter nh3n",
                     "总磷(以P计)": "parameter tp"}  # fmt: skip


@pytest.mark.parametrize("section", ["监测断面", "点位名称", "站点名称", "测站名称", "断面名称"])
@pytest.mark.parametrize("date", ["监测月份", "月份", "监测年月", "采样月份"])
def test_results_headers_for_the_section_and_the_month(tmp_path, section, date):
    path = tmp_path / "监测.csv"
    path.write_text(f"{section},{date},项目,监测值(mg/L)\n上兰,2024-01,氨氮,0.5\n", encoding="utf-8")
    frame, columns, problems = map_columns(read_layer(LayerSource(path), "measurements"), "measurements")
    assert columns == {"section": section, "date": date, "parameter": "项目", "value": "监测值(mg/L)"}
    assert problems == []
    assert frame.loc[0, ["section", "date", "value"]].tolist() == ["上兰", "2024-01", "0.5"]


@pytest.mark.parametrize("header", ["点位名称", "站点名称", "测站名称", "监测断面"])
def test_a_sections_register_may_name_its_sections_so_too(tmp_path, header):
    path = tmp_path / "断面.csv"
    path.write_text(f"{header},经度,纬度\n上兰,112.43,38.0\n", encoding="utf-8")
    layer = inspect("sections", LayerSource(path))
    assert layer.columns["name"] == header and list(layer.data["name"]) == ["上兰"]


def test_a_header_saying_gcj02_is_not_read_as_wgs84(tmp_path):
    path = tmp_path / "断面.csv"
    path.write_text("断面名称,经度（GCJ-02）,纬度（GCJ-02）\n上兰,112.43,38.0\n", encoding="utf-8")
    errors = [str(p) for p in inspect("sections", LayerSource(path)).problems if p.severity == "error"]
    assert errors == [
        f"{path}: column 经度（GCJ-02）: the header '经度（GCJ-02）' says the coordinates are GCJ-02 (高德/腾讯): "
        "declare it with --src-crs sections=gcj02 (or a 坐标来源 column), so they are converted to WGS84"
    ]
    layer = inspect("sections", LayerSource(path, crs="gcj02"))
    assert [p for p in layer.problems if p.severity == "error"] == []
    assert abs(layer.data.geometry.x.iloc[0] - 112.43) > 1e-3  # shifted back to WGS84


def _book(path, rows, merged=()):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for ref in merged:
        book.active.merge_cells(ref)
    book.save(path)
    return path


def test_a_header_cell_merged_down_over_both_header_rows_names_its_column(tmp_path):
    """The trial's 表头合并.xlsx: a title row, then 所在河流 (A2:A3) and 断面级别 (F2:F3) merged
    down beside 断面 over 名称/编码 and 坐标 over 经度/纬度; 联系人 (G2:H2) over nothing."""
    rows = [
        ["断面名录"],
        ["所在河流", "断面", None, "坐标", None, "断面级别", "联系人", None],
        [None, "名称", "编码", "经度", "纬度", None, None, None],
        ["汾河", "汾河静乐断面", "SX006", 111.9, 38.37, "国考", "张三", "138"],
        ["汾河", "上兰", "SX007", 112.43, 38.0, "省考", "李四", "139"],
    ]
    path = _book(tmp_path / "表头合并.xlsx", rows, ["A1:H1", "A2:A3", "B2:C2", "D2:E2", "F2:F3", "G2:H2"])
    raw = read_layer(LayerSource(path), "sections")
    assert raw.layout.header == 1 and raw.layout.sub_header == 2 and list(raw.rows) == [4, 5]
    assert list(raw.frame.columns) == ["所在河流", "名称", "编码", "经度", "纬度", "断面级别", "联系人", "联系人.1"]
    layer = inspect("sections", LayerSource(path))
    assert [p for p in layer.problems if p.severity == "error"] == []
    assert list(layer.data["river"]) == ["汾河", "汾河"] and list(layer.data["level"]) == ["national", "provincial"]
    assert list(layer.data["code"]) == ["SX006", "SX007"]


def test_a_column_with_no_header_is_named_as_excel_names_it_and_the_hint_works(tmp_path):
    """The trial's 经纬度合并表头.xlsx: 经纬度 merged over the two coordinate columns (D1:E1)."""
    rows = [["断面名称", "断面编码", "所在河流", "经纬度", None, "断面级别"],
            ["汾河静乐断面", "SX006", "汾河", 111.9, 38.37, "国考"]]  # fmt: skip
    path = _book(tmp_path / "经纬度合并表头.xlsx", rows, ["D1:E1"])
    raw = read_layer(LayerSource(path), "sections")
    assert list(raw.frame.columns) == ["断面名称", "断面编码", "所在河流", "经纬度", "列E", "断面级别"]
    errors = [p.message for p in inspect("sections", LayerSource(path)).problems if p.severity == "error"]
    assert [m.split("; the file's headers are: ")[1] for m in errors] == [
        "断面名称, 断面编码, 所在河流, 经纬度, 列E, 断面级别"
    ] * 2
    assert "map another column with --column sections.lon=经纬度;" in errors[0]
    assert "map another column with --column sections.lat=列E;" in errors[1]
    result = CliRunner().invoke(
        main, ["validate", "--sections", str(path), "--column", "sections.lon=经纬度", "--column", "sections.lat=列E"]
    )
    assert result.exit_code == 0, result.stderr
    assert f"sections: {path}: 1 row" in result.stderr
    layer = inspect("sections", LayerSource(path, columns={"lon": "经纬度", "lat": "列E"}))
    assert (layer.data.geometry.x.tolist(), layer.data.geometry.y.tolist()) == ([111.9], [38.37])


def test_values_right_of_the_last_header_are_named_by_their_column(tmp_path):
    path = _book(tmp_path / "s.xlsx", [["断面名称", "经度", "纬度"], ["上兰", 112.43, 38.0, None, "备用"]])
    raw = read_layer(LayerSource(path), "sections")
    assert list(raw.frame.columns) == ["断面名称", "经度", "纬度", "列E"]  # the empty column D dropped
    assert raw.frame["列E"].tolist() == ["备用"]


def test_a_formula_with_no_saved_value_is_named_as_such(tmp_path):
    """A workbook written by a script has formulas no program computed: openpyxl reads them as
    empty, which must not read as a coordinate simply missing."""
    target = '="Ⅲ"&"类"'
    rows = [["断面名称", "断面编码", "经度", "纬度", "水质目标"],
            ["上兰", "S1", 112.43, 38.0, "Ⅲ类"], ["温南社", "S2", 112.5, "=38+0.366830", target]]  # fmt: skip
    path = _book(tmp_path / "公式.xlsx", rows)
    raw = read_layer(LayerSource(path), "sections")
    assert raw.formulas == {(1, "纬度"): "38+0.366830", (1, "水质目标"): '"Ⅲ"&"类"'}
    layer = inspect("sections", LayerSource(path))
    said = "a formula with no saved value (=38+0.366830): open and save the workbook in Excel/WPS, or type the value"
    assert [str(p) for p in layer.problems if p.severity == "error"] == [
        f"{path}:row 3: column 纬度: coordinate is missing: the cell is {said}"
    ]
    assert f"{path}: 2 cells read as empty (D3, E3): {said}" in [str(p) for p in layer.problems]


def test_a_formula_with_its_saved_value_is_read_as_the_value():
    from geoenv.io.read import _unsaved_formulas

    xml = b'<row r="3"><c r="D3"><f>38+0.36</f><v>38.36</v></c><c r="E3"><f>1+1</f><v /></c></row>'
    assert _unsaved_formulas(xml, 10) == {(2, 4): "1+1"}
    assert _unsaved_formulas(xml, 2) == {}


@pytest.mark.parametrize(
    ("header", "units_row"), [("监测值(μg/L)", None), ("监测值", ",,,μg/L"), ("结果（μg/L）", None)]
)
def test_the_unit_of_a_long_form_value_column_is_used(tmp_path, header, units_row):
    lines = [f"断面名称,监测日期,项目,{header}", *([units_row] if units_row else []), "上兰,2024-01,汞,0.04"]
    path = tmp_path / "监测.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    layer = inspect("measurements", LayerSource(path))
    assert [p for p in layer.problems if p.severity == "error"] == []
    assert layer.data[["parameter", "value", "unit"]].values.tolist() == [["hg", pytest.approx(0.00004), "mg/L"]]
