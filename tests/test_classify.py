"""``geoenv classify``: outputs, groups, periods, bad input and --lenient."""

import pandas as pd
from conftest import SECTIONS_CSV, write
from test_cli import run

from geoenv.cli import main

LONG = (
    "断面编码,监测日期,监测项目,监测值,单位\n"
    "S01,2024-01-05,氨氮,1.4,mg/L\n"
    "S01,2024-01-05,化学需氧量,18,mg/L\n"
    "S02,2024-01-05,氨氮,0.4,mg/L\n"
    "S02,2024-02-05,氨氮,0.3,mg/L\n"
)


def test_help_has_an_example():
    result = run("classify", "--help")
    assert result.exit_code == 0 and "Examples:" in result.output and main.get_command(None, "classify")


def test_sample_by_year_to_csv(tmp_path):
    out = tmp_path / "评价.csv"
    result = run("-q", "classify", "-o", out, "--lang", "en")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    need = ["section", "period", "class", "main_pollutants", "cwqi", "target", "meets_target", "n_samples"]
    assert set(need) <= set(table.columns)
    assert len(table) == 48 * 2 and set(table["period"]) == {"2023", "2024"}
    assert table["class"].isin(["I", "II", "III", "IV", "V", "劣V"]).all()
    # Class IV or worse always has main pollutants; I–III never.
    worse = table["class"].isin(["IV", "V", "劣V"])
    assert table.loc[worse, "main_pollutants"].notna().all() and table.loc[~worse, "main_pollutants"].isna().all()
    assert table.loc[table["period"] == "2024", "class_change"].isin(["好转", "持平", "变差"]).all()
    assert (table["cwqi_items"] == "21").all()


def test_groups_on_the_terminal():
    result = run("-q", "classify", "--period", "2024", "--group", "city")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["名称", "时段", "断面数"] and len(lines) == 2 + 11
    assert all(any(r in line for r in ("优", "良好", "污染")) for line in lines[2:])


def test_user_files_long_form_with_sections(tmp_path):
    sections = write(tmp_path / "s.csv", SECTIONS_CSV)
    measurements = write(tmp_path / "m.csv", LONG, "gbk")
    out = tmp_path / "out.csv"
    result = run("-q", "classify", measurements, "--sections", sections, "--by", "month", "-o", out, "--lang", "en")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig").set_index(["section", "period"])
    s01 = table.loc[("S01", "2024-01")]
    assert (s01["class"], s01["target"], s01["meets_target"]) == ("IV", "II", False)
    assert s01["exceeding_items"] == "氨氮(1.8)、化学需氧量(0.2)"  # against class II: (1.4 − 0.5)/0.5, (18 − 15)/15
    assert s01["main_pollutants"] == "氨氮(0.4)" and s01["county"] != ""
    assert table.loc[("S02", "2024-02"), "class"] == "II"


def test_bad_rows_stop_everything_and_write_nothing(tmp_path):
    sections = write(tmp_path / "s.csv", SECTIONS_CSV)
    bad = LONG + "S09,2024-01-05,氨氮,0.5,mg/L\nS01,2024-01-05,总憐,0.1,mg/L\nS02,2024-01-05,pH,15,\n"
    measurements = write(tmp_path / "m.csv", bad)
    out = tmp_path / "out.csv"
    result = run("classify", measurements, "--sections", sections, "-o", out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {measurements}:row 7: column 监测项目: unknown parameter '总憐'; closest known: 总磷、总氮",
        f"error: {measurements}:row 8: column 监测值: pH '15' is outside 0–14",
        f"error: {measurements}:row 6: column 断面编码: section 'S09' is not in the sections layer ({sections})",
    ]
    assert not out.exists()

    result = run("classify", measurements, "--sections", sections, "-o", out, "--lenient", "--lang", "en")
    assert result.exit_code == 0, result.output
    skipped = pd.read_csv(tmp_path / "out.skipped.csv", encoding="utf-8-sig")
    assert skipped["where"].tolist() == ["row 7", "row 8", "row 6"]
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert sorted(table["section"]) == ["S01", "S02"]


def test_period_options_that_clash_are_usage_errors(tmp_path):
    assert run("classify", "--period", "2024", "--by", "month").exit_code == 2
    assert run("classify", "--from", "2024-06-01", "--to", "2024-01-01").exit_code == 2
    result = run("classify", "--period", "2030")
    assert result.exit_code == 1 and "no measurements in 2030" in result.output


def test_range_is_one_period(tmp_path):
    out = tmp_path / "r.csv"
    result = run("-q", "classify", "--from", "2024-03-01", "--to", "2024-08-31", "-o", out, "--lang", "en")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert set(table["period"]) == {"2024-03-01~2024-08-31"} and (table["n_samples"] == 6).all()
