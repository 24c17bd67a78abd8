"""Linking new items into a resolved workspace without resolving everything again.

The last resolve's trained model scores the new items against the existing items they
could be about (those sharing a last name, date of birth, postcode, UPRN, NI number,
email, phone or the source's number for the person) and against each other. A new item
joins the existing person it links to (under the same rules that refuse an impossible
person), or becomes a new person; a new person joins the household at their home, or
starts one; the item goes to its household's (or person's) case, or a new case. People
never move and households never merge here: that is for the next full `kinfold resolve`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, tuple_, update

from kinfold import clock
from kinfold.resolve import people as people_model
from kinfold.resolve.households import (
    homes,
    household_keys,
    nowhere,
    partial_homes,
    postcode_areas,
)
from kinfold.resolve.linkage import DuckDBLinkage
from kinfold.resolve.records import read_records
from kinfold.resolve.run import next_id
from kinfold.settings import Settings, Thresholds
from kinfold.store import events
from kinfold.store.schema import cases, households, items, people, resolve_runs

MATCH_FIELDS = ("last_name", "first_name", "date_of_birth", "postcode", "uprn", "ni_number",
                "email", "phone", "source", "person_ref")  # fmt: skip


@dataclass
class LinkedNew:
    items: int
    joined_people: int  # new items that joined a person already known
    new_people: int
    new_cases: int


def last_model(conn: Connection) -> dict[str, Any] | None:
    """The model of the workspace's last full resolve, or None if it was never resolved."""
    text = conn.execute(
        select(resolve_runs.c.model)
        .where(resolve_runs.c.kind == "full", resolve_runs.c.finished_at.is_not(None))
        .order_by(resolve_runs.c.id.desc())
        .limit(1)
    ).scalar()
    return json.loads(text) if text else None


def new_item_ids(conn: Connection, imported: Any) -> list[int]:
    """The items an import added (an `ImportResult`), not yet placed in a case."""
    return list(conn.execute(
        select(items.c.id).where(items.c.first_import_id == imported.import_id,
                                 items.c.case_id.is_(None))).scalars())  # fmt: skip


def link_new_items(
    conn: Connection, settings: Settings, item_ids: Sequence[int], actor: str
) -> LinkedNew | None:
    """Place `item_ids` (new, not yet placed) among the workspace's people, households and
    cases; None when the workspace has never been resolved."""
    model = last_model(conn)
    if model is None or not item_ids:
        return None
    return _link(conn, model, settings.thresholds, list(item_ids), actor)


def _link(
    conn: Connection, model: dict[str, Any], thresholds: Thresholds, new_ids: list[int],
    actor: str,
) -> LinkedNew:  # fmt: skip
    candidates = _candidates(conn, new_ids)
    records = read_records(conn, [*candidates, *new_ids])
    new = set(new_ids)
    placed = {row[0]: row[1:] for row in conn.execute(
        select(items.c.id, items.c.person_id, items.c.household_id, items.c.case_id)
        .where(items.c.id.in_(list(candidates))))} if candidates else {}  # fmt: skip

    union = people_model.People(records.distinct)
    person_record: dict[int, int] = {}  # existing person -> one of their records
    for item in records.items:
        if item.item_id in placed:
            person = placed[item.item_id][0]
            union.join(person_record.setdefault(person, item.record), item.record, force=True)
    new_records = {item.record for item in records.items if item.item_id in new}
    scored = people_model.scorer(model, DuckDBLinkage(), records.table())
    known = set(person_record.values())  # a record of each person already known
    for link in people_model.score(scored, thresholds.match):
        if (link.left in new_records or link.right in new_records) and not _joins_two_known(
            union, known, link
        ):
            union.join(link.left, link.right)
    scored.where.close()

    person_of_root = {union.find(record): person for person, record in person_record.items()}
    next_person = next_id(conn, people)
    new_people: dict[int, int] = {}  # root -> new person id
    person_of_item: dict[int, int] = {}
    for item in records.items:
        if item.item_id in new:
            root = union.find(item.record)
            if root in person_of_root:
                person_of_item[item.item_id] = person_of_root[root]
            else:
                if root not in new_people:
                    new_people[root], next_person = next_person, next_person + 1
                person_of_item[item.item_id] = new_people[root]

    household_of_person = dict(conn.execute(
        select(people.c.id, people.c.household_id)
        .where(people.c.id.in_(set(person_of_item.values())))).all())  # fmt: skip
    _place_new_people(conn, records, new, person_of_item, new_people, placed,
                      household_of_person)  # fmt: skip
    new_cases = _place_in_cases(conn, records, new, person_of_item, household_of_person, actor)
    joined = sum(person not in new_people.values() for person in person_of_item.values())
    result = LinkedNew(len(new_ids), joined, len(new_people), new_cases)
    events.record(conn, actor=actor, action="resolve.incremental", entity_type="item",
                  entity_id=min(new_ids), after=result.__dict__)  # fmt: skip
    return result


def _joins_two_known(union: people_model.People, known: set[int], link: people_model.Link) -> bool:
    """Would the link put two people already known together? Existing people never
    merge here: that is for the next full resolve, which weighs everything again."""
    roots = {union.find(link.left), union.find(link.right)}
    return len(roots) == 2 and len(roots & {union.find(record) for record in known}) == 2


