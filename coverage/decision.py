"""What the engine decides, before it is put in words: codes, facts and messages by id.

`coverage.engine.decide()` returns a `Decision`; `coverage.explain.determination()` words it in
one language as the `Determination` (docs/determination-format.md). Everything here is
immutable and hashable where it is shared, so the words for equal facts are worked out once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from coverage.text import Msg


class NetworkFacts(NamedTuple):
    outcome: str
    explanation: Msg
    exception_request_needed: bool = False


class CostFacts(NamedTuple):
    tier: str
    summary: Msg
    copay: str | None = None
    coinsurance_percent: str | None = None
    deductible: str | None = None
    deductible_applies: bool | None = None


class DocFacts(NamedTuple):
    kind: str
    purpose: str
    description: Msg


class Need(NamedTuple):
    """A fact we do not know that would change the answer (CRD info-needed)."""

    field: str
    question: Msg
    why: tuple[Msg, ...]


class DeadlineFacts(NamedTuple):
    id: str
    title: Msg
    kind: str
    due: dt.date | None
    within: Msg
    basis: Msg
    citation: str
    verified: bool
    last_verified: dt.date


class TraceFacts(NamedTuple):
    rule_id: str
    layer: str
    title: Msg | str  # a rule's title is its own data; a plan term's is a message
    status: str
    effect: Msg
    citation: str
    verified: bool
    last_verified: dt.date | None
    priority: int
    overrides: tuple[str, ...] = ()


@dataclass(slots=True)
class Decision:
    """The answer as codes and facts. `plan` and `law` are kept for the words that depend on
    them (the governing law, in the reader's language)."""

    plan: Any  # coverage.plan.Plan
    law: Any  # coverage.law.LawBook
    case_id: str | None
    as_of: dt.date
    covered: str
    pa_needed: str | None
    referral_needed: str | None
    opinion: str  # "second" or "third"
    network: NetworkFacts
    cost: CostFacts
    docs: tuple[DocFacts, ...]
    info: tuple[Need, ...]
    steps: tuple[Msg, ...]
    letters: list[str]
    deadlines: tuple[DeadlineFacts, ...]
    unverified: tuple[Msg, ...]
    trace: tuple[TraceFacts, ...] = ()
