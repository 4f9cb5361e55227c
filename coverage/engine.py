"""The rules engine: does this plan cover a second opinion, and what must the patient do?

Layers, lowest first (explicit priorities, shown in the trace):
  1. the federal baseline for the plan's market (priority 100-199),
  2. state mandates: a floor, for fully insured plans sitused in that state only, never for a
     self-funded ERISA plan (priority 200-299),
  3. the plan's own terms (priority 300): where they are more generous, they win.
On each point the most generous applicable source wins, and the trace says which won over which.

Unknown facts never pick a specific rule: the answer narrows to what is certain, and each
unknown that would change it becomes an `info_needed` entry.

The engine decides; it does not word. `decide()` returns codes and facts, with every sentence
as a message id and its arguments (coverage.text); `evaluate()` has coverage.explain word them
(docs/determination-format.md). The network, cost and access decisions are in coverage.network,
the documents, letters and next steps in coverage.actions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import attrgetter
from types import SimpleNamespace
from typing import TypeVar

from coverage import actions, explain, network
from coverage._memo import IdentityCache
from coverage.case import Case
from coverage.deadlines import clear_caches as clear_deadline_caches
from coverage.deadlines import deadline_facts
from coverage.decision import Decision, TraceFacts
from coverage.determination import Determination
from coverage.law import CoverageRule, LawBook, RuleEffect, Trigger
from coverage.markets import MarketProfile, profile
from coverage.plan import Plan
from coverage.statements import cited_statement
from coverage.text import Cited, Msg, msg
from coverage.work import (
    Answer,
    Asked,
    Assessed,
    PlanView,
    Replay,
    RuleOutcome,
    RulePrep,
    Work,
)

__all__ = ["Determination", "clear_caches", "decide", "evaluate", "trigger_value"]

# The case field that settles each trigger (its question is answer.question.trigger.<name>).
TRIGGER_FIELDS: dict[str, str] = {
    "cancer": "diagnosis.is_cancer",
    "newly_diagnosed_cancer": "diagnosis.newly_diagnosed",
    "surgery_recommended": "reasons.surgery_recommended",
    "major_treatment_recommended": "reasons.major_treatment_recommended",
    "treatment_not_working": "reasons.treatment_not_working",
    "diagnosis_unclear": "reasons.diagnosis_unclear",
    "plan_requires_referrals": "plan.second_opinion.in_network.referral_required",
}
TRIGGER_QUESTIONS: dict[str, tuple[str, Msg]] = {
    trigger: (path, Msg(f"answer.question.trigger.{trigger}"))
    for trigger, path in TRIGGER_FIELDS.items()
}


def _all(values: Sequence[Answer]) -> Answer:
    if "no" in values:
        return "no"
    return "unknown" if "unknown" in values else "yes"  # values are yes | no | unknown


def _any(values: Sequence[Answer]) -> Answer:
    if "yes" in values:
        return "yes"
    return "unknown" if "unknown" in values else "no"


_STATED: dict[str, Answer] = {"yes": "yes", "no": "no"}  # anything else: unknown


def stated(value: str) -> Answer:
    return _STATED.get(value, "unknown")


def trigger_value(trigger: Trigger, case: Case, plan: Plan) -> Answer:
    reasons = case.reasons
    match trigger:
        case "always":
            return "yes"
        case "cancer":
            return case.diagnosis.is_cancer
        case "newly_diagnosed_cancer":
            return _all([case.diagnosis.is_cancer, case.diagnosis.newly_diagnosed])
        case "surgery_recommended":
            return reasons.surgery_recommended
        case "major_treatment_recommended":
            return reasons.major_treatment_recommended
        case "treatment_not_working":
            return reasons.treatment_not_working
        case "diagnosis_unclear":
            return reasons.diagnosis_unclear
        case "plan_requires_referrals":
            return stated(plan.second_opinion.in_network.referral_required)
    raise ValueError(f"unknown trigger {trigger!r}")  # pragma: no cover - the model forbids it


def _case_answer(path: str) -> Callable[[Case, Plan], Answer]:
    get = attrgetter(path)
    return lambda case, plan: get(case)


# trigger_value, one function per trigger (the same values, read without the dispatch).
_TRIGGER_READERS: dict[str, Callable[[Case, Plan], Answer]] = {
    "always": lambda case, plan: "yes",
    "newly_diagnosed_cancer": lambda case, plan: _all(
        [case.diagnosis.is_cancer, case.diagnosis.newly_diagnosed]
    ),
    "plan_requires_referrals": lambda case, plan: stated(
        plan.second_opinion.in_network.referral_required
    ),
    **{
        trigger: _case_answer(path)
        for trigger, path in TRIGGER_FIELDS.items()
        if trigger not in ("newly_diagnosed_cancer", "plan_requires_referrals")
    },
}
_ALWAYS = ("yes",)


def _values_reader(conditions: Sequence[Trigger], unless: Sequence[str]):  # noqa: ANN202
    """A function (case, plan) -> the rule's trigger values, then its exclusions' values."""
    readers = [_TRIGGER_READERS[t] for t in conditions]
    readers += [_case_answer(f"reasons.{name}") for name in unless]
    if list(conditions) == ["always"] and not unless:
        return lambda case, plan: _ALWAYS
    if len(readers) == 1:
        (only,) = readers
        return lambda case, plan: (only(case, plan),)
    return lambda case, plan: tuple([read(case, plan) for read in readers])


def cited(law: LawBook, statement: str, day: dt.date) -> Cited | Msg:
    """A statement of law as a clause with its citation, in every language, for the trace."""
    return cited_statement(law, statement, day)


# --- the rules -----------------------------------------------------------------------------------

_EFFECT_MESSAGES: tuple[tuple[str, object, str], ...] = (
    ("covers_second_opinion", True, "covers_second_opinion"),
    ("third_opinion_when_opinions_differ", True, "third_opinion"),
    ("network_gap_remedy", "in_network_cost_sharing", "gap_in_network_cost_sharing"),
    ("network_gap_remedy", "no_more_than_initial_opinion", "gap_no_more_than_initial_opinion"),
    ("network_gap_remedy", "no_cost", "gap_no_cost"),
    ("referral", "not_required", "no_referral"),
    ("referral", "required", "on_referral"),
    ("prior_auth", "not_required", "no_prior_auth"),
)
_COST_MESSAGES = {
    "plan_specialist": "plan_specialist",
    "no_cost": "no_cost",
    "medicare_part_b": "medicare_part_b",
}


def effect_words(effect: RuleEffect | None, rule: CoverageRule | None = None) -> Msg:
    """What a rule's effect does, as a message (a list of its parts)."""
    if effect is None:
        return msg("trace.effect.none")
    parts = [
        Msg(f"trace.effect.{words}")
        for name, value, words in _EFFECT_MESSAGES
        if getattr(effect, name) == value
    ]
    if effect.referral == "plan_rules" or effect.prior_auth == "plan_rules":
        parts.append(Msg("trace.effect.plan_rules"))
    if effect.cost_sharing in _COST_MESSAGES:
        parts.append(Msg(f"trace.effect.{_COST_MESSAGES[effect.cost_sharing]}"))
    if effect.providers == "any_medicare_provider":
        parts.append(Msg("trace.effect.any_medicare_provider"))
    if parts:
        return msg("trace.effect.list", effects=tuple(parts))
    market = profile(rule.applies_to.markets[0]) if rule is not None else None
    if market is not None and not market.features.state_insurance_law:
        return msg("trace.effect.silent_plan_document", document=market.terms.plan_document)
    return Msg("trace.effect.silent_state_law")


