"""Tasks (tasks, follow-ups, hand-offs with a due day and an assignee) and "mark sent" on
letters (the day, how, who recorded it and when).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name="fk_tasks_organisation_id_organisations"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_tasks_case_id_cases",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assigned_to_id"], ["users.id"],
                                name="fk_tasks_assigned_to_id_users"),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"], name="fk_tasks_done_by_id_users"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name="fk_tasks_created_by_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
    )  # fmt: skip
    op.create_index("ix_tasks_case_id", "tasks", ["case_id"])
    op.create_index("ix_tasks_assigned_to_id", "tasks", ["assigned_to_id"])
    op.create_index("ix_tasks_org_done_due", "tasks", ["organisation_id", "done_at", "due"])
    with op.batch_alter_table("letters") as batch:
        batch.add_column(sa.Column("sent_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("sent_via", sa.String(20), nullable=True))
        batch.add_column(sa.Column("sent_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sent_recorded_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_letters_sent_by_id_users", "users", ["sent_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("letters") as batch:
        batch.drop_constraint("fk_letters_sent_by_id_users", type_="foreignkey")
        batch.drop_column("sent_recorded_at")
        batch.drop_column("sent_by_id")
        batch.drop_column("sent_via")
        batch.drop_column("sent_on")
    op.drop_index("ix_tasks_org_done_due", table_name="tasks")
    op.drop_index("ix_tasks_assigned_to_id", table_name="tasks")
    op.drop_index("ix_tasks_case_id", table_name="tasks")
    op.drop_table("tasks")
