"""Fixtures: small files the tests write themselves, in the formats users have."""

from __future__ import annotations

import random
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

SECTIONS_CSV = (
    "断面编码,断面名称,河流,经度,纬度,断面级别,水质目标\n"
    "S01,上游断面,汾河,112.05,37.05,国考,Ⅱ类\n"
    "S02,下游断面,汾河,112.15,37.05,省考,3\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def counties_file(tmp_path: Path) -> Path:
    """Two counties sharing the border lon = 112.1 (WGS84), as a GeoPackage."""
    frame = gpd.GeoDataFrame(
        {
            "区县": ["甲县", "乙县"],
            "行政区划代码": ["140101", "140102"],
            "地市": ["测试市", "测试市"],
        },
        geometry=[shapely.box(112.0, 37.0, 112.1, 37.1), shapely.box(112.1, 37.0, 112.2, 37.1)],
        crs=4326,
    )
    path = tmp_path / "counties.gpkg"
    frame.to_file(path, layer="counties", engine="pyogrio")
    return path


@pytest.fixture
def rivers_file(tmp_path: Path) -> Path:
    """One river crossing both counties west to east (about 17.8 km), one unnamed line."""
    frame = gpd.GeoDataFrame(
        {"name": ["汾河", ""]},
        geometry=[shapely.LineString([(112.0, 37.05), (112.2, 37.05)]),
                  shapely.LineString([(112.05, 37.0), (112.05, 37.05)])],
        crs=4326,
    )  # fmt: skip
    path = tmp_path / "rivers.geojson"
    frame.to_file(path, engine="pyogrio")
    return path


@pytest.fixture
def sections_csv(tmp_path: Path) -> Path:
    return write(tmp_path / "sections.csv", SECTIONS_CSV)


MARKER = "PWNED"

# Fragments a hostile (or careless) register holds; combined by the fuzz test.
FRAGMENTS = [
    "{{7*7}}", "{{ cycler.__init__.__globals__.os.system('touch {marker}') }}", "{% if 1 %}x{% endif %}",
    "{% for", "{# note", "#}", "}}", "<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "</div>",
    '=HYPERLINK("http://evil.example","点我")', "+1+2", "-x", "@SUM(A1)", "\t=1", "`${alert(3)}`", "A&B",
    "&amp;", "'\"", "\x1b]0;TITLE\x07", "\x1b[2J\x1b[H", "\u202e", "汾河", "断面", " ", "%", "$",
]  # fmt: skip


def hostile_names(marker: Path, n: int, seed: int = 7) -> list[str]:
    """``n`` distinct names made of the fragments (two to four each), the first few fixed."""
    rng = random.Random(seed)
    fragments = [f.replace("{marker}", str(marker)) for f in FRAGMENTS]
    fixed = ["断面{{7*7}}", fragments[1], "{% for x in y %}", "{# c", "<img src=x onerror=alert(1)>",
             '=HYPERLINK("http://evil.example","y")', "丹河A&B桥断面", "\x1b]0;TITLE\x07\x1b[2Jx"]  # fmt: skip
    names = list(fixed)
    while len(names) < n:
        name = "".join(rng.choice(fragments) for _ in range(rng.randint(2, 4))).strip()
        if name and name not in names:
            names.append(name)
    return names[:n]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A small project whose every text is hostile: 40 sections on one river, facilities,
    two counties, measurements (one section exceeding its target)."""
    folder = tmp_path_factory.mktemp("hostile")
    marker = folder / MARKER
    names = hostile_names(marker, 40)
    river = names[8]
    xs = [112.002 + 0.0049 * i for i in range(40)]
    sections = pd.DataFrame(
        {
            "断面编码": [f"S{i:02d}" for i in range(40)],
            "断面名称": names,
            "河流": river,
            "经度": xs,
            "纬度": 37.05,
            "断面级别": "国考",
            "水质目标": "Ⅲ类",
        }
    )
    sections.to_csv(folder / "sections.csv", index=False, encoding="utf-8")
    facilities = pd.DataFrame(
        {
            "编号": ["F1", "F2"],
            "名称": [names[0], names[1]],
            "类型": ["污水处理厂", "尾矿库"],
            "经度": [xs[3] + 0.001, xs[5] + 0.001],
            "纬度": [37.051, 37.051],
            "设计规模": ["{{7*7}}", "=1+1"],
        }
    )
    facilities.to_csv(folder / "facilities.csv", index=False, encoding="utf-8")
    counties = gpd.GeoDataFrame(
        {"区县": [names[2], names[4]], "地市": [names[6], names[6]], "<img src=x onerror=alert(9)>": [1.0, 2.0]},
        geometry=[shapely.box(112.0, 37.0, 112.1, 37.1), shapely.box(112.1, 37.0, 112.2, 37.1)],
        crs=4326,
    )
    counties.to_file(folder / "counties.gpkg", layer="counties", engine="pyogrio")
    rivers = gpd.GeoDataFrame({"name": [river]}, geometry=[shapely.LineString([(112.0, 37.05), (112.2, 37.05)])],
                              crs=4326)  # fmt: skip
    rivers.to_file(folder / "rivers.geojson", engine="pyogrio")
    rows = [(f"S{i:02d}", f"2024-{m:02d}-01", 2.5 if i == 20 else 0.3) for i in range(40) for m in (1, 2)]
    pd.DataFrame(rows, columns=["断面编码", "监测日期", "氨氮"]).to_csv(folder / "m.csv", index=False)
    layers = ["--sections", folder / "sections.csv", "--facilities", folder / "facilities.csv",
              "--counties", folder / "counties.gpkg", "--rivers", folder / "rivers.geojson",
              "--measurements", folder / "m.csv", "--tolerance-m", "5"]  # fmt: skip
    return {"folder": folder, "marker": marker, "names": names, "river": river, "layers": layers}
