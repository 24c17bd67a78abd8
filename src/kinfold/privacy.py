"""A person's data, as the law asks of it: all of it given on request (a subject access
request), erased on request, and closed cases deleted once their retention period ends.

Erasure takes the person out and keeps the work. Their items stay, as anonymous records
of work (type, need, dates, status, case, team), so every measure of the back office
stays as it was; their names, date of birth, contact details, identifiers, addresses and
notes go from the items, the event log, the quarantine and the case's questions; their
row in people goes; their household's address goes unless others still live there. The
items are kept together by a reviewer's decision (so the next resolve does not scatter
them), and an import that brings the same rows back again updates the work, never the
personal data.

Retention deletes closed cases whose last item closed more than the workspace's
`retention: closed cases kept for days` ago: their items, people and households, with
personal data taken out of the events about them (the event log keeps who did what, and
when). Measures of periods older than the retention period then count fewer items.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.ingest.fields import PERSONAL
from kinfold.store import events as event_log
from kinfold.store.database import AnyRow, in_batches
from kinfold.store.schema import (
    cases,
    events,
    households,
    items,
    link_decisions,
    links,
    peer_questions,
    people,
    qa_checks,
    quarantine,
)

# The columns of an item that are about the person (the rest is about the work): its
# personal fields, its notes (free text about them), and the values kept as given
PERSONAL_FIELDS = (*PERSONAL, "notes", "extra", "issues")
FREE_TEXT = ("note", "question", "answer", "reason", "decision", "override")  # typed about a case
ERASED = "(erased)"
NOT_SHOWN = "(not shown to analysts: what colleagues typed may name people)"
ERASURE = "erasure"  # the actor of the decisions that keep an erased person's items together
CASE_SHOWN = select(cases.c.id, cases.c.status, cases.c.created_at, cases.c.updated_at,
                    cases.c.priority_reasons, cases.c.harm_by, cases.c.next_due)  # fmt: skip


@dataclass(frozen=True)
class Erased:
    person_id: int
    items: int
    events: int  # events with personal data taken out
    quarantine: int  # rejected rows of theirs deleted
    household: bool  # whether their household's address went too (no one else lived there)


@dataclass(frozen=True)
class Retained:
    cutoff: str  # ISO day: cases whose last item closed before it
    cases: int
    items: int
    people: int


def subject_access(conn: Connection, person_id: int, actor: str) -> dict[str, Any]:
    """Everything the workspace holds about one person, as JSON-ready data: their record,
    their items (every column), their household's address (not the others who live
    there), their cases, the events about their items and cases, questions asked about
    their cases and reviewers' decisions about their items. The request is audited."""
    person, their_items = _person(conn, person_id)
    item_ids = [row["id"] for row in their_items]
    case_ids = sorted({row["case_id"] for row in their_items if row["case_id"] is not None})
    household_id = person["household_id"] if person else None
    household = (
        conn.execute(
            select(households.c.address, households.c.uprn, households.c.postcode).where(
                households.c.id == household_id
            )
        )
        .mappings()
        .first()
    )
    about = [row._asdict() for row in _events_about(conn, item_ids, case_ids, person_id)]
    found = {
        "person_id": person_id,
        "made_at": clock.now().isoformat(),
        "person": dict(person) if person else None,
        "household": dict(household) if household else None,
        "items": [{k: v for k, v in row.items() if k != "row_hash"} for row in their_items],
        "cases": [row._asdict() for row in in_batches(conn, CASE_SHOWN, cases.c.id, case_ids)],
        "events": [
            {**row, "before": _json(row["before"]), "after": _json(row["after"])} for row in about
        ],
        "questions": [
            row._asdict()
            for row in in_batches(conn, select(peer_questions), peer_questions.c.case_id, case_ids)
        ],
        "link_decisions": _decisions_about(conn, item_ids),
    }
    event_log.record(
        conn,
        actor=actor,
        action="person.exported",
        entity_type="person",
        entity_id=person_id,
        after={"items": len(item_ids)},
    )
    return found


