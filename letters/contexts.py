"""Letter contexts: one pydantic model per letter type, built from case + plan + determination.

`build_context(letter_type, case, plan, determination)` checks that everything a letter needs is
there *before* rendering: a missing member ID, appeals address or denial is a `MissingFieldError`
naming the field(s) (never their values: member data stays out of messages). A letter that does
not exist for the plan's market (prior authorisation under Original Medicare, an external-review
request under Medicare Advantage, whose plan forwards the case itself) is a `NotApplicableError`
that says what to do instead.

The models hold ready-to-print strings and lists; the templates (letters/templates/*.docx, built
by letters/build_templates.py) arrange them. Law sentences come from letters/law_text.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from coverage.appeals import next_appeal_step
from coverage.base import Contact
from coverage.case import Case
from coverage.determination import Determination
from coverage.law import LawBook
from coverage.plan import Plan, TierCostSharing
from letters import law_text
from letters.law_text import COMMERCIAL, Figures

# --- errors ------------------------------------------------------------------------------------


class LetterError(ValueError):
    """A letter cannot be written from this case and plan (the message says why)."""


class MissingFieldError(LetterError):
    """Required data is missing; `fields` lists (field path, what is needed)."""

    def __init__(self, letter_type: str, fields: list[tuple[str, str]]):
        self.letter_type = letter_type
        self.fields = fields
        lines = [f"{path}: {why}" for path, why in fields]
        super().__init__(f"cannot write the {letter_type} letter:\n" + "\n".join(lines))


class NotApplicableError(LetterError):
    """This letter type does not exist for this plan or stage of the case."""

    def __init__(self, letter_type: str, reason: str):
        self.letter_type = letter_type
        super().__init__(f"no {letter_type} letter for this case: {reason}")


# --- models ------------------------------------------------------------------------------------


class LetterModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Party(LetterModel):
    """An address block: lines (name, department, street, city) and contact lines."""

    lines: list[str]
    contact: list[str] = []


class Row(LetterModel):
    label: str
    value: str


class Signer(LetterModel):
    name: str
    lines: list[str] = []


class LetterContext(LetterModel):
    """What every letter has."""

    letter_type: str
    title: str
    date: str
    expedited: bool = False
    expedited_note: str = ""
    sender: Party
    re_rows: list[Row]
    salutation: str
    signer: Signer
    enclosures: list[str] = []
    copies_to: list[str] = []
    footer_id: str


class PlanLetter(LetterContext):
    """A letter to the plan (or the reviewer) about the second opinion."""

    recipient: Party
    delivery: str = ""
    service: str
    ask: str
    clinical: list[str] = []
    narrative: list[str] = []
    reasons: list[str] = []
    plan_terms: list[str] = []
    points: list[str] = []
    law: list[str] = []
    mandates: list[str] = []
    evidence: list[str] = []
    requests: list[str] = []
    closing: str


class PreauthContext(PlanLetter):
    letter_type: Literal["preauth_request"] = "preauth_request"


class NetworkExceptionContext(PlanLetter):
    letter_type: Literal["network_exception_request"] = "network_exception_request"
    exception_name: str
    gap: list[str]
    cost_compare: list[str] = []


class AppealContext(PlanLetter):
    letter_type: Literal["appeal", "expedited_appeal"] = "appeal"
    denial_words: str
    denial_reason: str = ""
    urgent_statement: str = ""


class ExternalReviewContext(PlanLetter):
    letter_type: Literal["external_review_request"] = "external_review_request"
    denial_words: str
    denial_reason: str = ""
    urgent_statement: str = ""
    history: list[str] = []


class ClaimFileContext(LetterContext):
    letter_type: Literal["claim_file_request"] = "claim_file_request"
    recipient: Party
    delivery: str = ""
    service: str
    denial_words: str
    items: list[str]
    law: list[str] = []
    evidence: list[str] = []
    timing: str
    closing: str


class RecordsHolderBlock(LetterModel):
    recipient: Party
    delivery: str = ""


class RecordsRequestContext(LetterContext):
    letter_type: Literal["records_request"] = "records_request"
    holders: list[RecordsHolderBlock]
    destination: Party
    destination_name: str
    items: list[str]
    period: str
    law: list[str]
    timing: str
    closing: str


class PhysicianLetterContext(LetterContext):
    letter_type: Literal["physician_letter"] = "physician_letter"
    recipient: Party
    delivery: str = ""
    patient_name: str
    physician_intro: str
    service: str
    ask: str
    clinical: list[str] = []
    narrative: list[str] = []
    reasons: list[str] = []
    specialist: list[str] = []
    urgent_statement: str = ""
    law: list[str] = []
    mandates: list[str] = []
    peer_to_peer: str = ""


CONTEXT_MODELS: dict[str, type[LetterContext]] = {
    "preauth_request": PreauthContext,
    "network_exception_request": NetworkExceptionContext,
    "appeal": AppealContext,
    "expedited_appeal": AppealContext,
    "external_review_request": ExternalReviewContext,
    "claim_file_request": ClaimFileContext,
    "records_request": RecordsRequestContext,
    "physician_letter": PhysicianLetterContext,
}

# --- small helpers -----------------------------------------------------------------------------


def fmt_date(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def paragraphs(text: str | None) -> list[str]:
    """Multi-line narrative -> paragraphs: split on blank lines; single newlines stay as line
    breaks inside a paragraph (the renderer turns them into <w:br/>)."""
    if not text:
        return []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [line.strip() for line in block.split("\n")]
        joined = "\n".join(line for line in lines if line)
        if joined:
            out.append(joined)
    return out


def _money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return f"${value:,.2f}".replace(".00", "")


def tier_words(tier: TierCostSharing) -> str:
    parts = []
    if tier.specialist_copay is not None:
        parts.append(f"a {_money(tier.specialist_copay)} specialist copay")
    if tier.specialist_coinsurance_percent is not None:
        parts.append(f"{tier.specialist_coinsurance_percent.normalize():f}% coinsurance")
    words = " and ".join(parts) if parts else "the plan's cost sharing"
    if tier.deductible_applies and tier.deductible_individual is not None:
        words += f" after the {_money(tier.deductible_individual)} deductible"
    elif tier.deductible_applies:
        words += " after the deductible"
    if tier.balance_billing_possible:
        words += ", and the doctor may bill me the difference (balance billing)"
    return words


def _contact_lines(*, phone: str | None, fax: str | None = None, email: str | None = None):
    """Phone, fax and email on one line (an address block stays short)."""
    out = []
    if phone:
        out.append(f"Phone {phone.strip()}")
    if fax:
        out.append(f"Fax {fax.strip()}")
    if email:
        out.append(email.strip())
    return [" · ".join(out)] if out else []


def lower_first(text: str) -> str:
    """'Invasive ductal carcinoma' -> 'invasive ductal carcinoma'; 'HER2-positive' stays."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _clean(value: str | None) -> str | None:
    value = value.strip() if isinstance(value, str) else value
    return value or None


