"""The shipped data: plan files in data/plans/ and coverage rules in data/rules/{federal,states}/.

Every file must load through the real loaders, the catalog must cover every market and funding
type, fictional plans must say so, and rules may only cite what the regulatory facts file lists.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import get_args

import jsonschema
import pytest
import yaml

from coverage.base import Funding, Market, SourcedTerm
from coverage.catalog import PLANS_DIR, RULES_DIR, load_catalog, load_lawbook, plan_files
from coverage.law import CoverageRule
from coverage.loader import LoadError, load_model
from coverage.plan import Plan

SCHEMA_DIR = PLANS_DIR.parent / "schema"
SCHEMA_HEADER = "# yaml-language-server: $schema=../schema/plan.schema.json"
RULE_SCHEMA_HEADER = "# yaml-language-server: $schema={}schema/rule.schema.json"
RULE_FILES = sorted((RULES_DIR / "federal").glob("*.yaml")) + sorted(
    (RULES_DIR / "states").rglob("*.yaml")
)
PLAN_FILES = plan_files(PLANS_DIR)

# Citation titles a rule may use, copied from the facts file (tests/fixtures/regulatory-facts.md).
# A title not listed here is an invented or unreviewed citation: add it here only after it has
# been added to the facts file.
ALLOWED_FEDERAL_CITATIONS = {
    "45 CFR 147.136",  # §1, §2
    "29 CFR 2560.503-1",  # §1
    "Medicare Benefit Policy Manual (Pub. 100-02), ch. 15, §30",  # §3
    "Social Security Act §1833(a), (b)",  # §3
    "Medicare Advantage Evidence of Coverage (CMS consumer guidance)",  # §4
    "42 CFR 422 subpart M",  # §4
    "42 CFR 438.206(b)(3)",  # §5 (unverified)
}
ALLOWED_STATE_CITATIONS = {
    "RSMo 376.1253",
    "RSMo 354.546",
    "Cal. H&S Code 1383.1",
    "Cal. H&S Code 1383.15",
    "Cal. Ins. Code 10123.68",
    "ORS 743.856(1)(c)",
    "N.Y. Ins. Law §4804(a)",
    "F.S. 641.51",
}
# Cites the facts file marks unverified: a rule using one must be `verified: false`.
UNVERIFIED_CITATIONS = {"42 CFR 438.206(b)(3)", "ORS 743.856(1)(c)"}
# States where the facts file found no mandate: no rule may claim one.
NO_MANDATE_STATES = {"IL", "LA", "TX", "NJ", "PA"}
PUBLIC_MARKETS = {"original_medicare", "medicare_advantage", "medicaid_managed_care"}
FICTIONAL_PHONE = re.compile(r"^\(\d{3}\) 555-01\d\d$")


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return load_catalog().plans


@pytest.fixture(scope="module")
def rules() -> list[CoverageRule]:
    return [load_model(CoverageRule, path) for path in RULE_FILES]


def rule_scope_matches(rule: CoverageRule, plan: Plan) -> bool:
    """Whether a rule's applies_to reaches a plan (triggers aside)."""
    scope = rule.applies_to
    return (
        plan.market in scope.markets
        and plan.funding in scope.funding
        and (not scope.plan_types or plan.plan_type in scope.plan_types)
        and (not scope.states or plan.situs_state in scope.states)
    )


def sourced_terms(obj: object) -> list[SourcedTerm]:
    """Every term block (a SourcedTerm) inside a plan, however deep."""
    found: list[SourcedTerm] = []
    if isinstance(obj, SourcedTerm):
        found.append(obj)
    if hasattr(obj, "__class__") and hasattr(type(obj), "model_fields"):
        for name in type(obj).model_fields:
            found.extend(sourced_terms(getattr(obj, name)))
    return found


# --- loading -----------------------------------------------------------------------------------


def test_catalog_loads_at_least_twelve_plans(plans):
    assert len(plans) >= 12
    assert len(plans) == len(PLAN_FILES)


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.name)
def test_plan_file_starts_with_schema_header(path: Path):
    assert path.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_HEADER


