"""Measurements as bureaus keep them (long or wide form) → the canonical long table, every
value, date and repeat checked and located."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from geoenv.columns import Layer, map_columns
from geoenv.errors import InputError, Problem, raise_on_errors
from geoenv.io import LayerSource, RawLayer, read_layer
from geoenv.quality.standard import AT_LEAST, III, limits
from geoenv.quality.values import (
    MISSING,
    limit_header,
    limit_number,
    no_sample,
    normalized,
    parse_limit,
    parse_values,
    standard_unit,
    unit_factors,
    unit_in_header,
)
from geoenv.schema import COLUMN_ALIASES, PARAMETERS, SCHEMAS, fold, header_column, name_key, parameter_code

MEASUREMENT_COLUMNS = (
    "section", "date", "parameter", "text", "value", "below_dl", "detection_limit", "unit", "column", "row",
    "status", "section_name",
)  # fmt: skip
"""Columns of the canonical measurements table."""
REMARK_HEADERS = frozenset(fold(h) for h in ("备注", "说明", "备注说明", "情况说明", "remark", "remarks", "note"))
"""Headers of a remark column: a no-sample word there gives the status of a row with no values."""
EARLY_GAP_YEARS = 10
"""Dates this many years or more before every later date of the file (and fewer than half its
rows) are taken for mistyped years: a monthly register has no ten-year hole."""


def measurements_layer(raw: RawLayer, *, today: pd.Timestamp | None = None) -> Layer:
    """Monthly (or any) measurements, long or wide, as a long table.

    Output columns (:data:`MEASUREMENT_COLUMNS`): ``section, date, parameter`` (canonical
    code), ``text`` (as written), ``value`` (number for statistics in the standard's unit: half
    the detection limit when not detected), ``below_dl``, ``detection_limit``, ``unit`` (the
    standard's), ``column`` (the file's column, wide form), ``row`` (position in the file,
    for locating problems) and ``status``: a :data:`~geoenv.quality.values.NO_SAMPLE` word
    (断流, 冰封 …) for a row with no values that says why (in an item cell or a 备注/说明
    column); such rows are kept with no value, one per row of the file.

    Dates are read as bureaus write them (see :func:`parse_dates`). The detection limit of
    a 未检出/ND cell comes from, in order: the item's limit column (wide: ``氨氮检出限``,
    ``汞检出限(μg/L)``, row by row, see :func:`_limit_columns`), then a 检出限 row under the
    header (wide) or a 检出限 column (long); ``raw.source.detection_limits``; the item's other cells written ``0.01L``
    when they agree on one limit. Without any, one error per item says how to give it.

    Besides values that are not numbers, the rows are checked for what would give a silently
    wrong answer: a value that is not finite (``nan``, ``inf``, ``1e309``); a date after
    ``today`` (default: the current date) or :data:`EARLY_GAP_YEARS` before the rest of the
    file (see :func:`implausible_dates`); and repeated rows (same section, date and item):
    with different values an error on each of them, with the same value a warning and the
    value counted once. Item columns in a long-form file are reported as ignored. The
    problems come in the order of the file's rows (those of the whole file first).
    """
    layer = _read_measurements(raw, today=today)
    layer.problems = by_row(layer.problems)
    return layer


def by_row(problems: list[Problem]) -> list[Problem]:
    """``problems`` (of one file) in the order of their rows, those of no row first; a stable
    sort: the problems of one row keep their order."""
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0))


def _read_measurements(raw: RawLayer, *, today: pd.Timestamp | None = None) -> Layer:
    """The work of :func:`measurements_layer`, its problems in the order found."""
    coded, name_header = _code_and_name(raw)
    frame, columns, problems = map_columns(coded, "measurements")
    layer = Layer("measurements", _no_measurements(), raw, columns, problems)
    if any(p.severity == "error" for p in problems):
        return layer
    frame = frame.copy()
    frame["_row"] = np.arange(len(frame))
    if name_header is None:
        frame["section_name"] = ""
    else:  # the code where given, else the name; the name beside a code is checked against it
        code = frame["section"].fillna("").astype(str).str.strip()
        named = frame.pop(name_header).fillna("").astype(str).str.strip()
        frame["section"] = code.where(code.ne(""), named)
        frame["section_name"] = named
        layer.columns["section_name"] = name_header
    remarks = [c for c in frame.columns if fold(c) in REMARK_HEADERS and c not in columns]
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
        items = [c for c in frame.columns if c not in columns.values() and parameter_code(c)]
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
        others = [
            c
            for c, code in wide.items()
            if not code and c not in ("_row", "section_name", *remarks) and c not in columns
        ]
        limit_of, limits_ignored = _limit_columns(layer, params, others)
        others = [c for c in others if limit_header(c) is None or c in limits_ignored]  # reported
        if not params:
            layer.problems.append(
                Problem(
                    "no parameter columns found: give either parameter and value columns "
                    "(监测项目, 监测值) or one column per parameter (氨氮, 总磷 …); the file's headers are: "
                    + ", ".join(str(layer.columns.get(c, c)) for c in frame.columns if c != "_row"),
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
            id_vars=["section", "date", "_row", "section_name"],
            value_vars=list(params),
            var_name="column",
            value_name="value",
        )
        long["parameter"] = long["column"].map(params)
    where = "column" in long
    if "unit" not in long:
        long["unit"] = long["column"].map({c: _column_unit(raw, c) for c in long["column"].unique()}) if where else ""
    row = long["_row"].to_numpy()
    dates, date_problems = parse_dates(frame["date"], raw.where)
    for position, message in sorted(date_problems.items()):
        layer.problems.append(layer.problem(position, message, "date"))
    known = long["parameter"].notna()
    factor, wrong_unit = unit_factors(long["parameter"].fillna(""), long["unit"])
    status = no_sample(long["value"])
    text = long["value"].where(status.eq(""), "")
    if "detection_limit" not in long and where:  # a limit column first, then a 检出限 row under the header
        below = limit_number(long["column"].map(raw.detection_limits))
        beside = _column_limits(layer, frame, long, limit_of)
        long["detection_limit"] = beside.fillna(below)
    given = dict(reversed(raw.source.detection_limits))  # the first given wins
    stated = limit_number(long["detection_limit"]) if "detection_limit" in long else pd.Series(np.nan, long.index)
    limit = stated.fillna(long["parameter"].map(given) / factor)
    parsed = parse_values(text, limit)
    key = long["column"] if where else long["parameter"]
    _limits_from_the_column(layer, parsed, key, factor, long, wide=where)
    _check_limits(layer, long, parsed["detection_limit"] * factor, stated * factor, key, wide=where)
    value = parsed["value"] * factor
    column = long["column"] if where else pd.Series("value", index=long.index)

    def report(mask: pd.Series | np.ndarray, message: Callable[[pd.Series], str]) -> None:
        for _, item in long[np.asarray(mask) & known.to_numpy()].iterrows():
            place = item["column"] if where else "value"
            layer.problems.append(layer.problem(int(item["_row"]), message(item), place))

    report(parsed["bad"] & ~parsed["not_finite"] & ~parsed["no_limit"],
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
    status = _row_status(status, parsed["missing"], row, frame[remarks] if remarks else None)
    keep = ~parsed["missing"] | status.ne("")
    standard_units = {p: standard_unit(p) for p in long["parameter"].fillna("").unique()}
    data = pd.DataFrame(
        {
            "section": long["section"].fillna("").astype(str).str.strip(),
            "date": dates.to_numpy()[row],
            "parameter": long["parameter"],
            "text": long["value"],
            "value": value,
            "below_dl": parsed["below_dl"],
            "detection_limit": parsed["detection_limit"] * factor,
            "unit": long["parameter"].fillna("").map(standard_units),
            "column": column,
            "row": long["_row"],
            "status": status,
            "section_name": long["section_name"],
        }
    )[keep.to_numpy()]
    data = data[data["status"].eq("") | ~data.duplicated(["row", "status"])].reset_index(drop=True)
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


def _column_unit(raw: RawLayer, header: str) -> str:
    """The unit of a wide-form column: in its header (``汞(μg/L)``), else in a units row under it."""
    return unit_in_header(header) or raw.units.get(header, "")


def _limit_columns(
    layer: Layer, params: dict[str, str], others: list[str]
) -> tuple[dict[str, tuple[str, str, str]], list[str]]:
    """The columns among ``others`` (wide form, naming no item) that give an item's detection
    limit (``氨氮检出限``, ``汞检出限（μg/L）``: see :func:`~geoenv.quality.values.limit_header`).

    Returns item column → its limit column, the item's code and the unit the limit's header
    writes (``""`` if none), for each column of an item written in two; and the limit columns of
    an item whose own column is ignored as unknown (they are ignored with it).

    Added in place: an error for a limit column naming no known item and for
    a second limit column of one item; a warning for the limit of an item with no column.
    """
    found: dict[str, tuple[str, str, str]] = {}
    ignored: list[str] = []
    by_code: dict[str, str] = {}
    layout = layer.raw.layout
    where = f"row {layout.header + 1}" if layout is not None and layout.header >= 0 else None
    unknown = {fold(re.split(r"[(（\[]", unicodedata.normalize("NFKC", str(o)))[0]) for o in others}
    for header in others:
        parsed = limit_header(header)
        if parsed is None:
            continue
        item = parsed[0]
        code = parameter_code(item)
        if code is None and fold(item) in unknown:
            ignored.append(header)
        elif code is None:
            close = difflib.get_close_matches(item, [zh for zh, _ in PARAMETERS.values()], n=2, cutoff=0.3)
            hint = f" (closest known: {'、'.join(close)})" if close else ""
            message = (
                f"{item!r} is not a known item{hint}, so this detection-limit column is the limit of no column: "
                "write the item's name as its own column does, followed by 检出限"
            )
            layer.problems.append(Problem(message, file=layer.file, where=where, column=header))
        elif not (items := [c for c, c_code in params.items() if c_code == code]):
            message = f"ignored: the file has no {PARAMETERS[code][0]} column for this detection limit to apply to"
            layer.problems.append(Problem(message, file=layer.file, where=where, column=header, severity="warning"))
        elif code in by_code:
            message = (
                f"also gives the detection limit of {PARAMETERS[code][0]}, as column {by_code[code]} does: keep one"
            )
            layer.problems.append(Problem(message, file=layer.file, where=where, column=header))
        else:
            by_code[code] = header
            found.update(dict.fromkeys(items, (header, code, parsed[1])))
    return found, ignored


def _column_limits(
    layer: Layer, frame: pd.DataFrame, long: pd.DataFrame, limit_of: dict[str, tuple[str, str, str]]
) -> pd.Series:
    """Each cell's detection limit from its item's limit column (see :func:`_limit_columns`),
    in the unit of the item's column (NaN where the limit cell is blank or there is none).

    The limit column's unit is the one in its header or a units row under it, else its item
    column's. Added in place: an error for each limit cell that is not a number above 0, and
    one for a limit column whose unit does not fit the item.
    """
    limit = pd.Series(np.nan, index=long.index)
    raw = layer.raw
    reported: set[tuple[object, str]] = set()  # once per cell, for an item written in two columns
    for column, (header, code, written) in limit_of.items():
        own = _column_unit(raw, column)
        unit = written or raw.units.get(header, "") or own
        factor, wrong = unit_factors(pd.Series([code, code]), pd.Series([unit, own]))
        if wrong[0]:
            if ("unit", header) not in reported:
                reported.add(("unit", header))
                message = f"unit {unit!r} does not fit {PARAMETERS[code][0]} (use {standard_unit(code) or 'no unit'})"
                layer.problems.append(Problem(message, file=layer.file, column=header))
            continue
        text = normalized(frame[header])
        number = limit_number(text)
        for i in np.flatnonzero((number.isna() & ~text.str.lower().isin(MISSING)).to_numpy()):
            if (int(i), header) not in reported:
                reported.add((int(i), header))
                message = (
                    f"{text.iloc[i]!r} is not a detection limit: write a number above 0 (0.025, with the unit in "
                    "the header: 检出限(μg/L)), or leave the cell blank"
                )
                layer.problems.append(layer.problem(int(i), message, header))
        cells = long["column"].eq(column).to_numpy()
        limit[cells] = number.to_numpy()[long["_row"].to_numpy()[cells]] * factor[0] / factor[1]
    return limit


def _code_and_name(raw: RawLayer) -> tuple[RawLayer, str | None]:
    """A file naming its sections both by code (断面编码) and by name (断面名称): the raw layer
    with the code column chosen as the section (so that no "two columns" warning is given) and
    the name's header; else ``raw`` and None. The user's ``--column measurements.section`` wins."""
    if "section" in raw.source.columns:
        return raw, None
    codes = {fold(a) for a in ("code", *COLUMN_ALIASES["sections"]["code"])}
    given = [h for h in raw.frame.columns if header_column(h, "measurements") == "section"]
    code = [h for h in given if fold(h) in codes]
    named = [h for h in given if fold(h) not in codes]
    if len(code) != 1 or len(named) != 1:
        return raw, None
    source = replace(raw.source, columns={**raw.source.columns, "section": code[0]})
    return replace(raw, source=source), named[0]


def _row_status(status: pd.Series, missing: pd.Series, row: np.ndarray, remarks: pd.DataFrame | None) -> pd.Series:
    """The no-sample status of each cell of rows that have no value: the word in one of the
    row's cells, else in its remark columns; ``""`` for the cells of rows with values (a 备注
    such as 断流后恢复 beside values is just a remark)."""
    worded = status.ne("").to_numpy()
    if not worded.any() and remarks is None:
        return status
    blank = pd.Series(missing.to_numpy() | worded).groupby(row).transform("all").to_numpy()
    first = pd.Series(status.to_numpy()[worded], index=row[worded]).groupby(level=0).first()
    said = pd.Series(row).map(first).to_numpy(dtype=object)
    said[pd.isna(said)] = ""
    if remarks is not None:
        remark = remarks.apply(no_sample).max(axis=1).to_numpy()[row]
        said = np.where(said == "", remark, said)
    return pd.Series(np.where(blank, said, ""), index=status.index)


def _limits_from_the_column(
    layer: Layer, parsed: pd.DataFrame, key: pd.Series, factor: np.ndarray, long: pd.DataFrame, *, wide: bool
) -> None:
    """Fill the limit of 未检出/ND cells that have none from the item's cells written ``0.01L``
    when they all give one limit; one error per item for those left (in place)."""
    if not parsed["no_limit"].any():
        return
    written = parsed["below_dl"] & parsed["detection_limit"].notna()
    limits = (parsed["detection_limit"] * factor)[written].round(12).groupby(key[written]).agg(["min", "max", "unique"])
    agreed = limits.loc[limits["min"] == limits["max"], "min"]
    fill = parsed["no_limit"] & key.isin(agreed.index)
    if fill.any():
        own = key[fill].map(agreed) / factor[fill.to_numpy()]
        parsed.loc[fill, "detection_limit"] = own
        parsed.loc[fill, "value"] = own / 2.0
        parsed.loc[fill, ["bad", "no_limit"]] = False
    for item, cells in parsed[parsed["no_limit"]].groupby(key[parsed["no_limit"]], sort=False):
        code = long["parameter"][cells.index[0]]
        name = PARAMETERS[code][0] if isinstance(code, str) else str(item)
        rows = [layer.raw.where(int(r)) for r in np.unique(long.loc[cells.index, "_row"])]
        shown = ", ".join(rows[:5]) + (f" … ({len(rows)} rows)" if len(rows) > 5 else "")
        disagree = ""
        if item in limits.index:
            seen = "、".join(f"{v:g}L" for v in sorted(limits.loc[item, "unique"]))
            disagree = f"; the column's cells give different limits ({seen}), so none is taken"
        unit = (standard_unit(code) if isinstance(code, str) else "") or "mg/L"
        cell = "cells say" if len(cells) != 1 else "cell says"
        named = "" if wide else f"{name}: "  # a wide column names the item itself
        beside = f" or a column {name}检出限 beside it" if wide else ""
        layer.problems.append(
            Problem(
                f"{named}{len(cells)} {cell} not detected (未检出/ND) with no detection limit ({shown}){disagree}: "
                "write each as the method's detection limit followed by L (检出限L), add a 检出限 row under the "
                f"header{beside}, or give it with --detection-limits FILE (columns 项目, 检出限, 单位) or in "
                f'geoenv.toml: [detection_limits] "{name}" = "检出限 {unit}", '
                "with the method's limit in place of 检出限",
                file=layer.file,
                column=str(item) if wide else layer.columns.get("value"),
            )
        )


def _check_limits(
    layer: Layer, long: pd.DataFrame, used: pd.Series, stated: pd.Series, key: pd.Series, *, wide: bool
) -> None:
    """Warnings, one per column (wide) or item (long), for detection limits that look wrong:
    half the limit above the item's class III limit (a unit slip: 0.04 taken as mg/L for 汞
    where the lab meant μg/L), and a 检出限 row or column that differs from the limit given
    with --detection-limits or in geoenv.toml (the file's is used). ``used`` and ``stated``
    are in the standard's unit (NaN where none)."""
    code = long["parameter"]
    third = pd.Series(limits(code.fillna("")).take(III, axis=1), index=long.index)
    high = used.notna() & (used / 2 > third) & ~code.isin(AT_LEAST)
    given = code.map(dict(reversed(layer.raw.source.detection_limits)))
    differ = stated.notna() & given.notna() & ((stated - given).abs() > 1e-9 * given)
    where = layer.columns.get("value")
    for item, rows in long[high].groupby(key[high], sort=False):
        parameter = rows["parameter"].iloc[0]
        unit = standard_unit(parameter)
        seen = "、".join(f"{v:.6g} {unit}" for v in sorted(used[rows.index].round(12).unique()))
        named = "" if wide else f"{PARAMETERS[parameter][0]}: "
        layer.problems.append(
            Problem(
                f"{named}the detection limit {seen} counts 未检出 as half of it, above the class III limit "
                f"({third[rows.index[0]]:.6g} {unit}), so every such cell rates worse than III: is the limit in "
                "another unit (μg/L read as mg/L)? Write the unit in the header (汞(μg/L)) or in a units row under it",
                file=layer.file,
                column=str(item) if wide else where,
                severity="warning",
            )
        )
    for item, rows in long[differ].groupby(key[differ], sort=False):
        parameter = rows["parameter"].iloc[0]
        unit = standard_unit(parameter)
        named = "" if wide else f"{PARAMETERS[parameter][0]}: "
        layer.problems.append(
            Problem(
                f"{named}the file's 检出限 ({stated[rows.index[0]]:.6g} {unit}) differs from the one given with "
                f"--detection-limits or in geoenv.toml ({given[rows.index[0]]:.6g} {unit}): the file's is used",
                file=layer.file,
                column=str(item) if wide else layer.columns.get("detection_limit", where),
                severity="warning",
            )
        )


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


def _check_repeats(layer: Layer, data: pd.DataFrame, *, wide: bool, among: pd.Series | None = None) -> pd.DataFrame:
    """Rows giving the same section, date and item: an error on each when their values
    differ (naming the others), else a warning and the value counted once. With ``among``,
    only the repeats that involve one of those rows (the others were checked before).

    Returns the table without the repeated identical values.
    """
    keys = ["section", "date", "parameter"]
    usable = data["date"].notna() & data["parameter"].notna() & data["value"].notna()
    repeated = usable & data.duplicated(keys, keep=False)
    if among is not None:
        groups = data.groupby(keys, sort=False, dropna=False).ngroup()
        repeated &= groups.isin(groups[repeated & among.to_numpy()])
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
    for _, repeat in later.groupby(["row", "first"], sort=True):
        items = "、".join(repeat["item"])
        original = layer.raw.where(int(repeat["first"].iloc[0]))
        layer.problems.append(
            layer.problem(
                int(repeat["row"].iloc[0]),
                f"repeats {original} (same section, date and value of {items}): counted once",
                None,
                severity="warning",
            )
        )
    return data.drop(index=later.index).reset_index(drop=True)


_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_FORMS = {
    "ymd": rf"^(?P<y>\d{{4}})\s*([-/.年])\s*(?P<m>\d{{1,2}})\s*[-/.月]\s*(?P<d>\d{{1,2}})\s*日?{_TIME}$",
    "ym": r"^(?P<y>\d{4})\s*(?P<sep>[-/.年])\s*(?P<m>\d{1,2})\s*月?$",
    "ymd8": r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
    "ym6": r"^(?P<y>\d{4})(?P<m>\d{2})$",
    "serial": r"^(?P<n>\d{5})(?:\.\d+)?$",
    "dmy": r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4})$",
}
"""Date forms read, by name: year first (``2023-01-15``, ``2023/1/15``, ``2023年1月15日``,
``2023.1.15``, ``2023-1``, ``2023.01``, ``2023年1月``, ``20230115``, ``202301``), Excel serial
numbers (``44927``) and day or month first (``15/01/2023``)."""
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
DATE_FORMS_SHOWN = "2023-01-15, 2023/1/15, 2023年1月15日, 20230115, 2023-01, 2023年1月, 202301 or an Excel date"


