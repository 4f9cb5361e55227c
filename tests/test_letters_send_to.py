"""The address on the denial notice wins over the plan file's (the notice governs)."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

import letters
from coverage.base import Contact
from secondlook import service

ROOT = Path(__file__).resolve().parent.parent


def text_of(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def test_external_review_goes_to_the_address_on_the_notice():
    case = service.load_case(ROOT / "examples/cases/ny-final-denial-external-review.yaml")
    plan = service.resolve_plan(case.plan)
    assert plan.external_review.contact is None  # only the notice says where
    text = text_of(
        letters.render_letter("external_review_request", case, plan, service.check(case))
    )
    assert "PO Box 7201" in text and "Albany, NY 12224" in text


def test_original_medicare_appeal_needs_the_contractor_address_from_the_msn():
    case = service.load_case(ROOT / "examples/cases/medicare-surgery-recommended.yaml")
    data = case.model_dump()
    data["denial"] = {"notice_date": "2026-05-20", "level": "initial"}
    data["referring_physician"] = {"name": "Dr. Test"}
    case = type(case).model_validate(data)
    plan = service.resolve_plan("original-medicare")
    with pytest.raises(letters.LetterError) as info:
        letters.render_letter("appeal", case, plan, service.check(case))
    assert "denial.send_to" in str(info.value)

    case.denial.send_to = Contact(
        department="Example Medicare Administrative Contractor",
        address_lines=["PO Box 9999", "Example City, FL 32201"],
    )
    case = type(case).model_validate(case.model_dump())
    text = text_of(letters.render_letter("appeal", case, plan, service.check(case)))
    assert "PO Box 9999" in text and "Redetermination" in text


def _urgent_denial_under_a_plan_she_reported(**denial):
    """Rosa's case: an employer plan she reported (self-funded: not sure), denied, urgent."""
    from coverage.case import Case

    return Case.model_validate(
        {
            "patient": {
                "name": "Rosa Example",
                "state": "MO",
                "date_of_birth": "1961-03-04",
                "member_id": "MS-204-118",
                "address_lines": ["12 Elm Street", "Springfield, MO 65801"],
            },
            "reported_plan": {
                "market": "employer_group",
                "appeals_to": {"address_lines": ["Appeals Unit", "PO Box 9000"]},
            },
            "urgency": {"physician_certifies_urgent": "yes"},
            "provider": {"name": "Dr. Ada Example"},
            "referring_physician": {"name": "Dr. Rae Example"},
            "denial": {"notice_date": "2026-11-20", "date_received": "2026-11-23", **denial},
        }
    )


def test_the_outside_review_goes_where_her_plans_letter_says():
    """No reviewer is known for a plan she reported: the letters page asks for the place her
    plan's letter names, on the page itself, and the request is then addressed there."""
    from secondlook import patient_flow, patient_form

    case = _urgent_denial_under_a_plan_she_reported()
    plan = service.plan_for(case)
    answer = service.check(case, plan)
    assert "external_review_request" in answer.letters
    [status] = [
        s
        for s in service.letters_for(case, plan, answer)
        if s.letter_type == "external_review_request"
    ]
    assert status.problem is not None and status.problem.kind == "missing"
    paths = [p for p, _ in status.problem.fields]
    assert patient_flow.missing_field_labels(list(status.problem.fields)) == [
        "The address the letter gives for an outside review "
        "(under Where to ask for an outside review, above)"
    ]
    assert "outside_review" in patient_form.groups_needing(paths)
    assert "outside_review" in {g.key for g in patient_form.letter_groups_for(case)}
    assert "outside_review" not in {
        g.key for g in patient_form.letter_groups_for(case.model_copy(update={"denial": None}))
    }

    group = next(g for g in patient_form.letter_groups_for(case) if g.key == "outside_review")
    answered = patient_form.apply_answers(
        case,
        group.questions,
        {
            "denial.external_review_to.name": "Example Review Organization",
            "denial.external_review_to.address_lines": "PO Box 4000\nJefferson City, MO 65102",
            "denial.external_review_to.fax": "573-555-0190",
        },
    )
    result = service.render_letter("external_review_request", answered, plan, answer)
    assert isinstance(result, service.RenderedLetter), result
    text = text_of(result.docx)
    assert "Example Review Organization" in text and "PO Box 4000" in text
    assert "573-555-0190" in text
    who, lines = patient_flow.send_to("external_review_request", answered, plan)
    assert who == "The outside reviewer"
    assert "Example Review Organization" in lines and "PO Box 4000" in lines
    appeal = service.render_letter("expedited_appeal", answered, plan, answer)
    assert "PO Box 9000" in text_of(appeal.docx)  # the appeal still goes to the plan


def test_the_copy_to_a_plan_with_no_company_name_says_whose_plan():
    case = _urgent_denial_under_a_plan_she_reported(
        external_review_to={"name": "Example Review Organization", "address_lines": ["PO Box 4"]}
    )
    plan = service.plan_for(case)
    result = service.render_letter("external_review_request", case, plan, service.check(case))
    text = "\n".join(
        c.text
        for t in docx.Document(io.BytesIO(result.docx)).tables
        for r in t.rows
        for c in r.cells
    ) + text_of(result.docx)
    assert "My health plan, appeals department" in text and "Your plan," not in text


def test_a_letter_to_a_fax_number_only_is_not_said_to_go_by_mail():
    from letters.parts import delivery_line

    assert delivery_line("314-555-0102", mail=False) == "By fax to 314-555-0102"
    assert delivery_line("314-555-0102") == "By fax to 314-555-0102 and by mail"
    case = _urgent_denial_under_a_plan_she_reported()
    case = type(case).model_validate(
        case.model_dump()
        | {"reported_plan": {"market": "employer_group", "appeals_to": {"fax": "314-555-0199"}}}
    )
    plan = service.plan_for(case)
    result = service.render_letter("claim_file_request", case, plan, service.check(case))
    text = text_of(result.docx)
    assert "By fax to 314-555-0199" in text and "and by mail" not in text
