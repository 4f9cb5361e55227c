"""The network-exception request: an out-of-network specialist at in-network cost, because no
network specialist has the expertise."""

from __future__ import annotations

import letters.law_text as law_text
from letters.law_text import Figures
from letters.models import NetworkExceptionContext, NotApplicableError, Row
from letters.parts import (
    NCI_WORDS,
    Needs,
    clean,
    clinical_enclosure,
    clinical_lines,
    closing,
    common,
    copies,
    delivery_line,
    footer_for,
    is_urgent,
    law_day,
    lower_first,
    member_rows,
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
    tier_words,
)
from letters.wording import tr, voiced

LETTER = "network_exception_request"


def _refuse_when_pointless(case, plan, determination) -> None:  # noqa: ANN001
    refuse_if_not_in_market(LETTER, plan)
    # A plan with no exception process can still owe one by law (a state network-gap rule):
    # then the answer recommends this letter, and it cites the law.
    if plan.network_exception.available == "no" and LETTER not in determination.letters:
        raise NotApplicableError(
            LETTER,
            "the plan documents say it has no network exception process; ask for prior "
            "authorization of the out-of-network visit instead, and appeal a denial",
        )
    if case.provider.in_network == "yes":
        raise NotApplicableError(LETTER, "the specialist is in the plan's network")


def _gap_lines(case) -> list[str]:  # noqa: ANN001
    mine = voiced("my cancer", "the patient's cancer")
    cancer = lower_first(clean(case.diagnosis.description) or tr(mine))
    if case.qualified_in_network_specialist == "no":
        looked = voiced(
            "I have looked for an in-network specialist with the training and experience to "
            "treat {cancer} and there is none; the enclosed log lists who I checked.",
            "There is no in-network specialist with the training and experience to treat "
            "{cancer}; the enclosed log lists who was checked.",
        )
    else:
        looked = voiced(
            "I have not found an in-network specialist with the training and experience to "
            "treat {cancer}. If the plan believes one exists, please name the doctor, and "
            "confirm that they treat this cancer and can see me in time.",
            "No in-network specialist with the training and experience to treat {cancer} has "
            "been found. If the plan believes one exists, please name the doctor, and confirm "
            "that they treat this cancer and can see the patient in time.",
        )
    gap = [tr(looked, cancer=cancer)]
    return gap + (specialist_lines(case)[:1] if case.provider.nci_designation in NCI_WORDS else [])


def _cost_lines(plan) -> list[str]:  # noqa: ANN001
    out_net = plan.cost_sharing.out_of_network
    if out_net is None:
        return []
    return [
        tr(
            voiced("In network, I pay {cost}.", "In network, the patient pays {cost}."),
            cost=tier_words(plan.cost_sharing.in_network),
        ),
        tr(
            voiced(
                "Out of network, I would pay {cost}.",
                "Out of network, the patient would pay {cost}.",
            ),
            cost=tier_words(out_net),
        ),
    ]


def _requests(case) -> list[str]:  # noqa: ANN001
    requests = [
        tr(
            voiced(
                "If needed, arrange a single-case agreement with the specialist so that I am not "
                "billed more than my in-network cost sharing.",
                "If needed, arrange a single-case agreement with the specialist so that the "
                "patient is not billed more than the in-network cost sharing.",
            )
        ),
        tr(
            "Send your decision in writing; if you deny the request, give the specific reason "
            "and the name of an in-network specialist who treats this cancer."
        ),
    ]
    p2p = peer_to_peer_line(case)
    return requests + ([p2p] if p2p else [])


def build_network_exception(case, plan, determination, today, law) -> NetworkExceptionContext:  # noqa: ANN001
    need = Needs(LETTER)
    _refuse_when_pointless(case, plan, determination)
    require_member(need, case)
    need.require(provider_line(case), "case.provider.name", "the out-of-network specialist")
    contact = plan.network_exception.contact or plan.appeals.um_contact
    path = (
        "plan.network_exception.contact"
        if plan.network_exception.contact
        else "plan.appeals.um_contact"
    )
    require_contact(need, contact, path, "office that decides network exceptions")
    need.check()
    urgent = is_urgent(case)
    figures = Figures(law, law_day(case, determination))
    # The plan's own name for its process is quoted as the plan writes it (in English).
    name = clean(plan.network_exception.name) or tr("network exception")
    service = service_words(case)
    plan_terms = plan_term_lines(case, plan)
    if plan.network_exception.available == "yes":
        src = plan.network_exception.source
        plan_terms.append(
            tr(
                "The plan has a {name} process for this situation ({where}).",
                name=name.lower(),
                where=f"{src.document}, {src.section}",
            )
        )
    return NetworkExceptionContext(
        **common(LETTER, case, plan, today),
        title=tr(
            "Request for a {name}: out-of-network specialist at in-network cost",
            name=name.lower(),
        ),
        expedited=urgent,
        expedited_note=tr(
            "Urgent request: a physician certifies that waiting the standard time could "
            "seriously jeopardize the patient's health."
        )
        if urgent
        else "",
        recipient=recipient_party(contact),
        delivery=delivery_line(contact.fax, mail=bool(contact.address_lines)),
        re_rows=member_rows(case, plan)
        + service_rows(case)
        + [Row(label=tr("Request"), value=tr("{name} (in-network cost sharing)", name=name))],
        salutation=tr("Dear Utilization Management Reviewer:"),
        service=service,
        ask=tr(
            voiced(
                "I ask the plan to cover {service} at the in-network level of cost sharing. The "
                "specialist is not in the plan's network, and the network has no specialist with "
                "the expertise my cancer needs.",
                "I ask the plan to cover {service} at the in-network level of cost sharing. The "
                "specialist is not in the plan's network, and the network has no specialist with "
                "the expertise the patient's cancer needs.",
            ),
            service=service,
        ),
        exception_name=name,
        gap=_gap_lines(case),
        cost_compare=_cost_lines(plan),
        clinical=clinical_lines(case),
        narrative=paragraphs(case.reasons.notes),
        reasons=reason_lines(case),
        plan_terms=plan_terms,
        law=law_text.governing_law(plan, figures)
        + law_text.preauth_law(plan, figures, urgent=urgent),
        mandates=law_text.mandate_sentences(plan, determination),
        requests=_requests(case),
        closing=closing(case),
        enclosures=physician_enclosure(case) + [clinical_enclosure(), search_enclosure()],
        copies_to=copies(case, provider=True),
        footer_id=footer_for(case, plan, "Network exception request"),
    )
