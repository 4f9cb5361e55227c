"""The letter types, in the order a patient usually needs them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class LetterType:
    name: str
    title: str
    description: str
    signer: Literal["patient", "physician"]
    recipient: str

    @property
    def template(self) -> str:
        return f"{self.name}.docx"


_TYPES = [
    LetterType(
        "preauth_request",
        "Prior authorization request",
        "Asks the plan to approve the second-opinion visit before it happens (Medicare "
        "Advantage: an organization determination; Medicaid: a service authorization).",
        "patient",
        "the plan's utilization management office",
    ),
    LetterType(
        "network_exception_request",
        "Network exception request",
        "Asks the plan to cover an out-of-network specialist at in-network cost because no "
        "network specialist has the expertise.",
        "patient",
        "the plan's utilization management office",
    ),
    LetterType(
        "appeal",
        "Appeal",
        "Appeals a denial: internal appeal (employer and individual plans), redetermination "
        "(Original Medicare), reconsideration (Medicare Advantage) or plan appeal (Medicaid).",
        "patient",
        "the plan's appeals office",
    ),
    LetterType(
        "expedited_appeal",
        "Expedited appeal",
        "The appeal, marked EXPEDITED REVIEW REQUESTED, when a physician says waiting could "
        "seriously jeopardize the patient's health (decided within the urgent time limit).",
        "patient",
        "the plan's appeals office",
    ),
    LetterType(
        "external_review_request",
        "External review request",
        "After the plan's final decision: independent external review (employer and "
        "individual plans), QIC reconsideration (Original Medicare) or a State fair hearing "
        "(Medicaid).",
        "patient",
        "the external reviewer",
    ),
    LetterType(
        "claim_file_request",
        "Claim file request",
        "Asks for the complete claim file, free of charge, to see why the plan said no "
        "(cites the claim-file rule of the ERISA claims procedure for employer plans).",
        "patient",
        "the plan's appeals office",
    ),
    LetterType(
        "records_request",
        "Medical records request",
        "HIPAA right-of-access request to each provider holding records, to send pathology "
        "slides, images and notes to the second-opinion doctor.",
        "patient",
        "each provider holding records",
    ),
    LetterType(
        "physician_letter",
        "Letter of medical necessity",
        "For the referring oncologist to sign: why the second opinion is medically necessary, "
        "with an offer of a same-specialty peer-to-peer discussion.",
        "physician",
        "the plan's medical director",
    ),
]

LETTER_TYPES: dict[str, LetterType] = {t.name: t for t in _TYPES}
