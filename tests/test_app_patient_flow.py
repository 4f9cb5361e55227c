"""The patient flow below the UI: guided answers → Case, case files, letters' recipients."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coverage.case import Case, RecordsHolder
from secondlook import patient_flow as flow
from secondlook import service

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))


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
    for letter_type in flow.letter_info():
        who, _ = flow.send_to(letter_type, case, plan)
        assert who


def test_letter_file_names_hold_no_member_data():
    assert flow.letter_filename("records_request", "docx") == "second-look-records-request.docx"


def test_every_engine_letter_type_has_a_plain_name():
    from typing import get_args

    from coverage.determination import LetterType

    assert set(flow.letter_info()) == set(get_args(LetterType))


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
    assert flow.fictional_badge() in flow.plan_caption(plan)
    assert "example" in flow.plan_title(plan)
    medicare = service.resolve_plan("original-medicare")
    assert not medicare.metadata.fictional
    assert flow.fictional_badge() not in flow.plan_caption(medicare)


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


def _denied_urgent_case(**extra) -> Case:
    return Case.model_validate(
        {
            "patient": {"state": "MO"},
            "reported_plan": {"market": "employer_group"},
            "denial": {"notice_date": "2026-11-20", "date_received": "2026-11-23"},
            "urgency": {"physician_certifies_urgent": "yes"},
            **extra,
        }
    )


def test_a_denial_leads_with_the_appeal_its_date_and_the_urgent_review():
    case = _denied_urgent_case()
    plan = service.plan_for(case)
    answer = service.check(case, as_of=dt.date(2026, 11, 30))
    first = flow.appeal_first(case, plan, answer)
    assert first is not None and "urgent appeal" in first.headline
    assert any(line.startswith("File an internal appeal: ") for line in first.lines)
    review = [line for line in first.lines if "outside review at the same time" in line]
    assert review and "external_review_request" in first.letters
    assert "Other letters" not in review[0]  # it is a suggested letter, not one of the others
    assert "expedited_appeal" in first.letters
    calm = _denied_urgent_case(urgency={"physician_certifies_urgent": "no"})
    assert "urgent" not in flow.appeal_first(calm, plan, answer).headline
    assert flow.appeal_first(Case(), plan, answer) is None


def test_each_open_question_is_asked_once():
    case = Case(plan="mo-ppo-gateway-employer-insured")
    answer = service.check(case, as_of=dt.date(2026, 6, 1))
    questions = [q for q, _ in flow.open_questions(answer)]
    assert questions and len(questions) == len(set(questions))
    assert set(questions) == {need.question.strip() for need in answer.info_needed}


def test_a_percent_is_written_once():
    answer = service.check(Case(plan="original-medicare"), as_of=dt.date(2026, 6, 1))
    text = " ".join(flow.cost_lines(answer))
    assert "%%" not in text and "20%" in text


def test_a_treatment_date_is_used():
    case = _denied_urgent_case(treatment_date="2026-12-02")
    answer = service.check(case, as_of=dt.date(2026, 11, 30))
    note = flow.timing_note(case, answer)
    assert note and "December 2, 2026" in note
    assert flow.timing_note(Case(), answer) is None


def test_original_medicare_is_the_one_nationwide_plan():
    plans = service.catalog().plans.values()
    assert flow.nationwide_plan(plans, "original_medicare") == "original-medicare"
    assert flow.nationwide_plan(plans, "employer_group") is None


def test_once_her_plan_said_no_the_headline_is_what_the_rules_say_for_her_appeal():
    case = _denied_urgent_case()
    answer = service.check(case, as_of=dt.date(2026, 11, 30))
    assert answer.headline.startswith("Covered if a few things check out")
    headline = flow.answer_headline(case, answer)
    assert headline == f"For your appeal, what the rules say: {answer.headline}"
    not_denied = case.model_copy(update={"denial": None})
    assert flow.answer_headline(not_denied, answer) == answer.headline


def test_a_referral_the_papers_leave_open_is_said_once_as_a_question():
    case = Case.model_validate(
        {"patient": {"state": "MO"}, "reported_plan": {"market": "medicaid_managed_care"}}
    )
    answer = service.check(case, as_of=dt.date(2026, 11, 30))
    assert answer.referral_needed == "conditional" and answer.pa_needed == "conditional"
    questions = [q for q, _ in flow.open_questions(answer)]
    assert sum("referral" in q for q in questions) == 1
    assert sum("prior approval" in q for q in questions) == 1
    facts = flow.answer_facts(answer)
    assert flow.referral_labels()["conditional"] not in facts
    assert flow.pa_labels()["conditional"] not in facts
    known = service.check(
        Case(plan="medicaid-mco-showme-example"), as_of=dt.date(2026, 11, 30)
    )  # its papers say no referral is needed: that is said
    assert known.referral_needed == "no"
    assert flow.answer_facts(known)[0] == flow.referral_labels()["no"]
