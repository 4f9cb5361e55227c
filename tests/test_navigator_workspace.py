"""The workspace export (JSON and XLSX) and its import: a complete round trip into an empty
store, all or nothing, users by username, clear problems by JSON path or sheet/row/column.
SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
import json
import uuid

import pytest
import sqlalchemy as sa
from navigator_helpers import PATIENT, first_org, navigator, zelda_case
from openpyxl import load_workbook

from coverage.case import RecordsHolder
from navigator import auth, cases, letter_store, pipeline, tasks, workspace
from navigator.errors import FieldProblem
from navigator.letter_store import Rendered
from navigator.store import Store
from navigator.tables import AuditEvent, Letter, Note

TODAY = dt.date(2026, 4, 6)


@pytest.fixture
def fresh_store(nav_db_url, tmp_path):
    """A second, empty store on the same kind of database (the backup's destination)."""
    if nav_db_url.startswith("sqlite"):
        s = Store.open(f"sqlite:///{tmp_path / 'fresh' / 'secondlook.db'}")
        yield s
        s.close()
        return
    base = sa.make_url(nav_db_url)
    name = f"nav_fresh_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    s = Store.open(base.set(database=name).render_as_string(hide_password=False))
    try:
        yield s
    finally:
        s.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fake_renderer(letter_type, case, plan, determination, evidence):  # noqa: ANN001, ANN201
    body = "\n".join([letter_type, *evidence]).encode()
    return Rendered(content=b"PK\x03\x04" + body, template_version=f"{letter_type}@test")


def team(store: Store):
    admin = first_org(store)
    return (
        admin,
        navigator(store, admin, "nina", "Nina Navigator"),
        navigator(store, admin, "omar", "Omar Navigator"),
    )


def build_workspace(store: Store):
    """Cases in every status, calls with follow-ups, notes, tasks done and open, letters sent
    and unsent (one citing calls), a hand-off with its note, a document, a case with no
    reference and one with facts the batch columns cannot hold."""
    admin, nina, omar = team(store)
    made = []
    for n, status in enumerate(pipeline.STATUSES):
        who = [nina, omar, admin][n % 3]
        made.append(cases.create_case(store, who, zelda_case(case_id=f"WS-{n}"), status=status,
                                      assigned_to_id=None if n == 4 else who.user_id, as_of=TODAY))  # fmt: skip
    odd = zelda_case(
        case_id=None,
        records_from=[RecordsHolder(name=f"Lab {n}", address_lines=["1 A St", "Floor 2", "Wing B",
                                                                    "Town, MO 63101"]) for n in range(3)],
    )  # fmt: skip
    made.append(cases.create_case(store, nina, odd, as_of=TODAY))
    denied = made[5]
    assert denied.status == "denied"
    call = cases.add_call(store, nina, denied.id, call_date=TODAY, person="Dana, UM nurse",
                          summary="Said the request is in review.\nCall back Friday.",
                          channel="phone", organisation="Plan", reference_number="REF-1",
                          follow_up_on=TODAY + dt.timedelta(days=3), today=TODAY)  # fmt: skip
    cases.add_call(store, omar, denied.id, call_date=TODAY, person="Fax desk", summary="Faxed.",
                   channel="fax", today=TODAY)  # fmt: skip
    cases.add_note(store, omar, denied.id, "Patient prefers mornings.")
    tasks.add_task(store, nina, denied.id, title="Send the slides", due=TODAY, note="Both sets")
    done = tasks.add_task(store, nina, denied.id, title="Get records", due=TODAY,
                          assigned_to_id=None)  # fmt: skip
    tasks.set_done(store, omar, done.id)
    version = cases.open_case(store, nina, denied.id, record_view=False).version
    appeal = letter_store.generate_letter(store, nina, denied.id, "appeal",
                                          expected_version=version, cited_call_ids=[call.id],
                                          renderer=fake_renderer, today=TODAY)  # fmt: skip
    letter_store.generate_letter(store, nina, denied.id, "records_request",
                                 expected_version=version, renderer=fake_renderer, today=TODAY)  # fmt: skip
    letter_store.mark_sent(store, nina, denied.id, appeal.id, via="fax", sent_on=TODAY,
                           expected_version=version, today=TODAY)  # fmt: skip
    cases.add_document(store, nina, denied.id, kind="denial_letter", filename="notice.pdf",
                       content_type="application/pdf", data=b"%PDF-1.4 notice")  # fmt: skip
    now = cases.open_case(store, nina, denied.id, record_view=False)
    cases.save_case(store, nina, denied.id, now.version, assigned_to_id=omar.user_id,
                    handoff_note="Appeal is in; watch for the decision.", as_of=TODAY)  # fmt: skip
    return admin, nina, omar


def comparable(data: bytes) -> dict:
    """The JSON export without what legitimately differs between two stores: the export's
    time, and the case number inside stored letters' file names."""
    parsed = json.loads(data)
    parsed.pop("exported_at")
    for case in parsed["cases"]:
        for letter in case["letters"]:
            letter["filename"] = letter["filename"].split("-", 2)[2]
    return parsed


def test_json_export_imports_into_an_empty_store_unchanged(store, fresh_store):
    admin, _, _ = build_workspace(store)
    first = workspace.export_workspace(store, admin, fmt="json")
    parsed = json.loads(first.data)
    assert (parsed["format"], parsed["version"]) == ("secondlook-workspace", 1)
    assert first.cases == len(pipeline.STATUSES) + 1
    denied = next(c for c in parsed["cases"] if c["reference"] == "WS-5")
    assert [c["logged_by"] for c in denied["calls"]] == ["nina", "omar"]
    assert {t["kind"] for t in denied["tasks"]} == {"task", "follow_up", "handoff"}
    assert any(t["done_at"] for t in denied["tasks"]) and denied["assigned_to"] == "omar"
    sent = [x for x in denied["letters"] if x["sent_on"]]
    assert len(sent) == 1 and sent[0]["sent_by"] == "nina" and sent[0]["cited_calls"] == [1]
    assert sent[0]["voice"] == "patient"
    assert base64.b64decode(sent[0]["content_base64"]).startswith(b"PK\x03\x04appeal")
    assert [h["to_status"] for h in denied["history"]] == ["denied", "appeal"]

    target = team(fresh_store)[0]
    result = workspace.import_workspace(fresh_store, target, first.data, "backup.json")
    assert result.ok, result.problems
    assert result.warnings == []
    assert result.counts == {"cases": first.cases, "calls": 2, "notes": 2, "tasks": 4,
                             "letters": 2, "documents": 1}  # fmt: skip
    again = workspace.export_workspace(fresh_store, target, fmt="json")
    assert comparable(again.data) == comparable(first.data)
    # The letter file comes back byte for byte and still cites its call.
    back = next(c for c in cases.list_cases(fresh_store, target) if c.case_ref == "WS-5")
    detail = cases.open_case(fresh_store, target, back.id, record_view=False)
    letter = next(x for x in detail.letters if x.sent_on)
    _, content = letter_store.letter_content(fresh_store, target, back.id, letter.id)
    assert content.startswith(b"PK\x03\x04appeal\nOn 2026-04-06 by phone, Dana")
    assert letter.cited_call_ids == [detail.calls[0].id]
    assert detail.next_steps and detail.deadlines  # the clocks are worked out again


def test_xlsx_export_imports_back_unchanged_but_for_the_letter_files(store, fresh_store):
    admin, _, _ = build_workspace(store)
    first = workspace.export_workspace(store, admin, fmt="xlsx")
    book = load_workbook(io.BytesIO(first.data))
    assert book.sheetnames == ["About", "Cases", "Status history", "Calls", "Notes", "Tasks",
                               "Letters", "Documents"]  # fmt: skip
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True)}
    assert "without their files" in about["note"]
    assert first.warnings == []  # the whole case fits: three records holders, long addresses
    target = team(fresh_store)[0]
    result = workspace.import_workspace(fresh_store, target, first.data, "backup.xlsx")
    assert result.ok, result.problems
    again = workspace.export_workspace(fresh_store, target, fmt="xlsx")
    original = workspace.read_file(first.data, "a.xlsx")[0]
    back = workspace.read_file(again.data, "b.xlsx")[0]
    assert back.model_dump(exclude={"exported_at"}) == original.model_dump(exclude={"exported_at"})
    # The JSON says the same, except that the letter and document files are not there.
    as_json = comparable(workspace.export_workspace(fresh_store, target).data)
    full = comparable(workspace.export_workspace(store, admin).data)
    for case in full["cases"]:
        for thing in case["letters"] + case["documents"]:
            thing["content_base64"] = None
    assert as_json == full
    denied = next(c for c in cases.list_cases(fresh_store, target) if c.case_ref == "WS-5")
    letter = cases.open_case(fresh_store, target, denied.id, record_view=False).letters[0]
    # The case page knows without reading the file: it offers no download, it says why.
    assert not letter.has_file
    assert (
        not cases.open_case(fresh_store, target, denied.id, record_view=False).documents[0].has_file
    )
    held = next(c for c in cases.list_cases(store, admin) if c.case_ref == "WS-5")
    original = cases.open_case(store, admin, held.id, record_view=False)
    assert original.letters[0].has_file and original.documents[0].has_file
    with pytest.raises(letter_store.NavigatorError, match="without its file"):
        letter_store.letter_content(fresh_store, target, denied.id, letter.id)
    document = cases.open_case(fresh_store, target, denied.id, record_view=False).documents[0]
    with pytest.raises(letter_store.NavigatorError, match="without its file"):
        cases.document_content(fresh_store, target, denied.id, document.id)


