"""Where the opinion may be given and what it costs: the network outcome, referral and prior
authorisation for that network tier, and the cost sharing. Decisions as codes and messages
(coverage.explain words them)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from coverage._memo import IdentityCache
from coverage.decision import CostFacts, NetworkFacts
from coverage.plan import AccessRules, TierCostSharing
from coverage.text import Msg, msg
from coverage.work import RuleOutcome, Work

_IN_NETWORK = NetworkFacts("in_network", Msg("answer.network.in_network"))
_UNKNOWN = NetworkFacts("unknown", Msg("answer.network.unknown"))
_OUT_OF_NETWORK = NetworkFacts("out_of_network_cost_sharing", Msg("answer.network.out_of_network"))
_ONLY_IF_NO_SPECIALIST = NetworkFacts("unknown", Msg("answer.network.only_if_no_specialist"))
_NOT_STATED = NetworkFacts("unknown", Msg("answer.network.not_stated"))
_NOT_COVERED = NetworkFacts("not_covered", Msg("answer.network.not_covered"))
_NOT_STATED_WHY = Msg("answer.why.not_stated")


def money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return f"${value:,.0f}" if value == value.to_integral() else f"${value:,.2f}"


def percent(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}%"


# --- the network -------------------------------------------------------------------------------


def network(work: Work, live: list[RuleOutcome]) -> NetworkFacts:
    """In network, out of network at in-network cost (a network gap), out of network at its
    own cost sharing, not covered with this doctor, or not known yet."""
    if ("providers", "any_medicare_provider") in work.effects:
        return _any_medicare_provider(work)
    if work.case.provider.in_network == "yes":
        return _IN_NETWORK
    return _out_of_network(work, live)


def _any_medicare_provider(work: Work) -> NetworkFacts:
    in_net = work.case.provider.in_network
    if in_net == "yes":
        return NetworkFacts("in_network", Msg("answer.network.accepts_medicare"))
    if in_net == "no":
        return NetworkFacts("not_covered", Msg("answer.network.not_medicare"))
    work.need(
        "provider.in_network",
        Msg("answer.question.accepts_medicare"),
        Msg("answer.why.accepts_medicare"),
    )
    return NetworkFacts("unknown", Msg("answer.network.medicare_unknown"))


def _trace_plan_terms(work: Work) -> None:
    """The plan's out-of-network and network-exception terms, as traced (once per plan)."""
    view = work.view
    if view.network_terms is None:
        start = len(work.trace)
        _trace_new_plan_terms(work)
        view.network_terms = tuple(work.trace[start:])
    else:
        work.trace.extend(view.network_terms)


def _trace_new_plan_terms(work: Work) -> None:
    plan = work.plan
    oon, exception = plan.second_opinion.out_of_network, plan.network_exception
    work.plan_trace(
        f"plan:{plan.id}:second_opinion.out_of_network",
        Msg("trace.plan.out_of_network.title"),
        oon,
        Msg(f"trace.plan.out_of_network.{oon.covered}"),
    )
    if exception.available == "not_stated":
        return
    if exception.available == "no":
        words = Msg("trace.plan.network_exception.none")
    elif exception.name:
        words = msg("trace.plan.network_exception.available", name=exception.name)
    else:
        words = Msg("trace.plan.network_exception.available_unnamed")
    work.plan_trace(
        f"plan:{plan.id}:network_exception",
        Msg("trace.plan.network_exception.title"),
        exception,
        words,
    )


def _gap_basis(gap_applied: list[RuleOutcome], exception_name: str | None) -> Msg:
    """Why the network gap is covered; unverified rules are never named as law."""
    verified = [o.rule for o in gap_applied if o.rule.verified]
    if verified:
        kind = "state_law" if all(r.layer == "state" for r in verified) else "the_law"
        citations = ", ".join(r.citation for r in verified)
        return msg(f"answer.network.gap_basis.{kind}", citations=citations)
    if gap_applied:
        return Msg("answer.network.gap_basis.program")
    if exception_name:
        return msg("answer.network.gap_basis.exception", name=exception_name)
    return Msg("answer.network.gap_basis.exception_unnamed")


def _out_of_network(work: Work, live: list[RuleOutcome]) -> NetworkFacts:
    plan, case = work.plan, work.case
    in_net = case.provider.in_network
    specialist = case.qualified_in_network_specialist
    exception = plan.network_exception
    gap_rules = [o for o in live if o.effect and o.effect.network_gap_remedy]
    gap_applied = [o for o in gap_rules if o.status == "applied"]
    gap_route = bool(gap_applied) or exception.available == "yes"
    gap_maybe = gap_route or bool(gap_rules) or exception.available == "not_stated"
    work.gap_law = bool(gap_rules)
    oon_covered = plan.second_opinion.out_of_network.covered
    _trace_plan_terms(work)
    if in_net == "unknown":
        work.need(
            "provider.in_network", Msg("answer.question.in_network"), Msg("answer.why.in_network")
        )
    if specialist == "no" and gap_route:
        # The law (or the plan's exception) wins over the plan's out-of-network terms.
        for o in gap_applied:
            work.overrides.setdefault(o.rule.id, []).append(
                f"plan:{plan.id}:second_opinion.out_of_network"
            )
        if in_net == "no":
            basis = _gap_basis(gap_applied, exception.name)
            return NetworkFacts(
                "out_of_network_at_in_network_cost", msg("answer.network.gap", basis=basis), True
            )
    if specialist == "unknown" and (gap_maybe or oon_covered == "no"):
        work.need(
            "qualified_in_network_specialist",
            Msg("answer.question.qualified_specialist"),
            Msg("answer.why.qualified_specialist"),
        )
    if in_net == "unknown":
        return _UNKNOWN
    return _without_gap(work, specialist, specialist == "unknown" and gap_maybe)


