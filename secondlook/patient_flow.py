"""The patient's guided check: questions in plain words, and the mapping from answers to a Case.

The Streamlit pages render these questions and show the results; everything that is not
drawing widgets lives here, so it can be tested without a browser. This module never imports
streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from coverage.base import STATE_NAMES, Contact
from coverage.case import Case
from coverage.determination import Deadline, Determination, TraceEntry
from coverage.plan import Plan

# --------------------------------------------------------------------------------------------
# Answers

TRI_OPTIONS: tuple[tuple[str, str], ...] = (("yes", "Yes"), ("no", "No"), ("unknown", "Not sure"))

MARKET_CHOICES: tuple[tuple[str, str], ...] = (
    ("employer_group", "Through a job (mine or a family member's)"),
    ("individual", "I bought it myself, or through the Marketplace"),
    ("original_medicare", "Original Medicare (the red, white and blue card)"),
    ("medicare_advantage", "A Medicare Advantage plan (Medicare from a private company)"),
    ("medicaid_managed_care", "Medicaid, through a health plan"),
    ("unknown", "Not sure"),
)

FUNDING_CHOICES: tuple[tuple[str, str], ...] = (
    ("fully_insured", "An insurance company pays the bills"),
    ("self_funded", "My employer pays the bills itself (self-funded)"),
    ("unknown", "Not sure"),
)


STATE_CHOICES: tuple[tuple[str, str], ...] = tuple(
    sorted(STATE_NAMES.items(), key=lambda item: item[1])
)

# NCI Basic Laboratory cancer centers do research only and see no patients: never offered.
NCI_CHOICES: tuple[tuple[str, str], ...] = (
    ("comprehensive", "Yes, a Comprehensive Cancer Center"),
    ("clinical", "Yes, an NCI Cancer Center"),
    ("not_designated", "No"),
    ("unknown", "Not sure"),
)

VISIT_CHOICES: tuple[tuple[str, str], ...] = (
    ("in_person", "In person"),
    ("telehealth", "By video or phone"),
    ("records_review", "The doctor only reviews my records"),
    ("unknown", "Not sure"),
)

DENIAL_LEVEL_CHOICES: tuple[tuple[str, str], ...] = (
    ("initial", "The first no"),
    ("internal_appeal", "A no after my appeal"),
    ("final_internal", "The plan's last (final) no"),
)

SERVICE_TYPE_CHOICES: tuple[tuple[str, str], ...] = (
    ("pre_service", "Before the visit (I have not gone yet)"),
    ("post_service", "After the visit (a bill was not paid)"),
)

# --------------------------------------------------------------------------------------------
# Questions

Kind = Literal["tri", "choice", "text", "area", "lines", "date", "count"]


@dataclass(frozen=True)
class Question:
    """One input. `field` is a dotted path into the Case (`records.*` is the first holder)."""

    field: str
    label: str
    kind: Kind
    help: str | None = None
    options: tuple[tuple[str, str], ...] = ()

    def choices(self) -> tuple[tuple[str, str], ...]:
        return TRI_OPTIONS if self.kind == "tri" else self.options


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    intro: str
    questions: tuple[Question, ...] = field(default_factory=tuple)


CANCER_STEP = Step(
    "cancer",
    "About your cancer",
    "Answer what you can. It is fine to pick Not sure.",
    (
        Question(
            "diagnosis.description",
            "What kind of cancer is it? (optional)",
            "text",
            help="For example: breast cancer, stage 2. You can leave this blank.",
        ),
        Question(
            "diagnosis.newly_diagnosed",
            "Did you find out about this cancer in the last few months?",
            "tri",
        ),
        Question(
            "diagnosis.rare_or_aggressive",
            "Did a doctor say it is rare or fast-growing?",
            "tri",
        ),
    ),
)

REASONS_STEP = Step(
    "reasons",
    "Why you want a second opinion",
    "These answers show which rules apply to you.",
    (
        Question(
            "reasons.before_treatment_starts",
            "Are you still waiting to start treatment?",
            "tri",
        ),
        Question("reasons.surgery_recommended", "Has a doctor said you need surgery?", "tri"),
        Question(
            "reasons.major_treatment_recommended",
            "Has a doctor suggested chemo, radiation, or another big treatment?",
            "tri",
        ),
        Question(
            "reasons.treatment_not_working",
            "Is your treatment not working, or has the cancer grown?",
            "tri",
        ),
        Question(
            "reasons.diagnosis_unclear",
            "Are you unsure about what kind of cancer it is, or its stage?",
            "tri",
        ),
        Question(
            "reasons.opinions_so_far",
            "How many cancer doctors have given you their opinion so far?",
            "count",
        ),
        Question(
            "reasons.opinions_differ",
            "If you have seen two doctors, do they disagree?",
            "tri",
        ),
    ),
)

DOCTOR_STEP = Step(
    "doctor",
    "The doctor for your second opinion",
    "If you have not picked a doctor yet, pick Not sure. You can change this later.",
    (
        Question("provider.name", "Doctor's name (optional)", "text"),
        Question("provider.institution", "Hospital or cancer center (optional)", "text"),
        Question(
            "provider.in_network",
            "Is this doctor in your plan's network?",
            "tri",
            help="Call the number on your plan card, or use the plan's online doctor search.",
        ),
        Question(
            "provider.nci_designation",
            "Is it a cancer center named by the National Cancer Institute (NCI)?",
            "choice",
            options=NCI_CHOICES,
        ),
        Question(
            "provider.visit_type",
            "How will the doctor see you?",
            "choice",
            options=VISIT_CHOICES,
        ),
        Question(
            "qualified_in_network_specialist",
            "Does your plan's network have a doctor who treats your kind of cancer?",
            "tri",
            help="If not, many plans must let you see a doctor outside the network.",
        ),
        Question(
            "urgency.physician_certifies_urgent",
            "Has a doctor said that waiting could harm your health?",
            "tri",
            help="If so, your plan must answer faster.",
        ),
    ),
)

DENIAL_STEP = Step(
    "denial",
    "Has your plan said no?",
    "Skip this if your plan has not turned you down.",
    (
        Question(
            "denial.exists",
            "Has your plan already said no to this second opinion?",
            "tri",
        ),
        Question(
            "denial.notice_date",
            "Date printed on the letter that said no",
            "date",
        ),
        Question("denial.date_received", "Date you got that letter", "date"),
        Question(
            "denial.level",
            "Which no was it?",
            "choice",
            options=DENIAL_LEVEL_CHOICES,
        ),
        Question(
            "denial.service_type",
            "Was it before or after the visit?",
            "choice",
            options=SERVICE_TYPE_CHOICES,
        ),
        Question(
            "denial.reason_quoted",
            "The reason the plan gave, word for word (optional)",
            "area",
        ),
        Question("denial.reference_number", "Reference or claim number (optional)", "text"),
    ),
)

# The plan step (search the catalog or answer from the kind of plan) comes first; it is not a
# list of questions because it has a search box.
GUIDED_STEPS: tuple[Step, ...] = (CANCER_STEP, REASONS_STEP, DOCTOR_STEP, DENIAL_STEP)
STEP_TITLES: tuple[str, ...] = ("Your plan",) + tuple(step.title for step in GUIDED_STEPS)

# Details that only the letters need: the user reviews and edits them on the letters page.
LETTER_FIELD_GROUPS: tuple[Step, ...] = (
    Step(
        "about_you",
        "About you",
        "These go at the top of each letter. We do not keep them after you close the page.",
        (
            Question("patient.name", "Your full name", "text"),
            Question("patient.date_of_birth", "Date of birth", "date"),
            Question("patient.member_id", "Member ID (on your plan card)", "text"),
            Question("patient.group_number", "Group number (on your plan card)", "text"),
            Question("patient.address_lines", "Your mailing address", "lines"),
            Question("patient.phone", "Your phone", "text"),
            Question("patient.email", "Your email", "text"),
        ),
    ),
    Step(
        "second_doctor",
        "The second-opinion doctor",
        "Who you want to see.",
        (
            Question("provider.name", "Second-opinion doctor's name", "text"),
            Question(
                "provider.specialty",
                "What kind of doctor",
                "text",
                help="For example: breast cancer surgeon.",
            ),
            Question("provider.institution", "Their hospital or cancer center", "text"),
            Question("provider.npi", "NPI number (10 digits, if you know it)", "text"),
            Question("provider.address_lines", "Second-opinion doctor's address", "lines"),
            Question("provider.phone", "Second-opinion doctor's phone", "text"),
            Question("provider.fax", "Second-opinion doctor's fax", "text"),
        ),
    ),
    Step(
        "your_doctor",
        "Your current cancer doctor",
        "The doctor who referred you, or who treats you now.",
        (
            Question("referring_physician.name", "Your cancer doctor's name", "text"),
            Question("referring_physician.practice", "Their office or hospital", "text"),
            Question("referring_physician.address_lines", "Your doctor's address", "lines"),
            Question("referring_physician.phone", "Your doctor's phone", "text"),
            Question("referring_physician.fax", "Your doctor's fax", "text"),
        ),
    ),
    Step(
        "records",
        "Where your records are",
        "The office or hospital that has your slides, scans and notes.",
        (
            Question("records.name", "Name of the office that has your records", "text"),
            Question("records.address_lines", "That office's address", "lines"),
            Question("records.phone", "That office's phone", "text"),
            Question("records.fax", "That office's fax", "text"),
        ),
    ),
    Step(
        "medical",
        "Medical details for the letter",
        "Leave blank what you do not know.",
        (
            Question("diagnosis.description", "Diagnosis in words", "text"),
            Question("diagnosis.stage", "Stage", "text"),
            Question(
                "diagnosis.icd10",
                "Diagnosis code (ICD-10), if you have it",
                "text",
                help="It is on your bills or visit notes, for example C50.911.",
            ),
            Question("diagnosis.date_diagnosed", "Date you were diagnosed", "date"),
            Question(
                "request_sent_date",
                "Date you sent the request for approval, if you did",
                "date",
            ),
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Reading and writing Case fields by path


class FormError(ValueError):
    """Answers that do not fit the case format; `problems` are (field label, message) pairs.

    Messages never repeat what was typed (the case holds member data).
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{label}: {msg}" for label, msg in problems))


