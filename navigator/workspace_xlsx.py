"""The workspace as an XLSX workbook, and back (docs/navigator.md, "Workspace export").

Sheets: About (format, version, what is left out), Cases (one row per case: the key `case`, its
status, assignee and times, then one column per case fact named by its path, e.g.
`patient.name`, `records_from.0.name`; address lines are one cell, a line each), Status history,
Calls, Notes, Tasks, Letters and Documents (one row per item, keyed by `case`). The key is the
case's reference, or `(row N)` for a case without one (its row on the Cases sheet). Letters and
documents are rows without their files. Calls are numbered per case (`call`); a letter's
`cited_calls` lists those numbers.

Read back with the batch's bounded XLSX reader (`secondlook.batch.xlsx`: size, parts, rows and
CPU time are bounded); a problem names the sheet, the row and the column, never the value.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from coverage.case import Case
from navigator import facts
from navigator.workspace_format import (
    MAX_CASES,
    MAX_ITEMS,
    CallItem,
    CaseItem,
    DocumentItem,
    LetterItem,
    NoteItem,
    StatusChangeItem,
    TaskItem,
    Workspace,
    header_problem,
    problems_of,
)
from secondlook.batch.cells import cell_text
from secondlook.batch.columns import column_letter
from secondlook.files import neutralise

KEY = "case"
CASE_COLUMNS = (
    KEY,
    "status",
    "assigned_to",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
)
# sheet -> (the case's list it holds, the item model)
ITEM_SHEETS: dict[str, tuple[str, type[BaseModel]]] = {
    "Status history": ("history", StatusChangeItem),
    "Calls": ("calls", CallItem),
    "Notes": ("notes", NoteItem),
    "Tasks": ("tasks", TaskItem),
    "Letters": ("letters", LetterItem),
    "Documents": ("documents", DocumentItem),
}
MAX_SHEET_ROWS = MAX_CASES * 20  # rows of one item sheet (each case also at most MAX_ITEMS)
EXCEL_CELL_CHARACTERS = 32_767
_NO_REFERENCE = re.compile(r"^\(row \d{1,7}\)$")
_COLUMN_NAME = re.compile(r"^[A-Za-z0-9_.]{1,100}$")


def item_columns(sheet: str) -> list[str]:
    model = ITEM_SHEETS[sheet][1]
    names = [n for n in model.model_fields if n != "content_base64"]
    return [KEY, "call", *names] if sheet == "Calls" else [KEY, *names]


# --------------------------------------------------------------------------------------------
# Case facts <-> one row


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A case's JSON as path -> text (lists of parts by index, address lines one per line)."""
    out: dict[str, str] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for index, part in enumerate(value):
                out.update(flatten(part, f"{path}.{index}."))
        elif isinstance(value, list):
            out[path] = "\n".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[path] = "true" if value else "false"
        else:
            out[path] = str(value)
    return out


class _Clash(ValueError):
    def __init__(self, column: str):
        super().__init__(column)
        self.column = column


def unflatten(cells: dict[str, str]) -> dict[str, Any]:
    """path -> text back into the case's JSON shape (the case model then checks it)."""
    root: dict[str, Any] = {}
    for path, text in cells.items():
        parts = path.split(".")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise _Clash(path)
        if isinstance(node.get(parts[-1]), dict):
            raise _Clash(path)
        node[parts[-1]] = text.splitlines() if parts[-1] == "address_lines" else text
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _lists(value) for key, value in node.items()}
        if node and all(key.isdigit() for key in node):
            return [node[key] for key in sorted(node, key=int)]
    return node


def fact_cells(case: Case) -> dict[str, str]:
    data = facts.to_json(case)
    data.pop("case_id", None)  # the row's key is the reference
    return flatten(data)


def case_from_cells(cells: dict[str, str], reference: str | None) -> dict[str, Any]:
    return unflatten(cells) | {"case_id": reference}


# --------------------------------------------------------------------------------------------
# Writing


def _keys(workspace: Workspace) -> list[str]:
    return [c.reference or f"(row {n})" for n, c in enumerate(workspace.cases, start=2)]


def _dumped(item: BaseModel) -> dict[str, str]:
    out = {}
    for name, value in item.model_dump(mode="json", exclude={"content_base64"}).items():
        if isinstance(value, list):
            out[name] = ", ".join(str(v) for v in value)
        elif value is not None:
            out[name] = str(value)
    return out


