"""The navigator's day: tasks, follow-ups, hand-offs with a note, the "My day" queue (with the
legal deadlines), and "mark sent" on a letter starting the plan's clock. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from navigator_helpers import first_org, navigator, second_org, zelda_case

from navigator import cases, letter_store, tasks
from navigator.errors import CaseConflict, FieldProblem, NotFound
from secondlook import service

TODAY = dt.date(2026, 4, 6)
# zelda_case(): denial received 2026-04-02, so the internal appeal must be filed by 2026-09-29.
APPEAL_DUE = dt.date(2026, 9, 29)
DOCTOR = {"name": "Dr. Example Neuro-Oncologist", "in_network": "no"}


@pytest.fixture
def team(store):
    admin = first_org(store)
    return (
        admin,
        navigator(store, admin, "nina", "Nina Navigator"),
        navigator(store, admin, "omar", "Omar Navigator"),
    )


def titles(items: list[tasks.QueueItem]) -> list[str]:
    return [i.title for i in items]


def test_my_day_puts_overdue_first_then_today_then_this_week(store, team):
    _, nina, omar = team
    c = cases.create_case(store, nina, zelda_case(), as_of=TODAY)
    day = lambda n: TODAY + dt.timedelta(days=n)  # noqa: E731
    tasks.add_task(store, nina, c.id, title="Send records", due=day(3), note="Slides too")
    tasks.add_task(store, nina, c.id, title="Chase the plan", due=day(-2))
    tasks.add_task(store, nina, c.id, title="Call the patient", due=day(0))
    tasks.add_task(store, nina, c.id, title="Next month", due=day(10))
    tasks.add_task(store, nina, c.id, title="Omar's job", due=day(0), assigned_to_id=omar.user_id)
    tasks.add_task(store, nina, c.id, title="Anyone", due=day(1), assigned_to_id=None)
    done = tasks.add_task(store, nina, c.id, title="Done already", due=day(-5))
    tasks.set_done(store, nina, done.id)

    mine = tasks.my_day(store, nina, today=TODAY)
    assert titles(mine.overdue) == ["Chase the plan"]
    assert mine.overdue[0].days == -2 and mine.overdue[0].case_id == c.id
    assert titles(mine.due_today) == ["Call the patient"]
    assert titles(mine.this_week) == ["Send records"]
    assert mine.this_week[0].note == "Slides too"
    assert titles(tasks.my_day(store, omar, today=TODAY).due_today) == ["Omar's job"]
    everyone = tasks.my_day(store, nina, today=TODAY, team=True)
    assert titles(everyone.due_today) == ["Call the patient", "Omar's job"]
    assert titles(everyone.this_week) == ["Anyone", "Send records"]
    # Ticked off: gone from the queue, kept on the case (open first, then done).
    tasks.set_done(store, nina, mine.overdue[0].task_id)
    assert tasks.my_day(store, nina, today=TODAY).overdue == []
    on_case = cases.open_case(store, nina, c.id).tasks
    assert [t.done for t in on_case] == [False] * 5 + [True] * 2


def test_the_queue_holds_the_legal_deadline_that_counts_for_the_case(store, team):
    _, nina, omar = team
    denied = cases.create_case(store, nina, zelda_case(), status="denied", as_of=TODAY)
    week_before = APPEAL_DUE - dt.timedelta(days=3)
    [item] = tasks.my_day(store, nina, today=week_before).this_week
    assert item.kind == "deadline" and item.due == APPEAL_DUE and item.task_id is None
    assert item.case_id == denied.id and item.status == "denied"
    assert [i.kind for i in tasks.my_day(store, nina, today=APPEAL_DUE).due_today] == ["deadline"]
    assert tasks.my_day(store, nina, today=APPEAL_DUE + dt.timedelta(days=1)).overdue
    assert tasks.my_day(store, omar, today=week_before).count == 0  # not Omar's case
    assert tasks.my_day(store, omar, today=week_before, team=True).count == 1


def test_a_task_needs_a_title_and_a_day_and_stays_in_its_organisation(store, team):
    admin, nina, _ = team
    c = cases.create_case(store, nina, zelda_case(), as_of=TODAY)
    with pytest.raises(FieldProblem) as err:
        tasks.add_task(store, nina, c.id, title="  ", due=None)
    assert set(err.value.problems) == {"title", "due"}
    own = tasks.add_task(store, nina, c.id, title="Call", due=TODAY)
    lake = second_org(store, admin)
    with pytest.raises(NotFound):
        tasks.set_done(store, lake, own.id)
    with pytest.raises(NotFound):
        tasks.add_task(store, lake, c.id, title="Peek", due=TODAY)
    with pytest.raises(FieldProblem):  # a user of another organisation cannot be given a task
        tasks.add_task(store, nina, c.id, title="X", due=TODAY, assigned_to_id=lake.user_id)
    assert tasks.my_day(store, lake, today=TODAY, team=True).count == 0


def test_a_hand_off_carries_its_note_to_the_receivers_queue(store, team):
    _, nina, omar = team
    c = cases.create_case(store, nina, zelda_case(), status="denied", as_of=TODAY)
    saved = cases.save_case(store, nina, c.id, c.version, assigned_to_id=omar.user_id,
                            handoff_note="Patient prefers calls after 3pm.", as_of=TODAY)  # fmt: skip
    assert saved.status == "denied" and saved.assigned_to.id == omar.user_id
    [handoff] = tasks.my_day(store, omar, today=TODAY).due_today
    assert handoff.kind == "handoff" and handoff.title == "Hand-off from Nina Navigator"
    assert handoff.note == "Patient prefers calls after 3pm."
    assert [n.body for n in saved.notes] == [
        "Hand-off to Omar Navigator: Patient prefers calls after 3pm."
    ]
    assert tasks.my_day(store, nina, today=TODAY).due_today == []
    # Taking a case yourself is not a hand-off; a note without a hand-off is refused, not lost.
    with pytest.raises(FieldProblem) as err:
        cases.save_case(store, nina, c.id, saved.version, assigned_to_id=nina.user_id,
                        handoff_note="For whom?")  # fmt: skip
    assert set(err.value.problems) == {"handoff_note"}
    back = cases.save_case(store, nina, c.id, saved.version, assigned_to_id=nina.user_id)
    assert len(back.tasks) == 1


def test_a_call_can_set_a_follow_up(store, team):
    _, nina, _ = team
    c = cases.create_case(store, nina, zelda_case(), as_of=TODAY)
    cases.add_call(store, nina, c.id, call_date=TODAY, person="Dana, UM nurse",
                   summary="Will call back.", follow_up_on=TODAY + dt.timedelta(days=2),
                   today=TODAY)  # fmt: skip
    [item] = tasks.my_day(store, nina, today=TODAY).this_week
    assert item.kind == "follow_up" and item.title == "Follow up: call with Dana, UM nurse"
    with pytest.raises(FieldProblem, match="past"):
        cases.add_call(store, nina, c.id, call_date=TODAY, person="X", summary="Y",
                       follow_up_on=TODAY - dt.timedelta(days=1), today=TODAY)  # fmt: skip


def test_marking_a_request_sent_sets_the_date_moves_the_status_and_starts_the_clock(store, team):
    _, nina, _ = team
    case = zelda_case(denial=None, request_sent_date=None, provider=DOCTOR)
    c = cases.create_case(store, nina, case, as_of=TODAY)
    assert c.status == "intake"
    letter = letter_store.generate_letter(store, nina, c.id, "preauth_request",
                                          expected_version=c.version, today=TODAY)  # fmt: skip
    sent_on = TODAY - dt.timedelta(days=1)
    with pytest.raises(FieldProblem) as err:
        letter_store.mark_sent(store, nina, c.id, letter.id, via="pigeon",
                               sent_on=TODAY + dt.timedelta(days=5), expected_version=c.version,
                               today=TODAY)  # fmt: skip
    assert set(err.value.problems) == {"sent_via", "sent_on"}
    after = letter_store.mark_sent(store, nina, c.id, letter.id, via="fax", sent_on=sent_on,
                                   expected_version=c.version, today=TODAY)  # fmt: skip
    assert after.status == "request_sent" and after.version == c.version + 1
    assert after.case.request_sent_date == sent_on
    assert [(h.from_status, h.to_status) for h in after.history][-1] == ("intake", "request_sent")
    [sent] = after.letters
    assert (sent.sent_on, sent.sent_via, sent.sent_by) == (sent_on, "fax", "Nina Navigator")
    # The plan's decision clock, as the coverage core works it out from the request date.
    expected = service.check(after.case, as_of=TODAY).deadlines
    decision = next(d for d in expected if d.id == "prior_auth_decision")
    assert decision.due is not None and decision.due > sent_on
    shown = next(d for d in after.deadlines if d.key == "prior_auth_decision")
    assert shown.due == decision.due and shown.relevant
    [summary] = cases.list_cases(store, nina)
    assert summary.next_due == decision.due
    # A page opened before the sending cannot record it again over the new version.
    with pytest.raises(CaseConflict):
        letter_store.mark_sent(store, nina, c.id, letter.id, via="mail", sent_on=TODAY,
                               expected_version=c.version, today=TODAY)  # fmt: skip


def test_marking_an_appeal_sent_moves_a_denied_case_to_appeal_and_nothing_moves_back(store, team):
    _, nina, _ = team
    c = cases.create_case(store, nina, zelda_case(provider=DOCTOR), status="denied", as_of=TODAY)
    appeal = letter_store.generate_letter(store, nina, c.id, "appeal",
                                          expected_version=c.version, today=TODAY)  # fmt: skip
    after = letter_store.mark_sent(store, nina, c.id, appeal.id, via="portal", sent_on=TODAY,
                                   expected_version=c.version, today=TODAY)  # fmt: skip
    assert after.status == "appeal"
    assert after.case.request_sent_date == c.case.request_sent_date  # not a request letter
    request = letter_store.generate_letter(store, nina, c.id, "preauth_request",
                                           expected_version=after.version, today=TODAY)  # fmt: skip
    again = letter_store.mark_sent(store, nina, c.id, request.id, via="mail", sent_on=TODAY,
                                   expected_version=after.version, today=TODAY)  # fmt: skip
    assert again.status == "appeal"  # a late request letter does not move the case back


def test_the_queue_as_a_calendar_holds_no_member_data(store, team):
    _, nina, _ = team
    c = cases.create_case(store, nina, zelda_case(), status="denied", as_of=TODAY)
    tasks.add_task(store, nina, c.id, title="Call Zelda Testpatient", due=TODAY,
                   note="ZT998877, glioblastoma")  # fmt: skip
    queue = tasks.my_day(store, nina, today=APPEAL_DUE - dt.timedelta(days=3))
    queue_today = tasks.my_day(store, nina, today=TODAY)
    data = tasks.queue_to_ics(queue).decode("utf-8") + tasks.queue_to_ics(queue_today).decode()
    assert data.count("BEGIN:VEVENT") == 3  # the task (overdue by then), the deadline; the task
    assert f"SUMMARY:Task · case #{c.id}\r\n" in data
    assert "DTSTART;VALUE=DATE:20260929" in data and "DTSTART;VALUE=DATE:20260406" in data
    assert "Deadline · case #" in data
    for secret in ("Zelda", "Testpatient", "ZT998877", "glioblastoma"):
        assert secret not in data
    assert all(len(line.encode()) <= 75 for line in data.split("\r\n"))
