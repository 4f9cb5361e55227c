"""The rules engine: does this plan cover a second opinion, and what must the patient do?

Layers, lowest first (explicit priorities, shown in the trace):
  1. the federal baseline for the plan's market (priority 100-199),
  2. state mandates: a floor, for fully insured plans sitused in that state only, never for a
     self-funded ERISA plan (priority 200-299),
  3. the plan's own terms (priority 300): where they are more generous, they win.
On each point the most generous applicable source wins, and the trace says which won over which.

Unknown facts never pick a specific rule: the answer narrows to what is certain, and each
unknown that would change it becomes an `info_needed` entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from coverage._memo import IdentityCache
from coverage.appeals import next_appeal_step
from coverage.base import Answer
from coverage.case import Case
from coverage.deadlines import clear_caches as clear_deadline_caches
from coverage.deadlines import compute_deadlines
from coverage.determination import (
    CostShare,
    DocNeed,
    InfoNeed,
    LetterType,
    Network,
    TraceEntry,
)
from coverage.determination import (
    Determination as Determination,
)
from coverage.law import CoverageRule, LawBook, RuleEffect, Trigger
from coverage.markets import MarketProfile, profile
from coverage.plan import AccessRules, Plan, SourcedTerm, TierCostSharing
from coverage.statements import market_law, say, situation

PLAN_PRIORITY = 300

DISCLAIMER = (
    '"Covered" does not guarantee payment: deductibles, limits and the plan\'s own review '
    "still apply. This is information, not legal advice. Each rule shows when it was "
    "last checked; if a notice you received gives a different date or deadline, the "
    "notice governs — ask the plan."
)

# Output parts whose fields are all immutable (str, bool, date) are frozen models, so equal
# arguments can share one instance: validating them again for every answer is most of the
# engine's cost. Called with the same keywords as the model, so the fields a dump with
# exclude_unset shows do not change. (TraceEntry holds a list: never shared.)
_shared_network = lru_cache(maxsize=1024, typed=True)(Network)
_shared_info_need = lru_cache(maxsize=4096, typed=True)(InfoNeed)
_shared_doc_need = lru_cache(maxsize=256, typed=True)(DocNeed)
_shared_cost_share = lru_cache(maxsize=4096, typed=True)(CostShare)

# Model(**fields) and Model.model_validate(fields) both run this validator; calling it with the
# dict directly skips their Python wrappers (a third of the cost of a small model).
_new_trace_entry = TraceEntry.__pydantic_validator__.validate_python
_new_determination = Determination.__pydantic_validator__.validate_python

TRIGGER_WORDS: dict[str, str] = {
    "always": "always",
    "cancer": "the condition is cancer",
    "newly_diagnosed_cancer": "newly diagnosed cancer",
    "surgery_recommended": "surgery has been recommended",
    "major_treatment_recommended": "a major treatment (chemotherapy, radiation) is recommended",
    "treatment_not_working": "the current treatment is not working",
    "diagnosis_unclear": "the diagnosis or treatment plan is unclear",
    "plan_requires_referrals": "the plan requires referrals",
}

# The case field and plain question that settles each trigger.
TRIGGER_QUESTIONS: dict[str, tuple[str, str]] = {
    "cancer": ("diagnosis.is_cancer", "Is the diagnosis cancer?"),
    "newly_diagnosed_cancer": (
        "diagnosis.newly_diagnosed",
        "Was the cancer diagnosed recently, before any treatment started?",
    ),
    "surgery_recommended": ("reasons.surgery_recommended", "Has a doctor recommended surgery?"),
    "major_treatment_recommended": (
        "reasons.major_treatment_recommended",
        "Has a doctor recommended chemotherapy, radiation or another major treatment?",
    ),
    "treatment_not_working": (
        "reasons.treatment_not_working",
        "Is your current treatment not working?",
    ),
    "diagnosis_unclear": (
        "reasons.diagnosis_unclear",
        "Is the diagnosis or the treatment plan unclear or disputed?",
    ),
    "plan_requires_referrals": (
        "plan.second_opinion.in_network.referral_required",
        "Does your plan require a referral to see a specialist?",
    ),
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


def _stated(value: str) -> Answer:
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
            return _stated(plan.second_opinion.in_network.referral_required)
    raise ValueError(f"unknown trigger {trigger!r}")  # pragma: no cover - the model forbids it


def _cited(law: LawBook, statement: str, day: dt.date) -> str:
    """A statement of law as a clause with its citation: 'text (citation)'."""
    said = say(law, statement, day, as_law=False)
    if said is None:
        return ""
    return f"{said.text} ({said.citation})" if said.citation else said.text


def _term_citation(term: SourcedTerm) -> str:
    return f"{term.source.document}, {term.source.section}"


def _money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return f"${value:,.0f}" if value == value.to_integral() else f"${value:,.2f}"


def _percent(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}%"


@dataclass
class _RuleOutcome:
    rule: CoverageRule
    effect: RuleEffect | None
    status: str  # applied | depends | not_applicable | inactive
    reason: str
    unknowns: list[tuple[str, str]] = field(default_factory=list)  # (field, question)


@dataclass(slots=True)
class _Work:
    """Everything gathered while evaluating one case, turned into a Determination at the end."""

    plan: Plan
    case: Case
    as_of: dt.date
    law: LawBook
    view: _PlanView
    trace: list[TraceEntry] = field(default_factory=list)
    info: dict[str, InfoNeed] = field(default_factory=dict)
    docs: list[DocNeed] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    overrides: dict[str, list[str]] = field(default_factory=dict)  # winner rule id -> losers
    applied: list[RuleEffect] = field(default_factory=list)  # effects of the applied rules

    def need(self, field_path: str, question: str, why: str) -> None:
        if field_path in self.info:
            old = self.info[field_path]
            if why not in old.why:
                self.info[field_path] = _shared_info_need(
                    field=field_path, question=old.question, why=f"{old.why} {why}"
                )
            return
        self.info[field_path] = _shared_info_need(field=field_path, question=question, why=why)

    def plan_trace(
        self,
        rule_id: str,
        title: str,
        term: SourcedTerm,
        effect: str,
        status: str = "applied",
        overrides: list[str] | None = None,
    ) -> None:
        self.trace.append(
            _new_trace_entry(
                {
                    "rule_id": rule_id,
                    "layer": "plan",
                    "title": title,
                    "status": status,
                    "effect": effect,
                    "citation": _term_citation(term),
                    "verified": True,
                    "last_verified": term.last_verified,
                    "priority": PLAN_PRIORITY,
                    "overrides": overrides or [],
                }
            )
        )


@dataclass(slots=True)
class _RulePrep:
    """One rule as it stands for one plan on one date: everything but the case's answers."""

    rule: CoverageRule
    effect: RuleEffect | None
    fixed: _RuleOutcome | None  # the outcome when the case cannot change it
    plan_unknowns: list[tuple[str, str]]  # plan facts (funding, type) the rule turns on
    conditions: list[Trigger]
    match_any: bool
    words: str
    effect_words: str
    trace_fields: dict  # the rule's TraceEntry fields that do not depend on the case
    # Outcomes by trigger values: at most 3 ** len(conditions); outcomes are never changed.
    by_values: dict[tuple[Answer, ...], _RuleOutcome] = field(default_factory=dict)


