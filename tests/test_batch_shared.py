"""Per-row work shared across rows (secondlook/batch/shared.py): rows that agree on everything
the engine reads share one answer; rows that differ in anything it reads never do; no member's
facts reach another member's row or letter."""

from __future__ import annotations

import datetime as dt
import typing
from decimal import Decimal

import pytest
from batch_support import good_row
from letters_support import SCENARIOS, docx_text, scenario
from pydantic import BaseModel

from coverage.base import Contact
from coverage.case import Case, RecordsHolder, ReportedContact, ReportedPlan
from secondlook import service
from secondlook.batch import shared
from secondlook.batch.outcome import Job
from secondlook.batch.shared import LRU, UNREAD, SharedWork, engine_facts, reported_facts
from secondlook.batch.work import process_row

DAY = dt.date(2026, 6, 1)


def full_case(base: Case) -> Case:
    """`base` with every optional part present, so that every field of a case has a place."""
    contact = Contact(name="Appeals Unit", address_lines=["PO Box 1", "Springfield, MO 65801"])
    denial = (
        base.denial
        or service.parse_case(
            "denial:\n  notice_date: 2026-05-01\n  date_received: 2026-05-04\n"
        ).denial
    )
    denial = denial.model_copy(
        update={
            "send_to": denial.send_to or contact,
            "external_review_to": denial.external_review_to or contact,
            "reason_quoted": denial.reason_quoted or "Not medically necessary",
            "reference_number": "REF-1",
            "claim_number": "CLM-1",
        }
    )
    reported = ReportedPlan(
        name="Gateway Gold",
        issuer="Gateway Health",
        market="employer_group",
        requests_to=ReportedContact(name="UM", address_lines=["1 Plan Way"]),
        appeals_to=ReportedContact(name="Appeals", address_lines=["2 Plan Way"]),
        specialist_copay=Decimal("40"),
        specialist_coinsurance_percent=20,
    )
    holder = RecordsHolder(name="Example Lab", address_lines=["5 Testing Road"], fax="4175550190")
    patient = base.patient.model_copy(
        update={"address_lines": ["1 Example Street"], "phone": "3145550100", "email": "a@b.org"}
    )
    return base.model_copy(
        update={
            "denial": denial,
            "reported_plan": reported,
            "records_from": base.records_from or [holder],
            "patient": patient,
            "treatment_date": base.treatment_date or dt.date(2026, 7, 1),
            "request_sent_date": base.request_sent_date or dt.date(2026, 5, 20),
        }
    )


def leaves(model: BaseModel, prefix: str = "") -> list[str]:
    """Every field path of a model, into sub-models and the first item of lists of models."""
    out = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out += leaves(value, f"{path}.")
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            out += leaves(value[0], f"{path}.0.")
        else:
            out.append(path)
    return out


def changed(value: object, annotation: object, far: bool = False) -> object:
    """A different value of the same kind (`far`: a date years away rather than a day)."""
    if value is None and dt.date in typing.get_args(annotation):
        return dt.date(2024, 2, 29)
    options = [a for a in typing.get_args(annotation) if isinstance(a, str)]
    literal = [a for arg in typing.get_args(annotation) for a in typing.get_args(arg)]
    options += [a for a in literal if isinstance(a, str)]
    if typing.get_origin(annotation) is typing.Literal or options:
        choices = [o for o in (options or typing.get_args(annotation)) if o != value]
        return choices[0]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | Decimal):
        return value + 1 if value < 5 else value - 1
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=-1200 if far else 1)
    if isinstance(value, list):
        return [*value, "Changed line"]
    return f"{value}Z" if isinstance(value, str) else "Changed"


def with_change(model: BaseModel, path: str, far: bool = False) -> BaseModel:
    head, _, rest = path.partition(".")
    value = getattr(model, head)
    if not rest:
        annotation = type(model).model_fields[head].annotation
        return model.model_copy(update={head: changed(value, annotation, far)})
    if isinstance(value, list):
        index, _, rest = rest.partition(".")
        items = list(value)
        items[int(index)] = with_change(items[int(index)], rest, far)
        return model.model_copy(update={head: items})
    return model.model_copy(update={head: with_change(value, rest, far)})