def test_import_refuses_references_already_used_and_stores_nothing(store):
    admin, nina, _ = build_workspace(store)
    exported = workspace.export_workspace(store, admin)
    before = len(cases.list_cases(store, admin))
    result = workspace.import_workspace(store, nina, exported.data, "again.json")
    assert not result.ok and result.created == []
    assert result.problems[0].startswith("cases[0].reference: already the reference of case #")
    assert len(cases.list_cases(store, admin)) == before


def test_users_the_organisation_lacks_are_named_and_their_work_unassigned(store, fresh_store):
    admin, _, _ = build_workspace(store)
    exported = workspace.export_workspace(store, admin)
    target = first_org(fresh_store)  # only "admin" exists here
    result = workspace.import_workspace(fresh_store, target, exported.data, "w.json")
    assert result.ok, result.problems
    assert result.warnings == [workspace.unknown_users_warning({"nina", "omar"})]
    assert "nina, omar" in result.warnings[0] and PATIENT not in result.warnings[0]
    found = cases.list_cases(fresh_store, target)
    by_ref = {c.case_ref: c for c in found}
    assert by_ref["WS-0"].assigned_to is None  # nina's
    assert by_ref["WS-2"].assigned_to.id == target.user_id  # admin's
    detail = cases.open_case(fresh_store, target, by_ref["WS-5"].id, record_view=False)
    assert {c.logged_by for c in detail.calls} == {"Ada Admin"}  # recorded as the importer's
    assert all(t.assigned_to is None for t in detail.tasks if t.kind != "task")


