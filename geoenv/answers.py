"""The questions a bureau asks of a project, answered: each takes an opened project
(:func:`geoenv.open_project`) and uses what it has computed already (its network, its basin,
the quality of a period), so that asking several costs little more than asking one.

Examples
--------
>>> import geoenv
>>> project = geoenv.open_project()  # the embedded Shanxi data
>>> result = geoenv.trace(project, "SX014", period="2023")
>>> result.period.label, result.table["kind"].iloc[0] != "section"
('2023', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pandas as pd

from geoenv.borders import Crossings, with_status
from geoenv.dossiers import Dossiers, build_dossiers
from geoenv.eco_compensation import Accounts, Rules, load_rules, project_accounts
from geoenv.emergency_plan import EMERGENCY_KINDS, EmergencyPlan
from geoenv.emergency_plan import plan as _plan
from geoenv.project import Project, as_period
from geoenv.quality import Period
from geoenv.relate import Relations
from geoenv.reports import bureau_tables
from geoenv.schema import FACILITY_LABELS_ZH, SOURCE_KINDS
from geoenv.settings import (
    DEFAULT_VELOCITY_MS,
    ParameterError,
    check_choice,
    check_distance,
    check_flag,
    check_lonlat,
)
from geoenv.tracing import Impact, Trace
from geoenv.tracing import impact as _impact
from geoenv.tracing import trace as _trace


def period_of(project: Project, period: Period | str | None) -> Period:
    """``period`` as a :class:`~geoenv.quality.Period` (``"2024"``, ``"2024Q2"``,
    ``"2024-06"``), or the project's default: the latest year with measurements."""
    chosen = as_period(period)
    return project.default_period if chosen is None else chosen


def trace(
    project: Project,
    section: str,
    *,
    period: Period | str | None = None,
    mode: str = "UT",
    distance_km: float | None = None,
    kinds: tuple[str, ...] = SOURCE_KINDS,
    stop_at_compliant: bool = False,
) -> Trace:
    """Trace ``section`` (code or name) upstream (超标断面溯源) in ``period`` (default: the
    latest year): candidate facilities ranked, and the sections on the way with their class;
    the table has the column ``period`` (its label, before ``class``) when a period was used.

    Without measurements the candidates are ranked by proximity and size only. See
    :func:`geoenv.tracing.trace` for the other parameters.
    """
    _check_project(project)
    check_choice("mode", mode, ("UT", "UM"))
    check_flag("stop_at_compliant", stop_at_compliant)
    _check_kinds(kinds)
    check_distance("distance_km", distance_km, unit="km", optional=True)
    chosen = period_of(project, period) if "measurements" in project.layers else None
    status = project.status(chosen) if chosen is not None else None
    result = _trace(project.basin, section, status=status, mode=mode, distance_km=distance_km, kinds=kinds,
                    stop_at_compliant=stop_at_compliant)  # fmt: skip
    table = result.table
    if chosen is not None:
        table = table.copy()
        table.insert(list(table.columns).index("class"), "period", chosen.label)
    return replace(result, table=table, period=chosen)


def impact(
    project: Project,
    *,
    facility: str | None = None,
    at: tuple[float, float] | None = None,
    velocity_ms: float = DEFAULT_VELOCITY_MS,
    distance_km: float | None = None,
    period: Period | str | None = None,
    start_time: pd.Timestamp | datetime | str | None = None,
    river_velocity: Mapping[str, float] | None = None,
    hours: float | None = None,
) -> Impact:
    """Rehearse a spill (突发水污染事件推演) from ``facility`` (its outfall) or the point ``at``:
    the sections, drinking-water sources and county borders below it, nearest first, with the
    arrival times. See :func:`geoenv.tracing.impact`.

    Parameters
    ----------
    period
        The period whose classes the drill's map shows (default: the latest year with data;
        none without measurements).
    start_time
        When the spill starts (local clock time, ``"2024-07-01T08:00"``): adds the column
        ``arrival_time``, the clock time of each arrival (``2024-07-01 14:30``).
    river_velocity
        Velocity (m/s) by river name (``{"汾河": 0.6}``); a reach's own ``velocity_ms`` still
        wins (:func:`geoenv.tracing.reach_velocity`).
    hours
        Follow the spill this many hours only (the rows reached within them, the path run).
    """
    _check_project(project)
    _check_river_velocity(river_velocity)
    check_distance("hours", hours, unit="h", positive=True, optional=True)
    if at is not None:
        at = check_lonlat("at", at)
    check_distance("velocity_ms", velocity_ms, unit="m/s", positive=True)
    check_distance("distance_km", distance_km, unit="km", optional=True)
    start = _start_time(start_time)
    chosen = period_of(project, period) if "measurements" in project.layers else as_period(period)
    borders = project.crossings().crossings
    borders = borders.assign(name=borders["upstream_unit"] + " → " + borders["downstream_unit"],
                             county=borders["downstream_unit"])  # fmt: skip
    result = _impact(project.basin, facility=facility, at=at, velocity_ms=velocity_ms, distance_km=distance_km,
                     borders=borders, river_velocity=river_velocity, hours=hours)  # fmt: skip
    table = result.table
    if start is not None:
        arrival = start + pd.to_timedelta(table["arrival_h"], unit="h")
        table = table.assign(arrival_time=arrival.dt.strftime("%Y-%m-%d %H:%M").astype(object).where(arrival.notna()))
    return replace(result, table=table, period=chosen)


