"""Compensation accounts (跨界断面生态补偿): rule files, who pays, hand-computed accounts over a
year, and the example rules on the embedded data."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import geoenv
from geoenv import datasets
from geoenv.cli import main
from geoenv.eco_compensation import accounts, judged_units, load_rules, parse_rules
from geoenv.errors import InputError

SHANXI = datasets.get_path("shanxi_2013_rules")
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
BEFORE = [f"2023-{m:02d}" for m in range(1, 13)]


def rows(section: str, months: list[str], cod: float | list[float], nh3n: float | list[float]) -> list[tuple]:
    cods = cod if isinstance(cod, list) else [cod] * len(months)
    nh3ns = nh3n if isinstance(nh3n, list) else [nh3n] * len(months)
    return [(section, m, p, v) for m, c, n in zip(months, cods, nh3ns, strict=True) for p, v in (("cod", c),
            ("nh3n", n))]  # fmt: skip


def monthly() -> pd.DataFrame:
    """A improves (missing its III target all 2023, meeting it all 2024); B worsens (meets in
    2023; 2024: Jan COD 25, Feb COD 50, Mar COD 25 and NH3-N 12, then meets); C (target II)
    meets every month but May, which has no sample (断流)."""
    data = rows("A", BEFORE, 25, 0.5) + rows("A", MONTHS, 18, 0.5)
    data += rows("B", BEFORE, 18, 0.5) + rows("B", MONTHS, [25, 50, 25] + [18] * 9, [0.5, 0.5, 12] + [0.5] * 9)
    c_months = [m for m in MONTHS if m != "2024-05"]
    data += rows("C", c_months, 14, 0.4)
    return pd.DataFrame(data, columns=["section", "month", "parameter", "mean"])


TARGETS = {"A": "III", "B": "III", "C": "II"}
REMARKS = pd.DataFrame({"section": ["C"], "month": ["2024-05"], "remark": ["断流 1"]})
# A watches the water of 甲 entering 乙; B is 乙's outflow section; C is in 乙, at no crossing;
# D is an inflow section from beyond the counties layer.
CROSSINGS = pd.DataFrame({"section": ["A", "B", "D"], "unit": ["乙", "乙", "丙"],
                          "role": ["inflow", "outflow", "inflow"], "crossing": ["X1", "X2", "X3"],
                          "other_unit": ["甲", "丙", "区域外"]})  # fmt: skip
LIES_IN = {"A": "乙", "B": "乙", "C": "乙", "D": "丙"}


def test_who_pays_is_the_unit_whose_water_the_section_judges():
    own = judged_units(CROSSINGS, LIES_IN, "own")
    assert dict(zip(own["section"], own["unit"], strict=True)) == {"A": "甲", "B": "乙", "C": "乙", "D": "丙"}
    skip = judged_units(CROSSINGS, LIES_IN, "skip")
    assert skip["section"].tolist() == ["A", "B"]  # C (at no crossing) and D (from beyond) not assessed
    two = pd.DataFrame({"section": ["A", "A"], "unit": ["乙", "乙"], "role": ["inflow"] * 2,
                        "crossing": ["X1", "X4"], "other_unit": ["甲", "丁"]})  # fmt: skip
    split = judged_units(two, {"A": "乙"}, "own")
    assert split[["unit", "share"]].values.tolist() == [["甲", 0.5], ["丁", 0.5]]


def test_each_crossing_is_assessed_once():
    """At X1 (甲 → 乙) E is 甲's outflow section and A 乙's inflow section: both judge 甲's water."""
    table = pd.concat([CROSSINGS, pd.DataFrame({"section": ["E"], "unit": ["甲"], "role": ["outflow"],
                                                "crossing": ["X1"], "other_unit": ["乙"]})])  # fmt: skip
    lies_in = {**LIES_IN, "E": "甲"}
    by = {j: judged_units(table, lies_in, "own", j) for j in ("outflow", "inflow", "both")}
    # outflow (the default): E judges 甲 at X1, A not assessed; B (乙's outflow at X2, no inflow
    # section there) still judges 乙
    assert by["outflow"][["section", "unit"]].values.tolist() == [["B", "乙"], ["E", "甲"], ["C", "乙"],
                                                                    ["D", "丙"]]  # fmt: skip
    assert by["inflow"][["section", "unit"]].values.tolist() == [["A", "甲"], ["B", "乙"], ["C", "乙"],
                                                                   ["D", "丙"]]  # fmt: skip
    assert sorted(by["both"]["section"]) == ["A", "B", "C", "D", "E"]
    assert (by["both"]["unit"] == "甲").sum() == 2
    assert load_rules(SHANXI).judge == "outflow"