class _Needs:
    """Collects missing fields so one error names all of them."""

    def __init__(self, letter_type: str):
        self.letter_type = letter_type
        self.missing: list[tuple[str, str]] = []

    def require(self, value: Any, path: str, why: str) -> Any:
        if value is None or (isinstance(value, str | list) and not value):
            self.missing.append((path, why))
        return value

    def check(self) -> None:
        if self.missing:
            raise MissingFieldError(self.letter_type, self.missing)


# --- the parts of a letter ---------------------------------------------------------------------

VISIT_WORDS = {
    "in_person": "an in-person {what} consultation",
    "telehealth": "a {what} consultation by telehealth",
    "records_review": "a {what} review of my records, pathology slides and images (no visit)",
    "unknown": "a {what} consultation",
}
NCI_WORDS = {
    "comprehensive": "an NCI-designated Comprehensive Cancer Center",
    "clinical": "an NCI-designated Cancer Center",
}
MEMBER_ID_LABEL = {
    "original_medicare": "Medicare Number",
}


def opinion_word(case: Case) -> str:
    return "third-opinion" if case.reasons.opinions_so_far >= 2 else "second-opinion"


def provider_line(case: Case, *, npi: bool = True) -> str | None:
    p = case.provider
    name = _clean(p.name)
    institution = _clean(p.institution)
    if not name and not institution:
        return None
    parts = [name or institution]
    if name and _clean(p.specialty):
        parts[0] += f" ({p.specialty.strip()})"
    if name and institution:
        parts.append(institution)
    line = ", ".join(parts)
    if npi and p.npi:
        line += f", NPI {p.npi}"
    return line


def service_words(case: Case, *, first_person: bool = True) -> str:
    visit = VISIT_WORDS[case.provider.visit_type].format(what=opinion_word(case))
    if not first_person:
        visit = visit.replace("my records", "the records")
    line = provider_line(case, npi=False)
    if line and _clean(case.provider.name) and _clean(case.provider.institution):
        line = line.replace(
            f", {case.provider.institution.strip()}", f" at {case.provider.institution.strip()}"
        )
    return f"{visit} with {line}" if line else visit


def diagnosis_words(case: Case) -> str | None:
    d = case.diagnosis
    desc = _clean(d.description)
    if desc and d.icd10:
        return f"{desc} (ICD-10-CM {d.icd10})"
    if desc:
        return desc
    if d.icd10:
        return f"ICD-10-CM {d.icd10}"
    return None


def clinical_lines(case: Case) -> list[str]:
    """One summary line: diagnosis, stage, when diagnosed."""
    d = case.diagnosis
    parts = []
    diagnosis = diagnosis_words(case)
    if diagnosis:
        parts.append(diagnosis)
    if _clean(d.stage):
        parts.append(d.stage.strip())
    if d.date_diagnosed:
        newly = "newly diagnosed on" if d.newly_diagnosed == "yes" else "diagnosed on"
        parts.append(f"{newly} {fmt_date(d.date_diagnosed)}")
    elif d.newly_diagnosed == "yes":
        parts.append("newly diagnosed")
    if not parts:
        return []
    text = "; ".join(parts)
    return [text[0].upper() + text[1:] + "."]


def reason_lines(case: Case) -> list[str]:
    r = case.reasons
    out = []
    if r.surgery_recommended == "yes":
        out.append(
            "Surgery has been recommended; surgical approaches differ and a specialist "
            "may offer a less invasive or better option."
        )
    if r.major_treatment_recommended == "yes":
        out.append("Chemotherapy, radiation or another major treatment has been recommended.")
    if r.before_treatment_starts == "yes":
        out.append(
            "Treatment has not started yet: this is the time to confirm the diagnosis, "
            "the stage and the treatment plan."
        )
    if r.treatment_not_working == "yes":
        out.append(
            "The current treatment is not working, and other options need to be "
            "considered, including clinical trials."
        )
    if r.diagnosis_unclear == "yes":
        out.append("The diagnosis or the stage is not clear.")
    if case.diagnosis.rare_or_aggressive == "yes":
        out.append(
            "The cancer is rare or aggressive, so experience with this specific cancer matters."
        )
    if r.opinions_so_far >= 2 and r.opinions_differ == "yes":
        out.append("The first two opinions differ, so a third opinion is needed to decide.")
    return out


def plan_noun(plan: Plan) -> str:
    return "Medicare" if plan.market == "original_medicare" else "My plan"


def plan_term_lines(case: Case, plan: Plan) -> list[str]:
    so = plan.second_opinion
    who = plan_noun(plan)
    out = []
    src = so.coverage.source
    where = f"{src.document}, {src.section}"
    if so.coverage.covered == "yes":
        out.append(f"{who} covers second medical opinions ({where}).")
    elif so.coverage.covered == "conditional" and so.coverage.conditions:
        out.append(
            f"{who} covers second medical opinions on these conditions: "
            f"{'; '.join(so.coverage.conditions)} ({where})."
        )
    tier = so.in_network if case.provider.in_network == "yes" else so.out_of_network
    if case.provider.in_network in ("yes", "no") and tier.covered == "yes":
        t = tier.source
        network = "in-network" if case.provider.in_network == "yes" else "out-of-network"
        if plan.market == "original_medicare":
            network = "" if case.provider.in_network == "yes" else "out-of-network"
        needs = []
        if tier.prior_auth_required == "yes":
            needs.append("prior authorization")
        if tier.referral_required == "yes":
            needs.append("a referral")
        cond = f" with {' and '.join(needs)}" if needs else ""
        if network or cond:
            network = f"{network} " if network else ""
            out.append(f"{who} covers {network}second opinions{cond} ({t.document}, {t.section}).")
    if (
        case.reasons.opinions_so_far >= 2
        and case.reasons.opinions_differ == "yes"
        and so.third_opinion.covered in ("yes", "when_first_two_differ")
    ):
        t = so.third_opinion.source
        out.append(
            f"{who} covers a third opinion when the first two differ, as they do here "
            f"({t.document}, {t.section})."
        )
    if case.provider.visit_type == "telehealth" and so.telehealth.covered == "yes":
        t = so.telehealth.source
        out.append(f"{who} covers telehealth visits ({t.document}, {t.section}).")
    if case.provider.visit_type == "records_review" and so.records_review.covered == "yes":
        t = so.records_review.source
        out.append(f"{who} covers a specialist's review of records ({t.document}, {t.section}).")
    return out


def specialist_lines(case: Case, *, first_person: bool = True) -> list[str]:
    p = case.provider
    out = []
    who = _clean(p.name) or _clean(p.institution) or "The specialist"
    where = _clean(p.institution)
    if p.nci_designation in NCI_WORDS and where:
        out.append(f"{where} is {NCI_WORDS[p.nci_designation]}.")
    if case.qualified_in_network_specialist == "no":
        mine = "my" if first_person else "the patient's"
        cancer = _clean(case.diagnosis.description)
        cancer = f" ({lower_first(cancer)})" if cancer else ""
        specialty = f" ({p.specialty.strip()})" if _clean(p.name) and _clean(p.specialty) else ""
        out.append(
            f"The plan's network has no specialist with the training and experience to treat "
            f"{mine} cancer{cancer}. {who}{specialty} has that expertise."
        )
    return out


