"""Tables in the bureau's language: Chinese headers and values in every CSV a command writes,
--lang en for the library's tables, names beside codes, natural and upstream-to-downstream
order, and the main pollutants of a group by the evaluation rule."""

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write

import geoenv
from geoenv.cli import main
from geoenv.tables import HEADERS, bureau_table, natural_key, sort_natural

CJK = re.compile(r"[\u4e00-\u9fff]")
PERCENT = re.compile(r"^-?\d+\.\d%$")


def run(*args):
    result = CliRunner().invoke(main, ["-q", *map(str, args)], obj={})
    assert result.exit_code == 0, result.output
    return result


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


#: Each command's CSVs, by name: (arguments after the command's words, the files it writes).
COMMANDS = {
    "classify": (["classify", "--period", "2024", "-o", "{d}/c.csv", "--items", "{d}/i.csv"], ["c.csv", "i.csv"]),
    "groups": (["classify", "--period", "2024", "--group", "river", "-o", "{d}/g.csv"], ["g.csv"]),
    "trace": (["trace", "SX014", "--period", "2024", "-o", "{d}/t.csv"], ["t.csv"]),
    "impact": (["impact", "--facility", "F042", "-o", "{d}/s.csv"], ["s.csv"]),
    "crossings": (["crossings", "-o", "{d}/x.csv"], ["x.csv", "x.units.csv"]),
    "relations": (["relations", "-o", "{d}/r.csv"], ["r.csv"]),
    "join": (["join", "sections", "-o", "{d}/j.csv"], ["j.csv"]),
    "join_rivers": (["join", "rivers", "-o", "{d}/jr.csv"], ["jr.csv"]),
    "map": (["map", "--period", "2024", "-o", "{d}/m"], ["m/sections.csv", "m/facilities.csv", "m/river_lengths.csv"]),
    "report": (
        ["report", "--period", "2024", "-o", "{d}/p"],
        [
            f"p/{k}.csv"
            for k in ("sections", "facilities", "counties", "rivers", "exceedances", "year_on_year", "monthly")
        ],
    ),
}
#: The commands also run with --lang en, to compare with.
ENGLISH = ("classify", "relations", "crossings", "join", "map")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[tuple[str, str], dict[str, pd.DataFrame]]:
    """Every command's CSVs in Chinese (zh) and some in English (en), read as text."""
    found = {}
    for lang in ("zh", "en"):
        for name, (args, files) in COMMANDS.items():
            if lang == "en" and name not in ENGLISH:
                continue
            folder = tmp_path_factory.mktemp(f"{name}_{lang}")
            run(*[a.format(d=folder) for a in args], "--lang", lang)
            found[(name, lang)] = {f: read(folder / f) for f in files}
    return found


def test_every_csv_has_unique_chinese_headers(outputs):
    chinese = set(HEADERS.values())
    for (name, lang), tables in outputs.items():
        if lang != "zh":
            continue
        for file, table in tables.items():
            headers = list(table.columns)
            assert len(set(headers)) == len(headers), (name, file, headers)
            assert not [h for h in headers if "[" in h], (name, file, headers)  # no two columns of one header
            months = [h for h in headers if re.fullmatch(r"\d{4}-\d{2}", h)]
            assert not months or file.endswith("monthly.csv"), (name, file)
            unknown = [h for h in headers if h not in chinese and h not in months]
            # the crossings say 上游区县 for the county level; every other header is from the one table
            assert all(CJK.search(h) for h in unknown), (name, file, unknown)
            assert not [h for h in headers if re.fullmatch(r"[a-z_]+", h)], (name, file, headers)


def test_chinese_headers_are_the_english_columns_translated(outputs):
    for name in ("classify", "join", "map"):
        for file, english in outputs[(name, "en")].items():
            zh = outputs[(name, "zh")][file]
            expected = [HEADERS.get(c, c) for c in english.columns if c != "kind_zh"]
            assert list(zh.columns) == expected, (name, file)
            assert len(zh) == len(english)


def test_values_in_chinese_against_the_english_table(outputs):
    en = outputs[("classify", "en")]["c.csv"]
    zh = outputs[("classify", "zh")]["c.csv"]
    words = {"True": "是", "False": "否", "": ""}
    assert zh["是否达标"].tolist() == en["meets_target"].map(words).tolist()
    assert zh["级别"].tolist() == en["level"].map({"national": "国考", "provincial": "省考", "city": "市考"}).tolist()
    assert {"国考", "省考", "市考"} <= set(zh["级别"])
    freq = en["exceed_freq"].astype(float)
    assert zh["超标率"].tolist() == [f"{100 * f:.1f}%" for f in freq]
    assert all(PERCENT.fullmatch(v) for v in zh["超标率"])
    # a negative percentage is a number, not a formula: no ' before it
    assert any(v.startswith("-") for v in zh["CWQI变化"]) and not any(v.startswith("'") for v in zh["CWQI变化"])
    facilities = outputs[("map", "zh")]["m/facilities.csv"]
    assert "污水处理厂" in set(facilities["类型"]) and "类型(中文)" not in facilities
    groups = outputs[("groups", "zh")]["g.csv"]
    assert all(PERCENT.fullmatch(v) for v in groups["优良比例"])


