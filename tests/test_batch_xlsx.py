"""The streaming XLSX reader gives the values openpyxl gives, for every kind of cell."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from secondlook.batch.cells import UNSAVED_FORMULA
from secondlook.batch.readers import InputFile
from secondlook.batch.template import template_xlsx_bytes
from secondlook.batch.xlsx import XlsxError, XlsxSheet

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _openpyxl_rows(path: Path) -> list[tuple[int, list]]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    sheet = workbook["Cases"] if "Cases" in workbook.sheetnames else workbook.worksheets[0]
    out = []
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        if values:
            out.append((number, values))
    workbook.close()
    return out


def _ours(path: Path) -> list[tuple[int, list]]:
    """Our values; a formula without a saved result is None, as openpyxl reads it (the batch
    reports it as a problem: test_batch_edges.py)."""
    sheet = XlsxSheet(path)
    out = []
    for number, values in sheet.rows():
        values = [None if v is UNSAVED_FORMULA else v for v in values]
        while values and values[-1] is None:
            values.pop()
        if values:
            out.append((number, values))
    sheet.close()
    return out


def _excel_like(path: Path, *, date1904: bool = False) -> Path:
    """An .xlsx as Excel writes it: shared strings (one with rich-text runs and a phonetic
    run), styles with a built-in and a custom date format, a formula's cached results, an
    error, booleans, rows and cells without `r`, and a gap of blank rows."""
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
            'formats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
            'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/'
            'sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook {NS} {RNS}>'
            f'<workbookPr date1904="{"1" if date1904 else "0"}"/><sheets>'
            '<sheet name="Read me" sheetId="1" r:id="rId1"/>'
            '<sheet name="Cases" sheetId="2" r:id="rId2"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            '<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0"?><sst {NS} count="6" uniqueCount="6">'
            "<si><t>case_id</t></si><si><t>patient_dob</t></si><si><t>urgent</t></si>"
            '<si><r><t>Jo</t></r><r><rPr><b/></rPr><t xml:space="preserve">sé Ñ</t></r>'
            '<rPh sb="0" eb="1"><t>ignored</t></rPh></si><si><t>as_of</t></si>'
            "<si><t>  spaced  </t></si></sst>"
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0"?><styleSheet {NS}><numFmts count="1">'
            '<numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
            '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0"?><worksheet {NS}><sheetData><row r="1"><c r="A1" '
            't="inlineStr"><is><t>not this sheet</t></is></c></row></sheetData></worksheet>'
        ),
        "xl/worksheets/sheet2.xml": (
            f'<?xml version="1.0"?><worksheet {NS}><dimension ref="A1:E7"/><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
            '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>4</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" s="1"><v>21408</v></c>'
            '<c r="C2" t="b"><v>1</v></c><c r="D2" s="2"><v>46000.5</v></c>'
            '<c r="E2" t="e"><v>#N/A</v></c></row>'
            '<row r="3"><c t="str"><f>A1&amp;"x"</f><v>case_idx</v></c><c><v>12345</v></c>'
            '<c s="3"><v>2.5</v></c><c t="b"><v>0</v></c><c r="E3"><f>1/0</f></c></row>'
            '<row r="6"><c r="C6" t="inlineStr"><is><t>inline</t></is></c>'
            '<c r="E6" t="s"><v>5</v></c></row>'
            '<row r="7"><c r="A7"><v>-3</v></c><c r="B7"><v>1E3</v></c></row>'
            "</sheetData></worksheet>"
        ),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.mark.parametrize("date1904", [False, True])
def test_excel_written_files_read_as_openpyxl_reads_them(tmp_path, date1904):
    path = _excel_like(tmp_path / "excel.xlsx", date1904=date1904)
    ours = _ours(path)
    assert ours == _openpyxl_rows(path)
    assert ours[1][1][:4] == ["José Ñ", ours[1][1][1], True, ours[1][1][3]]
    assert isinstance(ours[1][1][1], dt.datetime) and isinstance(ours[1][1][3], dt.datetime)
    assert XlsxSheet(path).last_row() == 7


def test_openpyxl_written_files_read_as_openpyxl_reads_them(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Cases"
    sheet.append(["case_id", "patient_dob", "opinions_so_far", "urgent", "member_id"])
    sheet.append(["A", dt.datetime(1960, 5, 6), 2, True, 123456789])
    sheet.append([None, None, None, None, None])
    sheet.append(["B", dt.date(1961, 7, 8), 2.5, False, "=1+1"])
    sheet["F5"] = "far right"
    path = tmp_path / "openpyxl.xlsx"
    workbook.save(path)
    assert _ours(path) == _openpyxl_rows(path)
    template = tmp_path / "template.xlsx"
    template.write_bytes(template_xlsx_bytes())
    assert _ours(template) == _openpyxl_rows(template)


def test_row_numbers_and_blank_rows_follow_the_sheet(tmp_path):
    source = InputFile(_excel_like(tmp_path / "excel.xlsx"))
    rows = list(source)
    assert [r.number for r in rows] == [2, 3, 6, 7]
    assert source.blank_rows == 2  # rows 4 and 5
    assert source.count_rows() == 6


def test_a_damaged_sheet_is_a_clear_error(tmp_path):
    path = _excel_like(tmp_path / "excel.xlsx")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("sheet2.xml"):
                data = data[: data.index(b'<row r="6"')] + b"<row><c><v>1"
            dst.writestr(item, data)
    rows = list(InputFile(broken))
    assert [r.number for r in rows[:2]] == [2, 3]
    assert "the worksheet XML is damaged" in str(rows[-1].problems[0])
    with pytest.raises(XlsxError, match="not a readable XLSX file"):
        XlsxSheet(tmp_path / "missing.xlsx")


def test_a_damaged_part_is_a_clear_error_not_a_traceback(tmp_path):
    import zipfile

    good = tmp_path / "good.xlsx"
    good.write_bytes(template_xlsx_bytes())
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data[: len(data) // 2] if item.filename == "xl/styles.xml" else data)
    with pytest.raises(XlsxError, match="not a readable XLSX file"):
        XlsxSheet(bad)
