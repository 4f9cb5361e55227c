"""Law as data: effective-dated parameters (figures) and coverage rules (baselines, mandates).

Files live in data/rules/ in the style of OpenFisca/PolicyEngine parameters: values keyed by the
date they take effect, every value with a reference, nothing defaulted silently.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Literal

from pydantic import Field, RootModel, model_validator

from coverage.base import (
    CoverageType,
    DateRange,
    Funding,
    Market,
    NonEmptyStr,
    PlanType,
    Reference,
    StateCode,
    StrictModel,
)

SourceQuality = Literal["official", "secondary", "unverified"]
Unit = Literal["day", "business_day", "month", "hour", "usd", "percent"]


class Cited(StrictModel):
    """Anything a letter may state as law must say where it comes from and how sure we are."""

    description: NonEmptyStr
    reference: list[Reference] = Field(min_length=1)
    source_quality: SourceQuality
    verified: bool
    last_verified: dt.date

    @model_validator(mode="after")
    def _verified_matches_quality(self) -> Cited:
        if self.verified == (self.source_quality == "unverified"):
            raise ValueError(
                "verified must be false exactly when source_quality is unverified "
                f"(got verified={self.verified}, source_quality={self.source_quality})"
            )
        return self

    @property
    def citation(self) -> str:
        return "; ".join(ref.title for ref in self.reference)


def _value_at(values: dict[dt.date, object], day: dt.date) -> object | None:
    """The value in force on `day`: the latest entry on or before it (None ends a value)."""
    current = None
    for start in sorted(values):
        if start <= day:
            current = values[start]
    return current


class Parameter(Cited):
    unit: Unit
    values: dict[dt.date, Decimal | None] = Field(min_length=1)

    def at(self, day: dt.date) -> Decimal | None:
        return _value_at(self.values, day)  # type: ignore[return-value]


Trigger = Literal[
    "always",
    "newly_diagnosed_cancer",
    "cancer",
    "surgery_recommended",
    "major_treatment_recommended",
    "treatment_not_working",
    "diagnosis_unclear",
    "plan_requires_referrals",
]
NetworkGapRemedy = Literal["in_network_cost_sharing", "no_more_than_initial_opinion", "no_cost"]


class RuleEffect(StrictModel):
    """What a rule says; `None` means the rule is silent on that point."""

    covers_second_opinion: bool | None = None
    third_opinion_when_opinions_differ: bool | None = None
    network_gap_remedy: NetworkGapRemedy | None = None
    referral: Literal["plan_rules", "not_required", "required"] | None = Field(
        None, description="required: the law covers the opinion on a referral."
    )
    prior_auth: Literal["plan_rules", "not_required"] | None = None
    cost_sharing: Literal["plan_specialist", "no_cost", "medicare_part_b"] | None = None
    providers: Literal["plan_network", "any_medicare_provider"] | None = None


class CoverageExclusion(StrictModel):
    """A kind of coverage a rule leaves out (short-term: only up to a number of months)."""

    coverage_type: CoverageType
    up_to_months: int | None = Field(None, ge=1, description="Short-term: excluded up to this.")


EffectName = Literal[
    "covers_second_opinion",
    "third_opinion_when_opinions_differ",
    "network_gap_remedy",
    "referral",
    "prior_auth",
    "cost_sharing",
    "providers",
]


class AppliesTo(StrictModel):
    markets: list[Market] = Field(min_length=1)
    funding: list[Funding] = Field(min_length=1)
    plan_types: list[PlanType] = Field(default_factory=list, description="Empty means any.")
    states: list[StateCode] = Field(default_factory=list, description="Situs states; empty = any.")
    issued_or_renewed_from: dt.date | None = Field(
        None, description="Only plans issued or renewed on or after this date."
    )
    excludes: list[CoverageExclusion] = Field(
        default_factory=list, description="Kinds of coverage the rule does not reach."
    )


Exclusion = Literal["emergency_surgery", "excluded_service"]


class Triggers(StrictModel):
    match: Literal["any", "all"]
    conditions: list[Trigger] = Field(min_length=1)
    unless: list[Exclusion] = Field(
        default_factory=list, description="The rule does not apply when any of these holds."
    )


class CoverageRule(Cited):
    id: NonEmptyStr
    layer: Literal["federal", "state"]
    title: NonEmptyStr
    priority: int = Field(ge=0, le=999)
    applies_to: AppliesTo
    triggers: Triggers
    values: dict[dt.date, RuleEffect | None] = Field(min_length=1)
    unverified_effects: list[EffectName] = Field(
        default_factory=list,
        description="Effects the facts file does not verify: they never decide an answer, "
        "they become 'confirm with your plan'.",
    )

    @model_validator(mode="after")
    def _state_rules_name_states(self) -> CoverageRule:
        if self.layer == "state" and not self.applies_to.states:
            raise ValueError("a state rule must list applies_to.states")
        if self.layer == "state" and "self_funded" in self.applies_to.funding:
            # ERISA 514: a self-funded plan is never deemed an insurer.
            raise ValueError(
                "a state mandate cannot apply to self_funded plans (ERISA preemption: state "
                "insurance law does not reach them)"
            )
        return self

    def effect_at(self, day: dt.date) -> RuleEffect | None:
        return _value_at(self.values, day)  # type: ignore[return-value]


Language = Literal["en", "es"]

# `{group.name}` a figure from a parameter, `{group.name:spec}` a fact about it (see
# coverage/statements.py), `{word}` a word the caller gives (a state, a specialty).
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+(?:\.[a-z0-9_]+)?)(?::([a-z_]+))?\}")
FIGURE_SPECS = frozenset({"number", "adjective", "since", "before"})


class Statement(StrictModel):
    """A sentence of law that an answer or a letter may state, with where it comes from.

    Its figures come from the dated parameters by name, so the sentence changes when the law
    does. A statement that is not verified, or whose figures are not, is never stated as law in
    a letter."""

    text: dict[Language, NonEmptyStr] = Field(
        description="The sentence, without its citation or final period, by language."
    )
    reference: list[Reference] = Field(
        default_factory=list,
        description="Its own citation; empty: the citations of the parameters it quotes.",
    )
    facts: NonEmptyStr = Field(
        description="The words of regulatory-facts.md this statement rests on (a test checks)."
    )
    source_quality: SourceQuality
    verified: bool
    last_verified: dt.date
    effective: DateRange | None = Field(
        None, description="When the rule it states is in force; none: always (in this data)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Statement:
        if self.verified == (self.source_quality == "unverified"):
            raise ValueError(
                "verified must be false exactly when source_quality is unverified "
                f"(got verified={self.verified}, source_quality={self.source_quality})"
            )
        for text in self.text.values():
            for match in PLACEHOLDER.finditer(text):
                name, spec = match.groups()
                if spec and ("." not in name or spec not in FIGURE_SPECS):
                    raise ValueError(f"unknown placeholder {match.group(0)} in the text")
        return self

    def figures(self) -> list[str]:
        """The parameter names the text quotes."""
        names = []
        for text in self.text.values():
            names += [m.group(1) for m in PLACEHOLDER.finditer(text) if "." in m.group(1)]
        return list(dict.fromkeys(names))

    @property
    def citation(self) -> str:
        return "; ".join(ref.title for ref in self.reference)


class StatementFile(RootModel[dict[str, Statement]]):
    """A statements file (data/rules/statements/<group>.yaml): statements by name; each is
    known as `<group>.<name>`."""


class LawBook(StrictModel):
    """All parameters, coverage rules and statements of law, as loaded from data/rules/."""

    parameters: dict[str, Parameter]
    rules: list[CoverageRule]
    statements: dict[str, Statement] = Field(default_factory=dict)

    def param(self, name: str, day: dt.date) -> tuple[Decimal, Parameter]:
        """The value of parameter `name` in force on `day`, with its citation record."""
        try:
            parameter = self.parameters[name]
        except KeyError:
            raise KeyError(f"unknown legal parameter {name!r} (data/rules/parameters)") from None
        value = parameter.at(day)
        if value is None:
            raise LookupError(f"parameter {name!r} has no value in force on {day.isoformat()}")
        return value, parameter

    def statement(self, name: str) -> Statement:
        try:
            return self.statements[name]
        except KeyError:
            raise KeyError(f"unknown statement {name!r} (data/rules/statements)") from None
