"""Organisation templates: a letterhead or an own template per letter type, per organisation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_organisation_templates_organisation_id_organisations",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name="fk_organisation_templates_uploaded_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_organisation_templates"),
    )
    op.create_index(
        "uq_organisation_templates_org_kind",
        "organisation_templates",
        ["organisation_id", "kind"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_organisation_templates_org_kind", table_name="organisation_templates")
    op.drop_table("organisation_templates")
