"""The first appeal to the payer: internal appeal (employer and individual plans),
redetermination (Original Medicare), reconsideration (Medicare Advantage) or plan appeal
(Medicaid); standard or expedited."""

from __future__ import annotations

import letters.law_text as law_text
from coverage.appeals import next_appeal_step
from coverage.case import Case
from coverage.markets import profile
from coverage.plan import Plan
from letters.law_text import Figures, specialty_words
from letters.models import AppealContext, NotApplicableError
from letters.parts import (
    Needs,
    clean,
    clinical_enclosure,
    clinical_lines,
    closing,
    common,
    copies,
    delivery_line,
    denial_notice_words,
    denial_rows,
    doctor_noun,
    enclosures_for_denial,
    footer_for,
    from_notice,
    law_day,
    member_rows,
    opinion_word,
    paragraphs,
    peer_to_peer_line,
    physician_enclosure,
    physician_words,
    plan_term_lines,
    reason_lines,
    recipient_party,
    refuse_if_not_in_market,
    require_contact,
    require_denial,
    require_member,
    service_rows,
    service_words,
    specialist_lines,
    urgent_statement,
)
from letters.wording import third_person, tr, voiced


def check_appeal_stage(letter_type: str, plan: Plan, case: Case) -> None:
    """No appeal to the payer after its last level: the profile says what comes next."""
    d = case.denial
    if d is None or next_appeal_step(plan, d) == "internal_appeal":
        return
    raise NotApplicableError(letter_type, profile(plan.market).letters.after_last_appeal)


def appeal_points(case: Case, plan: Plan) -> list[str]:
    points = plan_term_lines(case, plan)
    reasons = reason_lines(case)
    if reasons:
        points.append(
            tr("A second opinion is medically appropriate now.") + " " + " ".join(reasons)
        )
    points += specialist_lines(case)
    doc = physician_words(case)
    if doc:
        points.append(
            tr(
                voiced(
                    "My {doctor}, {name}, explains in the enclosed letter why this second "
                    "opinion is medically necessary.",
                    "The patient's {doctor}, {name}, explains in the enclosed letter why this "
                    "second opinion is medically necessary.",
                ),
                doctor=doctor_noun(case),
                name=doc[0],
            )
        )
    return points


def _requests(case: Case, plan: Plan, figures: Figures) -> list[str]:
    market = profile(plan.market)
    requests = []
    p2p = peer_to_peer_line(case) if market.features.peer_to_peer else ""
    if p2p:
        requests.append(p2p)
    requests.append(
        tr(
            "Tell me the name, specialty and board certification of each person who reviews "
            "this appeal."
        )
    )
    requests.append(law_text.claim_file_request(plan, figures))
    requests.append(
        tr(
            "Send your decision in writing. If you uphold the denial, give the specific reason, "
            "the plan provision or clinical criteria relied on, and how to take the next step."
        )
    )
    return requests


def _require_expedited(need: Needs, case: Case) -> None:
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


def _titles(plan: Plan, case: Case, expedited: bool) -> tuple[str, str]:
    """(title, footer) for the appeal at this stage."""
    words = profile(plan.market).letters.appeal
    next_level = case.denial is not None and case.denial.level == "internal_appeal"
    if next_level:
        title = words.title_next_level_expedited if expedited else words.title_next_level
    else:
        title = words.title_expedited if expedited else words.title
    return tr(title), words.footer_expedited if expedited else words.footer


def _opening(case: Case, plan: Plan, denial_words: str, service: str) -> str:
    market = profile(plan.market)
    d = case.denial
    assert d is not None
    in_net = (
        tr(", at the in-network level of cost sharing")
        if case.provider.in_network == "no" and case.qualified_in_network_specialist == "no"
        else ""
    )
    paid = d.service_type == "post_service"
    ask = tr(third_person(market.letters.appeal.ask), denial=denial_words)
    opening = (
        "{ask}, which denied payment for {service}. I ask {decider} to reverse the decision and "
        "pay for this {opinion} consultation{in_net}."
        if paid
        else "{ask}, which denied {service}. I ask {decider} to reverse the decision and approve "
        "this {opinion} consultation{in_net}."
    )
    return tr(
        opening,
        ask=ask,
        service=service,
        decider=tr(market.terms.decider),
        opinion=opinion_word(case),
        in_net=in_net,
    )


def _expedited_note(plan: Plan, figures: Figures) -> str:
    clock = figures.get(profile(plan.market).clock("appeal_decision_urgent"))
    within = (
        tr("Decision needed within {clock}", clock=clock[0])
        if clock
        else tr("Decision needed quickly")
    )
    return tr(
        "{within}: a physician certifies that waiting the standard time could seriously "
        "jeopardize the patient's health.",
        within=within,
    )


def build_appeal(
    case, plan, determination, today, law, *, expedited: bool = False
) -> AppealContext:  # noqa: ANN001
    letter_type = "expedited_appeal" if expedited else "appeal"
    need = Needs(letter_type)
    check_appeal_stage(letter_type, plan, case)
    if expedited:
        refuse_if_not_in_market(letter_type, plan)
    require_member(need, case)
    require_denial(need, case)
    if expedited:
        _require_expedited(need, case)
    contact, path = from_notice(case, plan.appeals.appeals_contact, "plan.appeals.appeals_contact")
    require_contact(need, contact, path, "appeals office")
    need.check()
    d = case.denial
    assert d is not None and contact is not None
    figures = Figures(law, law_day(case, determination))
    title, footer = _titles(plan, case, expedited)
    service = service_words(case)
    denial_words = denial_notice_words(plan, case)
    specialty = specialty_words(case.referring_physician.specialty or case.provider.specialty)
    fax = plan.appeals.expedited_fax if expedited and plan.appeals.expedited_fax else contact.fax
    return AppealContext(
        **common(letter_type, case, plan, today),
        title=title,
        expedited=expedited,
        expedited_note=_expedited_note(plan, figures) if expedited else "",
        recipient=recipient_party(contact),
        delivery=delivery_line(
            fax,
            expedited=expedited,
            phone=plan.appeals.expedited_phone if expedited else None,
            mail=bool(contact.address_lines),
        ),
        re_rows=member_rows(case, plan) + denial_rows(case) + service_rows(case),
        salutation=tr(profile(plan.market).letters.appeal.salutation),
        service=service,
        ask=_opening(case, plan, denial_words, service),
        denial_words=denial_words,
        denial_reason=clean(d.reason_quoted) or "",
        urgent_statement=urgent_statement(case) if expedited else "",
        clinical=clinical_lines(case),
        narrative=paragraphs(case.reasons.notes),
        points=appeal_points(case, plan),
        law=law_text.governing_law(plan, figures)
        + law_text.appeal_law(
            plan,
            figures,
            urgent=expedited,
            pre_service=d.service_type == "pre_service",
            specialty=specialty,
            medical_judgment=d.medical_judgment == "yes",
        ),
        mandates=law_text.mandate_sentences(plan, determination),
        requests=_requests(case, plan, figures),
        closing=closing(case, expedited=expedited),
        enclosures=enclosures_for_denial(plan, case)
        + physician_enclosure(case)
        + [clinical_enclosure()],
        copies_to=copies(case),
        footer_id=footer_for(case, plan, footer),
    )
