"""The parts of a letter shared by the letter kinds: names, address blocks, RE rows, the words
for the service, the diagnosis and the denial, the checks for missing fields.

What differs by market (the member-ID label, the notice names, the footers) comes from the
market profile (data/rules/markets), never from a branch on the market here. Every sentence goes
through `tr()` (letters/wording.py): English here, and the same sentence in a reading copy's
language from the phrasebook.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from coverage.base import Contact
from coverage.case import Case
from coverage.markets import profile
from coverage.plan import Plan, TierCostSharing
from letters.law_text import specialty_words
from letters.models import (
    MissingFieldError,
    NotApplicableError,
    Party,
    Representative,
    Row,
    Signer,
)
from letters.wording import fmt_date, representative, third_person, tr, voiced

__all__ = ["fmt_date"]  # the letter kinds take it from here

# --- small helpers -----------------------------------------------------------------------------


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


def money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return f"${value:,.2f}".replace(".00", "")


def tier_words(tier: TierCostSharing) -> str:
    parts = []
    if tier.specialist_copay is not None:
        parts.append(tr("a {copay} specialist copay", copay=money(tier.specialist_copay)))
    if tier.specialist_coinsurance_percent is not None:
        percent = f"{tier.specialist_coinsurance_percent.normalize():f}%"
        parts.append(tr("{percent} coinsurance", percent=percent))
    words = tr(" and ").join(parts) if parts else tr("the plan's cost sharing")
    if tier.deductible_applies and tier.deductible_individual is not None:
        words += tr(" after the {amount} deductible", amount=money(tier.deductible_individual))
    elif tier.deductible_applies:
        words += tr(" after the deductible")
    if tier.balance_billing_possible:
        words += tr(
            voiced(
                ", and the doctor may bill me the difference (balance billing)",
                ", and the doctor may bill the patient the difference (balance billing)",
            )
        )
    return words


def contact_lines(*, phone: str | None, fax: str | None = None, email: str | None = None):
    """Phone, fax and email on one line (an address block stays short)."""
    out = []
    if phone:
        out.append(tr("Phone {number}", number=phone.strip()))
    if fax:
        out.append(tr("Fax {number}", number=fax.strip()))
    if email:
        out.append(email.strip())
    return [" · ".join(out)] if out else []


def lower_first(text: str) -> str:
    """'Invasive ductal carcinoma' -> 'invasive ductal carcinoma'; 'HER2-positive' stays."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def clean(value: str | None) -> str | None:
    value = value.strip() if isinstance(value, str) else value
    return value or None


class Needs:
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


def opinion_word(case: Case) -> str:
    return tr("third-opinion" if case.reasons.opinions_so_far >= 2 else "second-opinion")


def provider_line(case: Case, *, npi: bool = True) -> str | None:
    p = case.provider
    name = clean(p.name)
    institution = clean(p.institution)
    if not name and not institution:
        return None
    parts = [name or institution]
    if name and clean(p.specialty):
        parts[0] += f" ({p.specialty.strip()})"
    if name and institution:
        parts.append(institution)
    line = ", ".join(parts)
    if npi and p.npi:
        line += f", NPI {p.npi}"
    return line


def service_words(case: Case, *, first_person: bool = True) -> str:
    visit = VISIT_WORDS[case.provider.visit_type]
    if not first_person or representative():
        visit = visit.replace("my records", "the records")
    visit = tr(visit, what=opinion_word(case))
    line = provider_line(case, npi=False)
    if line and clean(case.provider.name) and clean(case.provider.institution):
        institution = case.provider.institution.strip()
        line = line.replace(f", {institution}", tr(" at {institution}", institution=institution))
    return tr("{visit} with {line}", visit=visit, line=line) if line else visit


def diagnosis_words(case: Case) -> str | None:
    d = case.diagnosis
    desc = clean(d.description)
    if desc and d.icd10:
        return f"{desc} (ICD-10-CM {d.icd10})"  # a name and a code: the same in every language
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
    if clean(d.stage):
        parts.append(d.stage.strip())
    if d.date_diagnosed:
        newly = "newly diagnosed on {date}" if d.newly_diagnosed == "yes" else "diagnosed on {date}"
        parts.append(tr(newly, date=fmt_date(d.date_diagnosed)))
    elif d.newly_diagnosed == "yes":
        parts.append(tr("newly diagnosed"))
    if not parts:
        return []
    text = "; ".join(parts)
    return [text[0].upper() + text[1:] + "."]


