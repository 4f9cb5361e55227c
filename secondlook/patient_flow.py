"""The patient's guided check: the plan step, the answer in plain words, letters and case files.

The questions themselves (fields, wording, checks) come from the case-field registry through
`secondlook.patient_form`. The Streamlit pages render and show; everything that is not drawing
widgets lives here, so it can be tested without a browser. This module never imports streamlit.

Every text takes the patient's language (`case.language`: "en" or "es"); the words are data
(`data/text/<language>/pages.yaml` and `app.yaml`, `data/fields/<language>.yaml`), and English
from data files (a market's words, the placeholders of a plan we know nothing about) is worded
from the phrasebook (`coverage.text.data_words`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from coverage import fields, markets
from coverage.base import STATE_NAMES, Contact, state_name
from coverage.case import Case
from coverage.determination import Deadline, Determination, TraceEntry
from coverage.plan import Plan
from coverage.text import data_words, long_date, say
from secondlook import patient_form

# --------------------------------------------------------------------------------------------
# Answers


def market_choices(language: str = "en") -> tuple[tuple[str, str], ...]:
    """How she gets her plan: (market, words), "not sure" last."""
    return fields.text(language).choices("reported_plan.market")


def funding_choices(language: str = "en") -> tuple[tuple[str, str], ...]:
    not_sure = dict(fields.text(language).choices("reported_plan.self_funded"))["unknown"]
    return (
        ("fully_insured", say("app.plan.funding_insured", language)),
        ("self_funded", say("app.plan.funding_self", language)),
        ("unknown", not_sure),
    )


def state_choices(language: str = "en") -> tuple[tuple[str, str], ...]:
    """Every state and territory by its name in the language, in alphabetical order."""
    names = {code: state_name(code, language) for code in STATE_NAMES}
    return tuple(sorted(names.items(), key=lambda item: item[1]))


# --------------------------------------------------------------------------------------------
# The plan: picked from the catalog, or answered from the kind of plan and the state


def plan_kind(market: str, language: str = "en") -> str:
    """The kind of plan in a few words ("Job-based plan"), from the market's profile."""
    return data_words(markets.profile(market).short_label, language)


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
                plan_kind(plan.market, "es"),
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


def fictional_badge(language: str = "en") -> str:
    return say("pages.fictional_badge", language)


def plan_caption(plan: Plan, language: str = "en") -> str:
    """The line under a plan's name in the picker: who offers it, where, what kind."""
    where = (
        state_name(plan.situs_state, language)
        if plan.situs_state
        else say("app.plan.all_states", language)
    )
    parts = [plan.issuer, where, plan_kind(plan.market, language)]
    if plan.metadata.fictional:
        parts.append(fictional_badge(language))
    return " · ".join(parts)


def _built_plan_name(plan: Plan, language: str) -> str:
    """The name of a plan built from the kind of plan (and what she reported), in words."""
    kind = data_words(markets.profile(plan.market).label, language)
    reported = plan.id.startswith("reported-")
    if reported and plan.name != fields.text("en").phrases["reported_plan_unnamed"].format(
        kind=markets.profile(plan.market).label
    ):
        return plan.name  # the name she gave
    if reported:
        return say("app.plan.reported_unnamed", language, kind=kind)
    if plan.situs_state:
        state = state_name(plan.situs_state, language)
        return say("app.plan.generic", language, kind=kind, state=state)
    return say("app.plan.generic_no_state", language, kind=kind)


def plan_title(plan: Plan, language: str = "en") -> str:
    """The plan's name as the answer page shows it, badged when it is a made-up example."""
    if plan.id.startswith("generic-"):
        return plan.name if language == "en" else _built_plan_name(plan, language)
    name = plan.name
    if plan.id.startswith("reported-") and language != "en":
        name = _built_plan_name(plan, language)
    badge = f" ({fictional_badge(language).lower()})" if plan.metadata.fictional else ""
    return f"{name}, {data_words(plan.issuer, language)}{badge}"


