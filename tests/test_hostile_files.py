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
        frame["to_node"] = frame["to_node"].astype(float)
        frame.loc[2, "to_node"] = np.nan
        frame.loc[2, "geometry"] = shapely.Point(112.01, 37.0)
        return frame

    path = edited(saved, tmp_path / "n.gpkg", damage)
    assert navigate(path) == [
        f"error: {path}:layer reaches, feature 2: column divergence: 7 is not 0, 1 or 2",
        f"error: {path}:layer reaches, feature 3: column to_node: empty is not a node number",
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
