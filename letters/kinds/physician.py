"""The letter of medical necessity, for the referring oncologist to sign."""

from __future__ import annotations

import letters.law_text as law_text
from letters.law_text import Figures, specialty_words
from letters.models import Party, PhysicianLetterContext, Signer
from letters.parts import (
    CLINICAL_ENCLOSURE,
    Needs,
    clean,
    clinical_lines,
    contact_lines,
    delivery_line,
    denial_rows,
    fmt_date,
    footer_for,
    from_notice,
    is_urgent,
    law_day,
    member_rows,
    opinion_word,
    paragraphs,
    provider_line,
    reason_lines,
    recipient_party,
    require_contact,
    require_member,
    service_rows,
    service_words,
    specialist_lines,
)
from letters.wording import tr


def _recipient(case, plan) -> tuple:  # noqa: ANN001
    """Where the letter goes: the appeals office after a denial, else the office deciding the
    request (the network-exception office for an out-of-network specialist)."""
    if case.denial is not None:
        contact, path = from_notice(
            case, plan.appeals.appeals_contact, "plan.appeals.appeals_contact"
        )
        return contact, path, "appeals office"
    contact, path = plan.appeals.um_contact, "plan.appeals.um_contact"
    if case.provider.in_network == "no" and plan.network_exception.contact is not None:
        contact, path = plan.network_exception.contact, "plan.network_exception.contact"
    return contact, path, "utilization management office"


def _sender_and_signer(doc) -> tuple[Party, Signer]:  # noqa: ANN001
    name = doc.name.strip()
    lines = [name]
    if clean(doc.specialty):
        lines.append(doc.specialty.strip())
    if clean(doc.practice):
        lines.append(doc.practice.strip())
    lines += [x.strip() for x in doc.address_lines if x.strip()]
    sender = Party(lines=lines, contact=contact_lines(phone=doc.phone, fax=doc.fax))
    signer_lines = [x for x in (clean(doc.specialty), clean(doc.practice)) if x]  # as typed
    if doc.npi:
        signer_lines.append(f"NPI {doc.npi}")
    return sender, Signer(name=name, lines=signer_lines)


def build_physician(case, plan, determination, today, law) -> PhysicianLetterContext:  # noqa: ANN001
    letter_type = "physician_letter"
    need = Needs(letter_type)
    require_member(need, case)
    doc = case.referring_physician
    need.require(clean(doc.name), "case.referring_physician.name", "the oncologist who signs")
    need.require(provider_line(case), "case.provider.name", "the second-opinion specialist")
    contact, path, what = _recipient(case, plan)
    require_contact(need, contact, path, what)
    need.check()
    urgent = is_urgent(case)
    figures = Figures(law, law_day(case, determination))
    specialty = specialty_words(doc.specialty)
    sender, signer = _sender_and_signer(doc)
    patient = case.patient.name.strip()
    service = service_words(case, first_person=False)
    in_net = (
        tr(" at the in-network level of cost sharing")
        if case.provider.in_network == "no" and case.qualified_in_network_specialist == "no"
        else ""
    )
    reach = tr(" at {phone}", phone=doc.phone) if doc.phone else ""
    supports = (
        "I am {patient}'s treating physician ({specialty}). I am writing to support the appeal "
        "of the denial of {service}{in_net}, and to explain why it is medically necessary."
        if case.denial
        else "I am {patient}'s treating physician ({specialty}). I am writing to support the "
        "request for {service}{in_net}, and to explain why it is medically necessary."
    )
    return PhysicianLetterContext(
        letter_type=letter_type,
        date=fmt_date(today),
        title=tr(
            "Letter of medical necessity: {opinion} consultation in oncology",
            opinion=opinion_word(case),
        ),
        expedited=urgent,
        expedited_note=tr(
            "Urgent: waiting the standard time could seriously jeopardize the patient's health."
        )
        if urgent
        else "",
        sender=sender,
        recipient=recipient_party(contact),
        delivery=delivery_line(contact.fax, mail=bool(contact.address_lines)),
        re_rows=member_rows(case, plan) + denial_rows(case) + service_rows(case),
        salutation=tr("Dear Medical Director:"),
        signer=signer,
        patient_name=patient,
        physician_intro=tr(
            supports, patient=patient, specialty=specialty, service=service, in_net=in_net
        ),
        service=service,
        ask=tr(
            "In my medical opinion this {opinion} consultation is medically necessary, and I ask "
            "the plan to approve it{in_net}.",
            opinion=opinion_word(case),
            in_net=in_net,
        ),
        clinical=clinical_lines(case),
        narrative=paragraphs(case.reasons.notes),
        reasons=reason_lines(case),
        specialist=specialist_lines(case, first_person=False),
        urgent_statement=tr(
            "In my clinical judgment, waiting the standard time for a decision could seriously "
            "jeopardize the patient's life or health or ability to regain maximum function. "
            "Please handle this request as urgent."
        )
        if urgent
        else "",
        law=law_text.governing_law(plan, figures)
        + law_text.physician_law(plan, figures, urgent=urgent),
        mandates=law_text.mandate_sentences(plan, determination),
        peer_to_peer=tr(
            "I am available for a peer-to-peer discussion{reach} with a reviewer who practices "
            "in the same specialty ({specialty}). Please contact my office before any decision "
            "against this request.",
            reach=reach,
            specialty=specialty,
        ),
        enclosures=[tr(CLINICAL_ENCLOSURE.replace("my oncologist's", "my"))],
        copies_to=[tr("{patient} (patient)", patient=patient)],
        footer_id=footer_for(case, plan, "Letter of medical necessity"),
    )