def generic_funding(market: str, funding: str) -> str:
    """Who carries the risk, for the "I don't know my plan's details" path.

    The funding question is about job-based plans; a plan bought on the individual market is
    always sold by an insurer (fully insured), whatever was answered.
    """
    return markets.profile(market).unknown_plan.funding or funding


def needs_state(market: str) -> bool:
    """Whether the "I don't know my plan's details" path needs the patient's state."""
    return markets.profile(market).plan_rules.situs_state == "required"


def _listed(prefix: str, keys: tuple[str, ...], language: str) -> tuple[str, ...]:
    """Messages under `prefix` ("pages.records.") in order."""
    return tuple(say(f"{prefix}{key}", language) for key in keys)


def questions_for_your_plan(language: str = "en") -> tuple[str, ...]:
    """What to ask the plan when we answered from the kind of plan only."""
    keys = ("covers", "referral", "approval", "network", "cost", "outside", "funding", "visit")
    return _listed("pages.plan_questions.", keys, language)


def market_unknown_headline(language: str = "en") -> str:
    return say("pages.market_unknown", language)


def how_to_tell_your_plan(language: str = "en") -> tuple[str, ...]:
    return _listed("pages.how_to_tell.", ("card", "job", "call"), language)


def funding_help(language: str = "en") -> str:
    return say("app.plan.funding_help", language)


# --------------------------------------------------------------------------------------------
# The answer in plain words (data/text/<language>/pages.yaml)

_PA_CODES = ("no-auth", "auth-needed", "satisfied", "conditional")
_REFERRAL_CODES = ("no", "yes", "conditional")
_TRACE_STATUSES = ("applied", "depends", "overridden", "not_applicable", "inactive")


def pa_labels(language: str = "en") -> dict[str, str]:
    return dict(zip(_PA_CODES, _listed("pages.pa.", _PA_CODES, language), strict=True))


def referral_labels(language: str = "en") -> dict[str, str]:
    words = _listed("pages.referral.", _REFERRAL_CODES, language)
    return dict(zip(_REFERRAL_CODES, words, strict=True))


def payment_note(language: str = "en") -> str:
    return say("pages.payment_note", language)


def notice_note(language: str = "en") -> str:
    return say("pages.notice_note", language)


def records_to_gather(language: str = "en") -> tuple[str, ...]:
    keys = ("pathology", "scans", "notes", "labs", "treatments")
    return _listed("pages.records.", keys, language)


def trace_status(language: str = "en") -> dict[str, str]:
    words = _listed("pages.trace_status.", _TRACE_STATUSES, language)
    return dict(zip(_TRACE_STATUSES, words, strict=True))


# Where a plan term or a deadline comes from, when we wrote it in English (a plan she reported,
# a plan we know nothing about, the federal minimum next to a plan's own figure).
def citation_words(citation: str, language: str = "en") -> str:
    """A citation as a page shows it: the law's own citation is never translated; the English
    we wrote around it (her papers "as you entered them", "federal minimum") is."""
    if language == "en":
        return citation
    english, theirs = fields.text("en").phrases, fields.text(language).phrases
    for phrase in ("reported_sbc", "reported_papers"):
        for part in ("document", "section"):
            key = f"{phrase}_{part}"
            citation = citation.replace(english[key], theirs[key])
    for words in _GENERIC_SOURCE_WORDS:
        citation = citation.replace(words, data_words(words, language))
    minimum = say("deadlines.citation.plan_and_minimum", language, plan="", minimum="")
    return citation.replace("; federal minimum: ", minimum)


_GENERIC_SOURCE_WORDS = (
    "No plan documents: general rules for this kind of plan",
    "Ask the plan for its Evidence of Coverage or Summary Plan Description",
)


def trace_in_order(determination: Determination) -> list[TraceEntry]:
    """Rules that shaped the answer first, then the ones that did not apply."""
    order = {status: index for index, status in enumerate(_TRACE_STATUSES)}
    return sorted(
        determination.trace, key=lambda entry: (order.get(entry.status, 99), entry.priority)
    )


