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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, insert, or_, select, tuple_, update

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
from kinfold.store.database import batches, id_table
from kinfold.store.schema import cases, households, items, people, resolve_runs

# an existing item is compared with a new one when they share one of these fields, or two
# of these pairs (or first and last name, either way round)
ONE_OF = ("ni_number", "email", "phone", "uprn")
TWO_OF = (("last_name", "first_name"), ("last_name", "date_of_birth"), ("last_name", "postcode"),
          ("first_name", "date_of_birth"), ("date_of_birth", "postcode"))  # fmt: skip

Owner = tuple[int | None, int | None]  # a case's (household, None), or (None, person)


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
    new = set(new_ids)
    with id_table(conn, new, "new_items") as new_table:
        candidates = _candidates(conn, new_table) - new
    with id_table(conn, [*candidates, *new_ids], "linking_items") as among:
        records = read_records(conn, among)
        placed = {row[0]: row[1:] for row in conn.execute(
            select(items.c.id, items.c.person_id, items.c.household_id, items.c.case_id)
            .where(items.c.id.in_(select(among.c.id)))) if row[0] in candidates}  # fmt: skip

    union = people_model.People(records.distinct)
    person_record: dict[int, int] = {}  # existing person -> one of their records
    for item in records.items:
        if item.item_id in placed:
            person = placed[item.item_id][0]
            union.join(person_record.setdefault(person, item.record), item.record, force=True)
    new_records = {item.record for item in records.items if item.item_id in new}
    scored = people_model.scorer(model, DuckDBLinkage(), records.table())
    # the person already known in each group of records, by the group's root: existing
    # people never merge here (that is for the next full resolve, which weighs all again)
    person_of_root = {union.find(record): person for person, record in person_record.items()}
    for link in people_model.score(scored, thresholds.match):
        if link.left not in new_records and link.right not in new_records:
            continue
        roots = union.find(link.left), union.find(link.right)
        known = {person_of_root[root] for root in roots if root in person_of_root}
        if len(known) < 2 and union.join(link.left, link.right) and known:
            person_of_root[union.find(link.left)] = known.pop()
    scored.where.close()

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

    fresh = set(new_people.values())
    known_people = set(person_of_item.values()) - fresh
    household_of_person: dict[int, int | None] = {}
    for batch in batches(known_people):
        query = select(people.c.id, people.c.household_id).where(people.c.id.in_(batch))
        household_of_person.update(conn.execute(query).all())
    _place_new_people(conn, records, new, person_of_item, new_people, placed,
                      household_of_person)  # fmt: skip
    new_cases = _place_in_cases(conn, records, new, person_of_item, household_of_person, actor)
    joined = sum(person not in fresh for person in person_of_item.values())
    result = LinkedNew(len(new_ids), joined, len(new_people), new_cases)
    events.record(conn, actor=actor, action="resolve.incremental", entity_type="item",
                  entity_id=min(new_ids), after=result.__dict__)  # fmt: skip
    return result


def _candidates(conn: Connection, new_table: Table) -> set[int]:
    """Existing, placed items that share with a new item (one whose id is in `new_table`)
    an NI number, email, phone, UPRN or its source's number for the person, or two of:
    last name, first name (either way round), date of birth, postcode. One read of the
    items, each compared with the new items' values (whatever their number)."""
    new = items.alias("new")

    def value(item: Any, name: str) -> Any:
        return func.lower(item.c[name]) if name.endswith("_name") else item.c[name]

    def shared(*names: str, theirs: tuple[str, ...] | None = None) -> Any:
        ours = tuple_(*(value(items, name) for name in names))
        return ours.in_(select(*(value(new, name) for name in theirs or names))
                        .where(new.c.id.in_(select(new_table.c.id))))  # fmt: skip

    found = or_(
        *(shared(name) for name in ONE_OF),
        shared("source", "person_ref"),
        *(shared(*pair) for pair in TWO_OF),
        shared("first_name", "last_name", theirs=("last_name", "first_name")),  # swapped
    )
    query = select(items.c.id).where(items.c.person_id.is_not(None), found)
    return set(conn.execute(query).scalars())


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
    shown = {person_of_item[item.item_id]: item.display for item in reversed(new_items)}
    next_household = next_id(conn, households)
    new_households: list[dict[str, Any]] = []
    new_rows: list[dict[str, Any]] = []
    for person, position in index.items():
        home = found[position] or partly.get(position) or nowhere()
        keys = household_keys(home.address, home.uprn)
        household = next((known[key] for key in keys if key in known), None)
        if household is None:
            household, next_household = next_household, next_household + 1
            sector, district = postcode_areas(home.address.postcode)
            new_households.append({
                "id": household, "address": home.shown(), "uprn": home.uprn,
                "postcode": home.address.postcode or None, "postcode_sector": sector,
                "postcode_district": district, "person_count": 0, "basis": home.basis})  # fmt: skip
            for key in keys:
                known[key] = household
        first, last, born = shown[person]
        new_rows.append({"id": person, "first_name": first, "last_name": last,
                         "date_of_birth": born, "household_id": household,
                         "item_count": 0})  # fmt: skip
        household_of_person[person] = household
    for table, rows in ((households, new_households), (people, new_rows)):
        if rows:
            conn.execute(insert(table), rows)
    joining = Counter(row["household_id"] for row in new_rows)
    _add(conn, households.c.person_count, joining)


