"""Event logs: CSV and XES, lifecycle pairing, time zones, unknown cases, re-imports."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from kinfold.ingest.eventlog import (
    UNKNOWN_WORKER,
    LogEvent,
    import_event_log,
    lifecycle_of,
    log_notes,
    pair,
)
from kinfold.ingest.importer import import_items
from kinfold.ingest.readers import read_table
from kinfold.ingest.workforce import import_workforce
from kinfold.measure.checks import findings
from kinfold.measure.frame import from_store
from kinfold.store import items as item_store
from kinfold.store.schema import events, items
from kinfold.workspace import Workspace
from tests.conftest import write

XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <string key="concept:name" value="a log"/>
  <trace>
    <string key="concept:name" value="C1"/>
    <string key="item_type" value="Loan application"/>
    <event><string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="SCHEDULE"/><string key="org:resource" value="W1"/>
      <date key="time:timestamp" value="2026-11-02T09:00:00.000+01:00"/></event>
    <event><string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="START"/><string key="org:resource" value="W1"/>
      <date key="time:timestamp" value="2026-11-02T10:00:00.000+01:00"/></event>
    <event><string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="COMPLETE"/><string key="org:resource" value="W1"/>
      <date key="time:timestamp" value="2026-11-02T10:30:00.000+01:00"/></event>
    <event><string key="concept:name" value="Decide"/>
      <string key="lifecycle:transition" value="COMPLETE"/><string key="org:resource" value="W2"/>
      <date key="time:timestamp" value="2026-11-03T12:00:00.000+01:00"/></event>
  </trace>
  <trace>
    <string key="concept:name" value="C2"/>
    <event><string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="START"/>
      <date key="time:timestamp" value="2026-11-04T09:00:00.000+00:00"/></event>
  </trace>
</log>
"""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_pairing_takes_the_first_open_start_of_the_same_activity() -> None:
    def event(number: int, activity: str, lifecycle: str, hour: int) -> LogEvent:
        return LogEvent(number, "s", "C", activity, "W", at(2, hour), lifecycle)

    work = pair([
        event(1, "A", "start", 9), event(2, "A", "start", 10), event(3, "B", "complete", 11),
        event(4, "A", "complete", 12), event(5, "A", "schedule", 13), event(6, "A", "start", 14),
    ])  # fmt: skip
    shown = [(w.activity, w.lifecycle, w.started_at, w.completed_at) for w in work]
    assert shown == [  # in time order: a start never completed counts at its start
        ("A", "start", at(2, 10), None),
        ("B", "complete", None, at(2, 11)),
        ("A", "complete", at(2, 9), at(2, 12)),
        ("A", "schedule", None, at(2, 13)),
        ("A", "start", at(2, 14), None),
    ]