def parse_dates(text: pd.Series, where: Callable[[int], str] | None = None) -> tuple[pd.Series, dict[int, str]]:
    """Dates as bureaus write them, and a message for each row that cannot be read as one.

    Month-only forms (``202301``, ``2023.1``, ``2023-1``, ``2023年1月``) give the first day of
    the month (periods need only the month). Text ``2023.1`` is January and ``2023.10``
    October; but a number cell 2023.10 shows as ``2023.1``, so ``2023.1`` is refused as
    ambiguous unless the column also writes ``2023.10`` (evidence that its months are text).
    A bare year (``2023``) is refused as no month, a blank cell as a missing date.
    ``15/01/2023`` is day first when some day of the column is above 12 (``01/15/2023`` month
    first likewise); when the column never says, or also holds year-first dates, the rows are
    refused (conflicting forms). Other text goes to pandas' own parser.

    Parameters
    ----------
    text
        The dates as written, one per row.
    where
        How a message names another row (``row 5``); by default its position.

    Returns
    -------
    The dates (NaT where unreadable) and, by position, what is wrong with each row that has none.
    """
    where = where or (lambda i: f"position {i + 1}")
    raw = normalized(text)
    year = pd.Series(np.nan, index=raw.index)
    month, day, form = year.copy(), pd.Series(1.0, index=raw.index), pd.Series("", index=raw.index)
    serial = pd.Series(np.nan, index=raw.index)
    dmy_a, dmy_b = year.copy(), year.copy()
    dotted = pd.Series(False, index=raw.index)
    for name, pattern in _DATE_FORMS.items():
        parts = raw.where(form.eq("")).str.extract(pattern)
        hit = parts.notna().any(axis=1) & form.eq("")
        form[hit] = name
        # the separator, and the groups with no name (numbered, not named)
        numbers = parts.drop(columns=[c for c in parts.columns if c == "sep" or not isinstance(c, str)])
        numbers = numbers.apply(pd.to_numeric, errors="coerce")
        if "y" in numbers:
            year[hit] = numbers["y"][hit]
        if name == "serial":
            serial[hit] = numbers["n"][hit]
        elif name == "dmy":
            dmy_a[hit], dmy_b[hit] = numbers["a"][hit], numbers["b"][hit]
        else:
            month[hit] = numbers["m"][hit]
            if "d" in numbers:
                day[hit] = numbers["d"][hit]
        if name == "ym":
            dotted |= hit & parts["sep"].eq(".")
    problems: dict[int, str] = {}
    positions = pd.Series(np.arange(len(raw)), index=raw.index)

    dmy = form.eq("dmy")
    year_first = form.isin(["ymd", "ym", "ymd8", "ym6"])
    if dmy.any():
        day_first, month_first = (dmy_a[dmy] > 12).any(), (dmy_b[dmy] > 12).any()
        if year_first.any():
            example = positions[year_first].iloc[0]
            for i in positions[dmy]:
                problems[int(i)] = (
                    f"{raw.iloc[i]!r} is written day/month first but other dates of the column are year first "
                    f"({raw.iloc[example]!r} in {where(int(example))}): write every date year first, e.g. 2023-01-15"
                )
        elif day_first == month_first:
            why = "both ways" if day_first else "either way (no day above 12)"
            for i in positions[dmy]:
                problems[int(i)] = (
                    f"{raw.iloc[i]!r}: the column's dates read {why} (day/month or month/day first): "
                    "write them year first, e.g. 2023-01-15"
                )
        else:
            month[dmy] = dmy_b[dmy] if day_first else dmy_a[dmy]
            day[dmy] = dmy_a[dmy] if day_first else dmy_b[dmy]
    if dotted.any() and not raw[dotted].str.match(r"^\d{4}\.10$").any():
        for i in positions[dotted & raw.str.match(r"^\d{4}\.1$")]:
            problems[int(i)] = (
                f"{raw.iloc[i]!r} may be January or October (a number cell 2023.10 shows as 2023.1, and the "
                "column writes no month as 2023.10): write the months as text (2023-01, 2023-10) or as dates"
            )
    for i in positions[raw.str.match(r"^\d{4}(?:\.0+)?$")]:
        problems[int(i)] = f"{raw.iloc[i]!r} is a year, not a month: write the month of the sample, e.g. 2023-01"
    for i in positions[raw.eq("")]:
        problems[int(i)] = "the date is missing: write the month of the sample, e.g. 2023-01"
    dates = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}).where(year.notna() & month.notna()),
        errors="coerce",
    )
    fine = serial.between(1, 2958465)
    dates[fine] = EXCEL_EPOCH + pd.to_timedelta(serial[fine], unit="D")
    other = form.eq("") & raw.ne("")
    if other.any():
        dates[other] = pd.to_datetime(raw[other], errors="coerce", format="mixed")
    for i in positions[dates.isna()]:
        if int(i) not in problems:
            problems[int(i)] = f"{raw.iloc[i]!r} is not a date: write it as {DATE_FORMS_SHOWN}"
    dates.iloc[sorted(problems)] = None  # NaT
    return dates.astype("datetime64[ns]"), problems


