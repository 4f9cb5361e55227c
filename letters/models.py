"""The letter context models (one per letter type) and the errors a letter can raise.

The models hold ready-to-print strings and lists; the templates (letters/templates/*.docx,
built by letters/build_templates.py) arrange them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

# --- errors ------------------------------------------------------------------------------------


class LetterError(ValueError):
    """A letter cannot be written from this case and plan (the message says why)."""


class MissingFieldError(LetterError):
    """Required data is missing; `fields` lists (field path, what is needed)."""

    def __init__(self, letter_type: str, fields: list[tuple[str, str]]):
        self.letter_type = letter_type
        self.fields = fields
        lines = [f"{path}: {why}" for path, why in fields]
        super().__init__(f"cannot write the {letter_type} letter:\n" + "\n".join(lines))


class NotApplicableError(LetterError):
    """This letter type does not exist for this plan or stage of the case."""

    def __init__(self, letter_type: str, reason: str):
        self.letter_type = letter_type
        super().__init__(f"no {letter_type} letter for this case: {reason}")


# --- models ------------------------------------------------------------------------------------


class LetterModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Party(LetterModel):
    """An address block: lines (name, department, street, city) and contact lines."""

    lines: list[str]
    contact: list[str] = []


class Row(LetterModel):
    label: str
    value: str


class Signer(LetterModel):
    name: str
    lines: list[str] = []


class Representative(LetterModel):
    """Who writes and signs for the patient as the authorised representative (a navigator, a
    cancer center), with the patient's signed authorization enclosed. The letter's sender block
    and signature are theirs; the plan's answers come to them and to the patient."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, hide_input_in_errors=True, str_strip_whitespace=True
    )

    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="Patient navigator", min_length=1, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    address_lines: list[Annotated[str, Field(max_length=200)]] = Field(default=[], max_length=6)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)

    @model_validator(mode="after")
    def _reachable(self) -> Representative:
        # The plan answers the letter's writer: it needs somewhere to write, call or e-mail.
        if not (any(self.address_lines) or self.phone or self.email):
            raise PydanticCustomError(
                "unreachable", "give the representative's address, phone or e-mail"
            )
        return self


class LetterContext(LetterModel):
    """What every letter has. `voice`: "patient" (her own letter) or "representative" (written
    and signed by her authorised representative; `representation` then opens the letter)."""

    letter_type: str
    voice: Literal["patient", "representative"] = "patient"
    representation: str = ""
    title: str
    date: str
    expedited: bool = False
    expedited_note: str = ""
    sender: Party
    re_rows: list[Row]
    salutation: str
    signer: Signer
    enclosures: list[str] = []
    copies_to: list[str] = []
    footer_id: str


class PlanLetter(LetterContext):
    """A letter to the plan (or the reviewer) about the second opinion."""

    recipient: Party
    delivery: str = ""
    service: str
    ask: str
    clinical: list[str] = []
    narrative: list[str] = []
    reasons: list[str] = []
    plan_terms: list[str] = []
    points: list[str] = []
    law: list[str] = []
    mandates: list[str] = []
    evidence: list[str] = []
    requests: list[str] = []
    closing: str


class PreauthContext(PlanLetter):
    letter_type: Literal["preauth_request"] = "preauth_request"


class NetworkExceptionContext(PlanLetter):
    letter_type: Literal["network_exception_request"] = "network_exception_request"
    exception_name: str
    gap: list[str]
    cost_compare: list[str] = []


class AppealContext(PlanLetter):
    letter_type: Literal["appeal", "expedited_appeal"] = "appeal"
    denial_words: str
    denial_reason: str = ""
    urgent_statement: str = ""


class ExternalReviewContext(PlanLetter):
    letter_type: Literal["external_review_request"] = "external_review_request"
    denial_words: str
    denial_reason: str = ""
    urgent_statement: str = ""
    history: list[str] = []


class ClaimFileContext(LetterContext):
    letter_type: Literal["claim_file_request"] = "claim_file_request"
    recipient: Party
    delivery: str = ""
    service: str
    denial_words: str
    items: list[str]
    law: list[str] = []
    evidence: list[str] = []
    timing: str
    closing: str


class RecordsHolderBlock(LetterModel):
    recipient: Party
    delivery: str = ""


class RecordsRequestContext(LetterContext):
    letter_type: Literal["records_request"] = "records_request"
    holders: list[RecordsHolderBlock]
    destination: Party
    destination_name: str
    items: list[str]
    period: str
    law: list[str]
    timing: str
    closing: str


class PhysicianLetterContext(LetterContext):
    letter_type: Literal["physician_letter"] = "physician_letter"
    recipient: Party
    delivery: str = ""
    patient_name: str
    physician_intro: str
    service: str
    ask: str
    clinical: list[str] = []
    narrative: list[str] = []
    reasons: list[str] = []
    specialist: list[str] = []
    urgent_statement: str = ""
    law: list[str] = []
    mandates: list[str] = []
    peer_to_peer: str = ""


CONTEXT_MODELS: dict[str, type[LetterContext]] = {
    "preauth_request": PreauthContext,
    "network_exception_request": NetworkExceptionContext,
    "appeal": AppealContext,
    "expedited_appeal": AppealContext,
    "external_review_request": ExternalReviewContext,
    "claim_file_request": ClaimFileContext,
    "records_request": RecordsRequestContext,
    "physician_letter": PhysicianLetterContext,
}