_MESSAGES = {
    "string_pattern_mismatch": "this does not look right. Check the format.",
    "date_from_datetime_parsing": "use a date like 2026-03-01.",
    "date_parsing": "use a date like 2026-03-01.",
    "less_than_equal": "this number is too large.",
    "greater_than_equal": "this number is too small.",
}

_FIELD_HINTS = {
    "provider.npi": "an NPI has 10 digits.",
    "referring_physician.npi": "an NPI has 10 digits.",
    "diagnosis.icd10": "a code looks like C50.911 (a letter, two characters, then a dot).",
    "patient.state": "use the two-letter state code, like MO.",
}


def _container_path(path: str) -> list[str | int]:
    if path.startswith("records."):
        return ["records_from", 0, path.removeprefix("records.")]
    parts: list[str | int] = []
    for part in path.split("."):
        parts.append(int(part) if part.isdigit() else part)
    return parts


def get_answer(case: Case, path: str) -> Any:
    """The current value for a question, as its widget shows it."""
    if path == "denial.exists":
        return "yes" if case.denial is not None else "unknown"
    node: Any = case.model_dump()
    for part in _container_path(path):
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and len(node) > part else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    if isinstance(node, list):
        return "\n".join(node)
    return node


def _clean(question: Question, value: Any) -> Any:
    if question.kind in ("text", "area"):
        value = (value or "").strip()
        return value or None
    if question.kind == "lines":
        return [line.strip() for line in (value or "").splitlines() if line.strip()]
    if question.kind == "tri":
        return value if value in ("yes", "no", "unknown") else "unknown"
    if question.kind == "count":
        return int(value) if value is not None else 1
    return value


