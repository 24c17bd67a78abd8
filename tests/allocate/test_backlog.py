"""The team backlog: every open case in exactly one team's backlog, listed in priority
order with its filters; ownership kept true when cases reopen, merge or close."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from kinfold import clock
from kinfold.allocate.backlog import queue, refresh, settle_owners
from kinfold.allocate.routing import Routing
from kinfold.demo import DEMO_SETTINGS
from kinfold.settings import Settings
from kinfold.store.schema import cases, households, items, teams
from kinfold.workspace import Workspace
from tests.allocate.stock import backlog

TODAY = date(2026, 11, 23)


def test_every_open_demo_case_is_in_exactly_its_routed_teams_backlog(
    resolved_demo: Workspace,
) -> None:
    engine, settings = resolved_demo.engine, Settings.parse(DEMO_SETTINGS)
    refreshed = refresh(engine, settings, "test")  # again: what a refresh says of the teams
    with engine.connect() as conn:
        names = {row.id: row.name for row in conn.execute(select(teams.c.id, teams.c.name))}
        routing = Routing.from_setting(settings.routing, sorted(names.values()))
        open_cases = {row.id: row.team_id for row in conn.execute(
            select(cases.c.id, cases.c.team_id).where(cases.c.status == "open"))}  # fmt: skip
        facts: dict[int, list[tuple[str, str, str]]] = {case_id: [] for case_id in open_cases}
        sector = {
            row.id: row.postcode_sector
            for row in conn.execute(select(households.c.id, households.c.postcode_sector))
        }  # fmt: skip)
        for case_id, need, item_type, household_id in conn.execute(
            select(items.c.case_id, items.c.need, items.c.item_type, items.c.household_id)
            .where(items.c.status == "open")
        ):  # fmt: skip
            facts[case_id].append((need.lower(), item_type.lower(),
                                   (sector.get(household_id) or "").lower()))  # fmt: skip
    assert open_cases and None not in open_cases.values()
    for case_id, team_id in open_cases.items():
        assert names[team_id] == routing.team_for(facts[case_id])
    assert sum(refreshed.teams.values()) == len(open_cases)
    assert all(refreshed.teams[name] > 0 for name in names.values())
    # the queues of the three teams together hold every open case once
    listed = [row.case_id for name in names.values()
              for row in queue(engine, team=name, limit=10_000).rows]  # fmt: skip
    assert sorted(listed) == sorted(open_cases)
    # each team's backlog counts its own cases 1, 2, 3, ... in priority order
    for name in names.values():
        found = queue(engine, team=name, limit=10_000)
        assert [row.rank for row in found.rows] == list(range(1, found.total + 1)), name


def test_the_queue_lists_in_priority_order_with_its_filters(workspace: Workspace) -> None:
    engine = workspace.engine
    backlog(engine, 30, 2)
    now = clock.now()
    with engine.begin() as conn:
        conn.execute(households.insert().values(
            id=1, address="1 High Street", person_count=3, postcode_sector="KF2 4",
            postcode_district="KF2"))  # fmt: skip
        conn.execute(update(cases).where(cases.c.id.in_([4, 9])).values(household_id=1))
        conn.execute(update(cases).where(cases.c.id > 20).values(team_id=2))
        conn.execute(update(items).where(items.c.id.in_([9, 12])).values(need="Food"))
        conn.execute(update(cases).where(cases.c.id == 9).values(
            owner_id=1, owner_since=now, work_state="waiting", waiting_until=TODAY))  # fmt: skip
    page = queue(engine, team="benefits team", limit=5, offset=5, today=TODAY)
    assert page.total == 20
    assert [row.rank for row in page.rows] == [6, 7, 8, 9, 10]
    nine = page.rows[3]
    assert (nine.case_id, nine.team, nine.owner, nine.state, nine.waiting_until) == (
        9, "Benefits team", "W01", "waiting", TODAY)  # fmt: skip
    assert (nine.people, nine.open_items, nine.needs) == (3, 1, ("Food",))
    assert nine.oldest_days == (TODAY - now.date()).days
    assert [r.case_id for r in queue(engine, need="food").rows] == [9, 12]
    assert [r.case_id for r in queue(engine, area="kf2 4").rows] == [4, 9]
    assert [r.case_id for r in queue(engine, area="KF2").rows] == [4, 9]
    assert [r.case_id for r in queue(engine, owner="W01").rows] == [9]
    assert queue(engine, team="Housing team").total == 10
    assert queue(engine, team="No such team").total == 0


def test_owners_follow_their_cases_when_they_reopen_merge_or_close(workspace: Workspace) -> None:
    engine = workspace.engine
    backlog(engine, 6, 3)
    now = clock.now()
    with engine.begin() as conn:
        owned = {"owner_since": now, "work_state": "in progress"}
        # 1: closed by its owner, then reopened by a new item
        conn.execute(update(cases).where(cases.c.id == 1).values(owner_id=1, work_state="done"))
        # 2: worked by W02, merged into 3 by a resolve; 3 has no owner
        conn.execute(update(cases).where(cases.c.id == 2).values(
            owner_id=2, status="merged", merged_into=3, **owned))  # fmt: skip
        # 4: being worked, then closed in the source system
        conn.execute(update(cases).where(cases.c.id == 4).values(
            owner_id=3, status="closed", **owned))  # fmt: skip
        # 5: closed and never owned
        conn.execute(update(cases).where(cases.c.id == 5).values(status="closed"))
        settle_owners(conn, TODAY)
        state = {row.id: (row.owner_id, row.work_state, row.waiting_until)
                 for row in conn.execute(select(cases.c.id, cases.c.owner_id, cases.c.work_state,
                                                cases.c.waiting_until))}  # fmt: skip
    assert state[1] == (1, "waiting", TODAY)  # back to its owner, due today
    assert state[3] == (2, "waiting", TODAY)  # the merged case's owner carries on
    assert state[4] == (3, "done", None)  # no longer held against W03's cap
    assert state[5] == (None, "done", None)
    assert state[6] == (None, "unallocated", None)
