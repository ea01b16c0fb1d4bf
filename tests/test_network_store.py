"""Saved networks: their arrays load as built, an edited file is not navigated with stale
arrays, files saved before the arrays (and hydroloom's names) still load, and the saved
fields are hydroloom's."""

from __future__ import annotations

import io
import sqlite3

import numpy as np
import pandas as pd
import pyogrio
import pytest
from test_network import outlet_lonlat, tree

from geoenv.errors import InputError
from geoenv.network import build_network, load_network, navigate, save_network
from geoenv.network.store import ARRAY_TABLE, _from_npy


@pytest.fixture(scope="module")
def built():
    """The test tree: M1 … M5 down the main stem, T4.1 → T4.2 → M4, S → T4.2."""
    return build_network(tree(), flow="outlet", outlets=outlet_lonlat(), tolerance_m=5)


@pytest.fixture
def saved(built, tmp_path):
    return save_network(built, tmp_path / "net.gpkg", overwrite=False)


def every_navigation(net) -> dict[tuple[str, str], list[tuple[str, float]]]:
    return {
        (rid, mode): list(navigate(net, i, mode)[["id", "distance_km"]].itertuples(index=False, name=None))
        for i, rid in enumerate(net.ids)
        for mode in ("UT", "UM", "DM", "DD")
    }


def test_a_saved_network_loads_its_arrays_as_built(built, saved):
    notes: list[str] = []
    net = load_network(saved, progress=notes.append)
    assert notes == [] and net._reaches is None  # the arrays were used: no layer read, nothing derived
    assert list(net.ids) == list(built.ids)
    for name, values in built.arrays().items():
        assert np.array_equal(net.arrays()[name], values), name
        assert net.arrays()[name].dtype == values.dtype, name
    assert not net.pathlength.flags.writeable  # read on the saved bytes, never changed in place
    assert [list(f) for f in net.frontiers] == [list(f) for f in built.frontiers]
    assert every_navigation(net) == every_navigation(built)
    # the reaches, read on first use, are those the checked path gives
    checked = load_network(rewritten(saved, saved.with_name("plain.gpkg")))
    pd.testing.assert_frame_equal(net.reaches.drop(columns="geometry"), checked.reaches.drop(columns="geometry"))
    assert net.reaches.crs == checked.reaches.crs


def test_saved_array_bytes_are_read_back_or_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.arange(5, dtype=np.int64), allow_pickle=False)
    assert _from_npy(buffer.getvalue()).tolist() == [0, 1, 2, 3, 4]
    for damaged in (buffer.getvalue()[:-8], b"not an array"):  # cut short; no npy header
        with pytest.raises(ValueError):
            _from_npy(damaged)  # load_network then derives the network from its layers


def rewritten(path, out, links=None):
    """``path``'s layers written again by GDAL (as QGIS saves an edit): no saved arrays."""
    reaches = pyogrio.read_dataframe(path, layer="reaches")
    table = pyogrio.read_dataframe(path, layer="links", read_geometry=False)
    pyogrio.write_dataframe(reaches, out, layer="reaches", driver="GPKG")
    pyogrio.write_dataframe(links(table) if links else table, out, layer="links", driver="GPKG", append=True)
    return out


def edit(path, sql):
    with sqlite3.connect(path) as db:
        assert db.execute(sql).rowcount == 1
    db.close()


def test_a_link_deleted_after_saving_is_found_by_the_check(saved):
    edit(saved, "DELETE FROM links WHERE id = 'T4.2' AND toid = 'M4'")
    notes: list[str] = []
    with pytest.raises(InputError, match=r"reach 'T4\.2' has no row in layer links"):
        load_network(saved, progress=notes.append)
    assert len(notes) == 1 and "changed after it was saved" in notes[0]