def _label_for(path: tuple[Any, ...], questions: dict[str, Question]) -> tuple[str, str]:
    dotted = ".".join(str(p) for p in path)
    if dotted.startswith("records_from.0."):
        key = "records." + dotted.removeprefix("records_from.0.")
    else:
        key = dotted
    question = questions.get(key)
    return key, (question.label if question else dotted)


def apply_answers(case: Case, questions: tuple[Question, ...], values: dict[str, Any]) -> Case:
    """A new Case with the answers to `questions` written in (`values` keyed by field path).

    Raises FormError naming each question whose answer does not fit.
    """
    data = case.model_dump()
    by_path = {q.field: q for q in questions}
    denial_answer = None
    for question in questions:
        if question.field not in values:
            continue
        value = _clean(question, values[question.field])
        if question.field == "denial.exists":
            denial_answer = value
            continue
        parts = _container_path(question.field)
        node: Any = data
        for index, part in enumerate(parts[:-1]):
            following = parts[index + 1]
            if isinstance(part, int):
                while len(node) <= part:
                    node.append({})
                node = node[part]
            else:
                if node.get(part) is None:
                    node[part] = [] if isinstance(following, int) else {}
                node = node[part]
        node[parts[-1]] = value

    if denial_answer is not None:
        if denial_answer == "yes":
            data["denial"] = {
                key: value for key, value in (data.get("denial") or {}).items() if value is not None
            }
        else:
            data["denial"] = None

    # A records holder needs a name; a blank entry is dropped, a nameless one is an error.
    holders = []
    problems: list[tuple[str, str]] = []
    for holder in data.get("records_from") or []:
        filled = {k: v for k, v in holder.items() if v not in (None, [], "")}
        if not filled:
            continue
        if not filled.get("name"):
            problems.append(
                ("Name of the office that has your records", "please give the name of the office.")
            )
            continue
        holders.append(filled)
    data["records_from"] = holders
    if problems:
        raise FormError(problems)

    try:
        return Case.model_validate(data)
    except ValidationError as err:
        for item in err.errors(include_input=False, include_url=False):
            key, label = _label_for(tuple(item["loc"]), by_path)
            message = _FIELD_HINTS.get(key) or _MESSAGES.get(item["type"]) or item["msg"]
            problems.append((label, message))
        raise FormError(problems) from None


