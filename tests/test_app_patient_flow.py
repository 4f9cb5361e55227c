"""The patient flow below the UI: guided answers → Case, case files, letters' recipients."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coverage.case import Case, Denial, RecordsHolder
from secondlook import patient_flow as flow
from secondlook import service

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))


SAMPLE = {
    "tri": "yes",
    "text": "Sample",
    "area": "Sample text",
    "lines": "Line one\nLine two",
    "date": dt.date(2026, 1, 2),
    "count": 2,
}


@pytest.mark.parametrize("step", flow.GUIDED_STEPS + flow.LETTER_FIELD_GROUPS, ids=lambda s: s.key)
def test_every_question_writes_its_case_field_and_reads_it_back(step):
    values = {}
    for question in step.questions:
        if question.kind == "choice":
            values[question.field] = question.options[0][0]
        elif question.field in ("provider.npi",):
            values[question.field] = "1234567893"
        elif question.field == "diagnosis.icd10":
            values[question.field] = "C50.911"
        else:
            values[question.field] = SAMPLE[question.kind]
    case = flow.apply_answers(Case(), step.questions, values)
    for question in step.questions:
        assert flow.get_answer(case, question.field) == values[question.field], question.field


@pytest.mark.parametrize(
    ("field", "answer"),
    [
        ("diagnosis.newly_diagnosed", "yes"),
        ("diagnosis.rare_or_aggressive", "no"),
        ("reasons.surgery_recommended", "unknown"),
        ("provider.in_network", "no"),
        ("qualified_in_network_specialist", "no"),
        ("urgency.physician_certifies_urgent", "yes"),
    ],
)
def test_tri_state_answers_land_on_the_case(field, answer):
    step = next(s for s in flow.GUIDED_STEPS if any(q.field == field for q in s.questions))
    case = flow.apply_answers(Case(), step.questions, {field: answer})
    assert flow.get_answer(case, field) == answer


def test_not_sure_is_the_default_and_unknown_values_become_not_sure():
    step = flow.REASONS_STEP
    case = flow.apply_answers(Case(), step.questions, {"reasons.surgery_recommended": None})
    assert case.reasons.surgery_recommended == "unknown"
    for question in step.questions:
        if question.kind == "tri":
            assert ("unknown", "Not sure") in question.choices()


def test_text_is_stripped_and_blank_becomes_none():
    case = flow.apply_answers(
        Case(),
        flow.CANCER_STEP.questions,
        {"diagnosis.description": "  breast cancer, stage 2  "},
    )
    assert case.diagnosis.description == "breast cancer, stage 2"
    case = flow.apply_answers(case, flow.CANCER_STEP.questions, {"diagnosis.description": "  "})
    assert case.diagnosis.description is None


def test_address_lines_split_on_newlines():
    group = flow.LETTER_FIELD_GROUPS[0]
    case = flow.apply_answers(
        Case(), group.questions, {"patient.address_lines": "12 Elm St\n\n  Springfield, MO 65801 "}
    )
    assert case.patient.address_lines == ["12 Elm St", "Springfield, MO 65801"]
    assert flow.get_answer(case, "patient.address_lines") == "12 Elm St\nSpringfield, MO 65801"


def test_denial_yes_keeps_the_details_and_no_drops_them():
    values = {
        "denial.exists": "yes",
        "denial.notice_date": dt.date(2026, 3, 2),
        "denial.date_received": dt.date(2026, 3, 6),
        "denial.level": "internal_appeal",
        "denial.service_type": "pre_service",
        "denial.reason_quoted": "Not medically necessary",
        "denial.reference_number": "",
    }
    case = flow.apply_answers(Case(), flow.DENIAL_STEP.questions, values)
    assert case.denial == Denial(
        notice_date=dt.date(2026, 3, 2),
        date_received=dt.date(2026, 3, 6),
        level="internal_appeal",
        reason_quoted="Not medically necessary",
    )
    assert flow.get_answer(case, "denial.exists") == "yes"
    for answer in ("no", "unknown"):
        cleared = flow.apply_answers(
            case, flow.DENIAL_STEP.questions, {**values, "denial.exists": answer}
        )
        assert cleared.denial is None


def test_records_holder_is_the_first_records_from_entry():
    group = next(g for g in flow.LETTER_FIELD_GROUPS if g.key == "records")
    values = {
        "records.name": "Mercy Pathology",
        "records.address_lines": "1 Main St",
        "records.phone": "",
        "records.fax": "555-0100",
    }
    case = flow.apply_answers(Case(), group.questions, values)
    assert case.records_from == [
        RecordsHolder(name="Mercy Pathology", address_lines=["1 Main St"], fax="555-0100")
    ]
    blank = {key: "" for key in values}
    assert flow.apply_answers(case, group.questions, blank).records_from == []


def test_records_holder_without_a_name_is_an_error():
    group = next(g for g in flow.LETTER_FIELD_GROUPS if g.key == "records")
    with pytest.raises(flow.FormError) as err:
        flow.apply_answers(Case(), group.questions, {"records.name": "", "records.fax": "555"})
    assert err.value.problems == [
        ("Name of the office that has your records", "please give the name of the office.")
    ]


def test_bad_answers_name_the_question_and_never_echo_the_value():
    group = next(g for g in flow.LETTER_FIELD_GROUPS if g.key == "second_doctor")
    medical = next(g for g in flow.LETTER_FIELD_GROUPS if g.key == "medical")
    secret_npi = "12345SECRET"
    with pytest.raises(flow.FormError) as err:
        flow.apply_answers(Case(), group.questions, {"provider.npi": secret_npi})
    assert err.value.problems == [
        ("NPI number (10 digits, if you know it)", "an NPI has 10 digits.")
    ]
    assert secret_npi not in str(err.value)
    with pytest.raises(flow.FormError) as err:
        flow.apply_answers(Case(), medical.questions, {"diagnosis.icd10": "breast"})
    ((label, message),) = err.value.problems
    assert label.startswith("Diagnosis code") and "C50.911" in message
    assert "breast" not in str(err.value)


def test_answers_do_not_change_the_case_they_start_from():
    case = Case()
    flow.apply_answers(case, flow.CANCER_STEP.questions, {"diagnosis.newly_diagnosed": "yes"})
    assert case.diagnosis.newly_diagnosed == "unknown"


def test_nci_choices_never_offer_basic_laboratory_centers():
    values = [value for value, _ in flow.NCI_CHOICES]
    assert "basic_laboratory" not in values
    assert "Basic" not in " ".join(label for _, label in flow.NCI_CHOICES)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_case_file_round_trips_through_the_service_parser(path):
    case = service.load_case(path)
    text = flow.case_to_yaml(case).decode("utf-8")
    assert service.parse_case(text, flow.CASE_FILE_NAME) == case


def test_case_file_keeps_yes_and_no_as_strings():
    case = Case(plan="original-medicare")
    case.diagnosis.newly_diagnosed = "no"
    case.reasons.surgery_recommended = "yes"
    text = flow.case_to_yaml(case).decode()
    again = service.parse_case(text, "x.yaml")
    assert again.diagnosis.newly_diagnosed == "no"
    assert again.reasons.surgery_recommended == "yes"
    assert text.startswith("# Second Look case file")


def test_generic_plan_id_in_a_case_file_resolves_again():
    plan = service.generic_plan("employer_group", "MO", "self_funded")
    case = Case(plan=plan.id)
    again = service.parse_case(flow.case_to_yaml(case).decode(), "x.yaml")
    resolved = service.resolve_plan(again.plan)
    assert (resolved.market, resolved.situs_state, resolved.funding) == (
        "employer_group",
        "MO",
        "self_funded",
    )


def test_action_steps_leave_out_the_open_questions():
    case = Case(plan="mo-ppo-gateway-employer-insured")
    answer = service.check(case, as_of=dt.date(2026, 6, 1))
    assert answer.info_needed, "this case must have open questions"
    steps = flow.action_steps(answer)
    questions = {need.question for need in answer.info_needed}
    assert not questions & set(steps)
    assert set(steps) <= set(answer.next_steps)


def test_step_for_fields_points_at_the_step_that_asks():
    assert flow.step_for_fields(["provider.in_network"]) == 3
    assert flow.step_for_fields(["diagnosis.newly_diagnosed", "provider.in_network"]) == 1
    assert flow.step_for_fields(["nothing.here"]) is None
    assert flow.step_for_fields(["plan.plan_type"]) is None  # ask the plan: not in our form
    assert flow.step_for_fields(["diagnosis.newly_diagnosed", "plan.funding"]) == 0


def test_individual_market_plans_are_always_fully_insured():
    assert flow.generic_funding("individual", "unknown") == "fully_insured"
    assert flow.generic_funding("individual", "self_funded") == "fully_insured"
    assert flow.generic_funding("employer_group", "unknown") == "unknown"
    assert flow.generic_funding("employer_group", "self_funded") == "self_funded"


def test_generic_plans_are_named_without_the_placeholder_issuer():
    plan = service.generic_plan("employer_group", "MO", "unknown")
    assert flow.plan_title(plan) == plan.name


def test_letters_go_to_the_plan_contacts_and_the_records_holder():
    plan = service.resolve_plan("mo-ppo-gateway-employer-insured")
    case = Case(records_from=[RecordsHolder(name="Mercy Pathology", fax="555-0100")])
    who, lines = flow.send_to("appeal", case, plan)
    assert "appeals" in who
    contact = plan.appeals.appeals_contact
    assert all(line in lines for line in contact.address_lines)
    who, lines = flow.send_to("preauth_request", case, plan)
    assert all(line in lines for line in plan.appeals.um_contact.address_lines)
    who, lines = flow.send_to("records_request", case, plan)
    assert lines == ["Mercy Pathology", "Fax: 555-0100"]
    for letter_type in flow.LETTER_INFO:
        who, _ = flow.send_to(letter_type, case, plan)
        assert who


def test_letter_file_names_hold_no_member_data():
    assert flow.letter_filename("records_request", "docx") == "second-look-records-request.docx"


def test_every_engine_letter_type_has_a_plain_name():
    from typing import get_args

    from coverage.determination import LetterType

    assert set(flow.LETTER_INFO) == set(get_args(LetterType))


def test_deadline_lines_say_the_rule_the_law_and_the_date_checked():
    case = service.load_case(ROOT / "examples" / "cases" / "ny-final-denial-external-review.yaml")
    answer = service.check(case)
    assert answer.deadlines
    for deadline in answer.deadlines:
        lines = flow.deadline_lines(deadline)
        assert lines[0].startswith("The rule: ")
        assert any(deadline.citation in line for line in lines)
        assert all(line.endswith(".") for line in lines)


def test_fictional_plans_are_badged():
    plan = service.resolve_plan("mo-ppo-gateway-employer-insured")
    assert plan.metadata.fictional
    assert flow.FICTIONAL_BADGE in flow.plan_caption(plan)
    assert "example" in flow.plan_title(plan)
    medicare = service.resolve_plan("original-medicare")
    assert not medicare.metadata.fictional
    assert flow.FICTIONAL_BADGE not in flow.plan_caption(medicare)


def test_a_json_case_file_opens_too():
    case = service.load_case(EXAMPLES[0])
    text = case.model_dump_json(indent=2)
    assert service.parse_case(text, "case.json") == case


@pytest.mark.parametrize(
    ("text", "state", "market", "expected"),
    [
        ("missouri gateway", "", "", {"mo-ppo-gateway-employer-insured"}),
        ("Gateway Example Health Insurance", "", "", {"mo-ppo-gateway-employer-insured"}),
        ("medicare advantage", "MO", "", {"ma-hmo-riverbend-example"}),
        ("", "", "original_medicare", {"original-medicare"}),
        ("hmo", "CA", "employer_group", {"ca-hmo-pacific-employer-dmhc"}),
        ("no such plan anywhere", "", "", set()),
    ],
)
def test_plan_search_by_issuer_name_state_and_kind(text, state, market, expected):
    plans = service.catalog().plans.values()
    assert {p.id for p in flow.search_plans(plans, text, state=state, market=market)} == expected


def test_a_state_filter_keeps_plans_for_every_state():
    plans = service.catalog().plans.values()
    found = {p.id for p in flow.search_plans(plans, "", state="MO")}
    assert "original-medicare" in found  # Original Medicare is the same in every state
    assert all(service.resolve_plan(pid).situs_state in ("MO", None) for pid in found)
