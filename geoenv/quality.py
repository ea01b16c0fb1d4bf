"""Water quality by GB 3838-2002: limits, values below detection, single-factor classes.

The limits are GB 3838-2002 Table 1 (basic items, mg/L unless noted), the evaluation items
those of 《地表水环境质量评价办法（试行）》(环办〔2011〕22号), and values below the detection
limit enter statistics at half the limit (环办监测函〔2020〕82号).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geoenv.schema import CLASSES, WORSE_THAN_V

CLASS_ORDER = (*CLASSES, WORSE_THAN_V)

# GB 3838-2002 Table 1, classes I–V. "min": a value must be at least the limit (DO).
LIMITS: dict[str, tuple[float, float, float, float, float]] = {
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
LAKE_TP = (0.01, 0.025, 0.05, 0.1, 0.2)
AT_LEAST = frozenset({"do"})
PH_RANGE = (6.0, 9.0)

# The 21 items of the 2011 evaluation method: Table 1 less temperature, TN, fecal coliform.
EVALUATION_ITEMS = (
    "ph", "do", "codmn", "cod", "bod5", "nh3n", "tp", "cu", "zn", "f", "se",
    "as", "hg", "cd", "cr6", "pb", "cn", "phenol", "oil", "las", "s2",
)  # fmt: skip

# One palette for classes I … 劣V (blue → green → yellow → orange → red), used by every map.
PALETTE = {
    "I": "#68CFFE",
    "II": "#49A1FE",
    "III": "#37B70C",
    "IV": "#FAE521",
    "V": "#F29C00",
    WORSE_THAN_V: "#DD3F36",
}
NO_DATA_COLOUR = "#9E9E9E"

_VALUE = re.compile(r"^\s*([<＜]?)\s*(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)\s*([lL]?)\s*$")


def parse_values(text: pd.Series) -> pd.DataFrame:
    """Parse measured values written as numbers or as ``0.02L`` (below the detection limit).

    Returns
    -------
    DataFrame with ``value`` (the number used in statistics: half the detection limit for a
    value below it), ``below_dl`` (bool), ``missing`` (blank) and ``bad`` (unparseable).
    """
    text = text.fillna("").astype(str).str.strip()
    parts = text.str.extract(_VALUE)
    number = pd.to_numeric(parts[1], errors="coerce")
    below = parts[2].str.len().fillna(0).gt(0) | parts[0].str.len().fillna(0).gt(0)
    missing = text.eq("") | text.isin(["-", "/", "—", "--"])
    bad = number.isna() & ~missing
    value = number.where(~below, number / 2.0)
    return pd.DataFrame(
        {
            "value": value,
            "below_dl": below.fillna(False).astype(bool),
            "missing": missing,
            "bad": bad,
        },
        index=text.index,
    )


def item_classes(parameter: str, values: np.ndarray, *, water: str = "river") -> np.ndarray:
    """Class index 0–5 (I … 劣V) of concentrations of one item; -1 where the value is NaN.

    Where two classes share a limit, the better class applies (COD 15 → I).
    """
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, -1, dtype=np.int8)
    ok = ~np.isnan(values)
    if parameter == "ph":
        out[ok] = np.where((values[ok] >= PH_RANGE[0]) & (values[ok] <= PH_RANGE[1]), 0, 5)
        return out
    limits = np.asarray(LAKE_TP if parameter == "tp" and water == "lake" else LIMITS[parameter])
    # The class index is the number of limits the value fails: limits above it for "≥" items
    # (DO), limits below it for "≤" items.
    if parameter in AT_LEAST:
        out[ok] = np.searchsorted(-limits, -values[ok], side="left")
    else:
        out[ok] = np.searchsorted(limits, values[ok], side="left")
    return out


def section_classes(measurements: pd.DataFrame, *, water: str = "river") -> pd.DataFrame:
    """Single-factor class of each section from the mean of each evaluation item.

    Parameters
    ----------
    measurements
        Long table with ``section``, ``parameter`` and numeric ``value`` (already half the
        detection limit where below it), e.g. from :func:`geoenv.layers.measurements`.

    Returns
    -------
    DataFrame indexed by section: ``class`` (I … 劣V) and ``worst_items`` (the items that set it,
    by canonical code, ``;``-separated), ``n_samples``.
    """
    used = measurements[measurements["parameter"].isin(EVALUATION_ITEMS)]
    used = used.dropna(subset=["value"])
    means = used.groupby(["section", "parameter"], sort=True)["value"].mean().reset_index()
    means["k"] = -1
    for parameter, rows in means.groupby("parameter").groups.items():
        means.loc[rows, "k"] = item_classes(parameter, means.loc[rows, "value"], water=water)
    worst = means.groupby("section")["k"].transform("max")
    top = means[means["k"] == worst]
    result = pd.DataFrame(
        {
            "class_index": means.groupby("section")["k"].max(),
            "worst_items": top.groupby("section")["parameter"].agg(";".join),
            "n_samples": used.groupby("section")["date"].nunique(),
        }
    )
    result["class"] = [CLASS_ORDER[k] for k in result["class_index"]]
    return result.drop(columns="class_index")
