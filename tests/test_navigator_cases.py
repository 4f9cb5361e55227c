"""Navigator cases: create, list, search, filters, pipeline, deadline board, call log, notes,
documents. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from navigator_helpers import MEMBER_ID, PATIENT, first_org, navigator, zelda_case
from pydantic import ValidationError

from coverage.case import Case, Patient
from navigator import cases, facts
from navigator.errors import FieldProblem, InvalidTransition, NotFound

# zelda_case(): denial received 2026-04-02, so the internal appeal must be filed by 2026-09-29.
APPEAL_DUE = dt.date(2026, 9, 29)
AS_OF = dt.date(2026, 4, 6)


@pytest.fixture
def team(store):
    admin = first_org(store)
    return admin, navigator(store, admin, "nina", "Nina Navigator")


def test_create_and_open_a_case_round_trips_the_facts(store, team):
    _, nina = team
    case = zelda_case()
    created = cases.create_case(store, nina, case, as_of=AS_OF)
    assert created.version == 1 and created.status == "intake"
    assert created.assigned_to.display_name == "Nina Navigator"
    opened = cases.open_case(store, nina, created.id)
    assert opened.case == case  # the same coverage.case.Case model, stored as JSON
    assert opened.determination is not None and opened.coverage_error is None
    assert opened.determination.plan_id == "mo-ppo-riverfront-employer-self-funded"
    assert [h.to_status for h in opened.history] == ["intake"]


def test_deadlines_come_from_the_coverage_core(store, team):
    from secondlook import service

    _, nina = team
    created = cases.create_case(store, nina, zelda_case(), as_of=AS_OF)
    expected = service.check(zelda_case(), as_of=AS_OF).deadlines
    assert [(d.key, d.due) for d in created.deadlines] == [(d.id, d.due) for d in expected]
    assert next(d for d in created.deadlines if d.key == "internal_appeal_filing").due == APPEAL_DUE


def test_a_case_without_a_plan_is_stored_with_a_reason_not_an_answer(store, team):
    _, nina = team
    created = cases.create_case(store, nina, Case(patient=Patient(name=PATIENT)))
    assert created.determination is None
    assert "No plan chosen" in created.coverage_error
    assert created.deadlines == []


def test_unknown_plan_and_plan_paths_give_a_reason(store, team):
    _, nina = team
    unknown = cases.create_case(store, nina, zelda_case(plan="no-such-plan"))
    assert "could not be used" in unknown.coverage_error and "no-such-plan" in (
        unknown.coverage_error
    )
    # A path is refused by the Case model itself, before any store or plan lookup sees it.
    with pytest.raises(ValidationError) as info:
        zelda_case(plan="/etc/passwd")
    assert "not a file path" in str(info.value)


def test_search_by_name_member_id_reference_and_number(store, team):
    _, nina = team
    z = cases.create_case(store, nina, zelda_case())
    other = cases.create_case(
        store, nina, zelda_case(case_id="RS-0002", patient=Patient(name="Otto Other"))
    )
    ids = lambda **kw: [c.id for c in cases.list_cases(store, nina, **kw)]  # noqa: E731
    assert ids(search="zelda") == [z.id]
    assert ids(search="TESTPATIENT zel") == [z.id]  # every word must match
    assert ids(search=MEMBER_ID.lower()) == [z.id]
    assert ids(search="rs-0002") == [other.id]
    assert ids(search=f"#{other.id}") == [other.id]
    assert ids(search="nobody") == []
    assert ids(search="%") == []  # LIKE wildcards are escaped


def test_filters_status_plan_navigator_and_deadline(store, team):
    admin, nina = team
    tom = navigator(store, admin, "tom", "Tom Navigator")
    denied = cases.create_case(store, nina, zelda_case(), status="denied", as_of=AS_OF)
    no_denial = zelda_case(
        case_id="RS-0003", plan="original-medicare", denial=None, request_sent_date=None
    )
    intake = cases.create_case(store, nina, no_denial, assigned_to_id=tom.user_id)
    ids = lambda **kw: {c.id for c in cases.list_cases(store, nina, **kw)}  # noqa: E731
    assert ids(statuses=["denied"]) == {denied.id}
    assert ids(statuses=["denied", "intake"]) == {denied.id, intake.id}
    assert ids(plan_id="original-medicare") == {intake.id}
    assert ids(assigned_to_id=tom.user_id) == {intake.id}
    assert ids(assigned_to_id=nina.user_id) == {denied.id}
    assert ids(deadline="week", today=APPEAL_DUE - dt.timedelta(days=7)) == {denied.id}
    assert ids(deadline="week", today=APPEAL_DUE - dt.timedelta(days=8)) == set()
    assert ids(deadline="later", today=APPEAL_DUE - dt.timedelta(days=8)) == {denied.id}
    assert ids(deadline="overdue", today=APPEAL_DUE + dt.timedelta(days=1)) == {denied.id}
    assert ids(deadline="overdue", today=APPEAL_DUE) == set()
    assert ids(deadline="none") == {intake.id}
    assert cases.plan_ids_in_use(store, nina) == [
        "mo-ppo-riverfront-employer-self-funded",
        "original-medicare",
    ]


def test_deadline_board_overdue_and_due_within_7_days(store, team):
    _, nina = team
    denied = cases.create_case(store, nina, zelda_case(), status="denied", as_of=AS_OF)
    soon = cases.deadline_board(store, nina, today=APPEAL_DUE - dt.timedelta(days=3))
    assert soon.overdue == []
    assert [(i.case_id, i.title, i.days) for i in soon.due_soon] == [
        (denied.id, "File an internal appeal", 3)
    ]
    late = cases.deadline_board(store, nina, today=APPEAL_DUE + dt.timedelta(days=2))
    assert [(i.case_id, i.days) for i in late.overdue] == [(denied.id, -2)]
    assert late.due_soon == []
    far = cases.deadline_board(store, nina, today=APPEAL_DUE - dt.timedelta(days=30))
    assert far.overdue == far.due_soon == []


def test_board_shows_only_the_deadlines_that_matter_for_the_status(store, team):
    _, nina = team
    c = cases.create_case(store, nina, zelda_case(), status="denied", as_of=AS_OF)
    # Once the appeal is filed the filing deadline no longer matters.
    cases.save_case(store, nina, c.id, c.version, status="appeal", as_of=AS_OF)
    board = cases.deadline_board(store, nina, today=APPEAL_DUE + dt.timedelta(days=2))
    assert all(i.kind == "decide_by" for i in board.overdue + board.due_soon)
    closed = cases.open_case(store, nina, c.id)
    cases.save_case(store, nina, c.id, closed.version, status="closed", as_of=AS_OF)
    board = cases.deadline_board(store, nina, today=dt.date(2030, 1, 1))
    assert board.overdue == board.due_soon == []


def test_status_pipeline_allows_forward_back_and_close_only(store, team):
    _, nina = team
    c = cases.create_case(store, nina, zelda_case())
    with pytest.raises(InvalidTransition, match="cannot move from Intake to Approved"):
        cases.save_case(store, nina, c.id, c.version, status="approved")
    v = c.version
    for status in ["coverage_checked", "request_sent", "awaiting_decision", "denied", "appeal",
                   "external_review", "approved", "closed", "intake"]:  # fmt: skip
        v = cases.save_case(store, nina, c.id, v, status=status).version
    detail = cases.open_case(store, nina, c.id)
    assert [h.to_status for h in detail.history][-3:] == ["approved", "closed", "intake"]
    assert detail.history[1].from_status == "intake"


def test_editing_facts_recomputes_the_answer(store, team):
    _, nina = team
    c = cases.create_case(store, nina, zelda_case(plan=None))
    assert c.determination is None
    edited = facts.apply_changes(c.case, {"plan": "original-medicare"})
    saved = cases.save_case(store, nina, c.id, c.version, edited)
    assert saved.version == c.version + 1
    assert saved.determination.plan_id == "original-medicare"


def test_assigning_to_a_user_of_another_org_or_inactive_is_refused(store, team):
    from navigator_helpers import second_org

    from navigator import auth

    admin, nina = team
    other_admin = second_org(store, admin)
    c = cases.create_case(store, nina, zelda_case())
    with pytest.raises(FieldProblem):
        cases.save_case(store, nina, c.id, c.version, assigned_to_id=other_admin.user_id)
    tom = navigator(store, admin, "tom")
    auth.update_user(store, admin, tom.user_id, active=False)
    with pytest.raises(FieldProblem):
        cases.save_case(store, nina, c.id, c.version, assigned_to_id=tom.user_id)
    assert cases.open_case(store, nina, c.id).version == c.version


def test_call_log_entries_are_kept_and_citable(store, team):
    _, nina = team
    c = cases.create_case(store, nina, zelda_case())
    call = cases.add_call(
        store, nina, c.id, call_date=dt.date(2026, 4, 3), person="Dana, UM nurse",
        organisation="Riverfront Health", reference_number="CALL-778",
        summary="Said the gap exception form was never received.", channel="phone",
    )  # fmt: skip
    detail = cases.open_case(store, nina, c.id)
    assert detail.calls == [call]
    assert call.citation() == (
        "On 2026-04-03 by phone, Dana, UM nurse (Riverfront Health), reference number CALL-778: "
        "Said the gap exception form was never received."
    )
    with pytest.raises(FieldProblem) as err:
        cases.add_call(store, nina, c.id, call_date=dt.date(2026, 4, 3), person=" ", summary="",
                       channel="pigeon")  # fmt: skip
    assert set(err.value.problems) == {"person", "summary", "channel"}
    with pytest.raises(FieldProblem, match="future"):
        cases.add_call(store, nina, c.id, call_date=dt.date(2026, 4, 30), person="X",
                       summary="Y", today=dt.date(2026, 4, 3))  # fmt: skip


def test_notes_and_documents(store, team):
    _, nina = team
    c = cases.create_case(store, nina, zelda_case())
    cases.add_note(store, nina, c.id, "Patient prefers phone calls after 3pm.")
    pdf = b"%PDF-1.4 denial letter bytes"
    doc = cases.add_document(store, nina, c.id, kind="denial_letter",
                             filename="C:\\Users\\x\\Zelda denial.pdf",
                             content_type="application/pdf", data=pdf)  # fmt: skip
    assert doc.filename == "Zelda denial.pdf" and doc.size == len(pdf)
    info, data = cases.document_content(store, nina, c.id, doc.id)
    assert data == pdf and info.sha256 == doc.sha256
    detail = cases.open_case(store, nina, c.id)
    assert [n.body for n in detail.notes] == ["Patient prefers phone calls after 3pm."]
    assert [d.id for d in detail.documents] == [doc.id]
    with pytest.raises(FieldProblem):
        cases.add_note(store, nina, c.id, "   ")
    with pytest.raises(FieldProblem):
        cases.add_document(store, nina, c.id, kind="denial_letter", filename="e.pdf",
                           content_type=None, data=b"")  # fmt: skip
    with pytest.raises(NotFound):
        cases.document_content(store, nina, c.id, doc.id + 100)


def test_a_reference_names_one_case_in_an_organisation(store, team):
    admin, nina = team
    first = cases.create_case(store, nina, zelda_case())
    with pytest.raises(FieldProblem) as err:
        cases.create_case(store, nina, zelda_case(patient=Patient(name="Otto Other")))
    assert set(err.value.problems) == {"case_id"}
    assert f"case #{first.id}" in err.value.problems["case_id"]
    assert err.value.label("case_id") == "Your reference"
    other = cases.create_case(store, nina, zelda_case(case_id="RS-0002"))
    with pytest.raises(FieldProblem):  # renaming onto a used reference is refused too
        cases.save_case(store, nina, other.id, other.version, zelda_case(case_id="RS-0001"))
    saved = cases.save_case(
        store, nina, first.id, first.version, zelda_case(qualified_in_network_specialist="yes")
    )
    assert saved.case.case_id == "RS-0001"  # keeping its own reference is fine
    assert len(cases.list_cases(store, nina)) == 2
    # Another organisation may use the same reference.
    from navigator_helpers import second_org

    lake = second_org(store, admin)
    assert cases.create_case(store, lake, zelda_case()).case.case_id == "RS-0001"


def test_search_by_last_first_and_by_date_of_birth(store, team):
    _, nina = team
    z = cases.create_case(store, nina, zelda_case())  # born 1971-05-04
    other = cases.create_case(
        store, nina,
        zelda_case(case_id="RS-0002", patient=Patient(name="Otto Other",
                                                      date_of_birth=dt.date(1980, 1, 2))),
    )  # fmt: skip
    ids = lambda text: [c.id for c in cases.list_cases(store, nina, search=text)]  # noqa: E731
    assert ids("Testpatient, Zelda") == [z.id]
    assert ids("testpatient,zelda") == [z.id]
    assert ids("Other, Zelda") == []
    assert ids("1971-05-04") == [z.id]
    assert ids("05/04/1971") == [z.id]
    assert ids("5/4/1971") == [z.id]
    assert ids("1/2/1980") == [other.id]
    assert ids("Other 1971-05-04") == []  # every word must match
    assert ids("13/45/1971") == []  # not a date: searched as text, found nowhere
    assert ids("RS-0002") == [other.id]


def test_calls_notes_and_documents_raise_the_case_version(store, team):
    _, nina = team
    c = cases.create_case(store, nina, zelda_case())
    cases.add_call(store, nina, c.id, call_date=dt.date(2026, 4, 3), person="Dana",
                   summary="Form not received.", today=dt.date(2026, 4, 3))  # fmt: skip
    assert cases.current_version(store, nina, c.id).version == c.version + 1
    cases.add_note(store, nina, c.id, "Call back Tuesday.")
    cases.add_document(store, nina, c.id, kind="other", filename="a.pdf",
                       content_type="application/pdf", data=b"%PDF-1.4")  # fmt: skip
    latest = cases.current_version(store, nina, c.id)
    assert latest.version == c.version + 3 and latest.updated_by == "Nina Navigator"
    # A colleague who opened the case before the call cannot save over it.
    from navigator.errors import CaseConflict

    with pytest.raises(CaseConflict):
        cases.save_case(store, nina, c.id, c.version, status="coverage_checked")


def test_each_status_is_offered_once():
    from navigator import pipeline

    for status in pipeline.LABELS:
        moves = pipeline.next_statuses(status)
        assert len(moves) == len(set(moves)), status
    assert pipeline.next_statuses("appeal").count("denied") == 1


def test_typed_text_is_bounded_and_refused_whole_never_cut(store, team):
    """A pasted novel, or a script posting megabytes, is refused with the field and the limit
    (the text itself is not repeated); nothing is stored, and nothing is silently shortened."""
    from navigator import tasks

    _, nina = team
    c = cases.create_case(store, nina, zelda_case())
    too_long = "x" * (cases.MAX_TEXT + 1)
    with pytest.raises(FieldProblem) as err:
        cases.add_note(store, nina, c.id, too_long)
    assert err.value.problems == {"note": f"is longer than {cases.MAX_TEXT:,} characters"}
    with pytest.raises(FieldProblem) as err:
        cases.add_call(store, nina, c.id, call_date=dt.date(2026, 4, 3),
                       person="D" * (cases.MAX_LINE + 1), organisation="O" * (cases.MAX_LINE + 1),
                       reference_number="R" * (cases.MAX_REFERENCE + 1), summary=too_long,
                       today=dt.date(2026, 4, 3))  # fmt: skip
    assert set(err.value.problems) == {"person", "organisation", "reference_number", "summary"}
    assert "DDD" not in str(err.value.problems) and "RRR" not in str(err.value.problems)
    with pytest.raises(FieldProblem) as err:
        tasks.add_task(store, nina, c.id, title="Read this", due=dt.date(2026, 4, 9),
                       note=too_long)  # fmt: skip
    assert set(err.value.problems) == {"note"}
    detail = cases.open_case(store, nina, c.id)
    assert detail.notes == [] and detail.calls == []
    assert tasks.case_tasks(store, nina, c.id) == []
    # At the limit, kept whole.
    longest = "y" * cases.MAX_LINE
    call = cases.add_call(store, nina, c.id, call_date=dt.date(2026, 4, 3), person=longest,
                          reference_number="R" * cases.MAX_REFERENCE, summary="Said yes.",
                          today=dt.date(2026, 4, 3))  # fmt: skip
    assert call.person == longest and call.reference_number == "R" * cases.MAX_REFERENCE