def recipient_party(contact: Contact) -> Party:
    lines = [x for x in (_clean(contact.name), _clean(contact.department)) if x]
    lines += [x.strip() for x in contact.address_lines if x.strip()]
    return Party(lines=lines, contact=_contact_lines(phone=contact.phone, fax=contact.fax))


def require_contact(need: _Needs, contact: Contact | None, path: str, what: str) -> None:
    hint = " (or copy it from the notice into denial.send_to)" if path.startswith("plan.") else ""
    if contact is None:
        need.require(None, path, f"the {what}: add it to the plan file{hint}")
        return
    if not any(line.strip() for line in contact.address_lines) and not contact.fax:
        need.require(None, f"{path}.address_lines", f"the {what}'s mailing address or fax{hint}")


def from_notice(case: Case, contact: Contact | None, path: str) -> tuple[Contact | None, str]:
    """The address printed on the denial notice wins over the plan file's: the notice governs."""
    if case.denial is not None and case.denial.send_to is not None:
        return case.denial.send_to, "case.denial.send_to"
    return contact, path


def delivery_line(fax: str | None, *, expedited: bool = False, phone: str | None = None) -> str:
    if fax and expedited and phone:
        return f"By fax to {fax} (expedited line), by phone to {phone}, and by mail"
    if fax:
        return f"By fax to {fax} and by mail"
    return "By mail"


def patient_party(case: Case) -> Party:
    p = case.patient
    return Party(
        lines=[p.name.strip()] + [x.strip() for x in p.address_lines if x.strip()],
        contact=_contact_lines(phone=p.phone, email=p.email),
    )


def member_word(plan: Plan) -> str:
    return "Beneficiary" if plan.market == "original_medicare" else "Member"


def patient_signer(case: Case) -> Signer:
    """The patient signs with their name only (the RE block already says who they are)."""
    return Signer(name=case.patient.name.strip())


def doctor_noun(case: Case) -> str:
    """'oncologist' when the referring doctor is one (or the specialty is not given)."""
    specialty = (case.referring_physician.specialty or "").lower()
    return "oncologist" if not specialty or "oncolog" in specialty else "doctor"


def physician_words(case: Case) -> tuple[str, str] | None:
    """(name, specialty) of the referring physician, when named."""
    doc = case.referring_physician
    if not _clean(doc.name):
        return None
    return doc.name.strip(), law_text.specialty_words(doc.specialty)


def peer_to_peer_line(case: Case) -> str:
    doc = case.referring_physician
    if not _clean(doc.name):
        return ""
    specialty = law_text.specialty_words(doc.specialty or case.provider.specialty)
    reach = f", who can be reached at {doc.phone.strip()}," if _clean(doc.phone) else ","
    return (
        f"Before any decision against me, please arrange a peer-to-peer discussion between my "
        f"{doctor_noun(case)}, {doc.name.strip()}{reach} and a reviewer who practices in the same "
        f"specialty ({specialty})."
    )


def copies(case: Case, *, provider: bool = False, physician: bool = True) -> list[str]:
    out = []
    doc = case.referring_physician
    if physician and _clean(doc.name):
        practice = f", {doc.practice.strip()}" if _clean(doc.practice) else ""
        out.append(f"{doc.name.strip()}{practice} (treating {doctor_noun(case)})")
    if provider:
        line = provider_line(case, npi=False)
        if line:
            out.append(f"{line} (second-opinion specialist)")
    return out


def member_rows(case: Case, plan: Plan, *, dob: bool = True) -> list[Row]:
    p = case.patient
    rows = [Row(label=member_word(plan), value=p.name.strip())]
    if dob and p.date_of_birth:
        rows.append(Row(label="Date of birth", value=fmt_date(p.date_of_birth)))
    rows.append(Row(label=MEMBER_ID_LABEL.get(plan.market, "Member ID"), value=p.member_id))
    if _clean(p.group_number) and plan.market == "employer_group":
        rows.append(Row(label="Group number", value=p.group_number.strip()))
    rows.append(Row(label="Plan", value=plan.name))
    return rows


def service_rows(case: Case) -> list[Row]:
    service = f"{opinion_word(case).capitalize()} consultation (oncology)"
    line = provider_line(case)
    rows = [Row(label="Service", value=f"{service} with {line}" if line else service)]
    diagnosis = diagnosis_words(case)
    if diagnosis:
        rows.append(Row(label="Diagnosis", value=diagnosis))
    return rows


def denial_rows(case: Case) -> list[Row]:
    d = case.denial
    rows = []
    if d is None:
        return rows
    if _clean(d.claim_number):
        rows.append(Row(label="Claim number", value=d.claim_number.strip()))
    if _clean(d.reference_number):
        rows.append(Row(label="Reference number", value=d.reference_number.strip()))
    if d.notice_date:
        received = f" (received {fmt_date(d.date_received)})" if d.date_received else ""
        rows.append(Row(label="Date of notice", value=fmt_date(d.notice_date) + received))
    elif d.date_received:
        rows.append(Row(label="Notice received", value=fmt_date(d.date_received)))
    return rows


SHORT_NAMES = {  # for the footer: which letter this page belongs to
    "preauth_request": {
        "employer_group": "Prior authorization request",
        "individual": "Prior authorization request",
        "medicare_advantage": "Organization determination request",
        "medicaid_managed_care": "Service authorization request",
        "original_medicare": "Prior authorization request",
    },
    "appeal": {
        "employer_group": "Internal appeal",
        "individual": "Internal appeal",
        "original_medicare": "Redetermination request",
        "medicare_advantage": "Reconsideration request",
        "medicaid_managed_care": "Plan appeal",
    },
    "external_review_request": {
        "employer_group": "External review request",
        "individual": "External review request",
        "original_medicare": "QIC reconsideration request",
        "medicare_advantage": "External review request",
        "medicaid_managed_care": "State fair hearing request",
    },
}


def footer_for(case: Case, plan: Plan, what: str) -> str:
    label = MEMBER_ID_LABEL.get(plan.market, "Member ID")
    return f"{case.patient.name.strip()} · {label} {case.patient.member_id.strip()} · {what}"


def _require_member(need: _Needs, case: Case) -> None:
    need.require(_clean(case.patient.name), "case.patient.name", "the member's name")
    need.require(
        _clean(case.patient.member_id),
        "case.patient.member_id",
        "the member ID from the insurance card",
    )


def _require_denial(need: _Needs, case: Case) -> None:
    if case.denial is None:
        need.require(None, "case.denial", "the denial being appealed (date, reason, reference)")
    elif case.denial.notice_date is None and case.denial.date_received is None:
        need.require(None, "case.denial.notice_date", "the date on the denial notice")


