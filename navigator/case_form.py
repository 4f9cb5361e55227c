"""The navigator's case form: sections of case fields from the case-field registry.

Which field sits in which section is listed here; the fields, their labels, options and checks
come from `coverage.fields`. The page draws a widget per field by `kind` and hands the values
back to `values_to_changes`; `facts.apply_changes` writes them with the registry's one
path-setter. Fields the form does not show (`as_of`) are kept as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from coverage import fields
from coverage.base import US_STATES
from coverage.case import Case

Kind = Literal["text", "area", "lines", "date", "tri", "choice", "count", "state", "plan"]

_KINDS: dict[str, Kind] = {
    "long_text": "area",
    "address": "lines",
    "date": "date",
    "answer": "tri",
    "choice": "choice",
    "count": "count",
    "state": "state",
    "plan": "plan",
}

LAYOUT: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "patient",
        (
            "patient.name",
            "patient.date_of_birth",
            "patient.member_id",
            "patient.group_number",
            "patient.state",
            "patient.phone",
            "patient.email",
            "patient.address_lines",
        ),
    ),
    ("plan", ("plan", "case_id")),
    (
        # A plan not in the catalog: what the patient's card, notice and plan summary say.
        "reported_plan",
        (
            "reported_plan.market",
            "reported_plan.name",
            "reported_plan.issuer",
            "reported_plan.plan_type",
            "reported_plan.self_funded",
            "reported_plan.requests_to.name",
            "reported_plan.requests_to.fax",
            "reported_plan.requests_to.phone",
            "reported_plan.requests_to.portal",
            "reported_plan.requests_to.address_lines",
            "reported_plan.appeals_to.name",
            "reported_plan.appeals_to.fax",
            "reported_plan.appeals_to.phone",
            "reported_plan.appeals_to.portal",
            "reported_plan.appeals_to.address_lines",
            "reported_plan.has_sbc",
            "reported_plan.specialist_copay",
            "reported_plan.specialist_coinsurance_percent",
            "reported_plan.referral_required",
            "reported_plan.prior_auth_required",
        ),
    ),
    (
        "diagnosis",
        (
            "diagnosis.description",
            "diagnosis.icd10",
            "diagnosis.stage",
            "diagnosis.date_diagnosed",
            "diagnosis.is_cancer",
            "diagnosis.newly_diagnosed",
            "diagnosis.rare_or_aggressive",
        ),
    ),
    (
        "reasons",
        (
            "reasons.before_treatment_starts",
            "reasons.treatment_not_working",
            "reasons.surgery_recommended",
            "reasons.major_treatment_recommended",
            "reasons.diagnosis_unclear",
            "reasons.opinions_so_far",
            "reasons.opinions_differ",
            "treatment_date",
            "reasons.notes",
        ),
    ),
    (
        "provider",
        (
            "provider.name",
            "provider.specialty",
            "provider.institution",
            "provider.npi",
            "provider.phone",
            "provider.fax",
            "provider.address_lines",
            "provider.nci_designation",
            "provider.in_network",
            "provider.visit_type",
            "qualified_in_network_specialist",
            "urgency.physician_certifies_urgent",
        ),
    ),
    (
        "referring",
        (
            "referring_physician.name",
            "referring_physician.specialty",
            "referring_physician.practice",
            "referring_physician.npi",
            "referring_physician.phone",
            "referring_physician.fax",
            "referring_physician.address_lines",
        ),
    ),
    (
        "denial",
        (
            "request_sent_date",
            "denial.notice_date",
            "denial.date_received",
            "denial.level",
            "denial.service_type",
            "denial.reason_quoted",
            "denial.reference_number",
            "denial.claim_number",
            "denial.send_to.name",
            "denial.send_to.department",
            "denial.send_to.fax",
            "denial.send_to.phone",
            "denial.send_to.email",
            "denial.send_to.portal",
            "denial.send_to.address_lines",
            "denial.external_review_to.name",
            "denial.external_review_to.department",
            "denial.external_review_to.fax",
            "denial.external_review_to.phone",
            "denial.external_review_to.email",
            "denial.external_review_to.portal",
            "denial.external_review_to.address_lines",
        ),
    ),
)
# Providers holding records are drawn as numbered slots of these fields.
RECORDS_FIELDS: tuple[str, ...] = ("name", "address_lines", "phone", "fax")


@dataclass(frozen=True)
class Field:
    path: str
    label: str
    kind: Kind = "text"
    help: str | None = None
    options: tuple[tuple[str, str], ...] = ()

    def choices(self) -> tuple[tuple[str, str], ...]:
        return self.options


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fields: tuple[Field, ...]


def field_for(key: str) -> Field:
    words = fields.text("en")
    spec = fields.spec(key)
    return Field(
        path=key,
        label=words.label(key, "navigator"),
        kind=_KINDS.get(spec.kind, "text"),
        help=words.help(key, "navigator"),
        options=words.choices(key, "navigator") if spec.options() else (),
    )


SECTIONS: tuple[Section, ...] = tuple(
    Section(key, fields.text("en").forms["navigator"][key]["title"], tuple(map(field_for, keys)))
    for key, keys in LAYOUT
)
STATES: tuple[str, ...] = tuple(sorted(US_STATES))
ALL_FIELDS: tuple[Field, ...] = tuple(f for s in SECTIONS for f in s.fields)


def label(key: str) -> str:
    """A field's name on the navigator pages: its label, with its section where labels repeat
    ("Phone (Second-opinion provider)"); records holders by number."""
    found = fields.find(key)
    if found is None:
        return key
    words = fields.text("en")
    name = words.fields.get(found.key, {}).get("navigator", key)
    parts = fields.key_for_path(key).split(".")
    if parts[0] == "records_from" and len(parts) > 1 and parts[1].isdigit():
        return f"{name} (records holder {int(parts[1]) + 1})"
    for section in SECTIONS:
        if any(f.path == found.key for f in section.fields):
            repeated = sum(f.label == name for f in ALL_FIELDS) > 1
            return f"{name} ({section.title})" if repeated else name
    return name


def current_value(case: Case, path: str) -> Any:
    return fields.value_of(case, path)


def widget_value(field: Field, case: Case) -> Any:
    """The value to show in the field's widget."""
    value = current_value(case, field.path)
    if field.kind == "lines":
        return "\n".join(value or [])
    if field.kind in ("text", "area"):
        return "" if value is None else str(value)  # money and percent are typed as text
    if field.kind == "tri" and value is None:
        return "unknown"
    return value