def broken(data: bytes, change) -> bytes:  # noqa: ANN001
    parsed = json.loads(data)
    change(parsed)
    return json.dumps(parsed).encode()


def test_bad_json_is_named_by_path_without_the_value(store):
    admin, nina, _ = build_workspace(store)
    good = workspace.export_workspace(store, admin).data
    fresh = auth.create_organisation(store, name="Empty", code="empty", admin_username="empty-admin",
                                     admin_display_name="E")  # fmt: skip
    from navigator_helpers import own_password

    target = own_password(store, "empty-admin", fresh.one_time_password, "empty")

    def problems(change) -> list[str]:  # noqa: ANN001
        result = workspace.import_workspace(store, target, broken(good, change), "w.json")
        assert not result.ok and cases.list_cases(store, target) == []
        return result.problems

    def bad_dob(w):  # noqa: ANN001, ANN202
        w["cases"][5]["facts"]["patient"]["date_of_birth"] = f"{PATIENT} 1971"

    [dob] = problems(bad_dob)
    assert dob.startswith("cases[5].facts.patient.date_of_birth: ") and PATIENT not in dob
    assert problems(lambda w: w["cases"][1].update(status="lost")) == [
        "cases[1].status: must be one of " + ", ".join(pipeline.STATUSES)
    ]
    assert problems(lambda w: w.update(version=2)) == [
        "version: this program reads version 1 of the format, not 2"
    ]
    assert problems(lambda w: w.update(format="other"))[0].startswith("format: not a Second Look")

    def tampered(w):  # noqa: ANN001, ANN202
        letter = w["cases"][5]["letters"][0]
        letter["content_base64"] = base64.b64encode(b"something else").decode()

    assert problems(tampered) == [
        "cases[5].letters[0].content_base64: does not match its size and sha256"
    ]
    assert problems(lambda w: w["cases"][5]["letters"][0].update(cited_calls=[7])) == [
        "cases[5].letters[0].cited_calls: not a call of this case (calls are numbered 1 to 2)"
    ]
    assert workspace.import_workspace(store, target, b"{not json", "w.json").problems == [
        "not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)"
    ]
    assert workspace.import_workspace(store, target, b"x", "cases.csv").problems == [
        "cases.csv: expected a .json or .xlsx workspace file"
    ]


