"""Two navigators saving the same case: the second gets CaseConflict and nothing is overwritten.

Optimistic locking with a version column (SQLAlchemy `version_id_col`), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from navigator_helpers import first_org, navigator, zelda_case
from sqlalchemy import event
from sqlalchemy.orm.exc import StaleDataError

from navigator import auth, cases, facts
from navigator.errors import CaseConflict
from navigator.tables import CaseRecord


@pytest.fixture
def two_navigators(store):
    admin = first_org(store)
    return navigator(store, admin, "nina"), navigator(store, admin, "omar")


def test_second_save_of_the_same_version_is_refused_and_overwrites_nothing(store, two_navigators):
    nina, omar = two_navigators
    created = cases.create_case(store, nina, zelda_case())

    # Both open version 1.
    nina_view = cases.open_case(store, nina, created.id)
    omar_view = cases.open_case(store, omar, created.id)
    assert nina_view.version == omar_view.version == 1

    # Nina saves first: a new stage and a note in the reasons.
    nina_case = facts.apply_changes(nina_view.case, {"diagnosis.stage": "IV"})
    saved = cases.save_case(store, nina, created.id, nina_view.version, nina_case)
    assert saved.version == 2

    # Omar saves his own edit on top of what he opened: refused, with a clear message.
    omar_case = facts.apply_changes(omar_view.case, {"diagnosis.stage": "II", "plan": None})
    with pytest.raises(CaseConflict) as err:
        cases.save_case(
            store, omar, created.id, omar_view.version, omar_case, status="coverage_checked"
        )
    assert err.value.current_version == 2
    assert str(err.value).startswith(f"Someone else saved case #{created.id} since you opened it")
    assert "Nothing was overwritten" in str(err.value)

    # Nothing of Omar's edit reached the database.
    after = cases.open_case(store, nina, created.id)
    assert after.version == 2
    assert after.case.diagnosis.stage == "IV"
    assert after.case.plan == "mo-ppo-riverfront-employer-self-funded"
    assert after.status == "intake"
    assert [h.to_status for h in after.history] == ["intake"]

    # Reloading and saving again works.
    retry = facts.apply_changes(after.case, {"diagnosis.stage": "II"})
    assert cases.save_case(store, omar, created.id, after.version, retry).version == 3


def test_a_save_racing_between_the_check_and_the_write_is_caught_by_the_database(
    store, two_navigators
):
    """Omar's save passes the version check, then Nina commits before Omar's UPDATE runs: the
    UPDATE ... WHERE version = 1 matches no row, and Omar gets CaseConflict."""
    nina, omar = two_navigators
    created = cases.create_case(store, nina, zelda_case())
    fired = []

    def nina_saves_first(session, flush_context, instances):
        if fired or not any(isinstance(o, CaseRecord) for o in session.dirty):
            return
        fired.append(True)
        view = cases.open_case(store, nina, created.id, record_view=False)
        new = facts.apply_changes(view.case, {"diagnosis.stage": "IV"})
        cases.save_case(store, nina, created.id, view.version, new)

    event.listen(store.sessions, "before_flush", nina_saves_first)
    try:
        omar_case = facts.apply_changes(created.case, {"diagnosis.stage": "II"})
        with pytest.raises(CaseConflict) as err:
            cases.save_case(store, omar, created.id, created.version, omar_case)
    finally:
        event.remove(store.sessions, "before_flush", nina_saves_first)
    assert fired
    assert err.value.expected_version == 1 and err.value.current_version == 2
    after = cases.open_case(store, nina, created.id)
    assert (after.version, after.case.diagnosis.stage) == (2, "IV")


def test_the_version_column_guards_every_orm_update(store, two_navigators):
    """Two ORM sessions load the same row; the second commit fails (version_id_col)."""
    nina, _ = two_navigators
    created = cases.create_case(store, nina, zelda_case())
    first, second = store.sessions(), store.sessions()
    try:
        a = first.get(CaseRecord, created.id)
        b = second.get(CaseRecord, created.id)
        a.status, b.status = "coverage_checked", "closed"
        first.commit()
        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()
    with store.transaction() as s:
        row = s.execute(sa.select(CaseRecord.status, CaseRecord.version)).one()
    assert tuple(row) == ("coverage_checked", 2)


def test_conflict_message_contains_no_member_data(store, two_navigators):
    nina, omar = two_navigators
    created = cases.create_case(store, nina, zelda_case())
    cases.save_case(store, nina, created.id, 1, status="coverage_checked")
    with pytest.raises(CaseConflict) as err:
        cases.save_case(store, omar, created.id, 1, status="closed")
    text = str(err.value)
    for secret in ("Zelda", "Testpatient", "ZT998877", "Glioblastoma", "1971"):
        assert secret not in text


def test_a_stale_session_of_a_deactivated_user_cannot_save(store, two_navigators):
    nina, omar = two_navigators
    created = cases.create_case(store, nina, zelda_case())
    admin = auth.login(store, "admin", "correct horse battery")
    auth.update_user(store, admin, omar.user_id, active=False)
    from navigator.errors import AuthError

    with pytest.raises(AuthError):
        cases.save_case(store, omar, created.id, 1, status="closed")
    assert cases.open_case(store, nina, created.id).status == "intake"
