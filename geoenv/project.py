"""A project: every layer loaded once, checked and joined to counties, with all problems
listed, and what is derived from it computed once: the river network, the basin (registers
placed on it), the water quality of each period.

:func:`open_project` is the entry point of the library.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoenv import datasets
from geoenv.config import Config, embedded_source, read_config
from geoenv.errors import InputError, Problem, raise_on_errors
from geoenv.io import LayerSource, is_table
from geoenv.jurisdiction import OUTSIDE_MARGIN_M, assign_counties
from geoenv.layers import CHINA_BOUNDS, Layer, inspect
from geoenv.measurements import resolve_sections
from geoenv.network import Network, is_network_file, open_network
from geoenv.schema import LAYER_KINDS
from geoenv.settings import NEAR_BORDER_M, ParameterError, Settings, check_choice

if TYPE_CHECKING:
    from geoenv.basin import Basin
    from geoenv.borders import Crossings
    from geoenv.quality import Evaluation, Period
    from geoenv.relate import Relations

STUDY_MARGIN_DEG = 0.5
#: Layers that must be vector files, and what their geometry is called in a message.
GEOMETRY_NOUNS = {"rivers": "lines", "counties": "polygons"}


@dataclass
class Project:
    """Loaded layers (by kind), every problem found while loading and joining them, the
    errors of rows skipped by lenient loading, and what is derived from the layers, each
    computed once when first asked for.

    Attributes
    ----------
    layers
        The loaded layers by kind (a saved network given as rivers is not one: see ``network``).
    sources
        Where each layer comes from, the rivers' too.
    settings
        How the network is built and the registers placed.
    progress
        Called with a short note at each stage of long work (building a large network).
    """

    layers: dict[str, Layer]
    problems: list[Problem] = field(default_factory=list)
    embedded: bool = False
    skipped: list[Problem] = field(default_factory=list)
    sources: dict[str, LayerSource] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    progress: Callable[[str], None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._quality: dict[tuple[Period | None, str | None], Evaluation] = {}
        self._status: dict[Period, pd.DataFrame] = {}
        self._crossings: dict[tuple[str, float | None, float], Crossings] = {}

    def __getitem__(self, kind: str) -> pd.DataFrame:
        if kind not in self.layers:
            raise KeyError(f"no {kind!r} layer in the project (it has {', '.join(self.layers) or 'none'})")
        return self.layers[kind].data

    @property
    def errors(self) -> list[Problem]:
        """The problems that are errors."""
        return [p for p in self.problems if p.severity == "error"]

    @cached_property
    def network(self) -> Network:
        """The river network: a saved network as it was built, or one built from the rivers
        layer (``settings.network``)."""
        source = self.sources.get("rivers")
        if source is None:
            raise InputError("no rivers given (--rivers)")
        lines = self["rivers"] if "rivers" in self.layers else None
        s = self.settings.network
        return open_network(source, flow=s.flow, outlets=list(s.outlets), tolerance_m=s.tolerance_m,
                            progress=self.progress, lines=lines)  # fmt: skip

    @cached_property
    def basin(self) -> Basin:
        """The network with the sections and facilities placed on it (``settings.placement``)."""
        from geoenv.basin import open_basin

        if "sections" not in self.layers:
            raise InputError("no sections given (--sections)")
        facilities = self["facilities"] if "facilities" in self.layers else None
        return open_basin(self.network, self["sections"], facilities, radius_m=self.settings.placement.radius_m)

    @cached_property
    def relations(self) -> Relations:
        """What lies upstream and downstream of each section and facility of the basin, with
        what could not be placed (see :func:`geoenv.relate.section_relations`)."""
        from geoenv.relate import section_relations

        return section_relations(self.basin)

    def crossings(self, units: str = "county", near_km: float | None = None, min_run_km: float = 1.0) -> Crossings:
        """Where the rivers pass from one county (or city: ``units``) into another, with the
        outflow and inflow sections watching each (within ``near_km`` if given; runs shorter
        than ``min_run_km`` merged: see :func:`geoenv.borders.crossings`); found once per request."""
        from geoenv.borders import crossings

        key = (units, near_km, min_run_km)
        if key not in self._crossings:
            self._crossings[key] = crossings(self.basin, self["counties"], units=units, near_km=near_km,
                                             min_run_km=min_run_km)  # fmt: skip
        return self._crossings[key]

    def quality(self, period: Period | str | None = None, *, by: str | None = None) -> Evaluation:
        """The water quality of every section over ``period`` (a :class:`~geoenv.quality.Period`
        or its label: ``"2024"``, ``"2024Q2"``, ``"2024-06"``), or per month, quarter or year
        (``by``), or over all the data (neither); evaluated once per request.

        Raises
        ------
        InputError
            Without measurements, or when none fall in the period.
        """
        from geoenv.assessment import assess
        from geoenv.quality import BY

        period = as_period(period)
        if by is not None:
            check_choice("by", by, BY)
        key = (period, by)
        if key not in self._quality:
            self._quality[key] = assess(self, period=period, by=by)
        return self._quality[key]

    def status(self, period: Period | str) -> pd.DataFrame:
        """Per section code in ``period``: class, target, whether it meets it, the items
        exceeding (see :func:`geoenv.assessment.section_status`)."""
        from geoenv.assessment import section_status

        chosen = as_period(period)
        if chosen is None:
            raise ParameterError("period", period, 'a period ("2024", "2024Q2", "2024-06")')
        if chosen not in self._status:
            self._status[chosen] = section_status(self.quality(chosen))
        return self._status[chosen]

    @cached_property
    def default_period(self) -> Period:
        """The period judged when none is named: the latest year with measurements."""
        from geoenv.assessment import latest_year

        return latest_year(self)


def as_period(period: Period | str | None) -> Period | None:
    """``period`` as a :class:`~geoenv.quality.Period`: a label (``"2024"``, ``"2024Q2"``,
    ``"2024-06"``) is read; None stays None.

    Raises
    ------
    ParameterError
        For anything else (a number, a label that is no period).
    """
    from geoenv.quality import Period, parse_period

    expected = 'a period: "2024", "2024Q2", "2024-06" or a geoenv.quality.Period'
    if period is None or isinstance(period, Period):
        return period
    if not isinstance(period, str):
        raise ParameterError("period", period, expected)
    try:
        return parse_period(period)
    except InputError:
        raise ParameterError("period", period, expected) from None


def open_project(
    config: Config | str | Path | None = None,
    *,
    sections: str | Path | LayerSource | None = None,
    facilities: str | Path | LayerSource | None = None,
    rivers: str | Path | LayerSource | None = None,
    counties: str | Path | LayerSource | None = None,
    measurements: str | Path | LayerSource | None = None,
    settings: Settings | None = None,
    raise_errors: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Project:
    """Load a project: each layer once, checked and joined to counties.

    Parameters
    ----------
    config
        ``geoenv.toml`` (a path, or a :class:`~geoenv.config.Config` read already).
    sections, facilities, rivers, counties, measurements
        A file (or a :class:`~geoenv.io.LayerSource` with its sheet, columns, CRS); these win
        over the config. Counties and rivers left out are the embedded Shanxi layers; the
        sections, facilities and measurements the embedded sample only when none of the three
        is given. ``rivers`` may be a saved network (``geoenv network build -o net.gpkg``).
    settings
        How the network is built and the registers placed; default: the config's, else
        :class:`~geoenv.settings.Settings` ().
    raise_errors
        Raise :class:`~geoenv.errors.InputError` naming every error found (the default), or
        return the project with its ``problems`` (what ``geoenv validate`` lists).

    Returns
    -------
    The project; ``project.network``, ``project.basin`` and ``project.quality(period)`` are
    computed when first used and kept.
    """
    if config is not None and not isinstance(config, Config):
        if not isinstance(config, str | Path):
            raise ParameterError("config", config, "a path to geoenv.toml or a Config")
        config = read_config(Path(config))
    if settings is not None and not isinstance(settings, Settings):
        raise ParameterError("settings", settings, "a geoenv.Settings")
    given = {"sections": sections, "facilities": facilities, "rivers": rivers, "counties": counties,
             "measurements": measurements}  # fmt: skip
    for kind, value in given.items():
        if not isinstance(value, str | Path | LayerSource | None):
            raise ParameterError(kind, value, "a file path or a geoenv.io.LayerSource")
    overrides = {kind: value if isinstance(value, LayerSource | None) else LayerSource(Path(value))
                 for kind, value in given.items()}  # fmt: skip
    sources, embedded = resolve_sources(overrides, config)
    settings = settings or (config.settings if config else Settings())
    loading = settings.loading
    project = inspect_project(sources, near_m=loading.near_border_m, embedded=embedded, strict=loading.strict)
    if loading.lenient:
        project = skip_bad_rows(project, "measurements")
    project = replace(project, settings=settings, progress=progress)
    if raise_errors:
        raise_on_errors(project.problems)
    return project


def resolve_sources(
    overrides: dict[str, LayerSource | None], config: Config | None = None
) -> tuple[dict[str, LayerSource], bool]:
    """Sources per layer kind: options first, then the config, then the embedded data.

    Counties and rivers fall back to the embedded Shanxi layers one by one; sections,
    facilities and measurements only when the user gives none of the three.

    Returns
    -------
    The sources, and whether the embedded sample registers are in use.
    """
    given = {k: v for k, v in (config.sources if config else {}).items()}
    given.update({k: v for k, v in overrides.items() if v is not None})
    sources = {kind: embedded_source(kind) for kind in datasets.BASE}
    use_sample = not any(kind in given for kind in datasets.SAMPLE)
    if use_sample:
        sources.update({kind: embedded_source(kind) for kind in datasets.SAMPLE})
    sources.update(given)
    return {kind: sources[kind] for kind in LAYER_KINDS if kind in sources}, use_sample


def inspect_project(
    sources: dict[str, LayerSource], *, near_m: float = NEAR_BORDER_M, embedded: bool = False, strict: bool = False
) -> Project:
    """Load every layer, join points to counties, and collect every problem (no raising
    except for files that cannot be read at all).

    With ``strict``, a section or facility outside every county is an error (else a warning:
    it keeps no county); one more than :data:`~geoenv.jurisdiction.OUTSIDE_MARGIN_M` outside
    always is."""
    layers: dict[str, Layer] = {}
    problems: list[Problem] = []
    unreadable: list[Problem] = []

    def attempt(kind: str, **kw) -> None:
        if kind in GEOMETRY_NOUNS and is_table(Path(sources[kind].path)):
            message = f"a table holds no {GEOMETRY_NOUNS[kind]}: give a GeoPackage, Shapefile or GeoJSON"
            unreadable.append(Problem(message, file=str(sources[kind].path)))
            return
        try:
            layers[kind] = inspect(kind, sources[kind], **kw)
            problems.extend(layers[kind].problems)
        except InputError as exc:
            unreadable.extend(exc.problems)

    for kind in ("counties", "rivers"):
        if kind in sources and not (kind == "rivers" and is_network_file(sources[kind].path)):
            attempt(kind)
    bounds = CHINA_BOUNDS
    counties = layers.get("counties")
    if counties is not None and not _has_errors(counties):
        minx, miny, maxx, maxy = counties.data.total_bounds
        m = STUDY_MARGIN_DEG
        bounds = (minx - m, miny - m, maxx + m, maxy + m)
    for kind in ("sections", "facilities"):
        if kind in sources:
            attempt(kind, bounds=bounds)
    if "measurements" in sources:
        attempt("measurements")
    project = Project(layers, unreadable + problems, embedded, sources=sources)
    if counties is not None and not _has_errors(counties):
        for kind in ("sections", "facilities"):
            if kind in layers and not _has_errors(layers[kind]):
                _join_counties(layers[kind], counties, near_m, project.problems, strict=strict)
    if "measurements" in layers and "sections" in layers and not _has_errors(layers["sections"]):
        project.problems.extend(resolve_sections(layers["measurements"], layers["sections"]))
    return project


def _has_errors(layer: Layer) -> bool:
    return any(p.severity == "error" for p in layer.problems)


def _join_counties(layer: Layer, counties: Layer, near_m: float, problems: list[Problem], *, strict: bool) -> None:
    """County, city and adcode of each point, with the problems of the join.

    A point just outside every county (within ``near_m``) goes to the nearest, a warning; one
    farther out but within :data:`~geoenv.jurisdiction.OUTSIDE_MARGIN_M` keeps no county
    (``admin_match`` ``outside``), a warning (sections on the 黄河 along the provincial border,
    a neighbour's sections) or with ``strict`` an error; one farther still is an error (a
    mistyped degree). Where
    the register gives its own county or city and it differs from the polygon's, one warning
    lists the rows with both names.
    """
    joined = assign_counties(layer.data, counties.data, near_m=near_m)
    given = {c: layer.data[c].copy() for c in ("county", "city") if c in layer.data}
    for column in ("county", "city", "adcode", "admin_match", "outside_m"):
        layer.data[column] = joined[column]
    match = joined["admin_match"].to_numpy()
    for i in np.flatnonzero(match == "near"):
        problems.append(
            layer.problem(
                int(i),
                f"point is {joined['outside_m'].iloc[i]:.0f} m outside every county; "
                f"assigned to the nearest, {joined['county'].iloc[i]}",
                "lon",
                severity="warning",
            )
        )
    margin = OUTSIDE_MARGIN_M / 1000
    for i in np.flatnonzero(match == "outside"):
        km = joined["outside_m"].iloc[i] / 1000
        where = f"outside every county (the counties in {counties.file})"
        if km > margin:
            message = (
                f"point is {km:.1f} km {where}, more than the {margin:g} km a neighbour's section may lie: "
                "check the coordinates (a mistyped degree moves a point ~100 km), or give counties that "
                "cover it (--counties)"
            )
        elif strict:
            message = (
                f"point is {km:.1f} km {where}; check the coordinates, or leave out --strict to keep it "
                f"with no county (allowed within {margin:g} km)"
            )
        else:
            message = (
                f"point is {km:.1f} km {where}: kept with no county, shown as outside on maps (界外; "
                f"allowed within {margin:g} km, --strict refuses it); check the coordinates if it should lie inside"
            )
        severity = "error" if strict or km > margin else "warning"
        problems.append(layer.problem(int(i), message, "lon", severity=severity))
    for column, values in given.items():
        stated = values.fillna("").astype(str).str.strip()
        found = layer.data[column].fillna("").astype(str)
        loose = stated.map(_place_key).ne(found.map(_place_key))
        differ = (stated.ne("") & found.ne("") & loose).to_numpy()
        if not differ.any():
            continue
        rows = np.flatnonzero(differ)
        listed = "; ".join(f"{layer.raw.where(int(i))}: {stated.iloc[i]} → {found.iloc[i]}" for i in rows[:10])
        more = f"; … ({len(rows)} in all)" if len(rows) > 10 else ""
        noun = "county" if column == "county" else "city"
        one = {"sections": "section lies", "facilities": "facility lies"}.get(layer.kind, layer.kind)
        what = one if len(rows) == 1 else f"{layer.kind} lie"
        problems.append(Problem(
            f"{len(rows)} {what} in another {noun} than the register says (register → polygon): "
            f"{listed}{more}; the polygon's {noun} is used: check the coordinates or the register",
            file=layer.file, column=layer.columns.get(column, column), severity="warning"))  # fmt: skip


_PLACE_SUFFIX = re.compile(r"(自治县|自治州|地区|新区|县|区|市|旗|盟)$")


def _place_key(name: str) -> str:
    """A county or city name compared loosely: 小店区 = 小店, 清徐县 = 清徐, 太原市 = 太原."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    return _PLACE_SUFFIX.sub("", text) or text


