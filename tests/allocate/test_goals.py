"""Goals: progress worked out by hand on a small team, and kept day by day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select, update

from kinfold import clock
from kinfold.allocate.goals import progress_today
from kinfold.errors import WorkspaceError
from kinfold.settings import Settings
from kinfold.store import events
from kinfold.store.schema import cases, goal_progress
from kinfold.workspace import Workspace
from tests.allocate.stock import backlog

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday
TODAY = NOW.date()
CONTACT = {"harm within days": 2, "contacted within working days": 1}


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def test_contact_and_backlog_goals_worked_by_hand(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    engine = workspace.engine
    backlog(engine, 6, 1)
    # case: (arrived, harm likely by, first contact)
    story = {
        1: (at(20), date(2026, 11, 21), at(23, 15)),  # Fri; due Mon 23rd; contacted then
        2: (at(20), date(2026, 11, 21), at(24)),  # due Mon 23rd; contacted Tue: late
        3: (at(23), date(2026, 11, 30), None),  # not within 2 days of harm until the 28th
        4: (at(24), date(2026, 11, 25), None),  # due today: still in time
        5: (at(19), date(2026, 11, 20), None),  # due Fri 20th, never contacted: late
    }
    with engine.begin() as conn:
        for case_id, (arrived, harm_by, contacted) in story.items():
            conn.execute(update(cases).where(cases.c.id == case_id)
                         .values(created_at=arrived, harm_by=harm_by))  # fmt: skip
            if contacted:
                events.record(conn, actor="W01", action="case.contact_made",
                              entity_type="case", entity_id=case_id, started_at=contacted,
                              completed_at=contacted)  # fmt: skip
        conn.execute(insert(goal_progress).values(
            goal="Backlog under 4", day=date(2026, 11, 15), value=16, target=4,
            status="at risk", detail=""))  # fmt: skip
    settings = Settings.parse({"goals": [
        {"name": "Contact within a day", **CONTACT},
        {"name": "Housing contact", "team": "Housing team", **CONTACT},
        {"name": "Backlog under 4", "team": "Benefits team", "backlog under": 4,
         "by": "2026-12-31"},
        {"name": "Backlog under 10", "backlog under": 10, "by": "2026-12-31"},
        {"name": "Backlog under 4 by November", "backlog under": 4, "by": "2026-11-01"},
    ]})  # fmt: skip
    found = {p.goal.name: p for p in progress_today(engine, settings)}
    contact = found["Contact within a day"]
    assert (contact.value, contact.status) == (0.3333, "missed")
    assert contact.detail == (
        "1 of 3 contacted in time; 1 still to contact, the first by 25 November 2026."
    )
    housing = found["Housing contact"]
    assert (housing.value, housing.status, housing.detail) == (
        1.0, "met", "0 of 0 contacted in time.")  # fmt: skip
    pace = found["Backlog under 4"]
    assert (pace.value, pace.target, pace.status) == (6, 4, "at risk")
    assert pace.detail == (
        "6 open cases; at most 4 wanted by 31 December 2026; at the pace of the last 10 days "
        "(-1.0 a day) about 0 by then."
    )
    assert found["Backlog under 10"].status == "met"
    assert found["Backlog under 4 by November"].status == "missed"

    progress_today(engine, settings)  # again the same day: today's entry replaced
    with engine.connect() as conn:
        kept = conn.execute(select(goal_progress.c.goal, goal_progress.c.day)).all()
    assert len(kept) == 6 and sum(day == TODAY for _, day in kept) == 5


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        ({"harm within days": 2}, "needs a `name`"),
        ({"name": "Mixed", "harm within days": 2, "by": "2027-01-01"}, "either `harm within"),
        ({"name": "Minus", "harm within days": -1, "contacted within working days": 1},
         "-1 should be a whole number"),
        ({"name": "Day", "backlog under": 5, "by": "soon"}, "'soon' should be a date"),
    ],
)  # fmt: skip
def test_a_goal_that_cannot_be_read_is_refused_with_its_place(
    goal: dict[str, object], message: str
) -> None:
    with pytest.raises(WorkspaceError, match=message) as refused:
        Settings.parse({"goals": [{"name": "Fine", **CONTACT}, goal]})
    assert "goal 2" in refused.value.message


def test_a_goal_for_a_team_the_workspace_lacks(workspace: Workspace) -> None:
    with pytest.raises(WorkspaceError, match="names team 'Nobody'"):
        progress_today(
            workspace.engine,
            Settings.parse({"goals": [{"name": "X", "team": "Nobody", **CONTACT}]}),
        )
