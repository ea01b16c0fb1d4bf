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

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pandas as pd

from geoenv.borders import Crossings
from geoenv.eco_compensation import Accounts, Rules, load_rules, project_accounts
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
    given: object = kinds  # as the caller passed it: a str would pass as a sequence of letters
    if isinstance(given, str) or not isinstance(given, list | tuple):
        raise ParameterError("kinds", kinds, "a list of facility kinds")
    check_distance("distance_km", distance_km, unit="km", optional=True)
    for kind in kinds:
        check_choice("kinds", kind, tuple(FACILITY_LABELS_ZH))
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
    """
    _check_project(project)
    if at is not None:
        at = check_lonlat("at", at)
    check_distance("velocity_ms", velocity_ms, unit="m/s", positive=True)
    check_distance("distance_km", distance_km, unit="km", optional=True)
    start = _start_time(start_time)
    chosen = period_of(project, period) if "measurements" in project.layers else as_period(period)
    borders = crossings(project).crossings
    borders = borders.assign(name=borders["upstream_unit"] + " → " + borders["downstream_unit"],
                             county=borders["downstream_unit"])  # fmt: skip
    result = _impact(project.basin, facility=facility, at=at, velocity_ms=velocity_ms, distance_km=distance_km,
                     borders=borders)  # fmt: skip
    table = result.table
    if start is not None:
        arrival = start + pd.to_timedelta(table["arrival_h"], unit="h")
        table = table.assign(arrival_time=arrival.dt.strftime("%Y-%m-%d %H:%M").astype(object).where(arrival.notna()))
    return replace(result, table=table, period=chosen)


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


def relations(project: Project) -> Relations:
    """What lies upstream and downstream of each section and facility (断面上下游关系)."""
    _check_project(project)
    return project.relations


def crossings(project: Project, *, units: str = "county", near_km: float = 5.0) -> Crossings:
    """Where rivers cross county (or city) borders and which sections watch each crossing."""
    _check_project(project)
    check_choice("units", units, ("county", "city"))
    check_distance("near_km", near_km, unit="km")
    return project.crossings(units, near_km)


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