def _json_ready(value: object) -> object:
    """YAML data as JSON would carry it (dates as ISO strings), for JSON Schema validation."""
    if isinstance(value, dict):
        return {str(_json_ready(k)): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize(
    ("path", "schema"),
    [(p, "plan.schema.json") for p in PLAN_FILES] + [(p, "rule.schema.json") for p in RULE_FILES],
    ids=lambda x: x.name if isinstance(x, Path) else x,
)
def test_file_validates_against_the_committed_json_schema(path: Path, schema: str):
    """What an editor shows through the yaml-language-server header must agree with the loader."""
    validator = jsonschema.Draft202012Validator(
        json.loads((SCHEMA_DIR / schema).read_text(encoding="utf-8"))
    )
    data = _json_ready(yaml.safe_load(path.read_text(encoding="utf-8")))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rule_file_starts_with_schema_header(path: Path):
    up = "../" * len(path.relative_to(RULES_DIR.parent).parts[:-1])
    assert path.read_text(encoding="utf-8").splitlines()[0] == RULE_SCHEMA_HEADER.format(up)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rule_file_loads_and_is_filed_where_it_belongs(path: Path):
    rule = load_model(CoverageRule, path)
    assert rule.id == path.stem
    if path.parent == RULES_DIR / "federal":
        assert rule.layer == "federal"
        assert 100 <= rule.priority <= 199
    else:
        assert rule.layer == "state"
        assert 200 <= rule.priority <= 299
        assert rule.applies_to.states == [path.parent.name.upper()]


def test_rules_load_through_the_lawbook_loader(tmp_path):
    # Copy only the coverage rules, so this test checks this data and not the parameters.
    for sub in ("federal", "states"):
        shutil.copytree(RULES_DIR / sub, tmp_path / sub)
    book = load_lawbook(tmp_path)
    assert len(book.rules) == len(RULE_FILES) >= 10
    assert [r.priority for r in book.rules] == sorted(r.priority for r in book.rules)


def test_rules_are_in_force_today_and_last_verified_in_the_past(rules):
    today = dt.date(2026, 11, 24)
    for rule in rules:
        assert rule.last_verified <= dt.date.today(), rule.id
        assert rule.effect_at(today) is not None, f"{rule.id} has no value in force"


# --- catalog coverage --------------------------------------------------------------------------


@pytest.mark.parametrize("market", get_args(Market))
def test_every_market_has_a_plan(plans, market):
    assert any(p.market == market for p in plans.values())


@pytest.mark.parametrize("funding", get_args(Funding))
def test_every_funding_type_has_a_plan(plans, funding):
    assert any(p.funding == funding for p in plans.values())


@pytest.mark.parametrize(
    ("state", "market", "funding", "plan_type"),
    [
        ("MO", "employer_group", "fully_insured", "PPO"),
        ("MO", "employer_group", "self_funded", "PPO"),
        ("MO", "individual", "fully_insured", "HMO"),
        ("CA", "employer_group", "fully_insured", "HMO"),
        ("CA", "individual", "fully_insured", "EPO"),
        ("NY", "employer_group", "fully_insured", "EPO"),
        ("OR", "employer_group", "fully_insured", "HMO"),
        ("FL", "individual", "fully_insured", "HMO"),
        ("TX", "employer_group", "self_funded", None),
        ("IL", "employer_group", "fully_insured", "PPO"),
    ],
)
def test_catalog_has_the_state_plans_the_checker_is_demonstrated_with(
    plans, state, market, funding, plan_type
):
    assert any(
        p.situs_state == state
        and p.market == market
        and p.funding == funding
        and (plan_type is None or p.plan_type == plan_type)
        for p in plans.values()
    )


def test_several_plans_where_the_network_gap_matters(plans):
    gap = [
        p
        for p in plans.values()
        if p.second_opinion.out_of_network.covered == "no"
        and p.network_exception.available == "yes"
    ]
    assert len(gap) >= 4
    assert {p.plan_type for p in gap} >= {"HMO", "EPO"}


# --- plan terms --------------------------------------------------------------------------------


def test_original_medicare_is_the_real_public_program(plans):
    plan = plans["original-medicare"]
    assert plan.metadata.fictional is False
    assert plan.market == "original_medicare" and plan.plan_type == "fee_for_service"
    assert plan.situs_state is None
    assert plan.second_opinion.third_opinion.covered == "when_first_two_differ"
    assert plan.second_opinion.in_network.referral_required == "no"
    tier = plan.cost_sharing.in_network
    assert tier.deductible_individual == 283  # 2026 Part B deductible (facts §3)
    assert tier.specialist_coinsurance_percent == 20
    assert "Pub. 100-02" in plan.second_opinion.coverage.source.document


def test_mo_self_funded_plan_exists_and_no_state_rule_reaches_it(plans, rules):
    plan = plans["mo-ppo-riverfront-employer-self-funded"]
    assert plan.funding == "self_funded" and plan.situs_state == "MO"
    assert plan.market == "employer_group"
    assert plan.external_review.route == "federal_iro"
    reached = [r.id for r in rules if rule_scope_matches(r, plan)]
    assert reached == ["us-commercial-baseline"]


def test_mo_fully_insured_plans_get_the_cancer_mandate(plans, rules):
    mandate = next(r for r in rules if r.id == "mo-rsmo-376-1253")
    hmo_rule = next(r for r in rules if r.id == "mo-rsmo-354-546")
    assert rule_scope_matches(mandate, plans["mo-ppo-gateway-employer-insured"])
    assert rule_scope_matches(mandate, plans["mo-hmo-heartland-individual"])
    assert rule_scope_matches(hmo_rule, plans["mo-hmo-heartland-individual"])
    assert not rule_scope_matches(hmo_rule, plans["mo-ppo-gateway-employer-insured"])
    # Public programs in Missouri are not reached by the state insurance mandates.
    assert not rule_scope_matches(mandate, plans["medicaid-mco-showme-example"])
    assert not rule_scope_matches(mandate, plans["ma-hmo-riverbend-example"])


def test_every_plan_is_reached_by_exactly_one_federal_baseline(plans, rules):
    federal = [r for r in rules if r.layer == "federal"]
    for plan in plans.values():
        reached = [r.id for r in federal if rule_scope_matches(r, plan)]
        assert len(reached) == 1, (plan.id, reached)


def test_fictional_plans_are_marked(plans):
    for plan in plans.values():
        if plan.id == "original-medicare":
            continue
        assert plan.metadata.fictional is True, plan.id
        assert "fictional" in plan.metadata.description.lower(), plan.id
        # The app and CLI add their own "fictional example" badge next to the name.
        assert "Example" in plan.name and "(fictional" in plan.issuer, plan.id
        for term in sourced_terms(plan):
            assert "(fictional)" in term.source.document, (plan.id, term.source.document)


def test_fictional_plans_use_fictional_contacts(plans):
    for plan in plans.values():
        if not plan.metadata.fictional:
            continue
        contacts = [plan.appeals.um_contact, plan.appeals.appeals_contact]
        if plan.network_exception.contact:
            contacts.append(plan.network_exception.contact)
        numbers = [plan.appeals.expedited_phone, plan.appeals.expedited_fax]
        for contact in contacts:
            numbers += [contact.phone, contact.fax]
            assert any(line.startswith("PO Box ") for line in contact.address_lines), plan.id
        for number in filter(None, numbers):
            assert FICTIONAL_PHONE.match(number), (plan.id, number)


def test_um_and_appeals_contacts_can_receive_a_letter(plans):
    for plan in plans.values():
        for contact in (plan.appeals.um_contact, plan.appeals.appeals_contact):
            assert contact.phone, plan.id
        if plan.metadata.fictional:
            assert plan.appeals.appeals_contact.address_lines, plan.id
            assert plan.appeals.appeals_contact.fax, plan.id
            assert plan.appeals.um_contact.fax, plan.id


def test_every_term_block_is_sourced_and_verified_in_the_past(plans):
    for plan in plans.values():
        blocks = sourced_terms(plan)
        assert len(blocks) >= 11, plan.id  # 7 opinion terms, cost, exception, appeals, review
        for block in blocks:
            assert block.last_verified <= dt.date.today(), plan.id
            assert block.source.document and block.source.section


def test_appeal_levels_follow_the_market(plans):
    for plan in plans.values():
        if plan.market == "employer_group":
            assert plan.appeals.levels <= 2, plan.id  # 29 CFR 2560.503-1(c)(2)
        elif plan.market == "individual":
            assert plan.appeals.levels == 1, plan.id  # 45 CFR 147.136(b)(3)(ii)(G)
        if plan.appeals.filing_window_days is not None:
            assert plan.appeals.filing_window_days > 180, plan.id  # only when longer than law
    assert any((p.appeals.filing_window_days or 0) > 180 for p in plans.values())


def test_external_review_route_matches_market_and_funding(plans):
    for plan in plans.values():
        route = plan.external_review.route
        if plan.market in ("original_medicare", "medicare_advantage"):
            assert route == "medicare_ire", plan.id
        elif plan.market == "medicaid_managed_care":
            assert route == "state_fair_hearing", plan.id
        elif plan.funding == "self_funded":
            assert route == "federal_iro", plan.id
        elif plan.funding == "unknown":
            assert route == "unknown", plan.id
        else:
            assert route in ("state", "federal_iro"), plan.id


# --- rules -------------------------------------------------------------------------------------


def test_rule_citations_come_from_the_facts_file(rules):
    for rule in rules:
        allowed = ALLOWED_STATE_CITATIONS if rule.layer == "state" else ALLOWED_FEDERAL_CITATIONS
        for ref in rule.reference:
            assert ref.title in allowed, f"{rule.id} cites {ref.title!r}, not in the facts file"


def test_rules_citing_unverified_cites_are_unverified(rules):
    for rule in rules:
        if any(ref.title in UNVERIFIED_CITATIONS for ref in rule.reference):
            assert rule.verified is False and rule.source_quality == "unverified", rule.id


def test_no_known_wrong_citations_in_shipped_data(rules):
    for path in [*RULE_FILES, *PLAN_FILES]:
        assert "147.137" not in path.read_text(encoding="utf-8"), path.name
    for rule in rules:
        if "(h)(3)(iv)" in rule.citation:
            text = rule.description.lower()
            assert "claim file" not in text and "copies" not in text, rule.id


def test_state_rules_reach_fully_insured_coverage_only(rules):
    for rule in rules:
        if rule.layer == "state":
            assert rule.applies_to.funding == ["fully_insured"], rule.id
            assert not set(rule.applies_to.markets) & PUBLIC_MARKETS, rule.id


def test_a_state_rule_widened_to_self_funded_plans_is_rejected(tmp_path):
    text = (RULES_DIR / "states" / "mo" / "mo-rsmo-376-1253.yaml").read_text(encoding="utf-8")
    assert "  funding: [fully_insured]\n" in text
    bad = tmp_path / "mo-rsmo-376-1253.yaml"
    bad.write_text(
        text.replace("funding: [fully_insured]", "funding: [fully_insured, self_funded]")
    )
    with pytest.raises(LoadError, match="ERISA preemption"):
        load_model(CoverageRule, bad)


def test_no_mandate_is_claimed_for_states_without_one(rules):
    for rule in rules:
        assert not set(rule.applies_to.states) & NO_MANDATE_STATES, rule.id
    folders = {p.name.upper() for p in (RULES_DIR / "states").iterdir() if p.is_dir()}
    assert not folders & NO_MANDATE_STATES


def test_commercial_baseline_is_silent_and_cites_appeal_rights(rules):
    rule = next(r for r in rules if r.id == "us-commercial-baseline")
    effect = rule.effect_at(dt.date(2026, 3, 1))
    assert effect is not None
    assert all(value is None for value in effect.model_dump().values())
    assert {"45 CFR 147.136", "29 CFR 2560.503-1"} <= {ref.title for ref in rule.reference}
    assert set(rule.applies_to.funding) == {"fully_insured", "self_funded", "unknown"}


def test_original_medicare_rule_covers_second_and_third_opinions(rules):
    rule = next(r for r in rules if r.id == "us-original-medicare-second-opinion")
    effect = rule.effect_at(dt.date(2026, 3, 1))
    assert effect.covers_second_opinion and effect.third_opinion_when_opinions_differ
    assert effect.referral == "not_required" and effect.providers == "any_medicare_provider"
    assert effect.cost_sharing == "medicare_part_b"
    assert set(rule.triggers.conditions) == {"surgery_recommended", "major_treatment_recommended"}


def test_medicaid_rule_is_unverified_and_free(rules):
    rule = next(r for r in rules if r.id == "us-medicaid-managed-care-second-opinion")
    assert rule.verified is False and rule.source_quality == "unverified"
    effect = rule.effect_at(dt.date(2026, 3, 1))
    assert effect.network_gap_remedy == "no_cost" and effect.cost_sharing == "no_cost"


def test_missouri_cancer_mandate_dates_from_2003(rules):
    rule = next(r for r in rules if r.id == "mo-rsmo-376-1253")
    assert rule.effect_at(dt.date(2002, 12, 31)) is None
    effect = rule.effect_at(dt.date(2003, 1, 1))
    assert effect.covers_second_opinion is True
    assert effect.network_gap_remedy == "in_network_cost_sharing"
    assert rule.triggers.conditions == ["newly_diagnosed_cancer"]


def test_florida_rule_leaves_unverified_cost_terms_silent(rules):
    effect = next(r for r in rules if r.id == "fl-fs-641-51").effect_at(dt.date(2026, 3, 1))
    assert effect.covers_second_opinion is True
    assert effect.cost_sharing is None and effect.network_gap_remedy is None


def test_plans_and_rules_agree_on_the_active_plan_year(plans):
    day = dt.date(2026, 6, 1)
    assert all(p.active_on(day) for p in plans.values())
