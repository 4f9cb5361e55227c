"""Spanish: the glossary, the letters' Spanish copies, and the language kept in the case file.

The pages' and answers' words are checked for gaps in test_text_catalogue.py and test_fields.py
(every message, statement of law and field word exists in Spanish); their readability in
test_app_readability.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from letters_support import GOLDEN, GOLDEN_CASES, TODAY, docx_text, scenario

import letters
from coverage import text as coverage_text
from secondlook import patient_flow as flow
from secondlook import service

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "data" / "text" / "glossary.yaml"
CITATION = re.compile(
    r"\b\d+ (?:CFR|U\.S\.C\.) \d[\d.\-]*\d(?:\([0-9a-zA-Z]+\))*|\bRSMo \d[\d.]*\d"
)


def spanish_words() -> str:
    """Every Spanish word a patient may read: pages, answers, fields, law and letters."""
    files = sorted((ROOT / "data" / "text" / "es").glob("*.yaml"))
    files += [ROOT / "data" / "fields" / "es.yaml", ROOT / "data" / "phrasebook" / "es.yaml"]
    files += sorted((ROOT / "data" / "rules" / "statements").glob("*.yaml"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    return " ".join(text.split()).lower()


def glossary() -> list[dict]:
    return yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))


def test_every_glossary_term_says_where_it_comes_from():
    terms = glossary()
    assert {t["es"] for t in terms} >= {
        "apelación",
        "revisión externa",
        "autorización previa",
        "segunda opinión",
        "Resumen de Medicare",
    }
    for term in terms:
        assert term["en"] and term["es"] and isinstance(term["official"], bool), term
        if term["official"]:
            assert term["source"] and term["seen"], term
        else:
            assert "no official" in term["note"].lower(), term


def test_the_spanish_text_uses_the_glossary_words():
    words = spanish_words()
    for term in glossary():
        if term["es"] != "Resumen de Medicare":  # named only where Medicare's notices are
            assert term["es"].lower() in words, term["es"]
        for avoided in term.get("avoid", []):
            assert avoided.lower() not in words, (term["es"], avoided)


def _citations(text: str) -> list[str]:
    return sorted(set(CITATION.findall(text)))


@pytest.mark.parametrize(("name", "letter_type"), GOLDEN_CASES, ids=lambda v: v)
def test_the_spanish_copy_is_the_same_letter(name: str, letter_type: str):
    """Every sentence is in the phrasebook (a gap is an error, never English in silence); the
    copy states the same law with the same citations, and the same member data."""
    case, plan, determination = scenario(name)
    english = (GOLDEN / f"{name}__{letter_type}.txt").read_text(encoding="utf-8")
    data = letters.render_letter(letter_type, case, plan, determination, today=TODAY, language="es")
    spanish = docx_text(data)
    assert _citations(spanish) == _citations(english)
    for value in (case.patient.name, case.patient.member_id):
        if value and value in english:
            assert value in spanish
    reading_copy = "TRADUCCIÓN PARA QUE USTED LA LEA: NO ENVÍE ESTA COPIA"
    if letter_type == "records_request":  # goes to her doctor's office: may be sent in Spanish
        assert reading_copy not in spanish
    else:
        assert spanish.startswith(reading_copy)
        assert "Copia para leer, no la envíe" in spanish.split("--- footer ---")[1]
    for english_only in ("Sincerely,", "Enclosures", "Page ", "Dear "):
        assert english_only not in spanish


def test_a_letter_sentence_missing_from_the_phrasebook_fails(monkeypatch: pytest.MonkeyPatch):
    case, plan, determination = scenario("commercial-denied")
    book = dict(coverage_text.phrasebook("es"))
    dropped = ("", "Dear Appeals Department:")
    assert dropped in book
    del book[dropped]
    monkeypatch.setattr(coverage_text, "phrasebook", lambda language: book)
    result = service.render_letter(
        "claim_file_request", case, plan, determination, today=TODAY, language="es"
    )
    assert isinstance(result, service.LetterProblem) and result.kind == "error"


def test_the_letter_to_the_plan_stays_english_for_a_spanish_reader():
    case, plan, determination = scenario("commercial-denied")
    spanish_reader = case.model_copy(update={"language": "es"})
    english = docx_text(letters.render_letter("appeal", case, plan, determination, today=TODAY))
    again = docx_text(
        letters.render_letter("appeal", spanish_reader, plan, determination, today=TODAY)
    )
    assert again == english == (GOLDEN / "commercial-denied__appeal.txt").read_text("utf-8")


def test_the_case_file_remembers_the_language():
    case, _, _ = scenario("commercial-denied")
    saved = flow.case_to_yaml(case.model_copy(update={"language": "es"})).decode("utf-8")
    assert saved.startswith("# ") and "language: es" in saved
    assert "Second Look" in saved.splitlines()[0]
    assert service.parse_case(saved, flow.CASE_FILE_NAME).language == "es"
    english = flow.case_to_yaml(case).decode("utf-8")
    assert "language:" not in english  # the default is left out, so old files stay the same
    assert english.splitlines()[0] != saved.splitlines()[0]


def test_spanish_dates_and_state_names_never_use_the_process_locale():
    import datetime as dt

    day = dt.date(2027, 3, 1)
    assert coverage_text.long_date(day, "es") == "lunes, 1 de marzo de 2027"
    assert coverage_text.short_date(day, "es") == "1 de marzo de 2027"
    assert coverage_text.long_date(day) == "Monday, March 1, 2027"
