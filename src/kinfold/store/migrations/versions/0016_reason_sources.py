"""Each reason of a case's priority keeps the item and the person it comes from, so the
case can say whose eviction notice, and which child under 5.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("reason_sources", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("reason_sources")
