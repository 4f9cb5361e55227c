"""The patient's date of birth copied to its own column (search by date of birth), and an index
on (organisation, case reference) for the duplicate-reference check.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _date_of_birth(facts: object) -> dt.date | None:
    if isinstance(facts, str):
        facts = json.loads(facts)
    raw = ((facts or {}).get("patient") or {}).get("date_of_birth")
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("patient_dob", sa.Date(), nullable=True))
    conn = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("facts", sa.JSON),
                     sa.column("patient_dob", sa.Date))  # fmt: skip
    for case_id, facts in conn.execute(sa.select(cases.c.id, cases.c.facts)).all():
        born = _date_of_birth(facts)
        if born is not None:
            conn.execute(cases.update().where(cases.c.id == case_id).values(patient_dob=born))
    op.create_index("ix_cases_org_patient_dob", "cases", ["organisation_id", "patient_dob"])
    op.create_index("ix_cases_org_case_ref", "cases", ["organisation_id", "case_ref"])


def downgrade() -> None:
    op.drop_index("ix_cases_org_case_ref", table_name="cases")
    op.drop_index("ix_cases_org_patient_dob", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("patient_dob")
