"""The one letter pipeline (secondlook.service): which letters, what stops each, render, PDF."""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

from docx import Document

import letters
from secondlook import service

ROOT = Path(__file__).resolve().parent.parent
DENIED_URGENT = ROOT / "examples/cases/mo-self-funded-denied-urgent.yaml"
MEDICARE = ROOT / "examples/cases/medicare-surgery-recommended.yaml"
DAY = dt.date(2026, 4, 6)


def checked(path: Path):
    case = service.load_case(path)
    plan = service.resolve_plan(case.plan)
    return case, plan, service.check(case, plan, DAY)


def text_of(docx: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)


def test_letters_for_lists_the_recommended_letters_first_each_ready_or_with_its_problem():
    case, plan, answer = checked(DENIED_URGENT)
    statuses = service.letters_for(case, plan, answer, today=DAY)
    assert [s.letter_type for s in statuses] == list(answer.letters)
    assert all(s.recommended for s in statuses)
    by_type = {s.letter_type: s.problem for s in statuses}
    assert by_type["expedited_appeal"] is None and by_type["physician_letter"] is None
    # The example names no provider holding records: the records request says what to add.
    records = by_type["records_request"]
    assert records is not None and records.kind == "missing"
    assert {path for path, _ in records.fields} == {
        "case.records_from",
        "case.provider.address_lines",
    }

    every = service.letters_for(case, plan, answer, today=DAY, every_type=True)
    assert {s.letter_type for s in every} == set(letters.LETTER_TYPES)
    assert [s.letter_type for s in every][: len(answer.letters)] == list(answer.letters)
    not_recommended = [s for s in every if not s.recommended]
    assert not_recommended and all(s.title for s in every)


def test_render_letter_gives_the_docx_and_its_template_version():
    case, plan, answer = checked(DENIED_URGENT)
    result = service.render_letter("expedited_appeal", case, plan, answer, today=DAY)
    assert isinstance(result, service.RenderedLetter)
    assert result.template_version == letters.template_version("expedited_appeal")
    text = text_of(result.docx)
    assert "EXPEDITED" in text and "April 6, 2026" in text


def test_missing_facts_are_named_by_field_and_never_quote_member_data():
    case, plan, answer = checked(DENIED_URGENT)
    case = case.model_copy(update={"patient": case.patient.model_copy(update={"member_id": None})})
    result = service.render_letter("expedited_appeal", case, plan, answer, today=DAY)
    assert isinstance(result, service.LetterProblem)
    assert result.kind == "missing"
    assert any(path.endswith("patient.member_id") for path, _ in result.fields)
    assert "Daniel Example" not in result.message

    statuses = service.letters_for(case, plan, answer, today=DAY)
    expedited = next(s for s in statuses if s.letter_type == "expedited_appeal")
    assert expedited.problem is not None and expedited.problem.kind == "missing"


def test_a_letter_that_does_not_exist_for_the_market_says_so():
    case, plan, answer = checked(MEDICARE)
    result = service.render_letter("preauth_request", case, plan, answer, today=DAY)
    assert isinstance(result, service.LetterProblem)
    assert result.kind == "not_applicable" and result.message


def test_an_unknown_letter_type_is_invalid_not_a_crash():
    case, plan, answer = checked(DENIED_URGENT)
    result = service.render_letter("love_letter", case, plan, answer, today=DAY)
    assert isinstance(result, service.LetterProblem) and result.kind == "invalid"


class _BrokenRenderer:
    def render_context(self, letter_type, context):
        raise ValueError(f"template blew up near {context.sender.lines[0]}")


def test_a_program_fault_becomes_a_typed_problem_and_the_log_keeps_member_data_out(caplog):
    case, plan, answer = checked(DENIED_URGENT)
    with caplog.at_level(logging.DEBUG):
        result = service.render_letter(
            "expedited_appeal", case, plan, answer, today=DAY, renderer=_BrokenRenderer()
        )
    assert isinstance(result, service.LetterProblem) and result.kind == "error"
    assert "ValueError" in result.message and "Daniel" not in result.message
    assert "ValueError" in caplog.text
    assert "Daniel" not in caplog.text
