"""The batch spreadsheet format: column mapping, per-cell errors, streaming CSV/XLSX readers."""

from __future__ import annotations

import csv
import datetime as dt
import typing
from pathlib import Path

import pytest
from batch_support import good_row, write_rows
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from pydantic import BaseModel

from coverage.case import Case
from coverage.loader import LoadError
from secondlook import service
from secondlook.batch.columns import COLUMNS, column_for_field
from secondlook.batch.readers import InputFile, _count_one_line_records
from secondlook.batch.rows import RowError, parse_row
from secondlook.batch.template import template_rows
from secondlook.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def _leaf_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        inner = info.annotation
        args = [a for a in typing.get_args(inner) if a is not type(None)] or [inner]
        sub = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is not None:
            out += _leaf_fields(sub, path + ".")
        else:
            out.append(path)
    return out


def test_every_case_field_has_a_column():
    missing = [f for f in _leaf_fields(Case) if column_for_field(f) is None]
    assert missing == []


def test_every_column_is_documented():
    doc = (ROOT / "docs" / "batch.md").read_text(encoding="utf-8")
    undocumented = [c.name for c in COLUMNS if f"`{c.name}`" not in doc]
    assert undocumented == []


def test_template_example_row_is_a_valid_case_the_engine_checks():
    header, example = template_rows()
    cells = {k: v for k, v in zip(header, example, strict=True) if v}
    parsed = parse_row(cells, 2)
    assert parsed.case.case_id == "NAV-0001"
    assert parsed.case.patient.address_lines == ["12 Example Street", "Springfield, MO 65801"]
    determination = service.check(parsed.case)
    assert determination.letters  # the example gives at least one letter with `auto`


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_batch_template_command_writes_a_file_the_reader_accepts(tmp_path, suffix):
    out = tmp_path / f"template{suffix}"
    result = CliRunner().invoke(cli, ["batch-template", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(InputFile(out))
    assert len(rows) == 1 and rows[0].number == 2 and not rows[0].problems
    case = parse_row(rows[0].cells, 2).case
    assert case.patient.date_of_birth == dt.date(1958, 4, 12)
    if suffix == ".xlsx":
        workbook = load_workbook(out)
        assert workbook.sheetnames == ["Cases", "Columns"]
        described = [r[0] for r in workbook["Columns"].iter_rows(min_row=2, values_only=True)]
        assert described == [c.name for c in COLUMNS]


def test_batch_template_rejects_other_suffixes(tmp_path):
    result = CliRunner().invoke(cli, ["batch-template", str(tmp_path / "t.json")])
    assert result.exit_code == 2
    assert "must be .csv or .xlsx" in result.output


MEMBER_VALUES = {
    "patient_dob": "14/03/1958",
    "member_id": "X" * 600,
    "diagnosis_icd10": "breast",
    "provider_npi": "12345",
    "diagnosis_date": "yesterday",
}


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("patient_dob", "14/03/1958", "not a date: use YYYY-MM-DD"),
        ("as_of", "2026-02-30", "not a real calendar date"),
        ("urgent", "maybe", "expected yes, no or unknown"),
        ("patient_state", "Missouri", "two-letter state"),
        ("provider_state", "ZZ", "two-letter state"),
        ("provider_npi", "12345", "an NPI is 10 digits"),
        ("diagnosis_icd10", "breast", "ICD-10-CM"),
        ("opinions_so_far", "two", "whole number"),
        ("opinions_so_far", "11", "use a number from 0 to 10"),
        ("provider_visit_type", "video", "expected one of in_person"),
        ("denial_level", "second", "expected one of initial"),
        ("patient_zip", "6580", "ZIP code"),
        ("case_id", "has space", "1-64 letters"),
        ("letters", "appeal, zyxwvut", "1 word is not a letter type"),
        ("member_id", "X" * 600, "longer than 500 characters"),
        ("reason_notes", "line\x07bell", "control characters"),
        ("patient_name", "caf\udce9", "not valid UTF-8"),
        ("diagnosis_date", "yesterday", "not a date"),
    ],
)
def test_a_bad_cell_names_row_and_column_and_never_echoes_member_data(column, value, fragment):
    cells = dict(good_row(1), **{column: value})
    with pytest.raises(RowError) as caught:
        parse_row(cells, 17)
    text = str(caught.value)
    assert f"row 17, column {column}: " in text
    assert fragment in text
    assert value not in text  # any column: a shifted row puts member data anywhere