# --------------------------------------------------------------------------------------------
# The plan: picked from the catalog, or answered from the kind of plan and the state


PLAN_KIND_SHORT: dict[str, str] = {
    "employer_group": "Job-based plan",
    "individual": "Individual plan",
    "original_medicare": "Original Medicare",
    "medicare_advantage": "Medicare Advantage",
    "medicaid_managed_care": "Medicaid plan",
}


def search_plans(
    plans: Iterable[Plan], text: str = "", *, state: str = "", market: str = ""
) -> list[Plan]:
    """Plans whose issuer, name, state (code or name) or kind hold every word of `text`."""
    words = text.lower().split()
    found = []
    for plan in plans:
        if state and plan.situs_state not in (state, None):
            continue
        if market and plan.market != market:
            continue
        haystack = " ".join(
            [
                plan.id,
                plan.name,
                plan.issuer,
                plan.situs_state or "all states",
                STATE_NAMES.get(plan.situs_state or "", ""),
                plan.market.replace("_", " "),
                PLAN_KIND_SHORT.get(plan.market, ""),
                plan.plan_type,
            ]
        ).lower()
        if all(word in haystack for word in words):
            found.append(plan)
    return sorted(found, key=lambda p: (p.name.lower(), p.issuer.lower()))


MAX_PLANS_LISTED = 15
FICTIONAL_BADGE = "Example plan, not a real one"


def plan_caption(plan: Plan) -> str:
    """The line under a plan's name in the picker: who offers it, where, what kind."""
    where = STATE_NAMES.get(plan.situs_state or "", "All states")
    parts = [plan.issuer, where, PLAN_KIND_SHORT.get(plan.market, plan.market)]
    if plan.metadata.fictional:
        parts.append(FICTIONAL_BADGE)
    return " · ".join(parts)


def plan_title(plan: Plan) -> str:
    """The plan's name as the answer page shows it, badged when it is a made-up example."""
    if plan.id.startswith("generic-"):
        return plan.name
    badge = f" ({FICTIONAL_BADGE.lower()})" if plan.metadata.fictional else ""
    return f"{plan.name}, {plan.issuer}{badge}"


def generic_funding(market: str, funding: str) -> str:
    """Who carries the risk, for the "I don't know my plan's details" path.

    The funding question is about job-based plans; a plan bought on the individual market is
    always sold by an insurer (fully insured), whatever was answered.
    """
    return "fully_insured" if market == "individual" else funding


