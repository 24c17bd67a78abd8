"""Allocate: each case's team, owner and work state.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("owner_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "work_state", sa.String(length=20), server_default="unallocated", nullable=False
            )
        )
        batch_op.add_column(sa.Column("waiting_until", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_owner_id"), ["owner_id"], unique=False)
        batch_op.create_foreign_key("fk_cases_team_id_teams", "teams", ["team_id"], ["id"])
        batch_op.create_foreign_key("fk_cases_owner_id_workers", "workers", ["owner_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint("fk_cases_owner_id_workers", type_="foreignkey")
        batch_op.drop_constraint("fk_cases_team_id_teams", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cases_owner_id"))
        batch_op.drop_index(batch_op.f("ix_cases_team_id"))
        for column in ("waiting_until", "work_state", "owner_since", "owner_id", "team_id"):
            batch_op.drop_column(column)
