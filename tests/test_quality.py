"""Values, units, periods, section evaluation, main pollutants, CWQI and aggregates."""

import numpy as np
import pandas as pd
import pytest
from conftest import write

from geoenv.errors import InputError
from geoenv.io import LayerSource
from geoenv.layers import load
from geoenv.quality import aggregate, evaluate, parse_period, parse_values, rating, requested_periods


def frame(rows, columns=("section", "date", "parameter", "value")):
    data = pd.DataFrame(rows, columns=list(columns))
    data["date"] = pd.to_datetime(data["date"])
    data["below_dl"] = data.get("below_dl", False)
    return data


def evaluated(data, sections=None, **kw):
    periods = kw.pop("periods", None) or requested_periods(data["date"], by=kw.pop("by", "year"))
    return evaluate(data, sections, periods=periods, **kw)


SECTIONS = pd.DataFrame(
    {
        "code": ["A", "B", "C"],
        "target_class": ["III", "II", None],
        "river": ["汾河", "汾河", "汾河"],
        "county": ["甲县", "甲县", "乙县"],
    }
)


# --- values and units ----------------------------------------------------------------------


def test_parse_values_numbers_detection_limits_and_blanks():
    parsed = parse_values(
        pd.Series(["0.02L", "1.5", "", "<0.1", "abc", "ND", "未检出", "-0.3", " 0.004 l ", "＜0.5"]),
        pd.Series([None] * 5 + [0.04, None, None, None, None]),
    )
    assert parsed["value"].tolist()[:4] == [0.01, 1.5, pytest.approx(np.nan, nan_ok=True), 0.05]
    assert parsed["value"].iloc[5] == 0.02 and parsed["value"].iloc[8] == 0.002 and parsed["value"].iloc[9] == 0.25
    assert parsed["below_dl"].tolist() == [True, False, False, True, False, True, True, False, True, True]
    assert parsed["missing"].tolist() == [False, False, True] + [False] * 7
    # "abc" is no number; 未检出 without a detection limit cannot be counted.
    assert parsed["bad"].tolist() == [False] * 4 + [True, False, True, False, False, False]
    assert parsed["negative"].tolist() == [False] * 7 + [True, False, False]
    assert parsed["detection_limit"].iloc[0] == 0.02 and parsed["detection_limit"].iloc[5] == 0.04


def test_long_form_with_chinese_names_units_and_detection_limit_column(tmp_path):
    path = write(
        tmp_path / "long.csv",
        "断面编码,监测日期,监测项目,监测值,单位,检出限\n"
        "A,2024-01-05,氨氮(NH3-N),1.2,mg/L,\n"
        "A,2024-01-05,汞,0.05,µg/L,\n"
        "A,2024-02-05,汞,0.2,ug/L,\n"  # another month: the same day would be a conflicting repeat
        "A,2024-01-05,砷,ND,μg/L,0.3\n"
        "A,2024-01-05,粪大肠菌群,2200,个/L,\n"
        "A,2024-01-05,pH,7.5,无量纲,\n"
        "A,2024-01-05,CODMn,4,,\n"
        "A,2024-01-05,TP,,mg/L,\n",
    )
    data = load("measurements", LayerSource(path)).data
    got = dict(zip(data["parameter"] + data.index.astype(str), data["value"], strict=True))
    assert got == pytest.approx(
        {"nh3n0": 1.2, "hg1": 0.00005, "hg2": 0.0002, "as3": 0.00015, "fecal_coliform4": 2200, "ph5": 7.5, "codmn6": 4}
    )
    assert data["below_dl"].tolist() == [False, False, False, True, False, False, False]
    assert data["unit"].tolist()[:6] == ["mg/L", "mg/L", "mg/L", "mg/L", "个/L", ""]
    assert data["row"].tolist() == list(range(7))  # the blank TP is missing, not zero


