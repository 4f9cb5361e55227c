"""A bounded, streaming reader for the one sheet a batch reads from an .xlsx file.

openpyxl's read-only mode builds a Python object per cell and reads about 20,000-30,000 cells a
second here, which would make reading the spreadsheet the slowest step of a batch. This reader
walks the XML with lxml's `iterparse` and gives the same values openpyxl's
`iter_rows(values_only=True)` gives with `data_only=True`: text, int or float, bool, datetime for
date-formatted numbers, the cached result of a formula, an error such as `#N/A` as text.
tests/test_batch_xlsx.py compares the two on every kind of cell.

An uploaded spreadsheet is untrusted, so every part is bounded (`limits`): the file's size, each
part's uncompressed size (read as a stream, never whole), the number of shared strings, styles,
rows, cells in a row and XML elements between two rows, and the CPU time spent on the parts
before the first row. Cell and row references are checked strictly (`A1` to `XFD1048576`, in
order). The workbook's parts (sheet list, shared strings, date styles) are read once; `rows()`
streams the sheet each time it is called. External entities and network access are off. A
problem is an `XlsxError` whose message names the part or the row, never a cell's content.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

import secondlook.batch.limits as limits
from secondlook.batch.cells import UNSAVED_FORMULA

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_CELL_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_DIGITS = re.compile(r"[0-9]{1,7}")


class XlsxError(ValueError):
    """The file is not a readable spreadsheet (the message says why, never a cell's value).
    `row`: the sheet row the problem is in, when it is in one."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


def column_index(letters: str) -> int:
    """0-based index of a column's letters (A -> 0, XFD -> 16383)."""
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index - 1


class _Budget:
    """CPU time for reading the workbook's parts: a padded part cannot keep a server busy."""

    def __init__(self, seconds: float):
        self.deadline = time.process_time() + seconds

    def check(self) -> None:
        if time.process_time() > self.deadline:
            raise XlsxError(
                f"the workbook's parts take more than {limits.XLSX_PARTS_CPU_SECONDS:.0f} s to "
                "read (a padded or damaged file)"
            )


def _iterparse(handle: IO[bytes], **kwargs: object) -> Iterator[tuple[str, etree._Element]]:
    return etree.iterparse(  # type: ignore[call-overload]
        handle, resolve_entities=False, no_network=True, huge_tree=False, **kwargs
    )


def _free(node: etree._Element) -> None:
    """Drop an element that has been read, and whatever came before it in its parent."""
    node.clear(keep_tail=False)
    parent = node.getparent()
    if parent is not None:
        while node.getprevious() is not None:
            del parent[0]


class _Guard:
    """A part's byte stream that counts the XML tags read since the last record (a row, a
    shared string) and stops the parser when there are too many: lxml builds every element of
    a record, and with the tag filter that keeps the reading fast it would also build any junk
    between two records. Counting `<` in C is cheap; a record's end calls `record_done`."""

    def __init__(self, raw: IO[bytes], limit: int, what: str):
        self.raw, self.limit, self.what = raw, limit, what
        self.since_record = 0
        self.row: int | None = None

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.since_record += data.count(b"<")
        if self.since_record > self.limit:
            raise XlsxError(f"too many XML elements in one {self.what}", self.row)
        return data

    def record_done(self) -> None:
        self.since_record = 0


def _each_element(handle: IO[bytes], budget: _Budget) -> Iterator[etree._Element]:
    """Every element of a small part as it ends; each is dropped once the caller has seen it,
    so junk costs time (bounded by the part's size and the budget), never memory."""
    for _, node in _iterparse(handle, events=("end",)):
        yield node
        if node.getparent() is not None:
            _free(node)
        budget.check()


class XlsxSheet:
    """Rows of one worksheet: `rows()` yields (row number, [values by column])."""

    def __init__(self, path: str | Path, prefer_sheet: str = "Cases"):
        self.path = Path(path)
        self.epoch = CALENDAR_WINDOWS_1900
        try:
            size = self.path.stat().st_size
        except OSError as err:
            raise XlsxError(f"not a readable XLSX file ({type(err).__name__})") from None
        if size > limits.MAX_XLSX_BYTES:
            raise XlsxError(f"the file is larger than {limits.MAX_XLSX_BYTES // 2**20:,} MB")
        budget = _Budget(limits.XLSX_PARTS_CPU_SECONDS)
        try:
            with zipfile.ZipFile(self.path) as archive:
                self._read_parts(archive, prefer_sheet, budget)
        except XlsxError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError) as err:
            raise XlsxError(f"not a readable XLSX file ({type(err).__name__})") from None
        except Exception as err:  # noqa: BLE001 - damaged XML, bad style ids, bad zip members
            raise XlsxError(f"not a readable XLSX file ({type(err).__name__})") from None

    def close(self) -> None:
        """Nothing stays open between calls (kept for callers that close what they open)."""

    def select(self, name: str) -> bool:
        """Read another worksheet of the same workbook (its parts are not read again); False
        when the workbook has no sheet of that name."""
        path = self._sheets_by_name.get(name)
        if path is None:
            return False
        self.sheet_name, self._sheet_path = name, path
        return True

    # -- the workbook's parts ----------------------------------------------------------------

    def _read_parts(self, archive: zipfile.ZipFile, prefer_sheet: str, budget: _Budget) -> None:
        rels = self._relationships(archive, "xl/_rels/workbook.xml.rels", "xl", budget)
        sheets = self._sheets(archive, rels, budget)
        if not sheets:
            raise XlsxError("the workbook has no worksheet")
        chosen = next((s for s in sheets if s[0] == prefer_sheet), sheets[0])
        self.sheet_name, self._sheet_path = chosen
        self._sheets_by_name = dict(sheets)
        targets = set(rels.values())
        strings = next((t for t in targets if t.endswith("sharedStrings.xml")), None)
        styles = next((t for t in targets if t.endswith("styles.xml")), None)
        self._strings = self._shared_strings(archive, strings or "xl/sharedStrings.xml", budget)
        self._date_styles = self._date_formats(archive, styles or "xl/styles.xml", budget)

    @staticmethod
    def _open_part(archive: zipfile.ZipFile, name: str, limit: int) -> IO[bytes] | None:
        """A part as a stream, or None when the file has no such part."""
        try:
            info = archive.getinfo(name)
        except KeyError:
            return None
        if info.file_size > limit:
            raise XlsxError(f"the part {_part_label(name)} is larger than {limit // 2**20:,} MB")
        return archive.open(info)  # reads at most file_size bytes, however it is compressed

    def _relationships(
        self, archive: zipfile.ZipFile, name: str, base: str, budget: _Budget
    ) -> dict[str, str]:
        handle = self._open_part(archive, name, limits.MAX_XLSX_SMALL_PART_BYTES)
        if handle is None:
            return {}
        out: dict[str, str] = {}
        with handle:
            for node in _each_element(handle, budget):
                if _local(node.tag) != "Relationship" or node.get("TargetMode") == "External":
                    continue
                if len(out) >= limits.MAX_XLSX_RELATIONSHIPS:
                    raise XlsxError("the workbook lists too many parts")
                target = node.get("Target") or ""
                path = target.lstrip("/") if target.startswith("/") else f"{base}/{target}"
                out[node.get("Id") or ""] = posixpath.normpath(path)
        return out

    def _sheets(
        self, archive: zipfile.ZipFile, rels: dict[str, str], budget: _Budget
    ) -> list[tuple[str, str]]:
        handle = self._open_part(archive, "xl/workbook.xml", limits.MAX_XLSX_SMALL_PART_BYTES)
        if handle is None:
            raise XlsxError("not a readable XLSX file (no workbook part)")
        sheets = []
        with handle:
            for node in _each_element(handle, budget):
                tag = _local(node.tag)
                if tag == "sheet":
                    rid = node.get(f"{{{_REL_NS}}}id") or node.get(f"{{{_STRICT_REL_NS}}}id")
                    if rid in rels and len(sheets) < limits.MAX_XLSX_RELATIONSHIPS:
                        sheets.append((node.get("name") or "", rels[rid]))
                elif tag == "workbookPr" and node.get("date1904") in ("1", "true"):
                    self.epoch = CALENDAR_MAC_1904
        return sheets

    def _shared_strings(self, archive: zipfile.ZipFile, name: str, budget: _Budget) -> list[str]:
        handle = self._open_part(archive, name, limits.MAX_XLSX_STRINGS_PART_BYTES)
        if handle is None:
            return []
        strings: list[str] = []
        characters = 0
        guard = _Guard(handle, limits.MAX_XLSX_ELEMENTS_PER_RECORD, "shared string")
        with handle:
            for _, node in _iterparse(guard, events=("end",), tag="{*}si"):
                text = _rich_text(node)
                strings.append(text)
                characters += len(text)
                _free(node)
                guard.record_done()
                if len(strings) > limits.MAX_XLSX_SHARED_STRINGS:
                    raise XlsxError(
                        f"more than {limits.MAX_XLSX_SHARED_STRINGS:,} different texts in the "
                        "workbook (shared strings)"
                    )
                if characters > limits.MAX_XLSX_STRING_CHARACTERS:
                    raise XlsxError(
                        f"more than {limits.MAX_XLSX_STRING_CHARACTERS:,} characters of text in "
                        "the workbook (shared strings)"
                    )
                if len(strings) % 4096 == 0:
                    budget.check()
        return strings

    def _date_formats(self, archive: zipfile.ZipFile, name: str, budget: _Budget) -> frozenset[int]:
        handle = self._open_part(archive, name, limits.MAX_XLSX_SMALL_PART_BYTES)
        if handle is None:
            return frozenset()
        custom: dict[int, str] = {}
        xfs: list[int] = []
        with handle:
            for node in _each_element(handle, budget):
                tag = _local(node.tag)
                if tag == "numFmt" and len(custom) < limits.MAX_XLSX_STYLES:
                    custom[_style_number(node.get("numFmtId"), -1)] = node.get("formatCode") or ""
                elif tag == "xf" and _local(node.getparent().tag) == "cellXfs":
                    if len(xfs) >= limits.MAX_XLSX_STYLES:
                        raise XlsxError(f"more than {limits.MAX_XLSX_STYLES:,} cell styles")
                    xfs.append(_style_number(node.get("numFmtId"), 0))
        dates = set()
        for index, fmt_id in enumerate(xfs):
            code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, "General"))
            if is_date_format(code):
                dates.add(index)
        return frozenset(dates)

    # -- the rows -----------------------------------------------------------------------------

    def last_row(self) -> int | None:
        """The last row number the sheet declares (its `dimension`), read from the start of the
        sheet only; None when the sheet does not say."""
        try:
            with zipfile.ZipFile(self.path) as archive:
                handle = self._open_part(archive, self._sheet_path, limits.MAX_XLSX_SHEET_BYTES)
                if handle is None:
                    return None
                with handle:
                    return _declared_last_row(handle)
        except (XlsxError, zipfile.BadZipFile, OSError, etree.XMLSyntaxError):
            return None

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        """(row number as the spreadsheet shows it, values by column index); rows with no
        cells at all are not in the file and are not yielded."""
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as err:
            raise XlsxError(f"not a readable XLSX file ({type(err).__name__})") from None
        with archive:
            handle = self._open_part(archive, self._sheet_path, limits.MAX_XLSX_SHEET_BYTES)
            if handle is None:
                raise XlsxError("the worksheet is missing from the file")
            with handle:
                yield from _SheetRows(self, handle)

    def value(self, kind: str | None, text: str, style: str | None) -> object:
        """A cell's value from its type (`t`), its `<v>` text and its style (`s`)."""
        if kind == "s":
            try:
                return self._strings[int(text)]
            except (ValueError, IndexError):
                raise XlsxError("a cell refers to a shared string that does not exist") from None
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                return text
        try:
            number: int | float = int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            return text
        if style is not None and _style_number(style, -1) in self._date_styles:
            try:
                return from_excel(number, self.epoch)
            except (ValueError, OverflowError):
                return number
        return number