def _denial_notice_words(plan: Plan, case: Case) -> str:
    d = case.denial
    assert d is not None
    noun = {
        "original_medicare": "initial determination",
        "medicare_advantage": "organization determination",
    }.get(plan.market, "adverse benefit determination")
    if d.level == "internal_appeal" and plan.market == "original_medicare":
        noun = "redetermination"
    elif d.level != "initial" and plan.market == "medicaid_managed_care":
        noun = "notice of appeal resolution"
    elif d.level in ("internal_appeal", "final_internal") and plan.market in COMMERCIAL:
        noun = (
            "internal appeal decision"
            if d.level == "internal_appeal"
            else ("final internal adverse benefit determination")
        )
    when = d.notice_date or d.date_received
    ref = d.reference_number or d.claim_number
    words = (
        f"the {noun} dated {fmt_date(when)}"
        if d.notice_date
        else (f"the {noun} I received on {fmt_date(when)}")
    )
    if _clean(ref):
        words += f" (reference {ref.strip()})"
    return words


def _enclosures_for_denial(plan: Plan, case: Case) -> list[str]:
    d = case.denial
    if d is None:
        return []
    when = d.notice_date or d.date_received
    notice = "Medicare Summary Notice" if plan.market == "original_medicare" else "denial notice"
    if d.level != "initial" and plan.market != "original_medicare":
        notice = "decision notice"
    return [f"Copy of the {notice} ({fmt_date(when)})"]


def _physician_enclosure(case: Case) -> list[str]:
    doc = physician_words(case)
    return [f"Letter of medical necessity from {doc[0]}"] if doc else []


CLINICAL_ENCLOSURE = "Pathology report, imaging reports and my oncologist's recent notes"
SEARCH_ENCLOSURE = (
    "My search of the plan's provider directory and a log of the offices I called (dates, "
    "names, answers)"
)

# --- builders ----------------------------------------------------------------------------------


def _common(letter_type: str, case: Case, plan: Plan, today: dt.date) -> dict[str, Any]:
    return {
        "letter_type": letter_type,
        "date": fmt_date(today),
        "sender": patient_party(case),
        "signer": patient_signer(case),
    }


def _preauth_titles(plan: Plan, case: Case) -> tuple[str, str]:
    what = opinion_word(case)
    match plan.market:
        case "medicare_advantage":
            return (
                f"Request for an organization determination: {what} consultation",
                "Dear Utilization Management Reviewer:",
            )
        case "medicaid_managed_care":
            return (
                f"Request for service authorization: {what} consultation",
                "Dear Utilization Management Reviewer:",
            )
    return (
        f"Request for prior authorization: {what} consultation",
        "Dear Utilization Management Reviewer:",
    )


def _urgent(case: Case) -> bool:
    return case.urgency.physician_certifies_urgent == "yes"


def _urgent_statement(case: Case, *, first_person: bool = True) -> str:
    doc = physician_words(case)
    who = f"My {doctor_noun(case)}, {doc[0]}," if doc else "My physician"
    mine = "my" if first_person else "the patient's"
    return (
        f"{who} certifies that waiting the standard time for a decision could seriously "
        f"jeopardize {mine} life or health or {mine} ability to regain maximum function. Please "
        f"handle this request as urgent."
    )


def build_preauth(case, plan, determination, today, law) -> PreauthContext:  # noqa: ANN001
    need = _Needs("preauth_request")
    if plan.market == "original_medicare":
        raise NotApplicableError(
            "preauth_request",
            "Original Medicare needs no prior authorization or referral for a second opinion; "
            "any doctor who accepts Medicare can see you",
        )
    _require_member(need, case)
    need.require(provider_line(case), "case.provider.name", "the second-opinion specialist")
    contact = plan.appeals.um_contact
    require_contact(need, contact, "plan.appeals.um_contact", "utilization management office")
    need.check()
    urgent = _urgent(case)
    title, salutation = _preauth_titles(plan, case)
    figures = Figures(law, determination.as_of)
    service = service_words(case)
    out_of_network = case.provider.in_network == "no"
    ask = f"I ask the plan to approve {service} before the visit"
    if out_of_network and case.qualified_in_network_specialist == "no":
        ask += ", at the in-network level of cost sharing"
    ask += ", and to send me the approval in writing with its authorization number."
    requests = [
        "Please send your decision in writing; if you deny any part of this request, give the "
        "specific reason and the plan provision or clinical criteria you relied on."
    ]
    p2p = peer_to_peer_line(case)
    if p2p:
        requests.append(p2p)
    if urgent:
        requests.append("Please also call me with the decision.")
    enclosures = _physician_enclosure(case) + [CLINICAL_ENCLOSURE]
    if determination.network.exception_request_needed:
        enclosures.append(SEARCH_ENCLOSURE)
    return PreauthContext(
        **_common("preauth_request", case, plan, today),
        title=title + (" (urgent)" if urgent else ""),
        expedited=urgent,
        expedited_note="Urgent pre-service request: a physician certifies that waiting the "
        "standard time could seriously jeopardize the patient's health."
        if urgent
        else "",
        recipient=recipient_party(contact),
        delivery=delivery_line(contact.fax),
        re_rows=member_rows(case, plan)
        + service_rows(case)
        + ([Row(label="Request", value="Urgent (expedited)")] if urgent else []),
        salutation=salutation,
        service=service,
        ask=ask,
        clinical=clinical_lines(case),
        narrative=paragraphs(case.reasons.notes),
        reasons=reason_lines(case),
        plan_terms=plan_term_lines(case, plan),
        points=specialist_lines(case),
        law=law_text.governing_law(plan) + law_text.preauth_law(plan, figures, urgent=urgent),
        mandates=law_text.mandate_sentences(plan, determination),
        requests=requests,
        closing=_closing(case),
        enclosures=enclosures,
        copies_to=copies(case, provider=True),
        footer_id=footer_for(case, plan, SHORT_NAMES["preauth_request"][plan.market]),
    )


def _closing(case: Case, *, expedited: bool = False, questions: bool = False) -> str:
    phone = _clean(case.patient.phone)
    if expedited and phone:
        return (
            f"Please call me with the decision at {phone} as soon as it is made, and confirm it "
            "in writing. Thank you."
        )
    reach = []
    if case.patient.phone:
        reach.append(f"by phone at {case.patient.phone}")
    if case.patient.email:
        reach.append(f"by email at {case.patient.email}")
    how = f" {' or '.join(reach)}" if reach else " at the address above"
    lead = "If you have any questions" if questions else "If you need anything else to decide"
    return f"{lead}, please contact me{how}. Thank you."


