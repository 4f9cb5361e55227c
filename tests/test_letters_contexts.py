"""Letter contexts: required fields, routes by market, and only verified law."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from letters_support import TODAY, docx_text, scenario

import letters
from coverage.determination import TraceEntry
from letters.contexts import MissingFieldError, NotApplicableError, build_context
from secondlook import service

# A copy of ../shared/reference/regulatory-facts.md (the project's source of legal facts), kept
# with the tests so they check the same facts on every machine.
FACTS = Path(__file__).resolve().parent / "fixtures" / "regulatory-facts.md"


def text_of(name: str, letter_type: str, **kwargs) -> str:
    case, plan, determination = scenario(name)
    return docx_text(
        letters.render_letter(letter_type, case, plan, determination, today=TODAY, **kwargs)
    )


def changed(name: str, **changes):
    case, plan, determination = scenario(name)
    case = case.model_copy(deep=True)
    for path, value in changes.items():
        target = case
        *parents, last = path.split(".")
        for part in parents:
            target = getattr(target, part)
        setattr(target, last, value)
    return case, plan, determination


# --- required fields ---------------------------------------------------------------------------


def test_missing_member_id_names_the_field_and_never_the_member():
    case, plan, determination = changed("commercial-denied", **{"patient.member_id": None})
    with pytest.raises(MissingFieldError) as err:
        build_context("appeal", case, plan, determination, today=TODAY)
    assert ("case.patient.member_id", "the member ID from the insurance card") in err.value.fields
    assert "Maria" not in str(err.value) and "GXH" not in str(err.value)


def test_all_missing_fields_are_named_at_once():
    case, plan, determination = changed(
        "commercial-network-gap", **{"patient.member_id": " ", "patient.name": None}
    )
    with pytest.raises(MissingFieldError) as err:
        build_context("appeal", case, plan, determination, today=TODAY)
    paths = [path for path, _ in err.value.fields]
    assert paths == ["case.patient.name", "case.patient.member_id", "case.denial"]


def test_no_appeals_address_is_a_missing_plan_field():
    case, _, _ = scenario("commercial-denied")
    plan = service.generic_plan("employer_group", "MO", "fully_insured")
    determination = service.check(case, plan)
    with pytest.raises(MissingFieldError) as err:
        build_context("appeal", case, plan, determination, today=TODAY)
    assert [p for p, _ in err.value.fields] == ["plan.appeals.appeals_contact.address_lines"]


def test_expedited_appeal_needs_a_physician_certification():
    case, plan, determination = scenario("commercial-denied")
    with pytest.raises(MissingFieldError) as err:
        build_context("expedited_appeal", case, plan, determination, today=TODAY)
    assert [p for p, _ in err.value.fields] == ["case.urgency.physician_certifies_urgent"]


def test_records_request_needs_a_date_of_birth_and_somewhere_to_send():
    case, plan, determination = changed(
        "commercial-network-gap",
        **{"patient.date_of_birth": None, "provider.address_lines": [], "provider.fax": None},
    )
    with pytest.raises(MissingFieldError) as err:
        build_context("records_request", case, plan, determination, today=TODAY)
    assert [p for p, _ in err.value.fields] == [
        "case.patient.date_of_birth",
        "case.provider.address_lines",
    ]


def test_a_determination_for_another_plan_is_refused():
    case, plan, _ = scenario("commercial-denied")
    _, _, other = scenario("medicare-denied")
    with pytest.raises(letters.LetterError, match="determination is for plan"):
        build_context("appeal", case, plan, other, today=TODAY)


@pytest.mark.parametrize(
    ("name", "letter_type", "why"),
    [
        ("medicare-denied", "preauth_request", "no prior authorization"),
        ("medicare-denied", "network_exception_request", "no network"),
        ("medicare-denied", "expedited_appeal", "standard redetermination"),
        ("ma-denied-urgent", "external_review_request", "Independent Review Entity"),
        ("commercial-final", "appeal", "external review"),
        ("medicaid-appeal-denied", "appeal", "State fair hearing"),
        ("medicare-redetermined", "appeal", "Qualified"),
    ],
)
def test_letters_that_do_not_exist_for_the_route(name: str, letter_type: str, why: str):
    case, plan, determination = scenario(name)
    with pytest.raises(NotApplicableError, match=why):
        build_context(letter_type, case, plan, determination, today=TODAY)


# --- words and routes by market ----------------------------------------------------------------


def test_original_medicare_redetermination_and_qic():
    appeal = text_of("medicare-denied", "appeal")
    assert "RE: Request for redetermination (Medicare appeal, level 1)" in appeal
    assert "within 120 days of receiving the notice (42 CFR 405.942(a))" in appeal
    assert "Medicare Number:\t1EG4-TE5-MK72" in appeal
    assert "denied payment for" in appeal and "peer-to-peer" not in appeal
    qic = text_of("medicare-redetermined", "external_review_request")
    assert "Qualified Independent Contractor" in qic
    assert "within 180 days of receiving the redetermination notice (42 CFR 405.962(a))" in qic


def test_medicare_advantage_reconsideration_is_65_days_never_60():
    text = text_of("ma-denied-urgent", "expedited_appeal")
    assert "EXPEDITED REVIEW REQUESTED" in text
    assert "within 65 days of the date of the notice (42 CFR 422.582(b), (c))" in text
    assert "expedited reconsideration within 72 hours (42 CFR 422.590(e))" in text
    assert "Independent Review Entity (42 CFR 422.590, 422.592)" in text
    assert "60 days" not in text
    standard = text_of("ma-denied-urgent", "appeal")
    assert "EXPEDITED" not in standard
    assert "reconsideration of a pre-service request within 30 days (42 CFR 422.590(a))" in standard


def test_a_letter_states_the_law_of_the_notice_date_not_of_the_letter_date():
    """Issue 11 #3: a notice from before a rule change gets the old figure in the letter, as
    it does in the answer's deadlines (both sides of the 2025 change from 60 to 65 days)."""
    case, plan, _ = scenario("ma-denied-urgent")
    for notice, days in ((dt.date(2024, 12, 20), "60 days"), (dt.date(2025, 1, 2), "65 days")):
        old = case.model_copy(deep=True)
        old.denial.notice_date = notice
        answer = service.check(old, plan, dt.date(2025, 1, 10))
        text = docx_text(letters.render_letter("appeal", old, plan, answer, today=TODAY))
        assert f"within {days} of the date of the notice" in text
        within = next(d.within for d in answer.deadlines if d.id == "ma_reconsideration_filing")
        assert within.startswith(days)


