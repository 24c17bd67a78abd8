"""Each open case's place in its own team's backlog, beside its place among every case:
a team's list counts 1, 2, 3, ... however the other teams' cases fall between.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("team_rank", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("team_rank")
