"""Save a built network (and located points, relations) to a GeoPackage, and load it back
without rebuilding.

Layers: ``reaches`` (lines, WGS84, one row per reach, with hydroloom's field names),
``links`` (a table, ``id, toid`` per link), optionally ``sections``, ``facilities``,
``relations``; and the table :data:`ARRAY_TABLE` (not a layer: QGIS does not list it) holding
the network's arrays as ``np.save`` bytes, so that loading reads them and derives nothing.
A file changed after it was saved (in QGIS, with GDAL or sqlite3: its counts, its layers'
``last_change`` or SQLite's file change counter differ from those stored with the arrays), or
one saved before the arrays were, is checked and derived from its layers instead.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geoenv.errors import InputError, Problem, raise_on_errors
from geoenv.network.graph import ARRAYS, Network

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd

    from geoenv.io.write import Writer

REACH_COLUMNS = [
    "id", "name", "length_m", "divergence", "ambiguous", "topo_sort", "pathlength_km", "arbolate_sum",
    "levelpath", "dn_levelpath", "dn_main", "fromnode", "tonode", "to_given_outlet",
]  # fmt: skip
OPTIONAL_COLUMNS = ("velocity_ms",)
#: Names of saved networks written before hydroloom's names (read under the new ones).
OLD_NAMES = {"from_node": "fromnode", "to_node": "tonode"}
#: The table of saved arrays: ``name TEXT PRIMARY KEY, data BLOB``.
ARRAY_TABLE = "geoenv_arrays"
ARRAY_FORMAT = 1
#: How much of a saved network SQLite maps into memory to read the arrays (160 MB at 1,000,000 reaches).
MMAP_BYTES = 1 << 30


def is_network_file(path: Path) -> bool:
    """Whether ``path`` is a GeoPackage written by :func:`save_network`.

    That is a GeoPackage with a ``reaches`` and a ``links`` layer, or with a ``reaches``
    layer carrying the columns only a saved network has (its ``links`` were dropped: loading
    it then says so, rather than rebuilding silently from the reaches).
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return False
    try:
        with _sqlite(path) as db:
            names = {name for (name,) in db.execute("SELECT table_name FROM gpkg_contents")}
            if "reaches" in names and "links" not in names:
                fields = {row[1] for row in db.execute('PRAGMA table_info("reaches")')}
                return fields >= NETWORK_MARKERS
    except sqlite3.Error:
        return False  # not a readable GeoPackage: reading it as lines says what is wrong
    return {"reaches", "links"} <= names


