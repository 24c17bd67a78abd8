"""Get next: an index of each team's unowned open cases in priority order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 20:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UNOWNED = "status = 'open' AND owner_id IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_cases_unowned",
        "cases",
        ["team_id", "priority_rank"],
        sqlite_where=sa.text(UNOWNED),
        postgresql_where=sa.text(UNOWNED),
    )
    op.create_index("ix_cases_merged_into", "cases", ["merged_into"])


def downgrade() -> None:
    op.drop_index("ix_cases_merged_into", table_name="cases")
    op.drop_index("ix_cases_unowned", table_name="cases")