def test_all_problems_of_a_row_are_reported_at_once():
    cells = dict(good_row(1), patient_dob="1958", urgent="perhaps", provider_npi="1")
    with pytest.raises(RowError) as caught:
        parse_row(cells, 9)
    columns = {p.column for p in caught.value.problems}
    assert columns == {"patient_dob", "urgent", "provider_npi"}


def test_missing_case_id_is_a_row_error():
    cells = good_row(1)
    del cells["case_id"]
    with pytest.raises(RowError, match="row 4, column case_id: required"):
        parse_row(cells, 4)


def test_denial_dates_out_of_order_name_the_columns():
    cells = dict(good_row(1), denial_notice_date="2026-03-05", denial_received_date="2026-03-01")
    with pytest.raises(RowError) as caught:
        parse_row(cells, 3)
    assert str(caught.value) == (
        "row 3, column denial_received_date: denial_received_date is before denial_notice_date"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Y", "yes"),
        ("true", "yes"),
        ("1", "yes"),
        (True, "yes"),
        ("No", "no"),
        ("FALSE", "no"),
        (0, "no"),
        ("not sure", "unknown"),
        ("?", "unknown"),
        ("Unknown", "unknown"),
    ],
)
def test_answer_spellings(value, expected):
    case = parse_row({"case_id": "a", "urgent": value}, 2).case
    assert case.urgency.physician_certifies_urgent == expected


def test_blank_cells_keep_the_model_defaults():
    case = parse_row({"case_id": "a", "urgent": "  "}, 2).case
    assert case.urgency.physician_certifies_urgent == "unknown"
    assert case.diagnosis.is_cancer == "yes"
    assert case.denial is None


def test_addresses_records_holders_and_denial_map_to_the_nested_case():
    cells = {
        "case_id": "a",
        "patient_state": "NY",
        "patient_address_line1": "1 Main St",
        "patient_address_line2": "Apt 2",
        "patient_city": "Albany",
        "patient_zip": 12207,
        "records2_name": "Example Imaging",
        "records2_city": "Troy",
        "records2_state": "NY",
        "records2_fax": "518-555-0199",
        "denial_reason": "Not medically necessary",
        "denial_send_to_name": "Appeals Unit",
        "denial_send_to_address_line1": "PO Box 1",
        "denial_send_to_city": "Tulsa",
        "denial_send_to_state": "OK",
        "denial_send_to_zip": "74101",
        "denial_send_to_fax": "918-555-0100",
        "letters": "appeal records_request",
    }
    parsed = parse_row(cells, 2)
    case = parsed.case
    assert case.patient.address_lines == ["1 Main St", "Apt 2", "Albany, NY 12207"]
    assert [r.name for r in case.records_from] == ["Example Imaging"]
    assert case.records_from[0].address_lines == ["Troy, NY"]
    assert case.denial is not None and case.denial.reason_quoted == "Not medically necessary"
    assert case.denial.send_to is not None
    assert case.denial.send_to.address_lines == ["PO Box 1", "Tulsa, OK 74101"]
    assert (case.denial.send_to.name, case.denial.send_to.fax) == ("Appeals Unit", "918-555-0100")
    assert parsed.letters == ("appeal", "records_request")


def test_a_records_holder_without_a_name_is_an_error():
    with pytest.raises(RowError, match="column records1_name: give the name of the office"):
        parse_row({"case_id": "a", "records1_phone": "314-555-0100"}, 2)


