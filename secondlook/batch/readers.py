"""Reading a batch file: CSV or XLSX, one row at a time, so memory does not grow with the file.

Iterating an `InputFile` yields a `RawRow` for every non-blank row (blank rows are counted in
`blank_rows`); a problem with the file itself (not found, not a spreadsheet, a bad header, too
large) raises `LoadError` before the first row. Rows are numbered as a spreadsheet shows them
(the header is row 1), also when a CSV cell holds several lines.

Every input is bounded (`limits`, docs/limits.md): the file's size, a CSV line's length, the
header's width and the number of rows; the XLSX reader bounds its parts itself. A file that
breaks a limit part-way ends with one problem row naming the row, and nothing after it is read.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import secondlook.batch.limits as limits
from coverage.loader import LoadError, Problem
from secondlook.batch.cells import UNSAVED_FORMULA, cell_text
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
    if len(values) <= len(columns) and all(columns):
        # Most rows (every CSV row of a file whose header names each column): nothing to skip
        # or report but blank cells. Text and blanks only: another value (an XLSX number, a
        # formula without its result) takes the general way.
        found = row.cells
        for name, value in zip(columns, values, strict=False):  # a CSV row may be shorter
            if value is None:
                continue
            if value.__class__ is not str:
                return _any_raw_row(number, header, values)
            value = value.strip()  # type: ignore[union-attr]
            if value:
                found[name] = value  # type: ignore[index]
        return row
    return _any_raw_row(number, header, values)


def _any_raw_row(number: int, header: Header, values: list[object] | tuple[object, ...]) -> RawRow:
    row = RawRow(number)
    columns = header.columns
    width = len(columns)
    found = row.cells
    unheaded: list[int] = []
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
        if value is UNSAVED_FORMULA:
            where = name or f"{column_letter(index)} (no header)"
            row.problems.append(CellProblem(number, where, UNSAVED_FORMULA_MESSAGE))
            continue
        if not name:  # a value under no header would otherwise be lost without a word
            unheaded.append(index)
            continue
        found[name] = value
    if unheaded:
        more = f" (and {len(unheaded) - 1:,} more)" if len(unheaded) > 1 else ""
        row.problems.append(
            CellProblem(
                number,
                f"{column_letter(unheaded[0])} (no header)",
                f"a value in a column that has no header{more}",
            )
        )
    return row


UNSAVED_FORMULA_MESSAGE = (
    "a formula whose result is not saved in the file (open and save it in Excel or "
    "LibreOffice, or paste the values)"
)


class _LineTooLong(Exception):
    pass


def _bounded_lines(handle: IO[str]) -> Iterator[str]:
    """The file's lines for csv.reader, refusing one longer than the limit (a file without
    line breaks, or a row with millions of separators, would otherwise be read whole)."""
    limit = limits.MAX_CSV_LINE_CHARACTERS
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) > limit:
            raise _LineTooLong
        yield line


class InputFile:
    """A streaming reader over a CSV or XLSX batch file (bounded: see `limits`)."""

    def __init__(self, path: str | Path, *, ignore_unknown: bool = False):
        self.path = Path(path)
        self.display = self.path.name
        self.ignore_unknown = ignore_unknown
        self.blank_rows = 0
        self.header: Header | None = None
        self._sheet: XlsxSheet | None = None  # the workbook's parts, read once
        suffix = self.path.suffix.lower()
        if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
            raise self._file_problem("expected a .csv or .xlsx file")
        self.kind = "xlsx" if suffix in (".xlsx", ".xlsm") else "csv"
        if not self.path.is_file():
            raise self._file_problem("no such file")
        if self.kind == "csv":
            self._check_csv_file()

    def count_rows(self) -> int | None:
        """Data rows (a fast pre-pass for the progress bar; may include blank rows). Raises
        LoadError when the file has more rows than a batch takes."""
        if self.kind == "csv":
            count = self._count_csv_rows()
        else:
            last = self._open_sheet().last_row()
            count = max(last - 1, 0) if last else None
        if count is not None and count > limits.MAX_ROWS:
            raise self._file_problem(
                f"more than {limits.MAX_ROWS:,} rows: split the file into smaller batches"
            )
        return count

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

    def _check_header(self, raw: list[object], line: int = 1) -> Header:
        if len(raw) > limits.MAX_HEADER_COLUMNS:
            raise self._file_problem(
                f"the header has more than {limits.MAX_HEADER_COLUMNS:,} columns", line
            )
        return check_header(raw, self.display, ignore_unknown=self.ignore_unknown)

    def _file_problem(self, message: str, line: int | None = None) -> LoadError:
        return LoadError([Problem(self.display, line, "", message)])

    # CSV -------------------------------------------------------------------------------------

    def _check_csv_file(self) -> None:
        if self.path.stat().st_size > limits.MAX_CSV_BYTES:
            raise self._file_problem(
                f"the file is larger than {limits.MAX_CSV_BYTES // 2**20:,} MB: split it"
            )
        with open(self.path, "rb") as handle:
            start = handle.read(4096)
        if start.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in start:
            raise self._file_problem(
                "the file is UTF-16 text (or holds NUL bytes): save it as 'CSV UTF-8'"
            )

    def _open_csv(self) -> IO[str]:
        # surrogateescape: bytes that are not UTF-8 become per-cell errors instead of stopping
        # the whole file; utf-8-sig drops Excel's byte-order mark.
        return open(  # noqa: SIM115
            self.path, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )

    @staticmethod
    def _delimiter(handle: IO[str]) -> str:
        first = handle.readline(limits.MAX_CSV_LINE_CHARACTERS)
        handle.seek(0)
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] and counts[","] == 0 else ","

    def _count_csv_rows(self) -> int | None:
        with self._open_csv() as handle:
            delimiter = self._delimiter(handle)
            simple = _count_one_line_records(handle, delimiter)
            if simple is not None:
                return max(simple - 1, 0)
            handle.seek(0)
            reader = csv.reader(_bounded_lines(handle), delimiter=delimiter)
            count = 0
            try:
                for _ in reader:
                    count += 1
            except (csv.Error, _LineTooLong):
                return None
            return max(count - 1, 0)

    def _iter_csv(self, header_only: bool) -> Iterator[RawRow]:
        with self._open_csv() as handle:
            delimiter = self._delimiter(handle)
            reader = csv.reader(_bounded_lines(handle), delimiter=delimiter, strict=True)
            try:
                first = next(reader)
            except StopIteration:
                raise self._file_problem("the file is empty") from None
            except (csv.Error, _LineTooLong) as err:
                raise self._file_problem(f"not a CSV header: {_csv_problem(err)}", 1) from None
            self.header = self._check_header(first)
            if not header_only:
                yield from self._csv_rows(reader)

    def _csv_rows(self, reader: Iterator[list[str]]) -> Iterator[RawRow]:
        assert self.header is not None
        number = 1
        while True:
            number += 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except _LineTooLong as err:  # nothing after it can be read reliably
                yield _problem_row(number, f"unreadable CSV: {_csv_problem(err)}")
                return
            except csv.Error as err:
                yield _problem_row(number, f"unreadable CSV: {_csv_problem(err)}")
                continue
            if number > limits.MAX_ROWS + 1:
                yield _problem_row(number, f"more than {limits.MAX_ROWS:,} rows: split the file")
                return
            if not any(v.strip() for v in values):
                self.blank_rows += 1
                continue
            yield to_raw_row(number, self.header, values)

    # XLSX ------------------------------------------------------------------------------------

    def _open_sheet(self) -> XlsxSheet:
        if self._sheet is None:
            from secondlook.batch.xlsx import XlsxError, XlsxSheet  # not needed in workers

            try:
                self._sheet = XlsxSheet(self.path)
            except XlsxError as err:
                raise self._file_problem(str(err)) from None
        return self._sheet

    def _iter_xlsx(self, header_only: bool) -> Iterator[RawRow]:
        rows = self._open_sheet().rows()
        try:
            header_number, first = next(rows)
        except StopIteration:
            raise self._file_problem("the sheet is empty") from None
        except ValueError as err:  # XlsxError
            raise self._file_problem(str(err)) from None
        self.header = self._check_header(first, header_number)
        if header_only:
            rows.close()
        else:
            yield from self._xlsx_rows(rows, header_number)

    def _xlsx_rows(self, rows: Iterator, previous: int) -> Iterator[RawRow]:
        assert self.header is not None
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except ValueError as err:  # XlsxError: a damaged sheet, the rest is unreadable
                where = getattr(err, "row", None) or previous + 1
                yield _problem_row(where, str(err))
                return
            self.blank_rows += number - previous - 1  # rows absent from the file
            previous = number
            if not any(cell_text(v) for v in values):
                self.blank_rows += 1
                continue
            yield to_raw_row(number, self.header, values)


def _one_line_record(delimiter: str) -> re.Pattern[str]:
    """A line that is one whole record for csv.reader: each field unquoted without quotes, or
    quoted (doubled quotes inside) without a line break, the next field right after it."""
    d = re.escape(delimiter)
    field = rf'(?:"(?:[^"\r\n]|"")*"|[^"{d}\r\n]*)'
    return re.compile(rf"{field}(?:{d}{field})*(?:\r\n|\r|\n)?")


def _count_one_line_records(handle: IO[str], delimiter: str) -> int | None:
    """The records csv.reader would read from a file whose every record is one line, counted
    without splitting the fields (a quarter of the parse's CPU); None for any other file (a
    quoted cell with a line break, a stray quote, a line too long for the reader)."""
    # No field is longer than its line: a shorter line is within every limit of the reader.
    longest = min(limits.MAX_CSV_LINE_CHARACTERS, csv.field_size_limit()) - 2
    whole = _one_line_record(delimiter).fullmatch
    count = 0
    for line in iter(functools.partial(handle.readline, longest + 1), ""):
        if len(line) > longest or ('"' in line and whole(line) is None) or "\0" in line:
            return None
        count += 1
    return count


def _problem_row(number: int, message: str) -> RawRow:
    return RawRow(number, problems=[CellProblem(number, None, message)])


def _csv_problem(err: Exception) -> str:
    """What is wrong, in words (the csv module's messages never quote the file)."""
    if isinstance(err, _LineTooLong):
        return (
            f"a line is longer than {limits.MAX_CSV_LINE_CHARACTERS:,} characters; "
            "nothing after it is read"
        )
    message = str(err)
    if "field larger" in message:
        return "a cell is too long (an unclosed quote can swallow rows)"
    if "EOF" in message or "unexpected end" in message:
        return "a quote is opened and never closed (later rows were read into it)"
    if "NUL" in message:
        return "the file holds NUL bytes: save it as 'CSV UTF-8'"
    return message