def save_network(net: Network, path: Path, *, overwrite: bool, extra: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the network (and ``extra`` layers: GeoDataFrames or tables) whole or not at all."""
    from geoenv.io.write import write_atomic

    return write_atomic(path, network_writer(net, extra=extra), overwrite=overwrite)


def network_writer(net: Network, *, extra: dict[str, pd.DataFrame] | None = None) -> Writer:
    """A writer of the network GeoPackage, for :func:`geoenv.io.write.write_files` sets."""
    import pyogrio

    from geoenv.io.gis import GPKG_OPTIONS

    optional = [c for c in OPTIONAL_COLUMNS if c in net.reaches]
    reaches = net.reaches[[*REACH_COLUMNS, *optional, "geometry"]].to_crs(4326)
    links = net.links()

    arrow = _arrow()

    def write(tmp: Path) -> None:
        pyogrio.write_dataframe(reaches, tmp, layer="reaches", driver="GPKG", use_arrow=arrow,
                                dataset_options=GPKG_OPTIONS)  # fmt: skip
        pyogrio.write_dataframe(links, tmp, layer="links", driver="GPKG", append=True, use_arrow=arrow)
        for name, frame in (extra or {}).items():
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", append=True, use_arrow=arrow)
        _write_arrays(tmp, net)

    return write


def _arrow() -> bool:
    """Whether pyogrio can read and write through Arrow: pyarrow is installed (setup.cfg
    requires it; an environment installed before it did still works, at half the speed)."""
    return importlib.util.find_spec("pyarrow") is not None


@contextmanager
def _sqlite(path: Path, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """The GeoPackage as SQLite, read-only or (``write``) in one transaction, closed after."""
    uri = Path(path).resolve().as_uri() + ("" if write else "?mode=ro")
    db = sqlite3.connect(uri, uri=True, isolation_level=None)  # transactions as written here
    try:
        if write:
            db.execute("BEGIN")
        yield db
        if write:
            db.execute("COMMIT")
    finally:
        db.close()  # uncommitted: rolled back


def _change_counter(path: Path) -> int:
    """SQLite's file change counter (header bytes 24-27): every committed write moves it."""
    with open(path, "rb") as f:
        return int.from_bytes(f.read(28)[24:28], "big")


def _state(db: sqlite3.Connection) -> dict[str, Any]:
    """What a change to the layers would change, read without scanning them: the feature
    count GDAL's triggers keep (on any insert or delete), the largest fid, ``last_change``."""
    state: dict[str, Any] = {}
    for layer in ("reaches", "links"):
        (top,) = db.execute(f'SELECT coalesce(max(fid), 0) FROM "{layer}"').fetchone()
        (changed,) = db.execute("SELECT last_change FROM gpkg_contents WHERE table_name = ?", (layer,)).fetchone()
        count = db.execute("SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = ?", (layer,)).fetchone()
        state[layer] = [count[0] if count else None, top, changed]
    return state


def _write_arrays(path: Path, net: Network) -> None:
    """Add :data:`ARRAY_TABLE` to a network GeoPackage just written, with the file's state."""
    blobs = {}
    for name, values in net.arrays().items():
        buffer = io.BytesIO()
        np.save(buffer, values, allow_pickle=False)
        blobs[name] = buffer.getvalue()
    blobs["ids"] = json.dumps(net.ids.tolist(), ensure_ascii=False).encode()
    with _sqlite(path, write=True) as db:
        state = {"format": ARRAY_FORMAT, **_state(db), "change_counter": _change_counter(path) + 1}
        blobs["state"] = json.dumps(state).encode()
        db.execute(f"CREATE TABLE {ARRAY_TABLE} (name TEXT PRIMARY KEY, data BLOB NOT NULL)")
        db.executemany(f"INSERT INTO {ARRAY_TABLE} VALUES (?, ?)", blobs.items())
    if _change_counter(path) != state["change_counter"]:  # not a plain rollback-journal write: never fresh
        with _sqlite(path, write=True) as db:
            db.execute(f"DROP TABLE {ARRAY_TABLE}")


def load_network(path: Path, *, progress: Callable[[str], None] | None = None) -> Network:
    """A network saved by :func:`save_network`: its saved arrays when the file is as saved,
    else (changed since, or saved before arrays were) checked and derived from its layers.

    Parameters
    ----------
    progress
        Told why the arrays were not used, when they were not.

    Raises
    ------
    InputError
        Naming every problem :func:`check_saved_network` finds (a layer or column missing, ids
        missing or repeated, lengths that are not positive numbers, links to unknown reaches …),
        located by layer, feature and column; or why the file cannot be read.
    """
    path = Path(path)
    arrays, why = _saved_arrays(path)
    if arrays is not None:
        ids = np.array(json.loads(arrays.pop("ids")), dtype=object)
        return Network.from_arrays(ids, arrays, lambda: _read_reaches(path, ids))
    if progress:
        progress(f"{path}: {why}: checking the layers and deriving the network from them")
    reaches, links = _read_saved(path)
    problems, checked = _check(reaches, links, file=str(path))
    raise_on_errors(problems)
    assert checked is not None
    position = np.full(len(checked.uniques), -1, dtype=np.int64)
    position[checked.reach] = np.arange(len(reaches))
    linked = checked.toid >= 0
    base = _typed_reaches(reaches, checked.reach_ids(len(reaches)))
    return Network(base, position[checked.id[linked]], position[checked.toid[linked]])


def _saved_arrays(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The saved arrays by name (``ids`` as JSON text) when the file is as it was saved, else
    why not (saved before arrays were, changed since, damaged)."""
    try:
        with _sqlite(path) as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if ARRAY_TABLE not in tables:
                return None, "saved without its arrays (by an earlier geoenv: rebuild it to load it in a second)"
            db.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")  # the blobs read from the mapped file: twice as fast
            blobs = dict(db.execute(f"SELECT name, data FROM {ARRAY_TABLE}").fetchall())
            state = json.loads(blobs.pop("state"))
            now = {"format": ARRAY_FORMAT, **_state(db), "change_counter": _change_counter(path)}
    except (sqlite3.Error, KeyError, ValueError, TypeError) as exc:
        return None, f"its saved arrays cannot be read ({exc})"
    wal = path.with_name(path.name + "-wal")
    if wal.is_file() and wal.stat().st_size:
        return None, "it is open for editing (a -wal file beside it)"
    if now != state:
        return None, "it changed after it was saved (edited?), so its saved arrays are out of date"
    try:
        arrays: dict[str, Any] = {name: _from_npy(blobs[name]) for name in ARRAYS}
    except (KeyError, ValueError, OSError) as exc:
        return None, f"its saved arrays cannot be read ({exc})"
    arrays["ids"] = blobs["ids"]
    return arrays, None


def _from_npy(blob: bytes) -> np.ndarray:
    """The array ``np.save`` wrote into ``blob``, read-only on the bytes themselves (``np.load``
    copies them piecewise: 0.4 s for the 160 MB of a 1,000,000-reach network)."""
    buffer = io.BytesIO(blob)
    version = np.lib.format.read_magic(buffer)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read_header(buffer)
    if dtype.hasobject:
        raise ValueError("an array of Python objects")
    count = int(np.prod(shape))
    values = np.frombuffer(blob, dtype=dtype, count=count, offset=buffer.tell())
    return values.reshape(shape, order="F" if fortran else "C")


def _read_reaches(path: Path, ids: np.ndarray) -> gpd.GeoDataFrame:
    """The reaches layer of a file whose arrays were loaded, as :func:`load_network` gives it."""
    reaches = _read_layer(path, "reaches", geometry=True)
    if len(reaches) != len(ids) or not np.array_equal(reaches["id"].astype(str).to_numpy(dtype=object), ids):
        message = f"layer reaches no longer matches the saved arrays (changed while in use?); {_REBUILD}"
        raise InputError(Problem(message, file=str(path)))
    return _typed_reaches(reaches, ids)


def _typed_reaches(reaches: gpd.GeoDataFrame, ids: np.ndarray) -> gpd.GeoDataFrame:
    """The stored columns of checked reaches as :class:`Network` takes them, in a metric CRS."""
    import geopandas as gpd

    from geoenv.crs import working_crs

    reaches = reaches.reset_index(drop=True)
    reaches["id"] = ids
    reaches["name"] = reaches["name"].fillna("").astype(str)
    reaches = reaches.to_crs(working_crs(tuple(reaches.total_bounds)))
    keep = ["id", "name", "geometry", *(c for c in OPTIONAL_COLUMNS if c in reaches)]
    base = reaches[keep].assign(
        length_m=_number(reaches["length_m"]),
        divergence=_number(reaches["divergence"]).astype(np.int8),
        ambiguous=_flags(reaches["ambiguous"]).to_numpy(dtype=bool),
        to_given_outlet=_flags(reaches["to_given_outlet"]).to_numpy(dtype=bool),
        fromnode=_number(reaches["fromnode"]).astype(np.int64),
        tonode=_number(reaches["tonode"]).astype(np.int64),
    )
    if "velocity_ms" in base:
        base["velocity_ms"] = _number(base["velocity_ms"])
    return gpd.GeoDataFrame(base, geometry="geometry")


# --- checking a saved network ------------------------------------------------------------

#: Columns :func:`load_network` needs, per layer.
REQUIRED_COLUMNS = {
    "reaches": ("id", "name", "length_m", "divergence", "ambiguous", "to_given_outlet", "fromnode", "tonode"),
    "links": ("id", "toid"),
}
#: Columns only a saved network's ``reaches`` has: a GeoPackage with them is a saved network.
NETWORK_MARKERS = {"levelpath", "dn_main", "to_given_outlet"}
#: Problems located one by one per check; the rest of a check is counted in one more problem.
LOCATED_PER_CHECK = 20

_TRUE = ("1", "true", "t", "yes")
_FALSE = ("0", "false", "f", "no")
_REBUILD = "rebuild it with geoenv network build"


def _read_saved(path: Path) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Both layers of a saved network, indexed by GeoPackage feature id (fid)."""
    return _read_layer(path, "reaches", geometry=True), _read_layer(path, "links", geometry=False)


def _read_layer(path: Path, layer: str, *, geometry: bool) -> pd.DataFrame:
    """The stored (not derived) columns of one layer, old names read as the new ones."""
    import pyogrio

    try:
        fields = set(pyogrio.read_info(path, layer=layer)["fields"])
        old = {o: new for o, new in OLD_NAMES.items() if o in fields and new not in fields}
        wanted = [c for c in (*REQUIRED_COLUMNS[layer], *OPTIONAL_COLUMNS, *old) if c in fields]
        frame = pyogrio.read_dataframe(
            path, layer=layer, columns=wanted, read_geometry=geometry, fid_as_index=True, use_arrow=_arrow()
        )
    except pyogrio.errors.DataLayerError as exc:
        message = f"layer {layer} is missing: not a whole saved network; {_REBUILD}"
        raise InputError(Problem(message, file=str(path))) from exc
    except (pyogrio.errors.DataSourceError, pyogrio.errors.FieldError, OSError) as exc:
        raise InputError(Problem(f"not a readable network GeoPackage ({exc})", file=str(path))) from exc
    return frame.rename(columns=old)


@dataclass(frozen=True)
class _Ids:
    """The reach ids of both layers as codes into ``uniques`` (-1: missing or blank)."""

    uniques: np.ndarray
    reach: np.ndarray
    id: np.ndarray
    toid: np.ndarray

    @classmethod
    def of(cls, reaches: pd.DataFrame, links: pd.DataFrame) -> _Ids:
        texts = [_id_text(frame[c]) for frame, c in ((reaches, "id"), (links, "id"), (links, "toid"))]
        codes, uniques = pd.factorize(np.concatenate(texts))
        ends = np.cumsum([len(t) for t in texts])
        return cls(np.asarray(uniques, dtype=object), codes[: ends[0]], codes[ends[0] : ends[1]], codes[ends[1] :])

    def reach_ids(self, n: int) -> np.ndarray:
        """The reach ids as text, for reaches all of which have one."""
        return self.uniques[self.reach[:n]].astype(str)


def _id_text(values: pd.Series) -> np.ndarray:
    """Ids as an object array of text, None where missing or blank; ``7.0`` (a float column) is ``"7"``."""
    if pd.api.types.is_float_dtype(values):
        number = values.to_numpy(dtype=float)
        finite = number[np.isfinite(number)]
        if np.array_equal(finite, np.round(finite)):
            values = values.astype("Int64")
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        values = values.astype(str).where(values.notna(), None)
    text: np.ndarray = np.array(values.astype(object).where(values.notna(), None), dtype=object)  # a writable copy
    text[text == ""] = None
    return text


def _number(values: pd.Series) -> np.ndarray:
    """Floats, NaN where a value is not a number."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _flags(values: pd.Series) -> pd.Series:
    """Nullable booleans from booleans, 0/1 or their text; missing where a value is neither."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    text = pd.Series(_id_text(values), index=values.index, dtype=object).str.strip().str.lower()
    flags = pd.Series(pd.NA, index=values.index, dtype="boolean")
    flags[text.isin(_TRUE).to_numpy()] = True
    flags[text.isin(_FALSE).to_numpy()] = False
    return flags


def check_saved_network(reaches: pd.DataFrame, links: pd.DataFrame, *, file: str) -> list[Problem]:
    """Every problem that makes a saved network unusable as it is.

    Checks (vectorized: a million reaches take about a second): both layers have the columns
    :func:`load_network` needs; the reaches are lines with a CRS, with ids present and unique,
    lengths positive numbers, divergence 0/1/2, node numbers and flags as written; every link
    leaves and enters a known reach, not itself and not twice; every reach has a row in
    ``links`` (an outlet's has an empty ``toid``).

    Parameters
    ----------
    reaches, links
        The two layers as read, indexed by feature id (fid).
    file
        The GeoPackage, as the user named it.

    Returns
    -------
    Errors located as ``layer reaches, feature 12`` and a column. Each check locates its first
    :data:`LOCATED_PER_CHECK` features and counts the others in one more problem.
    """
    return _check(reaches, links, file=file)[0]


def _check(reaches: pd.DataFrame, links: pd.DataFrame, *, file: str) -> tuple[list[Problem], _Ids | None]:
    problems: list[Problem] = []

    def report(layer: str, frame: pd.DataFrame, bad: np.ndarray, column: str | None, message) -> None:
        """``bad``: a mask over ``frame``; ``message``: text, or a function of a position."""
        positions = np.flatnonzero(bad)
        for i in positions[:LOCATED_PER_CHECK]:
            text = message(i) if callable(message) else message
            where = f"layer {layer}, feature {frame.index[i]}"
            problems.append(Problem(text, file=file, where=where, column=column, row=int(i)))
        if len(positions) > LOCATED_PER_CHECK:
            text = message(positions[-1]) if callable(message) else message
            more = f"and {len(positions) - LOCATED_PER_CHECK:,} more features like the last: {text}"
            problems.append(Problem(more, file=file, where=f"layer {layer}", column=column))

    for layer, frame in (("reaches", reaches), ("links", links)):
        for column in REQUIRED_COLUMNS[layer]:
            if column not in frame:
                message = f"column missing: a saved network needs it; {_REBUILD}"
                problems.append(Problem(message, file=file, where=f"layer {layer}", column=column))
    if problems:
        return problems, None
    if len(reaches) == 0:
        return [Problem(f"no reaches; {_REBUILD}", file=file, where="layer reaches")], None

    ids = _Ids.of(reaches, links)
    text = ids.uniques
    reach, up, down = ids.reach, ids.id, ids.toid
    no_id = reach < 0
    report("reaches", reaches, no_id, "id", "no id: every reach needs one")
    repeated = ~no_id & pd.Series(reach).duplicated().to_numpy()
    if repeated.any():
        first = np.full(len(text), -1, dtype=np.int64)
        first[reach[::-1][~no_id[::-1]]] = np.flatnonzero(~no_id)[::-1]  # the last write is the first feature
        report(
            "reaches", reaches, repeated, "id",
            lambda i: f"id {text[reach[i]]!r} is also feature {reaches.index[first[reach[i]]]}: ids must be unique",
        )  # fmt: skip
    _numbers(report, reaches, "length_m", "a length in metres", positive=True)
    _numbers(report, reaches, "divergence", "0, 1 or 2", allowed=(0, 1, 2))
    _numbers(report, reaches, "fromnode", "a node number", integer=True)
    _numbers(report, reaches, "tonode", "a node number", integer=True)
    if "velocity_ms" in reaches:
        _numbers(report, reaches, "velocity_ms", "a velocity in m/s, or empty", positive=True, optional=True)
    for column in ("ambiguous", "to_given_outlet"):
        values = reaches[column]
        bad = _flags(values).isna().to_numpy()
        report("reaches", reaches, bad, column, lambda i, v=values: f"{_shown(v.iat[i])} is not true or false")
    problems += _check_lines(reaches, file, report)

    no_up, has_down = up < 0, down >= 0
    report("links", links, no_up, "id", "no id: every link names the reach it leaves")
    if len(links) == 0:
        message = "no links: every reach has at least one row (an outlet's has an empty toid)"
        problems.append(Problem(message, file=file, where="layer links"))
    elif no_id.any() or repeated.any():
        return problems, ids  # links to reaches without a (unique) id cannot be judged: fix the ids first
    known = np.zeros(len(text) + 1, dtype=bool)  # the last slot: code -1
    known[reach] = True
    report("links", links, ~no_up & ~known[up], "id", lambda i: f"{text[up[i]]!r} is not a reach")
    report("links", links, has_down & ~known[down], "toid", lambda i: f"{text[down[i]]!r} is not a reach")
    report("links", links, has_down & (up == down), "toid", lambda i: f"reach {text[up[i]]!r} flows into itself")
    twice = ~no_up & pd.DataFrame({"id": up, "toid": down}).duplicated().to_numpy()
    target = lambda i: repr(text[down[i]]) if down[i] >= 0 else "the outlet (empty toid)"  # noqa: E731
    report("links", links, twice, "toid", lambda i: f"link {text[up[i]]!r} → {target(i)} repeated")
    if len(links):
        listed = np.zeros(len(text) + 1, dtype=bool)
        listed[up] = True
        report(
            "reaches", reaches, ~listed[reach], "id", lambda i: f"reach {text[reach[i]]!r} has no row in layer links"
        )
    return problems, ids


def _check_lines(reaches: pd.DataFrame, file: str, report) -> list[Problem]:
    """Every reach a line; the layer with a CRS."""
    import geopandas as gpd
    import shapely

    if not isinstance(reaches, gpd.GeoDataFrame) or reaches.geometry.name not in reaches:
        return [Problem("no geometry: the reaches must be lines", file=file, where="layer reaches")]
    geometry = reaches.geometry.to_numpy()
    missing = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    report("reaches", reaches, missing, None, "no line: every reach needs its geometry")
    not_line = ~missing & ~np.isin(shapely.get_type_id(geometry), (1, 5))
    report("reaches", reaches, not_line, None, "not a line: a reach is a LineString")
    if reaches.crs is None:
        return [Problem(f"no CRS; {_REBUILD}", file=file, where="layer reaches")]
    return []


def _shown(value: object) -> str:
    """A value as a message quotes it: ``'abc'``, ``-3.0``, ``empty``."""
    if isinstance(value, np.generic):
        value = value.item()
    return "empty" if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else repr(value)


def _numbers(
    report,
    frame: pd.DataFrame,
    column: str,
    expected: str,
    *,
    positive: bool = False,
    integer: bool = False,
    optional: bool = False,
    allowed: tuple[int, ...] | None = None,
) -> None:
    """Report each value of ``column`` that is not a finite number as asked (vectorized)."""
    raw = frame[column]
    values = _number(raw)
    finite = np.isfinite(values)
    bad = ~finite
    if optional and bad.any():
        bad[bad] = pd.notna(_id_text(raw[bad]))
    if positive:
        bad |= finite & (values <= 0)
    if integer:
        bad |= finite & ((values != np.round(values)) | (values < 0))
    if allowed is not None:
        bad |= finite & ~np.isin(values, allowed)
    what = f"a positive number ({expected})" if positive else expected
    report("reaches", frame, bad, column, lambda i: f"{_shown(raw.iat[i])} is not {what}")
