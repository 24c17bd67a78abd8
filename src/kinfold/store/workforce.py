"""Teams, workers, skills, roster and QA checks: read and written for the importers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from kinfold.store.events import event_row, record_many
from kinfold.store.schema import events, items, qa_checks, roster, shrinkage, skills, teams, workers


def team_ids(conn: Connection) -> dict[str, int]:
    return {name: team_id for team_id, name in conn.execute(select(teams.c.id, teams.c.name))}


def add_team(conn: Connection, name: str) -> int:
    key = conn.execute(insert(teams).values(name=name)).inserted_primary_key
    assert key is not None
    return int(key[0])


def worker_rows(conn: Connection) -> dict[str, dict[str, Any]]:
    query = select(workers)
    return {row.worker_ref: row._asdict() for row in conn.execute(query)}


def worker_ids(conn: Connection) -> dict[str, int]:
    return {
        ref: worker_id
        for worker_id, ref in conn.execute(select(workers.c.id, workers.c.worker_ref))
    }


def insert_workers(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(workers), list(rows))


def update_worker(conn: Connection, worker_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(workers).where(workers.c.id == worker_id).values(**values))


def skill_levels(conn: Connection) -> dict[tuple[int, str], int]:
    query = select(skills.c.worker_id, skills.c.item_type, skills.c.level)
    return {(worker_id, item_type): level for worker_id, item_type, level in conn.execute(query)}


def set_skill(conn: Connection, worker_id: int, item_type: str, level: int, exists: bool) -> None:
    if exists:
        conn.execute(
            update(skills)
            .where(skills.c.worker_id == worker_id, skills.c.item_type == item_type)
            .values(level=level)
        )
    else:
        conn.execute(insert(skills).values(worker_id=worker_id, item_type=item_type, level=level))


def change_skills(conn: Connection, levels: dict[tuple[int, str], int], actor: str) -> int:
    """Set workers' levels in item types ((worker id, item type) -> level), logging each
    change; how many changed."""
    now = skill_levels(conn)
    changed = {key: level for key, level in levels.items() if now.get(key, 0) != level}
    for (worker_id, item_type), level in changed.items():
        set_skill(conn, worker_id, item_type, level, exists=(worker_id, item_type) in now)
    record_many(conn, [
        event_row(actor=actor, action="skill.updated", entity_type="worker", entity_id=worker_id,
                  before={"item_type": item_type, "level": now.get((worker_id, item_type), 0)},
                  after={"item_type": item_type, "level": level})
        for (worker_id, item_type), level in changed.items()
    ])  # fmt: skip
    return len(changed)


def roster_days(conn: Connection) -> dict[tuple[int, str], dict[str, Any]]:
    """(worker id, ISO day) -> paid hours and shrinkage hours by category."""
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for row in conn.execute(select(roster)):
        found[(row.worker_id, row.day.isoformat())] = {
            "paid_hours": row.paid_hours,
            "cost_per_hour": row.cost_per_hour,
            "shrinkage": {},
        }
    for row in conn.execute(select(shrinkage)):
        entry = found.get((row.worker_id, row.day.isoformat()))
        if entry is not None:
            entry["shrinkage"][row.category] = row.hours
    return found


def put_roster_day(conn: Connection, day: dict[str, Any], exists: bool) -> None:
    """Write one worker's day: paid hours, and the shrinkage categories in full."""
    worker_id, on = day["worker_id"], day["day"]
    values = {"paid_hours": day["paid_hours"], "cost_per_hour": day["cost_per_hour"]}
    if exists:
        conn.execute(
            update(roster)
            .where(roster.c.worker_id == worker_id, roster.c.day == on)
            .values(**values)
        )
        conn.execute(
            delete(shrinkage).where(shrinkage.c.worker_id == worker_id, shrinkage.c.day == on)
        )
    else:
        conn.execute(insert(roster).values(worker_id=worker_id, day=on, **values))
    rows = [
        {"worker_id": worker_id, "day": on, "category": category, "hours": hours}
        for category, hours in day["shrinkage"].items()
    ]
    if rows:
        conn.execute(insert(shrinkage), rows)


def item_ids(conn: Connection) -> dict[tuple[str, str], int]:
    query = select(items.c.source, items.c.source_ref, items.c.id)
    return {(source, ref): item_id for source, ref, item_id in conn.execute(query)}


def qa_keys(conn: Connection) -> dict[tuple[int, int, str], dict[str, Any]]:
    found = {}
    for row in conn.execute(select(qa_checks)):
        key = (row.item_id, row.worker_id, row.checked_at.replace(tzinfo=None).isoformat())
        found[key] = row._asdict()
    return found


def insert_qa(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(qa_checks), list(rows))


def update_qa(conn: Connection, check_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(qa_checks).where(qa_checks.c.id == check_id).values(**values))


def counts(conn: Connection) -> dict[str, int]:
    def count(table: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    return {
        "teams": count(teams),
        "workers": count(workers),
        "roster_days": count(roster),
        "qa_checks": count(qa_checks),
        "work_events": int(
            conn.execute(
                select(func.count())
                .select_from(events)
                .where(events.c.entity_type == "item", events.c.started_at.is_not(None))
            ).scalar_one()
        ),
    }