def _sheets(
    workspace: Workspace,
) -> tuple[list[tuple[str, list[str], list[dict[str, str]]]], list[str]]:
    keys = _keys(workspace)
    case_rows, fact_columns, warnings = [], {}, []
    for key, item in zip(keys, workspace.cases, strict=True):
        cells = fact_cells(item.facts)
        lost = facts.diff_paths(
            item.facts, Case.model_validate(case_from_cells(cells, item.reference))
        )
        if lost:
            warnings.append(f"case {key}: the spreadsheet cannot hold {', '.join(lost)} exactly "
                            "(the JSON export can)")  # fmt: skip
        fact_columns.update(dict.fromkeys(cells))
        row = _dumped(item.model_copy(update={"facts": Case()}))
        case_rows.append({KEY: key, **{c: row.get(c, "") for c in CASE_COLUMNS[1:]}, **cells})
    sheets = [
        ("About", ["field", "value"], [
            {"field": "format", "value": workspace.format},
            {"field": "version", "value": str(workspace.version)},
            {"field": "exported_at", "value": workspace.exported_at.isoformat()},
            {"field": "organisation", "value": workspace.organisation},
            {"field": "note", "value": workspace.note},
        ]),
        ("Cases", [*CASE_COLUMNS, *fact_columns], case_rows),
    ]  # fmt: skip
    for sheet, (attr, _) in ITEM_SHEETS.items():
        rows = []
        for key, item in zip(keys, workspace.cases, strict=True):
            for number, thing in enumerate(getattr(item, attr), start=1):
                rows.append({KEY: key, "call": str(number), **_dumped(thing)})
        sheets.append((sheet, item_columns(sheet), rows))
    return sheets, warnings


def to_xlsx(workspace: Workspace) -> tuple[bytes, list[str]]:
    """The workbook's bytes and warnings for anything a cell cannot hold exactly."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    sheets, warnings = _sheets(workspace)
    for name, columns, rows in sheets:
        for row in rows:
            long = [c for c in columns if len(row.get(c, "")) > EXCEL_CELL_CHARACTERS]
            if long:
                warnings.append(
                    f"sheet {name}, case {row.get(KEY, '?')}: {', '.join(long)} is cut to the "
                    f"{EXCEL_CELL_CHARACTERS:,} characters a spreadsheet cell holds (the JSON "
                    "export keeps it whole)"
                )
    workbook = Workbook(write_only=True)
    for name, columns, rows in sheets:
        sheet = workbook.create_sheet(name)
        sheet.freeze_panes = "B2"

        def text_cell(value: str, sheet=sheet) -> WriteOnlyCell:  # noqa: ANN001
            cell = WriteOnlyCell(sheet, value=value if value else None)
            if value:
                cell.data_type = "s"  # never a formula
                cell.number_format = "@"
                if neutralise(value) != value:
                    cell.quotePrefix = True
            return cell

        sheet.append([text_cell(c) for c in columns])
        for row in rows:
            sheet.append([text_cell(row.get(c, "")) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), warnings


# --------------------------------------------------------------------------------------------
# Reading


class _Book:
    """The workbook's sheets through the bounded reader; problems collected as text."""

    def __init__(self, path: Path):
        from secondlook.batch.xlsx import XlsxSheet

        self.reader = XlsxSheet(path, prefer_sheet="About")
        self.problems: list[str] = []

    def rows(self, sheet: str, allowed: Callable[[str], bool], limit: int, required: bool):
        """[(row number, {column: text})] of a sheet, or None (a problem said why)."""
        from secondlook.batch.xlsx import XlsxError

        if not self.reader.select(sheet):
            if required:
                self.problems.append(f"sheet {sheet}: missing (a workspace file has it)")
            return None if required else []
        out: list[tuple[int, dict[str, str]]] = []
        try:
            rows = self.reader.rows()
            header = next(rows, None)
            columns = self._header(sheet, header[1] if header else [], allowed)
            if columns is None:
                return None
            for number, values in rows:
                if len(out) >= limit:
                    self.problems.append(f"sheet {sheet}: more than {limit:,} rows")
                    return None
                cells = self._cells(sheet, number, columns, values)
                if cells:
                    out.append((number, cells))
        except XlsxError as err:
            self.problems.append(f"sheet {sheet}: {err}")
            return None
        return out

    def _header(self, sheet: str, values: list[object], allowed: Callable[[str], bool]):
        columns: list[str | None] = []
        before = len(self.problems)
        for index, value in enumerate(values):
            name = cell_text(value)
            where = f"sheet {sheet}, row 1, column {column_letter(index)}"
            problem = None
            if name and not (_COLUMN_NAME.match(name) and allowed(name)):
                shown = f" {name}" if _COLUMN_NAME.match(name) else ""
                problem = f"{where}:{shown} not a column of this sheet"
            elif name and name in columns:
                problem = f"{where}: column {name} appears twice"
            if problem:
                self.problems.append(problem)
            columns.append(name if name and not problem else None)
        if KEY not in columns and sheet != "About":
            self.problems.append(f"sheet {sheet}, row 1: no column {KEY} (the case's key)")
        return columns if len(self.problems) == before else None

    def _cells(self, sheet: str, number: int, columns: list[str | None], values: list[object]):
        cells = {}
        for index, value in enumerate(values):
            text = cell_text(value)
            if not text:
                continue
            name = columns[index] if index < len(columns) else None
            if name is None:
                self.problems.append(f"sheet {sheet}, row {number}, column "
                                     f"{column_letter(index)}: a value under no column name")  # fmt: skip
                continue
            cells[name] = text
        return cells


