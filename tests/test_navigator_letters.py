"""Letters generated for a stored case: real letters package, stored with template version,
SHA-256, who and when; re-downloaded byte for byte; call-log entries cited as evidence."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import docx
import pytest
import sqlalchemy as sa
from navigator_helpers import MEMBER_ID, PATIENT, first_org, navigator, second_org, zelda_case

import letters
from navigator import cases, facts, letter_store, representative
from navigator.errors import CaseConflict, FieldProblem, NotFound, PermissionDenied
from navigator.tables import AuditEvent, Letter


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_generate_store_and_download_again(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina", "Nina Navigator")
    created = cases.create_case(store, nina, zelda_case())
    call = cases.add_call(
        store, nina, created.id, call_date=dt.date(2026, 4, 3), person="Dana, UM nurse",
        organisation="Riverfront Health", reference_number="CALL-778",
        summary="Said the network gap exception form was never received.",
    )  # fmt: skip
    version = created.version + 1  # the call raised the case's version
    info = letter_store.generate_letter(
        store, nina, created.id, "appeal", expected_version=version, cited_call_ids=[call.id],
    )  # fmt: skip
    assert info.template_version == letters.template_version("appeal")
    assert info.created_by == "Nina Navigator" and info.case_version == version
    assert info.cited_call_ids == [call.id]
    assert PATIENT.split()[0] not in info.filename and MEMBER_ID not in info.filename
    assert info.filename == f"case-{created.id}-appeal-1.docx"

    again, data = letter_store.letter_content(store, nina, created.id, info.id)
    assert hashlib.sha256(data).hexdigest() == info.sha256 == again.sha256
    assert len(data) == info.size
    text = docx_text(data)
    assert PATIENT in text
    assert "CALL-778" in text and "Said the network gap exception form was never received." in text
    # Listed with the case; a second appeal gets the next number.
    second = letter_store.generate_letter(store, nina, created.id, "appeal",
                                          expected_version=version)  # fmt: skip
    assert second.filename.endswith("-appeal-2.docx")
    detail = cases.open_case(store, nina, created.id)
    assert [x.id for x in detail.letters] == [info.id, second.id]


def test_letter_needs_the_version_the_navigator_sees(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    newer = facts.apply_changes(created.case, {"diagnosis.stage": "IV"})
    cases.save_case(store, admin, created.id, created.version, newer)
    with pytest.raises(CaseConflict):
        letter_store.generate_letter(store, admin, created.id, "appeal",
                                     expected_version=created.version)  # fmt: skip
    with store.transaction() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Letter)) == 0


def test_a_letter_that_cannot_be_written_names_the_fields_and_stores_nothing(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    with pytest.raises(letter_store.LetterUnavailable) as err:
        letter_store.generate_letter(store, admin, created.id, "physician_letter",
                                     expected_version=created.version)  # fmt: skip
    assert str(err.value) == (
        "The Letter of medical necessity needs more facts first: Physician (Referring physician)."
    )  # the form's words, never a field path
    assert PATIENT not in str(err.value)
    no_plan = cases.create_case(store, admin, zelda_case(case_id="RS-0009", plan=None))
    from navigator.errors import FieldProblem

    with pytest.raises(FieldProblem):
        letter_store.generate_letter(store, admin, no_plan.id, "appeal",
                                     expected_version=no_plan.version)  # fmt: skip
    with store.transaction() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Letter)) == 0


def test_other_organisation_cannot_generate_or_download(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    info = letter_store.generate_letter(store, admin, created.id, "claim_file_request",
                                        expected_version=created.version)  # fmt: skip
    outsider = second_org(store, admin)
    with pytest.raises(NotFound):
        letter_store.generate_letter(store, outsider, created.id, "appeal", expected_version=1)
    with pytest.raises(NotFound):
        letter_store.letter_content(store, outsider, created.id, info.id)
    # A letter id from another case of the same org is not reachable through the wrong case.
    other = cases.create_case(store, admin, zelda_case(case_id="RS-9"))
    with pytest.raises(NotFound):
        letter_store.letter_content(store, admin, other.id, info.id)


def test_citing_a_call_of_another_case_is_refused(store):
    admin = first_org(store)
    a = cases.create_case(store, admin, zelda_case())
    b = cases.create_case(store, admin, zelda_case(case_id="RS-2"))
    call_b = cases.add_call(store, admin, b.id, call_date=dt.date(2026, 4, 3), person="X",
                            summary="Y")  # fmt: skip
    with pytest.raises(NotFound, match="No call"):
        letter_store.generate_letter(store, admin, a.id, "appeal", expected_version=a.version,
                                     cited_call_ids=[call_b.id])  # fmt: skip


def test_letter_audit_rows_hold_no_member_data(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    info = letter_store.generate_letter(store, admin, created.id, "appeal",
                                        expected_version=created.version)  # fmt: skip
    letter_store.letter_content(store, admin, created.id, info.id)
    with store.transaction() as s:
        rows = s.execute(sa.select(AuditEvent.action, AuditEvent.detail)).all()
    actions = [a for a, _ in rows]
    assert "letter_generate" in actions and "letter_download" in actions
    detail = next(d for a, d in rows if a == "letter_generate")
    assert detail == (
        f"letter #{info.id} type=appeal template={info.template_version} calls=0 voice=patient"
    )
    assert not any("Zelda" in d or MEMBER_ID in d for _, d in rows)


def test_a_tampered_blob_is_detected(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    info = letter_store.generate_letter(store, admin, created.id, "appeal",
                                        expected_version=created.version)  # fmt: skip
    with store.transaction() as s:
        s.execute(sa.update(Letter).values(content=b"not the letter"))
    from navigator.errors import NavigatorError

    with pytest.raises(NavigatorError, match="checksum"):
        letter_store.letter_content(store, admin, created.id, info.id)


def test_missing_facts_are_named_as_the_case_form_names_them():
    """A plan's address the letters need is the form field that gives it: the patient's own
    report for a plan not in the catalog, the denial notice for the outside reviewer."""
    from coverage.case import Case
    from secondlook import service

    case = Case.model_validate(
        {
            "patient": {"state": "MO", "name": "A. Example"},
            "reported_plan": {"market": "employer_group"},
            "urgency": {"physician_certifies_urgent": "yes"},
            "denial": {"notice_date": "2026-11-01"},
        }
    )
    plan = service.plan_for(case)
    answer = service.check(case, plan)
    words = {
        t: letter_store.problem_words(service.render_letter(t, case, plan, answer), case)
        for t in ("expedited_appeal", "external_review_request")
    }
    assert words["expedited_appeal"] == (
        "The Expedited appeal needs more facts first: Member ID; Address for appeals."
    )
    assert words["external_review_request"].endswith("Address for external review.")
    assert not any("." in w.split(": ", 1)[1].rstrip(".") for w in words.values())  # no paths
    assert letter_store.field_label("case.records_from", case) == "Name (records holder 1)"


# -- signed by the navigator as the patient's authorised representative ------------------------


def test_a_letter_signed_as_the_patients_representative_is_stored_with_its_voice(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina", "Nina Navigator")
    representative.set_letter_contact(
        store, admin, "500 River Rd\n\n  Kirkwood, MO 63122  ", " (314) 555-0100 "
    )
    created = cases.create_case(store, nina, zelda_case())
    info = letter_store.generate_letter(
        store, nina, created.id, "appeal", expected_version=created.version,
        as_representative=True,
    )  # fmt: skip
    assert info.voice == "representative"
    _, data = letter_store.letter_content(store, nina, created.id, info.id)
    lines = [line for line in docx_text(data).splitlines() if line.strip()]
    assert lines[:5] == ["Nina Navigator", "Riverside Cancer Center", "500 River Rd",
                         "Kirkwood, MO 63122", "Phone (314) 555-0100"]  # fmt: skip
    assert f"I am writing as the authorized representative of {PATIENT}, the member named " in (
        "\n".join(lines)
    )
    assert "Patient navigator, Riverside Cancer Center" in lines
    assert f"Authorized representative of {PATIENT}" in lines
    assert "my oncologist" not in "\n".join(lines)
    # her own letter beside it; the list says who signs each
    own = letter_store.generate_letter(store, nina, created.id, "appeal",
                                       expected_version=created.version)  # fmt: skip
    listed = {x.id: x for x in cases.open_case(store, nina, created.id).letters}
    assert listed[info.id].voice == "representative" and listed[own.id].voice == "patient"
    words = {
        x.id: representative.signed_by(x.letter_type, x.voice, x.created_by)
        for x in listed.values()
    }
    assert words == {
        info.id: "Nina Navigator, as the patient's authorised representative",
        own.id: "the patient",
    }
    with store.transaction() as s:
        stored = dict(s.execute(sa.select(Letter.id, Letter.voice)).all())
        details = s.scalars(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "letter_generate")
        ).all()
    assert stored == {info.id: "representative", own.id: "patient"}
    assert any(d.endswith("voice=representative") for d in details)


def test_the_navigators_email_is_enough_to_be_reached(store):
    admin = first_org(store)
    auth_user = navigator(store, admin, "nina", "Nina Navigator")
    from navigator import auth

    target = next(u for u in auth.list_users(store, admin) if u.username == "nina")
    auth.update_user(store, admin, target.id, email="nina@riverside.example")
    created = cases.create_case(store, auth_user, zelda_case())
    info = letter_store.generate_letter(
        store, auth_user, created.id, "claim_file_request", expected_version=created.version,
        as_representative=True,
    )  # fmt: skip
    _, data = letter_store.letter_content(store, auth_user, created.id, info.id)
    text = docx_text(data)
    assert text.splitlines()[:3] == ["Nina Navigator", "Riverside Cancer Center",
                                     "nina@riverside.example"]  # fmt: skip
    assert "please contact me by email at nina@riverside.example" in text


def test_a_representative_the_plan_cannot_reach_or_the_physicians_letter_is_refused(store):
    admin = first_org(store)
    created = cases.create_case(store, admin, zelda_case())
    with pytest.raises(FieldProblem) as err:
        letter_store.generate_letter(store, admin, created.id, "appeal",
                                     expected_version=created.version, as_representative=True)  # fmt: skip
    assert "address or phone" in err.value.problems["signed_by"]
    representative.set_letter_contact(store, admin, "500 River Rd", "")
    with pytest.raises(FieldProblem) as err:
        letter_store.generate_letter(store, admin, created.id, "physician_letter",
                                     expected_version=created.version, as_representative=True)  # fmt: skip
    assert "signed by the physician" in err.value.problems["signed_by"]
    with store.transaction() as s:
        assert s.scalars(sa.select(Letter.id)).all() == []


def test_only_an_admin_sets_the_letter_address_and_it_is_bounded(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina", "Nina Navigator")
    with pytest.raises(PermissionDenied):
        representative.set_letter_contact(store, nina, "500 River Rd", "")
    with pytest.raises(FieldProblem) as err:
        representative.set_letter_contact(store, admin, "\n".join(["x"] * 7), "1" * 41)
    assert set(err.value.problems) == {"letter_address", "letter_phone"}
    representative.set_letter_contact(store, admin, "500 River Rd\nKirkwood, MO 63122", "")
    assert representative.letter_contact(store, nina) == representative.LetterContact(
        ("500 River Rd", "Kirkwood, MO 63122"), None
    )


def test_the_authorization_form_names_the_navigator_and_is_logged(store):
    admin = first_org(store)
    nina = navigator(store, admin, "nina", "Nina Navigator")
    created = cases.create_case(store, nina, zelda_case())
    assert not representative.can_sign(store, nina)
    with pytest.raises(FieldProblem):  # nowhere the plan could answer yet
        representative.authorization_form(store, nina, created.id)
    representative.set_letter_contact(store, admin, "500 River Rd\nKirkwood, MO 63122", "")
    assert representative.can_sign(store, nina)
    text = docx_text(representative.authorization_form(store, nina, created.id))
    assert f"I, {PATIENT}, authorize the representative named above" in text
    assert "Nina Navigator" in text and "Riverside Cancer Center" in text
    with store.transaction() as s:
        rows = s.execute(
            sa.select(AuditEvent.object_id, AuditEvent.detail).where(
                AuditEvent.action == "authorization_form"
            )
        ).all()
    assert rows == [(created.id, "")]
    outsider = second_org(store, admin)
    with pytest.raises(NotFound):
        representative.authorization_form(store, outsider, created.id)
