"""Evaluation periods: months, quarters, years or a date range, and the same period a year before.

Labels are ``2024-06`` (month), ``2024Q2`` (quarter), ``2024`` (year) and
``2024-03-01~2024-08-31`` (a range); they sort in time order within one kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from geoenv.errors import InputError

BY = ("month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    """A closed span of dates with its label."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp

    def year_before(self) -> Period:
        """The same span one year earlier (the base of 同比 comparisons)."""
        start, end = self.start - pd.DateOffset(years=1), self.end - pd.DateOffset(years=1)
        return period_of(start, self.kind) if self.kind in BY else date_range(start, end)

    @property
    def kind(self) -> str:
        """month, quarter, year or range."""
        if "~" in self.label:
            return "range"
        return "quarter" if "Q" in self.label else "month" if "-" in self.label else "year"


def period_of(date: pd.Timestamp, by: str) -> Period:
    """The month, quarter or year that holds ``date``."""
    freq = {"month": "M", "quarter": "Q", "year": "Y"}[by]
    span = pd.Period(date, freq=freq)
    label = {"month": f"{span.year}-{span.month:02d}", "quarter": f"{span.year}Q{span.quarter}"}
    return Period(label.get(by, str(span.year)), span.start_time.normalize(), span.end_time.normalize())


def date_range(start: pd.Timestamp, end: pd.Timestamp) -> Period:
    """A period from ``start`` to ``end``, both included."""
    return Period(f"{start:%Y-%m-%d}~{end:%Y-%m-%d}", start.normalize(), end.normalize())


def label_dates(dates: pd.Series, by: str) -> pd.Series:
    """The period label of each date for ``by`` = month, quarter or year (vectorized)."""
    if by == "month":
        return dates.dt.strftime("%Y-%m")
    if by == "quarter":
        return dates.dt.year.astype(str) + "Q" + dates.dt.quarter.astype(str)
    return dates.dt.year.astype(str)


_PERIOD = re.compile(r"^(\d{4})(?:[-/.年]?(?:(0?[1-9]|1[0-2])月?|[Qq]([1-4])|第?([1-4一二三四])季度?))?$")
_CHINESE_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4"}


def parse_period(text: str) -> Period:
    """Read ``2024``, ``2024-06``, ``2024年6月``, ``2024Q2`` or ``2024年第二季度``.

    Raises
    ------
    InputError
        When the text is none of these.
    """
    match = _PERIOD.match(str(text).strip().replace(" ", ""))
    if not match:
        raise InputError(f"--period {text!r}: write a year (2024), a month (2024-06) or a quarter (2024Q2)")
    year, month, quarter, quarter_zh = match.groups()
    if month:
        return period_of(pd.Timestamp(int(year), int(month), 1), "month")
    if quarter or quarter_zh:
        q = int(quarter or _CHINESE_DIGITS.get(quarter_zh, quarter_zh))
        return period_of(pd.Timestamp(int(year), 3 * q, 1), "quarter")
    return period_of(pd.Timestamp(int(year), 1, 1), "year")