class _SheetRows:
    """One pass over a sheet's rows: memory holds one row (the guard bounds its size)."""

    def __init__(self, sheet: XlsxSheet, handle: IO[bytes]):
        self.sheet = sheet
        self.guard = _Guard(handle, limits.MAX_XLSX_ELEMENTS_PER_RECORD, "row")
        self.number = 0  # the last row's number

    def __iter__(self) -> Iterator[tuple[int, list[object]]]:
        rows = 0
        try:
            for _, row in _iterparse(self.guard, events=("end",), tag=("{*}row", "{*}sheetData")):
                if _local(row.tag) == "sheetData":
                    return  # what follows (merged cells, validations, ...) holds no values
                self.number = self._row_number(row)
                self.guard.row = self.number + 1
                rows += 1
                if rows > limits.MAX_ROWS + 1:
                    raise XlsxError(f"more than {limits.MAX_ROWS:,} rows", self.number)
                yield self.number, self._values(row)
                _free(row)
                self.guard.record_done()
        except etree.XMLSyntaxError as err:
            raise XlsxError(
                f"the worksheet XML is damaged near row {self.number + 1} ({_syntax_kind(err)})",
                self.number + 1,
            ) from None

    def _row_number(self, row: etree._Element) -> int:
        given = row.get("r")
        if given is None:
            return self.number + 1
        if _DIGITS.fullmatch(given) and self.number < int(given) <= limits.MAX_SHEET_ROW:
            return int(given)
        after = f" (after row {self.number})" if self.number else ""
        raise XlsxError(f"a row number is not valid or not in order{after}", self.number + 1)

    def _values(self, row: etree._Element) -> list[object]:
        tag = row.tag
        ns = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
        cell_tag, v_tag, is_tag, f_tag = ns + "c", ns + "v", ns + "is", ns + "f"
        found: dict[int, object] = {}
        position = -1
        for cell in row:
            if cell.tag != cell_tag:
                continue
            position = self._position(cell.get("r"), position)
            kind = cell.get("t")
            if kind == "inlineStr":
                found[position] = _rich_text(cell.find(is_tag))
                continue
            node = cell.find(v_tag)
            if node is not None and node.text is not None:
                found[position] = self.sheet.value(kind, node.text, cell.get("s"))
            elif (node is None or kind != "str") and cell.find(f_tag) is not None:
                # No result, or an empty one where only a text result may be empty: a file
                # written by a script (openpyxl writes `<f>..</f><v></v>`).
                found[position] = UNSAVED_FORMULA
        if not found:
            return []
        values: list[object] = [None] * (max(found) + 1)
        for index, value in found.items():
            values[index] = value
        return values

    def _position(self, ref: str | None, previous: int) -> int:
        """The column index of a cell: its reference (strictly `A1`..`XFD1048576`, in this
        row, after the previous cell), or the next column when it has none."""
        if ref is None:
            index = previous + 1
        else:
            match = _CELL_REF.fullmatch(ref)
            if not match or int(match[2]) != self.number:
                raise XlsxError(_bad_reference(previous), self.number)
            index = column_index(match[1])
        if index <= previous or index >= limits.MAX_SHEET_COLUMNS:
            raise XlsxError(_bad_reference(previous), self.number)
        return index