def step_for_fields(fields: list[str]) -> int | None:
    """The step that asks the first of these fields: 0 is the plan step, then the guided steps."""
    if any(f in ("plan.funding", "plan.market") for f in fields):
        return 0
    for number, step in enumerate(GUIDED_STEPS, 1):
        if any(q.field == f for q in step.questions for f in fields):
            return number
    return None


# What to ask the plan when we answered from the kind of plan only.
QUESTIONS_FOR_YOUR_PLAN: tuple[str, ...] = (
    "Does my plan pay for a second opinion from a cancer doctor?",
    "Do I need a referral from my doctor first?",
    "Do I need approval before the visit (prior authorization)? How do I ask for it?",
    "Is the doctor I want to see in my network?",
    "What will I pay for a visit with a specialist?",
    "If no doctor in my network treats my cancer, how do I ask to see one outside it for the "
    "same cost?",
    "Is my plan fully insured, or self-funded by my employer?",
    "Does my plan pay for a video visit or a review of my records?",
)

MARKET_UNKNOWN_HEADLINE = "We need to know what kind of plan you have before we can answer."
HOW_TO_TELL_YOUR_PLAN: tuple[str, ...] = (
    "Look at your plan card. It often says Medicare, Medicaid, or the name of your employer.",
    "If you get the plan through a job, your employer's HR office can tell you.",
    "Call the member phone number on the back of your card and ask what kind of plan it is.",
)
FUNDING_HELP = (
    "Ask your HR office, or look in your plan booklet (the Summary Plan Description). "
    "This matters: state rules do not apply to self-funded plans."
)

# --------------------------------------------------------------------------------------------
# The answer in plain words

PA_LABELS: dict[str, str] = {
    "no-auth": "You do not need approval before the visit.",
    "auth-needed": "You need approval from your plan before the visit (prior authorization).",
    "satisfied": "You already have the approval you need.",
    "conditional": "You may need approval before the visit. See the steps below.",
}

REFERRAL_LABELS: dict[str, str] = {
    "no": "You do not need a referral.",
    "yes": "You need a referral from your doctor.",
    "conditional": "You may need a referral. See the steps below.",
}

PAYMENT_NOTE = (
    "Covered does not mean your plan will surely pay. Your deductible, copays and plan limits "
    "still apply. Get any approval in writing, and keep a copy."
)

NOTICE_NOTE = "If a letter from your plan gives a different date, the date in the letter counts."

RECORDS_TO_GATHER: tuple[str, ...] = (
    "Your pathology report, and the glass slides or tissue blocks themselves",
    "Your scan reports, and the images themselves (often on a disc or a download link)",
    "Notes from your surgeon and your cancer doctor",
    "Lab tests and any genetic or biomarker test results",
    "A list of the treatments you have had, with dates",
)


TRACE_STATUS: dict[str, str] = {
    "applied": "used",
    "depends": "depends on your answers",
    "overridden": "a stronger rule won",
    "not_applicable": "does not apply",
    "inactive": "not in force on this date",
}


def trace_in_order(determination: Determination) -> list[TraceEntry]:
    """Rules that shaped the answer first, then the ones that did not apply."""
    order = {status: index for index, status in enumerate(TRACE_STATUS)}
    return sorted(
        determination.trace, key=lambda entry: (order.get(entry.status, 99), entry.priority)
    )


def records_checklist(determination: Determination) -> list[str]:
    """The records and papers the answer asks for; the usual list if it names none."""
    items = [need.description for need in determination.doc_needed]
    return items or list(RECORDS_TO_GATHER)


def action_steps(determination: Determination) -> list[str]:
    """The next steps, less the open questions (the page lists those on their own)."""
    asked = {need.question.strip() for need in determination.info_needed}
    return [step for step in determination.next_steps if step.strip() not in asked]


def deadline_lines(deadline: Deadline) -> list[str]:
    """A deadline's details as short lines: the rule, how the date was found, the law."""
    lines = [_sentence(f"The rule: {deadline.within}")]
    if deadline.basis:
        lines.append(_sentence(deadline.basis))
    checked = f"last checked {format_date(deadline.last_verified)}"
    lines.append(f"Law: {deadline.citation} ({checked}).")
    if not deadline.verified:
        lines.append("This rule is not yet confirmed. Check it with your plan.")
    return lines


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def format_date(day: dt.date | None) -> str:
    return f"{day:%A, %B} {day.day}, {day.year}" if day else ""


