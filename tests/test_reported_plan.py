"""A plan not in our list, as the patient reports it: her answers become the plan's terms,
cited to her own papers, on top of the defaults for that kind of plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from coverage.case import Case, ReportedPlan
from coverage.loader import LoadError
from secondlook import service

DAY = dt.date(2026, 11, 30)


def report(**kw) -> ReportedPlan:
    return ReportedPlan.model_validate({"market": "employer_group", **kw})


def test_her_summary_of_benefits_becomes_the_plan_terms_cited_to_it():
    plan = service.reported_plan(
        report(
            name="Gold PPO 1500",
            issuer="Acme Health",
            plan_type="PPO",
            self_funded="no",
            has_sbc="yes",
            specialist_copay="50",
            referral_required="no",
            prior_auth_required="yes",
        ),
        "MO",
        on=DAY,
    )
    assert (plan.name, plan.issuer, plan.plan_type, plan.funding) == (
        "Gold PPO 1500",
        "Acme Health",
        "PPO",
        "fully_insured",
    )
    access = plan.second_opinion.in_network
    assert (access.referral_required, access.prior_auth_required) == ("no", "yes")
    assert access.source.document == "Your Summary of Benefits and Coverage, as you entered it"
    assert access.last_verified == DAY
    assert plan.cost_sharing.in_network.specialist_copay == Decimal(50)
    assert not plan.metadata.fictional and plan.id.startswith("reported-")


def test_without_her_summary_nothing_is_assumed():
    plan = service.reported_plan(report(referral_required="no"), "MO", on=DAY)
    access = plan.second_opinion.in_network
    assert (access.referral_required, access.prior_auth_required) == ("not_stated", "not_stated")
    assert plan.cost_sharing.in_network.specialist_copay is None
    assert plan.funding == "unknown"  # she did not say: the engine asks


def test_where_to_send_requests_and_appeals_is_hers_to_give():
    plan = service.reported_plan(
        report(
            requests_to={"fax": "314-555-0102"},
            appeals_to={"name": "Appeals Unit", "address_lines": ["PO Box 9", "St. Louis, MO"]},
        ),
        "MO",
        on=DAY,
    )
    assert plan.appeals.um_contact.fax == "314-555-0102"
    # No company given: no "Your plan" heading the address the plan's mail room reads.
    assert (plan.appeals.um_contact.name, plan.appeals.um_contact.department) == (None, None)
    named = service.reported_plan(
        report(issuer="Acme Health", requests_to={"fax": "314-555-0102"}), "MO", on=DAY
    )
    assert named.appeals.um_contact.name == "Acme Health"
    assert plan.appeals.appeals_contact.name == "Appeals Unit"
    assert plan.appeals.appeals_contact.address_lines == ["PO Box 9", "St. Louis, MO"]
    assert plan.appeals.source.document == "Your plan papers, as you entered them"


def test_a_case_is_checked_against_the_plan_she_reported():
    case = Case.model_validate(
        {
            "patient": {"state": "NY"},
            "reported_plan": {"market": "individual", "plan_type": "EPO", "self_funded": "yes"},
        }
    )
    plan = service.plan_for(case)
    assert (plan.market, plan.situs_state, plan.funding) == ("individual", "NY", "fully_insured")
    assert service.check(case, as_of=DAY).plan_id == plan.id


def test_no_kind_of_plan_is_no_plan():
    with pytest.raises(LoadError):
        service.plan_for(Case(reported_plan=ReportedPlan()))
    with pytest.raises(LoadError):
        service.plan_for(Case())
