"""Initial schema: organisations, users, cases and their deadlines, status history, letters,
calls, notes, documents and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str | None = None):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _case_child(table: str, *columns: sa.Column, user_column: str) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        *columns,
        _fk(table, "case_id", "cases", ondelete="CASCADE"),
        _fk(table, user_column, "users"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )
    op.create_index(f"ix_{table}_case_id", table, ["case_id"])


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
        sa.UniqueConstraint("name", name="uq_organisations_name"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_login_at", UTC_DATETIME, nullable=True),
        _fk("users", "organisation_id", "organisations"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_index("ix_users_organisation_id", "users", ["organisation_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        _fk("audit_events", "organisation_id", "organisations"),
        _fk("audit_events", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_org_at", "audit_events", ["organisation_id", "at"])

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("patient_name", sa.String(300), nullable=True),
        sa.Column("member_id", sa.String(100), nullable=True),
        sa.Column("case_ref", sa.String(64), nullable=True),
        sa.Column("plan_id", sa.String(200), nullable=True),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column("coverage", sa.JSON(), nullable=True),
        sa.Column("coverage_error", sa.Text(), nullable=True),
        sa.Column("coverage_checked_at", UTC_DATETIME, nullable=True),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        _fk("cases", "organisation_id", "organisations"),
        _fk("cases", "assigned_to_id", "users"),
        _fk("cases", "created_by_id", "users"),
        _fk("cases", "updated_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_assigned_to_id", "cases", ["assigned_to_id"])
    op.create_index("ix_cases_org_status", "cases", ["organisation_id", "status"])
    op.create_index("ix_cases_org_next_due", "cases", ["organisation_id", "next_due"])

    op.create_table(
        "case_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("within", sa.Text(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        _fk("case_deadlines", "case_id", "cases", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_case_deadlines"),
    )
    op.create_index("ix_case_deadlines_case_id", "case_deadlines", ["case_id"])
    op.create_index("ix_case_deadlines_due", "case_deadlines", ["due"])

    _case_child(
        "status_events",
        sa.Column("from_status", sa.String(30), nullable=True),
        sa.Column("to_status", sa.String(30), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        user_column="user_id",
    )
    _case_child(
        "letters",
        sa.Column("letter_type", sa.String(60), nullable=False),
        sa.Column("template_version", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("cited_call_ids", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        user_column="created_by_id",
    )
    _case_child(
        "calls",
        sa.Column("call_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("organisation", sa.String(300), nullable=True),
        sa.Column("person", sa.String(300), nullable=False),
        sa.Column("reference_number", sa.String(100), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("logged_by_id", sa.Integer(), nullable=False),
        sa.Column("logged_at", UTC_DATETIME, nullable=False),
        user_column="logged_by_id",
    )
    _case_child(
        "notes",
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        user_column="created_by_id",
    )
    _case_child(
        "documents",
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", UTC_DATETIME, nullable=False),
        user_column="uploaded_by_id",
    )


def downgrade() -> None:
    for table in ("documents", "notes", "calls", "letters", "status_events"):
        op.drop_index(f"ix_{table}_case_id", table_name=table)
        op.drop_table(table)
    op.drop_index("ix_case_deadlines_due", table_name="case_deadlines")
    op.drop_index("ix_case_deadlines_case_id", table_name="case_deadlines")
    op.drop_table("case_deadlines")
    op.drop_index("ix_cases_org_next_due", table_name="cases")
    op.drop_index("ix_cases_org_status", table_name="cases")
    op.drop_index("ix_cases_assigned_to_id", table_name="cases")
    op.drop_table("cases")
    op.drop_index("ix_audit_events_org_at", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_users_organisation_id", table_name="users")
    op.drop_table("users")
    op.drop_table("organisations")
