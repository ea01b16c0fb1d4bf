"""Monthly compensation accounts (生态补偿核算): each assessed section's monthly value of each
item against its standard, the tier and amount deducted, the rewards, and the totals of the
units whose water the sections judge.

Who pays or receives is the unit whose water a section judges: for an inflow section (入境) of
unit B at a crossing from A, A; for an outflow section (出境), the unit it lies in, whose water
leaves there. Each crossing is assessed once: by the rule's ``judge`` section (``outflow``, the
default, as Shanxi judges the water a city hands on; ``inflow``), the other when that one is
missing, or by both (``both``). For any other assessed section (a river from beyond the counties layer, or a
section at no crossing) the rule's ``no_upstream`` says (``own``: the unit it lies in;
``skip``: not assessed). A month with no value of an item deducts nothing for it; a month
without every item measured earns no reward credit and breaks a run of months kept (written
无监测数据, or the register's remark: 断流, 冰封). Classes compared with last year are the worst
class of the assessed items only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoenv.eco_compensation.rules import Rules
from geoenv.quality.evaluate import item_name
from geoenv.quality.standard import CLASS_ORDER, LIMITS, classify
from geoenv.tables import sort_natural

OUTSIDE = "区域外"
"""The unit beyond the counties layer (``geoenv.borders.OUTSIDE``)."""
NO_DATA = "无监测数据"
SECTION_COLUMNS = ["section", "unit", "share", "month", "parameter", "item", "value", "limit", "multiple", "tier",
                   "amount_wan", "rule"]  # fmt: skip
REWARD_COLUMNS = ["section", "unit", "share", "month", "reward", "amount_wan", "basis"]
UNIT_COLUMNS = ["unit", "month", "deductions_wan", "rewards_wan", "net_wan"]
#: The ``reward`` keys of :attr:`Accounts.rewards` in Chinese.
REWARD_WORDS = {
    "three_months": "连续3个月达标", "whole_year": "全年达标",
    "improved_to_meeting": "同比由不达标改善为达标", "class_better": "达标且同比提升水质类别",
}  # fmt: skip


@dataclass(frozen=True)
class Accounts:
    """A year's accounts.

    Attributes
    ----------
    sections
        :data:`SECTION_COLUMNS`: one row per section, unit judged, month and item (``share``
        of the amount when the section judges several units).
    rewards
        :data:`REWARD_COLUMNS`: one row per reward earned, with what earned it.
    units
        :data:`UNIT_COLUMNS`: per unit and month, in 万元 (net = rewards − deductions).
    year
        Per unit over the year: ``unit, deductions_wan, rewards_wan, net_wan``; the units no
        section judges with 0 (``unassessed``).
    rules
        The rules applied.
    unassessed
        The units of ``every_unit`` (:func:`accounts`) that no assessed section judges.
    """

    sections: pd.DataFrame
    rewards: pd.DataFrame
    units: pd.DataFrame
    year: pd.DataFrame
    rules: Rules
    unassessed: list[str] = field(default_factory=list)


def _shared(rows: pd.DataFrame, column: str) -> pd.Series:
    """``column``'s text, saying the share where a section judges several units and each pays
    or receives a part (``…；按 1/2 分摊``)."""
    parts = (1 / rows["share"]).round().astype(int)
    return rows[column].where(rows["share"] >= 1, rows[column] + "；本断面同时考核 " + parts.astype(str)
                              + " 个单位，各按 1/" + parts.astype(str) + " 分摊")  # fmt: skip


def judged_units(
    table: pd.DataFrame, assessed: Mapping[str, str], no_upstream: str, judge: str = "outflow"
) -> pd.DataFrame:
    """Whose water each assessed section judges: ``section, unit, share``.

    Parameters
    ----------
    table
        The crossings' sections: ``section, unit, role, crossing, other_unit`` (role
        ``inflow``: ``other_unit`` is the unit upstream whose water enters; ``outflow``: the
        section judges the water its own ``unit`` hands on).
    assessed
        Section code → the unit it lies in, for every assessed section.
    no_upstream
        ``own`` (the unit it lies in) or ``skip``, for a section at no crossing between units
        (or an inflow section from beyond the counties layer).
    judge
        Which section assesses a crossing A → B, so that each crossing is assessed once:
        ``outflow`` A's outflow section (B's inflow section when A has none assessed there),
        ``inflow`` B's inflow section (A's outflow section when B has none), ``both`` every
        section at the crossing (A is then judged twice there).
    """
    rows = table[table["section"].isin(list(assessed))]
    inflow = rows["role"] == "inflow"
    rows = rows.assign(payer=rows["other_unit"].where(inflow, rows["unit"]).fillna("").astype(str))
    rows = rows[~(inflow & rows["payer"].isin(["", OUTSIDE]))]
    if judge != "both":
        preferred = rows["role"] == judge
        has_preferred = preferred.groupby(rows["crossing"]).transform("any")
        used = rows[preferred | ~has_preferred]
    else:
        used = rows
    upstream = used[["section", "payer"]].rename(columns={"payer": "unit"}).drop_duplicates()
    at_crossing = set(rows["section"])
    rest = [c for c in assessed if c not in at_crossing and no_upstream == "own"]
    own = pd.DataFrame({"section": rest, "unit": [assessed[c] for c in rest]})
    judged = pd.concat([upstream, own], ignore_index=True)
    judged = judged[judged["unit"].fillna("").astype(str) != ""]
    share = 1.0 / judged.groupby("section")["unit"].transform("size")
    return judged.assign(share=share.round(6)).reset_index(drop=True)


def accounts(
    rules: Rules,
    judged: pd.DataFrame,
    monthly: pd.DataFrame,
    *,
    year: int,
    targets: Mapping[str, str] | None = None,
    remarks: pd.DataFrame | None = None,
    every_unit: Sequence[str] = (),
) -> Accounts:
    """The accounts of ``year``.

    Parameters
    ----------
    judged
        From :func:`judged_units`.
    monthly
        Monthly mean concentration per ``section, month`` (``2024-01``), ``parameter``,
        ``mean``, for ``year`` and the year before (the base of the improvement rewards).
    targets
        Section code → target class (I–V), for ``standard = "target"``.
    remarks
        ``section, month, remark``: why a month has no sample (断流, 冰封).
    every_unit
        The units the year's table lists even when no section judges them (with 0).
    """
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    items = rules.items
    codes = list(dict.fromkeys(judged["section"]))
    means = monthly[monthly["parameter"].isin(items)].set_index(["section", "month", "parameter"])["mean"]
    grid = pd.MultiIndex.from_product([codes, months, items], names=["section", "month", "parameter"]).to_frame(
        index=False
    )
    grid["value"] = means.reindex(pd.MultiIndex.from_frame(grid)).to_numpy(dtype=float)
    grid["limit"] = _standards(rules, grid, targets or {})
    exact = ((grid["value"] - grid["limit"]) / grid["limit"]).to_numpy(dtype=float)
    tiers = [rules.tier(m) if np.isfinite(m) else None for m in exact]
    grid["multiple"] = exact.round(4)  # for display: tiers and meeting are judged unrounded
    grid["tier"] = [t.number if t else 0 for t in tiers]
    grid["amount_wan"] = [round(t.amount(m), 4) if t else 0.0 for t, m in zip(tiers, exact, strict=True)]
    grid["rule"] = [_rule_text(t, m, s) for t, m, s in zip(tiers, exact, grid["limit"], strict=True)]
    said = _remarks(remarks)
    missing = grid["value"].isna()
    grid.loc[missing, "rule"] = [said.get((s, m), NO_DATA) for s, m in zip(grid["section"][missing],
                                 grid["month"][missing], strict=True)]  # fmt: skip
    if rules.combine == "worst":
        worst = grid.groupby(["section", "month"])["amount_wan"].transform("idxmax")
        dropped = (grid.index != worst) & (grid["amount_wan"] > 0)
        grid.loc[dropped, "rule"] = grid.loc[dropped, "rule"] + "（取最差指标计扣，本项不计）"
        grid.loc[dropped, "amount_wan"] = 0.0
    grid["tier"] = grid["tier"].astype(int)
    grid["item"] = grid["parameter"].map(item_name)

    state = _monthly_state(grid, monthly, targets or {}, rules, year)
    rewards = _rewards(rules, state, months)
    rows = judged.merge(grid, on="section")
    rows = rows.assign(amount_wan=(rows["amount_wan"] * rows["share"]).round(4), rule=_shared(rows, "rule"))
    earned = judged.merge(rewards, on="section")
    earned = earned.assign(amount_wan=(earned["amount_wan"] * earned["share"]).round(4),
                           basis=_shared(earned, "basis"))  # fmt: skip
    units = sort_natural(_unit_months(rows, earned, judged, months), ["unit", "month"])
    year_table = units.groupby("unit", sort=False)[["deductions_wan", "rewards_wan", "net_wan"]].sum().round(4)
    unassessed = [u for u in dict.fromkeys(every_unit) if u not in year_table.index]
    year_table = pd.concat([year_table, pd.DataFrame(0.0, index=unassessed, columns=year_table.columns)])
    return Accounts(
        sections=rows.reindex(columns=SECTION_COLUMNS),
        rewards=earned.reindex(columns=REWARD_COLUMNS),
        units=units,
        year=sort_natural(year_table.rename_axis("unit").reset_index(), ["unit"]),
        rules=rules,
        unassessed=unassessed,
    )


def _standards(rules: Rules, grid: pd.DataFrame, targets: Mapping[str, str]) -> np.ndarray:
    """Each row's standard: the given concentration of its item, or the limit of its
    section's target class (NaN for a section without a target)."""
    if rules.standard == "given":
        return grid["parameter"].map(rules.concentrations).to_numpy(dtype=float)
    index = grid["section"].map({c: CLASS_ORDER.index(t) for c, t in targets.items() if t in CLASS_ORDER[:5]})
    table = np.array([LIMITS[p] for p in grid["parameter"]], dtype=float)
    k = index.fillna(-1).to_numpy(dtype=int)
    return np.where(k >= 0, table[np.arange(len(grid)), np.clip(k, 0, 4)], np.nan)


