"""Water quality of a river, county, city or all sections: 优良比例, 劣V share, rating, CWQI.

Ratings follow 《地表水环境质量评价办法（试行）》(环办〔2011〕22号): with the share of sections in
classes I–III, 优 ≥ 90 %; 良好 75–90 %; below 75 %: 轻度污染 when 劣V < 20 %, 中度污染 when
20 % ≤ 劣V < 40 %, 重度污染 when 劣V ≥ 40 %. A river with fewer than five sections is rated by
the class of the mean of each item over its sections, as a single section is. Groups are
ranked by CWQI ascending (the mean of their sections', smaller is cleaner).

Main pollutants follow the same rule as the rating: a group rated by the class of its means
names the items whose mean is worse than III as a section does (worst class first, then the
exceedance multiple of the mean over the class-III limit, ``氨氮(1.5)``); a group rated by its
class shares ranks the items by the share of its sections in which they are worse than III,
then by the worst class an item reaches in any of them, then by its largest multiple over III
(``氨氮(40%)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geoenv.quality.evaluate import Evaluation, item_name, with_multiple
from geoenv.quality.standard import (
    DESCRIPTIONS,
    EVALUATION_ITEMS,
    III,
    class_index,
    class_label,
    classify,
    exceedance_multiple,
)

GROUPS = ("river", "county", "city", "all")
MIN_SECTIONS_FOR_RATIO = 5
ALL = "全部"
GROUP_COLUMNS = [
    "group", "period", "n_sections", "good_ratio", "worse_than_v_ratio", "rating", "rated_by",
    "class_of_means", "main_pollutants", "cwqi", "cwqi_rank",
]  # fmt: skip


def rating(n_good: ArrayLike, n_worse_than_v: ArrayLike, n: ArrayLike) -> np.ndarray:
    """The method's rating from section counts (exact at the 90/75/20/40 % edges)."""
    n_good, bad, n = (np.asarray(a, dtype=np.int64) for a in (n_good, n_worse_than_v, n))
    return np.select(
        [10 * n_good >= 9 * n, 4 * n_good >= 3 * n, 5 * bad < n, 5 * bad < 2 * n],
        ["优", "良好", "轻度污染", "中度污染"],
        "重度污染",
    )


def aggregate(evaluation: Evaluation, sections: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per group and period (:data:`GROUP_COLUMNS`).

    Parameters
    ----------
    evaluation
        From :func:`geoenv.quality.evaluate.evaluate`.
    sections
        Sections with ``code`` and the ``river``, ``county`` or ``city`` to group by.
    by
        river, county, city or all.
    """
    keys = ["group", "period"]
    table = evaluation.sections.dropna(subset=["class"])
    if by == "all":
        group = pd.Series(ALL, index=sections["code"].astype(str))
    else:
        group = sections.set_index(sections["code"].astype(str))[by].fillna("").astype(str)
    table = table.assign(group=table["section"].map(group), k=class_index(table["class"]))
    table = table[table["group"].fillna("").ne("")]
    result = table.groupby(keys).agg(
        n_sections=("section", "size"),
        n_good=("k", lambda k: int((k <= III).sum())),
        n_bad=("k", lambda k: int((k == 5).sum())),
        cwqi=("cwqi", "mean"),
    )
    result = result.reset_index()
    n = result["n_sections"]
    result["good_ratio"] = (result["n_good"] / n).round(4)
    result["worse_than_v_ratio"] = (result["n_bad"] / n).round(4)
    result["rating"] = rating(result["n_good"], result["n_bad"], n)
    result["rated_by"] = "ratio"
    result["cwqi"] = result["cwqi"].round(4)
    result["cwqi_rank"] = result.groupby("period")["cwqi"].rank(method="min").astype("Int64")

    items = evaluation.items.assign(group=evaluation.items["section"].map(group))
    items = items[items["parameter"].isin(EVALUATION_ITEMS) & items["group"].fillna("").ne("")]
    means = items.groupby([*keys, "parameter"])["mean"].mean().reset_index()
    means["k"] = classify(means["parameter"], means["mean"].to_numpy())
    result = result.merge(means.groupby(keys)["k"].max().rename("k_means").reset_index(), on=keys, how="left")
    result["class_of_means"] = class_label(result["k_means"].fillna(-1)).to_numpy()
    if by == "river":
        few = result["n_sections"] < MIN_SECTIONS_FOR_RATIO
        result.loc[few, "rating"] = result.loc[few, "k_means"].map(dict(enumerate(DESCRIPTIONS)))
        result.loc[few, "rated_by"] = "class_of_means"
    by_means = result.loc[result["rated_by"] == "class_of_means", keys]
    shares = _main_pollutants(items, keys)
    of_means = _main_pollutants_of_means(means.merge(by_means, on=keys), keys)
    shares = shares.merge(by_means, on=keys, how="left", indicator=True)
    shares = shares[shares.pop("_merge") == "left_only"]
    result = result.merge(pd.concat([shares, of_means], ignore_index=True), on=keys, how="left")
    return result.reindex(columns=GROUP_COLUMNS).sort_values(keys, kind="stable").reset_index(drop=True)


def _main_pollutants(items: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Up to three items by the share of the group's sections in which they are worse than III,
    written ``氨氮(40%)``; of items with the same share, the one reaching the worst class in a
    section first (氨氮 in 劣V before 溶解氧 in IV), then the one with the largest multiple over
    III in a section, then in the order of the standard."""
    worse = items.assign(k=class_index(items["class"]), multiple=items["multiple_iii"].astype(float).fillna(-np.inf))
    worse = worse.assign(worse=worse["k"] > III)
    n = worse.groupby(keys)["section"].nunique().rename("n")
    share = (
        worse[worse["worse"]]
        .groupby([*keys, "parameter"])
        .agg(count=("section", "nunique"), worst=("k", "max"), multiple=("multiple", "max"))
        .reset_index()
    )
    share = share.join(n, on=keys)
    share["share"] = share["count"] / share["n"]
    share["order"] = share["parameter"].map({c: i for i, c in enumerate(EVALUATION_ITEMS)})
    share = share.sort_values(
        [*keys, "share", "worst", "multiple", "order"], ascending=[*(True,) * len(keys), False, False, False, True]
    )
    top = share.groupby(keys).head(3)
    top = top.assign(text=[f"{item_name(p)}({s:.0%})" for p, s in zip(top["parameter"], top["share"], strict=True)])
    return top.groupby(keys)["text"].agg("、".join).rename("main_pollutants").reset_index()


def _main_pollutants_of_means(means: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Up to three items whose group mean (``means``: keys, parameter, mean, class index ``k``)
    is worse than III, as for one section: worst class first, then the multiple of the mean
    over the class-III limit (``氨氮(1.5)``; pH and DO carry none), then the standard's order."""
    worse = means[means["k"] > III]
    worse = worse.assign(
        multiple=exceedance_multiple(worse["parameter"], worse["mean"].to_numpy(), III),
        order=worse["parameter"].map({c: i for i, c in enumerate(EVALUATION_ITEMS)}),
    )
    worse = worse.assign(rank=worse["multiple"].fillna(-np.inf)).sort_values(
        [*keys, "k", "rank", "order"], ascending=[*(True,) * len(keys), False, False, True]
    )
    top = worse.groupby(keys).head(3)
    top = top.assign(main_pollutants=with_multiple(top["parameter"].map(item_name), top["multiple"]))
    if top.empty:
        return pd.DataFrame(columns=[*keys, "main_pollutants"])
    return top.groupby(keys)["main_pollutants"].agg("、".join).reset_index()
