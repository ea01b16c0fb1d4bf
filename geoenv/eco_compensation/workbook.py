"""The accounts as the bureau's workbook: ``生态补偿.xlsx`` (sheets 断面月度核算, 奖励, 单位月度,
年度汇总, 规则) and the same tables as CSVs beside it, written as one set."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geoenv.eco_compensation.accounts import REWARD_WORDS, Accounts
from geoenv.eco_compensation.rules import Rules
from geoenv.io.write import SheetLayout, Writer, csv_writer, sibling, xlsx_writer
from geoenv.quality import Period, item_name
from geoenv.tables import Names, bureau_table, header, labelled

SHEETS = {"sections": "断面月度核算", "rewards": "奖励", "units": "单位月度", "year": "年度汇总", "rules": "规则"}
TITLE = "跨界断面生态补偿核算"
LEVEL_WORDS = {"county": "区县", "city": "地市"}
TOTAL = {"zh": "合计", "en": "total"}
ILLUSTRATIVE_NOTE = "注：规则含示意金额（非公开方案所载），仅供演示，须按现行方案核对"
JUDGE_WORDS = {
    "outflow": "出境断面（无则入境断面）",
    "inflow": "入境断面（无则出境断面）",
    "both": "出境、入境断面各计",
}
#: ``unit`` of the accounts is the unit judged (charged or rewarded), not a measurement's unit;
#: ``section`` is written ``名称 (CODE)``.
HEADERS = {"unit": "责任区域", "value": "月均值(mg/L)", "section": "断面"}


def rules_table(rules: Rules, lang: str = "zh") -> pd.DataFrame:
    """The sheet naming the rule file, the scheme, its source, notes and tiers (keys in
    English with ``lang="en"``)."""
    rows = [("规则文件", "file", rules.file), ("方案", "scheme", rules.name), ("来源", "source", rules.source),
            ("考核指标", "items", "、".join(map(item_name, rules.items))),
            ("考核标准", "standard", "断面水质目标类别限值" if rules.standard == "target" else
             "、".join(f"{item_name(k)} {v:g} mg/L" for k, v in rules.concentrations.items())),
            ("指标合计方式", "combine", "各指标相加" if rules.combine == "sum" else "取最差指标"),
            ("每个交界的考核断面", "judge", JUDGE_WORDS[rules.judge]),
            *((f"扣缴第{t.number}档", f"tier {t.number}", t.text()) for t in rules.tiers),
            ("奖励：连续3个月达标（每满3个月一次）", "three_months_wan", f"{rules.rewards.three_months_wan:g}万元"),
            ("奖励：全年达标", "whole_year_wan", f"{rules.rewards.whole_year_wan:g}万元"),
            ("奖励：同比由不达标改善为达标", "improved_to_meeting_wan",
             f"{rules.rewards.improved_to_meeting_wan:g}万元"),
            ("奖励：达标且同比提升水质类别", "class_better_wan", f"{rules.rewards.class_better_wan:g}万元"),
            *(("说明", "note", note) for note in rules.notes)]  # fmt: skip
    if rules.illustrative:
        rows.append(("示意金额", "illustrative", ILLUSTRATIVE_NOTE))
    table = pd.DataFrame(rows, columns=["zh", "en", "text"])
    return table.assign(key=table[lang])[["key", "text"]]


def with_total(year: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The year's table with a 合计 row below the units."""
    total = year[["deductions_wan", "rewards_wan", "net_wan"]].sum().round(4)
    return pd.concat([year, pd.DataFrame([{"unit": TOTAL[lang], **total}])], ignore_index=True)


def compensation_files(
    result: Accounts,
    output: Path,
    *,
    period: Period,
    units: str = "county",
    names: Names | None = None,
    lang: str = "zh",
) -> dict[Path, Writer]:
    """``output`` (an XLSX) and ``OUT.sections.csv``, ``OUT.rewards.csv``, ``OUT.units.csv``,
    ``OUT.year.csv``, ``OUT.rules.csv`` beside it, for :func:`geoenv.io.write.write_files`.
    Sections are written ``名称 (CODE)``; every sheet's title names the year, the level
    (``units``: 区县 or 地市) and the scheme, and, when the rules hold illustrative amounts, says
    so. With ``lang="en"`` the library's columns and values (reward keys, parameter codes)."""
    label = (lambda code: labelled(code, names)) if names is not None else (lambda code: code)
    rewards = result.rewards.assign(section=result.rewards["section"].map(label))
    sections = result.sections.assign(section=result.sections["section"].map(label))
    if lang == "zh":
        rewards = rewards.assign(reward=rewards["reward"].map(REWARD_WORDS))
    else:
        sections = sections.drop(columns=["item"])
    tables = {
        "sections": sections,
        "rewards": rewards,
        "units": result.units,
        "year": with_total(result.year, lang),
        "rules": rules_table(result.rules, lang),
    }
    shown = {key: bureau_table(table, lang, headers=HEADERS) for key, table in tables.items()}
    files: dict[Path, Writer] = {sibling(output, f".{key}.csv"): csv_writer(t) for key, t in shown.items()}
    year, scheme = period.start.year, result.rules.name
    if lang == "zh":
        note = f" {ILLUSTRATIVE_NOTE}" if result.rules.illustrative else ""
        titles = {k: f"{year}年 {TITLE}（{LEVEL_WORDS[units]}） {SHEETS[k]} 方案：{scheme}{note}" for k in tables}
    else:
        note = " (the rules hold illustrative amounts)" if result.rules.illustrative else ""
        titles = {k: f"{year} compensation accounts by {units}: {k}; scheme: {scheme}{note}" for k in tables}
    sheet = {k: SHEETS[k] if lang == "zh" else k for k in tables}
    cells = {k: bureau_table(t, lang, headers=HEADERS, ratios_as_text=False) for k, t in tables.items()}
    share = {header("share", lang): "0.0%"}
    files[output] = xlsx_writer(
        {sheet[k]: t for k, t in cells.items()}, {sheet[k]: SheetLayout(titles[k], share) for k in tables}
    )
    return files
