"""The daily check-in: a team's stand-up on one page.

What moved since the last working day began (cases given, contacts, items completed,
referrals, cases waiting and closed, new cases), cases newly at risk (harm likely within
the horizon now, and not the day before), stuck cases (owned but with nothing recorded
for `stuck after days` working days, or waiting past their day), the open peer
questions, and the team's goals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, select, text

from kinfold import clock
from kinfold.allocate.goals import Progress, progress_today
from kinfold.allocate.peers import Question, open_questions
from kinfold.allocate.work import WorkError
from kinfold.settings import Settings
from kinfold.store.database import time_param
from kinfold.store.schema import teams
from kinfold.workdays import WorkingDays

AT_RISK_DAYS = 2
SINCE = time_param("since")
WORDS = {
    "case.given": "cases given",
    "case.contact_made": "contacts made",
    "case.item_completed": "items completed",
    "case.referred": "referrals",
    "case.waiting": "cases set waiting",
    "case.closed": "cases closed",
    "case.question": "peer questions asked",
    "case.decision": "peer questions answered",
}


@dataclass(frozen=True)
class Stuck:
    case_id: int
    owner: str
    state: str
    quiet_days: int  # working days with nothing recorded


@dataclass(frozen=True)
class CheckIn:
    team: str
    since: datetime
    moved: dict[str, int]  # what happened, in words -> how many times
    new_cases: int
    at_risk: list[tuple[int, date, int | None]]  # case, harm likely by, rank
    stuck: list[Stuck]
    questions: list[Question]
    goals: list[Progress]


def checkin(engine: Engine, settings: Settings, team: str, today: date | None = None) -> CheckIn:
    today = today or clock.now().date()
    days = WorkingDays.from_settings(settings)
    stuck_after = settings.stuck_after_days
    previous = today - timedelta(days=1)
    while not days.is_working(previous):
        previous -= timedelta(days=1)
    since = datetime.combine(previous, time(), UTC)
    with engine.connect() as conn:
        team_id = conn.execute(select(teams.c.id).where(teams.c.name == team)).scalar_one_or_none()
        if team_id is None:
            names = ", ".join(conn.execute(select(teams.c.name).order_by(teams.c.name)).scalars())
            raise WorkError(f"There is no team '{team}'.", f"The teams are: {names or 'none'}.")
        values = {"team": team_id, "since": since}
        moved = Counter({
            WORDS.get(action, action): count for action, count in conn.execute(text(
                "SELECT e.action, count(*) FROM events e JOIN cases c ON e.entity_type = 'case' "
                "AND e.entity_id = CAST(c.id AS TEXT) WHERE c.team_id = :team "
                "AND e.recorded_at >= :since AND e.action LIKE 'case.%' GROUP BY e.action"
            ).bindparams(SINCE), values)
        })  # fmt: skip
        new_cases = conn.execute(text("SELECT count(*) FROM cases WHERE team_id = :team "
                                      "AND created_at >= :since").bindparams(SINCE),
                                 values).scalar_one()  # fmt: skip
        soon = today + timedelta(days=AT_RISK_DAYS)
        at_risk = [
            (case_id, clock.day_of(harm_by), rank)
            for case_id, harm_by, rank, created in conn.execute(text(
                "SELECT id, harm_by, priority_rank, created_at FROM cases WHERE team_id = :team "
                "AND status = 'open' AND harm_by <= :soon ORDER BY priority_rank"
            ), {**values, "soon": soon})
            if clock.day_of(harm_by) > previous + timedelta(days=AT_RISK_DAYS)
            or clock.moment_of(created) >= since
        ]  # fmt: skip
        stuck = []
        for case_id, owner, state, until, owned, last in conn.execute(text(
            "SELECT c.id, w.worker_ref, c.work_state, c.waiting_until, c.owner_since, "
            "(SELECT max(e.recorded_at) FROM events e WHERE e.entity_type = 'case' "
            "AND e.entity_id = CAST(c.id AS TEXT)) FROM cases c JOIN workers w ON "
            "w.id = c.owner_id WHERE c.team_id = :team AND c.status = 'open' "
            "AND c.work_state IN ('in progress', 'waiting') ORDER BY c.priority_rank"
        ), values):  # fmt: skip
            quiet = days.between(clock.day_of(last or owned), today)
            overdue = state == "waiting" and until is not None and clock.day_of(until) < today
            if quiet >= stuck_after or overdue:
                stuck.append(Stuck(case_id, owner, state, quiet))
    goals = [p for p in progress_today(engine, settings, today) if p.goal.team in (None, team)]
    return CheckIn(team, since, dict(moved), new_cases, at_risk, stuck,
                   open_questions(engine, team), goals)  # fmt: skip
