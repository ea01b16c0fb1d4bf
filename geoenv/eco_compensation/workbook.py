"""The accounts as the bureau's workbook: ``生态补偿.xlsx`` (sheets 断面月度核算, 奖励, 单位月度,
年度汇总, 规则) and the same tables as CSVs beside it, written as one set."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geoenv.eco_compensation.accounts import Accounts
from geoenv.eco_compensation.rules import Rules
from geoenv.io.write import SheetLayout, Writer, csv_writer, sibling, xlsx_writer
from geoenv.quality import Period, item_name
from geoenv.tables import Names, bureau_table, labelled

SHEETS = {"sections": "断面月度核算", "rewards": "奖励", "units": "单位月度", "year": "年度汇总", "rules": "规则"}
TITLE = "跨界断面生态补偿核算"
ILLUSTRATIVE_NOTE = "注：规则含示意金额（非公开方案所载），仅供演示，须按现行方案核对"
#: ``unit`` of the accounts is the unit judged (charged or rewarded), not a measurement's unit.
HEADERS = {"unit": "责任区域", "value": "月均值(mg/L)"}


def rules_table(rules: Rules) -> pd.DataFrame:
    """The sheet naming the rule file, the scheme, its source, notes and tiers."""
    rows = [("规则文件", rules.file), ("方案", rules.name), ("来源", rules.source),
            ("考核指标", "、".join(map(item_name, rules.items))),
            ("考核标准", "断面水质目标类别限值" if rules.standard == "target" else
             "、".join(f"{k} {v:g} mg/L" for k, v in rules.concentrations.items())),
            ("指标合计方式", "各指标相加" if rules.combine == "sum" else "取最差指标"),
            *((f"扣缴第{t.number}档", t.text()) for t in rules.tiers),
            ("奖励：连续3个月达标", f"{rules.rewards.three_months_wan:g}万元"),
            ("奖励：全年达标", f"{rules.rewards.whole_year_wan:g}万元"),
            ("奖励：同比由不达标改善为达标", f"{rules.rewards.improved_to_meeting_wan:g}万元"),
            ("奖励：达标且同比提升水质类别", f"{rules.rewards.class_better_wan:g}万元"),
            *(("说明", note) for note in rules.notes)]  # fmt: skip
    if rules.illustrative:
        rows.append(("示意金额", ILLUSTRATIVE_NOTE))
    return pd.DataFrame(rows, columns=["key", "text"])


def compensation_files(
    result: Accounts, output: Path, *, period: Period, names: Names | None = None, lang: str = "zh"
) -> dict[Path, Writer]:
    """``output`` (an XLSX) and ``OUT.sections.csv``, ``OUT.rewards.csv``, ``OUT.units.csv``,
    ``OUT.year.csv``, ``OUT.rules.csv`` beside it, for :func:`geoenv.io.write.write_files`.
    Sections are written ``名称 (CODE)``; every sheet's title names the year and, when the
    rules hold illustrative amounts, says so."""
    label = (lambda code: labelled(code, names)) if names is not None else (lambda code: code)
    tables = {
        "sections": result.sections.assign(section=result.sections["section"].map(label)),
        "rewards": result.rewards.assign(section=result.rewards["section"].map(label)),
        "units": result.units,
        "year": result.year,
        "rules": rules_table(result.rules),
    }
    shown = {key: bureau_table(table, lang, headers=HEADERS) for key, table in tables.items()}
    files: dict[Path, Writer] = {sibling(output, f".{key}.csv"): csv_writer(t) for key, t in shown.items()}
    note = f" {ILLUSTRATIVE_NOTE}" if result.rules.illustrative else ""
    layouts = {(SHEETS[k] if lang == "zh" else k): SheetLayout(f"{period.start.year}年 {TITLE} {SHEETS[k]}{note}")
               for k in tables}  # fmt: skip
    files[output] = xlsx_writer({(SHEETS[k] if lang == "zh" else k): t for k, t in shown.items()}, layouts)
    return files
