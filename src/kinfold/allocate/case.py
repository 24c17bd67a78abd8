"""One case as a caseworker sees it: the household's people, every item from every
source, the timeline of what happened, why it is where it is in the backlog, and what
"enough" means before it closes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, String, cast, func, or_, select

from kinfold import clock
from kinfold.allocate.work import checklist
from kinfold.errors import KinfoldError
from kinfold.privacy import NOT_SHOWN
from kinfold.settings import Settings
from kinfold.store import events
from kinfold.store.schema import cases, households, items, peer_questions, people, teams, workers
from kinfold.store.schema import events as event_log


class NoSuchCase(KinfoldError):
    """There is no case with that number."""


@dataclass(frozen=True)
class Member:
    person_id: int
    name: str
    date_of_birth: str | None
    open_items: int


@dataclass(frozen=True)
class CaseItem:
    item_id: int
    source: str
    source_ref: str
    item_type: str
    need: str | None
    status: str
    received_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    person_id: int | None
    flags: tuple[str, ...]
    notes: str | None


@dataclass(frozen=True)
class CaseReason:
    """One line of why a case is where it is, and what set it off: the item (its type,
    source and reference) and the person, named as the reader may see them."""

    words: str  # "eviction notice +40"
    item: str | None  # "Homelessness prevention, housing HOU-0001234"
    person: str | None  # "Jane Smith" ("Person 12", pseudonymised)


@dataclass(frozen=True)
class Moment:
    """One line of the timeline."""

    at: datetime
    actor: str
    what: str  # in words
    note: str | None


@dataclass(frozen=True)
class CaseView:
    case_id: int
    status: str
    team_id: int | None
    team: str | None
    owner: str | None
    work_state: str
    waiting_until: date | None
    address: str | None
    rank: int | None
    score: float | None
    harm_by: date | None
    next_due: date | None
    reasons: tuple[CaseReason, ...]
    members: list[Member]
    items: list[CaseItem]
    timeline: list[Moment]
    enough: tuple[str, ...]


def case_team(conn: Connection, case_id: int) -> int | None:
    """The team a case is in (for the access rule), or `NoSuchCase`."""
    row = conn.execute(select(cases.c.team_id).where(cases.c.id == case_id)).first()
    if row is None:
        raise NoSuchCase(f"There is no case {case_id}.")
    return None if row[0] is None else int(row[0])


def case_view(
    conn: Connection, case_id: int, settings: Settings, pseudonymised: bool = False
) -> CaseView:
    row = conn.execute(
        select(cases, teams.c.name.label("team_name"), workers.c.worker_ref,
               households.c.address)
        .outerjoin(teams, teams.c.id == cases.c.team_id)
        .outerjoin(workers, workers.c.id == cases.c.owner_id)
        .outerjoin(households, households.c.id == cases.c.household_id)
        .where(cases.c.id == case_id)
    ).mappings().first()  # fmt: skip
    if row is None:
        raise NoSuchCase(f"There is no case {case_id}.")
    found = _items(conn, case_id, pseudonymised)
    members = _members(conn, case_id, row["household_id"], row["person_id"], found, pseudonymised)
    return CaseView(
        case_id=case_id,
        status=row["status"],
        team_id=row["team_id"],
        team=row["team_name"],
        owner=row["worker_ref"],
        work_state=row["work_state"],
        waiting_until=_day(row["waiting_until"]),
        address=None if pseudonymised else row["address"],
        rank=row["team_rank"] or row["priority_rank"],  # its place in its team's backlog
        score=row["priority_score"],
        harm_by=_day(row["harm_by"]),
        next_due=_day(row["next_due"]),
        reasons=_reasons(row["priority_reasons"], row["reason_sources"], found, members),
        members=members,
        items=found,
        timeline=_timeline(conn, case_id, pseudonymised),
        enough=checklist(conn, case_id, settings),
    )


def _reasons(
    written: str | None, sources: str | None, found: list[CaseItem], members: list[Member]
) -> tuple[CaseReason, ...]:
    """The case's reasons, each with the item and the person it comes from."""
    reasons = [reason for reason in (written or "").split("; ") if reason]
    whence = json.loads(sources) if sources else []
    if len(whence) != len(reasons):  # scored before reasons kept their sources
        whence = [[None, None]] * len(reasons)
    item_of = {item.item_id: item for item in found}
    name_of = {member.person_id: member.name for member in members}
    lines = []
    for words, (item_id, person_id) in zip(reasons, whence, strict=True):
        item = item_of.get(item_id) if item_id is not None else None
        person = person_id if person_id is not None else item.person_id if item else None
        lines.append(CaseReason(
            words, f"{item.item_type}, {item.source} {item.source_ref}" if item else None,
            name_of.get(person) if person is not None else None))  # fmt: skip
    return tuple(lines)