def build_network_exception(case, plan, determination, today, law) -> NetworkExceptionContext:  # noqa: ANN001
    need = _Needs("network_exception_request")
    if plan.market == "original_medicare":
        raise NotApplicableError(
            "network_exception_request",
            "Original Medicare has no network: any doctor who accepts Medicare is covered",
        )
    if plan.network_exception.available == "no":
        raise NotApplicableError(
            "network_exception_request",
            "the plan documents say it has no network exception process; ask for prior "
            "authorization of the out-of-network visit instead, and appeal a denial",
        )
    if case.provider.in_network == "yes":
        raise NotApplicableError(
            "network_exception_request", "the specialist is in the plan's network"
        )
    _require_member(need, case)
    need.require(provider_line(case), "case.provider.name", "the out-of-network specialist")
    contact = plan.network_exception.contact or plan.appeals.um_contact
    path = (
        "plan.network_exception.contact"
        if plan.network_exception.contact
        else "plan.appeals.um_contact"
    )
    require_contact(need, contact, path, "office that decides network exceptions")
    need.check()
    urgent = _urgent(case)
    figures = Figures(law, determination.as_of)
    name = _clean(plan.network_exception.name) or "network exception"
    service = service_words(case)
    cancer = lower_first(_clean(case.diagnosis.description) or "my cancer")
    if case.qualified_in_network_specialist == "no":
        gap = [
            f"I have looked for an in-network specialist with the training and experience to "
            f"treat {cancer} and there is none; the enclosed log lists who I checked."
        ]
    else:
        gap = [
            f"I have not found an in-network specialist with the training and experience to "
            f"treat {cancer}. If the plan believes one exists, please name the doctor, and "
            f"confirm that they treat this cancer and can see me in time."
        ]
    gap += specialist_lines(case)[:1] if case.provider.nci_designation in NCI_WORDS else []
    cost = []
    in_net = plan.cost_sharing.in_network
    out_net = plan.cost_sharing.out_of_network
    if out_net is not None:
        cost.append(f"In network, I pay {tier_words(in_net)}.")
        cost.append(f"Out of network, I would pay {tier_words(out_net)}.")
    plan_terms = plan_term_lines(case, plan)
    if plan.network_exception.available == "yes":
        src = plan.network_exception.source
        plan_terms.append(
            f"The plan has a {name.lower()} process for this situation "
            f"({src.document}, {src.section})."
        )
    requests = [
        "If needed, arrange a single-case agreement with the specialist so that I am not "
        "billed more than my in-network cost sharing.",
        "Send your decision in writing; if you deny the request, give the specific reason and "
        "the name of an in-network specialist who treats this cancer.",
    ]
    p2p = peer_to_peer_line(case)
    if p2p:
        requests.append(p2p)
    enclosures = _physician_enclosure(case) + [CLINICAL_ENCLOSURE, SEARCH_ENCLOSURE]
    return NetworkExceptionContext(
        **_common("network_exception_request", case, plan, today),
        title=f"Request for a {name.lower()}: out-of-network specialist at in-network cost",
        expedited=urgent,
        expedited_note="Urgent request: a physician certifies that waiting the standard time "
        "could seriously jeopardize the patient's health."
        if urgent
        else "",
        recipient=recipient_party(contact),
        delivery=delivery_line(contact.fax),
        re_rows=member_rows(case, plan)
        + service_rows(case)
        + [Row(label="Request", value=f"{name} (in-network cost sharing)")],
        salutation="Dear Utilization Management Reviewer:",
        service=service,
        ask=f"I ask the plan to cover {service} at the in-network level of cost sharing. The "
        f"specialist is not in the plan's network, and the network has no specialist with "
        f"the expertise my cancer needs.",
        exception_name=name,
        gap=gap,
        cost_compare=cost,
        clinical=clinical_lines(case),
        narrative=paragraphs(case.reasons.notes),
        reasons=reason_lines(case),
        plan_terms=plan_terms,
        law=law_text.governing_law(plan) + law_text.preauth_law(plan, figures, urgent=urgent),
        mandates=law_text.mandate_sentences(plan, determination),
        requests=requests,
        closing=_closing(case),
        enclosures=enclosures,
        copies_to=copies(case, provider=True),
        footer_id=footer_for(case, plan, "Network exception request"),
    )


def _appeal_titles(plan: Plan, case: Case, expedited: bool) -> tuple[str, str, str]:
    """(title, salutation, level row) for the first appeal in this market."""
    d = case.denial
    assert d is not None
    match plan.market:
        case "original_medicare":
            return (
                "Request for redetermination (Medicare appeal, level 1)",
                "Dear Redetermination Reviewer:",
                "Redetermination (level 1)",
            )
        case "medicare_advantage":
            kind = "Expedited reconsideration" if expedited else "Reconsideration"
            return (
                f"Request for {'an expedited' if expedited else 'a'} reconsideration "
                "(Medicare Advantage appeal)",
                "Dear Appeals Reviewer:",
                f"{kind} (level 1)",
            )
        case "medicaid_managed_care":
            kind = "Expedited plan appeal" if expedited else "Plan appeal"
            return (
                f"Request for {'an expedited' if expedited else 'a'} plan appeal (Medicaid)",
                "Dear Appeals Reviewer:",
                kind,
            )
    level = "Second-level" if d.level == "internal_appeal" else "First-level"
    kind = "expedited internal appeal" if expedited else "internal appeal"
    second = "second-level " if d.level == "internal_appeal" else ""
    article = "an expedited" if expedited else ("a" if second else "an")
    return (
        f"Request for {article} {second}internal appeal",
        "Dear Appeals Reviewer:",
        f"{level} {kind}",
    )


def _check_appeal_stage(letter_type: str, plan: Plan, case: Case) -> None:
    d = case.denial
    if d is None:
        return
    if next_appeal_step(plan, d) == "internal_appeal":
        return
    market = plan.market
    if market in COMMERCIAL:
        raise NotApplicableError(
            letter_type,
            "the plan's internal appeals are finished (its decision is final); ask for "
            "external review instead (external_review_request)",
        )
    if market == "original_medicare":
        raise NotApplicableError(
            letter_type,
            "the redetermination is done; the next level is a reconsideration by the Qualified "
            "Independent Contractor (external_review_request)",
        )
    if market == "medicare_advantage":
        raise NotApplicableError(
            letter_type,
            "after a reconsideration the plan itself must send the case to the Independent "
            "Review Entity (42 CFR 422.590, 422.592)",
        )
    raise NotApplicableError(
        letter_type,
        "Medicaid plans have one appeal level; the next step is a State fair hearing "
        "(external_review_request)",
    )


def _appeal_points(case: Case, plan: Plan) -> list[str]:
    points = plan_term_lines(case, plan)
    reasons = reason_lines(case)
    if reasons:
        points.append("A second opinion is medically appropriate now. " + " ".join(reasons))
    points += specialist_lines(case)
    doc = physician_words(case)
    if doc:
        points.append(
            f"My {doctor_noun(case)}, {doc[0]}, explains in the enclosed letter why this second "
            f"opinion "
            f"is medically necessary."
        )
    return points


