"""The measures on a worked example whose numbers can be checked by hand (the `example`
workspace of tests/measure/conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kinfold.errors import KinfoldError
from kinfold.ingest.eventlog import import_event_log
from kinfold.ingest.workforce import import_workforce
from kinfold.measure.checks import findings
from kinfold.measure.frame import from_parquet, from_store
from kinfold.measure.kpis import Figure, compute, drill
from kinfold.settings import Settings
from kinfold.workspace import Workspace
from tests.conftest import write


def figures(workspace: Workspace, by: str | None = None) -> dict[str, Figure]:
    frame = from_store(workspace.engine, workspace.settings)
    return {figure.measure: figure for figure in compute(frame, "all", by).figures}


def test_worked_example(example: Workspace) -> None:
    found = figures(example)
    value = {name: figure.value for name, figure in found.items()}
    assert value["Shrinkage"] == pytest.approx(1.5 / 22.5)
    assert value["Utilisation"] == pytest.approx(2.25 / 22.5)  # 1 + 0.75 + 0.5 hours
    assert value["Occupancy"] == pytest.approx(2.25 / 21)
    assert value["Idle time"] == pytest.approx(21 - 2.25)
    # A's standard time is its own handling (the median of one item): 1.5 hours
    assert value["Productivity"] == pytest.approx(1.5 / 21)
    assert value["Throughput"] == 1
    assert value["Backlog"] == 1  # B, at the end of 4 November
    assert found["Backlog"].details["0-2 working days"] == 1
    assert value["Service level"] == 1  # two working days, within five
    assert value["Average task time"] == pytest.approx(45)  # (60 + 45 + 30) / 3 minutes
    assert value["Cost per task"] == pytest.approx(22.5 * 20 / 3)
    assert value["End-to-end time"] == pytest.approx(2 + 0.5 / 24)  # Mon 09:00 to Wed 09:30
    assert found["End-to-end time"].details["median working days"] == 2
    assert value["Touch points"] == 2
    assert value["Re-work"] == 1  # failed QA, then corrected
    assert found["Re-work"].details["failed QA, corrected"] == 1
    assert value["Quality"] == 0
    assert found["Quality"].details["mean score"] == 40
    assert value["Process adherence"] == 1
    assert found["Utilisation"].records == 3 + 3  # three roster days, three pieces of work
    assert found["Productivity"].records == 3 + 3 + 1  # and the item completed
    assert found["Throughput"].records == 1


def test_figures_by_worker_and_the_records_behind_them(example: Workspace) -> None:
    found = figures(example, "worker")
    assert found["Utilisation"].group == "W1"
    assert "Backlog" not in found  # a backlog belongs to teams, not workers
    frame = from_store(example.engine, example.settings)
    columns, rows = drill(frame, "Average task time", "all")
    assert len(rows) == 3
    assert sorted(row[columns.index("activity")] for row in rows) == ["Assess", "Assess", "Decide"]


def test_saved_records_give_the_same_figures(example: Workspace, tmp_path: Path) -> None:
    frame = from_store(example.engine, example.settings)
    folder = tmp_path / "it's saved"  # a quote in the path, too
    frame.save(folder)
    again = from_parquet(folder, example.settings, frame.as_of)
    assert compute(again, "week", "worker") == compute(frame, "week", "worker")
    assert compute(again, "month").figures == compute(frame, "month").figures
    assert findings(again) == findings(frame)  # the data checks, on saved tables too


def test_data_quality_is_reported(example: Workspace, tmp_path: Path) -> None:
    late = ("case_id,activity,resource,timestamp\nA,Letter,W1,2026-11-05T09:00:00+00:00\n"
            "A,Call,Z9,2026-11-05T10:00:00+00:00\n")  # fmt: skip
    imported = import_event_log(example.engine, write(tmp_path / "late.csv", late), "claims")
    assert imported.quarantined == 1  # Z9 is not among the workspace's workers
    found = {f.name: f for f in findings(from_store(example.engine, example.settings))}
    assert found["events after closure"].count == 1
    assert "Throughput" in found["events after closure"].affects


def test_work_by_someone_not_among_the_workers_named_later_is_reported(
    workspace: Workspace, tmp_path: Path
) -> None:
    """A log imported before the workers (then kept whole), and the workers after it."""
    log = ("case_id,activity,resource,timestamp\nA,Letter,W1,2026-11-05T09:00:00+00:00\n"
           "A,Call,Z9,2026-11-05T10:00:00+00:00\n")  # fmt: skip
    imported = import_event_log(workspace.engine, write(tmp_path / "log.csv", log), "claims",
                                add_items=True, item_type="Claim")  # fmt: skip
    assert imported.quarantined == 0
    workers = "worker_ref,name,team,hours_per_week,cost_per_hour\nW1,Ann,Claims,37.5,20\n"
    import_workforce(workspace.engine, write(tmp_path / "workers.csv", workers), "workers")
    found = {f.name: f for f in findings(from_store(workspace.engine, workspace.settings))}
    assert found["unknown workers"].count == 1


def test_settings_and_choices_are_checked(example: Workspace) -> None:
    with pytest.raises(KinfoldError, match="a number above zero"):
        compute(from_store(example.engine, Settings.parse({"standard times": {"Claim": -3}})))
    with pytest.raises(KinfoldError, match="'fortnight' is not a period"):
        compute(from_store(example.engine, Settings()), "fortnight")


def test_periods_and_working_days_are_the_workspaces_own_time_zone(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Work done at half past midnight on 1 July in London is July's, though it was 30
    June in UTC; handling time is the time that passed, across a clock change too."""
    log = ("case_id,activity,resource,timestamp,lifecycle\n"
           "A,Assess,W1,2026-06-29T09:00:00+00:00,complete\n"
           "A,Decide,W1,2026-06-30T23:30:00+00:00,complete\n"
           "B,Assess,W1,2026-03-29T00:30:00+00:00,start\n"  # the clocks go forward at 01:00
           "B,Assess,W1,2026-03-29T02:30:00+00:00,complete\n")  # fmt: skip
    import_event_log(workspace.engine, write(tmp_path / "log.csv", log), "claims",
                     add_items=True, item_type="Claim")  # fmt: skip

    def by_month(zone: str) -> dict[str, float | None]:
        settings = replace(workspace.settings, time_zone=zone)
        found = compute(from_store(workspace.engine, settings), "month", None,
                        ("Throughput", "Average task time", "End-to-end time"))  # fmt: skip
        return {f"{f.measure} {f.period:%Y-%m}": f.value for f in found.figures if f.records}

    london, utc = by_month("Europe/London"), by_month("UTC")
    assert london["Throughput 2026-07"] == 1 and "Throughput 2026-07" not in utc
    assert utc["Throughput 2026-06"] == 1 and "Throughput 2026-06" not in london
    assert london["Average task time 2026-03"] == utc["Average task time 2026-03"] == 120
    assert london["End-to-end time 2026-03"] == utc["End-to-end time 2026-03"] == 2 / 24


def test_tables_saved_before_items_kept_their_moments_still_give_the_figures(
    example: Workspace, tmp_path: Path
) -> None:
    frame = from_store(example.engine, example.settings)
    frame.save(tmp_path)
    items = tmp_path / "items.parquet"
    older = "item_id, case_id, case_key, item_type, need, team, received_at, closed_at, status, "
    frame.db.execute(f"COPY (SELECT {older} due_at, worker FROM items) TO '{items}' "
                     "(FORMAT parquet)")  # fmt: skip
    again = from_parquet(tmp_path, example.settings, frame.as_of)
    assert compute(again, "month").figures == compute(frame, "month").figures
    columns, _ = drill(again, "Throughput", "all")
    assert "source_ref" not in columns  # not saved then: the records say what they have
