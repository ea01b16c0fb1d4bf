"""GB 3838-2002 Table 1, the evaluation items of the 2011 method, and the class palette.

Limits are GB 3838-2002 《地表水环境质量标准》 Table 1 (basic items, mg/L unless noted);
the evaluation items and section descriptions are those of 《地表水环境质量评价办法（试行）》
(环办〔2011〕22号). This module is the one place these numbers live.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geoenv.schema import CLASSES, WORSE_THAN_V

CLASS_ORDER = (*CLASSES, WORSE_THAN_V)
"""Class labels by class index 0–5."""
NO_CLASS = -1
III = 2
"""Index of class III, the line between 优良 (I–III) and polluted water."""

# GB 3838-2002 Table 1, classes I–V; pH is a range and temperature has no class limit.
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
"""Total phosphorus limits for lakes and reservoirs (湖、库)."""
AT_LEAST = frozenset({"do"})
"""Items whose limit is a minimum ("≥"); every other limited item is a maximum ("≤")."""
PH_RANGE = (6.0, 9.0)
"""pH of classes I–V; outside it the water is 劣V."""
NO_MULTIPLE = frozenset({"ph", "do", "temp"})
"""Items that carry no exceedance multiple in main-pollutant statements."""

# The 21 items of the 2011 method: Table 1 less water temperature, TN and fecal coliform.
EVALUATION_ITEMS = (
    "ph", "do", "codmn", "cod", "bod5", "nh3n", "tp", "cu", "zn", "f", "se",
    "as", "hg", "cd", "cr6", "pb", "cn", "phenol", "oil", "las", "s2",
)  # fmt: skip

DESCRIPTIONS = ("优", "优", "良好", "轻度污染", "中度污染", "重度污染")
"""Description of a single section by class index (I–II 优 … 劣V 重度污染)."""

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

_ITEMS = pd.Index(list(LIMITS))
_ROWS = {code: i for i, code in enumerate(LIMITS)}
_TABLE_NAN = np.array([*LIMITS.values(), LAKE_TP, [np.nan] * 5], dtype=float)
_LAKE_TP_ROW = len(LIMITS)


def limits(parameter: ArrayLike, lake: ArrayLike = False) -> np.ndarray:
    """Class I–V limits for each row's item, shape ``(n, 5)``; NaN for pH and temperature.

    ``lake`` (per row or for all) selects the lake and reservoir limits of total phosphorus.
    """
    rows = _ITEMS.get_indexer(pd.Index(np.asarray(parameter, dtype=object)))
    rows[(rows == _ROWS["tp"]) & np.broadcast_to(lake, rows.shape)] = _LAKE_TP_ROW
    return _TABLE_NAN[rows]  # -1 (no limits) picks the last row, all NaN


def classify(parameter: ArrayLike, value: ArrayLike, lake: ArrayLike = False) -> np.ndarray:
    """Class index 0–5 (I … 劣V) of each value of its item; -1 where there is no class.

    Vectorized over rows that may mix items. A value on a limit shared by two classes takes
    the better class (COD 15 → I, 15.1 → III); pH outside 6–9 is 劣V; water temperature and
    NaN values have no class.
    """
    codes = np.asarray(parameter, dtype=object)
    value = np.asarray(value, dtype=float)
    table = limits(codes, lake)
    at_least = np.isin(codes, list(AT_LEAST))
    # Count the limits the value fails: below it for "≤" items, above it for "≥" items.
    fails = np.where(at_least[:, None], table > value[:, None], table < value[:, None]).sum(axis=1)
    out = np.where(np.isnan(table[:, 0]), NO_CLASS, fails).astype(np.int8)
    ph = codes == "ph"
    out[ph] = np.where((value[ph] >= PH_RANGE[0]) & (value[ph] <= PH_RANGE[1]), 0, 5)
    out[np.isnan(value)] = NO_CLASS
    return out


def exceedance_multiple(
    parameter: ArrayLike, value: ArrayLike, class_index: ArrayLike, lake: ArrayLike = False
) -> np.ndarray:
    """(C − S) / S against the limit S of class ``class_index`` (0–4); NaN for pH, DO, temperature.

    With class III this is the multiple of the main-pollutant statement; with a section's
    target class, its exceedance of the target.
    """
    codes = np.asarray(parameter, dtype=object)
    value = np.asarray(value, dtype=float)
    table = limits(codes, lake)
    index = np.broadcast_to(np.asarray(class_index, dtype=int), value.shape)
    limit = table[np.arange(len(value)), np.clip(index, 0, 4)]
    out = (value - limit) / limit
    out[np.isin(codes, list(NO_MULTIPLE))] = np.nan
    return out


def class_label(index: pd.Series | np.ndarray) -> pd.Series:
    """Class labels (I … 劣V) for class indices; empty where there is no class."""
    k = np.asarray(index, dtype=float)
    labels = np.array([*CLASS_ORDER, None], dtype=object)[np.where(k >= 0, np.nan_to_num(k, nan=-1), -1).astype(int)]
    return pd.Series(labels, index=index.index if isinstance(index, pd.Series) else None, dtype=object)


def class_index(label: pd.Series) -> pd.Series:
    """Class indices 0–5 for labels (I … 劣V); NaN where there is none."""
    return label.map({c: i for i, c in enumerate(CLASS_ORDER)})
