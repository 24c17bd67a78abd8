"""Get next: the one case a worker should work now, given atomically.

A worker gets back their own waiting case once its day has come; otherwise, while under
their work-in-progress cap, the highest-priority unowned open case in their team's
backlog they are skilled for (`SKILLED`: its most pressing open item, `LEAD_TYPE`). No
case is ever given to two workers. On PostgreSQL one statement picks the case with
`FOR UPDATE SKIP LOCKED` (others skip it), claims and logs it; on SQLite (one writer at
a time) each claim is one guarded UPDATE, and a lost race looks again. Within one
process, claims queue in the order they came: one at a time on SQLite, a few at once on
PostgreSQL.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import deque
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Engine,
    TextClause,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.settings import Settings
from kinfold.store import events
from kinfold.store.database import time_param
from kinfold.store.schema import cases, workers

CLAIM_TRIES = 50
WAITING_AGAIN = "your waiting case is due again"
NEXT_IN_BACKLOG = "next in your team's backlog"


class FairGate:
    """Lets `permits` callers through at once, the rest in the order they came. Python's
    own locks let a thread that just left take its place again at once, so under fifty
    threads a few wait far longer than the rest; handing each free place to the longest
    waiter keeps every wait short."""

    def __init__(self, permits: int) -> None:
        self._guard = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._free = permits

    def __enter__(self) -> None:
        with self._guard:
            if self._free:
                self._free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by a caller leaving, handing its place over

    def __exit__(self, *_: object) -> None:
        with self._guard:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._free += 1


# Claims at once from one process: SQLite takes one writer at a time; PostgreSQL gives
# its answers soonest when a few claims run at once rather than fifty fighting over the
# processors and the same first rows of the backlog.
_SQLITE_CLAIMS = FairGate(1)
_POSTGRES_CLAIMS = FairGate(2 * (os.cpu_count() or 2))


class NextError(KinfoldError):
    """No case can be given, and why."""


@dataclass(frozen=True)
class Given:
    case_id: int
    worker_ref: str
    reason: str  # "your waiting case is due again" / "next in your team's backlog"
    priority_rank: int | None


def get_next(
    engine: Engine, worker_ref: str, settings: Settings, today: date | None = None
) -> Given:
    cap, skill = settings.allocation.cap, settings.allocation.skill
    values = {"today": today or clock.now().date(), "now": clock.now(), "cap": cap,
              "skill": skill}  # fmt: skip
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        row = _in_one_go(engine, {**values, "ref": worker_ref})
        if row is not None:
            return Given(row[0], worker_ref, WAITING_AGAIN if row[2] else NEXT_IN_BACKLOG, row[1])
        # nothing given: the steps below say why (or find a case another claim passed by)
    for _ in range(CLAIM_TRIES):
        with _POSTGRES_CLAIMS if postgres else _SQLITE_CLAIMS, engine.begin() as conn:
            worker_id, team_id, working = _worker(conn, worker_ref, lock=postgres)
            if working >= cap:
                raise NextError(
                    f"You have {working} cases in progress, the most allowed ({cap}).",
                    "Finish one, or mark it as waiting for the customer, then ask again.",
                )
            values |= {"worker": worker_id, "team": team_id}
            for claim, reason in ((WAITING, WAITING_AGAIN), (BACKLOG, NEXT_IN_BACKLOG)):
                row = conn.execute(_statement(claim, postgres), values).first()
                if row is not None:
                    events.record(conn, actor=worker_ref, action="case.given",
                                  entity_type="case", entity_id=row[0],
                                  after={"owner": worker_ref, "why": reason})  # fmt: skip
                    return Given(row[0], worker_ref, reason, row[1])
            if conn.execute(_statement(UNOWNED, False), values).first() is None:
                raise NextError(
                    f"No case is waiting for {worker_ref}: their team's backlog has no "
                    "unowned case they are skilled for.",
                )
        # another worker's claim was committed as this one looked: look again
    raise NextError("Every case tried was taken by someone else first; ask again.")


def _in_one_go(engine: Engine, values: dict[str, Any]) -> tuple[int, int | None, bool] | None:
    """PostgreSQL's claim in one statement, its own transaction (no BEGIN and COMMIT round
    trips around it); tried again once on a fresh connection if the pooled one had broken
    (the server restarted), which is safe: a statement that fails claims nothing."""
    for attempt in (1, 2):
        try:
            with _POSTGRES_CLAIMS, engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                row = conn.execute(_statement(IN_ONE_GO, False), values).first()
                return None if row is None else (row[0], row[1], row[2])
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise
    return None


def _worker(conn: Connection, worker_ref: str, lock: bool) -> tuple[int, int, int]:
    """The worker's id and team, and how many cases they have in progress."""
    row = conn.execute(_WORKER_LOCKED if lock else _WORKER, {"worker_ref": worker_ref}).first()
    if row is None:
        raise NextError(f"There is no worker '{worker_ref}'.", "See the workers file you imported.")
    if not row.active:
        raise NextError(f"{worker_ref} is not an active worker.")
    return row.id, row.team_id, row.working