def _without_gap(work: Work, specialist: str, gap_undecided: bool) -> NetworkFacts:
    """Out of network, and no gap route (yet) decides it: the plan's out-of-network terms."""
    covered = work.plan.second_opinion.out_of_network.covered
    if covered == "yes":
        return _OUT_OF_NETWORK
    if gap_undecided:
        return _ONLY_IF_NO_SPECIALIST
    if covered == "not_stated":
        work.need(
            "plan.second_opinion.out_of_network",
            Msg("answer.question.out_of_network_not_stated"),
            _NOT_STATED_WHY,
        )
        return _NOT_STATED
    if specialist != "yes":
        return _ask_for_exception(work)
    return _NOT_COVERED


def _ask_for_exception(work: Work) -> NetworkFacts:
    """The plan's terms leave out out-of-network doctors, no law gives a route, and there may
    be no qualified specialist in the network: say so, and ask the plan for an exception (or,
    when it says it has no exception process, for approval of this visit)."""
    process = work.plan.network_exception.available
    kind = "no_exception_process" if process == "no" else "exception_unstated"
    work.need(
        "plan.network_exception",
        Msg(f"answer.question.{kind}"),
        Msg("answer.why.exception"),
    )
    return NetworkFacts("unknown", Msg(f"answer.network.{kind}"))


# --- referral and prior authorisation ----------------------------------------------------------

_PA_NEEDED = {"yes": "auth-needed", "no": "no-auth"}  # anything else: conditional
_STATED = {"yes": "yes", "no": "no"}


def _tiers(work: Work, route: NetworkFacts) -> list[AccessRules] | None:
    terms = work.plan.second_opinion
    if route.outcome == "in_network":
        return [terms.in_network]
    if route.outcome in ("out_of_network_cost_sharing", "out_of_network_at_in_network_cost"):
        return [terms.out_of_network]
    if route.outcome == "unknown":
        return [terms.in_network, terms.out_of_network]
    return None


def access(work: Work, route: NetworkFacts) -> tuple[str | None, str | None]:
    """(referral_needed, pa_needed) for the network tier the visit falls in."""
    effects = work.effects
    if ("referral", "not_required") in effects and ("prior_auth", "not_required") in effects:
        return "no", "no-auth"
    tiers = _tiers(work, route)
    if tiers is None:
        return None, None
    referral = {_STATED.get(t.referral_required, "unknown") for t in tiers}
    prior_auth = {_STATED.get(t.prior_auth_required, "unknown") for t in tiers}
    if route.exception_request_needed:
        prior_auth = {"yes"}  # the exception itself is an approval before the visit
    referral_needed = referral.pop() if len(referral) == 1 else "conditional"
    referral_needed = "conditional" if referral_needed == "unknown" else referral_needed
    if work.coverage_by_law and ("referral", "required") in work.effects:
        referral_needed = "yes"  # the law that covers the opinion covers it on a referral
    pa = prior_auth.pop() if len(prior_auth) == 1 else "conditional"
    _ask_unstated_access(work, tiers, route)
    return referral_needed, _PA_NEEDED.get(pa, "conditional")


def _ask_unstated_access(work: Work, tiers: list[AccessRules], route: NetworkFacts) -> None:
    """Ask about access terms the plan's documents do not state (once per plan and tier)."""
    key = (route.outcome, route.exception_request_needed)
    needs = work.view.access_needs.get(key)
    if needs is None:
        needs = work.view.access_needs[key] = _unstated_access(work, tiers, route)
    for field_path, question in needs:
        work.need(field_path, question, _NOT_STATED_WHY)


def _unstated_access(
    work: Work, tiers: list[AccessRules], route: NetworkFacts
) -> tuple[tuple[str, Msg], ...]:
    terms = work.plan.second_opinion
    needs = []
    for tier_name, tier in (
        ("in_network", terms.in_network),
        ("out_of_network", terms.out_of_network),
    ):
        # `tier in tiers` would compare by value, so equal in- and out-of-network terms both
        # count; the comparison of the two is done once per plan (view.same_access).
        if not (any(t is tier for t in tiers) or work.view.same_access):
            continue
        if tier.referral_required == "not_stated":
            needs.append(
                (f"plan.second_opinion.{tier_name}.referral_required", _REFERRAL_NOT_STATED)
            )
        if tier.prior_auth_required == "not_stated" and not route.exception_request_needed:
            needs.append(
                (f"plan.second_opinion.{tier_name}.prior_auth_required", _PRIOR_AUTH_NOT_STATED)
            )
    return tuple(needs)


