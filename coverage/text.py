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

English is the only language today. Another language is another folder with the same ids and
the same placeholders; `missing(language)` lists what it lacks (a test fails on any gap).
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
LANGUAGES: tuple[str, ...] = ("en",)
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?::([a-z]+))?\}")

# How a language writes the pieces between words.
_LIST_SEPARATOR = {"en": "; "}
_UNITS = {
    "en": {
        "day": ("day", "days"),
        "business_day": ("business day", "business days"),
        "hour": ("hour", "hours"),
        "month": ("month", "months"),
    }
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
    """'Monday, March 1, 2027'."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def short_date(day: dt.date, language: str = "en") -> str:
    """'March 1, 2027'."""
    return f"{day:%B} {day.day}, {day.year}"


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
            return f"{value:%B} {value.year}"
        return short_date(value, language) if spec == "date" else long_date(value, language)
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
