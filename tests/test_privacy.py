"""Personal data: a subject access request gives all of a person's data and no one else's;
erasure takes the person out while every measure stays as it was; retention deletes closed
cases past their period. On SQLite and PostgreSQL (the event log's rule differs)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from pyarrow import parquet
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError

from kinfold.errors import KinfoldError, WorkspaceError
from kinfold.ingest.importer import import_items
from kinfold.intake import resolve_and_refresh
from kinfold.measure.frame import from_store
from kinfold.measure.kpis import MEASURES, compute, drill
from kinfold.privacy import (
    PERSONAL_FIELDS,
    delete_past_retention,
    erase_person,
    past_retention,
    subject_access,
)
from kinfold.settings import Settings
from kinfold.store.schema import cases, events, households, items, metadata, people
from kinfold.workspace import Workspace
from tests.test_cli import run


def _figures(workspace: Workspace) -> list[tuple[Any, ...]]:
    """Every measure by month and all time, per team (to 9 places: DuckDB adds in parallel,
    so the last digit of a sum may differ between runs)."""
    frame = from_store(workspace.engine, workspace.settings)
    return [
        (f.measure, f.period, f.group, None if f.value is None else round(f.value, 9), f.records)
        for grain in ("month", "all")
        for f in compute(frame, grain, "team").figures
    ]


def _household_person(conn: Connection) -> dict[str, Any]:
    """A person with a national insurance number and housemates: their id, household,
    NI number and how many items they have."""
    found = dict(
        conn.execute(
            text(
                "SELECT p.id, p.household_id, min(i.ni_number) AS ni_number FROM people p "
                "JOIN items i ON i.person_id = p.id WHERE i.ni_number IS NOT NULL "
                "AND p.household_id IN (SELECT household_id FROM people "
                "GROUP BY household_id HAVING count(*) > 1) "
                "GROUP BY p.id, p.household_id ORDER BY count(*) DESC, p.id LIMIT 1"
            )
        )
        .mappings()
        .one()
    )
    found["n"] = conn.execute(
        select(func.count()).select_from(items).where(items.c.person_id == found["id"])
    ).scalar_one()
    return found


def _text_holding(conn: Connection, value: str) -> list[str]:
    """Every table.column whose text holds `value` anywhere in the store."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.type.python_type is str:
                hits = conn.execute(
                    select(func.count())
                    .select_from(table)
                    .where(column.contains(value, autoescape=True))
                ).scalar_one()
                if hits:
                    found.append(f"{table.name}.{column.name}")
    return found


def test_a_subject_access_request_gives_their_data_and_no_one_elses(
    backend: str, resolved_demo: Workspace, tmp_path: Path
) -> None:
    with resolved_demo.engine.begin() as conn:
        person = _household_person(conn)
        others = set(
            conn.scalars(
                select(people.c.first_name).where(
                    people.c.household_id == person["household_id"], people.c.id != person["id"]
                )
            )
        )
        found = subject_access(conn, person["id"], "dpo")
    assert len(found["items"]) == person["n"] and found["household"]["address"]
    assert {item["ni_number"] for item in found["items"]} - {None} == {person["ni_number"]}
    names = {item["first_name"] for item in found["items"]}
    dump = json.dumps(found, default=str)
    assert others - names and not [name for name in others - names if name in dump]
    out = tmp_path / "sar.json"
    code, output = run(
        "person", "export", str(person["id"]), "--out", str(out), "-w", str(resolved_demo.path)
    )
    assert code == 0 and "send it securely" in output, output
    assert json.loads(out.read_text(encoding="utf-8"))["person_id"] == person["id"]
    with resolved_demo.engine.connect() as conn:
        asked = conn.execute(
            select(func.count()).select_from(events).where(events.c.action == "person.exported")
        ).scalar_one()
    assert asked == 2  # each request is in the audit log
    code, output = run(
        "person", "export", "999999", "--out", str(out), "-w", str(resolved_demo.path)
    )
    assert code == 1 and "There is no person 999999" in output


def test_erasure_takes_the_person_out_and_every_measure_stays(
    backend: str, resolved_demo: Workspace, demo_files: Any, tmp_path: Path
) -> None:
    workspace = resolved_demo
    # an item of theirs changed by a later import, so the event log holds their data
    with workspace.engine.connect() as conn:
        person = _household_person(conn)
        refs = set(
            conn.scalars(
                select(items.c.source_ref).where(
                    items.c.person_id == person["id"], items.c.source == "benefits"
                )
            )
        )
    changed = _benefits_with(
        demo_files.out / "benefits.csv",
        tmp_path / "b.csv",
        refs,
        {"notes": "Rang on Tuesday about the boiler"},
    )
    import_items(workspace.engine, changed, "benefits", actor="test")
    before = _figures(workspace)
    with workspace.engine.connect() as conn:
        assert "events.after" in _text_holding(conn, "Rang on Tuesday about the boiler")
        case_of = set(
            conn.scalars(select(items.c.case_id).where(items.c.person_id == person["id"]))
        )

    with workspace.engine.begin() as conn:
        with pytest.raises(KinfoldError, match="Say why"):
            erase_person(conn, person["id"], "dpo", " ")
        erased = erase_person(conn, person["id"], "dpo", "erasure request 2026/114")
    assert erased.items == person["n"] and erased.events >= 1
    assert not erased.household  # housemates still live there
    assert _figures(workspace) == before  # every measure, every period, every team
    with workspace.engine.connect() as conn:
        for value in (person["ni_number"], "Rang on Tuesday about the boiler"):
            assert _text_holding(conn, value) == [], value
        assert conn.execute(select(people).where(people.c.id == person["id"])).first() is None
        kept = conn.execute(
            select(items.c.case_id, items.c.first_name, items.c.erased_at).where(
                items.c.person_id == person["id"]
            )
        ).all()
    assert {row.case_id for row in kept} == case_of and all(row.erased_at for row in kept)

    # a later import of the same rows updates the work, never the personal data
    closing = _benefits_with(
        demo_files.out / "benefits.csv",
        tmp_path / "c.csv",
        refs,
        {"status": "closed", "closed_at": "2026-11-21 10:00"},
    )
    import_items(workspace.engine, closing, "benefits", actor="test")
    resolve_and_refresh(workspace.engine, workspace.settings, "test")
    with workspace.engine.connect() as conn:
        assert _text_holding(conn, person["ni_number"]) == []
        back = conn.execute(
            select(items.c.status, items.c.person_id, items.c.household_id).where(
                items.c.source_ref.in_(refs)
            )
        ).all()
    assert {row.status for row in back} == {"closed"}
    assert len({row.person_id for row in back}) == 1  # kept together by the decision
    (alone,) = {row.household_id for row in back}  # no longer in their household:
    with workspace.engine.connect() as conn:  # a household of one, at no address
        home = conn.execute(select(households).where(households.c.id == alone)).one()
    assert (home.person_count, home.basis) == (1, "no address")


