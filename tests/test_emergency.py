"""The emergency plan (一河一策一图) on a small network whose answers are known, and on the
embedded data.

The network (metres from the outlet, UTM 49N; water runs west along y = 0 and south along
x = 6000)::

    支河 Z1 (6000, 8000) → (6000, 4000), Z2 (6000, 4000) → (6000, 0), into 大河 at (6000, 0)
    小河 X  (3000, 4000) → (6000, 4000), into 支河
    大河 D1 (12000, 0) → (6000, 0), D2 (6000, 0) → (0, 0), the outlet

    risk sources  S1 tailings pond (6000, 7000) on 支河   S2 outfall (4000, 4000) on 小河
                  S3 industrial park (9000, 0) on 大河 (another river)   S4 wetland (6000, 5000)
                  S5 outfall (9000, 6000), far from every river
    receptors     W1 water source (6000, 2000)   N1 national section (3000, 0) on 大河
                  P1 provincial section (1000, 0) (not a receptor)
                  B1 county border 甲县 → 乙县 at (6000, 3000)   B2 province border 乙县 → 区域外 at (500, 0)

Down from S1: B1 4 km, W1 5 km, N1 10 km, B2 12.5 km; from S2: B1 3 km, W1 4 km, N1 9 km,
B2 11.5 km. At 0.5 m/s a km takes 2000 s (0.5556 h).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import LineString
from test_cli import run
from test_investigate import points
from test_network import CRS, X0, Y0

from geoenv.basin import open_basin
from geoenv.borders import OUTSIDE
from geoenv.emergency_plan import plan, plan_files
from geoenv.io.write import safe_sheet_names, write_files
from geoenv.network import build_network
from geoenv.network.navigate import river_reaches
from geoenv.settings import ParameterError
from geoenv.tracing import impact, reach_velocity

KM_H = 1000 / 0.5 / 3600  # hours per km at 0.5 m/s


def at(x, y):
    return (X0 + x, Y0 + y)


RIVERS = gpd.GeoDataFrame(
    {"id": ["Z1", "Z2", "X", "D1", "D2"], "name": ["支河", "支河", "小河", "大河", "大河"]},
    geometry=[LineString([at(6000, 8000), at(6000, 4000)]), LineString([at(6000, 4000), at(6000, 0)]),
              LineString([at(3000, 4000), at(6000, 4000)]), LineString([at(12000, 0), at(6000, 0)]),
              LineString([at(6000, 0), at(0, 0)])],
    crs=CRS,
)  # fmt: skip


SECTIONS = points([(3000, 0), (1000, 0)], code=["N1", "P1"], name=["国考甲", "省考乙"], river=["大河", "大河"],
                  level=["national", "provincial"], county=["乙县", "乙县"])  # fmt: skip
FACILITIES = points(
    [(6000, 7000), (4000, 4000), (9000, 0), (6000, 5000), (9000, 6000), (6000, 2000)],
    id=["S1", "S2", "S3", "S4", "S5", "W1"], name=["尾矿库", "排口", "园区", "湿地", "远排口", "水源地"],
    kind=["tailings_pond", "outfall", "industrial_park", "wetland", "outfall", "water_source"],
    county=["甲县", "甲县", "乙县", "甲县", "甲县", "乙县"],
)  # fmt: skip


@pytest.fixture(scope="module")
def basin():
    net = build_network(RIVERS, flow="digitized", tolerance_m=5)
    return open_basin(net, SECTIONS, FACILITIES, radius_m=50)


@pytest.fixture(scope="module")
def borders(basin):
    net = basin.net
    reach = {rid: int(net.index_of([rid])[0]) for rid in ("Z2", "D2")}
    where = points([(6000, 3000), (500, 0)])
    return pd.DataFrame({"id": ["B1", "B2"], "upstream_unit": ["甲县", "乙县"], "downstream_unit": ["乙县", OUTSIDE],
                         "lon": where["lon"], "lat": where["lat"], "reach": [reach["Z2"], reach["D2"]],
                         "measure_m": [3000.0, 500.0]})  # fmt: skip


def arrivals(result, source):
    rows = result.pairs[result.pairs["source"] == source]
    return dict(zip(rows["id"], rows["arrival_h"], strict=True))


def test_the_river_takes_its_tributaries_and_not_the_river_below(basin):
    ids = set(basin.net.reaches["id"].to_numpy()[river_reaches(basin.net, "支河")])
    assert ids == {"Z1", "Z2", "X"}
    with pytest.raises(ParameterError, match="did you mean 支河"):
        river_reaches(basin.net, "支流")


def test_sources_receptors_distances_and_arrival_order(basin, borders):
    result = plan(basin, river="支河", borders=borders)
    # S3 lies on 大河, S4 is a wetland, S5 is not placed: only S1 and S2 are risk sources.
    assert result.sources["id"].tolist() == ["S1", "S2"]
    s1 = result.pairs[result.pairs["source"] == "S1"]
    assert s1["id"].tolist() == ["B1", "W1", "N1", "B2"]  # arrival order; P1 is provincial, not a receptor
    assert s1["kind"].tolist() == ["county_border", "water_source", "national_section", "province_border"]
    assert s1["distance_km"].tolist() == pytest.approx([4.0, 5.0, 10.0, 12.5], abs=0.01)
    assert s1["arrival_h"].tolist() == pytest.approx([4 * KM_H, 5 * KM_H, 10 * KM_H, 12.5 * KM_H], abs=0.01)
    s2 = result.pairs[result.pairs["source"] == "S2"]
    assert s2["distance_km"].tolist() == pytest.approx([3.0, 4.0, 9.0, 11.5], abs=0.01)  # from the tributary 小河
    assert s1["river"].tolist() == ["支河", "支河", "大河", "大河"]  # below the river, on the one it flows into
    assert any("S5 远排口" in note and "could not be placed" in note for note in result.notes)
    summary = result.summary.set_index("id")
    assert summary.index.tolist() == ["B1", "W1", "N1", "B2"]  # by earliest arrival
    assert summary.loc["W1", "sources"] == "S2;S1" and summary.loc["W1", "earliest_source"] == "S2"
    assert summary.loc["W1", "earliest_h"] == pytest.approx(4 * KM_H, abs=0.01)
    assert summary.loc["W1", "n_sources"] == 2 and summary.loc["W1", "distance_km"] == pytest.approx(4.0, abs=0.01)


def test_the_hours_cut_off(basin, borders):
    # S1 reaches N1 after 10 km: 5.5556 h.
    assert "N1" not in arrivals(plan(basin, river="支河", hours=5.55, borders=borders), "S1")
    assert "N1" in arrivals(plan(basin, river="支河", hours=5.56, borders=borders), "S1")
    short = plan(basin, river="支河", hours=1.0, borders=borders)
    assert short.pairs.empty and short.summary.empty
    why = "S1 尾矿库: nothing within 1 h; its first receptor, 县界 甲县 → 乙县 (B1), is 4.0 km down (2.2 h)"
    assert why in short.notes
    # what a source reaches within the hours, for the map: S1's 1 h at 0.5 m/s is 1.8 km of Z1
    pieces = short.pieces["S1"]
    assert (pieces["to_m"] - pieces["from_m"]).sum() == pytest.approx(1800, abs=1)
    day = plan(basin, river="支河", borders=borders).pieces["S1"]  # 24 h: to the outlet, 3 km of Z1 + 4 + 6
    assert (day["to_m"] - day["from_m"]).sum() == pytest.approx(13000, abs=1)


def test_a_receptor_whose_id_is_its_sources_is_kept(basin, borders):
    """Registers numbered 1, 2, 3 in both layers: the section N1 renamed S1 is still reached
    from the source S1 (only a water source that is the facility itself is left out)."""
    same = SECTIONS.assign(code=SECTIONS["code"].replace({"N1": "S1"}))
    clash = open_basin(basin.net, same, FACILITIES, radius_m=50)
    assert arrivals(plan(clash, river="支河", borders=borders), "S1") == pytest.approx(
        {"B1": 4 * KM_H, "W1": 5 * KM_H, "S1": 10 * KM_H, "B2": 12.5 * KM_H}, abs=0.01
    )


def test_a_velocity_per_river_changes_the_cut_off_and_the_earliest_source(basin, borders):
    fast = plan(basin, river="支河", hours=4.5, river_velocity={"大河": 2.0}, borders=borders)
    # 7 km of 支河 at 0.5 m/s, then 3 km (N1) or 5.5 km (B2) of 大河 at 2 m/s
    assert arrivals(fast, "S1")["N1"] == pytest.approx((14000 + 1500) / 3600, abs=0.01)
    assert "B2" not in arrivals(fast, "S1")  # (14000 + 2750) s = 4.65 h
    assert "N1" not in arrivals(plan(basin, river="支河", hours=4.5, borders=borders), "S1")
    slow = plan(basin, river="支河", river_velocity={"小河": 0.2}, borders=borders)
    # S2's 2 km of 小河 at 0.2 m/s: W1 after 10000 + 4000 s, later than S1's 10000 s
    summary = slow.summary.set_index("id")
    assert summary.loc["W1", "sources"] == "S1;S2" and summary.loc["W1", "earliest_source"] == "S1"
    assert arrivals(slow, "S2")["W1"] == pytest.approx(14000 / 3600, abs=0.01)


def test_velocities_by_river_in_impact_and_their_checks(basin):
    table = impact(basin, facility="S1", river_velocity={"大河": 2.0}).table.set_index("id")
    assert table.loc["N1", "arrival_h"] == pytest.approx(15500 / 3600, abs=0.01)
    with pytest.raises(ParameterError, match=r"river_velocity = '大和'.*did you mean 大河"):
        reach_velocity(basin.net, 0.5, {"大和": 1.0})
    with pytest.raises(ParameterError, match="river_velocity"):
        reach_velocity(basin.net, 0.5, {"大河": 0.0})
    rivers = RIVERS.assign(velocity=[np.nan, np.nan, np.nan, np.nan, 3.0])
    own = build_network(rivers, flow="digitized", tolerance_m=5)
    velocity = reach_velocity(own, 0.5, {"大河": 2.0})  # D2's own velocity wins over its river's
    assert dict(zip(own.reaches["id"], velocity, strict=True)) == {"Z1": 0.5, "Z2": 0.5, "X": 0.5, "D1": 2.0,
                                                                    "D2": 3.0}  # fmt: skip
    layer = plan(open_basin(own, SECTIONS, FACILITIES, radius_m=50), river="支河")
    assert layer.velocity_words == "流速 0.5 m/s（河段自带流速时以其为准）"  # the titles say the layer's win
    assert plan(basin, river="支河").velocity_words == "流速 0.5 m/s"


def test_workbook_sheets_titles_and_csvs(basin, borders, tmp_path):
    result = plan(basin, river="支河", river_velocity={"大河": 2.0}, borders=borders)
    write_files(plan_files(result, tmp_path), overwrite=False)
    book = openpyxl.load_workbook(tmp_path / "一河一策.xlsx")
    assert book.sheetnames == ["汇总", "S1 尾矿库", "S2 排口"]
    title = book["汇总"]["A1"].value
    assert "支河" in title and "流速 0.5 m/s，大河 2 m/s" in title and "24 小时内" in title
    rows = list(book["S1 尾矿库"].iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("类型", "敏感目标", "区县", "距离(km)", "到达用时(h)")
    assert rows[1][:3] == ("县界", "甲县 → 乙县 (B1)", "乙县") and rows[2][:2] == ("饮用水水源地", "水源地 (W1)")
    assert rows[1][3] == pytest.approx(4.0, abs=0.01)
    summary = pd.read_csv(tmp_path / "一河一策汇总.csv", encoding="utf-8-sig")
    assert summary["敏感目标"].tolist() == ["甲县 → 乙县 (B1)", "水源地 (W1)", "国考甲 (N1)", "乙县 → 区域外 (B2)"]
    pairs = pd.read_csv(tmp_path / "一河一策明细.csv", encoding="utf-8-sig")
    assert len(pairs) == 8 and set(pairs["风险源编号"]) == {"S1", "S2"}


def test_sheet_names_are_safe_for_excel():
    names = safe_sheet_names(["F1 a[b]:c*d?e/f\\g", "f1 a_b__c_d_e_f_g", "'History'", "长" * 40, "长" * 40],
                             taken=["汇总"])  # fmt: skip
    assert names[0] == "F1 a_b__c_d_e_f_g" and names[1] == "f1 a_b__c_d_e_f_g~2"
    assert names[2] == "_History" and names[3] == "长" * 31 and names[4] == "长" * 29 + "~2"
    assert safe_sheet_names(["汇总"], taken=["汇总"]) == ["汇总~2"]
    # an RTL override would be written \u202e in the workbook, and Excel refuses a backslash
    assert safe_sheet_names(["a/b \x1b[2J排口\u202eRTL"]) == ["a_b __2J排口_RTL"]


def test_a_plan_with_bidirectional_text_in_a_name_is_written(basin, borders, tmp_path):
    facilities = FACILITIES.assign(name=FACILITIES["name"].where(FACILITIES["id"] != "S1", "排口\u202eRTL"))
    written = write_files(plan_files(plan(open_basin(basin.net, SECTIONS, facilities, radius_m=50), river="支河",
                                          borders=borders), tmp_path), overwrite=False)  # fmt: skip
    assert openpyxl.load_workbook(tmp_path / "一河一策.xlsx").sheetnames[1] == "S1 排口_RTL" and written


# --- the command -----------------------------------------------------------------------------


def test_emergency_on_the_embedded_data(tmp_path):
    out = tmp_path / "汾河"
    result = run("-q", "emergency", "--river", "汾河", "-o", out)
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == ["index.html", "一河一策.xlsx", "一河一策明细.csv", "一河一策汇总.csv"]
    book = openpyxl.load_workbook(out / "一河一策.xlsx")
    assert book.sheetnames[0] == "汇总" and "F042 古交铁矿尾矿库" in book.sheetnames
    rows = list(book["F042 古交铁矿尾矿库"].iter_rows(min_row=3, values_only=True))
    assert rows[0][:2] == ("饮用水水源地", "汾河二库饮用水水源地 (F045)")
    hours = [r[4] for r in rows]
    assert hours == sorted(hours) and max(hours) <= 24
    summary = pd.read_csv(out / "一河一策汇总.csv", encoding="utf-8-sig")
    # Below the 汾河 the 黄河 runs along the province border: it crosses county borders there
    # (河津市 → 万荣县 25.821 km from 河津污水处理厂, 14.34 h at 0.5 m/s), not 区域外 and back.
    assert {"国考断面", "饮用水水源地", "县界"} <= set(summary["类型"]) and "省界" not in set(summary["类型"])
    border = summary[summary["敏感目标"].str.startswith("河津市 → 万荣县") & (summary["河流"] == "黄河")].iloc[0]
    assert (border["距离(km)"], border["最早到达用时(h)"]) == (25.821, 14.34)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "汾河一河一策一图" in html and "尾矿库 24 小时可达范围" in html and "敏感目标" in html
    assert html.count("污水处理厂 24 小时可达范围") == 1  # a legend line per kind, a layer per source
    assert "古交铁矿尾矿库 (F042)" in html
    assert "<script src=" not in html  # offline


def test_emergency_errors_say_what_to_do(tmp_path):
    result = run("emergency", "--river", "汾和", "-o", tmp_path / "x")
    assert result.exit_code == 2 and "--river" in result.output and "did you mean 汾河" in result.output
    result = run("emergency", "--river", "汾河", "--river-velocity", "汾河", "-o", tmp_path / "x")
    assert result.exit_code == 2 and "NAME=M/S" in result.output
    result = run("emergency", "--river", "汾河", "--river-velocity", "汾和=1", "-o", tmp_path / "x")
    assert result.exit_code == 2 and "--river-velocity" in result.output and "汾河" in result.output
    result = run("emergency", "--river", "汾河", "--kinds", "pond", "-o", tmp_path / "x")
    assert result.exit_code == 2 and "--kinds" in result.output and "tailings_pond (尾矿库)" in result.output
    assert not (tmp_path / "x").exists()


def test_the_map_names_sources_and_receptors_escaped(tmp_path):
    rivers = RIVERS.to_crs(4326)
    rivers.to_file(tmp_path / "rivers.geojson", engine="pyogrio")
    hostile = "<b>尾矿</b>`${x}`"
    facilities = FACILITIES.assign(name=FACILITIES["name"].where(FACILITIES["id"] != "S1", hostile))
    facilities.drop(columns="geometry").to_csv(tmp_path / "facilities.csv", index=False)
    SECTIONS.drop(columns="geometry").assign(target_class="III").to_csv(tmp_path / "sections.csv", index=False)
    out = tmp_path / "plan"
    result = run("-q", "emergency", "--river", "支河", "--rivers", tmp_path / "rivers.geojson", "--flow", "digitized",
                 "--sections", tmp_path / "sections.csv", "--facilities", tmp_path / "facilities.csv",
                 "--radius-m", "50", "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert (
        "<b>尾矿</b>" not in html and "\\u0026lt;b\\u0026gt;尾矿\\u0026lt;/b\\u0026gt;" in html
    )  # in the layer's data
    assert not re.search(r"`\$\{x\}`", html)
    assert "入河排污口 24 小时可达范围" in html and "水源地" in html and "国考甲" in html
    assert "排口 (S2)" in html  # the earliest source at W1, by name and code
    book = openpyxl.load_workbook(out / "一河一策.xlsx")
    assert book.sheetnames[:2] == ["汇总", "S1 <b>尾矿<_b>`${x}`"]  # / is not in a sheet name; the rest is text


def test_the_answer_checks_its_parameters():
    import geoenv
    from geoenv.answers import emergency

    project = geoenv.open_project()
    for name, change in (("hours", {"hours": 0}), ("kinds", {"kinds": "outfall"}), ("kinds", {"kinds": ("pond",)}),
                         ("velocity_ms", {"velocity_ms": float("nan")}), ("river_velocity", {"river_velocity": 1.0}),
                         ("river", {"river": " "})):  # fmt: skip
        with pytest.raises(ParameterError) as caught:
            emergency(project, **{"river": "汾河", **change})
        assert caught.value.parameter == name
    assert emergency(project, river="汾河", kinds=("tailings_pond",), hours=3).sources["id"].tolist() == ["F042"]


def test_kinds_as_registers_write_them(tmp_path):
    result = run(
        "-q", "emergency", "--river", "汾河", "--kinds", "尾矿库，工业园区", "--hours", "3", "-o", tmp_path / "x"
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "x" / "一河一策.xlsx")
    assert book.sheetnames == ["汇总", "F042 古交铁矿尾矿库"]  # the parks on the 汾河 are not placed
