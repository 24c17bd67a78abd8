"""Get next: the one case a worker should work now, given atomically.

A worker gets back their own waiting case once its day has come; otherwise, while under
their work-in-progress cap, the highest-priority unowned open case in their team's
backlog whose every open item they are skilled for. No case is ever given to two
workers: on PostgreSQL the case row is locked with `FOR UPDATE SKIP LOCKED` (others skip
it), on SQLite the claim is one guarded UPDATE (SQLite runs one writer at a time) and a
lost race moves on to the next case. Within one process, SQLite claims also queue on a
lock, so fifty threads wait their turn rather than fight over the database.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.store import events
from kinfold.store.schema import skills, workers

DEFAULT_CAP = 3
DEFAULT_SKILL = 2  # signed off (1 is learning)
CLAIM_TRIES = 50
_SQLITE_CLAIMS = threading.Lock()


class NextError(KinfoldError):
    """No case can be given, and why."""


@dataclass(frozen=True)
class Given:
    case_id: int
    worker_ref: str
    reason: str  # "your waiting case is due again" / "next in your team's backlog"
    priority_rank: int | None


def allocation_settings(settings: dict[str, Any]) -> tuple[int, int]:
    """(work-in-progress cap, lowest skill level that counts) from `allocate:`."""
    given = settings.get("allocate") or {}
    cap = given.get("work in progress cap", DEFAULT_CAP) if isinstance(given, dict) else None
    skill = given.get("skill level", DEFAULT_SKILL) if isinstance(given, dict) else None
    if not isinstance(cap, int) or cap < 1 or not isinstance(skill, int) or not 1 <= skill <= 3:
        raise KinfoldError(
            "kinfold.yaml: `allocate` takes `work in progress cap` (a whole number, at least "
            "1) and `skill level` (1 learning, 2 signed off, 3 expert)."
        )
    return cap, skill


def get_next(
    engine: Engine, worker_ref: str, settings: dict[str, Any], today: date | None = None
) -> Given:
    cap, skill = allocation_settings(settings)
    today = today or clock.now().date()
    postgres = engine.dialect.name == "postgresql"
    for _ in range(CLAIM_TRIES):
        with nullcontext() if postgres else _SQLITE_CLAIMS, engine.begin() as conn:
            worker_id, team_id = _worker(conn, worker_ref, lock=postgres)
            given = _own_waiting_case(conn, worker_id, today, postgres) or _backlog_case(
                conn, worker_id, team_id, cap, skill, postgres
            )
            if given is None:
                raise NextError(
                    f"No case is waiting for {worker_ref}: their team's backlog has no "
                    "unowned case they are skilled for.",
                )
            case_id, reason, rank = given
            if _claim(conn, case_id, worker_id, cap):
                events.record(
                    conn,
                    actor=worker_ref,
                    action="case.given",
                    entity_type="case",
                    entity_id=case_id,
                    after={"owner": worker_ref, "why": reason},
                )
                return Given(case_id, worker_ref, reason, rank)
    raise NextError("Every case tried was taken by someone else first; ask again.")


def _worker(conn: Connection, worker_ref: str, lock: bool) -> tuple[int, int]:
    query = select(workers.c.id, workers.c.team_id, workers.c.active).where(
        workers.c.worker_ref == worker_ref
    )
    if lock:  # one worker's requests one at a time, so the cap holds
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NextError(f"There is no worker '{worker_ref}'.", "See the workers file you imported.")
    if not row.active:
        raise NextError(f"{worker_ref} is not an active worker.")
    return row.id, row.team_id


def _own_waiting_case(
    conn: Connection, worker_id: int, today: date, lock: bool
) -> tuple[int, str, int | None] | None:
    sql = (
        "SELECT id, priority_rank FROM cases WHERE owner_id = :worker AND status = 'open' "
        "AND work_state = 'waiting' AND (waiting_until IS NULL OR waiting_until <= :today) "
        "ORDER BY priority_rank LIMIT 1" + (" FOR UPDATE SKIP LOCKED" if lock else "")
    )
    row = conn.execute(text(sql), {"worker": worker_id, "today": today}).first()
    return (row[0], "your waiting case is due again", row[1]) if row else None


def _backlog_case(
    conn: Connection, worker_id: int, team_id: int, cap: int, skill: int, lock: bool
) -> tuple[int, str, int | None] | None:
    working = conn.execute(
        text("SELECT count(*) FROM cases WHERE owner_id = :worker AND status = 'open' "
              "AND work_state = 'in progress'"), {"worker": worker_id}).scalar_one()  # fmt: skip
    if working >= cap:
        raise NextError(
            f"You have {working} cases in progress, the most allowed ({cap}).",
            "Finish one, or mark it as waiting for the customer, then ask again.",
        )
    skilled = list(conn.execute(select(skills.c.item_type).where(
        skills.c.worker_id == worker_id, skills.c.level >= skill)).scalars())  # fmt: skip
    if not skilled:
        return None
    names = ", ".join(f":skill{i}" for i in range(len(skilled)))
    sql = (
        "SELECT c.id, c.priority_rank FROM cases c WHERE c.status = 'open' "
        "AND c.team_id = :team AND c.owner_id IS NULL AND c.priority_rank IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM items i WHERE i.case_id = c.id AND i.status = 'open' "
        f"AND i.item_type NOT IN ({names})) ORDER BY c.priority_rank LIMIT 1"
        + (" FOR UPDATE OF c SKIP LOCKED" if lock else "")
    )
    values = {"team": team_id, **{f"skill{i}": name for i, name in enumerate(skilled)}}
    row = conn.execute(text(sql), values).first()
    return (row[0], "next in your team's backlog", row[1]) if row else None


def _claim(conn: Connection, case_id: int, worker_id: int, cap: int) -> bool:
    """Give the case to the worker unless someone else got it first; True if given."""
    done = conn.execute(
        text(
            "UPDATE cases SET owner_id = :worker, owner_since = :now, work_state = 'in progress', "
            "waiting_until = NULL WHERE id = :case AND status = 'open' "
            "AND (owner_id IS NULL OR (owner_id = :worker AND work_state = 'waiting')) "
            "AND (SELECT count(*) FROM cases o WHERE o.owner_id = :worker AND o.status = 'open' "
            "AND o.work_state = 'in progress') < :cap"
        ),
        {"worker": worker_id, "now": clock.now(), "case": case_id, "cap": cap},
    )
    return done.rowcount == 1
