"""Prioritise: the versioned priority rule, and each case's score, rank and harm horizon.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "priority_rules",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("saved_by", sa.String(length=200), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("version"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority_score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("priority_rank", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("harm_by", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("next_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("priority_reasons", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rule_version", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_priority_rank"), ["priority_rank"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_priority_rank"))
        for column in ("rule_version", "priority_reasons", "next_due", "harm_by",
                       "priority_rank", "priority_score"):  # fmt: skip
            batch_op.drop_column(column)
    op.drop_table("priority_rules")
