"""Helpers for the navigator tests (plain functions; the fixtures are in conftest.py)."""

from __future__ import annotations

import datetime as dt

from coverage.case import Case, Denial, Diagnosis, Patient, SecondOpinionProvider
from navigator import auth
from navigator.store import Actor, Store

PASSWORD = "correct horse battery"
PATIENT = "Zelda Testpatient"
MEMBER_ID = "ZT998877"
DIAGNOSIS = "Glioblastoma of the left temporal lobe"


def own_password(store: Store, username: str, one_time: str, organisation: str) -> Actor:
    """Sign in with a one-time password and replace it with PASSWORD, as a new user must."""
    first = auth.login(store, username, one_time, organisation=organisation)
    assert first.must_change_password
    return auth.change_password(store, first, one_time, PASSWORD)


def first_org(
    store: Store, name: str = "Riverside Cancer Center", code: str = "riverside"
) -> Actor:
    made = auth.create_organisation(
        store, name=name, code=code, admin_username="admin", admin_display_name="Ada Admin"
    )
    return own_password(store, "admin", made.one_time_password, code)


def navigator(store: Store, admin: Actor, username: str, name: str | None = None) -> Actor:
    made = auth.create_user(store, admin, username=username, display_name=name or username.title())
    return own_password(store, username, made.one_time_password, admin.organisation_code)


def second_org(store: Store, admin: Actor, name: str = "Lakeside Oncology") -> Actor:
    made = auth.create_organisation(
        store, name=name, code="lakeside", admin_username="lake-admin",
        admin_display_name="Lake Admin",
    )  # fmt: skip
    return own_password(store, "lake-admin", made.one_time_password, "lakeside")


def zelda_case(**overrides) -> Case:
    """A denied case for a fictional patient, on a shipped self-funded Missouri plan."""
    data = dict(
        case_id="RS-0001",
        plan="mo-ppo-riverfront-employer-self-funded",
        patient=Patient(
            name=PATIENT, date_of_birth=dt.date(1971, 5, 4), member_id=MEMBER_ID, state="MO"
        ),
        diagnosis=Diagnosis(description=DIAGNOSIS, icd10="C71.2", newly_diagnosed="yes"),
        provider=SecondOpinionProvider(name="Dr. Example Neuro-Oncologist", in_network="no"),
        qualified_in_network_specialist="no",
        request_sent_date=dt.date(2026, 3, 20),
        denial=Denial(
            notice_date=dt.date(2026, 3, 30),
            date_received=dt.date(2026, 4, 2),
            reason_quoted="Out-of-network services are not covered.",
        ),
    )
    data.update(overrides)
    return Case(**data)
