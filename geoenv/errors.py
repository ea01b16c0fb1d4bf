"""One small hierarchy of errors, each carrying where in the input the problem lies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One located problem in an input.

    Attributes
    ----------
    message
        What is wrong, in words a bureau user understands.
    file
        The file it was found in, as the user named it.
    where
        ``"row 5"`` (the spreadsheet row, header = row 1) or ``"feature 3"``.
    column
        The column as it is written in the file (``经度``), not the canonical name.
    severity
        ``"error"`` stops the command; ``"warning"`` is reported and work goes on.
    row
        Position of the row in its layer (0-based), when the problem belongs to one row.
    """

    message: str
    file: str | None = None
    where: str | None = None
    column: str | None = None
    severity: Severity = "error"
    row: int | None = None

    def __str__(self) -> str:
        place = ":".join(str(p) for p in (self.file, self.where) if p)
        col = f"column {self.column}: " if self.column else ""
        return f"{place}: {col}{self.message}" if place else f"{col}{self.message}"


class GeoenvError(Exception):
    """Base of every error geoenv raises on purpose; carries one or more problems."""

    def __init__(self, problems: Problem | str | list[Problem]):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        #: Warnings found beside the errors (a unit slip, columns ignored), worth showing with them.
        self.warnings: list[Problem] = []
        super().__init__("\n".join(str(p) for p in self.problems))


class InputError(GeoenvError):
    """An input file or option is unreadable or holds invalid data."""


class NetworkError(GeoenvError):
    """A river network cannot be built or navigated as asked (an outlet on no line, an unknown
    reach id, a point far from every reach)."""


class OutputError(GeoenvError):
    """An output cannot be written (exists without ``--overwrite``, folder missing …)."""


def raise_on_errors(problems: list[Problem], cls: type[GeoenvError] = InputError) -> None:
    """Raise ``cls`` with every error in ``problems`` (warnings alone do not raise); the
    warnings go with it (``exc.warnings``), as they may explain the errors."""
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        exc = cls(errors)
        exc.warnings = [p for p in problems if p.severity != "error"]
        raise exc


def problems_table(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a table (file, where, column, severity, message), e.g. of skipped rows."""
    columns = ["file", "where", "column", "severity", "message"]
    return pd.DataFrame([[getattr(p, c) for c in columns] for p in problems], columns=columns)
