"""The case-field registry: every field a person fills in, for every surface that asks for it.

One entry per field of `coverage.case.Case` that someone types: its path in the case, its kind
(which decides cleaning, checks and widget), whether it is member data, its batch column and
template example, and the checks made when it is entered (dates not in the future, not before
birth, email and phone shapes, lengths). The patient pages, the navigator form and the batch
columns are all built from it, write answers into a case with `build`, and explain a bad answer
with the same `Issue`s ("this field" on a page, "row N, column C" in a batch).

Wording is data: `data/fields/<language>.yaml` holds every label, help text, option and message
(see `FieldText`). This module holds structure only and never a sentence a person reads.
"""

from __future__ import annotations

import datetime as dt
import pickle
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ValidationError

from coverage.case import Case

Kind = Literal[
    "text",  # one line
    "long_text",  # a paragraph (notes, the quoted denial reason)
    "address",  # address lines (one per line); batch: line1, line2, city, [state], zip
    "date",
    "answer",  # yes / no / not sure
    "choice",  # one of the model's values
    "count",  # a small whole number
    "email",
    "phone",  # phone and fax numbers
    "state",  # two-letter code
    "icd10",
    "npi",
    "case_id",
    "plan",  # a plan id from the catalog
    "presence",  # yes/no/not sure: does an optional part (the denial) exist at all
    "money",  # dollars
    "percent",  # a whole percent
]
Check = Literal["not_future", "not_before_birth"]

MAX_TEXT = 500  # characters in one line of text
MAX_LONG_TEXT = 5000  # notes and the quoted denial reason
MAX_ADDRESS_LINES = 8
MAX_COUNT = 10
LIST_ITEMS = "*"  # the index part of a list item's key pattern (`records_from.*.name`)


@dataclass(frozen=True)
class FieldSpec:
    """One field. `key` is its dotted path in the Case (`records_from.*.name` for list items)."""

    key: str
    kind: Kind
    member_data: bool = False
    column: str = ""  # batch column (for `address`: the column prefix; `{n}`: the list item)
    example: str | tuple[str, ...] = ""  # the batch template's example row
    checks: tuple[Check, ...] = ()
    required_in_batch: bool = False
    limits: tuple[int, int] | None = None  # smallest and largest number (count, money, percent)

    @property
    def in_list(self) -> bool:
        return LIST_ITEMS in self.key.split(".")

    def options(self) -> tuple[str, ...]:
        """Every value the case model accepts (choice and answer kinds)."""
        if self.kind in ("answer", "presence"):
            return ("yes", "no", "unknown")
        if self.kind != "choice":
            return ()
        return get_args(_annotation(self.key))


def _f(key: str, kind: Kind, column: str = "", example: Any = "", **kw: Any) -> FieldSpec:
    return FieldSpec(key=key, kind=kind, column=column, example=example, **kw)


def _m(key: str, kind: Kind, column: str = "", example: Any = "", **kw: Any) -> FieldSpec:
    return FieldSpec(key=key, kind=kind, column=column, example=example, member_data=True, **kw)


_NO_FUTURE: tuple[Check, ...] = ("not_future",)
_LIFE_EVENT: tuple[Check, ...] = ("not_future", "not_before_birth")

