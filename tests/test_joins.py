"""Point-in-county joins (shared border, just outside, far outside) and river lengths."""

import pandas as pd
import pytest
from conftest import write

from geoenv.io import LayerSource
from geoenv.jurisdiction import river_lengths
from geoenv.layers import load
from geoenv.project import inspect_project

# 0.001° of longitude at 37.05°N is about 89 m; 0.01° about 888 m.
SECTIONS = (
    "断面编码,断面名称,经度,纬度\n"
    "S1,inside,112.05,37.05\n"
    "S2,border,112.1,37.05\n"  # on the shared border of 甲县 (140101) and 乙县 (140102)
    "S3,just outside,112.201,37.05\n"  # ~89 m east of 乙县
    "S4,far outside,112.21,37.05\n"  # ~890 m east of 乙县
)


@pytest.fixture
def project(tmp_path, counties_file, rivers_file):
    sources = {
        "counties": LayerSource(counties_file),
        "rivers": LayerSource(rivers_file),
        "sections": LayerSource(write(tmp_path / "s.csv", SECTIONS)),
    }
    return inspect_project(sources)


def test_county_of_each_point(project):
    data = project["sections"]
    assert list(data["county"][:3]) == ["甲县", "甲县", "乙县"] and pd.isna(data["county"].iloc[3])
    assert list(data["admin_match"]) == ["inside", "border", "near", "outside"]
    assert list(data["adcode"][:3]) == ["140101", "140101", "140102"]
    assert list(data["city"][:3]) == ["测试市"] * 3
    assert 80 < data["outside_m"].iloc[2] < 100 and 850 < data["outside_m"].iloc[3] < 950


def test_join_problems_are_located(project):
    problems = [(p.severity, p.where, p.message) for p in project.problems]
    assert problems[0][:2] == ("warning", "row 4")
    assert problems[0][2].startswith("point is 89 m outside every county; assigned to the nearest, 乙县")
    assert problems[1][:2] == ("warning", "row 5")  # a neighbour's section: kept with no county
    assert problems[1][2].startswith("point is 0.9 km outside every county (the counties in ")
    assert "kept with no county, shown as outside on maps" in problems[1][2]
    assert len(problems) == 2


def test_outside_every_county_is_an_error_when_strict(tmp_path, counties_file, rivers_file):
    sources = {"counties": LayerSource(counties_file), "sections": LayerSource(write(tmp_path / "s.csv", SECTIONS))}
    (error,) = inspect_project(sources, strict=True).errors
    assert error.where == "row 5" and "leave out --strict" in error.message


def test_river_lengths_per_county(counties_file, rivers_file):
    counties = load("counties", LayerSource(counties_file)).data
    rivers = load("rivers", LayerSource(rivers_file)).data
    table = river_lengths(rivers, counties)
    named = table[table["river"] == "汾河"]
    # 0.1° of longitude at 37.05°N on the WGS84 ellipsoid: 8.890 km (pyproj Geod).
    assert sorted(named["county"]) == ["乙县", "甲县"]
    assert named["length_km"].tolist() == pytest.approx([8.890, 8.890], abs=0.02)
    unnamed = table[table["river"] == ""]
    assert unnamed["county"].tolist() == ["甲县"]
    assert unnamed["length_km"].iloc[0] == pytest.approx(5.55, abs=0.02)  # 0.05° of latitude
