"""Which appeal step comes next after a denial: one rule for the engine and the letters."""

from __future__ import annotations

from typing import Literal

from coverage.case import Denial
from coverage.markets import profile
from coverage.plan import Plan

NextStep = Literal["internal_appeal", "external_review", "none"]


def next_appeal_step(plan: Plan, denial: Denial) -> NextStep:
    """The step the patient takes next, from the market's appeal route (its profile).

    The payer decides its own levels first (employer plans: the plan's levels, at most two;
    individual plans: one; Medicare: the redetermination; Medicare Advantage: the
    reconsideration; Medicaid: one plan appeal). After the last of them, either the patient asks
    for the next review (external review, QIC reconsideration, State fair hearing) or the plan
    must forward the case itself (Medicare Advantage), and there is nothing for the patient to
    file."""
    if denial.level == "initial":
        return "internal_appeal"
    route = profile(plan.market)
    levels = route.internal_levels(plan.appeals.levels)
    if denial.level == "internal_appeal" and levels > 1:
        return "internal_appeal"
    if route.appeals.after_internal != "external_review":
        return "none"
    # A grandfathered plan need not offer the ACA's external review; a plan may have none.
    grandfathered = plan.grandfathered and route.features.grandfathering
    return "none" if grandfathered or plan.external_review.route == "none" else "external_review"
