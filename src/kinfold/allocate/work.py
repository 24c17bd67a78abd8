"""Working a case: the actions a caseworker records, and closing a case when it is enough.

Each action is an event on the case with its start and completion times: contact made,
item completed, referred, waiting for the customer, case closed. Only the case's owner
records them (a case is worked by one person at a time). A case closes when its
"enough" checklist is met, or when the caseworker overrides the lines not met with a
reason; the checklist is the lines of every need among the case's items (see
enough.yaml, changed per need under `enough:` in kinfold.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, func, select, text, update

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.settings import Settings
from kinfold.store import events
from kinfold.store.schema import cases, items, peer_questions, workers

ACTIONS = {
    "contact made": "case.contact_made",
    "item completed": "case.item_completed",
    "referred": "case.referred",
    "waiting for the customer": "case.waiting",
    "case closed": "case.closed",
}
EVERY_CASE = "every case"


class WorkError(KinfoldError):
    """An action that cannot be recorded, and why."""


@dataclass(frozen=True)
class Done:
    case_id: int
    action: str
    started_at: datetime
    completed_at: datetime
    summary: str  # what happened, in words


def enough_lists(settings: Settings) -> dict[str, tuple[str, ...]]:
    """need -> its "enough" lines: the shipped ones, with kinfold.yaml's `enough:` over them."""
    shipped = yaml.safe_load(
        resources.files("kinfold.allocate").joinpath("enough.yaml").read_text("utf-8")
    )
    merged = {**shipped, **settings.enough}
    return {str(need).strip().lower(): tuple(lines) for need, lines in merged.items()}


def checklist(conn: Connection, case_id: int, settings: Settings) -> tuple[str, ...]:
    """The lines to meet before the case closes: every case's, then each need's."""
    lists = enough_lists(settings)
    needs = sorted({(need or "").strip().lower() for need in conn.execute(
        select(items.c.need).where(items.c.case_id == case_id)).scalars()} - {""})  # fmt: skip
    lines = list(lists.get(EVERY_CASE, ()))
    for need in needs:
        lines += [line for line in lists.get(need, ()) if line not in lines]
    return tuple(lines)


def record_action(
    engine: Engine,
    settings: Settings,
    worker_ref: str,
    case_id: int,
    action: str,
    *,
    note: str | None = None,
    item_id: int | None = None,
    until: date | None = None,
    met: tuple[str, ...] = (),
    override: str | None = None,
    started_at: datetime | None = None,
) -> Done:
    """Record one action on a case the worker owns; raise `WorkError` with the reason
    when it cannot be done (and change nothing)."""
    if action not in ACTIONS:
        raise WorkError(f"'{action}' is not an action.", f"The actions are: {', '.join(ACTIONS)}.")
    now = clock.now()
    with engine.begin() as conn:
        worker_id = _owner_check(conn, worker_ref, case_id)
        started = started_at or _since_last_action(conn, case_id, worker_ref)
        if clock.as_utc(started) > now:
            raise WorkError("The start time is in the future.")
        after: dict[str, Any] = {"note": note} if note else {}
        if action == "item completed":
            summary = _complete_item(conn, case_id, item_id, now)
            after["item"] = item_id
        elif action == "waiting for the customer":
            summary = _wait(conn, case_id, until, now.date())
            after["until"] = until.isoformat() if until else None
        elif action == "case closed":
            summary, after["enough"], after["override"] = _close(
                conn, case_id, checklist(conn, case_id, settings), met, override, now
            )
        else:
            summary = f"{action.capitalize()} on case {case_id}."
            conn.execute(update(cases).where(cases.c.id == case_id, cases.c.owner_id == worker_id)
                         .values(work_state="in progress", waiting_until=None))  # fmt: skip
        events.record(conn, actor=worker_ref, action=ACTIONS[action], entity_type="case",
                      entity_id=case_id, started_at=started, completed_at=now,
                      outcome=action, after=after)  # fmt: skip
    return Done(case_id, action, started, now, summary)


