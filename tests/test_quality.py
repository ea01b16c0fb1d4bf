"""The class limits the overview map relies on (the full table is the water-quality issue's)."""

import numpy as np
import pandas as pd
import pytest

from geoenv.quality import item_classes, parse_values, section_classes

CLASS = ["I", "II", "III", "IV", "V", "劣V"]


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        ("cod", 15, "I"), ("cod", 15.1, "III"), ("cod", 40, "V"), ("cod", 40.1, "劣V"),
        ("nh3n", 0.15, "I"), ("nh3n", 0.16, "II"), ("nh3n", 1.0, "III"), ("nh3n", 2.01, "劣V"),
        ("tp", 0.2, "III"), ("tp", 0.21, "IV"),
        ("do", 7.5, "I"), ("do", 7.49, "II"), ("do", 2.0, "V"), ("do", 1.99, "劣V"),
        ("ph", 6.0, "I"), ("ph", 9.0, "I"), ("ph", 5.99, "劣V"), ("ph", 9.01, "劣V"),
    ],
)  # fmt: skip
def test_item_class_at_limits(item, value, expected):
    assert CLASS[item_classes(item, np.array([value]))[0]] == expected


def test_lake_total_phosphorus():
    assert CLASS[item_classes("tp", np.array([0.05]), water="lake")[0]] == "III"


def test_parse_values_detection_limit():
    parsed = parse_values(pd.Series(["0.02L", "1.5", "", "<0.1", "abc"]))
    assert parsed["value"].iloc[:2].tolist() == [0.01, 1.5] and parsed["value"].iloc[3] == 0.05
    assert parsed["below_dl"].tolist() == [True, False, False, True, False]
    assert parsed["missing"].tolist() == [False, False, True, False, False]
    assert parsed["bad"].tolist() == [False, False, False, False, True]


def test_section_class_is_the_worst_mean():
    data = pd.DataFrame({
        "section": ["A"] * 4 + ["B"] * 2,
        "date": pd.to_datetime(["2024-01-01", "2024-02-01"] * 3),
        "parameter": ["nh3n", "nh3n", "cod", "cod", "do", "do"],
        "value": [1.2, 1.6, 10, 12, 8.0, 7.0],  # A: NH3-N mean 1.4 → IV; B: DO mean 7.5 → I
    })  # fmt: skip
    result = section_classes(data)
    assert result.loc["A", "class"] == "IV" and result.loc["A", "worst_items"] == "nh3n"
    assert result.loc["B", "class"] == "I" and result.loc["A", "n_samples"] == 2