# In batch column order: the batch template lists the columns in this order.
FIELDS: tuple[FieldSpec, ...] = (
    _f("case_id", "case_id", "case_id", "NAV-0001", required_in_batch=True),
    _f("plan", "plan", "plan", "ma-hmo-riverbend-example"),
    _f("as_of", "date", "as_of"),
    # The patient.
    _m("patient.name", "text", "patient_name", "Jordan Example"),
    _m("patient.date_of_birth", "date", "patient_dob", "1958-04-12", checks=_NO_FUTURE),
    _m("patient.member_id", "text", "member_id", "RB123456789"),
    _m("patient.group_number", "text", "group_number"),
    _f("patient.state", "state", "patient_state", "MO"),
    _m(
        "patient.address_lines",
        "address",
        "patient",
        ("12 Example Street", "", "Springfield", "MO", "65801"),
    ),
    _m("patient.phone", "phone", "patient_phone", "417-555-0100"),
    _m("patient.email", "email", "patient_email"),
    # The diagnosis.
    _m("diagnosis.description", "text", "diagnosis", "Stage II breast cancer"),
    _m("diagnosis.icd10", "icd10", "diagnosis_icd10", "C50.911"),
    _m("diagnosis.stage", "text", "diagnosis_stage", "IIA"),
    _m("diagnosis.date_diagnosed", "date", "diagnosis_date", "2026-10-30", checks=_LIFE_EVENT),
    _f("diagnosis.newly_diagnosed", "answer", "newly_diagnosed", "yes"),
    _f("diagnosis.rare_or_aggressive", "answer", "rare_or_aggressive", "unknown"),
    _f("diagnosis.is_cancer", "answer", "is_cancer"),
    # Why a second opinion.
    _f("reasons.before_treatment_starts", "answer", "reason_before_treatment", "yes"),
    _f("reasons.treatment_not_working", "answer", "reason_treatment_not_working", "no"),
    _f("reasons.surgery_recommended", "answer", "reason_surgery_recommended", "yes"),
    _f(
        "reasons.major_treatment_recommended",
        "answer",
        "reason_major_treatment_recommended",
        "unknown",
    ),
    _f("reasons.diagnosis_unclear", "answer", "reason_diagnosis_unclear", "no"),
    _f("reasons.emergency_surgery", "answer", "reason_emergency_surgery", "no"),
    _f("reasons.excluded_service", "answer", "reason_excluded_service", "no"),
    _f("reasons.opinions_so_far", "count", "opinions_so_far", "1", limits=(0, MAX_COUNT)),
    _f("reasons.opinions_differ", "answer", "opinions_differ", "no"),
    _m("reasons.notes", "long_text", "reason_notes"),
    # The second-opinion provider.
    _m("provider.name", "text", "provider_name", "Dr. Casey Example"),
    _m("provider.specialty", "text", "provider_specialty", "Medical oncology"),
    _m(
        "provider.institution",
        "text",
        "provider_institution",
        "Example Comprehensive Cancer Center",
    ),
    _m("provider.npi", "npi", "provider_npi"),
    _m(
        "provider.address_lines",
        "address",
        "provider",
        ("1 Example Plaza", "", "St. Louis", "MO", "63110"),
    ),
    _m("provider.phone", "phone", "provider_phone"),
    _m("provider.fax", "phone", "provider_fax"),
    _f("provider.nci_designation", "choice", "provider_nci_designation", "comprehensive"),
    _f("provider.in_network", "answer", "provider_in_network", "no"),
    _f("provider.visit_type", "choice", "provider_visit_type", "in_person"),
    _f("qualified_in_network_specialist", "answer", "qualified_in_network_specialist", "no"),
    _f("urgency.physician_certifies_urgent", "answer", "urgent", "no"),
    # The referring physician.
    _m("referring_physician.name", "text", "physician_name", "Dr. Riley Example"),
    _m("referring_physician.specialty", "text", "physician_specialty"),
    _m("referring_physician.practice", "text", "physician_practice"),
    _m("referring_physician.npi", "npi", "physician_npi"),
    _m(
        "referring_physician.address_lines",
        "address",
        "physician",
        ("300 Example Blvd", "Suite 200", "Chesterfield", "MO", "63017"),
    ),
    _m("referring_physician.phone", "phone", "physician_phone"),
    _m("referring_physician.fax", "phone", "physician_fax"),
    # Providers holding records (a list; the batch has columns for two).
    _m(
        "records_from.*.name",
        "text",
        "records{n}_name",
        "Example Regional Hospital, Pathology Department",
    ),
    _m(
        "records_from.*.address_lines",
        "address",
        "records{n}",
        ("10 Example Hospital Dr", "", "Chesterfield", "MO", "63017"),
    ),
    _m("records_from.*.phone", "phone", "records{n}_phone"),
    _m("records_from.*.fax", "phone", "records{n}_fax", "(636) 555-0120"),
    _f("request_sent_date", "date", "request_sent_date", checks=_NO_FUTURE),
    _f("treatment_date", "date", "treatment_date"),
    _f("language", "choice", "language"),  # the patient's language (letters to a plan stay English)
    # A denial being appealed.
    _f("denial", "presence"),
    _f("denial.notice_date", "date", "denial_notice_date", checks=_NO_FUTURE),
    _f("denial.date_received", "date", "denial_received_date", checks=_NO_FUTURE),
    _f("denial.level", "choice", "denial_level"),
    _m("denial.reason_quoted", "long_text", "denial_reason"),
    _m("denial.reference_number", "text", "denial_reference_number"),
    _m("denial.claim_number", "text", "denial_claim_number"),
    _f("denial.service_type", "choice", "denial_service_type"),
    _f("denial.medical_judgment", "answer", "denial_medical_judgment", "unknown"),
    _f("denial.send_to.name", "text", "denial_send_to_name"),
    _f("denial.send_to.department", "text", "denial_send_to_department"),
    _f("denial.send_to.address_lines", "address", "denial_send_to", ("", "", "", "", "")),
    _f("denial.send_to.phone", "phone", "denial_send_to_phone"),
    _f("denial.send_to.fax", "phone", "denial_send_to_fax"),
    _f("denial.send_to.email", "email", "denial_send_to_email"),
    _f("denial.send_to.portal", "text", "denial_send_to_portal"),
    _f("denial.external_review_to.name", "text", "external_review_to_name"),
    _f("denial.external_review_to.department", "text", "external_review_to_department"),
    _f(
        "denial.external_review_to.address_lines",
        "address",
        "external_review_to",
        ("", "", "", "", ""),
    ),
    _f("denial.external_review_to.phone", "phone", "external_review_to_phone"),
    _f("denial.external_review_to.fax", "phone", "external_review_to_fax"),
    _f("denial.external_review_to.email", "email", "external_review_to_email"),
    _f("denial.external_review_to.portal", "text", "external_review_to_portal"),
    # The patient's own plan when it is not in the catalog (from her card, notice and SBC).
    _f("reported_plan.name", "text", "reported_plan_name"),
    _f("reported_plan.issuer", "text", "reported_plan_issuer"),
    _f("reported_plan.market", "choice", "reported_plan_market"),
    _f("reported_plan.plan_type", "choice", "reported_plan_type"),
    _f("reported_plan.self_funded", "answer", "reported_self_funded"),
    *(
        _f(f"reported_plan.{where}.{part}", kind, f"reported_{where}{suffix}")
        for where in ("requests_to", "appeals_to")
        for part, kind, suffix in (
            ("name", "text", "_name"),
            ("address_lines", "address", ""),
            ("fax", "phone", "_fax"),
            ("phone", "phone", "_phone"),
            ("portal", "text", "_portal"),
        )
    ),
    _f("reported_plan.has_sbc", "answer", "reported_has_sbc"),
    _f(
        "reported_plan.specialist_copay",
        "money",
        "reported_specialist_copay",
        limits=(0, 100000),
    ),
    _f(
        "reported_plan.specialist_coinsurance_percent",
        "percent",
        "reported_specialist_coinsurance",
        limits=(0, 100),
    ),
    _f("reported_plan.referral_required", "answer", "reported_referral_required"),
    _f("reported_plan.prior_auth_required", "answer", "reported_prior_auth_required"),
)

