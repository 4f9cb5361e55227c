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

from coverage import fields, markets
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

# The steps of "Check my coverage" after the plan steps (the plan search has a search box, so
# its page draws it), then the groups of details only the letters need. Keys are registry keys;
# a list item is the first one (`records_from.0`): a patient names one office with her records.
_PLAN_DETAILS: tuple[str, ...] = (
    "reported_plan.name",
    "reported_plan.issuer",
    "reported_plan.plan_type",
    "reported_plan.self_funded",
    "reported_plan.requests_to.name",
    "reported_plan.requests_to.address_lines",
    "reported_plan.requests_to.fax",
    "reported_plan.requests_to.phone",
    "reported_plan.requests_to.portal",
    "reported_plan.appeals_to.name",
    "reported_plan.appeals_to.address_lines",
    "reported_plan.appeals_to.fax",
    "reported_plan.appeals_to.phone",
    "reported_plan.appeals_to.portal",
    "reported_plan.has_sbc",
    "reported_plan.specialist_copay",
    "reported_plan.specialist_coinsurance_percent",
    "reported_plan.referral_required",
    "reported_plan.prior_auth_required",
)
GUIDED_LAYOUT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("plan_details", _PLAN_DETAILS),
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
        ),
    ),
    ("timing", ("urgency.physician_certifies_urgent", "treatment_date")),
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
            "denial.claim_number",
        ),
    ),
)

