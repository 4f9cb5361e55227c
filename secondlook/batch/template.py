"""The batch input template: the header and one fictional example row, as CSV or as XLSX (with
drop-downs for the answer columns and a `Columns` sheet describing every column)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from coverage.loader import LoadError, Problem
from secondlook.batch.columns import (
    COLUMN_NAMES,
    COLUMNS,
    Column,
    accepted_values,
    column_letter,
)
from secondlook.files import write_atomic


def template_rows() -> tuple[list[str], list[str]]:
    """The header and one fictional example row."""
    return list(COLUMN_NAMES), [c.example for c in COLUMNS]


def write_template(path: str | Path) -> Path:
    """Write a template (header + example row) as CSV or XLSX, chosen by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = template_csv_bytes()
    elif suffix == ".xlsx":
        data = template_xlsx_bytes()
    else:
        raise LoadError([Problem(path.name, None, "", "the template must be .csv or .xlsx")])
    write_atomic(path, data)
    return path


def template_csv_bytes() -> bytes:
    header, example = template_rows()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow(example)
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx_bytes() -> bytes:
    """An XLSX template: a `Cases` sheet (header + example, drop-downs, text-formatted id cells)
    and a `Columns` sheet describing every column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Cases"
    header, example = template_rows()
    sheet.append(header)
    sheet.append([_xlsx_example(c) for c in COLUMNS])
    sheet.freeze_panes = "B2"
    for index, column in enumerate(COLUMNS):
        letter = column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(14, min(len(column.name) + 2, 36))
        span = f"{letter}2:{letter}5000"
        if column.kind in ("answer", "choice"):
            options = ("yes", "no", "unknown") if column.kind == "answer" else column.choices
            rule = DataValidation(type="list", formula1=f'"{",".join(options)}"', allow_blank=True)
            rule.add(span)
            sheet.add_data_validation(rule)
        if column.kind in ("text", "zip", "id"):
            for row in range(2, 3):
                sheet[f"{letter}{row}"].number_format = "@"
        if column.kind == "date":
            sheet[f"{letter}2"].number_format = "yyyy-mm-dd"
    about = workbook.create_sheet("Columns")
    about.append(["column", "meaning", "accepted values", "example", "member data"])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        about.append(
            [
                column.name,
                column.help,
                accepted_values(column),
                column.example,
                "yes" if column.member_data else "",
            ]
        )
    about.column_dimensions["A"].width = 34
    about.column_dimensions["B"].width = 80
    about.column_dimensions["C"].width = 40
    for row in about.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_example(column: Column) -> object:
    if column.kind == "date" and column.example:
        return dt.date.fromisoformat(column.example)
    if column.kind == "int" and column.example:
        return int(column.example)
    return column.example or None
