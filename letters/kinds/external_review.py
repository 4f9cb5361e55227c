"""The review after the payer's final decision: independent external review (employer and
individual plans), QIC reconsideration (Original Medicare) or a State fair hearing (Medicaid).
A Medicare Advantage plan forwards the case itself, so there is no letter."""

from __future__ import annotations

import letters.law_text as law_text
from coverage.appeals import next_appeal_step
from coverage.case import Case
from coverage.markets import profile
from coverage.plan import Plan
from letters.kinds.appeal import appeal_points
from letters.law_text import Figures, specialty_words
from letters.models import ExternalReviewContext, NotApplicableError, Row
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
    enclosures_for_denial,
    footer_for,
    from_notice,
    is_urgent,
    law_day,
    member_rows,
    paragraphs,
    physician_enclosure,
    recipient_party,
    refuse_if_not_in_market,
    require_contact,
    require_denial,
    require_member,
    service_rows,
    service_words,
    urgent_statement,
)
from letters.wording import third_person, tr, voiced

LETTER = "external_review_request"


def _check_stage(case: Case, plan: Plan, urgent: bool) -> None:
    """External review follows the plan's last appeal level, except in an urgent case where
    the market lets it run beside the expedited internal appeal."""
    d = case.denial
    if d is None:
        return
    together = urgent and profile(plan.market).features.urgent_external_review_with_appeal
    if d.level == "initial" and not together:
        raise NotApplicableError(
            LETTER,
            "external review follows the plan's final appeal decision; appeal the first denial "
            "first (appeal), or set the denial's level if the plan has decided an appeal",
        )
    if d.level != "initial" and next_appeal_step(plan, d) == "internal_appeal":
        raise NotApplicableError(
            LETTER, "the plan has another internal appeal level; appeal to the plan first (appeal)"
        )


def reviewer_contact(case: Case, plan: Plan):  # noqa: ANN201
    """(contact, path) the request goes to: the place the denial notice names for external
    review, else the notice's address (`from_notice`), else the plan file's reviewer."""
    if case.denial is not None and case.denial.external_review_to is not None:
        return case.denial.external_review_to, "case.denial.external_review_to"
    contact = plan.external_review.contact
    path = "plan.external_review.contact"
    if contact is None and plan.external_review.route == "federal_iro":
        # The federal process for self-funded plans starts with a request to the plan.
        contact, path = plan.appeals.appeals_contact, "plan.appeals.appeals_contact"
    return from_notice(case, contact, path)


def _plan_copy(plan: Plan) -> str:
    # A plan whose company is not known is called "Your plan" on her pages; in her letter to
    # the reviewer that would read as the reviewer's plan.
    mine = voiced("My health plan", "The patient's health plan")
    issuer = tr(mine) if plan.issuer == "Your plan" else plan.issuer
    return tr("{issuer}, appeals department", issuer=issuer)


def _requests(case: Case, plan: Plan, urgent: bool) -> list[str]:
    office = tr(profile(plan.market).terms.claims_office)
    requests = [
        tr(
            "Please ask {office} for its complete file on this claim, including the criteria it "
            "used, and send me a copy of anything new it submits.",
            office=office,
        ),
        tr(
            "Please have the case reviewed by a physician in the same specialty ({specialty}).",
            specialty=specialty_words(case.referring_physician.specialty),
        ),
        tr(
            voiced(
                "Send me your decision in writing.",
                "Send your decision in writing to the patient and to me.",
            )
        ),
    ]
    if urgent:
        requests.insert(0, tr("Please decide this request as an expedited review."))
    return requests


def build_external_review(case, plan, determination, today, law) -> ExternalReviewContext:  # noqa: ANN001
    need = Needs(LETTER)
    refuse_if_not_in_market(LETTER, plan)
    if plan.grandfathered or plan.external_review.route == "none":
        raise NotApplicableError(LETTER, "the plan data show no external review for this plan")
    require_member(need, case)
    require_denial(need, case)
    urgent = is_urgent(case) and (case.denial is None or case.denial.service_type == "pre_service")
    _check_stage(case, plan, urgent)
    contact, path = reviewer_contact(case, plan)
    require_contact(
        need, contact, path, f"external reviewer ({plan.external_review.administered_by})"
    )
    need.check()
    d = case.denial
    assert d is not None and contact is not None
    words = profile(plan.market).letters.external_review_request
    figures = Figures(law, law_day(case, determination))
    service = service_words(case)
    denial_words = denial_notice_words(plan, case)
    simultaneous = d.level == "initial"
    history = (
        [
            tr(
                voiced(
                    "Because my situation is urgent, I am asking for this expedited external "
                    "review at the same time as my expedited internal appeal to the plan, which I "
                    "have sent today.",
                    "Because the patient's situation is urgent, I am asking for this expedited "
                    "external review at the same time as the expedited internal appeal to the "
                    "plan, which was sent today.",
                )
            )
        ]
        if simultaneous
        else []
    )
    # A profile's words use the places they need; the others are left out.
    payment_for = tr("payment for ") if d.service_type == "post_service" else ""
    ask = tr(third_person(words.ask), denial=denial_words, payment_for=payment_for, service=service)
    expedited = tr("expedited ") if simultaneous else ""
    enclosure = tr(third_person(words.enclosure), expedited=expedited)
    copy_plan = words.copy_to_plan and contact is not plan.appeals.appeals_contact
    return ExternalReviewContext(
        **common(LETTER, case, plan, today),
        title=tr(words.title_expedited if urgent else words.title),
        expedited=urgent,
        expedited_note=tr(
            "Expedited review requested: a physician certifies that waiting the standard time "
            "could seriously jeopardize the patient's health."
        )
        if urgent
        else "",
        recipient=recipient_party(contact),
        delivery=delivery_line(contact.fax, mail=bool(contact.address_lines)),
        re_rows=member_rows(case, plan)
        + denial_rows(case)
        + service_rows(case)
        + [
            Row(
                label=tr("Request"),
                value=tr(words.request_expedited if urgent else words.request),
            )
        ],
        salutation=tr(words.salutation),
        service=service,
        ask=ask,
        denial_words=denial_words,
        denial_reason=clean(d.reason_quoted) or "",
        urgent_statement=urgent_statement(case) if urgent else "",
        history=history,
        clinical=clinical_lines(case),
        narrative=paragraphs(case.reasons.notes),
        points=appeal_points(case, plan),
        law=law_text.governing_law(plan, figures)
        + law_text.external_law(
            plan,
            figures,
            urgent=urgent,
            final=not simultaneous,
            medical_judgment=d.medical_judgment == "yes",
        ),
        mandates=law_text.mandate_sentences(plan, determination),
        requests=_requests(case, plan, urgent),
        closing=closing(case),
        enclosures=enclosures_for_denial(plan, case)
        + [enclosure]
        + physician_enclosure(case)
        + [clinical_enclosure()],
        copies_to=([_plan_copy(plan)] if copy_plan else []) + copies(case),
        footer_id=footer_for(case, plan, words.footer_expedited if urgent else words.footer),
    )
