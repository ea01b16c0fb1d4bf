"""Hostile and broken files: edited saved networks, odd CSVs, junk and truncated files, bad
project files. Each ends in a located ``error: FILE:WHERE: column C: message`` and exit 1,
never in ``error: unexpected …`` or a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geoenv.cli import main
from geoenv.errors import InputError
from geoenv.network import is_network_file, load_network
from geoenv.network.store import LOCATED_PER_CHECK


def run(*args: str | Path) -> tuple[int, str]:
    """Exit code and stderr of ``geoenv ARGS``; no traceback may escape."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stderr


def errors(*args: str | Path) -> list[str]:
    """The ``error:`` lines of a command that must fail with exit code 1."""
    code, stderr = run(*args)
    assert code == 1, stderr
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# --- finding 14: a saved network that was edited ---------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A Y of three reaches saved by ``geoenv network build``: A and B flow into C, the outlet."""
    folder = tmp_path_factory.mktemp("saved")
    lines = gpd.GeoDataFrame(
        {"id": ["A", "B", "C"], "name": ["甲河", "乙河", "甲河"]},
        geometry=[shapely.LineString([(112.00, 37.02), (112.01, 37.00)]),
                  shapely.LineString([(112.02, 37.02), (112.01, 37.00)]),
                  shapely.LineString([(112.01, 37.00), (112.01, 36.98)])],
        crs=4326,
    )  # fmt: skip
    lines.to_file(folder / "y.geojson", engine="pyogrio")
    code, stderr = run("network", "build", folder / "y.geojson", "--id-field", "id",
                       "--outlet", "112.01,36.98", "-o", folder / "y.gpkg")  # fmt: skip
    assert code == 0, stderr
    return folder / "y.gpkg"


def edited(
    saved: Path,
    out: Path,
    reaches: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame] | None = None,
    links: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    *,
    keep_links: bool = True,
) -> Path:
    """``saved`` with its layers changed as a user editing it in QGIS or a script might."""
    r = pyogrio.read_dataframe(saved, layer="reaches")
    lk = pyogrio.read_dataframe(saved, layer="links", read_geometry=False)
    pyogrio.write_dataframe(reaches(r) if reaches else r, out, layer="reaches", driver="GPKG")
    if keep_links:
        pyogrio.write_dataframe(links(lk) if links else lk, out, layer="links", driver="GPKG", append=True)
    return out


def setting(column: str, position: int, value, dtype=None):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        if dtype is not None:
            frame[column] = frame[column].astype(dtype)
        frame.loc[position, column] = value
        return frame

    return change


def navigate(path: Path) -> list[str]:
    return errors("network", "navigate", path, "--start", "A", "--mode", "DM")


def test_an_unedited_saved_network_loads_and_navigates(saved):
    code, stderr = run("network", "navigate", saved, "--start", "A", "--mode", "DM")
    assert code == 0, stderr
    net = load_network(saved)
    assert list(net.reaches["id"]) == ["A", "B", "C"] and net.n == 3 and len(net.up) == 2


def test_links_emptied(saved, tmp_path):
    path = edited(saved, tmp_path / "n.gpkg", links=lambda lk: lk.iloc[:0])
    assert navigate(path) == [
        f"error: {path}:layer links: no links: every reach has at least one row (an outlet's has an empty toid)"
    ]


def test_negative_length(saved, tmp_path):
    path = edited(saved, tmp_path / "n.gpkg", setting("length_m", 1, -3.0))
    assert navigate(path) == [
        f"error: {path}:layer reaches, feature 2: column length_m: -3.0 is not a positive number (a length in metres)"
    ]


def test_text_and_zero_and_infinite_lengths(saved, tmp_path):
    def lengths(frame):
        frame["length_m"] = frame["length_m"].astype(object)
        frame.loc[0, "length_m"], frame.loc[1, "length_m"], frame.loc[2, "length_m"] = "abc", "0", "inf"
        return frame

    path = edited(saved, tmp_path / "n.gpkg", lengths)
    what = "is not a positive number (a length in metres)"
    assert navigate(path) == [
        f"error: {path}:layer reaches, feature 1: column length_m: 'abc' {what}",
        f"error: {path}:layer reaches, feature 2: column length_m: '0' {what}",
        f"error: {path}:layer reaches, feature 3: column length_m: 'inf' {what}",
    ]


def test_all_ids_equal(saved, tmp_path):
    path = edited(saved, tmp_path / "n.gpkg", lambda r: r.assign(id="R1"))
    assert navigate(path) == [
        f"error: {path}:layer reaches, feature 2: column id: id 'R1' is also feature 1: ids must be unique",
        f"error: {path}:layer reaches, feature 3: column id: id 'R1' is also feature 1: ids must be unique",
    ]