def test_records_request_cites_the_third_party_rule_for_electronic_records_only():
    """Issue 11 #10: 164.524(c)(3)(ii) covers electronic records, not slides or films; the
    doctor is named above the sentence, not below."""
    text = text_of("commercial-network-gap", "records_request")
    cited = next(line for line in text.splitlines() if "164.524(c)(3)(ii)" in line)
    assert cited.startswith("For the records you keep electronically")
    assert "named above" in cited and "name below" not in text
    assert "physical items, not electronic records" in text


def test_medicaid_standard_authorization_says_its_rating_periods():
    """Issue 11 #12: the 7-day standard time applies to rating periods from 2026."""
    text = text_of("medicaid-new", "preauth_request")
    assert "For rating periods starting on or after January 1, 2026, the plan must decide" in (text)


def test_an_unverified_oregon_citation_is_not_stated_as_law():
    """Issue 11 #13: ORS 743.856(1)(c) may have been renumbered: the answer says to confirm it,
    no letter cites it (a verified mandate still is: see the Missouri test above)."""
    from letters import law_text

    case, _, _ = scenario("commercial-network-gap")
    plan = service.resolve_plan("or-hmo-cascade-employer")
    answer = service.check(case, plan)
    assert any(t.rule_id == "or-ors-743-856" and t.status == "applied" for t in answer.trace)
    assert any("ORS 743.856" in line for line in answer.unverified)
    assert not any("ORS" in line for line in law_text.mandate_sentences(plan, answer))


def test_urgent_employer_denial_recommends_the_simultaneous_external_review_and_it_is_written():
    """Issue 11 #2: the answer recommends the expedited external review beside the expedited
    appeal, and the letter says it is made at the same time."""
    case, plan, determination = scenario("self-funded-urgent")
    assert {"expedited_appeal", "external_review_request"} <= set(determination.letters)
    text = text_of("self-funded-urgent", "external_review_request")
    assert "at the same time as my expedited internal appeal" in text


