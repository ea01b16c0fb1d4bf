"""GIS files bureau desktops open: GeoPackage 1.2, shapefiles with a .cpg, 10-byte field names."""

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from test_cli import run

from geoenv import datasets
from geoenv.errors import OutputError
from geoenv.io.gis import FIELD_NAMES, field_names, shapefile_frame, shapefile_paths
from geoenv.network.store import ARRAY_TABLE, load_network

GPKG_APPLICATION_ID = int.from_bytes(b"GPKG", "big")


def version(path):
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA application_id").fetchone()[0], db.execute("PRAGMA user_version").fetchone()[0]


def ok(result):
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Every GIS output of the commands, written once from the embedded data."""
    d = tmp_path_factory.mktemp("gis")
    rivers = datasets.get_path("shanxi_rivers")
    ok(run("network", "build", rivers, "-o", d / "net.gpkg"))
    ok(run("network", "build", rivers, "-o", d / "net.shp"))
    ok(run("network", "check", rivers, "-o", d / "qa.gpkg"))
    ok(run("relations", "-o", d / "rel.csv", "--save-network", d / "saved.gpkg"))
    ok(run("relations", "-o", d / "rel.shp", "--encoding", "gbk"))
    ok(run("join", "sections", "--lang", "en", "-o", d / "sections.csv"))
    ok(run("join", "sections", "-o", d / "sections.shp", "--encoding", "gbk"))
    ok(run("join", "sections", "-o", d / "sections_utf8.shp"))
    ok(run("join", "facilities", "-o", d / "facilities.gpkg"))
    ok(run("join", "facilities", "-o", d / "facilities.shp"))
    ok(run("trace", "SX014", "--lang", "en", "-o", d / "trace.csv"))
    ok(run("trace", "SX014", "-o", d / "trace.gpkg"))
    ok(run("trace", "SX014", "-o", d / "trace.shp"))
    ok(run("impact", "--facility", "F042", "-o", d / "impact.gpkg"))
    return d


GPKGS = ["net.gpkg", "qa.gpkg", "saved.gpkg", "facilities.gpkg", "trace.gpkg", "impact.gpkg"]
SHAPEFILES = ["net.shp", "rel.shp", "sections.shp", "sections_utf8.shp", "facilities.shp", "trace.shp",
              "trace_reaches.shp"]  # fmt: skip


@pytest.mark.parametrize("name", GPKGS)
def test_every_geopackage_is_version_1_2(outputs, name):
    assert version(outputs / name) == (GPKG_APPLICATION_ID, 10200)


def test_saved_networks_at_1_2_still_load_from_their_arrays(outputs):
    for name in ("net.gpkg", "saved.gpkg"):
        with sqlite3.connect(outputs / name) as db:
            stored = {n for (n,) in db.execute(f"SELECT name FROM {ARRAY_TABLE}")}
            reaches = db.execute('SELECT count(*) FROM "reaches"').fetchone()[0]
        assert "state" in stored
        assert load_network(outputs / name).n == reaches
    layers = {name for name, _ in pyogrio.list_layers(outputs / "saved.gpkg")}
    assert {"reaches", "links", "sections"} <= layers


@pytest.mark.parametrize("name", SHAPEFILES)
def test_shapefiles_are_whole_sets_with_short_unique_field_names(outputs, name):
    path = outputs / name
    assert all(p.is_file() for p in shapefile_paths(path))
    fields = list(pyogrio.read_info(path)["fields"])
    assert all(len(f.encode()) <= 10 for f in fields)
    assert len({f.lower() for f in fields}) == len(fields)
    assert 'GEOGCS["GCS_WGS_1984"' in (outputs / name).with_suffix(".prj").read_text()


def test_cpg_says_the_encoding_and_gbk_round_trips_chinese_names(outputs):
    assert (outputs / "sections.cpg").read_bytes() == b"936"
    assert (outputs / "sections_utf8.cpg").read_bytes() == b"UTF-8"
    table = pd.read_csv(outputs / "sections.csv", encoding="utf-8-sig", dtype=str)
    dbf = (outputs / "sections.dbf").read_bytes()
    assert all(name.encode("gbk") in dbf for name in table["name"])
    assert not any(name.encode("utf-8") in dbf for name in table["name"])
    for shp in ("sections.shp", "sections_utf8.shp"):
        assert pyogrio.read_dataframe(outputs / shp)["name"].tolist() == table["name"].tolist()


def test_placed_sections_shapefile_equals_the_csv(outputs):
    table = pd.read_csv(outputs / "sections.csv", encoding="utf-8-sig", dtype={"adcode": str})
    shp = pyogrio.read_dataframe(outputs / "sections.shp")
    assert shp.crs.to_epsg() == 4326
    renamed = {"code_generated": "code_gen", "target_class": "targ_class", "admin_match": "admin_mtch"}
    for column in table.columns:
        expected, got = table[column], shp[renamed.get(column, column)]
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(got.to_numpy(dtype=float), expected.to_numpy(), rtol=0, atol=1e-9)
        else:
            assert got.astype(str).tolist() == expected.astype(str).tolist(), column
    np.testing.assert_allclose(shp.geometry.x, table["lon"], atol=1e-9)
    np.testing.assert_allclose(shp.geometry.y, table["lat"], atol=1e-9)


def test_trace_points_are_its_rows_and_its_reaches_lines(outputs):
    table = pd.read_csv(outputs / "trace.csv", encoding="utf-8-sig")
    points = pyogrio.read_dataframe(outputs / "trace.gpkg", layer="trace")
    assert points["id"].tolist() == table["id"].tolist()
    assert points.geom_type.eq("Point").all()
    sections = pd.read_csv(outputs / "sections.csv", encoding="utf-8-sig").set_index("code")
    on_way = points[points["kind"] == "section"]
    assert len(on_way) > 0
    np.testing.assert_allclose(on_way.geometry.x, sections.loc[on_way["id"], "lon"], atol=1e-9)
    reaches = pyogrio.read_dataframe(outputs / "trace.gpkg", layer="reaches")
    assert reaches.geom_type.isin(["LineString", "MultiLineString"]).all() and len(reaches) > 0
    shp = pyogrio.read_dataframe(outputs / "trace_reaches.shp")
    assert shp["id"].tolist() == reaches["id"].tolist()
    assert pyogrio.read_dataframe(outputs / "trace.shp")["dist_km"].tolist() == table["distance_km"].tolist()
    spill = pyogrio.read_dataframe(outputs / "impact.gpkg", layer="impact")
    assert spill.geometry.notna().all()


def test_a_spill_layer_is_the_stretch_it_runs(tmp_path):
    ok(run("impact", "--facility", "F042", "--distance-km", "40", "-o", tmp_path / "spill.gpkg"))
    lines = pyogrio.read_dataframe(tmp_path / "spill.gpkg", layer="reaches")
    assert lines["length_m"].sum() == pytest.approx(40_000, rel=1e-3)
    metric = lines.to_crs(lines.estimate_utm_crs())
    assert metric.length.sum() == pytest.approx(40_000, rel=5e-3)


def test_an_existing_part_refuses_the_whole_shapefile(tmp_path):
    (tmp_path / "s.dbf").write_bytes(b"mine")
    result = run("join", "sections", "-o", tmp_path / "s.shp")
    assert result.exit_code == 1 and "s.dbf" in result.output and "--overwrite" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.dbf"]
    assert (tmp_path / "s.dbf").read_bytes() == b"mine"


def test_a_wrong_suffix_lists_the_formats(tmp_path):
    result = run("join", "sections", "-o", tmp_path / "s.kml")
    assert result.exit_code == 2 and ".csv, .gpkg, .shp" in result.output
    result = run("network", "build", datasets.get_path("shanxi_rivers"), "-o", tmp_path / "n.geojson")
    assert result.exit_code == 2 and ".shp" in result.output
    result = run("join", "rivers", "-o", tmp_path / "r.shp")  # lengths per county: a table, not places
    assert result.exit_code == 2 and "OUT.csv" in result.output
    for command in (["classify"], ["crossings"], ["network", "navigate", datasets.get_path("shanxi_rivers"),
                                                  "--mode", "UT", "--start", "R013.1"]):  # fmt: skip
        result = run(*command, "-o", tmp_path / "x.shp")
        assert result.exit_code == 2 and "write a .csv file" in result.output, command
    assert list(tmp_path.iterdir()) == []


def frame(names):
    return gpd.GeoDataFrame({"name": names}, geometry=[shapely.Point(112, 37)] * len(names), crs=4326)


def test_what_gbk_cannot_hold_is_refused_naming_row_and_column(tmp_path):
    with pytest.raises(OutputError) as caught:
        shapefile_frame(frame(["汾河", "𠮷河"]), tmp_path / "x.shp", encoding="gbk")
    problem = caught.value.problems[0]
    assert (problem.where, problem.column) == ("row 2 of the output", "name") and "𠮷" in problem.message
    assert shapefile_frame(frame(["汾河", "𠮷河"]), tmp_path / "x.shp", encoding="utf-8")["name"].tolist()[1] == "𠮷河"
    with pytest.raises(OutputError) as caught:
        shapefile_frame(frame(["汾河", "河" * 85]), tmp_path / "x.shp", encoding="utf-8")  # 255 bytes
    assert caught.value.problems[0].where == "row 2 of the output" and ".gpkg" in caught.value.problems[0].message
    assert len(shapefile_frame(frame(["河" * 127]), tmp_path / "x.shp", encoding="gbk")) == 1  # 254 bytes in GBK


def test_field_names_fixed_short_and_unique():
    assert all(len(short) <= 10 and short.isascii() for short in FIELD_NAMES.values())
    assert len(set(FIELD_NAMES.values())) == len(FIELD_NAMES)
    names = field_names(["station_name_a", "station_name_b", "Station_na", "监测断面名称"])
    assert names == {"station_name_a": "station_na", "station_name_b": "station__2", "Station_na": "Station__3",
                     "监测断面名称": "监测断"}  # fmt: skip


def test_readme_field_table_is_the_mapping():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    cells = [c.strip() for line in readme.splitlines() if line.startswith("  | ") for c in line.strip("| ").split("|")]
    pairs = dict(zip(cells[0::2], cells[1::2], strict=True))
    assert {k: v for k, v in pairs.items() if k not in ("column", "---")} == FIELD_NAMES


def test_the_same_table_gives_the_same_shapefile_bytes(outputs, tmp_path):
    assert run("-q", "join", "sections", "-o", tmp_path / "again.shp", "--encoding", "gbk").exit_code == 0
    for first, again in zip(
        shapefile_paths(outputs / "sections.shp"), shapefile_paths(tmp_path / "again.shp"), strict=True
    ):
        assert first.read_bytes() == again.read_bytes(), first.suffix


def test_a_refused_text_names_the_rows_code(tmp_path):
    rows = frame(["汾河", "丹河𠮷断面"]).assign(code=["SX10", "SX9"])
    with pytest.raises(OutputError) as caught:
        shapefile_frame(rows, tmp_path / "x.shp", encoding="gbk")
    assert caught.value.problems[0].where == "code SX9 (row 2 of the output)"


@pytest.mark.parametrize("name", [".shp", ".csv", ".gpkg", ".SHP"])
def test_a_name_that_is_only_a_suffix_is_refused(tmp_path, name):
    result = run("-q", "join", "sections", "-o", tmp_path / name)
    assert result.exit_code != 0 and "no name before its suffix" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sidecar", [".qix", ".sbn", ".shp.xml"])
def test_overwrite_refuses_a_stale_spatial_index_beside_the_shapefile(tmp_path, sidecar):
    ok(run("-q", "join", "sections", "-o", tmp_path / "a.shp"))
    stale = tmp_path / f"a{sidecar}"
    stale.write_bytes(b"old")
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    result = run("-q", "join", "sections", "-o", tmp_path / "a.shp", "--overwrite")
    assert result.exit_code != 0 and str(stale) in result.output and "remove it" in result.output
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