def reason_lines(case: Case) -> list[str]:
    r = case.reasons
    out = []
    if r.surgery_recommended == "yes":
        out.append(
            tr(
                "Surgery has been recommended; surgical approaches differ and a specialist "
                "may offer a less invasive or better option."
            )
        )
    if r.major_treatment_recommended == "yes":
        out.append(tr("Chemotherapy, radiation or another major treatment has been recommended."))
    if r.before_treatment_starts == "yes":
        out.append(
            tr(
                "Treatment has not started yet: this is the time to confirm the diagnosis, "
                "the stage and the treatment plan."
            )
        )
    if r.treatment_not_working == "yes":
        out.append(
            tr(
                "The current treatment is not working, and other options need to be "
                "considered, including clinical trials."
            )
        )
    if r.diagnosis_unclear == "yes":
        out.append(tr("The diagnosis or the stage is not clear."))
    if case.diagnosis.rare_or_aggressive == "yes":
        out.append(
            tr("The cancer is rare or aggressive, so experience with this specific cancer matters.")
        )
    if r.opinions_so_far >= 2 and r.opinions_differ == "yes":
        out.append(tr("The first two opinions differ, so a third opinion is needed to decide."))
    return out


def plan_noun(plan: Plan) -> str:
    return tr(third_person(profile(plan.market).terms.payer_subject))


def plan_term_lines(case: Case, plan: Plan) -> list[str]:
    so = plan.second_opinion
    who = plan_noun(plan)
    out = []
    src = so.coverage.source
    where = f"{src.document}, {src.section}"
    if so.coverage.covered == "yes":
        out.append(tr("{who} covers second medical opinions ({where}).", who=who, where=where))
    elif so.coverage.covered == "conditional" and so.coverage.conditions:
        out.append(
            tr(
                "{who} covers second medical opinions on these conditions: {conditions} ({where}).",
                who=who,
                conditions="; ".join(so.coverage.conditions),  # quoted from the plan
                where=where,
            )
        )
    tier = so.in_network if case.provider.in_network == "yes" else so.out_of_network
    if case.provider.in_network in ("yes", "no") and tier.covered == "yes":
        t = tier.source
        network = "in-network" if case.provider.in_network == "yes" else "out-of-network"
        if not profile(plan.market).features.network:
            network = "" if case.provider.in_network == "yes" else "out-of-network"
        needs = []
        if tier.prior_auth_required == "yes":
            needs.append(tr("prior authorization"))
        if tier.referral_required == "yes":
            needs.append(tr("a referral"))
        cond = tr(" with {needs}", needs=tr(" and ").join(needs)) if needs else ""
        if network or cond:
            covers = {
                "in-network": "{who} covers in-network second opinions{cond} ({where}).",
                "out-of-network": "{who} covers out-of-network second opinions{cond} ({where}).",
                "": "{who} covers second opinions{cond} ({where}).",
            }[network]
            out.append(tr(covers, who=who, cond=cond, where=f"{t.document}, {t.section}"))
    if (
        case.reasons.opinions_so_far >= 2
        and case.reasons.opinions_differ == "yes"
        and so.third_opinion.covered in ("yes", "when_first_two_differ")
    ):
        t = so.third_opinion.source
        out.append(
            tr(
                "{who} covers a third opinion when the first two differ, as they do here "
                "({where}).",
                who=who,
                where=f"{t.document}, {t.section}",
            )
        )
    if case.provider.visit_type == "telehealth" and so.telehealth.covered == "yes":
        t = so.telehealth.source
        where = f"{t.document}, {t.section}"
        out.append(tr("{who} covers telehealth visits ({where}).", who=who, where=where))
    if case.provider.visit_type == "records_review" and so.records_review.covered == "yes":
        t = so.records_review.source
        where = f"{t.document}, {t.section}"
        out.append(
            tr("{who} covers a specialist's review of records ({where}).", who=who, where=where)
        )
    return out


def specialist_lines(case: Case, *, first_person: bool = True) -> list[str]:
    p = case.provider
    out = []
    who = clean(p.name) or clean(p.institution) or tr("The specialist")
    where = clean(p.institution)
    if p.nci_designation in NCI_WORDS and where:
        nci = tr(NCI_WORDS[p.nci_designation])
        out.append(tr("{where} is {nci}.", where=where, nci=nci))
    if case.qualified_in_network_specialist == "no":
        cancer = clean(case.diagnosis.description)
        cancer = f" ({lower_first(cancer)})" if cancer else ""
        specialty = f" ({p.specialty.strip()})" if clean(p.name) and clean(p.specialty) else ""
        gap = (
            "The plan's network has no specialist with the training and experience to treat "
            + ("my" if first_person and not representative() else "the patient's")
            + " cancer{cancer}. {who}{specialty} has that expertise."
        )
        out.append(tr(gap, cancer=cancer, who=who, specialty=specialty))
    return out


