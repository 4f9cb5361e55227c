"""The case: one patient's facts about a second opinion, as a navigator or patient enters them.

Case files are YAML or JSON (see docs/case-format.md and data/schema/case.schema.json).
Member data lives here, so validation errors never echo input values (`hide_input_in_errors`).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from coverage.base import Answer, Contact, StateCode, StrictModel

PLAN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,100}$")


class CaseModel(StrictModel):
    # Frozen is relaxed so the app can build a case step by step; errors never show values.
    model_config = ConfigDict(extra="forbid", frozen=False, hide_input_in_errors=True)


class Patient(CaseModel):
    name: str | None = None
    date_of_birth: dt.date | None = None
    member_id: str | None = None
    group_number: str | None = None
    state: StateCode | None = Field(None, description="State of residence (two letters).")
    address_lines: list[str] = Field(default_factory=list)
    phone: str | None = None
    email: str | None = None


class Diagnosis(CaseModel):
    description: str | None = Field(None, description="The diagnosis in words.")
    icd10: str | None = Field(None, pattern=r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
    stage: str | None = None
    date_diagnosed: dt.date | None = None
    newly_diagnosed: Answer = "unknown"
    rare_or_aggressive: Answer = "unknown"
    is_cancer: Answer = "yes"


class Reasons(CaseModel):
    """Why a second opinion (the seed article's triggers)."""

    before_treatment_starts: Answer = "unknown"
    treatment_not_working: Answer = "unknown"
    surgery_recommended: Answer = "unknown"
    major_treatment_recommended: Answer = Field(
        "unknown",
        description="Chemotherapy, radiation or another major non-surgical procedure recommended.",
    )
    diagnosis_unclear: Answer = "unknown"
    emergency_surgery: Answer = Field(
        "unknown",
        description="The surgery recommended is an emergency (Medicare: no second opinion).",
    )
    excluded_service: Answer = Field(
        "unknown",
        description="The treatment is one the program never pays for (Medicare: no second opinion).",
    )
    opinions_so_far: int = Field(1, ge=0, le=10)
    opinions_differ: Answer = "unknown"
    notes: str | None = None


NciDesignation = Literal[
    "comprehensive", "clinical", "basic_laboratory", "not_designated", "unknown"
]
VisitType = Literal["in_person", "telehealth", "records_review", "unknown"]


class SecondOpinionProvider(CaseModel):
    name: str | None = None
    specialty: str | None = None
    institution: str | None = None
    npi: str | None = Field(None, pattern=r"^[0-9]{10}$")
    address_lines: list[str] = Field(default_factory=list)
    phone: str | None = None
    fax: str | None = None
    nci_designation: NciDesignation = "unknown"
    in_network: Answer = Field(
        "unknown", description="In the plan's network (Original Medicare: accepts Medicare)."
    )
    visit_type: VisitType = "unknown"


class Physician(CaseModel):
    name: str | None = None
    specialty: str | None = None
    practice: str | None = None
    npi: str | None = Field(None, pattern=r"^[0-9]{10}$")
    address_lines: list[str] = Field(default_factory=list)
    phone: str | None = None
    fax: str | None = None


class RecordsHolder(CaseModel):
    """A provider holding records the second-opinion physician needs."""

    name: str
    address_lines: list[str] = Field(default_factory=list)
    phone: str | None = None
    fax: str | None = None


DenialLevel = Literal["initial", "internal_appeal", "final_internal"]


class Denial(CaseModel):
    """A denial being appealed."""

    notice_date: dt.date | None = Field(None, description="Date printed on the notice.")
    date_received: dt.date | None = Field(None, description="Date the patient received it.")
    level: DenialLevel = "initial"
    reason_quoted: str | None = Field(None, description="The denial reason, word for word.")
    reference_number: str | None = None
    claim_number: str | None = None
    service_type: Literal["pre_service", "post_service"] = "pre_service"
    medical_judgment: Answer = Field(
        "unknown",
        description="The notice gives a reason of medical judgment (not medically necessary, "
        "experimental, the setting or level of care), not e.g. a network or benefit rule.",
    )
    send_to: Contact | None = Field(
        None,
        description="Where the notice says to send the appeal or review request. It wins over "
        "the plan file's address: the notice governs.",
    )
    external_review_to: Contact | None = Field(
        None,
        description="Where the notice says to ask for an external (outside) review, when it "
        "names a place of its own (a state office or a review organization). It wins over "
        "send_to and the plan file for the external review request.",
    )

    @model_validator(mode="after")
    def _received_after_notice(self) -> Denial:
        if self.notice_date and self.date_received and self.date_received < self.notice_date:
            # A typed error: coverage.fields names both fields in plain words.
            raise PydanticCustomError(
                "received_before_notice", "date_received is before notice_date"
            )
        return self


class Urgency(CaseModel):
    physician_certifies_urgent: Answer = Field(
        "unknown",
        description="A physician says waiting the standard time would seriously jeopardise "
        "life, health or the ability to regain maximum function.",
    )


ReportedMarket = Literal[
    "employer_group",
    "individual",
    "original_medicare",
    "medicare_advantage",
    "medicaid_managed_care",
    "unknown",
]
ReportedPlanType = Literal["HMO", "PPO", "EPO", "POS", "unknown"]


class ReportedContact(CaseModel):
    """Where to send something, as the patient copied it from her papers."""

    name: str | None = None
    address_lines: list[str] = Field(default_factory=list)
    fax: str | None = None
    phone: str | None = None
    portal: str | None = None


class ReportedPlan(CaseModel):
    """The patient's own plan when it is not in the catalog, as she reads it on her plan card,
    her denial notice and her Summary of Benefits and Coverage (SBC). The service turns it into
    plan terms marked as reported by the patient."""

    name: str | None = None
    issuer: str | None = Field(None, description="The company that runs the plan.")
    market: ReportedMarket = Field("unknown", description="How the plan was obtained.")
    plan_type: ReportedPlanType = "unknown"
    self_funded: Answer = Field(
        "unknown", description="Job-based plans: does the employer pay the bills itself?"
    )
    requests_to: ReportedContact | None = Field(
        None, description="Where to send requests for approval (prior authorization)."
    )
    appeals_to: ReportedContact | None = Field(None, description="Where to send appeals.")
    has_sbc: Answer = Field("unknown", description="She has the plan's SBC at hand.")
    specialist_copay: Decimal | None = Field(None, ge=0, le=100000)
    specialist_coinsurance_percent: int | None = Field(None, ge=0, le=100)
    referral_required: Answer = Field("unknown", description="The SBC says a referral is needed.")
    prior_auth_required: Answer = Field(
        "unknown", description="The SBC says prior approval is needed for a specialist."
    )


class Case(CaseModel):
    case_id: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    plan: str | None = Field(
        None,
        description="Plan id from `secondlook plans list`, or a generic-... id. Never a path: "
        "case files come from users, and the server must not open files they name.",
    )
    as_of: dt.date | None = None
    patient: Patient = Field(default_factory=Patient)
    diagnosis: Diagnosis = Field(default_factory=Diagnosis)
    reasons: Reasons = Field(default_factory=Reasons)
    provider: SecondOpinionProvider = Field(default_factory=SecondOpinionProvider)
    qualified_in_network_specialist: Answer = Field(
        "unknown",
        description="Does the plan's network have a specialist qualified in this cancer?",
    )
    urgency: Urgency = Field(default_factory=Urgency)
    referring_physician: Physician = Field(default_factory=Physician)
    records_from: list[RecordsHolder] = Field(default_factory=list)
    request_sent_date: dt.date | None = Field(
        None, description="When the prior-authorisation or exception request was sent."
    )
    treatment_date: dt.date | None = Field(
        None, description="When surgery or treatment is scheduled (a decision is needed before)."
    )
    denial: Denial | None = None
    reported_plan: ReportedPlan | None = Field(
        None,
        description="The plan as the patient reports it, when `plan` names none from the catalog.",
    )
    language: Literal["en", "es"] = Field(
        "en",
        description="The language the patient reads the pages and her reading copies in "
        "(en: English, es: Spanish). Letters to a US plan are always written in English.",
    )

    @field_validator("plan", mode="before")
    @classmethod
    def _plan_is_an_id(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        if value and not PLAN_ID.match(value):
            raise PydanticCustomError(
                "plan_id", "must be a plan id from `secondlook plans list` (not a file path)"
            )
        return value or None