def _add(conn: Connection, column: Any, amounts: Counter[int]) -> None:
    """Add to `column` of each row (by id) its amount."""
    table = column.table
    if amounts:
        conn.execute(
            update(table).where(table.c.id == bindparam("row_id"))
            .values({column.name: column + bindparam("amount")}),
            [{"row_id": row_id, "amount": amount} for row_id, amount in amounts.items()],
        )  # fmt: skip


def _place_in_cases(
    conn: Connection,
    records: Any,
    new: set[int],
    person_of_item: dict[int, int],
    household_of_person: dict[int, int | None],
    actor: str,
) -> int:
    """Each new item goes to its household's case (or its person's, when they have no
    household), or to a new case; returns how many cases are new."""
    now = clock.now()
    open_items = {item.item_id for item in records.items if item.item_id in new and item.open}
    owner_of = {item_id: _owner(person_of_item[item_id], household_of_person)
                for item_id in new}  # fmt: skip
    case_of = _cases_of(conn, set(owner_of.values()))
    next_case = next_id(conn, cases)
    new_cases: dict[int, dict[str, Any]] = {}
    opened: Counter[int] = Counter()
    created: list[dict[str, Any]] = []
    placed: list[dict[str, Any]] = []
    for item_id in sorted(new):
        owner = owner_of[item_id]
        case = case_of.get(owner)
        if case is None:
            case = case_of[owner] = next_case
            next_case += 1
            household, person = owner
            new_cases[case] = {"id": case, "household_id": household, "person_id": person,
                               "status": "closed", "open_items": 0, "created_at": now,
                               "updated_at": now}  # fmt: skip
            created.append(events.event_row(actor=actor, action="case.created",
                                            entity_type="case", entity_id=case,
                                            after={"item": item_id}))  # fmt: skip
        if item_id in open_items:
            opened[case] += 1
        placed.append({"item_id": item_id, "person_id": person_of_item[item_id],
                       "household_id": owner[0], "case_id": case})  # fmt: skip
    for case, count in opened.items():
        if case in new_cases:
            new_cases[case].update(status="open", open_items=count)
    if new_cases:
        conn.execute(insert(cases), list(new_cases.values()))
    events.record_many(conn, created)
    reopened = [{"case": case, "amount": count} for case, count in opened.items()
                if case not in new_cases]  # fmt: skip
    if reopened:
        conn.execute(
            update(cases).where(cases.c.id == bindparam("case"))
            .values(status="open", open_items=cases.c.open_items + bindparam("amount"),
                    updated_at=now),
            reopened,
        )  # fmt: skip
    conn.execute(
        update(items).where(items.c.id == bindparam("item_id"))
        .values(person_id=bindparam("person_id"), household_id=bindparam("household_id"),
                case_id=bindparam("case_id")),
        placed,
    )  # fmt: skip
    _add(conn, people.c.item_count, Counter(person_of_item[item_id] for item_id in new))
    return len(new_cases)


def _owner(person: int, household_of_person: dict[int, int | None]) -> Owner:
    """Whose case an item of `person` goes to: (their household, None), or (None, them)
    when they have no household."""
    household = household_of_person.get(person)
    return (household, None) if household is not None else (None, person)


def _cases_of(conn: Connection, owners: set[Owner]) -> dict[Owner, int]:
    """The case (not merged into another) of each (household, person) that has one."""
    found: dict[Owner, int] = {}
    for column, index in ((cases.c.household_id, 0), (cases.c.person_id, 1)):
        wanted = {owner[index] for owner in owners if owner[index] is not None}
        for batch in batches(wanted):
            query = select(column, func.min(cases.c.id)).where(
                column.in_(batch), cases.c.status != "merged").group_by(column)  # fmt: skip
            for key, case in conn.execute(query):
                found[(key, None) if index == 0 else (None, key)] = case
    return found
