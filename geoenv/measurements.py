"""Measurements as bureaus keep them (long or wide form) → the canonical long table, every
value, date and repeat checked and located."""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from geoenv.columns import Layer, map_columns
from geoenv.errors import Problem
from geoenv.io import RawLayer
from geoenv.quality.values import parse_values, standard_unit, unit_factors, unit_in_header
from geoenv.schema import (
    PARAMETERS,
    SCHEMAS,
    parameter_code,
)

MEASUREMENT_COLUMNS = (
    "section", "date", "parameter", "text", "value", "below_dl", "detection_limit", "unit", "column", "row",
)  # fmt: skip
"""Columns of the canonical measurements table."""
EARLY_GAP_YEARS = 10
"""Dates this many years or more before every later date of the file (and fewer than half its
rows) are taken for mistyped years: a monthly register has no ten-year hole."""


def measurements_layer(raw: RawLayer, *, today: pd.Timestamp | None = None) -> Layer:
    """Monthly (or any) measurements, long or wide, as a long table.

    Output columns (:data:`MEASUREMENT_COLUMNS`): ``section, date, parameter`` (canonical
    code), ``text`` (as written), ``value`` (number for statistics in the standard's unit: half
    the detection limit when not detected), ``below_dl``, ``detection_limit``, ``unit`` (the
    standard's), ``column`` (the file's column, wide form) and ``row`` (position in the file,
    for locating problems).

    Besides values that are not numbers, the rows are checked for what would give a silently
    wrong answer: a value that is not finite (``nan``, ``inf``, ``1e309``); a date after
    ``today`` (default: the current date) or :data:`EARLY_GAP_YEARS` before the rest of the
    file (see :func:`implausible_dates`); and repeated rows (same section, date and item):
    with different values an error on each of them, with the same value a warning and the
    value counted once. Item columns in a long-form file are reported as ignored.
    """
    frame, columns, problems = map_columns(raw, "measurements")
    layer = Layer("measurements", _no_measurements(), raw, columns, problems)
    if any(p.severity == "error" for p in problems):
        return layer
    frame = frame.copy()
    frame["_row"] = np.arange(len(frame))
    if "parameter" in frame and "value" in frame:
        long = frame
        codes = long["parameter"].map(parameter_code)
        names = [zh for zh, _ in PARAMETERS.values()] + list(PARAMETERS)
        for i in np.flatnonzero(codes.isna().to_numpy()):
            value = long["parameter"].iloc[i]
            close = difflib.get_close_matches(str(value), names, n=2, cutoff=0.3)
            hint = f"; closest known: {'、'.join(close)}" if close else ""
            layer.problems.append(layer.problem(i, f"unknown parameter {value!r}{hint}", "parameter"))
        long = long.assign(parameter=codes)
        items = [c for c in frame.columns if c not in columns.values() and c != "_row" and parameter_code(c)]
        if items:
            layer.problems.append(
                Problem(
                    f"columns ignored: {'、'.join(map(str, items))} look like items, but this file is in long form "
                    f"(one item per row, named in {columns['parameter']} with its value in {columns['value']}); "
                    "put them in rows of their own, or give them in a separate wide-form file",
                    file=layer.file,
                    severity="warning",
                )
            )
    else:
        wide = {c: parameter_code(c) for c in frame.columns if c not in SCHEMAS["measurements"].required}
        params = {c: code for c, code in wide.items() if code}
        others = [c for c, code in wide.items() if not code and c != "_row" and c not in columns]
        if not params:
            layer.problems.append(
                Problem(
                    "no parameter columns found: give either parameter and value columns "
                    "(监测项目, 监测值) or one column per parameter (氨氮, 总磷 …); the file's headers are: "
                    + ", ".join(str(columns.get(c, c)) for c in frame.columns if c != "_row"),
                    file=layer.file,
                )
            )
            return layer
        if others:
            layer.problems.append(
                Problem(
                    f"columns ignored (not a known parameter): {'、'.join(map(str, others))}",
                    file=layer.file,
                    severity="warning",
                )
            )
        layer.columns.update({code: c for c, code in params.items()})
        long = frame.melt(
            id_vars=["section", "date", "_row"],
            value_vars=list(params),
            var_name="column",
            value_name="value",
        )
        long["parameter"] = long["column"].map(params)
    if "unit" not in long:
        long["unit"] = long["column"].map(unit_in_header) if "column" in long else ""
    dates = _parse_dates(long["date"])
    for row in long.loc[dates.isna(), "_row"].unique():
        layer.problems.append(layer.problem(int(row), f"{frame['date'].iloc[row]!r} is not a date", "date"))
    known = long["parameter"].notna()
    parsed = parse_values(long["value"], long.get("detection_limit"))
    factor, wrong_unit = unit_factors(long["parameter"].fillna(""), long["unit"])
    value = parsed["value"] * factor
    column = long["column"] if "column" in long else pd.Series("value", index=long.index)
    where = "column" in long

    def report(mask: pd.Series | np.ndarray, message) -> None:
        for _, item in long[np.asarray(mask) & known.to_numpy()].iterrows():
            place = item["column"] if where else "value"
            layer.problems.append(layer.problem(int(item["_row"]), message(item), place))

    report(parsed["bad"] & ~parsed["not_finite"],
           lambda r: f"{r['value']!r} is neither a number nor detection-limit notation "
                     "(0.02L, or ND/未检出 with a 检出限 column)")  # fmt: skip
    report(parsed["not_finite"], lambda r: f"{r['value']!r} is not a finite number: leave the cell blank "
                                           "when nothing was measured")  # fmt: skip
    report(parsed["negative"], lambda r: f"{r['value']!r}: a concentration cannot be negative")
    ph = long["parameter"].eq("ph") & ~parsed["bad"] & ~parsed["missing"]
    report(ph & ~value.between(0, 14), lambda r: f"pH {r['value']!r} is outside 0–14")
    report(
        wrong_unit & ~parsed["missing"].to_numpy(),
        lambda r: (
            f"unit {r['unit']!r} does not fit {PARAMETERS[r['parameter']][0]} "
            f"(use {standard_unit(r['parameter']) or 'no unit'})"
        ),
    )
    keep = ~parsed["missing"]
    data = pd.DataFrame(
        {
            "section": long["section"].fillna("").astype(str).str.strip(),
            "date": dates,
            "parameter": long["parameter"],
            "text": long["value"],
            "value": value,
            "below_dl": parsed["below_dl"],
            "detection_limit": parsed["detection_limit"] * factor,
            "unit": long["parameter"].fillna("").map(standard_unit),
            "column": column,
            "row": long["_row"],
        }
    )[keep.to_numpy()].reset_index(drop=True)
    if data.empty:
        layer.problems.append(
            Problem(
                f"no measured values: every value cell of the {len(frame)} rows is blank",
                file=layer.file,
                column=columns.get("value"),
            )
        )
        return layer
    _check_dates(layer, data, frame["date"], today)
    layer.data = _check_repeats(layer, data, wide=where)
    return layer


