"""One spreadsheet row: its cells as read (`RawRow`), and the `Case` they make (`parse_row`).

`parse_row` checks every cell for its column, joins each address from its parts and writes the
case with the case-field registry (`coverage.fields.build`: the same path-setter and checks as
the patient pages and the navigator form); every problem in the row is listed at once, each
naming the row and the column, never the member's value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coverage import fields
from coverage.case import Case
from secondlook.batch.cells import CellError, cell_text, convert, is_plain_text
from secondlook.batch.columns import ADDRESSES, COLUMN_BY_NAME, column_for_field, column_for_key
from secondlook.batch.problems import CellProblem, RowError
from secondlook.files import unneutralise


@dataclass
class RawRow:
    """One spreadsheet row: its number as the spreadsheet shows it and its non-blank cells."""

    number: int
    cells: dict[str, object] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)

    def case_id(self) -> str:
        return cell_text(self.cells.get("case_id"))

    def content_hash(self) -> str:
        """A digest of the row's content that ignores column order and the row's position."""
        parts = sorted(
            f"{k}\x1e{v if v.__class__ is str else cell_text(v)}" for k, v in self.cells.items()
        )
        parts += [f"\x1d{p}" for p in self.problems]
        blob = "\x1f".join(parts).encode("utf-8", "surrogatepass")
        return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class ParsedRow:
    case: Case
    letters: tuple[str, ...] | None  # None: use the batch's --letter


def parse_row(row_cells: Mapping[str, object], row: int) -> ParsedRow:
    """Build and validate a Case from one row's non-blank cells (column name -> cell value).

    The cells are written through the case-field registry's one path-setter and checked as
    every surface checks them. Raises RowError listing every problem in the row, each naming
    the row and column.
    """
    problems: list[CellProblem] = []
    values = _converted(row_cells, row, problems)
    if "case_id" not in values and not any(p.column == "case_id" for p in problems):
        problems.append(CellProblem(row, "case_id", "required: every row needs a case id"))
    try:
        case = fields.build(None, _answers(values))
    except fields.FieldErrors as err:
        problems += [_cell_problem(issue, row) for issue in err.issues]
        raise RowError(problems) from None
    if problems:
        raise RowError(problems)
    return ParsedRow(case=case, letters=values.get("letters"))


def _column_name(key: str) -> str:
    return column_for_key(key) or column_for_field(key) or key


def _cell_problem(issue: fields.Issue, row: int) -> CellProblem:
    """A registry issue on the column that holds its field, other fields named by column."""
    return CellProblem(row, _column_name(issue.key), issue.message("en", _column_name))


def _answers(values: Mapping[str, Any]) -> dict[str, Any]:
    """Registry key -> value: each column's field, an address's parts joined into lines."""
    answers: dict[str, Any] = {}
    addresses: set[str] = set()  # the addresses the row has a part of
    for name, value in values.items():
        key = _KEYS[name]
        if key in ADDRESSES:
            addresses.add(key)
        elif key:
            answers[key] = value
    for key, (line1, line2, city, zip_code, state) in _ADDRESS_COLUMNS.items():
        if key in addresses:
            lines = _address_lines(values, line1, line2, city, zip_code, values.get(state))
            if lines:
                answers[key] = lines
    return answers


def _converted(row_cells: Mapping[str, object], row: int, problems: list) -> dict[str, Any]:
    """Each known, non-blank cell converted for its column; problems collected."""
    values: dict[str, Any] = {}
    for name, raw in row_cells.items():
        column = COLUMN_BY_NAME.get(name)
        if column is None:
            continue  # unknown columns were reported (or allowed) when the header was read
        if raw.__class__ is str:
            raw = raw.strip()  # type: ignore[union-attr]
            if raw[:1] == "'":  # type: ignore[index]
                raw = unneutralise(raw)  # type: ignore[arg-type]
            if not raw:
                continue
            if column.kind == "text" and is_plain_text(raw):  # type: ignore[arg-type]
                values[name] = raw  # the common case, with nothing to convert
                continue
        elif raw is None or cell_text(raw) == "":
            continue
        try:
            values[name] = convert(column, raw)
        except CellError as err:
            problems.append(CellProblem(row, name, str(err)))
    return values


def _address_lines(
    values: Mapping[str, Any], line1: str, line2: str, city: str, zip_code: str, state: Any
) -> list[str]:
    lines = [values.get(line1), values.get(line2)]
    town, code = values.get(city), values.get(zip_code)
    if town or code:
        last = ", ".join(p for p in (town, state) if p)
        lines.append(f"{last} {code}".strip() if code else last)
    return [line for line in lines if line]


# Each column's registry key ("" for the batch's own `letters` column), looked up per cell.
_KEYS: dict[str, str] = {name: column.key for name, column in COLUMN_BY_NAME.items()}
# Each address's columns: line 1, line 2, city, ZIP and the state (the patient's: patient_state).
_ADDRESS_COLUMNS: dict[str, tuple[str, str, str, str, str]] = {
    key: (
        f"{prefix}_address_line1",
        f"{prefix}_address_line2",
        f"{prefix}_city",
        f"{prefix}_zip",
        "patient_state" if prefix == "patient" else f"{prefix}_state",
    )
    for key, prefix in ADDRESSES.items()
}
