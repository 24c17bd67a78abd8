"""Workers, skills, roster, work events and QA checks: import, change, quarantine."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from kinfold.errors import FileFormatError
from kinfold.ingest.importer import ImportResult, import_items
from kinfold.ingest.workforce import import_workforce
from kinfold.store import events
from kinfold.store import items as item_store
from kinfold.store.schema import qa_checks, roster, shrinkage, skills, teams, workers
from kinfold.workspace import Workspace
from tests.conftest import write

WORKERS = (
    "worker_ref,name,team,hours_per_week,cost_per_hour\n"
    "W1,Ann Lee,Benefits team,37,28.5\n"
    "W2,Bo Ng,Housing team,22.5,26\n"
)


def import_twice(workspace: Workspace, path: Path, kind: str) -> tuple[ImportResult, ImportResult]:
    """Import a file, then the same file again: the second time should change nothing."""
    return import_workforce(workspace.engine, path, kind), import_workforce(
        workspace.engine, path, kind
    )


def load_workers(workspace: Workspace, tmp_path: Path) -> None:
    import_workforce(workspace.engine, write(tmp_path / "workers.csv", WORKERS), "workers")


def test_workers_and_teams(workspace: Workspace, tmp_path: Path) -> None:
    load_workers(workspace, tmp_path)
    changed = WORKERS.replace("37,28.5", "30,28.5")
    result = import_workforce(workspace.engine, write(tmp_path / "w2.csv", changed), "workers")
    assert (result.updated, result.unchanged) == (1, 1)
    with workspace.engine.connect() as conn:
        assert sorted(name for (name,) in conn.execute(select(teams.c.name))) == [
            "Benefits team",
            "Housing team",
        ]
        hours = dict(conn.execute(select(workers.c.worker_ref, workers.c.hours_per_week)).all())
        (change,) = events.for_entity(conn, "worker", "W1")
    assert hours == {"W1": 30.0, "W2": 22.5}
    assert change["before"] == {"hours_per_week": 37.0} and change["after"] == {
        "hours_per_week": 30.0
    }


def test_skills_levels_are_checked(workspace: Workspace, tmp_path: Path) -> None:
    load_workers(workspace, tmp_path)
    path = write(
        tmp_path / "skills.csv", "worker_ref,item_type,level\nW1,Claim,2\nW1,Appeal,5\nW9,Claim,1\n"
    )
    result = import_workforce(workspace.engine, path, "skills")
    assert (result.new, result.quarantined) == (1, 2)
    with workspace.engine.connect() as conn:
        assert conn.execute(select(skills.c.item_type, skills.c.level)).all() == [("Claim", 2)]
        reasons = sorted(row.reason for row in item_store.quarantined(conn, "skills"))
    assert reasons[0].startswith("level '5' should be 0 (none)")
    assert reasons[1] == "worker 'W9' is not in the workspace; import the workers file first"


def test_roster_with_shrinkage_by_category(workspace: Workspace, tmp_path: Path) -> None:
    load_workers(workspace, tmp_path)
    text = (
        "worker_ref,date,paid_hours,sickness_hours,training_hours\n"
        "W1,2026-11-02,7.4,0,1.5\nW1,2026-11-03,7.4,7.4,0\nW2,2026-11-02,4.5,6,0\n"
    )
    result, again = import_twice(workspace, write(tmp_path / "roster.csv", text), "roster")
    assert (result.new, result.quarantined) == (2, 1)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    with workspace.engine.connect() as conn:
        assert len(conn.execute(select(roster)).all()) == 2
        away = sorted(
            (row.day.isoformat(), row.category, row.hours)
            for row in conn.execute(select(shrinkage))
        )
        (held,) = item_store.quarantined(conn, "roster")
    assert away == [("2026-11-02", "training", 1.5), ("2026-11-03", "sickness", 7.4)]
    assert "more than the 4.5 paid hours" in held.reason


def test_work_events_and_qa_link_to_items(workspace: Workspace, tmp_path: Path) -> None:
    load_workers(workspace, tmp_path)
    import_items(
        workspace.engine,
        write(
            tmp_path / "items.csv",
            "source_ref,item_type,received_at,last_name\nB1,Claim,2026-11-01,Lee\n",
        ),
        "benefits",
    )
    text = (
        "source,source_ref,activity,worker_ref,started_at,completed_at,outcome\n"
        "benefits,B1,Assess,W1,2026-11-02 09:00,2026-11-02 09:30,\n"
        "benefits,B1,Decision,W1,2026-11-03 10:00,2026-11-03 09:00,awarded\n"
        "benefits,B7,Assess,W1,2026-11-02 09:00,2026-11-02 09:30,\n"
    )
    result, again = import_twice(workspace, write(tmp_path / "events.csv", text), "events")
    assert (result.new, result.quarantined) == (1, 2)
    assert (again.new, again.unchanged, again.quarantined) == (0, 1, 2)
    qa = (
        "source,source_ref,worker_ref,checked_by,checked_at,passed,score,reason\n"
        "benefits,B1,W1,W2,2026-11-04 12:00,fail,55,Wrong rate\n"
    )
    assert import_workforce(workspace.engine, write(tmp_path / "qa.csv", qa), "qa").new == 1
    with workspace.engine.connect() as conn:
        item_id = conn.execute(select(qa_checks.c.item_id)).scalar_one()
        work = [e for e in events.for_entity(conn, "item", item_id) if e["started_at"] is not None]
        reasons = sorted(row.reason for row in item_store.quarantined(conn, "events"))
        passed = conn.execute(select(qa_checks.c.passed)).scalar_one()
    assert [(e["action"], e["actor"]) for e in work] == [("Assess", "W1")]
    assert reasons == [
        "completed_at is before started_at",
        "there is no item B7 from source 'benefits' in the workspace",
    ]
    assert passed is False


def test_file_missing_its_columns_is_refused(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="has no column team, cost_per_hour"):
        import_workforce(
            sqlite_workspace.engine,
            write(tmp_path / "w.csv", "worker_ref,name,hours_per_week\nW1,A,3\n"),
            "workers",
        )
    with pytest.raises(FileFormatError, match="'payroll' is not something kinfold imports"):
        import_workforce(sqlite_workspace.engine, write(tmp_path / "w.csv", WORKERS), "payroll")


def test_a_second_row_for_the_same_record_is_quarantined(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    text = WORKERS + "W1,Ann Lee,Housing team,37,28.5\n"
    result = import_workforce(sqlite_workspace.engine, write(tmp_path / "w.csv", text), "workers")
    assert (result.new, result.quarantined) == (2, 1)
    with sqlite_workspace.engine.connect() as conn:
        (held,) = item_store.quarantined(conn, "workers")
        team = conn.execute(
            select(teams.c.name).join(workers).where(workers.c.worker_ref == "W1")
        ).scalar_one()
    assert (held.row_number, held.reason) == (4, "worker 'W1' appears again in this file")
    assert team == "Benefits team"


def test_a_changed_roster_day_is_logged(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    load_workers(sqlite_workspace, tmp_path)
    header = "worker_ref,date,paid_hours,sickness_hours\n"
    import_workforce(
        sqlite_workspace.engine,
        write(tmp_path / "r.csv", header + "W1,2026-11-02,7.4,0\n"),
        "roster",
    )
    result = import_workforce(
        sqlite_workspace.engine,
        write(tmp_path / "r.csv", header + "W1,2026-11-02,7.4,7.4\n"),
        "roster",
    )
    assert result.updated == 1
    with sqlite_workspace.engine.connect() as conn:
        worker_id = conn.execute(
            select(workers.c.id).where(workers.c.worker_ref == "W1")
        ).scalar_one()
        (change,) = events.for_entity(conn, "worker", worker_id)
    assert change["action"] == "roster.updated"
    assert change["before"] == {"day": "2026-11-02", "shrinkage": {}}
    assert change["after"] == {"day": "2026-11-02", "shrinkage": {"sickness": 7.4}}