def recipient_party(contact: Contact) -> Party:
    lines = [x for x in (clean(contact.name), clean(contact.department)) if x]
    lines += [x.strip() for x in contact.address_lines if x.strip()]
    return Party(lines=lines, contact=contact_lines(phone=contact.phone, fax=contact.fax))


def require_contact(need: Needs, contact: Contact | None, path: str, what: str) -> None:
    # What is missing is said to the person filling in the case, in English (the patient pages
    # ask for it in her words): these never reach a letter.
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


def delivery_line(
    fax: str | None, *, expedited: bool = False, phone: str | None = None, mail: bool = True
) -> str:
    """How the letter goes; `mail` False when there is no address to mail it to (a fax only)."""
    if fax and expedited and phone:
        if mail:
            return tr(
                "By fax to {fax} (expedited line), by phone to {phone}, and by mail",
                fax=fax,
                phone=phone,
            )
        return tr("By fax to {fax} (expedited line), by phone to {phone}", fax=fax, phone=phone)
    if fax:
        return tr("By fax to {fax} and by mail" if mail else "By fax to {fax}", fax=fax)
    return tr("By mail")


def patient_party(case: Case) -> Party:
    p = case.patient
    return Party(
        lines=[p.name.strip()] + [x.strip() for x in p.address_lines if x.strip()],
        contact=contact_lines(phone=p.phone, email=p.email),
    )


def member_word(plan: Plan) -> str:
    return tr(profile(plan.market).terms.member)


def patient_signer(case: Case) -> Signer:
    """The patient signs with their name only (the RE block already says who they are)."""
    return Signer(name=case.patient.name.strip())


def doctor_noun(case: Case) -> str:
    """'oncologist' when the referring doctor is one (or the specialty is not given)."""
    specialty = (case.referring_physician.specialty or "").lower()
    return tr("oncologist" if not specialty or "oncolog" in specialty else "doctor")


def physician_words(case: Case) -> tuple[str, str] | None:
    """(name, specialty) of the referring physician, when named."""
    doc = case.referring_physician
    if not clean(doc.name):
        return None
    return doc.name.strip(), specialty_words(doc.specialty)


def peer_to_peer_line(case: Case) -> str:
    doc = case.referring_physician
    if not clean(doc.name):
        return ""
    specialty = specialty_words(doc.specialty or case.provider.specialty)
    reach = (
        tr(", who can be reached at {phone},", phone=doc.phone.strip()) if clean(doc.phone) else ","
    )
    return tr(
        voiced(
            "Before any decision against me, please arrange a peer-to-peer discussion between my "
            "{doctor}, {name}{reach} and a reviewer who practices in the same specialty "
            "({specialty}).",
            "Before any decision against the patient, please arrange a peer-to-peer discussion "
            "between the patient's {doctor}, {name}{reach} and a reviewer who practices in the "
            "same specialty ({specialty}).",
        ),
        doctor=doctor_noun(case),
        name=doc.name.strip(),
        reach=reach,
        specialty=specialty,
    )


def copies(case: Case, *, provider: bool = False, physician: bool = True) -> list[str]:
    out = []
    doc = case.referring_physician
    if physician and clean(doc.name):
        practice = f", {doc.practice.strip()}" if clean(doc.practice) else ""
        out.append(
            tr(
                "{name}{practice} (treating {doctor})",
                name=doc.name.strip(),
                practice=practice,
                doctor=doctor_noun(case),
            )
        )
    if provider:
        line = provider_line(case, npi=False)
        if line:
            out.append(tr("{line} (second-opinion specialist)", line=line))
    return out


def member_rows(case: Case, plan: Plan, *, dob: bool = True) -> list[Row]:
    p = case.patient
    rows = [Row(label=member_word(plan), value=p.name.strip())]
    if dob and p.date_of_birth:
        rows.append(Row(label=tr("Date of birth"), value=fmt_date(p.date_of_birth)))
    market = profile(plan.market)
    rows.append(Row(label=tr(market.terms.member_id), value=p.member_id))
    if clean(p.group_number) and market.features.group_number:
        rows.append(Row(label=tr("Group number"), value=p.group_number.strip()))
    rows.append(Row(label=tr("Plan"), value=plan.name))
    return rows