def _where(sheet: str, number: int) -> Callable[[tuple[Any, ...]], str]:
    def column(loc: tuple[Any, ...]) -> str:
        parts = list(loc)
        if parts and parts[0] == "facts":
            parts = parts[1:]
            if parts == ["case_id"]:
                parts = [KEY]
        if (
            len(parts) > 1
            and isinstance(parts[-1], int)
            and parts[-2] in ("address_lines", "cited_calls")
        ):
            parts = parts[:-1]
        return f"sheet {sheet}, row {number}, column {'.'.join(str(p) for p in parts) or KEY}"

    return column


def _read_cases(book: _Book) -> dict[str, tuple[int, dict[str, Any]]] | None:
    rows = book.rows("Cases", lambda name: True, MAX_CASES, required=True)
    if rows is None:
        return None
    cases: dict[str, tuple[int, dict[str, Any]]] = {}
    for number, cells in rows:
        key = cells.pop(KEY, "")
        where = f"sheet Cases, row {number}, column {KEY}"
        if not key:
            book.problems.append(f"{where}: required (the case's reference, or (row N))")
            continue
        if key in cases:
            book.problems.append(f"{where}: the same case as row {cases[key][0]}")
            continue
        reference = None if _NO_REFERENCE.match(key) else key
        own = {c: cells.pop(c) for c in CASE_COLUMNS[1:] if c in cells}
        try:
            case = case_from_cells(cells, reference)
        except _Clash as clash:
            book.problems.append(f"sheet Cases, row {number}, column {clash.column}: "
                                 "clashes with another column's path")  # fmt: skip
            continue
        cases[key] = (number, {**own, "reference": reference, "facts": case})
    return cases


def _read_items(book: _Book, sheet: str, cases: dict[str, tuple[int, dict[str, Any]]]) -> None:
    attr, model = ITEM_SHEETS[sheet]
    allowed = set(item_columns(sheet))
    rows = book.rows(sheet, allowed.__contains__, MAX_SHEET_ROWS, required=False) or []
    for number, cells in rows:
        key = cells.pop(KEY, "")
        if key not in cases:
            book.problems.append(f"sheet {sheet}, row {number}, column {KEY}: "
                                 "no case with this key on the Cases sheet")  # fmt: skip
            continue
        items = cases[key][1].setdefault(attr, [])
        if len(items) >= MAX_ITEMS:
            book.problems.append(f"sheet {sheet}, row {number}: more than {MAX_ITEMS:,} rows "
                                 "for one case")  # fmt: skip
            continue
        if sheet == "Calls":
            numbers = cases[key][1].setdefault("_call_numbers", {})
            call = cells.pop("call", "")
            if call in numbers:
                book.problems.append(f"sheet {sheet}, row {number}, column call: the same "
                                     "number as another call of this case")  # fmt: skip
                continue
            numbers[call] = len(items) + 1
        if sheet == "Letters":
            numbers = cases[key][1].get("_call_numbers", {})
            cited = re.split(r"[,\s]+", cells.pop("cited_calls", "").strip())
            if any(c and c not in numbers for c in cited):
                book.problems.append(f"sheet {sheet}, row {number}, column cited_calls: no "
                                     "call with this number in this case on the Calls sheet")  # fmt: skip
                continue
            cells["cited_calls"] = [numbers[c] for c in cited if c]  # type: ignore[assignment]
        try:
            items.append(model.model_validate(cells))
        except ValidationError as err:
            book.problems += problems_of(err, _where(sheet, number))


def _read_about(book: _Book) -> dict[str, Any] | None:
    rows = book.rows("About", {"field", "value"}.__contains__, 100, required=True)
    if rows is None:
        return None
    about: dict[str, Any] = {c.get("field", ""): c.get("value", "") for _, c in rows}
    if str(about.get("version", "")).isdigit():
        about["version"] = int(about["version"])
    return about


def read_xlsx(data: bytes) -> tuple[Workspace | None, list[str]]:
    """A workspace workbook, checked; problems name the sheet, row and column."""
    from secondlook.batch.xlsx import XlsxError

    with tempfile.TemporaryDirectory(prefix="secondlook-workspace-") as tmp:
        path = Path(tmp) / "workspace.xlsx"
        path.write_bytes(data)
        try:
            book = _Book(path)
        except XlsxError as err:
            return None, [f"the file: {err}"]
        about = _read_about(book)
        if about is None:
            return None, book.problems
        problem = header_problem(about)
        if problem:
            return None, [f"sheet About, {problem}"]
        cases = _read_cases(book)
        if cases is None:
            return None, book.problems
        for sheet in ITEM_SHEETS:  # Calls before Letters: letters cite calls by number
            _read_items(book, sheet, cases)
    items = []
    for number, fields in cases.values():
        fields.pop("_call_numbers", None)
        try:
            items.append(CaseItem.model_validate(fields))
        except ValidationError as err:
            book.problems += problems_of(err, _where("Cases", number))
    if book.problems:
        return None, book.problems
    try:
        return Workspace(format=about["format"], version=about["version"],
                         exported_at=about.get("exported_at") or None, cases=items,
                         organisation=about.get("organisation", ""),
                         note=about.get("note", "")), []  # fmt: skip
    except ValidationError as err:
        return None, problems_of(
            err, lambda loc: f"sheet About, field {loc[0] if loc else 'format'}"
        )
