"""The batch spreadsheet's columns: flat, documented names mapped onto the nested `Case`.

The columns are derived from the case-field registry (`coverage.fields`): each field with a batch
column becomes one column (an address becomes its line 1, line 2, city, state and ZIP columns;
a records holder's fields become `records1_...` and `records2_...`), in the registry's order,
with the registry's description, example and member-data flag. `letters` is the one column of
the batch's own. The readers, the row parser, the template, the navigator's export and
docs/batch.md (a test keeps that page in step) all read `COLUMNS`; `column_for_key` maps a
registry key (`records_from.1.name`) back to the column that fills it, for messages that name
the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from coverage import fields
from coverage.determination import LetterType

LETTER_TYPES: tuple[str, ...] = get_args(LetterType)
AUTO = "auto"
RECORDS_HOLDERS = 2  # records holders a row can name

Kind = Literal[
    "id", "text", "long_text", "date", "answer", "int", "choice", "state", "zip", "letters"
]

MAX_TEXT = fields.MAX_TEXT  # characters in an ordinary cell
MAX_LONG_TEXT = fields.MAX_LONG_TEXT  # notes and the quoted denial reason


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
    key: str = ""  # the registry key the column writes (an address part: the address's key)


_BATCH_KINDS: dict[str, Kind] = {
    "case_id": "id",
    "long_text": "long_text",
    "date": "date",
    "answer": "answer",
    "count": "int",
    "choice": "choice",
    "state": "state",
}
# Column words of the batch's own: the address parts and the `letters` column.
_ADDRESS_PARTS = (
    ("address_line1", "text", "{who}: street address."),
    ("address_line2", "text", "{who}: suite, unit or building."),
    ("city", "text", "{who}: city."),
    ("state", "state", "{who}: state (two letters)."),
    ("zip", "zip", "{who}: ZIP code (12345 or 12345-6789)."),
)
_LETTERS = Column(
    "letters",
    "letters",
    "Letters for this row, overriding `--letter`: `auto` or letter types separated by spaces "
    "or commas.",
)


def _address_columns(spec: fields.FieldSpec, prefix: str, key: str, who: str, first: bool):
    examples = spec.example if first and isinstance(spec.example, tuple) else ("",) * 5
    columns = []
    for (part, kind, words), example in zip(_ADDRESS_PARTS, examples, strict=True):
        if part == "state" and prefix == "patient":
            continue  # the patient's state is `patient_state`, which the engine also uses
        member = spec.member_data and part != "state"
        columns.append(
            Column(
                f"{prefix}_{part}", kind, words.format(who=who), example, "", member, (), False, key
            )  # type: ignore[arg-type]
        )
    return columns


def _columns_of(spec: fields.FieldSpec, n: int | None = None) -> list[Column]:
    words = fields.text("en").fields[spec.key]["column"]
    name = spec.column.format(n=n) if n else spec.column
    key = spec.key.replace(fields.LIST_ITEMS, str(n - 1)) if n else spec.key
    first = n in (None, 1)
    if n:
        words = words.format(n=n)
    if spec.kind == "address":
        return _address_columns(spec, name, key, words, first)
    example = spec.example if first and isinstance(spec.example, str) else ""
    return [
        Column(
            name=name,
            kind=_BATCH_KINDS.get(spec.kind, "text"),
            help=words,
            example=example,
            field="" if n else spec.key,
            member_data=spec.member_data,
            choices=spec.options() if spec.kind == "choice" else (),
            required=spec.required_in_batch,
            key=key,
        )
    ]


def _build() -> tuple[Column, ...]:
    columns: list[Column] = []
    specs = [s for s in fields.FIELDS if s.column]
    index = 0
    while index < len(specs):
        spec = specs[index]
        if spec.in_list:  # a list item's fields, once per holder
            group = [
                s
                for s in specs[index:]
                if s.in_list and s.key.split(".")[0] == spec.key.split(".")[0]
            ]
            for n in range(1, RECORDS_HOLDERS + 1):
                for member in group:
                    columns += _columns_of(member, n)
            index += len(group)
            continue
        columns += _columns_of(spec)
        if spec.key == "as_of":
            columns.append(_LETTERS)
        index += 1
    return tuple(columns)


COLUMNS: tuple[Column, ...] = _build()
COLUMN_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(COLUMN_BY_NAME)
# Case field path -> column, for mapping the engine's info_needed back.
COLUMN_BY_FIELD: dict[str, str] = {c.field: c.name for c in COLUMNS if c.field}
_COLUMN_BY_KEY: dict[str, str] = {}
for _column in COLUMNS:
    _COLUMN_BY_KEY.setdefault(_column.key, _column.name)  # an address: its line 1
# An address's registry key -> the prefix of its columns (`provider` for provider_city, ...).
ADDRESSES: dict[str, str] = {
    c.key: c.name.removesuffix("_address_line1") for c in COLUMNS if c.name.endswith("_line1")
}


def column_for_key(key: str) -> str | None:
    """The column that fills a registry key (`provider.npi`, `records_from.1.name`)."""
    return _COLUMN_BY_KEY.get(key)


def column_for_field(path: str) -> str | None:
    """The column that fills a Case field path such as `provider.in_network`,
    `case.records_from[1].fax` or `denial` (its first column), or None."""
    key = fields.key_for_path(path)
    if key == "plan" or key.startswith("plan."):
        return "plan"  # the plan's own data: the plan column chose it
    if key in _COLUMN_BY_KEY:
        return _COLUMN_BY_KEY[key]
    parts = key.split(".")
    if parts[0] in fields.LISTS and (len(parts) == 1 or not parts[1].isdigit()):
        parts.insert(1, "0")  # a list's field without an index: the first item's column
    if parts[0] in fields.LISTS and len(parts) == 2:
        parts.append("name")  # a list item: its name column
    key = ".".join(parts)
    if key in _COLUMN_BY_KEY:
        return _COLUMN_BY_KEY[key]
    for column in COLUMNS:  # a part or a field below one: its first column
        if column.key.startswith(key + ".") or key.startswith(column.key + "."):
            return column.name
    return None


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
