"""Guidance from the seed article: the rules the reference notes set for it."""

from __future__ import annotations

import re

from secondlook import guidance
from secondlook import patient_flow as flow
from secondlook import patient_form as form

ALL_TEXT = "\n".join(guidance.guidance_texts() + flow.patient_texts())


def test_the_number_of_nci_centers_is_never_written_down():
    # "about 72", "73 centers", "56 Comprehensive": the count changes, so none appears.
    assert not re.search(r"\b\d+\s+(NCI|comprehensive|cancer centers?|centers?)\b", ALL_TEXT, re.I)
    assert not re.search(r"\b(about|over|nearly|some)\s+\d+\b", ALL_TEXT, re.I)


def test_basic_laboratory_centers_are_named_only_to_rule_them_out():
    mentions = [t for t in guidance.guidance_texts() if "Basic Laboratory" in t]
    assert mentions, "the guidance must warn about Basic Laboratory centers"
    for text in mentions:
        assert "do not see patients" in text and "cannot give you a second opinion" in text
    offered = form.question("provider.nci_designation").options
    assert "basic_laboratory" not in [value for value, _ in offered]


def _section(key):
    return next(s for s in guidance.sections() if s.key == key)


def test_the_seed_article_topics_are_covered():
    keys = [section.key for section in guidance.sections()]
    assert keys == ["when", "ask", "where", "telehealth", "records", "worries"]
    when = " ".join(_section("when").points)
    for trigger in ("before your first treatment", "not working", "rare", "surgery"):
        assert trigger in when
    worries = " ".join(_section("worries").points)
    for worry in ("delay", "plan pay", "upset"):
        assert worry in worries
    records = " ".join(_section("records").points)
    for record in ("slides", "images", "Notes"):
        assert record in records
    assert "second opinion" in guidance.ask_script()


def test_records_deadline_matches_the_facts_file():
    # HIPAA 45 CFR 164.524(b)(2): 30 days, one 30-day extension (the "60 days" is wrong).
    text = _section("records").outro
    assert "30 days" in text and "30 more days once" in text
    assert "60 days" not in ALL_TEXT


def test_nci_link_is_the_official_finder():
    assert guidance.NCI_FIND_A_CENTER_URL.startswith("https://www.cancer.gov/")
