"""Every open case can be worked: a worker takes one, a team leader assigns and reassigns,
an owner hands one back, each in the audit log; get next goes by the case's most
pressing item, so the top of every demo team's backlog reaches someone."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text, update

from kinfold.allocate.backlog import queue
from kinfold.allocate.next import UNSKILLED, get_next
from kinfold.allocate.ownership import assign, claim, hand_back
from kinfold.allocate.work import WorkError
from kinfold.settings import Settings
from kinfold.store.schema import cases, events, items, skills, workers
from kinfold.workspace import Workspace
from tests.allocate.stock import backlog


def owner(workspace: Workspace, case_id: int) -> tuple[str | None, str]:
    with workspace.engine.connect() as conn:
        row = conn.execute(
            select(workers.c.worker_ref, cases.c.work_state)
            .select_from(cases.outerjoin(workers, workers.c.id == cases.c.owner_id))
            .where(cases.c.id == case_id)
        ).one()  # fmt: skip
    return row[0], row[1]


def logged(workspace: Workspace, case_id: int) -> list[tuple[str, str, str | None]]:
    with workspace.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(
            select(events.c.action, events.c.actor, events.c.after)
            .where(events.c.entity_type == "case", events.c.entity_id == str(case_id))
            .order_by(events.c.id))]  # fmt: skip


def test_take_assign_reassign_and_hand_back_are_audited(workspace: Workspace) -> None:
    engine = workspace.engine
    backlog(engine, 5, 3)
    assert claim(engine, "W01", 4, cap=3).summary == "Case 4 is allocated to you."
    assert owner(workspace, 4) == ("W01", "in progress")
    with pytest.raises(WorkError, match="is with W01"):
        claim(engine, "W02", 4, cap=3)
    assert assign(engine, "leader", 4, "W02").summary == "Case 4 is reassigned to W02."
    assert assign(engine, "leader", 5, "W03").summary == "Case 5 is assigned to W03."
    with pytest.raises(WorkError, match="Say why"):
        hand_back(engine, "W02", 4, "  ")
    assert hand_back(engine, "W02", 4, "needs a Welsh speaker").owner is None
    assert owner(workspace, 4) == (None, "unallocated")
    actions = [(action, actor) for action, actor, _ in logged(workspace, 4)]
    assert actions == [("case.claimed", "W01"), ("case.assigned", "leader"),
                       ("case.handed_back", "W02")]  # fmt: skip
    assert "needs a Welsh speaker" in str(logged(workspace, 4)[-1][2])
    # a handed-back case is in the backlog again, in its place: get next gives it
    assert get_next(engine, "W03", Settings()).case_id == 1
    assert claim(engine, "W03", 4, cap=3).case_id == 4


def test_taking_is_refused_over_the_cap_in_another_team_or_when_closed(
    workspace: Workspace,
) -> None:
    engine = workspace.engine
    backlog(engine, 6, 2)
    for case_id in (1, 2):
        claim(engine, "W01", case_id, cap=2)
    with pytest.raises(WorkError, match="2 cases in progress"):
        claim(engine, "W01", 3, cap=2)
    assert assign(engine, "leader", 3, "W01").owner == "W01"  # a team leader may
    with engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.id == 6).values(team_id=2))
        conn.execute(update(cases).where(cases.c.id == 5).values(status="closed"))
    with pytest.raises(WorkError, match="another team"):
        claim(engine, "W02", 6, cap=2)
    with pytest.raises(WorkError, match="not in Housing team"):
        assign(engine, "leader", 6, "W02")
    with pytest.raises(WorkError, match="Case 5 is closed"):
        claim(engine, "W02", 5, cap=2)
    with pytest.raises(WorkError, match="no case 99"):
        claim(engine, "W02", 99, cap=2)


def test_get_next_goes_by_the_most_pressing_item(workspace: Workspace) -> None:
    # case 1 holds a flagged "Eviction" item and a "Claim"; W01 is skilled for Claim
    # only, W02 for Eviction only: the flagged item leads, so case 1 is W02's
    engine = workspace.engine
    backlog(engine, 2, 2)
    with engine.begin() as conn:
        conn.execute(update(skills).where(skills.c.worker_id == 2).values(item_type="Eviction"))
        first = conn.execute(select(items).where(items.c.id == 1)).mappings().one()
        evicted = {**first, "id": 3, "source_ref": "R3", "item_type": "Eviction",
                   "flags": "eviction_notice"}  # fmt: skip
        conn.execute(insert(items).values(evicted))
        conn.execute(update(cases).where(cases.c.id == 1).values(open_items=2))
    assert get_next(engine, "W01", Settings()).case_id == 2
    assert get_next(engine, "W02", Settings()).case_id == 1


def test_the_top_of_every_demo_teams_backlog_reaches_someone(resolved_demo: Workspace) -> None:
    skill = resolved_demo.settings.allocation.skill
    with resolved_demo.engine.connect() as conn:
        places = conn.execute(text(
            "SELECT c.team_id, c.id, (SELECT count(*) FROM cases o WHERE o.team_id = c.team_id "
            "AND o.status = 'open' AND o.priority_rank < c.priority_rank) + 1, "
            f"CASE WHEN {UNSKILLED} THEN 1 ELSE 0 END FROM cases c "
            "WHERE c.status = 'open' AND c.priority_rank IS NOT NULL"
        ), {"skill": skill}).all()  # fmt: skip
    top = [(team, case_id) for team, case_id, place, unskilled in places if place <= 20]
    assert len({team for team, _ in top}) >= 3 and len(top) == 20 * len({t for t, _ in top})
    assert [case for *case, place, unskilled in places if place <= 20 and unskilled] == []
    # a case lower down that no one in its team is skilled for is flagged for the team leader
    flagged = {case_id for team, case_id, place, unskilled in places if unskilled}
    assert flagged  # the demo routes some housing cases to a team with no one skilled for them
    listed = queue(resolved_demo.engine, limit=1000, skill=skill).rows
    assert {row.case_id for row in listed if row.unskilled} == flagged
