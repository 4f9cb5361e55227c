"""The patient's questions below the UI: answers → Case through the registry, messages in the
patient's words next to the question, and where a missing field is asked."""

from __future__ import annotations

import datetime as dt

import pytest

from coverage.case import Case, Denial, RecordsHolder
from secondlook import patient_form as form

TODAY = dt.date(2026, 6, 1)
SAMPLE = {
    "tri": "yes",
    "text": "Sample",
    "area": "Sample text",
    "lines": "Line one\nLine two",
    "date": dt.date(2026, 1, 2),
    "count": 2,
    "state": "MO",
}
SHAPED = {
    "provider.npi": "1234567893",
    "diagnosis.icd10": "C50.911",
    "patient.email": "dana@example.com",
    "reported_plan.specialist_copay": "40",
    "reported_plan.specialist_coinsurance_percent": "20",
}


def sample_answer(question: form.Question):
    if question.kind == "choice":
        return question.options[0][0]
    if question.field in SHAPED:
        return SHAPED[question.field]
    if question.field.endswith((".phone", ".fax")):
        return "314-555-0100"
    return SAMPLE[question.kind]


@pytest.mark.parametrize("step", form.GUIDED_STEPS + form.LETTER_FIELD_GROUPS, ids=lambda s: s.key)
def test_every_question_writes_its_case_field_and_reads_it_back(step):
    values = {question.field: sample_answer(question) for question in step.questions}
    case = form.apply_answers(Case(), step.questions, values, today=TODAY)
    for question in step.questions:
        assert form.get_answer(case, question.field) == values[question.field], question.field


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
    step = next(s for s in form.GUIDED_STEPS if any(q.field == field for q in s.questions))
    case = form.apply_answers(Case(), step.questions, {field: answer})
    assert form.get_answer(case, field) == answer


def test_not_sure_is_the_default_and_unknown_values_become_not_sure():
    step = form.REASONS_STEP
    case = form.apply_answers(Case(), step.questions, {"reasons.surgery_recommended": None})
    assert case.reasons.surgery_recommended == "unknown"
    for question in step.questions:
        if question.kind == "tri":
            assert ("unknown", "Not sure") in question.choices()


def test_text_is_stripped_and_blank_becomes_none():
    case = form.apply_answers(
        Case(),
        form.CANCER_STEP.questions,
        {"diagnosis.description": "  breast cancer, stage 2  "},
    )
    assert case.diagnosis.description == "breast cancer, stage 2"
    case = form.apply_answers(case, form.CANCER_STEP.questions, {"diagnosis.description": "  "})
    assert case.diagnosis.description is None


def test_address_lines_split_on_newlines():
    group = form.LETTER_FIELD_GROUPS[0]
    case = form.apply_answers(
        Case(), group.questions, {"patient.address_lines": "12 Elm St\n\n  Springfield, MO 65801 "}
    )
    assert case.patient.address_lines == ["12 Elm St", "Springfield, MO 65801"]
    assert form.get_answer(case, "patient.address_lines") == "12 Elm St\nSpringfield, MO 65801"


def test_denial_yes_keeps_the_details_and_no_drops_them():
    values = {
        "denial": "yes",
        "denial.notice_date": dt.date(2026, 3, 2),
        "denial.date_received": dt.date(2026, 3, 6),
        "denial.level": "internal_appeal",
        "denial.service_type": "pre_service",
        "denial.reason_quoted": "Not medically necessary",
        "denial.reference_number": "",
    }
    case = form.apply_answers(Case(), form.DENIAL_STEP.questions, values, today=TODAY)
    assert case.denial == Denial(
        notice_date=dt.date(2026, 3, 2),
        date_received=dt.date(2026, 3, 6),
        level="internal_appeal",
        reason_quoted="Not medically necessary",
    )
    assert form.get_answer(case, "denial") == "yes"
    for answer in ("no", "unknown"):
        cleared = form.apply_answers(
            case, form.DENIAL_STEP.questions, {**values, "denial": answer}, today=TODAY
        )
        assert cleared.denial is None
        assert form.get_answer(cleared, "denial") == "unknown"


