"""Decide, then explain: the engine names its sentences by message id, and every sentence a
patient or navigator reads is a catalogue entry (data/text/<language>/*.yaml) with a stable id.

Another language is another folder; these tests say what a language lacks, so a missing
translation fails the suite instead of showing English silently.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from test_engine_cases import TABLE, build_plan

from coverage import text
from coverage.case import Case
from coverage.engine import decide, evaluate
from coverage.explain import determination
from coverage.loader import LoadError
from coverage.text import LANGUAGES, Msg, catalogue, missing, msg, render
from secondlook import service

ROOT = Path(__file__).resolve().parents[1]
MESSAGE_ID = re.compile(
    r"^(answer|trace|deadlines|text|pages|report)\.[A-Za-z0-9_.\-]*[A-Za-z0-9_\-]$"
)
PREFIX = re.compile(r"^(answer|trace|deadlines|text|pages|report)\.[A-Za-z0-9_.\-]*\.$")
# Modules that decide or lay out an answer: no sentence of their own (messages by id only).
WORDLESS = [
    "coverage/engine.py",
    "coverage/network.py",
    "coverage/actions.py",
    "coverage/deadlines.py",
    "coverage/explain.py",
    "coverage/work.py",
    "coverage/decision.py",
    "secondlook/report.py",
    "app_pages/patient_answer.py",
]


def _literals(path: Path):
    """String constants outside docstrings and `raise` statements (errors for developers)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Raise):
            skip.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node


@pytest.mark.parametrize("module", WORDLESS)
def test_deciding_modules_hold_no_sentences(module: str):
    sentences = [
        f"{module}:{node.lineno}: {node.value!r}"
        for node in _literals(ROOT / module)
        if " " in node.value.strip() and len(re.findall(r"[A-Za-z]{2,}", node.value)) >= 3
    ]
    assert sentences == [], "put the words in data/text/en/:\n" + "\n".join(sentences)


def test_every_message_id_in_the_code_is_in_the_catalogue():
    """Literal ids exist; an id made with an f-string has at least one message under its
    prefix (the case tables below render every id the engine makes)."""
    literals = [
        node.value
        for folder in ("coverage", "letters", "secondlook", "app_pages")
        for path in (ROOT / folder).rglob("*.py")
        for node in _literals(path)
    ]
    ids = {value for value in literals if MESSAGE_ID.match(value)}
    prefixes = {value for value in literals if PREFIX.match(value)}
    assert len(ids) > 100 and len(prefixes) > 10
    for language in LANGUAGES:
        known = catalogue(language)
        assert sorted(ids - set(known)) == [], language
        assert [p for p in sorted(prefixes) if not any(k.startswith(p) for k in known)] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_message_and_statement(language: str):
    assert missing(language) == []
    law = service.lawbook()
    lacking = [name for name, s in law.statements.items() if language not in s.text]
    assert lacking == []


def test_a_missing_translation_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for language, body in {
        "en": 'greeting: "Hello {name}."\nfarewell: Goodbye.\n',
        "xx": 'greeting: "Hallo."\n',
    }.items():
        (tmp_path / language).mkdir()
        (tmp_path / language / "demo.yaml").write_text(body, encoding="utf-8")
    monkeypatch.setattr(text, "TEXT_DIR", tmp_path)
    monkeypatch.setattr(text, "LANGUAGES", ("en", "xx"))
    text.clear_cache()
    try:
        assert missing("xx") == ["demo.farewell: missing", "demo.greeting: placeholders differ"]
        assert render(msg("demo.greeting", name="{demo.farewell}"), "en") == (
            "Hello {demo.farewell}."
        )
    finally:
        text.clear_cache()


def test_a_duplicate_key_in_the_catalogue_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "demo.yaml").write_text("a: One.\nb: Two.\na: Three.\n", encoding="utf-8")
    monkeypatch.setattr(text, "TEXT_DIR", tmp_path)
    text.clear_cache()
    try:
        with pytest.raises(LoadError, match=r"demo\.yaml:3: a: duplicate key \(first at line 1\)"):
            catalogue("en")
    finally:
        text.clear_cache()


def test_words_render_by_kind():
    day = dt.date(2027, 3, 1)
    assert render(
        msg("answer.step.file_by", title=Msg("deadlines.title.external_review_filing"), due=day)
    ) == ("Request external review: by March 1, 2027. Send it in writing and keep a copy.")
    assert render(msg("deadlines.basis.received", day=day)) == (
        "You received the notice on Monday, March 1, 2027."
    )


@pytest.mark.parametrize("row", TABLE, ids=[row["name"] for row in TABLE])
def test_the_engine_decides_in_codes_and_the_words_follow(row):
    """Every case row: the decision holds messages, not words, and wording it in each language
    gives the answer evaluate() gives; every sentence of it has a code."""
    plan = build_plan(row["plan"])
    case = Case.model_validate(row["case"])
    decision = decide(plan, case, row["as_of"], service.lawbook())
    assert all(isinstance(step, Msg) for step in decision.steps)
    assert isinstance(decision.network.explanation, Msg)
    for language in LANGUAGES:
        answer = determination(decision, language)
        assert answer.headline_code in catalogue(language)
        assert answer.network.code in catalogue(language)
        assert len(answer.next_step_codes) == len(answer.next_steps)
        assert all(need.code in catalogue(language) for need in answer.info_needed)
    assert determination(decision, "en") == evaluate(plan, case, row["as_of"], service.lawbook())