def test_embedded_ningwu_is_judged_once():
    """汾河宁武断面 (SX008, 宁武县's outflow) and 汾河静乐断面 (SX007, 静乐县's inflow) watch one
    宁武县 → 静乐县 crossing: by default only SX008 charges 宁武县."""
    from dataclasses import replace

    project = geoenv.open_project()
    rules = load_rules(SHANXI)
    default = geoenv.compensation(project, rules, period="2024").sections
    assert sorted(default.loc[default["unit"] == "宁武县", "section"].unique()) == ["SX002", "SX008"]
    # SX007 is also 静乐县's outflow section (to 娄烦县): it judges 静乐县 only
    assert default.loc[default["section"] == "SX007", "unit"].unique().tolist() == ["静乐县"]
    both = geoenv.compensation(project, replace(rules, judge="both"), period="2024").sections
    assert sorted(both.loc[both["unit"] == "宁武县", "section"].unique()) == ["SX002", "SX007", "SX008"]


def shanxi_accounts(**changes):
    rules = load_rules(SHANXI)
    if changes:
        from dataclasses import replace

        rules = replace(rules, **changes)
    judged = judged_units(CROSSINGS, {k: v for k, v in LIES_IN.items() if k != "D"}, "own")
    return accounts(rules, judged, monthly(), year=2024, targets=TARGETS, remarks=REMARKS)


def test_hand_computed_year():
    result = shanxi_accounts()
    s = result.sections.set_index(["section", "month", "parameter"])
    # B Jan: COD 25 against 20 (III) → 0.25 → tier 1, 50; Feb: 50 → 1.5 → tier 3, 150 (illustrative);
    # Mar: COD 25 → 50, and NH3-N 12 against 1.0 → 11 → tier 5, 300: 350 that month.
    assert s.loc[("B", "2024-01", "cod"), ["multiple", "tier", "amount_wan"]].tolist() == [0.25, 1, 50.0]
    assert s.loc[("B", "2024-02", "cod"), ["multiple", "tier", "amount_wan"]].tolist() == [1.5, 3, 150.0]
    assert s.loc[("B", "2024-02", "cod"), "rule"] == "第3档 (1,5]倍 150万元（示意金额）"
    assert s.loc[("B", "2024-03", "nh3n"), ["multiple", "tier", "amount_wan"]].tolist() == [11.0, 5, 300.0]
    assert s.loc[("B", "2024-03", "nh3n"), "rule"] == "第5档 >10倍 300万元"
    assert s.loc[("A", "2024-01", "cod"), "rule"] == "达标，不扣缴"
    # C's May: no value, no deduction, the register's remark written, never 0 as a value
    may = s.loc[("C", "2024-05", "cod")]
    assert pd.isna(may["value"]) and may["amount_wan"] == 0 and may["rule"] == "断流"

    r = result.rewards
    got = r.groupby(["section", "reward"])["amount_wan"].sum().to_dict()
    # A: improved to meeting every month (12 × 100), 3 months kept 4 times (40), whole year 100
    assert got[("A", "improved_to_meeting")] == 1200
    assert got[("A", "three_months")] == 40 and got[("A", "whole_year")] == 100
    # B: Apr–Jun, Jul–Sep, Oct–Dec kept (30); no class better than 2023 (III both years)
    assert got[("B", "three_months")] == 30 and ("B", "whole_year") not in got
    # C: Jan–Mar, then May breaks the run: Jun–Aug, Sep–Nov (30); no whole year; no 2023 base
    assert r.loc[r["section"] == "C", "month"].tolist() == ["2024-03", "2024-08", "2024-11"]
    assert ("C", "whole_year") not in got and ("C", "improved_to_meeting") not in got

    year = result.year.set_index("unit")
    assert year.loc["甲"].tolist() == [0.0, 1340.0, 1340.0]
    assert year.loc["乙"].tolist() == [550.0, 60.0, -490.0]
    units = result.units.set_index(["unit", "month"])
    assert units.loc[("乙", "2024-03")].tolist() == [350.0, 10.0, -340.0]


