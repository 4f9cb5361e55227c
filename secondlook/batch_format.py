"""The batch spreadsheet format: flat columns mapped onto the nested `Case`, and streaming readers.

One row of a CSV or XLSX file is one case. Columns are flat, documented names (`patient_dob`,
`provider_in_network`, `denial_notice_date`, ...) that map onto `coverage.case.Case`; docs/batch.md
lists them all (a test keeps that page in step with `COLUMNS`).

Rules the readers and the row parser follow:
- The header is row 1; rows are numbered as a spreadsheet shows them (row 2 is the first case).
- Only `case_id` is required; any other column may be left out of the file or left blank.
- Dates are ISO `YYYY-MM-DD` (real date cells in XLSX are fine); yes/no/unknown answers accept a
  few common spellings (`y`, `n`, `true`, `false`, `1`, `0`, `not sure`).
- A problem names the row and the column. Values of member-data columns (name, date of birth,
  member id, diagnosis, ...) are never echoed in a message.
- Readers stream: CSV through `csv.reader`, XLSX through `secondlook.batch_xlsx` (lxml
  iterparse over the sheet), one row at a time, so memory does not grow with the number of rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import ValidationError

from coverage.base import US_STATES
from coverage.case import Case
from coverage.determination import LetterType
from coverage.loader import LoadError, Problem

if TYPE_CHECKING:
    from secondlook.batch_xlsx import XlsxSheet

LETTER_TYPES: tuple[str, ...] = get_args(LetterType)
AUTO = "auto"

Kind = Literal[
    "id", "text", "long_text", "date", "answer", "int", "choice", "state", "zip", "letters"
]

ANSWER_SPELLINGS: dict[str, str] = {
    "yes": "yes",
    "y": "yes",
    "true": "yes",
    "1": "yes",
    "no": "no",
    "n": "no",
    "false": "no",
    "0": "no",
    "unknown": "unknown",
    "not sure": "unknown",
    "unsure": "unknown",
    "don't know": "unknown",
    "?": "unknown",
}

MAX_TEXT = 500  # characters in an ordinary cell
MAX_LONG_TEXT = 5000  # notes and the quoted denial reason


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    help: str
    example: str = ""
    field: str = ""  # dotted path in Case ("" for address parts and records holders)
    member_data: bool = False
    choices: tuple[str, ...] = ()
    required: bool = False


def _col(name: str, kind: Kind, field_path: str, help_text: str, example: str = "", **kw: Any):
    return Column(name=name, kind=kind, field=field_path, help=help_text, example=example, **kw)


# The template's example row is a complete fictional case: `auto` makes every letter it needs.
EXAMPLE_RECORDS_HOLDER = (
    "Example Regional Hospital, Pathology Department",
    ("10 Example Hospital Dr", "", "Chesterfield", "MO", "63017"),
    "(636) 555-0120",
)


def _address_columns(prefix: str, who: str, example: tuple[str, str, str, str, str], *, member):
    line1, line2, city, state, zip_code = example
    cols = [
        Column(
            f"{prefix}_address_line1", "text", f"{who}: street address.", line1, member_data=member
        ),
        Column(
            f"{prefix}_address_line2",
            "text",
            f"{who}: suite, unit or building.",
            line2,
            member_data=member,
        ),
        Column(f"{prefix}_city", "text", f"{who}: city.", city, member_data=member),
    ]
    if prefix != "patient":  # the patient's state is `patient_state`, which the engine also uses
        cols.append(Column(f"{prefix}_state", "state", f"{who}: state (two letters).", state))
    cols.append(
        Column(
            f"{prefix}_zip",
            "zip",
            f"{who}: ZIP code (12345 or 12345-6789).",
            zip_code,
            member_data=member,
        )
    )
    return cols


def _yn(name: str, field_path: str, help_text: str, example: str = "unknown") -> Column:
    return _col(name, "answer", field_path, help_text + " yes / no / unknown.", example)


COLUMNS: tuple[Column, ...] = (
    _col(
        "case_id",
        "id",
        "case_id",
        "Your identifier for the case (letters, digits, `.`, `_`, `-`; at most 64). Required and "
        "unique in the file: it names the letter files.",
        "NAV-0001",
        required=True,
    ),
    _col(
        "plan",
        "text",
        "plan",
        "Plan id from the catalog (`secondlook plans list`), or a generic plan "
        "`generic-<market>-<state>-<funding>` when the plan's details are not known.",
        "ma-hmo-riverbend-example",
    ),
    _col(
        "as_of", "date", "as_of", "Date to check coverage on; blank means the day of the run.", ""
    ),
    _col(
        "letters",
        "letters",
        "",
        "Letters for this row, overriding `--letter`: `auto` or letter types separated by "
        "spaces or commas.",
        "",
    ),
    # The patient.
    _col(
        "patient_name",
        "text",
        "patient.name",
        "Patient's full name.",
        "Jordan Example",
        member_data=True,
    ),
    _col(
        "patient_dob",
        "date",
        "patient.date_of_birth",
        "Patient's date of birth.",
        "1958-04-12",
        member_data=True,
    ),
    _col(
        "member_id",
        "text",
        "patient.member_id",
        "Member id on the insurance card.",
        "RB123456789",
        member_data=True,
    ),
    _col(
        "group_number",
        "text",
        "patient.group_number",
        "Group number on the card.",
        "",
        member_data=True,
    ),
    _col(
        "patient_state",
        "state",
        "patient.state",
        "State the patient lives in (two letters); also the state line of the address.",
        "MO",
    ),
    *_address_columns(
        "patient", "Patient", ("12 Example Street", "", "Springfield", "MO", "65801"), member=True
    ),
    _col(
        "patient_phone",
        "text",
        "patient.phone",
        "Patient's phone.",
        "417-555-0100",
        member_data=True,
    ),
    _col("patient_email", "text", "patient.email", "Patient's email.", "", member_data=True),
    # The diagnosis.
    _col(
        "diagnosis",
        "text",
        "diagnosis.description",
        "The diagnosis in words.",
        "Stage II breast cancer",
        member_data=True,
    ),
    _col(
        "diagnosis_icd10",
        "text",
        "diagnosis.icd10",
        "ICD-10-CM code, e.g. C50.911.",
        "C50.911",
        member_data=True,
    ),
    _col(
        "diagnosis_stage",
        "text",
        "diagnosis.stage",
        "Stage as the doctor wrote it.",
        "IIA",
        member_data=True,
    ),
    _col(
        "diagnosis_date",
        "date",
        "diagnosis.date_diagnosed",
        "Date of diagnosis.",
        "2026-10-30",
        member_data=True,
    ),
    _yn(
        "newly_diagnosed",
        "diagnosis.newly_diagnosed",
        "Diagnosed recently, before any treatment started?",
        "yes",
    ),
    _yn("rare_or_aggressive", "diagnosis.rare_or_aggressive", "A rare or aggressive cancer?"),
    _col(
        "is_cancer",
        "answer",
        "diagnosis.is_cancer",
        "Is the diagnosis cancer? yes / no / unknown (blank means yes).",
        "",
    ),
    # Why a second opinion.
    _yn(
        "reason_before_treatment",
        "reasons.before_treatment_starts",
        "Second opinion wanted before treatment starts?",
        "yes",
    ),
    _yn(
        "reason_treatment_not_working",
        "reasons.treatment_not_working",
        "The current treatment is not working?",
        "no",
    ),
    _yn(
        "reason_surgery_recommended",
        "reasons.surgery_recommended",
        "Surgery has been recommended?",
        "yes",
    ),
    _yn(
        "reason_major_treatment_recommended",
        "reasons.major_treatment_recommended",
        "Chemotherapy, radiation or another major treatment recommended?",
        "unknown",
    ),
    _yn(
        "reason_diagnosis_unclear",
        "reasons.diagnosis_unclear",
        "The diagnosis or treatment plan is unclear?",
        "no",
    ),
    _col(
        "opinions_so_far",
        "int",
        "reasons.opinions_so_far",
        "Opinions the patient already has (0-10; blank means 1).",
        "1",
    ),
    _yn("opinions_differ", "reasons.opinions_differ", "Do the opinions so far differ?", "no"),
    _col(
        "reason_notes",
        "long_text",
        "reasons.notes",
        "Anything else about why.",
        "",
        member_data=True,
    ),
    # The second-opinion provider.
    _col(
        "provider_name",
        "text",
        "provider.name",
        "Second-opinion physician's name.",
        "Dr. Casey Example",
        member_data=True,
    ),
    _col(
        "provider_specialty",
        "text",
        "provider.specialty",
        "Their specialty.",
        "Medical oncology",
        member_data=True,
    ),
    _col(
        "provider_institution",
        "text",
        "provider.institution",
        "Their institution.",
        "Example Comprehensive Cancer Center",
        member_data=True,
    ),
    _col("provider_npi", "text", "provider.npi", "Their 10-digit NPI.", "", member_data=True),
    *_address_columns(
        "provider",
        "Second-opinion provider",
        ("1 Example Plaza", "", "St. Louis", "MO", "63110"),
        member=True,
    ),
    _col("provider_phone", "text", "provider.phone", "Provider's phone.", "", member_data=True),
    _col("provider_fax", "text", "provider.fax", "Provider's fax.", "", member_data=True),
    _col(
        "provider_nci_designation",
        "choice",
        "provider.nci_designation",
        "NCI designation of the institution.",
        "comprehensive",
        choices=("comprehensive", "clinical", "basic_laboratory", "not_designated", "unknown"),
    ),
    _yn(
        "provider_in_network",
        "provider.in_network",
        "Is the provider in the plan's network (Original Medicare: accepts Medicare)?",
        "no",
    ),
    _col(
        "provider_visit_type",
        "choice",
        "provider.visit_type",
        "How the opinion is given.",
        "in_person",
        choices=("in_person", "telehealth", "records_review", "unknown"),
    ),
    _yn(
        "qualified_in_network_specialist",
        "qualified_in_network_specialist",
        "Does the network have a specialist qualified in this cancer?",
        "no",
    ),
    _yn(
        "urgent",
        "urgency.physician_certifies_urgent",
        "A physician says waiting the standard time would seriously jeopardise life, health or "
        "the ability to regain maximum function?",
        "no",
    ),
    # The referring physician.
    _col(
        "physician_name",
        "text",
        "referring_physician.name",
        "Referring physician's name.",
        "Dr. Riley Example",
        member_data=True,
    ),
    _col(
        "physician_specialty",
        "text",
        "referring_physician.specialty",
        "Their specialty.",
        "",
        member_data=True,
    ),
    _col(
        "physician_practice",
        "text",
        "referring_physician.practice",
        "Their practice.",
        "",
        member_data=True,
    ),
    _col(
        "physician_npi",
        "text",
        "referring_physician.npi",
        "Their 10-digit NPI.",
        "",
        member_data=True,
    ),
    *_address_columns(
        "physician",
        "Referring physician",
        ("300 Example Blvd", "Suite 200", "Chesterfield", "MO", "63017"),
        member=True,
    ),
    _col(
        "physician_phone", "text", "referring_physician.phone", "Their phone.", "", member_data=True
    ),
    _col("physician_fax", "text", "referring_physician.fax", "Their fax.", "", member_data=True),
    # Up to two providers holding records (records_from).
    *[
        c
        for n in (1, 2)
        for c in (
            Column(
                f"records{n}_name",
                "text",
                f"Records holder {n}: name.",
                EXAMPLE_RECORDS_HOLDER[0] if n == 1 else "",
                member_data=True,
            ),
            *_address_columns(
                f"records{n}",
                f"Records holder {n}",
                EXAMPLE_RECORDS_HOLDER[1] if n == 1 else ("", "", "", "", ""),
                member=True,
            ),
            Column(
                f"records{n}_phone", "text", f"Records holder {n}: phone.", "", member_data=True
            ),
            Column(
                f"records{n}_fax",
                "text",
                f"Records holder {n}: fax.",
                EXAMPLE_RECORDS_HOLDER[2] if n == 1 else "",
                member_data=True,
            ),
        )
    ],
    _col(
        "request_sent_date",
        "date",
        "request_sent_date",
        "When the prior-authorisation or exception request was sent.",
        "",
    ),
    # A denial being appealed (any denial_* value makes the case carry a denial).
    _col(
        "denial_notice_date", "date", "denial.notice_date", "Date printed on the denial notice.", ""
    ),
    _col(
        "denial_received_date",
        "date",
        "denial.date_received",
        "Date the patient received the notice.",
        "",
    ),
    _col(
        "denial_level",
        "choice",
        "denial.level",
        "Level of the denial (blank means initial).",
        "",
        choices=("initial", "internal_appeal", "final_internal"),
    ),
    _col(
        "denial_reason",
        "long_text",
        "denial.reason_quoted",
        "The denial reason, word for word.",
        "",
        member_data=True,
    ),
    _col(
        "denial_reference_number",
        "text",
        "denial.reference_number",
        "Authorisation or reference number on the notice.",
        "",
        member_data=True,
    ),
    _col(
        "denial_claim_number",
        "text",
        "denial.claim_number",
        "Claim number, if any.",
        "",
        member_data=True,
    ),
    _col(
        "denial_service_type",
        "choice",
        "denial.service_type",
        "Denied before or after the service (blank means pre_service).",
        "",
        choices=("pre_service", "post_service"),
    ),
    # Where the denial notice says to send the appeal (it wins over the plan file's address).
    _col(
        "denial_send_to_name",
        "text",
        "denial.send_to.name",
        "Where the notice says to send the appeal: name (e.g. the plan's appeals unit).",
        "",
    ),
    _col(
        "denial_send_to_department",
        "text",
        "denial.send_to.department",
        "Where to send the appeal: department.",
        "",
    ),
    *_address_columns(
        "denial_send_to", "Where to send the appeal", ("", "", "", "", ""), member=False
    ),
    _col("denial_send_to_phone", "text", "denial.send_to.phone", "Where to send: phone.", ""),
    _col("denial_send_to_fax", "text", "denial.send_to.fax", "Where to send: fax.", ""),
    _col("denial_send_to_email", "text", "denial.send_to.email", "Where to send: email.", ""),
    _col(
        "denial_send_to_portal",
        "text",
        "denial.send_to.portal",
        "Where to send: web portal address.",
        "",
    ),
)

COLUMN_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(COLUMN_BY_NAME)
# Case field path -> column, for mapping validation errors (and the engine's info_needed) back.
COLUMN_BY_FIELD: dict[str, str] = {c.field: c.name for c in COLUMNS if c.field}
_ADDRESS_PARTIES = {
    "patient": "patient.address_lines",
    "provider": "provider.address_lines",
    "physician": "referring_physician.address_lines",
    "denial_send_to": "denial.send_to.address_lines",
}


_RECORDS_COLUMNS = {
    n: tuple(c.name for c in COLUMNS if c.name.startswith(f"records{n}_")) for n in (1, 2)
}


def column_for_field(path: str) -> str | None:
    """The column that fills a Case field path such as `provider.in_network` (or None)."""
    path = path.removeprefix("case.")
    if path in COLUMN_BY_FIELD:
        return COLUMN_BY_FIELD[path]
    if path.startswith("plan.") or path == "plan":
        return "plan"  # the plan's own data: the plan column chose it
    for prefix, target in _ADDRESS_PARTIES.items():
        if path.startswith(target):
            return f"{prefix}_address_line1"
    match = re.match(r"^records_from(?:\[(\d+)\]|\.(\d+))?(?:\.(\w+))?", path)
    if match:
        index = int(match.group(1) or match.group(2) or 0)
        part = match.group(3) or "name"
        part = "address_line1" if part == "address_lines" else part
        name = f"records{index + 1}_{part}"
        return name if name in COLUMN_BY_NAME else f"records{index + 1}_name"
    group = next((c.name for c in COLUMNS if c.field.startswith(path + ".")), None)
    return group  # e.g. `denial` -> denial_notice_date, the first of its columns


# --------------------------------------------------------------------------------------------
# Row parsing


@dataclass(frozen=True)
class CellProblem:
    """A problem in one row, naming the column when there is one (never the member's value)."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"row {self.row}, column {self.column}: {self.message}"
        return f"row {self.row}: {self.message}"


class RowError(Exception):
    def __init__(self, problems: list[CellProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class ParsedRow:
    case: Case
    letters: tuple[str, ...] | None  # None: use the batch's --letter


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CASE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_SPREADSHEET_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!"}


class _CellError(ValueError):
    pass


def cell_text(value: object) -> str:
    """A cell as text: XLSX numbers without a spurious `.0`, dates as ISO, blanks as ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _text(value: object, limit: int) -> str:
    if isinstance(value, str):  # the common case (every CSV cell): no conversions needed
        if len(value) <= limit and value.isprintable() and value not in _SPREADSHEET_ERRORS:
            return value
    elif isinstance(value, dt.date | dt.time):
        raise _CellError("the spreadsheet turned this cell into a date; format the column as Text")
    text = cell_text(value)
    if text in _SPREADSHEET_ERRORS:
        raise _CellError(f"the cell holds the spreadsheet error {text}")
    bad = _CONTROL.search(text)
    if bad:
        if "\udc80" <= bad.group() <= "\udcff":
            raise _CellError("not valid UTF-8 text (save the file as 'CSV UTF-8')")
        raise _CellError("contains control characters")
    if len(text) > limit:
        raise _CellError(f"longer than {limit} characters")
    return text


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _CellError("a number, not a date: format the column as Date or type YYYY-MM-DD")
    match = _ISO_DATE.match(cell_text(value))
    if not match:
        raise _CellError("not a date: use YYYY-MM-DD, e.g. 2026-03-14")
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise _CellError("not a real calendar date (YYYY-MM-DD)") from None


def _answer(value: object) -> str:
    if isinstance(value, str) and (answer := ANSWER_SPELLINGS.get(value.lower())):
        return answer
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = cell_text(value).lower()
    if text in ANSWER_SPELLINGS:
        return ANSWER_SPELLINGS[text]
    raise _CellError("expected yes, no or unknown")


def _int(value: object) -> int:
    text = cell_text(value)
    if not re.fullmatch(r"-?\d+", text):
        raise _CellError("expected a whole number")
    return int(text)


def _letters(value: object) -> tuple[str, ...]:
    words = [w for w in re.split(r"[\s,;]+", cell_text(value).lower()) if w]
    if words == [AUTO]:
        return (AUTO,)
    unknown = [w for w in words if w not in LETTER_TYPES]
    if unknown or not words:
        shown = ", ".join(repr(w[:40]) for w in unknown[:3])
        raise _CellError(f"unknown letter type {shown}; use auto or {', '.join(LETTER_TYPES)}")
    return tuple(dict.fromkeys(words))


def _convert(column: Column, value: object) -> Any:
    kind = column.kind
    if kind == "date":
        return _date(value)
    if kind == "answer":
        return _answer(value)
    if kind == "int":
        return _int(value)
    if kind == "letters":
        return _letters(value)
    if kind == "choice":
        text = cell_text(value).lower().replace("-", "_").replace(" ", "_")
        if text not in column.choices:
            raise _CellError(f"expected one of {', '.join(column.choices)}")
        return text
    if kind == "state":
        text = cell_text(value).upper()
        if text not in US_STATES:
            raise _CellError("expected a two-letter state or territory code, e.g. NY")
        return text
    if kind == "zip":
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e5:
            value = f"{int(value):05d}"  # Excel drops the leading zero of 02134
        text = cell_text(value)
        if not _ZIP.match(text):
            raise _CellError("expected a ZIP code: 12345 or 12345-6789")
        return text
    if kind == "id":
        text = cell_text(value)
        if not _CASE_ID.match(text):
            raise _CellError("use 1-64 letters, digits, '.', '_' or '-'")
        return text
    return _text(value, MAX_LONG_TEXT if kind == "long_text" else MAX_TEXT)


_PATHS: dict[str, tuple[str, ...]] = {}


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    parts = _PATHS.get(path) or _PATHS.setdefault(path, tuple(path.split(".")))
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _address_lines(values: Mapping[str, Any], prefix: str, state: str | None) -> list[str]:
    lines = [values.get(f"{prefix}_address_line1"), values.get(f"{prefix}_address_line2")]
    city = values.get(f"{prefix}_city")
    zip_code = values.get(f"{prefix}_zip")
    if city or zip_code:
        last = ", ".join(p for p in (city, state) if p)
        lines.append(f"{last} {zip_code}".strip() if zip_code else last)
    return [line for line in lines if line]


def parse_row(cells: Mapping[str, object], row: int) -> ParsedRow:
    """Build and validate a Case from one row's non-blank cells (column name -> cell value).

    Raises RowError listing every problem in the row, each naming the row and column.
    """
    problems: list[CellProblem] = []
    values: dict[str, Any] = {}
    for name, raw in cells.items():
        column = COLUMN_BY_NAME.get(name)
        if column is None:
            continue  # unknown columns were reported (or allowed) when the header was read
        if raw.__class__ is str:
            raw = raw.strip()  # type: ignore[union-attr]
            if not raw:
                continue
            if (  # the common case, with nothing to convert
                column.kind == "text"
                and len(raw) <= MAX_TEXT  # type: ignore[arg-type]
                and raw.isprintable()  # type: ignore[union-attr]
                and raw not in _SPREADSHEET_ERRORS
            ):
                values[name] = raw
                continue
        elif raw is None or cell_text(raw) == "":
            continue
        try:
            values[name] = _convert(column, raw)
        except _CellError as err:
            problems.append(CellProblem(row, name, str(err)))
    if "case_id" not in values and not any(p.column == "case_id" for p in problems):
        problems.append(CellProblem(row, "case_id", "required: every row needs a case id"))

    tree: dict[str, Any] = {}
    for name, value in values.items():
        column = COLUMN_BY_NAME[name]
        if column.field:
            _set(tree, column.field, value)
    for prefix, target in _ADDRESS_PARTIES.items():
        state = values.get("patient_state" if prefix == "patient" else f"{prefix}_state")
        lines = _address_lines(values, prefix, state)
        if lines:
            _set(tree, target, lines)
    holders = []
    for n in (1, 2):
        p = f"records{n}"
        if not any(name in values for name in _RECORDS_COLUMNS[n]):
            continue
        if not values.get(f"{p}_name"):
            problems.append(
                CellProblem(
                    row,
                    f"{p}_name",
                    "a records holder needs a name when any of its other columns is filled",
                )
            )
            continue
        holder: dict[str, Any] = {"name": values[f"{p}_name"]}
        lines = _address_lines(values, p, values.get(f"{p}_state"))
        if lines:
            holder["address_lines"] = lines
        for part in ("phone", "fax"):
            if values.get(f"{p}_{part}"):
                holder[part] = values[f"{p}_{part}"]
        holders.append((n, holder))
    if holders:
        tree["records_from"] = [h for _, h in holders]

    try:
        case = Case.model_validate(tree)
    except ValidationError as err:
        for item in err.errors(include_input=False, include_url=False):
            loc = [str(p) for p in item["loc"]]
            if loc and loc[0] == "records_from" and len(loc) > 1 and loc[1].isdigit():
                loc[1] = str(holders[int(loc[1])][0] - 1) if int(loc[1]) < len(holders) else loc[1]
            path = ".".join(loc)
            message = item["msg"].removeprefix("Value error, ")
            column, message = _columns_in_message(path, message)  # a model-level rule
            column = column or column_for_field(path) or _column_by_prefix(path)
            if item["type"] == "string_pattern_mismatch":
                message = "not in the expected format" + _format_hint(column)
            problems.append(CellProblem(row, column, message))
        raise RowError(problems) from None
    if problems:
        raise RowError(problems)
    return ParsedRow(case=case, letters=values.get("letters"))


def _columns_in_message(path: str, message: str) -> tuple[str | None, str]:
    """A model-level message (`date_received is before notice_date` on `denial`) in columns."""
    first = None
    for word in re.findall(r"[a-z_]+", message):
        column = COLUMN_BY_FIELD.get(f"{path}.{word}" if path else word)
        if column:
            message = re.sub(rf"\b{word}\b", column, message)
            first = first or column
    return first, message


def _column_by_prefix(path: str) -> str | None:
    while "." in path:
        path = path.rsplit(".", 1)[0]
        if path in COLUMN_BY_FIELD:
            return COLUMN_BY_FIELD[path]
    return None


def _format_hint(column: str | None) -> str:
    if column and column.endswith("_npi"):
        return " (an NPI is 10 digits)"
    if column == "diagnosis_icd10":
        return " (an ICD-10-CM code such as C50.911)"
    return ""


# --------------------------------------------------------------------------------------------
# Reading files


@dataclass
class RawRow:
    """One spreadsheet row: its number as the spreadsheet shows it and its non-blank cells."""

    number: int
    cells: dict[str, object] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)

    def case_id(self) -> str:
        return cell_text(self.cells.get("case_id"))

    def content_hash(self) -> str:
        """A digest of the row's content that ignores column order and the row's position."""
        parts = sorted(
            f"{k}\x1e{v if v.__class__ is str else cell_text(v)}" for k, v in self.cells.items()
        )
        parts += [f"\x1d{p}" for p in self.problems]
        blob = "\x1f".join(parts).encode("utf-8", "surrogatepass")
        return hashlib.sha256(blob).hexdigest()


def normalise_header(name: object) -> str:
    text = cell_text(name).lstrip("\ufeff").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


@dataclass
class Header:
    columns: list[str | None]  # names by position: "" for an empty header cell, None if ignored
    ignored: list[str]  # unknown columns ignored on request


def check_header(raw: list[object], file: str, *, ignore_unknown: bool = False) -> Header:
    """Validate the header row; problems are file-level (`file:1: column: message`)."""
    names = [normalise_header(c) for c in raw]
    while names and names[-1] == "":
        names.pop()
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(names):
        if not name:
            continue
        # An unknown header cell is named by its text only when it is a near-miss of a known
        # column (a typo); otherwise by its letter: a file without a header row would print a
        # patient's data as "column names".
        close = difflib.get_close_matches(name, COLUMN_NAMES, n=1)
        where = name if name in COLUMN_BY_NAME or close else f"column {_letter(index)}"
        if name in seen:
            problems.append(
                Problem(file, 1, where, f"duplicate column (also column {_letter(seen[name])})")
            )
            continue
        seen[name] = index
        if name not in COLUMN_BY_NAME:
            if ignore_unknown:
                ignored.append(where)
                continue
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(Problem(file, 1, where, f"unknown column{hint}; see docs/batch.md"))
    if "case_id" not in seen:
        problems.append(Problem(file, 1, "case_id", "required column is missing from the header"))
    if problems:
        raise LoadError(problems)
    columns: list[str | None] = [n if n in COLUMN_BY_NAME or not n else None for n in names]
    return Header(columns=columns, ignored=ignored)


def _letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _to_raw(number: int, header: Header, values: list[object] | tuple[object, ...]) -> RawRow:
    row = RawRow(number)
    columns = header.columns
    width = len(columns)
    cells = row.cells
    for index, value in enumerate(values):
        if value is None:
            continue
        if value.__class__ is str:
            value = value.strip()  # type: ignore[union-attr]
            if not value:
                continue
        name = columns[index] if index < width else ""
        if name is None:  # an unknown column the user chose to ignore
            continue
        if not name:  # a value under no header would otherwise be lost without a word
            row.problems.append(
                CellProblem(
                    number,
                    f"{_letter(index)} (no header)",
                    "a value in a column that has no header",
                )
            )
            continue
        cells[name] = value
    return row


class InputFile:
    """A streaming reader over a CSV or XLSX batch file.

    Iterating yields `RawRow`s for every non-blank row (blank rows are counted in
    `blank_rows`). Problems with the file itself raise `LoadError` before the first row.
    """

    def __init__(self, path: str | Path, *, ignore_unknown: bool = False):
        self.path = Path(path)
        self.display = self.path.name
        self.ignore_unknown = ignore_unknown
        self.blank_rows = 0
        self.header: Header | None = None
        suffix = self.path.suffix.lower()
        if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
            raise LoadError([Problem(self.display, None, "", "expected a .csv or .xlsx file")])
        self.kind = "xlsx" if suffix in (".xlsx", ".xlsm") else "csv"
        if not self.path.is_file():
            raise LoadError([Problem(self.display, None, "", "no such file")])

    def count_rows(self) -> int | None:
        """Data rows (a fast pre-pass for the progress bar; may include blank rows)."""
        if self.kind == "csv":
            with self._open_csv() as handle:
                reader = csv.reader(handle, delimiter=self._delimiter(handle))
                count = 0
                try:
                    for _ in reader:
                        count += 1
                except csv.Error:
                    return None
                return max(count - 1, 0)
        sheet = self._open_sheet()
        try:
            last = sheet.last_row()
        finally:
            sheet.close()
        return max(last - 1, 0) if last else None

    def read_header(self) -> Header:
        """Read and check the header row only (raises LoadError)."""
        for _ in self._rows(header_only=True):
            pass
        assert self.header is not None
        return self.header

    def __iter__(self) -> Iterator[RawRow]:
        return self._rows()

    def _rows(self, header_only: bool = False) -> Iterator[RawRow]:
        if self.kind == "csv":
            yield from self._iter_csv(header_only)
        else:
            yield from self._iter_xlsx(header_only)

    # CSV -------------------------------------------------------------------------------------

    def _open_csv(self):  # noqa: ANN202
        # surrogateescape: bytes that are not UTF-8 become per-cell errors instead of stopping
        # the whole file; utf-8-sig drops Excel's byte-order mark.
        return open(  # noqa: SIM115
            self.path, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )

    @staticmethod
    def _delimiter(handle) -> str:  # noqa: ANN001
        first = handle.readline()
        handle.seek(0)
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] and counts[","] == 0 else ","

    def _iter_csv(self, header_only: bool) -> Iterator[RawRow]:
        with self._open_csv() as handle:
            reader = csv.reader(handle, delimiter=self._delimiter(handle), strict=True)
            try:
                first = next(reader)
            except StopIteration:
                raise LoadError([Problem(self.display, None, "", "the file is empty")]) from None
            except csv.Error as err:
                raise LoadError(
                    [Problem(self.display, 1, "", f"not a CSV header: {err}")]
                ) from None
            self.header = check_header(first, self.display, ignore_unknown=self.ignore_unknown)
            if header_only:
                return
            number = 1
            while True:
                number += 1
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as err:
                    row = RawRow(number)
                    message = str(err)
                    if "field larger" in message:
                        message = "a cell is too long (an unclosed quote can swallow rows)"
                    elif "EOF" in message or "unexpected end" in message:
                        message = (
                            "a quote is opened and never closed (later rows were read into it)"
                        )
                    row.problems.append(CellProblem(number, None, f"unreadable CSV: {message}"))
                    yield row
                    continue
                if not any(v.strip() for v in values):
                    self.blank_rows += 1
                    continue
                yield _to_raw(number, self.header, values)

    # XLSX ------------------------------------------------------------------------------------

    def _open_sheet(self) -> XlsxSheet:
        from secondlook.batch_xlsx import XlsxError, XlsxSheet  # not needed in workers

        try:
            return XlsxSheet(self.path)
        except XlsxError as err:
            raise LoadError([Problem(self.display, None, "", str(err))]) from None

    def _iter_xlsx(self, header_only: bool) -> Iterator[RawRow]:
        sheet = self._open_sheet()
        try:
            rows = sheet.rows()
            try:
                header_number, first = next(rows)
            except StopIteration:
                raise LoadError([Problem(self.display, None, "", "the sheet is empty")]) from None
            except ValueError as err:  # XlsxError
                raise LoadError([Problem(self.display, None, "", str(err))]) from None
            self.header = check_header(
                list(first), f"{self.display}", ignore_unknown=self.ignore_unknown
            )
            if header_only:
                return
            previous = header_number
            while True:
                try:
                    number, values = next(rows)
                except StopIteration:
                    return
                except ValueError as err:  # XlsxError: a damaged sheet, the rest is unreadable
                    row = RawRow(previous + 1)
                    row.problems.append(CellProblem(previous + 1, None, str(err)))
                    yield row
                    return
                self.blank_rows += number - previous - 1  # rows absent from the file
                previous = number
                if not any(cell_text(v) for v in values):
                    self.blank_rows += 1
                    continue
                yield _to_raw(number, self.header, values)
        finally:
            sheet.close()


# --------------------------------------------------------------------------------------------
# The template file


def template_rows() -> tuple[list[str], list[str]]:
    """The header and one fictional example row."""
    return list(COLUMN_NAMES), [c.example for c in COLUMNS]


def write_template(path: str | Path) -> Path:
    """Write a template (header + example row) as CSV or XLSX, chosen by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = template_csv_bytes()
    elif suffix == ".xlsx":
        data = template_xlsx_bytes()
    else:
        raise LoadError([Problem(path.name, None, "", "the template must be .csv or .xlsx")])
    from secondlook.batch import write_atomic

    write_atomic(path, data)
    return path


def template_csv_bytes() -> bytes:
    import io

    header, example = template_rows()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow(example)
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx_bytes() -> bytes:
    """An XLSX template: a `Cases` sheet (header + example, drop-downs, text-formatted id cells)
    and a `Columns` sheet describing every column."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Cases"
    header, example = template_rows()
    sheet.append(header)
    sheet.append([_xlsx_example(c) for c in COLUMNS])
    sheet.freeze_panes = "B2"
    for index, column in enumerate(COLUMNS):
        letter = _letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(14, min(len(column.name) + 2, 36))
        span = f"{letter}2:{letter}5000"
        if column.kind in ("answer", "choice"):
            options = ("yes", "no", "unknown") if column.kind == "answer" else column.choices
            rule = DataValidation(type="list", formula1=f'"{",".join(options)}"', allow_blank=True)
            rule.add(span)
            sheet.add_data_validation(rule)
        if column.kind in ("text", "zip", "id"):
            for row in range(2, 3):
                sheet[f"{letter}{row}"].number_format = "@"
        if column.kind == "date":
            sheet[f"{letter}2"].number_format = "yyyy-mm-dd"
    about = workbook.create_sheet("Columns")
    about.append(["column", "meaning", "accepted values", "example", "member data"])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        about.append(
            [
                column.name,
                column.help,
                accepted_values(column),
                column.example,
                "yes" if column.member_data else "",
            ]
        )
    about.column_dimensions["A"].width = 34
    about.column_dimensions["B"].width = 80
    about.column_dimensions["C"].width = 40
    for row in about.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_example(column: Column) -> object:
    if column.kind == "date" and column.example:
        return dt.date.fromisoformat(column.example)
    if column.kind == "int" and column.example:
        return int(column.example)
    return column.example or None


def accepted_values(column: Column) -> str:
    return {
        "id": "1-64 of A-Z a-z 0-9 . _ -",
        "text": f"text, at most {MAX_TEXT} characters",
        "long_text": f"text, at most {MAX_LONG_TEXT} characters",
        "date": "YYYY-MM-DD",
        "answer": "yes / no / unknown",
        "int": "whole number",
        "choice": " / ".join(column.choices),
        "state": "two-letter code",
        "zip": "12345 or 12345-6789",
        "letters": "auto or " + ", ".join(LETTER_TYPES),
    }[column.kind]
