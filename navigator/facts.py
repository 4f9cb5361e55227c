"""Case facts: the `coverage.case.Case` model as stored JSON, edits by field path, and diffs.

Errors name the field path and never echo the value (the model hides input in errors).
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import ValidationError

from coverage.base import Contact
from coverage.case import Case, Denial
from navigator.errors import FieldProblem

# Sub-objects that are None unless one of their fields has a value.
OPTIONAL_PARENTS: dict[str, type] = {"denial": Denial, "denial.send_to": Contact}


def to_json(case: Case) -> dict[str, Any]:
    return case.model_dump(mode="json", exclude_none=False)


def from_json(data: dict[str, Any]) -> Case:
    return Case.model_validate(data)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(case)"


def problems_from(error: ValidationError) -> dict[str, str]:
    problems: dict[str, str] = {}
    for err in error.errors(include_input=False, include_url=False):
        message = err["msg"]
        if err["type"] == "string_pattern_mismatch":
            message = "is not in the expected format"
        problems.setdefault(_path(err["loc"]), message)
    return problems


def validate(data: dict[str, Any]) -> Case:
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise FieldProblem(problems_from(exc)) from None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def apply_changes(case: Case, changes: dict[str, Any]) -> Case:
    """A new Case with `changes` ({"patient.name": "...", "denial.level": "initial"}) applied.

    Blank strings become None. A sub-object that may be absent (`denial`, `denial.send_to`) is
    created when one of its fields gets a value and removed when all of its fields are blank or
    at their defaults.
    """
    data = copy.deepcopy(to_json(case))
    touched_parents: set[str] = set()
    for path, raw in changes.items():
        value = None if _blank(raw) else raw.strip() if isinstance(raw, str) else raw
        parts = path.split(".")
        node = data
        for part in parts[:-1]:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
        for depth in range(1, len(parts)):
            parent = ".".join(parts[:depth])
            if parent in OPTIONAL_PARENTS:
                touched_parents.add(parent)
    # Deepest first, so an emptied `denial.send_to` can leave `denial` empty too.
    for parent in sorted(touched_parents, key=lambda p: -p.count(".")):
        *above, last = parent.split(".")
        holder = data
        for part in above:
            holder = holder.get(part) or {}
        sub = holder.get(last)
        defaults = _defaults(OPTIONAL_PARENTS[parent])
        if isinstance(sub, dict) and all(_empty(v) or v == defaults.get(k) for k, v in sub.items()):
            holder[last] = None
    return validate(data)


def _empty(value: Any) -> bool:
    return _blank(value) or value == []


def _defaults(model: type) -> dict[str, Any]:
    return {
        name: f.default
        for name, f in model.model_fields.items()
        if f.default is not None and not callable(f.default)
    }


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