def _appeal_requests(case: Case, plan: Plan, expedited: bool) -> list[str]:
    requests = []
    p2p = peer_to_peer_line(case) if plan.market != "original_medicare" else ""
    if p2p:
        requests.append(p2p)
    requests.append(
        "Tell me the name, specialty and board certification of each person who reviews this "
        "appeal."
    )
    if plan.market == "employer_group":
        requests.append(
            "Send me, free of charge, copies of all documents, records and other information "
            "relevant to my claim, including the criteria and guidelines used "
            "(29 CFR 2560.503-1(h)(2)(iii))."
        )
    else:
        requests.append("Send me copies of the documents, records and criteria the plan relied on.")
    requests.append(
        "Send your decision in writing. If you uphold the denial, give the specific reason, the "
        "plan provision or clinical criteria relied on, and how to take the next step."
    )
    return requests


def build_appeal(
    case,
    plan,
    determination,
    today,
    law,
    *,
    expedited: bool = False,  # noqa: ANN001
) -> AppealContext:
    letter_type = "expedited_appeal" if expedited else "appeal"
    need = _Needs(letter_type)
    _check_appeal_stage(letter_type, plan, case)
    if expedited and plan.market == "original_medicare":
        raise NotApplicableError(
            letter_type,
            "Original Medicare has no expedited redetermination for this service in our legal "
            "data; file a standard redetermination (appeal)",
        )
    _require_member(need, case)
    _require_denial(need, case)
    if expedited:
        if case.urgency.physician_certifies_urgent != "yes":
            need.require(
                None,
                "case.urgency.physician_certifies_urgent",
                "must be yes: an expedited appeal needs a physician to say that waiting could "
                "seriously jeopardize the patient's life, health or ability to regain maximum "
                "function",
            )
        if case.denial is not None and case.denial.service_type != "pre_service":
            need.require(
                None,
                "case.denial.service_type",
                "must be pre_service: a denied payment for care already received is not urgent",
            )
    contact, path = from_notice(case, plan.appeals.appeals_contact, "plan.appeals.appeals_contact")
    require_contact(need, contact, path, "appeals office")
    need.check()
    d = case.denial
    assert d is not None
    figures = Figures(law, determination.as_of)
    title, salutation, _level = _appeal_titles(plan, case, expedited)
    service = service_words(case)
    denial_words = _denial_notice_words(plan, case)
    specialty = law_text.specialty_words(
        case.referring_physician.specialty or case.provider.specialty
    )
    in_net = (
        ", at the in-network level of cost sharing"
        if case.provider.in_network == "no" and case.qualified_in_network_specialist == "no"
        else ""
    )
    noun = {
        "original_medicare": "redetermination",
        "medicare_advantage": "reconsideration",
    }.get(plan.market, "appeal")
    verb = "ask for a" if noun != "appeal" else "appeal"
    paid = d.service_type == "post_service"
    denied = "denied payment for" if paid else "denied"
    approve = "pay for" if paid else "approve"
    who = "Medicare" if plan.market == "original_medicare" else "the plan"
    opening = (
        f"I {verb} {noun + ' of ' if noun != 'appeal' else ''}{denial_words}, which {denied} "
        f"{service}. I ask {who} to reverse the decision and {approve} this "
        f"{opinion_word(case)} consultation{in_net}."
    )
    fax = plan.appeals.expedited_fax if expedited and plan.appeals.expedited_fax else contact.fax
    enclosures = (
        _enclosures_for_denial(plan, case) + _physician_enclosure(case) + [CLINICAL_ENCLOSURE]
    )
    rows = member_rows(case, plan) + denial_rows(case) + service_rows(case)
    return AppealContext(
        **_common(letter_type, case, plan, today),
        title=title,
        expedited=expedited,
        expedited_note="Decision needed within 72 hours: a physician certifies that waiting "
        "the standard time could seriously jeopardize the patient's health."
        if expedited
        else "",
        recipient=recipient_party(contact),
        delivery=delivery_line(
            fax, expedited=expedited, phone=plan.appeals.expedited_phone if expedited else None
        ),
        re_rows=rows,
        salutation=salutation,
        service=service,
        ask=opening,
        denial_words=denial_words,
        denial_reason=_clean(d.reason_quoted) or "",
        urgent_statement=_urgent_statement(case) if expedited else "",
        clinical=clinical_lines(case),
        narrative=paragraphs(case.reasons.notes),
        points=_appeal_points(case, plan),
        law=law_text.governing_law(plan)
        + law_text.appeal_law(
            plan,
            figures,
            urgent=expedited,
            pre_service=d.service_type == "pre_service",
            specialty=specialty,
        ),
        mandates=law_text.mandate_sentences(plan, determination),
        requests=_appeal_requests(case, plan, expedited),
        closing=_closing(case, expedited=expedited),
        enclosures=enclosures,
        copies_to=copies(case),
        footer_id=footer_for(
            case,
            plan,
            ("Expedited " + SHORT_NAMES["appeal"][plan.market].lower())
            if expedited
            else SHORT_NAMES["appeal"][plan.market],
        ),
    )


