"""The demo's people at work: teams, workers and skills, a roster with shrinkage, and the
history of work done on the backlog (started and completed, reopened, checked by QA)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from kinfold.demo import names
from kinfold.demo.records import ITEM_TYPES, DemoItem

TEAMS = {"Benefits team": "benefits", "Revenues team": "revenues", "Housing team": "housing"}
TEAM_SIZES = {"Benefits team": 9, "Revenues team": 8, "Housing team": 8}
ROSTER_DAYS = 42
# activity -> (mean minutes, spread)
ACTIVITIES = {
    "Review evidence": (18, 8),
    "Contact customer": (12, 6),
    "Assess": (32, 15),
    "Decision": (10, 5),
    "Reopened": (3, 1),
}
QA_FAILURES = (
    "Evidence not verified",
    "Wrong rate applied",
    "Decision letter not sent",
    "Notes incomplete",
)
SHRINKAGE = ("sickness", "leave", "training", "meetings")


@dataclass
class Worker:
    worker_ref: str
    name: str
    team: str
    hours_per_week: float
    cost_per_hour: float
    skills: dict[str, int] = field(default_factory=dict)


@dataclass
class RosterDay:
    worker_ref: str
    day: date
    paid_hours: float
    shrinkage: dict[str, float]


def make_workers(rng: random.Random) -> list[Worker]:
    workers: list[Worker] = []
    for team, size in TEAM_SIZES.items():
        own_types = [item_type for item_type, _, _ in ITEM_TYPES[TEAMS[team]]]
        for position in range(size):
            sex = rng.choice("MF")
            first = rng.choice(names.FEMALE if sex == "F" else names.MALE)
            last = rng.choice(list(names.SURNAMES))
            level = 1 if position >= size - 2 else (3 if position < 2 else 2)
            worker = Worker(
                worker_ref=f"W{len(workers) + 1:02d}",
                name=f"{first} {last}",
                team=team,
                hours_per_week=rng.choices((37.0, 30.0, 22.5), weights=(70, 20, 10))[0],
                cost_per_hour=round(rng.uniform(24, 34), 2),
                skills=dict.fromkeys(own_types, level),
            )
            if rng.random() < 0.3:
                other = rng.choice([t for t in TEAMS.values() if t != TEAMS[team]])
                for item_type, _, _ in rng.sample(ITEM_TYPES[other], 2):
                    worker.skills[item_type] = rng.choice((1, 2))
            workers.append(worker)
    return workers


def make_roster(rng: random.Random, workers: list[Worker], today: date) -> list[RosterDay]:
    days = [today - timedelta(days=back) for back in range(ROSTER_DAYS, 0, -1)]
    days = [day for day in days if day.weekday() < 5]
    long_sick = {
        worker.worker_ref: rng.randint(0, len(days) - 6) for worker in rng.sample(workers, 2)
    }
    roster: list[RosterDay] = []
    for worker in workers:
        paid = round(worker.hours_per_week / 5, 2)
        for index, day in enumerate(days):
            shrinkage: dict[str, float] = {}
            start = long_sick.get(worker.worker_ref)
            if (start is not None and start <= index < start + 5) or rng.random() < 0.03:
                shrinkage["sickness"] = paid
            elif rng.random() < 0.08:
                shrinkage["leave"] = paid
            else:
                shrinkage["meetings"] = 0.25 + (1.0 if day.weekday() == 2 else 0.0)
                if rng.random() < 0.1:
                    shrinkage["training"] = 2.0
            roster.append(RosterDay(worker.worker_ref, day, paid, shrinkage))
    return roster


@dataclass
class WorkEvent:
    source: str
    source_ref: str
    activity: str
    worker_ref: str
    started_at: datetime
    completed_at: datetime
    outcome: str | None


@dataclass
class QaCheck:
    source: str
    source_ref: str
    worker_ref: str
    checked_by: str
    checked_at: datetime
    passed: bool
    score: int
    reason: str | None


class HistoryMaker:
    """Work done on items in the weeks before today, by the workers rostered that day."""

    def __init__(
        self, rng: random.Random, workers: list[Worker], roster: list[RosterDay], today: date
    ):
        self.rng = rng
        self.today = today
        self.present: dict[tuple[str, date], list[str]] = {}
        team_of = {worker.worker_ref: worker.team for worker in workers}
        for entry in roster:
            if "sickness" not in entry.shrinkage and "leave" not in entry.shrinkage:
                key = (team_of[entry.worker_ref], entry.day)
                self.present.setdefault(key, []).append(entry.worker_ref)
        self.team_of_source = {source: team for team, source in TEAMS.items()}
        self.seniors = {
            team: [w.worker_ref for w in workers if w.team == team and max(w.skills.values()) == 3]
            for team in TEAMS
        }

    def events(self, item: DemoItem) -> Iterator[WorkEvent | QaCheck]:
        rng = self.rng
        first_day = max(item.received_at.date(), self.today - timedelta(days=ROSTER_DAYS))
        if item.status == "open":
            if rng.random() < 0.3:
                yield from self._work(item, first_day, ["Review evidence"])
            return
        steps = [
            "Review evidence",
            *(["Contact customer"] if rng.random() < 0.6 else []),
            "Assess",
            "Decision",
        ]
        if rng.random() < 0.07:
            steps += ["Reopened", "Assess", "Decision"]
        last: WorkEvent | None = None
        for event in self._work(item, first_day, steps):
            last = event
            yield event
        if last is not None and rng.random() < 0.12:
            passed = rng.random() < 0.85
            team = self.team_of_source[item.source]
            yield QaCheck(
                source=item.source,
                source_ref=item.source_ref,
                worker_ref=last.worker_ref,
                checked_by=rng.choice(self.seniors[team] or [last.worker_ref]),
                checked_at=last.completed_at + timedelta(days=rng.randint(1, 3)),
                passed=passed,
                score=rng.randint(80, 100) if passed else rng.randint(40, 79),
                reason=None if passed else rng.choice(QA_FAILURES),
            )

    def _work(self, item: DemoItem, first_day: date, steps: list[str]) -> Iterator[WorkEvent]:
        rng = self.rng
        team = self.team_of_source[item.source]
        day = first_day + timedelta(days=rng.randint(0, 4))
        owner: str | None = None
        for activity in steps:
            day = _next_working_day(day)
            if day >= self.today:
                return
            present = self.present.get((team, day))
            if not present:
                day += timedelta(days=1)
                continue
            if owner not in present or rng.random() < 0.15:
                owner = rng.choice(present)
            mean, spread = ACTIVITIES[activity]
            minutes = max(2, int(rng.gauss(mean, spread)))
            start = datetime.combine(day, time(9, 0)) + timedelta(minutes=rng.randint(0, 420))
            start = max(start, item.received_at + timedelta(minutes=rng.randint(5, 60)))
            outcome = (
                rng.choice(("awarded", "refused", "no change")) if activity == "Decision" else None
            )
            yield WorkEvent(
                item.source,
                item.source_ref,
                activity,
                owner,
                start,
                start + timedelta(minutes=minutes),
                outcome,
            )
            day += timedelta(days=rng.choice((0, 1, 1, 2, 3)))


def _next_working_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
