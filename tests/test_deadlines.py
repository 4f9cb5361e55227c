"""The deadline calculator and the legal parameter files it reads.

Most cases live in tests/cases/deadlines.yaml (expected dates worked out by hand).
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from coverage.case import Case
from coverage.catalog import RULES_DIR, load_lawbook
from coverage.deadlines import (
    add_months,
    compute_deadlines,
    federal_holidays,
    is_business_day,
    next_business_day,
)
from coverage.law import LawBook
from coverage.loader import LoadError
from coverage.plan import Plan
from coverage.text import long_date

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "deadlines.yaml").read_text("utf-8"))
PARAMETERS_DIR = RULES_DIR / "parameters"
LAST_VERIFIED = dt.date(2026, 11, 24)

# Every parameter the brief names, with the source quality regulatory-facts.md gives its value.
EXPECTED_QUALITY = {
    "erisa_aca.internal_appeal_filing_days": "official",
    "erisa_aca.initial_decision_urgent_hours": "official",
    "erisa_aca.initial_decision_pre_service_days": "official",
    "erisa_aca.initial_decision_extension_days": "secondary",
    "erisa_aca.initial_decision_post_service_days": "official",
    "erisa_aca.appeal_decision_urgent_hours": "secondary",
    "erisa_aca.appeal_decision_pre_service_days_one_level": "secondary",
    "erisa_aca.appeal_decision_pre_service_days_per_level_two_levels": "secondary",
    "erisa_aca.appeal_decision_post_service_days_one_level": "secondary",
    "erisa_aca.appeal_decision_post_service_days_per_level_two_levels": "secondary",
    "external_review.federal_request_months": "official",
    "external_review.state_minimum_request_months": "secondary",
    "external_review.standard_decision_days": "official",
    "external_review.expedited_decision_hours": "official",
    "external_review.expedited_written_confirmation_hours": "secondary",
    "medicare.redetermination_filing_days": "official",
    "medicare.notice_receipt_presumption_days": "official",
    "medicare.reconsideration_filing_days": "official",
    "medicare.part_b_coinsurance_percent": "official",
    "medicare.part_b_deductible_usd": "secondary",
    "medicare_advantage.reconsideration_filing_days": "official",
    "medicare_advantage.standard_org_determination_days": "secondary",
    "medicare_advantage.expedited_org_determination_hours": "official",
    "medicare_advantage.expedited_org_determination_extension_days": "official",
    "medicare_advantage.standard_org_determination_extension_days": "unverified",
    "medicare_advantage.reconsideration_pre_service_days": "official",
    "medicare_advantage.reconsideration_payment_days": "official",
    "medicare_advantage.reconsideration_expedited_hours": "official",
    "medicaid.appeal_filing_days": "secondary",
    "medicaid.appeal_decision_standard_days": "secondary",
    "medicaid.appeal_decision_expedited_hours": "secondary",
    "medicaid.appeal_decision_extension_days": "secondary",
    "medicaid.state_fair_hearing_days": "unverified",
    "medicaid.continue_benefits_days": "secondary",
    "medicaid.service_authorization_standard_days": "secondary",
    "medicaid.service_authorization_expedited_hours": "secondary",
    "hipaa.access_response_days": "official",
    "hipaa.access_extension_days": "official",
}


# --- factories ---------------------------------------------------------------------------------

_SOURCE = {
    "source": {"document": "Summary Plan Description", "section": "Claims and appeals"},
    "last_verified": "2026-10-01",
}


def make_plan(
    market: str = "employer_group",
    levels: int = 1,
    filing_window_days: int | None = None,
    route: str = "federal_iro",
    grandfathered: bool = False,
) -> Plan:
    """The smallest valid plan for the market, with the appeal terms a deadline depends on."""
    funding = {"employer_group": "self_funded", "individual": "fully_insured"}.get(
        market, "public_program"
    )
    access = {**_SOURCE, "covered": "yes", "referral_required": "no", "prior_auth_required": "no"}
    optional = {**_SOURCE, "covered": "not_stated"}
    return Plan.model_validate(
        {
            "id": "test-plan",
            "name": "Test plan",
            "issuer": "Test issuer",
            "market": market,
            "funding": funding,
            "plan_type": "PPO",
            "situs_state": None if market == "original_medicare" else "MO",
            "plan_year": 2026,
            "effective": {"start": "2020-01-01"},
            "grandfathered": grandfathered,
            "sponsor": "private" if market == "employer_group" else None,
            "metadata": {"fictional": True, "description": "Deadline test plan."},
            "second_opinion": {
                "coverage": {**_SOURCE, "covered": "yes"},
                "in_network": access,
                "out_of_network": access,
                "telehealth": optional,
                "records_review": optional,
                "pathology_rereview": optional,
                "third_opinion": {**_SOURCE, "covered": "not_stated"},
            },
            "cost_sharing": {"in_network": _SOURCE},
            "network_exception": {**_SOURCE, "available": "not_stated"},
            "appeals": {
                **_SOURCE,
                "levels": levels,
                "filing_window_days": filing_window_days,
                "um_contact": {"department": "Utilisation management"},
                "appeals_contact": {"department": "Appeals"},
            },
            "external_review": {**_SOURCE, "route": route, "administered_by": "Test reviewer"},
        }
    )


@pytest.fixture(scope="module")
def law(tmp_path_factory: pytest.TempPathFactory) -> LawBook:
    """The law book with the parameters and the statements that qualify some clocks (the
    coverage rules in federal/ and states/ are tested elsewhere)."""
    rules = tmp_path_factory.mktemp("rules")
    shutil.copytree(PARAMETERS_DIR, rules / "parameters")
    shutil.copytree(RULES_DIR / "statements", rules / "statements")
    return load_lawbook(rules)


def run(entry: dict[str, Any], law: LawBook):
    plan = make_plan(**entry.get("plan", {}))
    case = Case.model_validate(entry.get("case", {}))
    return compute_deadlines(plan, case, entry["as_of"], law)


# --- calendar ----------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", CASES["holidays"], ids=lambda e: str(e["year"]))
def test_federal_holidays(entry: dict[str, Any]) -> None:
    found = federal_holidays(entry["year"])
    if "exactly" in entry:
        assert sorted(found) == entry["exactly"]
    assert set(entry.get("includes", [])) <= found
    assert not set(entry.get("excludes", [])) & found


def test_federal_holidays_out_of_range() -> None:
    with pytest.raises(ValueError, match="1978"):
        federal_holidays(1950)


@pytest.mark.parametrize(("day", "expected"), CASES["next_business_day"], ids=str)
def test_next_business_day(day: dt.date, expected: dt.date) -> None:
    assert next_business_day(day) == expected


@pytest.mark.parametrize(("start", "months", "expected"), CASES["add_months"], ids=str)
def test_add_months(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


@given(st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)), st.integers(0, 36))
def test_add_months_properties(start: dt.date, months: int) -> None:
    end = add_months(start, months)
    target = start.year * 12 + start.month - 1 + months
    if end.day == start.day:
        assert end.year * 12 + end.month - 1 == target
    else:  # the month had no such day: the 1st of the month after
        assert end.day == 1 and end.year * 12 + end.month - 1 == target + 1
        assert start.day > 28


@given(st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)))
def test_next_business_day_properties(day: dt.date) -> None:
    found = next_business_day(day)
    assert day <= found <= day + dt.timedelta(days=4)
    assert is_business_day(found) and found.weekday() < 5
    assert all(not is_business_day(day + dt.timedelta(days=n)) for n in range((found - day).days))


# --- parameters ----------------------------------------------------------------------------------


def test_lawbook_loads_every_parameter_with_reference_and_date(law: LawBook) -> None:
    assert set(law.parameters) == set(EXPECTED_QUALITY)
    for name, parameter in law.parameters.items():
        assert parameter.reference and all(ref.title for ref in parameter.reference), name
        assert parameter.last_verified == LAST_VERIFIED, name
        assert parameter.source_quality == EXPECTED_QUALITY[name], name
        assert parameter.verified == (parameter.source_quality != "unverified"), name


def test_the_real_rules_folder_loads_our_parameters() -> None:
    book = load_lawbook()
    assert set(EXPECTED_QUALITY) <= set(book.parameters)


@pytest.mark.parametrize(("name", "day", "value"), CASES["parameters"], ids=str)
def test_parameter_values(law: LawBook, name: str, day: dt.date, value: int | None) -> None:
    if value is None:
        with pytest.raises(LookupError, match="no value in force"):
            law.param(name, day)
    else:
        assert law.param(name, day)[0] == value


def test_a_parameter_without_reference_is_a_load_error(tmp_path: Path) -> None:
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "broken.yaml").write_text(
        "some_days:\n"
        "  description: A figure.\n"
        "  unit: day\n"
        "  source_quality: official\n"
        "  verified: true\n"
        "  last_verified: 2026-11-24\n"
        "  values:\n"
        "    2026-01-01: 5\n",
        encoding="utf-8",
    )
    with pytest.raises(LoadError) as err:
        load_lawbook(tmp_path)
    assert "broken.yaml:1: some_days.reference: required field is missing" in str(err.value)


# --- deadlines ---------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", CASES["deadlines"], ids=lambda e: e["name"])
def test_deadline_cases(entry: dict[str, Any], law: LawBook) -> None:
    found = {d.id: d for d in run(entry, law)}
    assert len(found) == len(run(entry, law)), "deadline ids must be unique"
    for deadline_id, want in entry.get("expect", {}).items():
        assert deadline_id in found, f"{deadline_id} missing; got {sorted(found)}"
        got = found[deadline_id]
        want = want if isinstance(want, dict) else {"due": want}
        assert got.due == want["due"], got.basis
        if "within" in want:
            assert want["within"] in got.within
        if "citation" in want:
            assert want["citation"] in got.citation
        if "verified" in want:
            assert got.verified is want["verified"]
    for deadline_id in entry.get("absent", []):
        assert deadline_id not in found


@pytest.mark.parametrize("entry", CASES["deadlines"], ids=lambda e: e["name"])
def test_every_deadline_explains_itself(entry: dict[str, Any], law: LawBook) -> None:
    deadlines = run(entry, law)
    assert deadlines == run(entry, law)  # deterministic
    keys = [(d.due is None, d.due or dt.date.min, d.id) for d in deadlines]
    assert keys == sorted(keys)
    for d in deadlines:
        assert d.basis and d.within and d.citation and d.last_verified
        if d.due is not None:
            assert long_date(d.due) in d.basis, d.basis


def test_records_request_assumes_sending_today(law: LawBook) -> None:
    [records] = [
        d
        for d in compute_deadlines(make_plan(), Case(), dt.date(2026, 11, 24), law)
        if d.id == "records_request_response"
    ]
    assert records.due == dt.date(2026, 12, 24)
    assert "today" in records.basis and "January 23, 2027" in records.basis  # the extension
    assert records.citation == "45 CFR 164.524(b)(2)"


def test_unmoved_window_on_a_weekend_says_so(law: LawBook) -> None:
    case = Case.model_validate({"denial": {"notice_date": "2026-03-02"}})
    [window] = [
        d
        for d in compute_deadlines(make_plan("original_medicare"), case, dt.date(2026, 3, 10), law)
        if d.id == "medicare_redetermination_filing"
    ]
    assert window.due == dt.date(2026, 7, 5)  # a Sunday, not moved
    assert "Sunday" in window.basis and "does not say the deadline moves" in window.basis
    assert "presumes you received it 5 days later" in window.basis


def test_conservative_count_from_notice_date_is_said(law: LawBook) -> None:
    case = Case.model_validate({"denial": {"notice_date": "2026-10-30"}})
    [window] = [
        d
        for d in compute_deadlines(make_plan(), case, dt.date(2026, 11, 24), law)
        if d.id == "internal_appeal_filing"
    ]
    assert "conservative" in window.basis


def test_a_passed_window_is_flagged(law: LawBook) -> None:
    case = Case.model_validate({"denial": {"notice_date": "2026-01-05"}})
    [window] = [
        d
        for d in compute_deadlines(
            make_plan("medicaid_managed_care"), case, dt.date(2026, 11, 24), law
        )
        if d.id == "medicaid_appeal_filing"
    ]
    assert window.due == dt.date(2026, 3, 6)
    assert "may have closed" in window.basis


def test_received_before_the_notice_date_is_an_error() -> None:
    # Caught when the case is loaded, naming the field, never echoing the dates.
    with pytest.raises(ValidationError) as info:
        Case.model_validate(
            {"denial": {"notice_date": "2026-10-30", "date_received": "2026-10-20"}}
        )
    assert "date_received is before notice_date" in str(info.value)
    assert "2026-10-20" not in str(info.value)


def _with_value(law: LawBook, name: str, value: str) -> LawBook:
    parameter = law.parameters[name]
    changed = parameter.model_copy(update={"values": {dt.date(2017, 7, 1): Decimal(value)}})
    return law.model_copy(update={"parameters": {**law.parameters, name: changed}})


def test_hours_round_up_to_whole_calendar_days(law: LawBook) -> None:
    name = "medicaid.service_authorization_expedited_hours"
    case = Case.model_validate(
        {"request_sent_date": "2026-03-02", "urgency": {"physician_certifies_urgent": "yes"}}
    )
    plan = make_plan("medicaid_managed_care")
    for hours, due in (("36", dt.date(2026, 3, 4)), ("48", dt.date(2026, 3, 4))):
        [clock] = [
            d
            for d in compute_deadlines(
                plan, case, dt.date(2026, 3, 2), _with_value(law, name, hours)
            )
            if d.id == "prior_auth_decision"
        ]
        assert clock.due == due
        assert f"{hours} hours is counted here as 2 calendar days (rounded up)" in clock.basis


def test_a_fractional_figure_is_refused(law: LawBook) -> None:
    case = Case.model_validate({"request_sent_date": "2026-03-02"})
    odd = _with_value(law, "medicaid.service_authorization_standard_days", "7.5")
    with pytest.raises(ValueError, match="whole number"):
        compute_deadlines(make_plan("medicaid_managed_care"), case, dt.date(2026, 3, 2), odd)
