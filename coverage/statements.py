"""Statements of law (data/rules/statements/*.yaml) in words, with their figures filled in.

A statement's text names its figures by parameter (`{erisa_aca.initial_decision_urgent_hours}`
becomes "72 hours" on a day the parameter says 72), and may ask for a fact about a figure:

    {name:number}     "30" (the figure alone, when the text gives the unit)
    {name:adjective}  "14-day"
    {name:since}      the date the value in force took effect ("January 1, 2026")
    {name:before}     the value before that one ("14 days")

Other placeholders (`{state}`, `{specialty}`) are words the caller gives; they are put in as
they are, never read as placeholders themselves.

`say(law, name, day)` gives the statement as it stands on `day`, or None when it cannot be
stated: not in force that day, a figure without a value, or (for a letter, `as_law=True`) the
statement or one of its figures not verified.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from coverage._memo import IdentityCache
from coverage.base import state_in_sentence
from coverage.law import PLACEHOLDER, LawBook, Parameter
from coverage.markets import LawEntry, profile
from coverage.plan import Plan
from coverage.text import LANGUAGES, Cited, Msg, amount_words, short_date


@dataclass(frozen=True, slots=True)
class Said:
    """A statement as it stands on one day."""

    text: str  # without the citation and the final period
    citation: str  # "" when it has none
    verified: bool  # the statement and every figure it quotes
    last_verified: dt.date

    def sentence(self) -> str:
        """The text with its citation, as a sentence: 'The plan must ... (29 CFR ...).'"""
        return f"{self.text} ({self.citation})." if self.citation else f"{self.text}."


def amount(value: object, unit: str, lang: str = "en") -> str:
    """A figure in words: '15 days', '1 hour', '$283', '20%'."""
    if unit == "usd":
        return f"${value:,.0f}"
    if unit == "percent":
        return f"{value}%"
    return amount_words(int(value), unit, lang)  # type: ignore[call-overload]


def long_date(day: dt.date, lang: str = "en") -> str:
    return short_date(day, lang)


def _history(parameter: Parameter, day: dt.date) -> tuple[dt.date | None, object | None]:
    """(the date the value in force on `day` took effect, the value before it)."""
    starts = sorted(d for d in parameter.values if d <= day)
    if not starts:
        return None, None
    since = starts[-1]
    before = parameter.values[starts[-2]] if len(starts) > 1 else None
    return since, before


def _figure(parameter: Parameter, spec: str | None, day: dt.date, lang: str) -> str | None:
    value = parameter.at(day)
    if value is None:
        return None
    if spec is None:
        return amount(value, parameter.unit, lang)
    if spec == "number":
        return f"{value.normalize():f}"
    if spec == "adjective":  # "14-day"; Spanish puts it after the noun: "de 14 días"
        words = amount(value, parameter.unit, lang)
        return f"de {words}" if lang == "es" else words.rstrip("s").replace(" ", "-")
    since, before = _history(parameter, day)
    if spec == "since":
        return long_date(since, lang) if since else None
    return None if before is None else amount(before, parameter.unit, lang)


def _render(
    law: LawBook,
    name: str,
    day: dt.date,
    words: tuple[tuple[str, str], ...],
    lang: str,
    as_law: bool,
) -> Said | None:
    statement = law.statement(name)
    if statement.effective is not None and not statement.effective.contains(day):
        return None
    given = dict(words)
    verified = statement.verified
    last_verified = statement.last_verified
    citations: list[str] = []
    missing = False

    def fill(match) -> str:  # noqa: ANN001
        nonlocal verified, last_verified, missing
        key, spec = match.groups()
        if "." not in key:
            return given[key]  # a word from the caller (KeyError: a caller's bug)
        parameter = law.parameters[key]
        text = _figure(parameter, spec, day, lang)
        if text is None:
            missing = True
            return ""
        verified = verified and parameter.verified
        last_verified = min(last_verified, parameter.last_verified)
        if parameter.citation not in citations:
            citations.append(parameter.citation)
        return text

    text = PLACEHOLDER.sub(fill, statement.text[lang])  # type: ignore[index]
    if lang == "es":  # a filled-in "de el Distrito de Columbia" contracts, as Spanish writes it
        text = _SPANISH_CONTRACTIONS.sub(lambda m: m.group(1) + "l ", text)
    if missing or (as_law and not verified):
        return None
    citation = statement.citation or "; ".join(citations)
    return Said(text=text, citation=citation, verified=verified, last_verified=last_verified)


_SPANISH_CONTRACTIONS = re.compile(r"\b(de|a) el ")
_SAID: IdentityCache[Said | None] = IdentityCache(maxsize=8192)
_NOTHING = Said("", "", False, dt.date.min)  # a cached "cannot be stated"


def say(
    law: LawBook,
    name: str,
    day: dt.date,
    words: dict[str, str] | None = None,
    *,
    lang: str = "en",
    as_law: bool = True,
) -> Said | None:
    """Statement `name` as it stands on `day`; None when it cannot be stated (see above)."""
    frozen = tuple(sorted((words or {}).items()))
    key = (id(law), name, day, frozen, lang, as_law)
    said = _SAID.get(key)
    if said is None:
        said = _SAID.put(key, (law,), _render(law, name, day, frozen, lang, as_law) or _NOTHING)
    return None if said is _NOTHING else said


def sentence(law: LawBook, name: str, day: dt.date, **words: str) -> str | None:
    """The statement as a cited sentence for a letter, or None when it cannot be stated."""
    said = say(law, name, day, words)
    return None if said is None else said.sentence()


def _paragraph(
    law: LawBook, entry: LawEntry, day: dt.date, words: dict[str, str], lang: str
) -> str | None:
    said = [say(law, name, day, words, lang=lang) for name in entry.say]
    if entry.join == "clauses":
        if any(s is None for s in said):
            return None
        sentences = [s.sentence() for s in said]  # type: ignore[union-attr]
        return ", ".join([s[:-1] for s in sentences[:-1]] + sentences[-1:])
    return " ".join(s.sentence() for s in said if s is not None) or None


def market_law(
    law: LawBook,
    plan: Plan,
    part: str,
    day: dt.date,
    facts: frozenset[str],
    *,
    lang: str = "en",
    **words: str,
) -> list[str]:
    """The paragraphs of law the plan's market profile states in `part` (governing_law,
    appeal, ...) for these facts (`coverage.markets.situation`), as cited sentences."""
    words.setdefault("state", state_in_sentence(plan.situs_state, lang))
    out = []
    for entry in profile(plan.market).entries(part, facts):
        paragraph = _paragraph(law, entry, day, words, lang)
        if paragraph:
            out.append(paragraph)
    return out


_FUNDING_FACT = {
    "self_funded": "self_funded",
    "fully_insured": "fully_insured",
    "unknown": "funding_unknown",
}


_SPONSOR_FACTS = {
    None: ("not_church",),
    "private": ("erisa", "not_church"),
    "governmental": ("governmental", "not_erisa", "not_church", "aca_sponsor"),
    "church": ("church", "not_erisa"),
    "unknown": ("sponsor_unknown", "not_erisa", "not_church", "aca_sponsor"),
}


def situation(
    plan: Plan,
    *,
    urgent: bool = False,
    pre_service: bool = True,
    final: bool = True,
    medical_judgment: bool = False,
) -> frozenset[str]:
    """The conditions (see `Condition`) that hold for this plan and request. ERISA governs a
    private employer's plan only; `aca_sponsor`: a group plan the ACA rules reach without ERISA
    (a state or local government's), or whose sponsor we do not know."""
    route = plan.external_review.route
    facts = {
        "urgent" if urgent else "not_urgent",
        "pre_service" if pre_service else "post_service",
        "final" if final else "simultaneous",
        "grandfathered" if plan.grandfathered else "aca",
        "two_levels" if plan.appeals.levels > 1 else "one_level",
        "federal_route" if route == "federal_iro" else "other_route",
        "medical_judgment" if medical_judgment else "not_medical_judgment",
        *_SPONSOR_FACTS[plan.sponsor],
    }
    if route != "none":
        facts.add("external_review")
    if plan.funding in _FUNDING_FACT:
        facts.add(_FUNDING_FACT[plan.funding])
    return frozenset(facts)


def cited_statement(law: LawBook, name: str, day: dt.date) -> Cited | Msg:
    """A statement in every language with its citation, for an answer ("text (citation)");
    shown even when unverified (the answer marks what to confirm), never in a letter."""
    texts = []
    said = None
    for language in LANGUAGES:
        said = say(law, name, day, lang=language, as_law=False)
        if said is None:
            return Msg("trace.effect.none")
        texts.append((language, said.text))
    return Cited(tuple(texts), said.citation if said else "")


def clear_cache() -> None:
    _SAID.clear()