_WORKER = select(
    workers.c.id,
    workers.c.team_id,
    workers.c.active,
    select(func.count()).select_from(cases)
    .where(cases.c.owner_id == workers.c.id, cases.c.status == "open",
           cases.c.work_state == "in progress")
    .scalar_subquery().label("working"),
).where(workers.c.worker_ref == bindparam("worker_ref"))  # fmt: skip
# one worker's requests one at a time, so the cap holds
_WORKER_LOCKED = _WORKER.with_for_update(of=workers)


# The claims: each picks and takes its case in one statement. On PostgreSQL the pick
# locks the row and skips rows others have locked; the outer condition holds the line
# when another claim committed the same case after this statement's snapshot.
WAITING = (
    "UPDATE cases SET work_state = 'in progress', waiting_until = NULL WHERE id = ("
    "SELECT id FROM cases WHERE owner_id = :worker AND status = 'open' "
    "AND work_state = 'waiting' AND (waiting_until IS NULL OR waiting_until <= :today) "
    "ORDER BY priority_rank LIMIT 1{lock}) AND owner_id = :worker AND work_state = 'waiting' "
    "RETURNING id, priority_rank"
)
# The type of a case's most pressing open item: one with a risk flag first, then the
# soonest due, then the longest waiting. A worker skilled for it may take the case.
LEAD_TYPE = (
    "(SELECT i.item_type FROM items i WHERE i.case_id = c.id AND i.status = 'open' "
    "ORDER BY CASE WHEN i.flags IS NULL OR i.flags = '' THEN 1 ELSE 0 END, "
    "CASE WHEN i.due_at IS NULL THEN 1 ELSE 0 END, i.due_at, i.received_at, i.id LIMIT 1)"
)
# Skilled for a case: for its most pressing item; or, where no one in its team is, for
# any of its open items (a mixed case goes to whoever covers part of it). A case no one in
# its team is skilled for at all waits for its team leader to assign it (`UNSKILLED`).
TEAM_SKILLED_FOR_LEAD = (
    "EXISTS (SELECT 1 FROM skills ts JOIN workers tw ON tw.id = ts.worker_id "
    "WHERE tw.team_id = c.team_id AND tw.active AND ts.level >= :skill "
    f"AND ts.item_type = {LEAD_TYPE})"
)
SKILLED = (
    "(EXISTS (SELECT 1 FROM skills s WHERE s.worker_id = :worker "
    f"AND s.item_type = {LEAD_TYPE} AND s.level >= :skill) OR (NOT {TEAM_SKILLED_FOR_LEAD} "
    "AND EXISTS (SELECT 1 FROM items ai JOIN skills a ON a.item_type = ai.item_type "
    "WHERE ai.case_id = c.id AND ai.status = 'open' AND a.worker_id = :worker "
    "AND a.level >= :skill)))"
)
UNSKILLED = (
    f"NOT {TEAM_SKILLED_FOR_LEAD} AND NOT EXISTS (SELECT 1 FROM items ai "
    "JOIN skills a ON a.item_type = ai.item_type JOIN workers aw ON aw.id = a.worker_id "
    "WHERE ai.case_id = c.id AND ai.status = 'open' AND aw.team_id = c.team_id AND aw.active "
    "AND a.level >= :skill)"
)
UNOWNED = (
    "SELECT c.id FROM cases c WHERE c.team_id = :team AND c.status = 'open' "
    f"AND c.owner_id IS NULL AND c.priority_rank IS NOT NULL AND {SKILLED} "
    "ORDER BY c.priority_rank LIMIT 1"
)
BACKLOG = (
    "UPDATE cases SET owner_id = :worker, owner_since = :now, work_state = 'in progress', "
    f"waiting_until = NULL WHERE id = ({UNOWNED}{{lock}}) AND owner_id IS NULL "
    "AND (SELECT count(*) FROM cases o WHERE o.owner_id = :worker AND o.status = 'open' "
    "AND o.work_state = 'in progress') < :cap RETURNING id, priority_rank"
)


