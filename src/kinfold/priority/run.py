"""Prioritising a workspace: the rule in force, its versions, scoring every open case,
and previewing what a changed rule would move.

Every saved rule is a new version (who, when, the text as written). The workspace's rule
is its highest version without a team; a team may have a rule of its own (its highest
version with the team), and a team without one works by the workspace's. A rule that
cannot be used is refused before anything is saved, so the rule in force stays in force.
"""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, func, insert, select

from kinfold import clock
from kinfold.ingest.fields import STANDARD_FLAGS
from kinfold.priority.rule import Known, Rule, default_rule_text, parse_rule
from kinfold.priority.score import CaseFacts, Priority, order_key, rank, score
from kinfold.resolve.records import clean_birth_date
from kinfold.store import events
from kinfold.store.database import driver_rows, parameter_mark
from kinfold.store.schema import priority_rules, teams

CHILD_AGE = 5
OLD_AGE = 75
SHIPPED_BY = "kinfold (the default rule)"


@dataclass(frozen=True)
class RuleVersion:
    version: int
    saved_by: str
    saved_at: datetime
    note: str | None


@dataclass
class Prioritised:
    cases: int
    rule_version: int
    seconds: float
    ranked: list[Priority]


@dataclass(frozen=True)
class Move:
    case_id: int
    old_rank: int
    new_rank: int
    old_score: float
    new_score: float

    @property
    def places(self) -> int:
        """Places moved up (positive) or down (negative)."""
        return self.old_rank - self.new_rank


# --- the rule and its versions ------------------------------------------------------


def rule_in_force(conn: Connection, team_id: int | None = None) -> tuple[int, str]:
    """(version, text) of the rule the cases of team `team_id` are ordered by (its own, or
    else the workspace's), or with no team the workspace's; (0, the default) before any
    rule is saved."""
    for scope in (team_id, None) if team_id is not None else (None,):
        row = conn.execute(
            select(priority_rules.c.version, priority_rules.c.text)
            .where(_of(scope))
            .order_by(priority_rules.c.version.desc())
            .limit(1)
        ).first()
        if row:
            return row[0], row[1]
    return 0, default_rule_text()


def teams_own_rules(conn: Connection) -> dict[int, tuple[int, str]]:
    """team id -> (version, text) of each team's own rule in force."""
    latest = (select(priority_rules.c.team_id, func.max(priority_rules.c.version).label("v"))
              .where(priority_rules.c.team_id.is_not(None))
              .group_by(priority_rules.c.team_id).subquery())  # fmt: skip
    query = select(latest.c.team_id, priority_rules.c.version, priority_rules.c.text).join(
        priority_rules, priority_rules.c.version == latest.c.v
    )
    return {team_id: (version, text) for team_id, version, text in conn.execute(query)}


def rule_teams(conn: Connection) -> list[tuple[int, str]]:
    """(id, name) of every team, by name: the teams a rule may be set for."""
    return [(row[0], row[1]) for row in conn.execute(select(teams.c.id, teams.c.name)
                                                       .order_by(teams.c.name))]  # fmt: skip


def _of(team_id: int | None) -> ColumnElement[bool]:
    """The versions of team `team_id`'s own rule, or with no team the workspace's."""
    column = priority_rules.c.team_id
    return column.is_(None) if team_id is None else column == team_id


def rule_text(conn: Connection, version: int) -> str | None:
    return conn.execute(
        select(priority_rules.c.text).where(priority_rules.c.version == version)
    ).scalar()


def rule_versions(conn: Connection, team_id: int | None = None) -> list[RuleVersion]:
    """The versions of team `team_id`'s own rule, or with no team the workspace's."""
    query = select(priority_rules.c.version, priority_rules.c.saved_by,
                   priority_rules.c.saved_at, priority_rules.c.note).where(
                       _of(team_id)).order_by(priority_rules.c.version)  # fmt: skip
    return [RuleVersion(*row) for row in conn.execute(query)]


def save_rule(
    engine: Engine,
    text: str,
    actor: str,
    origin: str = "the rule",
    note: str | None = None,
    team_id: int | None = None,
) -> int:
    """Check `text` and keep it as the next version, in force from now, of team `team_id`'s
    own rule (or with no team, the workspace's); its number. A `RuleError` (line and
    reason) leaves the rule in force as it was."""
    with engine.begin() as conn:
        parse_rule(text, origin, known_here(conn))
        return _store(conn, text, actor, note, team_id)


def known_here(conn: Connection) -> Known:
    """The flags and needs a rule saved in this workspace may name (`Known`)."""
    flags = set(STANDARD_FLAGS)
    for (written,) in conn.exec_driver_sql("SELECT DISTINCT flags FROM items WHERE flags <> ''"):
        flags.update(flag for flag in (written or "").split(";") if flag)
    needs = set(parse_rule(default_rule_text()).needs)
    for (need,) in conn.exec_driver_sql("SELECT DISTINCT lower(need) FROM items"):
        if need:
            needs.add(" ".join(need.split()))
    return Known(frozenset(flags), frozenset(needs))


