"""Working a case: actions are events with their times, only the owner records them, and
a case closes when it is enough (or with a reason why not)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kinfold import clock
from kinfold.allocate.case import case_view
from kinfold.allocate.next import get_next
from kinfold.allocate.work import WorkError, checklist, enough_lists, record_action
from kinfold.errors import WorkspaceError
from kinfold.settings import Settings
from kinfold.store import events
from kinfold.store.schema import cases, items
from kinfold.workspace import Workspace
from tests.allocate.stock import backlog

EVERY = "the person knows what happens next and how to reach us"
FOOD = (
    "food or a voucher for the next seven days",
    "referred for longer-term help if it is needed",
)


def test_actions_on_an_owned_case_are_events_with_their_times(workspace: Workspace) -> None:
    engine = workspace.engine
    backlog(engine, 3, 2)
    with engine.begin() as conn:
        conn.execute(update(items).where(items.c.id == 1).values(need="food"))
    assert get_next(engine, "W01", Settings()).case_id == 1
    began = clock.now() - timedelta(minutes=25)

    done = record_action(
        engine, Settings(), "W01", 1, "contact made", note="rang her", started_at=began
    )
    assert done.summary == "Contact made on case 1."
    with engine.connect() as conn:
        (event,) = [e for e in events.for_entity(conn, "case", 1) if e["action"] != "case.given"]
    assert event["action"] == "case.contact_made" and event["actor"] == "W01"
    assert clock.as_utc(event["started_at"]) == began
    assert clock.as_utc(event["completed_at"]) >= began + timedelta(minutes=25)
    assert event["after"] == {"note": "rang her"}

    with pytest.raises(WorkError, match="only the worker it was given to"):
        record_action(engine, Settings(), "W02", 1, "referred")
    with pytest.raises(WorkError, match="not given to anyone yet"):
        record_action(engine, Settings(), "W01", 2, "referred")
    with pytest.raises(WorkError, match="'phoned' is not an action"):
        record_action(engine, Settings(), "W01", 1, "phoned")
    with pytest.raises(WorkError, match="after today"):
        record_action(engine, Settings(), "W01", 1, "waiting for the customer")
    with pytest.raises(WorkError, match="Item 2 is not in case 1"):
        record_action(engine, Settings(), "W01", 1, "item completed", item_id=2)

    until = clock.now().date() + timedelta(days=3)
    record_action(engine, Settings(), "W01", 1, "waiting for the customer", until=until)
    with engine.connect() as conn:
        state = conn.execute(select(cases.c.work_state, cases.c.waiting_until)
                             .where(cases.c.id == 1)).one()  # fmt: skip
    assert (state.work_state, clock.day_of(state.waiting_until)) == ("waiting", until)

    record_action(engine, Settings(), "W01", 1, "item completed", item_id=1)
    with engine.connect() as conn:
        assert conn.execute(select(items.c.status).where(items.c.id == 1)).scalar_one() == "closed"
        case = conn.execute(select(cases).where(cases.c.id == 1)).one()
        assert (case.open_items, case.work_state) == (0, "in progress")
        assert checklist(conn, 1, Settings()) == (EVERY, *FOOD)


def test_a_case_closes_when_it_is_enough_or_overridden_with_a_reason(
    workspace: Workspace,
) -> None:
    engine = workspace.engine
    backlog(engine, 3, 1)
    with engine.begin() as conn:
        conn.execute(update(items).where(items.c.id < 3).values(need="food"))
    settings = Settings.parse({"allocate": {"work in progress cap": 2}})
    get_next(engine, "W01", settings)
    get_next(engine, "W01", settings)

    with pytest.raises(WorkError, match="not enough yet: not met: food or a voucher"):
        record_action(engine, Settings(), "W01", 1, "case closed", met=(EVERY,))
    with pytest.raises(WorkError, match="'tea made' is not on case 1's checklist"):
        record_action(engine, Settings(), "W01", 1, "case closed", met=("tea made",))
    with pytest.raises(WorkError, match="not enough yet"):
        record_action(engine, Settings(), "W01", 1, "case closed", met=(EVERY,), override="  ")
    closed = record_action(engine, Settings(), "W01", 1, "case closed", met=(EVERY, *FOOD))
    assert closed.summary == "Case 1 closed: enough."
    overridden = record_action(engine, Settings(), "W01", 2, "case closed", met=(EVERY,),
                               override="moved away; passed to the new council")  # fmt: skip
    assert "overridden (moved away; passed to the new council)" in overridden.summary

    with engine.connect() as conn:
        rows = conn.execute(select(cases.c.id, cases.c.status, cases.c.work_state,
                                   cases.c.open_items, cases.c.priority_rank)).all()  # fmt: skip
        assert sorted(tuple(r) for r in rows)[:2] == [(1, "closed", "done", 0, None),
                                                       (2, "closed", "done", 0, None)]  # fmt: skip
        statuses = {row.id: row.status for row in conn.execute(select(items.c.id, items.c.status))}
        assert statuses == {1: "closed", 2: "closed", 3: "open"}
        closing = [e for e in events.for_entity(conn, "case", 2) if e["action"] == "case.closed"]
    assert closing[0]["after"]["override"] == "moved away; passed to the new council"
    assert closing[0]["after"]["enough"] == {EVERY: True, FOOD[0]: False, FOOD[1]: False}
    with pytest.raises(WorkError, match="Case 1 is closed"):
        record_action(engine, Settings(), "W01", 1, "contact made")
    # the closed cases no longer count against the cap
    assert (
        get_next(engine, "W01", Settings.parse({"allocate": {"work in progress cap": 1}})).case_id
        == 3
    )


def test_a_workspace_changes_what_enough_means() -> None:
    lists = enough_lists(Settings.parse({"enough": {"Food": ["a food parcel delivered"]}}))
    assert lists["food"] == ("a food parcel delivered",)
    assert lists["every case"] == (EVERY,)
    bad_lists: list[object] = [["food"], {"food": []}, {"food": "x"}]
    for bad in bad_lists:
        with pytest.raises(WorkspaceError, match="for each need, a list of lines"):
            Settings.parse({"enough": bad})


def test_the_timeline_is_in_the_time_the_work_happened(workspace: Workspace) -> None:
    # work done in a source system, imported a month later, is shown when it was done
    engine = workspace.engine
    backlog(engine, 1, 1)
    done_at = clock.now() - timedelta(days=30)
    with engine.begin() as conn:
        events.record(conn, actor="W01", action="case.contact_made", entity_type="case",
                      entity_id=1, completed_at=done_at, outcome="contact made")  # fmt: skip
        events.record(conn, actor="W01", action="case.referred", entity_type="case",
                      entity_id=1, outcome="referred")  # fmt: skip
    with engine.connect() as conn:
        timeline = case_view(conn, 1, Settings()).timeline
    assert [moment.what for moment in timeline] == ["Referred", "Contact made"]
    assert abs(timeline[1].at - done_at) < timedelta(seconds=1)
