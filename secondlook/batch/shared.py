"""Work that rows share in one worker process: the plan a patient reported and the check's
answer, each worked out once per distinct key (a bounded LRU per process, emptied when a run in
the caller's own process ends: that may be the app's).

The engine reads only part of a case: the reasons and the diagnosis' answers, the provider's
network, visit type and NCI designation, the urgency, the dates and level of a denial... Rows
that agree on all of that, on the plan and on the day get the same answer. The key is every
field of the case except those in `UNREAD`: what the letters say about the people (names,
member ids, addresses, the denial's quoted words), which the engine never reads. So an answer is
a function of its key alone and cannot carry one row's facts into another's; a field added to
the case later is in the key until someone shows the engine does not read it.
tests/test_batch_shared.py changes each UNREAD field and checks the answer stays the same, and
changes every other field and checks the key changes. The one case datum a determination
holds, the case id, is not kept: each row gets a copy with its own.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from coverage import markets
from coverage.case import Case
from coverage.determination import Determination
from coverage.plan import Plan

# Case fields (dotted paths) the engine never reads. The plan, the day and the language of the
# answer are keyed on their own: the plan object the case's `plan` id or `reported_plan` names
# (with `patient.state`, which a reported plan is built with), the day of the check.
UNREAD = frozenset(
    {
        "case_id",
        "plan",
        "as_of",
        "language",
        "reported_plan",
        "patient",
        "diagnosis.description",
        "diagnosis.icd10",
        "diagnosis.stage",
        "diagnosis.date_diagnosed",
        "reasons.notes",
        "provider.name",
        "provider.specialty",
        "provider.institution",
        "provider.npi",
        "provider.address_lines",
        "provider.phone",
        "provider.fax",
        "referring_physician",
        "records_from",
        "treatment_date",
        "denial.reason_quoted",
        "denial.reference_number",
        "denial.claim_number",
        "denial.send_to",
        "denial.external_review_to",
    }
)

V = TypeVar("V")


class LRU(Generic[V]):
    """A bounded least-recently-used map, safe for the threads of one Dask worker."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> V:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _excluded(paths: frozenset[str]) -> dict[str, Any]:
    """Dotted paths as pydantic's nested `exclude` ({"denial": {"reason_quoted": True}})."""
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        *parents, last = path.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = True
    return tree


_EXCLUDE = _excluded(UNREAD)


def engine_facts(case: Case) -> str:
    """What the engine reads of a case: every field but the UNREAD ones, as JSON (distinct
    values give distinct text; pydantic writes it in one pass)."""
    return case.model_dump_json(exclude=_EXCLUDE)


def reported_facts(case: Case) -> tuple[str, str | None]:
    """What a plan the patient reported is built from: her report and her state."""
    report = case.reported_plan
    return (report.model_dump_json() if report is not None else "", case.patient.state)


class SharedWork:
    """The plan and the check for each row, shared by rows with the same key. An answer takes
    about 7 KB and a reported plan about 24 KB: at most about 15 + 6 MB a worker."""

    def __init__(self, answers: int = 2048, plans: int = 256) -> None:
        self.plans: LRU[Plan] = LRU(plans)
        self.answers: LRU[tuple[weakref.ref, Any, Any, Determination]] = LRU(answers)

    def clear(self) -> None:
        self.plans.clear()
        self.answers.clear()

    def plan_for(self, case: Case) -> Plan:
        """service.plan_for: a catalog plan by id, or the plan the patient reported (built once
        per distinct report, state and day: it cites the day as the day it was read)."""
        from secondlook import service

        if case.plan or not service.has_reported_plan(case):
            return service.plan_for(case)
        key = (reported_facts(case), service.today())
        found = self.plans.get(key)
        return found if found is not None else self.plans.put(key, service.plan_for(case))

    def check(self, case: Case, plan: Plan, day: dt.date) -> Determination:
        """service.check(case, plan, day), for this row's case id."""
        from secondlook import service

        law, market = service.lawbook(), markets.profile(plan.market)
        # The plan, the law book and the market profile are keyed by identity. The entry keeps
        # the law book and the profile alive (one each while their files are unchanged), so no
        # other object can take their ids; the plan only weakly (a batch of plans the patients
        # reported has one per row), so its entry is used only while it is that very plan.
        key = (id(plan), id(law), id(market), day, engine_facts(case))
        found = self.answers.get(key)
        if found is not None and found[0]() is plan:
            return found[-1].model_copy(update={"case_id": case.case_id})
        answer = service.check(case, plan, day)
        if service.lawbook() is law and markets.profile(plan.market) is market:
            # kept without the case id: the cache holds nothing that names a row
            kept = answer.model_copy(update={"case_id": None})
            self.answers.put(key, (weakref.ref(plan), law, market, kept))
        return answer  # (not kept when the rule files changed meanwhile)


_shared = SharedWork()


def shared_work() -> SharedWork:
    """This process's shared work (each worker process has its own)."""
    return _shared