BY_KEY: dict[str, FieldSpec] = {spec.key: spec for spec in FIELDS}

# Parts of the case that exist only when one of their fields says something. A part comes
# before the part holding it, so an emptied `denial.send_to` can leave `denial` empty too.
OPTIONAL_PARTS: tuple[str, ...] = (
    "denial.send_to",
    "denial.external_review_to",
    "denial",
    "reported_plan.requests_to",
    "reported_plan.appeals_to",
    "reported_plan",
)
LISTS: tuple[str, ...] = ("records_from",)


def spec(key: str) -> FieldSpec:
    """The field for a key or a concrete key (`records_from.1.name` → `records_from.*.name`)."""
    return BY_KEY[pattern_of(key)]


@lru_cache(maxsize=4096)  # asked for every answer of every case (a batch: every cell)
def pattern_of(key: str) -> str:
    return ".".join(LIST_ITEMS if part.isdigit() else part for part in key.split("."))


@lru_cache(maxsize=4096)
def _parts_holding(key: str) -> tuple[str, ...]:
    """The optional parts a key is inside (`denial.send_to.name` → denial.send_to, denial)."""
    return tuple(part for part in OPTIONAL_PARTS if key.startswith(part + "."))


def key_for_path(path: str) -> str:
    """A concrete key for a path as other modules write it: `case.records_from[0].name`,
    `records_from[0]`, `denial` → `records_from.0.name`, `records_from.0.name`, `denial`."""
    path = path.removeprefix("case.")
    return re.sub(r"\[(\d+)\]", r".\1", path)