def erase_person(conn: Connection, person_id: int, actor: str, reason: str) -> Erased:
    """Erase one person's data on request; see the module's docstring."""
    if not reason.strip():
        raise KinfoldError("Say why the person's data is erased.", "Add --reason.")
    person, rows = _person(conn, person_id)
    item_ids = [row["id"] for row in rows]
    now = clock.now()
    quarantined = _delete_quarantined(conn, rows)
    erased = update(items).values(erased_at=now, **dict.fromkeys(PERSONAL_FIELDS))
    in_batches(conn, erased, items.c.id, item_ids)
    if len(item_ids) > 1:
        conn.execute(
            insert(link_decisions),
            [
                {
                    "item_id": one,
                    "other_item_id": other,
                    "decision": "same",
                    "actor": ERASURE,
                    "decided_at": now,
                    "note": "kept together when the person's data was erased",
                }
                for one, other in pairwise(item_ids)
            ],
        )
    own_cases = _cases_only_of(conn, item_ids)
    erased_events = _erase_events(conn, _events_about(conn, item_ids, own_cases, person_id), now)
    in_batches(conn, update(peer_questions).values(question=ERASED, answer=None),
               peer_questions.c.case_id, own_cases)  # fmt: skip
    conn.execute(delete(people).where(people.c.id == person_id))
    household_id = person["household_id"] if person else None
    alone = (
        household_id is not None
        and not conn.execute(
            select(func.count()).select_from(people).where(people.c.household_id == household_id)
        ).scalar_one()
    )
    if alone:
        conn.execute(
            update(households)
            .where(households.c.id == household_id)
            .values(address=ERASED, uprn=None, postcode=None, school=None, gp_practice=None)
        )
    event_log.record(
        conn,
        actor=actor,
        action="person.erased",
        entity_type="person",
        entity_id=person_id,
        after={"items": len(item_ids), "reason": reason},
    )
    return Erased(person_id, len(item_ids), erased_events, quarantined, alone)


def past_retention(conn: Connection, days: int) -> list[int]:
    """Closed cases whose last item closed more than `days` ago."""
    cutoff = clock.now() - timedelta(days=days)
    last_closed = (
        select(
            items.c.case_id,
            func.max(items.c.closed_at).label("closed"),
            func.count().filter(items.c.status == "open").label("open"),
        )
        .group_by(items.c.case_id)
        .subquery()
    )
    query = (
        select(cases.c.id)
        .join(last_closed, last_closed.c.case_id == cases.c.id)
        .where(cases.c.status == "closed", last_closed.c.open == 0, last_closed.c.closed < cutoff)
        .order_by(cases.c.id)
    )
    return list(conn.scalars(query))


def delete_past_retention(conn: Connection, days: int, actor: str) -> Retained:
    """Delete the closed cases past their retention, with their items, people and
    households; take personal data out of the events about them."""
    cutoff = clock.now() - timedelta(days=days)
    case_ids = past_retention(conn, days)
    their_items = in_batches(
        conn, select(items.c.id, items.c.person_id, items.c.household_id), items.c.case_id, case_ids
    )
    item_ids = [row.id for row in their_items]
    person_ids = {row.person_id for row in their_items} - {None}
    household_ids = {row.household_id for row in their_items} - {None}
    _erase_events(conn, _events_about(conn, item_ids, case_ids, None), clock.now())
    for column in (qa_checks.c.item_id, links.c.item_id, links.c.other_item_id,
                   link_decisions.c.item_id, link_decisions.c.other_item_id,
                   items.c.id):  # fmt: skip
        in_batches(conn, delete(column.table), column, item_ids)
    in_batches(conn, delete(peer_questions), peer_questions.c.case_id, case_ids)
    in_batches(conn, delete(cases), cases.c.id, case_ids)
    still = {row[0] for row in in_batches(conn, select(items.c.person_id), items.c.person_id,
                                          person_ids)}  # fmt: skip
    gone_people = person_ids - still
    in_batches(conn, delete(people), people.c.id, gone_people)
    lived = {row[0] for row in in_batches(conn, select(items.c.household_id),
                                          items.c.household_id, household_ids)}  # fmt: skip
    in_batches(conn, delete(households), households.c.id, household_ids - lived)
    conn.execute(delete(quarantine).where(quarantine.c.created_at < cutoff))
    kept = Retained(cutoff.date().isoformat(), len(case_ids), len(item_ids), len(gone_people))
    event_log.record(
        conn,
        actor=actor,
        action="retention.applied",
        entity_type="workspace",
        entity_id="retention",
        after={"days": days, "cases": kept.cases, "items": kept.items, "people": kept.people},
    )
    return kept