_EFFECT_WORDS: IdentityCache[Msg] = IdentityCache(maxsize=1024)


def _effect_words_of(rule: CoverageRule, effect: RuleEffect | None) -> Msg:
    """effect_words, once per (rule, effect value): the same for every plan."""
    key = (id(rule), id(effect))
    words = _EFFECT_WORDS.get(key)
    if words is None:
        words = _EFFECT_WORDS.put(key, (rule, effect), effect_words(effect, rule))
    return words


@lru_cache(maxsize=1024)
def _condition_words_of(conditions: tuple[str, ...], match: str) -> Msg:
    words = tuple(Msg(f"trace.trigger.{t}") for t in conditions)
    kind = "one" if len(words) == 1 else match
    return msg(f"trace.conditions.{kind}", conditions=words)


def _condition_words(rule: CoverageRule) -> Msg:
    return _condition_words_of(tuple(rule.triggers.conditions), rule.triggers.match)


_FUNDING_QUESTION = ("plan.funding", Msg("answer.question.funding"))
_PLAN_TYPE_QUESTION = ("plan.plan_type", Msg("answer.question.plan_type"))
_TERM_QUESTION = ("plan.term_months", Msg("answer.question.term_months"))
# The case field that says whether each exclusion holds (its question: answer.question.unless.*).
EXCLUSION_FIELDS = {
    "emergency_surgery": "reasons.emergency_surgery",
    "excluded_service": "reasons.excluded_service",
}


