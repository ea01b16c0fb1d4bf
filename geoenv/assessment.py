"""Water quality of a loaded project: the evaluation of each section joined to its register,
and the aggregates per river, county or city (what ``geoenv classify`` writes)."""

from __future__ import annotations

import pandas as pd

from geoenv.errors import InputError, Problem
from geoenv.project import Project
from geoenv.quality import Evaluation, Period, aggregate, evaluate, parse_period, requested_periods
from geoenv.quality.evaluate import SECTION_COLUMNS
from geoenv.quality.standard import III, class_index

REGISTER_COLUMNS = ["code_generated", "name", "river", "county", "city", "level"]
ASSESSMENT_COLUMNS = [SECTION_COLUMNS[0], *REGISTER_COLUMNS, *SECTION_COLUMNS[1:]]


def assess(
    project: Project,
    *,
    by: str | None = "year",
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    period: Period | None = None,
    water: str = "river",
    lake_tn: bool = False,
) -> Evaluation:
    """Evaluate the project's measurements per section and period.

    Parameters
    ----------
    project
        A loaded project with a measurements layer (sections optional: they give targets,
        water body and the register columns).
    by, start, end
        month, quarter or year within ``start``–``end``; ``by=None`` for the one range.
    period
        One month, quarter or year (from :func:`geoenv.quality.parse_period`) instead.
    water, lake_tn
        As in :func:`geoenv.quality.evaluate`.

    Returns
    -------
    The evaluation, its sections table with the register's ``code_generated`` (the code made
    from the name), name, river, county, city, level.
    """
    if "measurements" not in project.layers:
        raise InputError("no measurements given: name a file (geoenv classify 监测数据.csv)")
    measurements = _measured(project)
    sections = project["sections"] if "sections" in project.layers else None
    periods = [period] if period is not None else requested_periods(measurements["date"], by=by, start=start, end=end)
    result = evaluate(measurements, sections, periods=periods, water=water, lake_tn=lake_tn)
    if result.sections.empty:
        span = ", ".join(p.label for p in periods) or "~".join(f"{d:%Y-%m-%d}" if d else "" for d in (start, end))
        first, last = measurements["date"].min(), measurements["date"].max()
        raise InputError(f"no measurements in {span} (the data run from {first:%Y-%m-%d} to {last:%Y-%m-%d})")
    if sections is not None:
        register = sections.set_index(sections["code"].astype(str)).reindex(columns=REGISTER_COLUMNS)
        result.sections = result.sections.join(register, on="section")
    result.sections = result.sections.reindex(columns=ASSESSMENT_COLUMNS)
    return result


def group_table(project: Project, evaluation: Evaluation, by: str) -> pd.DataFrame:
    """Aggregates per river, county, city or all sections (see :func:`geoenv.quality.aggregate`)."""
    if "sections" not in project.layers:
        raise InputError(f"grouping by {by} needs the sections layer (--sections) to know each section's {by}")
    return aggregate(evaluation, project["sections"], by)


def section_status(evaluation: Evaluation) -> pd.DataFrame:
    """Per section code, for one period: ``class``, ``target``, ``meets_target`` and
    ``exceeding`` (item codes worse than the target, or than III without a target)."""
    items = evaluation.items.merge(evaluation.sections[["section", "period", "target"]], on=["section", "period"])
    limit = class_index(items["target"]).fillna(III)
    worse = items[class_index(items["class"]) > limit]
    exceeding = worse.groupby("section")["parameter"].agg(list)
    table = evaluation.sections.drop_duplicates("section", keep="last").set_index("section")
    status = table[["class", "target", "meets_target"]].copy()
    status["exceeding"] = [exceeding.get(code, []) for code in status.index]
    status.index.name = "code"
    return status


def latest_year(project: Project):
    """The most recent year with measurements, as a period (the default for tracing)."""
    if "measurements" not in project.layers:
        raise InputError("no measurements given: name a file with --measurements")
    return parse_period(str(_measured(project)["date"].max().year))


def _measured(project: Project) -> pd.DataFrame:
    """The project's measurements that have a date and a value or a no-sample status (断流 …);
    an error naming the file when there are none (every value blank, or every row skipped by
    ``--lenient``)."""
    layer = project.layers["measurements"]
    data = layer.data
    status = data["status"].fillna("").ne("") if "status" in data else False
    usable = data[data["date"].notna() & (data["value"].notna() | status)] if len(data) else data
    if usable.empty:
        skipped = sum(1 for p in project.skipped if p.file == layer.file)
        why = f" ({skipped} row{'s' * (skipped != 1)} with errors skipped)" if skipped else ""
        raise InputError(Problem(f"no measured values with a date to evaluate{why}", file=layer.file))
    return usable
