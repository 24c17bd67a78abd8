"""Goals: a team's own words for what good looks like, with progress worked out daily.

Written under `goals:` in kinfold.yaml, each with a name and (optionally) a team:

    goals:
      - name: Harm within 2 days, contacted within 1 working day
        team: Benefits team
        harm within days: 2
        contacted within working days: 1
      - name: Backlog under 200 by 31 January
        team: Benefits team
        backlog under: 200
        by: 2027-01-31

A contact goal follows each case from the day it came within the harm horizon (or the
day kinfold first saw it, if later): in time if its first contact was within the working
days; late if it was later or has not happened and the time is up. Met when none is late
and none is waiting, at risk while some still wait within their time, missed once any
is late. A backlog goal is met when the team's open cases are at most the number, at
risk until then, missed when the day has passed. Each day's progress is kept, so a
backlog goal also says its pace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, text

from kinfold import clock
from kinfold.errors import WorkspaceError
from kinfold.settings import Goal, Settings
from kinfold.store.database import time_param
from kinfold.store.schema import goal_progress, teams
from kinfold.workdays import WorkingDays

LOOK_BACK_DAYS = 28  # closed cases still count towards a contact goal this long
PACE_DAYS = 14


@dataclass(frozen=True)
class Progress:
    goal: Goal
    value: float
    target: float
    status: str  # met, at risk, missed
    detail: str


def progress_today(engine: Engine, settings: Settings, today: date | None = None) -> list[Progress]:
    """Every goal's progress today, kept as today's entry in its history."""
    today = today or clock.now().date()
    goals = settings.goals
    days = WorkingDays.from_settings(settings)
    found = []
    with engine.begin() as conn:
        team_ids = {name: team_id for team_id, name in conn.execute(select(teams.c.id,
                                                                        teams.c.name))}  # fmt: skip
        for goal in goals:
            if goal.team is not None and goal.team not in team_ids:
                raise WorkspaceError(f"kinfold.yaml: goal '{goal.name}' names team '{goal.team}', "
                                     "which the workspace does not have.")  # fmt: skip
            team_id = team_ids.get(goal.team) if goal.team else None
            if goal.kind == "contact":
                progress = _contact(conn, goal, team_id, days, today)
            else:
                progress = _backlog(conn, goal, team_id, today)
            conn.execute(delete(goal_progress).where(goal_progress.c.goal == goal.name,
                                                     goal_progress.c.day == today))  # fmt: skip
            conn.execute(insert(goal_progress).values(
                goal=goal.name, day=today, value=progress.value, target=progress.target,
                status=progress.status, detail=progress.detail))  # fmt: skip
            found.append(progress)
    return found


def _contact(
    conn: Connection, goal: Goal, team_id: int | None, days: WorkingDays, today: date
) -> Progress:
    since = clock.now() - timedelta(days=LOOK_BACK_DAYS)
    team = "AND c.team_id = :team " if team_id is not None else ""
    rows = conn.execute(text(
        "SELECT c.id, c.created_at, c.harm_by, (SELECT min(e.completed_at) FROM events e "
        "WHERE e.entity_type = 'case' AND e.entity_id = CAST(c.id AS TEXT) "
        "AND e.action = 'case.contact_made') FROM cases c WHERE c.harm_by IS NOT NULL "
        "AND (c.status = 'open' OR c.updated_at >= :since) " + team
    ).bindparams(time_param("since")),
        {"since": since, "team": team_id}).all()  # fmt: skip
    in_time = late = waiting = 0
    soonest: date | None = None
    for _case_id, created, harm_by, contacted in rows:
        start = max(clock.day_of(created), clock.day_of(harm_by) - timedelta(days=goal.harm_days))
        if start > today:
            continue  # not yet within the harm horizon
        deadline = days.add(start, goal.within_days)
        if contacted is not None:
            in_time += clock.day_of(contacted) <= deadline
            late += clock.day_of(contacted) > deadline
        elif today > deadline:
            late += 1
        else:
            waiting += 1
            soonest = min(soonest or deadline, deadline)
    decided = in_time + late
    value = in_time / decided if decided else 1.0
    status = "missed" if late else "at risk" if waiting else "met"
    detail = f"{in_time:,} of {decided:,} contacted in time"
    if waiting:
        detail += f"; {waiting:,} still to contact, the first by {soonest:%-d %B %Y}"
    return Progress(goal, round(value, 4), 1.0, status, detail + ".")


def _backlog(conn: Connection, goal: Goal, team_id: int | None, today: date) -> Progress:
    team = " AND team_id = :team" if team_id is not None else ""
    count = conn.execute(text("SELECT count(*) FROM cases WHERE status = 'open'" + team),
                         {"team": team_id}).scalar_one()  # fmt: skip
    assert goal.by is not None
    wanted = f"{count:,} open cases; at most {goal.backlog_under:,} wanted by {goal.by:%-d %B %Y}"
    if count <= goal.backlog_under:
        return Progress(goal, count, goal.backlog_under, "met", wanted + ".")
    if today > goal.by:
        return Progress(goal, count, goal.backlog_under, "missed", wanted + ".")
    earlier = conn.execute(
        select(goal_progress.c.day, goal_progress.c.value)
        .where(goal_progress.c.goal == goal.name, goal_progress.c.day < today,
               goal_progress.c.day >= today - timedelta(days=PACE_DAYS))
        .order_by(goal_progress.c.day).limit(1)
    ).first()  # fmt: skip
    if earlier is not None:
        elapsed = (today - earlier.day).days
        pace = (count - earlier.value) / elapsed
        projected = max(count + pace * (goal.by - today).days, 0)
        wanted += (f"; at the pace of the last {elapsed} days ({pace:+.1f} a day) about "
                   f"{projected:,.0f} by then")  # fmt: skip
    return Progress(goal, count, goal.backlog_under, "at risk", wanted + ".")
