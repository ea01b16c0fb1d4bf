"""Section evaluation over periods: item means, single-factor class, main pollutants,
compliance with the target, exceedance frequency, CWQI and the year-on-year (同比) change.

The method is 《地表水环境质量评价办法（试行）》(环办〔2011〕22号): the mean concentration of each
item over the period (values below detection at half the limit) is classed by GB 3838-2002,
and the section takes its worst item's class.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoenv.quality.cwqi import item_index
from geoenv.quality.periods import Period, date_range, label_dates, period_of
from geoenv.quality.standard import (
    DESCRIPTIONS,
    EVALUATION_ITEMS,
    III,
    class_index,
    class_label,
    classify,
    exceedance_multiple,
)
from geoenv.quality.values import standard_unit
from geoenv.schema import PARAMETERS

SECTION_COLUMNS = [
    "section", "period", "class", "description", "main_pollutants", "cwqi", "cwqi_items",
    "missing_items", "target", "meets_target", "exceeding_items", "n_samples", "no_sample", "exceed_freq",
    "class_prev", "class_change", "cwqi_prev", "cwqi_change", "worst_items", "water",
]  # fmt: skip
ITEM_COLUMNS = [
    "section", "period", "parameter", "item", "mean", "unit", "n", "n_below_dl", "class",
    "multiple_iii", "exceed_freq", "mean_prev", "change",
]  # fmt: skip
CHANGE = {-1: "好转", 0: "持平", 1: "变差"}
"""Year-on-year change of class: better, unchanged, worse."""


@dataclass
class Evaluation:
    """The evaluated periods of each section and of each of its items.

    Attributes
    ----------
    sections
        One row per section and period (:data:`SECTION_COLUMNS`).
    items
        One row per section, period and item (:data:`ITEM_COLUMNS`).
    """

    sections: pd.DataFrame
    items: pd.DataFrame


def item_name(code: str) -> str:
    """The Chinese name of a parameter code (氨氮 for nh3n)."""
    return PARAMETERS[code][0]


def requested_periods(
    dates: pd.Series, *, by: str | None = "year", start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> list[Period]:
    """The periods to evaluate: every month, quarter or year of the data between ``start`` and
    ``end``; with ``by=None`` the one range from ``start`` to ``end``."""
    start, end = (pd.Timestamp(d) if d is not None else None for d in (start, end))
    if by is None:
        start = start if start is not None else dates.min()
        end = end if end is not None else dates.max()
        return [date_range(start, end)]
    inside = dates.dropna()
    inside = inside[inside.between(start or inside.min(), end or inside.max())]
    labels = label_dates(inside, by)
    first = inside.groupby(labels).min().sort_index()
    return [period_of(date, by) for date in first]


def evaluate(
    measurements: pd.DataFrame,
    sections: pd.DataFrame | None = None,
    *,
    periods: list[Period],
    water: str = "river",
    lake_tn: bool = False,
) -> Evaluation:
    """Evaluate every section in every period.

    Parameters
    ----------
    measurements
        Long table ``section, date, parameter, value, below_dl`` in the standard's units (from
        :func:`geoenv.measurements.measurements_layer`), optionally ``status``: rows with a
        no-sample status (断流, 冰封 …) and no value. A month with such a status and no value is
        left out of the period's class and counted in ``no_sample`` (``断流 2、冰封 1``); a
        section-period with nothing else has a row with no class.
    sections
        Optional sections with ``code`` and ``target_class`` (I–V) and ``water``
        (river / lake); without it there are no targets and every section is ``water``.
    periods
        From :func:`requested_periods`; the same periods a year earlier are evaluated too,
        for the year-on-year change, but not returned.
    water
        river or lake, for sections whose water is not given.
    lake_tn
        Also evaluate total nitrogen for lake and reservoir sections.
    """
    info = _section_info(measurements["section"], sections, water)
    wanted = {p.label for p in periods}
    base = {p.label: p.year_before().label for p in periods}
    spans = {p.label: p for p in periods} | {p.year_before().label: p.year_before() for p in periods}
    rows = _in_periods(measurements, spans.values()).join(info, on="section")
    status = rows["status"].fillna("") if "status" in rows else pd.Series("", index=rows.index)
    absent, rows = rows[status.ne("")].assign(status=status), rows[status.eq("")]
    rows["sample_class"] = classify(rows["parameter"], rows["value"], rows["lake"].to_numpy())
    rows["exceeds"] = rows["sample_class"] > rows["benchmark"]
    items = _items(rows)
    evaluated = items["parameter"].isin(EVALUATION_ITEMS) | (items["lake"] & lake_tn & items["parameter"].eq("tn"))
    table = _sections(items[evaluated], rows[rows["parameter"].isin(EVALUATION_ITEMS)], info)
    table = _with_no_sample(table, _no_sample(absent, rows), info)

    items = _year_on_year(items, base, ["section", "parameter"], {"mean": "mean_prev"})
    items["change"] = ((items["mean"] - items["mean_prev"]) / items["mean_prev"]).round(4)
    items["class"] = class_label(items["k"]).to_numpy()
    table = _year_on_year(table, base, ["section"], {"k": "k_prev", "cwqi": "cwqi_prev"})
    table["class_prev"] = class_label(table["k_prev"].fillna(-1)).to_numpy()
    table["class_change"] = pd.Series(np.sign((table["k"] - table["k_prev"]).to_numpy()), index=table.index).map(CHANGE)
    table["cwqi_change"] = ((table["cwqi"] - table["cwqi_prev"]) / table["cwqi_prev"]).round(4)
    table = table[table["period"].isin(wanted)].sort_values(["section", "period"], kind="stable")
    items = items[items["period"].isin(wanted)].sort_values(["section", "period", "order"], kind="stable")
    return Evaluation(
        table.reindex(columns=SECTION_COLUMNS).reset_index(drop=True),
        items.reindex(columns=ITEM_COLUMNS).reset_index(drop=True),
    )


def _section_info(codes: pd.Series, sections: pd.DataFrame | None, water: str) -> pd.DataFrame:
    """Per section code: target index, benchmark class index, lake flag."""
    index = pd.Index(codes.drop_duplicates().sort_values(), name="section")
    info = pd.DataFrame(index=index)
    given = sections.set_index(sections["code"].astype(str)) if sections is not None else pd.DataFrame()
    target = given["target_class"] if "target_class" in given else pd.Series(dtype=object)
    kind = given["water"] if "water" in given else pd.Series(dtype=object)
    info["target"] = target.reindex(index).to_numpy()
    info["target_k"] = class_index(info["target"])
    info["benchmark"] = info["target_k"].fillna(III)
    info["water"] = kind.reindex(index).fillna(water).to_numpy()
    info["lake"] = info["water"].eq("lake")
    return info


def _in_periods(measurements: pd.DataFrame, spans: Iterable[Period]) -> pd.DataFrame:
    parts = []
    for span in spans:
        inside = measurements["date"].between(span.start, span.end + pd.Timedelta(days=1), inclusive="left")
        parts.append(measurements[inside].assign(period=span.label))
    return pd.concat(parts, ignore_index=True) if parts else measurements.iloc[:0].assign(period="")


def _items(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean and class of every item of every section in every period."""
    groups = rows.dropna(subset=["value"]).groupby(["section", "period", "parameter"], sort=True)
    items = groups.agg(
        mean=("value", "mean"),
        n=("value", "size"),
        n_below_dl=("below_dl", "sum"),
        n_exceeding=("exceeds", "sum"),
        lake=("lake", "first"),
    ).reset_index()
    items["mean"] = items["mean"].round(6)
    items["k"] = classify(items["parameter"], items["mean"].to_numpy(), items["lake"].to_numpy())
    items["multiple_iii"] = exceedance_multiple(items["parameter"], items["mean"], III, items["lake"].to_numpy())
    items.loc[items["k"] <= III, "multiple_iii"] = np.nan
    items["exceed_freq"] = (items["n_exceeding"] / items["n"]).round(4)
    items["item"] = items["parameter"].map({code: item_name(code) for code in PARAMETERS})
    items["unit"] = items["parameter"].map({code: standard_unit(code) for code in PARAMETERS})
    items["order"] = items["parameter"].map({code: i for i, code in enumerate(PARAMETERS)})
    return items