def find(key: str) -> FieldSpec | None:
    """The field for a concrete key, or for the first field inside a part (`records_from.0`
    → its name, `denial.send_to` → its name); None if the key is no field of ours."""
    pattern = pattern_of(key)
    if pattern in BY_KEY:
        return BY_KEY[pattern]
    return next((s for s in FIELDS if s.key.startswith(pattern + ".")), None)


# --------------------------------------------------------------------------------------------
# The model behind a key


def _annotation(key: str) -> Any:
    model: Any = Case
    annotation: Any = None
    for part in key.split("."):
        if part == LIST_ITEMS:
            model = _inner(annotation)
            continue
        annotation = model.model_fields[part].annotation
        model = _inner(annotation)
    return annotation


def _inner(annotation: Any) -> Any:
    """The model inside `X | None` or `list[X]` (or the annotation itself)."""
    for arg in get_args(annotation) or (annotation,):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = get_args(arg)
        if inner and isinstance(inner[0], type) and issubclass(inner[0], BaseModel):
            return inner[0]
    return annotation


def default_of(key: str) -> Any:
    """The model's default for a field (None when it has none, e.g. a plain optional field)."""
    *parents, last = pattern_of(key).split(".")
    model: Any = Case
    for part in parents:
        if part == LIST_ITEMS:
            continue
        model = _inner(model.model_fields[part].annotation)
    info = model.model_fields[last]
    if info.default_factory is not None:
        return info.default_factory()
    return info.default


# --------------------------------------------------------------------------------------------
# Issues: one bad answer, in plain words on every surface


@dataclass(frozen=True)
class Issue:
    """A problem with one field. `key` is the concrete key (`records_from.1.name`); `code` picks
    the message, `params` fill it. Field references in params (`other`) are keys, named by the
    surface. Never holds the value that was typed."""

    key: str
    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def spec(self) -> FieldSpec | None:
        return find(self.key)

    def message(self, language: str = "en", name: Callable[[str], str] | None = None) -> str:
        """The message as a fragment ("an NPI is 10 digits"): `name` names referenced fields
        (a label on a page, a column in a batch)."""
        template = text(language).messages[self.code]
        namer = name or (lambda key: key)
        values = {k: namer(v) if k in ("this", "other") else v for k, v in self.params}
        values.setdefault("this", namer(self.key))
        return template.format(**values)