def test_excel_typed_cells_are_understood():
    cells = {
        "case_id": "a",
        "patient_dob": dt.datetime(1958, 4, 12),
        "member_id": 123456789,
        "opinions_so_far": 2.0,
        "patient_zip": 2134,  # Excel dropped the leading zero
        "urgent": True,
    }
    case = parse_row(cells, 2).case
    assert case.patient.date_of_birth == dt.date(1958, 4, 12)
    assert case.patient.member_id == "123456789"
    assert case.reasons.opinions_so_far == 2
    assert case.patient.address_lines == ["02134"]
    with pytest.raises(RowError, match="column group_number: the spreadsheet turned this cell"):
        parse_row({"case_id": "a", "group_number": dt.datetime(2026, 1, 2)}, 2)
    with pytest.raises(RowError, match="column as_of: a number, not a date"):
        parse_row({"case_id": "a", "as_of": 46000}, 2)


# Readers ---------------------------------------------------------------------------------------


def test_header_problems_are_file_errors_with_suggestions(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("case_id,patinet_name,plan,plan\nA,B,C,D\n", encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        list(InputFile(path))
    text = str(caught.value)
    assert "in.csv:1: patinet_name: unknown column (did you mean patient_name?)" in text
    assert "in.csv:1: plan: duplicate column (also column C)" in text


def test_unknown_columns_can_be_ignored(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("Case ID,Notes for office\nA1,call back\n", encoding="utf-8")
    source = InputFile(path, ignore_unknown=True)
    rows = list(source)
    assert rows[0].cells == {"case_id": "A1"} and not rows[0].problems
    # Ignored columns are named by letter: their header text may be a patient's data.
    assert source.header.ignored == ["column B"]


def test_a_file_without_a_header_row_never_echoes_its_data(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("A1,Jane Q Doe,1958-04-12,RB123456789\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        list(InputFile(path))
    text = str(info.value).lower()
    assert "jane" not in text and "rb123456789" not in text and "1958" not in text
    assert "in.csv:1: column b: unknown column" in text


def test_missing_case_id_column_is_a_file_error(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("plan\nx\n", encoding="utf-8")
    with pytest.raises(LoadError, match="in.csv:1: case_id: required column is missing"):
        list(InputFile(path))


def test_a_value_under_no_header_is_a_row_error(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("case_id,plan\nA,p,stray\nB,p\n", encoding="utf-8")
    rows = list(InputFile(path))
    assert [str(p) for p in rows[0].problems] == [
        "row 2, column C (no header): a value in a column that has no header"
    ]
    assert not rows[1].problems


def test_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(
        b'\xef\xbb\xbfcase_id,reason_notes\r\nA,"two\r\nlines"\r\n,\r\nB,x\r\n\r\nC,y\r\n'
    )
    source = InputFile(path)
    rows = list(source)
    assert [(r.number, r.case_id()) for r in rows] == [(2, "A"), (4, "B"), (6, "C")]
    assert source.blank_rows == 2


def test_bytes_that_are_not_utf8_fail_only_their_row(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"case_id,patient_name\nA,Jos\xe9\nB,Ana\n")
    rows = list(InputFile(path))
    with pytest.raises(RowError, match=r"row 2, column patient_name: not valid UTF-8"):
        parse_row(rows[0].cells, rows[0].number)
    assert parse_row(rows[1].cells, rows[1].number).case.patient.name == "Ana"


def test_semicolon_separated_files_are_read(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("case_id;plan\nA;original-medicare\n", encoding="utf-8")
    assert list(InputFile(path))[0].cells == {"case_id": "A", "plan": "original-medicare"}


def test_an_unclosed_quote_is_a_row_error_not_a_crash(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('case_id,plan\nA,p\nB,"never closed\nC,p\n', encoding="utf-8")
    rows = list(InputFile(path))
    assert rows[0].case_id() == "A" and not rows[0].problems
    assert any("quote" in str(p) for p in rows[-1].problems)


def _simple_count(path: Path) -> int | None:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        delimiter = ";" if ";" in handle.readline() else ","
        handle.seek(0)
        return _count_one_line_records(handle, delimiter)


def _rows_parsed(path: Path) -> int:
    """Data rows as the csv module reads them, line breaks inside quotes and all."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return max(len(list(csv.reader(handle))) - 1, 0)


@pytest.mark.parametrize(
    "text",
    [
        "case_id,plan\nA,p\nB,p\n",
        "case_id,plan\nA,p\nB,p",  # the last line without a line break
        "case_id,plan\r\nA,p\r\n\r\nB,p\r\n",  # Excel's line breaks, a blank line
        "case_id,plan\rA,p\rB,p\r",  # old Mac line breaks
        "case_id,plan\n\n\nA,p\n\n",
        "case_id,plan",
        "",
        "\ufeffcase_id;plan\nA;p\n",
        "case_id,plan\n" + "A," + "x" * (64 * 1024 - 16) + "\r\nB,p\r\n",
        'case_id,diagnosis,plan\nA,"Colon cancer, ECOG < 2",p\n"B","say ""no""",""\n',
        'case_id;diagnosis\n"A";"x; y"\n',
    ],
)
def test_rows_of_one_line_each_are_counted_without_parsing(tmp_path, text):
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode("utf-8"))
    assert _simple_count(path) is not None  # counted without the csv module
    assert InputFile(path).count_rows() == _rows_parsed(path)


@pytest.mark.parametrize(
    "text",
    [
        'case_id,notes\nA,"two\nlines"\nB,"one"\n',  # a cell of two lines
        'case_id,notes\nA,x"y,"two\nlines"\nB,p\n',  # a stray quote, then a cell of two lines
        'case_id,notes\nA,"x"y\nB,p\n',  # text after a closing quote
        'case_id,notes\nA, "x,y"\nB,p\n',  # a space before a quote
        "case_id,notes\nA," + "x" * 200_000 + "\nB,p\n",  # a field over the csv limit
    ],
)
def test_rows_of_other_files_are_counted_by_parsing(tmp_path, text):
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert _simple_count(path) is None
    expected = None if "x" * 1000 in text else _rows_parsed(path)  # the csv module refuses it
    assert InputFile(path).count_rows() == expected


def test_csv_and_xlsx_give_the_same_cases(tmp_path):
    rows = [good_row(i) for i in range(5)]
    csv_rows = list(InputFile(write_rows(tmp_path / "in.csv", rows)))
    xlsx_rows = list(InputFile(write_rows(tmp_path / "in.xlsx", rows)))
    assert [r.number for r in csv_rows] == [r.number for r in xlsx_rows] == [2, 3, 4, 5, 6]
    for a, b in zip(csv_rows, xlsx_rows, strict=True):
        assert parse_row(a.cells, a.number).case == parse_row(b.cells, b.number).case
        assert a.content_hash() == b.content_hash()


def test_xlsx_reads_the_cases_sheet_and_real_date_cells(tmp_path):
    workbook = Workbook()
    workbook.active.title = "Read me"
    workbook.active.append(["this sheet is not the data"])
    sheet = workbook.create_sheet("Cases")
    sheet.append(["case_id", "patient_dob", "opinions_so_far", None])
    sheet.append(["A", dt.datetime(1960, 5, 6), 2, None])
    sheet.append([None, None, None, None])
    sheet.append(["B", "1961-07-08", None, None])
    path = tmp_path / "in.xlsx"
    workbook.save(path)
    source = InputFile(path)
    rows = list(source)
    assert [(r.number, r.case_id()) for r in rows] == [(2, "A"), (4, "B")]
    assert source.blank_rows == 1
    assert parse_row(rows[0].cells, 2).case.patient.date_of_birth == dt.date(1960, 5, 6)


def test_a_file_that_is_not_a_spreadsheet_is_a_file_error(tmp_path):
    path = tmp_path / "in.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(LoadError, match="in.xlsx: .*not a readable XLSX file"):
        list(InputFile(path))
    with pytest.raises(LoadError, match="expected a .csv or .xlsx file"):
        InputFile(tmp_path / "in.ods")


def test_a_choice_is_read_in_any_case_and_kept_in_the_model_spelling():
    case = parse_row(
        {"case_id": "a", "reported_plan_type": "ppo", "provider_visit_type": "In person"}, 2
    ).case
    assert case.reported_plan.plan_type == "PPO"
    assert case.provider.visit_type == "in_person"