def _store(
    conn: Connection, text: str, actor: str, note: str | None, team_id: int | None = None
) -> int:
    version = int(conn.execute(select(func.coalesce(func.max(priority_rules.c.version), 0)))
                  .scalar_one()) + 1  # fmt: skip
    conn.execute(insert(priority_rules).values(version=version, text=text, saved_by=actor,
                                               saved_at=clock.now(), note=note,
                                               team_id=team_id))  # fmt: skip
    events.record(conn, actor=actor, action="rule.saved", entity_type="priority_rule",
                  entity_id=version, after={"version": version, "note": note,
                                            "team_id": team_id})  # fmt: skip
    return version


# --- scoring ------------------------------------------------------------------------


def prioritise(engine: Engine, actor: str, today: date | None = None) -> Prioritised:
    """Score and rank every open case under the rule in force; closed and merged cases
    lose their place. The first run keeps the default rule as version 1."""
    with engine.begin() as conn:
        return prioritise_in(conn, actor, today)


def prioritise_in(conn: Connection, actor: str, today: date | None = None) -> Prioritised:
    """`prioritise`, inside the caller's transaction: each case scored and put in its
    team's backlog by its team's rule; the backlogs merged into one order of every case
    by the workspace rule's order."""
    started = time.perf_counter()
    today = today or clock.now().date()
    version, text = rule_in_force(conn)
    if version == 0:
        version = _store(conn, text, SHIPPED_BY, "the rule kinfold ships with")
    rules: dict[int | None, tuple[int, Rule]] = {
        None: (version, parse_rule(text, f"priority rule version {version}"))
    }
    for team_id, (own, own_text) in teams_own_rules(conn).items():
        rules[team_id] = (own, parse_rule(own_text, f"priority rule version {own}"))
    in_team: dict[int | None, list[Priority]] = {}
    rule_of: dict[int, int] = {}  # case id -> the version it was scored by
    for facts in case_facts(conn, today):
        rule_version, rule = rules.get(facts.team_id, rules[None])
        in_team.setdefault(facts.team_id, []).append(score(facts, rule, today))
        rule_of[facts.case_id] = rule_version
    backlogs = [rank(scored, rules.get(team, rules[None])[1].order)
                for team, scored in in_team.items()]  # fmt: skip
    team_place = {p.case_id: place for backlog in backlogs
                  for place, p in enumerate(backlog, start=1)}  # fmt: skip
    # merged, each backlog keeps its own order: a team's cases by their place among all
    # are in its rule's order (get next and the backlog go by that place)
    ranked = list(heapq.merge(*backlogs, key=order_key(rules[None][1].order)))
    _write(conn, ranked, team_place, rule_of)
    return Prioritised(len(ranked), version, round(time.perf_counter() - started, 2), ranked)


def preview(
    engine: Engine, text: str, origin: str, today: date | None = None, team_id: int | None = None
) -> list[Move]:
    """How the open cases the rule `text` would order would move, most moved first: team
    `team_id`'s cases, or with no team those of every team that works by the workspace's
    rule. Nothing is saved; a `RuleError` names the line and the reason."""
    today = today or clock.now().date()
    with engine.connect() as conn:
        new_rule = parse_rule(text, origin, known_here(conn))
        version, current = rule_in_force(conn, team_id)
        old_rule = parse_rule(current, f"priority rule version {version}")
        own = set(teams_own_rules(conn))
        facts = [f for f in case_facts(conn, today) if f.team_id == team_id
                 or (team_id is None and f.team_id not in own)]  # fmt: skip
    before = {p.case_id: (place, p.score) for place, p in enumerate(
        rank((score(f, old_rule, today) for f in facts), old_rule.order), start=1)}  # fmt: skip
    after = rank((score(f, new_rule, today) for f in facts), new_rule.order)
    moves = [
        Move(p.case_id, before[p.case_id][0], place, before[p.case_id][1], p.score)
        for place, p in enumerate(after, start=1)
    ]
    return sorted(moves, key=lambda move: (-abs(move.places), move.new_rank))


