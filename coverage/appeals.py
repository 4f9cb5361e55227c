"""Which appeal step comes next after a denial: one rule for the engine and the letters."""

from __future__ import annotations

from typing import Literal

from coverage.case import Denial
from coverage.plan import Plan

NextStep = Literal["internal_appeal", "external_review", "none"]


def next_appeal_step(plan: Plan, denial: Denial) -> NextStep:
    """The step the patient takes next.

    Employer and individual plans: internal appeals until the plan's last level (group plans at
    most two, individual one), then external review. Original Medicare: redetermination, then
    reconsideration by the QIC. Medicare Advantage: reconsideration; after that the plan itself
    forwards the case to the Independent Review Entity (42 CFR 422.590, 422.592). Medicaid
    managed care: one plan appeal, then a State fair hearing."""
    if denial.level == "initial":
        return "internal_appeal"
    match plan.market:
        case "employer_group" | "individual":
            final = denial.level == "final_internal" or plan.appeals.levels <= 1
            return "external_review" if final else "internal_appeal"
        case "medicare_advantage":
            return "none"
        case _:
            return "external_review"