def cost_lines(determination: Determination) -> list[str]:
    """The cost in plain words; the copay, share and deductible only when not already said."""
    cost = determination.cost_sharing
    lines = [cost.summary]
    said = cost.summary
    if cost.copay and cost.copay not in said:
        lines.append(f"Copay: {cost.copay}")
    if cost.coinsurance_percent and f"{cost.coinsurance_percent}%" not in said:
        lines.append(f"Your share after the deductible: {cost.coinsurance_percent}%")
    if cost.deductible and cost.deductible not in said:
        applies = {True: " (it applies to this visit)", False: " (it does not apply)", None: ""}
        lines.append(f"Deductible: {cost.deductible}{applies[cost.deductible_applies]}")
    return lines


# --------------------------------------------------------------------------------------------
# Letters: names, who gets them, how to send

LETTER_INFO: dict[str, tuple[str, str]] = {
    "preauth_request": (
        "Request for approval before the visit",
        "Asks your plan to approve the second opinion before you go.",
    ),
    "network_exception_request": (
        "Request to see a doctor outside your network",
        "Asks your plan to let you see this doctor for the same cost as one in your network.",
    ),
    "appeal": (
        "Appeal",
        "Asks your plan to look again at its no.",
    ),
    "expedited_appeal": (
        "Urgent appeal",
        "Asks your plan to look again at its no, fast, because waiting could harm your health.",
    ),
    "external_review_request": (
        "Request for an outside review",
        "Asks a reviewer who does not work for your plan to decide.",
    ),
    "claim_file_request": (
        "Request for your claim file",
        "Asks your plan for free copies of everything it used to make its choice.",
    ),
    "records_request": (
        "Request for your medical records",
        "Asks the office that has your records to send them, with your slides and scans, to the "
        "second-opinion doctor.",
    ),
    "physician_letter": (
        "Letter for your doctor",
        "A letter your doctor can sign and send to back up your request.",
    ),
}


def missing_field_labels(fields: list[tuple[str, str]]) -> list[str]:
    """What a letter still needs, as the questions that ask for it and where they are.

    `fields` are (path, what is needed) pairs as the letters package reports them, with paths
    like `case.patient.name`, `case.records_from[0].name` or `plan.appeals.appeals_contact`.
    """
    out: list[str] = []
    for path, why in fields:
        if path.startswith("plan."):
            text = (
                "Your plan's address or fax for this letter. Call the number on your plan card "
                "and ask where to send it."
            )
        else:
            text = _where_asked(question_field(path)) or why[:1].upper() + why[1:]
        if text not in out:
            out.append(text)
    return out


def question_field(path: str) -> str:
    """The question's field for a path the letters package reports (`case.records_from[0]...`)."""
    field_path = path.removeprefix("case.")
    if field_path.startswith("records_from"):
        field_path = f"records.{field_path.partition('].')[2] or 'name'}"
    if field_path == "denial":
        field_path = "denial.exists"
    return field_path


def groups_needing(paths: list[str]) -> set[str]:
    """The letter-detail groups that ask for any of these missing fields."""
    wanted = {question_field(path) for path in paths}
    return {
        group.key
        for group in LETTER_FIELD_GROUPS
        if any(question.field in wanted for question in group.questions)
    }


def _where_asked(field_path: str) -> str | None:
    for group in LETTER_FIELD_GROUPS:
        for question in group.questions:
            if question.field == field_path:
                return f"{question.label} (under {group.title}, above)"
    for step in GUIDED_STEPS:
        for question in step.questions:
            if question.field == field_path:
                return f"{question.label} (in Check my coverage, {step.title})"
    return None


def letter_filename(letter_type: str, extension: str) -> str:
    """File names carry no member data."""
    return f"second-look-{letter_type.replace('_', '-')}.{extension}"


def _contact_lines(contact: Contact | None) -> list[str]:
    if contact is None:
        return []
    lines = [x for x in (contact.name, contact.department) if x]
    lines += list(contact.address_lines)
    if contact.fax:
        lines.append(f"Fax: {contact.fax}")
    if contact.phone:
        lines.append(f"Phone: {contact.phone}")
    if contact.portal:
        lines.append(f"Online: {contact.portal}")
    if contact.email:
        lines.append(f"Email: {contact.email}")
    return lines