def test_a_denial_with_no_details_yet_is_kept_when_she_says_yes():
    case = form.apply_answers(Case(), form.DENIAL_STEP.questions, {"denial": "yes"})
    assert case.denial == Denial()


def test_records_holder_is_the_first_records_from_entry():
    group = next(g for g in form.LETTER_FIELD_GROUPS if g.key == "records")
    values = {
        "records_from.0.name": "Mercy Pathology",
        "records_from.0.address_lines": "1 Main St",
        "records_from.0.phone": "",
        "records_from.0.fax": "314-555-0100",
    }
    case = form.apply_answers(Case(), group.questions, values)
    assert case.records_from == [
        RecordsHolder(name="Mercy Pathology", address_lines=["1 Main St"], fax="314-555-0100")
    ]
    blank = {key: "" for key in values}
    assert form.apply_answers(case, group.questions, blank).records_from == []


def test_records_holder_without_a_name_is_an_error_next_to_the_name():
    group = next(g for g in form.LETTER_FIELD_GROUPS if g.key == "records")
    with pytest.raises(form.FormError) as err:
        form.apply_answers(
            Case(),
            group.questions,
            {"records_from.0.name": "", "records_from.0.fax": "314-555-0100"},
        )
    assert err.value.problems == [
        ("records_from.0.name", "Give the name of the office that has the records.")
    ]


def test_bad_answers_sit_next_to_their_question_and_never_echo_the_value():
    group = next(g for g in form.LETTER_FIELD_GROUPS if g.key == "second_doctor")
    medical = next(g for g in form.LETTER_FIELD_GROUPS if g.key == "medical")
    secret_npi = "12345SECRET"
    with pytest.raises(form.FormError) as err:
        form.apply_answers(Case(), group.questions, {"provider.npi": secret_npi})
    assert err.value.problems == [("provider.npi", "An NPI is 10 digits.")]
    assert secret_npi not in str(err.value)
    with pytest.raises(form.FormError) as err:
        form.apply_answers(Case(), medical.questions, {"diagnosis.icd10": "breast"})
    ((key, message),) = err.value.problems
    assert key == "diagnosis.icd10" and "C50.911" in message
    assert "breast" not in str(err.value) + message


def test_an_icd10_code_in_small_letters_is_accepted():
    medical = next(g for g in form.LETTER_FIELD_GROUPS if g.key == "medical")
    case = form.apply_answers(Case(), medical.questions, {"diagnosis.icd10": " c50.911 "})
    assert case.diagnosis.icd10 == "C50.911"


ABOUT_YOU = next(g for g in form.LETTER_FIELD_GROUPS if g.key == "about_you")


@pytest.mark.parametrize(
    ("answers", "key", "words"),
    [
        ({"patient.date_of_birth": dt.date(2027, 1, 5)}, "patient.date_of_birth", "future"),
        ({"patient.email": "dana at example"}, "patient.email", "name@example.com"),
        ({"patient.email": "dana@example"}, "patient.email", "name@example.com"),
        ({"patient.phone": "12-34"}, "patient.phone", "10 digits"),
        ({"patient.name": "x" * 501}, "patient.name", "at most 500"),
    ],
)
def test_input_is_checked_where_it_is_typed(answers, key, words):
    with pytest.raises(form.FormError) as err:
        form.apply_answers(Case(), ABOUT_YOU.questions, answers, today=TODAY)
    ((where, message),) = err.value.problems
    assert where == key and words in message
    for value in answers.values():
        assert str(value) not in message


def test_denial_dates_in_the_future_or_out_of_order_are_refused_in_plain_words():
    values = {
        "denial": "yes",
        "denial.notice_date": dt.date(2026, 3, 5),
        "denial.date_received": dt.date(2026, 3, 1),
    }
    with pytest.raises(form.FormError) as err:
        form.apply_answers(Case(), form.DENIAL_STEP.questions, values, today=TODAY)
    ((key, message),) = err.value.problems
    assert key == "denial.date_received"
    assert message == (
        "\u201cDate you got that letter\u201d is before "
        "\u201cDate printed on the letter that said no\u201d."
    )
    assert "date_received" not in message and "Value error" not in message
    future = {"denial": "yes", "denial.notice_date": dt.date(2026, 7, 1)}
    with pytest.raises(form.FormError) as err:
        form.apply_answers(Case(), form.DENIAL_STEP.questions, future, today=TODAY)
    assert err.value.problems == [
        ("denial.notice_date", "This date is in the future, check the year.")
    ]