def _funding_reason(rule: CoverageRule, plan: Plan, law: LawBook, as_of: dt.date) -> Msg:
    if plan.funding == "self_funded" and rule.layer == "state":
        if plan.sponsor == "private":  # ERISA preemption is for private employers' plans
            return msg(
                "trace.outcome.self_funded", preemption=cited(law, "governing.preemption", as_of)
            )
        return msg("trace.outcome.not_insured", law=cited(law, "governing.insured_only", as_of))
    return msg("trace.outcome.funding", funding=plan.funding)


def _coverage_reason(rule: CoverageRule, plan: Plan) -> Msg | None:
    """Why the kind of coverage or the issue date keeps the rule from the plan, or None."""
    scope = rule.applies_to
    if scope.issued_or_renewed_from and plan.issue_date < scope.issued_or_renewed_from:
        return msg("trace.outcome.issued_before", day=scope.issued_or_renewed_from)
    for excluded in scope.excludes:
        if excluded.coverage_type != plan.coverage_type:
            continue
        if excluded.up_to_months is None:
            return msg("trace.outcome.coverage_type", coverage=plan.coverage_type)
        if plan.term_months is not None and plan.term_months <= excluded.up_to_months:
            return msg("trace.outcome.short_term", months=excluded.up_to_months)
    return None


def _fixed_outcome(
    rule: CoverageRule, effect: RuleEffect, plan: Plan, law, as_of
) -> RuleOutcome | None:  # noqa: ANN001
    """The outcome when the plan alone decides it (funding, plan type, kind of coverage, issue
    date), else None."""
    scope = rule.applies_to
    if plan.funding not in scope.funding and plan.funding != "unknown":
        return RuleOutcome(rule, effect, "not_applicable", _funding_reason(rule, plan, law, as_of))
    if scope.plan_types and plan.plan_type not in scope.plan_types and plan.plan_type != "unknown":
        reason = msg(
            "trace.outcome.plan_type", types=", ".join(scope.plan_types), plan_type=plan.plan_type
        )
        return RuleOutcome(rule, effect, "not_applicable", reason)
    reason = _coverage_reason(rule, plan)
    if reason is not None:
        return RuleOutcome(rule, effect, "not_applicable", reason)
    return None


def _short_term_unknown(rule: CoverageRule, plan: Plan) -> bool:
    return plan.term_months is None and any(
        e.coverage_type == plan.coverage_type and e.up_to_months for e in rule.applies_to.excludes
    )


def _deciding_effect(rule: CoverageRule, effect: RuleEffect | None) -> RuleEffect | None:
    """The effect without the parts the facts file does not verify: they never decide."""
    if effect is None or not rule.unverified_effects:
        return effect
    return effect.model_copy(update={name: None for name in rule.unverified_effects})


def prepare_rule(rule: CoverageRule, plan: Plan, as_of: dt.date, law: LawBook) -> RulePrep | None:
    """Whether a rule reaches this plan. None: not relevant at all (other market/state)."""
    scope = rule.applies_to
    if plan.market not in scope.markets:
        return None
    if scope.states and plan.situs_state not in scope.states:
        return None
    stated = rule.effect_at(as_of)
    effect = _deciding_effect(rule, stated)
    prep = RulePrep(
        rule=rule,
        effect=effect,
        fixed=None,
        plan_unknowns=[],
        conditions=list(rule.triggers.conditions),
        match_any=rule.triggers.match == "any",
        words=_condition_words(rule),
        effect_words=_effect_words_of(rule, effect),
        unless=list(rule.triggers.unless),
        read_values=_values_reader(rule.triggers.conditions, rule.triggers.unless),
    )
    if effect is not None and effect != stated:
        prep.unverified_words = msg(
            "answer.unverified.effect",
            rule=rule.title,
            citation=rule.citation,
            effects=effect_words(_only(stated, rule.unverified_effects), rule),
        )
    if effect is None:
        prep.fixed = RuleOutcome(rule, None, "inactive", msg("trace.outcome.inactive", day=as_of))
        return prep
    prep.fixed = _fixed_outcome(rule, effect, plan, law, as_of)
    if prep.fixed is None:
        if plan.funding not in scope.funding:
            prep.plan_unknowns.append(_FUNDING_QUESTION)
        if scope.plan_types and plan.plan_type not in scope.plan_types:
            prep.plan_unknowns.append(_PLAN_TYPE_QUESTION)
        if _short_term_unknown(rule, plan):
            prep.plan_unknowns.append(_TERM_QUESTION)
    return prep


