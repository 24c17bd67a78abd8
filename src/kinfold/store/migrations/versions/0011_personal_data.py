"""Personal data: a person's data erased on request, and closed cases past their
retention. Items and events get `erased_at`; the event log stays append-only, except that
an event's `before` and `after` may be rewritten once, to take personal data out of them,
leaving who did what and when.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 15:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

KEPT = ("id", "recorded_at", "actor", "action", "entity_type", "entity_id", "started_at",
        "completed_at", "outcome", "lifecycle", "import_id", "event_key")  # fmt: skip
MESSAGE = "the event log is append-only (personal data may be erased from an event once)"
SQLITE_SAME = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in KEPT)
POSTGRES_SAME = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in KEPT)


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True)))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_append_only ON events")
        op.execute("DROP FUNCTION events_append_only()")
        op.add_column("events", sa.Column("erased_at", sa.DateTime(timezone=True)))
        op.execute(
            "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' AND OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL "
            f"AND {POSTGRES_SAME} THEN RETURN NEW; END IF; "
            f"RAISE EXCEPTION '{MESSAGE}'; END $$"
        )
        op.execute("CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
                   "FOR EACH ROW EXECUTE FUNCTION events_append_only()")  # fmt: skip
    else:
        op.execute("DROP TRIGGER events_append_only_update")
        op.add_column("events", sa.Column("erased_at", sa.DateTime(timezone=True)))
        op.execute(
            "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events WHEN NOT "
            f"(OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL AND {SQLITE_SAME}) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    raise NotImplementedError("Erased personal data cannot be brought back; restore a backup.")
