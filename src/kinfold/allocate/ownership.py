"""Who owns a case, changed by hand: a worker takes a case ("Allocate to me"), a team
leader assigns or reassigns one, and its owner hands it back to the team's backlog.

Get next (`next.py`) gives the backlog's cases in order; these are for what it cannot
know: a case a worker has begun on the phone, a case the team leader wants with someone
in particular. Each change is one transaction and one event in the audit log, naming
who did it, the case, and the owner before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from kinfold import clock
from kinfold.allocate.work import WorkError
from kinfold.store import events
from kinfold.store.schema import cases, teams, workers


@dataclass(frozen=True)
class Owned:
    case_id: int
    owner: str | None  # the worker it is with now; None: back in the backlog
    summary: str  # what happened, in words


def claim(engine: Engine, worker_ref: str, case_id: int, cap: int) -> Owned:
    """The worker takes an unowned open case of their team, while under their cap."""
    with engine.begin() as conn:
        worker = _worker(conn, worker_ref)
        case = _open_case(conn, case_id)
        if case["team_id"] != worker["team_id"]:
            raise WorkError(f"Case {case_id} is in another team's backlog.")
        if case["owner"] == worker_ref:
            raise WorkError(f"Case {case_id} is yours already.")
        if case["owner"] is not None:
            raise WorkError(
                f"Case {case_id} is with {case['owner']}.",
                "Ask your team leader to reassign it.",
            )
        working = _in_progress(conn, worker["id"])
        if working >= cap:
            raise WorkError(
                f"You have {working} cases in progress, the most you may hold at once.",
                "Finish one, or hand one back, first.",
            )
        _give(conn, case_id, worker["id"], case["owner_id"])
        events.record(conn, actor=worker_ref, action="case.claimed", entity_type="case",
                      entity_id=case_id, before={"owner": None},
                      after={"owner": worker_ref})  # fmt: skip
    return Owned(case_id, worker_ref, f"Case {case_id} is allocated to you.")


def assign(engine: Engine, actor: str, case_id: int, worker_ref: str) -> Owned:
    """A team leader gives an open case to a worker of its team (taking it from its owner,
    if it has one): their cap does not stop a team leader."""
    with engine.begin() as conn:
        worker = _worker(conn, worker_ref)
        case = _open_case(conn, case_id)
        if case["team_id"] != worker["team_id"]:
            team = conn.execute(select(teams.c.name).where(teams.c.id == case["team_id"]))
            raise WorkError(f"{worker_ref} is not in {team.scalar() or 'the team of the case'}.")
        if case["owner"] == worker_ref:
            raise WorkError(f"Case {case_id} is with {worker_ref} already.")
        _give(conn, case_id, worker["id"], case["owner_id"])
        events.record(conn, actor=actor, action="case.assigned", entity_type="case",
                      entity_id=case_id, before={"owner": case["owner"]},
                      after={"owner": worker_ref})  # fmt: skip
    verb = "reassigned" if case["owner"] else "assigned"
    return Owned(case_id, worker_ref, f"Case {case_id} is {verb} to {worker_ref}.")


def hand_back(engine: Engine, actor: str, case_id: int, reason: str) -> Owned:
    """The case goes back to its team's backlog, in its place by priority; its owner (or
    their team leader, as `actor`) says why."""
    if not reason.strip():
        raise WorkError("Say why the case goes back to the backlog.")
    with engine.begin() as conn:
        case = _open_case(conn, case_id)
        if case["owner"] is None:
            raise WorkError(f"Case {case_id} is not with anyone.")
        _give(conn, case_id, None, case["owner_id"])
        events.record(conn, actor=actor, action="case.handed_back", entity_type="case",
                      entity_id=case_id, before={"owner": case["owner"]},
                      after={"owner": None, "reason": reason.strip()})  # fmt: skip
    return Owned(case_id, None, f"Case {case_id} is back in the team's backlog.")


def _worker(conn: Connection, worker_ref: str) -> dict[str, Any]:
    row = conn.execute(select(workers.c.id, workers.c.team_id, workers.c.active)
                       .where(workers.c.worker_ref == worker_ref)).mappings().first()  # fmt: skip
    if row is None:
        raise WorkError(f"There is no worker '{worker_ref}'.")
    if not row["active"]:
        raise WorkError(f"{worker_ref} no longer works cases.")
    return dict(row)


def _open_case(conn: Connection, case_id: int) -> dict[str, Any]:
    row = conn.execute(
        select(cases.c.status, cases.c.team_id, cases.c.owner_id,
               workers.c.worker_ref.label("owner"))
        .select_from(cases.outerjoin(workers, workers.c.id == cases.c.owner_id))
        .where(cases.c.id == case_id)
    ).mappings().first()  # fmt: skip
    if row is None:
        raise WorkError(f"There is no case {case_id}.")
    if row["status"] != "open":
        raise WorkError(f"Case {case_id} is {row['status']}.")
    return dict(row)


def _in_progress(conn: Connection, worker_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(cases).where(
        cases.c.owner_id == worker_id, cases.c.status == "open",
        cases.c.work_state == "in progress")).scalar_one())  # fmt: skip


def _give(conn: Connection, case_id: int, worker_id: int | None, owner_id: int | None) -> None:
    """The case to `worker_id` (None: to the backlog), if it is still with `owner_id`: get
    next, or another hand, may have moved it since it was read."""
    was = cases.c.owner_id.is_(None) if owner_id is None else cases.c.owner_id == owner_id
    moved = conn.execute(update(cases).where(cases.c.id == case_id, was).values(
        owner_id=worker_id, owner_since=clock.now() if worker_id else None,
        work_state="in progress" if worker_id else "unallocated", waiting_until=None,
        updated_at=clock.now()))  # fmt: skip
    if moved.rowcount != 1:
        raise WorkError(f"Case {case_id} changed hands just now.", "Look at it again.")


def workers_of_case_team(engine: Engine, case_id: int) -> list[str]:
    """The active workers of the team whose backlog holds the case: whom it may go to."""
    with engine.connect() as conn:
        return list(conn.execute(
            select(workers.c.worker_ref)
            .join(cases, cases.c.team_id == workers.c.team_id)
            .where(cases.c.id == case_id, workers.c.active)
            .order_by(workers.c.worker_ref)
        ).scalars())  # fmt: skip


def owner_of(engine: Engine, case_id: int) -> str | None:
    """The worker a case is with now, if anyone."""
    with engine.connect() as conn:
        return conn.execute(select(workers.c.worker_ref)
                            .join(cases, cases.c.owner_id == workers.c.id)
                            .where(cases.c.id == case_id)).scalar()  # fmt: skip
