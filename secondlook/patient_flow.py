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
from coverage.text import say
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
FICTIONAL_BADGE = say("pages.fictional_badge")


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
QUESTIONS_FOR_YOUR_PLAN: tuple[str, ...] = tuple(
    say(f"pages.plan_questions.{key}")
    for key in ("covers", "referral", "approval", "network", "cost", "outside", "funding", "visit")
)

MARKET_UNKNOWN_HEADLINE = say("pages.market_unknown")
HOW_TO_TELL_YOUR_PLAN: tuple[str, ...] = tuple(
    say(f"pages.how_to_tell.{key}") for key in ("card", "job", "call")
)
FUNDING_HELP = (
    "Ask your HR office, or look in your plan booklet (the Summary Plan Description). "
    "This matters: state rules do not apply to self-funded plans."
)

# --------------------------------------------------------------------------------------------
# The answer in plain words

# The words are in data/text/<language>/patient.yaml.
PA_LABELS: dict[str, str] = {
    code: say(f"pages.pa.{code}") for code in ("no-auth", "auth-needed", "satisfied", "conditional")
}

REFERRAL_LABELS: dict[str, str] = {
    code: say(f"pages.referral.{code}") for code in ("no", "yes", "conditional")
}

PAYMENT_NOTE = say("pages.payment_note")

NOTICE_NOTE = say("pages.notice_note")

RECORDS_TO_GATHER: tuple[str, ...] = tuple(
    say(f"pages.records.{key}") for key in ("pathology", "scans", "notes", "labs", "treatments")
)


TRACE_STATUS: dict[str, str] = {
    status: say(f"pages.trace_status.{status}")
    for status in ("applied", "depends", "overridden", "not_applicable", "inactive")
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


def answer_facts(determination: Determination) -> list[str]:
    """The short facts under the headline: referral, approval, network. A referral or approval
    the plan's papers leave open is not said here ("You may need a referral") when a question
    below asks it: once is enough."""
    asked = {need.field.rsplit(".", 1)[-1] for need in determination.info_needed}
    facts = []
    referral, approval = determination.referral_needed, determination.pa_needed
    if referral and not (referral == "conditional" and "referral_required" in asked):
        facts.append(REFERRAL_LABELS[referral])
    if approval and not (approval == "conditional" and "prior_auth_required" in asked):
        facts.append(PA_LABELS[approval])
    if determination.network.explanation:
        facts.append(determination.network.explanation)
    return facts


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
        suggested = "external_review_request" in determination.letters
        lines.append(phrases[f"urgent_review_same_time{'_suggested' if suggested else ''}"])
    letters = [t for t in APPEAL_LETTERS if t in determination.letters]
    headline = phrases["denied_urgent_headline" if urgent else "denied_headline"]
    return AppealFirst(headline, lines, letters)


def answer_headline(case: Case, determination: Determination) -> str:
    """The answer's headline; once her plan has said no, as what the rules say for her appeal
    (the appeal itself comes first on the page)."""
    if case.denial is None:
        return determination.headline
    return fields.text("en").phrases["denied_rules_say"].format(headline=determination.headline)


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
    lines = [_sentence(say("pages.deadline.rule", within=deadline.within))]
    if deadline.basis:
        lines.append(_sentence(deadline.basis))
    lines.append(
        say("pages.deadline.law", citation=deadline.citation, checked=deadline.last_verified)
    )
    if not deadline.verified:
        lines.append(say("pages.deadline.unconfirmed"))
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
        lines.append(say("pages.cost.copay", copay=cost.copay))
    share = cost.coinsurance_percent
    if share and not share.endswith("%"):
        share += "%"  # the engine gives "20%"; a bare number is a percent too
    if share and share not in said:
        lines.append(say("pages.cost.share", percent=share))
    if cost.deductible and cost.deductible not in said:
        kind = {True: "deductible_applies", False: "deductible_not_applies"}.get(
            cost.deductible_applies, "deductible"
        )
        lines.append(say(f"pages.cost.{kind}", deductible=cost.deductible))
    return lines


# --------------------------------------------------------------------------------------------
# Letters: names, who gets them, how to send

_LETTERS = (
    "preauth_request",
    "network_exception_request",
    "appeal",
    "expedited_appeal",
    "external_review_request",
    "claim_file_request",
    "records_request",
    "physician_letter",
)
LETTER_INFO: dict[str, tuple[str, str]] = {
    name: (say(f"pages.letter.{name}.title"), say(f"pages.letter.{name}.what")) for name in _LETTERS
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
            text = say("pages.plan_address_needed")
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
        lines.append(say("pages.send_to.fax", number=contact.fax))
    if contact.phone:
        lines.append(say("pages.send_to.phone", number=contact.phone))
    if contact.portal:
        lines.append(say("pages.send_to.online", address=contact.portal))
    if contact.email:
        lines.append(say("pages.send_to.email", address=contact.email))
    return lines


def send_to(letter_type: str, case: Case, plan: Plan | None) -> tuple[str, list[str]]:
    """Who the letter goes to, and their address, fax and portal as far as we know them (the
    letters package's own choice of address: the one on her plan's letter wins)."""
    from letters.kinds.external_review import reviewer_contact
    from letters.parts import from_notice

    if letter_type in ("preauth_request", "network_exception_request"):
        contact = None
        if plan is not None:
            exception = plan.network_exception.contact
            um = plan.appeals.um_contact
            contact = exception if letter_type == "network_exception_request" and exception else um
        return say("pages.send_to.prior_auth_team"), _contact_lines(contact)
    if letter_type in ("appeal", "expedited_appeal", "claim_file_request"):
        # The address on her plan's letter wins, as in the letter itself.
        lines = (
            _contact_lines(from_notice(case, plan.appeals.appeals_contact, "")[0]) if plan else []
        )
        if letter_type == "expedited_appeal" and plan is not None:
            if plan.appeals.expedited_fax:
                lines.append(say("pages.send_to.urgent_fax", number=plan.appeals.expedited_fax))
            if plan.appeals.expedited_phone:
                lines.append(say("pages.send_to.urgent_phone", number=plan.appeals.expedited_phone))
        return say("pages.send_to.appeals_team"), lines
    if letter_type == "external_review_request":
        if plan is None:
            return say("pages.send_to.outside_reviewer"), []
        contact, path = reviewer_contact(case, plan)
        named_by_her_letter = path == "case.denial.external_review_to"
        who = say("pages.send_to.outside_reviewer") if named_by_her_letter else None
        return who or plan.external_review.administered_by, _contact_lines(contact)
    if letter_type == "records_request":
        if case.records_from:
            holder = case.records_from[0]
            lines = [holder.name, *holder.address_lines]
            lines += [say("pages.send_to.fax", number=holder.fax)] if holder.fax else []
            lines += [say("pages.send_to.phone", number=holder.phone)] if holder.phone else []
            return say("pages.send_to.records_office"), lines
        return say("pages.send_to.records_office"), []
    if letter_type == "physician_letter":
        doctor = case.referring_physician
        lines = [x for x in (doctor.name, doctor.practice) if x] + list(doctor.address_lines)
        return say("pages.send_to.doctor"), lines
    return say("pages.send_to.see_letter"), []


HOW_TO_SEND: tuple[str, ...] = tuple(
    say(f"pages.how_to_send.{key}") for key in ("read", "sign", "fax", "mail", "copy", "call")
)

CALL_LOG_TIPS: tuple[str, ...] = tuple(
    say(f"pages.call_log.{key}") for key in ("when", "who", "what", "reference")
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
