"""One spreadsheet row: its cells as read (`RawRow`), and the `Case` they make (`parse_row`).

`parse_row` checks every cell for its column, builds the nested case (addresses from their
parts, up to two records holders) and validates it; every problem in the row is listed at once,
each naming the row and the column, never the member's value.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from coverage.case import Case
from secondlook.batch.cells import CellError, cell_text, convert, is_plain_text
from secondlook.batch.columns import (
    ADDRESS_PARTIES,
    COLUMN_BY_FIELD,
    COLUMN_BY_NAME,
    RECORDS_COLUMNS,
    column_for_field,
)
from secondlook.batch.problems import CellProblem, RowError


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

    Raises RowError listing every problem in the row, each naming the row and column.
    """
    problems: list[CellProblem] = []
    values = _converted(row_cells, row, problems)
    if "case_id" not in values and not any(p.column == "case_id" for p in problems):
        problems.append(CellProblem(row, "case_id", "required: every row needs a case id"))
    tree = _case_tree(values)
    holders = _records_holders(values, row, problems)
    if holders:
        tree["records_from"] = [holder for _, holder in holders]
    try:
        case = Case.model_validate(tree)
    except ValidationError as err:
        problems += _validation_problems(err, row, [n for n, _ in holders])
        raise RowError(problems) from None
    if problems:
        raise RowError(problems)
    return ParsedRow(case=case, letters=values.get("letters"))


def _converted(row_cells: Mapping[str, object], row: int, problems: list) -> dict[str, Any]:
    """Each known, non-blank cell converted for its column; problems collected."""
    values: dict[str, Any] = {}
    for name, raw in row_cells.items():
        column = COLUMN_BY_NAME.get(name)
        if column is None:
            continue  # unknown columns were reported (or allowed) when the header was read
        if raw.__class__ is str:
            raw = raw.strip()  # type: ignore[union-attr]
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


_PATHS: dict[str, tuple[str, ...]] = {}


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    parts = _PATHS.get(path) or _PATHS.setdefault(path, tuple(path.split(".")))
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _address_lines(values: Mapping[str, Any], prefix: str, state: str | None) -> list[str]:
    lines = [values.get(f"{prefix}_address_line1"), values.get(f"{prefix}_address_line2")]
    city = values.get(f"{prefix}_city")
    zip_code = values.get(f"{prefix}_zip")
    if city or zip_code:
        last = ", ".join(p for p in (city, state) if p)
        lines.append(f"{last} {zip_code}".strip() if zip_code else last)
    return [line for line in lines if line]


def _case_tree(values: Mapping[str, Any]) -> dict[str, Any]:
    """The nested mapping `Case` validates: each column's field, addresses joined into lines."""
    tree: dict[str, Any] = {}
    for name, value in values.items():
        path = COLUMN_BY_NAME[name].field
        if path:
            _set(tree, path, value)
    for prefix, target in ADDRESS_PARTIES.items():
        state = values.get("patient_state" if prefix == "patient" else f"{prefix}_state")
        lines = _address_lines(values, prefix, state)
        if lines:
            _set(tree, target, lines)
    return tree


def _records_holders(
    values: Mapping[str, Any], row: int, problems: list[CellProblem]
) -> list[tuple[int, dict[str, Any]]]:
    """(holder number 1 or 2, holder) for each records holder the row fills in."""
    holders = []
    for n in (1, 2):
        prefix = f"records{n}"
        if not any(name in values for name in RECORDS_COLUMNS[n]):
            continue
        if not values.get(f"{prefix}_name"):
            problems.append(
                CellProblem(
                    row,
                    f"{prefix}_name",
                    "a records holder needs a name when any of its other columns is filled",
                )
            )
            continue
        holder: dict[str, Any] = {"name": values[f"{prefix}_name"]}
        lines = _address_lines(values, prefix, values.get(f"{prefix}_state"))
        if lines:
            holder["address_lines"] = lines
        for part in ("phone", "fax"):
            if values.get(f"{prefix}_{part}"):
                holder[part] = values[f"{prefix}_{part}"]
        holders.append((n, holder))
    return holders


def _validation_problems(err: ValidationError, row: int, holders: list[int]) -> list[CellProblem]:
    """The model's validation errors, each moved onto the column that holds the field."""
    problems = []
    for item in err.errors(include_input=False, include_url=False):
        loc = [str(p) for p in item["loc"]]
        if loc and loc[0] == "records_from" and len(loc) > 1 and loc[1].isdigit():
            index = int(loc[1])  # records_from[0] may be holder 2 when holder 1 is blank
            loc[1] = str(holders[index] - 1) if index < len(holders) else loc[1]
        path = ".".join(loc)
        message = item["msg"].removeprefix("Value error, ")
        column, message = _columns_in_message(path, message)  # a model-level rule
        column = column or column_for_field(path) or _column_by_prefix(path)
        if item["type"] == "string_pattern_mismatch":
            message = "not in the expected format" + _format_hint(column)
        problems.append(CellProblem(row, column, message))
    return problems


def _columns_in_message(path: str, message: str) -> tuple[str | None, str]:
    """A model-level message (`date_received is before notice_date` on `denial`) in columns."""
    first = None
    for word in re.findall(r"[a-z_]+", message):
        column = COLUMN_BY_FIELD.get(f"{path}.{word}" if path else word)
        if column:
            message = re.sub(rf"\b{word}\b", column, message)
            first = first or column
    return first, message


def _column_by_prefix(path: str) -> str | None:
    while "." in path:
        path = path.rsplit(".", 1)[0]
        if path in COLUMN_BY_FIELD:
            return COLUMN_BY_FIELD[path]
    return None


def _format_hint(column: str | None) -> str:
    if column and column.endswith("_npi"):
        return " (an NPI is 10 digits)"
    if column == "diagnosis_icd10":
        return " (an ICD-10-CM code such as C50.911)"
    return ""
