"""Resolving a workspace: items -> people -> households -> cases, written in one go.

The stages are pure (records in, groups out); this module reads the store, runs them in
order, and writes people, households, cases, link evidence and the events of any case
merged or split in one transaction, so a failed run leaves the workspace as it was.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update

from kinfold import clock
from kinfold.fold.cases import carry_ids, case_changes
from kinfold.heap import fewer_collections
from kinfold.resolve import people as people_model
from kinfold.resolve import review
from kinfold.resolve.households import Household, households
from kinfold.resolve.linkage import Linkage
from kinfold.resolve.records import Records, read_records
from kinfold.settings import Settings, Thresholds
from kinfold.store import events
from kinfold.store.database import driver_rows, insert_rows, parameter_mark
from kinfold.store.schema import (
    cases,
    link_decisions,
    links,
    resolve_runs,
)
from kinfold.store.schema import households as household_table
from kinfold.store.schema import people as people_table

PEOPLE_COLUMNS = ("id", "first_name", "last_name", "date_of_birth", "household_id", "item_count")
HOUSEHOLD_COLUMNS = ("id", "address", "uprn", "postcode", "postcode_sector", "postcode_district",
                     "school", "gp_practice", "person_count", "basis")  # fmt: skip
LINK_COLUMNS = ("resolve_run_id", "item_id", "other_item_id", "match_probability",
                "match_weight", "evidence", "joined", "review_value")  # fmt: skip
Stage = Callable[[str], None]


@dataclass
class ResolveResult:
    run_id: int
    items: int
    people: int
    households: int
    cases: int
    links_to_review: int
    merged_cases: int = 0
    split_cases: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        return (
            f"{self.items:,} items -> {self.people:,} people -> "
            f"{self.households:,} households ({self.cases:,} cases)"
        )


@dataclass
class Folded:
    """The outcome of the pure stages, before it is written."""

    records: Records
    person_of: list[int]  # per item (in records.items order): person index
    household_of: list[int]  # per person
    found: list[Household]
    links: list[people_model.Link]
    joined: set[tuple[int, int]]
    model: dict[str, Any]


def resolve_workspace(
    engine: Engine,
    settings: Settings,
    actor: str,
    stage: Stage | None = None,
    then: Callable[[Connection], None] | None = None,
    where: Linkage | None = None,
) -> ResolveResult:
    """Link every item to people, households and cases again, from scratch, with Splink
    running `where` (default: DuckDB, here). `then` runs in the transaction that writes
    the result, after it."""
    thresholds = settings.thresholds
    timer = _Timer(stage)
    started = clock.now()
    with fewer_collections(), timer("Reading items"), engine.connect() as conn:
        records = read_records(conn)
        same, different = _decisions(conn, records)
    with fewer_collections():
        folded = fold(records, thresholds, timer, same, different, where)
        with timer("Writing"), engine.begin() as conn:
            result = write(conn, folded, thresholds, actor, started)
            if then is not None:
                then(conn)
    result.seconds = timer.seconds
    return result


def fold(
    records: Records,
    thresholds: Thresholds,
    timer: _Timer,
    same: Sequence[tuple[int, int]] = (),
    different: Sequence[tuple[int, int]] = (),
    where: Linkage | None = None,
) -> Folded:
    with timer("Training the model"):
        model = people_model.train(records.table(), where, labels=same)
    with timer("Scoring pairs"):
        scored = people_model.score(model, thresholds.review_from)
    with timer("Finding people"):
        joined: set[tuple[int, int]] = set()
        roots = people_model.cluster(
            records.distinct,
            scored,
            thresholds.match,
            model.rules,
            same=same,
            different=different,
            on_join=lambda link: joined.add((link.left, link.right)),
        )
        person_index: dict[int, int] = {}
        person_of = [person_index.setdefault(roots[item.record], len(person_index))
                     for item in records.items]  # fmt: skip
    with timer("Finding households"):
        found, household_of = households(records.items, person_of, len(person_index))
    model.where.close()
    return Folded(records, person_of, household_of, found, scored, joined, model.model)


def write(
    conn: Connection,
    folded: Folded,
    thresholds: Thresholds,
    actor: str,
    started: datetime,
) -> ResolveResult:
    records, now = folded.records, clock.now()
    item_ids = [item.item_id for item in records.items]
    old = {row[0]: row[1:] for row in driver_rows(
        conn, "SELECT id, person_id, household_id, case_id FROM items")}  # fmt: skip

    people_count = len(folded.household_of)
    person_items: list[list[int]] = [[] for _ in range(people_count)]
    for item_id, person in zip(item_ids, folded.person_of, strict=True):
        person_items[person].append(item_id)
    person_ids = carry_ids(
        person_items, {i: v[0] for i, v in old.items()}, next_id(conn, people_table)
    )

    household_items: list[list[int]] = [[] for _ in folded.found]
    for person, household in enumerate(folded.household_of):
        household_items[household] += person_items[person]
    household_ids = carry_ids(
        household_items, {i: v[1] for i, v in old.items()}, next_id(conn, household_table)
    )

    # one case per household: everyone has one (a person alone, a household of one)
    case_items = household_items
    case_owner: list[tuple[int | None, int | None]] = [(hid, None) for hid in household_ids]
    old_case_of = {i: v[2] for i, v in old.items()}
    case_ids = carry_ids(case_items, old_case_of, next_id(conn, cases))
    changes = case_changes(case_items, case_ids, old_case_of)

    run_id = _start_run(conn, actor, started, thresholds, folded.model)
    household_of_item: dict[int, int | None] = {}
    case_of_item: dict[int, int] = {}
    for case_id, members, (household_id, _) in zip(case_ids, case_items, case_owner, strict=True):
        for item_id in members:
            case_of_item[item_id] = case_id
            household_of_item[item_id] = household_id
    _place_items(conn, [
        (person_ids[person], household_of_item[item_id], case_of_item[item_id], item_id)
        for item_id, person in zip(item_ids, folded.person_of, strict=True)
        if old.get(item_id) != (person_ids[person], household_of_item[item_id],
                                case_of_item[item_id])
    ])  # fmt: skip
    _write_people(conn, folded, person_ids, household_ids, person_items)
    _write_households(conn, folded, household_ids)
    open_items = {item.item_id for item in records.items if item.open}
    _write_cases(conn, case_ids, case_owner, case_items, open_items, changes.gone, now)
    to_review = _write_links(conn, run_id, folded, thresholds)
    event_rows = [
        events.event_row(actor=actor, action="case.merged", entity_type="case", entity_id=case,
                         before={"cases": merged}, after={"case": case})
        for case, merged in changes.merged.items()
    ] + [
        events.event_row(actor=actor, action="case.split", entity_type="case", entity_id=case,
                         before={"case": case}, after={"cases": holders})
        for case, holders in changes.split.items()
    ]  # fmt: skip
    result = ResolveResult(
        run_id=run_id,
        items=len(item_ids),
        people=people_count,
        households=len(folded.found),
        cases=len(case_ids),
        links_to_review=to_review,
        merged_cases=len(changes.merged),
        split_cases=len(changes.split),
    )
    counts = {name: value for name, value in asdict(result).items()
              if name not in ("run_id", "seconds")}  # fmt: skip
    event_rows.append(events.event_row(actor=actor, action="resolve", entity_type="resolve_run",
                                       entity_id=run_id, after=counts))  # fmt: skip
    events.record_many(conn, event_rows)
    conn.execute(
        update(resolve_runs).where(resolve_runs.c.id == run_id)
        .values(finished_at=clock.now(), counts=json.dumps(counts))
    )  # fmt: skip
    return result


def _place_items(conn: Connection, rows: list[tuple[int, int | None, int, int]]) -> None:
    """Set each item's person, household and case; plain driver rows, as there may be a
    million of them."""
    marker = parameter_mark(conn)
    if rows:
        conn.exec_driver_sql(
            f"UPDATE items SET person_id = {marker}, household_id = {marker}, "
            f"case_id = {marker} WHERE id = {marker}",
            rows,
        )


def next_id(conn: Connection, table: Any) -> int:
    """The id after the highest in `table`."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _start_run(
    conn: Connection, actor: str, started: datetime, thresholds: Thresholds, model: dict[str, Any]
) -> int:
    return int(
        conn.execute(
            insert(resolve_runs).values(
                actor=actor, started_at=started, kind="full", threshold=thresholds.match,
                model=json.dumps(model),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )  # fmt: skip


def _write_people(
    conn: Connection,
    folded: Folded,
    person_ids: list[int],
    household_ids: list[int],
    person_items: list[list[int]],
) -> None:
    records = folded.records
    names: list[Counter[tuple[str | None, str | None, str | None]]] = [
        Counter() for _ in person_ids
    ]
    for item, person in zip(records.items, folded.person_of, strict=True):
        names[person][item.display] += 1
    conn.execute(delete(people_table))
    rows = []
    for person, person_id in enumerate(person_ids):
        first, last, born = names[person].most_common(1)[0][0]
        household = folded.household_of[person]
        rows.append((person_id, first, last, born, household_ids[household],
                     len(person_items[person])))  # fmt: skip
    insert_rows(conn, people_table, PEOPLE_COLUMNS, rows)


def _write_households(conn: Connection, folded: Folded, household_ids: list[int]) -> None:
    conn.execute(delete(household_table))
    rows = [
        (household_id, household.home.shown(), household.home.uprn,
         household.home.address.postcode or None, household.postcode_sector,
         household.postcode_district, household.school, household.gp_practice,
         len(household.people), household.home.basis)
        for household, household_id in zip(folded.found, household_ids, strict=True)
    ]  # fmt: skip
    insert_rows(conn, household_table, HOUSEHOLD_COLUMNS, rows)


def _write_cases(
    conn: Connection,
    case_ids: list[int],
    owners: list[tuple[int | None, int | None]],
    members: list[list[int]],
    open_items: set[int],
    gone: dict[int, int],
    now: datetime,
) -> None:
    existing = set(conn.execute(select(cases.c.id)).scalars())
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for case_id, (household_id, person_id), items in zip(case_ids, owners, members, strict=True):
        still_open = sum(item in open_items for item in items)
        row = {"case_id": case_id, "household_id": household_id, "person_id": person_id,
               "status": "open" if still_open else "closed", "merged_into": None,
               "open_items": still_open, "updated_at": now}  # fmt: skip
        (changed if case_id in existing else new_rows).append(row)
    for old, into in gone.items():
        if old in existing:
            changed.append({"case_id": old, "household_id": None, "person_id": None,
                            "status": "merged", "merged_into": into, "open_items": 0,
                            "updated_at": now})  # fmt: skip
    if new_rows:
        conn.execute(
            insert(cases),
            [{**{k: v for k, v in row.items() if k != "case_id"}, "id": row["case_id"],
              "created_at": now} for row in new_rows],
        )  # fmt: skip
    if changed:
        conn.execute(
            update(cases).where(cases.c.id == bindparam("case_id")).values(
                household_id=bindparam("household_id"), person_id=bindparam("person_id"),
                status=bindparam("status"), merged_into=bindparam("merged_into"),
                open_items=bindparam("open_items"), updated_at=bindparam("updated_at")),
            changed,
        )  # fmt: skip


def _write_links(conn: Connection, run_id: int, folded: Folded, thresholds: Thresholds) -> int:
    """Store the evidence of every link that joined two people's records, and of every
    uncertain link; the review queue is the uncertain links whose answer would change
    cases most (`review.queue`). Returns how many links wait in the queue."""
    records = folded.records
    first_item: dict[int, int] = {}
    for item in records.items:
        first_item.setdefault(item.record, item.item_id)
    near = [link for link in folded.links
            if thresholds.review_from <= link.probability < thresholds.review_to]  # fmt: skip
    values = review.queue(near, folded.joined, records, folded.person_of, folded.household_of)
    rows = []
    levels = people_model.level_weights(folded.model)
    for link in folded.links:
        joined = (link.left, link.right) in folded.joined
        value = values.get((link.left, link.right))
        if not (joined or value):
            continue
        evidence = json.dumps(people_model.explain(link, levels), separators=(",", ":"))
        rows.append((run_id, first_item[link.left], first_item[link.right], link.probability,
                     link.weight, evidence, joined, value))  # fmt: skip
    conn.execute(delete(links))
    insert_rows(conn, links, LINK_COLUMNS, rows)
    return len(values)


def _decisions(
    conn: Connection, records: Records
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Reviewers' decisions, as pairs of records kept together or kept apart."""
    record_of = {item.item_id: item.record for item in records.items}
    same: list[tuple[int, int]] = []
    different: list[tuple[int, int]] = []
    query = select(link_decisions.c.item_id, link_decisions.c.other_item_id,
                   link_decisions.c.decision).order_by(link_decisions.c.id)  # fmt: skip
    for item_id, other_id, decision in conn.execute(query):
        if item_id in record_of and other_id in record_of:
            pair = (record_of[item_id], record_of[other_id])
            (same if decision == "same" else different).append(pair)
    return same, different


class _Timer:
    """Tells the caller each stage as it starts, and keeps how long each took."""

    def __init__(self, stage: Stage | None) -> None:
        self.stage = stage
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.stage is not None:
            self.stage(name)
        started = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - started, 2)