def _items(conn: Connection, case_id: int, pseudonymised: bool) -> list[CaseItem]:
    query = select(items).where(items.c.case_id == case_id).order_by(items.c.received_at)
    return [
        CaseItem(
            item_id=r.id,
            source=r.source,
            source_ref=r.source_ref,
            item_type=r.item_type,
            need=r.need,
            status=r.status,
            received_at=clock.moment_of(r.received_at),
            due_at=_moment(r.due_at),
            closed_at=_moment(r.closed_at),
            person_id=r.person_id,
            flags=tuple(f.replace("_", " ") for f in (r.flags or "").split(";") if f),
            notes=None if pseudonymised else r.notes,
        )
        for r in conn.execute(query)
    ]


def record_view(conn: Connection, actor: str, view: CaseView, channel: str) -> None:
    """The audit log's line for a view of a case and the people in it."""
    events.record(conn, actor=actor, action="case.viewed", entity_type="case",
                  entity_id=view.case_id,
                  after={"people": [m.person_id for m in view.members], "by": channel})  # fmt: skip


def pseudonym(person_id: int) -> str:
    return f"Person {person_id}"


def _members(
    conn: Connection,
    case_id: int,
    household_id: int | None,
    person_id: int | None,
    found: list[CaseItem],
    pseudonymised: bool,
) -> list[Member]:
    if household_id is not None:
        where = people.c.household_id == household_id
    else:
        where = or_(people.c.id == person_id, people.c.id.in_(
            select(items.c.person_id).where(items.c.case_id == case_id)))  # fmt: skip
    open_items: dict[int | None, int] = {}
    for item in found:
        if item.status == "open":
            open_items[item.person_id] = open_items.get(item.person_id, 0) + 1
    return [
        Member(
            person_id=r.id,
            name=pseudonym(r.id)
            if pseudonymised
            else " ".join(part for part in (r.first_name, r.last_name) if part) or "(no name)",
            date_of_birth=None if pseudonymised else r.date_of_birth,
            open_items=open_items.get(r.id, 0),
        )
        for r in conn.execute(select(people).where(where).order_by(people.c.id))
    ]


def _timeline(conn: Connection, case_id: int, pseudonymised: bool) -> list[Moment]:
    """What happened to the case and its items, newest first (views are left out);
    pseudonymised, without what people typed."""
    log = event_log
    when = func.coalesce(log.c.completed_at, log.c.recorded_at)  # when the work happened
    asked = dict(conn.execute(select(peer_questions.c.id, peer_questions.c.question)
                              .where(peer_questions.c.case_id == case_id)).all())  # fmt: skip
    rows = conn.execute(
        select(when, log.c.actor, log.c.action, log.c.outcome, log.c.after)
        .where(or_(
            (log.c.entity_type == "case") & (log.c.entity_id == str(case_id)),
            (log.c.entity_type == "item") & log.c.entity_id.in_(
                select(cast(items.c.id, String)).where(items.c.case_id == case_id)),
        ), ~log.c.action.like("%.viewed"))
        .order_by(when.desc(), log.c.id.desc())
    )  # fmt: skip
    return [
        Moment(clock.moment_of(at), actor, _words(action, outcome),
               _note(after, pseudonymised, asked))
        for at, actor, action, outcome, after in rows
    ]  # fmt: skip


def _words(action: str, outcome: str | None) -> str:
    if outcome:
        return outcome[0].upper() + outcome[1:]
    return action.replace("case.", "").replace("item.", "item ").replace("_", " ").capitalize()


def _note(after: str | None, pseudonymised: bool, asked: dict[int, str]) -> str | None:
    """What a person typed with the event: a note, a question to the team (`asked`, by
    its id), or a question and the decision that answered it."""
    if not after:
        return None
    try:
        given = json.loads(after)
        note = given.get("note")
        if "decision" in given:
            note = f"Asked: {given.get('question')} Decided: {given['decision']}"
        elif isinstance(given.get("question"), int):
            note = asked.get(given["question"])
    except (ValueError, AttributeError):
        return None
    if not note:
        return None
    return NOT_SHOWN if pseudonymised else str(note)


def _moment(value: Any) -> datetime | None:
    return None if value is None else clock.moment_of(value)


def _day(value: Any) -> date | None:
    return None if value is None else clock.day_of(value)
