"""Tracing, spill drills, border crossings and reports: on the comb network of test_network,
with sections and facilities placed where the answers are known, and on the embedded data.

Positions (metres from the outlet corner; water runs west along y = 0, tributaries run south):
    sections  A (1000, 0) on M5, B (5500, 0) on M3, C (6000, 1000) on T6, D (9000, 0) on M1
    F1 sewage plant, outfall (8000, 1000) on T8    F2 tailings pond (3000, 0) on M4
    F3 industrial park (5000, 2000) on S            F4 outfall (7000, 0) on M2
    F5 drinking-water source (500, 0) on M5
    counties 西县 x < 5000 and 东县 x > 5000: the main stem and S cross from east to west
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from test_cli import run
from test_maps import points_of
from test_network import CRS, X0, Y0, tree

from geoenv.basin import open_basin
from geoenv.borders import crossings
from geoenv.errors import InputError
from geoenv.network import build_network
from geoenv.tracing import impact, trace


def points(xy, **columns) -> gpd.GeoDataFrame:
    xs, ys = zip(*xy, strict=True)
    frame = gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(np.add(xs, X0), np.add(ys, Y0)), crs=CRS)
    frame = frame.to_crs(4326)
    frame["lon"], frame["lat"] = frame.geometry.x, frame.geometry.y
    return frame


SECTIONS = points(
    [(1000, 0), (5500, 0), (6000, 1000), (9000, 0)],
    code=["A", "B", "C", "D"], name=["甲", "乙", "丙", "丁"], river=["M", "M", "T", "M"],
)  # fmt: skip
FACILITIES = points(
    [(8000, 1000), (3000, 0), (5000, 2000), (7000, 0), (500, 0)],
    id=["F1", "F2", "F3", "F4", "F5"], name=["污水厂", "尾矿库", "园区", "排口", "水源地"],
    kind=["sewage_plant", "tailings_pond", "industrial_park", "outfall", "water_source"],
    capacity=[20000, 50000, np.nan, np.nan, np.nan], river=["", "", "", "", ""],
)  # fmt: skip
COUNTIES = gpd.GeoDataFrame(
    {"name": ["西县", "东县"], "city": ["测试市", "测试市"]},
    geometry=[
        shapely.box(X0 - 500, Y0 - 1000, X0 + 5000, Y0 + 4000),
        shapely.box(X0 + 5000, Y0 - 1000, X0 + 10500, Y0 + 4000),
    ],
    crs=CRS,
).to_crs(4326)


@pytest.fixture(scope="module")
def basin():
    net = build_network(tree(), flow="digitized", tolerance_m=5)
    return open_basin(net, SECTIONS, FACILITIES, radius_m=50)


def status(**meets):
    frame = pd.DataFrame({"code": list("ABCD")}).set_index("code")
    frame["class"], frame["target"] = "IV", "III"
    frame["meets_target"] = [meets.get(c, False) for c in frame.index]
    frame["exceeding"] = [["nh3n"] for _ in frame.index]
    return frame


def test_trace_finds_the_known_upstream_set_with_distances(basin):
    table = trace(basin, "A", status=status()).table.set_index("id")
    assert set(table.index) == {"F1", "F2", "F3", "F4", "B", "C", "D"}  # F5 is below A and not a source
    expected = {
        "F2": 2000,
        "F3": 3000 + 2000 + 1000,
        "F4": 6000,
        "F1": 7000 + 1000,
        "B": 4500,
        "C": 5000 + 1000,
        "D": 8000,
    }
    for key, metres in expected.items():
        assert table.loc[key, "distance_km"] == pytest.approx(metres / 1000, rel=0.001), key
    # NH3-N exceeds: the sewage plant and the outfall fit, the tailings pond hardly.
    assert table.loc["F1", "fit"] == 1.0 and table.loc["F4", "fit"] == 1.0 and table.loc["F2", "fit"] == 0.1
    ranked = [i for i in table.index if i.startswith("F")]
    assert ranked.index("F4") < ranked.index("F2") and ranked.index("F1") < ranked.index("F2")
    assert table.loc["F4", "score"] == pytest.approx(1.0 * (1 / 1.6) * 0.75, abs=1e-4)


def test_trace_from_the_middle_and_with_limits(basin):
    table = trace(basin, "B", status=status()).table
    assert set(table["id"]) == {"F1", "F4", "C", "D"}
    assert set(trace(basin, "B", status=status(), distance_km=2.5).table["id"]) == {"F4", "C"}
    assert set(trace(basin, "A", status=status(), mode="UM").table["id"]) == {"F2", "F4", "B", "D"}
    assert set(trace(basin, "A", status=status(), kinds=("tailings_pond",)).table["id"]) == {"F2", "B", "C", "D"}


def test_stop_at_compliant_keeps_what_lies_between(basin):
    result = trace(basin, "A", status=status(B=True), stop_at_compliant=True)
    assert result.stops == ["B"]
    assert set(result.table["id"]) == {"F2", "F3", "B"}  # below B, above A; nothing above B
    assert set(trace(basin, "A", status=status(B=True)).table["id"]) > set(result.table["id"])


def test_impact_order_distances_and_arrival(basin):
    result = impact(basin, facility="F1", velocity_ms=0.5)
    table = result.table.set_index("id")
    assert table.index.tolist() == ["B", "A", "F5"]  # C is on another tributary
    assert table.loc["B", "distance_km"] == pytest.approx(1.0 + 2.5, rel=0.01)
    assert table.loc["A", "distance_km"] == pytest.approx(8.0, rel=0.01)
    assert table.loc["F5", "distance_km"] == pytest.approx(8.5, rel=0.01) and table.loc["F5", "kind"] == "water_source"
    assert table.loc["A", "arrival_h"] == pytest.approx(8000 / 0.5 / 3600, rel=0.01)
    assert table["distance_km"].is_monotonic_increasing


def test_impact_with_a_velocity_per_river_and_borders(basin):
    rivers = tree()
    rivers["velocity"] = np.where(rivers["id"].str.startswith("M"), 1.0, 0.25)
    net = build_network(rivers, flow="digitized", tolerance_m=5)
    fast = open_basin(net, SECTIONS, FACILITIES, radius_m=50)
    found = crossings(fast, COUNTIES).crossings
    borders = found.assign(name="border", county=found["downstream_unit"])
    table = impact(fast, facility="F1", borders=borders).table.set_index("id")
    # 1 km down T8 at 0.25 m/s, then 7 km of main stem at 1 m/s.
    assert table.loc["A", "arrival_h"] == pytest.approx((1000 / 0.25 + 7000 / 1.0) / 3600, rel=0.01)
    border = table[table["kind"] == "border"]
    assert len(border) == 1 and border["distance_km"].iloc[0] == pytest.approx(1.0 + 3.0, rel=0.01)


def test_unknown_and_unplaced_are_clear(basin):
    with pytest.raises(InputError, match=r"no section 'AA' in the register; did you mean A\?"):
        trace(basin, "AA")
    far = open_basin(basin.net, points([(5000, 900)], code=["Z"], name=["远"], river=[""]), radius_m=50)
    with pytest.raises(InputError, match="lies more than 50 m from every river"):
        trace(far, "Z")
    with pytest.raises(InputError, match=r"where the spill enters the river: facility \(an id\) or at \(lon, lat\)"):
        impact(basin)


# --- the embedded data ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def shanxi():
    from geoenv import open_project
    from geoenv.config import embedded_source
    from geoenv.network import open_network

    project = open_project()
    net = open_network(embedded_source("rivers"))
    return project, open_basin(net, project["sections"], project["facilities"])


def test_embedded_trace_and_spill(shanxi):
    _, basin = shanxi
    spill = impact(basin, facility="F042").table  # 古交 tailings pond on the 汾河
    sections = spill.loc[spill["kind"] == "section", "id"].tolist()
    assert sections[:4] == ["SX022", "SX021", "SX020", "SX019"]  # down the 汾河 through 太原
    assert spill["distance_km"].is_monotonic_increasing and spill["kind"].eq("water_source").any()
    found = trace(basin, "SX016").table
    assert {"F020", "F021", "F042"} <= set(found["id"]) and "F001" not in set(found["id"])


# --- the commands ------------------------------------------------------------------------------


def test_trace_impact_crossings_report_commands(tmp_path):
    result = run("-q", "trace", "SX014", "--period", "2024", "-o", tmp_path / "t.csv", "--map", tmp_path / "t.html")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")
    assert {"类型", "编号", "名称", "区县", "河流", "距离(km)", "得分"} <= set(table.columns)
    assert '"\\u6eaf\\u6e90 trace"' in (tmp_path / "t.html").read_text(encoding="utf-8")  # the layer 溯源 trace
    result = run("-q", "impact", "--facility", "F042", "-o", tmp_path / "i.csv", "--lang", "en")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "i.csv", encoding="utf-8-sig")
    assert list(table.columns[:6]) == ["kind", "id", "name", "county", "distance_km", "arrival_h"]
    assert run("-q", "crossings", "-o", tmp_path / "x.csv").exit_code == 0
    assert (tmp_path / "x.units.csv").exists()
    result = run("-q", "report", "--period", "2024", "-o", tmp_path / "report")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "report" / "report.xlsx", read_only=True)
    assert book.sheetnames == ["断面名录", "设施名录", "区县汇总", "河流汇总", "超标断面", "同比", "月度"]
    header = [c.value for c in next(book["超标断面"].iter_rows(min_row=2, max_row=2))]  # below the title
    assert header[:2] == ["断面编码", "名称"] and "溯源排查对象(前三)" in header
    exceeding = pd.read_csv(tmp_path / "report" / "exceedances.csv", encoding="utf-8-sig")
    assert len(exceeding) == 4 and exceeding["溯源排查对象(前三)"].notna().all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["trace", "SX999"], "no section 'SX999' in the register; did you mean"),
        (["trace", "SX014", "--period", "2030"], "no measurements in 2030"),
        (["impact", "--facility", "F051"], "lies more than 1000 m from every river"),
        (["trace", "SX014", "--kinds", "mines"], "Invalid value for --kinds: 'mines' is not one of sewage_plant"),
    ],
)
def test_bad_requests(tmp_path, args, message):
    out = tmp_path / "out.csv"
    result = run(*args, "-o", out)
    assert result.exit_code in (1, 2) and message in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_the_trace_map_shows_the_period_of_its_table(tmp_path):
    """SX014 is IV in 2023 and V over 2023–2024: a 2023 trace's map must say IV, as its table."""
    table, page = tmp_path / "t.csv", tmp_path / "t.html"
    result = run("trace", "SX014", "--period", "2023", "-o", str(table), "--map", str(page))
    assert result.exit_code == 0, result.output
    assert "SX014 汾河孝义断面 in 2023: class IV" in result.output
    features = points_of(page.read_text(encoding="utf-8"))
    values = next(f["properties"]["v"] for f in features if f["properties"]["v"][0] == "SX014")
    assert values[5:7] == ["IV", "IV"]  # target IV, and 2023's class IV, not the pooled V
    assert values[7] == "达标"  # 2023's compliance, then its main pollutants, not the pooled 化学需氧量(0.6)
    assert values[8].startswith("化学需氧量(0.5)")


def test_impact_follows_the_spill_for_hours(tmp_path):
    """F042 at 0.5 m/s: SX022 at 4.064 km (2.26 h), F045 at 4.411 km (2.45 h), the border into
    万柏林区 at 21.57 km (11.98 h) are within 12 h; SX021 (15.5 h) is not; nothing within 1 h."""
    out = tmp_path / "12h.csv"
    assert run("-q", "impact", "--facility", "F042", "--hours", "12", "-o", out).exit_code == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table["名称"].tolist() == ["汾河古交断面", "汾河二库饮用水水源地", "古交市 → 万柏林区"]
    assert table["到达用时(h)"].tolist() == [2.26, 2.45, 11.98]
    none = run("impact", "--facility", "F042", "--hours", "1", "-o", tmp_path / "1h.csv")
    assert none.exit_code == 0 and "nothing registered within 1 h downstream" in none.output