def unread(path: str) -> bool:
    parts = path.split(".")
    return any(".".join(parts[:n]) in UNREAD for n in range(1, len(parts) + 1))


def answer(case: Case, plan) -> dict:  # noqa: ANN001
    found = service.check(case, plan, DAY).model_dump()
    found.pop("case_id")
    return found


def test_every_field_the_engine_may_read_changes_the_key():
    base = full_case(scenario("commercial-denied")[0])
    keyed = [p for p in leaves(base) if not unread(p)]
    assert len(keyed) > 20  # the reasons, the diagnosis' answers, the denial's dates, ...
    for path in keyed:
        assert engine_facts(with_change(base, path)) != engine_facts(base), path


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_what_the_key_leaves_out_never_changes_the_answer(name):
    """Each field left out of the key, changed on its own, leaves the engine's answer as it was
    (every market's scenario, with every optional part of the case present)."""
    case, plan, _ = scenario(name)
    base = full_case(case)
    before = answer(base, plan)
    paths = [p for p in leaves(base) if unread(p)]
    assert {"patient.name", "patient.member_id", "denial.reason_quoted"} <= set(paths)
    for path in paths:
        for far in (False, True):
            assert answer(with_change(base, path, far), plan) == before, path


def test_a_reported_plan_is_keyed_by_the_report_and_the_state():
    base = full_case(scenario("commercial-denied")[0])
    for path in leaves(base.reported_plan, "reported_plan.") + ["patient.state"]:
        assert reported_facts(with_change(base, path)) != reported_facts(base), path


def test_the_key_holds_no_member_identity():
    case = full_case(scenario("commercial-denied")[0])
    key = repr(engine_facts(case))
    for value in (
        case.patient.name,
        case.patient.member_id,
        case.case_id,
        case.patient.date_of_birth.isoformat(),
        repr(case.patient.date_of_birth),
        case.denial.reason_quoted,
        case.denial.reference_number,
        case.provider.name,
    ):
        assert value and value not in key


def test_a_shared_answer_is_the_service_answer_with_the_rows_own_case_id():
    work = SharedWork()
    case, plan, _ = scenario("commercial-denied")
    other = case.model_copy(
        update={
            "case_id": "OTHER-2",
            "patient": case.patient.model_copy(update={"name": "Noa Other", "member_id": "Z9"}),
        }
    )
    first, second = work.check(case, plan, DAY), work.check(other, plan, DAY)
    assert len(work.answers) == 1  # one answer worked out for both
    assert first.model_dump() == service.check(case, plan, DAY).model_dump()
    assert second.model_dump() == service.check(other, plan, DAY).model_dump()
    assert (first.case_id, second.case_id) == (case.case_id, "OTHER-2")
    assert [entry[-1].case_id for entry in work.answers._entries.values()] == [None]
    later = case.denial.model_copy(update={"date_received": dt.date(2026, 5, 20)})
    third = work.check(case.model_copy(update={"denial": later}), plan, DAY)
    assert len(work.answers) == 2
    assert [d.due for d in third.deadlines] != [d.due for d in first.deadlines]