# PostgreSQL: the whole of get next in one statement (one round trip): the worker's row
# locked, their due waiting case or else the backlog's next, within the cap, claimed and
# logged. When it gives nothing, the steps above run to say why.
IN_ONE_GO = f"""
WITH w AS (
    SELECT id, team_id FROM workers WHERE worker_ref = :ref AND active FOR UPDATE
), working AS (
    SELECT count(*) AS n FROM cases o, w WHERE o.owner_id = w.id AND o.status = 'open'
    AND o.work_state = 'in progress'
), waiting AS (
    SELECT c.id FROM cases c, w WHERE c.owner_id = w.id AND c.status = 'open'
    AND c.work_state = 'waiting' AND (c.waiting_until IS NULL OR c.waiting_until <= :today)
    ORDER BY c.priority_rank LIMIT 1 FOR UPDATE OF c SKIP LOCKED
), unowned AS (
    {
    UNOWNED.replace(":team", "(SELECT team_id FROM w)").replace(":worker", "(SELECT id FROM w)")
} FOR UPDATE OF c SKIP LOCKED
), chosen AS (
    SELECT id, true AS own FROM waiting
    UNION ALL SELECT id, false FROM unowned WHERE NOT EXISTS (SELECT 1 FROM waiting)
), claimed AS (
    UPDATE cases SET owner_id = w.id, work_state = 'in progress', waiting_until = NULL,
    owner_since = CASE WHEN chosen.own THEN cases.owner_since ELSE :now END
    FROM w, working, chosen WHERE cases.id = chosen.id AND working.n < :cap
    RETURNING cases.id, cases.priority_rank, chosen.own
), logged AS (
    INSERT INTO events (recorded_at, actor, action, entity_type, entity_id, after)
    SELECT :now, :ref, 'case.given', 'case', CAST(id AS TEXT),
    json_build_object('owner', :ref, 'why', CASE WHEN own THEN '{WAITING_AGAIN}'
                      ELSE '{NEXT_IN_BACKLOG.replace("'", "''")}' END)::text
    FROM claimed
)
SELECT id, priority_rank, own FROM claimed
"""


@functools.cache
def _statement(sql: str, lock: bool) -> TextClause:
    """The claim, locking on PostgreSQL; times and days bound as the columns store them."""
    params = (("now", time_param("now")), ("today", bindparam("today", type_=Date())))
    typed = [param for name, param in params if f":{name}" in sql]
    return text(sql.format(lock=" FOR UPDATE SKIP LOCKED" if lock else "")).bindparams(*typed)