def _only(effect: RuleEffect, names: list[str]) -> RuleEffect:
    return RuleEffect(**{name: getattr(effect, name) for name in names})


def assess_rule(prep: RulePrep, case: Case, plan: Plan) -> RuleOutcome:
    """The rule's outcome for this case: its triggers are the only part the case decides."""
    if prep.fixed is not None:
        return prep.fixed
    values = prep.read_values(case, plan)
    outcome = prep.by_values.get(values)
    if outcome is None:
        outcome = prep.by_values[values] = _triggered_outcome(prep, values)
    return outcome


def _triggered_outcome(prep: RulePrep, values: tuple[Answer, ...]) -> RuleOutcome:
    rule, effect, words = prep.rule, prep.effect, prep.words
    exclusions = values[len(prep.conditions) :]
    values = values[: len(prep.conditions)]
    met = _any(values) if prep.match_any else _all(values)
    if met == "no":
        return RuleOutcome(
            rule, effect, "not_applicable", msg("trace.outcome.not_met", conditions=words)
        )
    for name, value in zip(prep.unless, exclusions, strict=True):
        if value == "yes":
            reason = msg("trace.outcome.excluded", exclusion=Msg(f"trace.unless.{name}"))
            return RuleOutcome(rule, effect, "not_applicable", reason)
    unknowns = list(prep.plan_unknowns)
    for name, value in zip(prep.unless, exclusions, strict=True):
        if value == "unknown":
            unknowns.append((EXCLUSION_FIELDS[name], Msg(f"answer.question.unless.{name}")))
    if met == "unknown":
        for trig, value in zip(prep.conditions, values, strict=True):
            if value == "unknown" and trig in TRIGGER_QUESTIONS:
                unknowns.append(TRIGGER_QUESTIONS[trig])
    if unknowns:
        reason = msg("trace.outcome.depends", conditions=words)
        return RuleOutcome(rule, effect, "depends", reason, unknowns)
    return RuleOutcome(rule, effect, "applied", msg("trace.outcome.applied", conditions=words))


# A rule prepared for a plan depends on the plan only through its funding and type (and
# whether the rule reaches it at all): plans alike share one RulePrep, with its outcomes.
_PREPS: IdentityCache[RulePrep | None] = IdentityCache(maxsize=16384)


def _shared_prep(rule: CoverageRule, plan: Plan, as_of: dt.date, law: LawBook) -> RulePrep | None:
    scope = rule.applies_to
    if plan.market not in scope.markets or (scope.states and plan.situs_state not in scope.states):
        return None
    key = (
        id(law),
        id(rule),
        plan.funding,
        plan.plan_type,
        plan.sponsor,
        plan.coverage_type,
        plan.term_months,
        plan.issue_date,
        as_of,
    )
    prep = _PREPS.get(key)
    if prep is None:
        prep = _PREPS.put(key, (law, rule), prepare_rule(rule, plan, as_of, law))
    return prep


def _plan_view(law: LawBook, plan: Plan, market: MarketProfile, as_of: dt.date) -> PlanView:
    rules = [p for r in law.rules if (p := _shared_prep(r, plan, as_of, law)) is not None]
    order = sorted(range(len(rules)), key=lambda i: (rules[i].rule.priority, rules[i].rule.id))
    terms, costs = plan.second_opinion, plan.cost_sharing
    return PlanView(
        rules=rules,
        trace_order=order,
        market=market,
        same_access=terms.in_network == terms.out_of_network,
        in_cost=network.tier_words(costs.in_network),
        out_cost=None if costs.out_of_network is None else network.tier_words(costs.out_of_network),
        not_in_force=None if plan.active_on(as_of) else _not_in_force(plan),
    )


def _not_in_force(plan: Plan) -> Asked:
    question = msg(
        "answer.question.plan_effective",
        plan=plan.name,
        start=plan.effective.start,
        end=plan.effective.end.isoformat()
        if plan.effective.end
        else Msg("answer.question.plan_effective_now"),
    )
    return "plan.effective", question, Msg("answer.why.plan_effective")


# A catalog of thousands of plans, checked on a few dates, fits; beyond that, oldest out first.
_PLAN_VIEWS: IdentityCache[PlanView] = IdentityCache(maxsize=4096)


def _rule_trace(prep: RulePrep, outcome: RuleOutcome, overrides: list[str] | None) -> TraceFacts:
    key = (id(outcome), tuple(overrides or ()))
    entry = prep.traces.get(key)
    if entry is None:
        entry = prep.traces[key] = _shared_rule_trace(prep, outcome.status, outcome.reason, key[1])
    return entry


