"""The law a letter states, in sentences, each with its citation.

Every sentence is a statement of law in data/rules/statements/ (its words, its reference, its
figures by parameter name), and the market profile (data/rules/markets/<market>.yaml, `law:`)
says which statements each letter states, and when. This module only puts them together: it
works out the facts a profile's conditions test (urgent, pre-service, the appeal levels, the
external-review route, the funding) and renders the entries whose conditions hold.

Only verified statements with verified figures are stated (`coverage.statements.say`); each
rests on words of regulatory-facts.md (a test checks). State mandates come from the
determination's trace (`mandate_sentences`): only rules that were applied and are verified, and
never for a plan that state insurance law does not reach.

A statement has its own text in each language (data/rules/statements); a letter states it in the
language it is written in (`letters.wording.current()`), with the same citation.
"""

from __future__ import annotations

import datetime as dt

from coverage._memo import IdentityCache
from coverage.determination import Determination
from coverage.law import LawBook
from coverage.markets import profile
from coverage.plan import Plan
from coverage.statements import amount, market_law, say, situation
from letters.wording import current, representative, third_person, tr

# The records request states the same HIPAA law for every market.
RECORDS_LAW = ("hipaa.third_party", "hipaa.response", "hipaa.fee")
# Without the employer claim-file rule, an appeal still asks for the documents relied on.
DOCUMENTS_REQUEST = "Send me copies of the documents, records and criteria the plan relied on."


class Figures:
    """The law book on one day: the figures and statements a letter may state."""

    def __init__(self, law: LawBook, day: dt.date):
        self.law, self.day = law, day

    def get(self, name: str) -> tuple[str, str] | None:
        """('15 days', citation) or None when unknown on that day or not verified."""
        try:
            value, parameter = self.law.param(name, self.day)
        except LookupError:  # no value in force (KeyError: an unknown name is a bug, re-raised)
            if name not in self.law.parameters:
                raise
            return None
        if not parameter.verified:
            return None
        return amount(value, parameter.unit, current()), parameter.citation


def specialty_words(specialty: str | None) -> str:
    return specialty.strip().lower() if specialty and specialty.strip() else tr("oncology")


# The sentences of law by all they are made from: the law book, the plan and its market profile
# (by identity: the entry keeps them alive), the part, day, facts, language, voice and words.
# The letters of a batch state the same law for row after row: each is worded once.
_SAID: IdentityCache[tuple[str, ...]] = IdentityCache(maxsize=1024)


def _law(plan: Plan, part: str, figures: Figures, facts: frozenset[str], **words: str) -> list[str]:
    market = profile(plan.market)
    voice = representative() is None
    law, day, language = figures.law, figures.day, current()
    key = (id(law), id(plan), id(market), part, day, facts, language, voice, *sorted(words.items()))
    said = _SAID.get(key)
    if said is None:
        found = market_law(law, plan, part, day, facts, lang=language, **words)
        # a representative's letter: "the patient"
        said = _SAID.put(key, (law, plan, market), tuple(third_person(s) for s in found))
    return list(said)


def governing_law(plan: Plan, figures: Figures) -> list[str]:
    """Which law governs the plan (the letter's first law points; the answer says the same)."""
    return _law(plan, "governing_law", figures, situation(plan))


def preauth_law(plan: Plan, figures: Figures, *, urgent: bool) -> list[str]:
    """The law on a request made before the visit (prior authorisation, network exception)."""
    return _law(plan, "prior_auth", figures, situation(plan, urgent=urgent))


def appeal_law(
    plan: Plan,
    figures: Figures,
    *,
    urgent: bool,
    pre_service: bool,
    specialty: str,
    medical_judgment: bool = False,
) -> list[str]:
    """The law on the first appeal (internal appeal, redetermination, reconsideration).
    `medical_judgment`: the notice's reason is one of medical judgment (only then does the
    letter say the denial rests on it)."""
    facts = situation(
        plan,
        urgent=urgent and pre_service,
        pre_service=pre_service,
        medical_judgment=medical_judgment,
    )
    return _law(plan, "appeal", figures, facts, specialty=specialty)


def external_law(
    plan: Plan,
    figures: Figures,
    *,
    urgent: bool,
    final: bool = True,
    medical_judgment: bool = False,
) -> list[str]:
    """The law on the independent review after the plan's final decision (`final=False`: an
    urgent request made at the same time as the expedited internal appeal)."""
    facts = situation(plan, urgent=urgent, final=final, medical_judgment=medical_judgment)
    return _law(plan, "external_review", figures, facts)


def claim_file_law(plan: Plan, figures: Figures) -> list[str]:
    """The claim-file rule, where the market has one (employer plans)."""
    return _law(plan, "claim_file", figures, situation(plan))


def claim_file_request(plan: Plan, figures: Figures) -> str:
    """The appeal letter's request for the documents, citing the claim-file rule if any."""
    found = _law(plan, "appeal_requests", figures, situation(plan))
    return found[0] if found else tr(third_person(DOCUMENTS_REQUEST))


def records_law(figures: Figures) -> list[str]:
    """HIPAA right of access: the same for every market."""
    said = [say(figures.law, name, figures.day, lang=current()) for name in RECORDS_LAW]
    return [s.sentence() for s in said if s is not None]


def physician_law(plan: Plan, figures: Figures, *, urgent: bool) -> list[str]:
    return _law(plan, "physician_letter", figures, situation(plan, urgent=urgent))


def mandate_sentences(plan: Plan, determination: Determination) -> list[str]:
    """Verified state rules the engine applied to this plan, as sentences a letter may state."""
    market = profile(plan.market)
    if plan.funding != "fully_insured" or not market.features.state_insurance_law:
        return []  # state insurance law never reaches a self-funded plan (ERISA preemption)
    out = []
    for entry in determination.trace:
        if entry.layer == "state" and entry.status == "applied" and entry.verified:
            # The determination is English (letters are built from it); the rule's title is
            # data, worded in the letter's language from the phrasebook.
            title = tr(entry.title.rstrip("."))
            out.append(f"{entry.citation}: {title}.")
    return out
