"""Hostile values (issue 10, findings 11–13, 15 and the value-side "unexpected" errors): each
gives a located error, warning or usage error instead of a silently wrong answer."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from conftest import write

from geoenv.cli import main
from geoenv.cli.options import NON_NEGATIVE
from geoenv.io import LayerSource
from geoenv.layers import MAX_OUTFALL_KM, inspect, load
from geoenv.measurements import implausible_dates

RIVERS = Path(__file__).resolve().parent.parent / "geoenv" / "datasets" / "rivers" / "shanxi_rivers.geojson"
LONG = "断面编码,监测日期,监测项目,监测值\n"
SECTIONS = "断面编码,断面名称,经度,纬度\n"
FACILITIES = "编号,名称,类型,经度,纬度,排口经度,排口纬度\n"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], obj={})
    return result.exit_code, result.output


def classified(path: Path, *args: object) -> tuple[str, pd.DataFrame]:
    """``geoenv classify PATH -o`` a CSV: the messages and the table written."""
    out = path.with_name("out.csv")
    code, output = run("classify", path, "-o", out, "--lang", "en", *args)
    assert code == 0, output
    return output, pd.read_csv(out, dtype={"period": str})


def problems(tmp_path: Path, kind: str, text: str, *, severity: str = "error", name: str = "in.csv", **kw):
    path = write(tmp_path / name, text)
    layer = inspect(kind, LayerSource(path, **kw))
    return [str(p) for p in layer.problems if p.severity == severity]


# finding 11: dates after today or long before the rest of the file


def test_a_date_after_today_is_an_error_naming_file_row_and_column(tmp_path):
    path = write(
        tmp_path / "m.csv", LONG + "SX001,2023-01-01,氨氮,0.5\nSX001,2023-02-01,氨氮,0.6\nSX001,2204-03-01,氨氮,0.7\n"
    )
    code, output = run("classify", path)
    today = pd.Timestamp.today().normalize()
    assert code == 1
    assert (
        f"error: {path}:row 4: column 监测日期: '2204-03-01' is after today ({today:%Y-%m-%d}): is the year mistyped?"
        in (output)
    )
    assert "2204" not in output.replace("'2204-03-01'", "")


def test_lenient_skips_implausible_dates_and_says_so(tmp_path):
    path = write(
        tmp_path / "m.csv", LONG + "SX001,2023-01-01,氨氮,0.5\nSX001,2023-02-01,氨氮,0.7\nSX001,2204-03-01,氨氮,9\n"
    )
    code, output = run("classify", path, "--lenient")
    assert code == 0
    assert f"skipped: {path}:row 4: column 监测日期: '2204-03-01' is after today" in output
    assert "2204 " not in output and "2023 " in output
    assert " 0.6 " in output  # the mean of the two 2023 values (CWQI of NH3-N = C / 1.0)


def test_a_date_decades_before_the_rest_is_an_error(tmp_path):
    text = LONG + "".join(f"S1,2023-{m:02d}-01,氨氮,0.5\n" for m in range(1, 7)) + "S1,2003-07-01,氨氮,0.5\n"
    got = problems(tmp_path, "measurements", text)
    assert got == [
        f"{tmp_path / 'in.csv'}:row 8: column 监测日期: '2003-07-01' lies 20 years before the rest of the file "
        "(which starts 2023-01-01): is the year mistyped?"
    ]


def test_the_early_date_rule_spares_long_series_without_a_gap():
    monthly = pd.Series(pd.date_range("1990-01-01", "2024-12-01", freq="MS"))
    future, early = implausible_dates(monthly, today=pd.Timestamp("2025-01-01"))
    assert not future.any() and not early.any()
    # A ten-year hole with most rows after it: what lies before the hole is early.
    gapped = pd.Series(pd.to_datetime(["2001-05-01", "2012-01-01", "2012-02-01", "2012-03-01"]))
    future, early = implausible_dates(gapped, today=pd.Timestamp("2025-01-01"))
    assert early.tolist() == [True, False, False, False] and not future.any()
    future, _ = implausible_dates(gapped, today=pd.Timestamp("2012-01-15"))
    assert future.tolist() == [False, False, True, True]


# finding 12: repeated rows


def test_conflicting_repeats_are_an_error_naming_both_rows(tmp_path):
    text = LONG + "SX001,2023-01-01,氨氮,0.5\nSX001,2023-02-01,氨氮,0.6\nSX001,2023-01-01,氨氮,0.9\n"
    f = tmp_path / "in.csv"
    assert problems(tmp_path, "measurements", text) == [
        f"{f}:row 2: column 监测值: '0.5' conflicts with '0.9' in row 4: the same section 'SX001', "
        "date 2023-01-01 and item 氨氮; keep the right value only",
        f"{f}:row 4: column 监测值: '0.9' conflicts with '0.5' in row 2: the same section 'SX001', "
        "date 2023-01-01 and item 氨氮; keep the right value only",
    ]


def test_a_measured_value_and_a_below_detection_one_conflict(tmp_path):
    text = LONG + "S1,2023-01-01,总磷,0.01\nS1,2023-01-01,总磷,0.02L\n"
    assert len(problems(tmp_path, "measurements", text)) == 2  # both 0.01 for statistics, not the same


def test_identical_repeats_are_a_warning_and_counted_once(tmp_path):
    text = LONG + "SX001,2023-01-01,氨氮,0.5\nSX001,2023-01-01,氨氮,0.50\nSX001,2023-02-01,氨氮,1.5\n"
    path = write(tmp_path / "m.csv", text)
    layer = load("measurements", LayerSource(path))
    warnings = [str(p) for p in layer.problems if p.severity == "warning"]
    assert warnings == [f"{path}:row 3: repeats row 2 (same section, date and value of 氨氮): counted once"]
    assert layer.data["row"].tolist() == [0, 2]
    output, table = classified(path)
    assert f"warning: {path}:row 3: repeats row 2" in output
    assert table["n_samples"].tolist() == [2] and table["cwqi"].tolist() == [1.0]  # (0.5 + 1.5) / 2, not 2.5 / 3


def test_wide_form_repeats_name_the_column(tmp_path):
    text = "断面编码,监测日期,氨氮,总磷\nS1,2023-01-01,0.5,0.1\nS1,2023-01-01,0.5,0.2\n"
    f = tmp_path / "in.csv"
    assert problems(tmp_path, "measurements", text) == [
        f"{f}:row 2: column 总磷: '0.1' conflicts with '0.2' in row 3 (总磷): the same section 'S1', "
        "date 2023-01-01 and item 总磷; keep the right value only",
        f"{f}:row 3: column 总磷: '0.2' conflicts with '0.1' in row 2 (总磷): the same section 'S1', "
        "date 2023-01-01 and item 总磷; keep the right value only",
    ]
    assert problems(tmp_path, "measurements", text, severity="warning") == [
        f"{f}:row 3: repeats row 2 (same section, date and value of 氨氮): counted once"
    ]


# finding 13: numbers


@pytest.mark.parametrize("value", ["1e309", "inf", "-inf", "nan", "NaN", "Infinity"])
def test_values_that_are_not_finite_are_errors(tmp_path, value):
    got = problems(tmp_path, "measurements", LONG + f"S1,2023-01-01,氨氮,{value}\nS1,2023-02-01,氨氮,0.5\n")
    assert got == [
        f"{tmp_path / 'in.csv'}:row 2: column 监测值: {value!r} is not a finite number: "
        "leave the cell blank when nothing was measured"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("112°61′", "'112°61′' has 61 minutes: minutes run from 0 to 59"),
        ("112°30′60″", "'112°30′60″' has 60 seconds: seconds run from 0 to 59"),
        ("112度30分75秒", "'112度30分75秒' has 75 seconds: seconds run from 0 to 59"),
        ("112.5°30′", "'112.5°30′': only the last of degrees, minutes and seconds may have decimals"),
        ("inf", "'inf' is not a finite number"),
        ("1e309", "'1e309' is not a finite number"),
    ],
)
def test_impossible_coordinates_are_errors(tmp_path, text, message):
    got = problems(tmp_path, "sections", SECTIONS + f"S1,甲,{text},37.0\n")
    assert got == [f"{tmp_path / 'in.csv'}:row 2: column 经度: {message}"]


def test_valid_minutes_and_seconds_still_parse(tmp_path):
    layer = load("sections", LayerSource(write(tmp_path / "s.csv", SECTIONS + "S1,甲,112°59′59.9″,37°0′\n")))
    assert layer.data["lon"].iloc[0] == pytest.approx(112 + 59 / 60 + 59.9 / 3600, abs=1e-6)


def test_outfall_out_of_range_or_far_from_its_plant(tmp_path):
    text = FACILITIES + (
        "F1,甲厂,污水处理厂,112.05,37.05,112.06,95\n"
        "F2,乙厂,污水处理厂,112.05,37.05,115.45,37.05\n"
        "F3,丙厂,污水处理厂,112.05,37.05,112.06,37.06\n"
    )
    f = tmp_path / "in.csv"
    assert problems(tmp_path, "facilities", text) == [
        f"{f}:row 2: column 排口纬度: coordinate out of range for degrees",
        f"{f}:row 3: column 排口经度: the outfall lies 301.7 km from its facility, more than {MAX_OUTFALL_KM:g} km: "
        "check the outfall coordinates (a mistyped degree moves a point about 90 km)",
    ]


def test_embedded_outfalls_are_near_their_plants():
    layer = load("facilities", LayerSource(RIVERS.parent.parent / "sample" / "facilities.csv"))
    assert not [p for p in layer.problems if "outfall" in p.message]


FLOAT_OPTIONS = [
    ("trace", "SX001", "--distance-km"),
    ("impact", "--at", "112.5,37.5", "--velocity-ms"),
    ("impact", "--at", "112.5,37.5", "--distance-km"),
    ("crossings", "-o", "x.csv", "--near-km"),
    ("relations", "-o", "x.csv", "--radius-m"),
    ("relations", "-o", "x.csv", "--tolerance-m"),
    ("network", "navigate", RIVERS, "--start", "1", "--mode", "UT", "--distance-km"),
    ("network", "build", RIVERS, "-o", "x.gpkg", "--tolerance-m"),
]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "abc"])
@pytest.mark.parametrize("args", FLOAT_OPTIONS, ids=lambda a: " ".join(map(str, a[:1] + a[-1:])))
def test_float_options_refuse_nan_inf_and_negatives(tmp_path, monkeypatch, args, value):
    monkeypatch.chdir(tmp_path)
    code, output = run(*args, value)
    assert code == 2
    assert f"Invalid value for '{args[-1]}'" in output
    assert not list(tmp_path.iterdir())  # refused before any work


def test_velocity_option_refuses_zero():
    code, output = run("impact", "--at", "112.5,37.5", "--velocity-ms", "0")
    assert code == 2 and "Invalid value for '--velocity-ms': 0.0 is not in the range x>0" in output


def test_the_float_type_messages():
    for text, message in (("nan", "'nan' is not a finite number"), ("abc", "'abc' is not a number")):
        with pytest.raises(Exception, match=message):
            NON_NEGATIVE.convert(text, None, None)
    assert NON_NEGATIVE.convert(" 2.5 ", None, None) == 2.5


@pytest.mark.parametrize("option", ["--outlet", "--at", "--start-at"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nan,37", "longitude and latitude must be finite numbers"),
        ("112,inf", "longitude and latitude must be finite numbers"),
        ("112,95", "out of range for degrees"),
        ("112", "write LON,LAT in degrees"),
    ],
)
def test_point_options_refuse_nan_inf_and_out_of_range(option, value, message):
    command = {
        "--outlet": ("relations", "-o", "x.csv"),
        "--at": ("impact",),
        "--start-at": ("network", "navigate", RIVERS, "--mode", "UT"),
    }[option]
    code, output = run(*command, option, value)
    assert code == 2 and f"Invalid value for '{option}': '{value}'" in output and message in output


def test_velocity_column_values_are_located_errors(tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b", "c", "d", "e", "f"], "流速": ["0", "-1", "abc", "inf", "0.8", ""]},
        geometry=[shapely.LineString([(112 + i / 10, 37), (112.05 + i / 10, 37)]) for i in range(6)],
        crs=4326,
    )
    path = tmp_path / "rivers.gpkg"
    frame.to_file(path, engine="pyogrio")
    layer = inspect("rivers", LayerSource(path))
    assert [str(p) for p in layer.problems] == [
        f"{path}:feature 1: column 流速: '0' is not a flow velocity: it must be above 0 m/s (blank for the default)",
        f"{path}:feature 2: column 流速: '-1' is not a flow velocity: it must be above 0 m/s (blank for the default)",
        f"{path}:feature 3: column 流速: 'abc' is not a number (m/s)",
        f"{path}:feature 4: column 流速: 'inf' is not a finite velocity: give m/s, or leave it blank",
    ]
    assert layer.data["velocity"].iloc[4] == 0.8 and np.isnan(layer.data["velocity"].iloc[5])
    code, output = run("network", "build", path, "-o", tmp_path / "n.gpkg")
    assert code == 1 and f"error: {path}:feature 3: column 流速: 'abc' is not a number (m/s)" in output


def test_velocity_in_another_unit_is_an_error(tmp_path):
    frame = gpd.GeoDataFrame({"流速": [36.0]}, geometry=[shapely.LineString([(112, 37), (112.1, 37)])], crs=4326)
    frame.to_file(tmp_path / "r.gpkg", engine="pyogrio")
    got = [str(p) for p in inspect("rivers", LayerSource(tmp_path / "r.gpkg")).problems]
    assert got == [f"{tmp_path / 'r.gpkg'}:feature 1: column 流速: '36.0' m/s is faster than any river "
                   "(10 m/s at most): is it in km/h or m/min?"]  # fmt: skip


# finding 15 (second half): item columns in a long-form file


def test_item_columns_in_a_long_file_are_reported(tmp_path):
    text = "断面编码,监测日期,监测项目,监测值,总磷,氨氮,备注\nS1,2023-01-01,氨氮,0.5,0.2,0.4,x\n"
    assert problems(tmp_path, "measurements", text, severity="warning") == [
        f"{tmp_path / 'in.csv'}: columns ignored: 总磷、氨氮 look like items, but this file is in long form "
        "(one item per row, named in 监测项目 with its value in 监测值); put them in rows of their own, "
        "or give them in a separate wide-form file"
    ]


# "No unexpected errors" and "poor messages"


def test_measurements_with_only_section_and_date(tmp_path):
    path = write(tmp_path / "m.csv", "断面编码,监测日期\nSX001,2023-01-01\n")
    for args in (("classify", path), ("classify", path, "--sections", "geoenv/datasets/sample/sections.csv")):
        code, output = run(*args)
        assert code == 1 and "unexpected" not in output
        assert (
            f"error: {path}: no parameter columns found: give either parameter and value columns (监测项目, 监测值) "
            "or one column per parameter (氨氮, 总磷 …); the file's headers are: 断面编码, 监测日期"
        ) in output


@pytest.mark.parametrize(
    "text",
    [LONG + "S1,2023-01-01,氨氮,\nS1,2023-02-01,氨氮,\n", "断面编码,监测日期,氨氮\nS1,2023-01-01,\nS1,2023-02-01,\n"],
    ids=["long", "wide"],
)
def test_every_value_blank(tmp_path, text):
    path = write(tmp_path / "m.csv", text)
    code, output = run("classify", path)
    assert code == 1 and "unexpected" not in output
    assert f"{path}:" in output and "no measured values: every value cell of the 2 rows is blank" in output


def test_every_row_skipped_by_lenient(tmp_path):
    path = write(tmp_path / "m.csv", LONG + "S1,2204-01-01,氨氮,0.5\n")
    code, output = run("classify", path, "--lenient")
    assert code == 1 and "unexpected" not in output
    assert f"error: {path}: no measured values with a date to evaluate (1 row with errors skipped)" in output


def test_one_header_mapped_to_two_columns(tmp_path):
    path = write(tmp_path / "s.csv", SECTIONS + "S1,甲,112.1,37.0\n")
    code, output = run("validate", "--sections", path, "--column", "sections.code=断面名称",
                       "--column", "sections.name=断面名称")  # fmt: skip
    assert code == 1 and "unexpected" not in output
    assert (
        f"error: {path}: column 断面名称: --column maps '断面名称' to both code and name: "
        "a column can be only one of them"
    ) in output
    assert "missing required column 'name'" not in output


def test_projected_coordinates_without_a_crs_are_reported_once(tmp_path):
    rows = "".join(f"S{i},甲,{500000 + i * 1000},{4200000 + i * 1000}\n" for i in range(5))
    got = problems(tmp_path, "sections", SECTIONS + rows)
    assert got == [
        f"{tmp_path / 'in.csv'}: column 经度: 5 of 5 section points are not in degrees (经度 500000…504000, "
        "纬度 4200000…4204000): they look like projected metres; declare the CRS with --src-crs sections=CODE, "
        "e.g. 32649 or 32650 (UTM zones 49N/50N), 4546 or 4547 (CGCS2000 3-degree Gauss-Kruger CM 111E/114E)"
    ]


def test_gauss_kruger_eastings_with_a_zone_name_the_crs(tmp_path):
    got = problems(tmp_path, "sections", SECTIONS + "S1,甲,38500000,4200000\nS2,乙,38510000,4210000\n")
    assert len(got) == 1 and "--src-crs sections=CODE, EPSG:4526 (CGCS2000 3-degree Gauss-Kruger zone 38)" in got[0]


def test_a_few_bad_coordinates_are_still_reported_per_row(tmp_path):
    got = problems(tmp_path, "sections", SECTIONS + "S1,甲,112.1,37\nS2,乙,112.2,37\nS3,丙,500000,37\n")
    assert got == [f"{tmp_path / 'in.csv'}:row 4: column 经度: coordinate out of range for degrees"]


def test_two_columns_with_one_header_say_which_is_used(tmp_path):
    text = "断面编码,断面名称,经度,纬度,经度\nS1,甲,112.1,37.0,113.5\n"
    path = write(tmp_path / "s.csv", text)
    layer = load("sections", LayerSource(path))
    assert [str(p) for p in layer.problems] == [
        f"{path}: column 经度: two columns give lon: '经度' (column 3, used) and '经度' (column 5, ignored); "
        "rename or remove one"
    ]
    assert layer.data["lon"].iloc[0] == 112.1


def test_two_aliases_of_one_column_say_which_is_used(tmp_path):
    got = problems(tmp_path, "sections", "断面编码,断面名称,东经,经度,纬度\nS1,甲,112.1,113,37\n", severity="warning")
    assert got == [
        f"{tmp_path / 'in.csv'}: column 经度: two columns give lon: '东经' (column 3, used) and '经度' (column 4, "
        "ignored); rename or remove one, or choose with --column sections.lon=经度"
    ]


def test_big5_csv_names_the_encoding(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("斷面編碼,斷面名稱,經度,緯度\nS1,甲,112.1,37.0\n".encode("big5"))
    code, output = run("validate", "--sections", path)
    assert code == 1
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1  # one message, not one per missing column
    assert lines[0].startswith(f"error: {path}: missing required columns name, lon, lat; the file's headers are:")
    assert "the encoding is probably wrong: the file was read as GBK" in lines[0]
    assert "read as Big5 (traditional Chinese) they would be 斷面編碼, 斷面名稱, 經度, 緯度" in lines[0]


def test_shapefile_with_a_wrong_cpg_names_the_encoding(tmp_path):
    frame = gpd.GeoDataFrame({"断面编码": ["S1"], "断面名称": ["上游"]}, geometry=[shapely.Point(112, 37)], crs=4326)
    path = tmp_path / "s.shp"
    frame.to_file(path, engine="pyogrio", encoding="gbk")
    path.with_suffix(".cpg").write_text("1252")
    layer = inspect("sections", LayerSource(path))
    (message,) = [str(p) for p in layer.problems]
    assert message.startswith(f"{path}: missing required columns name; the file's headers are: ")
    assert "the encoding is probably wrong; read as GBK they would be 断面编码, 断面名称." in message


def test_missing_column_lists_the_headers_found(tmp_path):
    got = problems(tmp_path, "sections", "站点,经度,纬度\nS1,112,37\n")
    assert got[0].endswith(
        "map another column with --column sections.name=站点; the file's headers are: 站点, 经度, 纬度"
    )