def resolve_sections(measurements: Layer, sections: Layer) -> list[Problem]:
    """Give every measurement row the code of its section, named by code or by name.

    A known code stays; a name shared by no other section becomes that section's code. A name
    two or more sections share is one error per name, naming the rows using it and the
    register rows that share it; a row naming no section is an error. A row giving both a code
    and a name (断面编码 and 断面名称) whose code's section has another name is an error naming
    both and the register rows (a misassignment otherwise silent). Rows that name one section
    by code and by name in turn are checked for repeats once resolved. The errors are added to
    the measurements' problems and returned.
    """
    problems: list[Problem] = []
    data = measurements.data
    code = sections.data["code"].astype(str)
    name = sections.data["name"].map(name_key)
    codes = set(code)
    shared = name[name.duplicated(keep=False) & name.ne("")]
    alone = ~name.isin(shared) & name.ne("")
    unique = dict(zip(name[alone], code[alone], strict=True))
    written = data["section"]
    named = data["section_name"].fillna("").astype(str) if "section_name" in data else pd.Series("", index=data.index)
    # the column each row names its section in: the name where the code was blank (or none given)
    column = np.where(named.ne("") & written.eq(named), "section_name", "section")
    key = written.map(name_key)
    by_code = written.isin(codes)
    ambiguous = ~by_code & key.isin(set(shared))
    resolved = written.where(by_code, key.map(unique))
    renamed = ~by_code & resolved.notna()
    data["section"] = resolved.fillna(written)
    rows = data.drop_duplicates("row")
    for section, group in rows[ambiguous[rows.index]].groupby(key[rows.index][ambiguous[rows.index]], sort=False):
        used = [measurements.raw.where(int(r)) for r in sorted(group["row"])]
        shown = ", ".join(used[:5]) + (f" … ({len(used)} rows)" if len(used) > 5 else "")
        register = ", ".join(sections.raw.where(int(i)) for i in np.flatnonzero(name.eq(section).to_numpy()))
        first = group.index[0]
        problem = measurements.problem(
            int(group["row"].min()),
            f"section {group['section'].iloc[0]!r} is ambiguous: {register} of {sections.file} share that name, "
            f"and {shown} of this file use it; give 断面编码 (the section code) in both files",
            column[first],
        )
        measurements.problems.append(problem)
        problems.append(problem)
    problems += _names_beside_codes(
        measurements, sections, rows[by_code[rows.index] & (column[rows.index] == "section")]
    )
    unknown = data[~data["section"].isin(codes) & ~ambiguous].drop_duplicates("row")
    for i, row, section in zip(unknown.index, unknown["row"], unknown["section"], strict=True):
        message = (
            f"section {section!r} is not in the sections layer ({sections.file})"
            if section
            else "the section is missing: give its 断面编码 or 断面名称"
        )
        problem = measurements.problem(int(row), message, column[i])
        measurements.problems.append(problem)
        problems.append(problem)
    if renamed.any():
        before = len(measurements.problems)
        measurements.data = _check_repeats(
            measurements, data, wide=bool(data["column"].ne("value").any()), among=renamed
        )
        problems += measurements.problems[before:]
    problems = by_row(problems)  # after the problems of reading, in the order of the rows
    measurements.problems[len(measurements.problems) - len(problems) :] = problems
    return problems