def values_to_changes(values: dict[str, Any]) -> dict[str, Any]:
    """Widget values by path → changes for `facts.apply_changes` (the registry cleans them)."""
    changes: dict[str, Any] = {}
    for path, value in values.items():
        fields.spec(path)  # KeyError for a path that is no field of the form
        if isinstance(value, dt.datetime):
            value = value.date()
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
    """Slot values → changes `records_from.N.<field>`. Empty slots are dropped and a slot with
    details but no name is refused when the changes are applied (`facts.apply_changes`),
    naming that slot."""
    return {
        f"records_from.{index}.{name}": slot.get(name, "")
        for index, slot in enumerate(slots)
        for name in RECORDS_FIELDS
    }


# --- the whole form's values (the page's widgets hold these, keyed by path) ---------------------

BLANK = ""  # a select box's "not chosen": never None, which Streamlit draws as nothing chosen


def select_options(field: Field, plans: list[str], value: Any = None) -> list[Any]:  # noqa: ANN401
    """The options of a select-box field (tri, choice, state, plan); a plan no longer in the
    catalog stays choosable while the case has it."""
    if field.kind in ("tri", "choice"):
        return [v for v, _ in field.choices()]
    if field.kind == "state":
        return [BLANK, *STATES]
    return [BLANK, *plans] + ([value] if value and value not in plans else [])


def form_value(field: Field, case: Case, plans: list[str]) -> Any:  # noqa: ANN401
    """What the field's widget starts with for `case` (a select box: one of its options)."""
    value = widget_value(field, case)
    if field.kind in ("tri", "choice", "state", "plan"):
        options = select_options(field, plans, value)
        return value if value in options else options[0]
    if field.kind == "count":
        return int(value or 0)
    return value


def form_values(case: Case, plans: list[str]) -> dict[str, Any]:
    """Every value the facts form shows for `case`, by path; records holders by slot as
    `records_from.N.<field>`."""
    values = {f.path: form_value(f, case, plans) for f in ALL_FIELDS}
    for slot in range(records_slots(case)):
        for name, value in records_widget_values(case, slot).items():
            values[f"records_from.{slot}.{name}"] = value
    return values


def form_changes(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values by path (as `form_values` gives them) → changes for
    `facts.apply_changes`; a select box's BLANK is None."""
    by_field = {f.path: f for f in ALL_FIELDS}
    changes: dict[str, Any] = {}
    for path, value in values.items():
        field = by_field.get(path)
        if field is None:  # a records holder's field: the registry checks and cleans it
            changes[path] = value
        elif field.kind in ("state", "plan") and value == BLANK:
            changes[path] = None
        else:
            changes.update(values_to_changes({path: value}))
    return changes
