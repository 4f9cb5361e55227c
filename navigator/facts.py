"""Case facts: the `coverage.case.Case` model as stored JSON, edits by field path, and diffs.

Errors name the field by its label on the case form and never echo the value.
"""

from __future__ import annotations

from typing import Any

from coverage import fields
from coverage.case import Case
from navigator.case_form import label
from navigator.errors import FieldProblem


def to_json(case: Case) -> dict[str, Any]:
    return case.model_dump(mode="json", exclude_none=False)


def from_json(data: dict[str, Any]) -> Case:
    return Case.model_validate(data)


def field_problem(issues: list[fields.Issue]) -> FieldProblem:
    """Issues from the case-field registry as the navigator's FieldProblem: keyed by field
    path, in plain words, each field named by its label on the case form."""
    problems: dict[str, str] = {}
    for issue in issues:
        problems.setdefault(issue.key, fields.sentence(issue.message("en", label)))
    return FieldProblem(problems, {key: label(key) for key in problems})


def apply_changes(case: Case, changes: dict[str, Any]) -> Case:
    """A new Case with `changes` ({"patient.name": "...", "denial.level": "initial"}) applied.

    Written by the case-field registry's one path-setter (`coverage.fields.build`): blank text
    becomes None; the denial and where to send the appeal exist while one of their fields says
    something; records holders are `records_from.N.<field>`. Bad values are a FieldProblem
    naming each field.
    """
    try:
        return fields.build(case, changes)
    except fields.FieldErrors as err:
        raise field_problem(err.issues) from None


def diff_paths(old: Case, new: Case) -> list[str]:
    """Field paths whose values differ (names only: never the values)."""
    out: list[str] = []
    _diff(to_json(old), to_json(new), "", out)
    return out


def _diff(a: Any, b: Any, prefix: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            _diff(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{prefix}[{i}]", out)
    elif a != b:
        out.append(prefix or "(case)")
