"""The daily check-in of a team, on a small story whose answer is known."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from kinfold import clock
from kinfold.allocate.checkin import Stuck, checkin
from kinfold.allocate.peers import ask
from kinfold.allocate.work import WorkError
from kinfold.settings import Settings
from kinfold.store import events
from kinfold.store.schema import cases
from kinfold.workspace import Workspace
from tests.allocate.stock import backlog

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday: since Tuesday began


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def test_the_check_in_of_a_team(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    engine = workspace.engine
    backlog(engine, 6, 2)
    with engine.begin() as conn:

        def case(case_id: int, **values: object) -> None:
            conn.execute(update(cases).where(cases.c.id == case_id).values(**values))

        for old in (1, 2, 3, 4):
            case(old, created_at=at(10))
        case(1, owner_id=1, owner_since=at(24, 12), work_state="in progress")
        case(3, harm_by=date(2026, 11, 27))  # came within 2 days of harm today
        case(4, harm_by=date(2026, 11, 26), owner_id=2, owner_since=at(24),
             work_state="waiting", waiting_until=date(2026, 11, 24))  # fmt: skip
        case(5, harm_by=date(2026, 11, 20))  # new today, harm horizon already passed
        case(6, owner_id=2, owner_since=at(10), work_state="in progress")
        for action, moment, case_id in (("case.given", at(24, 12), 1),
                                        ("case.contact_made", at(24, 13), 1),
                                        ("case.closed", at(23), 2)):  # fmt: skip
            events.record(conn, actor="W01", action=action, entity_type="case", entity_id=case_id,
                          recorded_at=moment, completed_at=moment)  # fmt: skip
    ask(engine, "W01", 2, "Is the landlord's letter a valid notice?")
    settings = Settings.parse({"goals": [
        {"name": "Benefits backlog", "team": "Benefits team", "backlog under": 10,
         "by": "2027-01-29"},
        {"name": "Housing backlog", "team": "Housing team", "backlog under": 10,
         "by": "2027-01-29"},
    ]})  # fmt: skip

    day = checkin(engine, settings, "Benefits team")
    assert day.since == at(24, 0)
    assert day.moved == {"cases given": 1, "contacts made": 1, "peer questions asked": 1}
    assert day.new_cases == 2
    assert [case_id for case_id, _, _ in day.at_risk] == [3, 5]
    assert day.stuck == [Stuck(4, "W02", "waiting", 1), Stuck(6, "W02", "in progress", 11)]
    assert [q.case_id for q in day.questions] == [2]
    assert [(g.goal.name, g.status) for g in day.goals] == [("Benefits backlog", "met")]

    with pytest.raises(WorkError, match="no team 'Nobody'"):
        checkin(engine, settings, "Nobody")
