"""Organisation isolation and the audit log (with no member data in it)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import sqlalchemy as sa
from navigator_helpers import (
    DIAGNOSIS,
    MEMBER_ID,
    PASSWORD,
    PATIENT,
    first_org,
    navigator,
    second_org,
    zelda_case,
)

from navigator import auth, cases, exchange, facts, letter_store
from navigator.errors import AuthError, NotFound
from navigator.tables import AuditEvent, CaseRecord

SECRETS = ("Zelda", "Testpatient", MEMBER_ID, "Glioblastoma", "1971-05-04", "temporal")


def test_a_navigator_of_org_b_cannot_see_load_edit_or_touch_org_a_cases(store):
    admin_a = first_org(store)
    nina = navigator(store, admin_a, "nina")
    admin_b = second_org(store, admin_a)
    bea = navigator(store, admin_b, "bea")

    a_case = cases.create_case(
        store, nina, zelda_case(), status="denied", as_of=dt.date(2026, 4, 6)
    )
    b_case = cases.create_case(store, bea, zelda_case(case_id="LK-1"))

    # Lists, search (by name, member id, reference and by number) and the board show nothing.
    for actor in (bea, admin_b):
        assert [c.id for c in cases.list_cases(store, actor)] == [b_case.id]
        assert cases.list_cases(store, actor, search=f"#{a_case.id}") == [] or (
            a_case.id == b_case.id
        )
        assert cases.list_cases(store, actor, search="RS-0001") == []
        board = cases.deadline_board(store, actor, today=dt.date(2026, 9, 28))
        assert a_case.id not in [i.case_id for i in board.overdue + board.due_soon]
        assert cases.plan_ids_in_use(store, actor) == ["mo-ppo-riverfront-employer-self-funded"]

    # Loading, saving, changing status, logging calls, notes, documents by id: NotFound, and
    # with the same message as an id that does not exist at all.
    missing = 999_999
    attempts = {
        "open": lambda cid: cases.open_case(store, bea, cid),
        "save": lambda cid: cases.save_case(
            store, bea, cid, 1, facts.apply_changes(zelda_case(), {"patient.name": "Hijack"})
        ),
        "status": lambda cid: cases.save_case(store, bea, cid, 1, status="closed"),
        "assign": lambda cid: cases.save_case(store, bea, cid, 1, assigned_to_id=bea.user_id),
        "call": lambda cid: cases.add_call(
            store, bea, cid, call_date=dt.date(2026, 4, 1), person="X", summary="Y"
        ),
        "note": lambda cid: cases.add_note(store, bea, cid, "note"),
        "document": lambda cid: cases.add_document(
            store, bea, cid, kind="other", filename="a.txt", content_type="text/plain", data=b"x"
        ),
        "document_download": lambda cid: cases.document_content(store, bea, cid, 1),
    }
    for name, attempt in attempts.items():
        with pytest.raises(NotFound) as real:
            attempt(a_case.id)
        with pytest.raises(NotFound) as fake:
            attempt(missing)
        assert str(real.value).replace(str(a_case.id), "N") == str(fake.value).replace(
            str(missing), "N"
        ), name

    # Org A's case is untouched.
    after = cases.open_case(store, nina, a_case.id)
    assert after.version == 1 and after.case.patient.name == PATIENT
    assert after.status == "denied" and after.calls == [] and after.notes == []
    assert after.documents == [] and after.assigned_to.id == nina.user_id

    # An org A navigator cannot assign a case to a user of org B.
    from navigator.errors import FieldProblem

    with pytest.raises(FieldProblem):
        cases.save_case(store, nina, a_case.id, 1, assigned_to_id=bea.user_id)


def test_the_audit_log_records_who_what_when_per_organisation(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina")
    admin_b = second_org(store, admin)
    c = cases.create_case(store, nina, zelda_case())
    cases.open_case(store, nina, c.id)
    edited = facts.apply_changes(c.case, {"diagnosis.stage": "IV"})
    cases.save_case(store, nina, c.id, c.version, edited, status="coverage_checked")

    rows = auth.audit_log(store, admin)
    mine = [(r.username, r.action, r.object_type, r.object_id) for r in reversed(rows)]
    assert ("nina", "case_create", "case", c.id) in mine
    assert ("nina", "case_view", "case", c.id) in mine
    assert ("nina", "status_change", "case", c.id) in mine
    edit = next(r for r in rows if r.action == "case_edit")
    assert edit.detail == "fields: diagnosis.stage"  # field names, not values
    assert all(r.at.tzinfo is not None for r in rows)
    # Org B's admin sees none of it.
    assert not any(r.object_id == c.id and r.object_type == "case"
                   for r in auth.audit_log(store, admin_b))  # fmt: skip


def test_no_member_data_in_the_audit_log_or_in_captured_logs(store, caplog):
    caplog.set_level(logging.DEBUG)
    admin = first_org(store)
    nina = navigator(store, admin, "nina")
    c = cases.create_case(store, nina, zelda_case(), as_of=dt.date(2026, 4, 6))
    view = cases.open_case(store, nina, c.id)
    renamed = facts.apply_changes(
        view.case, {"patient.name": "Zelda Q. Testpatient", "diagnosis.stage": "IV"}
    )
    view = cases.save_case(store, nina, c.id, view.version, renamed, status="coverage_checked")
    cases.add_call(store, nina, c.id, call_date=dt.date(2026, 4, 3), person="Dana",
                   summary=f"Confirmed {PATIENT} ({MEMBER_ID}) has {DIAGNOSIS}.")  # fmt: skip
    cases.add_note(store, nina, c.id, f"{PATIENT} called back.")
    doc = cases.add_document(store, nina, c.id, kind="denial_letter",
                             filename=f"{PATIENT} denial {MEMBER_ID}.pdf",
                             content_type="application/pdf", data=b"%PDF-1.4")  # fmt: skip
    cases.document_content(store, nina, c.id, doc.id)
    cases.list_cases(store, nina, search=PATIENT)
    view = cases.open_case(store, nina, c.id)  # the call, note and document raised the version
    letter = letter_store.generate_letter(
        store, nina, c.id, "appeal", expected_version=view.version,
        cited_call_ids=[x.id for x in view.calls],
    )  # fmt: skip
    letter_store.letter_content(store, nina, c.id, letter.id)
    exported = exchange.export_cases(store, nina, [c.id], fmt="csv")
    assert PATIENT.split()[0] in exported.data.decode("utf-8-sig")  # the export itself has it
    rows = f"case_id,patient_name,member_id\nZT-2,{PATIENT},{MEMBER_ID}\n".encode()
    assert exchange.import_cases(store, nina, rows, f"{PATIENT}.csv").ok
    with pytest.raises(AuthError):
        auth.login(store, PATIENT, "wrong password!")  # a patient's name typed as a username
    with pytest.raises(NotFound):
        cases.save_case(store, nina, c.id + 1000, 1, renamed)

    with store.transaction() as s:
        events = s.scalars(sa.select(AuditEvent)).all()
        text = "\n".join(f"{e.action} {e.object_type} {e.object_id} {e.detail}" for e in events)
        actions = {e.action for e in events}
    assert {"case_create", "case_view", "case_edit", "status_change", "call_add", "note_add",
            "document_upload", "document_download", "login_failed", "letter_generate",
            "letter_download", "export", "import"} <= actions  # fmt: skip
    for secret in SECRETS:
        assert secret not in text, secret
        assert secret not in caplog.text, secret
    # The member data is in the case store itself, where it belongs.
    with store.transaction() as s:
        assert s.scalar(sa.select(CaseRecord.patient_name)) == "Zelda Q. Testpatient"


def test_audit_log_is_for_admins_of_the_organisation(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina")
    from navigator.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        auth.audit_log(store, nina)
    assert auth.login(store, "admin", PASSWORD).is_admin
