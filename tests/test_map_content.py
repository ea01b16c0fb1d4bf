"""Map content built once per period: every page is a filter of it and agrees with its tables,
and the demo's nine pages evaluate the quality once per period they show."""

from __future__ import annotations

import importlib
import json
import re
import sys

import pandas as pd
import pytest
from test_cli import run

import geoenv
from geoenv.maps import build_atlas

CLASS_SHOWN = 6  # the popup's 水质类别 among a section's values


@pytest.fixture(scope="module")
def project():
    return geoenv.open_project()


def shown_classes(page: str) -> dict[str, str]:
    """Each section's class as the popup of the sections layer shows it (not a highlight's)."""
    layers = re.finditer(r'L\.geoJSON\((\{"features".*?"type": "FeatureCollection"\}), \{\s*name: ("[^"]*")', page)
    [features] = [json.loads(m.group(1))["features"] for m in layers if json.loads(m.group(2)) == "监测断面 sections"]
    return {f["properties"]["v"][0]: f["properties"]["v"][CLASS_SHOWN] for f in features}


def counting(monkeypatch, module: str, name: str) -> list[tuple]:
    """Every call of ``module.name``, wherever geoenv has bound that name: the calls' arguments."""
    original = getattr(importlib.import_module(module), name)
    calls: list[tuple] = []

    def counted(*args, **kwargs):
        calls.append((args, kwargs))
        return original(*args, **kwargs)

    for loaded in list(sys.modules.values()):
        if getattr(loaded, "__name__", "").startswith("geoenv") and getattr(loaded, name, None) is original:
            monkeypatch.setattr(loaded, name, counted)
    return calls


def test_a_river_page_is_a_part_of_the_content_with_the_classes_of_its_period(project):
    period = geoenv.period_of(project, "2023")
    atlas = build_atlas(project, period)
    table = atlas.tables["sections.csv"].set_index("code")
    page = atlas.page(river="汾河")
    codes = set(page.sections["code"])
    assert {"SX006", "SX014", "SX028"} <= codes < set(table.index)  # 汾河's own, not the 桑干河's
    assert set(page.rivers["reach"]) < set(atlas.content.rivers["reach"])
    status = project.status(period)
    shown = page.sections.set_index("code")["class"]
    assert (
        shown.to_dict() == status.loc[sorted(codes), "class"].to_dict() == table.loc[sorted(codes), "class"].to_dict()
    )
    assert shown["SX014"] == "IV"  # 2023's class, not the pooled V
    assert atlas.page(county="清徐县").sections["code"].isin(table.index).all()


def test_pages_of_one_atlas_share_its_evaluation(project, monkeypatch):
    calls = counting(monkeypatch, "geoenv.quality.evaluate", "evaluate")
    fresh = geoenv.open_project()
    atlas = build_atlas(fresh, geoenv.period_of(fresh, "2023"), timeline=True)
    for river in ("汾河", "黄河", "桑干河"):
        atlas.page(river=river)
    atlas.page(county="清徐县")
    assert len(calls) == 2  # 2023, and every year for the slider
    assert atlas.content.periods == ["2023", "2024"]


def test_the_demo_evaluates_the_quality_once_per_period_it_shows(tmp_path, monkeypatch):
    """Nine pages of the latest year: one evaluation of 2024, one of every year (the slider),
    one computation of relations and of river lengths; every page shows the classes of the table."""
    evaluations = counting(monkeypatch, "geoenv.quality.evaluate", "evaluate")
    relations = counting(monkeypatch, "geoenv.relate", "relate")
    lengths = counting(monkeypatch, "geoenv.jurisdiction", "river_lengths")
    result = run("-q", "demo", "-o", tmp_path, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("*.html"))) == 9
    periods = sorted([p.label for p in kwargs["periods"]] for _, kwargs in evaluations)
    assert periods == [["2023", "2024"], ["2024"]]
    assert len(relations) == 1 and len(lengths) == 1
    table = pd.read_csv(tmp_path / "sections.csv", encoding="utf-8-sig", dtype={"code": str})
    expected = dict(zip(table["code"], table["class"].fillna("无数据"), strict=True))
    for name in ("index.html", "trace.html"):  # the trace is of 2024: so is its page
        page = (tmp_path / name).read_text(encoding="utf-8")
        assert shown_classes(page) == expected and 'geoenv-title-period">（2024年）' in page
    assert shown_classes((tmp_path / "汾河.html").read_text(encoding="utf-8")).items() < expected.items()


def test_a_map_of_2023_and_its_sections_table_agree(tmp_path):
    result = run("-q", "map", "--period", "2023", "-o", tmp_path / "m", "--lang", "en")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "m" / "sections.csv", encoding="utf-8-sig", dtype={"code": str})
    expected = dict(zip(table["code"], table["class"].fillna("无数据"), strict=True))
    shown = shown_classes((tmp_path / "m" / "index.html").read_text(encoding="utf-8"))
    assert shown == expected and len(shown) == 48
    assert shown["SX014"] == "IV"


def test_a_river_or_county_map_writes_the_tables_of_its_page(tmp_path):
    fen, qx = tmp_path / "fen", tmp_path / "qx"
    assert run("-q", "map", "--period", "2023", "--river", "汾河", "-o", fen, "--lang", "en").exit_code == 0
    assert run("-q", "map", "--period", "2023", "--county", "清徐县", "-o", qx, "--lang", "en").exit_code == 0
    sections = pd.read_csv(fen / "sections.csv")
    lengths = pd.read_csv(fen / "river_lengths.csv").fillna("")
    assert 10 < len(sections) < 48 and set(sections["river"]) == {"汾河"}
    assert "汾河" in set(lengths["river"]) and not {"丹河", "桑干河", "沁河"} & set(lengths["river"])
    assert set(pd.read_csv(qx / "river_lengths.csv")["county"]) == {"清徐县"}
    assert len(pd.read_csv(qx / "sections.csv")) < 10


def test_trace_and_spill_maps_of_the_sample_say_it_is_a_sample(tmp_path):
    for args in (("trace", "SX014", "--period", "2023"), ("impact", "--facility", "F042")):
        page = tmp_path / f"{args[0]}.html"
        assert run("-q", *args, "-o", tmp_path / f"{args[0]}.csv", "--map", page).exit_code == 0
        html = page.read_text(encoding="utf-8")
        assert "示例数据，非官方监测数据" in html and "GSHHG" in html
