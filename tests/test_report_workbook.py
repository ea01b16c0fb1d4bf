"""report.xlsx: a title row with the period, the header frozen below it, widths, percent and
number formats, and its 同比 and 月度 sheets against values computed here from the project's
quality."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

import geoenv
from geoenv.cli import main
from geoenv.text import width as text_width

GOOD = {"I", "II", "III"}


def run(*args):
    result = CliRunner().invoke(main, ["-q", *map(str, args)], obj={})
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    run("report", "--period", "2024", "-o", folder)
    return folder


@pytest.fixture(scope="module")
def project():
    return geoenv.open_project()


def sheet_frame(sheet, header_row: int = 2) -> pd.DataFrame:
    rows = list(sheet.iter_rows(min_row=header_row, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_title_freeze_widths_and_formats(report):
    book = load_workbook(report / "report.xlsx")
    assert book.sheetnames == ["断面名录", "设施名录", "区县汇总", "河流汇总", "超标断面", "同比", "月度"]
    for sheet in book.worksheets:
        assert sheet["A1"].value == f"2024年 地表水环境质量报表 {sheet.title}"
        width = sheet.max_column
        assert [str(r) for r in sheet.merged_cells.ranges] == [f"A1:{get_column_letter(width)}1"]
        assert sheet.freeze_panes == "A3"
        assert sheet["A2"].font.bold
        assert all(sheet.column_dimensions[get_column_letter(c)].width >= 6 for c in range(1, width + 1))
    rivers = book["河流汇总"]
    header = [c.value for c in rivers[2]]
    ratio, cwqi = header.index("优良比例") + 1, header.index("CWQI") + 1
    main = header.index("主要污染指标") + 1
    longest = max(
        text_width(str(v)) for (v,) in rivers.iter_rows(min_row=2, min_col=main, max_col=main, values_only=True) if v
    )
    assert longest > 30 and rivers.column_dimensions[get_column_letter(main)].width == min(60, longest + 2)
    for row in range(3, rivers.max_row + 1):
        assert isinstance(rivers.cell(row, ratio).value, int | float)
        assert rivers.cell(row, ratio).number_format == "0.0%"
        assert rivers.cell(row, cwqi).number_format == "0.00"
    sections = book["断面名录"]
    header = [c.value for c in sections[2]]
    distance = header.index("距离(km)") + 1
    shown = [sections.cell(r, distance) for r in range(3, sections.max_row + 1)]
    assert any(c.value is not None for c in shown)
    assert all(c.number_format == "0.0" for c in shown if c.value is not None)
    # the workbook's values are numbers; the CSV beside it says them as percentages
    csv = pd.read_csv(report / "rivers.csv", dtype=str, encoding="utf-8-sig")
    workbook = sheet_frame(rivers)
    assert csv["优良比例"].tolist() == [f"{100 * v:.1f}%" for v in workbook["优良比例"]]


def test_year_on_year_sheet_against_the_quality_of_both_years(report, project):
    table = sheet_frame(load_workbook(report / "report.xlsx")["同比"])
    sections = project.basin.sections.set_index("code")
    expected = []
    for scope, word in (("county", "区县"), ("river", "河流"), ("all", "全部")):
        for year in ("2024", "2023"):
            q = project.quality(year).sections.dropna(subset=["class"]).set_index("section")
            group = pd.Series("全部", index=q.index) if scope == "all" else q.index.map(sections[scope])
            frame = pd.DataFrame({"group": group, "good": q["class"].isin(GOOD), "bad": q["class"].eq("劣V"),
                                  "cwqi": q["cwqi"]})  # fmt: skip
            agg = frame.groupby("group").agg(good=("good", "mean"), bad=("bad", "mean"), cwqi=("cwqi", "mean"))
            expected.append(agg.add_suffix(f"_{year}").assign(scope=word))
    rows = table.set_index(["范围", "名称"])
    n = 0
    for word in ("区县", "河流", "全部"):
        now, before = (e for e in expected if e["scope"].iloc[0] == word)
        for group, values in now.iterrows():
            row = rows.loc[(word, group)]
            assert row["时段"] == "2024" and row["对比时段"] == "2023"
            assert row["优良比例"] == pytest.approx(values["good_2024"], abs=1e-4)
            assert row["劣V比例"] == pytest.approx(values["bad_2024"], abs=1e-4)
            assert row["CWQI"] == pytest.approx(values["cwqi_2024"], abs=1e-4)
            old = before.loc[group]
            assert row["上年同期优良比例"] == pytest.approx(old["good_2023"], abs=1e-4)
            assert row["优良比例变化"] == pytest.approx(values["good_2024"] - old["good_2023"], abs=2e-4)
            assert row["上年同期CWQI"] == pytest.approx(old["cwqi_2023"], abs=1e-4)
            change = (values["cwqi_2024"] - old["cwqi_2023"]) / old["cwqi_2023"]
            assert row["CWQI变化"] == pytest.approx(change, abs=2e-4)
            n += 1
    assert n == len(table) and n > 50
    assert rows.loc[("全部", "全部"), "优良比例"] < 1  # the sample has polluted sections


def test_monthly_sheet_has_the_class_of_each_month(report, project):
    table = sheet_frame(load_workbook(report / "report.xlsx")["月度"])
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    assert list(table.columns) == ["断面编码", "名称", "河流", "区县", *months]
    q = project.quality(by="month").sections
    expected = q[q["period"].str.startswith("2024")].set_index(["section", "period"])["class"]
    cells = table.set_index("断面编码")[months].stack().rename_axis(["section", "period"])
    assert len(cells) == len(expected) == 12 * len(table)
    assert (cells.sort_index() == expected.sort_index()).all()
    assert (
        table["断面编码"].tolist()
        == sheet_frame(load_workbook(report / "report.xlsx")["断面名录"])["断面编码"].tolist()
    )


def test_monthly_blank_where_not_sampled_and_year_on_year_without_last_year(tmp_path):
    sections = write(tmp_path / "s.csv", "断面编码,断面名称,所在河流,经度,纬度,断面级别,水质目标\n"
                     "SX022,汾河古交断面,汾河,112.17,37.91,国考,Ⅲ类\n")  # fmt: skip
    rows = "".join(f"SX022,2024-{m:02d}-05,7.5,6.0,3.0,12,0.3,0.05\n" for m in (1, 2, 4, 5))
    measurements = write(tmp_path / "m.csv", f"断面编码,监测日期,pH,溶解氧,高锰酸盐指数,化学需氧量,氨氮,总磷\n{rows}")
    run("report", "--sections", sections, "--measurements", measurements, "--period", "2024Q2", "-o", tmp_path / "r")
    book = load_workbook(tmp_path / "r" / "report.xlsx")
    assert book["月度"]["A1"].value == "2024年第2季度 地表水环境质量报表 月度"
    monthly = sheet_frame(book["月度"])
    assert monthly[["2024-04", "2024-05", "2024-06"]].iloc[0].tolist() == ["II", "II", None]
    yoy = sheet_frame(book["同比"])
    assert yoy["对比时段"].eq("2023Q2").all()
    assert yoy["上年同期CWQI"].isna().all() and yoy["CWQI变化"].isna().all()
    assert np.isfinite(yoy["CWQI"].astype(float)).all()


@pytest.fixture(scope="module")
def bureau_report(tmp_path_factory):
    import bureau_registers as bureau

    folder = tmp_path_factory.mktemp("bureau_report")
    files = ["--sections", bureau.sections_workbook(folder / "断面名录.xlsx").path,
             "--facilities", bureau.facilities_csv(folder / "设施.csv").path,
             "--measurements", bureau.measurements_workbook(folder / "监测结果.xlsx").path]  # fmt: skip
    run("report", *files, "--period", "2024", "-o", folder / "rep")
    return folder / "rep"


def test_facilities_keep_their_unit_and_whole_capacities(bureau_report):
    csv = pd.read_csv(bureau_report / "facilities.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    sheet = load_workbook(bureau_report / "report.xlsx")["设施名录"]
    header = [c.value for c in sheet[2]]
    cells = {h: [r[i] for r in sheet.iter_rows(min_row=3, values_only=True)] for i, h in enumerate(header)}
    assert list(csv.columns).index("规模单位") == list(csv.columns).index("规模") + 1
    assert (csv["规模单位"] != "").any() and [v or "" for v in cells["规模单位"]] == list(csv["规模单位"])
    given = pd.to_numeric(csv["规模"], errors="coerce").dropna()
    if (given % 1 == 0).all():  # whole numbers: written without ".0", and as integers in the sheet
        assert not csv["规模"].str.endswith(".0").any()
        assert all(isinstance(v, int) for v in cells["规模"] if v is not None)


def test_monthly_sheet_says_dry_months(bureau_report):
    import bureau_registers as bureau

    monthly = pd.read_csv(bureau_report / "monthly.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    dry = bureau.sample("sections").set_index("断面编码").loc[bureau.DRY_SECTION, "断面名称"]
    row = monthly.set_index("名称").loc[dry]
    for month in bureau.DRY_MONTHS:
        assert row[month[:7]] == "断流"
    sheet = sheet_frame(load_workbook(bureau_report / "report.xlsx")["月度"]).set_index("名称")
    assert sheet.loc[dry, bureau.DRY_MONTHS[0][:7]] == "断流"
    assert not monthly.drop(columns=["断面编码"]).isin(["断流 1", "冰封 1"]).any().any()