# The three ways in, and the order of the steps for each: the denial route leads with the
# denial, the urgent one with the doctor's word and the date of treatment.
Route = Literal["second_opinion", "denied", "urgent"]
ROUTES: tuple[Route, ...] = ("second_opinion", "denied", "urgent")
ROUTE_STEPS: dict[str, tuple[str, ...]] = {
    "second_opinion": ("cancer", "reasons", "doctor", "timing", "denial"),
    "denied": ("denial", "timing", "doctor", "cancer", "reasons"),
    "urgent": ("timing", "denial", "doctor", "cancer", "reasons"),
}

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
        # Only once her plan has said no (`letter_groups_for`): its letter names the place.
        "outside_review",
        (
            "denial.external_review_to.name",
            "denial.external_review_to.address_lines",
            "denial.external_review_to.fax",
            "denial.external_review_to.phone",
            "denial.external_review_to.portal",
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


def not_asked(market: str | None) -> frozenset[str]:
    """Questions that do not apply to a kind of plan, from its market profile: no network
    question where there is no network (Original Medicare), no self-funded question where a
    plan cannot be self-funded, no prior-approval address where there is no prior approval."""
    if not market or market not in markets.MARKETS:
        return frozenset()
    profile = markets.profile(market)
    skipped: set[str] = set()
    if not profile.features.network:
        skipped.add("qualified_in_network_specialist")
    if "self_funded" not in profile.plan_rules.funding:
        skipped.add("reported_plan.self_funded")
    if not profile.features.prior_authorization:
        skipped |= {k for k in _PLAN_DETAILS if k.startswith("reported_plan.requests_to.")}
        skipped.add("reported_plan.prior_auth_required")
    return frozenset(skipped)


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


def question(key: str, language: str = "en", market: str | None = None) -> Question:
    """A field as the patient pages ask it; some words depend on the kind of plan (Original
    Medicare: "Does this doctor accept Medicare?")."""
    words = fields.text(language)
    spec = fields.spec(key)
    options = words.choices(key) if spec.options() else ()
    by_market = words.fields.get(spec.key, {})
    return Question(
        field=key,
        label=by_market.get(f"patient_{market}") or words.label(key),
        kind=_WIDGETS.get(spec.kind, "text"),
        help=by_market.get(f"patient_help_{market}") or words.help(key),
        options=options,
    )


def _steps(
    layout: tuple[tuple[str, tuple[str, ...]], ...], language: str, market: str | None = None
) -> tuple[Step, ...]:
    forms = fields.text(language).forms["patient"]
    skipped = not_asked(market)
    return tuple(
        Step(
            key,
            forms[key]["title"],
            forms[key].get(f"intro_{market}") or forms[key]["intro"],
            tuple(question(k, language, market) for k in keys if k not in skipped),
        )
        for key, keys in layout
    )


@lru_cache(maxsize=64)
def guided_steps(language: str = "en", market: str | None = None) -> tuple[Step, ...]:
    return _steps(GUIDED_LAYOUT, language, market)


@lru_cache(maxsize=8)
def letter_groups(language: str = "en") -> tuple[Step, ...]:
    return _steps(LETTER_LAYOUT, language)


def letter_groups_for(case: Case, language: str = "en") -> tuple[Step, ...]:
    """The letter-detail groups for this case: where to ask for an outside review only when
    her plan has said no (its letter names the place; an answer there would make a denial)."""
    return tuple(
        group
        for group in letter_groups(language)
        if group.key != "outside_review" or case.denial is not None
    )


def step(key: str, language: str = "en", market: str | None = None) -> Step:
    return next(s for s in guided_steps(language, market) if s.key == key)


def sequence(route: str, *, reported: bool) -> tuple[str, ...]:
    """The step keys of "Check my coverage" in order: the way in, the plan, the plan's details
    when the plan is not in our list, then the route's questions."""
    details = ("plan_details",) if reported else ()
    return ("start", "plan", *details, *ROUTE_STEPS.get(route, ROUTE_STEPS["second_opinion"]))


def route_of(case: Case) -> Route:
    """The way in a saved case file implies: a denial first, then urgency."""
    if case.denial is not None:
        return "denied"
    if case.urgency.physician_certifies_urgent == "yes":
        return "urgent"
    return "second_opinion"


GUIDED_STEPS: tuple[Step, ...] = guided_steps()
LETTER_FIELD_GROUPS: tuple[Step, ...] = letter_groups()
STEP_BY_KEY: dict[str, Step] = {s.key: s for s in GUIDED_STEPS}
DENIAL_STEP = STEP_BY_KEY["denial"]
CANCER_STEP = STEP_BY_KEY["cancer"]
REASONS_STEP = STEP_BY_KEY["reasons"]
DOCTOR_STEP = STEP_BY_KEY["doctor"]


def step_title(key: str, language: str = "en") -> str:
    return fields.text(language).forms["patient"][key]["title"]


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
    if spec.kind in ("money", "percent") and value is not None:
        return str(value)
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
    return write(case, answers, today=today, language=language)


def write(
    case: Case, answers: dict[str, Any], *, today: dt.date | None = None, language: str = "en"
) -> Case:
    """A new Case with `answers` ({field key: value}) written in; FormError in plain words."""
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


def has_question(key: str, language: str = "en") -> bool:
    """Whether the patient pages have words to ask this field."""
    found = fields.find(key)
    return found is not None and "patient" in fields.text(language).fields.get(found.key, {})


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
    for prefix, asked in PLAN_CONTACTS.items():
        if path.startswith(prefix):
            return asked
    key = fields.key_for_path(path)
    found = fields.find(key)
    if found is None:
        return None
    if fields.pattern_of(key) != found.key:  # a part: its first field
        key = found.key
    return key.replace(fields.LIST_ITEMS, "0")


# What the engine asks about a plan, and the question on the plan-details step that answers it.
PLAN_QUESTIONS: dict[str, str] = {
    "plan.plan_type": "reported_plan.plan_type",
    "plan.funding": "reported_plan.self_funded",
    "plan.second_opinion.in_network.referral_required": "reported_plan.referral_required",
    "plan.second_opinion.in_network.prior_auth_required": "reported_plan.prior_auth_required",
}


# Where a letter to the plan goes, as the letters package names it, and the question that asks it
# for a plan she reported.
PLAN_CONTACTS: dict[str, str] = {
    "plan.appeals.um_contact": "reported_plan.requests_to.address_lines",
    "plan.network_exception.contact": "reported_plan.requests_to.address_lines",
    "plan.appeals.appeals_contact": "reported_plan.appeals_to.address_lines",
    # The outside reviewer: the letter that said no says where to ask (any plan).
    "plan.external_review.contact": "denial.external_review_to.address_lines",
}


def step_for_fields(paths: list[str], route: str, *, reported: bool) -> str | None:
    """The first step of the route's sequence that asks one of these fields (the plan's
    details only for a plan she reported: a catalog plan's terms are not hers to answer)."""
    wanted = {question_field(p) for p in paths}
    if reported:
        wanted |= {PLAN_QUESTIONS[p] for p in paths if p in PLAN_QUESTIONS}
    if any(p in ("plan.market",) for p in paths):
        return "plan"
    for key in sequence(route, reported=reported):
        if key in STEP_BY_KEY and any(q.field in wanted for q in STEP_BY_KEY[key].questions):
            return key
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
    for guided in guided_steps(language):
        for q in guided.questions:
            if q.field == key:
                return phrases["asked_in_check"].format(label=q.label, step=guided.title)
    return None


def patient_texts(language: str = "en") -> list[str]:
    """Every label, help text, option and step text the patient pages show (readability)."""
    texts: list[str] = []
    for group in guided_steps(language) + letter_groups(language):
        texts += [group.title, group.intro]
        for q in group.questions:
            texts.append(q.label)
            if q.help:
                texts.append(q.help)
            texts += [words for _, words in q.options]
    return texts


# --------------------------------------------------------------------------------------------
# Opening a saved case file


def read_case_file(text: str, language: str = "en") -> Case:
    """A case file the patient saved earlier, or FormError in her words: never a file line,
    a field path or a model message (`secondlook check` gives those to people who want them)."""
    from pydantic import ValidationError

    from coverage.loader import LoadError, parse_yaml

    phrases = fields.text(language).phrases
    try:
        data = parse_yaml(text, "case")
    except LoadError:
        data = None
    if not isinstance(data, dict):
        raise FormError([("", phrases["not_a_case_file"])])
    try:
        return Case.model_validate(data)
    except ValidationError as err:
        issues = fields.issues_from(err)
    problems = [
        (issue.key, f"{label(issue.key, language)}: {problem_text(issue, language)}")
        for issue in issues
    ]
    raise FormError(problems)