def open_questions(determination: Determination) -> list[tuple[str, str]]:
    """The questions the answer still needs, each once (two rules may ask the same thing)."""
    seen: dict[str, str] = {}
    for need in determination.info_needed:
        seen.setdefault(need.question.strip(), need.why)
    return list(seen.items())


def answer_facts(determination: Determination, language: str = "en") -> list[str]:
    """The short facts under the headline: referral, approval, network. A referral or approval
    the plan's papers leave open is not said here ("You may need a referral") when a question
    below asks it: once is enough."""
    asked = {need.field.rsplit(".", 1)[-1] for need in determination.info_needed}
    facts = []
    referral, approval = determination.referral_needed, determination.pa_needed
    if referral and not (referral == "conditional" and "referral_required" in asked):
        facts.append(referral_labels(language)[referral])
    if approval and not (approval == "conditional" and "prior_auth_required" in asked):
        facts.append(pa_labels(language)[approval])
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


def appeal_first(
    case: Case, plan: Plan, determination: Determination, language: str = "en"
) -> AppealFirst | None:
    """The appeal, before anything else, when the plan has said no (None when it has not):
    the date to appeal by and how fast the plan must decide (from the answer's deadlines), the
    letters for it, and, when a doctor says waiting could harm her and the kind of plan allows
    it, the urgent outside review that may run at the same time."""
    if case.denial is None:
        return None
    phrases = fields.text(language).phrases
    urgent = case.urgency.physician_certifies_urgent == "yes"
    lines = []
    for deadline in determination.deadlines:
        if "appeal" not in deadline.id and "redetermination" not in deadline.id:
            continue
        when = format_date(deadline.due, language) if deadline.due else _sentence(deadline.within)
        lines.append(f"{deadline.title}: {when}")
    if urgent and markets.profile(plan.market).features.urgent_external_review_with_appeal:
        suggested = "external_review_request" in determination.letters
        lines.append(phrases[f"urgent_review_same_time{'_suggested' if suggested else ''}"])
    letters = [t for t in APPEAL_LETTERS if t in determination.letters]
    headline = phrases["denied_urgent_headline" if urgent else "denied_headline"]
    return AppealFirst(headline, lines, letters)


def answer_headline(case: Case, determination: Determination, language: str = "en") -> str:
    """The answer's headline; once her plan has said no, as what the rules say for her appeal
    (the appeal itself comes first on the page)."""
    if case.denial is None:
        return determination.headline
    phrases = fields.text(language).phrases
    return phrases["denied_rules_say"].format(headline=determination.headline)


def timing_note(case: Case, determination: Determination, language: str = "en") -> str | None:
    """When surgery or treatment is set: whether a decision the plan owes could come after it."""
    if case.treatment_date is None:
        return None
    phrases = fields.text(language).phrases
    late = [
        d
        for d in determination.deadlines
        if d.kind == "decide_by" and d.due is not None and d.due >= case.treatment_date
    ]
    words = {"treatment": format_date(case.treatment_date, language)}
    if late:
        words["due"] = format_date(late[0].due, language)
        return phrases["treatment_before_decision"].format(**words)
    return phrases["treatment_date_tell_plan"].format(**words)


def cost_notes(plan: Plan, language: str = "en") -> list[str]:
    """Costs to know about as information (never as law): out-of-network care and balance
    bills where the plan has a network, and the self-pay price of a remote opinion."""
    phrases = fields.text(language).phrases
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


def records_checklist(determination: Determination, language: str = "en") -> list[str]:
    """The records and papers the answer asks for; the usual list if it names none."""
    items = [need.description for need in determination.doc_needed]
    return items or list(records_to_gather(language))


def action_steps(determination: Determination) -> list[str]:
    """The next steps, less the open questions (the page lists those on their own)."""
    asked = {need.question.strip() for need in determination.info_needed}
    return [step for step in determination.next_steps if step.strip() not in asked]