def test_worst_item_and_scaled_amounts():
    worst = shanxi_accounts(combine="worst")
    march = worst.sections[(worst.sections["section"] == "B") & (worst.sections["month"] == "2024-03")]
    assert march["amount_wan"].tolist() == [0.0, 300.0]  # COD's 50 not counted, NH3-N's 300
    assert march["rule"].iloc[0].endswith("（取最差指标计扣，本项不计）")
    scaled = load_rules(datasets.get_path("scaled_rules"))
    # 10万 × (1 + 0.25) = 12.5 for B's January (0.1 < 0.25 ≤ 0.5); 50 → 1.5 is tier 3: 50 × 2.5 = 125
    tiers = [scaled.tier(0.25), scaled.tier(1.5), scaled.tier(0.05)]
    assert [t.amount(m) if t else 0 for t, m in zip(tiers, [0.25, 1.5, 0.05], strict=True)] == [12.5, 125.0, 0]


def test_rule_file_errors_are_located(tmp_path: Path):
    text = SHANXI.read_text(encoding="utf-8").replace("amount_wan = 150", "amount_wan = 'abc'")
    text = text.replace('combine = "sum"', 'combine = "sum"\ncolour = "red"')
    path = tmp_path / "规则.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rules(path)
    messages = [str(p) for p in caught.value.problems]
    assert f"{path}:[[deduction.tiers]] 3: amount_wan: 'abc' is not a number ≥ 0" in messages
    assert any("[assess]: unknown key 'colour'" in m for m in messages)
    with pytest.raises(InputError, match="'pm25' is not an item"):
        parse_rules({"assess": {"items": ["pm25"]}, "deduction": {"tiers": [{"amount_wan": 1}]}})


def test_example_rules_on_the_embedded_data():
    project = geoenv.open_project()
    result = geoenv.compensation(project, SHANXI, period="2024")
    # independently: SX021 (汾河阳曲断面, target II: COD 15, NH3-N 0.5) from the raw sample file
    raw = pd.read_csv(datasets.get_path("sample_measurements"), encoding="utf-8-sig", dtype=str)
    raw = raw[(raw["断面编码"] == "SX021") & raw["监测日期"].str.startswith("2024")]
    expected = 0.0
    for column, limit in (("化学需氧量", 15.0), ("氨氮", 0.5)):
        for value in raw[column].astype(float):
            m = (value - limit) / limit
            expected += (
                0 if m <= 0 else 50 if m <= 0.5 else 100 if m <= 1 else 150 if m <= 5 else 200 if m <= 10 else 300
            )
    sx021 = result.sections[result.sections["section"] == "SX021"]
    assert sx021["amount_wan"].sum() == expected == 150.0
    # SX021 is the only section at X023 (万柏林区 → 阳曲县) and 阳曲县's outflow section at X024
    # (to 尖草坪区, whose inflow section SX020 then does not judge 阳曲县): it judges both, half each
    shares = sx021.groupby("unit")[["share", "amount_wan"]].agg({"share": "first", "amount_wan": "sum"})
    assert shares.to_dict("index") == {"万柏林区": {"share": 0.5, "amount_wan": 75.0},
                                       "阳曲县": {"share": 0.5, "amount_wan": 75.0}}  # fmt: skip
    assert "阳曲县" not in set(result.sections.loc[result.sections["section"] == "SX020", "unit"])


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], obj={})


