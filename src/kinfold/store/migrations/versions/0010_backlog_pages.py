"""The team backlog's pages: in priority order by team, and its groups counted from an
index (the web app's backlog page with 100,000 cases).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 13:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_backlog", "cases", ["team_id", "priority_rank"])
    op.create_index(
        "ix_cases_groups", "cases", ["team_id", "status", "next_due", "harm_by", "priority_rank"]
    )


def downgrade() -> None:
    op.drop_index("ix_cases_groups", "cases")
    op.drop_index("ix_cases_backlog", "cases")