def test_a_link_changed_after_saving_is_navigated_as_changed(saved):
    edit(saved, "UPDATE links SET toid = 'M5' WHERE id = 'T4.2' AND toid = 'M4'")  # as many links as saved
    notes: list[str] = []
    net = load_network(saved, progress=notes.append)
    assert len(notes) == 1 and "changed after it was saved" in notes[0]
    m4 = int(net.index_of(["M4"])[0])
    upstream_of_m4 = set(navigate(net, m4, "UT")["id"])
    assert "T4.2" not in upstream_of_m4 and "S" not in upstream_of_m4  # the edited links, not the saved arrays
    assert {"M1", "M2", "M3"} <= upstream_of_m4
    assert {"T4.2", "S"} <= set(navigate(net, int(net.index_of(["M5"])[0]), "UT")["id"])


def test_a_network_edited_by_gdal_is_checked(saved, tmp_path):
    def drop_s(links):
        return links[links["id"] != "S"]

    path = rewritten(saved, tmp_path / "edited.gpkg", links=drop_s)
    with pytest.raises(InputError, match="reach 'S' has no row in layer links"):
        load_network(path)
    # the same edit inside the saved file itself (GDAL appends a row): out of date, checked
    pyogrio.write_dataframe(pd.DataFrame({"id": ["S"], "toid": ["M1"]}), saved, layer="links", append=True)
    notes: list[str] = []
    net = load_network(saved, progress=notes.append)
    assert "changed after it was saved" in notes[0]
    assert "M1" in set(navigate(net, int(net.index_of(["S"])[0]), "DD")["id"])


def test_a_file_saved_before_arrays_and_hydroloom_names_still_loads(built, saved, tmp_path):
    old_names = {"fromnode": "from_node", "tonode": "to_node", "topo_sort": "topo", "pathlength_km": "pathlength_m",
                 "arbolate_sum": "arbolate_m"}  # fmt: skip
    reaches = pyogrio.read_dataframe(saved, layer="reaches").drop(columns="dn_levelpath").rename(columns=old_names)
    links = pyogrio.read_dataframe(saved, layer="links", read_geometry=False)
    old = tmp_path / "old.gpkg"
    pyogrio.write_dataframe(reaches, old, layer="reaches", driver="GPKG")
    pyogrio.write_dataframe(links, old, layer="links", driver="GPKG", append=True)
    notes: list[str] = []
    net = load_network(old, progress=notes.append)
    assert len(notes) == 1 and "saved without its arrays" in notes[0]  # said, then checked and derived as before
    assert list(net.reaches["fromnode"]) == list(built.reaches["fromnode"])
    assert every_navigation(net) == every_navigation(built)


def test_saved_fields_are_hydroloom_s(saved):
    reaches = pyogrio.read_dataframe(saved, layer="reaches").set_index("id")
    fields = {"topo_sort", "pathlength_km", "arbolate_sum", "fromnode", "tonode", "levelpath", "dn_levelpath",
              "divergence", "dn_main"}  # fmt: skip
    assert fields <= set(reaches.columns)
    assert not {"topo", "pathlength_m", "arbolate_m", "from_node", "to_node"} & set(reaches.columns)
    links = pyogrio.read_dataframe(saved, layer="links", read_geometry=False)
    links = links[links["toid"] != ""]
    topo_sort = reaches["topo_sort"]
    assert (topo_sort[links["id"]].to_numpy() > topo_sort[links["toid"]].to_numpy()).all()
    assert reaches.loc["M1", "pathlength_km"] == pytest.approx(8, abs=1e-5)
    assert reaches.loc["M5", "arbolate_sum"] == pytest.approx(10 + 4 * 3 + 1.5, abs=1e-5)
    # a level path's dn_levelpath is the level path its outlet flows into
    assert reaches.loc["T4.1", "levelpath"] == "T4.2" and reaches.loc["T4.1", "dn_levelpath"] == "M5"
    assert reaches.loc["S", "dn_levelpath"] == "T4.2" and reaches.loc["M5", "dn_levelpath"] == ""
    with sqlite3.connect(saved) as db:  # the arrays are no layer QGIS lists
        listed = {name for (name,) in db.execute("SELECT table_name FROM gpkg_contents")}
    db.close()
    assert ARRAY_TABLE not in listed and {"reaches", "links"} <= listed