def _no_measurements() -> pd.DataFrame:
    """An empty measurements table with the canonical columns (what a file too broken to read
    gives, so that nothing downstream trips over missing columns)."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in MEASUREMENT_COLUMNS})
    return frame.astype({"date": "datetime64[ns]", "value": float, "detection_limit": float, "row": np.int64})


def implausible_dates(dates: pd.Series, *, today: pd.Timestamp | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Which dates are after ``today`` and which lie long before the rest of the file.

    The rule for "long before": sort the distinct dates; where two neighbours lie
    :data:`EARLY_GAP_YEARS` years or more apart and fewer than half the rows come before the
    gap, everything before the (last such) gap is early. ``2004-03-01`` in a 2023–2024 file is
    early; a register that really runs from 1990 with no gap of ten years is not.

    Parameters
    ----------
    dates
        Parsed dates (NaT ignored).
    today
        The current date by default. A day of grace allows for time zones.

    Returns
    -------
    Two boolean arrays aligned with ``dates``: future, early.
    """
    today = (pd.Timestamp.today() if today is None else pd.Timestamp(today)).normalize()
    values = dates.to_numpy(dtype="datetime64[ns]")
    valid = ~np.isnat(values)
    future = valid & (values > np.datetime64(today + pd.Timedelta(days=1)))
    early = np.zeros(len(values), dtype=bool)
    usable = values[valid & ~future]
    distinct, counts = np.unique(usable, return_counts=True)
    if len(distinct) > 1:
        gaps = np.diff(distinct) >= np.timedelta64(int(EARLY_GAP_YEARS * 365.25), "D")
        minority = 2 * np.cumsum(counts)[:-1] < len(usable)
        cut = np.flatnonzero(gaps & minority)
        if len(cut):
            early = valid & ~future & (values <= distinct[cut[-1]])
    return future, early