def xlsx_with(data: bytes, sheet: str, row: int, column: str, value: str) -> bytes:
    book = load_workbook(io.BytesIO(data))
    header = [c.value for c in book[sheet][1]]
    book[sheet].cell(row=row, column=header.index(column) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_bad_xlsx_is_named_by_sheet_row_and_column_without_the_value(store, fresh_store):
    admin, _, _ = build_workspace(store)
    good = workspace.export_workspace(store, admin, fmt="xlsx").data
    target = team(fresh_store)[0]

    def problems(data: bytes) -> list[str]:
        result = workspace.import_workspace(fresh_store, target, data, "w.xlsx")
        assert not result.ok and cases.list_cases(fresh_store, target) == []
        return result.problems

    assert problems(xlsx_with(good, "Calls", 2, "call_date", "next Tuesday")) == [
        "sheet Calls, row 2, column call_date: Input should be a valid date or datetime, "
        "invalid character in year"
    ]
    [dob] = problems(xlsx_with(good, "Cases", 3, "patient.date_of_birth", PATIENT))
    assert dob.startswith("sheet Cases, row 3, column patient.date_of_birth: ")
    assert PATIENT not in dob
    assert problems(xlsx_with(good, "Tasks", 2, "case", "NOPE-1")) == [
        "sheet Tasks, row 2, column case: no case with this key on the Cases sheet"
    ]
    assert problems(xlsx_with(good, "Letters", 2, "cited_calls", "9")) == [
        "sheet Letters, row 2, column cited_calls: no call with this number in this case on "
        "the Calls sheet"
    ]
    assert problems(xlsx_with(good, "About", 3, "value", "2")) == [
        "sheet About, version: this program reads version 1 of the format, not 2"
    ]
    assert problems(b"PK\x03\x04junk")[0].startswith("the file: not a readable XLSX file")


def test_export_and_import_are_audited_with_counts_only(store, fresh_store):
    admin, _, _ = build_workspace(store)
    exported = workspace.export_workspace(store, admin)
    target = team(fresh_store)[0]
    workspace.import_workspace(fresh_store, target, exported.data, "w.json")
    with store.transaction() as s:
        [export] = s.scalars(sa.select(AuditEvent.detail).where(AuditEvent.action == "export"))
    assert export == (f"format=workspace-json cases={exported.cases} calls=2 documents=1 "
                      "letters=2 notes=2 tasks=4")  # fmt: skip
    with fresh_store.transaction() as s:
        [imported] = s.scalars(sa.select(AuditEvent.detail).where(AuditEvent.action == "import"))
        assert s.scalar(sa.select(sa.func.count()).select_from(Letter)) == 2
    assert imported.startswith("format=workspace-json calls=2 cases=")
    assert PATIENT not in export + imported


def test_a_workspace_file_reads_the_same_after_a_second_trip(store):
    """The file format alone: JSON -> model -> JSON is stable (no store in between)."""
    admin, _, _ = build_workspace(store)
    data = workspace.export_workspace(store, admin).data
    model, problems = workspace.read_file(data, "w.json")
    assert problems == []
    assert json.loads(workspace.to_json_bytes(model)) == json.loads(data)
    assert copy.deepcopy(model) == model


def test_the_operator_exports_and_imports_a_workspace_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    from navigator import cli

    source, target = (f"sqlite:///{tmp_path / name / 'secondlook.db'}" for name in ("a", "b"))
    store = Store.open(source)
    build_workspace(store)
    store.close()
    fresh = Store.open(target)
    team(fresh)
    fresh.close()
    runner = CliRunner()
    out = tmp_path / "backup.json"
    exported = runner.invoke(cli.main, ["export-workspace", "--organisation", "riverside", "--as",
                                        "admin", "--out", str(out), "--database", source])  # fmt: skip
    assert exported.exit_code == 0, exported.output
    assert exported.output == f"Exported {len(pipeline.STATUSES) + 1} cases to {out}.\n"
    args = ["import-workspace", "--organisation", "riverside", "--as", "nina", "--database"]
    done = runner.invoke(cli.main, [*args, target, str(out)])
    assert done.exit_code == 0, done.output
    assert done.output == "Imported 2 calls, 10 cases, 1 document, 2 letters, 2 notes, 4 tasks.\n"
    again = runner.invoke(cli.main, [*args, target, str(out)])
    assert again.exit_code == 2 and "Traceback" not in again.output
    assert "error: backup.json: cases[0].reference: already the reference of case #" in again.output
    assert again.output.endswith("Nothing was imported.\n")
    nobody = runner.invoke(cli.main, [*args[:4], "ghost", "--database", target, str(out)])
    assert nobody.exit_code == 2 and "No such active user" in nobody.output
    check = Store.open(target)
    try:
        nina = workspace.operator_actor(check, "riverside", "nina")
        with check.transaction() as s:
            details = s.scalars(sa.select(AuditEvent.detail).where(AuditEvent.action == "import"))
            first, second = details
        assert first.startswith("format=workspace-json calls=2 cases=10 documents=1 letters=2")
        assert second == "workspace rejected problems=9"  # the case without a reference would go in
        assert len(cases.list_cases(check, nina)) == len(pipeline.STATUSES) + 1
    finally:
        check.close()


def test_what_a_spreadsheet_cell_or_the_format_cannot_hold_is_said_not_crashed(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    cases.add_note(store, admin, created.id, "x" * 40_000)
    exported = workspace.export_workspace(store, admin, fmt="xlsx")
    assert exported.warnings == [
        "sheet Notes, case RS-0001: body is cut to the 32,767 characters a spreadsheet cell "
        "holds (the JSON export keeps it whole)"
    ]
    back, problems = workspace.read_file(exported.data, "w.xlsx")
    assert problems == [] and back.cases[0].notes[0].body == "x" * 32_767
    # The workspace refuses a longer note as it is typed; one stored before that limit
    # existed stops the export with the case and the field, not a traceback.
    with pytest.raises(FieldProblem):
        cases.add_note(store, admin, created.id, "y" * 1_000_001)
    with store.engine.begin() as conn:
        conn.execute(sa.update(Note).values(body="y" * 1_000_001))
    with pytest.raises(workspace.NavigatorError) as err:
        workspace.export_workspace(store, admin)
    assert str(err.value) == (
        f"Case #{created.id} cannot be exported: notes[0].body: String should have at most "
        "1000000 characters"
    )


def test_hostile_json_is_refused_by_its_bounds(monkeypatch):
    assert workspace.read_json(b"[" * 100_000 + b"]" * 100_000) == (
        None, ["the JSON is nested too deeply"],
    )  # fmt: skip
    monkeypatch.setattr(workspace, "MAX_JSON_BYTES", 1000)
    assert workspace.read_json(b" " * 1001) == (None, ["the file is larger than 0 MB"])
    assert workspace.read_json(b"\xff\xfe{}") == (None, ["the file is not UTF-8 text"])
    many = {"format": "secondlook-workspace", "version": 1, "exported_at": "2026-01-01T00:00:00Z",
            "cases": [{}] * 5001}  # fmt: skip
    monkeypatch.setattr(workspace, "MAX_JSON_BYTES", 2**20)
    assert workspace.read_json(json.dumps(many).encode())[1] == [
        "cases: List should have at most 5000 items after validation, not 5001"
    ]


def test_a_workbook_without_the_workspace_sheets_is_named(store):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Cases"
    book.active.append(["case_id", "patient_name"])
    out = io.BytesIO()
    book.save(out)
    assert workspace.read_file(out.getvalue(), "batch.xlsx") == (
        None, ["sheet About: missing (a workspace file has it)"],
    )  # fmt: skip
