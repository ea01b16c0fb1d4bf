"""No silent empty answers: what cannot be placed, what lies on a piece of network that reaches
no given outlet, and why a trace or a spill drill finds nothing, named by code and name."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from conftest import write
from test_cli import run


@pytest.fixture
def project(tmp_path):
    """汾河 drains west to (112.0, 37.05), the given outlet; 孤河 is a piece of its own."""
    rivers = gpd.GeoDataFrame(
        {"name": ["汾河", "孤河"]},
        geometry=[shapely.LineString([(112.2, 37.05), (112.0, 37.05)]),
                  shapely.LineString([(112.1, 37.3), (112.2, 37.3)])],
        crs=4326,
    )  # fmt: skip
    rivers.to_file(tmp_path / "rivers.geojson", engine="pyogrio")
    sections = write(tmp_path / "sections.csv", "断面编码,断面名称,河流,经度,纬度,断面级别,水质目标\n"
                     "S1,下游断面,汾河,112.05,37.05,国考,Ⅲ类\nS2,孤河断面,孤河,112.15,37.3,省考,Ⅲ类\n"
                     "S3,远处断面,,113.5,38.5,市考,Ⅲ类\n")  # fmt: skip
    facilities = write(tmp_path / "facilities.csv", "编号,名称,类型,经度,纬度\n"
                       "F1,上游污水厂,污水处理厂,112.15,37.0502\nF2,远处尾矿库,尾矿库,113.6,38.6\n"
                       "F3,孤河排口,入河排污口,112.12,37.3001\n")  # fmt: skip
    measurements = write(tmp_path / "m.csv", "断面编码,监测日期,氨氮\nS1,2024-01-01,2.5\nS2,2024-01-01,0.2\n")
    return ["--rivers", tmp_path / "rivers.geojson", "--sections", sections, "--facilities", facilities,
            "--measurements", measurements, "--outlet", "112.0,37.05", "--tolerance-m", "5"]  # fmt: skip


def test_validate_names_what_cannot_be_placed_and_what_is_loose(project):
    result = run("validate", *project)
    assert result.exit_code == 0, result.output
    assert "section S3 远处断面 lies more than 1000 m from every river: not placed" in result.output
    assert "facility F2 远处尾矿库 lies more than 1000 m from every river: not placed" in result.output
    assert "1 sections lie on pieces of network that reach no given outlet" in result.output
    assert "S2 孤河断面" in result.output and "F3 孤河排口" in result.output


def test_relations_warn_by_name(project, tmp_path):
    result = run("relations", *project, "-o", tmp_path / "r.csv")
    assert result.exit_code == 0, result.output
    assert "S3 远处断面" in result.output and "S2 孤河断面" in result.output


def test_a_trace_that_finds_nothing_says_why(project):
    result = run("trace", "S1", *project, "--kinds", "tailings_pond")
    assert result.exit_code == 0, result.output
    assert "note: no candidate: no facility of the kinds asked (tailings_pond) lies upstream" in result.output
    assert "note: 1 facilities could not be placed on the network and were not searched: F2" in result.output
    result = run("trace", "S1", *project, "--distance-km", "1")
    assert "note: no candidate within 1 km upstream; the nearest lies 8.9 km up" in result.output
    result = run("trace", "S2", *project)
    assert "S2 孤河断面 lies on a piece of network that reaches no given outlet" in result.output


def test_a_spill_that_reaches_nothing_says_why(project):
    result = run("impact", "--facility", "F1", *project, "--distance-km", "0.5")
    assert result.exit_code == 0 and "note: nothing registered within 0.5 km downstream" in result.output
    result = run("impact", "--at", "112.02,37.05", *project)
    assert "note: nothing registered downstream: the spill leaves the network at its outlet after 1.8 km" in (
        result.output
    )
    result = run("impact", "--facility", "F3", *project)
    assert "F3 孤河排口 lies on a piece of network that reaches no given outlet" in result.output
