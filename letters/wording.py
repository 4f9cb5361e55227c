"""The language a letter is written in, and its sentences in that language.

Letters are written in English in the letter code (and in the market profiles' `letters` and
`terms`). A Spanish reading copy is the same letter, built by the same code from the same facts:
every English sentence goes through `tr()`, which gives it in the language the letter is being
written in, from the phrasebook (`data/phrasebook/<language>.yaml`, keyed by the English). A
sentence the phrasebook lacks is a KeyError, never English shown in silence (a test renders every
letter in Spanish and lists what is missing).

The language is a context variable set by `writing_in()` around one letter's build
(`letters.build_context(..., language=...)`), so the builders keep their signatures; it is
per thread and per task, so letters built at the same time do not mix.

The voice is one too (`signed_by()`): a letter is the patient's own (first person), or written
and signed by the patient's authorised representative (a navigator, a cancer center), who writes
"I" and speaks of the patient in the third person. A sentence that differs picks its English
with `voiced(patient, representative)`; the words that come from data (a market profile, a
statement of law) are put in the third person by `third_person()`. Letters signed by a
representative are written in English only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from coverage.text import LANGUAGES, phrase, short_date

_LANGUAGE: ContextVar[str] = ContextVar("letter_language", default="en")
_REPRESENTATIVE: ContextVar[Any] = ContextVar("letter_representative", default=None)
_CONTRACTIONS = re.compile(r"\b(de|a) el ")  # Spanish writes "del", "al"
# The patient's first person in the data's sentences, and the same in the third person.
_THIRD_PERSON = (
    (re.compile(r"^I may\b"), "The patient may"),
    (re.compile(r"\bI may\b"), "the patient may"),
    (re.compile(r"\bMy\b"), "The patient's"),
    (re.compile(r"\bmy\b"), "the patient's"),
    (re.compile(r"\bme\b"), "the patient"),
)


def current() -> str:
    """The language of the letter being written."""
    return _LANGUAGE.get()


@contextmanager
def writing_in(language: str) -> Iterator[None]:
    if language not in LANGUAGES:
        raise ValueError(f"no letters in language {language!r}; choose one of {LANGUAGES}")
    token = _LANGUAGE.set(language)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


@contextmanager
def signed_by(representative: Any) -> Iterator[None]:
    """Write the letters built inside as `representative` (a letters.models.Representative)."""
    token = _REPRESENTATIVE.set(representative)
    try:
        yield
    finally:
        _REPRESENTATIVE.reset(token)


def representative() -> Any:
    """The representative signing the letter being written; None: the patient signs."""
    return _REPRESENTATIVE.get()


def voiced(patient: str, representative: str) -> str:
    """The English of a sentence in the letter's voice: the patient's own words, or the
    representative's (the patient in the third person, "I" the representative)."""
    return patient if _REPRESENTATIVE.get() is None else representative


def third_person(text: str) -> str:
    """Words from data written for the patient to sign ("my plan", "give me", "I may ask"), as
    a representative writes them ("the patient's plan", "give the patient", "the patient may
    ask"). The patient's own letter keeps them as they are. A representative's own acts ("I
    ask", "I will ask") stay theirs."""
    if _REPRESENTATIVE.get() is None:
        return text
    for pattern, words in _THIRD_PERSON:
        text = pattern.sub(words, text)
    return text


def tr(english: str, /, context: str = "", **args: Any) -> str:
    """An English sentence (a template with `{name}` places) in the letter's language."""
    language = _LANGUAGE.get()
    template = english
    if language != "en":  # a piece like " and " keeps its spaces around the words
        core = english.strip()
        start = english.index(core[0]) if core else 0
        template = english[:start] + phrase(core, language, context) + english[start + len(core) :]
    text = template.format(**args) if args else template
    return _CONTRACTIONS.sub(lambda m: m.group(1) + "l ", text) if language == "es" else text


def fmt_date(day: dt.date) -> str:
    """'March 1, 2027'; Spanish: '1 de marzo de 2027'."""
    return short_date(day, _LANGUAGE.get())
