"""The command line: exit codes, messages, nothing half-written, the demo end to end."""

import re
import time
from html.parser import HTMLParser

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SECTIONS_CSV, write

from geoenv import __version__
from geoenv.cli import main

COMMANDS = [
    "demo", "map", "validate", "join", "info", "classify", "relations", "network build", "network navigate",
    "network check", "trace", "impact", "crossings", "report", "emergency",
]  # fmt: skip


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], obj={})


def test_version_and_help_with_examples():
    assert run("--version").output.strip() == f"geoenv, version {__version__}"
    for command in COMMANDS:
        result = run(*command.split(), "--help")
        assert result.exit_code == 0 and "Example" in result.output, command


def test_usage_error_exits_2():
    result = run("join", "lakes", "-o", "x.csv")
    assert result.exit_code == 2 and "Invalid value" in result.output


def test_validate_lists_every_problem_and_exits_1(tmp_path):
    path = write(tmp_path / "s.csv", SECTIONS_CSV + "S01,重复,汾河,abc,37.05,国考,VI\n")
    result = run("validate", "--sections", path)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert lines == [
        f"error: {path}:row 4: column 经度: 'abc' is not a number",
        f"error: {path}:row 4: column 断面编码: duplicate section code 'S01' (also row 2)",
        f"error: {path}:row 4: column 水质目标: 'VI' is not a water-quality class: use I–V, Ⅰ–Ⅴ or 1–5",
    ]
    assert "Traceback" not in result.output


def test_bad_input_writes_nothing_and_shows_no_traceback(tmp_path):
    path = write(tmp_path / "s.csv", SECTIONS_CSV.replace("112.05", "abc"))
    out = tmp_path / "out"
    result = run("map", "--sections", path, "-o", out)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {path}:row 2: column 经度: 'abc' is not a number")
    assert not out.exists() or not any(out.iterdir())


def test_verbose_shows_the_traceback(tmp_path):
    path = write(tmp_path / "s.csv", SECTIONS_CSV.replace("112.05", "abc"))
    result = run("-v", "map", "--sections", path, "-o", tmp_path / "out")
    assert result.exit_code == 1 and result.exception is not None
    assert type(result.exception).__name__ == "InputError"


def test_existing_output_needs_overwrite(tmp_path):
    (tmp_path / "j.csv").write_text("keep")
    result = run("join", "rivers", "-o", tmp_path / "j.csv")
    assert result.exit_code == 1 and "exists already; use --overwrite" in result.output
    assert (tmp_path / "j.csv").read_text() == "keep"


def test_join_sections_with_user_columns_and_gcj02(tmp_path):
    text = "站点,名称,lng,lat\nA1,太原上兰,112.4330,38.0130\n"  # a point near 尖草坪区 picked on Gaode
    path = write(tmp_path / "s.csv", text)
    result = run("join", "sections", "--sections", path, "--column", "sections.code=站点",
                 "--src-crs", "sections=gcj02", "-o", tmp_path / "j.csv", "--lang", "en")  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "j.csv", dtype=str)
    assert table.loc[0, "code"] == "A1" and table.loc[0, "county"] == "尖草坪区"
    assert float(table.loc[0, "lon"]) == pytest.approx(112.4330 - 0.0062, abs=0.0015)


def test_info_reports_crs_counts_and_columns():
    result = run("info", "geoenv/datasets/rivers/shanxi_rivers.geojson")
    assert result.exit_code == 0
    assert "crs: EPSG:4326" in result.output and "features: 35" in result.output
    assert "recognised as rivers:" in result.output and "name → name" in result.output
    result = run("info", "geoenv/datasets/sample/facilities.csv")
    assert "encoding: GBK" in result.output and "类型 → kind" in result.output


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_demo_end_to_end_offline_and_deterministic(tmp_path):
    started = time.perf_counter()
    result = run("demo", "-o", tmp_path / "a")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 30
    page = (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
    parser = _Assets()
    parser.feed(page)
    assert parser.urls == []  # every script and stylesheet inlined
    assert not re.search(r"url\((['\"]?)(https?:)?//", page)
    assert "L.map(" in page and "Leaflet" in page and "illustrative sample, not official monitoring data" in page
    assert page.count('class="geoenv-legend"') == 1 and "L.control.layers(" in page
    sections = pd.read_csv(tmp_path / "a" / "sections.csv", dtype=str, encoding="utf-8-sig")  # in Chinese
    assert len(sections) >= 30 and sections["区县"].notna().all()
    assert set(sections["水质类别"]) <= {"I", "II", "III", "IV", "V", "劣V"}
    assert (sections["是否达标"] == "否").sum() >= 3  # the sample has exceeding sections
    facilities = pd.read_csv(tmp_path / "a" / "facilities.csv", dtype=str, encoding="utf-8-sig")
    assert set(facilities["类型"]) == {
        "污水处理厂",
        "人工湿地",
        "尾矿库",
        "入河排污口",
        "饮用水水源地",
        "工业园区",
        "其他",
    }
    fen = sections[sections["河流"] == "汾河"]
    lengths = pd.read_csv(tmp_path / "a" / "river_lengths.csv", dtype=str, encoding="utf-8-sig")
    crossed = lengths[(lengths["河流"] == "汾河") & (lengths["长度(km)"].astype(float) > 5)]
    assert set(crossed["区县"]) <= set(fen["区县"])  # a section in each county it crosses
    run("demo", "-o", tmp_path / "b")
    for name in ("index.html", "sections.csv", "facilities.csv", "river_lengths.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_injected_names_are_escaped(tmp_path):
    text = SECTIONS_CSV.replace("上游断面", "<img src=x onerror=alert(1)>").replace("下游断面", "${alert(1)}`")
    path = write(tmp_path / "s.csv", text)
    result = run("map", "--sections", path, "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "m" / "index.html").read_text(encoding="utf-8")
    page = page.replace("\\u0026", "&")  # folium's JSON writes & as \u0026
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "${alert(1)}" not in page and "&#36;{alert(1)}&#96;" in page
