"""Every shipped fictional notice is read field by field as its YAML says.

The expected values were written by tests/fixtures/notices/build.py from the values it printed
into each notice; they never came from the reader. A field listed under `known_misses` in a
notice's YAML is a documented miss (none today): the test then requires that it is still missed,
so an improvement shows up and the note gets removed.

Text PDFs run in the quick suite; notices that need OCR take a few seconds each and are `slow`.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from pathlib import Path

import pytest
import yaml
from PIL import Image

from coverage.case import Denial
from secondlook.notices import FIELD_NAMES, NoticeReading, read_notice
from secondlook.notices.text import normalise

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notices"
SPECS = sorted(FIXTURES.glob("*.yaml"))
OCR_SOURCES = {"scanned_pdf", "image", "mixed_pdf"}


def spec(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def needs_ocr(path: Path) -> bool:
    name = spec(path)["file"]
    return not name.endswith(".pdf") or "scan" in name


CASES = [
    pytest.param(path, id=path.stem, marks=[pytest.mark.slow] if needs_ocr(path) else [])
    for path in SPECS
]


@cache
def reading_of(name: str) -> NoticeReading:
    return read_notice((FIXTURES / name).read_bytes(), name)


def test_at_least_ten_notices_across_the_markets():
    specs = [spec(path) for path in SPECS]
    assert len(specs) >= 10
    markets = {s["expected"]["market"] for s in specs}
    assert markets == {
        "employer_group",
        "individual",
        "medicare_advantage",
        "medicaid_managed_care",
        "original_medicare",
    }
    assert {s["expected"]["level"] for s in specs} == {
        "initial",
        "internal_appeal",
        "final_internal",
    }
    assert any(s["expected"]["urgent"] for s in specs)
    kinds = {Path(s["file"]).suffix for s in specs}
    assert kinds == {".pdf", ".png", ".jpg", ".tiff"}
    for s in specs:
        assert (FIXTURES / s["file"]).is_file(), s["file"]
        assert set(s["expected"]) == set(FIELD_NAMES), s["file"]


@pytest.mark.parametrize("path", CASES)
def test_every_field_as_expected(path: Path):
    s = spec(path)
    reading = reading_of(s["file"])
    misses = s.get("known_misses") or {}
    wrong = {}
    values = reading.plain_values()
    for field in FIELD_NAMES:
        got = values[field]
        expected = s["expected"][field]
        if field in misses:
            assert got != expected, f"{field} is read now: remove it from known_misses"
        elif got != expected:
            wrong[field] = (got, expected)
    assert wrong == {}


@pytest.mark.parametrize("path", CASES)
def test_every_value_says_where_it_was_found(path: Path):
    """The patient is shown where each value came from: the page, the line and its text."""
    reading = reading_of(spec(path)["file"])
    pages = reading.pages_read
    for field, found in reading.values().items():
        assert 0 < found.confidence <= 1, field
        if found.page is None:  # assumed when the notice says nothing (level, urgent)
            assert field in ("level", "urgent"), field
            continue
        assert 1 <= found.page <= pages and found.line >= 1, field
        assert found.snippet and found.rule, field
        value = found.value
        if isinstance(value, str) and field not in ("market", "funding", "level", "service_type"):
            if field == "plan_name" and value == "Original Medicare":
                continue  # inferred from "Medicare Summary Notice"
            assert normalise(value)[:40] in normalise(found.snippet), field


@pytest.mark.parametrize("path", CASES)
def test_reading_prefills_a_valid_denial(path: Path):
    s = spec(path)
    expected = s["expected"]
    reading = reading_of(s["file"])
    denial = reading.to_denial()
    assert isinstance(denial, Denial)
    assert denial.notice_date == dt.date.fromisoformat(expected["notice_date"])
    assert denial.level == expected["level"]
    assert denial.reason_quoted == expected["reason_quoted"]
    assert denial.send_to is not None
    assert denial.send_to.address_lines == expected["send_to_address"]
    assert denial.send_to.fax == expected["send_to_fax"]
    paths = reading.case_fields()
    assert paths["denial.reason_quoted"] is reading.reason_quoted
    assert all(p.startswith("denial.") for p in paths)
    hints = reading.plan_hints()
    assert hints["market"].value == expected["market"]
    assert ("funding" in hints) == (expected["funding"] is not None)


def test_a_low_confidence_floor_leaves_weak_values_out():
    reading = reading_of("original-medicare-msn.pdf")
    assert reading.to_denial(min_confidence=0.0).notice_date is not None
    assert reading.to_denial(min_confidence=1.01) == Denial()


def test_copy_protected_pdf_is_still_read():
    """A PDF that forbids copying but opens without a password is read like any other."""
    data = (FIXTURES / "protected" / "copy-protected.pdf").read_bytes()
    reading = read_notice(data, "notice.pdf")
    assert reading.reference_number.value == "UM-2026-0418-337"
    assert reading.source == "text_pdf"


@pytest.mark.slow
def test_an_upside_down_scan_is_turned_and_read():
    """A page fed into the scanner the wrong way round reads as gibberish with low confidence;
    the reader then asks tesseract's orientation detection and reads it turned."""
    upside_down = io.BytesIO()
    Image.open(FIXTURES / "marketplace-epo-scan.png").rotate(180).save(upside_down, "PNG")
    reading = read_notice(upside_down.getvalue(), "scan.png")
    expected = spec(FIXTURES / "marketplace-epo-scan.yaml")["expected"]
    values = reading.plain_values()
    for field in ("plan_name", "notice_date", "reference_number", "reason_quoted", "send_to_fax"):
        assert values[field] == expected[field], field
