"""API tokens that expire and are named once per user (the tokens of before expire 90
days after they were made), and failed sign-ins kept in the database, so that every
process of the web app counts them together.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TOKENS_LAST = timedelta(days=90)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True)))
    tokens = sa.table("api_tokens", sa.column("token_hash", sa.String),
                      sa.column("created_at", sa.DateTime(timezone=True)),
                      sa.column("expires_at", sa.DateTime(timezone=True)))  # fmt: skip
    connection = op.get_bind()
    for token_hash, created_at in connection.execute(
        sa.select(tokens.c.token_hash, tokens.c.created_at)
    ).all():
        connection.execute(tokens.update().where(tokens.c.token_hash == token_hash)
                           .values(expires_at=created_at + TOKENS_LAST))  # fmt: skip
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True),
                           nullable=False)  # fmt: skip
        batch.create_unique_constraint("uq_api_tokens_name", ["user_id", "name"])
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sign_in_failures_address", "sign_in_failures", ["address", "failed_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failures_address", "sign_in_failures")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint("uq_api_tokens_name", type_="unique")
        batch.drop_column("expires_at")