# A rule's trace entries are the same for every plan it reaches: shared between plans, by rule.
_RULE_TRACES: IdentityCache[dict[tuple, TraceFacts]] = IdentityCache(maxsize=1024)


def _shared_rule_trace(
    prep: RulePrep, status: str, reason: Msg, overrides: tuple[str, ...]
) -> TraceFacts:
    rule = prep.rule
    entries = _RULE_TRACES.get(id(rule))
    if entries is None:
        entries = _RULE_TRACES.put(id(rule), (rule,), {})
    key = (status, reason, prep.effect_words, overrides)
    entry = entries.get(key)
    if entry is None:
        effect = reason
        if status in ("applied", "depends"):
            effect = msg("trace.outcome.with_effect", reason=reason, effect=prep.effect_words)
        entry = entries[key] = TraceFacts(
            rule_id=rule.id,
            layer=rule.layer,
            title=rule.title,
            status=status,
            effect=effect,
            citation=rule.citation,
            verified=rule.verified,
            last_verified=rule.last_verified,
            priority=rule.priority,
            overrides=overrides,
        )
    return entry


# --- is the opinion covered? ---------------------------------------------------------------------

RANK = {"not-covered": 0, "indeterminate": 1, "conditional": 2, "covered": 3}
_PLAN_VERDICT = {
    "yes": "covered",
    "no": "not-covered",
    "conditional": "conditional",
    "not_stated": "indeterminate",
}
_COVERAGE_TITLE = Msg("trace.plan.coverage.title")


def _coverage(work: Work, live: list[RuleOutcome]) -> str:
    """Is the second (or third) opinion covered at all? Most generous source wins."""
    plan = work.plan
    if work.case.reasons.opinions_so_far >= 2:
        return _third_opinion(work, live)
    terms = plan.second_opinion.coverage
    plan_verdict = _PLAN_VERDICT[terms.covered]
    plan_words = (
        msg("trace.plan.coverage.conditional", conditions=tuple(terms.conditions))
        if plan_verdict == "conditional"
        else Msg(f"trace.plan.coverage.{plan_verdict}")
    )
    mandates = [o for o in live if o.effect and o.effect.covers_second_opinion]
    applied = [o for o in mandates if o.status == "applied"]
    plan_id = f"plan:{plan.id}:second_opinion.coverage"
    status = "applied"
    if applied:
        winner = min(applied, key=lambda o: (-o.rule.priority, o.rule.id))
        if RANK[plan_verdict] < RANK["covered"]:
            work.overrides[winner.rule.id] = [plan_id]
            work.coverage_by_law = True
            status = "overridden"
        verdict = "covered"
    else:
        verdict = plan_verdict
        if any(o.status == "depends" for o in mandates) and RANK[verdict] < RANK["conditional"]:
            verdict = "conditional"
    work.plan_trace(plan_id, _COVERAGE_TITLE, terms, plan_words, status)
    if verdict == "conditional" and terms.covered == "conditional":
        for index, condition in enumerate(terms.conditions):
            work.need(
                f"plan.second_opinion.coverage.conditions[{index}]",
                msg("answer.question.plan_condition", condition=condition.rstrip(".")),
                Msg("answer.why.plan_condition"),
            )
    if verdict == "indeterminate":
        work.need(
            "plan.second_opinion.coverage",
            Msg("answer.question.coverage_not_stated"),
            Msg("answer.why.coverage_not_stated"),
        )
    return verdict


_THIRD_TITLE = Msg("trace.plan.third_opinion.title")


def _third_opinion(work: Work, live: list[RuleOutcome]) -> str:
    plan, case = work.plan, work.case
    term = plan.second_opinion.third_opinion
    plan_id = f"plan:{plan.id}:second_opinion.third_opinion"
    if term.covered == "yes":
        work.plan_trace(plan_id, _THIRD_TITLE, term, Msg("trace.plan.third_opinion.covered"))
        return "covered"
    law_third = [o for o in live if o.effect and o.effect.third_opinion_when_opinions_differ]
    when_differ = term.covered == "when_first_two_differ" or any(
        o.status == "applied" for o in law_third
    )
    if term.covered == "when_first_two_differ":
        work.plan_trace(plan_id, _THIRD_TITLE, term, Msg("trace.plan.third_opinion.when_differ"))
    elif term.covered == "no":
        words = Msg("trace.plan.third_opinion.not_covered")
        work.plan_trace(
            plan_id, _THIRD_TITLE, term, words, "overridden" if when_differ else "applied"
        )
    if when_differ:
        differ = case.reasons.opinions_differ
        if differ in ("yes", "no"):
            return "covered" if differ == "yes" else "not-covered"
        work.need(
            "reasons.opinions_differ",
            Msg("answer.question.opinions_differ"),
            Msg("answer.why.third_opinion_when_differ"),
        )
        return "conditional"
    if term.covered == "no":
        return "not-covered"
    work.need(
        "plan.second_opinion.third_opinion",
        Msg("answer.question.third_opinion_not_stated"),
        Msg("answer.why.not_stated"),
    )
    return "indeterminate"


