"""The plan catalog and the law book, loaded from data/ and cached per file.

A file is re-read only when its size or modification time changes, so a warm reload of a large
catalog costs one stat() per file.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from coverage.law import CoverageRule, LawBook, Parameter
from coverage.loader import (
    LoadError,
    Problem,
    display_path,
    parse_model,
    parse_yaml,
    problems_from_validation,
    read_text,
)
from coverage.plan import Plan

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
PLANS_DIR = DATA_DIR / "plans"
RULES_DIR = DATA_DIR / "rules"

_cache_lock = threading.Lock()
_file_cache: dict[tuple[str, str], tuple[tuple[int, int], object]] = {}


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size)


def _cached(kind: str, path: Path, build):  # noqa: ANN001
    key = (kind, str(path))
    stamp = _stat_key(path)
    with _cache_lock:
        hit = _file_cache.get(key)
    if hit and hit[0] == stamp:
        return hit[1]
    value = build(path)
    with _cache_lock:
        _file_cache[key] = (stamp, value)
    return value


def clear_cache() -> None:
    with _cache_lock:
        _file_cache.clear()


def load_plan_file(path: Path) -> Plan:
    text = read_text(path)
    shown = display_path(path)
    plan = parse_model(Plan, text, shown)
    if plan.id != path.stem:
        raise LoadError([Problem(shown, 1, "id", f"id {plan.id!r} must match the file name")])
    return plan


@dataclass(frozen=True)
class Catalog:
    plans: dict[str, Plan]

    def get(self, plan_id: str) -> Plan:
        try:
            return self.plans[plan_id]
        except KeyError:
            raise KeyError(f"no plan with id {plan_id!r}") from None

    def search(self, text: str = "", **filters: str) -> list[Plan]:
        words = text.lower().split()
        found = []
        for plan in self.plans.values():
            haystack = " ".join(
                [plan.id, plan.name, plan.issuer, plan.market, plan.situs_state or ""]
            ).lower()
            if all(w in haystack for w in words) and all(
                getattr(plan, key) == value for key, value in filters.items() if value
            ):
                found.append(plan)
        return sorted(found, key=lambda p: (p.issuer, p.name))


def plan_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def load_catalog(directory: Path = PLANS_DIR) -> Catalog:
    """Load every plan; all problems in all files are reported together."""
    plans: dict[str, Plan] = {}
    problems: list[Problem] = []
    for path in plan_files(directory):
        try:
            plan = _cached("plan", path, load_plan_file)
        except LoadError as err:
            problems.extend(err.problems)
            continue
        plans[plan.id] = plan
    if problems:
        raise LoadError(problems)
    return Catalog(plans)


def _load_parameter_file(path: Path) -> dict[str, Parameter]:
    text = read_text(path)
    shown = display_path(path)
    data = parse_yaml(text, shown)
    if not isinstance(data, dict) or not data:
        raise LoadError([Problem(shown, 1, "", "expected a mapping of parameter name: definition")])
    out: dict[str, Parameter] = {}
    problems: list[Problem] = []
    for name, body in data.items():
        try:
            out[f"{path.stem}.{name}"] = Parameter.model_validate(body)
        except ValidationError as err:
            problems.extend(problems_from_validation(err, text, shown, prefix=(name,)))
    if problems:
        raise LoadError(problems)
    return out


def _load_rule_file(path: Path) -> CoverageRule:
    return parse_model(CoverageRule, read_text(path), display_path(path))


def load_lawbook(directory: Path = RULES_DIR) -> LawBook:
    parameters: dict[str, Parameter] = {}
    rules: list[CoverageRule] = []
    problems: list[Problem] = []
    for path in sorted((directory / "parameters").glob("*.yaml")):
        try:
            parameters.update(_cached("params", path, _load_parameter_file))
        except LoadError as err:
            problems.extend(err.problems)
    for sub in ("federal", "states"):
        for path in sorted((directory / sub).rglob("*.yaml")):
            try:
                rule = _cached("rule", path, _load_rule_file)
            except LoadError as err:
                problems.extend(err.problems)
                continue
            if rule.layer != ("federal" if sub == "federal" else "state"):
                problems.append(
                    Problem(display_path(path), 1, "layer", f"layer {rule.layer!r} in {sub}/")
                )
            rules.append(rule)
    seen: dict[str, int] = {}
    for rule in rules:
        seen[rule.id] = seen.get(rule.id, 0) + 1
    problems.extend(
        Problem(str(directory), None, "id", f"rule id {rid!r} used {n} times")
        for rid, n in seen.items()
        if n > 1
    )
    if problems:
        raise LoadError(problems)
    return LawBook(parameters=parameters, rules=sorted(rules, key=lambda r: (r.priority, r.id)))