def _prepare_rule(rule: CoverageRule, plan: Plan, as_of: dt.date, law: LawBook) -> _RulePrep | None:
    """Whether a rule reaches this plan. None: not relevant at all (other market/state)."""
    scope = rule.applies_to
    if plan.market not in scope.markets:
        return None
    if scope.states and plan.situs_state not in scope.states:
        return None
    effect = rule.effect_at(as_of)
    words = "; ".join(TRIGGER_WORDS[t] for t in rule.triggers.conditions)
    if len(rule.triggers.conditions) > 1:
        words = f"{rule.triggers.match} of: {words}"
    prep = _RulePrep(
        rule=rule,
        effect=effect,
        fixed=None,
        plan_unknowns=[],
        conditions=list(rule.triggers.conditions),
        match_any=rule.triggers.match == "any",
        words=words,
        effect_words=_effect_words(effect, rule),
        trace_fields={
            "rule_id": rule.id,
            "layer": rule.layer,
            "title": rule.title,
            "citation": rule.citation,
            "verified": rule.verified,
            "last_verified": rule.last_verified,
            "priority": rule.priority,
        },
    )
    if effect is None:
        prep.fixed = _RuleOutcome(rule, None, "inactive", f"not in effect on {as_of.isoformat()}")
        return prep
    unknowns = prep.plan_unknowns
    if plan.funding not in scope.funding:
        if plan.funding == "self_funded" and rule.layer == "state":
            prep.fixed = _RuleOutcome(
                rule,
                effect,
                "not_applicable",
                "does not apply: this is a self-funded employer plan, and "
                + _cited(law, "governing.preemption", as_of),
            )
            return prep
        if plan.funding != "unknown":
            prep.fixed = _RuleOutcome(
                rule, effect, "not_applicable", f"does not apply to {plan.funding} plans"
            )
            return prep
        unknowns.append(
            (
                "plan.funding",
                "Is your employer plan fully insured or self-funded? Ask HR or check the "
                "Summary Plan Description.",
            )
        )
    if scope.plan_types and plan.plan_type not in scope.plan_types:
        if plan.plan_type != "unknown":
            prep.fixed = _RuleOutcome(
                rule,
                effect,
                "not_applicable",
                f"applies to {', '.join(scope.plan_types)} plans; this plan is {plan.plan_type}",
            )
            return prep
        unknowns.append(
            ("plan.plan_type", "What type of plan is it (HMO, PPO, EPO, POS)? It is on your card.")
        )
    return prep


def _assess_rule(prep: _RulePrep, case: Case, plan: Plan) -> _RuleOutcome:
    """The rule's outcome for this case: its triggers are the only part the case decides."""
    if prep.fixed is not None:
        return prep.fixed
    values = tuple([trigger_value(t, case, plan) for t in prep.conditions])
    outcome = prep.by_values.get(values)
    if outcome is None:
        outcome = prep.by_values[values] = _triggered_outcome(prep, values)
    return outcome


