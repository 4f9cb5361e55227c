"""Letter contexts: one pydantic model per letter type, built from case + plan + determination.

`build_context(letter_type, case, plan, determination)` checks that everything a letter needs is
there *before* rendering: a missing member ID, appeals address or denial is a `MissingFieldError`
naming the field(s) (never their values: member data stays out of messages). A letter that does
not exist for the plan's market (prior authorisation under Original Medicare, an external-review
request under Medicare Advantage, whose plan forwards the case itself) is a `NotApplicableError`
that says what to do instead.

The models are in letters/models.py, the shared parts in letters/parts.py, one module per letter
kind in letters/kinds/. What differs by market comes from the market profiles
(data/rules/markets); law sentences come from letters/law_text.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from coverage.case import Case
from coverage.determination import Determination
from coverage.law import LawBook
from coverage.plan import Plan
from letters.kinds.appeal import build_appeal
from letters.kinds.claim_file import build_claim_file
from letters.kinds.external_review import build_external_review
from letters.kinds.network_exception import build_network_exception
from letters.kinds.physician import build_physician
from letters.kinds.preauth import build_preauth
from letters.kinds.records import build_records
from letters.models import (
    CONTEXT_MODELS,
    LetterContext,
    LetterError,
    MissingFieldError,
    NotApplicableError,
    Representative,
)
from letters.parts import authorization_enclosure, representative_row
from letters.wording import signed_by, writing_in

__all__ = [
    "BUILDERS",
    "CONTEXT_MODELS",
    "LetterContext",
    "LetterError",
    "MissingFieldError",
    "NotApplicableError",
    "Representative",
    "VOICED_LETTERS",
    "build_context",
]

BUILDERS = {
    "preauth_request": build_preauth,
    "network_exception_request": build_network_exception,
    "appeal": build_appeal,
    "expedited_appeal": lambda *a: build_appeal(*a, expedited=True),
    "external_review_request": build_external_review,
    "claim_file_request": build_claim_file,
    "records_request": build_records,
    "physician_letter": build_physician,
}

# The letters a representative may write and sign for the patient: every letter but the
# physician's own.
VOICED_LETTERS = frozenset(BUILDERS) - {"physician_letter"}


def build_context(
    letter_type: str,
    case: Case,
    plan: Plan,
    determination: Determination,
    *,
    today: dt.date | None = None,
    law: LawBook | None = None,
    evidence: Sequence[str] = (),
    language: str = "en",
    representative: Representative | None = None,
) -> LetterContext:
    """The context model for one letter, or a LetterError naming what is missing.

    `evidence`: call-log lines to cite (date, who, reference, what was said), for the letters
    to the plan; the records request and the physician's letter do not take them.
    `language`: "es" writes the same letter, from the same facts, in Spanish (the reading copy
    of a letter to the plan; the records request a provider may receive in Spanish). The
    determination is always the English one: its words are not the letter's.
    `representative`: the letter is written and signed by the patient's authorised
    representative (sender, opening, signature; the patient in the third person; her signed
    authorization enclosed first). In English only; not the physician's letter.
    """
    try:
        builder = BUILDERS[letter_type]
    except KeyError:
        raise LetterError(
            f"unknown letter type {letter_type!r}; choose one of: {', '.join(BUILDERS)}"
        ) from None
    if determination.plan_id != plan.id:
        raise LetterError(
            f"the determination is for plan {determination.plan_id!r}, not {plan.id!r}"
        )
    if representative is not None:
        if letter_type not in VOICED_LETTERS:
            raise LetterError(
                f"the {letter_type} is signed by the physician, not by a representative"
            )
        if language != "en":
            raise LetterError("a letter signed by a representative is written in English only")
    if law is None:
        from coverage.catalog import load_lawbook

        law = load_lawbook()
    with writing_in(language), signed_by(representative):
        context = builder(case, plan, determination, today or dt.date.today(), law)
        if representative is not None:
            enclosures = [authorization_enclosure(case), *context.enclosures]
            re_rows = [*context.re_rows, representative_row(representative)]
            context = context.model_copy(update={"enclosures": enclosures, "re_rows": re_rows})
    lines = [" ".join(line.split()) for line in evidence if line and line.strip()]
    if lines:
        if "evidence" not in type(context).model_fields:
            raise LetterError(f"the {letter_type} letter does not cite call-log entries")
        context = context.model_copy(update={"evidence": lines})
    return context