def test_wide_form_units_in_headers(tmp_path):
    text = "断面,日期,汞(μg/L),总磷（mg/L）,粪大肠菌群(个/100mL)\nA,2024年3月,0.06,0.21,30\n"
    path = write(tmp_path / "wide.csv", text)
    data = load("measurements", LayerSource(path)).data.set_index("parameter")
    assert data.loc["hg", "value"] == pytest.approx(0.00006) and data.loc["tp", "value"] == 0.21
    assert data.loc["fecal_coliform", "value"] == 300 and data["date"].iloc[0] == pd.Timestamp("2024-03-01")


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("A,2024-01-05,氨氮,-0.3,mg/L", "监测值", "'-0.3': a concentration cannot be negative"),
        ("A,2024-01-05,pH,15,", "监测值", "pH '15' is outside 0–14"),
        ("A,2024-01-05,pH,7,mg/L", "监测值", "unit 'mg/L' does not fit pH (use no unit)"),
        ("A,2024-01-05,氨氮,0.5,个/L", "监测值", "unit '个/L' does not fit 氨氮 (use mg/L)"),
        ("A,2024-01-05,氨氮,0.5,kg", "监测值", "unit 'kg' does not fit 氨氮 (use mg/L)"),
        ("A,2024-01-05,氨氮,abc,mg/L", "监测值", "'abc' is neither a number nor detection-limit notation"),
        ("A,2024-13-45,氨氮,0.5,mg/L", "监测日期", "'2024-13-45' is not a date"),
        ("A,2024-01-05,安氮,0.5,mg/L", "监测项目", "unknown parameter '安氮'; closest known: 氨氮"),
    ],
)
def test_bad_values_are_located(tmp_path, line, column, message):
    header = "断面编码,监测日期,监测项目,监测值,单位\nA,2024-01-05,总磷,0.1,mg/L\n"
    path = write(tmp_path / "m.csv", header + line + "\n")
    with pytest.raises(InputError) as caught:
        load("measurements", LayerSource(path))
    assert str(caught.value).startswith(f"{path}:row 3: column {column}: {message}")


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2024", "2024", "2024-01-01", "2024-12-31"),
        ("2024-06", "2024-06", "2024-06-01", "2024-06-30"),
        ("2024年2月", "2024-02", "2024-02-01", "2024-02-29"),
        ("2024Q2", "2024Q2", "2024-04-01", "2024-06-30"),
        ("2024年第四季度", "2024Q4", "2024-10-01", "2024-12-31"),
    ],
)
def test_parse_period(text, label, start, end):
    period = parse_period(text)
    assert (period.label, period.start, period.end) == (label, pd.Timestamp(start), pd.Timestamp(end))
    assert period.year_before().label == label.replace("2024", "2023")


def test_parse_period_rejects_nonsense():
    with pytest.raises(InputError, match="write a year"):
        parse_period("June")


# --- a real-looking year for three sections ---------------------------------------------------

MONTHS = pd.date_range("2024-01-01", periods=12, freq="MS") + pd.Timedelta(days=9)
# A: NH3-N is 1.0 in the first half and 1.8 in the second (mean 1.4, class IV); COD 22 (IV);
#    TP 0.15 (III); DO 6.5 (II); pH 7.8; metals below detection.
# B: everything class I–II except one month of NH3-N at 0.9.
# C: no target; DO 2.5 (V) and pH 9.2 in one month.


def year_of_data() -> pd.DataFrame:
    rows = []
    for i, date in enumerate(MONTHS):
        rows += [
            ("A", date, "nh3n", "1.0" if i < 6 else "1.8"), ("A", date, "cod", "22"), ("A", date, "tp", "0.15"),
            ("A", date, "do", "6.5"), ("A", date, "ph", "7.8"), ("A", date, "hg", "0.00004L"),
            ("B", date, "nh3n", "0.9" if i == 3 else "0.3"), ("B", date, "cod", "12"), ("B", date, "do", "8"),
            ("B", date, "tp", "0.05"), ("B", date, "ph", "7.4"),
            ("C", date, "do", "2.5"), ("C", date, "ph", "9.2" if i == 0 else "7.0"), ("C", date, "codmn", "5"),
        ]  # fmt: skip
    data = pd.DataFrame(rows, columns=["section", "date", "parameter", "text"])
    parsed = parse_values(data["text"])
    return data.assign(value=parsed["value"], below_dl=parsed["below_dl"])