class FieldErrors(ValueError):
    """Answers that do not fit the case. `str()` names keys and codes only (safe to log)."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("; ".join(f"{i.key}: {i.code}" for i in issues))


def sentence(fragment: str) -> str:
    """A message fragment as a sentence for a page: capital first letter, final period."""
    fragment = fragment.strip()
    if not fragment:
        return fragment
    fragment = fragment[0].upper() + fragment[1:]
    return fragment if fragment.endswith((".", "?", "!")) else fragment + "."


_PYDANTIC_CODES = {
    "string_too_long": "too_long",
    "missing": "required",
    "literal_error": "choice",
    "enum": "choice",
    "less_than_equal": "range",
    "greater_than_equal": "range",
    "less_than": "range",
    "greater_than": "range",
    "int_parsing": "number",
    "int_type": "number",
    "int_from_float": "number",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
    "date_from_datetime_inexact": "date",
    "date_type": "date",
    "extra_forbidden": "unknown_field",
    "received_before_notice": "received_before_notice",
    "plan_id": "plan_id",
}
_SHAPE_CODES = {"npi": "npi", "icd10": "icd10", "state": "state", "case_id": "case_id"}


def issues_from(
    error: ValidationError, list_index: Mapping[tuple[str, int], int] | None = None
) -> list[Issue]:
    """The one translator: a pydantic validation error on a Case as Issues, one per field.

    `list_index` maps a list item's index in the validated data back to its index as entered
    (blank items are dropped before validation). Messages never come from pydantic's text."""
    issues: list[Issue] = []
    for item in error.errors(include_input=False, include_url=False):
        parts = [str(p) for p in item["loc"]]
        for i in range(1, len(parts)):
            if parts[i].isdigit() and list_index:
                parts[i] = str(list_index.get((parts[i - 1], int(parts[i])), int(parts[i])))
        key = ".".join(parts)
        kind = item["type"]
        if kind == "received_before_notice":
            issues.append(Issue(f"{key}.date_received", kind, (("other", f"{key}.notice_date"),)))
            continue
        found = find(key)
        if kind == "string_pattern_mismatch":
            code = _SHAPE_CODES.get(found.kind if found else "", "shape")
        else:
            code = _PYDANTIC_CODES.get(kind, "invalid")
        params: tuple[tuple[str, Any], ...] = ()
        if code == "range":
            low, high = (found.limits if found and found.limits else None) or (0, MAX_COUNT)
            params = (("min", low), ("max", high))
        elif code == "too_long":
            params = (("max", (item.get("ctx") or {}).get("max_length", MAX_TEXT)),)
        issues.append(Issue(key, code, params))
    return issues


# --------------------------------------------------------------------------------------------
# Cleaning and checking one answer

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension)\s*\d{1,6}\s*$", re.IGNORECASE)
_PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().\-/]+$")
_ANSWERS = ("yes", "no", "unknown")
_WHOLE_NUMBER = re.compile(r"-?\d+")
_NOT_DIGITS = re.compile(r"\D")
# The kinds whose answer is a line of text (stripped; blank is None).
_TEXT_KINDS = frozenset(
    {"text", "long_text", "email", "phone", "state", "icd10", "npi", "case_id", "plan"}
)
_SHORT_TEXT_KINDS = frozenset({"text", "email", "phone", "npi", "icd10", "case_id"})


class _Bad(ValueError):
    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = tuple(params.items())


def clean(spec_: FieldSpec, value: Any) -> Any:
    """An answer as the case holds it: text stripped (blank is None), address lines split,
    answers defaulting to "not sure". Raises _Bad for a value that cannot be read."""
    kind = spec_.kind
    if kind in _TEXT_KINDS:  # most answers: a line of text, a code, a phone number...
        if value is None:
            return None
        text = str(value).strip()
        if kind in ("icd10", "state"):
            text = text.upper()
        return text or None
    if kind == "address":
        if isinstance(value, str):
            value = value.splitlines()
        return [str(line).strip() for line in (value or []) if str(line).strip()]
    if kind in ("answer", "presence"):
        return value if value in _ANSWERS else "unknown"
    if kind == "count":
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not _WHOLE_NUMBER.fullmatch(str(value).strip()):
            raise _Bad("number")
        return int(str(value).strip())
    if kind == "date":
        return _date(value)
    if kind in ("money", "percent"):
        return _number(kind, value)
    # choice
    return value if value not in (None, "") else None


