"""A section's trend for its popup: the monthly values of its main pollutants (or COD, NH3-N
and TP when it has none) over a period and the year before, one small panel per item with the
limit of the section's target class, as inline SVG drawn here (no asset, no script).

The SVG text is built for every section at once (vectorized over the monthly values) and
stored per feature; it is the same bytes for the same data, and about 1–1.5 KB a section.
A month's value is the mean of its samples as the evaluation counts them: a value below
detection at half its detection limit. A month whose samples are all below detection is marked
with a grey dot at that value.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geoenv.maps.render import MapError
from geoenv.quality import CLASS_ORDER, Period
from geoenv.quality.standard import limits
from geoenv.quality.values import standard_unit
from geoenv.schema import PARAMETERS

#: The items drawn for a section without main pollutants.
DEFAULT_ITEMS = ("cod", "nh3n", "tp")
WIDTH, PANEL, GAP, LEFT, RIGHT, AXIS = 300, 34, 14, 6, 294, 14
LINE_COLOUR, LIMIT_COLOUR, BELOW_COLOUR = "#1565C0", "#C62828", "#888"
_NAMES = {name: code for code, (name, _) in PARAMETERS.items()}
_FORBIDDEN = re.compile(r"<(?!/?(?:svg|path|text)[\s>/])|\son\w*\s*=|href|javascript:", re.IGNORECASE)


def trend_items(main_pollutants: pd.Series) -> pd.Series:
    """The item codes to draw per section: those named in ``main_pollutants`` (``氨氮(1.2)、总磷(0.5)``,
    in its order), or :data:`DEFAULT_ITEMS` where it names none."""
    names = main_pollutants.fillna("").astype(str).str.split("、").explode()
    codes = names.str.replace(r"\(.*\)$", "", regex=True).map(_NAMES).dropna()
    items = codes.groupby(level=0).agg(tuple)
    return items.reindex(main_pollutants.index).map(lambda t: t if isinstance(t, tuple) else DEFAULT_ITEMS)


def section_trends(measurements: pd.DataFrame, sections: pd.DataFrame, period: Period) -> pd.Series:
    """The trend SVG of each section that has values of its items in ``period`` or the year
    before, by section code.

    Parameters
    ----------
    measurements
        ``section, date, parameter, value, below_dl`` (values in the standard's units, below
        detection at half the limit: the measurements layer).
    sections
        ``code``, ``target_class`` (class III where none), ``main_pollutants`` and optionally
        ``water`` (``lake`` for the lake limits of total phosphorus).
    period
        The period; its year before is drawn to its left.
    """
    start = period.year_before().start
    months = pd.period_range(start, period.end, freq="M")
    wanted = sections.assign(code=sections["code"].astype(str))
    items = trend_items(wanted["main_pollutants"] if "main_pollutants" in wanted else pd.Series(None, wanted.index))
    wanted = wanted.assign(parameter=items).explode("parameter")
    wanted["slot"] = wanted.groupby("code").cumcount()
    rows = measurements[measurements["value"].notna() & measurements["date"].between(start, period.end)]
    rows = rows.assign(section=rows["section"].astype(str), month=rows["date"].dt.to_period("M"))
    monthly = (
        rows.groupby(["section", "parameter", "month"])
        .agg(value=("value", "mean"), below=("below_dl", "all"))
        .reset_index()
        .rename(columns={"section": "code"})
        .merge(wanted[["code", "parameter", "slot"]], on=["code", "parameter"])
    )
    if monthly.empty:
        return pd.Series(dtype=object)
    info = wanted.drop_duplicates("code").set_index("code")
    target = info["target_class"].map({c: i for i, c in enumerate(CLASS_ORDER)}) if "target_class" in info else None
    target_k = (target if target is not None else pd.Series(np.nan, index=info.index)).fillna(2).clip(upper=4)
    lake = info["water"].eq("lake") if "water" in info else pd.Series(False, index=info.index)

    panels = monthly.groupby(["code", "parameter"], sort=False).agg(slot=("slot", "first"), top=("value", "max"))
    panels = panels.reset_index()
    k = target_k.reindex(panels["code"]).to_numpy(dtype=int)
    panels["limit"] = limits(panels["parameter"], lake.reindex(panels["code"]).to_numpy())[np.arange(len(k)), k]
    panels["top"] = np.fmax(panels["top"], panels["limit"]) * 1.15
    panels["top"] = panels["top"].where(panels["top"] > 0, 1.0)
    # panels are numbered from the top in the order of their items
    panels["row"] = panels.sort_values(["code", "slot"]).groupby("code").cumcount()
    panels["y0"] = AXIS + panels["row"] * (PANEL + GAP)

    monthly = monthly.merge(panels[["code", "parameter", "top", "y0"]], on=["code", "parameter"])
    step = (RIGHT - LEFT) / max(len(months) - 1, 1)
    month = monthly["month"].dt
    slot = ((month.year - months[0].year) * 12 + month.month - months[0].month).to_numpy()
    x = np.round(LEFT + slot * step).astype(int)
    y = np.round(monthly["y0"] + PANEL * (1 - monthly["value"] / monthly["top"])).astype(int)
    monthly["xy"] = pd.Series(x, index=monthly.index).astype(str) + "," + y.astype(str)
    monthly = monthly.sort_values(["code", "parameter", "month"], kind="stable")
    keys = ["code", "parameter"]
    line = monthly.groupby(keys, sort=False)["xy"].agg(" ".join)
    hollow = monthly[monthly["below"]].groupby(keys, sort=False)["xy"].agg(lambda p: "h0M".join(p) + "h0")
    panels = panels.join(line.rename("line"), on=keys).join(hollow.rename("hollow"), on=keys)

    y_limit = (panels["y0"] + PANEL * (1 - panels["limit"].fillna(0) / panels["top"])).round().astype(int).astype(str)
    label = panels["parameter"].map({c: f"{name} {standard_unit(c)}".rstrip() for c, (name, _) in PARAMETERS.items()})
    limit_class = target_k.reindex(panels["code"]).map(dict(enumerate(CLASS_ORDER))).to_numpy()
    limit_text = pd.Series(limit_class, index=panels.index) + "类限值 " + panels["limit"].map(_number)
    has_limit = panels["limit"].notna()
    text_y = (panels["y0"] - 2).astype(str)
    svg = (
        f'<text x="{LEFT}" y="' + text_y + '">' + label + "</text>"
        + (f'<path stroke="{LIMIT_COLOUR}" stroke-dasharray="4 3" d="M{LEFT},' + y_limit
           + f'H{RIGHT}"/><text text-anchor="end" fill="{LIMIT_COLOUR}" x="{RIGHT}" y="' + text_y + '">'
           + limit_text + "</text>").where(has_limit, "")
        + f'<path stroke="{LINE_COLOUR}" fill="none" d="M' + panels["line"] + '"/>'
        + (f'<path stroke="{BELOW_COLOUR}" stroke-width="5" stroke-linecap="round" d="M'
           + panels["hollow"].fillna("") + '"/>').where(panels["hollow"].notna(), "")
    )  # fmt: skip
    panels["svg"] = svg
    body = panels.sort_values(["code", "row"]).groupby("code", sort=True).agg(svg=("svg", "".join), n=("row", "size"))
    height = AXIS + body["n"] * (PANEL + GAP) + 4
    split = round(LEFT + len(months[months < pd.Period(period.start, freq="M")]) * step - step / 2)
    axis = (
        f'<path stroke="#bbb" d="M{split},{AXIS - 12}V' + (height - 12).astype(str) + '"/>'
        f'<text fill="#777" x="{LEFT}" y="' + height.astype(str) + f'">{period.year_before().label}</text>'
        f'<text fill="#777" text-anchor="end" x="{RIGHT}" y="' + height.astype(str) + f'">{period.label}</text>'
    )
    head = (
        f'<svg width="{WIDTH}" height="' + (height + 2).astype(str) + '" font-size="10">'
    )  # fmt: skip
    return (head + body["svg"] + axis + "</svg>").rename(None)


def check_trends(trends: pd.Series) -> None:
    """Refuse trend texts that are not the plain SVG :func:`section_trends` draws (they reach
    the page unescaped).

    Raises
    ------
    MapError
        Naming the first section whose trend has another tag, an event handler or a link.
    """
    text = trends.dropna().astype(str)
    bad = text[text.str.contains(_FORBIDDEN) | ~text.str.startswith("<svg ")]
    if len(bad):
        raise MapError(f"section {bad.index[0]}: its trend is not an SVG drawn by geoenv.maps.trend")


def _number(value: float) -> str:
    return "" if pd.isna(value) else f"{value:g}"