def test_year_of_three_sections():
    result = evaluated(year_of_data(), SECTIONS).sections.set_index("section")
    a, b, c = result.loc["A"], result.loc["B"], result.loc["C"]
    assert (a["period"], a["class"], a["description"], a["n_samples"]) == ("2024", "IV", "轻度污染", 12)
    # Both IV; NH3-N's multiple (1.4 − 1)/1 = 0.4 beats COD's (22 − 20)/20 = 0.1.
    assert a["main_pollutants"] == "氨氮(0.4)、化学需氧量(0.1)"
    assert a["meets_target"] == False  # noqa: E712
    assert a["exceeding_items"] == "氨氮(0.4)、化学需氧量(0.1)"
    # Every month fails the target on COD.
    assert a["exceed_freq"] == 1.0
    assert (b["class"], b["meets_target"]) == ("II", True) and pd.isna(b["main_pollutants"])
    assert b["exceed_freq"] == pytest.approx(1 / 12, abs=1e-4)  # one month's NH3-N is III > II
    # C: mean pH (9.2 + 11 × 7)/12 = 7.1 is fine; DO 2.5 is V, written without a multiple.
    assert (c["class"], c["main_pollutants"]) == ("V", "溶解氧") and pd.isna(c["target"]) and pd.isna(c["meets_target"])


def test_items_table_keeps_each_item():
    items = evaluated(year_of_data(), SECTIONS).items.set_index(["section", "parameter"])
    assert items.loc[("A", "nh3n"), "mean"] == pytest.approx(1.4)
    assert items.loc[("A", "nh3n"), "class"] == "IV" and items.loc[("A", "tp"), "class"] == "III"
    assert items.loc[("A", "hg"), "n_below_dl"] == 12 and items.loc[("A", "hg"), "mean"] == 0.00002
    assert items.loc[("A", "hg"), "class"] == "I"
    assert items.loc[("A", "nh3n"), "exceed_freq"] == 0.5  # the six months at 1.8


def test_quarters_and_half_detection_limit():
    result = evaluated(year_of_data(), SECTIONS, by="quarter").sections
    a = result[result["section"] == "A"].set_index("period")
    assert a.index.tolist() == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert a.loc["2024Q1", "class"] == "IV" and a.loc["2024Q1", "main_pollutants"] == "化学需氧量(0.1)"
    assert a.loc["2024Q3", "main_pollutants"] == "氨氮(0.8)、化学需氧量(0.1)"


def test_detection_limit_half_decides_the_class():
    # 0.3L: not detected, counts as 0.15 → class I; 0.3 as a number would be II.
    data = frame([("A", "2024-01-01", "nh3n", 0.15, True), ("B", "2024-01-01", "nh3n", 0.3, False)],
                 columns=("section", "date", "parameter", "value", "below_dl"))  # fmt: skip
    result = evaluated(data).sections.set_index("section")["class"]
    assert result.to_dict() == {"A": "I", "B": "II"}


def test_main_pollutants_order_and_at_most_three():
    data = frame(
        [
            ("S", "2024-01-01", "cod", 45),  # 劣V, multiple 1.25
            ("S", "2024-01-01", "nh3n", 1.8),  # V, multiple 0.8
            ("S", "2024-01-01", "tp", 0.39),  # V, multiple 0.95
            ("S", "2024-01-01", "do", 2.5),  # V, no multiple: after the others of its class
            ("S", "2024-01-01", "bod5", 5),  # IV
            ("S", "2024-01-01", "ph", 7),
        ]
    )
    row = evaluated(data).sections.iloc[0]
    assert row["class"] == "劣V" and row["description"] == "重度污染"
    assert row["main_pollutants"] == "化学需氧量(1.2)、总磷(0.9)、氨氮(0.8)"


def test_no_main_pollutants_for_class_iii():
    data = frame([("S", "2024-01-01", "cod", 20), ("S", "2024-01-01", "nh3n", 1.0)])
    row = evaluated(data).sections.iloc[0]
    assert row["class"] == "III" and pd.isna(row["main_pollutants"])


def test_lake_sections_use_lake_limits_and_tn_when_asked():
    data = frame([("L", "2024-01-01", "tp", 0.08), ("L", "2024-01-01", "tn", 1.8), ("L", "2024-01-01", "cod", 12)])
    river = evaluated(data).sections.iloc[0]
    lake = evaluated(data, water="lake").sections.iloc[0]
    lake_tn = evaluated(data, water="lake", lake_tn=True).sections.iloc[0]
    assert (river["class"], lake["class"], lake_tn["class"]) == ("II", "IV", "V")


