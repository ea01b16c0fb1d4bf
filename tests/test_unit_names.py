"""Units with the same name: 阳泉市 and 晋城市 each have a 城区. A county name two cities share
is told apart by its city, in the crossings and in the units sections lie in."""

from __future__ import annotations

import numpy as np
from test_crossings import basin_of, counties, rivers, sections

from geoenv.borders import crossings, section_units, unit_names
from geoenv.jurisdiction import assign_counties


def test_a_shared_county_name_is_told_apart_by_its_city():
    areas = counties(城区_阳泉市=(-1000, 10000), 城区_晋城市=(10000, 21000))
    assert unit_names(areas).tolist() == ["城区（阳泉市）", "城区（晋城市）"]
    areas["adcode"] = ["140302", "140502"]
    placed = sections(S1=(4000, 0), S2=(16000, 0))
    registered = placed.join(assign_counties(placed, areas))
    basin = basin_of(rivers(M=[(0, 0), (20000, 0)]), registered)
    found = crossings(basin, areas)
    inner = found.crossings[found.crossings["upstream_unit"] != "区域外"]
    inner = inner[inner["downstream_unit"] != "区域外"]
    assert inner[["upstream_unit", "downstream_unit", "outflow_section", "inflow_section"]].values.tolist() == [
        ["城区（阳泉市）", "城区（晋城市）", "S1", "S2"]
    ]
    assert inner[["outflow_km", "inflow_km"]].values.tolist() == [[6.0, 6.0]]
    assert section_units(basin, areas, "county").tolist() == ["城区（阳泉市）", "城区（晋城市）"]
    assert sorted(found.units["unit"]) == ["城区（晋城市）", "城区（阳泉市）"]


def test_names_once_stay_as_they_are():
    areas = counties(甲县=(-1000, 10000), 乙县=(10000, 21000))
    assert unit_names(areas).tolist() == ["甲县", "乙县"]
    assert np.array_equal(unit_names(areas.iloc[:0]), np.array([], dtype=object))
