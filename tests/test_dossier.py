"""尾矿库一库一档 (``geoenv dossier``): on a river built here whose answers are known, and on the
embedded data.

The river 汾河 runs 60 km east along y = 0 (UTM 49N, metres from X0, Y0; digitized
downstream), a tributary 支流 joins it at x = 4000. Counties 甲县 x < 20000, 乙县 beyond.
    section U (1000, 0)   pond P1 (2000, 300)   section A (5000, 0)   water source W (8000, 0)
    border 甲县 → 乙县 at x = 20000              section B (56000, 0)   pond P3 (57000, 200)
    pond P2 (30000, 8000): 8 km from every river, not placed
At 0.5 m/s from P1: A 3 km, 6000 s = 1.67 h; W 6 km, 3.33 h; the border 18 km, 10.00 h;
B 54 km, 30.00 h (beyond 24 h). The water runs 0.5 × 24 × 3600 = 43.2 km in 24 h.
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from test_cli import run
from test_network import CRS, X0, Y0

import geoenv
from geoenv import answers
from geoenv.dossiers import page_names
from geoenv.errors import InputError
from geoenv.maps import browser, dossier_pages
from geoenv.maps.dossier import SKETCH_ELEMENTS, sketch
from geoenv.settings import NetworkSettings, ParameterError, Settings

SCRIPT_NAME = "{{ 7*7 }}<script>alert(1)</script>库"
CONTROL_NAME = "=1+1\x1b[2J\u202e反向库"
LONG_NAME = "很长的尾矿库名称" * 40


def lonlat(x: float, y: float) -> tuple[float, float]:
    point = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y)], crs=CRS).to_crs(4326)[0]
    return round(point.x, 7), round(point.y, 7)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dossier")
    rivers = gpd.GeoDataFrame(
        {"name": ["汾河", "支流"]},
        geometry=[shapely.LineString([(X0, Y0), (X0 + 60000, Y0)]),
                  shapely.LineString([(X0 + 4000, Y0 + 4000), (X0 + 4000, Y0)])],
        crs=CRS,
    )  # fmt: skip
    rivers.to_file(folder / "rivers.gpkg", engine="pyogrio")
    counties = gpd.GeoDataFrame(
        {"name": ["甲县", "乙县"], "adcode": ["140101", "140102"], "city": ["测试市", "测试市"]},
        geometry=[shapely.box(X0 - 2000, Y0 - 10000, X0 + 20000, Y0 + 10000),
                  shapely.box(X0 + 20000, Y0 - 10000, X0 + 62000, Y0 + 10000)],
        crs=CRS,
    ).to_crs(4326)  # fmt: skip
    counties.to_file(folder / "counties.gpkg", engine="pyogrio")
    rows = [("U", "上游断面", 1000, "III"), ("A", "下游甲断面", 5000, "III"), ("B", "下游乙断面", 56000, "II")]
    lines = ["断面编码,断面名称,河流,经度,纬度,断面级别,水质目标"]
    lines += [f"{c},{n},汾河,{lonlat(x, 0)[0]},{lonlat(x, 0)[1]},省考,{t}" for c, n, x, t in rows]
    (folder / "sections.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    facilities = [("../x", SCRIPT_NAME, "尾矿库", 2000, 300, "50000m³", "重大"),
                  ("CON", CONTROL_NAME, "尾矿库", 30000, 8000, "1200m³", "一般"),
                  ("中文", LONG_NAME, "尾矿库", 57000, 200, "", "较大"),
                  ("W", "水源地", "饮用水水源地", 8000, 0, "", ""),
                  ("S1", "污水厂", "污水处理厂", 40000, 100, "20000m³/d", "")]  # fmt: skip
    lines = ["编号,名称,类型,经度,纬度,规模,风险等级"]
    lines += [f'"{i}","{n}",{k},{lonlat(x, y)[0]},{lonlat(x, y)[1]},{c},{r}' for i, n, k, x, y, c, r in facilities]
    (folder / "facilities.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    samples = [("U", 0.4), ("A", 1.2), ("B", 0.1)]  # NH3-N: II, IV, I
    lines = ["断面编码,监测日期,指标,浓度"] + [f"{s},2024-0{m}-10,nh3n,{v}" for s, v in samples for m in (1, 2)]
    (folder / "measurements.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def project(files):
    return geoenv.open_project(
        sections=files / "sections.csv", facilities=files / "facilities.csv", rivers=files / "rivers.gpkg",
        counties=files / "counties.gpkg", measurements=files / "measurements.csv",
        settings=Settings(network=NetworkSettings(flow="digitized")),
    )  # fmt: skip


@pytest.fixture(scope="module")
def result(project):
    return answers.dossier(project, velocity_ms=0.5)


def test_the_pond_upstream_of_known_sections(result):
    assert result.index["id"].tolist() == ["../x", "CON", "中文"]  # the tailings ponds only
    first = result.dossiers[0]
    assert first.why == "" and first.river == "汾河"
    assert first.outlet_km == pytest.approx(58.0, abs=0.01)  # 60 km − 2 km
    sections = first.sections.set_index("code")
    assert sections["direction"].to_dict() == {"A": "downstream", "U": "upstream"}
    assert sections["distance_km"].to_dict() == pytest.approx({"A": 3.0, "U": 1.0}, abs=0.01)
    assert sections["class"].to_dict() == {"A": "IV", "U": "II"}
    assert sections["meets_target"].to_dict() == {"A": False, "U": True}
    receptors = first.receptors
    assert receptors["kind"].tolist() == ["section", "water_source", "border"]  # B (30 h) left out
    assert receptors["id"].iloc[:2].tolist() == ["A", "W"]
    assert receptors["distance_km"].tolist() == pytest.approx([3.0, 6.0, 18.0], abs=0.01)
    assert receptors["arrival_h"].tolist() == pytest.approx([1.67, 3.33, 10.0], abs=0.01)
    reached = first.reached
    assert (reached["to_m"] - reached["from_m"]).sum() == pytest.approx(43200, abs=20)
    assert result.index["first_receptor"].iloc[0] == "下游甲断面 (A)"
    assert result.index["first_arrival_h"].iloc[0] == pytest.approx(1.67, abs=0.01)


def test_hours_cut_off_and_why_none(project, result):
    assert result.dossiers[1].why == "not_placed" and result.dossiers[1].receptors.empty
    assert result.dossiers[2].why == "nothing_downstream"  # P3 lies below the last section
    longer = answers.dossier(project, velocity_ms=0.5, hours=36)
    assert longer.dossiers[0].receptors["id"].iloc[-1] == "B"
    assert longer.dossiers[0].receptors["arrival_h"].iloc[-1] == pytest.approx(30.0, abs=0.01)
    short = answers.dossier(project, velocity_ms=0.5, hours=1)
    assert short.dossiers[0].why == "beyond_hours" and short.dossiers[0].later["id"] == "A"
    page = dossier_pages(project.basin, short)["_x.html"]
    assert (
        "1 小时内（流速 0.5 m/s）不到达" in page
        and "最先到达的是断面 下游甲断面，距离 3.000 km，约 1.67 小时后" in page
    )
    faster = answers.dossier(project, velocity_ms=1.0).dossiers[0]  # twice as fast: half the time
    assert faster.receptors["arrival_h"].tolist()[:3] == pytest.approx([0.83, 1.67, 5.0], abs=0.01)
    assert faster.receptors["id"].iloc[-1] == "B"  # 15 h now


def test_the_hours_cut_off_is_exact(project):
    """A lies 3 km down: 6000 s = 1.66667 h, inside 1.6667 h and outside 1.6666 h (not by its
    rounded 1.67)."""
    assert answers.dossier(project, hours=1.6667).dossiers[0].receptors["id"].tolist() == ["A"]
    assert answers.dossier(project, hours=1.6666).dossiers[0].receptors.empty


def test_a_river_velocity_moves_the_arrivals_and_the_stretch(project):
    """汾河 at 1 m/s (the default 0.5 elsewhere, on 支流): the same times as all at 1 m/s, and the
    stretch drawn is what the water runs in 24 h at 1 m/s: 86.4 km, cut at the outlet (58 km)."""
    result = answers.dossier(project, velocity_ms=0.5, river_velocity={"汾河": 1.0})
    first = result.dossiers[0]
    assert first.receptors["arrival_h"].tolist() == pytest.approx([0.83, 1.67, 5.0, 15.0], abs=0.01)
    reached = first.reached
    assert (reached["to_m"] - reached["from_m"]).sum() == pytest.approx(58000, abs=20)
    assert "流速 0.5 m/s，汾河 1 m/s，24 小时内" in dossier_pages(project.basin, result)["index.html"]
    half = answers.dossier(project, velocity_ms=0.5, hours=6, river_velocity={"汾河": 1.0}).dossiers[0].reached
    assert (half["to_m"] - half["from_m"]).sum() == pytest.approx(21600, abs=20)  # 6 h × 3.6 km/h


def test_bad_requests_name_the_kind_and_the_kinds_present(project):
    with pytest.raises(InputError, match=r"no facility of kind wetland .*kinds present: sewage_plant .*1, "
                                         r"tailings_pond .*3, water_source .*1"):  # fmt: skip
        answers.dossier(project, kind="wetland")
    with pytest.raises(ParameterError):
        answers.dossier(project, hours=0)
    with pytest.raises(ParameterError):
        answers.dossier(project, kind="pond")


def test_page_names_stay_in_the_folder_and_unique():
    names = page_names(["../x", "CON", "a/b", "a:b", "中文", "中文", "." * 300, "index"])
    assert names[:6] == ["_x.html", "_CON.html", "a_b.html", "a_b-2.html", "中文.html", "中文-2.html"]
    assert names[7] == "index-2.html"  # the list is index.html
    assert len(set(names)) == len(names)
    assert all("/" not in n and "\\" not in n and not n.startswith(".") and len(n.encode()) <= 255 for n in names)


def test_the_sketch_is_plain_svg(project, result):
    svg = sketch(project.basin, result.dossiers[0], hours=24)
    root = ET.fromstring(svg)
    tags = [e.tag.split("}")[1] for e in root.iter()]
    assert set(tags) <= SKETCH_ELEMENTS and "<script" not in svg
    classes = [e.get("class") for e in root.iter()]
    assert classes.count("section") == 2  # U and A lie within 3.75 km; B does not
    assert classes.count("source") == 0 and classes.count("pond") == 1 and classes.count("reached") == 1
    assert ">1 km</text>" in svg  # the scale bar: the round length under a quarter of 7.5 km
    assert svg == sketch(project.basin, result.dossiers[0], hours=24)  # same bytes


def test_user_text_shows_as_text(project, result):
    pages = dossier_pages(project.basin, result)
    assert list(pages) == ["index.html", "_x.html", "_CON.html", "中文.html"]
    every = "".join(pages.values())
    assert "<script" not in every and "&lt;script&gt;alert(1)&lt;/script&gt;" in every
    assert "{{ 7*7 }}" in every and "\x1b" not in every and "\\x1b[2J" in every
    assert "\u202e" not in every and "\\u202e" in every
    assert LONG_NAME in pages["中文.html"] and "很长的尾矿库名称很长的尾矿库名称很…" in pages["中文.html"]
    for svg in (p[p.index("<svg") : p.index("</svg>") + 6] for p in pages.values() if "<svg" in p):
        ET.fromstring(svg)  # the hostile names parse as XML text
    placed = pages["_x.html"]
    assert "风险等级</th><td>重大" in placed and "规模</th><td>50000 m³" in placed
    assert "下游甲断面 (A)" in placed and "1.67" in placed and "10.00" in placed and "30.00" not in placed
    assert "未落到河网上" in pages["_CON.html"]
    assert "没有登记的断面" in pages["中文.html"]
    index = pages["index.html"]
    assert 'href="_x.html"' in index and "水质类别时段：2024年" in index
    assert "http" not in every.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched


def test_the_command_writes_every_page_or_none(files, tmp_path):
    layers = ["--sections", files / "sections.csv", "--facilities", files / "facilities.csv",
              "--rivers", files / "rivers.gpkg", "--counties", files / "counties.gpkg",
              "--measurements", files / "measurements.csv", "--flow", "digitized"]  # fmt: skip
    out = tmp_path / "档案"
    done = run("-q", "dossier", *layers, "-o", out)
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in out.iterdir()) == ["_CON.html", "_x.html", "index.html", "中文.html"]
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())
    again = run("-q", "dossier", *layers, "-o", out)
    assert again.exit_code == 1 and "--overwrite" in again.output
    (out / "009_old.html").write_text("an earlier run's page", encoding="utf-8")
    replaced = run("dossier", *layers, "--kind", "尾矿库", "-o", out, "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    said = replaced.output
    assert "1 page in" in said and "not in this index" in said and "009_old.html" in said
    assert (out / "009_old.html").exists()  # the user's file is left, and named
    missing = run("-q", "dossier", *layers, "--kind", "wetland", "-o", tmp_path / "x")
    assert missing.exit_code == 1 and "kinds present" in missing.output and not (tmp_path / "x").exists()
    bad = run("dossier", *layers, "--hours", "-1", "-o", tmp_path / "y")
    assert bad.exit_code == 2 and "--hours" in bad.output
    helped = run("dossier", "--help")
    assert helped.exit_code == 0 and "Examples" in helped.output


def test_the_embedded_ponds(tmp_path):
    done = run("-q", "dossier", "-o", tmp_path)
    assert done.exit_code == 0, done.output
    assert len(list(tmp_path.glob("*.html"))) == 6  # 5 tailings ponds and the index
    page = (tmp_path / "F042.html").read_text(encoding="utf-8")
    assert "古交铁矿尾矿库" in page and "汾河古交断面 (SX022)" in page and "7900000 m³" in page
    assert "4.064" in page and "2.26" in page  # the first section below, at 0.5 m/s
    assert "未落到河网上" in (tmp_path / "F040.html").read_text(encoding="utf-8")


@pytest.mark.skipif(browser() is None, reason="Chromium is not installed")
def test_a_page_prints_on_a4(project, result, tmp_path):
    pages = dossier_pages(project.basin, result)
    page = tmp_path / "page.html"
    page.write_text(pages["_x.html"], encoding="utf-8")
    picture = tmp_path / "page.png"
    subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--no-first-run", f"--screenshot={picture}", "--window-size=794,1123", page.as_uri()],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    png = picture.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (794, 1123)  # A4 at 96 dpi
    printed = tmp_path / "page.pdf"
    subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--no-first-run", "--no-pdf-header-footer", f"--print-to-pdf={printed}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    pages_printed = re.findall(rb"/Count (\d+)", printed.read_bytes())
    assert pages_printed and int(pages_printed[0]) <= 2  # the tables and the sketch on two A4 sheets


def test_library_tables_keep_english_names(result):
    assert list(result.index.columns) == ["id", "name", "county", "river", "risk_level", "first_receptor",
                                          "first_arrival_h", "page"]  # fmt: skip
    assert isinstance(result.dossiers[0].sections, pd.DataFrame)


def test_without_measurements_the_classes_are_unknown(files):
    project = geoenv.open_project(
        sections=files / "sections.csv", facilities=files / "facilities.csv", rivers=files / "rivers.gpkg",
        counties=files / "counties.gpkg", settings=Settings(network=NetworkSettings(flow="digitized")),
    )  # fmt: skip
    result = answers.dossier(project)
    assert result.period is None and result.dossiers[0].sections["class"].isna().all()
    assert result.dossiers[0].receptors["arrival_h"].tolist() == pytest.approx([1.67, 3.33, 10.0], abs=0.01)
    assert "无监测数据" in dossier_pages(project.basin, result)["_x.html"]