def _sections(items: pd.DataFrame, rows: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """Class, main pollutants, compliance, CWQI and exceedance frequency per section-period."""
    keys = ["section", "period"]
    items = items.join(info[["target_k"]], on="section")
    table = items.groupby(keys)["k"].max().rename("k").reset_index()
    table = table.join(info[["target", "target_k", "water"]], on="section")
    worst = items["k"] == items.groupby(keys)["k"].transform("max")
    table = table.merge(_joined(items[worst], keys, "parameter", ";", "worst_items"), on=keys, how="left")

    # Main pollutants: items worse than III, worst class first, then by multiple over III.
    polluting = items[items["k"] > III].assign(rank_multiple=lambda f: f["multiple_iii"].fillna(-np.inf))
    polluting = polluting.sort_values(["k", "rank_multiple", "order"], ascending=[False, False, True])
    top = polluting.groupby(keys, sort=False).head(3)
    top = top.assign(text=with_multiple(top["item"], top["multiple_iii"]))
    table = table.merge(_joined(top, keys, "text", "、", "main_pollutants"), on=keys, how="left")

    exceeding = items[items["target_k"].notna() & (items["k"] > items["target_k"])].copy()
    target_multiple = exceedance_multiple(
        exceeding["parameter"], exceeding["mean"], exceeding["target_k"].to_numpy(dtype=int), exceeding["lake"]
    )
    exceeding["target_multiple"] = target_multiple
    exceeding["text"] = with_multiple(exceeding["item"], exceeding["target_multiple"])
    exceeding["rank_multiple"] = exceeding["target_multiple"].fillna(-np.inf)
    exceeding = exceeding.sort_values(["k", "rank_multiple", "order"], ascending=[False, False, True])
    table = table.merge(_joined(exceeding, keys, "text", "、", "exceeding_items"), on=keys, how="left")
    table["meets_target"] = (table["k"] <= table["target_k"]).where(table["target_k"].notna())

    scored = items[items["parameter"].isin(EVALUATION_ITEMS)]
    scored = scored.assign(cwqi=item_index(scored["parameter"], scored["mean"], scored["lake"].to_numpy()))
    cwqi = scored.groupby(keys).agg(cwqi=("cwqi", "sum"), cwqi_items=("cwqi", "size")).reset_index()
    cwqi["cwqi"] = cwqi["cwqi"].round(4)
    present = scored.pivot_table(index=keys, columns="parameter", values="cwqi", aggfunc="size")
    flags = present.reindex(columns=list(EVALUATION_ITEMS)).isna()
    # pandas-stubs type stack() as a DataFrame; of columns with one level it is a Series
    absent = flags.stack().rename("absent").reset_index()  # type: ignore[call-overload]
    absent = absent[absent["absent"]].assign(item=lambda f: f["parameter"].map(item_name))
    missing = cwqi[keys].merge(_joined(absent, keys, "item", "、", "missing_items"), on=keys, how="left")
    table = table.merge(cwqi, on=keys, how="left").merge(missing, on=keys, how="left")

    by_date = rows.groupby([*keys, "date"])["exceeds"].any().groupby(keys)
    frequency = pd.DataFrame({"n_samples": by_date.size(), "exceed_freq": by_date.mean().round(4)}).reset_index()
    table = table.merge(frequency, on=keys, how="left")
    table["class"] = class_label(table["k"]).to_numpy()
    table["description"] = table["k"].map(dict(enumerate(DESCRIPTIONS)))
    return table


def _no_sample(absent: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Per section-period, the months with a no-sample status and no value, counted by status:
    ``断流 2、冰封 1`` (in the order they first occur)."""
    keys = ["section", "period"]
    sampled = rows.loc[rows["value"].notna(), [*keys, "date"]]
    sampled = sampled.assign(month=sampled["date"].dt.to_period("M"))[[*keys, "month"]].drop_duplicates()
    months = absent.assign(month=absent["date"].dt.to_period("M")).sort_values("date", kind="stable")
    months = months.merge(sampled, on=[*keys, "month"], how="left", indicator=True)
    months = months[months["_merge"].eq("left_only")].drop_duplicates([*keys, "month"])
    counts = months.groupby([*keys, "status"], sort=False).size().rename("n").reset_index()
    counts["text"] = counts["status"] + " " + counts["n"].astype(str)
    return _joined(counts, keys, "text", "、", "no_sample")


def _with_no_sample(table: pd.DataFrame, no_sample: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """The section-period table with ``no_sample``, and a row (no class, no samples) for each
    section-period that has only no-sample months."""
    table = table.merge(no_sample, on=["section", "period"], how="outer")
    new = table["k"].isna() & table["n_samples"].isna()
    if not new.any():
        return table
    for column in ("target", "target_k", "water"):
        table.loc[new, column] = table.loc[new, "section"].map(info[column]).to_numpy()
    table.loc[new, "n_samples"] = 0
    return table


def _joined(frame: pd.DataFrame, keys: list[str], column: str, sep: str, name: str) -> pd.DataFrame:
    """The texts of ``column`` joined with ``sep`` per group, in the frame's order (vectorized:
    one pass per position within the groups, not per group)."""
    if frame.empty:
        return pd.DataFrame({**{k: frame[k] for k in keys}, name: pd.Series(dtype=object)})
    position = frame.groupby(keys, sort=False).cumcount()
    wide = frame.assign(_position=position).pivot(index=keys, columns="_position", values=column)
    joined = wide[0].astype(str)
    for j in wide.columns[1:]:
        more = wide[j].notna()
        joined = joined.where(~more, joined + sep + wide[j].astype(str))
    return joined.rename(name).reset_index()


def with_multiple(names: pd.Series, multiple: pd.Series) -> pd.Series:
    """``氨氮(1.2)`` (two decimals below 0.05); just the name for pH and DO, which carry none."""
    m = multiple.to_numpy(dtype=float)
    digits = np.where(np.abs(m) < 0.05, np.char.mod("%.2f", m), np.char.mod("%.1f", m))
    name = names.to_numpy(dtype=str)
    text = np.where(np.isfinite(m), np.char.add(np.char.add(name, "("), np.char.add(digits, ")")), name)
    return pd.Series(text, index=names.index, dtype=object)


def _year_on_year(frame: pd.DataFrame, base: dict[str, str], keys: list[str], columns: dict[str, str]) -> pd.DataFrame:
    """Add the values of the same period a year earlier as new columns."""
    earlier = frame[[*keys, "period", *columns]].rename(columns={**columns, "period": "base"})
    frame = frame.assign(base=frame["period"].map(base))
    return frame.merge(earlier, on=[*keys, "base"], how="left").drop(columns="base")