def service_rows(case: Case) -> list[Row]:
    opinion = "Third-opinion" if case.reasons.opinions_so_far >= 2 else "Second-opinion"
    service = tr(opinion + " consultation (oncology)")
    line = provider_line(case)
    value = tr("{service} with {line}", service=service, line=line) if line else service
    rows = [Row(label=tr("Service"), value=value)]
    diagnosis = diagnosis_words(case)
    if diagnosis:
        rows.append(Row(label=tr("Diagnosis"), value=diagnosis))
    return rows


def denial_rows(case: Case) -> list[Row]:
    d = case.denial
    rows = []
    if d is None:
        return rows
    if clean(d.claim_number):
        rows.append(Row(label=tr("Claim number"), value=d.claim_number.strip()))
    if clean(d.reference_number):
        rows.append(Row(label=tr("Reference number"), value=d.reference_number.strip()))
    if d.notice_date:
        received = (
            tr(" (received {date})", date=fmt_date(d.date_received)) if d.date_received else ""
        )
        rows.append(Row(label=tr("Date of notice"), value=fmt_date(d.notice_date) + received))
    elif d.date_received:
        rows.append(Row(label=tr("Notice received"), value=fmt_date(d.date_received)))
    return rows


def footer_for(case: Case, plan: Plan, what: str) -> str:
    """The footer's identifier; `what` is the letter's name in English (it is put in words)."""
    label = tr(profile(plan.market).terms.member_id)
    return f"{case.patient.name.strip()} · {label} {case.patient.member_id.strip()} · {tr(what)}"


def require_member(need: Needs, case: Case) -> None:
    need.require(clean(case.patient.name), "case.patient.name", "the member's name")
    need.require(
        clean(case.patient.member_id),
        "case.patient.member_id",
        "the member ID from the insurance card",
    )


def require_denial(need: Needs, case: Case) -> None:
    if case.denial is None:
        need.require(None, "case.denial", "the denial being appealed (date, reason, reference)")
    elif case.denial.notice_date is None and case.denial.date_received is None:
        need.require(None, "case.denial.notice_date", "the date on the denial notice")


def denial_notice_words(plan: Plan, case: Case) -> str:
    d = case.denial
    assert d is not None
    noun = tr(getattr(profile(plan.market).terms.notice, d.level), context="the notice")
    when = d.notice_date or d.date_received
    ref = d.reference_number or d.claim_number
    words = (
        tr("the {noun} dated {date}", noun=noun, date=fmt_date(when))
        if d.notice_date
        else tr(
            voiced("the {noun} I received on {date}", "the {noun} the patient received on {date}"),
            noun=noun,
            date=fmt_date(when),
        )
    )
    if clean(ref):
        words += tr(" (reference {ref})", ref=ref.strip())
    return words


def enclosures_for_denial(plan: Plan, case: Case) -> list[str]:
    d = case.denial
    if d is None:
        return []
    when = d.notice_date or d.date_received
    documents = profile(plan.market).terms.notice_document
    notice = tr(
        documents.initial if d.level == "initial" else documents.later, context="the notice"
    )
    return [tr("Copy of the {notice} ({date})", notice=notice, date=fmt_date(when))]


def physician_enclosure(case: Case) -> list[str]:
    doc = physician_words(case)
    return [tr("Letter of medical necessity from {name}", name=doc[0])] if doc else []


CLINICAL_ENCLOSURE = "Pathology report, imaging reports and my oncologist's recent notes"
SEARCH_ENCLOSURE = (
    "My search of the plan's provider directory and a log of the offices I called (dates, "
    "names, answers)"
)
# In a representative's letter: the same enclosures, the patient in the third person.
CLINICAL_ENCLOSURE_FOR = (
    "Pathology report, imaging reports and the treating oncologist's recent notes"
)
SEARCH_ENCLOSURE_FOR = (
    "A search of the plan's provider directory and a log of the offices called (dates, names, "
    "answers)"
)


def clinical_enclosure() -> str:
    return tr(voiced(CLINICAL_ENCLOSURE, CLINICAL_ENCLOSURE_FOR))


def search_enclosure() -> str:
    return tr(voiced(SEARCH_ENCLOSURE, SEARCH_ENCLOSURE_FOR))


