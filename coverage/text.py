"""The message catalogue: every sentence a patient, a navigator or a letter reads, by id.

Wording lives in `data/text/<language>/<area>.yaml`, one message per key; a message's id is
`<area>.<key path>` (`answer.network.in_network`). Code never holds the words: it names a
message and its arguments with `msg(id, **args)`, and `render(message, language)` words it.

Placeholders: `{name}` puts in an argument: text as it is (never read as a placeholder
itself), a number, another message, a list of messages (joined as sentences), a date (long
form: "Monday, March 1, 2027"), an `Amount` ("15 days"), a `Cited` statement of law ("text
(citation)"). `{name:date}` gives a date as
"March 1, 2027", `{name:iso}` as 2027-03-01, `{name:month}` as "March 2027"; `{name:list}`
joins a list with "; ".

English and Spanish (`es`). Another language is another folder with the same ids and the
same placeholders; `missing(language)` lists what it lacks (a test fails on any gap). How a
language writes dates, units and lists is in `_CALENDAR`, `_UNITS` and `_LIST_SEPARATOR`.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from coverage.loader import LoadError, Problem, display_path, parse_yaml, read_text

TEXT_DIR = Path(__file__).resolve().parent.parent / "data" / "text"
LANGUAGES: tuple[str, ...] = ("en", "es")
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?::([a-z]+))?\}")

# How a language writes the pieces between words.
_LIST_SEPARATOR = {"en": "; ", "es": "; "}
_UNITS = {
    "en": {
        "day": ("day", "days"),
        "business_day": ("business day", "business days"),
        "hour": ("hour", "hours"),
        "month": ("month", "months"),
    },
    "es": {
        "day": ("día", "días"),
        "business_day": ("día hábil", "días hábiles"),
        "hour": ("hora", "horas"),
        "month": ("mes", "meses"),
    },
}
# Names of weekdays (Monday first) and months by language; never the process locale (which
# strftime's %A and %B would follow, and slowly).
_CALENDAR = {
    "en": (
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
    ),
    "es": (
        ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        (
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
    ),
}


class Msg(NamedTuple):
    """A message: its id in the catalogue and its arguments (hashable, so words are cached)."""

    id: str
    args: tuple[tuple[str, Any], ...] = ()


_new_msg = tuple.__new__  # Msg(...) runs a Python-level __new__; this is the C one


def msg(id: str, **args: Any) -> Msg:
    return _new_msg(Msg, (id, tuple(args.items())))


class Amount(NamedTuple):
    """A legal figure with its unit, worded by the language ("15 days", "72 hours")."""

    value: int
    unit: str


class Cited(NamedTuple):
    """A statement of law in each language, with its citation: 'text (citation)'."""

    texts: tuple[tuple[str, str], ...]  # (language, text)
    citation: str


def amount_words(value: int, unit: str, language: str = "en") -> str:
    one, many = _UNITS[language][unit]
    return f"{value} {one if value == 1 else many}"


def long_date(day: dt.date, language: str = "en") -> str:
    """'Monday, March 1, 2027'; Spanish: 'lunes, 1 de marzo de 2027'."""
    weekdays, _ = _CALENDAR[language]
    return f"{weekdays[day.weekday()]}, {short_date(day, language)}"


def short_date(day: dt.date, language: str = "en") -> str:
    """'March 1, 2027'; Spanish: '1 de marzo de 2027'."""
    month = _CALENDAR[language][1][day.month - 1]
    if language == "en":
        return f"{month} {day.day}, {day.year}"
    return f"{day.day} de {month} de {day.year}"


def month_year(day: dt.date, language: str = "en") -> str:
    """'March 2027'; Spanish: 'marzo de 2027'."""
    month = _CALENDAR[language][1][day.month - 1]
    return f"{month} {day.year}" if language == "en" else f"{month} de {day.year}"


# --- the catalogue ------------------------------------------------------------------------------

_lock = threading.Lock()


def _flatten(data: Any, prefix: str, out: dict[str, str], problems: list[Problem], file: str):
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                problems.append(Problem(file, None, f"{prefix}{key}", "a key must be text"))
                continue
            _flatten(value, f"{prefix}{key}.", out, problems, file)
    elif isinstance(data, str) and data.strip():
        out[prefix[:-1]] = " ".join(data.split())
    else:
        problems.append(Problem(file, None, prefix[:-1], "a message must be non-empty text"))


@lru_cache(maxsize=8)
def catalogue(language: str = "en") -> dict[str, str]:
    """Every message of `language` by id, read once per process (strict YAML: duplicate keys
    and non-text values are `file:line: field: message` errors)."""
    folder = TEXT_DIR / language
    if language not in LANGUAGES or not folder.is_dir():
        raise LoadError([Problem(str(folder), None, "", f"no wording for language {language!r}")])
    messages: dict[str, str] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        shown = display_path(path)
        data = parse_yaml(read_text(path), shown)
        if not isinstance(data, dict):
            problems.append(Problem(shown, 1, "", "expected a mapping of id: message"))
            continue
        _flatten(data, f"{path.stem}.", messages, problems, shown)
    if problems:
        raise LoadError(problems)
    return messages


# --- the phrasebook: English that lives elsewhere, in another language ----------------------
#
# Some English is not ours to give an id: words in data files (rule titles, market terms, the
# placeholders of a plan we know nothing about) and the sentences of the letters, written in
# English in the letter code. `data/phrasebook/<language>.yaml` gives each one in the language,
# keyed by the English itself (with an optional `context` when one English text needs two
# renderings). A message argument that is such English is rendered from it; the letters look up
# every sentence (`letters.wording`), and a test fails on a sentence the phrasebook lacks.

PHRASEBOOK_DIR = TEXT_DIR.parent / "phrasebook"
_TAGS = re.compile(r"\{\{[^}]*\}\}")  # a template's own tags ({{ service }}): kept as they are
_ENTRY_KEYS = {"en", "context", "note"}


@lru_cache(maxsize=8)
def phrasebook(language: str) -> dict[tuple[str, str], str]:
    """{(context, English): words} for a language other than English, read once per process
    (strict: a duplicate, a blank or a placeholder that differs is a `file:line` error)."""
    path = PHRASEBOOK_DIR / f"{language}.yaml"
    shown = display_path(path)
    if language == "en" or language not in LANGUAGES or not path.is_file():
        raise LoadError([Problem(shown, None, "", f"no phrasebook for language {language!r}")])
    data = parse_yaml(read_text(path), shown)
    if not isinstance(data, list):
        raise LoadError([Problem(shown, 1, "", "expected a list of {en, <language>} entries")])
    out: dict[tuple[str, str], str] = {}
    problems: list[Problem] = []
    for number, entry in enumerate(data, 1):
        where = f"entry {number}"
        allowed = _ENTRY_KEYS | {language}
        if (
            not isinstance(entry, dict)
            or set(entry) - allowed
            or not {"en", language} <= set(entry)
        ):
            problems.append(
                Problem(shown, None, where, f"needs en and {language} (and may have context, note)")
            )
            continue
        english, words = entry["en"], entry[language]
        context = entry.get("context") or ""
        if not all(isinstance(v, str) and v.strip() for v in (english, words)):
            problems.append(Problem(shown, None, where, "en and the translation must be text"))
            continue
        english, words = " ".join(english.split()), " ".join(words.split())
        tags = sorted(_TAGS.findall(english)), sorted(_TAGS.findall(words))
        if placeholders(english) != placeholders(words) or tags[0] != tags[1]:
            problems.append(Problem(shown, None, where, "placeholders differ from the English"))
        if (context, english) in out:
            problems.append(Problem(shown, None, where, "this English is given twice"))
        out[(context, english)] = words
    if problems:
        raise LoadError(problems)
    return out


def phrase(english: str, language: str, context: str = "") -> str:
    """English from a data file or the letter code, in `language`. KeyError when the phrasebook
    lacks it (a missing translation is never shown as English in silence)."""
    if language == "en":
        return english
    return phrasebook(language)[(context, " ".join(english.split()))]


def data_words(value: str, language: str) -> str:
    """A message argument in `language`: English from a data file when the phrasebook has it
    (a rule's title, a market's words); anything else (a name, a number, a citation, what a
    person typed) as it is."""
    if language == "en":
        return value
    return phrasebook(language).get(("", " ".join(value.split())), value)


def reword(english: str, language: str, prefix: str) -> str:
    """A message already worded in English (`english`, one of the messages whose id starts with
    `prefix` and that take no arguments), in `language`. KeyError when no message matches."""
    if language == "en":
        return english
    for key, text in catalogue("en").items():
        if key.startswith(prefix) and text == english and not placeholders(text):
            return catalogue(language)[key]
    raise KeyError(f"no message under {prefix!r} reads {english!r}")


def placeholders(text: str) -> set[str]:
    return {m.group(1) for m in PLACEHOLDER.finditer(text)}


def missing(language: str) -> list[str]:
    """What `language` lacks compared with English: ids without a message, and messages whose
    placeholders differ (a translation must fill in the same facts)."""
    english, other = catalogue("en"), catalogue(language)
    gaps = [f"{key}: missing" for key in english if key not in other]
    gaps += [
        f"{key}: placeholders differ"
        for key, text in english.items()
        if key in other and placeholders(text) != placeholders(other[key])
    ]
    return gaps


# --- words ---------------------------------------------------------------------------------------


def _word(value: Any, spec: str | None, language: str) -> str:
    if isinstance(value, Msg):
        return render(value, language)
    if isinstance(value, Cited):
        text = dict(value.texts)[language]
        return f"{text} ({value.citation})" if value.citation else text
    if isinstance(value, Amount):
        return amount_words(value.value, value.unit, language)
    if isinstance(value, tuple):
        parts = [_word(v, None, language) for v in value]
        return _LIST_SEPARATOR[language].join(parts) if spec == "list" else " ".join(parts)
    if isinstance(value, dt.date):
        if spec == "iso":
            return value.isoformat()
        if spec == "month":
            return month_year(value, language)
        return short_date(value, language) if spec == "date" else long_date(value, language)
    if isinstance(value, str):
        return data_words(value, language)
    return str(value)


Segment = tuple[str, str | None, str | None]  # (literal text, placeholder name, spec)


@lru_cache(maxsize=4096)
def _segments(id: str, language: str) -> tuple[Segment, ...]:
    """A message's template cut at its placeholders, once per message."""
    template = catalogue(language)[id]
    out, at = [], 0
    for match in PLACEHOLDER.finditer(template):
        out.append((template[at : match.start()], match.group(1), match.group(2)))
        at = match.end()
    out.append((template[at:], None, None))
    return tuple(out)


@lru_cache(maxsize=65536)
def render(message: Msg, language: str = "en") -> str:
    """The message in words. An unknown id or a missing argument is a KeyError (a bug)."""
    segments = _segments(message.id, language)
    if len(segments) == 1:
        return segments[0][0]
    args = dict(message.args)
    parts = []
    for literal, name, spec in segments:
        parts.append(literal)
        if name is not None:
            parts.append(_word(args[name], spec, language))
    return "".join(parts)


def say(id: str, language: str = "en", **args: Any) -> str:
    """`render(msg(id, **args), language)`: a message in words, in one call."""
    return render(Msg(id, tuple(args.items())), language)


def clear_cache() -> None:
    render.cache_clear()
    _segments.cache_clear()
    catalogue.cache_clear()
    phrasebook.cache_clear()
