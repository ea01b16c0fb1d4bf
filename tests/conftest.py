"""Fixtures: small files the tests write themselves, in the formats users have."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
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