def _number(kind: str, value: Any) -> Decimal | int | None:
    """Dollars ("$1,250.00") or a whole percent ("20%") as typed; blank is None."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().removeprefix("$").removesuffix("%").replace(",", "").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Bad(kind) from None
    if not number.is_finite():
        raise _Bad(kind)
    if kind == "percent":
        if number != number.to_integral_value():
            raise _Bad("percent")
        return int(number)
    return number


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _Bad("date") from None


def check(spec_: FieldSpec, value: Any, today: dt.date) -> None:
    """The entry checks of one cleaned answer (shape, length, not in the future)."""
    if value is None or value == []:
        return
    kind = spec_.kind
    if kind in _SHORT_TEXT_KINDS:
        if len(value) > MAX_TEXT:
            raise _Bad("too_long", max=MAX_TEXT)
        if kind == "email" and not _EMAIL.match(value):
            raise _Bad("email")
        if kind == "phone" and not _is_phone(value):
            raise _Bad("phone")
    elif kind == "long_text":
        if len(value) > MAX_LONG_TEXT:
            raise _Bad("too_long", max=MAX_LONG_TEXT)
    elif kind == "address":
        if len(value) > MAX_ADDRESS_LINES:
            raise _Bad("too_many_lines", max=MAX_ADDRESS_LINES)
        if any(len(line) > MAX_TEXT for line in value):
            raise _Bad("too_long", max=MAX_TEXT)
    elif kind == "date" and "not_future" in spec_.checks and value > today:
        raise _Bad("future")
    if spec_.limits and not spec_.limits[0] <= value <= spec_.limits[1]:
        raise _Bad("range", min=spec_.limits[0], max=spec_.limits[1])


def _is_phone(text: str) -> bool:
    number = _PHONE_EXTENSION.sub("", text)
    if not _PHONE_CHARACTERS.match(number):
        return False
    digits = _NOT_DIGITS.sub("", number)
    if number.startswith("+"):
        return 8 <= len(digits) <= 15
    return len(digits) == 10 or (len(digits) == 11 and digits.startswith("1"))


# --------------------------------------------------------------------------------------------
# The one path-setter: answers → Case


def build(case: Case | None, answers: Mapping[str, Any], *, today: dt.date | None = None) -> Case:
    """A new Case: `case` (None: a new, blank Case) with `answers` ({concrete key: value})
    written in, cleaned and checked.

    - Text is stripped; blank text is None. Address lines are split on new lines.
    - A part that may be absent (the denial, where the notice says to send the appeal) exists
      when one of its answered fields says something other than the default, or when its
      presence answer is "yes" ("no" or "not sure" remove it).
    - A list item (`records_from.N`) whose fields are all blank is dropped; one with details but
      no name is an issue on its name.
    Raises FieldErrors listing every bad answer at once; `case` is never changed.
    """
    today = today or dt.date.today()
    data = _blank_data() if case is None else case.model_dump()
    issues: list[Issue] = []
    presence: dict[str, str] = {}
    touched: set[str] = set()
    written: list[tuple[str, FieldSpec, Any]] = []
    for key, raw in answers.items():
        spec_, parts, holding = _route(key)
        try:
            value = clean(spec_, raw)
            check(spec_, value, today)
        except _Bad as bad:
            issues.append(Issue(key, bad.code, bad.params))
            continue
        kind = spec_.kind
        if kind == "presence":
            presence[key] = value
            continue
        if value is None and kind in ("answer", "count", "choice"):
            value = default_of(key)
        _set(data, parts, value)
        if holding:
            touched.update(holding)
        written.append((key, spec_, value))
    _prune_parts(data, touched, presence)
    issues += _check_births(data, written)
    list_index = _compact_lists(data, issues)
    try:
        built = Case.model_validate(data)
    except ValidationError as err:
        reported = {issue.key for issue in issues}
        issues += [i for i in issues_from(err, list_index) if i.key not in reported]
    if issues:
        raise FieldErrors(issues)
    return built


@lru_cache(maxsize=4096)  # the registry's keys (a batch: one per column), never a value
def _route(key: str) -> tuple[FieldSpec, tuple[str, ...], tuple[str, ...]]:
    """A concrete key's field, its path in the case's data and the optional parts it is in."""
    return spec(key), tuple(key.split(".")), _parts_holding(key)


def _blank_data() -> dict[str, Any]:
    """`Case().model_dump()`: a new case's data never changes, so it is dumped once per
    process and each caller gets a fresh copy (unpickling it costs a fraction of a dump)."""
    return pickle.loads(_blank_dump())  # noqa: S301 - our own bytes, made just below


@lru_cache(maxsize=1)
def _blank_dump() -> bytes:
    return pickle.dumps(Case().model_dump(), protocol=pickle.HIGHEST_PROTOCOL)


def _set(data: dict[str, Any], parts: Sequence[str], value: Any) -> None:
    node: Any = data
    last = len(parts) - 1
    for index in range(last):
        part = parts[index]
        if part.isdigit():
            position = int(part)
            while len(node) <= position:
                node.append({})
            node = node[position]
        else:
            following = node.get(part)
            if following is None:
                following = node[part] = [] if parts[index + 1].isdigit() else {}
            node = following
    node[parts[last]] = value


def _get(data: dict[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _says_something(part: str, values: Mapping[str, Any]) -> bool:
    for name, value in values.items():
        if value in (None, "", []) or value == {}:
            continue
        if isinstance(value, dict):
            if _says_something(f"{part}.{name}", value):
                return True
            continue
        if value != default_of(f"{part}.{name}"):
            return True
    return False


def _prune_parts(data: dict[str, Any], touched: set[str], presence: Mapping[str, str]) -> None:
    for part in OPTIONAL_PARTS:
        *above, last = part.split(".")
        holder = _get(data, ".".join(above)) if above else data
        if not isinstance(holder, dict):
            continue
        answer = presence.get(part)
        if answer is not None and answer != "yes":
            holder[last] = None
        elif answer == "yes" and holder.get(last) is None:
            holder[last] = {}
        elif part in touched and answer is None:
            sub = holder.get(last)
            if isinstance(sub, dict) and not _says_something(part, sub):
                holder[last] = None


def _check_births(data: dict[str, Any], written: list[tuple[str, FieldSpec, Any]]) -> list[Issue]:
    born = _get(data, "patient.date_of_birth")
    if not isinstance(born, dt.date):
        return []
    return [
        Issue(key, "before_birth", (("other", "patient.date_of_birth"),))
        for key, spec_, value in written
        if "not_before_birth" in spec_.checks and isinstance(value, dt.date) and value < born
    ]


def _compact_lists(data: dict[str, Any], issues: list[Issue]) -> dict[tuple[str, int], int]:
    """Drop blank list items; a named part that is missing its name is an issue."""
    index_map: dict[tuple[str, int], int] = {}
    for name in LISTS:
        items = data.get(name) or []
        kept = []
        for index, item in enumerate(items):
            filled = {k: v for k, v in item.items() if v not in (None, "", [])}
            if not filled:
                continue
            if not filled.get("name"):
                issues.append(Issue(f"{name}.{index}.name", "records_name"))
                continue
            index_map[(name, len(kept))] = index
            kept.append(filled)
        data[name] = kept
    return index_map


# --------------------------------------------------------------------------------------------
# Reading a field back (what a widget shows)


def value_of(case: Case, key: str) -> Any:
    """The case's value for a concrete key (None where a part or list item does not exist)."""
    if spec(key).kind == "presence":
        return None if _get_obj(case, key) is None else "yes"
    return _get_obj(case, key)