def _triggered_outcome(prep: _RulePrep, values: tuple[Answer, ...]) -> _RuleOutcome:
    rule, effect, words = prep.rule, prep.effect, prep.words
    met = _any(values) if prep.match_any else _all(values)
    if met == "no":
        return _RuleOutcome(rule, effect, "not_applicable", f"condition not met ({words})")
    unknowns = list(prep.plan_unknowns)
    if met == "unknown":
        for trig, value in zip(prep.conditions, values, strict=True):
            if value == "unknown" and trig in TRIGGER_QUESTIONS:
                unknowns.append(TRIGGER_QUESTIONS[trig])
    if unknowns:
        return _RuleOutcome(rule, effect, "depends", f"applies only if known: {words}", unknowns)
    return _RuleOutcome(rule, effect, "applied", f"applies ({words})")


@dataclass
class _PlanView:
    """What evaluate() needs from one (law book, plan, date), worked out once and cached:
    plans and the law book are frozen, so none of it can change under us."""

    rules: list[_RulePrep]  # law.rules order (the order rules are assessed in)
    trace_order: list[int]  # indices into `rules`, by (priority, id): the trace order
    governing_law: str
    market: MarketProfile
    same_access: bool  # in- and out-of-network access terms are equal (see _access)
    in_cost: tuple[str, dict]  # _tier_words of the in-network cost sharing
    out_cost: tuple[str, dict] | None  # and of the out-of-network one, when the plan has it


def _plan_view(law: LawBook, plan: Plan, market: MarketProfile, as_of: dt.date) -> _PlanView:
    rules = [p for r in law.rules if (p := _prepare_rule(r, plan, as_of, law)) is not None]
    order = sorted(range(len(rules)), key=lambda i: (rules[i].rule.priority, rules[i].rule.id))
    terms, costs = plan.second_opinion, plan.cost_sharing
    return _PlanView(
        rules=rules,
        trace_order=order,
        governing_law=governing_law(plan, law, as_of),
        market=market,
        same_access=terms.in_network == terms.out_of_network,
        in_cost=_tier_words(costs.in_network),
        out_cost=None if costs.out_of_network is None else _tier_words(costs.out_of_network),
    )


# A catalog of thousands of plans, checked on a few dates, fits; beyond that, oldest out first.
_PLAN_VIEWS: IdentityCache[_PlanView] = IdentityCache(maxsize=4096)


def _rule_trace(
    prep: _RulePrep, outcome: _RuleOutcome, effect_text: str, overrides: list[str]
) -> TraceEntry:
    return _new_trace_entry(
        {
            **prep.trace_fields,
            "status": outcome.status,
            "effect": effect_text,
            "overrides": overrides,
        }
    )


def _gap_basis(gap_applied: list, exception_name: str | None) -> str:
    """Why the network gap is covered, in words; unverified rules are never named as law."""
    verified = [o.rule for o in gap_applied if o.rule.verified]
    if verified:
        kind = "state law" if all(r.layer == "state" for r in verified) else "the law"
        return f"{kind} ({', '.join(r.citation for r in verified)})"
    if gap_applied:
        return "your program's rules (confirm with your plan)"
    return f"your plan's {exception_name or 'network exception'}"


def _effect_words(effect: RuleEffect | None, rule: CoverageRule | None = None) -> str:
    if effect is None:
        return "no effect"
    parts = []
    if effect.covers_second_opinion:
        parts.append("requires coverage of a second opinion")
    if effect.third_opinion_when_opinions_differ:
        parts.append("covers a third opinion when the first two differ")
    if effect.network_gap_remedy == "in_network_cost_sharing":
        parts.append("no qualified in-network specialist → out of network at in-network cost")
    elif effect.network_gap_remedy == "no_more_than_initial_opinion":
        parts.append(
            "no qualified in-network specialist → out of network for no more than the first opinion cost"
        )
    elif effect.network_gap_remedy == "no_cost":
        parts.append("no qualified in-network specialist → arranged out of network at no cost")
    if effect.referral == "not_required":
        parts.append("no referral needed")
    if effect.prior_auth == "not_required":
        parts.append("no prior authorisation needed")
    if effect.referral == "plan_rules" or effect.prior_auth == "plan_rules":
        parts.append("the plan's referral and prior-authorisation rules still apply")
    if effect.cost_sharing == "plan_specialist":
        parts.append("the plan's usual specialist cost sharing")
    elif effect.cost_sharing == "no_cost":
        parts.append("no cost to the patient")
    elif effect.cost_sharing == "medicare_part_b":
        parts.append("Part B coinsurance after the Part B deductible")
    if effect.providers == "any_medicare_provider":
        parts.append("any doctor who accepts Medicare")
    if parts:
        return "; ".join(parts)
    market = profile(rule.applies_to.markets[0]) if rule is not None else None
    if market is not None and not market.features.state_insurance_law:
        return f"sets no coverage terms: the plan's {market.terms.plan_document} decides"
    return "sets no coverage terms: plan terms and state law decide"


RANK = {"not-covered": 0, "indeterminate": 1, "conditional": 2, "covered": 3}


def clear_caches() -> None:
    """Forget everything worked out from plans and law books, and the shared output parts
    (for tests and benchmarks: answers never depend on it)."""
    _PLAN_VIEWS.clear()
    for shared in (_shared_network, _shared_info_need, _shared_doc_need, _shared_cost_share):
        shared.cache_clear()
    clear_deadline_caches()


