"""Hostile spreadsheets and YAML files are refused clearly, in little memory and CPU.

Each hostile file is read in a child process under RLIMIT_AS and RLIMIT_CPU (tests/
bounded_child.py): before the readers were bounded, these files made the reader allocate
gigabytes (a cell at column ZZZZZZ, a padded styles part), spin for minutes (three million shared
strings, an alias bomb with a duplicate key) or crash with a traceback (a cell reference `@4`).
The refusal names the file, the row or the line, never a cell's content.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from bounded_child import MIB, run_limited

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
PEAK_LIMIT = 300 * MIB
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>case_id</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>patient_name</t></is></c></row>'
)


def _xlsx(path: Path, sheet_data: str, parts: dict[str, str] | None = None) -> Path:
    """A minimal workbook: one sheet `Cases` with `sheet_data` (rows), plus any other parts."""
    files: dict[str, bytes | str] = {
        "xl/workbook.xml": (
            f'<workbook {NS} {RNS}><sheets><sheet name="Cases" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="sharedStrings" Target="sharedStrings.xml"/>'
            '<Relationship Id="rId3" Type="styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": f"<worksheet {NS}><sheetData>{sheet_data}</sheetData></worksheet>",
    }
    files.update(parts or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def _read_all(path: Path) -> dict:
    """Read every row of `path` the way a batch does, in a limited child."""
    return run_limited(
        f"""
        from coverage.loader import LoadError
        from secondlook.batch.readers import InputFile
        try:
            source = InputFile({str(path)!r})
            source.read_header()
            source.count_rows()
            problems = [str(p) for row in source for p in row.problems]
            report(" | ".join(problems) or "no problem")
        except LoadError as err:
            report(str(err))
        """
    )


def _cell_row(cells: str, number: int = 2) -> str:
    return f'<row r="{number}">{cells}</row>'


def test_a_cell_at_column_zzzzzz_is_refused_without_allocating_gigabytes(tmp_path):
    sheet = HEADER_ROW + _cell_row('<c r="ZZZZZZ2" t="inlineStr"><is><t>x</t></is></c>')
    result = _read_all(_xlsx(tmp_path / "wide.xlsx", sheet))
    assert (
        result["message"]
        == "row 2: a cell reference is not valid or not in order (at the row's start)"
    )
    assert result["peak_rss"] < PEAK_LIMIT


@pytest.mark.parametrize(
    ("cells", "where"),
    [
        ('<c r="@4"><v>1</v></c>', "at the row's start"),
        ('<c r="AAAAAAA2"><v>1</v></c>', "at the row's start"),
        ('<c r="A2" t="inlineStr"><is><t>C1</t></is></c><c r="e2"><v>1</v></c>', "after column A"),
        ('<c r="A2"><v>1</v></c><c r="B2"><v>2</v></c><c r="B2"><v>3</v></c>', "after column B"),
        ('<c r="A2"><v>1</v></c><c r="C2"><v>2</v></c><c r="B2"><v>3</v></c>', "after column C"),
        ('<c r="A3"><v>1</v></c>', "at the row's start"),  # a cell of another row
        ('<c r="XFE2"><v>1</v></c>', "at the row's start"),  # past Excel's last column
    ],
)
def test_cell_references_are_checked_strictly(tmp_path, cells, where):
    from secondlook.batch.readers import InputFile

    path = _xlsx(tmp_path / "refs.xlsx", HEADER_ROW + _cell_row(cells))
    rows = list(InputFile(path))
    assert [str(p) for r in rows for p in r.problems] == [
        f"row 2: a cell reference is not valid or not in order ({where})"
    ]


def test_row_numbers_must_be_valid_and_in_order(tmp_path):
    from secondlook.batch.readers import InputFile

    sheet = HEADER_ROW + _cell_row('<c r="A5"><v>1</v></c>', 5) + _cell_row("<c><v>2</v></c>", 3)
    rows = list(InputFile(_xlsx(tmp_path / "order.xlsx", sheet)))
    assert (
        str(rows[-1].problems[0])
        == "row 6: a row number is not valid or not in order (after row 5)"
    )


def test_a_padded_styles_part_is_refused_in_little_memory(tmp_path):
    padding = "<numFmts>" + "<x/>" * 6_000_000 + "</numFmts>"  # 24 MB, ~100 KB compressed
    styles = f"<styleSheet {NS}>{padding}<cellXfs><xf numFmtId='14'/></cellXfs></styleSheet>"
    sheet = HEADER_ROW + _cell_row('<c r="A2" t="inlineStr"><is><t>C1</t></is></c>')
    path = _xlsx(tmp_path / "styles.xlsx", sheet, {"xl/styles.xml": styles})
    assert path.stat().st_size < 200_000
    result = _read_all(path)
    assert result["message"] == "styles.xlsx: (file): the part xl/styles.xml is larger than 16 MB"
    assert result["peak_rss"] < PEAK_LIMIT


def test_junk_elements_in_a_row_are_refused_in_little_memory(tmp_path):
    junk = "<x/>" * 3_000_000
    sheet = HEADER_ROW + _cell_row(f'<c r="A2" t="inlineStr"><is><t>C1</t></is></c>{junk}')
    result = _read_all(_xlsx(tmp_path / "junk.xlsx", sheet))
    assert result["message"] == "row 2: too many XML elements in one row"
    assert result["peak_rss"] < PEAK_LIMIT


def test_three_million_shared_strings_are_refused_quickly(tmp_path):
    strings = f"<sst {NS}>" + "<si/>" * 3_000_000 + "</sst>"
    sheet = HEADER_ROW + _cell_row('<c r="A2" t="s"><v>0</v></c>')
    path = _xlsx(tmp_path / "strings.xlsx", sheet, {"xl/sharedStrings.xml": strings})
    assert path.stat().st_size < 150 * 1024
    result = run_limited(
        f"""
        from coverage.loader import LoadError
        from secondlook.batch.readers import InputFile
        try:
            InputFile({str(path)!r}).read_header()
        except LoadError as err:
            report(str(err))
        """,
        cpu_seconds=30,
    )
    assert result["message"] == (
        "strings.xlsx: (file): more than 2,000,000 different texts in the workbook (shared strings)"
    )
    assert result["peak_rss"] < PEAK_LIMIT


def test_the_shared_strings_are_read_once_per_run(tmp_path, monkeypatch):
    import datetime as dt

    from batch_support import good_row, write_rows

    from secondlook.batch import BatchOptions, run_batch
    from secondlook.batch.xlsx import XlsxSheet

    calls = []
    real = XlsxSheet._shared_strings

    def counted(self, *args):  # noqa: ANN001, ANN002, ANN202
        calls.append(1)
        return real(self, *args)

    monkeypatch.setattr(XlsxSheet, "_shared_strings", counted)
    source = write_rows(tmp_path / "cases.xlsx", [good_row(i) for i in range(3)])
    options = BatchOptions(
        letter="records_request", renderer="batch_support:quick_renderer", today=dt.date(2026, 1, 5)
    )
    summary = run_batch(source, tmp_path / "out", options)
    assert summary.ok == 3 and len(calls) == 1


def test_a_csv_line_of_millions_of_separators_is_refused_in_little_memory(tmp_path):
    path = tmp_path / "commas.csv"
    path.write_text("case_id,patient_name\nC1," + "," * 30_000_000 + "\nC2,x\n", encoding="utf-8")
    result = _read_all(path)
    assert result["message"] == (
        "row 2: unreadable CSV: a line is longer than 1,000,000 characters; nothing after it is read"
    )
    assert result["peak_rss"] < PEAK_LIMIT


def test_a_header_thousands_of_columns_wide_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("case_id" + ",x" * 5000 + "\n", encoding="utf-8")
    from coverage.loader import LoadError
    from secondlook.batch.readers import InputFile

    with pytest.raises(LoadError) as err:
        InputFile(path).read_header()
    assert str(err.value) == "wide.csv:1: (file): the header has more than 1,024 columns"


def test_a_values_past_the_header_make_one_problem_per_row(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("case_id\nC1" + ",x" * 500 + "\n", encoding="utf-8")
    from secondlook.batch.readers import InputFile

    rows = list(InputFile(path))
    assert [str(p) for p in rows[0].problems] == [
        "row 2, column B (no header): a value in a column that has no header (and 499 more)"
    ]


# --- YAML -----------------------------------------------------------------------------------

BOMB = """case_id: bomb
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
case_id: again
"""


def test_an_alias_bomb_with_a_duplicate_key_is_refused_quickly(tmp_path):
    assert len(BOMB.encode()) < 420
    result = run_limited(
        f"""
        from secondlook import service
        try:
            service.parse_case({BOMB!r}, "saved.yaml")
        except service.LoadError as err:
            report(str(err))
        """,
        cpu_seconds=20,
    )
    assert result["message"] == (
        "saved.yaml:7: (file): aliases (*name) expand the file to more than 100,000 values; "
        "write the values out instead"
    )
    assert result["peak_rss"] < PEAK_LIMIT


def test_aliases_that_expand_a_little_are_still_fine():
    from coverage.loader import parse_yaml

    data = parse_yaml("a: &x [1, 2]\nb: *x\nc: [*x, *x]\n", "small.yaml")
    assert data == {"a": [1, 2], "b": [1, 2], "c": [[1, 2], [1, 2]]}


def test_a_case_file_over_a_megabyte_is_refused_before_parsing(tmp_path):
    from coverage.case import Case
    from coverage.loader import LoadError, load_model

    path = tmp_path / "big.yaml"
    path.write_text("case_id: big\nnotes: " + "x" * 2_000_000 + "\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_model(Case, path)
    assert str(err.value).endswith(": (file): the file is too large (at most 1,000,000 bytes)")
    from secondlook import service

    with pytest.raises(LoadError, match="too large"):
        service.parse_case(path.read_text(encoding="utf-8"), "upload.yaml")


def test_a_key_that_is_a_list_is_a_clear_error():
    from coverage.loader import LoadError, parse_yaml

    with pytest.raises(LoadError) as err:
        parse_yaml("case_id: x\n[a, b]: 1\n", "case.yaml")
    assert (
        str(err.value) == "case.yaml:2: (file): a key must be a plain name, not a list or a mapping"
    )