def deadline_lines(deadline: Deadline, language: str = "en") -> list[str]:
    """A deadline's details as short lines: the rule, how the date was found, the law."""
    lines = [_sentence(say("pages.deadline.rule", language, within=deadline.within))]
    if deadline.basis:
        lines.append(_sentence(deadline.basis))
    citation = citation_words(deadline.citation, language)
    lines.append(
        say("pages.deadline.law", language, citation=citation, checked=deadline.last_verified)
    )
    if not deadline.verified:
        lines.append(say("pages.deadline.unconfirmed", language))
    return lines


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def format_date(day: dt.date | None, language: str = "en") -> str:
    """'Monday, March 1, 2027'; Spanish: 'lunes, 1 de marzo de 2027'."""
    return long_date(day, language) if day else ""


def cost_lines(determination: Determination, language: str = "en") -> list[str]:
    """The cost in plain words; the copay, share and deductible only when not already said."""
    cost = determination.cost_sharing
    lines = [cost.summary]
    said = cost.summary
    if cost.copay and cost.copay not in said:
        lines.append(say("pages.cost.copay", language, copay=cost.copay))
    share = cost.coinsurance_percent
    if share and not share.endswith("%"):
        share += "%"  # the engine gives "20%"; a bare number is a percent too
    if share and share not in said:
        lines.append(say("pages.cost.share", language, percent=share))
    if cost.deductible and cost.deductible not in said:
        kind = {True: "deductible_applies", False: "deductible_not_applies"}.get(
            cost.deductible_applies, "deductible"
        )
        lines.append(say(f"pages.cost.{kind}", language, deductible=cost.deductible))
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
LETTER_TYPES: tuple[str, ...] = _LETTERS


def letter_info(language: str = "en") -> dict[str, tuple[str, str]]:
    """Each letter's name and what it does, in the patient's words."""
    return {
        name: (
            say(f"pages.letter.{name}.title", language),
            say(f"pages.letter.{name}.what", language),
        )
        for name in _LETTERS
    }


def missing_field_labels(fields: list[tuple[str, str]], language: str = "en") -> list[str]:
    """What a letter still needs, as the questions that ask for it and where they are.

    `fields` are (path, what is needed) pairs as the letters package reports them, with paths
    like `case.patient.name`, `case.records_from[0].name` or `plan.appeals.appeals_contact`.
    """
    out: list[str] = []
    for path, why in fields:
        text = patient_form.where_asked(path, language)
        if text is None and path.startswith("plan."):
            text = say("pages.plan_address_needed", language)
        if text is None:  # the letters package's own words are English
            text = why[:1].upper() + why[1:] if language == "en" else _need_words(why, language)
        if text not in out:
            out.append(text)
    return out


def _need_words(why: str, language: str) -> str:
    return say("app.problems.letter_need", language, what=data_words(why, language))


def letter_filename(letter_type: str, extension: str, language: str = "en") -> str:
    """File names carry no member data; a Spanish copy ends in -es."""
    suffix = "" if language == "en" else f"-{language}"
    return f"second-look-{letter_type.replace('_', '-')}{suffix}.{extension}"


def _contact_lines(contact: Contact | None, language: str) -> list[str]:
    if contact is None:
        return []
    # A name or department from the plan we built is our English ("Your plan"): in words.
    lines = [data_words(x, language) for x in (contact.name, contact.department) if x]
    lines += list(contact.address_lines)
    if contact.fax:
        lines.append(say("pages.send_to.fax", language, number=contact.fax))
    if contact.phone:
        lines.append(say("pages.send_to.phone", language, number=contact.phone))
    if contact.portal:
        lines.append(say("pages.send_to.online", language, address=contact.portal))
    if contact.email:
        lines.append(say("pages.send_to.email", language, address=contact.email))
    return lines