def test_lang_en_is_the_library_table(outputs):
    en = outputs[("classify", "en")]["c.csv"]
    assert list(en.columns[:3]) == ["section", "code_generated", "name"]
    assert set(en["meets_target"]) <= {"True", "False", ""}
    assert float(en["exceed_freq"].iloc[0]) <= 1


def test_relations_name_each_code_and_run_upstream_to_downstream(outputs):
    en = outputs[("relations", "en")]["r.csv"]
    zh = outputs[("relations", "zh")]["r.csv"]
    sections = outputs[("join", "en")]["j.csv"].set_index("code")
    assert list(zh.columns[:3]) == ["断面编码", "名称", "下游断面"]
    assert zh["名称"].tolist() == en["code"].map(sections["name"]).tolist()
    labels = [f"{sections.loc[c, 'name']} ({c})" if c else "" for c in en["downstream_code"]]
    assert zh["下游断面"].tolist() == labels
    # a section comes before the section downstream of it on the same river
    position = {code: i for i, code in enumerate(en["code"])}
    river = sections["river"]
    pairs = [(c, d) for c, d in zip(en["code"], en["downstream_code"], strict=True) if d and river[c] == river[d]]
    assert len(pairs) > 20
    assert all(position[c] < position[d] for c, d in pairs)
    # rivers stay together
    shown = en["code"].map(river)
    assert shown.ne(shown.shift()).sum() == shown.nunique()


def test_crossings_units_name_the_sections(outputs):
    units = outputs[("crossings", "zh")]["x.units.csv"]
    english = outputs[("crossings", "en")]["x.units.csv"]
    assert list(units.columns) == ["区县", "入境断面", "出境断面", "受外区域来水断面(来水区域)"]
    sections = outputs[("join", "en")]["j.csv"].set_index("code")["name"]
    first = english["inflow_sections"].iloc[0].split(";")[0]
    assert units["入境断面"].iloc[0].split("；")[0] == f"{sections[first]} ({first})"
    fed = units["受外区域来水断面(来水区域)"].str.split("；").explode()
    assert fed.str.contains(r"\(SX019\) \(古交市", regex=True).any()  # a space between label and note
    assert not fed.str.contains(r"\)\(", regex=True).any()


def test_natural_order_of_codes(tmp_path):
    sections = write(tmp_path / "s.csv", "断面编码,断面名称,所在河流,经度,纬度,断面级别,水质目标\n"
                     "SX10,甲,汾河,112.5,37.8,国考,Ⅲ类\nSX2,乙,汾河,112.4,37.7,省考,Ⅲ类\n"
                     "SX1,丙,汾河,112.3,37.6,市考,Ⅲ类\n")  # fmt: skip
    run("join", "sections", "--sections", sections, "-o", tmp_path / "j.csv")
    table = read(tmp_path / "j.csv")
    assert table["断面编码"].tolist() == ["SX1", "SX2", "SX10"]
    assert table["级别"].tolist() == ["市考", "省考", "国考"]
    codes = pd.Series(["F10", "F2", "F1", "F11", "A3", "F2a"])
    assert codes.sort_values(key=natural_key).tolist() == ["A3", "F1", "F2", "F2a", "F10", "F11"]
    frame = pd.DataFrame({"id": ["F10", "F2", "F1"], "n": [1, 2, 3]})
    assert sort_natural(frame, ["id"])["n"].tolist() == [3, 2, 1]


def test_headers_stay_unique():
    frame = pd.DataFrame({"code": ["SX1"], "断面编码": ["x"], "target": ["III"], "target_class": ["III"]})
    assert list(bureau_table(frame, "zh").columns) == ["断面编码[code]", "断面编码[断面编码]", "水质目标[target]",
                                                       "水质目标[target_class]"]  # fmt: skip
    assert list(bureau_table(frame, "en").columns) == list(frame.columns)
    assert len(set(HEADERS.values())) < len(HEADERS)  # one header for code and section, …: never in one table


