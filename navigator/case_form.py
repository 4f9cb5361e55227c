"""The navigator's case form as data: sections of fields, each a dotted path into `Case`.

The page draws a widget per field by `kind` and hands the values back to `values_to_changes`, which
turns widget values into the `{path: value}` changes `facts.apply_changes` understands. Fields the
form does not show (records holders, `as_of`) are kept as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from coverage.base import US_STATES
from coverage.case import Case

Kind = Literal["text", "area", "lines", "date", "tri", "choice", "count", "state", "plan"]

TRI = (("unknown", "Not known"), ("yes", "Yes"), ("no", "No"))


@dataclass(frozen=True)
class Field:
    path: str
    label: str
    kind: Kind = "text"
    help: str | None = None
    options: tuple[tuple[str, str], ...] = ()

    def choices(self) -> tuple[tuple[str, str], ...]:
        return TRI if self.kind == "tri" else self.options


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fields: tuple[Field, ...]


def _f(path: str, label: str, kind: Kind = "text", help: str | None = None, options=()) -> Field:  # noqa: A002
    return Field(path, label, kind, help, tuple(options))


SECTIONS: tuple[Section, ...] = (
    Section(
        "patient",
        "Patient",
        (
            _f("patient.name", "Full name"),
            _f("patient.date_of_birth", "Date of birth", "date"),
            _f("patient.member_id", "Member ID"),
            _f("patient.group_number", "Group number"),
            _f("patient.state", "State of residence", "state"),
            _f("patient.phone", "Phone"),
            _f("patient.email", "E-mail"),
            _f("patient.address_lines", "Address", "lines", "One line per address line."),
        ),
    ),
    Section(
        "plan",
        "Plan and reference",
        (
            _f("plan", "Plan", "plan", "The patient's plan from the catalog."),
            _f("case_id", "Your reference", help="Letters, digits, . _ - (e.g. an MRN alias)."),
        ),
    ),
    Section(
        "diagnosis",
        "Diagnosis",
        (
            _f("diagnosis.description", "Diagnosis"),
            _f("diagnosis.icd10", "ICD-10 code", help="For example C50.911."),
            _f("diagnosis.stage", "Stage"),
            _f("diagnosis.date_diagnosed", "Date diagnosed", "date"),
            _f("diagnosis.is_cancer", "Cancer diagnosis", "tri"),
            _f("diagnosis.newly_diagnosed", "Newly diagnosed", "tri"),
            _f("diagnosis.rare_or_aggressive", "Rare or aggressive", "tri"),
        ),
    ),
    Section(
        "reasons",
        "Why a second opinion",
        (
            _f("reasons.before_treatment_starts", "Before treatment starts", "tri"),
            _f("reasons.treatment_not_working", "Treatment not working", "tri"),
            _f("reasons.surgery_recommended", "Surgery recommended", "tri"),
            _f(
                "reasons.major_treatment_recommended",
                "Chemo, radiation or other major treatment recommended",
                "tri",
            ),  # fmt: skip
            _f("reasons.diagnosis_unclear", "Diagnosis unclear", "tri"),
            _f("reasons.opinions_so_far", "Opinions so far", "count"),
            _f("reasons.opinions_differ", "Opinions so far differ", "tri"),
            _f("reasons.notes", "Notes on the reasons", "area"),
        ),
    ),
    Section(
        "provider",
        "Second-opinion provider",
        (
            _f("provider.name", "Physician"),
            _f("provider.specialty", "Specialty"),
            _f("provider.institution", "Institution"),
            _f("provider.npi", "NPI", help="10 digits."),
            _f("provider.phone", "Phone"),
            _f("provider.fax", "Fax"),
            _f("provider.address_lines", "Address", "lines"),
            _f(
                "provider.nci_designation",
                "NCI designation",
                "choice",
                options=(
                    ("unknown", "Not known"),
                    ("comprehensive", "Comprehensive cancer center"),
                    ("clinical", "Clinical cancer center"),
                    ("basic_laboratory", "Basic laboratory cancer center"),
                    ("not_designated", "Not NCI-designated"),
                ),
            ),  # fmt: skip
            _f("provider.in_network", "In the plan's network", "tri"),
            _f(
                "provider.visit_type",
                "Visit type",
                "choice",
                options=(
                    ("unknown", "Not known"),
                    ("in_person", "In person"),
                    ("telehealth", "Telehealth"),
                    ("records_review", "Records review only"),
                ),
            ),  # fmt: skip
            _f(
                "qualified_in_network_specialist", "A qualified specialist exists in network", "tri"
            ),  # fmt: skip
            _f(
                "urgency.physician_certifies_urgent",
                "Physician certifies urgency",
                "tri",
                "Waiting the standard time would seriously jeopardise life, health or function.",
            ),  # fmt: skip
        ),
    ),
    Section(
        "referring",
        "Referring physician",
        (
            _f("referring_physician.name", "Physician"),
            _f("referring_physician.specialty", "Specialty"),
            _f("referring_physician.practice", "Practice"),
            _f("referring_physician.npi", "NPI"),
            _f("referring_physician.phone", "Phone"),
            _f("referring_physician.fax", "Fax"),
            _f("referring_physician.address_lines", "Address", "lines"),
        ),
    ),
    Section(
        "denial",
        "Request and denial",
        (
            _f("request_sent_date", "Request sent on", "date"),
            _f("denial.notice_date", "Denial notice dated", "date"),
            _f("denial.date_received", "Denial received on", "date"),
            _f(
                "denial.level",
                "Denial level",
                "choice",
                options=(
                    ("initial", "Initial decision"),
                    ("internal_appeal", "Internal appeal decision"),
                    ("final_internal", "Final internal appeal decision"),
                ),
            ),  # fmt: skip
            _f(
                "denial.service_type",
                "Service",
                "choice",
                options=(
                    ("pre_service", "Before the service (pre-service)"),
                    ("post_service", "After the service (claim)"),
                ),
            ),  # fmt: skip
            _f("denial.reason_quoted", "Denial reason, word for word", "area"),
            _f("denial.reference_number", "Denial reference number"),
            _f("denial.claim_number", "Claim number"),
            _f(
                "denial.send_to.name",
                "Send the appeal to",
                help="As the denial notice says (it wins over the plan file's address).",
            ),  # fmt: skip
            _f("denial.send_to.department", "Department"),
            _f("denial.send_to.fax", "Fax"),
            _f("denial.send_to.phone", "Phone"),
            _f("denial.send_to.portal", "Portal (web address)"),
            _f("denial.send_to.address_lines", "Address on the notice", "lines"),
        ),
    ),
)

STATES: tuple[str, ...] = tuple(sorted(US_STATES))
ALL_FIELDS: tuple[Field, ...] = tuple(f for s in SECTIONS for f in s.fields)


def current_value(case: Case, path: str) -> Any:
    node: Any = case
    for part in path.split("."):
        if node is None:
            return None
        node = getattr(node, part)
    return node


def widget_value(field: Field, case: Case) -> Any:
    """The value to show in the field's widget."""
    value = current_value(case, field.path)
    if field.kind == "lines":
        return "\n".join(value or [])
    if field.kind in ("text", "area"):
        return value or ""
    if field.kind == "tri" and value is None:
        return "unknown"
    return value