def test_a_diagnosis_before_birth_is_refused():
    born = Case(patient={"date_of_birth": dt.date(1970, 5, 1)})
    medical = next(g for g in form.LETTER_FIELD_GROUPS if g.key == "medical")
    with pytest.raises(form.FormError) as err:
        form.apply_answers(
            born, medical.questions, {"diagnosis.date_diagnosed": dt.date(1969, 1, 1)}, today=TODAY
        )
    assert err.value.problems == [
        ("diagnosis.date_diagnosed", "This date is before the date of birth.")
    ]


def test_every_problem_of_a_page_is_reported_at_once():
    values = {"patient.email": "nope", "patient.date_of_birth": dt.date(2030, 1, 1)}
    with pytest.raises(form.FormError) as err:
        form.apply_answers(Case(), ABOUT_YOU.questions, values, today=TODAY)
    assert {key for key, _ in err.value.problems} == set(values)


def test_answers_do_not_change_the_case_they_start_from():
    case = Case()
    form.apply_answers(case, form.CANCER_STEP.questions, {"diagnosis.newly_diagnosed": "yes"})
    assert case.diagnosis.newly_diagnosed == "unknown"


def test_nci_choices_never_offer_basic_laboratory_centers():
    question = form.question("provider.nci_designation")
    assert "basic_laboratory" not in [value for value, _ in question.options]
    assert "Basic" not in " ".join(label for _, label in question.options)


def test_step_for_fields_points_at_the_first_step_of_the_route_that_asks():
    def first(paths, route="second_opinion", reported=False):
        return form.step_for_fields(paths, route, reported=reported)

    assert first(["provider.in_network"]) == "doctor"
    assert first(["diagnosis.newly_diagnosed", "provider.in_network"]) == "cancer"
    assert first(["diagnosis.newly_diagnosed", "provider.in_network"], "denied") == "doctor"
    assert first(["nothing.here"]) is None
    assert first(["plan.plan_type"]) is None  # a catalog plan's terms: ask the plan
    assert first(["diagnosis.newly_diagnosed", "plan.plan_type"], reported=True) == "plan_details"
    assert first(["plan.funding"], reported=True) == "plan_details"


def test_each_way_in_has_its_order_of_steps():
    assert form.sequence("denied", reported=True) == (
        "start", "plan", "plan_details", "denial", "timing", "doctor", "cancer", "reasons"
    )  # fmt: skip
    assert form.sequence("urgent", reported=False)[2] == "timing"
    assert form.sequence("second_opinion", reported=False)[2] == "cancer"
    for route in form.ROUTES:
        assert set(form.sequence(route, reported=True)) == {"start", "plan"} | set(form.STEP_BY_KEY)


def test_original_medicare_is_asked_in_its_own_words():
    doctor = form.step("doctor", market="original_medicare")
    labels = [q.label for q in doctor.questions]
    assert "Does this doctor accept Medicare?" in labels
    assert not any("network" in label for label in labels)
    details = form.step("plan_details", market="individual")
    assert "reported_plan.self_funded" not in [q.field for q in details.questions]
    assert "reported_plan.self_funded" in [
        q.field for q in form.step("plan_details", market="employer_group").questions
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("case.patient.name", "Your full name (under About you, above)"),
        ("case.records_from", "Name of the office that has your records (under Where your"),
        ("case.records_from[0].name", "Name of the office that has your records (under"),
        ("case.denial", "Has your plan already said no to this second opinion? (in Check my"),
        ("case.denial.notice_date", "Date printed on the letter that said no (in Check my"),
    ],
)
def test_a_missing_letter_field_is_named_by_the_question_that_asks_it(path, expected):
    assert form.where_asked(path).startswith(expected)


def test_a_problem_with_no_patient_question_never_shows_a_field_path():
    assert form.label("plan") == "one of your answers"
    assert form.label("records_from.3.fax") == "That office's fax"