def build_external_review(case, plan, determination, today, law) -> ExternalReviewContext:  # noqa: ANN001
    letter_type = "external_review_request"
    need = _Needs(letter_type)
    market = plan.market
    route = plan.external_review.route
    if market == "medicare_advantage":
        raise NotApplicableError(
            letter_type,
            "a Medicare Advantage plan that upholds its denial must send the case to the "
            "Independent Review Entity itself (42 CFR 422.590, 422.592); you do not file it",
        )
    if market in COMMERCIAL and (plan.grandfathered or route == "none"):
        raise NotApplicableError(letter_type, "the plan data show no external review for this plan")
    _require_member(need, case)
    _require_denial(need, case)
    urgent = _urgent(case) and (case.denial is None or case.denial.service_type == "pre_service")
    d = case.denial
    if d is not None and d.level == "initial" and not (urgent and market in COMMERCIAL):
        need.require(
            None,
            "case.denial.level",
            "external review follows the plan's final appeal decision (set the level to "
            "final_internal or internal_appeal); appeal the first denial first",
        )
    contact = plan.external_review.contact
    path = "plan.external_review.contact"
    if contact is None and route == "federal_iro":
        # The federal process for self-funded plans starts with a request to the plan.
        contact, path = plan.appeals.appeals_contact, "plan.appeals.appeals_contact"
    contact, path = from_notice(case, contact, path)
    require_contact(
        need, contact, path, f"external reviewer ({plan.external_review.administered_by})"
    )
    need.check()
    assert d is not None and contact is not None
    figures = Figures(law, determination.as_of)
    service = service_words(case)
    denial_words = _denial_notice_words(plan, case)
    match market:
        case "original_medicare":
            title = (
                "Request for reconsideration by the Qualified Independent Contractor "
                "(Medicare appeal, level 2)"
            )
            salutation = "Dear Reconsideration Reviewer:"
            ask = (
                f"I ask for a reconsideration of {denial_words}, which upheld the denial of "
                f"{'payment for ' if d.service_type == 'post_service' else ''}{service}. I ask "
                f"the Qualified Independent Contractor to reverse it."
            )
            level = "Reconsideration (level 2)"
        case "medicaid_managed_care":
            title = "Request for a State fair hearing (Medicaid)"
            salutation = "Dear Hearing Officer:"
            ask = (
                f"I ask for a State fair hearing on {denial_words}, in which my Medicaid plan "
                f"upheld its denial of {service}. I ask that the denial be reversed. I am "
                f"filing within the time stated on the plan's notice."
            )
            level = "State fair hearing"
        case _:
            title = "Request for " + ("expedited " if urgent else "") + "external review"
            salutation = "Dear External Reviewer:"
            ask = (
                f"I ask for an independent external review of {denial_words}, which denied "
                f"{service}. I ask the reviewer to reverse the denial."
            )
            level = "Expedited external review" if urgent else "External review"
    history = []
    simultaneous = d.level == "initial"
    if simultaneous:
        history.append(
            "Because my situation is urgent, I am asking for this expedited external review at "
            "the same time as my expedited internal appeal to the plan, which I have sent today."
        )
    rows = member_rows(case, plan) + denial_rows(case) + service_rows(case)
    rows.append(Row(label="Request", value=level))
    enclosures = (
        _enclosures_for_denial(plan, case)
        + [
            "Copy of my redetermination request"
            if market == "original_medicare"
            else "Copy of my " + ("expedited " if simultaneous else "") + "appeal to the plan"
        ]
        + _physician_enclosure(case)
        + [CLINICAL_ENCLOSURE]
    )
    requests = [
        f"Please ask {'the Medicare contractor' if market == 'original_medicare' else 'the plan'}"
        " for its complete file on this claim, including the criteria it "
        "used, and send me a copy of anything new it submits.",
        f"Please have the case reviewed by a physician in the same specialty "
        f"({law_text.specialty_words(case.referring_physician.specialty)}).",
        "Send me your decision in writing.",
    ]
    if urgent:
        requests.insert(0, "Please decide this request as an expedited review.")
    return ExternalReviewContext(
        **_common(letter_type, case, plan, today),
        title=title,
        expedited=urgent,
        expedited_note="Expedited review requested: a physician certifies that waiting the "
        "standard time could seriously jeopardize the patient's health."
        if urgent
        else "",
        recipient=recipient_party(contact),
        delivery=delivery_line(contact.fax),
        re_rows=rows,
        salutation=salutation,
        service=service,
        ask=ask,
        denial_words=denial_words,
        denial_reason=_clean(d.reason_quoted) or "",
        urgent_statement=_urgent_statement(case) if urgent else "",
        history=history,
        clinical=clinical_lines(case),
        narrative=paragraphs(case.reasons.notes),
        points=_appeal_points(case, plan),
        law=law_text.governing_law(plan)
        + law_text.external_law(plan, figures, urgent=urgent, final=not simultaneous),
        mandates=law_text.mandate_sentences(plan, determination),
        requests=requests,
        closing=_closing(case),
        enclosures=enclosures,
        copies_to=(
            [f"{plan.issuer}, appeals department"]
            if market in COMMERCIAL | {"medicaid_managed_care"}
            and contact is not plan.appeals.appeals_contact
            else []
        )
        + copies(case),
        footer_id=footer_for(
            case,
            plan,
            ("Expedited " + SHORT_NAMES["external_review_request"][market].lower())
            if urgent
            else SHORT_NAMES["external_review_request"][market],
        ),
    )


CLAIM_FILE_ITEMS = [
    "The claim or request, and everything submitted with it.",
    "Every document, record and note the plan relied on or considered, including call logs "
    "and the notes of any peer-to-peer discussion.",
    "The plan provisions, internal rules, guidelines, protocols and clinical criteria used "
    "to decide (for example the medical policy on second opinions or out-of-network care).",
    "The name, specialty and qualifications of each person who reviewed the request, and of "
    "any medical expert whose advice was obtained.",
    "Any new or additional evidence or rationale the plan has considered since the decision.",
]


def build_claim_file(case, plan, determination, today, law) -> ClaimFileContext:  # noqa: ANN001
    letter_type = "claim_file_request"
    need = _Needs(letter_type)
    _require_member(need, case)
    _require_denial(need, case)
    contact, path = from_notice(case, plan.appeals.appeals_contact, "plan.appeals.appeals_contact")
    require_contact(need, contact, path, "appeals office")
    need.check()
    filing = [d for d in determination.deadlines if d.kind == "file_by" and d.due and d.verified]
    if filing:
        step = lower_first(filing[0].title.split(" (")[0])
        timing = (
            f"Please send the file as soon as possible, in time for me to use it: my deadline "
            f"to {step} is {fmt_date(filing[0].due)}."
        )
    else:
        timing = "Please send the file as soon as possible, in time for me to use it in my appeal."
    return ClaimFileContext(
        **_common(letter_type, case, plan, today),
        title="Request for my complete claim file",
        recipient=recipient_party(contact),
        delivery=delivery_line(contact.fax),
        re_rows=member_rows(case, plan) + denial_rows(case) + service_rows(case)[:1],
        salutation="Dear Appeals Department:",
        service=service_words(case),
        denial_words=_denial_notice_words(plan, case),
        items=CLAIM_FILE_ITEMS,
        law=law_text.claim_file_law(plan),
        timing=timing,
        closing=_closing(case, questions=True),
        enclosures=_enclosures_for_denial(plan, case),
        copies_to=[],
        footer_id=footer_for(case, plan, "Claim file request"),
    )


RECORDS_ITEMS = [
    "Pathology reports, and the pathology glass slides and paraffin tissue blocks themselves "
    "(please send them from the pathology department, on loan if needed).",
    "Imaging reports and the images themselves (CT, MRI, PET) in DICOM format, on disc or by "
    "secure link.",
    "Operative notes, clinic notes, the treatment plan and treatment records.",
    "Laboratory results, and genomic or biomarker test results.",
]


