"""Measured values as written in registers: numbers, detection-limit notation and units.

A value below the method detection limit is written ``0.02L`` (HJ/T 91-2002 practice), ``<0.02``,
or ``ND`` / ``未检出`` with the limit in a separate column. In statistics it counts as half the
detection limit (《地表水环境质量监测数据统计技术规定（试行）》, 环办监测函〔2020〕82号).
Concentrations are converted to the unit of GB 3838-2002 Table 1: mg/L, 个/L for fecal
coliform, none for pH, ℃ for water temperature.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_VALUE = re.compile(rf"^([<＜]?)\s*({_NUMBER})\s*([lL]?)$")
NOT_DETECTED = frozenset({"nd", "n.d.", "未检出", "低于检出限", "<dl", "bdl"})
MISSING = frozenset({"", "-", "/", "—", "--", "未监测", "未测"})
NO_SAMPLE = ("断流", "冰封", "结冰", "未采样", "未采", "无水", "干涸", "河干", "停测", "停采", "枯水期无水")
"""Remarks meaning the section could not be sampled that month (kept as the month's status)."""
NOT_FINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})
"""Spellings of numbers no measurement has (``nan`` is an export's blank, not a value)."""

# folded unit → (dimension, factor to the standard's unit)
UNITS: dict[str, tuple[str, float]] = {
    "mg/l": ("mass", 1.0),
    "毫克/升": ("mass", 1.0),
    "µg/l": ("mass", 1e-3),
    "微克/升": ("mass", 1e-3),
    "ng/l": ("mass", 1e-6),
    "个/l": ("count", 1.0),
    "mpn/l": ("count", 1.0),
    "cfu/l": ("count", 1.0),
    "个/100ml": ("count", 10.0),
    "mpn/100ml": ("count", 10.0),
    "cfu/100ml": ("count", 10.0),
    "无量纲": ("none", 1.0),
    "无": ("none", 1.0),
    "℃": ("temperature", 1.0),
    "°c": ("temperature", 1.0),
    "摄氏度": ("temperature", 1.0),
}
STANDARD_UNITS = {"mass": "mg/L", "count": "个/L", "none": "", "temperature": "℃"}
_DIMENSION = {"ph": "none", "temp": "temperature", "fecal_coliform": "count"}
_UNIT_IN_HEADER = re.compile(r"[(（\[]\s*([^()（）\[\]]*?/\s*(?:\d*\s*m?l|升))\s*[)）\]]\s*$", re.IGNORECASE)


def fold_unit(text: object) -> str:
    """Normalise a unit for lookup: NFKC (µ, μ and u alike; ℃ → °c), lower case, no spaces."""
    return unicodedata.normalize("NFKC", str(text)).strip().lower().replace(" ", "").replace("μ", "u")


_UNIT_INDEX = {fold_unit(name): spec for name, spec in UNITS.items()}


def dimension(parameter: str) -> str:
    """What the item measures: mass concentration, count, none (pH) or temperature."""
    return _DIMENSION.get(parameter, "mass")


def standard_unit(parameter: str) -> str:
    """The unit GB 3838-2002 gives the item's limits in."""
    return STANDARD_UNITS[dimension(parameter)]


def unit_in_header(header: str) -> str | None:
    """The unit written in a wide-form header such as ``汞(μg/L)`` or ``总磷（mg/L）``."""
    match = _UNIT_IN_HEADER.search(unicodedata.normalize("NFKC", str(header)))
    return match.group(1) if match else None


_SEPARATOR = r"[\s_\-·:：]"
_LIMIT_HEADER = (
    re.compile(rf"^(?P<item>.+?){_SEPARATOR}*(?:方法检出限|检出限值|检出限)$"),
    # DL after a separator or a character not a Latin letter: 总磷DL, TP_DL, TP DL (not TPDL)
    re.compile(rf"^(?P<item>.+?)(?:{_SEPARATOR}+|(?<![A-Za-z]))M?DL$", re.IGNORECASE),
)
_BARE_LIMIT = frozenset({"检出限", "检出限值", "方法检出限", "dl", "mdl"})


def limit_header(header: object) -> tuple[str, str] | None:
    """The item and unit of a wide-form column giving an item's detection limit.

    The header is the item's name followed by 检出限, 检出限值, 方法检出限 or DL, with a unit
    in brackets after it or after the item (``氨氮检出限``, ``总磷检出限(mg/L)``,
    ``汞检出限（μg/L）``, ``汞(μg/L)检出限``, ``TP_DL``). Returns ``(item as written, unit)``,
    the unit ``""`` when the header writes none; None for any other header (a bare 检出限 too:
    that is the long form's column).

    Examples
    --------
    >>> limit_header("汞检出限（μg/L）"), limit_header("TP_DL"), limit_header("氨氮")
    (('汞', 'μg/L'), ('TP', ''), None)
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    unit = unit_in_header(text)
    if unit is not None:
        text = _UNIT_IN_HEADER.sub("", text).strip()
    if text.lower() in _BARE_LIMIT:
        return None
    match = next((m for m in (pattern.match(text) for pattern in _LIMIT_HEADER) if m), None)
    if match is None:
        return None
    item = match.group("item").strip()
    return item, unit or unit_in_header(item) or ""


def unit_factors(parameter: pd.Series, unit: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Factor converting each row's unit to the standard's, and which rows' units are wrong.

    A blank unit means the standard's. Returns ``(factor, bad)``: ``bad`` marks units that are
    unknown or do not fit the item (µg/L for pH, mg/L for fecal coliform).
    """
    unit = unit.fillna("")
    folded = unit.map({u: fold_unit(u) for u in unit.unique()})
    known = folded.map(_UNIT_INDEX)
    blank = folded.isin(["", "-", "/"])
    wanted = parameter.map(dimension)
    found = known.map(lambda u: u[0] if isinstance(u, tuple) else None)
    ok = blank | (found == wanted)
    factor = known.map(lambda u: u[1] if isinstance(u, tuple) else np.nan).where(~blank, 1.0)
    return factor.fillna(1.0).to_numpy(dtype=float), ~ok.to_numpy()


