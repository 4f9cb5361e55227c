"""What the patient does next: the papers to gather, the letters to send and the steps, decided
as codes and messages (coverage.explain words them)."""

from __future__ import annotations

from functools import lru_cache

from coverage.appeals import next_appeal_step
from coverage.decision import DeadlineFacts, DocFacts, NetworkFacts
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
        letters.append("network_exception_request")
    return letters


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
def _prior_approval(fax: str | None) -> Msg:
    return (
        msg("answer.step.prior_approval_fax", fax=fax) if fax else Msg("answer.step.prior_approval")
    )


def _denial_steps(deadlines: tuple[DeadlineFacts, ...], letters: list[str]) -> list[Msg]:
    steps = []
    filing = [d for d in deadlines if d.kind == "file_by" and d.due]
    if filing:
        steps.append(_file_by(filing[0].title, filing[0].due))
    if "claim_file_request" in letters:
        steps.append(_CLAIM_FILE)
    return steps


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
        steps += _denial_steps(deadlines, letters)
    if referral_needed in ("yes", "conditional"):
        steps.append(_REFERRAL)
    if (
        pa_needed in ("auth-needed", "conditional")
        and case.denial is None
        and not route.exception_request_needed
    ):
        steps.append(_prior_approval(work.plan.appeals.um_contact.fax))
    if route.exception_request_needed:
        steps.append(_NETWORK_EXCEPTION)
    steps.append(_RECORDS)
    if case.provider.nci_designation == "basic_laboratory":
        steps.append(_BASIC_LABORATORY)
    steps.append(_CALL_LOG)
    if covered == "not-covered" and case.denial is None:
        steps.append(_APPEAL_LATER)
    return tuple(dict.fromkeys(steps))