def evaluate(plan: Plan, case: Case, as_of: dt.date, law: LawBook) -> Determination:
    """Decide coverage of the second opinion in `case` under `plan` on `as_of`."""
    market = profile(plan.market)
    view_key = (id(law), id(plan), id(market), as_of)
    view = _PLAN_VIEWS.get(view_key)
    if view is None:
        view = _PLAN_VIEWS.put(view_key, (law, plan, market), _plan_view(law, plan, market, as_of))
    work = _Work(plan=plan, case=case, as_of=as_of, law=law, view=view)

    if not plan.active_on(as_of):
        work.need(
            "plan.effective",
            f"Is {plan.name} still your plan? Our data covers "
            f"{plan.effective.start.isoformat()} to "
            f"{plan.effective.end.isoformat() if plan.effective.end else 'now'}.",
            "These plan terms may not be the ones in force on the date checked.",
        )

    outcomes = [_assess_rule(p, case, plan) for p in view.rules]
    live = [o for o in outcomes if o.status in ("applied", "depends")]
    work.applied = [o.effect for o in live if o.status == "applied" and o.effect]
    for outcome in live:
        if outcome.status == "depends":
            for field_path, question in outcome.unknowns:
                work.need(field_path, question, f"It decides whether {outcome.rule.title} applies.")
        if not outcome.rule.verified:
            work.unverified.append(
                f"Confirm with your plan: {outcome.rule.title} ({outcome.rule.citation}) "
                "is not verified law."
            )

    covered = _coverage(work, live)
    network = _network(work, live)
    if network.outcome == "not_covered" and covered in ("covered", "conditional"):
        covered = "not-covered"
    elif network.outcome == "unknown" and covered == "covered":
        covered = "conditional"
    covered = _visit_type(work, covered)

    referral_needed, pa_needed = _access(work, live, network)
    cost = _cost(work, live, network)
    deadlines = compute_deadlines(plan, case, as_of, law)
    for deadline in deadlines:
        if not deadline.verified:
            work.unverified.append(f"Confirm with your plan: {deadline.title}: {deadline.within}.")

    # Trace the law layers in priority order, with what each did.
    for index in view.trace_order:
        outcome, prep = outcomes[index], view.rules[index]
        text = outcome.reason
        if outcome.status in ("applied", "depends"):
            text = f"{outcome.reason}: {prep.effect_words}"
        work.trace.append(_rule_trace(prep, outcome, text, work.overrides.get(outcome.rule.id, [])))
    work.trace.sort(key=lambda t: (t.priority, t.layer, t.rule_id))

    if covered == "not-covered":
        pa_needed = None  # CRD invariant: not covered → no pa-needed
        referral_needed = None
    if work.info and covered == "covered":
        covered = "conditional"  # CRD invariant: info-needed present iff something is conditional
    if covered in ("conditional", "indeterminate") and not work.info:
        work.need(
            "plan.second_opinion",
            "Call your plan and ask: does my plan cover a second opinion from an oncologist, "
            "and what do I need to do first?",
            "Nothing else in your plan's documents decides it.",
        )

    _documents(work, pa_needed, network)
    letters = _letters(work, pa_needed, referral_needed, network, covered)
    info = list(work.info.values())
    return _new_determination(
        {
            "case_id": case.case_id,
            "plan_id": plan.id,
            "plan_name": plan.name,
            "as_of": as_of,
            "covered": covered,
            "headline": _headline(work, covered, pa_needed, referral_needed, network, info),
            "pa_needed": pa_needed,
            "referral_needed": referral_needed,
            "network": network,
            "cost_sharing": cost,
            "doc_needed": work.docs,
            "info_needed": info,
            "next_steps": _next_steps(
                work, covered, pa_needed, referral_needed, network, letters, deadlines
            ),
            "letters": letters,
            "deadlines": deadlines,
            "governing_law": view.governing_law,
            "unverified": list(dict.fromkeys(work.unverified)),
            "trace": work.trace,
            "disclaimer": DISCLAIMER,
        }
    )


_PLAN_VERDICT = {
    "yes": "covered",
    "no": "not-covered",
    "conditional": "conditional",
    "not_stated": "indeterminate",
}
_PLAN_WORDS = {
    "covered": "the plan covers second opinions",
    "not-covered": "the plan's documents exclude second opinions",
    "conditional": "the plan covers second opinions on conditions: ",  # + the conditions
    "indeterminate": "the plan's documents do not say whether second opinions are covered",
}