def _get_obj(case: Case, key: str) -> Any:
    node: Any = case
    for part in key.split("."):
        if node is None:
            return None
        if part.isdigit():
            index = int(part)
            node = node[index] if index < len(node) else None
        else:
            node = getattr(node, part)
    return node


# --------------------------------------------------------------------------------------------
# Wording (data/fields/<language>.yaml)

TEXT_DIR = Path(__file__).resolve().parent.parent / "data" / "fields"
LANGUAGES: tuple[str, ...] = ("en", "es")


@dataclass(frozen=True)
class FieldText:
    """The words of one language.

    `fields[key]` has `patient` and `navigator` labels, `patient_help`, `navigator_help` and
    `column` (the batch column's description); `options[key or kind]` maps each value to its
    words per audience; `messages[code]` are the problem messages as fragments; `forms` holds
    the titles and intros of the patient steps and navigator sections; `phrases` the sentences
    around a field's label.
    """

    language: str
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    options: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    forms: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)

    def label(self, key: str, audience: str = "patient") -> str:
        return self.fields[pattern_of(key)][audience]

    def help(self, key: str, audience: str = "patient") -> str | None:
        return self.fields[pattern_of(key)].get(f"{audience}_help")

    def choices(self, key: str, audience: str = "patient") -> tuple[tuple[str, str], ...]:
        """(value, words) in the order the audience sees them."""
        spec_ = spec(key)
        group = "answer" if spec_.kind in ("answer", "presence") else spec_.key
        return tuple(self.options[group][audience].items())


