"""The engine's caches and shortcuts never change an answer.

evaluate() caches what it works out from a plan and the law book, shares frozen output parts
between answers, and builds trace entries and the determination from fields it worked out itself
without running validation. These tests check that every answer is still a plain, valid
Determination built just as validation builds it, that a warm cache gives the same answer as a
cold one, and that a changed plan or law book is never answered from the cache.
"""

from __future__ import annotations

import datetime as dt
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel
from test_engine_cases import LAW, TABLE, build_plan

from coverage import deadlines, engine
from coverage.case import Case
from coverage.catalog import load_catalog
from coverage.deadlines import compute_deadlines
from coverage.determination import Determination
from coverage.engine import clear_caches, evaluate
from coverage.law import Trigger
from coverage.loader import load_model

EXAMPLES = sorted((Path(__file__).parent.parent / "examples" / "cases").glob("*.yaml"))
AS_OF = dt.date(2026, 3, 2)


def table_inputs() -> list[tuple[str, object, Case, dt.date]]:
    return [
        (row["name"], build_plan(row["plan"]), Case.model_validate(row["case"]), row["as_of"])
        for row in TABLE
    ]


def example_inputs() -> list[tuple[str, object, Case, dt.date]]:
    cases = [(path.stem, load_model(Case, path)) for path in EXAMPLES]
    plans = list(load_catalog().plans.values())
    return [(f"{plan.id} x {name}", plan, case, AS_OF) for plan in plans for name, case in cases]


def all_inputs():
    return table_inputs() + example_inputs()


def dumps(d: Determination) -> tuple[str, str]:
    # exclude_unset too: the fields passed explicitly are part of what callers can see.
    return d.model_dump_json(), d.model_dump_json(exclude_unset=True)


def test_every_answer_revalidates_to_an_equal_determination():
    inputs = all_inputs()
    assert len(inputs) >= len(TABLE) + 6
    for name, plan, case, as_of in inputs:
        d = evaluate(plan, case, as_of, LAW)
        assert type(d) is Determination, name
        again = Determination.model_validate(d.model_dump())
        assert again == d, name
        assert again.model_dump_json() == d.model_dump_json(), name
        assert Determination.model_validate_json(d.model_dump_json()) == d, name


def _as_validated(model: BaseModel) -> BaseModel:
    given = {name: getattr(model, name) for name in model.model_fields_set}
    return type(model).model_validate(given)


def test_every_answer_is_built_as_validation_builds_it():
    # The same fields in the same order, of the same types, with the same fields set: what
    # pickling, copying, equality and model_dump(exclude_unset=True) see.
    for name, plan, case, as_of in all_inputs():
        for language in ("en", "es"):
            d = evaluate(plan, case, as_of, LAW, language=language)
            for ours in (d, *d.trace):
                want = _as_validated(ours)
                assert ours.__getstate__() == want.__getstate__(), name
                assert list(ours.__dict__) == list(want.__dict__), name
                got_types = [type(v) for v in ours.__dict__.values()]
                assert got_types == [type(v) for v in want.__dict__.values()], name
            assert "format_version" not in d.model_fields_set


def test_a_warm_cache_gives_the_same_answers_as_a_cold_one():
    inputs = all_inputs()
    cold = []
    for _, plan, case, as_of in inputs:
        clear_caches()  # nothing cached from any earlier answer
        cold.append(dumps(evaluate(plan, case, as_of, LAW)))
    clear_caches()
    # Warm: every answer twice, in reverse order, after all the others filled the caches.
    for _ in range(2):
        warm = [dumps(evaluate(plan, case, as_of, LAW)) for _, plan, case, as_of in inputs]
    for (name, *_), want, got in zip(inputs, cold, warm, strict=True):
        assert got == want, name
    backwards = [dumps(evaluate(p, c, a, LAW)) for _, p, c, a in reversed(inputs)]
    assert backwards[::-1] == cold


def test_a_changed_plan_with_the_same_id_is_not_answered_from_the_cache():
    row = TABLE[0]
    plan, case = build_plan(row["plan"]), Case.model_validate(row["case"])
    first = evaluate(plan, case, row["as_of"], LAW)
    data = plan.model_dump(mode="json")
    data["second_opinion"]["coverage"]["covered"] = "no"
    data["funding"] = "self_funded"  # no state mandate to override the exclusion
    changed = type(plan).model_validate(data)
    assert changed.id == plan.id
    second = evaluate(changed, case, row["as_of"], LAW)
    assert first.covered == "covered"
    assert second.covered == "not-covered"
    assert evaluate(plan, case, row["as_of"], LAW) == first


