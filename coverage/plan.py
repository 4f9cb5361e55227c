"""Plan terms, one YAML file per plan in data/plans/ (schema: data/schema/plan.schema.json)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from coverage.base import (
    Contact,
    CoverageType,
    DateRange,
    Funding,
    Market,
    NonEmptyStr,
    PlanType,
    SourcedTerm,
    Sponsor,
    StateCode,
    StrictModel,
)
from coverage.markets import check_plan

PlanId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]
# "not_stated": the plan documents say nothing; the engine falls back to law and says so.
Stated = Literal["yes", "no", "not_stated"]


class SecondOpinionCoverage(SourcedTerm):
    covered: Literal["yes", "no", "conditional", "not_stated"]
    conditions: list[NonEmptyStr] = Field(
        default_factory=list, description="Conditions in the plan's words when `conditional`."
    )


class AccessRules(SourcedTerm):
    """Referral and prior-authorisation rules for one network tier."""

    covered: Stated
    referral_required: Stated
    prior_auth_required: Stated


class OptionalBenefit(SourcedTerm):
    covered: Stated
    notes: str | None = None


class ThirdOpinion(SourcedTerm):
    covered: Literal["yes", "when_first_two_differ", "no", "not_stated"]


class TierCostSharing(SourcedTerm):
    specialist_copay: Decimal | None = Field(None, ge=0)
    specialist_coinsurance_percent: Decimal | None = Field(None, ge=0, le=100)
    deductible_individual: Decimal | None = Field(None, ge=0)
    deductible_applies: bool | None = None
    out_of_pocket_max_individual: Decimal | None = Field(None, ge=0)
    balance_billing_possible: bool = False


class CostSharing(StrictModel):
    in_network: TierCostSharing
    out_of_network: TierCostSharing | None = None


class NetworkException(SourcedTerm):
    """The plan's process for seeing an out-of-network specialist at in-network cost."""

    available: Stated
    name: str | None = Field(
        None, description="What the plan calls it (e.g. network gap exception)."
    )
    how_to_request: str | None = None
    contact: Contact | None = None


class Appeals(SourcedTerm):
    levels: int = Field(ge=1, le=3)
    filing_window_days: int | None = Field(
        None, ge=1, description="Only when the plan allows longer than the legal minimum."
    )
    um_contact: Contact = Field(description="Utilisation management / prior authorisation.")
    appeals_contact: Contact
    expedited_phone: str | None = None
    expedited_fax: str | None = None


ExternalRoute = Literal[
    "federal_iro", "state", "medicare_ire", "state_fair_hearing", "none", "unknown"
]


class ExternalReview(SourcedTerm):
    route: ExternalRoute
    administered_by: NonEmptyStr
    contact: Contact | None = None


class SecondOpinionTerms(StrictModel):
    coverage: SecondOpinionCoverage
    in_network: AccessRules
    out_of_network: AccessRules
    telehealth: OptionalBenefit
    records_review: OptionalBenefit
    pathology_rereview: OptionalBenefit
    third_opinion: ThirdOpinion


class PlanMetadata(StrictModel):
    fictional: bool
    description: NonEmptyStr
    notes: str | None = None


class Plan(StrictModel):
    id: PlanId
    name: NonEmptyStr
    issuer: NonEmptyStr
    market: Market
    funding: Funding
    plan_type: PlanType
    situs_state: StateCode | None = Field(None, description="State whose law governs the policy.")
    plan_year: int = Field(ge=2000, le=2100)
    effective: DateRange
    grandfathered: bool = False
    sponsor: Sponsor | None = Field(
        None,
        description="Employer plans: who sponsors the plan (private employer, a state or local "
        "government, a church). ERISA governs private employers' plans only.",
    )
    coverage_type: CoverageType = Field(
        "major_medical", description="What kind of coverage the policy is."
    )
    term_months: int | None = Field(
        None, ge=1, le=36, description="Short-term coverage: how many months it lasts."
    )
    issued_or_renewed: dt.date | None = Field(
        None,
        description="When the policy was issued or last renewed (state rules can apply only "
        "from a date); left out: the start of `effective` is taken.",
    )
    metadata: PlanMetadata
    second_opinion: SecondOpinionTerms
    cost_sharing: CostSharing
    network_exception: NetworkException
    appeals: Appeals
    external_review: ExternalReview

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        # What each market allows is in its profile (data/rules/markets/<market>.yaml).
        problem = check_plan(self.market, self.funding, self.situs_state, self.sponsor)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def issue_date(self) -> dt.date:
        """When the policy was issued or last renewed, as far as the plan data says."""
        return self.issued_or_renewed or self.effective.start

    def active_on(self, day: dt.date) -> bool:
        return self.effective.contains(day)
