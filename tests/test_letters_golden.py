"""Golden text for every letter type and the Medicare and Medicaid variants.

The text extracted from the .docx (paragraphs, then the footer) is compared with
tests/golden/letters/<scenario>__<letter type>.txt. After an intended wording change,
regenerate and review the diff:

    SECONDLOOK_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_letters_golden.py
"""

from __future__ import annotations

import os

import pytest
from letters_support import GOLDEN, GOLDEN_CASES, TODAY, docx_text, scenario

import letters

UPDATE = os.environ.get("SECONDLOOK_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize(("name", "letter_type"), GOLDEN_CASES, ids=lambda v: v)
def test_letter_text_matches_golden(name: str, letter_type: str):
    case, plan, determination = scenario(name)
    text = docx_text(letters.render_letter(letter_type, case, plan, determination, today=TODAY))
    path = GOLDEN / f"{name}__{letter_type}.txt"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path.name}: run with SECONDLOOK_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_every_letter_type_has_a_golden():
    assert {t for _, t in GOLDEN_CASES} == set(letters.LETTER_TYPES)


def test_no_stale_golden_files():
    expected = {f"{name}__{letter_type}.txt" for name, letter_type in GOLDEN_CASES}
    assert {p.name for p in GOLDEN.glob("*.txt")} <= expected
