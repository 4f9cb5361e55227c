"""Import and export in the batch format: round trips, all-or-nothing import, text-only XLSX,
warnings instead of silent loss, audit and organisation scope."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from navigator_helpers import MEMBER_ID, PATIENT, first_org, second_org, zelda_case
from openpyxl import load_workbook

from coverage.case import RecordsHolder
from navigator import cases, exchange, facts
from navigator.errors import NotFound
from navigator.tables import AuditEvent
from secondlook import service
from secondlook.batch.columns import COLUMN_NAMES
from secondlook.batch.readers import InputFile
from secondlook.batch.rows import parse_row

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples" / "cases").glob("*.yaml"))


def stored_cases(store, actor):
    return {
        c.case_ref: cases.open_case(store, actor, c.id, record_view=False).case
        for c in cases.list_cases(store, actor)
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_back_the_same_cases(store, fmt):
    admin = first_org(store)
    originals = {c.case_id: c for c in (service.load_case(p) for p in EXAMPLES)}
    for case in originals.values():
        cases.create_case(store, admin, case)
    exported = exchange.export_cases(store, admin, fmt=fmt)
    assert exported.count == len(originals)
    # A warning names exactly the fields that do not come back; every other case is exact.
    ref_by_id = {c.id: c.case_ref for c in cases.list_cases(store, admin)}
    warned = {}
    for warning in exported.warnings:
        number, rest = warning.split(": the batch format cannot hold ")
        warned[ref_by_id[int(number.removeprefix("case #"))]] = rest.removesuffix(" exactly")

    other = second_org(store, admin)
    result = exchange.import_cases(store, other, exported.data, f"cases.{fmt}")
    assert result.ok, result.problems
    assert len(result.created) == len(originals)
    back = stored_cases(store, other)
    for ref, case in originals.items():
        if ref in warned:
            assert ", ".join(facts.diff_paths(case, back[ref])) == warned[ref], ref
        else:
            assert back[ref] == case, ref
    assert len(warned) < len(originals)


def test_export_is_a_batch_file_the_batch_reader_accepts(store, tmp_path):
    admin = first_org(store)
    cases.create_case(store, admin, zelda_case())
    exported = exchange.export_cases(store, admin, fmt="csv")
    path = tmp_path / "export.csv"
    path.write_bytes(exported.data)
    reader = InputFile(path)
    rows = list(reader)
    assert reader.header.columns == list(COLUMN_NAMES)
    assert parse_row(rows[0].cells, rows[0].number).case == zelda_case()


def test_a_case_without_a_reference_gets_one_in_the_export(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case(case_id=None))
    exported = exchange.export_cases(store, admin, fmt="csv")
    row = next(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert row["case_id"] == f"nav-{created.id}"
    assert exported.warnings == []


def test_xlsx_cells_are_text_never_formulas(store):
    admin = first_org(store)
    sneaky = zelda_case(patient={"name": '=HYPERLINK("http://x.example","click")',
                                 "member_id": "+15550100", "state": "MO"})  # fmt: skip
    cases.create_case(store, admin, sneaky)
    exported = exchange.export_cases(store, admin, fmt="xlsx")
    sheet = load_workbook(io.BytesIO(exported.data))["Cases"]
    header = [c.value for c in sheet[1]]
    name_cell = sheet.cell(row=2, column=header.index("patient_name") + 1)
    assert name_cell.data_type == "s" and name_cell.value == sneaky.patient.name
    other = second_org(store, admin)
    assert exchange.import_cases(store, other, exported.data, "x.xlsx").ok
    assert stored_cases(store, other)["RS-0001"] == sneaky


FORMULAS = {
    "patient_name": '=HYPERLINK("http://x.example","click")',
    "member_id": "=cmd|' /C calc'!A0",
    "group_number": "@SUM(1+1)",
    "diagnosis_stage": "-IV",
    "patient_phone": "+1 555 0100",
}


def formula_case():
    return zelda_case(
        patient={"name": FORMULAS["patient_name"], "member_id": FORMULAS["member_id"],
                 "group_number": FORMULAS["group_number"], "phone": FORMULAS["patient_phone"],
                 "state": "MO"},
        diagnosis={"description": "Glioblastoma", "stage": FORMULAS["diagnosis_stage"]},
    )  # fmt: skip


def test_csv_export_neutralises_formula_cells_and_imports_back_unchanged(store):
    admin = first_org(store)
    sneaky = formula_case()
    cases.create_case(store, admin, sneaky)
    exported = exchange.export_cases(store, admin, fmt="csv")
    row = next(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))))
    for column, value in FORMULAS.items():
        assert row[column] == "'" + value, column  # a spreadsheet shows it as text
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())
    other = second_org(store, admin)
    result = exchange.import_cases(store, other, exported.data, "cases.csv")
    assert result.ok, result.problems
    assert stored_cases(store, other)["RS-0001"] == sneaky


def test_xlsx_formula_looking_cells_keep_excels_text_marker(store):
    admin = first_org(store)
    cases.create_case(store, admin, formula_case())
    sheet = load_workbook(io.BytesIO(exchange.export_cases(store, admin, fmt="xlsx").data))["Cases"]
    header = [c.value for c in sheet[1]]
    for column, value in FORMULAS.items():
        cell = sheet.cell(row=2, column=header.index(column) + 1)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True), column
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_what_the_format_cannot_hold_is_reported_not_dropped_silently(store):
    admin = first_org(store)
    many = zelda_case(
        records_from=[RecordsHolder(name=f"Lab {n}") for n in range(3)],
        provider={"name": "Dr. X", "address_lines": ["1 A St", "Floor 2", "Wing B", "City 12345"]},
    )
    created = cases.create_case(store, admin, many)
    exported = exchange.export_cases(store, admin, fmt="csv")
    assert len(exported.warnings) == 1
    warning = exported.warnings[0]
    assert warning.startswith(f"case #{created.id}: the batch format cannot hold")
    assert "records_from[2:]" in warning and "provider.address_lines" in warning
    assert PATIENT not in warning


def test_import_is_all_or_nothing_and_names_row_and_column(store):
    admin = first_org(store)
    header = ",".join(["case_id", "patient_name", "member_id", "patient_dob", "plan"])
    good = f"A-1,{PATIENT},{MEMBER_ID},1971-05-04,original-medicare"
    bad = "A-2,Bad Date Person,XY1,04/05/1971,original-medicare"
    data = "\n".join([header, good, bad]).encode()
    result = exchange.import_cases(store, admin, data, "intake.csv")
    assert not result.ok and result.created == []
    assert result.problems == [
        "row 3, column patient_dob: not a date: use YYYY-MM-DD, e.g. 2026-03-14"
    ]
    assert cases.list_cases(store, admin) == []  # nothing stored
    assert all(PATIENT not in p and "Bad Date" not in p for p in result.problems)

    ok = exchange.import_cases(store, admin, "\n".join([header, good]).encode(), "intake.csv")
    assert ok.ok and len(ok.created) == 1
    created = cases.open_case(store, admin, ok.created[0], record_view=False)
    assert created.status == "intake" and created.assigned_to.id == admin.user_id
    assert created.determination is not None  # checked on import

    again = exchange.import_cases(store, admin, "\n".join([header, good]).encode(), "i.csv")
    assert again.problems == [
        f"row 2, column case_id: already used by case #{ok.created[0]} in your organisation"
    ]


def test_import_reports_file_level_problems(store):
    admin = first_org(store)
    dup = exchange.import_cases(store, admin, b"case_id\nA\nA\n", "x.csv")
    assert dup.problems == ["row 3, column case_id: the same case id as row 2"]
    unknown = exchange.import_cases(store, admin, b"case_id,patient_nam\nA,B\n", "mine.csv")
    assert unknown.problems[0].startswith("mine.csv:1: patient_nam: unknown column")
    assert exchange.import_cases(store, admin, b"x", "cases.pdf").problems == [
        "cases.pdf: expected a .csv or .xlsx file"
    ]
    assert exchange.import_cases(store, admin, b"case_id\n", "e.csv").problems == [
        "the file has no case rows"
    ]
    assert (
        exchange.import_cases(store, admin, b"PK\x03\x04junk", "e.xlsx")
        .problems[0]
        .startswith("e.xlsx: (file): not a readable XLSX file")
    )
    assert cases.list_cases(store, admin) == []


def test_export_and_import_are_audited_without_member_data(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    exchange.export_cases(store, admin, [created.id], fmt="xlsx")
    exchange.import_cases(store, admin, b"case_id,patient_name\nZ-9,Zelda Other\n", "z.csv")
    with store.transaction() as s:
        rows = s.execute(
            sa.select(AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.action.in_(["export", "import"])
            )
        ).all()
    assert rows == [
        ("export", f"format=xlsx cases=1 ids={created.id}"),
        ("import", "format=csv rows=1 created=1 intake=1"),
    ]


def test_export_is_scoped_to_the_organisation(store):
    admin = first_org(store)
    mine = cases.create_case(store, admin, zelda_case())
    other = second_org(store, admin)
    theirs = cases.create_case(store, other, zelda_case(case_id="LK-1"))
    with pytest.raises(NotFound):
        exchange.export_cases(store, other, [mine.id])
    everything = exchange.export_cases(store, other, fmt="csv")
    assert everything.count == 1
    text = everything.data.decode("utf-8-sig")
    assert "LK-1" in text and "RS-0001" not in text
    assert theirs.id != mine.id


def test_import_infers_the_status_from_the_dates_so_deadlines_show_at_once(store):
    admin = first_org(store)
    plan = "mo-ppo-riverfront-employer-self-funded"
    header = "case_id,patient_name,plan,request_sent_date,denial_notice_date,denial_received_date"
    rows = [
        f"D-1,Denied Person,{plan},2026-03-20,2026-03-30,2026-04-02",
        f"R-1,Requested Person,{plan},2026-04-01,,",
        f"I-1,New Person,{plan},,,",
    ]
    result = exchange.import_cases(
        store, admin, "\n".join([header, *rows]).encode(), "day.csv", as_of=dt.date(2026, 4, 6)
    )
    assert result.ok, result.problems
    assert result.statuses == {"denied": 1, "request_sent": 1, "intake": 1}
    by_ref = {c.case_ref: c for c in cases.list_cases(store, admin)}
    assert {ref: c.status for ref, c in by_ref.items()} == {
        "D-1": "denied", "R-1": "request_sent", "I-1": "intake",
    }  # fmt: skip
    denied = cases.open_case(store, admin, by_ref["D-1"].id, record_view=False)
    [appeal] = [d for d in denied.deadlines if d.key == "internal_appeal_filing"]
    assert appeal.relevant and appeal.due == dt.date(2026, 9, 29)  # 180 days from receipt
    assert by_ref["D-1"].next_due == dt.date(2026, 9, 29)
    requested = cases.open_case(store, admin, by_ref["R-1"].id, record_view=False)
    [decision] = [d for d in requested.deadlines if d.key == "prior_auth_decision"]
    assert decision.relevant and decision.due is not None and decision.due > dt.date(2026, 4, 1)
    assert by_ref["R-1"].next_due == decision.due
    assert [h.to_status for h in denied.history] == ["denied"]