def _check_kinds(kinds: object) -> None:
    """``kinds`` must be a list or tuple of facility kinds (a str would pass as letters)."""
    if isinstance(kinds, str) or not isinstance(kinds, list | tuple):
        raise ParameterError("kinds", kinds, "a list of facility kinds")
    for kind in kinds:
        check_choice("kinds", kind, tuple(FACILITY_LABELS_ZH))


def _check_river_velocity(value: object) -> None:
    """``river_velocity`` must be None or a mapping of river names to velocities (the names and
    values are checked against the network by :func:`geoenv.tracing.reach_velocity`)."""
    if value is not None and not (isinstance(value, Mapping) and all(isinstance(k, str) for k in value)):
        raise ParameterError("river_velocity", value, 'a mapping of river names to m/s: {"汾河": 0.6}')


def _start_time(value: object) -> pd.Timestamp | None:
    """``value`` as a clock time without a time zone (a spill's start), or None."""
    if value is None:
        return None
    expected = 'a date and time: "2024-07-01T08:00", a datetime or a pandas Timestamp'
    if not isinstance(value, str | datetime):
        raise ParameterError("start_time", value, expected)
    try:
        start = pd.Timestamp(value)
    except ValueError:
        raise ParameterError("start_time", value, expected) from None
    if pd.isna(start):
        raise ParameterError("start_time", value, expected)
    return start.tz_localize(None) if start.tzinfo is not None else start


def emergency(
    project: Project,
    *,
    river: str,
    kinds: tuple[str, ...] = EMERGENCY_KINDS,
    hours: float = 24.0,
    velocity_ms: float = DEFAULT_VELOCITY_MS,
    river_velocity: Mapping[str, float] | None = None,
) -> EmergencyPlan:
    """The emergency plan of ``river`` (一河一策): every risk source of ``kinds`` on the river
    and its tributaries × every drinking-water source, national section and county or
    province border crossing a spill from it reaches within ``hours``, with the network
    distance and the arrival time. See :func:`geoenv.emergency_plan.plan`.

    Parameters
    ----------
    river_velocity
        Velocity (m/s) by river name; a reach's own ``velocity_ms`` still wins.
    """
    _check_project(project)
    if not isinstance(river, str) or not river.strip():
        raise ParameterError("river", river, "a river name, e.g. 汾河")
    _check_kinds(kinds)
    check_distance("hours", hours, unit="h", positive=True)
    check_distance("velocity_ms", velocity_ms, unit="m/s", positive=True)
    _check_river_velocity(river_velocity)
    borders = project.crossings().crossings
    return _plan(project.basin, river=river, kinds=kinds, hours=hours, velocity_ms=velocity_ms,
                 river_velocity=river_velocity, borders=borders)  # fmt: skip