def _visit_type(work: Work, covered: str) -> str:
    """A telehealth visit or a records-only review needs the plan to cover that kind of visit."""
    visit = work.case.provider.visit_type
    if visit not in ("telehealth", "records_review") or covered == "not-covered":
        return covered
    term = getattr(work.plan.second_opinion, visit)
    plan_id = f"plan:{work.plan.id}:second_opinion.{visit}"
    title = Msg(f"trace.plan.{visit}.title")
    if term.covered == "yes":
        work.plan_trace(plan_id, title, term, Msg(f"trace.plan.{visit}.covered"))
        return covered
    if term.covered == "no":
        work.plan_trace(plan_id, title, term, Msg(f"trace.plan.{visit}.not_covered"))
        work.need(
            "provider.visit_type",
            Msg(f"answer.question.{visit}_not_covered"),
            Msg(f"answer.why.{visit}_in_person"),
        )
    else:
        work.plan_trace(plan_id, title, term, Msg(f"trace.plan.{visit}.not_stated"))
        work.need(
            f"plan.second_opinion.{visit}",
            Msg(f"answer.question.{visit}_not_stated"),
            Msg("answer.why.not_stated"),
        )
    return "conditional" if covered == "covered" else covered


# --- the decision --------------------------------------------------------------------------------


def _work_for(plan: Plan, case: Case, as_of: dt.date, law: LawBook) -> Work:
    market = profile(plan.market)
    view_key = (id(law), id(plan), id(market), as_of)
    view = _PLAN_VIEWS.get(view_key)
    if view is None:
        view = _PLAN_VIEWS.put(view_key, (law, plan, market), _plan_view(law, plan, market, as_of))
    work = Work(plan, case, as_of, law, view)
    if view.not_in_force is not None:
        work.need(*view.not_in_force)
    return work


# The effect fields the network, access and cost decisions look at (Work.effects).
_ACCESS_FIELDS = ("providers", "referral", "prior_auth", "cost_sharing")


_NO_EFFECTS: frozenset = frozenset()


def _effect_pairs(applied: list[RuleOutcome]) -> frozenset:
    """The (field, value) pairs of the applied rules' effects (kept on each shared outcome)."""
    pairs = _NO_EFFECTS
    for outcome in applied:
        if outcome.effect_pairs is None:
            effect = outcome.effect
            outcome.effect_pairs = frozenset((n, getattr(effect, n)) for n in _ACCESS_FIELDS)
        pairs = outcome.effect_pairs if not pairs else pairs | outcome.effect_pairs
    return pairs


def _assess_rules(work: Work, case: Case) -> Assessed:
    """Every rule's outcome (in the view's order), and what follows from them alone: worked
    out once per view and set of outcomes, which are shared (RulePrep.by_values)."""
    view = work.view
    outcomes = tuple([assess_rule(p, case, work.plan) for p in view.rules])
    key = tuple(map(id, outcomes))
    assessed = view.assessed.get(key)
    if assessed is None:
        assessed = view.assessed[key] = _assessment(view, outcomes)
    work.applied = list(assessed.applied)
    work.effects = assessed.effects
    work.unverified.extend(assessed.unverified)
    for field_path, question, why in assessed.needs:
        work.need(field_path, question, why)
    return assessed


