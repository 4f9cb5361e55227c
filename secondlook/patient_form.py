"""The patient's questions: which case fields each step asks, in the patient's words.

The fields, their wording and their checks come from the case-field registry
(`coverage.fields`); this module only groups them into steps and turns a bad answer into a
message that sits next to its question. It never imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from coverage import fields
from coverage.case import Case

Widget = Literal["tri", "choice", "text", "area", "lines", "date", "count", "state"]

_WIDGETS: dict[str, Widget] = {
    "answer": "tri",
    "presence": "tri",
    "choice": "choice",
    "long_text": "area",
    "address": "lines",
    "date": "date",
    "count": "count",
    "state": "state",
}

# The steps of "Check my coverage" after the plan step (which has a search box, so it is drawn
# by its page), then the groups of details only the letters need. Keys are registry keys; a list
# item is the first one (`records_from.0`): a patient names one office that has her records.
GUIDED_LAYOUT: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "cancer",
        ("diagnosis.description", "diagnosis.newly_diagnosed", "diagnosis.rare_or_aggressive"),
    ),
    (
        "reasons",
        (
            "reasons.before_treatment_starts",
            "reasons.surgery_recommended",
            "reasons.major_treatment_recommended",
            "reasons.treatment_not_working",
            "reasons.diagnosis_unclear",
            "reasons.opinions_so_far",
            "reasons.opinions_differ",
        ),
    ),
    (
        "doctor",
        (
            "provider.name",
            "provider.institution",
            "provider.in_network",
            "provider.nci_designation",
            "provider.visit_type",
            "qualified_in_network_specialist",
            "urgency.physician_certifies_urgent",
        ),
    ),
    (
        "denial",
        (
            "denial",
            "denial.notice_date",
            "denial.date_received",
            "denial.level",
            "denial.service_type",
            "denial.reason_quoted",
            "denial.reference_number",
        ),
    ),
)

LETTER_LAYOUT: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "about_you",
        (
            "patient.name",
            "patient.date_of_birth",
            "patient.member_id",
            "patient.group_number",
            "patient.address_lines",
            "patient.phone",
            "patient.email",
        ),
    ),
    (
        "second_doctor",
        (
            "provider.name",
            "provider.specialty",
            "provider.institution",
            "provider.npi",
            "provider.address_lines",
            "provider.phone",
            "provider.fax",
        ),
    ),
    (
        "your_doctor",
        (
            "referring_physician.name",
            "referring_physician.practice",
            "referring_physician.address_lines",
            "referring_physician.phone",
            "referring_physician.fax",
        ),
    ),
    (
        "records",
        (
            "records_from.0.name",
            "records_from.0.address_lines",
            "records_from.0.phone",
            "records_from.0.fax",
        ),
    ),
    (
        "medical",
        (
            "diagnosis.description",
            "diagnosis.stage",
            "diagnosis.icd10",
            "diagnosis.date_diagnosed",
            "request_sent_date",
        ),
    ),
)


@dataclass(frozen=True)
class Question:
    """One input: `field` is the registry key it writes (`records_from.0.name`)."""

    field: str
    label: str
    kind: Widget
    help: str | None = None
    options: tuple[tuple[str, str], ...] = ()

    def choices(self) -> tuple[tuple[str, str], ...]:
        return self.options


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    intro: str
    questions: tuple[Question, ...] = field(default_factory=tuple)


def question(key: str, language: str = "en") -> Question:
    words = fields.text(language)
    spec = fields.spec(key)
    options = words.choices(key) if spec.options() else ()
    return Question(
        field=key,
        label=words.label(key),
        kind=_WIDGETS.get(spec.kind, "text"),
        help=words.help(key),
        options=options,
    )


def _steps(layout: tuple[tuple[str, tuple[str, ...]], ...], language: str) -> tuple[Step, ...]:
    forms = fields.text(language).forms["patient"]
    return tuple(
        Step(
            key,
            forms[key]["title"],
            forms[key]["intro"],
            tuple(question(k, language) for k in keys),
        )
        for key, keys in layout
    )


@lru_cache(maxsize=8)
def guided_steps(language: str = "en") -> tuple[Step, ...]:
    return _steps(GUIDED_LAYOUT, language)


@lru_cache(maxsize=8)
def letter_groups(language: str = "en") -> tuple[Step, ...]:
    return _steps(LETTER_LAYOUT, language)


GUIDED_STEPS: tuple[Step, ...] = guided_steps()
LETTER_FIELD_GROUPS: tuple[Step, ...] = letter_groups()
CANCER_STEP, REASONS_STEP, DOCTOR_STEP, DENIAL_STEP = GUIDED_STEPS
STEP_TITLES: tuple[str, ...] = (fields.text().forms["patient"]["plan"]["title"],) + tuple(
    step.title for step in GUIDED_STEPS
)


# --------------------------------------------------------------------------------------------
# Answers in and out


class FormError(ValueError):
    """Answers that do not fit the case: `problems` are (field key, message) pairs, the message a
    plain sentence to show next to that question. Never the value that was typed."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(key for key, _ in problems))


