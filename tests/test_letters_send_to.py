"""The address on the denial notice wins over the plan file's (the notice governs)."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

import letters
from coverage.base import Contact
from secondlook import service

ROOT = Path(__file__).resolve().parent.parent


def text_of(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def test_external_review_goes_to_the_address_on_the_notice():
    case = service.load_case(ROOT / "examples/cases/ny-final-denial-external-review.yaml")
    plan = service.resolve_plan(case.plan)
    assert plan.external_review.contact is None  # only the notice says where
    text = text_of(
        letters.render_letter("external_review_request", case, plan, service.check(case))
    )
    assert "PO Box 7201" in text and "Albany, NY 12224" in text


def test_original_medicare_appeal_needs_the_contractor_address_from_the_msn():
    case = service.load_case(ROOT / "examples/cases/medicare-surgery-recommended.yaml")
    data = case.model_dump()
    data["denial"] = {"notice_date": "2026-05-20", "level": "initial"}
    data["referring_physician"] = {"name": "Dr. Test"}
    case = type(case).model_validate(data)
    plan = service.resolve_plan("original-medicare")
    with pytest.raises(letters.LetterError) as info:
        letters.render_letter("appeal", case, plan, service.check(case))
    assert "denial.send_to" in str(info.value)

    case.denial.send_to = Contact(
        department="Example Medicare Administrative Contractor",
        address_lines=["PO Box 9999", "Example City, FL 32201"],
    )
    case = type(case).model_validate(case.model_dump())
    text = text_of(letters.render_letter("appeal", case, plan, service.check(case)))
    assert "PO Box 9999" in text and "Redetermination" in text