def test_cli_writes_the_workbook_and_csvs(tmp_path: Path):
    out = tmp_path / "生态补偿.xlsx"
    done = run("compensation", "--rules", SHANXI, "--period", "2024", "-o", out)
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["断面月度核算", "奖励", "单位月度", "年度汇总", "规则"]
    assert all("示意金额" in str(book[s]["A1"].value) for s in book.sheetnames)
    year = pd.read_csv(tmp_path / "生态补偿.year.csv", encoding="utf-8-sig")
    assert year.columns.tolist() == ["责任区域", "扣缴(万元)", "奖励(万元)", "净额(万元)"]
    sections = pd.read_csv(tmp_path / "生态补偿.sections.csv", encoding="utf-8-sig")
    assert "汾河阳曲断面 (SX021)" in set(sections["断面"])
    example = tmp_path / "规则.toml"
    assert run("compensation", "--example-rules", example).exit_code == 0
    assert load_rules(example).items == ("cod", "nh3n")
    example.write_text("[assess]\nitems = 3\n", encoding="utf-8")
    bad = run("compensation", "--rules", example, "-o", tmp_path / "x.xlsx")
    assert bad.exit_code == 1 and "items: 3 is not a list of text" in bad.output
    quarter = run("compensation", "--rules", SHANXI, "--period", "2024Q2", "-o", tmp_path / "q.xlsx")
    assert quarter.exit_code == 2 and "--period" in quarter.output


def test_cli_on_a_river_built_in_files(tmp_path: Path, counties_file: Path, rivers_file: Path, sections_csv: Path):
    """汾河 flows east from 甲县 into 乙县 (border lon 112.1): S01 (甲县, target II) is 甲县's
    outflow section and S02 (乙县, target III) the inflow section from 甲县 at the one crossing.
    By default (judge = "outflow") S01 alone judges 甲县; with judge = "inflow" S02 alone, so its
    COD 30 in January (multiple 0.5: tier 1, 50万) is charged to 甲县."""
    lines = ["断面编码,监测日期,化学需氧量,氨氮"]
    lines += [f"S01,2024-{m:02d}-05,14,0.4" for m in range(1, 13)]
    lines += [f"S02,2024-{m:02d}-05,{30 if m == 1 else 18},0.5" for m in range(1, 13)]
    measurements = tmp_path / "监测.csv"
    measurements.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "补偿.xlsx"
    done = run("compensation", "--rules", SHANXI, "--sections", sections_csv, "--measurements", measurements,
               "--rivers", rivers_file, "--counties", counties_file, "--outlet", "112.2,37.05", "-o", out)  # fmt: skip
    assert done.exit_code == 0, done.output
    year = pd.read_csv(tmp_path / "补偿.year.csv", encoding="utf-8-sig").set_index("责任区域")
    # S01 kept every month: 4 runs of 3 months × 10 and the whole year 100; nothing deducted
    # 乙县 is judged by no section (S02 is passed over at the crossing): listed with 0, and said
    assert year.to_dict("index") == {"甲县": {"扣缴(万元)": 0.0, "奖励(万元)": 140.0, "净额(万元)": 140.0},
                                     "乙县": {"扣缴(万元)": 0.0, "奖励(万元)": 0.0, "净额(万元)": 0.0},
                                     "合计": {"扣缴(万元)": 0.0, "奖励(万元)": 140.0, "净额(万元)": 140.0}}  # fmt: skip
    assert "no assessed section judges 1 unit with rivers, listed with 0 in the year's table: 乙县" in done.output
    inflow = tmp_path / "入境.toml"
    inflow.write_text(SHANXI.read_text(encoding="utf-8").replace('judge = "outflow"', 'judge = "inflow"'),
                      encoding="utf-8")  # fmt: skip
    done = run("compensation", "--rules", inflow, "--sections", sections_csv, "--measurements", measurements,
               "--rivers", rivers_file, "--counties", counties_file, "--outlet", "112.2,37.05", "-o", out,
               "--overwrite")  # fmt: skip
    assert done.exit_code == 0, done.output
    year = pd.read_csv(tmp_path / "补偿.year.csv", encoding="utf-8-sig").set_index("责任区域")
    # 甲县: S02's January 50; S02 kept Feb–Apr, May–Jul, Aug–Oct (30; Nov–Dec a run of 2)
    assert year.loc["甲县"].tolist() == [50.0, 30.0, -20.0]


