"""Routing: which team's backlog each open case is in.

The rules are a team leader's, in `kinfold.yaml`:

    routing:
      default team: Benefits team
      rules:
        - {team: Housing team, need: housing}
        - {team: Revenues team, item type: Council tax arrears}
        - {team: Housing team, area: LS6 2}

The first rule that any of a case's open items meets names its team; a case no rule
names goes to the default team. So every open case is in exactly one team's backlog.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, select

from kinfold.errors import WorkspaceError
from kinfold.settings import ORIGIN, RoutingSetting, Settings
from kinfold.store.database import parameter_mark
from kinfold.store.schema import teams

NO_TEAM = "no team"


@dataclass(frozen=True)
class RoutingRule:
    team: str
    match: str  # one of ROUTING_MATCHES
    value: str  # as written; an area is a postcode sector or district prefix ("LS6 2")

    @cached_property
    def key(self) -> str:
        return self.value.lower()

    def meets(self, need: str, item_type: str, area: str) -> bool:
        """Whether an open item (need, item type, area, all lower case) meets the rule."""
        if self.match == "need":
            return need == self.key
        if self.match == "item type":
            return item_type == self.key
        return area.startswith(self.key)


@dataclass(frozen=True)
class Routing:
    default_team: str | None
    rules: tuple[RoutingRule, ...] = ()

    @classmethod
    def from_setting(cls, given: RoutingSetting | None, team_names: Sequence[str]) -> Routing:
        """The `routing:` of kinfold.yaml, checked against the workspace's teams. With no
        routing and a single team, that team takes every case."""
        if given is None:
            return cls(team_names[0] if len(team_names) == 1 else None)
        known = {name.lower(): name for name in team_names}
        rules = tuple(
            RoutingRule(_team(known, rule.team, f"{ORIGIN}: routing rule {number}"),
                        rule.match, rule.value)
            for number, rule in enumerate(given.rules, start=1)
        )  # fmt: skip
        return cls(_team(known, given.default_team, f"{ORIGIN}: routing default team"), rules)

    def setting(self) -> dict[str, Any]:
        """The rules as kinfold.yaml's `routing:` holds them."""
        rules = [{"team": rule.team, rule.match: rule.value} for rule in self.rules]
        return {"default team": self.default_team, "rules": rules}

    def team_for(self, items: Iterable[tuple[str, str, str]]) -> str | None:
        """The team for a case whose open items are (need, item type, area), lower case."""
        facts = list(items)
        for rule in self.rules:
            if any(rule.meets(*fact) for fact in facts):
                return rule.team
        return self.default_team


def _team(known: dict[str, str], name: Any, where: str) -> str:
    team = known.get(str(name).strip().lower())
    if team is None:
        raise WorkspaceError(
            f"{where} names team '{name}', which the workspace does not have.",
            f"Its teams are: {', '.join(sorted(known.values())) or 'none yet (import workers)'}.",
        )
    return team


def route(conn: Connection, settings: Settings) -> dict[str, int]:
    """Put every open case in its team's backlog; open cases per team (every team, and
    NO_TEAM for cases no team takes). Owners stay."""
    team_ids = {name: team_id for team_id, name in conn.execute(select(teams.c.id, teams.c.name))}
    routed = teams_of_cases(conn, Routing.from_setting(settings.routing, sorted(team_ids)))
    counts = dict.fromkeys(team_ids, 0)
    for team in routed.values():
        counts[team or NO_TEAM] = counts.get(team or NO_TEAM, 0) + 1
    marker = parameter_mark(conn)
    if routed:
        conn.exec_driver_sql(
            f"UPDATE cases SET team_id = {marker} WHERE id = {marker}",
            [(team_ids[team] if team else None, case_id) for case_id, team in routed.items()],
        )
    return counts


def teams_of_cases(conn: Connection, routing: Routing) -> dict[int, str | None]:
    """The team each open case goes to under `routing`."""
    areas = {household_id: (sector or "").lower() for household_id, sector in conn.exec_driver_sql(
        "SELECT id, postcode_sector FROM households")}  # fmt: skip
    facts: dict[int, list[tuple[str, str, str]]] = {}
    for (case_id,) in conn.exec_driver_sql("SELECT id FROM cases WHERE status = 'open'"):
        facts[case_id] = []
    for case_id, need, item_type, household_id in conn.exec_driver_sql(
        "SELECT case_id, need, item_type, household_id FROM items WHERE status = 'open'"
    ):
        if case_id in facts:
            facts[case_id].append(((need or "").strip().lower(), (item_type or "").strip().lower(),
                                   areas.get(household_id, "")))  # fmt: skip
    return {case_id: routing.team_for(case_items) for case_id, case_items in facts.items()}


def moves(conn: Connection, routing: Routing) -> list[tuple[str, int, int]]:
    """(team, open cases in its backlog now, under `routing`) for every team, and for
    NO_TEAM when some cases are in no backlog."""
    now: dict[str, int] = {name: 0 for (name,) in conn.execute(select(teams.c.name))}
    for name, count in conn.exec_driver_sql(
        "SELECT t.name, count(*) FROM cases c LEFT JOIN teams t ON t.id = c.team_id "
        "WHERE c.status = 'open' GROUP BY t.name"
    ):
        now[name or NO_TEAM] = count
    after = dict.fromkeys(now, 0)
    for team in teams_of_cases(conn, routing).values():
        after[team or NO_TEAM] = after.get(team or NO_TEAM, 0) + 1
    return [(team, now.get(team, 0), after.get(team, 0)) for team in sorted(now | after)
            if team != NO_TEAM or now.get(team) or after.get(team)]  # fmt: skip