def send_to(
    letter_type: str, case: Case, plan: Plan | None, language: str = "en"
) -> tuple[str, list[str]]:
    """Who the letter goes to, and their address, fax and portal as far as we know them (the
    letters package's own choice of address: the one on her plan's letter wins)."""
    from letters.kinds.external_review import reviewer_contact
    from letters.parts import from_notice

    def words(key: str, **args: str) -> str:
        return say(f"pages.send_to.{key}", language, **args)

    if letter_type in ("preauth_request", "network_exception_request"):
        contact = None
        if plan is not None:
            exception = plan.network_exception.contact
            um = plan.appeals.um_contact
            contact = exception if letter_type == "network_exception_request" and exception else um
        return words("prior_auth_team"), _contact_lines(contact, language)
    if letter_type in ("appeal", "expedited_appeal", "claim_file_request"):
        # The address on her plan's letter wins, as in the letter itself.
        appeals = from_notice(case, plan.appeals.appeals_contact, "")[0] if plan else None
        lines = _contact_lines(appeals, language) if plan else []
        if letter_type == "expedited_appeal" and plan is not None:
            if plan.appeals.expedited_fax:
                lines.append(words("urgent_fax", number=plan.appeals.expedited_fax))
            if plan.appeals.expedited_phone:
                lines.append(words("urgent_phone", number=plan.appeals.expedited_phone))
        return words("appeals_team"), lines
    if letter_type == "external_review_request":
        if plan is None:
            return words("outside_reviewer"), []
        contact, path = reviewer_contact(case, plan)
        named_by_her_letter = path == "case.denial.external_review_to"
        who = words("outside_reviewer") if named_by_her_letter else None
        return who or data_words(plan.external_review.administered_by, language), _contact_lines(
            contact, language
        )
    if letter_type == "records_request":
        if case.records_from:
            holder = case.records_from[0]
            lines = [holder.name, *holder.address_lines]
            lines += [words("fax", number=holder.fax)] if holder.fax else []
            lines += [words("phone", number=holder.phone)] if holder.phone else []
            return words("records_office"), lines
        return words("records_office"), []
    if letter_type == "physician_letter":
        doctor = case.referring_physician
        lines = [x for x in (doctor.name, doctor.practice) if x] + list(doctor.address_lines)
        return words("doctor"), lines
    return words("see_letter"), []


def how_to_send(language: str = "en") -> tuple[str, ...]:
    return _listed("pages.how_to_send.", ("read", "sign", "fax", "mail", "copy", "call"), language)


def call_log_tips(language: str = "en") -> tuple[str, ...]:
    return _listed("pages.call_log.", ("when", "who", "what", "reference"), language)


# --------------------------------------------------------------------------------------------
# Save and resume: the case file

CASE_FILE_NAME = "second-look-case.yaml"


def _case_file_header(language: str) -> str:
    """The two comment lines at the top of a saved file."""
    return "".join(f"# {say(f'app.case_file.{key}', language)}\n" for key in ("header", "keep"))


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def case_to_yaml(case: Case) -> bytes:
    """The case as a YAML case file (the format `secondlook check` and the upload read), with a
    header in her language; the file keeps the language she chose (`language: es`; English,
    the default, is left out so an English file reads as it did before languages)."""
    data = _prune(
        case.model_dump(mode="json", exclude={"language"} if case.language == "en" else None)
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return (_case_file_header(case.language) + body).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Text for the readability test


def patient_texts(language: str = "en") -> list[str]:
    """Every sentence of guidance and every label this module shows a patient."""
    texts: list[str] = patient_form.patient_texts(language)
    for choices in (market_choices(language), funding_choices(language)):
        texts += [label for _, label in choices]
    texts += list(questions_for_your_plan(language))
    texts += [market_unknown_headline(language), funding_help(language)]
    texts += list(how_to_tell_your_plan(language)) + [fictional_badge(language)]
    texts += list(pa_labels(language).values()) + list(referral_labels(language).values())
    texts += [payment_note(language), notice_note(language)] + list(records_to_gather(language))
    for title, what in letter_info(language).values():
        texts += [title, what]
    texts += list(how_to_send(language)) + list(call_log_tips(language))
    return texts
