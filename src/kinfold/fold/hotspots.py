"""Hotspots: groups of open cases where one response can help many.

A group shares one characteristic: a household with many items (one visit for all of
them), an area (postcode sector), a school, a GP practice, a need, or the look of people
able to help themselves (only simple requests, no risk flags). Each carries its size
(cases, people, items, people at risk) and a suggested response. Computed from the
store on request: nothing to keep in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection

from kinfold.errors import KinfoldError
from kinfold.ingest.fields import STANDARD_FLAGS
from kinfold.settings import HotspotSettings
from kinfold.store import events

KINDS = ("household", "area", "school", "gp_practice", "need", "self_help")


@dataclass
class Hotspot:
    kind: str  # one of KINDS
    key: str  # what the cases share: "LS6 2", "Meadow Primary School", "food", ...
    case_ids: list[int] = field(default_factory=list)
    people: int = 0
    items: int = 0
    people_at_risk: int = 0
    hotspot_id: int = 0  # its place in the list, from 1

    @property
    def characteristic(self) -> str:
        return {
            "household": f"one household: {self.key}",
            "area": f"area {self.key}",
            "school": f"school: {self.key}",
            "gp_practice": f"GP practice: {self.key}",
            "need": f"need: {self.key}",
            "self_help": "only simple requests, no risk flags",
        }[self.kind]

    @property
    def suggested_response(self) -> str:
        return {
            "household": f"a household visit: one visit for all {self.items} items",
            "area": f"a local session in {self.key}",
            "school": f"a local session at {self.key}",
            "gp_practice": f"a local session with {self.key}",
            "need": f"a group or peer-support session on {self.key}",
            "self_help": "written self-help information",
        }[self.kind]


@dataclass
class _Case:
    household: tuple[str | None, str | None, str | None, str | None] | None = None
    people: int = 1
    items: int = 0
    at_risk: bool = False
    needs: set[str] = field(default_factory=set)
    all_simple: bool = True


def find_hotspots(
    conn: Connection, settings: HotspotSettings, team_id: int | None = None,
    addresses: bool = True,
) -> list[Hotspot]:  # fmt: skip
    """Every hotspot among the open cases (of the team `team_id`, when given), largest
    first within each kind. Without `addresses`, a household is named by its case."""
    open_cases = _open_cases(conn, settings, team_id)
    found: list[Hotspot] = []
    for case_id, case in open_cases.items():
        if case.items >= settings.household_items:
            address = (case.household or (None,))[0] if addresses else None
            found.append(_group("household", address or f"case {case_id}", [case_id],
                                open_cases))  # fmt: skip
    groups: dict[tuple[str, str], list[int]] = {}
    for case_id, case in open_cases.items():
        keys: list[tuple[str, str | None]] = [("need", need) for need in sorted(case.needs)]
        if case.household:
            _, sector, school, gp = case.household
            keys += [("area", sector), ("school", school), ("gp_practice", gp)]
        if case.all_simple and not case.at_risk:
            keys.append(("self_help", "simple requests"))
        for kind, key in keys:
            if key:
                groups.setdefault((kind, key), []).append(case_id)
    found += [
        _group(kind, key, members, open_cases)
        for (kind, key), members in groups.items()
        if len(members) >= settings.smallest_group
    ]
    found.sort(key=lambda h: (KINDS.index(h.kind), -len(h.case_ids), -h.people_at_risk, h.key))
    for number, hotspot in enumerate(found, start=1):
        hotspot.hotspot_id = number
    return found


def _group(kind: str, key: str, members: Iterable[int], cases: dict[int, _Case]) -> Hotspot:
    hotspot = Hotspot(kind, key, sorted(members))
    for case_id in hotspot.case_ids:
        case = cases[case_id]
        hotspot.people += case.people
        hotspot.items += case.items
        hotspot.people_at_risk += case.people if case.at_risk else 0
    return hotspot


def _open_cases(
    conn: Connection, settings: HotspotSettings, team_id: int | None
) -> dict[int, _Case]:
    households = {
        row[0]: row[1:]
        for row in conn.exec_driver_sql(
            "SELECT id, address, postcode_sector, school, gp_practice, person_count FROM households"
        )
    }
    cases: dict[int, _Case] = {}
    in_team = "" if team_id is None else f" AND team_id = {int(team_id)}"
    for case_id, household_id, harm_by in conn.exec_driver_sql(
        "SELECT id, household_id, harm_by FROM cases WHERE status = 'open'" + in_team
    ):
        case = cases[case_id] = _Case(at_risk=harm_by is not None)
        if household_id in households:
            address, sector, school, gp_practice, people = households[household_id]
            case.household = (address, sector, school, gp_practice)
            case.people = max(people or 1, 1)
    for case_id, item_type, need, flags in conn.exec_driver_sql(
        "SELECT case_id, item_type, need, flags FROM items "
        "WHERE status = 'open' AND case_id IS NOT NULL"
    ):
        worked = cases.get(case_id)
        if worked is None:
            continue
        worked.items += 1
        if need:
            worked.needs.add(need.strip().lower())
        simple = (item_type or "").strip().lower() in settings.simple_item_types
        flagged = bool(flags) and any(flag in STANDARD_FLAGS for flag in flags.split(";"))
        worked.all_simple = worked.all_simple and simple and not flagged
    return cases


RESPONSES = ("a group session", "a letter", "a community referral", "a household visit")


def respond(
    conn: Connection,
    settings: HotspotSettings,
    team_id: int | None,
    kind: str,
    key: str,
    response: str,
    actor: str,
    taken_by: str,
    note: str | None = None,
) -> list[int]:
    """Record one group response to a hotspot on every open case in it (of the team
    `team_id`, when given): an event on each case's timeline, naming the response, the
    hotspot, who takes it and who recorded it. The member cases, found again here; none
    when there is no such hotspot now."""
    if response not in RESPONSES:
        raise KinfoldError(f"'{response}' is not a group response.",
                           f"The responses: {', '.join(RESPONSES)}.")  # fmt: skip
    found = next((h for h in find_hotspots(conn, settings, team_id)
                  if h.kind == kind and h.key == key), None)  # fmt: skip
    if found is None:
        raise KinfoldError("That hotspot is no longer among the open cases.",
                           "Look at the hotspots again.")  # fmt: skip
    after = {"hotspot": found.characteristic, "taken by": taken_by, "cases": len(found.case_ids)}
    events.record_many(conn, [
        events.event_row(actor=actor, action="case.group_response", entity_type="case",
                         entity_id=case_id, outcome=f"group response: {response}",
                         after={**after, **({"note": note} if note else {})})
        for case_id in found.case_ids
    ])  # fmt: skip
    return found.case_ids
