"""Importing items: counts, idempotence, updates with their before and after, quarantine."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from kinfold.errors import KinfoldError, MappingError
from kinfold.ingest.building import NO_SOURCE
from kinfold.ingest.importer import ImportResult, import_items, import_sources
from kinfold.store import events
from kinfold.store import items as item_store
from kinfold.store.schema import events as events_table
from kinfold.store.schema import imports, items
from kinfold.workspace import Workspace
from tests.conftest import write

HEADER = (
    "source,source_ref,item_type,received_at,first_name,last_name,"
    "date_of_birth,postcode,email,flags,status\n"
)


def canonical(rows: list[str]) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


GOOD = [
    "benefits,B1,Housing Benefit new claim,2026-11-01,Asha,Okafor,1980-04-02,ls6 2ab,"
    "asha@example.com,eviction_notice;child_under_5,open",
    "benefits,B2,Council Tax Reduction claim,2026-11-02 09:30,John,Smith,1975-12-31,"
    "LS62AB,,,closed",
    "benefits,B3,Free School Meals application,2026-11-03,Mary,Smith,,,not-an-email,Child Under 5,",
]


def stored(workspace: Workspace) -> dict[str, dict[str, Any]]:
    with workspace.engine.connect() as conn:
        return {row.source_ref: row._asdict() for row in conn.execute(select(items))}


def test_canonical_file_imports_without_mapping(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "claims.csv", canonical(GOOD))
    result = import_items(workspace.engine, path, "benefits")
    assert result.counts() == {"read": 3, "new": 3, "updated": 0, "unchanged": 0, "quarantined": 0}
    rows = stored(workspace)
    assert rows["B1"]["postcode"] == "LS6 2AB"
    assert rows["B2"]["postcode"] == "LS6 2AB"
    assert rows["B1"]["flags"] == "eviction_notice;child_under_5"
    assert rows["B3"]["flags"] == "child_under_5"
    assert rows["B2"]["status"] == "closed"
    assert rows["B3"]["status"] == "open"
    assert rows["B1"]["date_of_birth"] == "1980-04-02"
    assert rows["B2"]["received_at"].hour == 9


def test_malformed_optional_field_is_kept_and_flagged(workspace: Workspace, tmp_path: Path) -> None:
    rows = [
        "benefits,B1,Claim,2026-11-01,Asha,Okafor,2031-01-01,NOT A POSTCODE,asha@,,open",
        "benefits,B2,Claim,2026-11-01,Ben,Ode,1990-02-30,,,,open",
    ]
    result = import_items(workspace.engine, write(tmp_path / "f.csv", canonical(rows)), "benefits")
    assert result.new == 2 and result.quarantined == 0
    found = stored(workspace)
    assert found["B1"]["postcode"] == "NOT A POSTCODE"
    assert found["B1"]["email"] == "asha@"
    assert found["B1"]["date_of_birth"] == "2031-01-01"
    flagged = {issue["field"] for issue in json.loads(found["B1"]["issues"])}
    assert flagged == {"postcode", "email", "date_of_birth"}
    (issue,) = json.loads(found["B2"]["issues"])
    assert issue["field"] == "date_of_birth"
    assert "not a real date" in issue["problem"]
    assert found["B2"]["date_of_birth"] == "1990-02-30"


def test_missing_required_field_goes_to_quarantine(workspace: Workspace, tmp_path: Path) -> None:
    rows = [
        GOOD[0],
        "benefits,,Claim,2026-11-01,No,Reference,,,,,open",
        "benefits,B9,,2026-11-01,No,Type,,,,,open",
        "benefits,B10,Claim,31/02/2026,Bad,Date,,,,,open",
        "benefits,B11,Claim,2026-11-01,Odd,Status,,,,,maybe",
    ]
    path = write(tmp_path / "claims.csv", canonical(rows))
    result = import_items(workspace.engine, path, "benefits")
    assert result.counts() == {"read": 5, "new": 1, "updated": 0, "unchanged": 0, "quarantined": 4}
    with workspace.engine.connect() as conn:
        held = {row.row_number: row for row in item_store.quarantined(conn, "benefits")}
    assert sorted(held) == [3, 4, 5, 6]
    assert held[3].column_name == "source_ref" and "source_ref is empty" in held[3].reason
    assert held[4].column_name == "item_type"
    assert held[5].column_name == "received_at" and "31/02/2026" in held[5].reason
    assert "neither open nor closed" in held[6].reason
    assert held[5].file_name == "claims.csv"
    assert json.loads(held[5].raw)["last_name"] == "Date"


def test_reimporting_the_same_file_changes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "claims.csv", canonical([*GOOD, "benefits,,Claim,2026-11-01,X,Y,,,,,"]))
    import_items(workspace.engine, path, "benefits")
    before = stored(workspace)
    with workspace.engine.connect() as conn:
        quarantined = item_store.quarantine_count(conn)
        changes = events.count(conn, "item.updated")
    again = import_items(workspace.engine, path, "benefits")
    assert again.counts() == {"read": 4, "new": 0, "updated": 0, "unchanged": 3, "quarantined": 1}
    after = stored(workspace)
    for ref in before:
        before[ref].pop("last_import_id")
        after[ref].pop("last_import_id")
    assert after == before
    with workspace.engine.connect() as conn:
        assert item_store.quarantine_count(conn) == quarantined
        assert events.count(conn, "item.updated") == changes
        assert events.count(conn, "import") == 2


def test_changed_row_updates_item_and_records_before_and_after(
    workspace: Workspace, tmp_path: Path
) -> None:
    import_items(workspace.engine, write(tmp_path / "a.csv", canonical(GOOD)), "benefits")
    changed = [GOOD[0].replace("ls6 2ab", "LS7 3CD").replace(",open", ",closed"), *GOOD[1:]]
    result = import_items(
        workspace.engine, write(tmp_path / "b.csv", canonical(changed)), "benefits"
    )
    assert result.counts() == {"read": 3, "new": 0, "updated": 1, "unchanged": 2, "quarantined": 0}
    row = stored(workspace)["B1"]
    assert row["postcode"] == "LS7 3CD" and row["status"] == "closed"
    with workspace.engine.connect() as conn:
        (change,) = [
            e for e in events.for_entity(conn, "item", row["id"]) if e["action"] == "item.updated"
        ]
    assert change["before"] == {"status": "open", "postcode": "LS6 2AB"}
    assert change["after"] == {"status": "closed", "postcode": "LS7 3CD"}
    assert change["import_id"] == result.import_id
    assert change["actor"] == "import"


def test_completion_dates_are_read_and_checked(workspace: Workspace, tmp_path: Path) -> None:
    rows = [
        "source_ref,item_type,received_at,status,closed_at,full_name",
        "C1,Claim,2026-11-02,closed,2026-11-09 14:30,A Bee",
        "C2,Claim,2026-11-02,,2026-11-10,A Bee",  # no status: a completion date closes it
        "C3,Claim,2026-11-02,open,2026-11-10,A Bee",  # open, yet a completion date
        "C4,Claim,2026-11-02,closed,2026-10-30,A Bee",  # completed before it was received
        "C5,Claim,2026-11-02,closed,next week,A Bee",
        "C6,Claim,2026-11-02,,,A Bee",
    ]
    result = import_items(workspace.engine, write(tmp_path / "c.csv", "\n".join(rows)), "benefits")
    assert result.counts()["new"] == 6
    found = stored(workspace)
    closed = {ref: (row["status"], row["closed_at"]) for ref, row in found.items()}
    assert closed["C1"][0] == "closed" and closed["C1"][1].replace(tzinfo=None) == datetime(
        2026, 11, 9, 14, 30
    )
    assert closed["C2"][0] == "closed" and closed["C2"][1].replace(tzinfo=None) == datetime(
        2026, 11, 10
    )
    assert {ref: closed[ref] for ref in ("C3", "C4", "C5", "C6")} == {
        "C3": ("open", None),
        "C4": ("closed", None),
        "C5": ("closed", None),
        "C6": ("open", None),
    }
    problems = {ref: json.loads(found[ref]["issues"])[0] for ref in ("C3", "C4", "C5")}
    assert problems["C3"]["problem"] == "a completion date on an item whose status is open"
    assert problems["C4"] == {
        "field": "closed_at",
        "value": "2026-10-30",
        "problem": "completed before the item was received",
    }
    assert problems["C5"]["value"] == "next week"


def test_an_update_without_a_completion_date_keeps_the_one_known(
    workspace: Workspace, tmp_path: Path
) -> None:
    import_items(workspace.engine, write(tmp_path / "a.csv", canonical(GOOD)), "benefits")
    completed = datetime(2026, 11, 12, 10, 0, tzinfo=UTC)
    with workspace.engine.begin() as conn:  # as work done in kinfold records it
        conn.execute(
            update(items)
            .where(items.c.source_ref == "B1")
            .values(status="closed", closed_at=completed)
        )
    changed = [GOOD[0].replace("ls6 2ab", "LS7 3CD").replace(",open", ",closed"), *GOOD[1:]]
    import_items(workspace.engine, write(tmp_path / "b.csv", canonical(changed)), "benefits")
    row = stored(workspace)["B1"]
    assert row["postcode"] == "LS7 3CD"
    assert row["closed_at"].replace(tzinfo=UTC) == completed
    reopened = [changed[0].replace(",closed", ",open"), *GOOD[1:]]
    import_items(workspace.engine, write(tmp_path / "c.csv", canonical(reopened)), "benefits")
    row = stored(workspace)["B1"]
    assert (row["status"], row["closed_at"]) == ("open", None)


def test_duplicate_reference_in_one_file_is_quarantined(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = [GOOD[0], GOOD[0].replace("Asha", "Asher")]
    result = import_items(workspace.engine, write(tmp_path / "d.csv", canonical(rows)), "benefits")
    assert (result.new, result.quarantined) == (1, 1)
    with workspace.engine.connect() as conn:
        (held,) = item_store.quarantined(conn)
    assert "appears again in this file (first at row 2)" in held.reason
    assert stored(workspace)["B1"]["first_name"] == "Asha"


def test_a_source_the_column_contradicts_is_refused_and_writes_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = [GOOD[0], GOOD[1].replace("benefits,", "housing,", 1)]
    path = write(tmp_path / "x.csv", canonical(rows))
    with pytest.raises(KinfoldError, match=r"--source is 'benefits'.*'housing' \(first at row 3\)"):
        import_items(workspace.engine, path, "benefits")
    assert stored(workspace) == {}
    with workspace.engine.connect() as conn:
        assert conn.execute(select(imports)).all() == []


@pytest.mark.parametrize("parallel", [False, True], ids=["here", "in-workers"])
def test_the_sources_of_a_file_are_found_in_its_rows_as_the_import_reads_them(
    workspace: Workspace, tmp_path: Path, parallel: bool
) -> None:
    # a first name over two lines is one row; a blank line is a row of nothing; a row of
    # the wrong width names no source (it goes to quarantine as it is)
    rows = [GOOD[0].replace("Asha", '"As\nha"'), "", "housing,H1,Short row", GOOD[2],
            GOOD[1].replace("benefits,", "housing,", 1)]  # fmt: skip
    path = write(tmp_path / "x.csv", canonical(rows))
    with pytest.raises(KinfoldError, match=r"'housing' \(first at row 6\)"):
        import_items(workspace.engine, path, "benefits", parallel=parallel)
    assert stored(workspace) == {}  # refused whole


@pytest.mark.parametrize("parallel", [False, True], ids=["here", "in-workers"])
def test_a_file_of_several_sources_is_one_import_per_source(
    workspace: Workspace, tmp_path: Path, parallel: bool
) -> None:
    rows = [
        GOOD[0],
        GOOD[1].replace("benefits,", "housing,", 1),
        GOOD[2],
        GOOD[0].replace("benefits,", "housing,", 1),  # B1 again, but housing's own B1
        GOOD[1].replace("benefits,", ",", 1).replace("B2", "B9"),  # no source
    ]
    path = write(tmp_path / "combined.csv", canonical(rows))
    results = import_sources(workspace.engine, path, parallel=parallel)
    assert [(r.source, r.counts()) for r in results] == [
        ("benefits", {"read": 3, "new": 2, "updated": 0, "unchanged": 0, "quarantined": 1}),
        ("housing", {"read": 2, "new": 2, "updated": 0, "unchanged": 0, "quarantined": 0}),
    ]
    with workspace.engine.connect() as conn:
        kept = sorted(
            tuple(row) for row in conn.execute(select(items.c.source, items.c.source_ref))
        )
        (held,) = item_store.quarantined(conn)
    assert kept == [("benefits", "B1"), ("benefits", "B3"), ("housing", "B1"), ("housing", "B2")]
    assert (held.row_number, held.reason) == (6, NO_SOURCE)
    again = import_sources(workspace.engine, path, parallel=parallel)
    assert [(r.source, r.unchanged, r.new) for r in again] == [
        ("benefits", 2, 0),
        ("housing", 2, 0),
    ]


def test_one_source_of_a_file_is_imported_by_naming_it_alone(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = [GOOD[0], GOOD[1].replace("benefits,", "housing,", 1)]
    path = write(tmp_path / "two.csv", canonical(rows))
    with pytest.raises(KinfoldError, match="holds items of 2 sources"):
        import_items(workspace.engine, path)
    assert stored(workspace) == {}


def test_import_is_recorded_with_counts(workspace: Workspace, tmp_path: Path) -> None:
    result = import_items(
        workspace.engine, write(tmp_path / "a.csv", canonical(GOOD)), "benefits", actor="cli:ann"
    )
    with workspace.engine.connect() as conn:
        record = conn.execute(select(imports).where(imports.c.id == result.import_id)).one()
        (logged,) = events.for_entity(conn, "import", result.import_id)
    assert (record.rows_read, record.rows_new, record.actor) == (3, 3, "cli:ann")
    assert record.finished_at is not None and len(record.file_sha256) == 64
    assert logged["actor"] == "cli:ann"
    assert logged["after"]["new"] == 3 and logged["after"]["file"] == "a.csv"


def test_the_event_log_is_append_only(workspace: Workspace, tmp_path: Path) -> None:
    import_items(workspace.engine, write(tmp_path / "a.csv", canonical(GOOD)), "benefits")
    for statement in (update(events_table).values(actor="someone else"), events_table.delete()):
        with pytest.raises(DBAPIError, match="append-only"), workspace.engine.begin() as conn:
            conn.execute(statement)
    with workspace.engine.connect() as conn:
        assert conn.execute(text("select count(*) from events")).scalar_one() == 1


def test_a_failed_import_writes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    # an unclosed quote mark swallows the rest of the file into one enormous cell
    path = write(
        tmp_path / "broken.csv", canonical(GOOD) + 'benefits,B4,"Claim\n' + "x" * 70_000_000
    )
    with pytest.raises(KinfoldError, match="row 5 cannot be read"):
        import_items(workspace.engine, path, "benefits")
    assert stored(workspace) == {}
    with workspace.engine.connect() as conn:
        assert conn.execute(select(imports)).all() == []


def test_source_is_required(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    no_column = canonical(GOOD).replace("source,", "", 1).replace("\nbenefits,", "\n")
    with pytest.raises(KinfoldError, match="Which source system"):
        import_items(sqlite_workspace.engine, write(tmp_path / "a.csv", no_column))


def test_layout_without_names_is_refused_before_writing(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.csv", "source_ref,item_type,received_at\nB1,Claim,2026-11-01\n")
    with pytest.raises(MappingError, match="no column gives a name"):
        import_items(sqlite_workspace.engine, path, "benefits")
    assert stored(sqlite_workspace) == {}


def test_unknown_columns_are_kept_with_the_item(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "a.csv",
        "source_ref,item_type,received_at,last_name,Ward,Caseworker\nB1,Claim,2026-11-01,Okafor,Headingley,\n",
    )
    import_items(sqlite_workspace.engine, path, "benefits")
    assert json.loads(stored(sqlite_workspace)["B1"]["extra"]) == {"Ward": "Headingley"}


def test_large_file_is_imported_in_batches(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_ref", "item_type", "received_at", "last_name"])
        writer.writerows([f"R{n}", "Claim", "2026-11-01", f"Name{n}"] for n in range(12_345))
    seen: list[int] = []
    result = import_items(sqlite_workspace.engine, path, "benefits", progress=seen.append)
    assert result.new == 12_345 and sum(seen) == 12_345 and len(seen) == 3
    with sqlite_workspace.engine.connect() as conn:
        assert conn.execute(text("select count(*) from items")).scalar_one() == 12_345


# -- properties --------------------------------------------------------------------------

refs = st.sampled_from([f"R{n}" for n in range(8)] + [""])
names = st.sampled_from(["Smith", "Okafor", "Nowak", "", "O'Brien", "Ng, Wei"])
dates = st.sampled_from(["2026-11-01", "2026-10-31 09:00", "31/02/2026", "", "2026-02-29"])
postcodes = st.sampled_from(["LS6 2AB", "ls62ab", "nowhere", ""])
rows = st.lists(st.tuples(refs, names, dates, postcodes), max_size=25)


def write_rows(path: Path, content: list[tuple[str, str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_ref", "item_type", "received_at", "last_name", "postcode"])
        for ref, name, received, postcode in content:
            writer.writerow([ref, "Claim", received, name, postcode])
    return path


def snapshot(workspace: Workspace) -> dict[str, tuple[Any, ...]]:
    with workspace.engine.connect() as conn:
        found = conn.execute(select(items.c.source_ref, items.c.row_hash, items.c.last_name))
        return {ref: (digest, name) for ref, digest, name in found}


def balanced(result: ImportResult) -> bool:
    return result.read == result.new + result.updated + result.unchanged + result.quarantined


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=rows, second=rows)
def test_every_row_is_counted_once_and_twice_is_once(
    workspace: Workspace,
    tmp_path_factory: pytest.TempPathFactory,
    first: list[Any],
    second: list[Any],
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    with workspace.engine.begin() as conn:  # each example starts from an empty store
        for table in ("quarantine", "items"):
            conn.execute(text(f"delete from {table}"))
    one = import_items(workspace.engine, write_rows(folder / "one.csv", first), "s")
    assert balanced(one) and one.read == len(first)  # item_type is never empty: no blank rows
    after_once = snapshot(workspace)
    assert len(after_once) == one.new
    again = import_items(workspace.engine, write_rows(folder / "one.csv", first), "s")
    assert balanced(again)
    assert (again.new, again.updated) == (0, 0)
    assert again.unchanged == one.new and again.quarantined == one.quarantined
    assert snapshot(workspace) == after_once
    other = import_items(workspace.engine, write_rows(folder / "two.csv", second), "s")
    assert balanced(other)
    assert len(snapshot(workspace)) == len(after_once) + other.new


def test_items_dated_outside_the_years_of_work_are_quarantined(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    """0001-01-01 or 2099 would become every measure's as-of date or start."""
    given = write(tmp_path / "dates.csv", (
        "source_ref,item_type,received_at,last_name,due_at\n"
        "P1,Claim,0001-01-01,Lee,\nP2,Claim,2099-01-01,Ng,\n"
        "P3,Claim,2026-11-01,Day,2099-05-01\nP4,Claim,2026-11-01,Fox,\n"
    ))  # fmt: skip
    result = import_items(sqlite_workspace.engine, given, "dates")
    assert (result.read, result.new, result.quarantined) == (4, 2, 2)
    with sqlite_workspace.engine.connect() as conn:
        reasons = [row.reason for row in item_store.quarantined(conn, "dates")]
        due = conn.execute(select(items.c.due_at, items.c.issues)
                           .where(items.c.source_ref == "P3")).one()  # fmt: skip
    assert all("is outside the dates kinfold takes for work" in reason for reason in reasons)
    assert due.due_at is None and "2099-05-01 is outside the dates" in due.issues