def test_a_null_id(saved, tmp_path):
    path = edited(saved, tmp_path / "n.gpkg", setting("id", 2, None))
    assert navigate(path) == [f"error: {path}:layer reaches, feature 3: column id: no id: every reach needs one"]


def test_a_duplicate_id(saved, tmp_path):
    path = edited(saved, tmp_path / "n.gpkg", setting("id", 2, "A"))
    assert navigate(path) == [
        f"error: {path}:layer reaches, feature 3: column id: id 'A' is also feature 1: ids must be unique"
    ]


@pytest.mark.parametrize(("layer", "column"), [("reaches", "length_m"), ("reaches", "id"), ("links", "toid")])
def test_a_dropped_column(saved, tmp_path, layer, column):
    drop = {layer: lambda frame: frame.drop(columns=[column])}
    path = edited(saved, tmp_path / "n.gpkg", drop.get("reaches"), drop.get("links"))
    assert navigate(path) == [
        f"error: {path}:layer {layer}: column {column}: column missing: a saved network needs it; "
        "rebuild it with geoenv network build"
    ]


def test_a_link_to_an_unknown_reach(saved, tmp_path):
    path = edited(saved, tmp_path / "n.gpkg", links=setting("toid", 0, "Z"))
    assert navigate(path) == [f"error: {path}:layer links, feature 1: column toid: 'Z' is not a reach"]


def test_a_link_from_an_unknown_reach_and_a_reach_without_links(saved, tmp_path):
    path = edited(saved, tmp_path / "n.gpkg", links=setting("id", 1, "Q"))
    assert navigate(path) == [
        f"error: {path}:layer links, feature 2: column id: 'Q' is not a reach",
        f"error: {path}:layer reaches, feature 2: column id: reach 'B' has no row in layer links",
    ]


def test_links_repeated_or_onto_themselves(saved, tmp_path):
    def links(frame):
        return pd.concat([frame, frame.iloc[[0]], pd.DataFrame({"id": ["C"], "toid": ["C"]})], ignore_index=True)

    path = edited(saved, tmp_path / "n.gpkg", links=links)
    assert navigate(path) == [
        f"error: {path}:layer links, feature 5: column toid: reach 'C' flows into itself",
        f"error: {path}:layer links, feature 4: column toid: link 'A' → 'C' repeated",
    ]


def test_bad_flags_divergence_nodes_and_geometry(saved, tmp_path):
    def damage(frame):
        frame["ambiguous"] = frame["ambiguous"].astype(object)
        frame.loc[0, "ambiguous"] = "maybe"
        frame.loc[1, "divergence"] = 7
        frame["tonode"] = frame["tonode"].astype(float)
        frame.loc[2, "tonode"] = np.nan
        frame.loc[2, "geometry"] = shapely.Point(112.01, 37.0)
        return frame

    path = edited(saved, tmp_path / "n.gpkg", damage)
    assert navigate(path) == [
        f"error: {path}:layer reaches, feature 2: column divergence: 7 is not 0, 1 or 2",
        f"error: {path}:layer reaches, feature 3: column tonode: empty is not a node number",
        f"error: {path}:layer reaches, feature 1: column ambiguous: 'maybe' is not true or false",
        f"error: {path}:layer reaches, feature 3: not a line: a reach is a LineString",
    ]


def test_a_dropped_links_layer_is_not_rebuilt_silently(saved, tmp_path):
    path = edited(saved, tmp_path / "n.gpkg", keep_links=False)
    assert is_network_file(path)
    assert navigate(path) == [
        f"error: {path}: layer links is missing: not a whole saved network; rebuild it with geoenv network build"
    ]


def test_many_bad_features_are_counted_not_all_listed(saved, tmp_path):
    n = LOCATED_PER_CHECK + 30
    reaches = pyogrio.read_dataframe(saved, layer="reaches")
    many = reaches.iloc[np.zeros(n, dtype=int)].reset_index(drop=True).assign(id=[f"R{i}" for i in range(n)])
    many["length_m"] = -1.0
    links = pd.DataFrame({"id": many["id"], "toid": ""})
    pyogrio.write_dataframe(many, tmp_path / "n.gpkg", layer="reaches", driver="GPKG")
    pyogrio.write_dataframe(links, tmp_path / "n.gpkg", layer="links", driver="GPKG", append=True)
    with pytest.raises(InputError) as caught:
        load_network(tmp_path / "n.gpkg")
    problems = caught.value.problems
    assert len(problems) == LOCATED_PER_CHECK + 1
    assert problems[0].where == "layer reaches, feature 1" and problems[0].column == "length_m"
    assert problems[-1].where == "layer reaches"
    assert problems[-1].message == (
        "and 30 more features like the last: -1.0 is not a positive number (a length in metres)"
    )