def normalized(text: pd.Series) -> pd.Series:
    """Cells as text, NFKC-normalised (full-width digits, ＜, ｍｇ) and stripped, each distinct
    text normalised once (a register repeats its values)."""
    text = text.fillna("").astype(str)
    return text.map({t: unicodedata.normalize("NFKC", t).strip() for t in text.unique()})


def parse_values(text: pd.Series, detection_limit: pd.Series | None = None) -> pd.DataFrame:
    """Parse measured values: numbers, ``0.02L``, ``<0.02``, or ``ND``/``未检出`` with a limit.

    Parameters
    ----------
    text
        The values as written.
    detection_limit
        Optional per-row detection limits, used for ``ND``/``未检出`` values.

    Returns
    -------
    DataFrame with ``value`` (the number for statistics: half the detection limit when not
    detected), ``below_dl``, ``detection_limit``, ``missing`` (blank), ``bad`` (neither a
    number nor detection-limit notation, or not detected with no limit, or not finite),
    ``not_finite`` (``nan``, ``inf``, or a number too large for a float such as ``1e309``),
    ``negative`` and ``no_limit`` (``ND``/``未检出`` with no limit given: also ``bad``).
    """
    text = normalized(text)
    parts = text.str.extract(_VALUE)
    number = pd.to_numeric(parts[1], errors="coerce")
    marked = parts[0].fillna("").ne("") | parts[2].fillna("").ne("")
    not_detected = text.str.lower().isin(NOT_DETECTED)
    limit = pd.Series(np.nan, index=text.index)
    if detection_limit is not None:
        limit = limit_number(detection_limit.set_axis(text.index))
    limit = limit.where(~marked, number)
    below = marked | not_detected
    missing = text.str.lower().isin(MISSING)
    value = number.where(~below, limit / 2.0)
    not_finite = text.str.lower().isin(NOT_FINITE) | np.isinf(number) | np.isinf(value)
    value = value.where(~not_finite)
    bad = value.isna() & ~missing
    return pd.DataFrame(
        {
            "value": value,
            "below_dl": below,
            "detection_limit": limit.where(below & ~not_finite),
            "missing": missing,
            "bad": bad,
            "not_finite": not_finite,
            "negative": value.lt(0) & ~bad,
            "no_limit": not_detected & limit.isna(),
        },
        index=text.index,
    )


def limit_number(text: pd.Series) -> pd.Series:
    """Detection limits as numbers: ``0.01``, ``0.01L`` and ``<0.01`` alike (NaN otherwise)."""
    if pd.api.types.is_numeric_dtype(text):
        number = text.astype(float)
    else:
        text = text.astype(object).where(text.notna(), "").astype(str)
        parts = normalized(text).str.extract(_VALUE)
        number = pd.to_numeric(parts[1], errors="coerce")
    return number.where(np.isfinite(number) & (number > 0))


def no_sample(text: pd.Series) -> pd.Series:
    """The :data:`NO_SAMPLE` word a cell or remark holds (断流 for ``河道断流``), else ``""``."""
    pattern = "(" + "|".join(sorted(map(re.escape, NO_SAMPLE), key=len, reverse=True)) + ")"
    found = text.fillna("").astype(str).str.extract(pattern, expand=False)
    return found.fillna("")


_LIMIT = re.compile(rf"^\s*({_NUMBER})\s*[lL]?\s*(.*?)\s*$")


def parse_limit(parameter: str, value: object, unit: object = "") -> tuple[float | None, str | None]:
    """A detection limit given for an item (``0.025 mg/L``, or a number in the standard's unit)
    in the standard's unit.

    Returns ``(limit, None)``, or ``(None, why)`` when it is not a positive number or its unit
    does not fit the item.
    """
    if isinstance(value, bool):
        return None, f"{value!r} is not a number"
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _LIMIT.match(text)
    if not match:
        return None, f'{text!r} is not a number (write 0.025 or "0.025 mg/L")'
    number = float(match.group(1))
    written = match.group(2) or str(unit or "").strip()
    factor, bad = unit_factors(pd.Series([parameter]), pd.Series([written]))
    if bad[0]:
        return None, f"unit {written!r} does not fit the item (use {standard_unit(parameter) or 'no unit'})"
    if not (np.isfinite(number) and number > 0):
        return None, f"{text!r}: a detection limit is a number above 0"
    return number * float(factor[0]), None