_REFERRAL_NOT_STATED = Msg("answer.question.referral_not_stated")
_PRIOR_AUTH_NOT_STATED = Msg("answer.question.prior_auth_not_stated")


# --- cost ----------------------------------------------------------------------------------------


def tier_words(tier: TierCostSharing) -> tuple[Msg, dict]:
    """The tier's cost sharing in words, and the CostFacts fields for it (shared by every plan
    with the same figures)."""
    return _tier_words(
        tier.specialist_copay,
        tier.specialist_coinsurance_percent,
        tier.deductible_individual,
        tier.deductible_applies,
        tier.balance_billing_possible,
    )


@lru_cache(maxsize=4096)
def _tier_words(copay_value, coinsurance, deductible_value, deductible_applies, balance_billing):  # noqa: ANN001, ANN202
    parts = []
    copay, coins = money(copay_value), percent(coinsurance)
    if copay:
        parts.append(msg("answer.cost.copay", copay=copay))
    if coins:
        parts.append(msg("answer.cost.coinsurance", percent=coins))
    deductible = money(deductible_value)
    if deductible_applies and deductible:
        parts.append(msg("answer.cost.after_deductible", deductible=deductible))
    elif deductible_applies is False:
        parts.append(Msg("answer.cost.no_deductible"))
    if balance_billing:
        parts.append(Msg("answer.cost.balance_billing"))
    summary = msg("answer.cost.list", parts=tuple(parts)) if parts else Msg("answer.cost.not_given")
    return summary, dict(
        tier="in_network",
        summary=summary,
        copay=copay,
        coinsurance_percent=coins,
        deductible=deductible,
        deductible_applies=deductible_applies,
    )


def cost(work: Work, route: NetworkFacts) -> CostFacts:
    effects = work.effects
    if ("cost_sharing", "medicare_part_b") in effects:
        facts = work.view.costs.get("medicare_part_b")
        if facts is None:
            facts = work.view.costs["medicare_part_b"] = _medicare_part_b(work)
        return facts
    if ("cost_sharing", "no_cost") in effects:
        return _NO_COST
    costs = work.view.costs if "unknown" in work.view.costs else _plan_costs(work)
    return costs.get(route.outcome) or costs["unknown"]


_NO_COST = CostFacts("no_cost", Msg("answer.cost.no_cost"))


def _plan_costs(work: Work) -> dict[str, CostFacts]:
    """The plan's cost sharing by network outcome (once per plan; plans with the same cost
    sharing share it)."""
    costs = _costs_for(work.view.in_cost, work.view.out_cost)
    work.view.costs.update(costs)
    return costs


_COSTS: IdentityCache[dict[str, CostFacts]] = IdentityCache(maxsize=4096)


def _costs_for(in_cost: tuple[Msg, dict], out: tuple[Msg, dict] | None) -> dict[str, CostFacts]:
    key = (id(in_cost), id(out))
    costs = _COSTS.get(key)
    if costs is None:
        costs = _COSTS.put(key, (in_cost, out), _new_costs(in_cost, out))
    return costs


def _new_costs(in_cost: tuple[Msg, dict], out: tuple[Msg, dict] | None) -> dict[str, CostFacts]:
    in_words, in_fields = in_cost
    if out is None:
        unknown = CostFacts("unknown", msg("answer.cost.both", in_network=in_words))
    else:
        both = msg("answer.cost.both_with_out", in_network=in_words, out_of_network=out[0])
        unknown = CostFacts("unknown", both)
    exception = msg("answer.cost.in_network_cost", summary=in_words)
    costs = {
        "in_network": CostFacts(**in_fields),
        "out_of_network_at_in_network_cost": CostFacts(**{**in_fields, "summary": exception}),
        "unknown": unknown,
    }
    if out is not None:
        summary = msg("answer.cost.out_of_network", summary=out[0])
        costs["out_of_network_cost_sharing"] = CostFacts(
            **{**out[1], "tier": "out_of_network", "summary": summary}
        )
    return costs


def _medicare_part_b(work: Work) -> CostFacts:
    pct, pct_param = work.law.param("medicare.part_b_coinsurance_percent", work.as_of)
    ded, ded_param = work.law.param("medicare.part_b_deductible_usd", work.as_of)
    summary = msg(
        "answer.cost.medicare_part_b",
        percent=percent(pct),
        deductible=money(ded),
        year=str(work.as_of.year),
        citations=f"{pct_param.citation}; {ded_param.citation}",
    )
    return CostFacts(
        tier="medicare_part_b",
        summary=summary,
        coinsurance_percent=percent(pct),
        deductible=money(ded),
        deductible_applies=True,
    )


def clear_caches() -> None:
    _COSTS.clear()
    _tier_words.cache_clear()
