"""The policy simulation of a workspace (see `kinfold.plan.simulate`): its backlog,
people, households and the rule in force from the store; standard times, staffing and
the arrivals forecast as the plan has them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, text

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.measure.frame import Frame
from kinfold.plan import service
from kinfold.plan.simulate import (
    POLICIES,
    RECENT_DAYS,
    Household,
    Parameters,
    Result,
    SimItem,
    new_arrivals,
    run,
)
from kinfold.priority.rule import parse_rule
from kinfold.priority.run import case_facts, rule_in_force
from kinfold.store.database import time_param

ITEMS_SQL = text("""
SELECT i.id, i.item_type, i.person_id, i.case_id, i.received_at, i.due_at, i.flags, i.need,
       i.status = 'open' AND i.closed_at IS NULL AS waiting, t.name AS team, h.person_count
FROM items i LEFT JOIN cases c ON c.id = i.case_id LEFT JOIN teams t ON t.id = c.team_id
LEFT JOIN households h ON h.id = c.household_id
WHERE (i.status = 'open' AND i.closed_at IS NULL) OR i.received_at >= :since
""").bindparams(time_param("since"))


@dataclass(frozen=True)
class Simulation:
    parameters: Parameters
    team: str | None
    waiting: int  # items waiting at the start
    arriving: int  # new items over the simulated days
    results: list[Result]  # one per policy, in the order of POLICIES
    notes: list[str] = field(default_factory=list)


def simulate_policies(
    engine: Engine,
    frame: Frame,
    team: str | None = None,
    weeks: int = 26,
    staff: float | None = None,
    set_up_minutes: float | None = None,
    seed: int = 1,
) -> Simulation:
    """Both policies on the workspace's backlog (of one team's cases, if given) and its
    forecast arrivals, for `weeks`; staff and set-up as given, else as the plan has them."""
    if not 1 <= weeks <= 104:
        raise KinfoldError(f"{weeks} weeks: simulate from 1 to 104 weeks.")
    if min(staff or 0, set_up_minutes or 0) < 0:
        raise KinfoldError("Staff and set-up minutes are 0 or more.")
    settings = frame.settings.plan
    today = frame.as_of.date()
    known_teams = {team for (team,) in frame.sql("SELECT DISTINCT team FROM items")}
    if team is not None and team not in known_teams:
        raise KinfoldError(
            f"There is no team {team!r} with items.",
            f"The teams are: {', '.join(sorted(known_teams))}.",
        )
    notes: list[str] = []
    minutes = service.standard_minutes(frame)
    staffing = service.staffing_of(frame, today, settings, team)
    with engine.connect() as conn:
        _, rule_text = rule_in_force(conn)
        rule = parse_rule(rule_text, "the rule in force")
        facts = {f.case_id: f for f in case_facts(conn, today)}
        rows = conn.execute(
            ITEMS_SQL, {"since": clock.as_utc(frame.as_of) - timedelta(days=RECENT_DAYS)}
        ).all()
    waiting, recent, households = _items(rows, team, today, facts, minutes, notes)
    if not waiting and not recent:
        raise KinfoldError("There are no items to simulate.", "Import items first.")
    parameters = Parameters(
        start=today,
        days=weeks * 7,
        staff=staffing.fte if staff is None else staff,
        hours_a_week=staffing.effective_hours,
        set_up_minutes=settings["contact set-up minutes"]
        if set_up_minutes is None
        else set_up_minutes,
        minutes=minutes,
        repeat_share=_repeat_share(recent),
        seed=seed,
    )
    daily = _daily_forecast(frame, today, team, weeks, set(minutes), notes)
    arriving = new_arrivals(daily, recent, waiting, households, parameters)
    items = [*waiting, *arriving]
    results = [run(policy, items, households, parameters, rule) for policy in POLICIES]
    return Simulation(parameters, team, len(waiting), len(arriving), results, notes)


def _items(
    rows: Sequence[Any],
    team: str | None,
    today: date,
    facts: dict[int, Any],
    minutes: dict[str, float],
    notes: list[str],
) -> tuple[list[SimItem], dict[str, list[SimItem]], dict[int, Household]]:
    """The items waiting now, the last eight weeks' items per type, and the households."""
    waiting: list[SimItem] = []
    recent: dict[str, list[SimItem]] = defaultdict(list)
    households: dict[int, Household] = {}
    untimed: set[str] = set()
    unfolded = 0
    for item_id, kind, person, case, received, due, flags, need, is_open, of_team, size in rows:
        if team is not None and of_team != team:
            continue
        if kind not in minutes:
            untimed.add(kind)
            continue
        unfolded += case is None
        key = case if case is not None else -item_id  # an item not folded: its own case
        if key not in households:
            found = facts.get(case)
            households[key] = (
                Household(found.people, found.child_under_5, found.over_75, found.living_alone)
                if found
                else Household(people=size or 1)
            )
        item = SimItem(
            item_id=item_id,
            item_type=kind,
            person=person if person is not None else -item_id,
            household=key,
            arrives=0.0,
            received=clock.moment_of(received).date(),
            flags=tuple(flag for flag in (flags or "").split(";") if flag),
            need=need,
            due=clock.moment_of(due).date() if due is not None else None,
        )
        if is_open:
            waiting.append(item)
        if item.received >= today - timedelta(days=RECENT_DAYS):
            recent[kind].append(item)
    if untimed:
        notes.append(
            f"{len(untimed)} item type(s) have no standard time, so their items are not "
            f"simulated: {', '.join(sorted(untimed))}."
        )
    if unfolded:
        notes.append(
            f"{unfolded:,} items are in no case (run `kinfold resolve`): each is simulated as a "
            "case of its own."
        )
    return waiting, recent, households


def _repeat_share(recent: dict[str, list[SimItem]]) -> float:
    """Of the last eight weeks' items, the share about someone with an earlier item in
    the eight weeks before it."""
    items = sorted(
        (i for kind in recent.values() for i in kind), key=lambda i: (i.received, i.item_id)
    )
    last: dict[int, date] = {}
    repeats = 0
    for item in items:
        before = last.get(item.person)
        repeats += before is not None and (item.received - before).days <= RECENT_DAYS
        last[item.person] = item.received
    return repeats / len(items) if items else 0.0


def _daily_forecast(
    frame: Frame, today: date, team: str | None, weeks: int, timed: set[str], notes: list[str]
) -> dict[str, Sequence[float]]:
    """Expected arrivals a day per item type (a week's forecast spread over its days),
    from today for `weeks`."""
    arrivals, _ = service.without_surge(service.arrivals_by_type(frame, today, team), notes)
    days = range(today.weekday(), today.weekday() + weeks * 7)  # from the week's Monday
    return {
        kind: [float(found.mean.iloc[day // 7]) / 7 for day in days]
        for kind, found in service.type_forecasts(arrivals, timed, today).items()
    }