def _owner_check(conn: Connection, worker_ref: str, case_id: int) -> int:
    worker = conn.execute(select(workers.c.id, workers.c.active)
                          .where(workers.c.worker_ref == worker_ref)).first()  # fmt: skip
    if worker is None:
        raise WorkError(f"There is no worker '{worker_ref}'.")
    case = conn.execute(
        select(cases.c.status, cases.c.owner_id, workers.c.worker_ref)
        .select_from(cases.outerjoin(workers, workers.c.id == cases.c.owner_id))
        .where(cases.c.id == case_id)
    ).first()  # fmt: skip
    if case is None:
        raise WorkError(f"There is no case {case_id}.")
    if case.status != "open":
        raise WorkError(f"Case {case_id} is {case.status}, so nothing more is recorded on it.")
    if case.owner_id != worker.id:
        owner = f"owned by {case.worker_ref}" if case.worker_ref else "not given to anyone yet"
        raise WorkError(
            f"Case {case_id} is {owner}; only the worker it was given to records its work.",
            f"Ask for your next case with `kinfold next --worker {worker_ref}`.",
        )
    return int(worker.id)


def _since_last_action(conn: Connection, case_id: int, worker_ref: str) -> datetime:
    """When this stretch of work began: the worker's last action on the case, else when
    the case was given to them."""
    last = conn.execute(
        text("SELECT max(completed_at) FROM events WHERE entity_type = 'case' "
             "AND entity_id = :case AND actor = :worker AND action LIKE 'case.%'"),
        {"case": str(case_id), "worker": worker_ref},
    ).scalar_one()  # fmt: skip
    if last is None:
        last = conn.execute(select(cases.c.owner_since).where(cases.c.id == case_id)).scalar_one()
    return clock.moment_of(last) if last else clock.now()


def _complete_item(conn: Connection, case_id: int, item_id: int | None, now: datetime) -> str:
    if item_id is None:
        raise WorkError("Say which item was completed (its id).")
    status = conn.execute(select(items.c.status).where(
        items.c.id == item_id, items.c.case_id == case_id)).scalar_one_or_none()  # fmt: skip
    if status is None:
        raise WorkError(f"Item {item_id} is not in case {case_id}.")
    if status != "open":
        raise WorkError(f"Item {item_id} is already {status}.")
    conn.execute(update(items).where(items.c.id == item_id).values(status="closed", closed_at=now))
    conn.execute(update(cases).where(cases.c.id == case_id).values(
        open_items=cases.c.open_items - 1, work_state="in progress", waiting_until=None,
        updated_at=now))  # fmt: skip
    return f"Item {item_id} completed on case {case_id}."


def _wait(conn: Connection, case_id: int, until: date | None, today: date) -> str:
    if until is None or until <= today:
        raise WorkError("Say until which day the case waits for the customer (after today).")
    conn.execute(update(cases).where(cases.c.id == case_id)
                 .values(work_state="waiting", waiting_until=until))  # fmt: skip
    return f"Case {case_id} waits for the customer until {until:%-d %B %Y}."


def _close(
    conn: Connection,
    case_id: int,
    lines: tuple[str, ...],
    met: tuple[str, ...],
    override: str | None,
    now: datetime,
) -> tuple[str, dict[str, bool], str | None]:
    unknown = [line for line in met if line not in lines]
    if unknown:
        raise WorkError(
            f"'{unknown[0]}' is not on case {case_id}'s checklist.",
            "Its checklist: " + "; ".join(lines),
        )
    missing = [line for line in lines if line not in met]
    if missing and not (override and override.strip()):
        raise WorkError(
            f"Case {case_id} is not enough yet: not met: {'; '.join(missing)}.",
            "Meet them, or close it anyway with the reason why (an override).",
        )
    waiting = conn.execute(select(func.count()).select_from(peer_questions).where(
        peer_questions.c.case_id == case_id,
        peer_questions.c.answered_by.is_(None))).scalar_one()  # fmt: skip
    if waiting and not (override and override.strip()):
        raise WorkError(
            f"A question on case {case_id} is waiting for your team's answer.",
            "Wait for the answer, or close it anyway with the reason why (an override).",
        )
    conn.execute(update(items).where(items.c.case_id == case_id, items.c.status == "open")
                 .values(status="closed", closed_at=now))  # fmt: skip
    conn.execute(update(cases).where(cases.c.id == case_id).values(
        status="closed", open_items=0, work_state="done", waiting_until=None, updated_at=now,
        priority_rank=None, team_rank=None, priority_score=None))  # fmt: skip
    summary = f"Case {case_id} closed" + (
        f"; overridden ({override.strip()}): {'; '.join(missing)}." if missing and override
        else ": enough."
    )  # fmt: skip
    return summary, {line: line in met for line in lines}, override.strip() if override else None
