"""What was read from a notice: every value with where it was found and how sure the reader is,
and the mapping from a reading to the case's `Denial` and to hints about the plan.

A value's confidence (0 to 1) is the strength of the rule that found it (a labelled value, such
as "Claim number: ...", is stronger than a guess from the letterhead) times the OCR confidence of
the lines it came from (1.0 for a PDF's text layer). The page shows every value for the patient
to confirm or fix; nothing is taken as true because it was read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from coverage.base import Contact
from coverage.case import Denial

T = TypeVar("T")

Step = Literal["appeal", "external_review", "fair_hearing"]


@dataclass(frozen=True)
class Found(Generic[T]):
    """One value read from the notice, with where it was found.

    `page` and `line` are 1-based (lines counted with text only); both are None for a value the
    reader assumed because the notice said nothing (such as level "initial")."""

    value: T
    confidence: float
    page: int | None = None
    line: int | None = None
    snippet: str = ""
    rule: str = ""

    @property
    def where(self) -> str:
        if self.page is None:
            return "not printed on the notice (assumed)"
        return f"page {self.page}, line {self.line}"


@dataclass(frozen=True)
class Deadline:
    """A time limit the notice states for the patient's next step."""

    step: Step
    amount: int | None = None
    unit: Literal["days", "months", "hours"] | None = None
    by_date: dt.date | None = None
    counted_from: Literal["notice_date", "receipt", "decision"] | None = None

    def __str__(self) -> str:
        if self.by_date is not None:
            return f"by {self.by_date.isoformat()}"
        return f"{self.amount} {self.unit}"


@dataclass(frozen=True)
class NoticeReading:
    """Everything read from one notice. Missing values are None."""

    source: str  # text_pdf | scanned_pdf | mixed_pdf | image
    pages_read: int
    pages_total: int
    plan_name: Found[str] | None = None
    notice_date: Found[dt.date] | None = None
    reference_number: Found[str] | None = None
    claim_number: Found[str] | None = None
    reason_quoted: Found[str] | None = None
    send_to_name: Found[str] | None = None
    send_to_department: Found[str] | None = None
    send_to_address: Found[tuple[str, ...]] | None = None
    send_to_fax: Found[str] | None = None
    send_to_phone: Found[str] | None = None
    send_to_portal: Found[str] | None = None
    level: Found[str] | None = None
    service_type: Found[str] | None = None
    market: Found[str] | None = None
    funding: Found[str] | None = None
    plan_type: Found[str] | None = None
    deadline: Found[Deadline] | None = None
    urgent: Found[bool] | None = None
    market_hints: tuple[Found[str], ...] = ()
    deadlines: tuple[Found[Deadline], ...] = ()
    notes: tuple[str, ...] = field(default=())

    def values(self) -> dict[str, Found[Any]]:
        """The single-valued fields that were found, by name (FIELD_NAMES order)."""
        return {
            name: getattr(self, name) for name in FIELD_NAMES if getattr(self, name) is not None
        }

    def plain_values(self) -> dict[str, object]:
        """Every field as plain data (None when not found): dates as ISO text, the address as a
        list, the deadline as "180 days" or "by 2026-11-12". For display, tests and benchmarks."""
        out: dict[str, object] = {}
        for name in FIELD_NAMES:
            found = getattr(self, name)
            value = None if found is None else found.value
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, Deadline):
                value = str(value)
            out[name] = value
        return out

    # -- mapping to the case ------------------------------------------------------------------
    def case_fields(self) -> dict[str, Found[Any]]:
        """Case field paths (as in docs/case-format.md) to prefill, each with its evidence."""
        out: dict[str, Found[Any]] = {}
        for name, path in _CASE_PATHS.items():
            found = getattr(self, name)
            if found is not None:
                out[path] = found
        return out

    def plan_hints(self) -> dict[str, Found[Any]]:
        """What the notice says about the plan: name, market, funding, plan type."""
        names = {"plan_name": "name", "market": "market", "funding": "funding"}
        names["plan_type"] = "plan_type"
        return {key: getattr(self, name) for name, key in names.items() if getattr(self, name)}

    def to_denial(self, *, min_confidence: float = 0.0) -> Denial:
        """A `Denial` prefilled with the values at or above `min_confidence` (the patient
        confirms each one on the page before it counts)."""

        def get(name: str) -> Any:
            found = getattr(self, name)
            return found.value if found and found.confidence >= min_confidence else None

        contact = Contact(
            name=get("send_to_name"),
            department=get("send_to_department"),
            address_lines=list(get("send_to_address") or ()),
            fax=get("send_to_fax"),
            phone=get("send_to_phone"),
            portal=get("send_to_portal"),
        )
        has_contact = any(contact.model_dump(exclude_defaults=True).values())
        values = {
            "notice_date": get("notice_date"),
            "level": get("level"),
            "reason_quoted": get("reason_quoted"),
            "reference_number": get("reference_number"),
            "claim_number": get("claim_number"),
            "service_type": get("service_type"),
            "send_to": contact if has_contact else None,
        }
        return Denial(**{k: v for k, v in values.items() if v is not None})


FIELD_NAMES = (
    "plan_name",
    "notice_date",
    "reference_number",
    "claim_number",
    "reason_quoted",
    "send_to_name",
    "send_to_department",
    "send_to_address",
    "send_to_fax",
    "send_to_phone",
    "send_to_portal",
    "level",
    "service_type",
    "market",
    "funding",
    "plan_type",
    "deadline",
    "urgent",
)

_CASE_PATHS = {
    "notice_date": "denial.notice_date",
    "level": "denial.level",
    "reason_quoted": "denial.reason_quoted",
    "reference_number": "denial.reference_number",
    "claim_number": "denial.claim_number",
    "service_type": "denial.service_type",
    "send_to_name": "denial.send_to.name",
    "send_to_department": "denial.send_to.department",
    "send_to_address": "denial.send_to.address_lines",
    "send_to_fax": "denial.send_to.fax",
    "send_to_phone": "denial.send_to.phone",
    "send_to_portal": "denial.send_to.portal",
}