TIERS = {"tiers": [{"up_to": 0.5, "amount_wan": 50}, {"up_to": 1.0, "amount_wan": 100}, {"amount_wan": 300}]}


def messages(data: dict) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_rules(data, file="规则.toml")
    return [str(p) for p in caught.value.problems]


def test_rule_file_mistakes_found_in_trial():
    assert messages({"assess": {"items": ["COD", "化学需氧量"]}, "deduction": TIERS}) == [
        "规则.toml:[assess]: items: 'COD', '化学需氧量' name one item (cod) more than once: name each item once"
    ]
    assert any("'cod', 'cod' name one item" in m for m in messages({"assess": {"items": ["cod", "cod"]},
                                                                     "deduction": TIERS}))  # fmt: skip
    given = {"items": ["cod"], "standard": "given", "concentrations": {"cod": 0}}
    assert messages({"assess": given, "deduction": TIERS}) == [
        "规则.toml:[assess.concentrations]: cod: 0 mg/L: a concentration > 0 is required"
    ]
    given["concentrations"] = {"cod": -2.5}
    assert "cod: -2.5 mg/L: a concentration > 0 is required" in messages({"assess": given, "deduction": TIERS})[0]
    target = {"items": ["cod"], "standard": "target", "concentrations": {"cod": 20}}
    assert 'used only with standard = "given"' in messages({"assess": target, "deduction": TIERS})[0]
    single = {"tiers": {"up_to": 0.5, "amount_wan": 50}}
    assert "write each as [[deduction.tiers]] (two brackets)" in messages({"assess": {"items": ["cod"]},
                                                                            "deduction": single})[0]  # fmt: skip
    levels = parse_rules({"assess": {"items": ["cod"], "sections": "levels", "levels": ["国考", "省控"]},
                          "deduction": TIERS})  # fmt: skip
    assert levels.levels == ("national", "provincial")
    assert "levels: '区考' is not a section level" in messages({"assess": {"items": ["cod"], "levels": ["区考"]},
                                                                 "deduction": TIERS})[0]  # fmt: skip


def test_rule_file_encoding_and_size(tmp_path: Path):
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(SHANXI.read_text(encoding="utf-8").encode("gbk", errors="replace"))
    with pytest.raises(InputError, match=r"gbk\.toml: the rule file is not UTF-8 text: save it as UTF-8"):
        load_rules(gbk)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 1_100_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="the rule file is 1,100,003 bytes"):
        load_rules(big)


def test_tiers_and_meeting_use_the_unrounded_multiple():
    """COD 30.0005 against 20: multiple 0.500025 is tier 2 (0.5, 1], written 0.5 for display;
    COD 20.0001: multiple 0.000005, not meeting: tier 1, or with free_up_to 0.1 not deducted
    but not written 达标."""
    rules = parse_rules({"assess": {"items": ["cod"]}, "deduction": TIERS, "rewards": {"three_months_wan": 10}})
    data = pd.DataFrame({"section": ["A"] * 3, "month": MONTHS[:3], "parameter": ["cod"] * 3,
                         "mean": [30.0005, 20.0001, 20.0]})  # fmt: skip
    judged = pd.DataFrame({"section": ["A"], "unit": ["甲"], "share": [1.0]})
    result = accounts(rules, judged, data, year=2024, targets={"A": "III"})
    s = result.sections.set_index("month")
    assert s.loc["2024-01", ["multiple", "tier", "amount_wan"]].tolist() == [0.5, 2, 100.0]
    assert s.loc["2024-02", ["multiple", "tier", "amount_wan"]].tolist() == [0.0, 1, 50.0]
    assert s.loc["2024-03", "rule"] == "达标，不扣缴"
    assert result.rewards.empty  # January and February miss the target: no 3 months kept
    free = parse_rules({"assess": {"items": ["cod"]}, "deduction": {**TIERS, "free_up_to": 0.1}})
    s = accounts(free, judged, data, year=2024, targets={"A": "III"}).sections.set_index("month")
    assert s.loc["2024-02", ["tier", "amount_wan", "rule"]].tolist() == [
        0,
        0.0,
        "超标不足0.0001倍，在扣缴起点以下，不扣缴",
    ]