def skip_bad_rows(project: Project, kind: str = "measurements") -> Project:
    """Drop what has errors in one layer, for ``--lenient`` work: for measurements, a bad
    value cell drops that value only (the row's other items stay), and a bad date or
    section the whole row; other layers lose the rows with errors.

    Returns
    -------
    The project without those cells or rows and their errors; the errors skipped are added
    to its ``skipped``. Errors that belong to no row nor item column (a missing column) are
    kept and still stop the work.
    """
    if kind not in project.layers:
        return project
    layer = project.layers[kind]
    data = layer.data
    # the header an error names → the column of the cell in the data (a long file's value column is "value")
    cells = {str(c): str(c) for c in data["column"].unique()} if "column" in data else {}
    if layer.columns.get("value"):
        cells[layer.columns["value"]] = "value"
    errors = [p for p in layer.problems if p.severity == "error"]
    skipped = [p for p in errors if p.row is not None or p.column in cells]
    rows = {p.row for p in skipped if p.row is not None and p.column not in cells}
    bad_cells = {(p.row, cells[p.column]) for p in skipped if p.row is not None and p.column in cells}
    drop = data["row"].isin(rows)
    if bad_cells:
        drop |= pd.Series(list(zip(data["row"], data["column"].astype(str), strict=True)), index=data.index).isin(
            bad_cells
        )
    if "status" in data:  # what is left unread: cells named by an error of their column (未检出 with no limit)
        drop |= data["value"].isna() & data["status"].fillna("").eq("")
    layers = {**project.layers, kind: replace(layer, data=data[~drop].reset_index(drop=True))}
    dropped = set(skipped)
    problems = [p for p in project.problems if p not in dropped]
    return replace(project, layers=layers, problems=problems, skipped=project.skipped + skipped)
