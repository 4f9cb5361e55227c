"""The sentences of law a letter states are worded once and shared by the letters that state
the same law (letters/law_text.py): the same words as worded afresh, in each voice and language."""

from __future__ import annotations

import pytest
from letters_support import GOLDEN_CASES, TODAY, scenario

import letters
import letters.law_text as law_text

HELPER = letters.Representative(name="Sam Helper", email="sam@example.org")
WAYS = [{}, {"representative": HELPER}, {"language": "es"}]


def law_of(name: str, letter_type: str, **how) -> list[str]:
    case, plan, determination = scenario(name)
    context = letters.build_context(letter_type, case, plan, determination, today=TODAY, **how)
    return list(getattr(context, "law", [])) + list(getattr(context, "mandates", []))


@pytest.mark.parametrize(("name", "letter_type"), GOLDEN_CASES, ids=lambda v: v)
def test_shared_law_is_the_law_worded_afresh(name, letter_type):
    alone = {}
    for index, how in enumerate(WAYS):
        if letter_type == "physician_letter" and "representative" in how:
            continue
        law_text._SAID.clear()
        alone[index] = law_of(name, letter_type, **how)
    law_text._SAID.clear()
    for _ in range(2):  # every way after the others, from what they left in the cache
        for index, expected in alone.items():
            assert law_of(name, letter_type, **WAYS[index]) == expected, WAYS[index]


def test_each_voice_and_language_has_its_own_sentences():
    law_text._SAID.clear()
    patient = law_of("commercial-denied", "appeal")
    count = len(law_text._SAID._entries)
    spanish = law_of("commercial-denied", "appeal", language="es")
    law_of("commercial-denied", "appeal", representative=HELPER)
    assert patient and spanish != patient
    assert len(law_text._SAID._entries) == 3 * count
    law_of("commercial-denied", "appeal")
    assert len(law_text._SAID._entries) == 3 * count  # worded once, then shared
