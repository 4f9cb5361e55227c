"""What the patient does next: the papers to gather, the letters to send and the steps, decided
as codes and messages (coverage.explain words them)."""

from __future__ import annotations

from functools import lru_cache

from coverage.appeals import next_appeal_step
from coverage.decision import DeadlineFacts, DocFacts, NetworkFacts
from coverage.statements import cited_statement
from coverage.text import Msg, msg
from coverage.work import Work

_CLINICAL_RECORDS = [
    DocFacts("clinical", "withorder", Msg(f"answer.doc.{name}"))
    for name in ("pathology", "imaging", "notes", "labs")
]
_MEDICAL_NECESSITY = DocFacts("clinical", "withpa", Msg("answer.doc.medical_necessity"))
_NO_SPECIALIST_PROOF = DocFacts("admin", "withpa", Msg("answer.doc.no_specialist_proof"))
_DENIAL_NOTICE = DocFacts("admin", "retain-doc", Msg("answer.doc.denial_notice"))


def documents(work: Work, pa_needed: str | None, route: NetworkFacts) -> None:
    docs = work.docs
    docs.extend(_CLINICAL_RECORDS)
    if pa_needed in ("auth-needed", "conditional"):
        docs.append(_MEDICAL_NECESSITY)
    if route.exception_request_needed:
        docs.append(_NO_SPECIALIST_PROOF)
    if work.case.denial is not None:
        docs.append(_DENIAL_NOTICE)


# A request to the plan or a reviewer goes with a letter from the physician.
_NEEDS_PHYSICIAN_LETTER = frozenset(
    {
        "preauth_request",
        "network_exception_request",
        "appeal",
        "expedited_appeal",
        "external_review_request",
    }
)


def _before_denial(
    work: Work, pa_needed: str | None, route: NetworkFacts, covered: str
) -> list[str]:
    case, features = work.case, work.view.market.features
    letters = []
    # The exception request is itself the approval request; one letter, not two.
    if (
        pa_needed in ("auth-needed", "conditional")
        and covered != "not-covered"
        and not route.exception_request_needed
    ):
        letters.append("preauth_request")
    if route.exception_request_needed or (
        route.outcome == "unknown"
        and case.qualified_in_network_specialist != "yes"
        and case.provider.in_network != "yes"
        and features.network
    ):
        # No exception process in the plan and no law giving one: ask for approval instead.
        no_process = work.plan.network_exception.available == "no" and not work.gap_law
        if no_process and not route.exception_request_needed:
            letters += [] if "preauth_request" in letters else ["preauth_request"]
        else:
            letters.append("network_exception_request")
    return letters


def simultaneous_external_review(work: Work) -> bool:
    """An urgent pre-service denial where the market lets the patient ask for an expedited
    external review at the same time as the expedited internal appeal (and the plan has one)."""
    case, plan = work.case, work.plan
    denial = case.denial
    return (
        denial is not None
        and denial.level == "initial"
        and denial.service_type == "pre_service"
        and case.urgency.physician_certifies_urgent == "yes"
        and work.view.market.features.urgent_external_review_with_appeal
        and not plan.grandfathered
        and plan.external_review.route != "none"
    )


def letters(work: Work, pa_needed: str | None, route: NetworkFacts, covered: str) -> list[str]:
    case, features = work.case, work.view.market.features
    denial = case.denial
    if denial is None:
        chosen = _before_denial(work, pa_needed, route, covered)
    else:
        chosen = []
        step = next_appeal_step(work.plan, denial)
        if step == "external_review":
            chosen.append("external_review_request")
        elif step == "internal_appeal":
            urgent = case.urgency.physician_certifies_urgent == "yes"
            # Original Medicare has no expedited redetermination for a second opinion.
            chosen.append("expedited_appeal" if urgent and features.expedited_appeal else "appeal")
            if simultaneous_external_review(work):
                chosen.append("external_review_request")
        if features.claim_file_letter:
            chosen.append("claim_file_request")
    chosen.append("records_request")
    if not _NEEDS_PHYSICIAN_LETTER.isdisjoint(chosen):
        chosen.append("physician_letter")
    return chosen


_CLAIM_FILE = Msg("answer.step.claim_file")
_REFERRAL = Msg("answer.step.referral")
_NETWORK_EXCEPTION = Msg("answer.step.network_exception")
_RECORDS = Msg("answer.step.records")
_BASIC_LABORATORY = Msg("answer.step.basic_laboratory")
_CALL_LOG = Msg("answer.step.call_log")
_APPEAL_LATER = Msg("answer.step.appeal_later")


@lru_cache(maxsize=4096)
def _file_by(title: Msg, due) -> Msg:  # noqa: ANN001
    return msg("answer.step.file_by", title=title, due=due)


@lru_cache(maxsize=4096)
def _file_within(title: Msg, within: Msg) -> Msg:
    return msg("answer.step.file_within", title=title, within=within)


@lru_cache(maxsize=4096)
def _prior_approval(fax: str | None) -> Msg:
    return (
        msg("answer.step.prior_approval_fax", fax=fax) if fax else Msg("answer.step.prior_approval")
    )


def _denial_steps(
    work: Work, deadlines: tuple[DeadlineFacts, ...], letters: list[str]
) -> list[Msg]:
    steps = []
    filing = [d for d in deadlines if d.kind == "file_by"]
    dated = [d for d in filing if d.due]
    if dated:
        steps.append(_file_by(dated[0].title, dated[0].due))
    elif filing:  # no date can be given (a State fair hearing): still the next step
        steps.append(_file_within(filing[0].title, filing[0].within))
    if "external_review_request" in letters and work.case.denial.level == "initial":
        steps.append(
            _statement_step("answer.step.simultaneous", "external_review.simultaneous", work)
        )
    if work.plan.grandfathered and not filing and work.view.market.features.grandfathering:
        steps.append(
            _statement_step("answer.step.grandfathered", "external_review.grandfathered", work)
        )
    if "claim_file_request" in letters:
        steps.append(_CLAIM_FILE)
    return steps


def _statement_step(message: str, statement: str, work: Work) -> Msg:
    return msg(message, law=cited_statement(work.law, statement, work.as_of))


def next_steps(
    work: Work,
    covered: str,
    pa_needed: str | None,
    referral_needed: str | None,
    route: NetworkFacts,
    letters: list[str],
    deadlines: tuple[DeadlineFacts, ...],
) -> tuple[Msg, ...]:
    """The checklist, in order: the open questions first, then what to do."""
    case = work.case
    steps: list[Msg] = [need.question for need in work.info.values()]
    if case.denial is not None:
        steps += _denial_steps(work, deadlines, letters)
    if referral_needed in ("yes", "conditional"):
        steps.append(_REFERRAL)
    if "preauth_request" in letters:
        steps.append(_prior_approval(work.plan.appeals.um_contact.fax))
    if "network_exception_request" in letters:
        steps.append(_NETWORK_EXCEPTION)
    steps.append(_RECORDS)
    if case.provider.nci_designation == "basic_laboratory":
        steps.append(_BASIC_LABORATORY)
    steps.append(_CALL_LOG)
    if covered == "not-covered" and case.denial is None:
        steps.append(_APPEAL_LATER)
    return tuple(dict.fromkeys(steps))