def test_the_cache_is_bounded_and_keeps_what_was_used_last():
    cache: LRU[str] = LRU(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # "a" is now the most recent
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
    assert len(cache) == 2


JOB = Job(
    "run",
    "records_request",
    False,
    dt.date(2026, 11, 24),
    "secondlook.batch:letters_renderer",
    None,
)


def test_rows_sharing_an_answer_each_get_their_own_letter(monkeypatch):
    """Two rows alike in all the engine reads: one check, and each letter and outcome holds
    its own member's facts only."""
    monkeypatch.setattr(shared, "_shared", SharedWork())
    first = {k: v for k, v in good_row(1).items() if v}
    second = dict(
        first, case_id="C900002", patient_name="Quinn Otherperson", member_id="XM000000002"
    )
    second["patient_dob"] = "1961-02-03"
    written: dict[str, bytes] = {}
    monkeypatch.setattr(
        "secondlook.batch.work._write",
        lambda job, rendered: written.update(rendered) or [],
    )
    a = process_row(JOB, 2, first)
    b = process_row(JOB, 3, second)
    assert a.status == b.status == "ok"
    assert len(shared.shared_work().answers) == 1
    assert (a.case_id, b.case_id) == (first["case_id"], "C900002")
    text_a = docx_text(written[f"{first['case_id']}__records_request.docx"])
    text_b = docx_text(written["C900002__records_request.docx"])
    assert first["patient_name"] in text_a and first["patient_name"] not in text_b
    assert "Quinn Otherperson" in text_b and "Quinn Otherperson" not in text_a
    assert "February 3, 1961" in text_b and "February 3, 1961" not in text_a


def test_rows_that_differ_in_what_the_engine_reads_get_their_own_answers(monkeypatch):
    monkeypatch.setattr(shared, "_shared", SharedWork())
    monkeypatch.setattr("secondlook.batch.work._write", lambda job, rendered: [])
    row = {k: v for k, v in good_row(1).items() if v}
    variants = [
        dict(row, provider_in_network="yes"),
        dict(row, provider_in_network="no"),
        dict(row, urgent="yes"),
        dict(row, urgent="no"),
        dict(row, denial_notice_date="2026-11-01", denial_received_date="2026-11-04"),
        dict(row, denial_notice_date="2026-11-01", denial_received_date="2026-11-05"),
    ]
    outcomes = [process_row(JOB, n, cells) for n, cells in enumerate(variants, start=2)]
    assert all(o.status == "ok" for o in outcomes), [o.errors for o in outcomes]
    assert len(shared.shared_work().answers) == len(variants)


def test_an_answer_keeps_no_plan_alive_and_never_goes_to_another_plan():
    """A batch of plans the patients reported has a plan per row: the shared answers hold them
    weakly (the engine's own caches may still hold them for a while); an entry is used only
    for the very plan it was worked out for."""
    work = SharedWork()
    case = scenario("commercial-denied")[0]
    insured = service.reported_plan(ReportedPlan(market="employer_group", self_funded="no"), "MO")
    own = service.reported_plan(ReportedPlan(market="employer_group", self_funded="yes"), "MO")
    assert answer(case, insured) != answer(case, own)
    work.check(case, insured, DAY)
    # the entry as if `own` had taken the id of `insured` (CPython reuses the ids of the dead)
    key, entry = work.answers._entries.popitem()
    work.answers._entries[(id(own), *key[1:])] = entry
    got = work.check(case, own, DAY).model_dump()
    assert got == service.check(case, own, DAY).model_dump()
    work.check(case, insured, DAY)
    assert [entry[0]() for entry in work.answers._entries.values()] == [own, insured]
    held = [part for entry in work.answers._entries.values() for part in entry]
    assert all(part is not insured and part is not own for part in held)  # weakly, only


def test_a_run_in_this_process_forgets_what_its_rows_shared(tmp_path):
    """The app runs a one-worker batch in its own, long-lived process: the answers and reported
    plans its rows shared (keyed by dates of denials and requests) go when the run ends."""
    from batch_support import quick_options, write_rows

    from secondlook.batch import run_batch

    rows = [good_row(n) for n in range(6)]
    rows[0] = rows[0] | {"plan": "", "reported_plan_market": "individual"}
    summary = run_batch(write_rows(tmp_path / "cases.csv", rows), tmp_path / "out", quick_options())

    assert summary.ok == 6
    assert len(shared.shared_work().answers) == 0
    assert len(shared.shared_work().plans) == 0