def send_to(letter_type: str, case: Case, plan: Plan | None) -> tuple[str, list[str]]:
    """Who the letter goes to, and their address, fax and portal as far as we know them."""
    if letter_type in ("preauth_request", "network_exception_request"):
        contact = None
        if plan is not None:
            exception = plan.network_exception.contact
            um = plan.appeals.um_contact
            contact = exception if letter_type == "network_exception_request" and exception else um
        return "Your plan (the prior authorization team)", _contact_lines(contact)
    if letter_type in ("appeal", "expedited_appeal", "claim_file_request"):
        lines = _contact_lines(plan.appeals.appeals_contact) if plan else []
        if letter_type == "expedited_appeal" and plan is not None:
            if plan.appeals.expedited_fax:
                lines.append(f"Urgent fax: {plan.appeals.expedited_fax}")
            if plan.appeals.expedited_phone:
                lines.append(f"Urgent phone: {plan.appeals.expedited_phone}")
        return "Your plan (the appeals team)", lines
    if letter_type == "external_review_request":
        who = plan.external_review.administered_by if plan else "The outside reviewer"
        lines = _contact_lines(plan.external_review.contact) if plan else []
        return who, lines
    if letter_type == "records_request":
        if case.records_from:
            holder = case.records_from[0]
            lines = [holder.name, *holder.address_lines]
            lines += [f"Fax: {holder.fax}"] if holder.fax else []
            lines += [f"Phone: {holder.phone}"] if holder.phone else []
            return "The office that has your records", lines
        return "The office that has your records", []
    if letter_type == "physician_letter":
        doctor = case.referring_physician
        lines = [x for x in (doctor.name, doctor.practice) if x] + list(doctor.address_lines)
        return "Your cancer doctor, to sign and send to your plan", lines
    return "See the letter", []


HOW_TO_SEND: tuple[str, ...] = (
    "Read the letter and fix anything that is wrong. You can edit the Word file.",
    "Sign and date it.",
    "Send it by fax or through the plan's website if you can. It is faster. Keep the fax "
    "receipt or take a screenshot.",
    "If you mail it, use certified mail with a return receipt.",
    "Keep a copy of every page you send, and the date you sent it.",
    "Call in two or three days to check that they got it.",
)

CALL_LOG_TIPS: tuple[str, ...] = (
    "The date and time",
    "The name of the person you spoke to",
    "What they said, in a few words",
    "Any reference or call number",
)

# --------------------------------------------------------------------------------------------
# Save and resume: the case file

CASE_FILE_NAME = "second-look-case.yaml"
_CASE_FILE_HEADER = (
    "# Second Look case file. It holds your answers, and may hold private health details.\n"
    "# Keep it somewhere safe. Open it again in Second Look with 'Save or open my answers'.\n"
)


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def case_to_yaml(case: Case) -> bytes:
    """The case as a YAML case file (the format `secondlook check` and the upload read)."""
    data = _prune(case.model_dump(mode="json"))
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return (_CASE_FILE_HEADER + body).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Text for the readability test


def patient_texts() -> list[str]:
    """Every sentence of guidance and every label this module shows a patient."""
    texts: list[str] = []
    for step in GUIDED_STEPS + LETTER_FIELD_GROUPS:
        texts += [step.title, step.intro]
        for question in step.questions:
            texts.append(question.label)
            if question.help:
                texts.append(question.help)
            texts += [label for _, label in question.options]
    for choices in (MARKET_CHOICES, FUNDING_CHOICES, NCI_CHOICES, VISIT_CHOICES):
        texts += [label for _, label in choices]
    texts += list(QUESTIONS_FOR_YOUR_PLAN) + [MARKET_UNKNOWN_HEADLINE, FUNDING_HELP]
    texts += list(HOW_TO_TELL_YOUR_PLAN) + [FICTIONAL_BADGE]
    texts += list(PA_LABELS.values()) + list(REFERRAL_LABELS.values())
    texts += [PAYMENT_NOTE, NOTICE_NOTE] + list(RECORDS_TO_GATHER)
    for title, what in LETTER_INFO.values():
        texts += [title, what]
    texts += list(HOW_TO_SEND) + list(CALL_LOG_TIPS)
    return texts