def build_records(case, plan, determination, today, law) -> RecordsRequestContext:  # noqa: ANN001
    letter_type = "records_request"
    need = _Needs(letter_type)
    p = case.patient
    need.require(_clean(p.name), "case.patient.name", "the patient's name")
    need.require(p.date_of_birth, "case.patient.date_of_birth", "the patient's date of birth")
    need.require(case.records_from, "case.records_from", "at least one provider holding records")
    for i, holder in enumerate(case.records_from):
        if not any(x.strip() for x in holder.address_lines) and not holder.fax:
            need.require(
                None,
                f"case.records_from[{i}].address_lines",
                "the provider's mailing address or fax",
            )
    line = provider_line(case)
    need.require(line, "case.provider.name", "the second-opinion doctor to send the records to")
    prov = case.provider
    if line and not any(x.strip() for x in prov.address_lines) and not prov.fax:
        need.require(None, "case.provider.address_lines", "where to send the records")
    need.check()
    figures = Figures(law, today)
    holders = [
        RecordsHolderBlock(
            recipient=Party(
                lines=["Medical Records / Health Information Management", h.name.strip()]
                + [x.strip() for x in h.address_lines if x.strip()],
                contact=_contact_lines(phone=h.phone, fax=h.fax),
            ),
            delivery=delivery_line(h.fax),
        )
        for h in case.records_from
    ]
    dest_lines = [x for x in (_clean(prov.name), _clean(prov.institution)) if x]
    dest_lines += [x.strip() for x in prov.address_lines if x.strip()]
    destination = Party(lines=dest_lines, contact=_contact_lines(phone=prov.phone, fax=prov.fax))
    since = case.diagnosis.date_diagnosed
    period = (
        f"from {fmt_date(since - dt.timedelta(days=90))}, three months before my diagnosis, "
        "to today"
        if since
        else "everything about the diagnosis and treatment of my cancer"
    )
    rows = [Row(label="Patient", value=p.name.strip())]
    rows.append(Row(label="Date of birth", value=fmt_date(p.date_of_birth)))
    return RecordsRequestContext(
        **_common(letter_type, case, plan, today),
        title="Request for copies of my medical records for a second opinion",
        re_rows=rows,
        salutation="Dear Medical Records Department:",
        holders=holders,
        destination=destination,
        destination_name=_clean(prov.name) or _clean(prov.institution) or "",
        items=RECORDS_ITEMS,
        period=period,
        law=law_text.records_law(figures) + [law_text.fixed("hipaa.fee")],
        timing="My second-opinion visit depends on these records, so please send them as soon "
        "as you can.",
        closing=_closing(case, questions=True),
        copies_to=[],
        footer_id=f"{p.name.strip()} · Date of birth {fmt_date(p.date_of_birth)} · "
        "Medical records request",
    )


def build_physician(case, plan, determination, today, law) -> PhysicianLetterContext:  # noqa: ANN001
    letter_type = "physician_letter"
    need = _Needs(letter_type)
    _require_member(need, case)
    doc = case.referring_physician
    need.require(_clean(doc.name), "case.referring_physician.name", "the oncologist who signs")
    need.require(provider_line(case), "case.provider.name", "the second-opinion specialist")
    if case.denial is not None:
        contact, path = from_notice(
            case, plan.appeals.appeals_contact, "plan.appeals.appeals_contact"
        )
        what = "appeals office"
    else:
        contact = plan.appeals.um_contact
        path, what = "plan.appeals.um_contact", "utilization management office"
        if case.provider.in_network == "no" and plan.network_exception.contact is not None:
            contact, path = plan.network_exception.contact, "plan.network_exception.contact"
    require_contact(need, contact, path, what)
    need.check()
    urgent = _urgent(case)
    specialty = law_text.specialty_words(doc.specialty)
    name = doc.name.strip()
    lines = [name]
    if _clean(doc.specialty):
        lines.append(doc.specialty.strip())
    if _clean(doc.practice):
        lines.append(doc.practice.strip())
    lines += [x.strip() for x in doc.address_lines if x.strip()]
    sender = Party(lines=lines, contact=_contact_lines(phone=doc.phone, fax=doc.fax))
    signer_lines = [x for x in (_clean(doc.specialty), _clean(doc.practice)) if x]
    if doc.npi:
        signer_lines.append(f"NPI {doc.npi}")
    patient = case.patient.name.strip()
    service = service_words(case, first_person=False)
    in_net = (
        " at the in-network level of cost sharing"
        if case.provider.in_network == "no" and case.qualified_in_network_specialist == "no"
        else ""
    )
    rows = member_rows(case, plan) + denial_rows(case) + service_rows(case)
    reach = f" at {doc.phone}" if doc.phone else ""
    p2p = (
        f"I am available for a peer-to-peer discussion{reach} with a reviewer who practices in "
        f"the same specialty ({specialty}). Please contact my office before any decision "
        f"against this request."
    )
    specialist = specialist_lines(case, first_person=False)
    return PhysicianLetterContext(
        letter_type=letter_type,
        date=fmt_date(today),
        title=f"Letter of medical necessity: {opinion_word(case)} consultation in oncology",
        expedited=urgent,
        expedited_note="Urgent: waiting the standard time could seriously jeopardize the "
        "patient's health."
        if urgent
        else "",
        sender=sender,
        recipient=recipient_party(contact),
        delivery=delivery_line(contact.fax),
        re_rows=rows,
        salutation="Dear Medical Director:",
        signer=Signer(name=name, lines=signer_lines),
        patient_name=patient,
        physician_intro=f"I am {patient}'s treating physician ({specialty}). I am writing to "
        f"support {'the appeal of the denial of ' if case.denial else 'the request for '}"
        f"{service}{in_net}, and to explain why it is medically necessary.",
        service=service,
        ask=f"In my medical opinion this {opinion_word(case)} consultation is medically "
        f"necessary, and I ask the plan to approve it{in_net}.",
        clinical=clinical_lines(case),
        narrative=paragraphs(case.reasons.notes),
        reasons=reason_lines(case),
        specialist=specialist,
        urgent_statement=(
            "In my clinical judgment, waiting the standard time for a decision could seriously "
            "jeopardize the patient's life or health or ability to regain maximum function. "
            "Please handle this request as urgent."
        )
        if urgent
        else "",
        law=law_text.governing_law(plan) + law_text.physician_law(plan, urgent=urgent),
        mandates=law_text.mandate_sentences(plan, determination),
        peer_to_peer=p2p,
        enclosures=[CLINICAL_ENCLOSURE.replace("my oncologist's", "my")],
        copies_to=[f"{patient} (patient)"],
        footer_id=footer_for(case, plan, "Letter of medical necessity"),
    )


BUILDERS = {
    "preauth_request": build_preauth,
    "network_exception_request": build_network_exception,
    "appeal": build_appeal,
    "expedited_appeal": lambda *a: build_appeal(*a, expedited=True),
    "external_review_request": build_external_review,
    "claim_file_request": build_claim_file,
    "records_request": build_records,
    "physician_letter": build_physician,
}


def build_context(
    letter_type: str,
    case: Case,
    plan: Plan,
    determination: Determination,
    *,
    today: dt.date | None = None,
    law: LawBook | None = None,
    evidence: Sequence[str] = (),
) -> LetterContext:
    """The context model for one letter, or a LetterError naming what is missing.

    `evidence`: call-log lines to cite (date, who, reference, what was said), for the letters
    to the plan; the records request and the physician's letter do not take them.
    """
    try:
        builder = BUILDERS[letter_type]
    except KeyError:
        raise LetterError(
            f"unknown letter type {letter_type!r}; choose one of: {', '.join(BUILDERS)}"
        ) from None
    if determination.plan_id != plan.id:
        raise LetterError(
            f"the determination is for plan {determination.plan_id!r}, not {plan.id!r}"
        )
    if law is None:
        from coverage.catalog import load_lawbook

        law = load_lawbook()
    context = builder(case, plan, determination, today or dt.date.today(), law)
    lines = [" ".join(line.split()) for line in evidence if line and line.strip()]
    if lines:
        if "evidence" not in type(context).model_fields:
            raise LetterError(f"the {letter_type} letter does not cite call-log entries")
        context = context.model_copy(update={"evidence": lines})
    return context
