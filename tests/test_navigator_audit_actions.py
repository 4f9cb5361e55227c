"""Every action the workspace writes to the audit log is one the log's vocabulary names
(navigator.audit.Action), so a type checker and a reader of the log both know it."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

from navigator import audit

ROOT = Path(__file__).resolve().parents[1]


def recorded_actions() -> dict[str, list[str]]:
    """{action: [file:line, ...]} for each literal action passed to audit.record (or a page's
    `_audit` helper), in the navigator package and the app's pages."""
    found: dict[str, list[str]] = {}
    for path in [*ROOT.glob("navigator/*.py"), *ROOT.glob("app_pages/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            position = {"record": 1, "_audit": 0}.get(name)
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(argument.value, []).append(where)
            elif isinstance(argument, ast.IfExp):  # "task_done" if done else "task_reopen"
                for branch in (argument.body, argument.orelse):
                    if isinstance(branch, ast.Constant):
                        found.setdefault(branch.value, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_recorded_action_is_in_the_vocabulary():
    found = recorded_actions()
    assert {"case_create", "task_add", "task_done", "task_reopen", "letter_sent"} <= set(found)
    unknown = {
        action: where for action, where in found.items() if action not in get_args(audit.Action)
    }
    assert unknown == {}