def _bad_reference(position: int) -> str:
    from secondlook.batch.columns import column_letter

    where = f"after column {column_letter(position)}" if position >= 0 else "at the row's start"
    return f"a cell reference is not valid or not in order ({where})"


def _syntax_kind(err: etree.XMLSyntaxError) -> str:
    """The kind of XML error, without the parser's text (which can quote the file)."""
    return f"XML error {err.code}" if getattr(err, "code", None) else "XML error"


def _declared_last_row(handle: IO[bytes]) -> int | None:
    for _, node in _iterparse(handle, events=("start",)):
        tag = _local(node.tag)
        if tag == "dimension":
            match = re.search(r"(\d{1,7})$", node.get("ref") or "")
            return int(match.group(1)) if match else None
        if tag == "sheetData":
            return None
    return None


def _style_number(text: str | None, default: int) -> int:
    return int(text) if text and _DIGITS.fullmatch(text) else default


def _part_label(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_./\[\]-]{1,100}", name) else "(a part)"


def _rich_text(node: etree._Element | None) -> str:
    """The text of a shared or inline string: plain `t`, or the runs' `t` (not phonetic `rPh`)."""
    if node is None:
        return ""
    if len(node) == 1 and _local(node[0].tag) == "t":  # the common case: one plain text
        return node[0].text or ""
    parts = []
    for child in node:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)