def _candidates(conn: Connection, new_ids: list[int]) -> list[int]:
    """Existing, placed items that share with a new item an NI number, email, phone, UPRN
    or its source's number for the person, or two of: last name, first name (either way
    round), date of birth, postcode."""
    rows = (
        conn.execute(
            select(*(items.c[name] for name in MATCH_FIELDS)).where(items.c.id.in_(new_ids))
        )
        .mappings()
        .all()
    )
    last, first = func.lower(items.c.last_name), func.lower(items.c.first_name)
    conditions = []
    for field in ("ni_number", "email", "phone", "uprn"):
        keys = {row[field] for row in rows if row[field]}
        if keys:
            conditions.append(items.c[field].in_(keys))
    references = {(row["source"], row["person_ref"]) for row in rows if row["person_ref"]}
    if references:
        conditions.append(tuple_(items.c.source, items.c.person_ref).in_(references))
    pairs: dict[tuple[Any, Any], set[tuple[str, str]]] = {}
    for row in rows:
        surname, given = (row["last_name"] or "").lower(), (row["first_name"] or "").lower()
        born, postcode = row["date_of_birth"], row["postcode"]
        for columns, values in (
            ((last, items.c.date_of_birth), (surname, born)),
            ((last, items.c.postcode), (surname, postcode)),
            ((first, items.c.date_of_birth), (given, born)),
            ((items.c.date_of_birth, items.c.postcode), (born, postcode)),
            ((last, first), (surname, given)),
            ((first, last), (surname, given)),  # names swapped
        ):
            if all(values):
                pairs.setdefault(columns, set()).add(values)
    conditions += [tuple_(*columns).in_(values) for columns, values in pairs.items()]
    if not conditions:
        return []
    query = select(items.c.id).where(
        items.c.person_id.is_not(None), ~items.c.id.in_(new_ids), or_(*conditions)
    )
    return list(conn.execute(query).scalars())


def _place_new_people(
    conn: Connection,
    records: Any,
    new: set[int],
    person_of_item: dict[int, int],
    new_people: dict[int, int],
    placed: dict[int, Any],
    household_of_person: dict[int, int | None],
) -> None:
    """New people join the household at their home, or start one of their own."""
    fresh = set(new_people.values())
    if not fresh:
        return
    index = {person: position for position, person in enumerate(sorted(fresh))}
    new_items = [item for item in records.items if item.item_id in new
                 and person_of_item[item.item_id] in fresh]  # fmt: skip
    positions = [index[person_of_item[item.item_id]] for item in new_items]
    found = homes(new_items, positions, len(index))
    partly = partial_homes(new_items, positions, found)  # the rest live alone
    known: dict[str, int] = {}
    existing_homes = [item for item in records.items if item.item_id in placed]
    for item in existing_homes:
        household = placed[item.item_id][1]
        if household is not None:
            for key in household_keys(item.address, item.uprn):
                known.setdefault(key, household)
    next_household = next_id(conn, households)
    for person, position in index.items():
        home = found[position] or partly.get(position) or nowhere()
        keys = household_keys(home.address, home.uprn)
        household = next((known[key] for key in keys if key in known), None)
        if household is None:
            household, next_household = next_household, next_household + 1
            sector, district = postcode_areas(home.address.postcode)
            conn.execute(insert(households).values(
                id=household, address=home.shown(),
                uprn=home.uprn, postcode=home.address.postcode or None,
                postcode_sector=sector, postcode_district=district,
                person_count=0, basis=home.basis))  # fmt: skip
            for key in keys:
                known[key] = household
        conn.execute(update(households).where(households.c.id == household)
                     .values(person_count=households.c.person_count + 1))  # fmt: skip
        first, last, born = next(item.display for item in new_items
                                 if person_of_item[item.item_id] == person)  # fmt: skip
        conn.execute(insert(people).values(
            id=person, first_name=first, last_name=last, date_of_birth=born,
            household_id=household, item_count=0))  # fmt: skip
        household_of_person[person] = household


def _place_in_cases(
    conn: Connection,
    records: Any,
    new: set[int],
    person_of_item: dict[int, int],
    household_of_person: dict[int, int | None],
    actor: str,
) -> int:
    now = clock.now()
    open_items = {item.item_id for item in records.items if item.item_id in new and item.open}
    next_case = next_id(conn, cases)
    created = 0
    for item_id in sorted(new):
        person = person_of_item[item_id]
        household = household_of_person.get(person)
        owner = (cases.c.household_id == household if household is not None
                 else cases.c.person_id == person)  # fmt: skip
        case = conn.execute(
            select(cases.c.id).where(owner, cases.c.status != "merged").limit(1)
        ).scalar()
        is_open = item_id in open_items
        if case is None:
            case, next_case = next_case, next_case + 1
            created += 1
            conn.execute(insert(cases).values(
                id=case, household_id=household, person_id=None if household else person,
                status="open" if is_open else "closed", open_items=int(is_open),
                created_at=now, updated_at=now))  # fmt: skip
            events.record(conn, actor=actor, action="case.created", entity_type="case",
                          entity_id=case, after={"item": item_id})  # fmt: skip
        elif is_open:
            conn.execute(update(cases).where(cases.c.id == case).values(
                status="open", open_items=cases.c.open_items + 1, updated_at=now))  # fmt: skip
        conn.execute(update(items).where(items.c.id == item_id).values(
            person_id=person, household_id=household, case_id=case))  # fmt: skip
        conn.execute(update(people).where(people.c.id == person)
                     .values(item_count=people.c.item_count + 1))  # fmt: skip
    return created
