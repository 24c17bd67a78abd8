"""A small backlog written straight into a store, for the allocation tests."""

from __future__ import annotations

from sqlalchemy import Engine, insert

from kinfold import clock
from kinfold.store.schema import cases, imports, items, skills, teams, workers


def backlog(engine: Engine, size: int, workers_count: int) -> None:
    """`size` open cases of one item each, ranked 1..size, in one team of skilled workers."""
    now = clock.now()
    with engine.begin() as conn:
        conn.execute(insert(teams).values(id=1, name="Benefits team"))
        conn.execute(insert(teams).values(id=2, name="Housing team"))
        conn.execute(insert(workers), [
            {"id": n, "worker_ref": f"W{n:02d}", "name": f"Worker {n}", "team_id": 1,
             "hours_per_week": 37, "cost_per_hour": 30, "active": True}
            for n in range(1, workers_count + 1)])  # fmt: skip
        conn.execute(insert(skills), [{"worker_id": n, "item_type": "Claim", "level": 2}
                                      for n in range(1, workers_count + 1)])  # fmt: skip
        conn.execute(insert(imports).values(
            id=1, kind="items", source="test", file_name="t.csv", file_sha256="x", actor="test",
            started_at=now, rows_read=size))  # fmt: skip
        conn.execute(insert(cases), [
            {"id": n, "status": "open", "open_items": 1, "created_at": now, "updated_at": now,
             "priority_rank": n, "priority_score": size - n, "team_id": 1}
            for n in range(1, size + 1)])  # fmt: skip
        conn.execute(insert(items), [
            {"id": n, "source": "test", "source_ref": f"R{n}", "item_type": "Claim",
             "received_at": now, "status": "open", "row_hash": "x", "first_import_id": 1,
             "last_import_id": 1, "case_id": n}
            for n in range(1, size + 1)])  # fmt: skip
