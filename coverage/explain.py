"""The explanation layer: a Decision (codes, facts, message ids) in words, as a Determination.

The engine decides and names its sentences by message id (coverage.text, wording in
data/text/<language>/); this module picks the words for the codes (the headline for a verdict),
renders every message in the reader's language, and adds the statements of governing law from
the market profile (data/rules/markets, data/rules/statements), in English or Spanish:
`determination(decision, "es")`. English that comes from data files (a rule's title, a market's
words) is worded from the phrasebook (`coverage.text.data_words`).

Equal facts give equal words, so the rendered parts are shared between answers (they are frozen
models whose fields are all immutable); each answer gets its own lists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from coverage._memo import IdentityCache
from coverage.decision import (
    CostFacts,
    DeadlineFacts,
    Decision,
    DocFacts,
    Need,
    NetworkFacts,
    TraceFacts,
)
from coverage.determination import (
    CostShare,
    Deadline,
    Determination,
    DocNeed,
    InfoNeed,
    Network,
    OutputModel,
    TraceEntry,
)
from coverage.markets import profile
from coverage.statements import market_law, situation
from coverage.text import Msg, data_words, msg, render

DISCLAIMER = Msg("answer.disclaimer")


def _trusted(model: type[OutputModel]) -> Callable[[dict[str, Any]], Any]:
    """Build `model` from fields that are already what validation would give (the words and
    codes worked out here, every list the answer's own), the way validation stores them: the
    fields in their order in `__dict__`, all but the defaulted ones in the fields set.
    tests/test_engine_output.py checks that every answer revalidates to an equal one."""
    new, set_attribute = model.__new__, object.__setattr__

    def build(fields: dict[str, Any], given: frozenset[str] = frozenset()) -> Any:
        obj = new(model)
        set_attribute(obj, "__dict__", fields)
        set_attribute(obj, "__pydantic_fields_set__", set(given or fields))
        set_attribute(obj, "__pydantic_extra__", None)
        set_attribute(obj, "__pydantic_private__", None)
        return obj

    return build


_new_trace_entry = _trusted(TraceEntry)
_new_determination = _trusted(Determination)
# Every field of a determination but format_version (its default) is given.
_DETERMINATION_GIVEN = frozenset(Determination.model_fields) - {"format_version"}


@lru_cache(maxsize=1024)
def network(facts: NetworkFacts, language: str = "en") -> Network:
    return Network(
        outcome=facts.outcome,
        explanation=render(facts.explanation, language),
        exception_request_needed=facts.exception_request_needed,
        code=facts.explanation.id,
    )


@lru_cache(maxsize=4096)
def cost(facts: CostFacts, language: str = "en") -> CostShare:
    return CostShare(
        tier=facts.tier,
        summary=render(facts.summary, language),
        copay=facts.copay,
        coinsurance_percent=facts.coinsurance_percent,
        deductible=facts.deductible,
        deductible_applies=facts.deductible_applies,
    )


@lru_cache(maxsize=256)
def document(facts: DocFacts, language: str = "en") -> DocNeed:
    return DocNeed(
        kind=facts.kind,
        purpose=facts.purpose,
        description=render(facts.description, language),
        code=facts.description.id,
    )


@lru_cache(maxsize=4096)
def info_need(need: Need, language: str = "en") -> InfoNeed:
    return InfoNeed(
        field=need.field,
        question=render(need.question, language),
        why=" ".join(render(why, language) for why in need.why),
        code=need.question.id,
    )


@lru_cache(maxsize=4096)
def deadline(facts: DeadlineFacts, language: str = "en") -> Deadline:
    return Deadline(
        id=facts.id,
        title=render(facts.title, language),
        kind=facts.kind,
        due=facts.due,
        within=render(facts.within, language),
        basis=" ".join(render(facts.basis, language).split()),
        citation=facts.citation,
        verified=facts.verified,
        last_verified=facts.last_verified,
    )


def deadlines(facts: tuple[DeadlineFacts, ...], language: str = "en") -> list[Deadline]:
    # Each deadline's facts are shared by equal cases on every plan: each is worded once.
    return [deadline(f, language) for f in facts]


@lru_cache(maxsize=4096)
def _steps(steps: tuple[Msg, ...], language: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the steps in words, their message ids), without a step said twice."""
    said: dict[str, str] = {}
    for step in steps:
        said.setdefault(render(step, language), step.id)
    return tuple(said), tuple(said.values())


def _trace(facts: TraceFacts, language: str) -> TraceEntry:
    # A rule's entries recur for every plan: shared (every field is immutable). A plan term's
    # entry names its plan: made each time rather than kept for one plan.
    if facts.layer == "plan":
        return _trace_entry(facts, language)
    return _shared_trace(facts, language)


def _trace_entry(facts: TraceFacts, language: str) -> TraceEntry:
    # A rule's title is English from its data file: the phrasebook words it in other languages.
    title = (
        data_words(facts.title, language)
        if isinstance(facts.title, str)
        else render(facts.title, language)
    )
    return _new_trace_entry(
        {
            "rule_id": facts.rule_id,
            "layer": facts.layer,
            "title": title,
            "status": facts.status,
            "effect": render(facts.effect, language),
            "citation": facts.citation,
            "verified": facts.verified,
            "last_verified": facts.last_verified,
            "priority": facts.priority,
            "overrides": facts.overrides,
        }
    )


@lru_cache(maxsize=4096)
def _documents(docs: tuple[DocFacts, ...], language: str) -> tuple[DocNeed, ...]:
    return tuple(document(doc, language) for doc in docs)


@lru_cache(maxsize=8192)
def _info_needs(info: tuple[Need, ...], language: str) -> tuple[InfoNeed, ...]:
    return tuple(info_need(need, language) for need in info)


@lru_cache(maxsize=4096)
def _unverified(messages: tuple[Msg, ...], language: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(render(m, language) for m in messages))


_shared_trace = lru_cache(maxsize=4096)(_trace_entry)
# A decision's trace is a tuple the engine shares between the answers with the same entries
# (coverage.engine._trace): worded once per tuple and language, kept with the tuple.
_TRACES: IdentityCache[tuple[TraceEntry, ...]] = IdentityCache(maxsize=4096)


def _traces(trace: tuple[TraceFacts, ...], language: str) -> tuple[TraceEntry, ...]:
    key = (id(trace), language)
    entries = _TRACES.get(key)
    if entries is None:
        entries = _TRACES.put(key, (trace,), tuple(_trace(facts, language) for facts in trace))
    return entries


_GOVERNING: IdentityCache[str] = IdentityCache(maxsize=4096)
_SITUATIONS: IdentityCache[frozenset[str]] = IdentityCache(maxsize=4096)  # as many as plan views


def governing_law(decision: Decision, language: str = "en") -> str:
    """Which law governs the plan: the statements its market profile lists (the same ones a
    letter states first)."""
    plan, law, day = decision.plan, decision.law, decision.as_of
    # It depends on the plan only through its market, state and the facts the profile tests
    # (worked out once per plan: it is frozen).
    facts = _SITUATIONS.get(id(plan))
    if facts is None:
        facts = _SITUATIONS.put(id(plan), (plan,), situation(plan))
    key = (id(law), plan.market, plan.situs_state, facts, day, language)
    text = _GOVERNING.get(key)
    if text is None:
        paragraphs = market_law(law, plan, "governing_law", day, facts, lang=language)
        text = _GOVERNING.put(key, (law,), " ".join(paragraphs))
    return text


@lru_cache(maxsize=64)
def _covered_headline(what: Msg, needs: tuple[Msg, ...], payer: str) -> Msg:
    tail: Msg | str = ""
    if len(needs) == 2:
        needs = (msg("answer.headline.tail_and", first=needs[0], second=needs[1]),)
    if needs:
        tail = msg("answer.headline.covered_tail", steps=needs[0])
    return msg("answer.headline.covered", payer=payer, what=what, tail=tail)


def _headline_facts(decision: Decision, info: list[InfoNeed]) -> tuple:
    """What the headline depends on: codes, the payer's name and the first question."""
    covered = decision.covered
    payer = None
    if covered in ("covered", "not-covered"):
        payer = profile(decision.plan.market).terms.payer
    return (
        decision.opinion,
        covered,
        decision.network.outcome,
        decision.referral_needed,
        decision.pa_needed,
        payer,
        info[0].question if info else None,
    )


@lru_cache(maxsize=4096)
def _headline(
    opinion: str,
    covered: str,
    outcome: str,
    referral_needed: str | None,
    pa_needed: str | None,
    payer: str | None,
    first_question: str | None,
) -> Msg:
    """The one-sentence answer for the verdict, the network outcome and what is needed first."""
    what = Msg(f"answer.headline.{opinion}_opinion")
    if covered == "covered":
        if outcome == "out_of_network_at_in_network_cost":
            return msg("answer.headline.covered_exception", what=what)
        needs = []
        if referral_needed == "yes":
            needs.append(Msg("answer.headline.tail_referral"))
        if pa_needed == "auth-needed":
            needs.append(Msg("answer.headline.tail_approval"))
        return _covered_headline(what, tuple(needs), payer)
    if covered == "not-covered":
        kind = "not_with_this_doctor" if outcome == "not_covered" else "not_covered"
        return msg(f"answer.headline.{kind}", what=what, payer=payer)
    if covered == "conditional":
        return msg("answer.headline.conditional", first=first_question or "")
    first = first_question if first_question is not None else Msg("answer.headline.call_your_plan")
    return msg("answer.headline.indeterminate", first=first)


@lru_cache(maxsize=4096)
def _headline_words(facts: tuple, language: str) -> tuple[str, str]:
    """(the headline in words, its message id): the questions in `facts` are worded already."""
    top = _headline(*facts)
    return render(top, language), top.id


def determination(decision: Decision, language: str = "en") -> Determination:
    """The decision in words, in `language`."""
    info = list(_info_needs(decision.info, language))
    top_words, top_code = _headline_words(_headline_facts(decision, info), language)
    steps, step_codes = _steps(decision.steps, language)
    plan = decision.plan
    return _new_determination(
        {
            "format_version": 1,
            "case_id": decision.case_id,
            "plan_id": plan.id,
            "plan_name": plan.name,
            "as_of": decision.as_of,
            "covered": decision.covered,
            "headline": top_words,
            "headline_code": top_code,
            "pa_needed": decision.pa_needed,
            "referral_needed": decision.referral_needed,
            "network": network(decision.network, language),
            "cost_sharing": cost(decision.cost, language),
            "doc_needed": list(_documents(decision.docs, language)),
            "info_needed": info,
            "next_steps": list(steps),
            "next_step_codes": list(step_codes),
            "letters": list(decision.letters),
            "deadlines": deadlines(decision.deadlines, language),
            "governing_law": governing_law(decision, language),
            "unverified": list(_unverified(decision.unverified, language)),
            "trace": list(_traces(decision.trace, language)),
            "disclaimer": render(DISCLAIMER, language),
        },
        _DETERMINATION_GIVEN,
    )


def clear_caches() -> None:
    for cached in (network, cost, document, info_need, deadline, _steps, _shared_trace):
        cached.cache_clear()
    for cached in (_documents, _info_needs, _unverified, _headline, _headline_words):
        cached.cache_clear()
    _GOVERNING.clear()
    _SITUATIONS.clear()
    _TRACES.clear()
    render.cache_clear()
