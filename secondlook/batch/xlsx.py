"""A streaming reader for the one sheet a batch reads from an .xlsx file.

openpyxl's read-only mode builds a Python object per cell and reads about 20,000-30,000 cells a
second here, which would make reading the spreadsheet the slowest step of a batch. This reader
walks the sheet's XML with lxml's `iterparse`, keeping one row in memory at a time (plus the
workbook's shared-strings table, as openpyxl does), and gives the same values openpyxl's
`iter_rows(values_only=True)` gives with `data_only=True`: text, int or float, bool, datetime
for date-formatted numbers, the cached result of a formula, an error such as `#N/A` as text.
tests/test_batch_format.py compares the two on every kind of cell.

Only what a data sheet needs is read: the workbook's sheet list and relationships, the shared
strings, the cell formats (to tell dates from numbers) and the sheet itself. External entities
and network access are off.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"


class XlsxError(ValueError):
    """The file is not a readable spreadsheet (the message says why, never a cell's value)."""


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(data, parser)


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index - 1


class XlsxSheet:
    """Rows of one worksheet: `rows()` yields (row number, [values by column])."""

    def __init__(self, path: str | Path, prefer_sheet: str = "Cases"):
        try:
            self._zip = zipfile.ZipFile(path)
            workbook = self._member("xl/workbook.xml")
        except (zipfile.BadZipFile, KeyError, OSError) as err:
            raise XlsxError(f"not a readable XLSX file ({type(err).__name__})") from None
        try:
            self._read_workbook(workbook, prefer_sheet)
        except XlsxError:
            self._zip.close()
            raise
        except Exception as err:  # noqa: BLE001 - damaged XML, bad style ids, bad zip members
            self._zip.close()
            raise XlsxError(f"not a readable XLSX file ({type(err).__name__})") from None

    def _read_workbook(self, workbook: bytes, prefer_sheet: str) -> None:
        root = _parse(workbook)
        rels = self._relationships("xl/_rels/workbook.xml.rels", "xl")
        sheets = []
        for node in root.iter():
            if _local(node.tag) == "sheet":
                rid = node.get(f"{{{_REL_NS}}}id") or node.get(f"{{{_STRICT_REL_NS}}}id")
                if rid in rels:
                    sheets.append((node.get("name") or "", rels[rid]))
            elif _local(node.tag) == "workbookPr":
                self.epoch = (
                    CALENDAR_MAC_1904
                    if node.get("date1904") in ("1", "true")
                    else CALENDAR_WINDOWS_1900
                )
        if not sheets:
            raise XlsxError("the workbook has no worksheet")
        self.epoch = getattr(self, "epoch", CALENDAR_WINDOWS_1900)
        chosen = next((s for s in sheets if s[0] == prefer_sheet), sheets[0])
        self.sheet_name, self._sheet_path = chosen
        targets = {t for t in rels.values()}
        self._columns: dict[str, int] = {}
        self._strings = self._shared_strings(
            next((t for t in targets if t.endswith("sharedStrings.xml")), "xl/sharedStrings.xml")
        )
        self._date_styles = self._date_formats(
            next((t for t in targets if t.endswith("styles.xml")), "xl/styles.xml")
        )

    def close(self) -> None:
        self._zip.close()

    # -- the workbook's parts ----------------------------------------------------------------

    def _member(self, name: str) -> bytes:
        return self._zip.read(name)

    def _relationships(self, name: str, base: str) -> dict[str, str]:
        try:
            root = _parse(self._member(name))
        except KeyError:
            return {}
        out = {}
        for node in root:
            target = node.get("Target") or ""
            if node.get("TargetMode") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            out[node.get("Id") or ""] = posixpath.normpath(path)
        return out

    def _shared_strings(self, name: str) -> list[str]:
        try:
            handle = self._zip.open(name)
        except KeyError:
            return []
        strings: list[str] = []
        with handle:
            for _, node in etree.iterparse(
                handle, events=("end",), tag="{*}si", resolve_entities=False, no_network=True
            ):
                strings.append(_rich_text(node))
                node.clear()
                while node.getprevious() is not None:
                    del node.getparent()[0]
        return strings

    def _date_formats(self, name: str) -> frozenset[int]:
        try:
            root = _parse(self._member(name))
        except KeyError:
            return frozenset()
        custom = {}
        xfs: list[int] = []
        for node in root:
            tag = _local(node.tag)
            if tag == "numFmts":
                for fmt in node:
                    custom[int(fmt.get("numFmtId", "-1"))] = fmt.get("formatCode") or ""
            elif tag == "cellXfs":
                xfs = [int(xf.get("numFmtId", "0")) for xf in node]
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
            handle = self._zip.open(self._sheet_path)
        except KeyError:
            return None
        with handle:
            try:
                for _, node in etree.iterparse(
                    handle, events=("start",), resolve_entities=False, no_network=True
                ):
                    tag = _local(node.tag)
                    if tag == "dimension":
                        match = re.search(r"(\d+)$", node.get("ref") or "")
                        return int(match.group(1)) if match else None
                    if tag == "sheetData":
                        return None
            except etree.XMLSyntaxError:
                return None
        return None

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        """(row number as the spreadsheet shows it, values by column index); rows with no
        cells at all are not in the file and are not yielded."""
        try:
            handle = self._zip.open(self._sheet_path)
        except KeyError:
            raise XlsxError("the worksheet is missing from the file") from None
        number = 0
        with handle:
            try:
                for _, row in etree.iterparse(
                    handle, events=("end",), tag="{*}row", resolve_entities=False,
                    no_network=True,
                ):  # fmt: skip
                    given = row.get("r")
                    number = int(given) if given else number + 1
                    yield number, self._values(row)
                    row.clear()
                    while row.getprevious() is not None:
                        del row.getparent()[0]
            except etree.XMLSyntaxError as err:
                raise XlsxError(f"the worksheet XML is damaged near row {number + 1} "
                                f"({err.msg})") from None  # fmt: skip

    def _values(self, row: etree._Element) -> list[object]:
        tag = row.tag
        ns = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
        cell_tag, v_tag, is_tag = ns + "c", ns + "v", ns + "is"
        columns = self._columns
        values: list[object] = []
        position = 0
        for cell in row:
            if cell.tag != cell_tag:
                continue
            ref = cell.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                index = columns.get(letters)
                if index is None:
                    index = columns[letters] = _column_index(letters)
                position = index
            if position >= len(values):
                values.extend([None] * (position + 1 - len(values)))
            kind = cell.get("t")
            if kind == "inlineStr":
                values[position] = _rich_text(cell.find(is_tag))
            else:
                node = cell.find(v_tag)
                if node is not None and node.text is not None:
                    values[position] = self._value(kind, node.text, cell)
            position += 1
        return values

    def _value(self, kind: str | None, text: str, cell: etree._Element) -> object:
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
        style = cell.get("s")
        if style is not None and int(style) in self._date_styles:
            try:
                return from_excel(number, self.epoch)
            except (ValueError, OverflowError):
                return number
        return number


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