def test_xes_log_makes_items_and_pairs_work(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "log.xes.gz"
    path.write_bytes(gzip.compress(XES.encode()))
    result = import_event_log(workspace.engine, path, "loans", add_items=True, item_type="Other")
    again = import_event_log(workspace.engine, path, "loans", add_items=True, item_type="Other")
    assert (result.read, result.new, result.quarantined) == (5, 5, 0)
    assert (again.new, again.unchanged) == (0, 5)
    with workspace.engine.connect() as conn:
        made = conn.execute(select(items.c.source_ref, items.c.item_type, items.c.status)
                            .order_by(items.c.source_ref)).all()  # fmt: skip
        logged = conn.execute(
            select(events.c.action, events.c.actor, events.c.lifecycle, events.c.started_at,
                   events.c.completed_at)
            .where(events.c.lifecycle.is_not(None)).order_by(events.c.id)
        ).all()  # fmt: skip
    assert made == [("C1", "Loan application", "closed"), ("C2", "Other", "closed")]
    started = [(row.action, row.actor, row.lifecycle) for row in logged]
    assert started == [("Check", "W1", "schedule"), ("Check", "W1", "complete"),
                       ("Decide", "W2", "complete"), ("Check", "unknown", "start")]  # fmt: skip
    paired = logged[1]
    assert (paired.started_at.hour, paired.completed_at.hour, paired.completed_at.minute) == (
        9, 9, 30)  # 10:00 and 10:30 at UTC+1  # fmt: skip
    assert "columns not used: case:item_type" not in result.notes


def test_csv_log_quarantines_what_it_cannot_use(workspace: Workspace, tmp_path: Path) -> None:
    write(
        tmp_path / "items.csv",
        "source_ref,item_type,received_at,last_name\nB1,Claim,2026-11-01,Lee\n",
    )
    import_items(workspace.engine, tmp_path / "items.csv", "benefits")
    log = write(tmp_path / "log.csv", (
        "Case,Task,Who,When,Colour\n"
        "B1,Assess,W1,2026-11-02T09:00:00+00:00,red\n"
        "B1,Decide,W1,2026-11-02 10:00,blue\n"  # no time zone, unlike the others
        "B9,Assess,W1,2026-11-02T11:00:00+00:00,red\n"  # no such item
        ",Assess,W1,2026-11-02T11:00:00+00:00,red\n"
        "B1,Assess,W1,not a time,red\n"
    ))  # fmt: skip
    mapping = write(tmp_path / "log.yaml", (
        "fields:\n  case_id: Case\n  activity: Task\n  resource: Who\n  timestamp: When\n"
    ))  # fmt: skip
    result = import_event_log(workspace.engine, log, "benefits", mapping_path=mapping)
    assert (result.read, result.new, result.quarantined) == (5, 1, 4)
    assert result.notes == [  # a log of one worker's work reads as one worker's
        "columns not used: Colour",
        "every event that names who did it names 'W1': handoffs will read 0, and the "
        "measures by worker are one worker's",
    ]
    with workspace.engine.connect() as conn:
        held = {(row.row_number, row.reason) for row in item_store.quarantined(conn, "benefits")}
    assert held == {
        (3, "the time has no time zone, while other rows of this file give one: which zone "
            "it is in cannot be told"),
        (4, "there is no item B9 from source 'benefits' in the workspace"),
        (5, "case_id is empty"),
        (6, "timestamp: 'not a time' is not a date in the expected form (YYYY-MM-DD)"),
    }  # fmt: skip


def test_every_row_of_a_log_is_counted_once(workspace: Workspace, tmp_path: Path) -> None:
    """Read = new + updated + unchanged + quarantined, whichever way a row fails: cases
    that cannot become items (no item type), bad rows, and all of it imported again."""
    write(tmp_path / "workers.csv", "worker_ref,name,team,hours_per_week,cost_per_hour\n"
                                    "W1,Ann,Claims,37.5,20\n")  # fmt: skip
    import_workforce(workspace.engine, tmp_path / "workers.csv", "workers")
    log = write(tmp_path / "log.csv", (
        "case_id,activity,resource,timestamp\n"
        "A,Start,W1,2026-11-01T09:00:00+00:00\n"
        "A,Decide,W1,2026-11-02T09:00:00+00:00\n"
        "B,Start,W9,2026-11-01T10:00:00+00:00\n"  # not among the workers
        "C,Start,W1,not a time\n"
    ))  # fmt: skip
    for item_type, counted in ((None, (4, 0, 0, 4)), ("Claim", (4, 2, 0, 2)),
                               ("Claim", (4, 0, 2, 2))):  # fmt: skip
        result = import_event_log(workspace.engine, log, "claims", add_items=True,
                                  item_type=item_type)  # fmt: skip
        assert (result.read, result.new, result.unchanged, result.quarantined) == counted
        assert result.read == result.new + result.updated + result.unchanged + result.quarantined


INCIDENTS = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <trace><string key="concept:name" value="I1"/>
    <event><string key="concept:name" value="Triage"/>
      <string key="lifecycle:transition" value="Queued"/>
      <date key="time:timestamp" value="2026-11-02T09:00:00+00:00"/></event>
  </trace>
  <trace><string key="concept:name" value="I2"/><string key="impact" value="High"/>
    <event><string key="concept:name" value="Fix"/><string key="org:resource" value="Ann"/>
      <string key="lifecycle:transition" value="In Progress"/>
      <date key="time:timestamp" value="2026-11-03T09:00:00+00:00"/></event>
    <event><string key="concept:name" value="Fix"/><string key="org:resource" value="Ann"/>
      <string key="lifecycle:transition" value="Resolved"/>
      <date key="time:timestamp" value="2026-11-03T11:00:00+00:00"/></event>
    <event><string key="concept:name" value="Close"/><string key="org:resource" value="Bo"/>
      <string key="lifecycle:transition" value="ATE-ABORT"/>
      <date key="time:timestamp" value="2026-11-04T09:00:00+00:00"/></event>
  </trace>
</log>
"""


def test_every_attribute_of_every_event_is_read_and_own_lifecycles_are_named(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write(tmp_path / "incidents.xes", INCIDENTS)
    table = read_table(path)
    # the first event has no resource and its trace no impact: both are columns all the same
    assert {"org:resource", "case:impact", "lifecycle:transition"} <= set(table.columns)
    rows = list(table.rows)
    assert rows[1].values["org:resource"] == "Ann" and rows[1].values["case:impact"] == "High"
    assert "org:resource" not in rows[0].values
    result = import_event_log(workspace.engine, path, "desk", add_items=True, item_type="Incident")
    assert (result.read, result.new, result.quarantined) == (4, 4, 0)
    own = next(note for note in result.notes if note.startswith("lifecycle values outside"))
    assert "'queued' (1)" in own and "'in progress' (1)" in own and "'resolved' (1)" in own
    assert "ate_abort" not in own  # a standard transition, however it is written
    assert any(note.startswith("no event is a completion") for note in result.notes)
    found = {f.name: f for f in findings(from_store(workspace.engine, workspace.settings))}
    own_words = found["lifecycles outside the XES standard"].examples
    assert {str(word): count for word, count in own_words} == {
        "queued": 1, "in progress": 1, "resolved": 1}  # fmt: skip
    assert "Touch points" in found["no completions"].affects

    mapping = write(tmp_path / "incidents.yaml", (
        "fields:\n  case_id: case:concept:name\n  activity: concept:name\n"
        "  resource: org:resource\n  timestamp: time:timestamp\n"
        "  lifecycle:\n    column: lifecycle:transition\n"
        "    values: {In Progress: start, Resolved: complete}\n"
    ))  # fmt: skip
    mapped = import_event_log(workspace.engine, path, "desk2", mapping_path=mapping,
                              add_items=True, item_type="Incident")  # fmt: skip
    assert not any(note.startswith("no event is a completion") for note in mapped.notes)
    with workspace.engine.connect() as conn:
        fixed = conn.execute(select(events.c.started_at, events.c.completed_at).where(
            events.c.action == "Fix", events.c.lifecycle == "complete")).all()  # fmt: skip
    assert len(fixed) == 1 and (fixed[0].completed_at - fixed[0].started_at).seconds == 7200


def test_a_log_of_one_resource_or_none_says_so() -> None:
    def event(number: int, resource: str) -> LogEvent:
        return LogEvent(number, "s", "C", "A", resource, at(2, 9 + number), "complete")

    assert log_notes([event(1, UNKNOWN_WORKER)]) == [
        "no event names who did it (no resource): handoffs and the measures by worker will "
        "read nothing"
    ]
    assert log_notes([event(1, "W1"), event(2, "W1"), event(3, UNKNOWN_WORKER)]) == [
        "every event that names who did it names 'W1': handoffs will read 0, and the "
        "measures by worker are one worker's"
    ]
    assert log_notes([event(1, "W1"), event(2, "W2")]) == []
    assert lifecycle_of("  Ate-Abort ") == "ate_abort" and lifecycle_of(None) == "complete"
    assert lifecycle_of("Awaiting Assignment") == "awaiting assignment"