def _assessment(view: PlanView, outcomes: tuple[RuleOutcome, ...]) -> Assessed:
    live = [o for o in outcomes if o.status in ("applied", "depends")]
    applied = [o for o in live if o.status == "applied" and o.effect]
    unverified = [
        prep.unverified_words
        for prep, outcome in zip(view.rules, outcomes, strict=True)
        if prep.unverified_words is not None and outcome.status in ("applied", "depends")
    ]
    needs: list[Asked] = []
    for outcome in live:
        rule = outcome.rule
        if outcome.status == "depends":
            if outcome.why is None:
                outcome.why = msg("answer.why.rule_depends", rule=rule.title)
            needs += [
                (field_path, question, outcome.why) for field_path, question in outcome.unknowns
            ]
        if not rule.verified:
            if outcome.unverified is None:
                outcome.unverified = msg(
                    "answer.unverified.rule", rule=rule.title, citation=rule.citation
                )
            unverified.append(outcome.unverified)
    return Assessed(
        outcomes=outcomes,
        live=tuple(live),
        applied=tuple(o.effect for o in applied),  # type: ignore[misc]
        effects=_effect_pairs(applied),
        unverified=tuple(unverified),
        needs=tuple(needs),
    )


T = TypeVar("T")


class Step:
    """A step after the rules, and the case's answers it reads (dotted paths): yes/no/unknown
    answers and the like, never member data. It is worked out once per set of rule outcomes
    and those answers (and any other values it is given), then done again from a Replay."""

    __slots__ = ("name", "reads", "answers")

    def __init__(self, name: str, reads: tuple[str, ...]) -> None:
        self.name, self.reads = name, reads
        if len(reads) > 1:
            self.answers: Callable[[Case], tuple] = attrgetter(*reads)
        elif reads:
            one = attrgetter(reads[0])
            self.answers = lambda case: (one(case),)
        else:
            self.answers = lambda case: ()


COVERAGE_STEP = Step("coverage", ("reasons.opinions_so_far", "reasons.opinions_differ"))
NETWORK_STEP = Step("network", ("provider.in_network", "qualified_in_network_specialist"))
VISIT_STEP = Step("visit", ("provider.visit_type",))
ACCESS_STEP = Step("access", ())


def _shared_step(
    work: Work, assessed: Assessed, step: Step, given: tuple, run: Callable[[Work], T]
) -> T:
    """`run(work)`, worked out once per set of rule outcomes, the step's answers and `given`,
    then done again from what it did: the facts it asked for, its trace entries, the rule ids
    won over, the flags it changed."""
    answers = step.answers(work.case)
    key = (step.name, answers, given)
    replay = assessed.steps.get(key)
    if replay is None:
        replay = assessed.steps[key] = _record(work, step, answers, run)
    for field_path, question, why in replay.needs:
        work.need(field_path, question, why)
    if replay.trace:
        work.trace.extend(replay.trace)
    for winner, losers in replay.overrides:
        work.overrides.setdefault(winner, []).extend(losers)
    for name, value in replay.flags:
        setattr(work, name, value)
    return replay.value


_FLAGS = ("gap_law", "coverage_by_law")


def _record(work: Work, step: Step, answers: tuple, run: Callable[[Work], T]) -> Replay:
    """Run the step on a fresh Work that starts where `work` stands, with a case that holds
    only the answers the step reads (reading any other field is an AttributeError, so a
    step can neither depend on nor keep anything outside its key), and keep what it did."""
    case = _answers_only(step.reads, answers)
    scratch = Work(work.plan, case, work.as_of, work.law, work.view)  # type: ignore[arg-type]
    scratch.applied, scratch.effects = work.applied, work.effects
    for name in _FLAGS:
        setattr(scratch, name, getattr(work, name))
    value = run(scratch)
    return Replay(
        value=value,
        needs=tuple((n.field, n.question, why) for n in scratch.info.values() for why in n.why),
        trace=tuple(scratch.trace),
        overrides=tuple((winner, tuple(losers)) for winner, losers in scratch.overrides.items()),
        flags=tuple(
            (name, getattr(scratch, name))
            for name in _FLAGS
            if getattr(scratch, name) != getattr(work, name)
        ),
    )


def _answers_only(paths: tuple[str, ...], values: tuple) -> SimpleNamespace:
    case = SimpleNamespace()
    for path, value in zip(paths, values, strict=True):
        *parents, last = path.split(".")
        obj = case
        for name in parents:
            if not hasattr(obj, name):
                setattr(obj, name, SimpleNamespace())
            obj = getattr(obj, name)
        setattr(obj, last, value)
    return case


def _trace_order(entry: TraceFacts) -> tuple[int, str, str]:
    return entry.priority, entry.layer, entry.rule_id


