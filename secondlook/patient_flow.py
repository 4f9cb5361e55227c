"""The patient's guided check: the plan step, the answer in plain words, letters and case files.

The questions themselves (fields, wording, checks) come from the case-field registry through
`secondlook.patient_form`. The Streamlit pages render and show; everything that is not drawing
widgets lives here, so it can be tested without a browser. This module never imports streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from coverage import fields, markets
from coverage.base import STATE_NAMES, Contact
from coverage.case import Case
from coverage.determination import Deadline, Determination, TraceEntry
from coverage.plan import Plan
from secondlook import patient_form

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

# --------------------------------------------------------------------------------------------
# The plan: picked from the catalog, or answered from the kind of plan and the state


def plan_kind(market: str) -> str:
    """The kind of plan in a few words ("Job-based plan"), from the market's profile."""
    return markets.profile(market).short_label


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
                plan_kind(plan.market),
                plan.plan_type,
            ]
        ).lower()
        if all(word in haystack for word in words):
            found.append(plan)
    return sorted(found, key=lambda p: (p.name.lower(), p.issuer.lower()))


def nationwide_plan(plans: Iterable[Plan], market: str) -> str | None:
    """The one real plan of the list that is the same in every state for this kind of plan
    (Original Medicare), or None: such a plan is never "not in the list"."""
    found = [
        p.id
        for p in plans
        if p.market == market and p.situs_state is None and not p.metadata.fictional
    ]
    return found[0] if len(found) == 1 else None


MAX_PLANS_LISTED = 15
FICTIONAL_BADGE = "Example plan, not a real one"


def plan_caption(plan: Plan) -> str:
    """The line under a plan's name in the picker: who offers it, where, what kind."""
    where = STATE_NAMES.get(plan.situs_state or "", "All states")
    parts = [plan.issuer, where, plan_kind(plan.market)]
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
    return markets.profile(market).unknown_plan.funding or funding


def needs_state(market: str) -> bool:
    """Whether the "I don't know my plan's details" path needs the patient's state."""
    return markets.profile(market).plan_rules.situs_state == "required"


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


def open_questions(determination: Determination) -> list[tuple[str, str]]:
    """The questions the answer still needs, each once (two rules may ask the same thing)."""
    seen: dict[str, str] = {}
    for need in determination.info_needed:
        seen.setdefault(need.question.strip(), need.why)
    return list(seen.items())


APPEAL_LETTERS = ("expedited_appeal", "appeal", "claim_file_request", "external_review_request")


@dataclass(frozen=True)
class AppealFirst:
    """What a patient whose plan said no reads first: the appeal, its dates and its letters."""

    headline: str
    lines: list[str]
    letters: list[str]


def appeal_first(case: Case, plan: Plan, determination: Determination) -> AppealFirst | None:
    """The appeal, before anything else, when the plan has said no (None when it has not):
    the date to appeal by and how fast the plan must decide (from the answer's deadlines), the
    letters for it, and, when a doctor says waiting could harm her and the kind of plan allows
    it, the urgent outside review that may run at the same time."""
    if case.denial is None:
        return None
    phrases = fields.text("en").phrases
    urgent = case.urgency.physician_certifies_urgent == "yes"
    lines = []
    for deadline in determination.deadlines:
        if "appeal" not in deadline.id and "redetermination" not in deadline.id:
            continue
        when = format_date(deadline.due) if deadline.due else _sentence(deadline.within)
        lines.append(f"{deadline.title}: {when}")
    if urgent and markets.profile(plan.market).features.urgent_external_review_with_appeal:
        lines.append(phrases["urgent_review_same_time"])
    letters = [t for t in APPEAL_LETTERS if t in determination.letters]
    headline = phrases["denied_urgent_headline" if urgent else "denied_headline"]
    return AppealFirst(headline, lines, letters)


def timing_note(case: Case, determination: Determination) -> str | None:
    """When surgery or treatment is set: whether a decision the plan owes could come after it."""
    if case.treatment_date is None:
        return None
    phrases = fields.text("en").phrases
    late = [
        d
        for d in determination.deadlines
        if d.kind == "decide_by" and d.due is not None and d.due >= case.treatment_date
    ]
    words = {"treatment": format_date(case.treatment_date)}
    if late:
        words["due"] = format_date(late[0].due)
        return phrases["treatment_before_decision"].format(**words)
    return phrases["treatment_date_tell_plan"].format(**words)


def cost_notes(plan: Plan) -> list[str]:
    """Costs to know about as information (never as law): out-of-network care and balance
    bills where the plan has a network, and the self-pay price of a remote opinion."""
    phrases = fields.text("en").phrases
    notes = []
    if markets.profile(plan.market).features.network:
        notes.append(phrases["cost_out_of_network"])
    notes.append(phrases["cost_self_pay_remote"])
    return notes


def notice_values(reading: Any) -> dict[str, Any]:
    """The values read from her plan's letter (`secondlook.notices.NoticeReading`) that a
    question asks, by field key, each with where it was found."""
    found = reading.case_fields()
    return {key: item for key, item in found.items() if patient_form.has_question(key)}


def notice_widget_value(item: Any) -> Any:
    """A value read from the letter as its question's widget shows it."""
    value = item.value
    if isinstance(value, tuple | list):
        return "\n".join(value)
    return value


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
    share = cost.coinsurance_percent
    if share and not share.endswith("%"):
        share += "%"  # the engine gives "20%"; a bare number is a percent too
    if share and share not in said:
        lines.append(f"Your share after the deductible: {share}")
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
        text = patient_form.where_asked(path)
        if text is None and path.startswith("plan."):
            text = (
                "Your plan's address or fax for this letter. Call the number on your plan card "
                "and ask where to send it."
            )
        text = text or why[:1].upper() + why[1:]
        if text not in out:
            out.append(text)
    return out


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
    texts: list[str] = patient_form.patient_texts()
    for choices in (MARKET_CHOICES, FUNDING_CHOICES):
        texts += [label for _, label in choices]
    texts += list(QUESTIONS_FOR_YOUR_PLAN) + [MARKET_UNKNOWN_HEADLINE, FUNDING_HELP]
    texts += list(HOW_TO_TELL_YOUR_PLAN) + [FICTIONAL_BADGE]
    texts += list(PA_LABELS.values()) + list(REFERRAL_LABELS.values())
    texts += [PAYMENT_NOTE, NOTICE_NOTE] + list(RECORDS_TO_GATHER)
    for title, what in LETTER_INFO.values():
        texts += [title, what]
    texts += list(HOW_TO_SEND) + list(CALL_LOG_TIPS)
    return texts