def values_to_changes(values: dict[str, Any]) -> dict[str, Any]:
    """Widget values by path → changes for `facts.apply_changes`."""
    by_path = {f.path: f for f in ALL_FIELDS}
    changes: dict[str, Any] = {}
    for path, value in values.items():
        field = by_path[path]
        if field.kind == "lines":
            value = [line.strip() for line in (value or "").splitlines() if line.strip()]
        elif field.kind == "date" and value is not None and not isinstance(value, dt.date):
            raise TypeError(f"{path}: expected a date")
        changes[path] = value
    return changes


# --- records holders (a list: drawn as numbered slots) ------------------------------------------


def records_slots(case: Case) -> int:
    """How many holder slots to draw: every holder plus one empty slot, at least two."""
    return max(2, len(case.records_from) + 1)


def records_widget_values(case: Case, slot: int) -> dict[str, str]:
    if slot < len(case.records_from):
        holder = case.records_from[slot]
        return {
            "name": holder.name,
            "address_lines": "\n".join(holder.address_lines),
            "phone": holder.phone or "",
            "fax": holder.fax or "",
        }
    return {"name": "", "address_lines": "", "phone": "", "fax": ""}


def records_changes(slots: list[dict[str, str]]) -> dict[str, Any]:
    """Slot values → `{"records_from": [...]}`; empty slots are dropped, a slot with details but
    no name is a FieldProblem naming it."""
    from navigator.errors import FieldProblem

    holders = []
    problems = {}
    for index, slot in enumerate(slots):
        name = (slot.get("name") or "").strip()
        lines = [x.strip() for x in (slot.get("address_lines") or "").splitlines() if x.strip()]
        phone = (slot.get("phone") or "").strip() or None
        fax = (slot.get("fax") or "").strip() or None
        if not name:
            if lines or phone or fax:
                problems[f"records_from[{index}].name"] = "a records holder needs a name"
            continue
        holders.append({"name": name, "address_lines": lines, "phone": phone, "fax": fax})
    if problems:
        raise FieldProblem(problems)
    return {"records_from": holders}