def _names_beside_codes(measurements: Layer, sections: Layer, rows: pd.DataFrame) -> list[Problem]:
    """Errors for ``rows`` (one per row of the file, named by code) whose 断面名称 beside the
    code is not the name of that code's section (added to the measurements' problems)."""
    if "section_name" not in rows:
        return []
    names = sections.data["name"].fillna("").astype(str)
    position = pd.Series(np.arange(len(sections.data)), index=sections.data["code"].astype(str).to_numpy())
    position = position[~position.index.duplicated()]
    given = rows["section_name"].fillna("").astype(str)
    at = rows["section"].map(position)
    registered = names.to_numpy()[at.to_numpy(dtype=int)] if len(rows) else np.array([], dtype=object)
    wrong = given.ne("") & (given.map(name_key).to_numpy() != pd.Series(registered).map(name_key).to_numpy())
    by_name = names.map(name_key)
    problems = []
    for (_, item), i in zip(rows[wrong.to_numpy()].iterrows(), at[wrong.to_numpy()], strict=True):
        other = np.flatnonzero(by_name.eq(name_key(item["section_name"])).to_numpy())
        elsewhere = (
            f"; {item['section_name']!r} is {', '.join(sections.raw.where(int(j)) for j in other)} "
            f"({', '.join(_code_shown(sections, int(j)) for j in other)})"
            if len(other)
            else f"; no section of {sections.file} is named {item['section_name']!r}"
        )
        problem = measurements.problem(
            int(item["row"]),
            f"code {item['section']!r} and name {item['section_name']!r} name different sections: "
            f"{item['section']!r} is {names.iloc[int(i)]!r} in {sections.raw.where(int(i))} of {sections.file}"
            f"{elsewhere}; correct the code or the name",
            "section",
        )
        measurements.problems.append(problem)
        problems.append(problem)
    return problems


