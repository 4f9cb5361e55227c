"""Shared helpers for tests/test_letters_*.py: fixture cases and plans, text extraction.

Fixtures live in tests/fixtures/letters/ (frozen copies of example plans with the contacts the
letters need, and fictional cases), so the goldens do not move when the shipped examples do.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from pathlib import Path

from coverage.case import Case
from coverage.determination import Determination
from coverage.plan import Plan

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "letters"
GOLDEN = ROOT / "tests" / "golden" / "letters"
TODAY = dt.date(2026, 6, 1)

# scenario (case file stem) -> plan fixture id
SCENARIOS = {
    "commercial-network-gap": "letters-mo-insured-ppo",
    "commercial-denied": "letters-mo-insured-ppo",
    "commercial-final": "letters-mo-insured-ppo",
    "self-funded-urgent": "letters-mo-self-funded-ppo",
    "medicare-denied": "letters-original-medicare",
    "medicare-redetermined": "letters-original-medicare",
    "ma-new": "letters-ma-hmo",
    "ma-denied-urgent": "letters-ma-hmo",
    "medicaid-new": "letters-medicaid-mco",
    "medicaid-denied": "letters-medicaid-mco",
    "medicaid-appeal-denied": "letters-medicaid-mco",
}

# One golden per letter type, then the Medicare and Medicaid variants.
GOLDEN_CASES = [
    ("commercial-network-gap", "preauth_request"),
    ("commercial-network-gap", "network_exception_request"),
    ("commercial-denied", "appeal"),
    ("self-funded-urgent", "expedited_appeal"),
    ("commercial-final", "external_review_request"),
    ("commercial-denied", "claim_file_request"),
    ("commercial-network-gap", "records_request"),
    ("commercial-network-gap", "physician_letter"),
    ("self-funded-urgent", "external_review_request"),
    ("medicare-denied", "appeal"),
    ("medicare-redetermined", "external_review_request"),
    ("ma-new", "preauth_request"),
    ("ma-denied-urgent", "appeal"),
    ("ma-denied-urgent", "expedited_appeal"),
    ("medicaid-new", "preauth_request"),
    ("medicaid-denied", "appeal"),
    ("medicaid-appeal-denied", "external_review_request"),
]


def plan_path(plan_id: str) -> Path:
    return FIXTURES / "plans" / f"{plan_id}.yaml"


def case_path(scenario: str) -> Path:
    return FIXTURES / "cases" / f"{scenario}.yaml"


@cache
def scenario(name: str) -> tuple[Case, Plan, Determination]:
    from secondlook import service

    case = service.load_case(case_path(name))
    plan = service.load_plan_argument(str(plan_path(SCENARIOS[name])))
    return case, plan, service.check(case, plan)


def docx_text(data: bytes) -> str:
    """The letter as text: body paragraphs, then the footer; one paragraph per line."""
    from docx import Document

    document = Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for section in document.sections:
        lines.append("--- footer ---")
        lines.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(lines) + "\n"
