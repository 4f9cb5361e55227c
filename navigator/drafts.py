"""Unsaved edits of a case's facts, kept when a save is refused because a colleague saved first.

The page keeps what the navigator had typed (the form's values that differ from the version the
form showed) and, once the latest version is loaded, lists each field with their value and the
current one, and can put their values back into the form. The values are the member's data:
they are shown to the navigator whose work they are, and never logged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from coverage.case import Case
from navigator import case_form


@dataclass(frozen=True)
class Draft:
    """The edits (form values by path) typed over `base_version`, refused by a conflict."""

    case_id: int
    base_version: int
    edits: dict[str, Any]


@dataclass(frozen=True)
class EditRow:
    path: str
    label: str
    yours: str
    current: str


def unsaved_edits(shown: dict[str, Any], typed: dict[str, Any]) -> dict[str, Any]:
    """The typed form values that differ from what the form showed (`case_form.form_values`)."""
    return {path: value for path, value in typed.items() if shown.get(path) != value}


def keep(case_id: int, base_version: int, shown: dict[str, Any], typed: dict[str, Any]) -> Draft:
    return Draft(case_id, base_version, unsaved_edits(shown, typed))


def rows(draft: Draft, latest: Case, plans: dict[str, str]) -> list[EditRow]:
    """Each edited field: its label, the navigator's value and the latest version's value, in
    words (plan names, choice labels, "(empty)"), in the form's order."""
    current = case_form.form_values(latest, list(plans))
    order = list(current) + [p for p in draft.edits if p not in current]
    return [
        EditRow(
            path,
            case_form.label(path),
            shown_value(path, draft.edits[path], plans),
            shown_value(path, current.get(path), plans),
        )
        for path in order
        if path in draft.edits
    ]


def reapply(draft: Draft, latest: Case, plans: list[str]) -> dict[str, Any]:
    """The form's values for the latest version with the navigator's edits put back on top."""
    values = case_form.form_values(latest, plans)
    values.update(draft.edits)
    return values


def shown_value(path: str, value: Any, plans: dict[str, str]) -> str:  # noqa: ANN401
    """A form value in words for the unsaved-edits list."""
    if value is None or value == case_form.BLANK:
        return "(empty)"
    field = next((f for f in case_form.ALL_FIELDS if f.path == path), None)
    if field is not None and field.kind in ("tri", "choice"):
        return dict(field.choices()).get(value, str(value))
    if field is not None and field.kind == "plan":
        return plans.get(value, str(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