def test_a_broken_saved_network_through_rivers(saved, tmp_path):
    path = edited(saved, tmp_path / "n.gpkg", setting("id", 2, "A"))
    sections = tmp_path / "s.csv"
    sections.write_text("断面编码,断面名称,河流,经度,纬度\nS1,甲,甲河,112.01,36.99\n", encoding="utf-8")
    assert errors("relations", "--sections", sections, "--rivers", path, "-o", tmp_path / "r.csv") == [
        f"error: {path}:layer reaches, feature 3: column id: id 'A' is also feature 1: ids must be unique"
    ]


# --- no "unexpected" errors: tables -----------------------------------------------------------

HEADER = "断面编码,断面名称,河流,经度,纬度"


def test_a_one_column_csv_is_read(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("断面名称\n甲\n乙\n", encoding="utf-8")
    code, stderr = run("info", path)
    assert code == 0, stderr
    assert errors("validate", "--sections", path)[0].startswith(f"error: {path}: missing required column 'lon'")


def test_a_cr_only_csv_is_read(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(f"{HEADER}\rS1,甲,汾河,112.5,37.8\rS2,乙,汾河,112.6,37.9\r".encode())
    code, stderr = run("validate", "--sections", path)
    assert code == 0, stderr
    assert "sections: " in stderr and "2 rows" in stderr


def test_a_gbk_file_with_one_utf8_row_names_the_row(tmp_path):
    path = tmp_path / "gbk.csv"
    rows = [HEADER, "S1,汾河大桥,汾河,112.5,37.8", "S2,温南社,汾河,112.6,37.9"]
    path.write_bytes(b"\n".join(r.encode("gbk") for r in rows) + b"\n" + "S3,桑干河大桥,桑干河,112.7,37.9\n".encode())
    assert errors("validate", "--sections", path)[0] == (
        f"error: {path}:row 4: undecodable text: this row is UTF-8 but the rest of the file is GBK; "
        "save it in one encoding"
    )


def test_a_row_with_too_many_fields_is_located(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(f"{HEADER}\nS1,甲,汾河,112.5,37.8\nS2,乙,汾河,112,6,37.9\n", encoding="utf-8")
    assert errors("validate", "--sections", path)[0] == (
        f"error: {path}:row 3: 6 fields where the header has 5: quote values that hold the separator"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("junk.csv", b"\x00\x01\x02" * 100, "binary data, not a .csv text table"),
        ("book.csv", b"PK\x03\x04" + b"\x00" * 100,
         "an XLSX workbook (or another ZIP), not a .csv text table; rename it .xlsx"),
        ("text.xlsx", f"{HEADER}\nS1,甲,汾河,112.5,37.8\n".encode(),
         "not an XLSX workbook but text: a CSV named .xlsx? rename it .csv"),
        ("junk.xlsx", b"\xff\xfe junk" * 100, "truncated or not an XLSX workbook (BadZipFile: File is not a zip file)"),
        ("huge.csv", b"a" * 200_000 + b"\n",
         "not a readable CSV table (a value longer than 131,072 characters: is this a table?)"),
        ("empty.gpkg", b"", "the file is empty"),
        ("junk.gpkg", b"\xff\xfe junk" * 100,
         "not a readable vector file (not recognized as being in a supported file format)"),
    ],
)  # fmt: skip
def test_junk_files_are_named(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    assert errors("info", path) == [f"error: {path}: {message}"]
    assert errors("validate", "--sections", path)[0] == f"error: {path}: {message}"


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_empty_sheets_before_the_register_are_passed_over_and_named_when_chosen(tmp_path):
    sheets = {f"空表{i}": [] for i in range(30)} | {"国考断面": [HEADER.split(","), ["S1", "甲", "汾河", 112.5, 37.8]]}
    path = workbook(tmp_path / "s.xlsx", sheets)
    code, stderr = run("validate", "--sections", path)
    assert code == 0, stderr
    assert errors("validate", "--sections", path, "--layer", "sections=空表0")[0] == (
        f"error: {path}: sheet '空表0' is empty; sheets with rows: 国考断面; "
        "choose one with --layer KIND=SHEET (layer = in geoenv.toml)"
    )


def test_a_truncated_workbook(tmp_path):
    whole = workbook(tmp_path / "whole.xlsx", {"a": [["断面编码"], ["S1"]]}).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    assert errors("info", path) == [
        f"error: {path}: truncated or not an XLSX workbook (BadZipFile: File is not a zip file)"
    ]


def test_a_missing_sheet_or_layer_lists_the_others(tmp_path, saved):
    path = workbook(tmp_path / "s.xlsx", {"甲": [["a"], [1]], "乙": [["a"], [1]]})
    assert errors("info", path, "--layer", "丙") == [f"error: {path}: no sheet '丙'; the file has 2: 甲, 乙"]
    assert errors("info", saved, "--layer", "nope") == [
        f"error: {saved}: no layer 'nope'; the file has 2: reaches, links"
    ]


# --- no "unexpected" errors: vector files -----------------------------------------------------


def test_a_shapefile_without_its_shx(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["汾河"]}, geometry=[shapely.LineString([(112, 37), (112.1, 37)])], crs=4326)
    frame.to_file(tmp_path / "r.shp", engine="pyogrio")
    (tmp_path / "r.shx").unlink()
    message = f"error: {tmp_path / 'r.shp'}: the Shapefile is incomplete: r.shx missing beside it; copy every part"
    assert errors("info", tmp_path / "r.shp") == [message]
    assert errors("network", "build", tmp_path / "r.shp", "-o", tmp_path / "n.gpkg") == [message]


def test_an_empty_feature_collection_and_null_geometries_are_described(tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    result = CliRunner().invoke(main, ["info", str(empty)])
    assert (
        result.exit_code == 0 and "  features: 0" in result.stdout and "  bounds: none (no features)" in result.stdout
    )
    nulls = tmp_path / "nulls.geojson"
    nulls.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "a"}, '
                     '"geometry": null}]}', encoding="utf-8")  # fmt: skip
    result = CliRunner().invoke(main, ["info", str(nulls)])
    assert result.exit_code == 0 and "  bounds: none (no geometries)" in result.stdout
    assert errors("network", "build", nulls, "-o", tmp_path / "n.gpkg") == [
        f"error: {nulls}:feature 1: column geometry: no geometry"
    ]


def test_a_damaged_geopackage(tmp_path, saved):
    path = tmp_path / "cut.gpkg"
    path.write_bytes(saved.read_bytes()[:3000])
    message = f"error: {path}: damaged or truncated: the GeoPackage's database cannot be read"
    assert errors("info", path) == [message]
    assert errors("network", "navigate", path, "--start", "A", "--mode", "DM") == [message]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_network_build_on_a_table(tmp_path, suffix):
    path = tmp_path / f"s{suffix}"
    if suffix == ".csv":
        path.write_text(f"{HEADER}\nS1,甲,汾河,112.5,37.8\n", encoding="utf-8")
    else:
        workbook(path, {"a": [HEADER.split(","), ["S1", "甲", "汾河", 112.5, 37.8]]})
    assert errors("network", "build", path, "-o", tmp_path / "n.gpkg") == [
        f"error: {path}: a table holds no lines: give a line layer (GeoPackage, Shapefile, GeoJSON) or a saved network"
    ]
    assert errors("validate", "--rivers", path)[0] == (
        f"error: {path}: a table holds no lines: give a GeoPackage, Shapefile or GeoJSON"
    )


# --- no "unexpected" errors: the project file -------------------------------------------------


RANGE = "a distance in metres from 0 to 100000"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[sections]\npath = 5\n", ":[sections]: path = 5 is not a file path (text)"),
        ('[sections]\npath = "folder.csv"\n', ':[sections]: path = "folder.csv" is a folder, not a file'),
        ('[settings]\nnear_border_m = "abc"\n', f':[settings]: near_border_m = "abc" is not a number ({RANGE})'),
        ("[settings]\nnear_border_m = nan\n", f":[settings]: near_border_m = nan is not {RANGE}"),
        ("[settings]\nnear_border_m = inf\n", f":[settings]: near_border_m = inf is not {RANGE}"),
        ("[settings]\nnear_border_m = -1\n", f":[settings]: near_border_m = -1 is not {RANGE}"),
        ("settings = 5\n", ": settings = 5 is not a table of settings ([settings] near_border_m = 100)"),
        ('sections = "s.csv"\n', ': sections = "s.csv" is not a table ([sections] path = "…")'),
        (
            '[sections]\npath = "s.csv"\ncolumns = 5\n',
            ':[sections]: columns = 5 is not a table ({ code = "站点编号" })',
        ),
    ],
)
def test_config_values_of_the_wrong_kind(tmp_path, toml, message):
    (tmp_path / "folder.csv").mkdir()
    config = tmp_path / "geoenv.toml"
    config.write_text(toml, encoding="utf-8")
    assert errors("validate", "--config", config) == [f"error: {config}{message}"]


def test_a_config_setting_in_range_is_used(tmp_path):
    config = tmp_path / "geoenv.toml"
    config.write_text("[settings]\nnear_border_m = 50\n", encoding="utf-8")
    code, stderr = run("validate", "--config", config)
    assert code == 0, stderr
