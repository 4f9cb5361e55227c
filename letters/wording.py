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
_CONTRACTIONS = re.compile(r"\b(de|a) el ")  # Spanish writes "del", "al"


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