def _coverage(work: _Work, live: list[_RuleOutcome]) -> str:
    """Is the second (or third) opinion covered at all? Most generous source wins."""
    plan, case = work.plan, work.case
    overrides = work.overrides
    third = case.reasons.opinions_so_far >= 2
    mandates = [o for o in live if o.effect and o.effect.covers_second_opinion]

    if third:
        return _third_opinion(work, live)

    terms = plan.second_opinion.coverage
    plan_verdict = _PLAN_VERDICT[terms.covered]
    if plan_verdict == "conditional":
        plan_words = _PLAN_WORDS[plan_verdict] + "; ".join(terms.conditions)
    else:
        plan_words = _PLAN_WORDS[plan_verdict]

    applied = [o for o in mandates if o.status == "applied"]
    depends = [o for o in mandates if o.status == "depends"]
    plan_id = f"plan:{plan.id}:second_opinion.coverage"
    if applied:
        winner = min(applied, key=lambda o: (-o.rule.priority, o.rule.id))
        if RANK[plan_verdict] < RANK["covered"]:
            overrides[winner.rule.id] = [plan_id]
            work.plan_trace(plan_id, "Plan terms: second opinions", terms, plan_words, "overridden")
        else:
            work.plan_trace(plan_id, "Plan terms: second opinions", terms, plan_words)
        verdict = "covered"
    else:
        work.plan_trace(plan_id, "Plan terms: second opinions", terms, plan_words)
        verdict = plan_verdict
        if depends and RANK[verdict] < RANK["conditional"]:
            verdict = "conditional"
    if verdict == "conditional" and terms.covered == "conditional":
        for index, condition in enumerate(terms.conditions):
            work.need(
                f"plan.second_opinion.coverage.conditions[{index}]",
                f"Your plan covers a second opinion when: {condition.rstrip('.')}. "
                "Does that fit your case?",
                "It is a condition in your plan's own terms.",
            )
    if verdict == "indeterminate":
        work.need(
            "plan.second_opinion.coverage",
            "Ask your plan: do you cover a second opinion from another oncologist? "
            "Ask for the answer in writing.",
            "Your plan's documents do not say, and no law we know of requires it for this plan.",
        )
    return verdict


def _third_opinion(work: _Work, live: list[_RuleOutcome]) -> str:
    plan, case = work.plan, work.case
    differ = case.reasons.opinions_differ
    term = plan.second_opinion.third_opinion
    law_third = [o for o in live if o.effect and o.effect.third_opinion_when_opinions_differ]
    plan_id = f"plan:{plan.id}:second_opinion.third_opinion"
    if term.covered == "yes":
        work.plan_trace(
            plan_id, "Plan terms: third opinions", term, "the plan covers a third opinion"
        )
        return "covered"
    when_differ = term.covered == "when_first_two_differ" or any(
        o.status == "applied" for o in law_third
    )
    if term.covered == "when_first_two_differ":
        work.plan_trace(
            plan_id,
            "Plan terms: third opinions",
            term,
            "covered when the first two opinions differ",
        )
    elif term.covered == "no":
        work.plan_trace(
            plan_id,
            "Plan terms: third opinions",
            term,
            "the plan does not cover a third opinion",
            "overridden" if when_differ else "applied",
        )
    if when_differ:
        if differ == "yes":
            return "covered"
        if differ == "no":
            return "not-covered"
        work.need(
            "reasons.opinions_differ",
            "Do the first two doctors disagree about the diagnosis or the treatment?",
            "A third opinion is covered when the first two differ.",
        )
        return "conditional"
    if term.covered == "no":
        return "not-covered"
    work.need(
        "plan.second_opinion.third_opinion",
        "Ask your plan: do you cover a third opinion?",
        "Your plan's documents do not say.",
    )
    return "indeterminate"


def _visit_type(work: _Work, covered: str) -> str:
    visit = work.case.provider.visit_type
    if visit not in ("telehealth", "records_review") or covered == "not-covered":
        return covered
    term = (
        work.plan.second_opinion.telehealth
        if visit == "telehealth"
        else work.plan.second_opinion.records_review
    )
    label = "telehealth visit" if visit == "telehealth" else "records-only review"
    plan_id = f"plan:{work.plan.id}:second_opinion.{'telehealth' if visit == 'telehealth' else 'records_review'}"
    if term.covered == "yes":
        work.plan_trace(
            plan_id, f"Plan terms: {label}", term, f"a second opinion by {label} is covered"
        )
        return covered
    if term.covered == "no":
        work.plan_trace(plan_id, f"Plan terms: {label}", term, f"the plan does not cover a {label}")
        work.need(
            "provider.visit_type",
            f"Your plan does not cover a second opinion as a {label}. Could you see the doctor "
            "in person instead?",
            f"An in-person visit may be covered where a {label} is not.",
        )
        return "conditional" if covered == "covered" else covered
    work.plan_trace(
        plan_id, f"Plan terms: {label}", term, f"the plan's documents do not mention a {label}"
    )
    work.need(
        "plan.second_opinion.telehealth"
        if visit == "telehealth"
        else "plan.second_opinion.records_review",
        f"Ask your plan: do you cover a second opinion as a {label}?",
        "Your plan's documents do not say.",
    )
    return "conditional" if covered == "covered" else covered


_OUT_OF_NETWORK_WORDS = {
    "yes": "covered out of network at out-of-network cost sharing",
    "no": "not covered out of network",
    "not_stated": "the plan's documents do not say",
}