def _person(conn: Connection, person_id: int) -> tuple[Any, list[dict[str, Any]]]:
    """A person's row (None if only their items are left) and their items, in order; or
    `KinfoldError` if there is neither."""
    person = conn.execute(select(people).where(people.c.id == person_id)).mappings().first()
    query = select(items).where(items.c.person_id == person_id).order_by(items.c.id)
    their_items = [dict(row) for row in conn.execute(query).mappings()]
    if person is None and not their_items:
        raise KinfoldError(f"There is no person {person_id}.")
    return person, their_items


def _decisions_about(conn: Connection, item_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Reviewers' decisions about these items, in the order they were made."""
    found = {row.id: row._asdict()
             for column in (link_decisions.c.item_id, link_decisions.c.other_item_id)
             for row in in_batches(conn, select(link_decisions), column, item_ids)}  # fmt: skip
    return sorted(found.values(), key=itemgetter("id"))


def _events_about(
    conn: Connection, item_ids: Iterable[int], case_ids: Iterable[int], person_id: int | None
) -> list[AnyRow]:
    """The events about these items, cases or person, in the order they were recorded."""
    found = []
    for kind, ids in (("item", item_ids), ("case", case_ids),
                      ("person", [] if person_id is None else [person_id])):  # fmt: skip
        query = select(events).where(events.c.entity_type == kind)
        found += in_batches(conn, query, events.c.entity_id, [str(i) for i in ids])
    return sorted(found, key=lambda row: int(row.id))


def _erase_events(conn: Connection, about: Sequence[AnyRow], now: Any) -> int:
    """Take personal data and what people typed out of the events' `before` and `after`,
    once each; who did what, and when, stays."""
    changed = 0
    for row in about:
        if row.erased_at is None:
            conn.execute(
                update(events).where(events.c.id == row.id).values(
                    before=_without_personal(row.before), after=_without_personal(row.after),
                    erased_at=now)
            )  # fmt: skip
            changed += 1
    return changed


def _without_personal(text: str | None) -> str | None:
    found = _json(text)
    if not isinstance(found, dict):
        return text
    kept = {
        key: value
        for key, value in found.items()
        if key not in PERSONAL_FIELDS and key not in FREE_TEXT
    }
    return json.dumps(kept)


def _cases_only_of(conn: Connection, item_ids: Sequence[int]) -> list[int]:
    """The cases of these items that hold no one else's items."""
    case_ids = {row[0] for row in in_batches(conn, select(items.c.case_id), items.c.id, item_ids)}
    theirs = set(item_ids)
    shared = {row.case_id for row in in_batches(conn, select(items.c.case_id, items.c.id),
                                                items.c.case_id, case_ids - {None})
              if row.id not in theirs}  # fmt: skip
    return sorted(case_ids - shared - {None})


def _delete_quarantined(conn: Connection, rows: Sequence[Any]) -> int:
    """Rejected rows of the person's: from the same source with the same reference, or
    naming their NI number, or both their last name and date of birth."""
    found = 0
    for row in rows:
        matches: list[tuple[Any, ...]] = [
            (
                quarantine.c.source == row["source"],
                quarantine.c.raw.contains(json.dumps(row["source_ref"]), autoescape=True),
            )
        ]
        if row["ni_number"]:
            matches.append((quarantine.c.raw.contains(row["ni_number"], autoescape=True),))
        if row["last_name"] and row["date_of_birth"]:
            matches.append(
                (
                    quarantine.c.raw.contains(row["last_name"], autoescape=True),
                    quarantine.c.raw.contains(row["date_of_birth"], autoescape=True),
                )
            )
        for match in matches:
            found += conn.execute(delete(quarantine).where(*match)).rowcount or 0
    return found


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