def test_year_on_year_change():
    data = frame([("S", "2023-05-01", "nh3n", 1.4), ("S", "2024-05-01", "nh3n", 0.8), ("S", "2023-06-01", "cod", 12)])
    result = evaluated(data, periods=[parse_period("2024")])
    row = result.sections.iloc[0]
    assert (row["period"], row["class"], row["class_prev"], row["class_change"]) == ("2024", "III", "IV", "好转")
    item = result.items.set_index("parameter").loc["nh3n"]
    assert item["mean_prev"] == 1.4 and item["change"] == pytest.approx((0.8 - 1.4) / 1.4, abs=1e-4)


# --- CWQI, worked by hand ----------------------------------------------------------------------


def test_cwqi_worked_example():
    data = frame(
        [
            ("S", "2024-01-01", "ph", 8.0),  # (8 − 7) / 2 = 0.5
            ("S", "2024-01-01", "do", 4.0),  # 5 / 4 = 1.25
            ("S", "2024-01-01", "cod", 30),  # 30 / 20 = 1.5
            ("S", "2024-01-01", "nh3n", 0.5),  # 0.5 / 1.0 = 0.5
            ("S", "2024-01-01", "tp", 0.1),  # 0.1 / 0.2 = 0.5 (river); 0.1 / 0.05 = 2 (lake)
            ("S", "2024-01-01", "temp", 18),  # not an item of the index
            ("S", "2024-02-01", "ph", 6.5),  # mean pH 7.25 → 0.125
        ]
    )
    river = evaluated(data).sections.iloc[0]
    lake = evaluated(data, water="lake").sections.iloc[0]
    assert river["cwqi"] == pytest.approx(0.125 + 1.25 + 1.5 + 0.5 + 0.5)
    assert lake["cwqi"] == pytest.approx(0.125 + 1.25 + 1.5 + 0.5 + 2.0)
    assert river["cwqi_items"] == 5
    assert river["missing_items"].split("、")[:3] == ["高锰酸盐指数", "五日生化需氧量", "铜"]
    assert len(river["missing_items"].split("、")) == 16


# --- aggregates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("good", "bad", "n", "expected"),
    [
        (9, 0, 10, "优"), (89, 0, 100, "良好"), (3, 0, 4, "良好"), (74, 0, 100, "轻度污染"),
        (7, 1, 10, "轻度污染"), (7, 2, 10, "中度污染"), (6, 3, 10, "中度污染"), (60, 39, 100, "中度污染"),
        (6, 4, 10, "重度污染"), (0, 10, 10, "重度污染"), (19, 1, 20, "优"),
    ],
)  # fmt: skip
def test_rating_at_its_edges(good, bad, n, expected):
    assert rating([good], [bad], [n])[0] == expected


def test_river_aggregates_ratio_and_few_sections():
    codes = [f"S{i}" for i in range(6)]
    sections = pd.DataFrame({"code": codes, "river": ["汾河"] * 5 + ["文峪河"], "county": ["甲县"] * 6})
    cod = [12, 18, 18, 25, 45, 25]  # I, III, III, IV, 劣V | IV
    data = frame([(c, "2024-01-01", "cod", v) for c, v in zip(codes, cod, strict=True)])
    data = pd.concat([data, frame([("S5", "2024-01-01", "nh3n", 1.6)])], ignore_index=True)
    table = aggregate(evaluated(data, sections), sections, "river").set_index("group")
    fen = table.loc["汾河"]
    assert (fen["n_sections"], fen["good_ratio"], fen["worse_than_v_ratio"]) == (5, 0.6, 0.2)
    assert (fen["rating"], fen["rated_by"]) == ("中度污染", "ratio")
    assert fen["main_pollutants"] == "化学需氧量(40%)"
    one = table.loc["文峪河"]  # one section: rated by the class of its means (V by NH3-N)
    assert (one["rating"], one["rated_by"], one["class_of_means"]) == ("中度污染", "class_of_means", "V")
    # CWQI of a group is the mean of its sections', ranked ascending.
    assert fen["cwqi"] == pytest.approx(np.mean(cod[:5]) / 20)
    assert table["cwqi_rank"].to_dict() == {"汾河": 1, "文峪河": 2}


def test_county_aggregate_counts_sections_by_county():
    table = aggregate(evaluated(year_of_data(), SECTIONS), SECTIONS, "county").set_index("group")
    assert table.loc["甲县", "n_sections"] == 2 and table.loc["甲县", "good_ratio"] == 0.5
    assert table.loc["乙县", "rating"] == "轻度污染"  # 0 of 1 good, no 劣V: by ratio for counties
