"""The batch spreadsheet's columns: flat, documented names mapped onto the nested `Case`.

`COLUMNS` is the one catalogue of the columns (name, kind, help, example, the `Case` field it
fills, whether it is member data); the readers, the row parser, the template, the navigator's
export and docs/batch.md (a test keeps that page in step) all read it. `column_for_field` maps a
`Case` field path back to the column that fills it, for messages that name the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

from coverage.determination import LetterType

LETTER_TYPES: tuple[str, ...] = get_args(LetterType)
AUTO = "auto"

Kind = Literal[
    "id", "text", "long_text", "date", "answer", "int", "choice", "state", "zip", "letters"
]

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
ADDRESS_PARTIES = {
    "patient": "patient.address_lines",
    "provider": "provider.address_lines",
    "physician": "referring_physician.address_lines",
    "denial_send_to": "denial.send_to.address_lines",
}


RECORDS_COLUMNS = {
    n: tuple(c.name for c in COLUMNS if c.name.startswith(f"records{n}_")) for n in (1, 2)
}


def column_for_field(path: str) -> str | None:
    """The column that fills a Case field path such as `provider.in_network` (or None)."""
    path = path.removeprefix("case.")
    if path in COLUMN_BY_FIELD:
        return COLUMN_BY_FIELD[path]
    if path.startswith("plan.") or path == "plan":
        return "plan"  # the plan's own data: the plan column chose it
    for prefix, target in ADDRESS_PARTIES.items():
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


def column_letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def accepted_values(column: Column) -> str:
    """What a column accepts, in words (the template's Columns sheet and the batch page)."""
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
