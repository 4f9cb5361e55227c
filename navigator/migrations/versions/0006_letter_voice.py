"""Letters signed by the patient's authorised representative: the voice of each stored letter,
and the organisation's address and phone a representative's letter gives.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("letter_address", sa.Text(), nullable=True))
        batch.add_column(sa.Column("letter_phone", sa.String(40), nullable=True))
    with op.batch_alter_table("letters") as batch:
        batch.add_column(sa.Column("voice", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("letters") as batch:
        batch.drop_column("voice")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("letter_phone")
        batch.drop_column("letter_address")
