"""What each household rests on: a UPRN, an address, part of one, or no address at all
(a person alone, as a household of one); and each uncertain link's place in the review
queue, by how much a reviewer's answer would change cases.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.add_column(
            sa.Column("basis", sa.String(20), nullable=False, server_default="address")
        )
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("review_value", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("review_value")
    with op.batch_alter_table("households") as batch:
        batch.drop_column("basis")
