"""The append-only event log: every import, every change, every piece of work."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from kinfold import clock
from kinfold.store.schema import events


def record(conn: Connection, **fields: Any) -> None:
    """Append one event: who did what to which record, and what it was before and after
    (the fields of `event_row`)."""
    record_many(conn, [event_row(**fields)])


def record_export(engine: Engine, actor: str, what: str, asked: dict[str, Any], count: int) -> None:
    """The audit log's line for records taken out of kinfold, by a download or by a
    command writing a file: what, as asked, and how many rows (or figures)."""
    with engine.begin() as conn:
        record(conn, actor=actor, action=f"export.{what}", entity_type="export",
               entity_id=what, after={**asked, "rows": count})  # fmt: skip


def event_row(
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    import_id: int | None = None,
    started_at: datetime | None = None,
    completed_at: datetime | None = None,
    outcome: str | None = None,
    event_key: str | None = None,
    recorded_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "recorded_at": recorded_at or clock.now(),
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "started_at": started_at,
        "completed_at": completed_at,
        "outcome": outcome,
        "import_id": import_id,
        "before": _json(before),
        "after": _json(after),
        "event_key": event_key,
    }


def record_many(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append many events. Rows of one shape go to SQLite's driver in one executemany,
    each value made as SQLAlchemy makes it (a log's hundreds of thousands of pieces of
    work spent more time in SQLAlchemy's statement than in SQLite)."""
    if not rows:
        return
    shape = rows[0].keys()
    if conn.dialect.name != "sqlite" or any(row.keys() != shape for row in rows):
        conn.execute(insert(events), list(rows))
        return
    names = list(shape)
    made = [
        (name, events.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect))
        for name in names
    ]
    values = [tuple(row[name] if make is None or row[name] is None else make(row[name])
                    for name, make in made) for row in rows]  # fmt: skip
    conn.exec_driver_sql(
        f"INSERT INTO events ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        values,
    )


def existing_keys(conn: Connection) -> set[str]:
    """The keys of events read from files, so a re-import adds none twice."""
    query = select(events.c.event_key).where(events.c.event_key.is_not(None))
    return {key for (key,) in conn.execute(query)}


def count(conn: Connection, action: str | None = None) -> int:
    query = select(func.count()).select_from(events)
    if action is not None:
        query = query.where(events.c.action == action)
    return int(conn.execute(query).scalar_one())


def for_entity(conn: Connection, entity_type: str, entity_id: str | int) -> list[dict[str, Any]]:
    query = (
        select(events)
        .where(events.c.entity_type == entity_type, events.c.entity_id == str(entity_id))
        .order_by(events.c.id)
    )
    return [
        {
            **row._asdict(),
            "before": _load(row.before),
            "after": _load(row.after),
        }
        for row in conn.execute(query)
    ]


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, default=str, ensure_ascii=False)


def _load(value: str | None) -> Any:
    return None if value is None else json.loads(value)