def _network(work: _Work, live: list[_RuleOutcome]) -> Network:
    plan, case = work.plan, work.case
    in_net = case.provider.in_network
    if any(e.providers == "any_medicare_provider" for e in work.applied):
        if in_net == "yes":
            return _shared_network(outcome="in_network", explanation="The doctor accepts Medicare.")
        if in_net == "no":
            return _shared_network(
                outcome="not_covered",
                explanation="Original Medicare pays only doctors who accept Medicare. Choose a "
                "doctor who does.",
            )
        work.need(
            "provider.in_network",
            "Does the second-opinion doctor accept Medicare? Ask their office.",
            "Original Medicare pays only doctors who accept Medicare.",
        )
        return _shared_network(
            outcome="unknown", explanation="Covered if the doctor accepts Medicare."
        )

    if in_net == "yes":
        return _shared_network(
            outcome="in_network", explanation="The doctor is in your plan's network."
        )

    gap_rules = [o for o in live if o.effect and o.effect.network_gap_remedy]
    gap_applied = [o for o in gap_rules if o.status == "applied"]
    exception = plan.network_exception
    oon = plan.second_opinion.out_of_network
    specialist = case.qualified_in_network_specialist
    gap_route = bool(gap_applied) or exception.available == "yes"
    gap_maybe = bool(gap_rules) or exception.available == "not_stated"

    work.plan_trace(
        f"plan:{plan.id}:second_opinion.out_of_network",
        "Plan terms: out-of-network second opinions",
        oon,
        _OUT_OF_NETWORK_WORDS[oon.covered],
    )
    if exception.available != "not_stated":
        work.plan_trace(
            f"plan:{plan.id}:network_exception",
            "Plan terms: network exception",
            exception,
            (
                f"{exception.name or 'a network exception'} is available"
                if exception.available == "yes"
                else "the plan has no network exception process"
            ),
        )

    def gap_outcome() -> Network | None:
        if specialist == "no" and gap_route:
            for o in gap_applied:
                work.overrides.setdefault(o.rule.id, []).append(
                    f"plan:{plan.id}:second_opinion.out_of_network"
                )
            by = _gap_basis(gap_applied, exception.name)
            return _shared_network(
                outcome="out_of_network_at_in_network_cost",
                explanation="No qualified specialist is in your plan's network, so you can see "
                f"this doctor at in-network cost under {by}. Ask the plan to approve it "
                "before the visit.",
                exception_request_needed=True,
            )
        return None

    if in_net == "unknown":
        work.need(
            "provider.in_network",
            "Is the second-opinion doctor in your plan's network? Ask the doctor's office or "
            "check the plan's directory.",
            "In-network and out-of-network visits have different rules and costs.",
        )
    if (gap := gap_outcome()) is not None and in_net == "no":
        return gap
    if specialist == "unknown" and (gap_route or gap_maybe) and in_net != "yes":
        work.need(
            "qualified_in_network_specialist",
            "Is there an oncologist in your plan's network who treats your kind of cancer?",
            "If there is none, you may be able to see an out-of-network doctor at in-network cost.",
        )
    if in_net == "unknown":
        return _shared_network(
            outcome="unknown",
            explanation="We need to know whether the doctor is in your plan's network.",
        )
    # Out of network, and no gap route (yet) decides it.
    if oon.covered == "yes":
        return _shared_network(
            outcome="out_of_network_cost_sharing",
            explanation="Your plan covers out-of-network specialists at its out-of-network cost "
            "sharing, which is higher, and the doctor may bill you the difference.",
        )
    if specialist == "unknown" and (gap_route or gap_maybe):
        return _shared_network(
            outcome="unknown",
            explanation="Out of network, this doctor is covered only if no qualified specialist "
            "is in your plan's network.",
        )
    if oon.covered == "not_stated":
        work.need(
            "plan.second_opinion.out_of_network",
            "Ask your plan: do you cover a second opinion from an out-of-network doctor?",
            "Your plan's documents do not say.",
        )
        return _shared_network(
            outcome="unknown",
            explanation="Your plan's documents do not say whether "
            "out-of-network doctors are covered.",
        )
    return _shared_network(
        outcome="not_covered",
        explanation="Your plan does not cover out-of-network doctors, and a qualified specialist "
        "is in its network. Choose an in-network oncologist, or ask the plan for an exception "
        "if the in-network doctors lack expertise in your cancer.",
    )


_PA_NEEDED = {"yes": "auth-needed", "no": "no-auth"}  # anything else: conditional