def _check_dates(layer: Layer, data: pd.DataFrame, written: pd.Series, today: pd.Timestamp | None) -> None:
    """Errors for dates after today or long before the rest of the file, one per row."""
    future, early = implausible_dates(data["date"], today=today)
    if not (future.any() or early.any()):
        return
    rest = data["date"][~future & ~early]
    start = rest.min()
    now = (pd.Timestamp.today() if today is None else pd.Timestamp(today)).normalize()
    flagged = data[future | early].drop_duplicates("row")
    for row, date in zip(flagged["row"], flagged["date"], strict=True):
        text = written.iloc[row]
        if date > now:
            message = f"{text!r} is after today ({now:%Y-%m-%d}): is the year mistyped?"
        else:
            years = (start - date).days / 365.25
            message = (
                f"{text!r} lies {years:.0f} years before the rest of the file (which starts {start:%Y-%m-%d}): "
                "is the year mistyped?"
            )
        layer.problems.append(layer.problem(int(row), message, "date"))


def _check_repeats(layer: Layer, data: pd.DataFrame, *, wide: bool) -> pd.DataFrame:
    """Rows giving the same section, date and item: an error on each when their values
    differ (naming the others), else a warning and the value counted once.

    Returns the table without the repeated identical values.
    """
    keys = ["section", "date", "parameter"]
    usable = data["date"].notna() & data["parameter"].notna() & data["value"].notna()
    repeated = usable & data.duplicated(keys, keep=False)
    if not repeated.any():
        return data
    group = data[repeated].assign(_g=lambda d: d.groupby(keys, sort=False).ngroup())
    by = group.groupby("_g")
    spread = by["value"].transform("max") - by["value"].transform("min")
    scale = by["value"].transform(lambda v: v.abs().max())
    conflict = (spread > 1e-9 * scale) | (by["below_dl"].transform("nunique") > 1)
    item = group["parameter"].map(lambda code: PARAMETERS[code][0])

    def place(i: int) -> str:
        where = layer.raw.where(int(group["row"].iloc[i]))
        return f"{where} ({group['column'].iloc[i]})" if wide else where

    positions = pd.Series(np.arange(len(group)), index=group.index)
    for _, members in positions[conflict.to_numpy()].groupby(group.loc[conflict.to_numpy(), "_g"]):
        for i in members:
            others = ", ".join(f"{group['text'].iloc[j]!r} in {place(j)}" for j in members if j != i)
            layer.problems.append(
                layer.problem(
                    int(group["row"].iloc[i]),
                    f"{group['text'].iloc[i]!r} conflicts with {others}: the same section "
                    f"{group['section'].iloc[i]!r}, date {group['date'].iloc[i]:%Y-%m-%d} and item "
                    f"{item.iloc[i]}; keep the right value only",
                    group["column"].iloc[i] if wide else "value",
                )
            )
    same = group[~conflict.to_numpy()]
    first = same.groupby("_g")["row"].transform("first")
    later = same[same["row"].ne(first) | same.duplicated("_g")]
    later = later.assign(first=first[later.index], item=item[later.index])
    for (row, original), repeat in later.groupby(["row", "first"], sort=True):
        items = "、".join(repeat["item"])
        layer.problems.append(
            layer.problem(
                int(row),
                f"repeats {layer.raw.where(int(original))} (same section, date and value of {items}): counted once",
                None,
                severity="warning",
            )
        )
    return data.drop(index=later.index).reset_index(drop=True)


def _parse_dates(text: pd.Series) -> pd.Series:
    cleaned = (
        text.fillna("").astype(str).str.strip()
        .str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False).str.strip("-")
    )  # fmt: skip
    return pd.to_datetime(cleaned, errors="coerce", format="mixed")


def resolve_sections(measurements: Layer, sections: Layer) -> list[Problem]:
    """Replace section names by codes in ``measurements.data``; every row naming no known
    section is an error (added to the layer's problems and returned)."""
    problems: list[Problem] = []
    data = measurements.data
    codes = set(sections.data["code"].astype(str))
    names = dict(zip(sections.data["name"].astype(str), sections.data["code"].astype(str), strict=False))
    data["section"] = data["section"].map(lambda s: s if s in codes else names.get(s, s))
    unknown = data[~data["section"].isin(codes)].drop_duplicates("row")
    for row, section in zip(unknown["row"], unknown["section"], strict=True):
        problem = measurements.problem(
            int(row), f"section {section!r} is not in the sections layer ({sections.file})", "section"
        )
        measurements.problems.append(problem)
        problems.append(problem)
    return problems
