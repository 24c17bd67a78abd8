"""Event logs: when an item was completed, and each logged event's lifecycle.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("lifecycle", sa.String(20)))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("lifecycle")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("closed_at")
