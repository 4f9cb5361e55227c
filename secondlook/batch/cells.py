"""One cell's value, checked and converted for its column's kind (date, yes/no, ZIP, ...).

`convert(column, value)` returns the value the `Case` takes or raises `CellError` with a message
that never repeats the cell's content. Values arrive as the readers give them: text from CSV;
text, numbers, booleans or dates from XLSX.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from coverage.base import US_STATES
from secondlook.batch.columns import AUTO, LETTER_TYPES, MAX_LONG_TEXT, MAX_TEXT, Column

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

ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CASE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
SPREADSHEET_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!"})


# Dates outside these years are typing mistakes (a date of birth 1856, a notice in 9999) and
# would make deadline arithmetic overflow.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


class _UnsavedFormula:
    """An XLSX formula cell saved without its result (files written by scripts): its value is
    not in the file, and reading it as blank would lose data without a word."""

    def __repr__(self) -> str:
        return "formula without a saved result"


UNSAVED_FORMULA = _UnsavedFormula()


class CellError(ValueError):
    """A cell that does not fit its column; the message names the problem, not the value."""


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


def is_plain_text(value: str, limit: int = MAX_TEXT) -> bool:
    """Text that needs no conversion (the common case: every CSV cell of a text column)."""
    return len(value) <= limit and value.isprintable() and value not in SPREADSHEET_ERRORS


def text(value: object, limit: int = MAX_TEXT) -> str:
    if isinstance(value, str):
        if is_plain_text(value, limit):
            return value
    elif isinstance(value, dt.date | dt.time):
        raise CellError("the spreadsheet turned this cell into a date; format the column as Text")
    content = cell_text(value)
    if content in SPREADSHEET_ERRORS:
        raise CellError(f"the cell holds the spreadsheet error {content}")
    bad = _CONTROL.search(content)
    if bad:
        if "\udc80" <= bad.group() <= "\udcff":
            raise CellError("not valid UTF-8 text (save the file as 'CSV UTF-8')")
        raise CellError("contains control characters")
    if len(content) > limit:
        raise CellError(f"longer than {limit} characters")
    return content


def date(value: object) -> dt.date:
    day = _calendar_date(value)
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError(
            f"a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}, e.g. 2026-03-14"
        )
    return day


def _calendar_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError("a number, not a date: format the column as Date or type YYYY-MM-DD")
    match = ISO_DATE.match(cell_text(value))
    if not match:
        raise CellError("not a date: use YYYY-MM-DD, e.g. 2026-03-14")
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise CellError("not a real calendar date (YYYY-MM-DD)") from None


def answer(value: object) -> str:
    if isinstance(value, str) and (found := ANSWER_SPELLINGS.get(value.lower())):
        return found
    if isinstance(value, bool):
        return "yes" if value else "no"
    lowered = cell_text(value).lower()
    if lowered in ANSWER_SPELLINGS:
        return ANSWER_SPELLINGS[lowered]
    raise CellError("expected yes, no or unknown")


def whole_number(value: object) -> int:
    content = cell_text(value)
    if not re.fullmatch(r"-?\d+", content):
        raise CellError("expected a whole number")
    return int(content)


def letter_types(value: object) -> tuple[str, ...]:
    words = [w for w in re.split(r"[\s,;]+", cell_text(value).lower()) if w]
    if words == [AUTO]:
        return (AUTO,)
    unknown = [w for w in words if w not in LETTER_TYPES]
    if unknown or not words:  # the words are not repeated: a shifted column holds member data
        what = f"{len(unknown)} word{'s are' if len(unknown) > 1 else ' is'} not a letter type"
        raise CellError(
            f"{what if unknown else 'no letter type'}: use auto or "
            f"{', '.join(LETTER_TYPES)}, separated by spaces or commas"
        )
    return tuple(dict.fromkeys(words))


def choice(value: object, column: Column) -> str:
    content = cell_text(value).lower().replace("-", "_").replace(" ", "_")
    for option in column.choices:  # `ppo` is PPO: the model's own spelling is kept
        if option.lower() == content:
            return option
    raise CellError(f"expected one of {', '.join(column.choices)}")


def state(value: object) -> str:
    content = cell_text(value).upper()
    if content not in US_STATES:
        raise CellError("expected a two-letter state or territory code, e.g. NY")
    return content


def zip_code(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e5:
        value = f"{int(value):05d}"  # Excel drops the leading zero of 02134
    content = cell_text(value)
    if not _ZIP.match(content):
        raise CellError("expected a ZIP code: 12345 or 12345-6789")
    return content


def case_id(value: object) -> str:
    content = cell_text(value)
    if not _CASE_ID.match(content):
        raise CellError("use 1-64 letters, digits, '.', '_' or '-'")
    return content


def shown_case_id(value: object) -> str:
    """A row's case id as the manifest shows it: blank unless it is a valid id (an invalid
    one may be a patient's name from a shifted column)."""
    content = cell_text(value)
    return content if _CASE_ID.match(content) else ""


_CONVERTERS: dict[str, Callable[[object, Column], Any]] = {
    "date": lambda value, _: date(value),
    "answer": lambda value, _: answer(value),
    "int": lambda value, _: whole_number(value),
    "letters": lambda value, _: letter_types(value),
    "choice": choice,
    "state": lambda value, _: state(value),
    "zip": lambda value, _: zip_code(value),
    "id": lambda value, _: case_id(value),
    "text": lambda value, _: text(value, MAX_TEXT),
    "long_text": lambda value, _: text(value, MAX_LONG_TEXT),
}


def convert(column: Column, value: object) -> Any:
    """The value for the `Case` (raises CellError)."""
    return _CONVERTERS[column.kind](value, column)
