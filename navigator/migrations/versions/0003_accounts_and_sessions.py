"""Accounts per organisation and sessions: organisation codes and time zones; usernames and
e-mails unique within an organisation; one-time passwords; session epochs; per-user time
zones; the sign-in throttle.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _code(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:30] or "org"
    code, n = base, 1
    while code in taken or len(code) < 2:
        n += 1
        code = f"{base}-{n}"
    taken.add(code)
    return code


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("code", sa.String(40), nullable=True))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
    conn = op.get_bind()
    taken: set[str] = set()
    for org_id, name in conn.execute(sa.text("SELECT id, name FROM organisations ORDER BY id")):
        conn.execute(
            sa.text("UPDATE organisations SET code = :code WHERE id = :id"),
            {"code": _code(name, taken), "id": org_id},
        )
    with op.batch_alter_table("organisations") as batch:
        batch.alter_column("code", existing_type=sa.String(40), nullable=False)
        batch.create_unique_constraint("uq_organisations_code", ["code"])

    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
        batch.drop_constraint("uq_users_username", type_="unique")
        batch.drop_constraint("uq_users_email", type_="unique")
        batch.create_unique_constraint("uq_users_org_username", ["organisation_id", "username"])
        batch.create_unique_constraint("uq_users_org_email", ["organisation_id", "email"])
    with op.batch_alter_table("users") as batch:
        batch.alter_column("must_change_password", server_default=None)
        batch.alter_column("session_epoch", server_default=None)

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_org_email", type_="unique")
        batch.drop_constraint("uq_users_org_username", type_="unique")
        batch.create_unique_constraint("uq_users_email", ["email"])
        batch.create_unique_constraint("uq_users_username", ["username"])
        batch.drop_column("time_zone")
        batch.drop_column("session_epoch")
        batch.drop_column("must_change_password")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_constraint("uq_organisations_code", type_="unique")
        batch.drop_column("time_zone")
        batch.drop_column("code")