def dossier(
    project: Project,
    *,
    kind: str = "tailings_pond",
    hours: float = 24.0,
    velocity_ms: float = DEFAULT_VELOCITY_MS,
    river_velocity: Mapping[str, float] | None = None,
    period: Period | str | None = None,
) -> Dossiers:
    """A file per facility of ``kind`` (尾矿库一库一档): its register data, county, river and
    measure, the nearest sections up and down with their class in ``period`` (default: the
    latest year), and the sections, drinking-water sources and borders a spill from it reaches
    within ``hours`` at ``velocity_ms`` and ``river_velocity`` (see :func:`impact`).
    :func:`geoenv.maps.dossier_pages` draws them as pages.

    Examples
    --------
    >>> import geoenv
    >>> result = dossier(geoenv.open_project(), hours=12)
    >>> result.index["id"].tolist(), result.dossiers[2].receptors["id"].tolist()[:2]
    (['F040', 'F041', 'F042', 'F043', 'F044'], ['SX022', 'F045'])
    """
    _check_project(project)
    check_choice("kind", kind, tuple(FACILITY_LABELS_ZH))
    check_distance("hours", hours, unit="h", positive=True)
    check_distance("velocity_ms", velocity_ms, unit="m/s", positive=True)
    _check_river_velocity(river_velocity)
    chosen = period_of(project, period) if "measurements" in project.layers else as_period(period)
    status = project.status(chosen) if chosen is not None and "measurements" in project.layers else None

    def spill(facility: str, until: float | None) -> Impact:
        return impact(project, facility=facility, velocity_ms=velocity_ms, river_velocity=river_velocity, hours=until)

    return build_dossiers(project.basin, project.relations, spill, kind=kind, hours=hours, velocity_ms=velocity_ms,
                          river_velocity=river_velocity, status=status, period=chosen)  # fmt: skip


def relations(project: Project) -> Relations:
    """What lies upstream and downstream of each section and facility (断面上下游关系)."""
    _check_project(project)
    return project.relations


def crossings(
    project: Project,
    *,
    units: str = "county",
    near_km: float | None = None,
    min_run_km: float = 1.0,
    period: Period | str | None = None,
) -> Crossings:
    """Where rivers pass from one county (or city: ``units``) into another (跨界), with the
    outflow (出境) section of the unit the water leaves and the inflow (入境) section of the one
    it enters, and their class and compliance in ``period`` (default: the latest year with
    measurements; none without them). See :func:`geoenv.borders.crossings`.

    Parameters
    ----------
    near_km
        How far from the border a section may be to watch it (default: anywhere on the river
        inside the unit).
    min_run_km
        A stay in a unit shorter than this (a line zigzagging along a border) is no passage.

    Examples
    --------
    >>> import geoenv
    >>> found = geoenv.crossings(geoenv.open_project(), units="city", period="2024")
    >>> row = found.crossings.set_index("id").loc["X011"]
    >>> row["upstream_unit"], row["downstream_unit"], row["outflow_section"], float(row["outflow_km"])
    ('太原市', '吕梁市', 'SX017', 8.573)
    """
    _check_project(project)
    check_choice("units", units, ("county", "city"))
    check_distance("near_km", near_km, unit="km", optional=True)
    check_distance("min_run_km", min_run_km, unit="km")
    found = project.crossings(units, None if near_km is None else float(near_km), float(min_run_km))
    chosen = period_of(project, period) if "measurements" in project.layers else as_period(period)
    return found if chosen is None else with_status(found, project.status(chosen), chosen)


def compensation(
    project: Project, rules: Rules | str | Path, *, period: Period | str | None = None, units: str = "county"
) -> Accounts:
    """The cross-border compensation accounts (跨界断面生态补偿) of a year (default: the latest
    year with data) under ``rules`` (a :class:`~geoenv.eco_compensation.Rules` or its TOML file),
    by county or city (``units``): per section, month and item the value, standard, tier and
    amount; the rewards; per unit and month and over the year the deductions, rewards and net.
    See :mod:`geoenv.eco_compensation.accounts` for who pays."""
    _check_project(project)
    check_choice("units", units, ("county", "city"))
    if not isinstance(rules, Rules):
        rules = load_rules(rules)
    chosen = period_of(project, period)
    if chosen.kind != "year":
        raise ParameterError("period", chosen.label, "a year (2024): the accounts are monthly over a year")
    return project_accounts(project, rules, chosen, units)


def report(project: Project, period: Period | str | None = None) -> dict[str, pd.DataFrame]:
    """The bureau's tables for ``period`` (default: the latest year), by sheet (English
    column names; :func:`geoenv.reports.write_report` writes them in Chinese)."""
    _check_project(project)
    return bureau_tables(project, period_of(project, period))


def _check_project(project: object) -> None:
    if not isinstance(project, Project):
        raise ParameterError("project", project, "a project from geoenv.open_project()")