def test_lang_from_the_config_file(tmp_path):
    config = write(tmp_path / "geoenv.toml", '[classify]\nlang = "en"\n')
    run("classify", "--config", config, "--period", "2024", "--group", "all", "-o", tmp_path / "a.csv")
    assert read(tmp_path / "a.csv").columns[0] == "group"
    run("classify", "--config", config, "--period", "2024", "--group", "all", "--lang", "zh", "-o", tmp_path / "b.csv")
    assert read(tmp_path / "b.csv").columns[0] == "名称"
    shared = write(tmp_path / "shared.toml", '[settings]\nlang = "en"\n')
    run("crossings", "--config", shared, "-o", tmp_path / "x.csv")
    assert read(tmp_path / "x.csv").columns[0] == "id"
    wrong = write(tmp_path / "wrong.toml", '[settings]\nlang = "fr"\n')
    result = CliRunner().invoke(main, ["classify", "--config", str(wrong), "--period", "2024"], obj={})
    assert result.exit_code == 1 and "lang" in result.output and "wrong.toml" in result.output


def test_main_pollutants_of_a_one_section_river_follow_the_rule(tmp_path):
    """磁窑河 with one section (not in the embedded registers: placed on the embedded rivers):
    DO, CODMn and COD in IV and NH3-N in 劣V. The river is rated by the class of its means,
    and names its main pollutants as its section does: the 劣V 氨氮 first, then by the
    multiple over class III, not in the order of the standard."""
    sections = write(tmp_path / "s.csv", "断面编码,断面名称,所在河流,经度,纬度,断面级别,水质目标\n"
                     "CY01,磁窑河桥头断面,磁窑河,111.95,37.25,省考,Ⅳ类\n")  # fmt: skip
    values = {"溶解氧": 4.0, "高锰酸盐指数": 8.0, "化学需氧量": 25.0, "氨氮": 2.5, "总磷": 0.2}
    rows = "".join(f"CY01,2024-{m:02d}-01,7.5,{','.join(map(str, values.values()))}\n" for m in range(1, 13))
    measurements = write(tmp_path / "m.csv", f"断面编码,监测日期,pH,{','.join(values)}\n{rows}")
    run("classify", measurements, "--sections", sections, "--period", "2024", "--group", "river", "--lang", "en",
        "-o", tmp_path / "g.csv")  # fmt: skip
    run("classify", measurements, "--sections", sections, "--period", "2024", "--lang", "en", "-o", tmp_path / "c.csv")
    group = read(tmp_path / "g.csv").iloc[0]
    section = read(tmp_path / "c.csv").iloc[0]
    # multiples over the class-III limits (NH3-N 1.0, CODMn 6, COD 20); DO carries none
    multiples = {"氨氮": (2.5 - 1.0) / 1.0, "高锰酸盐指数": (8 - 6) / 6, "化学需氧量": (25 - 20) / 20}
    expected = "、".join(f"{item}({m:.1f})" for item, m in multiples.items())
    assert group["group"] == "磁窑河" and group["rated_by"] == "class_of_means" and group["class_of_means"] == "劣V"
    assert group["main_pollutants"] == expected == section["main_pollutants"]


def test_columns_other_commands_add_have_their_headers():
    """impact's arrival_time (local clock time of the spill's arrival) is 到达时间; its hours 到达用时(h)."""
    frame = pd.DataFrame({"kind": ["section", "border"], "arrival_h": [2.5, 4.0],
                          "arrival_time": ["2024-07-01 10:30", "2024-07-01 12:00"]})  # fmt: skip
    table = bureau_table(frame, "zh")
    assert list(table.columns) == ["类型", "到达用时(h)", "到达时间"]
    assert table["类型"].tolist() == ["断面", "行政边界"]
    assert table["到达时间"].tolist() == frame["arrival_time"].tolist()


def test_trace_and_exceedances_say_their_period(outputs):
    trace = outputs[("trace", "zh")]["t.csv"]
    assert set(trace["时段"]) == {"2024"}
    assert list(trace.columns).index("时段") == list(trace.columns).index("水质类别") - 1
    exceedances = outputs[("report", "zh")]["p/exceedances.csv"]
    assert len(exceedances) and set(exceedances["时段"]) == {"2024"}


def test_trace_says_the_exceeding_items_in_chinese():
    project = geoenv.open_project()
    status = project.status(geoenv.period_of(project, "2024"))
    code = next(c for c, items in status["exceeding"].items() if len(items))
    result = CliRunner().invoke(main, ["trace", code, "--period", "2024"], obj={})
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stderr.splitlines() if "exceeding:" in x)
    names = {"cod": "化学需氧量", "nh3n": "氨氮", "tp": "总磷"}
    expected = "、".join(names.get(i, i) for i in status.loc[code, "exceeding"])
    assert line.endswith(f"exceeding: {expected}") and not re.search(r"exceeding: .*[a-z]", line)
