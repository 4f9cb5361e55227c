"""The coverage answer for a stored case, from the one service layer (`secondlook.service`).

A case without a plan, a plan that cannot be loaded, or an engine error gives no answer and a
reason in words; the reason never contains member data (an unexpected error is reported by its
type only).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from coverage.case import Case
from coverage.determination import Deadline, Determination
from coverage.loader import LoadError

log = logging.getLogger(__name__)
PLAN_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,100}$")


@dataclass(frozen=True)
class CoverageResult:
    determination: Determination | None
    error: str | None = None
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def json(self) -> dict[str, Any] | None:
        if self.determination is None:
            return None
        return self.determination.model_dump(mode="json")


def _service():  # noqa: ANN202
    from secondlook import service  # imported late: the service layer is optional at import

    return service


def check(case: Case, as_of: dt.date | None = None) -> CoverageResult:
    try:
        service = _service()
    except ImportError:
        return CoverageResult(None, "The coverage check (secondlook.service) is not installed.")
    if not case.plan and not service.has_reported_plan(case):
        return CoverageResult(
            None,
            "No plan chosen yet: choose the patient's plan to check, or for a plan not in the "
            "catalog say how it was obtained.",
        )
    if case.plan and not PLAN_ID_RE.match(case.plan):
        return CoverageResult(
            None, "The plan must be a plan id from the catalog (file paths are not allowed here)."
        )
    try:
        plan = service.plan_for(case)
    except (KeyError, FileNotFoundError) as exc:
        # Unknown plan id or path: the message names the plan, which is not member data.
        return CoverageResult(None, f"The plan could not be used: {_plain(exc)}")
    except LoadError as exc:
        reasons = "; ".join(p.message for p in exc.problems) or str(exc)
        return CoverageResult(None, f"The plan could not be used: {reasons}")
    try:
        determination = service.check(case, plan=plan, as_of=as_of)
    except Exception as exc:  # noqa: BLE001 - any engine failure becomes a reason, never a crash
        log.warning("coverage check failed: %s", type(exc).__name__)
        return CoverageResult(None, f"The coverage check failed ({type(exc).__name__}).")
    return CoverageResult(determination, None, list(determination.deadlines))


def _plain(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, KeyError) and len(exc.args) == 1:
        text = str(exc.args[0])
    return text


def plan_choices() -> list[tuple[str, str]]:
    """(plan id, "name (issuer)") for the shipped catalog; empty when it cannot be loaded."""
    try:
        catalog = _service().catalog()
    except Exception as exc:  # noqa: BLE001
        log.warning("plan catalog unavailable: %s", type(exc).__name__)
        return []
    plans = getattr(catalog, "plans", {})
    return sorted(((pid, f"{p.name} ({p.issuer})") for pid, p in plans.items()), key=lambda x: x[1])
