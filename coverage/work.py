"""The engine's working state for one case (shared by coverage.engine, .network and .actions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from coverage.case import Case
from coverage.decision import CostFacts, DocFacts, Need, TraceFacts
from coverage.law import CoverageRule, LawBook, RuleEffect, Trigger
from coverage.markets import MarketProfile
from coverage.plan import Plan, SourcedTerm
from coverage.text import Msg

PLAN_PRIORITY = 300
Answer = str  # "yes" | "no" | "unknown"


@dataclass
class RuleOutcome:
    rule: CoverageRule
    effect: RuleEffect | None
    status: str  # applied | depends | not_applicable | inactive
    reason: Msg
    unknowns: list[tuple[str, Msg]] = field(default_factory=list)  # (field, question)
    why: Msg | None = None  # why its unknowns matter (worked out once; outcomes are shared)
    unverified: Msg | None = None  # "confirm with your plan" when the rule is not verified
    effect_pairs: frozenset | None = None  # (effect field, value) of its effect, worked out once


@dataclass(slots=True)
class RulePrep:
    """One rule as it stands for one plan on one date: everything but the case's answers."""

    rule: CoverageRule
    effect: RuleEffect | None
    fixed: RuleOutcome | None  # the outcome when the case cannot change it
    plan_unknowns: list[tuple[str, Msg]]  # plan facts (funding, type) the rule turns on
    conditions: list[Trigger]
    match_any: bool
    words: Msg
    effect_words: Msg
    # Outcomes by trigger values: at most 3 ** len(conditions); outcomes are never changed.
    by_values: dict[tuple[Answer, ...], RuleOutcome] = field(default_factory=dict)
    unless: list[str] = field(default_factory=list)  # exclusions (Triggers.unless)
    unverified_words: Msg | None = None  # the parts of its effect that do not decide
    # (case, plan) -> the trigger values, then the exclusions' (engine.trigger_value's values)
    read_values: Callable[[Case, Plan], tuple[Answer, ...]] | None = None
    # Trace entries by (outcome identity, rule ids won over): few, and never changed.
    traces: dict[tuple[int, tuple[str, ...]], TraceFacts] = field(default_factory=dict)


# A fact to ask for, as Work.need takes it: (field path, question, why it matters).
Asked = tuple[str, Msg, Msg]


@dataclass(slots=True)
class Replay:
    """What one step of a decision did (coverage.engine._shared_step), to do again for an equal
    key: its value, the facts it asked for in order, the trace entries it added, the rule ids
    each winner won over, and the flags it changed. Nothing in it comes from a member's data."""

    value: Any
    needs: tuple[Asked, ...]
    trace: tuple[TraceFacts, ...]
    overrides: tuple[tuple[str, tuple[str, ...]], ...]
    flags: tuple[tuple[str, bool], ...]


@dataclass(slots=True)
class Assessed:
    """Every rule's outcome on one plan view for one set of trigger values (the outcomes are
    shared: `PlanView.assessed` keys them by identity), and what follows from them alone."""

    outcomes: tuple[RuleOutcome, ...]  # the view's rules order
    live: tuple[RuleOutcome, ...]  # the ones that apply or may apply
    applied: tuple[RuleEffect, ...]  # the effects of the ones that apply
    effects: frozenset[tuple[str, object]]  # (effect field, value) of those
    unverified: tuple[Msg, ...]
    needs: tuple[Asked, ...]
    # The steps after the rules (coverage, network, visit type, access), by what else they
    # read: a step name and a few answers (yes/no/unknown), never member data.
    steps: dict[Hashable, Replay] = field(default_factory=dict)
    # The sorted traces, by the plan terms traced before the rules (identities) and the rule
    # ids each winner won over.
    traces: dict[tuple, tuple[TraceFacts, ...]] = field(default_factory=dict)


@dataclass
class PlanView:
    """What the engine needs from one (law book, plan, market profile, date), worked out once
    and cached: they are frozen, so none of it can change under us."""

    rules: list[RulePrep]  # law.rules order (the order rules are assessed in)
    trace_order: list[int]  # indices into `rules`, by (priority, id): the trace order
    market: MarketProfile
    same_access: bool  # in- and out-of-network access terms are equal (see network.access)
    in_cost: tuple[Msg, dict]  # the in-network cost sharing in words, and its CostFacts fields
    out_cost: tuple[Msg, dict] | None  # and the out-of-network one, when the plan has it
    # The plan-term trace entries by (rule id, words, status): a plan has a handful.
    plan_traces: dict[tuple[str, Msg, str], TraceFacts] = field(default_factory=dict)
    # Worked out on first use (coverage.network): the cost sharing by network outcome, the
    # out-of-network plan terms as traced, the questions about unstated access terms.
    costs: dict[str, CostFacts] = field(default_factory=dict)
    network_terms: tuple[TraceFacts, ...] | None = None
    access_needs: dict[tuple[str, bool], tuple[tuple[str, Msg], ...]] = field(default_factory=dict)
    # The traces worked out for this view, sorted, by the identities of their entries.
    traces: dict[tuple[int, ...], tuple[TraceFacts, ...]] = field(default_factory=dict)
    # The rules' outcomes assessed together, by the identities of the outcomes (held by
    # the preps in `rules`, so the identities stay theirs while this view lives).
    assessed: dict[tuple[int, ...], Assessed] = field(default_factory=dict)
    # Why the plan is not in force on the view's date (Work.need's arguments), or None.
    not_in_force: Asked | None = None


@dataclass(slots=True)
class Work:
    """Everything gathered while deciding one case, turned into a Decision at the end."""

    plan: Plan
    case: Case
    as_of: dt.date
    law: LawBook
    view: PlanView
    trace: list[TraceFacts] = field(default_factory=list)
    info: dict[str, Need] = field(default_factory=dict)
    docs: list[DocFacts] = field(default_factory=list)
    unverified: list[Msg] = field(default_factory=list)
    overrides: dict[str, list[str]] = field(default_factory=dict)  # winner rule id -> losers
    applied: list[RuleEffect] = field(default_factory=list)  # effects of the applied rules
    effects: frozenset[tuple[str, object]] = frozenset()  # (effect field, value) of those
    gap_law: bool = False  # a rule that may cover a network gap applies or may apply
    coverage_by_law: bool = False  # a mandate, not the plan's terms, makes the opinion covered

    def need(self, field_path: str, question: Msg, why: Msg) -> None:
        old = self.info.get(field_path)
        if old is None:
            self.info[field_path] = Need(field_path, question, (why,))
        elif why not in old.why:
            self.info[field_path] = Need(field_path, old.question, (*old.why, why))

    def plan_trace(
        self,
        rule_id: str,
        title: Msg,
        term: SourcedTerm,
        effect: Msg,
        status: str = "applied",
    ) -> None:
        """A plan term in the trace (the same term, words and status give the same entry)."""
        key = (rule_id, effect, status)
        entry = self.view.plan_traces.get(key)
        if entry is None:
            entry = self.view.plan_traces[key] = TraceFacts(
                rule_id=rule_id,
                layer="plan",
                title=title,
                status=status,
                effect=effect,
                citation=f"{term.source.document}, {term.source.section}",
                verified=True,
                last_verified=term.last_verified,
                priority=PLAN_PRIORITY,
            )
        self.trace.append(entry)


__all__ = [
    "Asked",
    "Assessed",
    "CostFacts",
    "PLAN_PRIORITY",
    "PlanView",
    "Replay",
    "RuleOutcome",
    "RulePrep",
    "Work",
]
