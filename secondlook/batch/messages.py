"""Problems from the service (the check, the plan, the letters) said as `row N, column C: ...`.

The engine's and the letters package's messages name case fields, never member values; here the
fields become the columns that fill them. A message that names no field is replaced by the kind
of failure only, so nothing a row holds can leak into the manifest.
"""

from __future__ import annotations

import re
from functools import lru_cache

from coverage.loader import Problem
from secondlook.batch.columns import column_for_field
from secondlook.batch.problems import CellProblem

_CASE_FIELD = re.compile(
    r"\b((?:patient|diagnosis|reasons|provider|urgency|denial|"
    r"referring_physician|records_from)\.[a-z_.\[\]0-9]+|as_of|"
    r"request_sent_date|qualified_in_network_specialist)\b"
)


def load_problem_text(problem: Problem, row: int) -> str:
    """A LoadError problem from the check (a field of the case or of the plan)."""
    column = column_for_field(problem.field) or (
        "plan" if problem.field.startswith("plan") else None
    )
    return str(CellProblem(row, column, problem.message))


def value_error_text(err: Exception, row: int, what: str) -> str:
    """Show an engine or letters ValueError only when it names a case field (no values)."""
    message = str(err)
    fields = _CASE_FIELD.findall(message)
    columns = [column_for_field(f) for f in fields]
    if isinstance(err, ValueError) and fields and all(columns):
        for path, column in zip(fields, columns, strict=True):
            message = message.replace(path, str(column))
        return str(CellProblem(row, columns[0], message))
    return str(CellProblem(row, None, f"{what} failed ({type(err).__name__})"))


def info_needed_warning(determination) -> str | None:  # noqa: ANN001 - a Determination
    """`conditional: the answer depends on provider_in_network and 1 point to confirm with the
    plan`, or None when the answer depends on nothing more."""
    if not determination.info_needed:
        return None
    columns, plan_points = set(), set()
    for need in determination.info_needed:
        column = _needed_column(need.field)
        if column and column != "plan":
            columns.add(column)
        else:
            plan_points.add(need.field)
    parts = sorted(columns)
    if plan_points:
        n = len(plan_points)
        parts.append(f"{n} point{'s' if n > 1 else ''} to confirm with the plan")
    return f"{determination.covered}: the answer depends on {' and '.join(parts)}"


@lru_cache(maxsize=1024)
def _needed_column(field: str) -> str | None:
    """column_for_field for the fields the engine's rules say an answer depends on (paths the
    rule data name, never a row's value; a conditional answer names them on every row)."""
    return column_for_field(field)


def letter_problem_texts(problem, row: int) -> list[str]:  # noqa: ANN001 - a LetterProblem
    """A letter that cannot be made: name the columns it needs (the service's problems say
    what is missing or why the letter does not apply, never the member's values)."""
    if problem.kind == "missing" and problem.fields:
        return [
            _missing_field_text(path, why, row, problem.letter_type) for path, why in problem.fields
        ]
    return [str(CellProblem(row, None, problem.message))]


def _missing_field_text(path: str, why: str, row: int, letter_type: str) -> str:
    column = column_for_field(path)
    if column == "plan":
        text = (
            f"the plan's data lack {why} ({path.removeprefix('plan.')}), needed for "
            f"the {letter_type} letter"
        )
    else:
        where = "" if column else f"{path}: "
        text = f"{where}needed for the {letter_type} letter: {why}"
    return str(CellProblem(row, column, text))
