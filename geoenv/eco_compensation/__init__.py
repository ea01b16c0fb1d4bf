"""Cross-border section compensation (跨界断面生态补偿): rule files (:mod:`.rules`), the monthly
accounts (:mod:`.accounts`), and their workbook (:mod:`.workbook`).

Examples
--------
>>> from geoenv import datasets
>>> rules = load_rules(datasets.get_path("shanxi_2013_rules"))
>>> rules.items, [t.amount_wan for t in rules.tiers][::4], rules.illustrative
(('cod', 'nh3n'), [50.0, 300.0], True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geoenv.borders import section_units
from geoenv.eco_compensation.accounts import Accounts, accounts, judged_units
from geoenv.eco_compensation.rules import Rules, Tier, load_rules, parse_rules
from geoenv.errors import InputError, Problem

if TYPE_CHECKING:
    from geoenv.borders import Crossings
    from geoenv.project import Project
    from geoenv.quality import Period


def crossing_sections(crossings: Crossings) -> pd.DataFrame:
    """``section, unit, role, crossing, other_unit`` per section watching a crossing
    (``Crossings.sections``)."""
    return crossings.sections[["section", "unit", "role", "crossing", "other_unit"]]


def project_accounts(project: Project, rules: Rules, period: Period, units: str) -> Accounts:
    """The accounts of the year ``period`` for the sections ``rules`` assess on ``project``,
    by county or city (``units``)."""
    from geoenv.answers import crossings  # the answers import this module

    sections = project.basin.sections
    codes = sections["code"].astype(str)
    lies_in = pd.Series(section_units(project.basin, project["counties"], units), index=sections.index)
    own = dict(zip(codes, lies_in.fillna("").astype(str), strict=True))
    found = crossings(project, units=units)
    table = crossing_sections(found)
    if rules.sections == "borders":
        wanted = list(dict.fromkeys(table["section"].astype(str)))
    elif rules.sections == "listed":
        unknown = [c for c in rules.codes if c not in own]
        if unknown:
            raise InputError(Problem(f"codes: no section {', '.join(map(repr, unknown))} in the sections register",
                                     file=rules.file, where="[assess]"))  # fmt: skip
        wanted = list(rules.codes)
    else:
        level = sections["level"].astype(str) if "level" in sections else pd.Series("", index=sections.index)
        wanted = codes[level.isin(rules.levels).to_numpy()].tolist()
    judged = judged_units(table, {c: own.get(c, "") for c in wanted}, rules.no_upstream, rules.judge)
    evaluated = project.quality(by="month")
    years = sorted({str(m)[:4] for m in evaluated.items["period"]})
    if str(period.start.year) not in years:
        raise InputError(f"no measurements in {period.start.year}: the measurements have data in "
                         f"{', '.join(years) if years else 'no year'}")  # fmt: skip
    monthly = evaluated.items[["section", "period", "parameter", "mean"]].rename(columns={"period": "month"})
    remarks = evaluated.sections[["section", "period", "no_sample"]].rename(
        columns={"period": "month", "no_sample": "remark"}
    )
    targets = dict(zip(codes, sections["target_class"].astype(object), strict=True))
    return accounts(rules, judged, monthly, year=period.start.year, targets=targets, remarks=remarks,
                    every_unit=found.units["unit"].tolist())  # fmt: skip


__all__ = ["Accounts", "Rules", "Tier", "accounts", "crossing_sections", "judged_units", "load_rules",
           "parse_rules", "project_accounts"]  # fmt: skip
