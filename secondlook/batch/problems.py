"""What can go wrong in a batch: a problem in one row (a `CellProblem`, naming the row and the
column, never the member's value), or a problem with the run itself (`BatchError`)."""

from __future__ import annotations

from dataclasses import dataclass


class BatchError(Exception):
    """A problem with the run itself (output directory, scheduler, options), not with a row."""


@dataclass(frozen=True)
class CellProblem:
    """A problem in one row, naming the column when there is one (never the member's value)."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"row {self.row}, column {self.column}: {self.message}"
        return f"row {self.row}: {self.message}"


class RowError(Exception):
    """Every problem found in one row."""

    def __init__(self, problems: list[CellProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))
