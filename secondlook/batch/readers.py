"""Reading a batch file: CSV or XLSX, one row at a time, so memory does not grow with the file.

Iterating an `InputFile` yields a `RawRow` for every non-blank row (blank rows are counted in
`blank_rows`); a problem with the file itself (not found, not a spreadsheet, a bad header) raises
`LoadError` before the first row. Rows are numbered as a spreadsheet shows them (the header is
row 1), also when a CSV cell holds several lines.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from coverage.loader import LoadError, Problem
from secondlook.batch.cells import cell_text
from secondlook.batch.columns import column_letter
from secondlook.batch.header import Header, check_header
from secondlook.batch.problems import CellProblem
from secondlook.batch.rows import RawRow

if TYPE_CHECKING:
    from secondlook.batch.xlsx import XlsxSheet


def to_raw_row(number: int, header: Header, values: list[object] | tuple[object, ...]) -> RawRow:
    """A row's values by position -> its non-blank cells by column name."""
    row = RawRow(number)
    columns = header.columns
    width = len(columns)
    found = row.cells
    for index, value in enumerate(values):
        if value is None:
            continue
        if value.__class__ is str:
            value = value.strip()  # type: ignore[union-attr]
            if not value:
                continue
        name = columns[index] if index < width else ""
        if name is None:  # an unknown column the user chose to ignore
            continue
        if not name:  # a value under no header would otherwise be lost without a word
            row.problems.append(
                CellProblem(
                    number,
                    f"{column_letter(index)} (no header)",
                    "a value in a column that has no header",
                )
            )
            continue
        found[name] = value
    return row


class InputFile:
    """A streaming reader over a CSV or XLSX batch file."""

    def __init__(self, path: str | Path, *, ignore_unknown: bool = False):
        self.path = Path(path)
        self.display = self.path.name
        self.ignore_unknown = ignore_unknown
        self.blank_rows = 0
        self.header: Header | None = None
        suffix = self.path.suffix.lower()
        if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
            raise LoadError([Problem(self.display, None, "", "expected a .csv or .xlsx file")])
        self.kind = "xlsx" if suffix in (".xlsx", ".xlsm") else "csv"
        if not self.path.is_file():
            raise LoadError([Problem(self.display, None, "", "no such file")])

    def count_rows(self) -> int | None:
        """Data rows (a fast pre-pass for the progress bar; may include blank rows)."""
        if self.kind == "csv":
            return self._count_csv_rows()
        sheet = self._open_sheet()
        try:
            last = sheet.last_row()
        finally:
            sheet.close()
        return max(last - 1, 0) if last else None

    def read_header(self) -> Header:
        """Read and check the header row only (raises LoadError)."""
        for _ in self._rows(header_only=True):
            pass
        assert self.header is not None
        return self.header

    def __iter__(self) -> Iterator[RawRow]:
        return self._rows()

    def _rows(self, header_only: bool = False) -> Iterator[RawRow]:
        if self.kind == "csv":
            yield from self._iter_csv(header_only)
        else:
            yield from self._iter_xlsx(header_only)

    def _file_problem(self, message: str, line: int | None = None) -> LoadError:
        return LoadError([Problem(self.display, line, "", message)])

    # CSV -------------------------------------------------------------------------------------

    def _open_csv(self) -> IO[str]:
        # surrogateescape: bytes that are not UTF-8 become per-cell errors instead of stopping
        # the whole file; utf-8-sig drops Excel's byte-order mark.
        return open(  # noqa: SIM115
            self.path, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )

    @staticmethod
    def _delimiter(handle: IO[str]) -> str:
        first = handle.readline()
        handle.seek(0)
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] and counts[","] == 0 else ","

    def _count_csv_rows(self) -> int | None:
        with self._open_csv() as handle:
            reader = csv.reader(handle, delimiter=self._delimiter(handle))
            count = 0
            try:
                for _ in reader:
                    count += 1
            except csv.Error:
                return None
            return max(count - 1, 0)

    def _iter_csv(self, header_only: bool) -> Iterator[RawRow]:
        with self._open_csv() as handle:
            reader = csv.reader(handle, delimiter=self._delimiter(handle), strict=True)
            try:
                first = next(reader)
            except StopIteration:
                raise self._file_problem("the file is empty") from None
            except csv.Error as err:
                raise self._file_problem(f"not a CSV header: {err}", 1) from None
            self.header = check_header(first, self.display, ignore_unknown=self.ignore_unknown)
            if header_only:
                return
            number = 1
            while True:
                number += 1
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as err:
                    yield _unreadable_csv_row(number, err)
                    continue
                if not any(v.strip() for v in values):
                    self.blank_rows += 1
                    continue
                yield to_raw_row(number, self.header, values)

    # XLSX ------------------------------------------------------------------------------------

    def _open_sheet(self) -> XlsxSheet:
        from secondlook.batch.xlsx import XlsxError, XlsxSheet  # not needed in workers

        try:
            return XlsxSheet(self.path)
        except XlsxError as err:
            raise self._file_problem(str(err)) from None

    def _iter_xlsx(self, header_only: bool) -> Iterator[RawRow]:
        sheet = self._open_sheet()
        try:
            rows = sheet.rows()
            try:
                header_number, first = next(rows)
            except StopIteration:
                raise self._file_problem("the sheet is empty") from None
            except ValueError as err:  # XlsxError
                raise self._file_problem(str(err)) from None
            self.header = check_header(first, self.display, ignore_unknown=self.ignore_unknown)
            if not header_only:
                yield from self._xlsx_rows(rows, header_number)
        finally:
            sheet.close()

    def _xlsx_rows(self, rows: Iterator, previous: int) -> Iterator[RawRow]:
        assert self.header is not None
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except ValueError as err:  # XlsxError: a damaged sheet, the rest is unreadable
                row = RawRow(previous + 1)
                row.problems.append(CellProblem(previous + 1, None, str(err)))
                yield row
                return
            self.blank_rows += number - previous - 1  # rows absent from the file
            previous = number
            if not any(cell_text(v) for v in values):
                self.blank_rows += 1
                continue
            yield to_raw_row(number, self.header, values)


def _unreadable_csv_row(number: int, err: csv.Error) -> RawRow:
    row = RawRow(number)
    message = str(err)
    if "field larger" in message:
        message = "a cell is too long (an unclosed quote can swallow rows)"
    elif "EOF" in message or "unexpected end" in message:
        message = "a quote is opened and never closed (later rows were read into it)"
    row.problems.append(CellProblem(number, None, f"unreadable CSV: {message}"))
    return row