def get_answer(case: Case, key: str) -> Any:
    """The current value for a question, as its widget shows it."""
    value = fields.value_of(case, key)
    spec = fields.spec(key)
    if spec.kind == "presence":
        return value or "unknown"
    if spec.kind == "address":
        return "\n".join(value or [])
    return value


def apply_answers(
    case: Case,
    questions: tuple[Question, ...],
    values: dict[str, Any],
    *,
    today: dt.date | None = None,
    language: str = "en",
) -> Case:
    """A new Case with the answers to `questions` written in (`values` keyed by field key).

    Raises FormError naming each question whose answer does not fit, in plain words.
    """
    asked = {q.field for q in questions}
    answers = {key: value for key, value in values.items() if key in asked}
    try:
        return fields.build(case, answers, today=today)
    except fields.FieldErrors as err:
        raise FormError(
            [(issue.key, problem_text(issue, language)) for issue in err.issues]
        ) from None


def label(key: str, language: str = "en") -> str:
    """What the patient pages call a field; never an internal path."""
    words = fields.text(language)
    found = fields.find(key)
    if found is not None and "patient" in words.fields.get(found.key, {}):
        return words.label(found.key)
    return words.messages["some_answer"]


def problem_text(issue: fields.Issue, language: str = "en") -> str:
    """An issue as a sentence for a patient page; other fields are named by their labels."""
    return fields.sentence(
        issue.message(language, lambda key: f"\u201c{label(key, language)}\u201d")
    )


# --------------------------------------------------------------------------------------------
# Where a field is asked (for "what we still need" and "to finish this letter, add")


def question_field(path: str) -> str | None:
    """The question's key for a path another module reports (`case.records_from[0].name`,
    `case.denial`, `case.records_from`), or None when no question asks it."""
    key = fields.key_for_path(path)
    found = fields.find(key)
    if found is None:
        return None
    if fields.pattern_of(key) != found.key:  # a part: its first field
        key = found.key
    return key.replace(fields.LIST_ITEMS, "0")


def step_for_fields(paths: list[str]) -> int | None:
    """The step that asks the first of these fields: 0 is the plan step, then the guided steps."""
    if any(p in ("plan.funding", "plan.market") for p in paths):
        return 0
    wanted = {question_field(p) for p in paths}
    for number, step in enumerate(GUIDED_STEPS, 1):
        if any(q.field in wanted for q in step.questions):
            return number
    return None


def groups_needing(paths: list[str]) -> set[str]:
    """The letter-detail groups that ask for any of these missing fields."""
    wanted = {question_field(path) for path in paths}
    return {
        group.key
        for group in LETTER_FIELD_GROUPS
        if any(question.field in wanted for question in group.questions)
    }


def where_asked(path: str, language: str = "en") -> str | None:
    """The question that asks a field and where it is, in the patient's words."""
    key = question_field(path)
    phrases = fields.text(language).phrases
    for group in letter_groups(language):
        for q in group.questions:
            if q.field == key:
                return phrases["asked_on_letters_page"].format(label=q.label, group=group.title)
    for step in guided_steps(language):
        for q in step.questions:
            if q.field == key:
                return phrases["asked_in_check"].format(label=q.label, step=step.title)
    return None


def patient_texts(language: str = "en") -> list[str]:
    """Every label, help text, option and step text the patient pages show (readability)."""
    texts: list[str] = []
    for step in guided_steps(language) + letter_groups(language):
        texts += [step.title, step.intro]
        for q in step.questions:
            texts.append(q.label)
            if q.help:
                texts.append(q.help)
            texts += [words for _, words in q.options]
    return texts
