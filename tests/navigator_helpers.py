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


def first_org(store: Store, name: str = "Riverside Cancer Center") -> Actor:
    return auth.first_run_setup(
        store, organisation=name, username="admin", display_name="Ada Admin", password=PASSWORD
    )


def navigator(store: Store, admin: Actor, username: str, name: str | None = None) -> Actor:
    auth.create_user(
        store, admin, username=username, display_name=name or username.title(), password=PASSWORD
    )
    return auth.login(store, username, PASSWORD)


def second_org(store: Store, admin: Actor, name: str = "Lakeside Oncology") -> Actor:
    auth.create_organisation(
        store,
        admin,
        name=name,
        admin_username="lake-admin",
        admin_display_name="Lake Admin",
        admin_password=PASSWORD,
    )
    return auth.login(store, "lake-admin", PASSWORD)


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