def test_erasing_the_last_person_of_a_household_erases_its_address(
    backend: str, resolved_demo: Workspace
) -> None:
    with resolved_demo.engine.begin() as conn:
        person_id, household_id = conn.execute(
            text(
                "SELECT min(id), household_id FROM people WHERE household_id IS NOT NULL "
                "GROUP BY household_id HAVING count(*) = 1 ORDER BY household_id LIMIT 1"
            )
        ).one()
        address = conn.execute(
            select(households.c.address).where(households.c.id == household_id)
        ).scalar_one()
        assert erase_person(conn, person_id, "dpo", "request").household
        assert _text_holding(conn, address) == []
        with pytest.raises(KinfoldError, match="There is no person"):
            erase_person(conn, 999_999, "dpo", "request")


def test_retention_deletes_closed_cases_past_their_period(
    backend: str, resolved_demo: Workspace
) -> None:
    workspace = resolved_demo
    with workspace.engine.begin() as conn:
        due = past_retention(conn, 30)
        assert due, "the demo has cases closed over 30 days ago"
        item_ids = list(conn.scalars(select(items.c.id).where(items.c.case_id.in_(due))))
        done = delete_past_retention(conn, 30, "dpo")
    assert done.cases == len(due) and done.items == len(item_ids) > 0
    with workspace.engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(cases).where(cases.c.id.in_(due))
            ).scalar_one()
            == 0
        )
        assert (
            conn.execute(
                select(func.count()).select_from(items).where(items.c.id.in_(item_ids))
            ).scalar_one()
            == 0
        )
        left = conn.execute(
            select(func.count())
            .select_from(events)
            .where(
                events.c.entity_type == "item",
                events.c.entity_id.in_(map(str, item_ids)),
                events.c.erased_at.is_(None),
            )
        ).scalar_one()
        assert left == 0  # the events stay, without personal data
        assert past_retention(conn, 30) == []
    assert _figures(workspace)  # the measures still compute
    for settings, message in (
        ({"retention": {"closed cases kept for days": "six years"}}, "a whole number of days"),
        ({"retention": {"kept": 10}}, "takes `closed cases kept"),
    ):
        with pytest.raises(WorkspaceError, match=message):
            Settings.parse(settings)
    assert Settings.parse({}).retention_days is None


def test_the_event_log_allows_only_erasing_personal_data_once(
    backend: str, demo_workspace: Workspace
) -> None:
    with demo_workspace.engine.begin() as conn:
        event_id = conn.execute(select(func.min(events.c.id))).scalar_one()
        conn.execute(
            text("UPDATE events SET after = '{}', erased_at = :now WHERE id = :id"),
            {"now": "2026-11-23 10:00:00", "id": event_id},
        )
    for change in (
        "UPDATE events SET actor = 'someone else' WHERE id = :id",
        "UPDATE events SET after = '{}', erased_at = NULL WHERE id = :id",
        "DELETE FROM events WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), demo_workspace.engine.begin() as conn:
            conn.execute(text(change), {"id": event_id})


def _benefits_with(source: Path, out: Path, refs: set[str], changes: dict[str, str]) -> Path:
    """The demo's benefits file with `changes` made to the rows of `refs`."""
    with source.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, **changes} if row["source_ref"] in refs else row for row in rows)
    return out


def test_analytics_name_no_one(demo_workspace: Workspace, tmp_path: Path) -> None:
    """The records behind every measure, and the frame analysts save, hold no personal
    field and no name of anyone."""
    frame = from_store(demo_workspace.engine, demo_workspace.settings)
    with demo_workspace.engine.connect() as conn:
        names = set(conn.scalars(select(items.c.last_name).where(items.c.last_name.is_not(None))))
    assert len(names) > 50
    for measure in MEASURES:
        columns, rows = drill(frame, measure.name, "all", limit=100_000)
        assert not set(columns) & set(PERSONAL_FIELDS), measure.name
        assert not {str(value) for row in rows for value in row} & names, measure.name
    frame.save(tmp_path / "frame")
    saved = sorted((tmp_path / "frame").glob("*.parquet"))
    assert saved
    for path in saved:
        table = parquet.read_table(path)
        assert not set(table.column_names) & set(PERSONAL_FIELDS), path.name
        values = {str(value) for column in table.columns for value in column.to_pylist()}
        assert not values & names, path.name