def test_grandfathered_plan_gets_no_external_review_and_no_aca_citation():
    """Issue 11 #8: the answer recommends no external review, the letter refuses one, and the
    governing law does not cite 45 CFR 147.136."""
    case, plan, _ = scenario("commercial-final")
    plan = plan.model_copy(update={"grandfathered": True})
    answer = service.check(case, plan)
    assert "external_review_request" not in answer.letters
    assert "147.136" not in answer.governing_law
    with pytest.raises(NotApplicableError):
        build_context("external_review_request", case, plan, answer, today=TODAY)
    claim = build_context("claim_file_request", case, plan, answer, today=TODAY)
    assert claim.law and "147.136" not in " ".join(claim.law)


def test_medicaid_plan_appeal_and_fair_hearing_cite_nothing_unverified():
    appeal = text_of("medicaid-denied", "appeal")
    assert "RE: Request for a plan appeal (Medicaid)" in appeal
    assert "within 60 days of the date of the notice (42 CFR 438.402(c)(2)(ii))" in appeal
    assert "within 30 days (42 CFR 438.408(b)(2))" in appeal
    hearing = text_of("medicaid-appeal-denied", "external_review_request")
    assert "RE: Request for a State fair hearing (Medicaid)" in hearing
    assert "within the time stated on the plan's notice" in hearing
    for text in (appeal, hearing, text_of("medicaid-new", "preauth_request")):
        assert "438.206" not in text  # the second-opinion rule's citation is unverified
        assert "438.408(f)(2)" not in text and "120 days" not in text  # fair hearing: unverified
        assert "45 days" not in text


def test_external_review_is_4_months_never_60_days():
    federal = text_of("self-funded-urgent", "external_review_request")
    assert "expedited external review must be decided within 72 hours (45 CFR 147.136(d)(3))" in (
        federal
    )
    assert "(42 U.S.C. 300gg-19(b)(2)(B))" in federal
    state = text_of("commercial-final", "external_review_request")
    assert "at least 4 months" in state and "(45 CFR 147.136(c)(2)(vi))" in state
    case, plan, determination = changed("self-funded-urgent", **{"denial.level": "final_internal"})
    final = docx_text(
        letters.render_letter("external_review_request", case, plan, determination, today=TODAY)
    )
    assert "within 4 months of receiving the final internal" in final
    assert "(45 CFR 147.136(d)(2)(i))" in final
    for text in (federal, state, final):
        assert "60 days" not in text and "147.137" not in text


def test_records_request_is_30_days_with_one_extension_never_60():
    text = text_of("commercial-network-gap", "records_request")
    assert "within 30 days of receiving it" in text and "by up to 30 days" in text
    assert "(45 CFR 164.524(b)(2))" in text and "(45 CFR 164.524(c)(3)(ii))" in text
    assert "60 days" not in text
    assert text.count("Dear Medical Records Department:") == 2  # one letter per records holder


def test_claim_file_cites_h2iii_for_employer_plans_only():
    text = text_of("commercial-denied", "claim_file_request")
    assert "(29 CFR 2560.503-1(h)(2)(iii))" in text
    assert "not my appeal" in text
    free = [line for line in text.splitlines() if "free of charge" in line]
    assert free and all("(h)(2)(iii)" in line for line in free)
    medicaid = text_of("medicaid-denied", "claim_file_request")
    assert "2560.503-1" not in medicaid


def test_state_mandate_only_for_fully_insured_plans_and_only_when_verified():
    assert "RSMo 376.1253" in text_of("commercial-denied", "appeal")
    assert "RSMo" not in text_of("self-funded-urgent", "expedited_appeal")
    case, plan, determination = scenario("commercial-denied")
    fake = TraceEntry(
        rule_id="xx-unverified",
        layer="state",
        title="An unverified state rule",
        status="applied",
        effect="applies",
        citation="Fake Stat. 1.23",
        verified=False,
        last_verified=None,
        priority=200,
    )
    with_fake = determination.model_copy(update={"trace": [*determination.trace, fake]})
    text = docx_text(letters.render_letter("appeal", case, plan, with_fake, today=TODAY))
    assert "Fake Stat" not in text and "RSMo 376.1253" in text
    verified = fake.model_copy(update={"verified": True})
    with_verified = determination.model_copy(update={"trace": [*determination.trace, verified]})
    text = docx_text(letters.render_letter("appeal", case, plan, with_verified, today=TODAY))
    assert "Fake Stat. 1.23: An unverified state rule." in text


