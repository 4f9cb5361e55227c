"""The case-field registry: every field is a real Case field, every surface's words exist, and
the one path-setter and translator behave the same for everyone."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from pydantic import ValidationError

from coverage import fields
from coverage.case import Case
from navigator import case_form
from secondlook import patient_form

TODAY = dt.date(2026, 6, 1)
ENGLISH = fields.text("en")


def concrete(key: str) -> str:
    return key.replace(fields.LIST_ITEMS, "0")


@pytest.mark.parametrize("spec", fields.FIELDS, ids=lambda s: s.key)
def test_every_field_is_a_case_field(spec):
    fields.value_of(Case(), concrete(spec.key))  # raises AttributeError when misspelt
    for value in spec.options():
        assert value in fields.spec(spec.key).options()


def test_keys_and_batch_columns_are_unique():
    keys = [s.key for s in fields.FIELDS]
    assert len(keys) == len(set(keys))
    columns = [s.column for s in fields.FIELDS if s.column]
    assert len(columns) == len(set(columns))


def test_only_one_field_catalogue_exists():
    """The surfaces list which registry keys they show; none defines a field of its own."""
    surface_keys = [f.path for f in case_form.ALL_FIELDS]
    surface_keys += [
        q.field
        for s in patient_form.GUIDED_STEPS + patient_form.LETTER_FIELD_GROUPS
        for q in s.questions
    ]
    for key in surface_keys:
        assert fields.find(key) is not None, key
    from secondlook.batch.columns import COLUMNS

    batch_only = [c.name for c in COLUMNS if not c.key]
    assert batch_only == ["letters"]  # the one column of the batch's own
    for column in COLUMNS:
        assert column.key == "" or fields.find(column.key) is not None, column.name


@pytest.mark.parametrize("spec", fields.FIELDS, ids=lambda s: s.key)
def test_every_field_has_its_words(spec):
    words = ENGLISH.fields.get(spec.key, {})
    if spec.column:
        assert words.get("column"), f"{spec.key}: no batch column description"
    if spec.options():
        group = "answer" if spec.kind in ("answer", "presence") else spec.key
        for audience, choices in ENGLISH.options[group].items():
            assert set(choices) <= set(spec.options()), (spec.key, audience)


def test_every_question_and_form_field_has_a_label():
    for field in case_form.ALL_FIELDS:
        assert field.label and field.label != field.path
    for step in patient_form.GUIDED_STEPS + patient_form.LETTER_FIELD_GROUPS:
        assert step.title and step.intro
        for question in step.questions:
            assert question.label
            if question.kind in ("tri", "choice"):
                assert question.options


def test_every_message_a_translation_can_produce_exists():
    codes = set(fields._PYDANTIC_CODES.values()) | set(fields._SHAPE_CODES.values())
    codes |= {"too_long", "too_many_lines", "email", "phone", "future", "before_birth"}
    codes |= {"records_name", "invalid", "shape", "some_answer"}
    assert codes <= set(ENGLISH.messages)


@pytest.mark.parametrize("language", fields.LANGUAGES)
def test_no_language_misses_a_word_a_patient_reads(language):
    assert fields.missing_words(fields.text(language)) == []


def test_a_missing_translation_is_found():
    fields_without_one = {k: dict(v) for k, v in ENGLISH.fields.items()}
    del fields_without_one["patient.name"]["patient"]
    messages = dict(ENGLISH.messages)
    del messages["npi"]
    partial = dataclasses.replace(ENGLISH, fields=fields_without_one, messages=messages)
    assert fields.missing_words(partial) == ["fields.patient.name.patient", "messages.npi"]


# --- the one path-setter ----------------------------------------------------------------------


def test_build_writes_nested_fields_and_never_changes_the_case_it_starts_from():
    case = Case()
    built = fields.build(
        case,
        {"patient.name": "  Ann Example ", "provider.address_lines": "1 Main St\n\nTown, MO"},
        today=TODAY,
    )
    assert built.patient.name == "Ann Example"
    assert built.provider.address_lines == ["1 Main St", "Town, MO"]
    assert case.patient.name is None


def test_a_part_exists_while_one_of_its_fields_says_something():
    with_address = fields.build(Case(), {"denial.send_to.name": "Appeals Unit"}, today=TODAY)
    assert with_address.denial is not None and with_address.denial.send_to.name == "Appeals Unit"
    emptied = fields.build(
        with_address, {"denial.send_to.name": "", "denial.level": "initial"}, today=TODAY
    )
    assert emptied.denial is None  # only defaults left: no denial
    untouched = fields.build(with_address, {"patient.name": "Ann"}, today=TODAY)
    assert untouched.denial == with_address.denial


def test_list_items_are_compacted_and_problems_keep_the_index_as_entered():
    answers = {
        "records_from.0.name": "",
        "records_from.1.name": "Lab",
        "records_from.2.phone": "314-555-0100",
    }
    with pytest.raises(fields.FieldErrors) as err:
        fields.build(Case(), answers, today=TODAY)
    assert [(i.key, i.code) for i in err.value.issues] == [("records_from.2.name", "records_name")]
    built = fields.build(Case(), {"records_from.1.name": "Lab"}, today=TODAY)
    assert [h.name for h in built.records_from] == ["Lab"]


# --- the one translator -----------------------------------------------------------------------


def test_pydantic_errors_become_plain_issues_with_no_model_text():
    data = {
        "patient": {"state": "Missouri", "date_of_birth": "not a date"},
        "provider": {"npi": "123"},
        "reasons": {"opinions_so_far": 42},
        "denial": {"notice_date": "2026-03-05", "date_received": "2026-03-01"},
        "plan": "../etc/passwd",
    }
    with pytest.raises(ValidationError) as caught:
        Case.model_validate(data)
    issues = {i.key: i for i in fields.issues_from(caught.value)}
    assert {k: i.code for k, i in issues.items()} == {
        "patient.state": "state",
        "patient.date_of_birth": "date",
        "provider.npi": "npi",
        "reasons.opinions_so_far": "range",
        "denial.date_received": "received_before_notice",
        "plan": "plan_id",
    }
    messages = [i.message() for i in issues.values()]
    assert "denial.date_received is before denial.notice_date" in messages
    assert "use a number from 0 to 10" in messages
    joined = " ".join(messages)
    for model_words in ("Input should", "Value error", "pattern", "secondlook plans list"):
        assert model_words not in joined
    for value in ("Missouri", "passwd", "42", "123"):
        assert value not in joined


def test_each_surface_names_the_other_field_its_own_way():
    issue = fields.Issue(
        "denial.date_received", "received_before_notice", (("other", "denial.notice_date"),)
    )
    columns = {s.key: s.column for s in fields.FIELDS}
    assert issue.message(name=columns.get) == "denial_received_date is before denial_notice_date"
    assert fields.sentence(issue.message(name=case_form.label)) == (
        "Denial received on is before Denial notice dated."
    )


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (
            "email",
            ["dana@example.com", "a.b+c@mail.example.org"],
            ["dana at example", "a@b", "@x.com"],
        ),
        (
            "phone",
            [
                "314-555-0100",
                "(314) 555-0100",
                "1 314 555 0100",
                "314.555.0100 ext. 12",
                "+44 20 7946 0958",
            ],
            ["555-0100", "call me", "12345678901234567", "314-555-01000"],
        ),
    ],
)
def test_email_and_phone_shapes(kind, good, bad):
    spec = next(s for s in fields.FIELDS if s.kind == kind)
    for value in good:
        fields.check(spec, value, TODAY)
    for value in bad:
        with pytest.raises(ValueError):
            fields.check(spec, value, TODAY)
