"""Measurements as bureaus keep them (issue 12, Deliver 2–6 and 12): wide workbooks with 未检出
cells, detection limits from every source, 断流 months, dates in every form, sections named by
code or by name, and --lenient skipping cells, not rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write

from geoenv.cli import main
from geoenv.io import LayerSource, read_layer
from geoenv.layers import inspect
from geoenv.measurements import measurements_layer, parse_dates, read_detection_limits

# Two sections on the 汾河 in Taiyuan, inside the embedded counties.
SECTIONS = (
    "断面编码,断面名称,所在河流,经度,纬度,水质目标\nS1,温南社,汾河,112.50,37.70,Ⅲ类\nS2,小店桥,汾河,112.57,37.74,Ⅲ类\n"
)
WIDE = "断面编码,监测日期,氨氮,总磷\n"


def run(*args: object) -> tuple[int, str]:
    """The command's exit code and output; the tables classify writes with the library's English columns."""
    english = ["--lang", "en"] if args[0] == "classify" and "-o" in args else []
    result = CliRunner().invoke(main, [str(a) for a in (*args, *english)], obj={})
    return result.exit_code, result.output


def workbook(path: Path, rows: list[list[object]], title: str = "监测结果") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def errors(layer) -> list[str]:
    return [str(p) for p in layer.problems if p.severity == "error"]


def value_of(layer, section: str, date: str, parameter: str) -> float:
    data = layer.data
    hit = data[(data["section"] == section) & (data["date"] == pd.Timestamp(date)) & (data["parameter"] == parameter)]
    assert len(hit) == 1, hit
    return float(hit["value"].iloc[0])


# 未检出 / ND and the detection limit's sources


def test_wide_workbook_not_detected_takes_the_limit_its_column_writes(tmp_path):
    path = workbook(
        tmp_path / "m.xlsx",
        [
            ["断面编码", "监测日期", "氨氮", "总磷", "汞(μg/L)"],
            ["S1", "2023-01", "0.5", "0.01L", "0.04L"],
            ["S1", "2023-02", "未检出", "ND", "未检出"],
            ["S1", "2023-03", 0.3, 0.02, "<0.04"],
        ],
    )
    layer = inspect("measurements", LayerSource(path))
    assert [e.split(": ")[1] for e in errors(layer)] == ["column 氨氮"]
    assert value_of(layer, "S1", "2023-02-01", "tp") == pytest.approx(0.005)  # half of the column's 0.01L
    assert value_of(layer, "S1", "2023-02-01", "hg") == pytest.approx(0.00002)  # 0.04 μg/L → mg/L, halved
    # 氨氮 has no 0.01L cell in its column: its one 未检出 is an error of its own
    code, output = run("classify", path)
    assert code == 1
    assert output.count("error:") == 1
    expected = "column 氨氮: 1 cell says not detected (未检出/ND) with no detection limit (row 3)"
    assert f"error: {path}: {expected}" in output


def test_limit_from_a_detection_limit_row_under_the_header_and_a_units_row(tmp_path):
    path = write(tmp_path / "m.csv", WIDE + "S1,2023-01-01,未检出,0.1\nS1,2023-02-01,0.2,未检出\n")
    raw = read_layer(LayerSource(path), "measurements")
    raw.detection_limits.update({"氨氮": "0.025", "总磷": "10L"})
    raw.units.update({"总磷": "μg/L"})
    layer = measurements_layer(raw)
    assert errors(layer) == []
    assert value_of(layer, "S1", "2023-01-01", "nh3n") == pytest.approx(0.0125)
    assert value_of(layer, "S1", "2023-01-01", "tp") == pytest.approx(0.0001)  # 0.1 μg/L
    assert value_of(layer, "S1", "2023-02-01", "tp") == pytest.approx(0.005)  # 10 μg/L limit, halved
    below = layer.data[layer.data["below_dl"]]
    assert sorted(below["detection_limit"].round(6)) == [0.01, 0.025]


def test_limit_from_a_limits_file_and_the_class_it_gives(tmp_path):
    path = write(tmp_path / "m.csv", WIDE + "S1,2023-01-01,未检出,ND\nS1,2023-02-01,未检出,0.3\n")
    limits = write(tmp_path / "检出限.csv", "项目,检出限,单位\n氨氮,0.025,mg/L\n总磷,10,μg/L\n")
    assert read_detection_limits(LayerSource(limits)) == (("nh3n", 0.025), ("tp", 0.01))
    items = tmp_path / "items.csv"
    code, output = run("classify", path, "--detection-limits", limits, "--items", items, "-o", tmp_path / "o.csv")
    assert code == 0, output
    table = pd.read_csv(items, encoding="utf-8-sig").set_index("parameter")
    assert table.loc["nh3n", "mean"] == pytest.approx(0.0125) and table.loc["nh3n", "class"] == "I"
    assert table.loc["tp", "mean"] == pytest.approx((0.005 + 0.3) / 2) and table.loc["tp", "class"] == "III"
    assert table.loc["nh3n", "n_below_dl"] == 2


def test_limit_columns_beside_the_items_give_each_row_its_limit(tmp_path):
    path = workbook(
        tmp_path / "m.xlsx",
        [
            ["2023年地表水监测结果"],
            [
                "断面编码",
                "监测日期",
                "氨氮",
                "氨氮检出限",
                "总磷",
                "总磷检出限(mg/L)",
                "汞",
                "汞检出限（μg/L）",
                "铅",
                "铅DL",
            ],
            ["S1", "2023-01", "未检出", 0.025, "未检出", 0.01, "未检出", 0.04, 0.002, None],
            ["S1", "2023-02", "未检出", 0.05, "ND", "0.02L", "未检出", 0.1, "未检出", 0.001],
            ["S1", "2023-03", 0.3, None, 0.02, None, "未检出", None, 0.003, None],
        ],
    )
    limits = write(tmp_path / "检出限.csv", "项目,检出限,单位\n汞,0.02,μg/L\n")
    layer = inspect("measurements", LayerSource(path, detection_limits=read_detection_limits(LayerSource(limits))))
    assert errors(layer) == []
    assert not [p for p in layer.problems if "columns ignored" in p.message]
    assert value_of(layer, "S1", "2023-01-01", "nh3n") == pytest.approx(0.0125)  # half of each row's limit
    assert value_of(layer, "S1", "2023-02-01", "nh3n") == pytest.approx(0.025)
    assert value_of(layer, "S1", "2023-01-01", "tp") == pytest.approx(0.005)
    assert value_of(layer, "S1", "2023-02-01", "tp") == pytest.approx(0.01)
    assert value_of(layer, "S1", "2023-01-01", "hg") == pytest.approx(0.00002)  # 0.04 μg/L, halved, in mg/L
    assert value_of(layer, "S1", "2023-02-01", "hg") == pytest.approx(0.00005)
    # a blank limit cell falls back to the next source: here the --detection-limits table
    assert value_of(layer, "S1", "2023-03-01", "hg") == pytest.approx(0.00001)
    assert value_of(layer, "S1", "2023-02-01", "pb") == pytest.approx(0.0005)
    assert value_of(layer, "S1", "2023-03-01", "nh3n") == pytest.approx(0.3)  # a measured value stays
    hg = layer.data[layer.data["parameter"].eq("hg")].sort_values("date")
    assert list(hg["detection_limit"].round(8)) == [0.00004, 0.0001, 0.00002]
    # the file's limit column takes precedence over the table's, as a long-form 检出限 column does
    differ = [str(p) for p in layer.problems if "differs from the one given" in p.message]
    assert differ == [
        f"{path}: column 汞: the file's 检出限 (4e-05 mg/L) differs from the one given with --detection-limits "
        "or in geoenv.toml (2e-05 mg/L): the file's is used"
    ]


def test_limit_column_in_the_units_of_the_item_column_and_the_class_it_gives(tmp_path):
    rows = [["断面编码", "监测日期", "汞(μg/L)", "汞检出限", "氨氮", "氨氮方法检出限"]]
    rows += [["S1", f"2023-0{m}", "未检出", 0.04, "未检出", 0.025] for m in (1, 2)]
    path = workbook(tmp_path / "m.xlsx", rows)
    layer = inspect("measurements", LayerSource(path))
    assert errors(layer) == []
    assert value_of(layer, "S1", "2023-01-01", "hg") == pytest.approx(0.00002)  # the limit in 汞's own μg/L
    items = tmp_path / "items.csv"
    code, output = run("classify", path, "--items", items, "-o", tmp_path / "o.csv")
    assert code == 0, output
    table = pd.read_csv(items, encoding="utf-8-sig").set_index("parameter")
    assert table.loc["nh3n", "mean"] == pytest.approx(0.0125) and table.loc["nh3n", "class"] == "I"
    assert table.loc["hg", "n_below_dl"] == 2 and table.loc["hg", "class"] == "I"


def test_limit_columns_naming_no_item_or_holding_no_number_are_located_errors(tmp_path):
    path = workbook(
        tmp_path / "m.xlsx",
        [
            [
                "断面编码",
                "监测日期",
                "氨氮",
                "氨氮检出限",
                "总磷",
                "总憐检出限",
                "锰",
                "锰检出限",
                "汞",
                "汞检出限(个/L)",
            ],
            ["S1", "2023-01", "未检出", "未检出", 0.1, 0.01, 0.05, 0.01, 0.00001, 0.04],
            ["S1", "2023-02", "未检出", -0.025, 0.1, 0.01, 0.05, 0.01, 0.00001, 0.04],
            ["S1", "2023-03", "未检出", "/", 0.1, 0.01, 0.05, 0.01, 0.00001, 0.04],
        ],
    )
    layer = inspect("measurements", LayerSource(path))
    got = errors(layer)
    fix = "write a number above 0 (0.025, with the unit in the header: 检出限(μg/L)), or leave the cell blank"
    assert f"{path}:row 1: column 总憐检出限: '总憐' is not a known item (closest known: 总磷" in got[0]
    assert got[0].endswith("write the item's name as its own column does, followed by 检出限")
    assert f"{path}: column 汞检出限(个/L): unit '个/L' does not fit 汞 (use mg/L)" in got
    assert f"{path}:row 2: column 氨氮检出限: '未检出' is not a detection limit: {fix}" in got
    assert f"{path}:row 3: column 氨氮检出限: '-0.025' is not a detection limit: {fix}" in got
    # row 4's limit cell is blank (/): with no other source its 未检出 is the usual error
    assert any(e.startswith(f"{path}: column 氨氮: 3 cells say not detected") for e in got)
    assert len(got) == 5
    ignored = [p.message for p in layer.problems if "columns ignored" in p.message]
    assert ignored == ["columns ignored (not a known parameter): 锰、锰检出限"]  # an unknown item with its limit
    # a second limit column for one item, and a limit for an item the file has no column of
    path = workbook(
        tmp_path / "two.xlsx",
        [
            ["断面编码", "监测日期", "氨氮", "氨氮检出限", "氨氮 DL", "总磷检出限"],
            ["S1", "2023-01", "未检出", 0.025, 0.02, 0.01],
        ],
    )
    layer = inspect("measurements", LayerSource(path))
    assert errors(layer) == [
        f"{path}:row 1: column 氨氮 DL: also gives the detection limit of 氨氮, as column 氨氮检出限 does: keep one"
    ]
    assert value_of(layer, "S1", "2023-01-01", "nh3n") == pytest.approx(0.0125)
    warned = [str(p) for p in layer.problems if p.severity == "warning"]
    assert (
        f"{path}:row 1: column 总磷检出限: ignored: the file has no 总磷 column for this detection limit to apply to"
        in warned
    )


def test_limit_from_the_config(tmp_path):
    path = write(tmp_path / "m.csv", WIDE + "S1,2023-01-01,未检出,0.1\n")
    config = write(tmp_path / "geoenv.toml", '[measurements]\npath = "m.csv"\n[detection_limits]\n"氨氮" = "25 μg/L"\n')
    items = tmp_path / "items.csv"
    code, output = run("classify", "--config", config, "--items", items, "-o", tmp_path / "o.csv")
    assert code == 0, output
    table = pd.read_csv(items, encoding="utf-8-sig").set_index("parameter")
    assert table.loc["nh3n", "mean"] == pytest.approx(0.0125)
    bad = write(tmp_path / "bad.toml", '[detection_limits]\n"总憐" = 0.01\n"氨氮" = "0.025 个/L"\n')
    code, output = run("classify", path, "--config", bad)
    assert code == 1
    assert f"error: {bad}:[detection_limits]: unknown item '总憐'" in output
    assert "氨氮 = '0.025 个/L': unit '个/L' does not fit the item (use mg/L)" in output


def test_no_limit_is_one_error_per_item_saying_how_to_give_it(tmp_path):
    rows = "".join(f"S1,2023-{m:02d}-01,未检出,ND\n" for m in range(1, 8))
    path = write(tmp_path / "m.csv", WIDE + rows + "S1,2023-08-01,0.01L,0.01L\nS1,2023-09-01,0.1,0.02L\n")
    layer = inspect("measurements", LayerSource(path))
    got = errors(layer)
    assert len(got) == 1  # 氨氮 takes its column's one limit; 总磷's cells disagree
    assert got[0].startswith(
        f"{path}: column 总磷: 7 cells say not detected (未检出/ND) with no detection limit "
        "(row 2, row 3, row 4, row 5, row 6 … (7 rows)); the column's cells give different limits (0.01L、0.02L)"
    )
    assert "--detection-limits FILE" in got[0]
    assert '[detection_limits] "总磷" = "检出限 mg/L", with the method\'s limit in place of 检出限' in got[0]
    assert "0.01 mg/L" not in got[0]  # no number to copy: 0.01 mg/L would be 100 times the limit of 汞
    # long form: the value column does not name the item, so the message does
    path = write(tmp_path / "l.csv", "断面编码,监测日期,项目,监测值\nS1,2023-01-01,汞,未检出\n")
    assert errors(inspect("measurements", LayerSource(path)))[0].startswith(
        f"{path}: column 监测值: 汞: 1 cell says not detected (未检出/ND) with no detection limit (row 2): "
    )
    assert value_of(layer, "S1", "2023-03-01", "nh3n") == pytest.approx(0.005)


def test_half_a_limit_above_class_iii_and_a_file_limit_overriding_the_given_one_are_warned(tmp_path):
    # a 检出限 row of 0.04 under 汞 with no units row: taken as mg/L, while the lab meant μg/L
    path = write(tmp_path / "m.csv", "断面编码,监测日期,汞,氨氮,铜\nS1,2023-01-01,未检出,未检出,0.05L\n")
    raw = read_layer(LayerSource(path, detection_limits=(("nh3n", 0.025),)), "measurements")
    raw.detection_limits.update({"汞": "0.04", "氨氮": "0.05"})
    layer = measurements_layer(raw)
    assert errors(layer) == []
    warnings = [str(p) for p in layer.problems if p.severity == "warning"]
    assert warnings == [
        f"{path}: column 汞: the detection limit 0.04 mg/L counts 未检出 as half of it, above the class III limit "
        "(0.0001 mg/L), so every such cell rates worse than III: is the limit in another unit (μg/L read as mg/L)? "
        "Write the unit in the header (汞(μg/L)) or in a units row under it",
        f"{path}: column 氨氮: the file's 检出限 (0.05 mg/L) differs from the one given with --detection-limits or "
        "in geoenv.toml (0.025 mg/L): the file's is used",
    ]  # 铜 0.05L: half is far below its class III limit, 1.0 mg/L
    assert value_of(layer, "S1", "2023-01-01", "nh3n") == pytest.approx(0.025)


# 断流, 冰封 …: months kept as their status


def test_no_sample_months_are_kept_and_counted(tmp_path):
    path = write(
        tmp_path / "m.csv",
        "断面编码,监测日期,氨氮,总磷,备注\n"
        "S1,2023-01-01,0.5,0.1,\n"
        "S1,2023-02-01,断流,断流,\n"
        "S1,2023-03-01,,,河道断流\n"
        "S1,2023-04-01,1.2,0.1,断流后恢复\n"
        "S1,2023-12-01,冰封,,\n",
    )
    layer = inspect("measurements", LayerSource(path))
    assert errors(layer) == []
    status = layer.data[layer.data["status"] != ""]
    assert status[["row", "status"]].values.tolist() == [[1, "断流"], [2, "断流"], [4, "冰封"]]
    monthly = tmp_path / "month.csv"
    assert run("classify", path, "--by", "month", "-o", monthly)[0] == 0
    month = pd.read_csv(monthly, encoding="utf-8-sig", dtype={"period": str}).set_index("period")
    assert month.loc["2023-02", "no_sample"] == "断流 1" and pd.isna(month.loc["2023-02", "class"])
    assert month.loc["2023-02", "n_samples"] == 0
    assert month.loc["2023-04", "class"] == "IV" and pd.isna(month.loc["2023-04", "no_sample"])  # just a remark
    yearly = tmp_path / "year.csv"
    assert run("classify", path, "-o", yearly)[0] == 0
    year = pd.read_csv(yearly, encoding="utf-8-sig").iloc[0]
    assert year["no_sample"] == "断流 2、冰封 1" and year["n_samples"] == 2 and year["class"] == "III"
    code, output = run("classify", path, "--by", "quarter")
    assert code == 0 and "未采样(月)" in output and "断流 2" in output and "冰封 1" in output


# Dates as they come


def test_dates_in_every_form():
    written = ["202301", "2023.1", "2023.01", "2023年1月", "2023-1", "2023/1/15", "20230115", "44927", "44927.0",
               "2023-01-15", "2023年1月15日", "2023.10", "2023-01-15 00:00:00", "2023/01"]  # fmt: skip
    dates, problems = parse_dates(pd.Series(written))
    assert problems == {}
    first, fifteenth = pd.Timestamp("2023-01-01"), pd.Timestamp("2023-01-15")
    assert dates.tolist() == [first] * 5 + [fifteenth] * 2 + [first] * 2 + [fifteenth] * 2 + [
        pd.Timestamp("2023-10-01"),
        fifteenth,
        first,
    ]
    assert parse_dates(pd.Series(["15/01/2023", "05/02/2023"]))[0].tolist() == [
        fifteenth,
        pd.Timestamp("2023-02-05"),
    ]


def test_excel_cells_of_every_kind(tmp_path):
    path = workbook(
        tmp_path / "m.xlsx",
        [
            ["断面编码", "监测日期", "氨氮"],
            ["S1", dt.datetime(2023, 1, 15), 0.5],
            ["S1", 44958, 0.5],  # a number cell: Excel serial of 2023-02-01
            ["S1", 202303, 0.5],
            ["S1", "2023年4月", 0.5],
        ],
    )
    layer = inspect("measurements", LayerSource(path))
    assert errors(layer) == []
    dates = layer.data["date"].dt.strftime("%Y-%m-%d").tolist()
    assert dates == ["2023-01-15", "2023-02-01", "2023-03-01", "2023-04-01"]


def test_conflicting_date_forms_are_errors_naming_rows(tmp_path):
    path = write(tmp_path / "m.csv", WIDE + "S1,2023-01-05,0.5,0.1\nS1,05/02/2023,0.5,0.1\n")
    assert errors(inspect("measurements", LayerSource(path))) == [
        f"{path}:row 3: column 监测日期: '05/02/2023' is written day/month first but other dates of the column "
        "are year first ('2023-01-05' in row 2): write every date year first, e.g. 2023-01-15"
    ]
    path = write(tmp_path / "n.csv", WIDE + "S1,2023.1,0.5,0.1\nS1,2023.2,0.5,0.1\nS1,2023.1,0.6,0.1\n")
    got = errors(inspect("measurements", LayerSource(path)))
    assert [g.split(": column")[0] for g in got] == [f"{path}:row 2", f"{path}:row 4"]
    assert "'2023.1' may be January or October" in got[0]
    path = write(tmp_path / "t.csv", WIDE + "S1,2023.1,0.5,0.1\nS1,2023.10,0.6,0.1\n")
    layer = inspect("measurements", LayerSource(path))
    assert errors(layer) == [] and sorted(set(layer.data["date"].dt.month)) == [1, 10]


def test_a_lone_2023_1_a_bare_year_and_a_blank_date_are_refused(tmp_path):
    # an October-only workbook whose dates are number cells 2023.10: Excel shows 2023.1
    path = workbook(tmp_path / "m.xlsx", [["断面编码", "监测日期", "氨氮"], ["S1", 2023.10, 0.5], ["S2", 2023.2, 0.5]])
    assert errors(inspect("measurements", LayerSource(path))) == [
        f"{path}:row 2: column 监测日期: '2023.1' may be January or October (a number cell 2023.10 shows as 2023.1, "
        "and the column writes no month as 2023.10): write the months as text (2023-01, 2023-10) or as dates"
    ]
    path = workbook(tmp_path / "y.xlsx", [["断面编码", "监测日期", "氨氮"], ["S1", 2023, 0.5], ["S1", None, 0.6]])
    assert errors(inspect("measurements", LayerSource(path))) == [
        f"{path}:row 2: column 监测日期: '2023' is a year, not a month: write the month of the sample, e.g. 2023-01",
        f"{path}:row 3: column 监测日期: the date is missing: write the month of the sample, e.g. 2023-01",
    ]
    dates, problems = parse_dates(pd.Series(["2023", "2023.0", "", "2023.12", "2023.1", "2023.2"]))
    assert sorted(problems) == [0, 1, 2, 4] and dates.dropna().dt.month.tolist() == [12, 2]


# Sections by code or by name


def test_measurements_naming_sections_by_name_resolve_to_codes(tmp_path):
    sections = write(tmp_path / "s.csv", SECTIONS)
    path = write(tmp_path / "m.csv", "断面名称,监测日期,氨氮\n温南社,2023-01-01,0.5\nS2,2023-01-01,1.2\n")
    out = tmp_path / "o.csv"
    code, output = run("classify", path, "--sections", sections, "-o", out)
    assert code == 0, output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table[["section", "name", "class"]].values.tolist() == [["S1", "温南社", "II"], ["S2", "小店桥", "IV"]]
    # the same month named once by code and once by name is a repeat
    path = write(tmp_path / "r.csv", "断面,监测日期,氨氮\n温南社,2023-01-01,0.5\nS1,2023-01-01,0.9\n")
    code, output = run("validate", "--sections", sections, "--measurements", path)
    assert code == 1
    assert f"error: {path}:row 2: column 氨氮: '0.5' conflicts with '0.9' in row 3 (氨氮)" in output


def test_a_shared_name_is_refused_once_naming_both_register_rows_and_the_rows_using_it(tmp_path):
    sections = write(tmp_path / "s.csv", SECTIONS + "S3,温南社,汾河,112.52,37.72,Ⅲ类\n")
    months = "".join(f"温南社,2023-{m:02d}-01,0.5\n" for m in range(1, 8))
    path = write(tmp_path / "m.csv", "断面名称,监测日期,氨氮\n" + months + "小店桥,2023-01-01,0.5\n")
    code, output = run("validate", "--sections", sections, "--measurements", path)
    assert code == 1
    assert (
        f"error: {path}:row 2: column 断面名称: section '温南社' is ambiguous: row 2, row 4 of {sections} share "
        "that name, and row 2, row 3, row 4, row 5, row 6 … (7 rows) of this file use it; "
        "give 断面编码 (the section code) in both files"
    ) in output
    assert len([line for line in output.splitlines() if line.startswith("error:")]) == 1  # once; 小店桥 is unique


def test_code_where_given_and_the_name_where_the_code_is_blank(tmp_path):
    sections = write(tmp_path / "s.csv", SECTIONS + ",汾河静乐断面,汾河,112.55,37.76,Ⅱ类\n")
    path = write(
        tmp_path / "m.csv",
        "断面编码,断面名称,监测日期,项目,监测值\n"
        "S1,温南社,2023-01-05,氨氮,0.3\n"
        ",汾河静乐断面,2023-02-05,氨氮,0.4\n"
        "S2,,2023-02-05,氨氮,0.6\n",
    )
    out = tmp_path / "o.csv"
    code, output = run("classify", path, "--sections", sections, "-o", out)
    assert code == 0, output
    assert "two columns give section" not in output and "ignored" not in output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table[["name", "n_samples", "cwqi"]].values.tolist() == [
        ["温南社", 1, 0.3],  # 氨氮 0.3 / 1.0 (class III)
        ["小店桥", 1, 0.6],
        ["汾河静乐断面", 1, 0.4],  # by its name: the 省考 row has no code
    ]


def test_a_code_and_a_name_of_different_sections_is_an_error_naming_both(tmp_path):
    sections = write(tmp_path / "s.csv", SECTIONS + ",汾河静乐断面,汾河,112.55,37.76,Ⅱ类\n")
    path = write(
        tmp_path / "m.csv",
        "断面编码,断面名称,监测日期,项目,监测值\nS1,汾河静乐断面,2023-01-05,氨氮,1.8\nS2,小 店 桥,2023-01-05,氨氮,1\n"
        "S1,温泉,2023-02-05,氨氮,1\n",
    )
    code, output = run("validate", "--sections", sections, "--measurements", path)
    assert code == 1
    errors_ = [line for line in output.splitlines() if line.startswith("error:")]
    assert errors_ == [
        f"error: {path}:row 2: column 断面编码: code 'S1' and name '汾河静乐断面' name different sections: 'S1' is "
        f"'温南社' in row 2 of {sections}; '汾河静乐断面' is row 4 (no 断面编码); correct the code or the name",
        f"error: {path}:row 4: column 断面编码: code 'S1' and name '温泉' name different sections: 'S1' is "
        f"'温南社' in row 2 of {sections}; no section of {sections} is named '温泉'; correct the code or the name",
    ]  # 小 店 桥 is 小店桥 written with spaces


def test_a_groups_main_pollutants_of_equal_share_put_the_worse_class_first(tmp_path):
    sections = write(tmp_path / "s.csv", SECTIONS)
    rows = "S1,2023-01-01,4,0.5,10\nS2,2023-01-01,8,1.8,35\n"
    path = write(tmp_path / "m.csv", "断面编码,监测日期,溶解氧,氨氮,化学需氧量\n" + rows)
    out = tmp_path / "g.csv"
    code, output = run("classify", path, "--sections", sections, "--group", "all", "-o", out)
    assert code == 0, output
    # each item is worse than III in one section of two; 溶解氧 4 is IV, 化学需氧量 35 and 氨氮 1.8 are V,
    # and of those two 氨氮 exceeds III more: (1.8 − 1) / 1 = 0.8 against (35 − 20) / 20 = 0.75
    assert pd.read_csv(out, encoding="utf-8-sig")["main_pollutants"].tolist() == [
        "氨氮(50%)、化学需氧量(50%)、溶解氧(50%)"
    ]
    # the river of two sections is rated by the class of its means, and named by them as a section:
    # 氨氮 1.15 and 化学需氧量 22.5 are IV (multiples 0.15 and 0.125), 溶解氧 6 is II
    code, output = run("classify", path, "--sections", sections, "--group", "river", "-o", out, "--overwrite")
    assert code == 0, output
    river = pd.read_csv(out, encoding="utf-8-sig").iloc[0]
    assert river["rated_by"] == "class_of_means" and river["main_pollutants"] == "氨氮(0.1)、化学需氧量(0.1)"


# --lenient: cells, not rows; no crash


def test_lenient_skips_one_cell_and_keeps_the_rest_of_the_row(tmp_path):
    path = write(tmp_path / "m.csv", WIDE + "S1,2023-01-01,0.5,abc\nS1,2023-02-01,0.7,0.1\nS1,20x3,9,9\n")
    out = tmp_path / "o.csv"
    items = tmp_path / "items.csv"
    code, output = run("classify", path, "--lenient", "-o", out, "--items", items)
    assert code == 0, output
    skipped = pd.read_csv(tmp_path / "o.skipped.csv", encoding="utf-8-sig")
    assert skipped[["where", "column"]].values.tolist() == [["row 2", "总磷"], ["row 4", "监测日期"]]  # by row
    table = pd.read_csv(items, encoding="utf-8-sig").set_index("parameter")
    assert table.loc["nh3n", "n"] == 2 and table.loc["nh3n", "mean"] == pytest.approx(0.6)  # row 2's 氨氮 kept
    assert table.loc["tp", "n"] == 1 and table.loc["tp", "mean"] == pytest.approx(0.1)


def test_lenient_with_bad_dates_repeats_future_dates_and_no_limits_does_not_crash(tmp_path):
    path = write(
        tmp_path / "m.csv",
        WIDE + "S1,2023-01-01,0.5,0.1\nS1,abc,0.6,0.1\nS1,abc,0.7,0.2\nS1,2204-01-01,0.7,0.1\n"
        "S1,2204-01-01,0.8,0.1\nS1,2023-02-01,0.5,0.1\nS1,2023-02-01,0.5,0.1\nS1,2023-03-01,0.4,未检出\n",
    )
    for args in ((), ("--by", "month"), ("--by", "quarter"), ("--period", "2023")):
        code, output = run("classify", path, "--lenient", *args)
        assert code == 0, output
        assert "unexpected" not in output
    assert "skipped: " in output and "column 总磷: 1 cell says not detected" in output
    out = tmp_path / "month.csv"
    code, output = run("classify", path, "--lenient", "--by", "month", "-o", out)
    assert code == 0, output
    months = pd.read_csv(out, dtype=str, encoding="utf-8-sig").set_index("period")
    # the bad and future dates skipped, the identical repeat counted once, March kept without its 总磷
    assert months.index.tolist() == ["2023-01", "2023-02", "2023-03"]
    assert months["n_samples"].tolist() == ["1", "1", "1"]
