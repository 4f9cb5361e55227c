"""The prior-authorisation request (Medicare Advantage: organization determination; Medicaid:
service authorization), sent before the visit."""

from __future__ import annotations

import letters.law_text as law_text
from coverage.markets import profile
from letters.law_text import Figures
from letters.models import PreauthContext, Row
from letters.parts import (
    Needs,
    clinical_enclosure,
    clinical_lines,
    closing,
    common,
    copies,
    delivery_line,
    footer_for,
    is_urgent,
    law_day,
    member_rows,
    opinion_word,
    paragraphs,
    peer_to_peer_line,
    physician_enclosure,
    plan_term_lines,
    provider_line,
    reason_lines,
    recipient_party,
    refuse_if_not_in_market,
    require_contact,
    require_member,
    search_enclosure,
    service_rows,
    service_words,
    specialist_lines,
)
from letters.wording import tr, voiced


def build_preauth(case, plan, determination, today, law) -> PreauthContext:  # noqa: ANN001
    need = Needs("preauth_request")
    refuse_if_not_in_market("preauth_request", plan)
    require_member(need, case)
    need.require(provider_line(case), "case.provider.name", "the second-opinion specialist")
    contact = plan.appeals.um_contact
    require_contact(need, contact, "plan.appeals.um_contact", "utilization management office")
    need.check()
    urgent = is_urgent(case)
    words = profile(plan.market).letters.preauth_request
    figures = Figures(law, law_day(case, determination))
    service = service_words(case)
    out_of_network = case.provider.in_network == "no"
    ask = tr("I ask the plan to approve {service} before the visit", service=service)
    if out_of_network and case.qualified_in_network_specialist == "no":
        ask += tr(", at the in-network level of cost sharing")
    ask += tr(
        voiced(
            ", and to send me the approval in writing with its authorization number.",
            ", and to send the approval in writing, with its authorization number, to the "
            "patient and to me.",
        )
    )
    requests = [
        tr(
            "Please send your decision in writing; if you deny any part of this request, give "
            "the specific reason and the plan provision or clinical criteria you relied on."
        )
    ]
    p2p = peer_to_peer_line(case)
    if p2p:
        requests.append(p2p)
    if urgent:
        requests.append(tr("Please also call me with the decision."))
    enclosures = physician_enclosure(case) + [clinical_enclosure()]
    if determination.network.exception_request_needed:
        enclosures.append(search_enclosure())
    return PreauthContext(
        **common("preauth_request", case, plan, today),
        title=tr(words.title, opinion=opinion_word(case)) + (tr(" (urgent)") if urgent else ""),
        expedited=urgent,
        expedited_note=tr(
            "Urgent pre-service request: a physician certifies that waiting the standard time "
            "could seriously jeopardize the patient's health."
        )
        if urgent
        else "",
        recipient=recipient_party(contact),
        delivery=delivery_line(contact.fax, mail=bool(contact.address_lines)),
        re_rows=member_rows(case, plan)
        + service_rows(case)
        + ([Row(label=tr("Request"), value=tr("Urgent (expedited)"))] if urgent else []),
        salutation=tr("Dear Utilization Management Reviewer:"),
        service=service,
        ask=ask,
        clinical=clinical_lines(case),
        narrative=paragraphs(case.reasons.notes),
        reasons=reason_lines(case),
        plan_terms=plan_term_lines(case, plan),
        points=specialist_lines(case),
        law=law_text.governing_law(plan, figures)
        + law_text.preauth_law(plan, figures, urgent=urgent),
        mandates=law_text.mandate_sentences(plan, determination),
        requests=requests,
        closing=closing(case),
        enclosures=enclosures,
        copies_to=copies(case, provider=True),
        footer_id=footer_for(case, plan, words.footer),
    )