def _rule_text(tier: object, multiple: float, standard: float) -> str:
    if not np.isfinite(standard):
        return "无考核标准（断面无水质目标）"
    if tier is not None:
        return tier.text()  # type: ignore[attr-defined]
    if not (multiple > 0):
        return "达标，不扣缴"
    shown = f"{round(multiple, 4):g}" if round(multiple, 4) > 0 else "不足0.0001"
    return f"超标{shown}倍，在扣缴起点以下，不扣缴"


def _remarks(remarks: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    if remarks is None or remarks.empty:
        return {}
    shown = remarks["remark"].fillna("").astype(str).str.replace(r"\s*\d+", "", regex=True)
    return {(s, m): r for s, m, r in zip(remarks["section"], remarks["month"], shown, strict=True) if r}


def _monthly_state(
    grid: pd.DataFrame, monthly: pd.DataFrame, targets: Mapping[str, str], rules: Rules, year: int
) -> pd.DataFrame:
    """Per section and month: ``measured`` (every item), ``meets``, ``k`` (worst class index of
    the items) this year and the same month a year before (``_prev``)."""
    now = _state(grid)
    base = monthly[monthly["parameter"].isin(rules.items) & monthly["section"].isin(set(grid["section"]))]
    base = base[base["month"].str.startswith(f"{year - 1}-")]
    before = grid[["section", "month", "parameter", "limit"]].assign(
        prev_month=grid["month"].str.replace(str(year), str(year - 1), n=1)
    )
    before = before.merge(base.rename(columns={"month": "prev_month", "mean": "value"}),
                          on=["section", "prev_month", "parameter"], how="left")  # fmt: skip
    return now.join(_state(before).add_suffix("_prev"))


def _state(grid: pd.DataFrame) -> pd.DataFrame:
    values = grid["value"].to_numpy(dtype=float)
    frame = grid[["section", "month"]].assign(
        measured=~np.isnan(values) & np.isfinite(grid["limit"].to_numpy(dtype=float)),
        ok=values <= grid["limit"].to_numpy(dtype=float),
        k=classify(grid["parameter"], values).astype(int),
    )
    state = frame.groupby(["section", "month"], sort=False).agg(measured=("measured", "all"), ok=("ok", "all"),
                                                                 k=("k", "max"))  # fmt: skip
    state["meets"] = state["measured"] & state["ok"]
    return state[["measured", "meets", "k"]]


def _rewards(rules: Rules, state: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """Rewards per section: 3 months kept in a row (credited in the third, then counted
    afresh), the whole year kept (credited in December), and against the same month last year
    improved to meeting, or meeting and a class better."""
    r = rules.rewards
    found = []
    for section, rows in state.groupby(level="section", sort=False):
        by_month = rows.droplevel("section").reindex(months).to_dict("index")
        run: list[str] = []
        for month in months:
            s = by_month[month]
            run = [*run, month] if s["meets"] else []
            if r.three_months_wan and len(run) == 3:
                found.append((section, month, "three_months", r.three_months_wan, f"{run[0]}~{run[-1]} 达标"))
                run = []
            if not (s["meets"] and s["measured_prev"]):
                continue
            was = f"上年同月 {CLASS_ORDER[int(s['k_prev'])]}类 → {CLASS_ORDER[int(s['k'])]}类"
            if r.improved_to_meeting_wan and not s["meets_prev"]:
                found.append(
                    (section, month, "improved_to_meeting", r.improved_to_meeting_wan, f"{was}，由不达标到达标")
                )
            elif r.class_better_wan and s["meets_prev"] and s["k"] < s["k_prev"]:
                found.append((section, month, "class_better", r.class_better_wan, was))
        if r.whole_year_wan and all(by_month[m]["meets"] for m in months):
            found.append((section, months[-1], "whole_year", r.whole_year_wan, f"{months[0]}~{months[-1]} 每月达标"))
    return pd.DataFrame(found, columns=["section", "month", "reward", "amount_wan", "basis"])


def _unit_months(rows: pd.DataFrame, earned: pd.DataFrame, judged: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    units = list(dict.fromkeys(judged["unit"]))
    grid = pd.MultiIndex.from_product([units, months], names=["unit", "month"])
    deductions = rows.groupby(["unit", "month"])["amount_wan"].sum().reindex(grid, fill_value=0.0)
    rewards = earned.groupby(["unit", "month"])["amount_wan"].sum().reindex(grid, fill_value=0.0)
    table = pd.DataFrame(
        {"deductions_wan": deductions.astype(float).round(4), "rewards_wan": rewards.astype(float).round(4)}
    )
    table["net_wan"] = (table["rewards_wan"] - table["deductions_wan"]).round(4)
    return table.reset_index()[UNIT_COLUMNS]