def _access(
    work: _Work, live: list[_RuleOutcome], network: Network
) -> tuple[str | None, str | None]:
    """Referral and prior authorisation for the network tier the visit falls in."""
    plan = work.plan
    if any(e.referral == "not_required" for e in work.applied) and any(
        e.prior_auth == "not_required" for e in work.applied
    ):
        return "no", "no-auth"
    tiers: list[AccessRules] = []
    if network.outcome == "in_network":
        tiers = [plan.second_opinion.in_network]
    elif network.outcome in ("out_of_network_cost_sharing", "out_of_network_at_in_network_cost"):
        tiers = [plan.second_opinion.out_of_network]
    elif network.outcome == "unknown":
        tiers = [plan.second_opinion.in_network, plan.second_opinion.out_of_network]
    else:
        return None, None

    referral = {_stated(t.referral_required) for t in tiers}
    prior_auth = {_stated(t.prior_auth_required) for t in tiers}
    if network.exception_request_needed:
        prior_auth = {"yes"}  # the exception itself is an approval before the visit
    referral_needed = referral.pop() if len(referral) == 1 else "conditional"
    referral_needed = "conditional" if referral_needed == "unknown" else referral_needed
    pa = prior_auth.pop() if len(prior_auth) == 1 else "conditional"
    pa_needed = _PA_NEEDED.get(pa, "conditional")
    for tier_name, tier in (
        ("in_network", plan.second_opinion.in_network),
        ("out_of_network", plan.second_opinion.out_of_network),
    ):
        # `tier in tiers` compares by value, so equal in- and out-of-network terms both count;
        # the comparison of the two is done once per plan (view.same_access).
        if any(t is tier for t in tiers) or work.view.same_access:
            if tier.referral_required == "not_stated":
                work.need(
                    f"plan.second_opinion.{tier_name}.referral_required",
                    "Ask your plan: do I need a referral from my doctor for a second opinion?",
                    "Your plan's documents do not say.",
                )
            if tier.prior_auth_required == "not_stated" and not network.exception_request_needed:
                work.need(
                    f"plan.second_opinion.{tier_name}.prior_auth_required",
                    "Ask your plan: do I need prior approval (prior authorisation) before the visit?",
                    "Your plan's documents do not say.",
                )
    return referral_needed, pa_needed


def _tier_words(tier: TierCostSharing) -> tuple[str, dict]:
    """The tier's cost sharing in words, and the CostShare fields for it."""
    parts = []
    copay, coins = _money(tier.specialist_copay), _percent(tier.specialist_coinsurance_percent)
    if copay:
        parts.append(f"{copay} copay per specialist visit")
    if coins:
        parts.append(f"{coins} coinsurance")
    deductible = _money(tier.deductible_individual)
    if tier.deductible_applies and deductible:
        parts.append(f"after the {deductible} deductible")
    elif tier.deductible_applies is False:
        parts.append("the deductible does not apply")
    if tier.balance_billing_possible:
        parts.append("the doctor may bill you the difference above what the plan pays")
    summary = "; ".join(parts) if parts else "the plan's documents do not give the cost"
    return summary, dict(
        tier="in_network",
        summary=summary,
        copay=copay,
        coinsurance_percent=coins,
        deductible=deductible,
        deductible_applies=tier.deductible_applies,
    )


def _cost(work: _Work, live: list[_RuleOutcome], network: Network) -> CostShare:
    if any(e.cost_sharing == "medicare_part_b" for e in work.applied):
        pct, pct_param = work.law.param("medicare.part_b_coinsurance_percent", work.as_of)
        ded, ded_param = work.law.param("medicare.part_b_deductible_usd", work.as_of)
        return _shared_cost_share(
            tier="medicare_part_b",
            summary=f"{_percent(pct)} of the Medicare-approved amount after the Part B "
            f"deductible ({_money(ded)} in {work.as_of.year}) ({pct_param.citation}; "
            f"{ded_param.citation}). A supplement (Medigap) may pay some of this.",
            coinsurance_percent=_percent(pct),
            deductible=_money(ded),
            deductible_applies=True,
        )
    if any(e.cost_sharing == "no_cost" for e in work.applied):
        return _shared_cost_share(tier="no_cost", summary="No cost to you.")
    in_words, in_fields = work.view.in_cost
    if network.outcome in ("in_network", "out_of_network_at_in_network_cost"):
        summary = in_words
        if network.outcome == "out_of_network_at_in_network_cost":
            summary = f"In-network cost sharing: {summary}"
        return _shared_cost_share(**{**in_fields, "summary": summary})
    out = work.view.out_cost
    if network.outcome == "out_of_network_cost_sharing" and out is not None:
        return _shared_cost_share(
            **{**out[1], "tier": "out_of_network", "summary": f"Out of network: {out[0]}"}
        )
    summary = f"In network: {in_words}."
    if out is not None:
        summary += f" Out of network: {out[0]}."
    return _shared_cost_share(tier="unknown", summary=summary)


_CLINICAL_RECORDS = [
    _shared_doc_need(kind="clinical", purpose="withorder", description=text)
    for text in (
        "Pathology report and the slides or tissue blocks themselves",
        "Imaging reports and the images (CT, MRI, PET) on disc or by link (DICOM)",
        "Notes from your oncologist and any surgeon, and the treatment plan offered",
        "Lab and genomic (biomarker) test results",
    )
]


def _documents(work: _Work, pa_needed: str | None, network: Network) -> None:
    docs = work.docs
    docs.extend(_CLINICAL_RECORDS)
    if pa_needed in ("auth-needed", "conditional"):
        docs.append(
            _shared_doc_need(
                kind="clinical",
                purpose="withpa",
                description="A referral or letter of medical necessity from your oncologist",
            )
        )
    if network.exception_request_needed:
        docs.append(
            _shared_doc_need(
                kind="admin",
                purpose="withpa",
                description="Proof that no in-network specialist treats your cancer: directory "
                "searches and a log of the offices you called",
            )
        )
    if work.case.denial is not None:
        docs.append(
            _shared_doc_need(
                kind="admin",
                purpose="retain-doc",
                description="The denial notice, and a log of every call (date, person, "
                "reference number)",
            )
        )