def test_an_unverified_figure_is_never_stated():
    case, plan, determination = scenario("commercial-denied")
    law = service.lawbook()
    name = "erisa_aca.appeal_decision_pre_service_days_per_level_two_levels"
    parameter = law.parameters[name].model_copy(
        update={"verified": False, "source_quality": "unverified"}
    )
    doubtful = law.model_copy(update={"parameters": {**law.parameters, name: parameter}})
    context = build_context("appeal", case, plan, determination, today=TODAY, law=doubtful)
    assert not any("2560.503-1(i)(2)(ii)" in line for line in context.law)
    context = build_context("appeal", case, plan, determination, today=TODAY, law=law)
    assert any("within 15 days" in line and "(i)(2)(ii)" in line for line in context.law)


def test_evidence_lines_are_cited_in_letters_to_the_plan():
    line = "2026-03-20 phone call, Member Services (J. Doe), ref. 4471: said no network oncologist"
    text = text_of("commercial-denied", "appeal", evidence=[line, "  "])
    assert "My calls and contacts with the plan" in text and line in text
    case, plan, determination = scenario("commercial-network-gap")
    with pytest.raises(letters.LetterError, match="does not cite call-log"):
        build_context("records_request", case, plan, determination, evidence=[line])


# --- the law text rests on the facts file ------------------------------------------------------


def _facts() -> tuple[str, list[str]]:
    text = FACTS.read_text(encoding="utf-8").replace("**", "")
    return " ".join(text.split()), text.splitlines()


STATEMENTS = service.lawbook().statements


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_every_statement_rests_on_the_facts_file(name: str):
    """Each statement names the words of the facts file it rests on; a verified statement
    never rests on a row the facts file marks unverified."""
    flat, lines = _facts()
    statement = STATEMENTS[name]
    assert statement.facts in flat, f"{name}: {statement.facts!r} is not in the facts file"
    if statement.verified:
        rows = [line for line in lines if statement.facts in line and line.startswith("|")]
        for row in rows:
            source = row.rstrip(" |").rsplit("|", 1)[-1].strip()
            assert not source.startswith("unverified"), f"{name} rests on an unverified row"


def test_every_citation_in_the_letters_is_known():
    """Citations printed in a letter come from the law book, the FIXED table or the plan's own
    documents, never from anywhere else."""
    from letters_support import GOLDEN_CASES

    law = service.lawbook()
    known = {p.citation for p in law.parameters.values() if p.verified}
    known |= {s.citation for s in law.statements.values() if s.citation and s.verified}
    known |= {r.citation for r in law.rules if r.verified}
    cfr = re.compile(r"\((\d+ (?:CFR|U\.S\.C\.) [^()]*(?:\([^()]*\)[^()]*)*)\)")
    for name, letter_type in GOLDEN_CASES:
        text = text_of(name, letter_type)
        for cite in cfr.findall(text):
            parts = [part.strip() for part in cite.split(";")]
            assert all(any(part in k or k in part for k in known) for part in parts), (
                f"{name}/{letter_type}: unknown citation {cite!r}"
            )


def test_external_review_asserts_medical_judgment_only_when_the_notice_gives_one():
    """Issue 11 #11: a network denial is not said to involve medical judgment; a denial for
    medical necessity is."""
    case, plan, determination = scenario("self-funded-urgent")
    network = build_context("external_review_request", case, plan, determination, today=TODAY)
    assert not any("this denial does (" in line for line in network.law)
    assert any("I ask the reviewer to decide whether this denial does" in x for x in network.law)
    medical = case.model_copy(deep=True)
    medical.denial.medical_judgment = "yes"
    said = build_context("external_review_request", medical, plan, determination, today=TODAY)
    assert any("this denial does (45 CFR 147.136(d)(1)(ii))" in line for line in said.law)
    appeal = build_context("expedited_appeal", medical, plan, determination, today=TODAY)
    assert any("Because the denial rests on medical judgment" in line for line in appeal.law)


def test_a_government_employers_plan_is_not_given_erisa_law():
    """Issue 11 #7: no ERISA claim-file rule, no ERISA preemption, the ACA rules as such."""
    case, plan, _ = scenario("commercial-denied")
    plan = plan.model_copy(update={"sponsor": "governmental"})
    answer = service.check(case, plan)
    assert "ERISA does not govern it (29 U.S.C. 1003(b))" in answer.governing_law
    claim = build_context("claim_file_request", case, plan, answer, today=TODAY)
    assert not any("2560.503-1(h)(2)(iii)" in line for line in claim.law)
    appeal = build_context("appeal", case, plan, answer, today=TODAY)
    assert any("as applied by 45 CFR 147.136(b)" in line for line in appeal.law)
    assert not any("(h)(2)(iii)" in line for line in appeal.requests)
