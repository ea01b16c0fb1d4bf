"""GB 3838-2002 Table 1: every limit at, just under and just over its boundary.

The expected classes come from a second, independent transcription of the table below and a
plain linear scan, not from the code under test.
"""

import numpy as np
import pytest

from geoenv.quality import LAKE_TP, LIMITS, classify

CLASS = ["I", "II", "III", "IV", "V", "劣V"]

# Typed again from the standard (mg/L; fecal coliform 个/L).
TABLE_1 = {
    "do": (7.5, 6, 5, 3, 2),
    "codmn": (2, 4, 6, 10, 15),
    "cod": (15, 15, 20, 30, 40),
    "bod5": (3, 3, 4, 6, 10),
    "nh3n": (0.15, 0.5, 1.0, 1.5, 2.0),
    "tp": (0.02, 0.1, 0.2, 0.3, 0.4),
    "tn": (0.2, 0.5, 1.0, 1.5, 2.0),
    "cu": (0.01, 1.0, 1.0, 1.0, 1.0),
    "zn": (0.05, 1.0, 1.0, 2.0, 2.0),
    "f": (1.0, 1.0, 1.0, 1.5, 1.5),
    "se": (0.01, 0.01, 0.01, 0.02, 0.02),
    "as": (0.05, 0.05, 0.05, 0.1, 0.1),
    "hg": (0.00005, 0.00005, 0.0001, 0.001, 0.001),
    "cd": (0.001, 0.005, 0.005, 0.005, 0.01),
    "cr6": (0.01, 0.05, 0.05, 0.05, 0.1),
    "pb": (0.01, 0.01, 0.05, 0.05, 0.1),
    "cn": (0.005, 0.05, 0.2, 0.2, 0.2),
    "phenol": (0.002, 0.002, 0.005, 0.01, 0.1),
    "oil": (0.05, 0.05, 0.05, 0.5, 1.0),
    "las": (0.2, 0.2, 0.2, 0.3, 0.3),
    "s2": (0.05, 0.1, 0.2, 0.5, 1.0),
    "fecal_coliform": (200, 2000, 10000, 20000, 40000),
}
LAKE_TP_TABLE = (0.01, 0.025, 0.05, 0.1, 0.2)


def expected(item: str, value: float, table=None) -> str:
    limits = table or TABLE_1[item]
    for k, limit in enumerate(limits):
        if (value >= limit) if item == "do" else (value <= limit):
            return CLASS[k]
    return "劣V"


def class_of(item, value, lake=False):
    return CLASS[classify(np.array([item]), np.array([value]), lake)[0]]


def test_the_table_is_the_standard():
    assert LIMITS == TABLE_1 and tuple(LAKE_TP) == LAKE_TP_TABLE


CASES = [(item, k, where) for item, limits in TABLE_1.items() for k in range(5) for where in ("at", "under", "over")]


@pytest.mark.parametrize(("item", "k", "where"), CASES)
def test_every_limit_at_under_and_over(item, k, where):
    limit = TABLE_1[item][k]
    value = {"at": limit, "under": limit * (1 - 1e-6), "over": limit * (1 + 1e-6)}[where]
    assert class_of(item, value) == expected(item, value)


@pytest.mark.parametrize("k", range(5))
@pytest.mark.parametrize("where", [1 - 1e-6, 1.0, 1 + 1e-6])
def test_lake_total_phosphorus(k, where):
    value = LAKE_TP_TABLE[k] * where
    assert class_of("tp", value, lake=True) == expected("tp", value, LAKE_TP_TABLE)


@pytest.mark.parametrize(
    ("item", "value", "cls"),
    [
        ("cod", 15, "I"), ("cod", 15.1, "III"), ("cod", 40, "V"), ("cod", 40.1, "劣V"),
        ("do", 7.5, "I"), ("do", 7.49, "II"), ("do", 2.0, "V"), ("do", 1.99, "劣V"), ("do", 12, "I"),
        ("ph", 6.0, "I"), ("ph", 9.0, "I"), ("ph", 7.2, "I"), ("ph", 5.99, "劣V"), ("ph", 9.01, "劣V"),
        ("hg", 0.00005, "I"), ("hg", 0.00006, "III"), ("cu", 0.011, "II"), ("cu", 1.01, "劣V"),
        ("tp", 0.05, "II"),
    ],
)  # fmt: skip
def test_named_edges(item, value, cls):
    assert class_of(item, value) == cls


def test_mixed_items_in_one_call_and_no_class_cases():
    k = classify(np.array(["cod", "do", "temp", "nh3n", "ph"]), np.array([25, 4, 20, np.nan, 10]))
    assert k.tolist() == [3, 3, -1, -1, 5]