def test_a_year_without_measurements_is_refused(tmp_path: Path):
    with pytest.raises(InputError, match="no measurements in 2019: the measurements have data in 2023, 2024"):
        geoenv.compensation(geoenv.open_project(), SHANXI, period="2019")
    out = tmp_path / "x.xlsx"
    done = run("compensation", "--rules", SHANXI, "--period", "2019", "-o", out)
    assert done.exit_code == 1 and "no measurements in 2019" in done.output
    assert list(tmp_path.iterdir()) == []


def test_workbook_titles_totals_and_english(tmp_path: Path):
    out = tmp_path / "市.xlsx"
    done = run("compensation", "--rules", SHANXI, "--period", "2024", "--level", "city", "-o", out)
    assert done.exit_code == 0, done.output
    title = str(openpyxl.load_workbook(out)["年度汇总"]["A1"].value)
    assert title.startswith("2024年 跨界断面生态补偿核算（地市） 年度汇总 方案：山西省地表水跨界断面水质考核生态补偿")
    year = pd.read_csv(tmp_path / "市.year.csv", encoding="utf-8-sig")
    body, total = year.iloc[:-1], year.iloc[-1]
    assert total["责任区域"] == "合计"
    assert total["扣缴(万元)"] == pytest.approx(body["扣缴(万元)"].sum())
    assert total["净额(万元)"] == pytest.approx(body["奖励(万元)"].sum() - body["扣缴(万元)"].sum())
    assert body["责任区域"].tolist() == sorted(body["责任区域"])
    rules = pd.read_csv(tmp_path / "市.rules.csv", encoding="utf-8-sig").set_index("项目")["内容"]
    assert rules["每个交界的考核断面"] == "出境断面（无则入境断面）"
    given = parse_rules({"assess": {"items": ["cod"], "standard": "given", "concentrations": {"化学需氧量": 20}},
                         "deduction": TIERS})  # fmt: skip
    from geoenv.eco_compensation.workbook import rules_table

    assert rules_table(given).set_index("key").loc["考核标准", "text"] == "化学需氧量 20 mg/L"

    en = tmp_path / "en.xlsx"
    assert run("compensation", "--rules", SHANXI, "--period", "2024", "--lang", "en", "-o", en).exit_code == 0
    assert openpyxl.load_workbook(en).sheetnames == ["sections", "rewards", "units", "year", "rules"]
    sections = pd.read_csv(tmp_path / "en.sections.csv", encoding="utf-8-sig")
    assert sections.columns.tolist() == ["section", "unit", "share", "month", "parameter", "value", "limit",
                                         "multiple", "tier", "amount_wan", "rule"]  # fmt: skip
    rewards = pd.read_csv(tmp_path / "en.rewards.csv", encoding="utf-8-sig")
    assert set(rewards["reward"]) <= {"three_months", "whole_year", "improved_to_meeting", "class_better"}
    assert pd.read_csv(tmp_path / "en.year.csv", encoding="utf-8-sig")["unit"].iloc[-1] == "total"


def test_example_and_help_say_how_rewards_and_levels_work():
    text = SHANXI.read_text(encoding="utf-8")
    assert "4 × 10 + 100" in text and "--level city" in text and "rules out 全年达标" in text
    helped = run("compensation", "--help").output
    assert "4 × 10 + 100" in helped and "--level city" in helped and "全年达标" in helped