@lru_cache(maxsize=8)
def text(language: str = "en") -> FieldText:
    """The wording of one language, read once per process (strict YAML: file:line errors)."""
    from coverage.loader import LoadError, Problem, parse_yaml, read_text

    path = TEXT_DIR / f"{language}.yaml"
    if language not in LANGUAGES:
        raise LoadError([Problem(path.name, None, "", f"no wording for language {language!r}")])
    data = parse_yaml(read_text(path), path.name) or {}
    return FieldText(
        language=language,
        fields=data.get("fields") or {},
        options={
            k: {a: _str_keys(o) for a, o in v.items()}
            for k, v in (data.get("options") or {}).items()
        },
        messages=data.get("messages") or {},
        forms=data.get("forms") or {},
        phrases=data.get("phrases") or {},
    )


def _str_keys(mapping: Mapping[Any, str]) -> dict[str, str]:
    # YAML reads a bare yes/no key as a boolean; the case's answers are strings.
    words = {True: "yes", False: "no"}
    return {words.get(k, k) if isinstance(k, bool) else str(k): v for k, v in mapping.items()}


def missing_words(other: FieldText, english: FieldText | None = None) -> list[str]:
    """What a patient would read in English but `other` lacks: every patient label and help
    (and their per-market variants), patient option, message, phrase and patient form text,
    including per-market intros (a test fails on any)."""
    english = english or text("en")
    missing: list[str] = []
    for key, words in english.fields.items():
        for name in words:  # patient, patient_help and their per-market variants
            if name.startswith("patient") and not other.fields.get(key, {}).get(name):
                missing.append(f"fields.{key}.{name}")
    for group, audiences in english.options.items():
        theirs = other.options.get(group, {}).get("patient", {})
        missing += [
            f"options.{group}.patient.{value}"
            for value in audiences.get("patient", {})
            if not theirs.get(value)
        ]
    missing += [f"messages.{code}" for code in english.messages if not other.messages.get(code)]
    missing += [f"phrases.{name}" for name in english.phrases if not other.phrases.get(name)]
    for step, words in english.forms.get("patient", {}).items():
        theirs = other.forms.get("patient", {}).get(step, {})
        missing += [f"forms.patient.{step}.{name}" for name in words if not theirs.get(name)]
    return missing