def _trace(work: Work, assessed: Assessed) -> tuple[TraceFacts, ...]:
    """The law layers in priority order, with what each did, then everything by priority.

    The entries are shared (the view's plan terms, the preps' rule entries), so the same
    entries give the same trace: one tuple per view and set of entries, sorted once, that
    coverage.explain words once. With the rules' outcomes assessed together, the plan terms
    traced so far and the rule ids won over give the entries: the tuple is kept by those."""
    trace, overrides = work.trace, work.overrides
    won = tuple([(w, tuple(losers)) for w, losers in overrides.items()]) if overrides else ()
    key = (tuple(map(id, trace)), won)  # the entries are kept alive by the view (and the value)
    shared = assessed.traces.get(key)
    if shared is None:
        shared = assessed.traces[key] = _sorted_trace(work, assessed.outcomes)
    return shared


def _sorted_trace(work: Work, outcomes: tuple[RuleOutcome, ...]) -> tuple[TraceFacts, ...]:
    view, trace = work.view, work.trace
    for index in view.trace_order:
        outcome, prep = outcomes[index], view.rules[index]
        trace.append(_rule_trace(prep, outcome, work.overrides.get(outcome.rule.id)))
    key = tuple(map(id, trace))  # the view's dict keeps the entries alive (its values)
    shared = view.traces.get(key)
    if shared is None:
        shared = view.traces[key] = tuple(sorted(trace, key=_trace_order))
    return shared


@lru_cache(maxsize=1024)
def _unverified_deadline(title: Msg, within: Msg) -> Msg:
    return msg("answer.unverified.deadline", title=title, within=within)


def decide(plan: Plan, case: Case, as_of: dt.date, law: LawBook) -> Decision:
    """Decide coverage of the second opinion in `case` under `plan` on `as_of`: codes and
    facts, with every sentence as a message (coverage.explain words it)."""
    work = _work_for(plan, case, as_of, law)
    assessed = _assess_rules(work, case)
    live = list(assessed.live)

    covered = _shared_step(work, assessed, COVERAGE_STEP, (), lambda w: _coverage(w, live))
    route = _shared_step(work, assessed, NETWORK_STEP, (), lambda w: network.network(w, live))
    if route.outcome == "not_covered" and covered in ("covered", "conditional"):
        covered = "not-covered"
    elif route.outcome == "unknown" and covered == "covered":
        covered = "conditional"
    covered = _shared_step(
        work, assessed, VISIT_STEP, (covered,), lambda w: _visit_type(w, covered)
    )
    referral_needed, pa_needed = _shared_step(
        work,
        assessed,
        ACCESS_STEP,
        (route, work.coverage_by_law),
        lambda w: network.access(w, route),
    )
    cost = network.cost(work, route)
    deadlines = deadline_facts(plan, case, as_of, law, work.view.market)
    for deadline in deadlines:
        if not deadline.verified:
            work.unverified.append(_unverified_deadline(deadline.title, deadline.within))
    trace = _trace(work, assessed)

    if covered == "not-covered":
        pa_needed = None  # CRD invariant: not covered → no pa-needed
        referral_needed = None
    if work.info and covered == "covered":
        covered = "conditional"  # CRD invariant: info-needed present iff something is conditional
    if covered in ("conditional", "indeterminate") and not work.info:
        work.need(
            "plan.second_opinion", Msg("answer.question.call_plan"), Msg("answer.why.nothing_else")
        )

    actions.documents(work, pa_needed, route)
    letters = actions.letters(work, pa_needed, route, covered)
    return Decision(
        plan=plan,
        law=law,
        case_id=case.case_id,
        as_of=as_of,
        covered=covered,
        pa_needed=pa_needed,
        referral_needed=referral_needed,
        opinion="third" if case.reasons.opinions_so_far >= 2 else "second",
        network=route,
        cost=cost,
        docs=tuple(work.docs),
        info=tuple(work.info.values()),
        steps=actions.next_steps(
            work, covered, pa_needed, referral_needed, route, letters, deadlines
        ),
        letters=letters,
        deadlines=deadlines,
        unverified=tuple(dict.fromkeys(work.unverified)),
        trace=trace,
    )


def evaluate(
    plan: Plan, case: Case, as_of: dt.date, law: LawBook, *, language: str = "en"
) -> Determination:
    """Decide coverage of the second opinion in `case` under `plan` on `as_of`, in words."""
    return explain.determination(decide(plan, case, as_of, law), language)


def clear_caches() -> None:
    """Forget everything worked out from plans and law books, and the shared output parts
    (for tests and benchmarks: answers never depend on it)."""
    _PLAN_VIEWS.clear()
    _PREPS.clear()
    network.clear_caches()
    _RULE_TRACES.clear()
    _EFFECT_WORDS.clear()
    explain.clear_caches()
    clear_deadline_caches()