# A request to the plan or a reviewer goes with a letter from the physician.
_NEEDS_PHYSICIAN_LETTER = frozenset(
    {
        "preauth_request",
        "network_exception_request",
        "appeal",
        "expedited_appeal",
        "external_review_request",
    }
)


def _letters(
    work: _Work,
    pa_needed: str | None,
    referral_needed: str | None,
    network: Network,
    covered: str,
) -> list[LetterType]:
    plan, case = work.plan, work.case
    letters: list[LetterType] = []
    denial = case.denial
    urgent = case.urgency.physician_certifies_urgent == "yes"
    features = work.view.market.features
    if denial is None:
        # The exception request is itself the approval request; one letter, not two.
        if (
            pa_needed in ("auth-needed", "conditional")
            and covered != "not-covered"
            and not network.exception_request_needed
        ):
            letters.append("preauth_request")
        if network.exception_request_needed or (
            network.outcome == "unknown"
            and case.qualified_in_network_specialist != "yes"
            and case.provider.in_network != "yes"
            and features.network
        ):
            letters.append("network_exception_request")
    else:
        step = next_appeal_step(plan, denial)
        if step == "external_review":
            letters.append("external_review_request")
        elif step == "internal_appeal":
            # Original Medicare has no expedited redetermination for a second opinion.
            expedited = urgent and features.expedited_appeal
            letters.append("expedited_appeal" if expedited else "appeal")
        if features.claim_file_letter:
            letters.append("claim_file_request")
    letters.append("records_request")
    if not _NEEDS_PHYSICIAN_LETTER.isdisjoint(letters):
        letters.append("physician_letter")
    return letters


def governing_law(plan: Plan, law: LawBook, day: dt.date) -> str:
    """Which law governs the plan: the statements its market profile lists (the same ones a
    letter states first)."""
    return " ".join(market_law(law, plan, "governing_law", day, situation(plan)))


def _headline(
    work: _Work,
    covered: str,
    pa_needed: str | None,
    referral_needed: str | None,
    network: Network,
    info: list[InfoNeed],
) -> str:
    third = work.case.reasons.opinions_so_far >= 2
    what = "a third opinion" if third else "a second opinion"
    if covered == "covered":
        steps = []
        if referral_needed == "yes":
            steps.append("a referral")
        if pa_needed == "auth-needed":
            steps.append("approval before the visit")
        tail = f", once you have {' and '.join(steps)}" if steps else ""
        if network.outcome == "out_of_network_at_in_network_cost":
            return (
                f"Yes: {what} with this doctor should be covered at in-network cost, once the "
                "plan approves a network exception before the visit."
            )
        payer = work.view.market.terms.payer
        return f"Yes: {payer} covers {what} with this doctor{tail}."
    if covered == "not-covered":
        if network.outcome == "not_covered":
            return f"Not with this doctor: your plan does not cover {what} from this doctor. See the steps below for a doctor or route that is covered."
        return f"No: your plan does not cover {what} in this situation. You can appeal; see the steps below."
    if covered == "conditional":
        first = info[0].question if info else ""
        return f"Covered if a few things check out. First: {first}"
    first = info[0].question if info else "Call your plan."
    return f"We can't tell yet. {first}"


def _next_steps(
    work: _Work,
    covered: str,
    pa_needed: str | None,
    referral_needed: str | None,
    network: Network,
    letters: list[LetterType],
    deadlines: list,
) -> list[str]:
    plan, case = work.plan, work.case
    steps: list[str] = []
    for need in work.info.values():
        steps.append(need.question)
    if case.denial is not None:
        filing = [d for d in deadlines if d.kind == "file_by" and d.due]
        if filing:
            first = filing[0]
            steps.append(
                f"{first.title}: by {first.due:%B %-d, %Y}. Send it in writing and keep a copy."
            )
        if "claim_file_request" in letters:
            steps.append(
                "Ask for your complete claim file, free of charge, so you can see why it was denied."
            )
    if referral_needed in ("yes", "conditional"):
        steps.append(
            "Ask your oncologist's office to send a referral to the plan for the second opinion."
        )
    if (
        pa_needed in ("auth-needed", "conditional")
        and case.denial is None
        and not network.exception_request_needed
    ):
        contact = plan.appeals.um_contact
        where = f" (fax {contact.fax})" if contact.fax else ""
        steps.append(
            f"Ask the plan for prior approval before the visit{where}; use the pre-authorisation letter."
        )
    if network.exception_request_needed:
        steps.append(
            "Ask the plan for a network exception so you pay in-network cost; use the network exception letter."
        )
    steps.append(
        "Gather your records for the new doctor: pathology report and slides, imaging and the "
        "images, doctor's notes, lab and genomic results. Use the records request letter."
    )
    if case.provider.nci_designation == "basic_laboratory":
        steps.append(
            "This center is an NCI Basic Laboratory center, which does not see patients. "
            "Choose a Comprehensive or Clinical Cancer Center instead."
        )
    steps.append("Write down every call: the date, who you spoke with and the reference number.")
    if covered == "not-covered" and case.denial is None:
        steps.append("If the plan says no in writing, you can appeal. We can write that letter.")
    return list(dict.fromkeys(steps))