def _code_shown(sections: Layer, position: int) -> str:
    """``code 'SX006'`` of a register row, or ``no 断面编码`` when its code was generated."""
    generated = "code_generated" in sections.data and bool(sections.data["code_generated"].iloc[position])
    return "no 断面编码" if generated else f"code {str(sections.data['code'].iloc[position])!r}"


def read_detection_limits(source: LayerSource) -> tuple[tuple[str, float], ...]:
    """A table of detection limits (columns item, limit and optionally unit: 项目/监测项目,
    检出限, 单位) as ``(parameter code, limit in the standard's unit)`` pairs.

    Raises
    ------
    InputError
        Every problem, located: a missing column, an unknown item, a limit that is not a
        positive number, a unit that does not fit the item, an item given twice with
        different limits.
    """
    raw = read_layer(source)
    headers = {fold(h): h for h in raw.frame.columns}
    file = str(source.path)

    def find(names: tuple[str, ...]) -> str | None:
        return next((headers[fold(n)] for n in names if fold(n) in headers), None)

    item = find(("项目", "监测项目", "指标", "因子", "item", "parameter"))
    limit = find(("检出限", "方法检出限", "检出限值", "limit", "detection_limit", "dl", "mdl"))
    unit = find(("单位", "unit"))
    if item is None or limit is None:
        raise InputError(
            Problem(
                "a detection-limits table needs an item column (项目) and a limit column (检出限), "
                "optionally 单位; its headers are: " + ", ".join(map(str, raw.frame.columns)),
                file=file,
            )
        )
    problems: list[Problem] = []
    found: dict[str, tuple[float, int]] = {}
    for i, (name, value, written) in enumerate(
        zip(raw.frame[item], raw.frame[limit], raw.frame[unit] if unit else [""] * len(raw.frame), strict=True)
    ):
        if not str(name).strip() and not str(value).strip():
            continue
        code = parameter_code(name)
        if code is None:
            problems.append(Problem(f"unknown item {name!r}", file=file, where=raw.where(i), column=item))
            continue
        number, why = parse_limit(code, value, written)
        if number is None:  # ``why`` says why
            problems.append(Problem(f"{why}", file=file, where=raw.where(i), column=limit))
        elif code in found and abs(found[code][0] - number) > 1e-12 * number:
            other = raw.where(found[code][1])
            problems.append(Problem(f"{name} is also given in {other} with another limit: keep one",
                                    file=file, where=raw.where(i), column=limit))  # fmt: skip
        else:
            found.setdefault(code, (number, i))
    raise_on_errors(problems)
    return tuple((code, number) for code, (number, _) in found.items())
