"""A priority rule may be a team's own: versions with a team are that team's rule, and a
team without one works by the workspace's rule (the versions without a team).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 20:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("priority_rules") as batch:
        batch.add_column(sa.Column("team_id", sa.Integer))
        batch.create_foreign_key("fk_priority_rules_team_id_teams", "teams", ["team_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("priority_rules") as batch:
        batch.drop_constraint("fk_priority_rules_team_id_teams", type_="foreignkey")
        batch.drop_column("team_id")