def representative_party(rep: Representative) -> Party:
    """The representative's sender block: name, organisation, address, phone and e-mail."""
    lines = [rep.name] + ([rep.organisation] if rep.organisation else [])
    lines += [x for x in rep.address_lines if x]
    return Party(lines=lines, contact=contact_lines(phone=rep.phone, email=rep.email))


def representative_signer(rep: Representative, case: Case) -> Signer:
    """The representative signs with their role and organisation, and for whom."""
    role = f"{rep.role}, {rep.organisation}" if rep.organisation else rep.role
    of = tr("Authorized representative of {name}", name=case.patient.name.strip())
    return Signer(name=rep.name, lines=[role, of])


def representation_line(case: Case, plan: Plan, letter_type: str) -> str:
    """The opening of a representative's letter: who writes, for whom, and that the patient's
    signed authorization is enclosed. (No claim of law about representatives: the facts file
    has none.)"""
    who = "patient" if letter_type == "records_request" else member_word(plan).lower()
    return tr(
        "I am writing as the authorized representative of {name}, the {who} named above. The "
        "authorization that {name} signed is enclosed.",
        name=case.patient.name.strip(),
        who=who,
    )


def representative_row(rep: Representative) -> Row:
    """An RE row, so that whoever opens the mail sees at once who writes for the member."""
    who = f"{rep.name}, {rep.organisation}" if rep.organisation else rep.name
    return Row(label=tr("Representative"), value=tr("{who} (authorization enclosed)", who=who))


def authorization_enclosure(case: Case) -> str:
    return tr("Authorization of representative, signed by {name}", name=case.patient.name.strip())


def common(letter_type: str, case: Case, plan: Plan, today: dt.date) -> dict[str, Any]:
    rep = representative()
    if rep is not None:
        return {
            "letter_type": letter_type,
            "date": fmt_date(today),
            "sender": representative_party(rep),
            "signer": representative_signer(rep, case),
            "voice": "representative",
            "representation": representation_line(case, plan, letter_type),
        }
    return {
        "letter_type": letter_type,
        "date": fmt_date(today),
        "sender": patient_party(case),
        "signer": patient_signer(case),
    }


def is_urgent(case: Case) -> bool:
    return case.urgency.physician_certifies_urgent == "yes"


def urgent_statement(case: Case, *, first_person: bool = True) -> str:
    doc = physician_words(case)
    first_person = first_person and not representative()
    mine = voiced("My {doctor}, {name},", "The patient's {doctor}, {name},")
    who = tr(mine, doctor=doctor_noun(case), name=doc[0]) if doc else None
    who = who or tr(voiced("My physician", "The patient's physician"))
    certifies = (
        "{who} certifies that waiting the standard time for a decision could seriously "
        "jeopardize my life or health or my ability to regain maximum function. Please handle "
        "this request as urgent."
        if first_person
        else "{who} certifies that waiting the standard time for a decision could seriously "
        "jeopardize the patient's life or health or the patient's ability to regain maximum "
        "function. Please handle this request as urgent."
    )
    return tr(certifies, who=who)


def closing(case: Case, *, expedited: bool = False, questions: bool = False) -> str:
    """The last words: how to reach the writer (the patient, or her representative)."""
    reached = representative() or case.patient
    phone = clean(reached.phone)
    if expedited and phone:
        return tr(
            "Please call me with the decision at {phone} as soon as it is made, and confirm it "
            "in writing. Thank you.",
            phone=phone,
        )
    reach = []
    if reached.phone:
        reach.append(tr("by phone at {phone}", phone=reached.phone))
    if reached.email:
        reach.append(tr("by email at {email}", email=reached.email))
    how = f" {tr(' or ').join(reach)}" if reach else tr(" at the address above")
    lead = "If you have any questions" if questions else "If you need anything else to decide"
    return tr(lead + ", please contact me{how}. Thank you.", how=how)


def refuse_if_not_in_market(letter_type: str, plan: Plan) -> None:
    """A letter that does not exist in the plan's market (its profile says what to do instead)."""
    reason = profile(plan.market).letters.not_applicable.get(letter_type)  # type: ignore[call-overload]
    if reason:
        raise NotApplicableError(letter_type, reason)


def law_day(case: Case, determination) -> dt.date:  # noqa: ANN001
    """The day whose law a letter states: the date on the denial notice (or when it arrived),
    else the day the request was sent, else the answer's date: the same day the deadline
    calculator counts from, so the letter and the answer give the same figures."""
    denial = case.denial
    if denial is not None and (denial.notice_date or denial.date_received):
        return denial.notice_date or denial.date_received
    return case.request_sent_date or determination.as_of