def test_a_changed_law_book_is_not_answered_from_the_cache():
    plan = next(iter(load_catalog().plans.values()))
    case = load_model(Case, EXAMPLES[0])
    first = compute_deadlines(plan, case, AS_OF, LAW)
    records = next(d for d in first if d.id == "records_request_response")
    parameters = dict(LAW.parameters)
    name = "hipaa.access_response_days"
    values = {day: value + 5 for day, value in parameters[name].values.items() if value}
    parameters[name] = parameters[name].model_copy(update={"values": values})
    other = LAW.model_copy(update={"parameters": parameters})
    changed = next(d for d in compute_deadlines(plan, case, AS_OF, other) if d.id == records.id)
    assert changed.due == records.due + dt.timedelta(days=5)
    assert compute_deadlines(plan, case, AS_OF, LAW) == first


def test_each_answer_has_its_own_lists():
    _, plan, case, as_of = example_inputs()[0]
    first = evaluate(plan, case, as_of, LAW)
    want = first.model_dump_json()
    # The model is frozen but its lists are plain lists: emptying them must not reach the cache.
    for field in ("deadlines", "trace", "info_needed", "doc_needed", "next_steps", "letters"):
        getattr(first, field).clear()
    assert evaluate(plan, case, as_of, LAW).model_dump_json() == want
    listed = compute_deadlines(plan, case, as_of, LAW)
    listed.clear()
    assert compute_deadlines(plan, case, as_of, LAW)


def test_shared_output_parts_are_frozen():
    _, plan, case, as_of = example_inputs()[0]
    d = evaluate(plan, case, as_of, LAW)
    for part in (d.network, d.cost_sharing, d.doc_needed[0], d.deadlines[0]):
        with pytest.raises(ValueError):
            part.__setattr__(next(iter(type(part).model_fields)), None)


def test_a_shared_step_sees_only_the_answers_of_its_key():
    # A step after the rules is worked out once per key and done again for equal keys: it is
    # run on a case that holds the answers in its key and nothing else (no member data).
    _, plan, case, as_of = example_inputs()[0]
    work = engine._work_for(plan, case, as_of, LAW)
    assessed = engine._assess_rules(work, case)
    step = engine.Step("test", ("provider.in_network",))
    with pytest.raises(AttributeError):
        engine._shared_step(work, assessed, step, (), lambda w: w.case.patient)
    seen = engine._shared_step(work, assessed, step, ("x",), lambda w: w.case.provider.in_network)
    assert seen == case.provider.in_network
    for step in (engine.COVERAGE_STEP, engine.NETWORK_STEP, engine.VISIT_STEP):
        assert all(not path.startswith(("patient", "denial")) for path in step.reads)


def test_deadlines_of_a_case_with_a_denial_or_a_request_date_are_not_kept():
    # A denial (its dates, quoted words, numbers) and a request date are one member's: the
    # deadlines made from them are this answer's alone, never kept for another.
    inputs = example_inputs()
    dated = [i for i in inputs if i[2].denial is not None or i[2].request_sent_date is not None]
    plain = [i for i in inputs if i[2].denial is None and i[2].request_sent_date is None]
    assert dated and plain
    clear_caches()
    for _, plan, case, as_of in dated:
        first = evaluate(plan, case, as_of, LAW).model_dump_json()
        assert evaluate(plan, case, as_of, LAW).model_dump_json() == first
    assert not deadlines._DEADLINES._entries
    _, plan, case, as_of = plain[0]
    evaluate(plan, case, as_of, LAW)
    assert len(deadlines._DEADLINES._entries) == 1


def test_each_rule_reads_the_trigger_values_trigger_value_gives():
    triggers = typing.get_args(Trigger)
    assert set(engine._TRIGGER_READERS) == set(triggers)
    for _, plan, case, _as_of in all_inputs():
        for trigger in triggers:
            read = engine._values_reader([trigger], ["emergency_surgery"])
            want = (engine.trigger_value(trigger, case, plan), case.reasons.emergency_surgery)
            assert read(case, plan) == want
            assert engine._values_reader([trigger], [])(case, plan) == want[:1]