def case_facts(conn: Connection, today: date) -> list[CaseFacts]:
    """What the rule looks at, for every open case (raw driver SQL: there may be a
    million items)."""
    found: dict[int, CaseFacts] = {}
    owner: dict[int, tuple[int | None, int | None]] = {}
    team: dict[int, int | None] = {}
    for case_id, household_id, person_id, team_id in driver_rows(
        conn, "SELECT id, household_id, person_id, team_id FROM cases WHERE status = 'open'"
    ):
        owner[case_id] = (household_id, person_id)
        team[case_id] = team_id
    days: dict[Any, date] = {}  # a backlog's items arrive on a few hundred days
    needs: dict[str, str] = {}  # and name a handful of needs
    for item_id, person_id, case_id, flags, due_at, received_at, need in driver_rows(
        conn,
        "SELECT id, person_id, case_id, flags, due_at, received_at, need FROM items "
        "WHERE status = 'open' AND case_id IS NOT NULL",
    ):
        if case_id not in owner:
            continue
        source = (item_id, person_id)
        received = days.get(received_at) or days.setdefault(received_at, _day(received_at))
        facts = found.get(case_id)
        if facts is None:
            facts = found[case_id] = CaseFacts(case_id, received, team_id=team[case_id],
                                               oldest_from=source)  # fmt: skip
        elif received < facts.oldest_received:
            facts.oldest_received, facts.oldest_from = received, source
        if due_at is not None:
            due = days.get(due_at) or days.setdefault(due_at, _day(due_at))
            if facts.next_due is None or due < facts.next_due:
                facts.next_due, facts.due_from = due, source
        if need:
            named = needs.get(need) or needs.setdefault(need, need.strip().lower())
            facts.needs.add(named)
            if named not in facts.need_since or received < facts.need_since[named]:
                facts.need_since[named], facts.need_from[named] = received, source
        if flags:
            first, soonest = facts.flags, facts.flag_due
            for flag in flags.split(";"):
                if flag and (flag not in first or received < first[flag]):
                    first[flag], facts.flag_from[flag] = received, source
                if flag and due_at is not None and (flag not in soonest or due < soonest[flag]):
                    soonest[flag] = due
    _who_is_affected(conn, found, owner, today)
    return list(found.values())


def _who_is_affected(
    conn: Connection,
    found: dict[int, CaseFacts],
    owner: dict[int, tuple[int | None, int | None]],
    today: date,
) -> None:
    """People, children under 5 and people over 75 in each case's household (or the one
    person a case without a household is about)."""
    # (people, a child under 5, someone over 75) per household, and per person
    households: dict[int, list[Any]] = {}
    alone: dict[int, tuple[bool, bool]] = {}
    youngest: dict[int, int] = {}  # household -> a child under 5 in it (a person id)
    eldest: dict[int, int] = {}  # ... and someone over 75
    ages: dict[str | None, tuple[bool, bool]] = {}
    for person_id, household_id, born in driver_rows(
        conn, "SELECT id, household_id, date_of_birth FROM people"
    ):
        if born not in ages:  # a few tens of thousands of dates of birth, each worked out once
            age = _age(born, today)
            ages[born] = (age is not None and age < CHILD_AGE, age is not None and age >= OLD_AGE)
        child, old = ages[born]
        alone[person_id] = (child, old)
        if household_id is not None:
            counted = households.setdefault(household_id, [0, False, False])
            counted[0] += 1
            counted[1] |= child
            counted[2] |= old
            if child:
                youngest.setdefault(household_id, person_id)
            if old:
                eldest.setdefault(household_id, person_id)
    for case_id, facts in found.items():
        household_id, person_id = owner[case_id]
        people, child, old = 1, False, False
        if household_id is not None and household_id in households:
            people, child, old = households[household_id]
            facts.child_from, facts.old_from = youngest.get(household_id), eldest.get(household_id)
        elif person_id is not None and person_id in alone:
            child, old = alone[person_id]
            facts.child_from = person_id if child else None
            facts.old_from = person_id if old else None
        facts.people = people
        facts.child_under_5 = child or "child_under_5" in facts.flags
        facts.over_75 = old or "over_75" in facts.flags
        facts.living_alone = "lives_alone" in facts.flags


def _write(
    conn: Connection,
    ranked: Iterable[Priority],
    team_place: dict[int, int],
    rule_of: dict[int, int],
) -> None:
    """Each open case's priority, its place among every case and in its team's backlog,
    and the version of the rule that scored it."""
    marker = parameter_mark(conn)
    conn.exec_driver_sql(
        "UPDATE cases SET priority_score = NULL, priority_rank = NULL, team_rank = NULL, "
        "harm_by = NULL, next_due = NULL, priority_reasons = NULL, reason_sources = NULL, "
        "rule_version = NULL "
        "WHERE status <> 'open' AND priority_rank IS NOT NULL"
    )
    rows = [(p.score, place, team_place[p.case_id], p.harm_by, p.next_due, p.reasons_text(),
             json.dumps(p.sources()), rule_of[p.case_id], p.case_id)
            for place, p in enumerate(ranked, start=1)]  # fmt: skip
    if rows:
        conn.exec_driver_sql(
            f"UPDATE cases SET priority_score = {marker}, priority_rank = {marker}, "
            f"team_rank = {marker}, harm_by = {marker}, next_due = {marker}, "
            f"priority_reasons = {marker}, reason_sources = {marker}, rule_version = {marker} "
            f"WHERE id = {marker}",
            rows,
        )


def _day(value: Any) -> date:
    """A stored date-time as its day: text in SQLite, datetime in PostgreSQL."""
    if isinstance(value, datetime):
        return clock.as_utc(value).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _age(born: str | None, today: date) -> int | None:
    cleaned = clean_birth_date(born)
    if cleaned is None:
        return None
    birth = date.fromisoformat(cleaned)
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
