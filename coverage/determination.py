"""The answer: a determination in the vocabulary of HL7 Da Vinci CRD coverage-information.

The JSON form (`Determination.model_dump(mode="json")`) is the stable output of
`secondlook check --format json`; docs/determination-format.md documents it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Covered = Literal["covered", "not-covered", "conditional", "indeterminate"]
PaNeeded = Literal["no-auth", "auth-needed", "satisfied", "conditional"]
ReferralNeeded = Literal["no", "yes", "conditional"]
NetworkOutcome = Literal[
    "in_network",
    "out_of_network_at_in_network_cost",
    "out_of_network_cost_sharing",
    "not_covered",
    "unknown",
]
LetterType = Literal[
    "preauth_request",
    "network_exception_request",
    "appeal",
    "expedited_appeal",
    "external_review_request",
    "claim_file_request",
    "records_request",
    "physician_letter",
]
Layer = Literal["federal", "state", "plan", "case"]


class OutputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Network(OutputModel):
    outcome: NetworkOutcome
    explanation: str
    exception_request_needed: bool = False
    code: str | None = Field(None, description="The explanation's message id.")


class CostShare(OutputModel):
    tier: Literal["in_network", "out_of_network", "no_cost", "medicare_part_b", "unknown"]
    summary: str = Field(description="Cost sharing in plain words.")
    copay: str | None = None
    coinsurance_percent: str | None = None
    deductible: str | None = None
    deductible_applies: bool | None = None


class DocNeed(OutputModel):
    """CRD doc-needed: clinical | admin | patient, with doc-purpose."""

    kind: Literal["clinical", "admin", "patient"]
    purpose: Literal["withpa", "withclaim", "withorder", "retain-doc"]
    description: str
    code: str | None = Field(None, description="The description's message id.")


class InfoNeed(OutputModel):
    """CRD info-needed: a fact we do not know that would change the answer."""

    field: str = Field(description="Case field path, e.g. provider.in_network.")
    question: str = Field(description="The question to ask, in plain words.")
    why: str = Field(description="What the answer would decide.")
    code: str | None = Field(None, description="The question's message id.")


class Deadline(OutputModel):
    id: str
    title: str
    kind: Literal["file_by", "decide_by"]
    due: dt.date | None = Field(None, description="The date, when it can be computed.")
    within: str = Field(description="The rule in words: how long, counted from what.")
    basis: str = Field(description="How the date was computed from the case.")
    citation: str
    verified: bool
    last_verified: dt.date


class TraceEntry(OutputModel):
    rule_id: str
    layer: Layer
    title: str
    status: Literal["applied", "depends", "not_applicable", "overridden", "inactive"]
    effect: str = Field(description="What the rule did to this answer, or why it did not apply.")
    citation: str
    verified: bool
    last_verified: dt.date | None
    priority: int
    overrides: tuple[str, ...] = Field(default=(), description="Rule ids this one won over.")


class Determination(OutputModel):
    format_version: Literal[1] = 1
    case_id: str | None
    plan_id: str
    plan_name: str
    as_of: dt.date
    covered: Covered
    headline: str = Field(description="One plain sentence: the answer.")
    headline_code: str | None = Field(None, description="The headline's message id.")
    pa_needed: PaNeeded | None = Field(description="None when not covered (CRD invariant).")
    referral_needed: ReferralNeeded | None
    network: Network
    cost_sharing: CostShare
    doc_needed: list[DocNeed]
    info_needed: list[InfoNeed]
    next_steps: list[str]
    next_step_codes: list[str] = Field(
        default_factory=list, description="The message id of each next step, in the same order."
    )
    letters: list[LetterType]
    deadlines: list[Deadline]
    governing_law: str = Field(description="ERISA, ACA, Medicare, Medicaid, state law...")
    unverified: list[str] = Field(description="Points to confirm with the plan (not law).")
    trace: list[TraceEntry]
    disclaimer: str
